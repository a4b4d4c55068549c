"""What people bring from micrograd and its lecture: _prev, _op, _backward by hand, Value(data, children, op) custom ops."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Backprop, Value, draw_dot, explain, gradcheck, show, to_html, topological_order
from autograd.seeing.text import tree
from autograd.testing import Expression, expressions


def lecture_tanh(x: Value) -> Value:
    """tanh written the lecture's way: a node made by the constructor, with a closure for its backward."""
    t = (math.exp(2 * x.data) - 1) / (math.exp(2 * x.data) + 1)
    out = Value(t, (x,), "tanh_closure")

    def _backward() -> None:
        x.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def build_topo(root: Value) -> list[Value]:
    """The lecture's topological sort, as a loop here (our own code), walking only _prev."""
    topo: list[Value] = []
    visited: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            topo.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        stack.extend((child, False) for child in node._prev if child not in visited)
    return topo


def trace(root: Value) -> tuple[set[Value], set[tuple[Value, Value]]]:
    """The nodes and edges a hand-written draw_dot collects from _prev."""
    nodes: set[Value] = set()
    edges: set[tuple[Value, Value]] = set()
    todo = [root]
    while todo:
        v = todo.pop()
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                todo.append(child)
    return nodes, edges


def neuron() -> tuple[list[Value], Value]:
    """The lecture's neuron: o = tanh(x1*w1 + x2*w2 + b), with labels."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return [x1, x2, w1, w2, b], o


def test_trace_over_prev_finds_every_node_and_edge() -> None:
    """A hand-written trace over _prev sees the same nodes as topological_order, with one edge per parent."""
    _, o = neuron()
    nodes, edges = trace(o)
    order = topological_order(o)
    assert nodes == set(order)
    assert len(edges) == sum(len(set(v.parents)) for v in order)
    assert all(isinstance(v._prev, set) and v._op == v.op for v in order)
    assert {v._op for v in order} == {"", "*", "+", "tanh"}
    assert all(v.label == "" for v in order if not v.is_leaf and v not in (o,) and v.label != "n")


def test_manual_backward_in_reverse_topological_order_equals_backward() -> None:
    """o.grad = 1.0 then each node's _backward() in reverse build_topo order gives backward()'s gradients."""
    leaves, o = neuron()
    o.grad = 1.0
    for node in reversed(build_topo(o)):
        node._backward()
    by_hand = [v.grad for v in leaves]
    o.zero_grad()
    o.backward()
    assert by_hand == [v.grad for v in leaves]
    assert by_hand[0] == pytest.approx(-1.5) and by_hand[2] == pytest.approx(1.0)


def test_a_leaf_backward_does_nothing_and_an_operator_node_takes_a_closure() -> None:
    """A leaf's _backward() is a no-op, as is one assigned to it; a closure on an operator's node replaces its rule."""
    x = Value(1.0)
    x._backward()
    x._backward = lambda: None  # micrograd's __init__ does this on every leaf
    assert x.grad == 0.0
    y = x * 2
    y._backward = lambda: setattr(x, "grad", x.grad + 10.0 * y.grad)
    y.backward()
    assert x.grad == 10.0


class Tagged(Value):
    """A subclass as micrograd code writes one: its own attribute, micrograd's leaf closure in __init__."""

    def __init__(self, data: float, children: tuple[Value, ...] = (), op: str = "") -> None:
        super().__init__(data, children, op)
        self._backward = lambda: None
        self.tag = "mine"


def test_subclasses_keep_children_and_their_init() -> None:
    """A subclass built with children has them; its __init__ may assign _backward; operators on it give plain Values."""
    a = Tagged(2.0)
    b = Tagged(3.0, (a,), "tanh")
    assert isinstance(b, Tagged) and b.parents == (a,) and b.tag == "mine"
    out = Value(1.0, (a,), (4.0,))  # microgpt's constructor: the local derivatives as numbers
    out.backward()
    assert a.grad == 4.0
    assert type(a * 2) is type(Value(1.0) * 2)


@given(st.floats(-4.0, 4.0))
def test_lecture_tanh_agrees_with_the_builtin(a: float) -> None:
    """A tanh built the lecture's way (constructor + closure) gives the built-in's value and gradient, mixed with built-ins."""
    x1, x2 = Value(a), Value(a)
    y1 = lecture_tanh(x1 * 2.0 + 1.0) * x1
    y2 = (x2 * 2.0 + 1.0).tanh() * x2
    y1.backward()
    y2.backward()
    assert y1.data == pytest.approx(y2.data, rel=1e-12, abs=1e-12)
    assert x1.grad == pytest.approx(x2.grad, rel=1e-9, abs=1e-12)


