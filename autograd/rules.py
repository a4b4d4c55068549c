"""The table of primitive operations: each one's forward and its local derivatives, side by side.

This is the single source of everything that varies per operator. Eager ``Value`` arithmetic,
``backward``, higher-order gradients (``create_graph=True``), the backprop stepper, drawings, the
compiled replay path, the test strategies of ``autograd.testing`` and ``nn``'s activations all
derive from ``RULES`` below, so adding an operator means adding one row and running
``python3 dev.py generate``.

A row of fixed arity is written as formulas over its input names (``a``, ``b`` or ``x``) and
``out`` (the forward result, so ``exp`` and ``tanh`` reuse it instead of recomputing):

* ``forward`` is evaluated on floats. Its helpers raise what Python's float arithmetic and
  ``math`` raise (``ValueError`` outside the domain, ``ZeroDivisionError``, ``OverflowError``),
  with a message that names the op and the input; nan goes through every op as nan.
* ``local`` gives d out / d input for each input. The same text is evaluated on floats (eager
  mode stores those numbers in the node at forward time) and on ``Value`` nodes (so
  ``create_graph=True`` can differentiate through it); that is why it only uses arithmetic, ``<``
  and ``>``, conditional expressions and helpers below that accept either.

``tools/codegen/python_ops.py`` writes these formulas out as ordinary Python into the committed
``autograd/_ops.py``: ``Value``'s operator methods (inlined, the hot path) and each rule's
``forward``/``local`` callables. Nothing is ``exec``-ed at import. The two fused n-ary reductions
(``sum``, ``dot``) are written per term (``Terms``): their formulas for a node with n parents
come from ``Rule.formulas(n)``, and their callables are loops written from the same text.
"""

from __future__ import annotations

import functools
import math
import re
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
    if a < 0.0 and not b.is_integer() and b == b:  # b == b: a nan exponent gives nan, as in IEEE
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
    """Natural log, raising ValueError that names the op for x <= 0; nan gives nan.

    >>> log_forward(1.0)
    0.0
    >>> log_forward(0.0)
    Traceback (most recent call last):
    ValueError: log: input 0.0 is outside the domain (x > 0)
    """
    if x <= 0.0:  # nan passes through to math.log, which gives nan (as in IEEE and PyTorch)
        raise _domain_error("log", x, "x > 0")
    return math.log(x)


def sqrt_forward(x: float) -> float:
    """Square root, raising ValueError that names the op for x < 0; nan gives nan.

    >>> sqrt_forward(9.0)
    3.0
    >>> sqrt_forward(-1.0)
    Traceback (most recent call last):
    ValueError: sqrt: input -1.0 is outside the domain (x >= 0)
    """
    if x < 0.0:  # nan gives nan
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
    """max(x, 0); nan stays nan, as in PyTorch (a hidden nan would look like a dead unit).

    >>> relu_forward(-2.0), relu_forward(3.0), relu_forward(math.nan)
    (0.0, 3.0, nan)
    """
    return 0.0 if x <= 0.0 else x


def sin_forward(x: float) -> float:
    """Sine, raising ValueError that names the op for x = ±inf (where ``math.sin`` says only "math domain error").

    >>> sin_forward(0.0)
    0.0
    >>> sin_forward(math.inf)
    Traceback (most recent call last):
    ValueError: sin: input inf is outside the domain (finite x)
    """
    if x in (math.inf, -math.inf):
        raise _domain_error("sin", x, "finite x")
    return math.sin(x)


