"""backward: the chain rule over the graph, accumulation semantics, deep graphs, and gradients of gradients."""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import given

from autograd import Value, backprop_grads, gradients, topological_order
from autograd.testing import Expression, expressions


def test_a_plus_a_counts_both_uses() -> None:
    """a + a sends 1 along each edge, so a.grad is 2 (a node used twice sums its gradients)."""
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_shared_subexpression_chain() -> None:
    """b = a + a; c = b + b gives dc/db = 2 and dc/da = 4; b * b gives 2b * 2."""
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert (c.grad, b.grad, a.grad) == (1.0, 2.0, 4.0)
    a2 = Value(3.0)
    b2 = a2 + a2
    (b2 * b2).backward()
    assert (b2.grad, a2.grad) == (12.0, 24.0)


def test_interior_gradients_are_d_root_d_node() -> None:
    """Every interior node gets d root / d node: for d = a * b + a, the product node's grad is 1."""
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c + a
    d.backward()
    assert (d.grad, c.grad, a.grad, b.grad) == (1.0, 1.0, -2.0, 2.0)


def test_backward_on_a_leaf_and_unreached_inputs() -> None:
    """A leaf's own backward gives 1; gradients() reports 0.0 for an input the output does not depend on."""
    x, unrelated = Value(5.0), Value(7.0)
    x.backward()
    assert x.grad == 1.0
    x.backward()
    assert x.grad == 2.0  # a leaf accumulates, even when it is the root
    assert gradients(x * 2, [x, unrelated]) == [2.0, 0.0]


@given(expressions())
def test_second_backward_accumulates_leaves_and_refreshes_interior_nodes(expr: Expression) -> None:
    """Calling backward twice doubles leaf grads (+=, as in PyTorch) but leaves interior grads as after one call."""
    xs = [Value(x) for x in expr.inputs]
    out = expr(*xs)
    out.backward()
    order = topological_order(out)
    first = [node.grad for node in order]
    out.backward()
    for node, g in zip(order, first):
        if node.is_leaf:
            # g + c1 + c2 rounds differently from 2 * (c1 + c2), hence approx.
            assert node.grad == pytest.approx(2 * g, rel=1e-12, abs=1e-9)
        else:
            assert node.grad == g


def test_micrograd_issue_53_interior_grads_do_not_compound() -> None:
    """The regression from micrograd #53: a second backward() must not add onto interior nodes' stale grads."""
    x = Value(2.0)
    h = x * x
    y = h * 3.0
    y.backward()
    y.backward()
    assert h.grad == 3.0  # fresh, not 6.0
    assert x.grad == 2 * 12.0  # the leaf accumulated both calls


def test_gradients_of_several_losses_add_up_on_shared_leaves() -> None:
    """loss1.backward(); loss2.backward() leaves d(loss1 + loss2)/dw on a shared leaf w."""
    w = Value(1.5)
    (w * w).backward()
    (w.sin()).backward()
    assert w.grad == pytest.approx(2 * 1.5 + math.cos(1.5), rel=1e-15)


@given(expressions())
def test_zero_grad_resets_every_node(expr: Expression) -> None:
    """zero_grad on the root sets grad to the float 0.0 on every node of its graph, leaves included."""
    out = expr(*expr.inputs)
    out.backward()
    out.zero_grad()
    assert all(type(node.grad) is float and node.grad == 0.0 for node in topological_order(out))


@given(expressions())
def test_backward_agrees_with_gradients_and_backprop_grads_which_write_nothing(expr: Expression) -> None:
    """gradients() and backprop_grads() give backward's numbers without touching any grad attribute."""
    xs = [Value(x) for x in expr.inputs]
    out = expr(*xs)
    by_gradients = gradients(out, xs)
    table = backprop_grads(out)
    assert all(node.grad == 0.0 for node in topological_order(out))
    out.backward()
    assert [x.grad for x in xs] == by_gradients
    assert all(table.get(node, 0.0) == node.grad for node in topological_order(out))


@given(expressions())
def test_topological_order_is_complete_parents_first_and_deterministic(expr: Expression) -> None:
    """Each node appears once, after all its parents, ending with the root, and the same program gives the same order."""
    out = expr(*expr.inputs)
    order = topological_order(out)
    assert order[-1] is out
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order)
    for node in order:
        assert all(position[parent] < position[node] for parent in node.parents)
    again = topological_order(expr(*expr.inputs))
    assert [(n.op, n.data) for n in again] == [(n.op, n.data) for n in order]


