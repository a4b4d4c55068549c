"""Tests for autograd.seeing.stepper: Backprop walks backward() exactly, back() undoes exactly, explain() adds up."""

from __future__ import annotations

import json
import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Backprop, BackpropDone, Value, explain, topological_order
from autograd.testing import Expression, expressions
from demos.walkthrough import lecture_expression


def _build(expr: Expression) -> tuple[list[Value], Value]:
    xs = [Value(x, label=f"x{i}") for i, x in enumerate(expr.inputs)]
    return xs, expr(*xs)


def _grads(order: list[Value]) -> list[str]:
    # repr tells apart 0.0 and -0.0 and compares nan with itself: "identical", not just "close".
    return [repr(float(node.grad)) for node in order]


def _lecture() -> dict[str, Value]:
    """micrograd's lecture example L = (a*b + c) * f, labelled (the walkthrough demo builds it)."""
    return lecture_expression()


@given(expressions())
def test_stepper_ends_with_the_grads_of_backward(expr: Expression) -> None:
    """After the last step every node's grad is bit-for-bit what backward() gives."""
    _, out = _build(expr)
    order = topological_order(out)
    Backprop(out).run()
    stepped = _grads(order)
    out.zero_grad()
    out.backward()
    assert stepped == _grads(order)


@given(expressions(max_ops=6))
def test_stepper_agrees_with_backward_on_gradient_graphs(expr: Expression) -> None:
    """Stepping a graph made by backward(create_graph=True) matches backward() on it."""
    xs, out = _build(expr)
    out.backward(create_graph=True)
    used = set(topological_order(out))
    gradient = next(x for x in xs if x in used).grad_value
    assert isinstance(gradient, Value)
    order = topological_order(gradient)
    gradient.zero_grad()
    Backprop(gradient).run()
    stepped = _grads(order)
    gradient.zero_grad()
    gradient.backward()
    assert stepped == _grads(order)


@given(expressions(max_ops=6))
def test_stepper_accumulates_into_value_grads_like_backward(expr: Expression) -> None:
    """On a graph whose leaves hold Value grads (after create_graph=True), stepping accumulates as backward() does."""
    results = []
    for use_stepper in (True, False):
        _, out = _build(expr)
        out.backward(create_graph=True)
        if use_stepper:
            Backprop(out).run()
        else:
            out.backward()
        results.append(_grads(topological_order(out)))
    assert results[0] == results[1]


def _same(now: object, before: object) -> bool:
    # The C engine stores grad as a C double, so a float comes back equal bit for bit, not as the same object.
    bits = struct.Struct("<d").pack
    return now is before or (type(now) is float and type(before) is float and bits(now) == bits(before))


@given(expressions(), st.data())
def test_back_restores_every_grad_exactly(expr: Expression, data: st.DataObject) -> None:
    """back() returns every grad to the exact object it held before the step, all the way to the start."""
    _, out = _build(expr)
    order = topological_order(out)
    bp = Backprop(out)
    snapshots = [[node.grad for node in order]]
    for _ in range(data.draw(st.integers(0, len(bp)), label="steps")):
        bp.step()
        snapshots.append([node.grad for node in order])
    while bp.position:
        snapshots.pop()
        bp.back()
        assert all(_same(node.grad, before) for node, before in zip(order, snapshots[-1]))
    with pytest.raises(BackpropDone):
        bp.back()


@given(expressions())
def test_step_records_are_the_chain_rule(expr: Expression) -> None:
    """Each edge's contribution is local * upstream, added to the parent's grad; the node's grad is final when it steps."""
    _, out = _build(expr)
    out.backward()
    final = {node: float(node.grad) for node in topological_order(out)}
    out.zero_grad()
    for step in Backprop(out):
        assert repr(step.grad) == repr(final[step.node])
        assert [edge.parent for edge in step.edges] == list(step.node.parents)
        for edge, local in zip(step.edges, step.node.local_grads):
            assert repr(edge.local) == repr(local)
            assert repr(edge.contribution) == repr(local * step.grad)
            assert repr(edge.after) == repr(edge.before + edge.contribution)
        # What the step records is what the engine's own step (node._backward()) left in each parent.
        last_after = {edge.parent: edge.after for edge in step.edges}
        assert all(repr(float(parent.grad)) == repr(after) for parent, after in last_after.items())


