"""``Value``: a scalar that remembers how it was computed, and reverse-mode backprop over it.

A ``Value`` holds a float ``data``, a ``grad``, its parents as an ordered tuple, the name of the
op that made it and the op's local derivatives as plain numbers, computed at forward time from
``autograd.rules``. Nothing in a node refers back to the node itself (no closures), so a graph
is freed by reference counting the moment it is unreachable, without waiting for Python's cycle
collector.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from types import TracebackType
from typing import TYPE_CHECKING, Any, Union

from autograd.rules import FLOAT_HELPERS, RULES, Rule

Number = Union[int, float]
#: What a gradient is: a float, or a ``Value`` after ``backward(create_graph=True)``.
Grad = Union[float, "Value"]

_GRAD_ENABLED: ContextVar[bool] = ContextVar("valuegrad_grad_enabled", default=True)


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
        self._tokens.append(_GRAD_ENABLED.set(False))

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        _GRAD_ENABLED.reset(self._tokens.pop())

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = fn.__doc__
        return wrapper


def is_grad_enabled() -> bool:
    """Whether operations in the current thread/context record a graph (False inside ``no_grad``)."""
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

    # The local derivatives of a one- or two-input op live in two float slots rather than a tuple:
    # a tuple per node is one more object for Python's cycle collector to track and traverse,
    # which measurably slows building large graphs. Fused n-ary ops keep theirs in ``_local_n``.
    __slots__ = ("data", "grad", "_prev", "_op", "_local0", "_local1", "_local_n", "label", "__weakref__")

    data: float
    grad: Grad
    _prev: tuple[Value, ...]
    _op: str
    _local0: float
    _local1: float
    _local_n: tuple[Any, ...]
    label: str | None

    def __init__(self, data: Number, label: str | None = None) -> None:
        self.data = _as_float(data, "Value")
        self.grad = 0.0
        self._prev = ()
        self._op = ""
        self._local0 = self._local1 = 0.0
        self._local_n = ()
        self.label = label

    # ----------------------------------------------------------------------------- inspection

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs this node was computed from, in argument order (empty for a leaf)."""
        return self._prev

    @property
    def op(self) -> str:
        """The name of the rule that made this node (``''`` for a leaf, ``'const'`` for a wrapped number)."""
        return self._op

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d self / d parent for each parent, as computed at forward time."""
        arity = len(self._prev)
        if arity == 2:
            return (self._local0, self._local1)
        if arity == 1:
            return (self._local0,)
        return self._local_n

    @property
    def is_leaf(self) -> bool:
        """True for nodes with no parents: inputs, parameters and constants."""
        return not self._prev

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label is not None else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self.data

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
        return self.data < _compare_operand(other)

    def __le__(self, other: Value | Number) -> bool:
        return self.data <= _compare_operand(other)

    def __gt__(self, other: Value | Number) -> bool:
        return self.data > _compare_operand(other)

    def __ge__(self, other: Value | Number) -> bool:
        return self.data >= _compare_operand(other)

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
        order = topological_order(self)
        if create_graph:
            grads = backprop_grads(self, order, create_graph=True)
            for node in order:
                found = grads.get(node, 0.0)
                as_value = found if isinstance(found, Value) else _leaf(found, "const")
                if node._prev or (isinstance(node.grad, float) and node.grad == 0.0):
                    node.grad = as_value
                else:
                    node.grad = node.grad + as_value
            return
        token = _GRAD_ENABLED.set(False)  # accumulating into a Value-valued grad must not record
        try:
            for node in order:
                if node._prev:
                    node.grad = 0.0
            self.grad += 1.0
            # The chain rule, node by node: parent.grad += d node / d parent * node.grad.
            for node in reversed(order):
                parents = node._prev
                arity = len(parents)
                if arity == 2:
                    a, b = parents
                    g = node.grad
                    a.grad += node._local0 * g
                    b.grad += node._local1 * g
                elif arity == 1:
                    parents[0].grad += node._local0 * node.grad
                elif arity:
                    g = node.grad
                    for parent, local in zip(parents, node._local_n):
                        parent.grad += local * g
        finally:
            _GRAD_ENABLED.reset(token)

    def zero_grad(self) -> None:
        """Reset ``grad`` to 0.0 on this node and every node it was computed from."""
        for node in topological_order(self):
            node.grad = 0.0


def _compare_operand(other: object) -> float:
    if isinstance(other, Value):
        return other.data
    return _as_float(other, "comparison")


# ------------------------------------------------------------------------------------- recording


def _leaf(data: float, op: str) -> Value:
    node = Value.__new__(Value)
    node.data = data
    node.grad = 0.0
    node._prev = ()
    node._op = op
    node._local0 = node._local1 = 0.0
    node._local_n = ()
    node.label = None
    return node


def _lift(x: object, op: str) -> Value:
    """A Value for an operand: Values pass through, numbers become ``'const'`` leaves."""
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real):
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
    node._local_n = ()
    if _grad_enabled():
        node._prev = ({first}, {second})
        node._op = {name!r}
        node._local0 = {local0}
        node._local1 = {local1}
    else:
        node._prev = ()
        node._op = ""
        node._local0 = node._local1 = 0.0
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
    node._local_n = ()
    node._local1 = 0.0
    if _grad_enabled():
        node._prev = (self,)
        node._op = {name!r}
        node._local0 = {local0}
    else:
        node._prev = ()
        node._op = ""
        node._local0 = 0.0
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
    node = _leaf(out, op)
    node._prev = parents
    local = rule.local(*datas, out)
    if len(parents) == 2:
        node._local0, node._local1 = local
    elif len(parents) == 1:
        node._local0 = local[0]
    else:
        node._local_n = local
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
    order: list[Value] = []
    visited = {root}
    stack = [(root, iter(root._prev))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in visited:
                visited.add(parent)
                if parent._prev:
                    stack.append((parent, iter(parent._prev)))
                    break
                order.append(parent)  # a leaf is finished at once; no need to push it
        else:
            stack.pop()
            order.append(node)
    return order


def backprop_grads(root: Value, order: list[Value] | None = None, *, create_graph: bool = False) -> dict[Value, Grad]:
    """d root / d node for every node in ``order`` (default: all of root's graph), as a dict.

    Unlike ``backward`` it writes no ``grad`` attributes. With ``create_graph=True`` the
    gradients are ``Value``s built from the rules table, so they can be differentiated again.
    """
    if order is None:
        order = topological_order(root)
    grads: dict[Value, Grad] = {root: 1.0}
    token = None if create_graph else _GRAD_ENABLED.set(False)
    try:
        for node in reversed(order):
            g = grads.get(node)
            if g is None or not node._prev:
                continue
            if create_graph:
                locals_: tuple[Any, ...] = RULES[node._op].local(*node._prev, node)
            else:
                locals_ = node.local_grads
            for parent, local in zip(node._prev, locals_):
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
