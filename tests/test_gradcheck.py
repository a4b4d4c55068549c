"""gradcheck: passes on correct gradients, and a wrong one fails with the input, both numbers and the tolerance."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import assume, given

from autograd import RULES, GradcheckError, Rule, Value, apply, grad, gradcheck, gradients
from autograd.testing import Expression, expressions


@given(expressions())
def test_random_graphs_pass_first_order(expr: Expression) -> None:
    """The engine's gradients of any in-domain random graph match central differences."""
    assert gradcheck(expr, expr.inputs) is True


@given(expressions(max_ops=6))
def test_random_graphs_pass_second_order(expr: Expression) -> None:
    """The engine's Hessian (create_graph=True) of any in-domain random graph matches differences of its gradients."""
    assert gradcheck(expr, expr.inputs, order=2) is True


@given(expressions())
def test_a_gradient_off_by_a_factor_of_two_is_caught(expr: Expression) -> None:
    """Adding a detached copy of f doubles the true derivative but not the engine's: gradcheck must fail."""
    xs = [Value(x) for x in expr.inputs]
    true_grads = [float(g) for g in gradients(expr(*xs), xs)]
    assume(any(abs(g) > 1e-2 for g in true_grads))

    def half_detached(*vs: Value) -> Value:
        out = expr(*vs)
        return out + Value(out.data)

    with pytest.raises(GradcheckError, match=r"first derivative mismatch for d f / d inputs\[\d\]"):
        gradcheck(half_detached, expr.inputs)


def test_failure_names_the_input_and_both_numbers() -> None:
    """The message says which input, the analytic and the numeric derivative, and the tolerance it broke."""

    def f(x: Value, y: Value) -> Value:
        return x * y + y * Value(y.data)  # d/dy is x + 2y = 8, the engine sees x + y = 5

    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, [2.0, 3.0])
    message = str(caught.value)
    assert "d f / d inputs[1] at inputs [2.0, 3.0]" in message
    assert re.search(r"analytic \(engine\):\s+5\.0\n", message)
    numeric = float(re.search(r"numeric \(central difference\): (\S+)", message).group(1))  # type: ignore[union-attr]
    assert numeric == pytest.approx(8.0, rel=1e-9)
    assert re.search(r"> atol \+ rtol \* \|numeric\| = 1e-05 \+ 0\.001 \* 8\.0\d* = 0\.00801", message)


def test_gradcheck_error_is_an_assertion_error() -> None:
    """GradcheckError subclasses AssertionError, so test runners report it as a failed assertion."""
    assert issubclass(GradcheckError, AssertionError)


def test_tolerances_decide_and_are_keyword_only() -> None:
    """A small error fails the default tolerances, passes looser ones, and tolerances cannot be passed positionally."""

    def slightly_wrong(x: Value) -> Value:
        return x + 1e-2 * x * Value(x.data)  # derivative off by 1e-2 * x

    with pytest.raises(GradcheckError):
        gradcheck(slightly_wrong, [1.0])
    assert gradcheck(slightly_wrong, [1.0], atol=0.1)
    assert gradcheck(slightly_wrong, [1.0], rtol=0.1)
    positional: Any = gradcheck
    with pytest.raises(TypeError):
        positional(slightly_wrong, [1.0], 1e-6)


def wrong_rule(monkeypatch: pytest.MonkeyPatch, value_local: Any) -> None:
    """Register 'square' whose derivative is right on floats (eager backward) but ``value_local`` on Values."""

    def local(x: Any, out: Any) -> tuple[Any, ...]:
        return (2.0 * x,) if isinstance(x, float) else (value_local(x),)

    rule = Rule("square", ("x",), "x * x", ("2.0 * x",), "x squared (deliberately wrong)", callables=(lambda x: x * x, local))
    monkeypatch.setitem(RULES, "square", rule)


def test_a_wrong_second_derivative_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule whose derivative is right in value but cut from the graph passes order=1 and fails order=2."""
    wrong_rule(monkeypatch, lambda x: 2.0 * Value(x.data))
    square = lambda x: apply("square", x)
    assert gradcheck(square, [1.5])
    with pytest.raises(GradcheckError, match=r"second derivative mismatch for d²f / d inputs\[0\] d inputs\[0\]") as caught:
        gradcheck(square, [1.5], order=2)
    assert re.search(r"analytic \(engine\):\s+0\.0\n", str(caught.value))


def test_a_wrong_create_graph_first_derivative_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule whose Value formula disagrees with its float formula fails order=2 at the first derivative."""
    wrong_rule(monkeypatch, lambda x: 3.0 * x)
    with pytest.raises(GradcheckError, match=r"first derivative \(create_graph=True\) mismatch"):
        gradcheck(lambda x: apply("square", x), [1.5], order=2)