def cos_forward(x: float) -> float:
    """Cosine, raising ValueError that names the op for x = ±inf.

    >>> cos_forward(0.0)
    1.0
    """
    if x in (math.inf, -math.inf):
        raise _domain_error("cos", x, "finite x")
    return math.cos(x)


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

    Where a ** b is finite but a ** (b - 1) is past the largest float (a tiny base, b < 1), the
    derivative is -inf or +inf, as in PyTorch: it is b * (out / a) there, whose division gives the
    infinity with its sign instead of raising, on floats and on Values (create_graph=True) alike.

    >>> pow_base_derivative(3.0, 2.0, 9.0), pow_base_derivative(0.0, 0.5, 0.0)
    (6.0, inf)
    >>> pow_base_derivative(1e-200, -1.0, 1e200)
    -inf
    """
    exponent = _data(b)
    if _data(a) == 0.0 and exponent == exponent:  # a nan exponent takes the formula: nan, as PyTorch's
        # 1 for b == 1, +inf for 0 < b < 1 (vertical tangent), 0 for b > 1 and b == 0.
        return 1.0 if exponent == 1.0 else (math.inf if 0.0 < exponent < 1.0 else 0.0)
    try:
        return b * a ** (b - 1.0)
    except OverflowError:  # |a ** (b - 1)| = |out / a| overflows; a != 0 here, so the division cannot raise
        return b * (out / a)


def pow_exponent_derivative(a: Any, b: Any, out: Any) -> Any:
    """d/db a ** b = a ** b * log(a); 0 at a = 0 (the limit along a = 0) and nan for a < 0, as in PyTorch.

    The nan for a < 0 is ``out * nan``: on Values (create_graph=True) it is a node that depends on
    a and b, so its own derivatives (second derivatives of a ** b) are nan too, as PyTorch's are.

    >>> pow_exponent_derivative(math.e, 2.0, math.e ** 2) == math.e ** 2, pow_exponent_derivative(-2.0, 2.0, 4.0)
    (True, nan)
    """
    base = _data(a)
    if base > 0.0:
        return out * (log_forward(a) if isinstance(a, float) else a.log())
    return 0.0 if base == 0.0 else out * math.nan


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
    "sin": sin_forward,
    "cos": cos_forward,
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


#: The same helpers as attributes (``generic.exp(x)``), for code written out from the formulas.
generic = types.SimpleNamespace(**GENERIC_HELPERS)

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
    #: The most terms a test draws (``autograd.testing``); any number works.
    max_terms: int = 4

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
class Interval:
    """Where one input is tested numerically: ``low <= x <= high`` and ``|x| >= gap`` (a margin around a kink at 0).

    >>> Interval(0.1, 100.0).contains(0.05), Interval(gap=1e-3).text("x")
    (False, '|x| >= 0.001')
    """

    low: float = -10.0
    high: float = 10.0
    gap: float = 0.0

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies inside, with the margin."""
        return self.low <= x <= self.high and abs(x) >= self.gap

    def text(self, name: str) -> str:
        """The condition for people, e.g. ``x >= 0.1`` (empty when any moderate number will do)."""
        parts = []
        if self.low != -self.high:
            parts.append(f"{name} >= {self.low:g}" if self.high == 10.0 else f"{self.low:g} <= {name} <= {self.high:g}")
        elif self.high != 10.0:
            parts.append(f"|{name}| <= {self.high:g}")
        if self.gap:
            parts.append(f"|{name}| >= {self.gap:g}")
        return ", ".join(parts)


#: How far ``abs`` and ``relu`` inputs stay from the kink at 0, so that x ± eps stays on one side.
KINK_MARGIN = 1e-3
#: How far ``log``, ``sqrt`` and a ``**`` base stay above 0, and a divisor from 0.
EDGE_MARGIN = 0.1
#: The largest ``exp`` input: e**5 is about 148, small enough that central differences keep ~8 digits.
EXP_MAX = 5.0
#: The largest exponent magnitude for ``**``, so that base ** exponent stays moderate.
POW_EXPONENT_MAX = 3.0

ANY = Interval()
KINK = Interval(gap=KINK_MARGIN)
POSITIVE = Interval(EDGE_MARGIN, 100.0)
SATURATING = Interval(-20.0, 20.0)


