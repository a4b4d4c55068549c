"""A mypy plugin so that micrograd's ``sum(losses).backward()`` type-checks: ``sum`` over ``Value``s is a ``Value``.

typeshed types ``sum(iterable)`` without a start as ``T | Literal[0]`` (the sum of nothing is the
int 0), so the line every micrograd training loop ends with fails ``mypy --strict`` although it
runs. This plugin drops the ``Literal[0]`` when the items are ``Value``s. Turn it on in the
project's mypy configuration::

    [tool.mypy]
    plugins = ["autograd.mypy_plugin"]

It changes only that one case (``sum`` of an iterable of ``Value``, no start); ``sum`` of
nothing is still the int 0 when the program runs, so a loss over an empty batch fails there,
as it would without the plugin. ``vsum(losses)`` is typed ``Value`` with no plugin at all.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.plugin import FunctionContext, Plugin
from mypy.types import Instance, LiteralType, ProperType, Type, UnionType, get_proper_type

#: The class whose sums are narrowed (and its subclasses): the base both engines' ``Value`` inherit.
VALUE = "autograd.base.ValueBase"


def _is_value(item: ProperType) -> bool:
    return isinstance(item, Instance) and item.type.has_base(VALUE)


def _is_literal_zero(item: ProperType) -> bool:
    return isinstance(item, LiteralType) and item.value == 0


def sum_of_values(ctx: FunctionContext) -> Type:
    """``sum(values)``'s type without typeshed's ``Literal[0]`` when every other member is a ``Value``."""
    returned = get_proper_type(ctx.default_return_type)
    given_start = len(ctx.args) > 1 and bool(ctx.args[1])
    if given_start or not isinstance(returned, UnionType):
        return ctx.default_return_type
    items = [get_proper_type(item) for item in returned.items]
    kept = [item for item in items if not _is_literal_zero(item)]
    if len(kept) == len(items) or not kept or not all(_is_value(item) for item in kept):
        return ctx.default_return_type
    return kept[0] if len(kept) == 1 else UnionType.make_union(kept)


class ValuegradPlugin(Plugin):
    """Narrows ``builtins.sum`` over ``Value``s; everything else is left to mypy."""

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        """The hook for ``sum``; None (mypy's own typing) for every other function."""
        return sum_of_values if fullname == "builtins.sum" else None


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point: the plugin class, for any mypy version this runs under."""
    return ValuegradPlugin
