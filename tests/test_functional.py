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


def test_grad_differentiates_the_first_argument_by_default_as_jax() -> None:
    """grad(f)(x, y) is df/dx only (JAX's argnums=0); an int argnums gives one gradient, a tuple a tuple."""
    f = lambda x, y: x * y + y.exp()
    assert grad(f)(2.0, 0.0) == 0.0
    assert grad(f, argnums=1)(2.0, 0.0) == 3.0
    assert grad(f, argnums=(0, 1))(2.0, 0.0) == (0.0, 3.0)
    assert grad(f, argnums=(1,))(2.0, 0.0) == (3.0,)
    assert grad(f, argnums=-1)(2.0, 0.0) == 3.0


def test_value_and_grad_returns_both() -> None:
    """value_and_grad(f, argnums=(0, 1))(x, y) returns f's value and the partials, as floats."""
    value, partials = value_and_grad(lambda x, y: x * y + y, argnums=(0, 1))(2.0, 3.0)
    assert (value, partials) == (9.0, (3.0, 3.0))
    assert type(value) is float
    assert value_and_grad(lambda x, y: x * y + y)(2.0, 3.0) == (9.0, 3.0)


def test_has_aux_passes_the_auxiliary_output_through() -> None:
    """has_aux=True: f returns (output, aux); grad gives (gradient, aux), value_and_grad ((value, aux), gradient)."""
    f = lambda x: (x * x, {"note": x.data})
    assert grad(f, has_aux=True)(3.0) == (6.0, {"note": 3.0})
    assert value_and_grad(f, has_aux=True)(3.0) == ((9.0, {"note": 3.0}), 6.0)
    with pytest.raises(TypeError, match="has_aux=True needs f to return a pair"):
        grad(lambda x: x * x, has_aux=True)(3.0)


def mul(x: Value, y: Value) -> Value:
    """x * y, a named function for the error messages."""
    return x * y


def test_bad_argnums_are_refused_naming_them() -> None:
    """argnums out of range or not ints raise, naming the argnums and the function."""
    with pytest.raises(ValueError, match="argnums 2 is out of range"):
        grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums must be an int"):
        grad(lambda x: x, argnums="0")(1.0)



@pytest.mark.parametrize("argnums", [1.0, None, (0, 1.0), True])
def test_argnums_of_the_wrong_type_get_the_argnums_error_naming_grad(argnums: Any) -> None:
    """A float, None, a float inside a tuple or a bool as argnums is refused as argnums, in grad's own name."""
    with pytest.raises(TypeError, match=r"^grad\(mul\): argnums must be an int or a tuple of ints, got "):
        grad(mul, argnums=argnums)(1.0, 2.0)
    with pytest.raises(TypeError, match=r"^value_and_grad\(mul\): argnums must be an int or a tuple of ints"):
        value_and_grad(mul, argnums=argnums)(1.0, 2.0)


@pytest.mark.parametrize(
    ("result", "shown"),
    [
        ((Value(1.0), "aux"), r"tuple: .*pass has_aux=True"),
        ([Value(1.0)], "list: "),
        ("1.0", "str: '1.0'"),
        (None, "NoneType: None$"),
    ],
)
def test_a_non_scalar_output_is_refused_naming_it(result: Any, shown: str) -> None:
    """f must return one Value or number (jax.grad's rule), else TypeError naming grad(f) and what f gave."""
    with pytest.raises(TypeError, match=r"^grad\(<lambda>\): f must return one Value or number .*got " + shown):
        grad(lambda x: result)(1.0)

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
    assert value_and_grad(lambda x, y: 4.0, argnums=(0, 1))(1.0, 2.0) == (4.0, (0.0, 0.0))
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
    value, partials = value_and_grad(expr, argnums=tuple(range(expr.n_inputs)))(*expr.inputs)
    assert value == out.data
    expected = [x.grad for x in xs]
    assert isinstance(partials, tuple) and list(partials) == expected


@given(expressions(min_inputs=1, max_inputs=1, max_ops=6))
def test_grad_of_grad_matches_central_differences(expr: Expression) -> None:
    """grad(expr), evaluated on Values, is itself differentiable correctly: its derivative is f''."""
    assert gradcheck(grad(expr), expr.inputs)