@given(expressions(), st.data())
def test_run_until_stops_right_after_the_node(expr: Expression, data: st.DataObject) -> None:
    """run_until(node) processes the node (or, for a leaf, finishes its grad) and no step more."""
    _, out = _build(expr)
    order = topological_order(out)
    node = data.draw(st.sampled_from(order), label="node")
    bp = Backprop(out)
    bp.run_until(node)
    if node.parents:
        assert bp.history[-1].node is node
    else:
        assert bp.is_final(node)
        assert bp.position == 0 or node in bp.history[-1].node.parents
    assert bp.run_until(node) == []


def test_iteration_and_state() -> None:
    """Iterating yields the remaining steps; step() at the end raises BackpropDone; position/done/next_node track it."""
    nodes = _lecture()
    bp = Backprop(nodes["L"])
    assert (len(bp), bp.position, bp.done, bp.next_node) == (3, 0, False, nodes["L"])
    first = bp.step()
    rest = list(bp)
    assert [s.node for s in (first, *rest)] == [nodes["L"], nodes["d"], nodes["e"]]
    assert [s.index for s in bp.history] == [0, 1, 2]
    assert bp.done and bp.next_node is None
    with pytest.raises(BackpropDone, match="all 3 steps taken"):
        bp.step()
    assert list(bp) == []


def test_creating_a_stepper_prepares_grads_like_backward() -> None:
    """Interior grads reset to 0.0 and the root is seeded with += 1.0; leaves keep theirs."""
    nodes = _lecture()
    nodes["L"].backward()
    Backprop(nodes["L"])
    assert (nodes["L"].grad, nodes["d"].grad, nodes["e"].grad) == (1.0, 0.0, 0.0)
    assert nodes["a"].grad == 6.0  # leaves accumulate, as with a second backward()


def test_step_text_reads_as_the_chain_rule() -> None:
    """str(step) names nodes by label and shows the local derivative as mathematics, its numbers and the parent's new grad."""
    nodes = _lecture()
    steps = Backprop(nodes["L"]).run()
    assert str(steps[0]) == (
        "L = d * f\n"
        "  mul: ∂L/∂d = f = -2.0\n"
        "    d.grad += ∂L/∂d · L.grad = -2.0 · 1.0 → -2.0\n"
        "  mul: ∂L/∂f = d = 4.0\n"
        "    f.grad += ∂L/∂f · L.grad = 4.0 · 1.0 → 4.0"
    )
    assert str(steps[1]).splitlines()[1:3] == ["  add: ∂d/∂e = 1", "    e.grad += ∂d/∂e · d.grad = 1.0 · -2.0 → -2.0"]


def test_step_text_shows_accumulation_and_compound_formulas() -> None:
    """A parent used twice shows before + contribution; tanh's derivative reads 1 − o² with numbers; constants show numbers."""
    a = Value(0.5, label="a")
    b = a * a
    b.label = "b"
    o = (b * 2.0).tanh()
    o.label = "o"
    steps = Backprop(o).run()
    assert steps[0].lines()[:2] == ["o = tanh(mul#3)", "  tanh: ∂o/∂mul#3 = 1 − o² = 1 − 0.462117² = 0.786448"]
    assert steps[1].lines()[:3] == [
        "mul#3 = b * 2.0",
        "  mul: ∂mul#3/∂b = 2.0",
        "    b.grad += ∂mul#3/∂b · mul#3.grad = 2.0 · 0.786448 → 1.5729",
    ]
    second = steps[2].lines()[4]
    assert second.strip().startswith("a.grad += ∂b/∂a · b.grad = 0.5 · ")
    before, contribution = steps[2].edges[1].before, steps[2].edges[1].contribution
    assert before != 0.0 and f" + {contribution:.6g} = " in second


def test_to_dict_is_json_with_ids_matching_the_drawing() -> None:
    """to_dict() serialises without NaN/Infinity and names nodes and edges by their drawing ids."""
    nodes = _lecture()
    bp = Backprop(nodes["L"])
    record = bp.step().to_dict()
    json.dumps(record, allow_nan=False)
    json.dumps(bp.to_dict(), allow_nan=False)
    assert record["node"] == "n6" and record["text"] == str(bp.history[0])
    assert [e["edge_id"] for e in record["edges"]] == ["n6_in0", "n6_in1"]
    assert [e["parent"] for e in record["edges"]] == ["n4", "n5"]


