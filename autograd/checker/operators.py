"""The operators the checker knows: one row each, naming the rule of ``autograd.rules`` it is checked against.

A row says how a program writes the operator (``a + b``, ``2.0 - a``, ``a.tanh()``), which rule of
``RULES`` gives its forward and derivative (and so its valid domain), and which Python syntax runs
it on the student's class. Reflected forms (``2.0 / a``) and powers by a number (``a ** 2.0``) are
rows of their own: engines often have one without the other, and the grade table shows each.

>>> OPERATORS["r/"].written("a", 2.0)
'2.0 / a'
>>> sorted(k for k in OPERATORS if OPERATORS[k].kind == "unary")[:3]
['abs', 'cos', 'exp']
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograd.rules import RULES, Interval

#: Numbers a program may combine with a node (``a * 2.0``, ``0.5 ** a``).
CONSTANTS = (2.0, 0.5, -1.5, 3.0)

_SYMBOLS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}


@dataclass(frozen=True)
class Operator:
    """One checked operator: how it is written, and the rule that says what it must compute."""

    #: The row's key: ``"+"``, ``"r+"`` (number + node), ``"**"`` (node ** number), ``"**v"`` (node ** node), ``"tanh"``.
    key: str
    #: The name of its rule in ``autograd.rules.RULES``.
    rule: str
    #: ``"binary"`` (node op node or node op number), ``"power"`` (node ** number), ``"reflected"`` (number op node),
    #: ``"unary"`` (an operator or a method).
    kind: str
    #: The Python method a class needs for it, e.g. ``"__rtruediv__"``, ``"tanh"``.
    method: str
    #: What the column of the grade table is called, e.g. ``"2 / x"``.
    title: str

    @property
    def symbol(self) -> str:
        """The infix symbol of a binary operator (``"+"``); empty for a unary one."""
        return self.rule if self.kind != "unary" else ""

    def call(self, method_name: str) -> Callable[..., Any]:
        """How to run it on nodes and numbers: ``operator.add``, ``abs``, or ``x.<method_name>()``."""
        if self.kind != "unary":
            return _SYMBOLS[self.rule]
        if self.rule == "neg":
            return operator.neg
        if self.rule == "abs":
            return abs
        return lambda x: getattr(x, method_name)()

    def written(self, *operands: str | float, method_name: str = "") -> str:
        """The operator applied to ``operands`` as Python source (numbers as their ``repr``)."""
        names = [o if isinstance(o, str) else repr(o) for o in operands]
        if self.kind != "unary":
            return f"{names[0]} {self.rule} {names[1]}" if self.kind != "reflected" else f"{names[1]} {self.rule} {names[0]}"
        if self.rule == "neg":
            return f"-{names[0]}"
        if self.rule == "abs":
            return f"abs({names[0]})"
        return f"{names[0]}.{method_name or self.method}()"

    def domain(self) -> tuple[Interval, ...]:
        """Where each input is drawn, from the rule's row: for a reflected one, the node's interval comes first."""
        intervals = RULES[self.rule].domain
        return intervals[::-1] if self.kind == "reflected" else intervals


def _rows() -> dict[str, Operator]:
    rows: list[Operator] = []
    for symbol, name in (("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "truediv")):
        rows.append(Operator(symbol, symbol, "binary", f"__{name}__", f"x {symbol} y"))
    rows.append(Operator("**", "**", "power", "__pow__", "x ** 2"))
    rows.append(Operator("**v", "**", "binary", "__pow__", "x ** y"))
    for symbol, name in (("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "truediv"), ("**", "pow")):
        rows.append(Operator(f"r{symbol}", symbol, "reflected", f"__r{name}__", f"2 {symbol} x"))
    rows.append(Operator("neg", "neg", "unary", "__neg__", "-x"))
    rows.append(Operator("abs", "abs", "unary", "__abs__", "abs(x)"))
    for rule in RULES.values():
        if rule.arity == 1 and rule.method_names and not rule.method_names[0].startswith("__"):
            rows.append(Operator(rule.name, rule.name, "unary", rule.method_names[0], f"x.{rule.method_names[0]}()"))
    return {row.key: row for row in rows}


#: Every operator the checker can find and check, by key.
OPERATORS: dict[str, Operator] = _rows()