#: The callables generated from the rows' formulas, by rule name. ``autograd/_ops.py`` is generated
#: from this table and sits a room above it (it builds ``Value`` nodes), so this module never imports
#: it: _ops hands its functions over when it is imported, which every ``import autograd`` does.
GENERATED_FORWARD: dict[str, Callable[..., float]] = {}
GENERATED_LOCAL: dict[str, Callable[..., tuple[Any, ...]]] = {}


@dataclass(frozen=True)
class Rule:
    """One primitive: everything that varies per operator, in one row (the rest of valuegrad derives from it).

    ``forward`` and ``local`` are the callables generated from the formulas into ``autograd/_ops.py``.
    """

    name: str
    #: Input names used by the formulas, e.g. ("a", "b"); empty for n-ary rules.
    inputs: tuple[str, ...]
    #: Formula for the output, over the inputs; empty for n-ary rules.
    forward_formula: str
    #: Formula for d out / d input, one per input, over the inputs and ``out``.
    local_formulas: tuple[str, ...]
    #: One line for the operator table in the README.
    doc: str
    #: The forward as people read it, where ``forward_formula`` calls a helper (``a / b`` for ``div(a, b)``).
    display_formula: str = ""
    #: n-ary rules: the formulas, per term (``formulas(n)`` writes them out for n parents).
    terms: Terms | None = None
    #: The ``Value`` methods it becomes: ``("__mul__", "__rmul__")`` (the second one reflected); default ``(name,)``.
    methods: tuple[str, ...] = ()
    #: How users write it, over the input names: ``a * b``, ``x.exp()``, ``vsum([x0, x1, ...])``.
    syntax: str = ""
    #: Where tests check it numerically: one ``Interval`` per input (per term input, then ``extra``, for n-ary).
    domain: tuple[Interval, ...] = ()
    #: How drawings write the op in its small op node (default: ``name``).
    symbol: str = ""
    #: Whether it is an activation: ``nn`` offers it as one, drawings keep it with its neuron.
    activation: bool = False
    #: The same op in PyTorch, over the inputs (``torch`` in scope); default ``torch.<name>(x)`` for a
    #: one-input rule, ``display_formula`` for two, the term formulas for n-ary; None: PyTorch has none.
    torch: str | None = ""
    #: An independent textbook formula for the forward (``math`` in scope; n-ary rules get ``xs``).
    reference: str = ""
    #: For an activation: the ``torch.nn`` module class that computes it (``nn.to_torch``/``from_torch``), if any.
    torch_module: str = ""
    #: Each local derivative as mathematics, for people (the stepper's lines): over the input names and
    #: ``out``, with − · ² and |x| (``tanh``: ``1 − out²``); n-ary rules: per term input, then per extra.
    readable: tuple[str, ...] = ()
    #: micrograd's spelling of the op in ``_op`` where it has one (``'ReLU'``; ``'**{b}'``: the number exponent); '' = ``name``.
    micrograd_op: str = ""
    #: ``(forward, local)`` for a rule made at run time (``define_op``); built-in rules' come from ``_ops.py``.
    callables: tuple[Callable[..., float], Callable[..., tuple[Any, ...]]] | None = field(default=None, compare=False, repr=False)

    @property
    def arity(self) -> int | None:
        """Number of inputs, or None for n-ary rules."""
        return len(self.inputs) if self.inputs else None

    @functools.cached_property
    def forward(self) -> Callable[..., float]:
        """``forward(*inputs) -> float`` on floats (generated into ``autograd/_ops.py``)."""
        if self.callables is not None:
            return self.callables[0]
        return GENERATED_FORWARD[self.name]

    @functools.cached_property
    def local(self) -> Callable[..., tuple[Any, ...]]:
        """``local(*inputs, out) -> tuple`` of d out / d input; works on floats and on Values."""
        if self.callables is not None:
            return self.callables[1]
        return GENERATED_LOCAL[self.name]

    @property
    def method_names(self) -> tuple[str, ...]:
        """The ``Value`` methods this rule becomes (none for n-ary rules and ops made at run time: ``apply`` records them)."""
        if self.terms is not None or self.callables is not None:
            return ()
        return self.methods or (self.name,)

    @property
    def ident(self) -> str:
        """A Python identifier for the rule (``mul`` for ``*``), used in generated names."""
        names = self.method_names
        return names[0].strip("_") if names else self.name

    @property
    def written_as(self) -> str:
        """How users write it: ``a * b``, ``x.exp()``."""
        return self.syntax or f"{self.inputs[0]}.{self.name}()"

    @property
    def shown(self) -> str:
        """The op's text in drawings."""
        return self.symbol or self.name

    @property
    def torch_formula(self) -> str | None:
        """The PyTorch expression of the op over its inputs (n-ary: over ``xs``), or None."""
        if self.torch is None or self.torch:
            return self.torch
        if self.terms is not None:
            return None  # n-ary: ``formulas(n).forward`` works on tensors as written
        if len(self.inputs) == 1:
            return f"torch.{self.name}({self.inputs[0]})"
        return self.display_formula or self.forward_formula

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


