"""autograd.replay (autograd.compile): replays equal eager backward, guards catch data-dependent structure, parameters train."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import RULES, StructureChanged, Value, compile, dot, no_grad, vsum
from autograd.replay import assert_matches_eager
from autograd.testing import Expression, expressions


@given(expressions(max_ops=8))
def test_replay_matches_eager_on_random_expressions(expr: Expression) -> None:
    """Every random program gives the eager value and gradients when compiled (the shared property)."""
    assert_matches_eager(expr, *expr.inputs)


@given(st.lists(st.floats(-3, 3), min_size=1, max_size=6), st.floats(-3, 3))
def test_fused_sum_and_dot_lines_agree_with_the_rules_table(xs: list[float], b: float) -> None:
    """The specially written sum/dot lines compute RULES['sum'|'dot'].forward and .local exactly."""
    ws = [Value(0.5 * i - 1.0) for i in range(len(xs))]
    bias = Value(b)
    f = compile(lambda *x: vsum(x) * dot(ws, x, bias))
    for p in (*ws, bias):
        p.grad = 0.0
    value, partials = f.value_and_grad(*xs)
    total = RULES["sum"].forward(*xs)
    linear = RULES["dot"].forward(*(w.data for w in ws), *xs, b)
    assert value == total * linear
    dot_locals = RULES["dot"].local(*(w.data for w in ws), *xs, b, linear)
    n = len(xs)
    expected = [total * dot_locals[n + i] + linear * RULES["sum"].local(*xs, total)[i] for i in range(n)]
    got = list(partials) if n > 1 else [partials]
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert [w.grad for w in ws] == pytest.approx([total * d for d in dot_locals[:n]], rel=1e-12, abs=1e-12)


def test_parameters_accumulate_like_backward() -> None:
    """Captured leaves are read live and receive += gradients on every replay, as backward() gives them."""
    w = Value(3.0)
    f = compile(lambda x: w * x * x)
    f.value_and_grad(2.0)
    f.value_and_grad(2.0)
    assert w.grad == 8.0  # 4 per call, accumulated
    w.data = -1.0
    assert f(2.0) == -4.0  # the new data is used without re-tracing


def test_a_changed_branch_raises_instead_of_a_wrong_gradient() -> None:
    """A comparison on a traced Value is a guard: data that flips it raises StructureChanged."""

    def f(x: Value) -> Value:
        return x * x if x > 0 else -x

    compiled = compile(f)
    assert compiled.value_and_grad(3.0) == (9.0, 6.0)
    assert compiled(5.0) == 25.0
    with pytest.raises(StructureChanged, match="comparison"):
        compiled.value_and_grad(-1.0)


def test_max_and_float_are_guarded() -> None:
    """max() compares Values and float() reads one: both are re-checked on replay."""
    f = compile(lambda a, b: max(a, b) * 2.0)
    assert f(1.0, 2.0) == 4.0
    with pytest.raises(StructureChanged):
        f(3.0, 2.0)
    g = compile(lambda x: x * float(x))
    assert g(2.0) == 4.0
    with pytest.raises(StructureChanged, match="float"):
        g(3.0)


def test_a_guard_fires_before_the_line_it_protects() -> None:
    """The guard is checked where its operand is computed, so log of a negative never runs first."""
    f = compile(lambda x: x.log() if x > 0 else x)
    assert f(math.e) == pytest.approx(1.0)
    with pytest.raises(StructureChanged):
        f(-2.0)


def test_check_catches_a_data_read_the_trace_cannot_see() -> None:
    """check=True re-runs eagerly and refuses a replay that a direct .data read made stale."""

    def f(x: Value) -> Value:
        return x * (2.0 if x.data > 0 else -2.0)

    unchecked = compile(f)
    assert unchecked(1.0) == 2.0
    assert unchecked(-1.0) == -2.0  # the documented blind spot: eager gives 2.0
    checked = compile(f, check=True)
    assert checked(1.0) == 2.0
    with pytest.raises(StructureChanged):
        checked(-1.0)


def test_no_grad_inside_a_traced_function_is_refused() -> None:
    """no_grad would freeze values at trace time, so tracing refuses it."""

    def f(x: Value) -> Value:
        with no_grad():
            m = x * 1.0
        return x - m

    with pytest.raises(RuntimeError, match="no_grad"):
        compile(f)(1.0)


def test_each_argument_shape_gets_its_own_trace() -> None:
    """Nested list arguments work, and a different length traces again; partials mirror the arguments."""
    f = compile(lambda xs, y: vsum([x * x for x in xs]) * y)
    assert f.value_and_grad([1.0, 2.0], 3.0) == (15.0, ([6.0, 12.0], 5.0))
    assert f.value_and_grad([1.0, 2.0, 3.0], 1.0) == (14.0, ([2.0, 4.0, 6.0], 14.0))


def test_source_is_the_rules_formulas() -> None:
    """The generated code carries the table's forward and local formulas with names substituted."""
    f = compile(lambda x: x.tanh())
    source = f.source(0.5)
    assert "v1 = tanh(v0)" in source
    assert "(1.0 - v1 * v1) * g1" in source


def test_fn_must_return_a_value() -> None:
    """A function returning a plain number is refused with a message naming what it returned."""
    with pytest.raises(TypeError, match="must return a Value"):
        compile(lambda x: 1.0)(2.0)  # type: ignore[arg-type, return-value]
