"""The table of primitive operations: each one's forward and its local derivatives, side by side.

This is the single source of derivatives in valuegrad. Eager ``Value`` arithmetic, ``backward``,
higher-order gradients (``create_graph=True``), the backprop stepper and the compiled replay path
all take their derivatives from ``RULES`` below, so adding an operator means adding one row (plus
one domain strategy in ``autograd.testing``).

A row of fixed arity is written as formulas over its input names (``a``, ``b`` or ``x``) and
``out`` (the forward result, so ``exp`` and ``tanh`` reuse it instead of recomputing):

* ``forward`` is evaluated on floats. Its helpers raise what Python's float arithmetic and
  ``math`` raise (``ValueError`` outside the domain, ``ZeroDivisionError``, ``OverflowError``),
  with a message that names the op and the input.
* ``local`` gives d out / d input for each input. The same text is evaluated on floats (eager
  mode stores those numbers in the node at forward time) and on ``Value`` nodes (so
  ``create_graph=True`` can differentiate through it); that is why it only uses arithmetic, ``<``
  and ``>``, and helpers below that accept either.

``Value``'s operator methods and the compiled replay code are generated from these formulas,
which keeps one source of truth without paying a function call per rule on the hot path.
The two fused n-ary reductions (``sum``, ``dot``) are written per term (``Terms``): their
formulas for a node with n parents come from ``Rule.formulas(n)``, and their callables are loops
generated from the same text.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

# ---------------------------------------------------------------------------------------------
# Forward functions on floats, with float-like errors that name the op and the input.
# ---------------------------------------------------------------------------------------------


def _domain_error(op: str, x: float, rule: str) -> ValueError:
    return ValueError(f"{op}: input {x!r} is outside the domain ({rule})")


def div_forward(a: float, b: float) -> float:
    """a / b, raising ZeroDivisionError that names the op when b is 0.

    >>> div_forward(1.0, 4.0)
    0.25
    >>> div_forward(1.0, 0.0)
    Traceback (most recent call last):
    ZeroDivisionError: div: 1.0 / 0.0 divides by zero
    """
    if b == 0.0:
        raise ZeroDivisionError(f"div: {a!r} / {b!r} divides by zero")
    return a / b


def pow_forward(a: float, b: float) -> float:
    """a ** b over the reals: errors for 0 ** negative, negative ** non-integer and overflow.

    >>> pow_forward(-2.0, 3.0)
    -8.0
    >>> pow_forward(-2.0, 0.5)
    Traceback (most recent call last):
    ValueError: pow: -2.0 ** 0.5 has no real result (negative base, non-integer exponent)
    """
    if a == 0.0 and b < 0.0:
        raise ZeroDivisionError(f"pow: {a!r} ** {b!r} raises zero to a negative power")
    if a < 0.0 and not b.is_integer():
        raise ValueError(f"pow: {a!r} ** {b!r} has no real result (negative base, non-integer exponent)")
    try:
        result: float = a**b
    except OverflowError:
        raise OverflowError(f"pow: {a!r} ** {b!r} overflows a float") from None
    return result


def exp_forward(x: float) -> float:
    """e ** x, raising OverflowError that names the op for x above ~709.78.

    >>> exp_forward(0.0)
    1.0
    >>> exp_forward(710.0)
    Traceback (most recent call last):
    OverflowError: exp: input 710.0 overflows a float (exp is finite only below ~709.78)
    """
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: input {x!r} overflows a float (exp is finite only below ~709.78)") from None


def log_forward(x: float) -> float:
    """Natural log, raising ValueError that names the op for x <= 0 (and nan).

    >>> log_forward(1.0)
    0.0
    >>> log_forward(0.0)
    Traceback (most recent call last):
    ValueError: log: input 0.0 is outside the domain (x > 0)
    """
    if not x > 0.0:  # written this way round so that nan is refused too
        raise _domain_error("log", x, "x > 0")
    return math.log(x)


def sqrt_forward(x: float) -> float:
    """Square root, raising ValueError that names the op for x < 0 (and nan).

    >>> sqrt_forward(9.0)
    3.0
    >>> sqrt_forward(-1.0)
    Traceback (most recent call last):
    ValueError: sqrt: input -1.0 is outside the domain (x >= 0)
    """
    if not x >= 0.0:
        raise _domain_error("sqrt", x, "x >= 0")
    return math.sqrt(x)


def sigmoid_forward(x: float) -> float:
    """1 / (1 + e ** -x) without overflow: sigmoid(-1000) is 0.0 and sigmoid(1000) is 1.0.

    >>> sigmoid_forward(0.0), sigmoid_forward(-1000.0), sigmoid_forward(1000.0)
    (0.5, 0.0, 1.0)
    """
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def softplus_forward(x: float) -> float:
    """log(1 + e ** x) = max(x, 0) + log1p(e ** -|x|): no overflow for large x, no lost digits for small.

    >>> softplus_forward(1000.0), softplus_forward(-1000.0), softplus_forward(1e-20) == math.log(2.0)
    (1000.0, 0.0, True)
    """
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def relu_forward(x: float) -> float:
    """max(x, 0); nan stays nan (as in PyTorch), so a nan never turns into a quiet 0.

    >>> relu_forward(-2.0), relu_forward(3.0), relu_forward(float("nan"))
    (0.0, 3.0, nan)
    """
    return 0.0 if x <= 0.0 else x


# ---------------------------------------------------------------------------------------------
# Helpers for local derivatives. Each accepts a float or a Value (Value has a method of the same
# name), so one formula serves eager mode and create_graph=True.
# ---------------------------------------------------------------------------------------------


def _data(x: Any) -> float:
    # ``==`` on a Value is identity (so Values work in sets), so compare numbers, not nodes.
    return x if isinstance(x, float) else float(x.data)


def step(x: Any) -> float:
    """relu'(x): 1 for x > 0, else 0. relu'(0) = 0, so a unit exactly at the kink does not learn (as in PyTorch).

    >>> step(2.5), step(0.0), step(-1.0)
    (1.0, 0.0, 0.0)
    """
    return 1.0 if x > 0.0 else 0.0


def sign(x: Any) -> float:
    """abs'(x): -1, 0 or 1. abs'(0) = 0, the subgradient PyTorch and JAX pick.

    >>> sign(-3.0), sign(0.0), sign(0.5)
    (-1.0, 0.0, 1.0)
    """
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


def sqrt_derivative(out: Any) -> Any:
    """sqrt'(x) = 1 / (2 sqrt x), given ``out`` = sqrt x; +inf at 0 (a vertical tangent), where 0.5 / 0.0 would raise.

    >>> sqrt_derivative(2.0), sqrt_derivative(0.0)
    (0.25, inf)
    """
    return math.inf if _data(out) == 0.0 else 0.5 / out


def pow_base_derivative(a: Any, b: Any, out: Any) -> Any:
    """d/da a ** b = b * a ** (b - 1), written out at a = 0 where 0.0 ** negative raises.

    >>> pow_base_derivative(3.0, 2.0, 9.0), pow_base_derivative(0.0, 0.5, 0.0)
    (6.0, inf)
    """
    if _data(a) == 0.0:
        exponent = _data(b)
        # 1 for b == 1, +inf for 0 < b < 1 (vertical tangent), 0 for b > 1 and b == 0.
        return 1.0 if exponent == 1.0 else (math.inf if 0.0 < exponent < 1.0 else 0.0)
    return b * a ** (b - 1.0)


def pow_exponent_derivative(a: Any, b: Any, out: Any) -> Any:
    """d/db a ** b = a ** b * log(a); 0 at a = 0 (the limit along a = 0) and nan for a < 0, as in PyTorch.

    >>> pow_exponent_derivative(math.e, 2.0, math.e ** 2) == math.e ** 2, pow_exponent_derivative(-2.0, 2.0, 4.0)
    (True, nan)
    """
    base = _data(a)
    if base > 0.0:
        return out * (log_forward(a) if isinstance(a, float) else a.log())
    return 0.0 if base == 0.0 else math.nan


def _dispatch(name: str, float_fn: Callable[[float], float]) -> Callable[[Any], Any]:
    def helper(x: Any) -> Any:
        return float_fn(x) if isinstance(x, float) else getattr(x, name)()

    helper.__name__ = name
    return helper


#: What the formulas may call, evaluated on floats (forward, and eager local derivatives).
FLOAT_HELPERS: dict[str, Any] = {
    "div": div_forward,
    "pow": pow_forward,
    "exp": exp_forward,
    "log": log_forward,
    "sqrt": sqrt_forward,
    "tanh": math.tanh,
    "sigmoid": sigmoid_forward,
    "relu": relu_forward,
    "softplus": softplus_forward,
    "sin": math.sin,
    "cos": math.cos,
    "abs": abs,
    "step": step,
    "sign": sign,
    "sqrt_derivative": sqrt_derivative,
    "pow_base_derivative": pow_base_derivative,
    "pow_exponent_derivative": pow_exponent_derivative,
    "inf": math.inf,
    "nan": math.nan,
}

#: The same names for local-derivative formulas evaluated on floats or Values (create_graph=True).
GENERIC_HELPERS: dict[str, Any] = {
    **FLOAT_HELPERS,
    **{
        name: _dispatch(name, FLOAT_HELPERS[name])
        for name in ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "softplus", "sin", "cos")
    },
}


#: A name inside a formula: not part of a longer word or number, not an attribute, not a call.
FORMULA_NAME = re.compile(r"(?<![\w.])([A-Za-z_]\w*)(?![\w(])")


def substitute(formula: str, names: Mapping[str, str]) -> str:
    """Replace the variable names in ``formula`` (whole words, never helper calls) in one pass.

    >>> substitute("sigmoid(x) * x1 + x", {"x": "v0", "x1": "v1"})
    'sigmoid(v0) * v1 + v0'
    """
    return FORMULA_NAME.sub(lambda m: names.get(m.group(1), m.group(1)), formula)


class Formulas(NamedTuple):
    """A rule's formulas written out for a node with a given number of parents."""

    #: One name per parent, in parent order, e.g. ("a", "b") or ("w0", "w1", "x0", "x1", "b").
    inputs: tuple[str, ...]
    #: The forward over ``inputs``, in the order of evaluation (so generated code rounds as the rule does).
    forward: str
    #: d out / d parent for each parent, over ``inputs`` and ``out``.
    local: tuple[str, ...]
    #: The forward as people read it in listings and drawings, e.g. "a / b" for "div(a, b)".
    display: str


