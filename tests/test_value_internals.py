"""Value's speed-minded layout keeps the public behaviour: walk order, one tracked object per node, freed by refcount."""

from __future__ import annotations

import gc
import sys
import weakref

from hypothesis import given

import autograd
from autograd import Value, topological_order
from autograd.testing import Expression, expressions


def _recursive_order(root: Value) -> list[Value]:
    order: list[Value] = []
    seen: set[Value] = set()

    def visit(node: Value) -> None:
        seen.add(node)
        for parent in node.parents:
            if parent not in seen:
                visit(parent)
        order.append(node)

    visit(root)
    return order


@given(expressions(max_ops=12))
def test_iterative_walk_is_the_recursive_depth_first_post_order(expr: Expression) -> None:
    """The allocation-free walk gives exactly the textbook recursive DFS post-order."""
    root = expr(*expr.inputs)
    assert topological_order(root) == _recursive_order(root)


@given(expressions(max_ops=12))
def test_backward_applies_the_chain_rule_in_reversed_walk_order(expr: Expression) -> None:
    """backward() equals a plain loop over reversed(topological_order) with parents and local_grads."""
    inputs = [Value(x) for x in expr.inputs]
    root = expr(*inputs)
    root.backward()
    grads: dict[Value, float] = {root: 1.0}
    for node in reversed(topological_order(root)):
        for parent, local in zip(node.parents, node.local_grads):
            grads[parent] = grads.get(parent, 0.0) + local * grads.get(node, 0.0)
    assert [x.grad for x in inputs] == [grads.get(x, 0.0) for x in inputs]


def test_a_binary_node_is_one_gc_tracked_object() -> None:
    """A node refers to its parents directly, with no tuple (or other tracked object) of its own."""
    a, b = Value(1.0), Value(2.0)
    node = a * b
    assert [r for r in gc.get_referents(node) if gc.is_tracked(r) and not isinstance(r, (Value, type))] == []
    assert node.parents == (a, b)
    # The C engine goes further: a node that cannot be on a cycle is not tracked at all (see tests/test_native.py).
    assert gc.is_tracked(node) == (autograd.BACKEND == "pure")


def test_graph_is_freed_by_reference_counting_alone() -> None:
    """With the cycle collector off, dropping the output frees a long chain at once (no cycles)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = Value(1.0)
        y = x
        for _ in range(10_000):
            y = y * 1.0 + 0.0
        probe = weakref.ref(y)
        assert sys.getrefcount(y) >= 2
        del y
        assert probe() is None
    finally:
        if was_enabled:
            gc.enable()


def test_a_deep_chain_walks_and_backprops_without_recursion() -> None:
    """Deep graphs need no recursion limit: the walk and backward are loops."""
    x = Value(0.5)
    y = x
    for _ in range(200_000):
        y = y + 0.0
    y.backward()
    assert x.grad == 1.0
