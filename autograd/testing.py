"""Hypothesis strategies for property-testing code built on valuegrad, the way valuegrad tests itself.

* ``values(op)`` draws inputs inside an operator's valid domain, with a margin that keeps
  numerical differentiation (``autograd.gradcheck``) accurate: away from log's and sqrt's edge,
  from zero divisors, from relu's and abs's kink, and from exp's overflow.
* ``check_engine(Value)`` property-tests someone else's scalar autograd class against valuegrad
  (see ``autograd.checker`` and docs/checking.md).
* ``expressions()`` draws random computation graphs that use every operator, share
  subexpressions (``v1 = x0 + x0``, ``v2 = v1 * v1``) and stay inside every operator's domain at
  the drawn inputs.

Needs Hypothesis (``pip install valuegrad[testing]``), which is why ``autograd`` does not import
this module itself.

>>> from hypothesis import given
>>> from autograd import gradcheck
>>> from autograd.testing import expressions, values
>>> @given(values("log"))
... def test_log(x: float) -> None:
...     gradcheck(lambda v: v.log(), [x], order=2)
>>> test_log()
>>> @given(expressions())
... def test_graphs(expr) -> None:
...     gradcheck(expr, expr.inputs)
>>> test_graphs()
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Union, overload

from hypothesis import reject
from hypothesis import strategies as st

from autograd._ops import BinaryOp, NaryOp, UnaryOp
from autograd.checker import check_engine
from autograd.rules import EDGE_MARGIN, EXP_MAX, KINK_MARGIN, POW_EXPONENT_MAX, RULES, Interval, Rule, substitute
from autograd.value import Number, Value, apply, dot, vsum

__all__ = [
    "DOMAINS",
    "EDGE_MARGIN",
    "EXP_MAX",
    "KINK_MARGIN",
    "POW_EXPONENT_MAX",
    "BinaryOp",
    "Domain",
    "Expression",
    "Instruction",
    "NaryOp",
    "UnaryOp",
    "check_engine",
    "domain_of",
    "expressions",
    "values",
]

def _reals(limit: float = 10.0) -> st.SearchStrategy[float]:
    return st.floats(-limit, limit, allow_nan=False, allow_infinity=False)


def _interval(interval: Interval) -> st.SearchStrategy[float]:
    """Floats inside ``interval``, on both sides of a gap around 0."""
    low, high, gap = interval.low, interval.high, interval.gap
    if gap and low < -gap and gap < high:
        if low == -high:  # symmetric: one magnitude and a sign, so both sides are drawn equally
            return st.tuples(st.booleans(), st.floats(gap, high)).map(lambda t: -t[1] if t[0] else t[1])
        return st.one_of(st.floats(low, -gap), st.floats(gap, high))
    if gap and low >= 0.0:
        return st.floats(max(low, gap), high)
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@dataclass(frozen=True)
class Domain:
    """Where an operator is checked numerically: a strategy for its arguments and the test one argument tuple must pass."""

    #: Draws argument tuples (one float per input; any length for ``sum``, 2n + 1 for ``dot``).
    arguments: st.SearchStrategy[tuple[float, ...]]
    #: Whether an argument tuple lies inside the domain with the margin, e.g. ``lambda x: x >= 0.1`` for log.
    contains: Callable[..., bool]
    #: The same condition, for people: ``"x >= 0.1"``.
    condition: str


def domain_of(rule: Rule) -> Domain:
    """The ``Domain`` of a rule, from the intervals in its row (``Rule.domain``).

    >>> domain_of(RULES["log"]).condition
    '0.1 <= x <= 100'
    """
    intervals = rule.domain
    terms = rule.terms
    if terms is None:
        names = rule.inputs

        def contains(*args: float) -> bool:
            return len(args) == len(intervals) and all(i.contains(x) for i, x in zip(intervals, args))

        conditions = [c for c in (i.text(n) for i, n in zip(intervals, names)) if c]
        return Domain(st.tuples(*map(_interval, intervals)), contains, ", ".join(conditions) or f"any {', '.join(names)}")
    k, extra = len(terms.inputs), len(terms.extra)
    per_term, after = intervals[:k], intervals[k:]

    def n_terms(n: int) -> st.SearchStrategy[tuple[float, ...]]:
        # Parents come column by column: every term's first input, then every term's second, ...
        return st.tuples(*(_interval(i) for i in per_term for _ in range(n)), *map(_interval, after))

    def contains_terms(*args: float) -> bool:
        n, rest = divmod(len(args) - extra, k)
        if n < 1 or rest:
            return False
        columns = [i for i in per_term for _ in range(n)] + list(after)
        return all(i.contains(x) for i, x in zip(columns, args))

    shape = "n " + " and n ".join(terms.inputs) + "".join(f" and {e}" for e in terms.extra)
    if k == 1 and not extra:
        shape = "one or more terms"
    return Domain(st.integers(1, terms.max_terms).flatmap(n_terms), contains_terms, shape)


class _Domains(dict[str, Domain]):
    """``DOMAINS``: filled from ``RULES`` (ops defined later with ``autograd.define_op`` too, on first use)."""

    def __missing__(self, op: str) -> Domain:
        if op not in RULES:
            raise KeyError(op)
        self[op] = found = domain_of(RULES[op])
        return found


#: Every rule in ``autograd.rules.RULES`` mapped to its valid domain, derived from the rule's row.
DOMAINS: dict[str, Domain] = _Domains({name: domain_of(rule) for name, rule in RULES.items()})


def _domain(op: str) -> Domain:
    try:
        return DOMAINS[op]
    except KeyError:
        raise ValueError(f"autograd.testing: no domain for op {op!r}; known ops: {', '.join(RULES)}") from None


@overload
def values(op: None = None) -> st.SearchStrategy[float]: ...
@overload
def values(op: UnaryOp) -> st.SearchStrategy[float]: ...
@overload
def values(op: BinaryOp) -> st.SearchStrategy[tuple[float, float]]: ...
@overload
def values(op: NaryOp) -> st.SearchStrategy[tuple[float, ...]]: ...
@overload
def values(op: str) -> st.SearchStrategy[Any]: ...


def values(op: str | None = None) -> st.SearchStrategy[Any]:
    """Inputs inside ``op``'s valid domain: floats for a one-input op (and for ``op=None``), tuples otherwise.

    With ``op=None`` it draws moderate floats (|x| <= 10) that suit most smooth functions.

    >>> from hypothesis import given
    >>> @given(values("/"))
    ... def test_divide(ab: tuple[float, float]) -> None:
    ...     assert abs(ab[1]) >= 0.1
    >>> test_divide()
    """
    if op is None:
        return _reals()
    domain = _domain(op)
    if RULES[op].arity == 1:
        return domain.arguments.map(lambda args: args[0])
    return domain.arguments


# ---------------------------------------------------------------------------------------------
# Random computation graphs
# ---------------------------------------------------------------------------------------------

#: The largest |value| any register of a drawn expression may hold.
MAGNITUDE_LIMIT = 10.0
#: The largest |d register / d input| allowed, so that eps * gradient stays far below the margins above.
GRADIENT_LIMIT = 100.0
#: Numbers an instruction may use as an operand, exercising ``2 * v``, ``v ** 2.0`` and friends.
CONSTANTS = (2.0, 0.5, -1.5, 3.0)

#: An operand: an ``int`` is a register (inputs first, then each instruction's result), a ``float`` a constant.
Operand = Union[int, float]


@dataclass(frozen=True)
class Instruction:
    """One step of a program: apply the rule ``op`` to ``args`` (registers or constants)."""

    op: str
    args: tuple[Operand, ...]


def _name(arg: Operand, n_inputs: int) -> str:
    if isinstance(arg, float):
        return repr(arg)
    return f"x{arg}" if arg < n_inputs else f"v{arg}"


def _source_line(instruction: Instruction, n_inputs: int) -> str:
    names = [_name(a, n_inputs) for a in instruction.args]
    op = instruction.op
    if op == "sum":
        return f"vsum([{', '.join(names)}])"
    if op == "dot":
        n = len(names) // 2
        return f"dot([{', '.join(names[:n])}], [{', '.join(names[n : 2 * n])}], {names[-1]})"
    rule = RULES[op]
    if rule.arity is None or not rule.method_names:
        return f"apply({op!r}, {', '.join(names)})"
    # How users write the op (the row's syntax), over the operands' names.
    return substitute(rule.written_as, dict(zip(rule.inputs, names)))


def _run(instruction: Instruction, operands: Sequence[Value | float]) -> Value:
    """One instruction through the methods users' syntax calls (``a + b``, ``2.0 * v``, ``v.log()``)."""
    op = instruction.op
    if op == "sum":
        return vsum(operands)
    if op == "dot":
        n = len(operands) // 2
        return dot(operands[:n], operands[n : 2 * n], operands[-1])
    rule = RULES[op]
    methods = rule.method_names
    if rule.arity is None or not methods:
        return apply(op, *operands)
    first = operands[0]
    if len(operands) == 2 and not isinstance(first, Value):
        # ``2.0 * v``: Python calls the reflected method on the Value.
        result: Value = getattr(operands[1], methods[1])(first)
    else:
        result = getattr(first, methods[0])(*operands[1:])
    return result


