"""define_op: an operator defined at run time by formulas or functions works everywhere a built-in one does."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import RULES, Backprop, Value, apply, compile, define_op, draw_dot, explain, forget_op, gradcheck, to_html
from autograd.seeing.text import tree
from autograd.testing import DOMAINS, expressions, values


@pytest.fixture
def softsign3() -> Iterator[str]:
    """softsign defined by formulas, removed again after the test."""
    define_op(
        "softsign3",
        "x",
        "x / (1.0 + abs(x))",
        ("1.0 / ((1.0 + abs(x)) * (1.0 + abs(x)))",),
        doc="x / (1 + |x|)",
        domain=[(-10.0, 10.0, 1e-3)],
        display="softsign3(x)",
    )
    yield "softsign3"
    forget_op("softsign3")


@pytest.fixture
def cube() -> Iterator[str]:
    """x³ defined by functions (the local one Value-aware), removed after the test."""
    define_op("cube", "x", lambda x: x**3, lambda x, out: (3 * x * x,), doc="x³")
    yield "cube"
    forget_op("cube")


def test_formula_op_gives_value_gradient_and_second_derivative(softsign3: str) -> None:
    """apply(name, x) records the op: data, backward, create_graph and gradcheck of order 2."""
    x = Value(3.0)
    y = apply(softsign3, x)
    y.backward(create_graph=True)
    assert y.data == 0.75 and x.grad == 1 / 16
    assert x.grad_value is not None
    assert gradcheck(lambda v: apply(softsign3, v) * v, [0.7], order=2)


def test_function_op_works_eagerly_and_twice(cube: str) -> None:
    """An op given as functions: backward and create_graph (its local function is Value-aware)."""
    assert gradcheck(lambda v: apply(cube, v), [1.3], order=2)


def test_stepper_drawing_text_and_page_show_the_op(softsign3: str, tmp_path: Path) -> None:
    """The stepper's step, explain, tree, draw_dot and the web page work for a defined op and show its formulas."""
    x = Value(2.0, label="x")
    y = apply(softsign3, x)
    y.label = "y"
    step = Backprop(y).step()
    assert "y = softsign3(x)" in str(step) and "∂y/∂x = 1.0 / ((1.0 + abs(x)) * (1.0 + abs(x))) = " in str(step)
    assert x.grad == pytest.approx(1 / 9)
    assert "x.grad = " in str(explain(x, y))
    assert "softsign3" in tree(y) and "softsign3" in draw_dot(y).source
    assert "softsign3" in Path(to_html(y, tmp_path / "p.html")).read_text(encoding="utf-8")


def test_compile_replays_a_defined_op(softsign3: str, cube: str) -> None:
    """autograd.compile traces and replays graphs with defined ops (formulas and functions) like eager."""

    def fn(v: Value) -> Value:
        return apply(softsign3, v) + apply(cube, v)

    compiled = compile(fn)
    value, grads = compiled.value_and_grad(0.5)
    x = Value(0.5)
    out = fn(x)
    out.backward()
    assert value == out.data and grads == x.grad


def test_testing_strategies_know_the_domain(softsign3: str) -> None:
    """autograd.testing draws inputs from the op's domain and puts it into random expressions."""
    assert DOMAINS[softsign3].condition == "|x| >= 0.001"

    @given(values(softsign3))
    def check(x: float) -> None:
        assert abs(x) >= 1e-3
        assert gradcheck(lambda v: apply(softsign3, v), [x], order=2)

    check()

    @given(expressions(ops=[softsign3, "+", "*"], max_ops=5))
    def check_graphs(expr: object) -> None:
        from autograd.testing import Expression

        assert isinstance(expr, Expression)
        assert gradcheck(expr, expr.inputs)

    check_graphs()


def test_define_op_refuses_clashes_and_bad_definitions() -> None:
    """Existing names, bad input names and mismatched counts are refused with messages naming the op."""
    with pytest.raises(ValueError, match="exists already"):
        define_op("tanh", "x", "x", ("1.0",))
    with pytest.raises(ValueError, match="inputs must be"):
        define_op("bad", "out", "out", ("1.0",))
    with pytest.raises(ValueError, match=r"1 input.*2 local"):
        define_op("bad", "x", "x", ("1.0", "2.0"))
    with pytest.raises(ValueError, match="not a Python expression"):
        define_op("bad", "x", "x +", ("1.0",))
    assert "bad" not in RULES


def test_leaky_relu_by_define_op_matches_the_builtin_row() -> None:
    """leaky_relu defined with define_op agrees with the built-in row (value and gradient), over random inputs."""
    define_op("leaky2", "x", "x if x > 0.0 else 0.01 * x", ("1.0 if x > 0.0 else 0.01",), domain=[(-10.0, 10.0, 1e-3)])

    @given(st.floats(-5.0, 5.0))
    def check(x: float) -> None:
        a, b = Value(x), Value(x)
        ya, yb = apply("leaky2", a), b.leaky_relu()
        ya.backward()
        yb.backward()
        assert (ya.data, a.grad) == (yb.data, b.grad)
        assert not math.isnan(ya.data)

    try:
        check()
    finally:
        forget_op("leaky2")


def test_forget_op_takes_the_helpers_define_op_registered_with_it() -> None:
    """An op defined by functions registers helpers for its formulas; forget_op removes them with the op."""
    from autograd.rules import FLOAT_HELPERS, GENERIC_HELPERS

    define_op("cube2", "x", lambda x: x**3, lambda x, out: (3 * x * x,), doc="x³")
    assert {"cube2_forward", "cube2_d0"} <= FLOAT_HELPERS.keys() & GENERIC_HELPERS.keys()
    forget_op("cube2")
    assert not {"cube2_forward", "cube2_d0"} & (FLOAT_HELPERS.keys() | GENERIC_HELPERS.keys())
