"""Graph walks over recorded nodes: topological order, ``backprop_grads``, ``gradients`` and what a node's rule is.

Written against the node interface both engines share (``parents``, ``local_grads``, ``op``,
``_closure``), except the depth-first walk, which reads the pure node's own fields; when the C
engine is in use its ``topological_order`` is imported over the pure one at the end (the
``heapq``/``_heapq`` shape), and everything here that walks uses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Union

from autograd import _native, errors
from autograd.grad_mode import _GRAD_ENABLED, _grad_mode_changed
from autograd.rules import RULES, Rule

if TYPE_CHECKING:
    from autograd.value import Value

#: What ``gradients`` and ``backprop_grads`` return per node: a float, or a ``Value`` with ``create_graph=True``.
Grad = Union[float, "Value"]


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, parents before children, ending with ``root``.

    A loop with an explicit stack (no recursion, so a chain of a million ops is fine), visiting
    parents in argument order, so the order is the same on every run.

    >>> from autograd import Value
    >>> a = Value(1.0, label="a")
    >>> [n.label or n.op for n in topological_order(a * a + 1)]
    ['a', '*', 'const', '+']
    """
    return depth_first(root, include_leaves=True)


def depth_first(root: Value, include_leaves: bool) -> list[Value]:
    """The post-order of a depth-first walk from ``root``, parents in argument order; leaves optional (pure nodes).

    It is the order of the recursive ``visit(node): for p in parents: if p unseen: visit(p); emit(node)``,
    kept with an explicit stack. The stack holds nodes still to enter plus a ``None`` marker per node
    being expanded, which stands for "all its parents are done: emit it" (the node itself waits in
    ``expanding``). This allocates nothing per node, unlike a stack of (node, iterator) pairs.
    """
    order: list[Any] = []
    emit = order.append
    visited: set[Any] = set()
    mark = visited.add
    expanding: list[Any] = []
    stack: list[Any] = [root]
    pop = stack.pop
    push = stack.append
    while stack:
        node = pop()
        if node is None:
            emit(expanding.pop())
            continue
        if node in visited:  # reached again through a later parent after it was pushed
            continue
        mark(node)
        first = node._parent0
        if first is None:
            many = node._parents_n
            if many:
                expanding.append(node)
                push(None)
                stack.extend(reversed(many))
            elif include_leaves:
                emit(node)
            continue
        expanding.append(node)
        push(None)
        # Checking ``visited`` before pushing is only a shortcut (the check after popping is what
        # keeps the order right), but most parents in a network are weights already seen.
        second = node._parent1
        if second is not None and second not in visited:
            push(second)
        if first not in visited:
            push(first)
    return order


def has_closure(node: Value) -> bool:
    """Whether ``node`` has parents and its derivative is a ``_backward`` closure (no formulas: floats only).

    >>> from autograd import Value
    >>> x = Value(1.0)
    >>> out = Value(2.0, (x,), "double")
    >>> out._backward = lambda: None
    >>> has_closure(out), has_closure(x * 2)
    (True, False)
    """
    return node._closure is not None and not node.is_leaf


def rule_of(node: Value) -> Rule | None:
    """The rule whose formulas describe ``node``'s derivatives, or None (a leaf, a closure, an op no rule names).

    >>> from autograd import Value
    >>> x = Value(1.0)
    >>> rule_of(x * 2).name, rule_of(x)
    ('*', None)
    """
    if node.is_leaf or has_closure(node):
        return None
    rule = RULES.get(node.op)
    if rule is None or (rule.arity is not None and rule.arity != len(node.parents)):
        return None
    return rule


def formulas_of(node: Value, where: str, what: str) -> Rule:
    """The rule of an interior node, or a TypeError naming the node and why ``where`` cannot ``what`` without formulas.

    >>> from autograd import Value
    >>> x = Value(1.0)
    >>> out = Value(2.0, (x,), "double")
    >>> out._backward = lambda: None
    >>> formulas_of(out, "compile", "be compiled")
    Traceback (most recent call last):
    TypeError: compile: node Value(data=2.0, grad=0.0) (op 'double') cannot be compiled: its derivative is a _backward ...
    """
    rule = rule_of(node)
    if rule is None:
        why = (
            "its derivative is a _backward closure, which works on floats only"
            if has_closure(node)
            else (f"no rule is named {node.op!r}")
        )
        raise TypeError(
            f"{where}: node {node!r} (op {node.op!r}) cannot {what}: {why}; "
            "define the op with autograd.define_op to give it formulas"
        )
    return rule


