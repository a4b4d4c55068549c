"""Your own operators, defined once by their forward and local derivatives, as first-class as the built-in ones.

``define_op`` adds a row to ``autograd.rules.RULES`` at run time (the way HIPS autograd's
``defvjp`` registers a derivative): ``apply(name, ...)`` records it, and ``backward``,
``create_graph=True``, the ``Backprop`` stepper, ``explain``, drawings, the web page,
``autograd.compile`` and the Hypothesis strategies of ``autograd.testing`` all work for it,
because they all read the rules table.

>>> from autograd import Value, apply, define_op, forget_op
>>> _ = define_op("softsign2", "x", "x / (1.0 + abs(x))", ("1.0 / ((1.0 + abs(x)) * (1.0 + abs(x)))",),
...               doc="x / (1 + |x|)", domain=[(-10.0, 10.0, 1e-3)])
>>> x = Value(3.0)
>>> y = apply("softsign2", x)
>>> y.backward()
>>> y.data, x.grad
(0.75, 0.0625)
>>> forget_op("softsign2")

A micrograd-style closure (``out._backward = ...``) is the quick alternative; it works on floats
only, so ``create_graph=True`` and ``compile`` refuse such nodes, naming them.
"""

from __future__ import annotations

import keyword
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Union

from autograd.rules import FLOAT_HELPERS, GENERIC_HELPERS, RULES, Interval, Rule, generic

__all__ = ["define_op", "forget_op"]

#: An input's test domain: an ``Interval``, or ``(low, high)`` / ``(low, high, gap)``.
DomainSpec = Union[Interval, tuple[float, float], tuple[float, float, float]]


def _interval(spec: DomainSpec) -> Interval:
    return spec if isinstance(spec, Interval) else Interval(*spec)


def _compile(what: str, parameters: str, body: str, helpers: dict[str, Any]) -> Callable[..., Any]:
    # The user's own formula text, turned into a function once, when they define the op.
    try:
        function: Callable[..., Any] = eval(f"lambda {parameters}: {body}", dict(helpers))
    except SyntaxError as error:
        raise ValueError(f"define_op: {what} {body!r} is not a Python expression: {error.msg}") from None
    return function


def define_op(
    name: str,
    inputs: str | Sequence[str],
    forward: str | Callable[..., float],
    local: Sequence[str] | Callable[..., tuple[Any, ...]],
    *,
    doc: str = "",
    domain: Iterable[DomainSpec] | None = None,
    display: str = "",
    activation: bool = False,
    torch: str | None = None,
) -> Rule:
    """Define the operator ``name`` by its forward and its local derivatives; ``apply(name, ...)`` then records it.

    ``forward`` is a formula over the input names (``"x / (1.0 + abs(x))"``) or a function of
    floats; ``local`` one formula per input over the inputs and ``out`` (the forward's result), or
    a function ``local(*inputs, out) -> tuple``. Formulas may use arithmetic, comparisons and the
    helpers of ``autograd.rules`` (``exp``, ``log``, ``tanh``, ...); they work on floats and on
    Values, so ``create_graph=True`` differentiates through them. A ``local`` function must do the
    same (use Value-aware operations) for second derivatives. ``domain`` gives each input's test
    interval for ``autograd.testing`` (default: -10..10).

    >>> from autograd import Value, apply, define_op, forget_op
    >>> _ = define_op("cube", "x", lambda x: x ** 3, lambda x, out: (3 * x * x,), doc="x³")
    >>> x = Value(2.0)
    >>> apply("cube", x).backward(create_graph=True)
    >>> x.grad, x.grad_value.data
    (12.0, 12.0)
    >>> forget_op("cube")
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"define_op: name must be a non-empty str, got {name!r}")
    if name in RULES:
        raise ValueError(f"define_op: an op named {name!r} exists already (built-in or defined before); pick another name")
    names = tuple(inputs.split() if isinstance(inputs, str) else inputs)
    if not names or not all(n.isidentifier() and not keyword.iskeyword(n) and n != "out" for n in names):
        raise ValueError(f"define_op {name!r}: inputs must be one or more Python names other than 'out', got {inputs!r}")
    parameters = ", ".join(names)
    ident = "".join(c if c.isalnum() else "_" for c in name)
    if isinstance(forward, str):
        forward_formula = forward
        forward_fn = _compile("forward", parameters, forward, FLOAT_HELPERS)
    else:
        # A function: formulas (for listings, step text and compile) call it as a helper by the op's name.
        forward_fn = forward
        helper = f"{ident}_forward"
        FLOAT_HELPERS[helper] = GENERIC_HELPERS[helper] = forward
        forward_formula = f"{helper}({parameters})"
    if isinstance(local, str):
        raise TypeError(f"define_op {name!r}: local must be a sequence of formulas (one per input) or a function, not a str")
    if callable(local):
        local_fn = local
        local_formulas = []
        for k in range(len(names)):
            helper = f"{ident}_d{k}"
            FLOAT_HELPERS[helper] = GENERIC_HELPERS[helper] = _component(local, k)
            setattr(generic, helper, GENERIC_HELPERS[helper])
            local_formulas.append(f"{helper}({parameters}, out)")
        local_tuple = tuple(local_formulas)
    else:
        local_tuple = tuple(local)
        if len(local_tuple) != len(names):
            raise ValueError(f"define_op {name!r}: {len(names)} input(s) but {len(local_tuple)} local derivative formula(s)")
        local_fn = _compile("local", f"{parameters}, out", "(" + ", ".join(local_tuple) + ",)", GENERIC_HELPERS)
    intervals = tuple(_interval(d) for d in domain) if domain is not None else (Interval(),) * len(names)
    if len(intervals) != len(names):
        raise ValueError(f"define_op {name!r}: {len(names)} input(s) but {len(intervals)} domain interval(s)")
    rule = Rule(
        name,
        names,
        forward_formula,
        local_tuple,
        doc or name,
        display,
        syntax=f"apply({name!r}, {parameters})",
        domain=intervals,
        activation=activation,
        torch=torch,
        callables=(forward_fn, local_fn),
    )
    RULES[name] = rule
    return rule


def _component(local: Callable[..., tuple[Any, ...]], k: int) -> Callable[..., Any]:
    def derivative(*args: Any) -> Any:
        return local(*args)[k]

    return derivative


def forget_op(name: str) -> None:
    """Remove an op made by ``define_op`` (built-in rules cannot be removed).

    >>> forget_op("+")
    Traceback (most recent call last):
    ValueError: forget_op: '+' is a built-in rule, not one made by define_op
    """
    rule = RULES.get(name)
    if rule is None:
        raise ValueError(f"forget_op: no op named {name!r}")
    if rule.callables is None:
        raise ValueError(f"forget_op: {name!r} is a built-in rule, not one made by define_op")
    del RULES[name]
    # The helpers define_op registered for a function-given forward or local go with the op.
    ident = "".join(c if c.isalnum() else "_" for c in name)
    for helper in (f"{ident}_forward", *(f"{ident}_d{k}" for k in range(len(rule.inputs)))):
        FLOAT_HELPERS.pop(helper, None)
        GENERIC_HELPERS.pop(helper, None)
        if hasattr(generic, helper):
            delattr(generic, helper)
    testing = sys.modules.get("autograd.testing")
    if testing is not None:
        testing.DOMAINS.pop(name, None)
