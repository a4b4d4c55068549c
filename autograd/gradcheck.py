"""Check the engine's gradients of a function against central differences, as PyTorch's ``gradcheck`` does.

The analytic side is what ``backward`` computes; the numeric side treats ``f`` as a black box and
measures it: ``(f(x + eps) - f(x - eps)) / 2 eps``, one input at a time. With ``order=2`` the
second derivatives (the Hessian, from ``create_graph=True``) are compared with central
differences of the analytic first derivatives. A mismatch raises ``GradcheckError`` naming the
input, both numbers and the tolerance, so a failing property test explains itself.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Union

from autograd.value import Grad, Value, gradients

Number = Union[int, float]
#: What ``gradcheck`` may check: a function of Values returning a Value (or a plain number when constant).
Function = Callable[..., Union[Value, Number]]


class GradcheckError(AssertionError):
    """The engine's derivative and the numerical one disagree beyond the tolerance (an ``AssertionError``)."""


def _as_inputs(inputs: Sequence[Value | Number] | Value | Number) -> list[float]:
    sequence: Sequence[Value | Number] = [inputs] if isinstance(inputs, (Value, int, float)) else inputs
    points: list[float] = []
    for i, x in enumerate(sequence):
        data = x.data if isinstance(x, Value) else x
        if not isinstance(data, numbers.Real):
            raise TypeError(f"gradcheck: input {i} is a {type(x).__name__}: {x!r} (expected a real number)")
        if not math.isfinite(data):
            raise ValueError(f"gradcheck: input {i} is {data!r}; derivatives can only be checked at finite points")
        points.append(float(data))
    return points


def _close(analytic: float, numeric: float, atol: float, rtol: float) -> bool:
    # Same test as numpy.allclose / torch.allclose: |a - n| <= atol + rtol * |n|. Non-finite
    # numbers only match themselves, so a nan or inf gradient never passes by accident.
    if not (math.isfinite(analytic) and math.isfinite(numeric)):
        return analytic == numeric
    return abs(analytic - numeric) <= atol + rtol * abs(numeric)


def _float(g: Grad) -> float:
    return g.data if isinstance(g, Value) else float(g)


def _evaluate(f: Function, point: Sequence[float], what: str) -> float:
    """f at ``point`` as a float."""
    # Not under no_grad: f may differentiate internally (gradcheck(grad(g), ...) checks g'').
    with _near_domain_edge(point, what):
        out = f(*(Value(x) for x in point))
    return _float(out) if isinstance(out, Value) else float(out)


class _near_domain_edge:
    """Re-raise a float error hit at a shifted point with where it happened and what to do about it."""

    def __init__(self, point: Sequence[float], what: str) -> None:
        self.point, self.what = point, what

    def __enter__(self) -> None:
        pass

    def __exit__(self, exc_type: type[BaseException] | None, error: BaseException | None, tb: object) -> None:
        if isinstance(error, (ArithmeticError, ValueError)):
            raise ValueError(
                f"gradcheck: f failed at {self.what} = {list(self.point)!r}: {error}; move the inputs further from the edge"
                " of f's domain (or make eps smaller)"
            ) from error


def _first_derivatives(f: Function, point: Sequence[float], *, create_graph: bool = False) -> tuple[list[Value], list[Grad]]:
    xs = [Value(x) for x in point]
    out = f(*xs)
    if not isinstance(out, Value):  # f ignored its inputs: a constant
        if not isinstance(out, numbers.Real):
            raise TypeError(f"gradcheck: f must return a Value (or a number), got {type(out).__name__}: {out!r}")
        return xs, [0.0] * len(xs)
    return xs, gradients(out, xs, create_graph=create_graph)


def _shifted(point: Sequence[float], i: int, eps: float) -> tuple[list[float], list[float], float]:
    """The points x - eps e_i and x + eps e_i, and the distance between them as floats actually hold it."""
    below, above = list(point), list(point)
    below[i] -= eps
    above[i] += eps
    # x + eps rounds, so divide by the step the function really saw, not by 2 * eps.
    return below, above, above[i] - below[i]


