"""What a program must give: values and gradients from valuegrad's pure engine, and what the usual bugs would give.

``expected`` runs a program on valuegrad's pure reference engine (``autograd/value.py``, whatever
engine ``autograd`` itself uses). ``simulate`` evaluates it on floats with the same rules, and can
be told to make one of the well-known mistakes (``=`` for ``+=``, ``tanh'`` from the input, stale
interior gradients on a second ``backward()``): when an engine's numbers match a mistake's, the
report names that mistake.

>>> from autograd.checker.programs import Program, Step
>>> p = Program((-1.5,), (Step("+", (0, 0)),))
>>> expected(p).grads[0], simulate(p, assign=True).grads[0]
(2.0, 1.0)
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograd._native import pure_value_module
from autograd.checker.operators import OPERATORS
from autograd.checker.programs import Program
from autograd.rules import RULES

#: A derivative override: (inputs in the rule's order, out) -> d out / d each input.
Local = Callable[..., tuple[float, ...]]
#: A forward override on the operands as the program stores them (node first).
Forward = Callable[..., float]


@dataclass(frozen=True)
class Outcome:
    """A program's numbers: each node's ``data`` and ``grad`` (after ``backward()`` on the output)."""

    values: tuple[float, ...]
    grads: tuple[float, ...]


_PURE: Any = None


def _pure() -> Any:
    global _PURE
    if _PURE is None:
        _PURE = pure_value_module().Value
    return _PURE


def expected(program: Program, *, passes: int = 1) -> Outcome:
    """The reference: ``program`` on valuegrad's pure engine, ``backward()`` called ``passes`` times."""
    value = _pure()
    nodes: list[Any] = [value(x) for x in program.leaves]
    for step in program.steps:
        op = OPERATORS[step.key]
        operands = [nodes[a] if isinstance(a, int) else a for a in step.args]
        if op.kind == "reflected":
            operands = operands[::-1]
        nodes.append(op.call(op.method)(*operands))
    for _ in range(passes):
        nodes[-1].backward()
    return Outcome(tuple(float(n.data) for n in nodes), tuple(float(n.grad) for n in nodes))


def simulate(
    program: Program,
    *,
    assign: bool = False,
    local: dict[str, Local] | None = None,
    forward: dict[str, Forward] | None = None,
    passes: int = 1,
    reset_interior: bool = True,
) -> Outcome:
    """``program`` on floats with the rules' formulas, or with one mistake.

    ``assign``: each contribution replaces the grad instead of adding to it. ``local``/``forward``:
    a different derivative or forward for some operator keys. ``passes`` > 1 with
    ``reset_interior=False``: micrograd's repeated ``backward()``, which sets the output's grad to 1
    and lets every other node keep what the last pass left.
    """
    local, forward = local or {}, forward or {}
    values = list(program.leaves)
    locals_: list[tuple[float, ...]] = []
    for step in program.steps:
        op = OPERATORS[step.key]
        args = [values[a] if isinstance(a, int) else a for a in step.args]
        ordered = args[::-1] if op.kind == "reflected" else args
        rule = RULES[op.rule]
        out = forward[step.key](*args) if step.key in forward else rule.forward(*ordered)
        d = local[step.key](*ordered, out) if step.key in local else rule.local(*ordered, out)
        d = tuple(float(x) for x in d)
        locals_.append(d[::-1] if op.kind == "reflected" else d)
        values.append(out)
    grads = [0.0] * program.size
    n = len(program.leaves)
    for k in range(passes):
        if reset_interior or k == 0:
            for i in range(n, program.size):
                grads[i] = 0.0
        grads[-1] = 1.0 if not reset_interior else grads[-1] + 1.0
        for i in reversed(range(len(program.steps))):
            g = grads[n + i]
            for arg, local_d in zip(program.steps[i].args, locals_[i]):
                if isinstance(arg, int):
                    grads[arg] = local_d * g if assign else grads[arg] + local_d * g
    return Outcome(tuple(values), tuple(grads))


