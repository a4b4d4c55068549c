"""The rules table: every operator's forward and derivatives, checked over its whole valid domain."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import RULES, Value, apply, gradcheck, gradients
from autograd.rules import FLOAT_HELPERS, GENERIC_HELPERS
from autograd.testing import DOMAINS
from tests.replaycheck import assert_matches_eager

OPS = sorted(RULES)


def _lambda(parameters: str, body: str, scope: dict[str, Any]) -> Callable[..., Any]:
    """A function made from a row's text (test code: the rows say how each op is written)."""
    function: Callable[..., Any] = eval(f"lambda {parameters}: {body}", scope)
    return function


#: Each fixed-arity rule as users write it (the row's ``syntax``): the generated ``Value`` methods, not ``apply``.
SYNTAX: dict[str, Callable[..., Value]] = {
    name: _lambda(", ".join(rule.inputs), rule.written_as, {}) for name, rule in RULES.items() if rule.arity is not None
}

#: Independent textbook formulas for each forward (the row's ``reference``; default: the rule's own forward on ``math``).
#: Rules whose forward is plain arithmetic need no second formula: the reference is how it is written.
PLAIN = {"+", "-", "*", "/", "neg"}
REFERENCE: dict[str, Callable[..., float]] = {
    name: _lambda(
        "*xs" if rule.arity is None else ", ".join(rule.inputs),
        rule.written_as if name in PLAIN else rule.reference,
        {"math": math},
    )
    for name, rule in RULES.items()
    if rule.reference or name in PLAIN
}

def test_every_rule_has_a_domain_strategy() -> None:
    """Adding a rule without a domain in autograd.testing.DOMAINS (or leaving a stale one) fails here."""
    assert set(DOMAINS) == set(RULES)


def test_every_rule_has_operator_syntax_and_a_reference() -> None:
    """Every row says how users write it and gives a textbook formula (plain arithmetic is its own), so no op escapes."""
    assert set(SYNTAX) == {name for name, rule in RULES.items() if rule.arity is not None}
    assert set(REFERENCE) == set(RULES)


def test_every_rule_documents_itself() -> None:
    """Each row has a doc line for the README's operator table and formulas matching its inputs."""
    for name, rule in RULES.items():
        assert rule.doc.strip(), name
        assert len(rule.local_formulas) == len(rule.inputs), name


@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
def test_apply_gradients_match_central_differences(op: str, data: st.DataObject) -> None:
    """First and second derivatives of apply(op, ...) match central differences everywhere in op's domain."""
    args = data.draw(DOMAINS[op].arguments, label="args")
    assert gradcheck(lambda *xs: apply(op, *xs), args, order=2)


@pytest.mark.parametrize("op", sorted(SYNTAX))
@given(data=st.data())
def test_operator_syntax_gradients_match_central_differences(op: str, data: st.DataObject) -> None:
    """The generated operator methods (a + b, x.log(), ...) have the same correct first and second derivatives."""
    args = data.draw(DOMAINS[op].arguments, label="args")
    assert gradcheck(SYNTAX[op], args, order=2)


@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
def test_compiled_replay_matches_eager_for_every_rule(op: str, data: st.DataObject) -> None:
    """The trace/replay path (generated from the same formulas) gives eager's value and gradients, for every rule."""
    args = data.draw(DOMAINS[op].arguments, label="args")
    assert_matches_eager(lambda *xs: apply(op, *xs), *args)


@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
def test_forward_matches_textbook_formula(op: str, data: st.DataObject) -> None:
    """Each rule's forward agrees with an independent formula to within a few ulps."""
    args = data.draw(DOMAINS[op].arguments, label="args")
    got = apply(op, *args).data
    assert math.isclose(got, REFERENCE[op](*args), rel_tol=1e-12, abs_tol=1e-12), (op, args)


@pytest.mark.parametrize("op", sorted(SYNTAX))
@given(data=st.data())
def test_operator_syntax_and_apply_record_the_same_node(op: str, data: st.DataObject) -> None:
    """Generated methods and apply() compute the same data, op, parents and local derivatives."""
    args = data.draw(DOMAINS[op].arguments, label="args")
    xs = [Value(a) for a in args]
    by_syntax, by_apply = SYNTAX[op](*xs), apply(op, *xs)
    assert by_syntax.data == by_apply.data
    assert by_syntax.op == by_apply.op == op
    assert by_syntax.parents == by_apply.parents == tuple(xs)
    assert by_syntax.local_grads == by_apply.local_grads


@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
def test_local_formulas_agree_on_floats_and_values(op: str, data: st.DataObject) -> None:
    """rule.local gives the same numbers on floats (eager backward) and on Values (create_graph=True)."""
    args = data.draw(DOMAINS[op].arguments, label="args")
    rule = RULES[op]
    out = rule.forward(*args)
    on_floats = rule.local(*args, out)
    on_values = rule.local(*(Value(a) for a in args), Value(out))
    assert [float(x) for x in on_values] == pytest.approx([float(x) for x in on_floats], rel=1e-15, abs=0.0)


