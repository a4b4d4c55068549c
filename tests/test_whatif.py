"""Tests for autograd.seeing.whatif: a changed leaf's values and gradients without rebuilding the graph, and the nudge."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, explain, show
from autograd.seeing.whatif import nudge, recompute, whatif
from autograd.testing import Expression, expressions


def _same(a: float, b: float) -> bool:
    return repr(a) == repr(b) or (math.isnan(a) and math.isnan(b))


@given(expressions(), st.data())
def test_recompute_equals_rebuilding_and_backward(expr: Expression, data: st.DataObject) -> None:
    """For a changed input, the recomputed values and gradients equal a rebuilt graph's forward and backward(), bit for bit."""
    xs = [Value(x, label=f"x{i}") for i, x in enumerate(expr.inputs)]
    out = expr(*xs)
    used = [i for i, x in enumerate(xs) if x in recompute(out, {}).view]
    if not used:
        return  # the output depends on constants only
    k = data.draw(st.sampled_from(used), label="input")
    moved = expr.inputs[k] * 0.5 + 0.25  # inside the domain: inputs are drawn where every op is defined
    fresh = [Value(moved if i == k else x) for i, x in enumerate(expr.inputs)]
    try:
        rebuilt = expr(*fresh)
    except (ValueError, ZeroDivisionError, OverflowError):
        return  # the moved input left an op's domain: nothing to compare
    rebuilt.backward()
    again = recompute(out, {xs[k]: moved})
    assert _same(again.value(out), rebuilt.data)
    for i in used:
        assert _same(again.grad(xs[i]), float(fresh[i].grad))


def test_whatif_changes_and_restores_every_value_and_grad(capsys: pytest.CaptureFixture[str]) -> None:
    """Inside the block the graph shows the changed leaf's values and gradients (show() too); after it, all is as before."""
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    L = (x * w).tanh()
    L.label = "L"
    L.backward()
    before = [(n.data, n.grad) for n in (x, w, L)]
    with whatif(x, 0.0, L):
        assert L.data == 0.0 and w.grad == 0.0 and x.grad == -3.0
        show(L)
    assert "L = tanh(mul#2)   data=0.0  grad=1.0" in capsys.readouterr().out
    assert [(n.data, n.grad) for n in (x, w, L)] == before
    with pytest.raises(RuntimeError), whatif(x, 5.0, L):
        raise RuntimeError("the block failed")
    assert [(n.data, n.grad) for n in (x, w, L)] == before


def test_the_nudge_beside_the_gradient_in_explain() -> None:
    """explain(x, L, h=) shows (L(x + h) − L(x)) / h beside ∂L/∂x and their difference, the lecture's check."""
    x = Value(3.0, label="x")
    L = x * x
    L.label = "L"
    L.backward()
    assert nudge(x, L, h=1e-3) == pytest.approx(6.001)
    why = explain(x, L, h=1e-3)
    assert why.nudge is not None and why.nudge[0] == 1e-3 and why.nudge[2] == 6.0
    assert "nudge: (L(x + h) − L(x)) / h = 6.001 at h = 0.001, beside ∂L/∂x = 6.0 (difference 0.001)" in str(why)


def test_a_closure_op_cannot_be_recomputed_and_says_so() -> None:
    """A micrograd-style _backward closure has no formula: recompute names it and says what to do."""
    from autograd import Value as V

    x = V(2.0, label="x")
    y = V(x.data * 2.0, (x,), "twice")
    y.label = "y"

    def _backward() -> None:
        x.grad += 2.0 * y.grad

    y._backward = _backward
    with pytest.raises(ValueError, match="define_op"):
        recompute(y, {x: 1.0})