def formula_rule(name: str, inputs: str, forward: str, local: tuple[str, ...], doc: str, display: str = "", **row: Any) -> Rule:
    """Make a row from formulas over named inputs (``display``: how people read the forward, if not as written).

    >>> times = formula_rule("*", "a b", "a * b", ("b", "a"), "product", methods=("__mul__", "__rmul__"))
    >>> times.formulas(2).forward, times.ident
    ('a * b', 'mul')
    """
    names = tuple(inputs.split())
    if len(local) != len(names):
        raise ValueError(f"rule {name!r}: {len(names)} inputs but {len(local)} local derivatives")
    domain = row.pop("domain", (ANY,) * len(names))
    return Rule(name, names, forward, local, doc, display, domain=domain, **row)


def terms_rule(name: str, terms: Terms, doc: str, **row: Any) -> Rule:
    """Make an n-ary row from its Terms (its callables are loops generated from the formulas).

    >>> squares = terms_rule("sumsq", Terms(("x",), "x * x", ("2.0 * x",)), "x0**2 + x1**2 + ...")
    >>> squares.formulas(2).forward, squares.arity
    ('0.0 + x0 * x0 + x1 * x1', None)
    """
    domain = row.pop("domain", (ANY,) * (len(terms.inputs) + len(terms.extra)))
    return Rule(name, (), "", (), doc, terms=terms, domain=domain, **row)