def closure_contributions(node: Any, g: float) -> list[float]:
    """What ``node``'s closure adds to each parent's grad when ``node.grad`` is g; every grad is left as it was.

    A parent listed twice gets the whole contribution at its first position, 0.0 at the others.
    """
    parents = node.parents
    saved = [(p, p.grad, p.grad_value) for p in (node, *parents)]
    try:
        for p in parents:
            p.grad = 0.0
        node.grad = g
        node._backward()
        seen: set[Any] = set()
        out = []
        for p in parents:
            out.append(0.0 if p in seen else float(p.grad))
            seen.add(p)
        return out
    finally:
        for p, grad, grad_value in reversed(saved):
            p.grad = grad
            if grad_value is not None:
                p.grad_value = grad_value


def local_grads_of(node: Any) -> tuple[Any, ...] | list[float]:
    """d node / d parent for each parent, as floats: stored, or measured from its closure; the error if it has neither."""
    if node._closure is not None:
        return closure_contributions(node, 1.0)
    found = node.local_grads
    if len(found) != len(node.parents):
        raise errors.no_derivative(node, node.op)
    return found  # type: ignore[no-any-return]


def backprop_grads(root: Value, order: list[Value] | None = None, *, create_graph: bool = False) -> dict[Value, Grad]:
    """d root / d node for every node in ``order`` (default: all of root's graph), as a dict.

    Unlike ``backward`` it writes no ``grad`` attributes. With ``create_graph=True`` the
    gradients are ``Value``s built from the rules table, so they can be differentiated again.

    >>> from autograd import Value
    >>> x, y = Value(2.0, label="x"), Value(3.0, label="y")
    >>> grads = backprop_grads(x * y + x)
    >>> grads[x], grads[y], x.grad
    (4.0, 2.0, 0.0)
    """
    if order is None:
        order = topological_order(root)
    grads: dict[Value, Grad] = {root: 1.0}
    token = None if create_graph else _GRAD_ENABLED.set(False)
    if token is not None:
        _grad_mode_changed()
    try:
        for node in reversed(order):
            g = grads.get(node)
            parents = node.parents
            if g is None or not parents:
                continue
            locals_: Any
            if create_graph:
                rule = formulas_of(node, "backward(create_graph=True)", "be differentiated twice")
                locals_ = rule.local(*parents, node)
            else:
                locals_ = local_grads_of(node)
            for parent, local in zip(parents, locals_):
                # Skip multiplying by a constant 1.0, so create_graph graphs stay small.
                contribution = g if (isinstance(local, float) and local == 1.0) else local * g
                previous = grads.get(parent)
                grads[parent] = contribution if previous is None else previous + contribution
    finally:
        if token is not None:
            _GRAD_ENABLED.reset(token)
            _grad_mode_changed()
    return grads


def gradients(output: Value, inputs: Iterable[Value], *, create_graph: bool = False) -> list[Grad]:
    """d output / d x for each x in ``inputs`` (0.0 where output does not depend on x); no ``grad`` is touched.

    >>> from autograd import Value
    >>> x, y = Value(2.0), Value(3.0)
    >>> gradients(x * y, [x, y])
    [3.0, 2.0]
    """
    grads = backprop_grads(output, create_graph=create_graph)
    return [grads.get(x, 0.0) for x in inputs]


def rule_locals(op: str, datas: tuple[float, ...], data: float) -> tuple[float, ...]:
    """A custom node's local derivatives from the rule its ``_op`` names, or () (it needs a ``_backward``)."""
    rule = RULES.get(op)
    if rule is not None and (rule.arity is None or rule.arity == len(datas)):
        try:
            return tuple(float(x) for x in rule.local(*datas, data))
        except (ArithmeticError, ValueError):  # outside the rule's domain: like an op no rule names
            return ()
    return ()


# The C engine's walk, over the pure one when it is in use (it reads the C node's own fields); pure
# nodes made beside it (the pure module's own examples, ``pure_value_module()``) keep the pure walk.
_core = _native.active()
if _core is not None:
    _native_order = _core.topological_order
    _NativeValue = _core.Value

    def topological_order(root: Value) -> list[Value]:
        """Every node ``root`` depends on, parents before children, ending with ``root`` (the C engine's walk).

        >>> from autograd import Value
        >>> a = Value(1.0, label="a")
        >>> [n.label or n.op for n in topological_order(a * a + 1)]
        ['a', '*', 'const', '+']
        """
        if isinstance(root, _NativeValue):
            return _native_order(root)  # type: ignore[no-any-return]
        return depth_first(root, include_leaves=True)