@dataclass(frozen=True)
class Terms:
    """An n-ary rule as formulas: ``out = start + term_0 + term_1 + ...``, one term per group of parents.

    Parents come column by column: every term's first input, then every term's second, ...,
    then ``extra`` (so ``dot``'s parents are ``(*ws, *xs, b)``). ``Rule.formulas(n)`` writes it
    out for ``n`` parents, and the rule's ``forward`` and ``local`` are generated from it.
    """

    #: A term's input names, e.g. ("w", "x"); term i's are "w<i>", "x<i>".
    inputs: tuple[str, ...]
    #: A term's summand over ``inputs``, e.g. "w * x".
    term: str
    #: d term / d each of ``inputs``, e.g. ("x", "w").
    local: tuple[str, ...]
    #: The summand the terms are added to, left to right: a number, or one of ``extra``.
    start: str = "0.0"
    #: Input names after the terms, e.g. ("b",).
    extra: tuple[str, ...] = ()
    #: d out / d each of ``extra``.
    extra_local: tuple[str, ...] = ()
    #: A term as people read it, e.g. "w*x" (default: ``term``).
    display: str = ""

    def expand(self, n: int) -> Formulas:
        """The formulas for ``n`` parents.

        >>> Terms(("x",), "x", ("1.0",)).expand(2)
        Formulas(inputs=('x0', 'x1'), forward='0.0 + x0 + x1', local=('1.0', '1.0'), display='x0 + x1')
        """
        return _expand_terms(self, n)