class _Rules(dict):  # type: ignore[type-arg]
    """The table: a dict of rows by name that also answers for every constant power ``'**<c>'``.

    A number exponent is recorded as a one-parent node of op ``'**2'`` (micrograd's spelling), so
    each exponent is a row of its own, made the first time it is asked for and kept in
    ``CONSTANT_POWERS``, not in the table's iteration: listings, generators and completeness checks
    see the fixed rows only.
    """

    def __missing__(self, name: str) -> Rule:
        rule = constant_power_rule(name)
        if rule is None:
            raise KeyError(name)
        return rule

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or (isinstance(name, str) and constant_power_rule(name) is not None)

    def get(self, name: str, default: Any = None) -> Any:
        found = dict.get(self, name)
        if found is not None:
            return found
        rule = constant_power_rule(name) if isinstance(name, str) else None
        return default if rule is None else rule


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        # --- arithmetic ----------------------------------------------------------------------------------
        formula_rule("+", "a b", "a + b", ("1.0", "1.0"), "a + b", methods=("__add__", "__radd__"), syntax="a + b", readable=("1", "1")),  # noqa: E501 (one line per row)
        formula_rule("-", "a b", "a - b", ("1.0", "-1.0"), "a - b", methods=("__sub__", "__rsub__"), syntax="a - b", readable=("1", "−1")),  # noqa: E501 (one line per row)
        formula_rule("*", "a b", "a * b", ("b", "a"), "a * b", methods=("__mul__", "__rmul__"), syntax="a * b", readable=("b", "a")),  # noqa: E501 (one line per row)
        formula_rule(
            "/",
            "a b",
            "div(a, b)",
            ("1.0 / b", "-out / b"),
            "a / b; ZeroDivisionError for b = 0",
            "a / b",
            methods=("__truediv__", "__rtruediv__"),
            syntax="a / b",
            domain=(ANY, Interval(gap=EDGE_MARGIN)),
            readable=("1/b", "−a/b²"),
        ),
        formula_rule(
            "**",
            "a b",
            "pow(a, b)",
            ("pow_base_derivative(a, b, out)", "pow_exponent_derivative(a, b, out)"),
            "a ** b; real results only; d/db is nan for a < 0",
            "a ** b",
            methods=("__pow__", "__rpow__"),
            syntax="a ** b",
            # A negative base has real powers only at integer exponents, where d/db is undefined,
            # so the differentiable domain is a positive base.
            domain=(Interval(EDGE_MARGIN, 5.0), Interval(-POW_EXPONENT_MAX, POW_EXPONENT_MAX)),
            reference="math.pow(a, b)",
            readable=("b·a^(b − 1)", "out·ln(a)"),
            micrograd_op="**{b}",
        ),
        formula_rule("neg", "x", "-x", ("-1.0",), "-x", methods=("__neg__",), syntax="-x", symbol="-x", torch="-x", readable=("−1",)),  # noqa: E501 (one line per row)
        formula_rule(
            "abs",
            "x",
            "abs(x)",
            ("sign(x)",),
            "|x|; abs'(0) = 0",
            methods=("__abs__",),
            syntax="abs(x)",
            domain=(KINK,),
            reference="math.fabs(x)",
            readable=("sign(x)",),
        ),
        # --- exponentials and logarithms -----------------------------------------------------------------
        formula_rule(
            "exp",
            "x",
            "exp(x)",
            ("out",),
            "e ** x; OverflowError above ~709.78",
            domain=(Interval(-10.0, EXP_MAX),),
            reference="math.exp(x)",
            readable=("out",),
        ),
        formula_rule(
            "log",
            "x",
            "log(x)",
            ("1.0 / x",),
            "natural log; ValueError for x <= 0",
            domain=(POSITIVE,),
            reference="math.log(x)",
            readable=("1/x",),
        ),
        formula_rule(
            "sqrt",
            "x",
            "sqrt(x)",
            ("sqrt_derivative(out)",),
            "square root; ValueError for x < 0; sqrt'(0) = inf",
            domain=(POSITIVE,),
            reference="math.sqrt(x)",
            readable=("1/(2·out)",),
        ),
        # --- activations ---------------------------------------------------------------------------------
        formula_rule(
            "tanh",
            "x",
            "tanh(x)",
            ("1.0 - out * out",),
            "hyperbolic tangent; finite for any x",
            domain=(SATURATING,),
            activation=True,
            torch_module="Tanh",
            reference="(math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)",
            readable=("1 − out²",),
        ),
        formula_rule(
            "sigmoid",
            "x",
            "sigmoid(x)",
            ("out * (1.0 - out)",),
            "1 / (1 + e ** -x); finite for any x",
            domain=(SATURATING,),
            activation=True,
            torch_module="Sigmoid",
            reference="1 / (1 + math.exp(-x))",
            readable=("out·(1 − out)",),
        ),
        formula_rule(
            "relu",
            "x",
            "relu(x)",
            ("step(x)",),
            "max(x, 0); relu'(0) = 0",
            domain=(KINK,),
            activation=True,
            torch_module="ReLU",
            reference="max(x, 0.0)",
            readable=("1 if x > 0 else 0",),
            micrograd_op="ReLU",
        ),
        formula_rule(
            "softplus",
            "x",
            "softplus(x)",
            ("sigmoid(x)",),
            "log(1 + e ** x); finite for any x",
            domain=(SATURATING,),
            activation=True,
            torch_module="Softplus",
            # logaddexp(x, 0) = log(1 + e**x) exactly; F.softplus switches to x above a threshold.
            torch="torch.logaddexp(x, torch.zeros_like(x))",
            reference="math.log(1 + math.exp(x))",
            readable=("sigmoid(x)",),
        ),
        formula_rule(
            "leaky_relu",
            "x",
            "x if x > 0.0 else 0.01 * x",
            ("1.0 if x > 0.0 else 0.01",),
            "x for x > 0, else 0.01 x; leaky_relu'(0) = 0.01",
            "leaky_relu(x)",
            domain=(KINK,),
            activation=True,
            torch_module="LeakyReLU",
            torch="torch.nn.functional.leaky_relu(x, 0.01)",
            reference="max(x, 0.01 * x)",
            readable=("1 if x > 0 else 0.01",),
        ),
        formula_rule(
            "softsign",
            "x",
            "x / (1.0 + abs(x))",
            ("1.0 / ((1.0 + abs(x)) * (1.0 + abs(x)))",),
            "x / (1 + |x|); finite for any x",
            domain=(KINK,),  # its second derivative has a kink at 0
            activation=True,
            torch_module="Softsign",
            torch="torch.nn.functional.softsign(x)",
            reference="x / (1 + math.fabs(x))",
            readable=("1/(1 + |x|)²",),
        ),
        # --- trigonometry --------------------------------------------------------------------------------
        formula_rule("sin", "x", "sin(x)", ("cos(x)",), "sine; ValueError for x = ±inf", reference="math.sin(x)", readable=("cos(x)",)),  # noqa: E501 (one line per row)
        formula_rule("cos", "x", "cos(x)", ("-sin(x)",), "cosine; ValueError for x = ±inf", reference="math.cos(x)", readable=("−sin(x)",)),  # noqa: E501 (one line per row)
        # --- fused reductions ----------------------------------------------------------------------------
        terms_rule(
            "sum",
            Terms(("x",), "x", ("1.0",), max_terms=6),
            "x0 + x1 + ... as one node",
            syntax="vsum([x0, x1, ...])",
            reference="math.fsum(xs)",
            readable=("1",),
        ),
        terms_rule(
            "dot",
            Terms(("w", "x"), "w * x", ("x", "w"), start="b", extra=("b",), extra_local=("1.0",), display="w*x"),
            "w0*x0 + ... + b as one node (a neuron's weighted sum)",
            syntax="dot(ws, xs, b)",
            reference="math.fsum([*(w * x for w, x in zip(xs[: len(xs) // 2], xs[len(xs) // 2 : -1])), xs[-1]])",
            readable=("x", "w", "1"),
        ),
    )
}
# The same rows, in the table that also answers for each constant power ('**2', see _Rules).
RULES = _Rules(RULES)


