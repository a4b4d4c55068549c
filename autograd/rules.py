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
The two fused n-ary reductions (``sum``, ``dot``) are plain functions instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# ---------------------------------------------------------------------------------------------
# Forward functions on floats, with float-like errors that name the op and the input.
# ---------------------------------------------------------------------------------------------


def _domain_error(op: str, x: float, rule: str) -> ValueError:
    return ValueError(f"{op}: input {x!r} is outside the domain ({rule})")


def div_forward(a: float, b: float) -> float:
    """a / b, raising ZeroDivisionError that names the op when b is 0."""
    if b == 0.0:
        raise ZeroDivisionError(f"div: {a!r} / {b!r} divides by zero")
    return a / b


def pow_forward(a: float, b: float) -> float:
    """a ** b over the reals: errors for 0 ** negative, negative ** non-integer and overflow."""
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
    """e ** x, raising OverflowError that names the op for x above ~709.78."""
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: input {x!r} overflows a float (exp is finite only below ~709.78)") from None


def log_forward(x: float) -> float:
    """Natural log, raising ValueError that names the op for x <= 0 (and nan)."""
    if not x > 0.0:  # written this way round so that nan is refused too
        raise _domain_error("log", x, "x > 0")
    return math.log(x)


def sqrt_forward(x: float) -> float:
    """Square root, raising ValueError that names the op for x < 0 (and nan)."""
    if not x >= 0.0:
        raise _domain_error("sqrt", x, "x >= 0")
    return math.sqrt(x)


def sigmoid_forward(x: float) -> float:
    """1 / (1 + e ** -x) without overflow: sigmoid(-1000) is 0.0 and sigmoid(1000) is 1.0."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def softplus_forward(x: float) -> float:
    """log(1 + e ** x) = max(x, 0) + log1p(e ** -|x|): no overflow for large x, no lost digits for small."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def relu_forward(x: float) -> float:
    """max(x, 0)."""
    return x if x > 0.0 else 0.0


# ---------------------------------------------------------------------------------------------
# Helpers for local derivatives. Each accepts a float or a Value (Value has a method of the same
# name), so one formula serves eager mode and create_graph=True.
# ---------------------------------------------------------------------------------------------


def _data(x: Any) -> float:
    # ``==`` on a Value is identity (so Values work in sets), so compare numbers, not nodes.
    return x if isinstance(x, float) else float(x.data)


def step(x: Any) -> float:
    """relu'(x): 1 for x > 0, else 0. relu'(0) = 0, so a unit exactly at the kink does not learn (as in PyTorch)."""
    return 1.0 if x > 0.0 else 0.0


def sign(x: Any) -> float:
    """abs'(x): -1, 0 or 1. abs'(0) = 0, the subgradient PyTorch and JAX pick."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


def sqrt_derivative(out: Any) -> Any:
    """sqrt'(x) = 1 / (2 sqrt x); +inf at 0 (a vertical tangent), where 0.5 / 0.0 would raise."""
    return math.inf if _data(out) == 0.0 else 0.5 / out


def pow_base_derivative(a: Any, b: Any, out: Any) -> Any:
    """d/da a ** b = b * a ** (b - 1), written out at a = 0 where 0.0 ** negative raises."""
    if _data(a) == 0.0:
        exponent = _data(b)
        # 1 for b == 1, +inf for 0 < b < 1 (vertical tangent), 0 for b > 1 and b == 0.
        return 1.0 if exponent == 1.0 else (math.inf if 0.0 < exponent < 1.0 else 0.0)
    return b * a ** (b - 1.0)


def pow_exponent_derivative(a: Any, b: Any, out: Any) -> Any:
    """d/db a ** b = a ** b * log(a); 0 at a = 0 (the limit along a = 0) and nan for a < 0, as in PyTorch."""
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

    @property
    def arity(self) -> int | None:
        """Number of inputs, or None for n-ary rules."""
        return len(self.inputs) if self.inputs else None


def formula_rule(name: str, inputs: str, forward: str, local: tuple[str, ...], doc: str) -> Rule:
    """Make a row from formulas: ``formula_rule("*", "a b", "a * b", ("b", "a"), "product")``."""
    names = tuple(inputs.split())
    if len(local) != len(names):
        raise ValueError(f"rule {name!r}: {len(names)} inputs but {len(local)} local derivatives")
    args = ", ".join(names)
    forward_fn = eval(f"lambda {args}: {forward}", dict(FLOAT_HELPERS))
    local_fn = eval(f"lambda {args}, out: ({', '.join(local)},)", dict(GENERIC_HELPERS))
    return Rule(name, names, forward, local, forward_fn, local_fn, doc)


# ---------------------------------------------------------------------------------------------
# The fused n-ary reductions: one node with many parents keeps a network's graph small.
# ---------------------------------------------------------------------------------------------


def _sum_forward(*xs: float) -> float:
    total = 0.0
    for x in xs:
        total += x
    return total


def _sum_local(*inputs_and_out: Any) -> tuple[float, ...]:
    return (1.0,) * (len(inputs_and_out) - 1)


def _dot_forward(*inputs: float) -> float:
    # inputs are w0..w(n-1), x0..x(n-1), b
    n = len(inputs) // 2
    total = inputs[-1]
    for w, x in zip(inputs[:n], inputs[n : 2 * n]):
        total += w * x
    return total


def _dot_local(*inputs_and_out: Any) -> tuple[Any, ...]:
    inputs = inputs_and_out[:-1]
    n = len(inputs) // 2
    # d/dw_i = x_i, d/dx_i = w_i, d/db = 1
    return (*inputs[n : 2 * n], *inputs[:n], 1.0)


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        # --- arithmetic ----------------------------------------------------------------------------------
        formula_rule("+", "a b", "a + b", ("1.0", "1.0"), "a + b"),
        formula_rule("-", "a b", "a - b", ("1.0", "-1.0"), "a - b"),
        formula_rule("*", "a b", "a * b", ("b", "a"), "a * b"),
        formula_rule("/", "a b", "div(a, b)", ("1.0 / b", "-out / b"), "a / b; ZeroDivisionError for b = 0"),
        formula_rule(
            "**",
            "a b",
            "pow(a, b)",
            ("pow_base_derivative(a, b, out)", "pow_exponent_derivative(a, b, out)"),
            "a ** b; real results only; d/db is nan for a < 0",
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
        Rule("sum", (), "", (), _sum_forward, _sum_local, "x0 + x1 + ... as one node"),
        Rule("dot", (), "", (), _dot_forward, _dot_local, "w0*x0 + ... + b as one node (a neuron's weighted sum)"),
    )
}
