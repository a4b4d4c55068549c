"""Programs the checker runs on an engine: leaves, then steps over earlier nodes and numbers, as plain data.

A ``Program`` is what travels to the child process (``to_json``), what the reference engine
evaluates, and what the report prints as code a student can paste (``source``). The Hypothesis
strategies below draw programs whose every step stays inside its rule's valid domain (the
intervals of ``autograd.rules``), so a difference from the reference is the engine's, not the maths'.

>>> p = Program((-1.5,), (Step("+", (0, 0)),))
>>> print(p.source("Value", focus=0))
a = Value(-1.5); b = a + a; b.backward(); a.grad
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

from hypothesis import strategies as st

from autograd.checker.operators import CONSTANTS, OPERATORS
from autograd.rules import RULES, Interval

#: An operand: an ``int`` is a node (the leaves first, then each step's result), a ``float`` a number.
Operand = Union[int, float]
#: The largest |value| a drawn program's node may hold (keeps every engine's float arithmetic exact enough).
MAGNITUDE_LIMIT = 1e3


@dataclass(frozen=True)
class Step:
    """Apply operator ``key`` (a row of ``OPERATORS``) to ``args``; a reflected one stores its node first."""

    key: str
    args: tuple[Operand, ...]


@dataclass(frozen=True)
class Program:
    """Leaves (node k is leaf k), then steps (node ``len(leaves) + i`` is step i's result); the last node is the output."""

    leaves: tuple[float, ...]
    steps: tuple[Step, ...]

    @property
    def size(self) -> int:
        """How many nodes it makes."""
        return len(self.leaves) + len(self.steps)

    @property
    def output(self) -> int:
        """The node ``backward()`` is called on."""
        return self.size - 1

    def to_json(self) -> dict[str, Any]:
        """The program as JSON-able data (what the child process receives)."""
        return {"leaves": list(self.leaves), "steps": [[s.key, *s.args] for s in self.steps]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Program:
        """The inverse of ``to_json``."""
        steps = tuple(Step(s[0], tuple(a if isinstance(a, int) else float(a) for a in s[1:])) for s in data["steps"])
        return cls(tuple(float(x) for x in data["leaves"]), steps)

    def line(self, i: int, methods: dict[str, str] | None = None) -> str:
        """Step ``i`` as Python source, e.g. ``c = a * 2.0``."""
        step = self.steps[i]
        operands = [name(a) if isinstance(a, int) else a for a in step.args]
        method = (methods or {}).get(step.key, "")
        return f"{name(len(self.leaves) + i)} = {OPERATORS[step.key].written(*operands, method_name=method)}"

    def source(
        self,
        cls: str,
        *,
        focus: int | None = None,
        backward: int = 1,
        zero: str = "",
        methods: dict[str, str] | None = None,
        comment: str = "",
    ) -> str:
        """The program as code to paste: build, ``backward()`` (``backward`` times, ``zero`` in between), then show ``focus``.

        One line joined by ``; `` for up to three steps, one statement per line beyond.
        """
        lines = [f"{name(i)} = {cls}({x!r})" for i, x in enumerate(self.leaves)]
        lines += [self.line(i, methods) for i in range(len(self.steps))]
        out = name(self.output)
        for k in range(backward):
            if k and zero:
                lines.append(zero)
            lines.append(f"{out}.backward()")
        if focus is not None:
            lines.append(f"{name(focus)}.grad" if focus >= 0 else f"{name(-focus - 1)}.data")
        text = "; ".join(lines) if len(self.steps) <= 3 else "\n".join(lines)
        return f"{text}  # {comment}" if comment else text


def name(node: int) -> str:
    """The variable a program's node is printed as: a, b, ..., z, then n26, n27, ..."""
    return chr(ord("a") + node) if node < 26 else f"n{node}"


def float_value(key: str, args: Sequence[float]) -> float | None:
    """Operator ``key``'s result on numbers, or None outside its rule's domain (or beyond the magnitude limit)."""
    op = OPERATORS[key]
    ordered = list(args[::-1]) if op.kind == "reflected" else list(args)
    rule = RULES[op.rule]
    if not all(i.contains(x) for i, x in zip(rule.domain, ordered)):
        return None
    try:
        out = rule.forward(*ordered)
    except (ArithmeticError, ValueError):
        return None
    return out if math.isfinite(out) and abs(out) <= MAGNITUDE_LIMIT else None


def _floats(interval: Interval) -> st.SearchStrategy[float]:
    """Floats inside ``interval``, both sides of its gap; shrinks towards small round numbers."""
    low, high, gap = interval.low, interval.high, interval.gap
    if gap and low < -gap < gap < high:
        return st.one_of(st.floats(gap, high), st.floats(low, -gap))
    if gap and low >= 0.0:
        return st.floats(max(low, gap), high)
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def _both(a: Interval, b: Interval) -> Interval | None:
    low, high = max(a.low, b.low), min(a.high, b.high)
    return Interval(low, high, max(a.gap, b.gap)) if low < high else None


@st.composite
def one_step(draw: st.DrawFn, key: str) -> Program:
    """A program of one application of ``key``: ``a op a`` (a shared node), ``a op b``, ``a op 2.0``, or ``f(a)``."""
    op = OPERATORS[key]
    domain = op.domain()
    if op.kind == "unary":
        return Program((draw(_floats(domain[0]), label="a"),), (Step(key, (0,)),))
    if op.kind in ("power", "reflected"):
        constants = [c for c in CONSTANTS if domain[1].contains(c)]
        x = draw(_floats(domain[0]), label="a")
        return Program((x,), (Step(key, (0, draw(st.sampled_from(constants), label="number"))),))
    shared = _both(*domain)
    variant = draw(st.integers(0 if shared else 1, 2), label="variant")
    if variant == 0 and shared is not None:
        return Program((draw(_floats(shared), label="a"),), (Step(key, (0, 0)),))
    x = draw(_floats(domain[0]), label="a")
    if variant == 1:
        return Program((x, draw(_floats(domain[1]), label="b")), (Step(key, (0, 1)),))
    constants = [c for c in CONSTANTS if domain[1].contains(c)]
    return Program((x,), (Step(key, (0, draw(st.sampled_from(constants), label="number"))),))


@st.composite
def programs(draw: st.DrawFn, keys: Sequence[str], max_steps: int = 8) -> Program:
    """Random programs over ``keys`` with shared subexpressions and numbers on either side, every step inside its domain."""
    n = draw(st.integers(1, 3), label="leaves")
    leaves = tuple(draw(st.lists(st.floats(-3.0, 3.0), min_size=n, max_size=n), label="leaf values"))
    values = list(leaves)
    steps: list[Step] = []
    length = len(draw(st.lists(st.none(), min_size=1, max_size=max_steps), label="steps"))
    for _ in range(4 * length):
        if len(steps) == length:
            break
        key = draw(st.sampled_from(list(keys)), label="operator")
        kind = OPERATORS[key].kind
        # Favour the newest node so graphs grow deep, any older one so they share.
        first = len(values) - 1 if draw(st.booleans()) else draw(st.integers(0, len(values) - 1))
        if kind == "unary":
            args: tuple[Operand, ...] = (first,)
        elif kind in ("power", "reflected"):
            args = (first, draw(st.sampled_from(CONSTANTS)))
        else:
            second: Operand = draw(st.one_of(st.integers(0, len(values) - 1), st.sampled_from(CONSTANTS)))
            args = (first, second) if draw(st.booleans()) or isinstance(second, float) else (second, first)
        result = float_value(key, [values[a] if isinstance(a, int) else a for a in args])
        if result is None:
            continue
        values.append(result)
        steps.append(Step(key, args))
    if not steps:
        # Every drawn step left its domain: fall back on the first key's one-step program.
        return draw(one_step(keys[0]))
    return _without_unused_leaves(Program(leaves, tuple(steps)))


def _without_unused_leaves(program: Program) -> Program:
    """The program with the leaves no step reads taken out (a shrunk program should show no dead variables)."""
    n = len(program.leaves)
    used = sorted({a for s in program.steps for a in s.args if isinstance(a, int) and a < n})
    if len(used) == n:
        return program
    renumber = {old: new for new, old in enumerate(used)}
    shift = n - len(used)

    def moved(a: Operand) -> Operand:
        return a if isinstance(a, float) else renumber[a] if a < n else a - shift

    steps = tuple(Step(s.key, tuple(moved(a) for a in s.args)) for s in program.steps)
    return Program(tuple(program.leaves[i] for i in used), steps)


def chain(depth: int, key: str = "+") -> Program:
    """``a``, then ``depth`` steps each adding (``key="+"``) or multiplying by a number: the deep-chain probe.

    >>> chain(2).source("V", backward=0)
    'a = V(1.0); b = a + 1.0; c = b + 1.0'
    """
    number = 1.0 if key == "+" else 1.0001
    return Program((1.0,), tuple(Step(key, (i, number)) for i in range(depth)))
