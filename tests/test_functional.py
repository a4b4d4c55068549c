"""grad and value_and_grad: partial derivatives as functions, nested for higher orders."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given

from autograd import Value, gradcheck, gradients, value_and_grad
from autograd import grad as grad_
from autograd.testing import Expression, expressions

# grad's annotation does not (yet) accept its own result as an argument, so nesting goes through Any.
grad: Any = grad_


def test_grad_of_one_argument_is_a_float() -> None:
    """grad(f)(x) with a float x returns the derivative as a float."""
    d = grad(lambda x: x**3)(2.0)
    assert type(d) is float and d == 12.0


def test_grad_of_several_arguments_is_a_tuple() -> None:
    """grad(f)(x, y) returns (df/dx, df/dy)."""
    assert grad(lambda x, y: x * y + y.exp())(2.0, 0.0) == (0.0, 2.0 + 1.0)


def test_value_and_grad_returns_both() -> None:
    """value_and_grad(f)(x, y) returns f's value and the partials, as floats."""
    value, partials = value_and_grad(lambda x, y: x * y + y)(2.0, 3.0)
    assert (value, partials) == (9.0, (3.0, 3.0))
    assert type(value) is float


def test_grad_of_grad_gives_higher_derivatives() -> None:
    """grad(grad(f)) is f'' and grad(grad(grad(f))) is f''': for x³ at 2, 12 and 6."""
    cube = lambda x: x**3
    assert grad(grad(cube))(2.0) == 12.0
    assert grad(grad(grad(cube)))(2.0) == 6.0
    assert grad(grad(lambda x: x.sin()))(0.5) == pytest.approx(-math.sin(0.5), rel=1e-15)


def test_values_in_give_values_out_and_write_no_grad() -> None:
    """Called with Values, grad returns differentiable Values and leaves the inputs' grad untouched."""
    x = Value(2.0)
    d = grad(lambda v: v**3)(x)
    assert isinstance(d, Value) and d.data == 12.0
    assert x.grad == 0.0
    assert gradients(d, [x]) == [12.0]


def test_constant_function_has_zero_gradient() -> None:
    """A function that ignores its inputs has zero partials (and its value passes through)."""
    assert value_and_grad(lambda x, y: 4.0)(1.0, 2.0) == (4.0, (0.0, 0.0))
    assert grad(lambda x: 7)(1.0) == 0.0


def test_wrapped_functions_are_named_after_f() -> None:
    """grad(f) and value_and_grad(f) carry f's name, so tracebacks say which function."""

    def loss(x: Value) -> Value:
        return x * x

    assert grad(loss).__name__ == "grad(loss)"
    assert value_and_grad(loss).__name__ == "value_and_grad(loss)"


@given(expressions())
def test_value_and_grad_agrees_with_backward(expr: Expression) -> None:
    """value_and_grad(expr) gives expr's value and exactly backward's gradients."""
    xs = [Value(x) for x in expr.inputs]
    out = expr(*xs)
    out.backward()
    value, partials = value_and_grad(expr)(*expr.inputs)
    assert value == out.data
    expected = [x.grad for x in xs]
    got = list(partials) if isinstance(partials, tuple) else [partials]
    assert got == expected


@given(expressions(min_inputs=1, max_inputs=1, max_ops=6))
def test_grad_of_grad_matches_central_differences(expr: Expression) -> None:
    """grad(expr), evaluated on Values, is itself differentiable correctly: its derivative is f''."""
    assert gradcheck(grad(expr), expr.inputs)
