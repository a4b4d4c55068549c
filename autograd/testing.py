"""Hypothesis strategies for property-testing code built on valuegrad, the way valuegrad tests itself.

* ``values(op)`` draws inputs inside an operator's valid domain, with a margin that keeps
  numerical differentiation (``autograd.gradcheck``) accurate: away from log's and sqrt's edge,
  from zero divisors, from relu's and abs's kink, and from exp's overflow.
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
from typing import Any, Literal, Union, overload

from hypothesis import reject
from hypothesis import strategies as st

from autograd.rules import RULES
from autograd.value import Number, Value, apply, dot, vsum

__all__ = ["DOMAINS", "BinaryOp", "Domain", "Expression", "Instruction", "NaryOp", "UnaryOp", "expressions", "values"]

#: How far ``abs`` and ``relu`` inputs stay from the kink at 0, so that x ± eps stays on one side.
KINK_MARGIN = 1e-3
#: How far ``log``, ``sqrt`` and a ``**`` base stay above 0, and a divisor from 0.
EDGE_MARGIN = 0.1
#: The largest ``exp`` input: e**5 is about 148, small enough that central differences keep ~8 digits.
EXP_MAX = 5.0
#: The largest exponent magnitude for ``**``, so that base ** exponent stays moderate.
POW_EXPONENT_MAX = 3.0


def _reals(limit: float = 10.0) -> st.SearchStrategy[float]:
    return st.floats(-limit, limit, allow_nan=False, allow_infinity=False)


def _away_from_zero(margin: float, limit: float = 10.0) -> st.SearchStrategy[float]:
    """Floats with margin <= |x| <= limit (both signs)."""
    return st.tuples(st.booleans(), st.floats(margin, limit)).map(lambda t: -t[1] if t[0] else t[1])


def _unary(strategy: st.SearchStrategy[float]) -> st.SearchStrategy[tuple[float, ...]]:
    return strategy.map(lambda x: (x,))


def _dot_arguments(max_terms: int = 4) -> st.SearchStrategy[tuple[float, ...]]:
    # dot's inputs are w0..w(n-1), x0..x(n-1), bias: always an odd count.
    return st.integers(1, max_terms).flatmap(lambda n: st.tuples(*[_reals()] * (2 * n + 1)))


@dataclass(frozen=True)
class Domain:
    """Where an operator is checked numerically: a strategy for its arguments and the test one argument tuple must pass."""

    #: Draws argument tuples (one float per input; any length for ``sum``, 2n + 1 for ``dot``).
    arguments: st.SearchStrategy[tuple[float, ...]]
    #: Whether an argument tuple lies inside the domain with the margin, e.g. ``lambda x: x >= 0.1`` for log.
    contains: Callable[..., bool]
    #: The same condition, for people: ``"x >= 0.1"``.
    condition: str


def _always(*args: float) -> bool:
    return True


#: Every rule in ``autograd.rules.RULES`` mapped to its valid domain (a test fails when one is missing).
DOMAINS: dict[str, Domain] = {
    "+": Domain(st.tuples(_reals(), _reals()), _always, "any a, b"),
    "-": Domain(st.tuples(_reals(), _reals()), _always, "any a, b"),
    "*": Domain(st.tuples(_reals(), _reals()), _always, "any a, b"),
    "/": Domain(st.tuples(_reals(), _away_from_zero(EDGE_MARGIN)), lambda a, b: abs(b) >= EDGE_MARGIN, "|b| >= 0.1"),
    # A negative base has real powers only at integer exponents, where d/db is undefined, so the
    # differentiable domain is a positive base.
    "**": Domain(
        st.tuples(st.floats(EDGE_MARGIN, 5.0), st.floats(-POW_EXPONENT_MAX, POW_EXPONENT_MAX)),
        lambda a, b: a >= EDGE_MARGIN and abs(b) <= POW_EXPONENT_MAX,
        "a >= 0.1, |b| <= 3",
    ),
    "neg": Domain(_unary(_reals()), _always, "any x"),
    "abs": Domain(_unary(_away_from_zero(KINK_MARGIN)), lambda x: abs(x) >= KINK_MARGIN, "|x| >= 0.001 (kink at 0)"),
    "exp": Domain(_unary(st.floats(-10.0, EXP_MAX)), lambda x: x <= EXP_MAX, "x <= 5"),
    "log": Domain(_unary(st.floats(EDGE_MARGIN, 100.0)), lambda x: x >= EDGE_MARGIN, "x >= 0.1"),
    "sqrt": Domain(_unary(st.floats(EDGE_MARGIN, 100.0)), lambda x: x >= EDGE_MARGIN, "x >= 0.1"),
    "tanh": Domain(_unary(_reals(20.0)), _always, "any x"),
    "sigmoid": Domain(_unary(_reals(20.0)), _always, "any x"),
    "relu": Domain(_unary(_away_from_zero(KINK_MARGIN)), lambda x: abs(x) >= KINK_MARGIN, "|x| >= 0.001 (kink at 0)"),
    "softplus": Domain(_unary(_reals(20.0)), _always, "any x"),
    "sin": Domain(_unary(_reals()), _always, "any x"),
    "cos": Domain(_unary(_reals()), _always, "any x"),
    "sum": Domain(st.lists(_reals(), min_size=1, max_size=6).map(tuple), lambda *xs: len(xs) >= 1, "one or more terms"),
    "dot": Domain(_dot_arguments(), lambda *xs: len(xs) % 2 == 1, "n weights, n inputs and a bias"),
}


def _domain(op: str) -> Domain:
    try:
        return DOMAINS[op]
    except KeyError:
        raise ValueError(f"autograd.testing: no domain for op {op!r}; known ops: {', '.join(DOMAINS)}") from None


#: The two-input rules, for which ``values(op)`` draws ``(a, b)`` tuples (a test keeps this in step with RULES).
BinaryOp = Literal["+", "-", "*", "/", "**"]
#: The one-input rules, for which ``values(op)`` draws floats.
UnaryOp = Literal["neg", "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "softplus", "sin", "cos"]
#: The n-ary rules, for which ``values(op)`` draws tuples of any (valid) length.
NaryOp = Literal["sum", "dot"]


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


_INFIX = {"+": "+", "-": "-", "*": "*", "/": "/", "**": "**"}


def _source_line(instruction: Instruction, n_inputs: int) -> str:
    names = [_name(a, n_inputs) for a in instruction.args]
    op = instruction.op
    if op in _INFIX:
        return f"{names[0]} {_INFIX[op]} {names[1]}"
    if op == "neg":
        return f"-{names[0]}"
    if op == "abs":
        return f"abs({names[0]})"
    if op == "sum":
        return f"vsum([{', '.join(names)}])"
    if op == "dot":
        n = len(names) // 2
        return f"dot([{', '.join(names[:n])}], [{', '.join(names[n : 2 * n])}], {names[-1]})"
    if RULES[op].arity == 1:
        return f"{names[0]}.{op}()"
    return f"apply({op!r}, {', '.join(names)})"


def _run(instruction: Instruction, operands: Sequence[Value | float]) -> Value:
    """One instruction through the operator syntax users write (``a + b``, ``2.0 * v``, ``v.log()``)."""
    op = instruction.op
    a: Value | float
    b: Value | float
    if op in _INFIX:
        a, b = operands
        # Exactly one side may be a plain number; Python then calls the reflected method on the Value.
        result: object
        if op == "+":
            result = a + b
        elif op == "-":
            result = a - b
        elif op == "*":
            result = a * b
        elif op == "/":
            result = a / b
        else:
            result = a**b
        assert isinstance(result, Value)
        return result
    if op == "sum":
        return vsum(operands)
    if op == "dot":
        n = len(operands) // 2
        return dot(operands[:n], operands[n : 2 * n], operands[-1])
    (x,) = operands
    assert isinstance(x, Value)
    if op == "neg":
        return -x
    if op == "abs":
        return abs(x)
    method = getattr(x, op, None)
    if method is not None and RULES[op].arity == 1:
        out: Value = method()
        return out
    return apply(op, *operands)


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