def micrograd_spelling(op: str, exponent: float | None = None) -> str:
    """What micrograd's ``_op`` says for a node of rule ``op`` (``exponent``: a ``**`` node's number exponent).

    >>> micrograd_spelling("relu"), micrograd_spelling("**", 2.0), micrograd_spelling("**"), micrograd_spelling("neg")
    ('ReLU', '**2', '**', 'neg')
    """
    rule = RULES.get(op)
    spelled = rule.micrograd_op if rule is not None and rule.micrograd_op else op
    if "{b}" not in spelled:
        return spelled
    if exponent is None:
        return op
    # micrograd writes f"**{other}" of the number given: 2 for x**2, so an integral exponent shows as an int.
    shown = str(int(exponent)) if float(exponent).is_integer() and abs(exponent) < 1e16 else repr(float(exponent))
    return spelled.replace("{b}", shown)


#: The rows of the constant powers asked for so far, by name (``'**2'``), and their exponents.
CONSTANT_POWERS: dict[str, Rule] = {}
POWER_EXPONENTS: dict[str, float] = {}


def constant_power_name(exponent: float) -> str:
    """The op name (and micrograd's ``_op``) of ``x ** exponent`` for a number exponent.

    >>> constant_power_name(2.0), constant_power_name(-1), constant_power_name(0.5)
    ('**2', '**-1', '**0.5')
    """
    return micrograd_spelling("**", float(exponent))