def _tanh_from_input(x: float, out: float) -> tuple[float, ...]:
    return (1.0 - x * x,)


def _sigmoid_from_input(x: float, out: float) -> tuple[float, ...]:
    return (x * (1.0 - x),)


def _exp_from_input(x: float, out: float) -> tuple[float, ...]:
    return (x,)


def _pow_forgot_minus_one(a: float, b: float, out: float) -> tuple[float, ...]:
    return (b * a**b, 0.0)


def _pow_forgot_factor(a: float, b: float, out: float) -> tuple[float, ...]:
    return (a ** (b - 1.0), 0.0)


def _div_sign(a: float, b: float, out: float) -> tuple[float, ...]:
    return (1.0 / b, a / (b * b))


def _div_numerator(a: float, b: float, out: float) -> tuple[float, ...]:
    return (1.0 / b, -1.0 / (b * b))


def _log_wrong(x: float, out: float) -> tuple[float, ...]:
    return (1.0 / out if out else 0.0,)


@dataclass(frozen=True)
class Mistake:
    """A well-known bug: what it changes, and the one-line hint the report gives when an engine's numbers match it."""

    key: str
    hint: str
    #: The operator keys it concerns (empty: any).
    keys: tuple[str, ...] = ()
    local: Local | None = None
    forward: Forward | None = None
    assign: bool = False

    def outcome(self, program: Program) -> Outcome | None:
        """What ``program`` gives with this mistake, or None when the program does not use what it changes."""
        used = {s.key for s in program.steps}
        if self.keys and not used & set(self.keys):
            return None
        try:
            return simulate(
                program,
                assign=self.assign,
                local={k: self.local for k in self.keys} if self.local else None,
                forward={k: self.forward for k in self.keys} if self.forward else None,
            )
        except (ArithmeticError, ValueError):
            return None


#: The usual mistakes, most specific first: the report names the first whose numbers the engine reproduces.
MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "tanh-from-input",
        "tanh's _backward uses the input: tanh'(x) = 1 - t**2 with t = tanh(x), the OUTPUT",
        ("tanh",),
        local=_tanh_from_input,
    ),
    Mistake(
        "sigmoid-from-input",
        "sigmoid's _backward uses the input: sigmoid' = s * (1 - s) with s the OUTPUT",
        ("sigmoid",),
        local=_sigmoid_from_input,
    ),
    Mistake(
        "exp-from-input",
        "exp's _backward multiplies by the input: exp'(x) = exp(x), which is out.data",
        ("exp",),
        local=_exp_from_input,
    ),
    Mistake(
        "pow-exponent", "the ** _backward forgot the - 1: d/dx x**n = n * x**(n - 1)", ("**", "**v"), local=_pow_forgot_minus_one
    ),
    Mistake(
        "pow-factor", "the ** _backward forgot the factor n: d/dx x**n = n * x**(n - 1)", ("**", "**v"), local=_pow_forgot_factor
    ),
    Mistake("div-sign", "the / _backward has the sign of d/db wrong: d(a/b)/db = -a / b**2", ("/", "r/"), local=_div_sign),
    Mistake(
        "div-numerator",
        "the / _backward forgot the numerator: d(a/b)/db = -a / b**2, not -1 / b**2",
        ("/", "r/"),
        local=_div_numerator,
    ),
    Mistake("log-output", "log's _backward divides by the output: log'(x) = 1 / x, the INPUT", ("log",), local=_log_wrong),
    Mistake(
        "rtruediv-inverted",
        "__rtruediv__ computes self / other: 2 / x must be other * self**-1",
        ("r/",),
        forward=operator.truediv,
    ),
    Mistake("rsub-inverted", "__rsub__ computes self - other: 2 - x must be other + (-self)", ("r-",), forward=operator.sub),
    Mistake("rpow-inverted", "__rpow__ computes self ** other: 2 ** x must be other ** self", ("r**",), forward=operator.pow),
    Mistake("assign", "_backward assigns instead of accumulating: use self.grad += ..., not =", assign=True),
)
