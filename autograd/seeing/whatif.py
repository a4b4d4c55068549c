"""What if a leaf had another value? Recompute a graph's values and gradients without rebuilding it.

``with whatif(x, 3.0, L): ...`` sets ``x.data = 3.0`` and every node of ``L``'s graph to the value and
gradient (d L / d node) it would have, then puts every ``data`` and ``grad`` back on the way out. Inside
the block, ``show(L)``, ``draw_dot(L)`` and ``explain`` show the changed graph. The recomputation is
the rules' own float forward and local derivatives (``autograd.rules``), node by node in topological
order, so it equals what rebuilding the graph and calling ``backward()`` gives, bit for bit.

``backward()`` inside the block is not what-if aware: the nodes keep the local derivatives recorded
when they were built. Use the block's gradients (set on every node), or rebuild the graph.

>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> L = x * x + 1.0
>>> with whatif(x, 3.0, L) as changed:
...     L.data, x.grad, changed.value(L)
(10.0, 6.0, 10.0)
>>> L.data, x.data, x.grad
(5.0, 2.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from autograd.rules import Rule
from autograd.seeing.view import GraphView
from autograd.value import Value, has_closure, rule_of

__all__ = ["Recomputed", "nudge", "recompute", "whatif"]


@dataclass(frozen=True)
class Recomputed:
    """A graph's values and gradients (d root / d node) for changed node values, by node index of the view."""

    view: GraphView
    data: tuple[float, ...]
    grads: tuple[float, ...]

    def value(self, node: Value) -> float:
        """The node's recomputed value."""
        return self.data[self.view.index[node]]

    def grad(self, node: Value) -> float:
        """d root / d node at the recomputed values."""
        return self.grads[self.view.index[node]]


def recompute(root: Value | GraphView, changes: Mapping[Value, float]) -> Recomputed:
    """The values and gradients of ``root``'s graph with the nodes in ``changes`` set to their new values.

    A changed node with parents is held at its new value (what follows it is recomputed, what feeds
    it is not). The graph is not touched. A micrograd-style custom op (a ``_backward`` closure) has no
    formula to recompute from: it is an error that names it.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x")
    >>> y = (x * 3.0).tanh()
    >>> again = recompute(y, {x: 2.0})
    >>> again.value(y) == y.data
    True
    """
    view = GraphView.of(root)
    for node in changes:
        if node not in view:
            raise ValueError(f"recompute: {node!r} is not in the graph of {view.root!r}")
    index = view.index
    data = [0.0] * len(view.order)
    for i, node in enumerate(view.order):
        changed = changes.get(node)
        if changed is not None:
            data[i] = float(changed)
        elif not node.parents:
            data[i] = float(node.data)
        else:
            rule = _rule(node, view)
            data[i] = float(rule.forward(*(data[index[p]] for p in node.parents)))
    grads = [0.0] * len(view.order)
    grads[index[view.root]] = 1.0
    for node in view.schedule:
        i = index[node]
        if node in changes:
            continue  # held at its value: nothing upstream of it moves with it
        inputs = [data[index[p]] for p in node.parents]
        locals_ = _rule(node, view).local(*inputs, data[i])
        g = grads[i]
        for parent, local in zip(node.parents, locals_):
            grads[index[parent]] += float(local) * g
    return Recomputed(view, tuple(data), tuple(grads))


def _rule(node: Value, view: GraphView) -> Rule:
    rule = rule_of(node)
    if rule is None or has_closure(node):
        raise ValueError(
            f"what-if: {view.name(node)} (op {node.op!r}) is a custom op without a formula (a _backward closure); "
            "it cannot be recomputed: define it with define_op to use what-if and the nudge"
        )
    return rule


def nudge(node: Value, root: Value | GraphView, h: float = 1e-6) -> float:
    """The lecture's check of a gradient: (L(x + h) − L(x)) / h, for ``x`` = ``node`` and ``L`` = ``root``.

    >>> from autograd import Value
    >>> x = Value(3.0, label="x")
    >>> round(nudge(x, x * x, h=1e-3), 6)
    6.001
    """
    view = GraphView.of(root)
    base = recompute(view, {}).value(view.root)
    moved = recompute(view, {node: float(node.data) + h}).value(view.root)
    return (moved - base) / h


@contextmanager
def whatif(leaf: Value, value: float, root: Value | GraphView) -> Iterator[Recomputed]:
    """Inside the block, ``leaf`` is ``value`` and every node of ``root``'s graph shows its recomputed data and grad.

    Everything is put back on the way out (also when the block raises). See the module docstring.
    """
    view = GraphView.of(root)
    if leaf not in view:
        raise ValueError(f"whatif: {leaf!r} is not in the graph of {view.root!r}")
    result = recompute(view, {leaf: value})
    saved = [(node, node.data, node.grad) for node in view.order]
    try:
        for node, data, grad in zip(view.order, result.data, result.grads):
            node.data = data
            node.grad = grad
        yield result
    finally:
        for node, data, grad in saved:
            node.data = data
            node.grad = grad
