"""Groups of parameters that drawings cluster together (a neuron, the layer around it): metadata set by a model library.

autograd knows nothing of any model library's naming. A library such as ``nn`` says which of its
parameters belong together with ``set_group``; ``draw_dot`` then draws each group's parameters, the
fused ``dot`` node they feed and the activation after it as one cluster (or one box with
``collapse=``). A ``Group`` is compared by identity, so two models that use the same names draw as
two separate sets of boxes. The record is weak: it goes away with the parameter.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass

from autograd.value import Value

__all__ = ["Group", "group_of", "set_group"]


@dataclass(frozen=True, eq=False)
class Group:
    """A named part of a model whose parameters are drawn together; ``parent`` is the group around it.

    ``kind`` says what ``draw_dot(collapse=...)`` calls it: an innermost group is collapsed by
    ``collapse="neuron"``, its parent by ``collapse="layer"``. Equal names do not make equal groups.

    >>> layer = Group("layers.0", "layer")
    >>> Group("layers.0.neurons.1", "neuron", layer).parent is layer
    True
    """

    name: str
    kind: str = "neuron"
    parent: Group | None = None


_GROUP_OF: weakref.WeakKeyDictionary[Value, Group] = weakref.WeakKeyDictionary()


def set_group(parameters: Iterable[Value], group: Group) -> None:
    """Record that ``parameters`` belong to ``group`` (their innermost group), replacing any earlier record.

    >>> w, b = Value(0.5), Value(0.0)
    >>> set_group([w, b], Group("my neuron"))
    >>> group_of(w).name, group_of(Value(1.0))
    ('my neuron', None)
    """
    for p in parameters:
        _GROUP_OF[p] = group


def group_of(node: Value) -> Group | None:
    """The innermost group ``node`` was put in with ``set_group``, or None."""
    return _GROUP_OF.get(node)