def test_a_non_str_label_assigned_later_steps_and_serialises_as_its_str() -> None:
    """Backprop over a node whose label was later set to a non-str names it str(label) in text and JSON."""
    x = Value(3.0)
    x.label = 5  # type: ignore[assignment]
    bp = Backprop(x * x)
    step = bp.step()
    assert step.edge_text(step.edges[0]).startswith("5.grad += ∂mul#1/∂5 · mul#1.grad")
    nodes = json.loads(json.dumps(bp.to_dict(), allow_nan=False))["nodes"]
    assert [(n["name"], n["label"]) for n in nodes] == [("5", "5"), ("mul#1", None)]


def test_to_dict_writes_non_finite_numbers_as_the_one_json_encoding() -> None:
    """inf and nan (e.g. sqrt'(0)) become "Infinity"/"NaN" (numbers.json_number, the trace's encoding), which JSON.parse reads."""
    x = Value(0.0, label="x")
    y = x.sqrt()
    record = Backprop(y).step().to_dict()
    assert record["edges"][0]["local"] == "Infinity" and math.isinf(Backprop(y).step().edges[0].local)
    json.dumps(record, allow_nan=False)


@given(expressions())
def test_explain_total_is_the_grad_of_one_pass(expr: Expression) -> None:
    """For every node, explain's seed + terms, summed in backward's order, equal its grad bit for bit."""
    _, out = _build(expr)
    out.backward()
    for node in topological_order(out):
        why = explain(node, out)
        assert repr(why.total) == repr(float(node.grad))


@given(expressions(), st.data())
def test_explain_mid_pass_counts_only_processed_children(expr: Expression, data: st.DataObject) -> None:
    """With a stepper mid-way, explain's total is each node's grad so far, and unprocessed uses are pending."""
    _, out = _build(expr)
    bp = Backprop(out)
    for _ in range(data.draw(st.integers(0, len(bp)), label="steps")):
        bp.step()
    for node in bp.order:
        why = bp.explain(node)
        assert repr(why.total) == repr(float(node.grad))
        assert all(t.processed == bp.is_processed(t.child) for t in why.terms)


def test_explain_shows_a_plus_a_as_one_plus_one() -> None:
    """b = a + a gives a.grad = 1 + 1, one line per use."""
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    b.backward()
    why = explain(a, b)
    assert [t.contribution for t in why.terms] == [1.0, 1.0] and why.total == 2.0
    assert "total: 1.0 + 1.0 = 2.0" in str(why)
    assert str(why).count("b = a + a") == 2


def test_explain_defaults_to_the_last_steppers_root_and_says_when_it_cannot() -> None:
    """Without root, explain uses the most recent Backprop when the node is in it; a node outside it is told to pass its root."""
    nodes = _lecture()
    Backprop(nodes["L"]).run()
    assert explain(nodes["f"]).total == 4.0
    outside = explain(Value(1.0, label="z"))
    assert outside.terms == () and "explain(z, L) shows where it comes from" in str(outside)


def test_explain_after_a_plain_backward_never_uses_an_unrelated_stepper() -> None:
    """micrograd's habit: L2.backward() then explain(x) works; a stale Backprop of another graph holding x is not used quietly."""
    x = Value(2.0, label="x")
    first = x * 3.0
    stepper = Backprop(first)  # an earlier stepper whose graph holds x
    stepper.run()
    x.grad = 0.0
    second = x * x
    second.label = "second"
    second.backward()
    why = explain(x)
    assert why.grad == 4.0 and why.terms == ()
    assert "does not give its grad" in str(why) and "explain(x, L)" in str(why)
    assert explain(x, second).total == 4.0


def test_explain_notes_accumulated_leaf_grads() -> None:
    """After two backward() calls a leaf's grad is twice one pass: explain says why the numbers differ."""
    nodes = _lecture()
    nodes["L"].backward()
    nodes["L"].backward()
    why = explain(nodes["a"], nodes["L"])
    assert why.total == 6.0 and why.grad == 12.0
    assert "accumulate" in str(why)