def gradcheck(
    f: Function,
    inputs: Sequence[Value | Number] | Value | Number,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    order: int = 1,
) -> bool:
    """Check ``f``'s gradients at ``inputs`` against central differences; raise ``GradcheckError`` on a mismatch.

    ``f`` takes one ``Value`` per input and returns a ``Value``. Each derivative passes when
    ``|analytic - numeric| <= atol + rtol * |numeric|``. ``order=2`` also checks every second
    derivative d²f / dx_i dx_j (from ``create_graph=True``) against central differences of the
    analytic first derivatives. Returns True when everything matches.

    >>> from autograd import gradcheck
    >>> gradcheck(lambda x, y: x * y.exp() + y.sin(), [0.5, -1.0], order=2)
    True
    >>> from autograd import Value
    >>> gradcheck(lambda x: x * Value(x.data), [3.0])  # the second factor is cut off from the graph
    Traceback (most recent call last):
      ...
    autograd.gradcheck.GradcheckError: gradcheck: first derivative mismatch for d f / d inputs[0] at inputs [3.0]
        analytic (engine):            3.0
        numeric (central difference): 6.0   (eps=1e-06)
        |analytic - numeric| = 3.0 > atol + rtol * |numeric| = 1e-05 + 0.001 * 6.0 = 0.00601
    """
    if not eps > 0.0:
        raise ValueError(f"gradcheck: eps must be positive, got {eps!r}")
    if not (atol >= 0.0 and rtol >= 0.0):
        raise ValueError(f"gradcheck: tolerances must be >= 0, got atol={atol!r}, rtol={rtol!r}")
    if order not in (1, 2):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order!r}")
    point = _as_inputs(inputs)
    n = len(point)

    def check(kind: str, derivative: str, analytic: Grad, numeric: float) -> None:
        value = _float(analytic)
        if not _close(value, numeric, atol, rtol):
            allowed = atol + rtol * abs(numeric)
            raise GradcheckError(
                f"gradcheck: {kind} mismatch for {derivative} at inputs {point!r}\n"
                f"    analytic (engine):            {value!r}\n"
                f"    numeric (central difference): {numeric!r}   (eps={eps!r})\n"
                f"    |analytic - numeric| = {abs(value - numeric)!r} > atol + rtol * |numeric| = {atol!r} + {rtol!r} * "
                f"{abs(numeric)!r} = {allowed!r}"
            )

    # First derivatives: the engine's backward vs central differences of f.
    _, analytic = _first_derivatives(f, point)
    numeric = []
    for i in range(n):
        below, above, step = _shifted(point, i, eps)
        numeric.append((_evaluate(f, above, f"inputs[{i}] + eps") - _evaluate(f, below, f"inputs[{i}] - eps")) / step)
        check("first derivative", f"d f / d inputs[{i}]", analytic[i], numeric[i])
    if order == 1:
        return True

    # The create_graph path evaluates the rules' derivative formulas on Values, a different code
    # path from eager backward, so check its first derivatives too before differentiating them.
    xs, first = _first_derivatives(f, point, create_graph=True)
    for i in range(n):
        check("first derivative (create_graph=True)", f"d f / d inputs[{i}]", first[i], numeric[i])
    hessian = [gradients(g, xs) if isinstance(g, Value) else [0.0] * n for g in first]
    for j in range(n):
        # Column j of the Hessian, numerically: how the analytic first derivatives move with inputs[j].
        below, above, step = _shifted(point, j, eps)
        with _near_domain_edge(above, f"inputs[{j}] + eps"):
            first_above = _first_derivatives(f, above)[1]
        with _near_domain_edge(below, f"inputs[{j}] - eps"):
            first_below = _first_derivatives(f, below)[1]
        for i in range(n):
            numeric_ij = (_float(first_above[i]) - _float(first_below[i])) / step
            check("second derivative", f"d²f / d inputs[{i}] d inputs[{j}]", hessian[i][j], numeric_ij)
    return True