def _power_readable(exponent: float) -> str:
    """d/dx x ** c as mathematics for the stepper's lines: ``2·x`` for c = 2, ``−1·x^(−2)`` for c = −1.

    >>> _power_readable(2.0), _power_readable(3.0), _power_readable(-1.0), _power_readable(0.5), _power_readable(1.0)
    ('2·x', '3·x²', '−1·x^(−2)', '0.5·x^(−0.5)', '1')
    """

    def number(x: float) -> str:
        text = str(int(x)) if x.is_integer() else repr(x)
        return text.replace("-", "−")

    lowered = exponent - 1.0
    if lowered == 0.0:
        return number(exponent)
    if lowered == 1.0:
        return f"{number(exponent)}·x"
    if lowered == 2.0:
        return f"{number(exponent)}·x²"
    return f"{number(exponent)}·x^({number(lowered)})"


def constant_power_rule(name: str) -> Rule | None:
    """The row of the constant power ``name`` (``'**2'``: x ** 2.0, one input), or None if ``name`` is not one.

    Its formulas have the exponent written in, so every reader of the table (steps, drawings,
    ``compile``, ``create_graph``) works on it as on any one-input row; d/dx is ``**``'s own.

    >>> rule = constant_power_rule("**2")
    >>> rule.inputs, rule.forward_formula, rule.local_formulas, rule.local(3.0, 9.0)
    (('x',), 'pow(x, 2.0)', ('pow_base_derivative(x, 2.0, out)',), (6.0,))
    >>> constant_power_rule("**2.0") is None, constant_power_rule("+") is None
    (True, True)
    """
    found = CONSTANT_POWERS.get(name)
    if found is not None or not name.startswith("**") or len(name) < 3:
        return found
    try:
        exponent = float(name[2:])
    except ValueError:
        return None
    if constant_power_name(exponent) != name:  # one spelling per exponent: '**2', never '**2.0'
        return None
    literal = repr(exponent)

    def forward(x: float) -> float:
        return pow_forward(x, exponent)

    def local(x: Any, out: Any) -> tuple[Any, ...]:
        return (pow_base_derivative(x, exponent, out),)

    rule = Rule(
        name,
        ("x",),
        f"pow(x, {literal})",
        (f"pow_base_derivative(x, {literal}, out)",),
        f"x ** {name[2:]} (a number exponent: one parent, as micrograd records it)",
        f"x ** {name[2:]}",
        syntax=f"x ** {name[2:]}",
        domain=(Interval(EDGE_MARGIN, 5.0),),
        torch=f"x ** {literal}",
        reference=f"math.pow(x, {literal})",
        micrograd_op=name,
        readable=(_power_readable(exponent),),
        callables=(forward, local),
    )
    CONSTANT_POWERS[name] = rule
    POWER_EXPONENTS[name] = exponent
    return rule


def power_exponent(op: str) -> float | None:
    """The exponent of a constant-power op name (``'**2'`` -> 2.0), else None.

    >>> power_exponent("**-1"), power_exponent("*")
    (-1.0, None)
    """
    found = POWER_EXPONENTS.get(op)
    if found is None and op.startswith("**") and constant_power_rule(op) is not None:
        found = POWER_EXPONENTS[op]
    return found