@dataclass(frozen=True, repr=False)
class Expression:
    """A random program over ``len(inputs)`` inputs, with concrete ``inputs`` inside every operator's domain.

    Call it on Values or numbers (``expr(*expr.inputs)``) to build the graph; ``repr`` shows the
    program as Python source that uses the public API.
    """

    #: Where the program stays inside every operator's domain (with margins).
    inputs: tuple[float, ...]
    #: The instructions; instruction k writes register ``len(inputs) + k``. The last one is the output.
    program: tuple[Instruction, ...]

    @property
    def n_inputs(self) -> int:
        """How many arguments the expression takes."""
        return len(self.inputs)

    def __call__(self, *xs: Value | Number) -> Value:
        """Evaluate the program on ``xs`` (numbers become leaf Values) and return the output node."""
        if len(xs) != self.n_inputs:
            raise TypeError(f"expression takes {self.n_inputs} input(s), got {len(xs)}")
        registers: list[Value] = [x if isinstance(x, Value) else Value(x) for x in xs]
        for instruction in self.program:
            operands = [registers[a] if isinstance(a, int) else a for a in instruction.args]
            registers.append(_run(instruction, operands))
        return registers[-1]

    @property
    def source(self) -> str:
        """The program as a Python function ``f``."""
        n = self.n_inputs
        lines = [f"def f({', '.join(_name(i, n) for i in range(n))}):"]
        for k, instruction in enumerate(self.program):
            lines.append(f"    {_name(n + k, n)} = {_source_line(instruction, n)}")
        lines.append(f"    return {_name(n + len(self.program) - 1, n)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Expression at inputs={self.inputs!r}:\n{self.source}\n>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis (and IPython) would otherwise print a dataclass field by field, hiding the program.
        lines = repr(self).split("\n")
        for i, line in enumerate(lines):
            if i:
                printer.break_()
            printer.text(line)


@dataclass
class _Register:
    """A register's value at the drawn inputs and its gradient with respect to them (forward mode)."""

    value: float
    gradient: tuple[float, ...]


def _forward(op: str, args: Sequence[_Register | float], n_inputs: int, *, bounded: bool = True) -> _Register | None:
    """The result of ``op`` on ``args`` if it is inside the domain (and, when ``bounded``, the limits), else None."""
    datas = [a.value if isinstance(a, _Register) else a for a in args]
    if not DOMAINS[op].contains(*datas):
        return None
    try:
        out = RULES[op].forward(*datas)
        local = RULES[op].local(*datas, out)
    except (ArithmeticError, ValueError):
        return None
    gradient = [0.0] * n_inputs
    for arg, d in zip(args, local):
        if isinstance(arg, _Register):
            for i, g in enumerate(arg.gradient):
                gradient[i] += d * g
    if not bounded:
        return _Register(out, tuple(gradient))
    if not (math.isfinite(out) and abs(out) <= MAGNITUDE_LIMIT):
        return None
    if not all(math.isfinite(g) and abs(g) <= GRADIENT_LIMIT for g in gradient):
        return None
    return _Register(out, tuple(gradient))


@st.composite
def _expressions(
    draw: st.DrawFn, min_inputs: int, max_inputs: int, min_ops: int, max_ops: int, ops: tuple[str, ...]
) -> Expression:
    n = draw(st.integers(min_inputs, max_inputs), label="number of inputs")
    inputs = tuple(draw(st.lists(st.floats(-3.0, 3.0), min_size=n, max_size=n), label="inputs"))
    registers = [_Register(x, tuple(1.0 if j == i else 0.0 for j in range(n))) for i, x in enumerate(inputs)]
    program: list[Instruction] = []
    # The length of a list, not st.integers: Hypothesis draws bounded integers at their minimum so
    # often that most programs would have one instruction; list lengths spread over the whole range.
    length = len(draw(st.lists(st.none(), min_size=min_ops, max_size=max_ops), label="number of instructions"))

    def pick_register() -> int:
        # Favour the newest register so graphs grow deep, not only wide; any earlier one gives sharing.
        if draw(st.booleans()):
            return len(registers) - 1
        return draw(st.integers(0, len(registers) - 1))

    def choose_operands(op: str) -> tuple[Operand, ...] | None:
        """Operands that keep ``op`` inside its domain and the limits, or None when there are none."""
        arity = RULES[op].arity
        if arity == 1:
            candidates = [i for i, r in enumerate(registers) if _forward(op, [r], n) is not None]
            if not candidates:
                return None
            return (draw(st.sampled_from(candidates)) if draw(st.booleans()) else candidates[-1],)
        if arity == 2:
            first = pick_register()
            # Operand b: the same register again (a + a), a constant on either side, or any register.
            kind = draw(st.integers(0, 3))
            pairs: list[tuple[Operand, Operand]]
            if kind == 0:
                pairs = [(first, first)]
            elif kind == 1:
                pairs = [(first, c) for c in CONSTANTS] + [(c, first) for c in CONSTANTS]
            else:
                others: list[Operand] = list(range(len(registers)))
                pairs = [(first, j) for j in others] + [(j, first) for j in others]
            valid = [p for p in pairs if _forward(op, [registers[a] if isinstance(a, int) else a for a in p], n) is not None]
            return draw(st.sampled_from(valid)) if valid else None
        # sum takes 1..4 terms, dot 1..2 weight/input pairs and a bias.
        count = draw(st.integers(1, 4)) if op == "sum" else 2 * draw(st.integers(1, 2)) + 1
        chosen = tuple(pick_register() for _ in range(count))
        return chosen if _forward(op, [registers[i] for i in chosen], n) is not None else None

    # An op whose domain no operand meets right now (log when everything is negative) is skipped;
    # the budget keeps a restrictive ``ops`` from looping forever.
    for _ in range(4 * length):
        if len(program) == length:
            break
        op = draw(st.sampled_from(ops), label="op")
        args = choose_operands(op)
        if args is None:
            continue
        result = _forward(op, [registers[a] if isinstance(a, int) else a for a in args], n)
        assert result is not None, (op, args)
        registers.append(result)
        program.append(Instruction(op, args))
    if len(program) < min_ops:
        reject()  # only reachable with a narrow ``ops``, e.g. ops=["log"] at negative inputs
    # Results nothing reads would be dead code that no gradient checks; add them into the output.
    # (Their sum may exceed the magnitude limit; it is the output, which no op consumes.)
    used = {a for instruction in program for a in instruction.args if isinstance(a, int)}
    dead = tuple(r for r in range(n, len(registers) - 1) if r not in used)
    if dead and "sum" in ops:
        last = len(registers) - 1
        result = _forward("sum", [registers[r] for r in (*dead, last)], n, bounded=False)
        assert result is not None
        registers.append(result)
        program.append(Instruction("sum", (*dead, last)))
    return Expression(inputs, tuple(program))


def expressions(
    *, min_inputs: int = 1, max_inputs: int = 3, min_ops: int = 1, max_ops: int = 10, ops: Iterable[str] | None = None
) -> st.SearchStrategy[Expression]:
    """Random computation graphs (``Expression``) that stay inside every operator's domain at their ``inputs``.

    Every operator in ``ops`` (default: all of ``RULES``) can appear; operands are earlier results,
    the inputs, or small constants, so subexpressions are shared (``v2 = x0 + x0; v3 = v2 * v2``).
    Every intermediate value stays within ±10 and its gradient within ±100, so central differences
    are accurate. Results that nothing reads are summed into the output (when ``sum`` is allowed),
    so every instruction affects the gradient.

    >>> from hypothesis import given
    >>> from autograd import gradcheck
    >>> @given(expressions(max_ops=5))
    ... def test_backward_matches_numeric(expr: Expression) -> None:
    ...     assert gradcheck(expr, expr.inputs, order=2)
    >>> test_backward_matches_numeric()
    """
    chosen = tuple(RULES) if ops is None else tuple(ops)
    for op in chosen:
        _domain(op)
    if not chosen:
        raise ValueError("expressions: ops is empty")
    if not 1 <= min_inputs <= max_inputs:
        raise ValueError(f"expressions: need 1 <= min_inputs <= max_inputs, got {min_inputs}, {max_inputs}")
    if not 1 <= min_ops <= max_ops:
        raise ValueError(f"expressions: need 1 <= min_ops <= max_ops, got {min_ops}, {max_ops}")
    return _expressions(min_inputs, max_inputs, min_ops, max_ops, chosen)