@functools.lru_cache(maxsize=64)
def _expand_terms(terms: Terms, n: int) -> Formulas:
    k, extra = len(terms.inputs), len(terms.extra)
    if n < extra or (n - extra) % k:
        raise ValueError(f"{n} inputs do not make whole terms of {k} input(s) plus {extra} more")
    count = (n - extra) // k
    term_names = [{name: f"{name}{i}" for name in terms.inputs} for i in range(count)]
    inputs = (*(names[name] for name in terms.inputs for names in term_names), *terms.extra)
    forward = " + ".join([terms.start, *(substitute(terms.term, names) for names in term_names)])
    local = (*(substitute(f, names) for f in terms.local for names in term_names), *terms.extra_local)
    shown = [substitute(terms.display or terms.term, names) for names in term_names]
    display = " + ".join([*shown, terms.start] if terms.start in terms.extra else shown) or terms.start
    return Formulas(inputs, forward, local, display)


@dataclass(frozen=True)
class Rule:
    """One primitive: its name, forward and local derivatives (as formulas, and as callables made from them)."""

    name: str
    #: Input names used by the formulas, e.g. ("a", "b"); empty for n-ary rules.
    inputs: tuple[str, ...]
    #: Formula for the output, over the inputs; empty for n-ary rules.
    forward_formula: str
    #: Formula for d out / d input, one per input, over the inputs and ``out``.
    local_formulas: tuple[str, ...]
    #: ``forward(*inputs) -> float`` on floats.
    forward: Callable[..., float]
    #: ``local(*inputs, out) -> tuple`` of d out / d input; works on floats and on Values.
    local: Callable[..., tuple[Any, ...]]
    #: One line for the operator table in the README.
    doc: str
    #: The forward as people read it, where ``forward_formula`` calls a helper (``a / b`` for ``div(a, b)``).
    display_formula: str = ""
    #: n-ary rules: the formulas, per term (``formulas(n)`` writes them out for n parents).
    terms: Terms | None = None

    @property
    def arity(self) -> int | None:
        """Number of inputs, or None for n-ary rules."""
        return len(self.inputs) if self.inputs else None

    def formulas(self, n: int) -> Formulas:
        """Input names, forward and local derivative formulas for a node with ``n`` parents; any rule.

        >>> RULES["*"].formulas(2).local
        ('b', 'a')
        >>> dot = RULES["dot"].formulas(5)
        >>> dot.inputs, dot.forward
        (('w0', 'w1', 'x0', 'x1', 'b'), 'b + w0 * x0 + w1 * x1')
        >>> dot.local, dot.display
        (('x0', 'x1', 'w0', 'w1', '1.0'), 'w0*x0 + w1*x1 + b')
        """
        if self.terms is not None:
            try:
                return self.terms.expand(n)
            except ValueError as error:
                raise ValueError(f"rule {self.name!r}: {error}") from None
        if n != len(self.inputs):
            raise ValueError(f"rule {self.name!r} takes {len(self.inputs)} input(s), not {n}")
        return Formulas(self.inputs, self.forward_formula, self.local_formulas, self.display_formula or self.forward_formula)


