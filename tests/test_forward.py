"""Tests for autograd.seeing.forward: the forward pass one node at a time, with numbers, then the backward one."""

from __future__ import annotations

import pytest
from hypothesis import given

from autograd import Value, dot
from autograd.seeing.forward import Forward, ForwardDone
from autograd.seeing.trace import Trace
from autograd.testing import Expression, expressions


def _neuron() -> Value:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    n = dot([w1, w2], [x1, x2], Value(6.8813735870195432, label="b"))
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def test_the_lecture_neuron_steps_forward_with_its_numbers() -> None:
    """n = w1*x1 + w2*x2 + b with the values in, then o = tanh(n), then the backward pass takes over."""
    fw = Forward(_neuron())
    first, second = fw.step(), fw.step()
    assert str(first) == "n = w1*x1 + w2*x2 + b = -3.0*2.0 + 1.0*0.0 + 6.88137 = 0.881374"
    assert str(second) == "o = tanh(n) = tanh(0.881374) = 0.707107"
    assert fw.done
    with pytest.raises(ForwardDone, match="backward"):
        fw.step()
    bp = fw.backward()
    assert bp.view is fw.view and bp.step().lines()[1] == "  tanh: ∂o/∂n = 1 − o² = 1 − 0.707107² = 0.5"


@given(expressions())
def test_forward_steps_show_each_computed_node_once_in_order(expr: Expression) -> None:
    """One step per node with parents, in topological order, each showing the node's value; back() steps back."""
    out = expr(*(Value(x, label=f"x{i}") for i, x in enumerate(expr.inputs)))
    fw = Forward(out)
    steps = fw.run()
    assert [s.node for s in steps] == [n for n in fw.view.order if n.parents]
    assert all(s.value == s.node.data or (s.value != s.value and s.node.data != s.node.data) for s in steps)
    if steps:
        fw.back()
        assert fw.position == len(steps) - 1 and str(fw.step()) == str(steps[-1])


def test_the_trace_holds_the_forward_pass_for_one_timeline() -> None:
    """Trace.record has the forward steps first (their text as Forward prints them), in its JSON too."""
    o = _neuron()
    trace = Trace.record(o)
    assert [f.text for f in trace.forward] == [str(s) for s in Forward(o).run()]
    data = trace.to_dict()
    second = data["forward"][1]
    assert second["text"] == "o = tanh(n) = tanh(0.881374) = 0.707107" and second["valueText"] == "0.707107"