@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
def test_callables_compute_the_formulas_text_bit_for_bit(op: str, data: st.DataObject) -> None:
    """Evaluating rule.formulas(n)'s text (what replay and the listings use) gives rule.forward/.local exactly."""
    args = data.draw(DOMAINS[op].arguments, label="args")
    rule = RULES[op]
    formulas = rule.formulas(len(args))
    assert len(formulas.inputs) == len(formulas.local) == len(args)
    scope = dict(zip(formulas.inputs, args))
    out = eval(formulas.forward, dict(FLOAT_HELPERS), scope)
    assert out == rule.forward(*args) or (math.isnan(out) and math.isnan(rule.forward(*args)))
    for on in (args, [Value(a) for a in args]):
        names = {**dict(zip(formulas.inputs, on)), "out": out if on is args else Value(out)}
        text_locals = [float(eval(f, dict(GENERIC_HELPERS), names)) for f in formulas.local]
        rule_locals = [float(x) for x in rule.local(*on, names["out"])]
        assert text_locals == pytest.approx(rule_locals, rel=0.0, abs=0.0, nan_ok=True), (op, args)


@pytest.mark.parametrize(("op", "n"), [("dot", 2), ("dot", 0), ("*", 3)])
def test_formulas_for_a_wrong_number_of_inputs_name_the_rule(op: str, n: int) -> None:
    """Asking a rule for formulas at a parent count it cannot have raises ValueError naming the rule."""
    with pytest.raises(ValueError, match=f"rule '{re.escape(op)}'"):
        RULES[op].formulas(n)


def first_and_second_derivative(fn: Callable[[Value], Value], x: float) -> tuple[float, float]:
    """d fn / dx and d² fn / dx² at x through create_graph=True."""
    v = Value(x)
    (first,) = gradients(fn(v), [v], create_graph=True)
    second = gradients(first, [v])[0] if isinstance(first, Value) else 0.0
    return float(first), float(second)


def test_relu_derivative_at_the_kink_is_zero() -> None:
    """relu'(0) = 0 (documented subgradient), and so is relu''(0)."""
    assert first_and_second_derivative(lambda x: x.relu(), 0.0) == (0.0, 0.0)
    assert RULES["relu"].doc.count("relu'(0) = 0") == 1


def test_abs_derivative_at_the_kink_is_zero() -> None:
    """abs'(0) = 0 (documented subgradient, as in PyTorch and JAX)."""
    assert first_and_second_derivative(lambda x: abs(x), 0.0) == (0.0, 0.0)
    assert first_and_second_derivative(lambda x: abs(x), -0.0) == (0.0, 0.0)
    assert RULES["abs"].doc.count("abs'(0) = 0") == 1


def test_sqrt_derivative_at_zero_is_infinite() -> None:
    """sqrt'(0) is +inf (a vertical tangent), not a ZeroDivisionError."""
    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == math.inf


@pytest.mark.parametrize(
    ("base", "exponent", "d_base"),
    [(0.0, 1.0, 1.0), (0.0, 2.0, 0.0), (0.0, 0.0, 0.0), (0.0, 0.5, math.inf), (-2.0, 3.0, 12.0), (-2.0, -1.0, -0.25)],
)
def test_pow_derivative_at_special_bases(base: float, exponent: float, d_base: float) -> None:
    """d/da a**b at a = 0 follows the limit, a negative base with an integer exponent works, and d/db there is 0 or nan."""
    a, b = Value(base), Value(exponent)
    (a**b).backward()
    assert a.grad == d_base
    if base == 0.0:
        assert b.grad == 0.0
    else:
        assert math.isnan(b.grad)


@pytest.mark.parametrize("x", [-1000.0, 1000.0, -1e300, 1e300])
def test_saturating_activations_are_finite_and_exact_far_out(x: float) -> None:
    """tanh, sigmoid and softplus give the correctly rounded value and a finite derivative at huge |x|."""
    positive = x > 0
    expected = {
        "tanh": 1.0 if positive else -1.0,
        "sigmoid": 1.0 if positive else 0.0,
        "softplus": x if positive else 0.0,  # log(1 + e**-1000) = 5e-435 rounds to 0.0
    }
    expected_grad = {"tanh": 0.0, "sigmoid": 0.0, "softplus": 1.0 if positive else 0.0}
    for op, value in expected.items():
        v = Value(x)
        out = apply(op, v)
        out.backward()
        assert out.data == value, op
        assert v.grad == expected_grad[op], op


@given(st.floats(-30.0, 30.0))
def test_softplus_and_sigmoid_are_consistent(x: float) -> None:
    """softplus' = sigmoid, and log(sigmoid(x)) = -softplus(-x), to rounding."""
    v = Value(x)
    v.softplus().backward()
    assert v.grad == Value(x).sigmoid().data
    assert math.isclose(math.log(Value(x).sigmoid().data), -Value(-x).softplus().data, rel_tol=1e-12, abs_tol=1e-15)
