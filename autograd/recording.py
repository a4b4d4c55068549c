"""Recording nodes generically: ``apply(op, *inputs)`` for any rule, and the fused ``vsum`` and ``dot``.

``apply`` is what the operator methods of ``autograd/_ops.py`` unroll per rule: look the rule up,
compute ``out`` with its forward, its local derivatives with ``local``, record both. It is also how
the fused n-ary ops and ops defined with ``autograd.define_op`` are recorded. When the C engine is
in use, its ``apply``/``vsum``/``dot`` are imported over these at the end (the built-in rules in C;
ops made by ``define_op`` still come here, through ``record``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograd import _native, errors
from autograd.grad_mode import grad_enabled
from autograd.node import Number, Value, leaf, lift
from autograd.rules import RULES, Rule


def rule_to_apply(op: str, count: int) -> Rule:
    """The rule ``apply(op, ...)`` runs on ``count`` inputs, or the error both engines give for an unknown op or count."""
    try:
        rule = RULES[op]
    except KeyError:
        raise errors.unknown_op(op, RULES) from None
    if rule.arity is not None and count != rule.arity:
        raise errors.wrong_arity(op, rule.arity, count)
    if rule.terms is not None:
        try:
            rule.formulas(count)  # n-ary: the inputs must make whole terms (dot: pairs, then the bias)
        except ValueError as error:
            raise errors.wrong_term_count(op, error) from None
    return rule


def apply(op: str, *inputs: Value | Number) -> Value:
    """Apply the rule named ``op`` (see ``autograd.rules.RULES``) to any number of inputs.

    This is the generic path that the operator methods of ``autograd/_ops.py`` unroll: look the
    rule up, compute ``out`` with its forward, its local derivatives with ``local``, record both.

    >>> apply("sum", Value(1.0), 2, Value(3.0)).data
    6.0
    >>> apply("*", Value(2.0), 3).local_grads
    (3.0, 2.0)
    """
    rule = rule_to_apply(op, len(inputs))
    parents = tuple(lift(x, op) for x in inputs)
    datas = tuple(p._data for p in parents)
    out = rule.forward(*datas)
    if not grad_enabled():
        return leaf(out, "")
    return Value._from_parts(op, parents, out, rule.local(*datas, out))


def vsum(values: Iterable[Value | Number]) -> Value:
    """The sum of many values as one node (one parent per term), instead of a chain of ``+``.

    >>> vsum([Value(1.0), Value(2.0), 3]).data
    6.0
    """
    return apply("sum", *values)


def dot(weights: Iterable[Value | Number], inputs: Iterable[Value | Number], bias: Value | Number = 0.0) -> Value:
    """w0*x0 + w1*x1 + ... + bias as one node: a neuron's weighted sum, fused.

    >>> dot([Value(2.0), Value(3.0)], [1.0, -1.0], Value(0.5)).data
    -0.5
    """
    ws = list(weights)
    xs = list(inputs)
    if len(ws) != len(xs):
        raise ValueError(f"dot: {len(ws)} weights but {len(xs)} inputs")
    return apply("dot", *ws, *xs, bias)


def record_with(value_class: Any) -> Any:
    """``apply`` for a given engine's ``Value``: the C engine's path for rules it does not know (``define_op``)."""
    make = value_class._from_parts

    def lift_any(x: object, op: str) -> Any:
        if isinstance(x, value_class):
            return x
        if isinstance(x, (int, float)) or _real(x):
            return make("const", (), float(x), ())  # type: ignore[arg-type]
        raise errors.unsupported_operand(op, x)

    def record(op: str, *inputs: Any) -> Any:
        rule = rule_to_apply(op, len(inputs))
        parents = tuple(lift_any(x, op) for x in inputs)
        datas = tuple(p.data for p in parents)
        out = rule.forward(*datas)
        if not grad_enabled():
            return make("", (), out, ())
        return make(op, parents, out, rule.local(*datas, out))

    return record


def _real(x: object) -> bool:
    import numbers

    return isinstance(x, numbers.Real) and not isinstance(x, Value)


_core = _native.active()
if _core is not None:
    apply = _core.apply
    vsum = _core.vsum
    dot = _core.dot