def test_topological_order_visits_parents_in_argument_order() -> None:
    """Parents are visited left to right (depth first), so drawings and steppers are stable."""
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    out = (a * b) + (c * a)
    assert [n.label or n.op for n in topological_order(out)] == ["a", "b", "*", "c", "*", "+"]


@pytest.mark.slow
def test_a_million_op_chain_backprops_under_the_default_recursion_limit() -> None:
    """backward is a loop: a chain of 1,000,000 ops works with the recursion limit untouched, and frees cleanly."""
    assert sys.getrecursionlimit() <= 10_000  # nobody raised it to make this pass
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = -y
    y.backward()
    assert (y.data, x.grad) == (1.0, 1.0)
    del y  # a million nested nodes must be freed without overflowing the C stack


# ------------------------------------------------------------------------------------------- higher order


def test_second_derivative_of_x_cubed_at_2_is_12() -> None:
    """backward(create_graph=True) makes x.grad_value a Value (x.grad its float): d/dx x³ = 12 at 2, d²/dx² = 12, d³/dx³ = 6."""
    x = Value(2.0)
    (x**3).backward(create_graph=True)
    first = x.grad_value
    assert isinstance(first, Value) and first.data == 12.0 and x.grad == 12.0
    (second,) = gradients(first, [x], create_graph=True)
    assert isinstance(second, Value) and second.data == 12.0
    assert gradients(second, [x]) == [6.0]


def test_backward_create_graph_with_a_value_grad_can_be_backpropagated() -> None:
    """After backward(create_graph=True), x.grad_value.backward() puts d²y/dx² onto x (once zeroed)."""
    x = Value(2.0)
    y = x**3
    y.backward(create_graph=True)
    dy = x.grad_value
    assert isinstance(dy, Value)
    x.zero_grad()
    dy.backward()
    assert x.grad == 12.0


def test_create_graph_backward_accumulates_on_leaves_too() -> None:
    """Two backward(create_graph=True) calls add up on a leaf (as Values), interior nodes stay fresh."""
    x = Value(2.0)
    h = x * x
    y = h * x  # x³ through an interior node
    y.backward(create_graph=True)
    y.backward(create_graph=True)
    assert isinstance(x.grad_value, Value) and x.grad_value.data == 2 * 12.0 and x.grad == 2 * 12.0
    assert h.grad == 2.0 and h.grad_value is not None and h.grad_value.data == 2.0
    assert gradients(x.grad_value, [x]) == [2 * 12.0]  # still differentiable: d/dx (2 * 3x²) = 12x


def test_grad_is_always_a_float_and_zero_grad_resets_grad_value() -> None:
    """grad stays a float under every backward (so `p.data -= lr * p.grad` type-checks); zero_grad clears grad_value."""
    x = Value(2.0)
    y = x**3
    assert x.grad_value is None
    y.backward(create_graph=True)
    assert type(x.grad) is float and type(y.grad) is float and x.grad_value is not None
    y.zero_grad()
    assert x.grad == 0.0 and x.grad_value is None
    y.backward()
    assert type(x.grad) is float and x.grad == 12.0


def test_hessian_vector_product_matches_the_analytic_one() -> None:
    """For f = x²y + y³ sin x, the engine's H·v (grad of <grad f, v>) equals the hand-derived Hessian times v."""
    x0, y0, vx, vy = 0.7, -1.3, 0.25, 2.0
    x, y = Value(x0), Value(y0)
    f = x * x * y + y**3 * x.sin()
    gx, gy = gradients(f, [x, y], create_graph=True)
    assert isinstance(gx, Value) and isinstance(gy, Value)
    assert float(gx) == pytest.approx(2 * x0 * y0 + y0**3 * math.cos(x0), rel=1e-14)
    assert float(gy) == pytest.approx(x0 * x0 + 3 * y0**2 * math.sin(x0), rel=1e-14)
    hv = gradients(gx * vx + gy * vy, [x, y])
    fxx = 2 * y0 - y0**3 * math.sin(x0)
    fxy = 2 * x0 + 3 * y0**2 * math.cos(x0)
    fyy = 6 * y0 * math.sin(x0)
    assert hv == pytest.approx([fxx * vx + fxy * vy, fxy * vx + fyy * vy], rel=1e-13)


@given(expressions())
def test_create_graph_gradients_have_the_same_values(expr: Expression) -> None:
    """backward(create_graph=True) gives Value grads whose data equal plain backward's floats."""
    xs = [Value(x) for x in expr.inputs]
    out = expr(*xs)
    out.backward()
    plain = [float(x.grad) for x in xs]
    out.zero_grad()
    out.backward(create_graph=True)
    assert [float(x.grad) for x in xs] == pytest.approx(plain, rel=1e-12, abs=1e-12)