def test_custom_closure_nodes_accumulate_on_leaves_and_are_fresh_inside() -> None:
    """Two backward() calls: leaves add up, the closure node's own grad is recomputed, as for built-in nodes."""
    x = Value(0.5)
    h = lecture_tanh(x)
    y = h * 3.0
    y.backward()
    first = x.grad
    y.backward()
    assert x.grad == pytest.approx(2 * first) and h.grad == 3.0


def test_constructor_positional_and_keyword_and_label_default() -> None:
    """Value(data, _children, _op, label) as in micrograd, positionally or by keyword; label defaults to ''."""
    a = Value(1.0)
    v = Value(2.0, (a,), "double", "v")
    w = Value(data=2.0, _children=(a,), _op="double", label="w")
    assert v.parents == (a,) and v._op == "double" and v.label == "v" and w.label == "w"
    assert a.label == "" and Value(1.0).label == ""


def test_a_label_passed_in_the_children_position_gets_a_clear_error() -> None:
    """Value(1.0, 'x') (label where micrograd has _children) says to pass label= by keyword."""
    with pytest.raises(TypeError, match="pass a label by keyword"):
        Value(1.0, "x")  # type: ignore[arg-type]


def test_a_node_with_children_but_no_rule_and_no_backward_is_named_by_backward() -> None:
    """backward() on a graph with an unknown op and no closure raises, naming the node and the remedies."""
    a = Value(1.0)
    out = Value(2.0, (a,), "mystery", label="m")
    with pytest.raises(RuntimeError, match=r"'mystery'.*no derivative.*_backward"):
        (out * 2).backward()


def test_a_node_named_after_a_rule_differentiates_by_the_rule() -> None:
    """Value(a.data * b.data, (a, b), '*') needs no closure: the '*' rule gives its derivatives, even for create_graph."""
    a, b = Value(2.0), Value(5.0)
    out = Value(a.data * b.data, (a, b), "*")
    out.backward()
    assert (a.grad, b.grad) == (5.0, 2.0)
    out.backward(create_graph=True)
    assert a.grad_value is not None


def test_create_graph_and_compile_name_the_closure_node() -> None:
    """create_graph=True and compile refuse a closure node with an error naming it and why."""
    from autograd import compile

    x = Value(0.3)
    y = lecture_tanh(x)
    with pytest.raises(TypeError, match=r"create_graph=True.*tanh_closure.*closure"):
        y.backward(create_graph=True)
    with pytest.raises(TypeError, match=r"compile.*tanh_closure.*closure"):
        compile(lambda v: lecture_tanh(v) * 2)(0.3)


def test_tools_work_on_closure_graphs(tmp_path: Path) -> None:
    """draw_dot, show, tree, explain, to_html and gradcheck work on a graph with a closure node."""
    x = Value(0.3, label="x")
    y = lecture_tanh(x) * 2.0
    y.label = "y"
    dot = draw_dot(y)
    assert "tanh_closure" in dot.source
    assert "tanh_closure(x)" in tree(y)
    show(y)
    y.backward()
    assert "x.grad" in str(explain(x, y))
    page = to_html(y, tmp_path / "page.html")
    assert "tanh_closure" in Path(page).read_text(encoding="utf-8")
    assert gradcheck(lambda v: lecture_tanh(v) * v, [0.7])


def test_stepper_runs_the_closure_and_shows_grads_before_and_after() -> None:
    """The Backprop step of a closure node runs the closure; its edge records the parent's grad before and after."""
    x = Value(0.3, label="x")
    h = lecture_tanh(x)
    h.label = "h"
    y = h * x
    y.label = "y"
    bp = Backprop(y)
    bp.step()  # y = h * x
    before = x.grad
    step = bp.step()  # h's closure
    (edge,) = step.edges
    assert edge.before == before and edge.after == x.grad != before
    assert edge.local == pytest.approx(1 - math.tanh(0.3) ** 2)
    assert "x.grad += ∂h/∂x · h.grad" in str(step)
    bp.back()
    assert x.grad == before
    bp.run()
    stepped = x.grad
    y.zero_grad()
    y.backward()
    assert stepped == x.grad


@pytest.mark.parametrize("guide", ["coming-from-micrograd.md", "engine.md"])
def test_guides_examples_run(guide: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every >>> example in the engine guide and the micrograd guide prints what the page shows."""
    import doctest

    monkeypatch.chdir(tmp_path)
    path = Path(__file__).resolve().parent.parent / "docs" / guide
    result = doctest.testfile(str(path), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10 and result.failed == 0


@given(expressions())
def test_manual_backward_equals_backward_on_random_graphs(expr: Expression) -> None:
    """On random graphs of every operator (fused sum/dot too), root.grad = 1 then _backward() per node is backward()."""
    xs = [Value(x) for x in expr.inputs]
    out = expr(*xs)
    out.grad = 1.0
    for node in reversed(topological_order(out)):
        node._backward()
    by_hand = [x.grad for x in xs]
    out.zero_grad()
    out.backward()
    assert by_hand == [x.grad for x in xs]
