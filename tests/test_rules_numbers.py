"""The derivative helpers of ``autograd/rules.py`` at the edges of floats: overflow, nan, errors (both engines).

valuegrad's choice, as PyTorch's: where a node's forward is finite but a local derivative is past
the largest float, the derivative is -inf or +inf (no error), the same in eager mode, in
``backward`` and in ``create_graph=True``; a nan first derivative has nan second derivatives.
"""

from __future__ import annotations

import itertools
import math

import pytest

from autograd import RULES, Value, apply

#: Inputs at the edges of floats: zeros, tiny and huge numbers, the overflow point of exp, infinities, nan.
EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -2.0, 3.5, 1e-200, -1e-200, 1e-150, 1e200, 5e-324, 710.0, math.inf, -math.inf, math.nan]


def test_a_finite_power_whose_derivative_overflows_has_an_infinite_derivative() -> None:
    """1e-200 ** -1 = 1e200 is finite; its derivative -1e400 is not: -inf, as PyTorch gives (it raised a bare OverflowError)."""
    x = Value(1e-200)
    y = x ** Value(-1.0)
    assert y.data == 1e200 and y.local_grads[0] == -math.inf
    y.backward()
    assert x.grad == -math.inf
    z = Value(-1e-200) ** Value(-1.0)  # a negative base: the derivative -(-1e-200) ** -2 = -1e400 keeps its sign
    assert z.data == -1e200 and z.local_grads[0] == -math.inf


def test_a_power_with_a_number_exponent_takes_the_same_choice() -> None:
    """``x ** -1`` (a number exponent) records the same derivative as ``x ** Value(-1)``: -inf, no error."""
    x = Value(1e-200)
    y = x**-1
    y.backward()
    assert y.data == 1e200 and x.grad == -math.inf


def test_create_graph_gives_the_eager_derivatives_where_they_overflow() -> None:
    """create_graph=True no longer fails where eager mode works: a finite first derivative with an infinite second,
    and an infinite first derivative, as in eager mode (PyTorch: -1e300 then inf; -inf)."""
    x = Value(1e-150)
    (x ** Value(-1.0)).backward(create_graph=True)
    first = x.grad_value
    assert first is not None and first.data == pytest.approx(-1e300)
    x.zero_grad()
    first.backward()
    assert x.grad == math.inf
    tiny = Value(1e-200)
    (tiny ** Value(-1.0)).backward(create_graph=True)
    assert tiny.grad_value is not None and tiny.grad_value.data == -math.inf == tiny.grad


def test_second_derivatives_of_a_nan_first_derivative_are_nan() -> None:
    """(-2) ** 3: d/db is nan (log of a negative base); every second derivative through it is nan, as PyTorch's
    (which gives d2/da2 = -12, d2/da db = d2/db da = d2/db2 = nan); they were finite (0.0)."""
    a, b = Value(-2.0), Value(3.0)
    (a**b).backward(create_graph=True)
    da, db = a.grad_value, b.grad_value
    assert da is not None and db is not None and da.data == 12.0 and math.isnan(db.data)
    seconds = []
    for first in (da, db):
        a.grad = b.grad = 0.0
        first.backward()
        seconds.append((a.grad, b.grad))
    (daa, dab), (dba, dbb) = seconds
    assert daa == -12.0 and math.isnan(dab) and math.isnan(dba) and math.isnan(dbb)


def test_the_choices_match_pytorch() -> None:
    """The same numbers from PyTorch (float64), computed here when it is installed."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional)")
    x = torch.tensor(1e-200, dtype=torch.float64, requires_grad=True)
    (x**-1).backward()
    assert x.grad is not None and x.grad.item() == -math.inf
    a = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    da, db = torch.autograd.grad(a**b, (a, b), create_graph=True)
    dba, dbb = torch.autograd.grad(db, (a, b), retain_graph=True)
    assert math.isnan(db.item()) and math.isnan(dba.item()) and math.isnan(dbb.item())
    assert torch.autograd.grad(da, a)[0].item() == -12.0


@pytest.mark.parametrize("op", sorted(RULES))
def test_every_error_while_recording_names_the_op(op: str) -> None:
    """Over edge inputs, every overflow or domain error raised by an op, eagerly or while create_graph=True
    records the derivatives' graph, starts with the name of the op that raised (its message also holds the inputs)."""
    rule = RULES[op]
    terms = rule.terms
    arity = rule.arity or (len(terms.inputs) + len(terms.extra) if terms is not None else 2)  # n-ary: one whole term
    named = ("pow:", "div:", "exp:", "log:", "sqrt:", "sin:", "cos:", f"{op}:")
    for inputs in itertools.product(EDGES, repeat=arity):
        try:
            xs = [Value(x) for x in inputs]
            y = apply(op, *xs)
            y.backward(create_graph=True)
        except (ArithmeticError, ValueError) as error:
            assert str(error).startswith(named), (op, inputs, error)