def test_second_order_checks_mixed_partials(monkeypatch: pytest.MonkeyPatch) -> None:
    """order=2 checks d²f / dx dy, not only the diagonal: a product whose d/da forgets b in the graph is caught."""

    def local(a: Any, b: Any, out: Any) -> tuple[Any, ...]:
        return (b, a) if isinstance(a, float) else (Value(b.data), a)

    rule = Rule("product", ("a", "b"), "a * b", ("b", "a"), "a * b (deliberately wrong)", callables=(lambda a, b: a * b, local))
    monkeypatch.setitem(RULES, "product", rule)
    with pytest.raises(GradcheckError, match=r"second derivative mismatch for d²f / d inputs\[0\] d inputs\[1\]"):
        gradcheck(lambda a, b: apply("product", a, b), [0.5, 2.0], order=2)
    assert gradcheck(lambda a, b: a * b, [0.5, 2.0], order=2)


def test_kinks_are_reported_not_smoothed() -> None:
    """At relu's kink the engine says 0 and the central difference says 0.5: gradcheck reports it."""
    with pytest.raises(GradcheckError, match=r"analytic \(engine\):\s+0\.0\n\s+numeric \(central difference\): 0\.5"):
        gradcheck(lambda x: x.relu(), [0.0])


def test_inputs_may_be_numbers_values_or_a_single_number() -> None:
    """inputs accepts ints, floats, Values and a lone number; constant functions pass."""
    assert gradcheck(lambda x, y: x * y, [2, Value(3.0)])
    assert gradcheck(lambda x: x.exp(), 0.5)
    assert gradcheck(lambda x: 4.0, [1.0], order=2)
    assert gradcheck(lambda x, y: x * 2.0, [1.0, 5.0], order=2)  # y is unused: zero gradient both ways


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"eps": 0.0}, "eps must be positive"), ({"atol": -1.0}, "tolerances must be >= 0"), ({"order": 3}, "order must be 1 or 2")],
)
def test_bad_settings_are_refused(kwargs: dict[str, Any], message: str) -> None:
    """Non-positive eps, negative tolerances and unsupported orders raise ValueError naming the setting."""
    with pytest.raises(ValueError, match=message):
        gradcheck(lambda x: x, [1.0], **kwargs)


def test_bad_inputs_are_refused() -> None:
    """Non-finite and non-numeric inputs are refused with their index."""
    with pytest.raises(ValueError, match="input 1 is nan"):
        gradcheck(lambda x, y: x * y, [1.0, math.nan])
    bad: Any = ["one"]
    with pytest.raises(TypeError, match="input 0 is a str"):
        gradcheck(lambda x: x, bad)


def test_f_must_return_a_value() -> None:
    """A function returning something else than a Value or a number is refused, naming what it returned."""
    pair: Any = lambda x: (x, x)
    with pytest.raises(TypeError, match=r"f must return a Value .* got tuple"):
        gradcheck(pair, [1.0])


def test_leaving_the_domain_at_a_shifted_point_says_where() -> None:
    """sqrt at 0: f fails at x - eps, reported as a ValueError naming the shifted input and the op's own error."""
    with pytest.raises(ValueError, match=r"f failed at inputs\[0\] - eps = \[-1e-06\]: sqrt: input -1e-06 is outside"):
        gradcheck(lambda x: x.sqrt(), [0.0])


def test_functions_that_differentiate_inside_are_checked_correctly() -> None:
    """f may call grad itself (f = g'): gradcheck evaluates it with recording on, so it checks g'' = 6x."""
    derivative: Any = grad(lambda x: x**3)
    assert gradcheck(derivative, [2.0])
    assert gradcheck(lambda x: derivative(x) * 0.0 + 3 * x * x + Value(0.0), [2.0])
    with pytest.raises(GradcheckError, match=r"analytic \(engine\):\s+12\.0\n\s+numeric \(central difference\): 24\.0"):
        gradcheck(lambda x: derivative(x) + derivative(Value(x.data)), [2.0])
