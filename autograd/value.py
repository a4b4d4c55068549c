"""``Value``: a scalar that remembers how it was computed, and reverse-mode backprop over it.

A ``Value`` holds a float ``data``, a ``grad``, its parents (``parents``, an ordered tuple), the
name of the op that made it and the op's local derivatives as plain numbers, computed at forward
time from ``autograd.rules``. Nothing in a node refers back to the node itself (no closures), so a graph
is freed by reference counting the moment it is unreachable, without waiting for Python's cycle
collector.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, Union

from autograd.rules import FLOAT_HELPERS, RULES, Rule

Number = Union[int, float]
_P = ParamSpec("_P")
_R = TypeVar("_R")
#: What a gradient is: a float, or a ``Value`` after ``backward(create_graph=True)``.
Grad = Union[float, "Value"]

_GRAD_ENABLED: ContextVar[bool] = ContextVar("valuegrad_grad_enabled", default=True)

#: While ``autograd.compile`` traces a function: called with every data-dependent decision made on a
#: Value (a comparison, or ``float(v)``), so the replay can re-check it. None otherwise.
_TRACER: ContextVar[Callable[[Value, str, object, object], None] | None] = ContextVar("valuegrad_tracer", default=None)


class no_grad:
    """Context manager (and decorator) under which operations record no graph, in this thread/context only.

    >>> from autograd import Value, no_grad
    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.parents
    ()
    """

    def __init__(self) -> None:
        self._tokens: list[Any] = []

    def __enter__(self) -> None:
        if _TRACER.get() is not None:
            # Values computed under no_grad are cut from the graph, so a replay would reuse them frozen.
            raise RuntimeError("no_grad inside a function being compiled: its results would be frozen at trace time")
        self._tokens.append(_GRAD_ENABLED.set(False))

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        _GRAD_ENABLED.reset(self._tokens.pop())

    def __call__(self, fn: Callable[_P, _R]) -> Callable[_P, _R]:
        """Decorate ``fn`` so that each call runs under ``no_grad``; its signature and name are kept.

        >>> @no_grad()
        ... def square(v: Value) -> Value:
        ...     return v * v
        >>> square(Value(3.0)).parents, square.__name__
        ((), 'square')
        """

        @functools.wraps(fn)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            # A fresh instance per call: calls running at once in several threads would otherwise
            # share one token stack and reset each other's context (a ValueError, recording left off).
            with no_grad():
                return fn(*args, **kwargs)

        return wrapper


def is_grad_enabled() -> bool:
    """Whether operations in the current thread/context record a graph (False inside ``no_grad``).

    >>> from autograd import is_grad_enabled, no_grad
    >>> with no_grad():
    ...     inside = is_grad_enabled()
    >>> inside, is_grad_enabled()
    (False, True)
    """
    return _GRAD_ENABLED.get()


def _as_float(x: object, where: str) -> float:
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(f"{where}: expected a real number (int or float), got {type(x).__name__}: {x!r}")


class Value:
    """A scalar node in a computation graph: ``data``, ``grad`` and how it was made.

    >>> from autograd import Value
    >>> a = Value(2.0, label="a")
    >>> b = a * a + 1
    >>> b.backward()
    >>> b.data, a.grad
    (5.0, 4.0)
    """

    # Speed comes from how little a node is. The parents and local derivatives of a one- or two-input
    # op (all but a handful of nodes) live in slots of their own, not in tuples: every tuple that
    # holds a Value is one more object for Python's cycle collector to track and traverse, and its
    # collections dominate the time to build a big graph. So a node is ONE tracked object, and a
    # small one (each slot costs a visit in every collection). A leaf has ``_parent0 is None``; a
    # unary node has ``_parent1 is None`` and never reads ``_local1`` (so it is left unset). The
    # fused n-ary ops (sum, dot) make ``_FusedValue`` nodes, which add tuples of parents and locals.
    __slots__ = ("data", "grad", "_parent0", "_parent1", "_op", "_local0", "_local1", "label", "__weakref__")

    data: float
    grad: Grad
    _parent0: Value | None
    _parent1: Value | None
    _op: str
    _local0: float
    _local1: float
    label: str | None
    # Only ``_FusedValue`` nodes have their own; every other node shows these class defaults.
    _parents_n: tuple[Value, ...] = ()
    _local_n: tuple[Any, ...] = ()

    def __init__(self, data: Number, label: str | None = None) -> None:
        self.data = _as_float(data, "Value")
        self.grad = 0.0
        self._parent0 = self._parent1 = None
        self._op = ""
        self._local0 = self._local1 = 0.0
        if label is not None and not isinstance(label, str):
            # Caught here, not later as a bare TypeError deep in show/draw_dot/Backprop.
            raise TypeError(f"Value: label must be a str or None, got {type(label).__name__}: {label!r}")
        self.label = label

    # ----------------------------------------------------------------------------- inspection

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs this node was computed from, in argument order (empty for a leaf)."""
        first = self._parent0
        if first is None:
            return self._parents_n
        second = self._parent1
        return (first,) if second is None else (first, second)

    @property
    def op(self) -> str:
        """The name of the rule that made this node (``''`` for a leaf, ``'const'`` for a wrapped number)."""
        return self._op

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d self / d parent for each parent, as computed at forward time."""
        if self._parent0 is None:
            return self._local_n
        return (self._local0,) if self._parent1 is None else (self._local0, self._local1)

    @property
    def is_leaf(self) -> bool:
        """True for nodes with no parents: inputs, parameters and constants."""
        return self._parent0 is None and not self._parents_n

    def _repr_html_(self) -> str:
        """Jupyter's rich display: label, data, grad and op on one line (``autograd.notebook.value_html``)."""
        from autograd.notebook import value_html

        return value_html(self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label is not None else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return _decided(self, "float", None, self.data)

    def __pos__(self) -> Value:
        return self

    # ----------------------------------------------------------------------------- operations
    # Generated from autograd.rules.RULES right after the class (see ``_install_rule_methods``);
    # declared here so that type checkers and readers see them.

    if TYPE_CHECKING:

        def __add__(self, other: Value | Number) -> Value: ...
        def __radd__(self, other: Value | Number) -> Value: ...
        def __sub__(self, other: Value | Number) -> Value: ...
        def __rsub__(self, other: Value | Number) -> Value: ...
        def __mul__(self, other: Value | Number) -> Value: ...
        def __rmul__(self, other: Value | Number) -> Value: ...
        def __truediv__(self, other: Value | Number) -> Value: ...
        def __rtruediv__(self, other: Value | Number) -> Value: ...
        def __pow__(self, other: Value | Number) -> Value: ...
        def __rpow__(self, other: Value | Number) -> Value: ...
        def __neg__(self) -> Value: ...
        def __abs__(self) -> Value: ...
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def sqrt(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def relu(self) -> Value: ...
        def softplus(self) -> Value: ...
        def sin(self) -> Value: ...
        def cos(self) -> Value: ...

    # ----------------------------------------------------------------------------- comparisons
    # They compare ``data`` and give a bool (no gradient). ``==`` and ``hash`` stay by identity, so
    # Values can be keys of the dicts and members of the sets that graph walks rely on.

    def __lt__(self, other: Value | Number) -> bool:
        return _decided(self, "<", other, self.data < _compare_operand(other))

    def __le__(self, other: Value | Number) -> bool:
        return _decided(self, "<=", other, self.data <= _compare_operand(other))

    def __gt__(self, other: Value | Number) -> bool:
        return _decided(self, ">", other, self.data > _compare_operand(other))

    def __ge__(self, other: Value | Number) -> bool:
        return _decided(self, ">=", other, self.data >= _compare_operand(other))

    # ----------------------------------------------------------------------------- backprop

    def backward(self, *, create_graph: bool = False) -> None:
        """Set ``grad`` of every node reachable from this one to d self / d node.

        Leaves (inputs, parameters) *accumulate* (``+=``), as in PyTorch, so the gradients of
        several losses add up until ``zero_grad``. Interior nodes get fresh gradients on every
        call, so a second ``backward()`` never compounds stale values. With
        ``create_graph=True`` every ``grad`` is a ``Value`` that can itself be differentiated.

        >>> x = Value(2.0)
        >>> y = x ** 3
        >>> y.backward(create_graph=True)
        >>> dy = x.grad
        >>> x.zero_grad()
        >>> dy.backward()
        >>> x.grad
        12.0
        """
        if create_graph:
            order = topological_order(self)
            grads = backprop_grads(self, order, create_graph=True)
            for node in order:
                found = grads.get(node, 0.0)
                as_value = found if isinstance(found, Value) else _leaf(found, "const")
                if not node.is_leaf or (isinstance(node.grad, float) and node.grad == 0.0):
                    node.grad = as_value
                else:
                    node.grad = node.grad + as_value
            return
        # Leaves need no step of their own (their parents push into them), so walk interior nodes only:
        # the same order as ``reversed(topological_order(self))`` with the leaves left out.
        interior = _depth_first(self, include_leaves=False)
        token = _GRAD_ENABLED.set(False)  # accumulating into a Value-valued grad must not record
        try:
            for node in interior:
                node.grad = 0.0
            self.grad += 1.0
            # The chain rule, node by node: parent.grad += d node / d parent * node.grad.
            for node in reversed(interior):
                g = node.grad
                first = node._parent0
                if first is not None:
                    first.grad += node._local0 * g
                    second = node._parent1
                    if second is not None:
                        second.grad += node._local1 * g
                else:
                    for parent, local in zip(node._parents_n, node._local_n):
                        parent.grad += local * g
        finally:
            _GRAD_ENABLED.reset(token)

    def zero_grad(self) -> None:
        """Reset ``grad`` to 0.0 on this node and every node it was computed from."""
        for node in topological_order(self):
            node.grad = 0.0


class _FusedValue(Value):
    """A node of a fused n-ary op (``sum``, ``dot``): a Value whose parents and locals are tuples."""

    __slots__ = ("_parents_n", "_local_n")


_Decision = TypeVar("_Decision", bool, float)


def _decided(node: Value, how: str, other: object, result: _Decision) -> _Decision:
    """``result``, after telling a running ``autograd.compile`` trace that code decided something from ``node``."""
    tracer = _TRACER.get()
    if tracer is not None:
        tracer(node, how, other, result)
    return result


def _compare_operand(other: object) -> float:
    if isinstance(other, Value):
        return other.data
    return _as_float(other, "comparison")


# ------------------------------------------------------------------------------------- recording


def _leaf(data: float, op: str) -> Value:
    node = Value.__new__(Value)
    node.data = data
    node.grad = 0.0
    node._parent0 = node._parent1 = None
    node._op = op
    node._local0 = node._local1 = 0.0
    node.label = None
    return node


def _lift(x: object, op: str) -> Value:
    """A Value for an operand: Values pass through, numbers become ``'const'`` leaves."""
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int or isinstance(x, numbers.Real):  # the ABC check is slow: ints first
        return _leaf(float(x), "const")
    raise TypeError(f"{op}: unsupported operand of type {type(x).__name__}: {x!r} (expected a Value or a real number)")


# The templates the operator methods are generated from: one per arity. The forward and local
# formulas come verbatim from the rule; everything else is the bookkeeping of recording a node,
# written out inline because this is the hottest code in the library (a method call per
# helper would cost more than the arithmetic).
_BINARY_TEMPLATE = """
def generated_{method}(self, other):
    {first}, {second} = {operands}
    if {lifted}.__class__ is not Value:
        {lifted} = _lift({lifted}, {name!r})
    {a} = {first}.data
    {b} = {second}.data
    out = {forward}
    node = _new(Value)
    node.data = out
    node.grad = 0.0
    node.label = None
    if _grad_enabled():
        node._parent0 = {first}
        node._parent1 = {second}
        node._op = {name!r}
        node._local0 = {local0}
        node._local1 = {local1}
    else:
        node._parent0 = None
        node._op = ""
    return node
"""

_UNARY_TEMPLATE = """
def generated_{method}(self):
    {x} = self.data
    out = {forward}
    node = _new(Value)
    node.data = out
    node.grad = 0.0
    node.label = None
    if _grad_enabled():
        node._parent0 = self
        node._parent1 = None
        node._op = {name!r}
        node._local0 = {local0}
    else:
        node._parent0 = None
        node._op = ""
    return node
"""

#: Which ``Value`` method(s) each rule becomes; unlisted unary rules become a method of their name.
OPERATOR_METHODS: dict[str, tuple[str, ...]] = {
    "+": ("__add__", "__radd__"),
    "-": ("__sub__", "__rsub__"),
    "*": ("__mul__", "__rmul__"),
    "/": ("__truediv__", "__rtruediv__"),
    "**": ("__pow__", "__rpow__"),
    "neg": ("__neg__",),
    "abs": ("__abs__",),
}


def _method_source(rule: Rule, method: str, reflected: bool) -> str:
    if len(rule.inputs) == 1:
        return _UNARY_TEMPLATE.format(
            method=method, name=rule.name, x=rule.inputs[0], forward=rule.forward_formula, local0=rule.local_formulas[0]
        )
    a, b = rule.inputs
    return _BINARY_TEMPLATE.format(
        method=method,
        name=rule.name,
        # ``2 - v`` calls v.__rsub__(2): the number is the first operand.
        first="left",
        second="right",
        operands="other, self" if reflected else "self, other",
        lifted="left" if reflected else "right",
        a=a,
        b=b,
        forward=rule.forward_formula,
        local0=rule.local_formulas[0],
        local1=rule.local_formulas[1],
    )


def _install_rule_methods() -> str:
    """Generate and attach one ``Value`` method per fixed-arity rule; return the generated source."""
    namespace: dict[str, Any] = {
        **FLOAT_HELPERS,
        "Value": Value,
        "_new": object.__new__,
        "_lift": _lift,
        "_grad_enabled": _GRAD_ENABLED.get,
    }
    sources = []
    for rule in RULES.values():
        if rule.arity is None:
            continue
        for i, method in enumerate(OPERATOR_METHODS.get(rule.name, (rule.name,))):
            source = _method_source(rule, method, reflected=i == 1)
            # The function is defined as ``generated_<name>`` in a fresh namespace, so a generated ``log``
            # method never shadows the ``log`` helper its own formula calls.
            scope = dict(namespace)
            exec(compile(source, f"<autograd rule {rule.name!r}>", "exec"), scope)
            function = scope[f"generated_{method}"]
            function.__name__ = method
            function.__qualname__ = f"Value.{method}"
            function.__doc__ = f"Rule {rule.name!r}: {rule.doc}."
            setattr(Value, method, function)
            sources.append(source)
    return "".join(sources)


#: The source of every generated operator method, for readers who want to see it.
GENERATED_SOURCE = _install_rule_methods()


def apply(op: str, *inputs: Value | Number) -> Value:
    """Apply the rule named ``op`` (see ``autograd.rules.RULES``) to any number of inputs.

    >>> apply("sum", Value(1.0), 2, Value(3.0)).data
    6.0
    """
    try:
        rule = RULES[op]
    except KeyError:
        raise ValueError(f"apply: no rule named {op!r}; known ops: {', '.join(RULES)}") from None
    if rule.arity is not None and len(inputs) != rule.arity:
        raise TypeError(f"{op}: takes {rule.arity} input(s), got {len(inputs)}")
    parents = tuple(_lift(x, op) for x in inputs)
    datas = tuple(p.data for p in parents)
    out = rule.forward(*datas)
    if not _GRAD_ENABLED.get():
        return _leaf(out, "")
    local = rule.local(*datas, out)
    if rule.arity is None:
        fused = _FusedValue.__new__(_FusedValue)
        fused.data = out
        fused.grad = 0.0
        fused._parent0 = fused._parent1 = None
        fused._op = op
        fused.label = None
        fused._parents_n = parents
        fused._local_n = local
        return fused
    node = _leaf(out, op)
    node._parent0 = parents[0]
    node._local0 = local[0]
    if len(parents) == 2:
        node._parent1 = parents[1]
        node._local1 = local[1]
    return node


def vsum(values: Iterable[Value | Number]) -> Value:
    """The sum of many values as one node (one parent per term), instead of a chain of ``+``.

    >>> vsum([Value(1.0), Value(2.0), 3]).data
    6.0
    """
    return apply("sum", *values)


def dot(weights: Iterable[Value | Number], inputs: Iterable[Value | Number], bias: Value | Number = 0.0) -> Value:
    """w0*x0 + w1*x1 + ... + bias as one node: a neuron's weighted sum, fused.

    >>> dot([Value(2.0), Value(3.0)], [1.0, -1.0], Value(0.5)).data
    -0.5
    """
    ws = list(weights)
    xs = list(inputs)
    if len(ws) != len(xs):
        raise ValueError(f"dot: {len(ws)} weights but {len(xs)} inputs")
    return apply("dot", *ws, *xs, bias)


# ------------------------------------------------------------------------------------- graph walks


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, parents before children, ending with ``root``.

    A loop with an explicit stack (no recursion, so a chain of a million ops is fine), visiting
    parents in argument order, so the order is the same on every run.

    >>> a = Value(1.0, label="a")
    >>> [n.label or n.op for n in topological_order(a * a + 1)]
    ['a', '*', 'const', '+']
    """
    return _depth_first(root, include_leaves=True)


def _depth_first(root: Value, include_leaves: bool) -> list[Value]:
    """The post-order of a depth-first walk from ``root``, parents in argument order; leaves optional.

    It is the order of the recursive ``visit(node): for p in parents: if p unseen: visit(p); emit(node)``,
    kept with an explicit stack. The stack holds nodes still to enter plus a ``None`` marker per node
    being expanded, which stands for "all its parents are done: emit it" (the node itself waits in
    ``expanding``). This allocates nothing per node, unlike a stack of (node, iterator) pairs.
    """
    order: list[Value] = []
    emit = order.append
    visited: set[Value] = set()
    mark = visited.add
    expanding: list[Value] = []
    stack: list[Value | None] = [root]
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


def backprop_grads(root: Value, order: list[Value] | None = None, *, create_graph: bool = False) -> dict[Value, Grad]:
    """d root / d node for every node in ``order`` (default: all of root's graph), as a dict.

    Unlike ``backward`` it writes no ``grad`` attributes. With ``create_graph=True`` the
    gradients are ``Value``s built from the rules table, so they can be differentiated again.

    >>> x, y = Value(2.0, label="x"), Value(3.0, label="y")
    >>> grads = backprop_grads(x * y + x)
    >>> grads[x], grads[y], x.grad
    (4.0, 2.0, 0.0)
    """
    if order is None:
        order = topological_order(root)
    grads: dict[Value, Grad] = {root: 1.0}
    token = None if create_graph else _GRAD_ENABLED.set(False)
    try:
        for node in reversed(order):
            g = grads.get(node)
            parents = node.parents
            if g is None or not parents:
                continue
            if create_graph:
                locals_: tuple[Any, ...] = RULES[node._op].local(*parents, node)
            else:
                locals_ = node.local_grads
            for parent, local in zip(parents, locals_):
                # Skip multiplying by a constant 1.0, so create_graph graphs stay small.
                contribution = g if (isinstance(local, float) and local == 1.0) else local * g
                previous = grads.get(parent)
                grads[parent] = contribution if previous is None else previous + contribution
    finally:
        if token is not None:
            _GRAD_ENABLED.reset(token)
    return grads


def gradients(output: Value, inputs: Iterable[Value], *, create_graph: bool = False) -> list[Grad]:
    """d output / d x for each x in ``inputs`` (0.0 where output does not depend on x); no ``grad`` is touched.

    >>> x, y = Value(2.0), Value(3.0)
    >>> gradients(x * y, [x, y])
    [3.0, 2.0]
    """
    grads = backprop_grads(output, create_graph=create_graph)
    return [grads.get(x, 0.0) for x in inputs]