def formula_rule(name: str, inputs: str, forward: str, local: tuple[str, ...], doc: str, display: str = "") -> Rule:
    """Make a row from formulas over named inputs (``display``: how people read the forward, if not as written).

    >>> times = formula_rule("*", "a b", "a * b", ("b", "a"), "product")
    >>> times.forward(2.0, 3.0), times.local(2.0, 3.0, 6.0)
    (6.0, (3.0, 2.0))
    """
    names = tuple(inputs.split())
    if len(local) != len(names):
        raise ValueError(f"rule {name!r}: {len(names)} inputs but {len(local)} local derivatives")
    args = ", ".join(names)
    forward_fn = eval(f"lambda {args}: {forward}", dict(FLOAT_HELPERS))
    local_fn = eval(f"lambda {args}, out: ({', '.join(local)},)", dict(GENERIC_HELPERS))
    return Rule(name, names, forward, local, forward_fn, local_fn, doc, display)


# ---------------------------------------------------------------------------------------------
# The fused n-ary reductions: one node with many parents keeps a network's graph small.
# ---------------------------------------------------------------------------------------------

# The callables are generated from the Terms formulas as loops (one function for any number of
# terms: unrolled code per arity would not even compile for a sum of 10,000 terms).
_TERMS_TEMPLATE = """
def forward(*_inputs):
    _n = (len(_inputs) - {extra}) // {k}
    {unpack}
    _total = {start}
    for {names} in {columns}:
        _total += {term}
    return _total

def local(*_inputs):
    {out}_n = (len(_inputs) - 1 - {extra}) // {k}
    {unpack}
    return {local}
"""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def terms_rule(name: str, terms: Terms, doc: str) -> Rule:
    """Make an n-ary row from its Terms: forward and local are generated from the formulas.

    >>> squares = terms_rule("sumsq", Terms(("x",), "x * x", ("2.0 * x",)), "x0**2 + x1**2 + ...")
    >>> squares.forward(1.0, 2.0, 3.0), squares.local(1.0, 2.0, 3.0, 14.0), squares.formulas(2).forward
    (14.0, (2.0, 4.0, 6.0), '0.0 + x0 * x0 + x1 * x1')
    """
    k = len(terms.inputs)
    # Slices of the arguments for each column of term inputs (both functions call them ``_inputs``).
    bound = ["", "_n", *(f"{j} * _n" for j in range(2, k + 1))]
    column = [f"_inputs[{bound[j]}:{bound[j + 1]}]" for j in range(k)]
    parts = []
    for formula in terms.local:
        if formula in terms.inputs:  # another input of the term (dot's d/dw = x): that column, as a slice
            parts.append(column[terms.inputs.index(formula)])
        elif _is_number(formula):  # a constant (sum's 1.0): repeated
            parts.append(f"({formula},) * _n")
        else:
            parts.append(f"tuple({formula} for {', '.join(terms.inputs)}, in zip({', '.join(column)}))")
    if terms.extra:
        parts.append(f"({', '.join(terms.extra_local)},)")
    # A plain sum loops over its arguments themselves: no slice, no 1-tuples.
    plain = k == 1 and not terms.extra
    columns = "_inputs" if plain else (column[0] if k == 1 else f"zip({', '.join(column)})")
    unpack = [f"{extra} = _inputs[{bound[k]} + {i}]" for i, extra in enumerate(terms.extra)]
    uses_out = "out" in {m.group(1) for f in (*terms.local, *terms.extra_local) for m in FORMULA_NAME.finditer(f)}
    source = _TERMS_TEMPLATE.format(
        extra=len(terms.extra),
        k=k,
        unpack="; ".join(unpack) or "pass",
        start=terms.start,
        names=", ".join(terms.inputs),
        columns=columns,
        term=terms.term,
        local=" + ".join(parts) or "()",
        out="out = _inputs[-1]; " if uses_out else "",
    )
    forward_scope: dict[str, Any] = dict(FLOAT_HELPERS)
    exec(compile(source, f"<autograd rule {name!r}>", "exec"), forward_scope)
    local_scope: dict[str, Any] = dict(GENERIC_HELPERS)
    exec(compile(source, f"<autograd rule {name!r}>", "exec"), local_scope)
    return Rule(name, (), "", (), forward_scope["forward"], local_scope["local"], doc, terms=terms)


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        # --- arithmetic ----------------------------------------------------------------------------------
        formula_rule("+", "a b", "a + b", ("1.0", "1.0"), "a + b"),
        formula_rule("-", "a b", "a - b", ("1.0", "-1.0"), "a - b"),
        formula_rule("*", "a b", "a * b", ("b", "a"), "a * b"),
        formula_rule("/", "a b", "div(a, b)", ("1.0 / b", "-out / b"), "a / b; ZeroDivisionError for b = 0", "a / b"),
        formula_rule(
            "**",
            "a b",
            "pow(a, b)",
            ("pow_base_derivative(a, b, out)", "pow_exponent_derivative(a, b, out)"),
            "a ** b; real results only; d/db is nan for a < 0",
            "a ** b",
        ),
        formula_rule("neg", "x", "-x", ("-1.0",), "-x"),
        formula_rule("abs", "x", "abs(x)", ("sign(x)",), "|x|; abs'(0) = 0"),
        # --- exponentials and logarithms -----------------------------------------------------------------
        formula_rule("exp", "x", "exp(x)", ("out",), "e ** x; OverflowError above ~709.78"),
        formula_rule("log", "x", "log(x)", ("1.0 / x",), "natural log; ValueError for x <= 0"),
        formula_rule("sqrt", "x", "sqrt(x)", ("sqrt_derivative(out)",), "square root; ValueError for x < 0; sqrt'(0) = inf"),
        # --- activations ---------------------------------------------------------------------------------
        formula_rule("tanh", "x", "tanh(x)", ("1.0 - out * out",), "hyperbolic tangent; finite for any x"),
        formula_rule("sigmoid", "x", "sigmoid(x)", ("out * (1.0 - out)",), "1 / (1 + e ** -x); finite for any x"),
        formula_rule("relu", "x", "relu(x)", ("step(x)",), "max(x, 0); relu'(0) = 0"),
        formula_rule("softplus", "x", "softplus(x)", ("sigmoid(x)",), "log(1 + e ** x); finite for any x"),
        # --- trigonometry --------------------------------------------------------------------------------
        formula_rule("sin", "x", "sin(x)", ("cos(x)",), "sine"),
        formula_rule("cos", "x", "cos(x)", ("-sin(x)",), "cosine"),
        # --- fused reductions ----------------------------------------------------------------------------
        terms_rule("sum", Terms(("x",), "x", ("1.0",)), "x0 + x1 + ... as one node"),
        terms_rule(
            "dot",
            Terms(("w", "x"), "w * x", ("x", "w"), start="b", extra=("b",), extra_local=("1.0",), display="w*x"),
            "w0*x0 + ... + b as one node (a neuron's weighted sum)",
        ),
    )
}
