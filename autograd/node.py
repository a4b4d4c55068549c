"""The pure engine's ``Value``: a scalar that remembers how it was computed, and ``backward`` over it.

How ``a * b`` works, end to end (open the files alongside):

1. ``a * b`` calls ``Value.__mul__``, which ``Value`` inherits from ``Operators`` in
   ``autograd/_ops.py``: ordinary Python written out from the ``*`` row of ``autograd/rules.py``
   by ``python3 dev.py generate``. It computes ``out = a.data * b.data`` (the row's forward
   formula) and makes a new node holding ``out`` whose parents are ``a`` and ``b`` and whose
   local derivatives are the row's local formulas as numbers: d out / d a = ``b.data``,
   d out / d b = ``a.data``. Nothing else is stored: no closure, nothing that refers back to the
   node, so a graph is freed by reference counting the moment it is unreachable.
2. ``autograd.recording.apply(op, *inputs)`` is the same thing written generically; the methods
   in ``_ops.py`` are that, unrolled per operator because this is the hottest code of the library.
3. ``Value.backward`` walks the graph in reverse topological order and applies the chain rule
   node by node: ``parent.grad += local * node.grad``. Each node's own step is also callable by
   hand, as in micrograd: ``node._backward()``.

Assignments (the same on both engines; see docs/engine.md): ``data`` and ``grad`` take any real
number and store ``float(x)`` (a ``Value`` or a non-number raises TypeError); assigning ``grad``
drops a stale ``grad_value``; ``label`` None means ''; ``_backward`` takes a callable;
``grad_value`` a Value (its data becomes ``grad``) or None; ``label`` assigned after construction keeps any object
(drawings show its str), while the constructor takes a str only. Anything else is a user attribute, kept
in the node's ``__dict__``, never read by the engine.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any, Union

from autograd import errors
from autograd._ops import Operators
from autograd.base import ValueBase, real
from autograd.grad_mode import grad_enabled
from autograd.graph import depth_first, local_grads_of, rule_locals, topological_order
from autograd.rules import constant_power_name, pow_base_derivative, pow_forward

Number = Union[int, float]


class Value(Operators, ValueBase):
    """A scalar node in a computation graph: ``data``, ``grad`` and how it was made.

    ``Value(data, _children=(), _op='', label='')`` is micrograd's constructor: with children it
    makes a custom op node (see ``_backward``). ``Value(data, children, local_grads)`` with a tuple
    or list of numbers as the third argument is microgpt's: a node with those local derivatives.

    >>> a = Value(2.0, label="a")
    >>> b = a * a + 1
    >>> b.backward()
    >>> b.data, a.grad
    (5.0, 4.0)
    """

    # Speed comes from how little a node is. The parents and local derivatives of a one- or two-input
    # op (all but a handful of nodes) live in slots of their own, not in tuples: every tuple that
    # holds a Value is one more object for Python's cycle collector to track and traverse. A leaf
    # has ``_parent0 is None``; a unary node has ``_parent1 is None`` and never reads ``_local1``.
    # The fused n-ary ops (sum, dot) and custom nodes add tuples of parents and locals. The engine
    # reads and writes the underscored slots; ``data``, ``grad``, ``label`` and ``op`` are the public,
    # checked faces of them. ``__dict__`` holds users' own attributes (created on first use).
    __slots__ = (
        "_data", "_grad", "_parent0", "_parent1", "_name", "_local0", "_local1", "_label", "_extra",
        "__dict__", "__weakref__",
    )  # fmt: skip

    _data: float
    _grad: float
    _parent0: Value | None
    _parent1: Value | None
    _name: str
    _local0: float
    _local1: float
    _label: str
    #: None, or the ``_Extra`` of a node given a create_graph gradient or a ``_backward`` closure (few are).
    _extra: _Extra | None
    # Only n-ary and custom nodes have their own; every other node shows these class defaults.
    _parents_n: tuple[Value, ...] = ()
    _local_n: tuple[Any, ...] = ()
    _is_custom = False

    def __new__(cls, data: Number = 0.0, _children: Iterable[Value] = (), _op: Any = "", label: str = "") -> Value:
        # Only nodes users build with children need the extra slots of a custom op; the operators
        # make nodes with object.__new__ and never come here.
        if not _children:
            return object.__new__(cls)
        return object.__new__(_CustomValue if cls is Value else _custom_class(cls))

    def __init__(self, data: Number, _children: Iterable[Value] = (), _op: Any = "", label: str = "") -> None:
        # Checks inline, without calls: parameters and inputs are made here, often.
        self._data = data if data.__class__ is float else real(data, "Value")
        self._grad = 0.0
        self._parent0 = self._parent1 = None
        self._local0 = self._local1 = 0.0
        self._extra = None  # (again on a re-initialised node: its closure and grad_value were the old node's)
        # None: from code older than the '' default.
        self._label = label if label.__class__ is str else "" if label is None else _check_str(label, "label")
        if _children:
            _init_custom(self, _children, _op)
        else:
            self._name = _op if _op.__class__ is str else _check_str(_op, "_op")
            if self._parents_n:  # a fused or custom node re-initialised as a leaf drops its parents, as in C
                self._parents_n = self._local_n = ()

    # ----------------------------------------------------------------------------- the checked fields

    @property
    def data(self) -> float:
        """The value (a float)."""
        return self._data

    @data.setter
    def data(self, x: float) -> None:
        self._data = x if x.__class__ is float else real(x, "data")

    @data.deleter
    def data(self) -> None:
        raise errors.not_deletable("data")

    @property
    def grad(self) -> float:
        """d root / d self from the last ``backward()``: always a float (``p.data -= lr * p.grad`` type-checks)."""
        return self._grad

    @grad.setter
    def grad(self, x: float) -> None:
        self._grad = x if x.__class__ is float else real(x, "grad")
        extra = self._extra
        if extra is not None:
            extra.grad_value = None  # a grad assigned by hand is no longer the one create_graph made

    @grad.deleter
    def grad(self) -> None:
        raise errors.not_deletable("grad")

    @property
    def label(self) -> str:
        """A name for drawings and listings ('' when unnamed)."""
        return self._label

    @label.setter
    def label(self, text: str | None) -> None:
        # As the C engine: None means '', anything else is kept as given (drawings show str(label)).
        self._label = "" if text is None else text

    @label.deleter
    def label(self) -> None:
        raise errors.not_deletable("label")

    @property
    def op(self) -> str:
        """The name of the rule that made this node (``''`` for a leaf, ``'const'`` for a wrapped number)."""
        return self._name

    @property
    def _opname(self) -> str:
        """The op's name, writable: what ``_op = name`` renames (the derivatives stay)."""
        return self._name

    @_opname.setter
    def _opname(self, name: str) -> None:
        self._name = name if isinstance(name, str) else _check_str(name, "_op")

    @property
    def grad_value(self) -> Value | None:
        """The differentiable gradient from ``backward(create_graph=True)`` (None before one); ``grad`` holds its float.

        Assigning a Value sets ``grad`` to its data; assigning None drops it.
        """
        extra = self._extra
        if extra is None or extra.grad_value is None:
            return None
        value = extra.grad_value
        if value._data != self._grad and not (value._data != value._data and self._grad != self._grad):
            # grad moved on without it (a plain backward() added into it): grad_value is stale, and
            # a later create_graph backward must start from grad, not from the old graph.
            extra.grad_value = None
            return None
        return value

    @grad_value.setter
    def grad_value(self, value: Value | None) -> None:
        if value is not None and not isinstance(value, Value):
            raise errors.grad_value_not_a_value(value)
        if value is None:
            if self._extra is not None:
                self._extra.grad_value = None
            return
        self._extras().grad_value = value
        self._grad = value._data

    @grad_value.deleter
    def grad_value(self) -> None:
        self.grad_value = None

    @property
    def _closure(self) -> Callable[[], None] | None:  # type: ignore[override]
        extra = self._extra
        return None if extra is None else extra.closure

    def _extras(self) -> _Extra:
        extra = self._extra
        if extra is None:
            extra = self._extra = _Extra()
        return extra

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
    def local_grads(self) -> tuple[float, ...]:
        """d self / d parent for each parent, as computed at forward time (measured from a ``_backward`` closure)."""
        if self._closure is not None and not self.is_leaf:
            return self._closure_local_grads()
        if self._parent0 is None:
            return self._local_n
        return (self._local0,) if self._parent1 is None else (self._local0, self._local1)

    @property
    def is_leaf(self) -> bool:
        """True for nodes with no parents: inputs, parameters and constants."""
        return self._parent0 is None and not self._parents_n

    # ----------------------------------------------------------------------------- backprop

    @property
    def _backward(self) -> Callable[[], None]:
        """This node's own chain-rule step, as in micrograd: ``parent.grad += local * self.grad`` for each parent.

        Calling it on every node in reverse topological order, after ``root.grad = 1.0``, is
        ``root.backward()`` by hand. Assigning a closure makes it the node's derivative (micrograd's
        custom op); on a leaf, which ``backward`` never steps, it does nothing.

        >>> a, b = Value(2.0), Value(-3.0)
        >>> c = a * b
        >>> c.grad = 1.0
        >>> c._backward()
        >>> a.grad, b.grad
        (-3.0, 2.0)
        """
        closure = self._closure
        return closure if closure is not None else self._chain_rule_step

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        if not callable(closure):
            raise errors.not_callable(self, closure)
        self._extras().closure = closure

    @_backward.deleter
    def _backward(self) -> None:
        raise errors.not_deletable("_backward")

    def _chain_rule_step(self) -> None:
        g = self._grad
        for parent, local in zip(self.parents, local_grads_of(self)):
            parent._grad += local * g

    def backward(self, *, create_graph: bool = False) -> None:
        """Set ``grad`` of every node reachable from this one to d self / d node.

        Leaves (inputs, parameters) *accumulate* (``+=``), as in PyTorch, so the gradients of
        several losses add up until ``zero_grad``. Interior nodes get fresh gradients on every
        call, so a second ``backward()`` never compounds stale values. With
        ``create_graph=True`` each node's ``grad_value`` is a ``Value`` that can itself be
        differentiated (and ``grad`` its float).

        >>> x = Value(2.0)
        >>> y = x ** 3
        >>> y.backward(create_graph=True)
        >>> dy = x.grad_value
        >>> x.grad, dy.data
        (12.0, 12.0)
        >>> x.zero_grad()
        >>> dy.backward()
        >>> x.grad
        12.0
        """
        if create_graph:
            self._create_graph_backward()
            return
        # Leaves need no step of their own (their parents push into them), so walk interior nodes only:
        # the same order as ``reversed(topological_order(self))`` with the leaves left out.
        interior = depth_first(self, include_leaves=False)
        for node in interior:
            node._grad = 0.0
        self._grad += 1.0
        # The chain rule, node by node: parent.grad += d node / d parent * node.grad.
        for node in reversed(interior):
            g = node._grad
            first = node._parent0
            extra = node._extra
            if extra is not None and extra.closure is not None:
                extra.closure()
            elif first is not None:
                first._grad += node._local0 * g
                second = node._parent1
                if second is not None:
                    second._grad += node._local1 * g
            elif node._is_custom:
                node._chain_rule_step()
            else:
                for parent, local in zip(node._parents_n, node._local_n):
                    parent._grad += local * g

    def zero_grad(self) -> None:
        """Reset ``grad`` (and ``grad_value``) to 0.0 (None) on this node and every node it was computed from."""
        for node in topological_order(self):
            node._grad = 0.0
            extra = node._extra
            if extra is not None:
                extra.grad_value = None

    @staticmethod
    def _from_parts(op: str, parents: tuple[Value, ...], data: float, local: tuple[float, ...]) -> Value:
        """A node of rule ``op`` with these parents and local derivatives (``apply``'s recording, and copies)."""
        if len(parents) > 2:
            fused: _FusedValue = _bare(_FusedValue, data, op)
            fused._parents_n = parents
            fused._local_n = local
            return fused
        node: Value = _bare(Value, data, op)
        if parents:
            node._parent0 = parents[0]
            node._local0 = local[0]
            if len(parents) == 2:
                node._parent1 = parents[1]
                node._local1 = local[1]
        return node


def _check_str(text: object, what: str) -> str:
    if not isinstance(text, str):
        # Caught here, not later as a bare TypeError deep in show/draw_dot/Backprop.
        raise errors.not_a_str(what, text)
    return text


def _bare(cls: type, data: float, op: str) -> Any:
    # Every slot the engine reads.
    node: Any = object.__new__(cls)
    node._data = data
    node._grad = 0.0
    node._parent0 = node._parent1 = None
    node._name = op
    node._local0 = node._local1 = 0.0
    node._label = ""
    node._extra = None
    return node


def leaf(data: float, op: str) -> Value:
    """A leaf holding ``data`` (``op`` is '' or ``'const'``), made without the constructor's checks."""
    node = object.__new__(Value)
    node._data = data
    node._grad = 0.0
    node._parent0 = node._parent1 = None
    node._name = op
    node._label = ""
    node._extra = None
    return node


def lift(x: object, op: str) -> Value:
    """A Value for an operand: Values pass through, numbers become ``'const'`` leaves."""
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int or _is_real(x):  # the ABC check is slow: ints first
        node = object.__new__(Value)
        node._data = float(x)  # type: ignore[arg-type]
        node._grad = 0.0
        node._parent0 = node._parent1 = None
        node._name = "const"
        node._label = ""
        node._extra = None
        return node
    raise errors.unsupported_operand(op, x)


def constant_power(x: Value, exponent: object) -> Value:
    """``x ** c`` for a number c: ONE parent, op ``'**2'`` (micrograd's spelling), the exponent in the row.

    d/dx is ``**``'s own (``c * x ** (c - 1)``); there is no constant node, so no d/dc (nan for a
    negative base) anywhere. ``node.exponent`` gives c back.

    >>> y = Value(-3.0) ** 2
    >>> y.op, y._op, y.exponent, y.parents[0].data, y.local_grads
    ('**2', '**2', 2.0, -3.0, (-6.0,))
    """
    if exponent.__class__ is not float:
        if not (type(exponent) is int or _is_real(exponent)):
            raise errors.unsupported_operand("**", exponent)
        exponent = float(exponent)  # type: ignore[arg-type]
    c: float = exponent
    a = x._data
    out = pow_forward(a, c)
    node = object.__new__(Value)
    node._data = out
    node._grad = 0.0
    node._label = ""
    node._extra = None
    if grad_enabled():
        name = _POWER_NAMES.get(c)
        if name is None:
            name = constant_power_name(c)
            if len(_POWER_NAMES) < 1024:  # the common few (2, 0.5, -1, 3); any other is named when met
                _POWER_NAMES[c] = name
        node._parent0 = x
        node._parent1 = None
        node._name = name
        node._local0 = pow_base_derivative(a, c, out)
    else:
        node._parent0 = None
        node._name = ""
    return node


_POWER_NAMES: dict[float, str] = {}


def _is_real(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, ValueBase)


class _Extra:
    """What few nodes need, kept out of the node so every node stays small: a create_graph gradient, a closure."""

    __slots__ = ("grad_value", "closure")

    def __init__(self) -> None:
        self.grad_value: Value | None = None
        self.closure: Callable[[], None] | None = None


class _FusedValue(Value):
    """A node of a fused n-ary op (``sum``, ``dot``): a Value whose parents and locals are tuples."""

    __slots__ = ("_parents_n", "_local_n")


class _CustomValue(_FusedValue):
    """A node users built with ``Value(data, _children, _op)``: a micrograd-style custom op.

    Its derivative comes from its ``_backward`` closure when one is assigned, else from the rule
    named by ``_op`` (``Value(t, (x,), 'tanh')`` differentiates like ``x.tanh()``), else from the
    numbers given as the third argument (microgpt's ``Value(data, children, local_grads)``).
    """

    __slots__ = ()
    _is_custom = True


_CUSTOM_CLASSES: dict[type, type] = {}


def _custom_class(cls: type) -> type:
    """For a user's subclass: the same class with the custom node's two tuple slots added (made once)."""
    made = _CUSTOM_CLASSES.get(cls)
    if made is None:
        made = type(
            cls.__name__,
            (cls,),
            {
                "__slots__": ("_parents_n", "_local_n"),
                "_is_custom": True,
                "_user_class": cls,  # what copies and pickles name (this class is the engine's detail)
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
            },
        )
        _CUSTOM_CLASSES[cls] = made
    return made


def _init_custom(node: Any, children: Iterable[Value], op: Any) -> None:
    """Record ``children`` on a custom node; its derivatives from ``op``: numbers (microgpt), or a rule's name."""
    if isinstance(children, str):
        raise errors.children_is_a_str(node._data, children)
    parents = tuple(children)
    for i, child in enumerate(parents):
        if not isinstance(child, ValueBase):
            raise errors.child_not_a_value(i, child)
    node._parents_n = parents
    node._local_n = ()
    if isinstance(op, (tuple, list)):
        # microgpt's Value(data, children, local_grads): the local derivatives themselves.
        if len(op) != len(parents):
            raise errors.local_grads_count(len(parents), len(op))
        node._local_n = tuple(real(x, "Value local_grads") for x in op)
        node._name = ""
        return
    node._name = op if op.__class__ is str else _check_str(op, "_op")
    node._local_n = rule_locals(node._name, tuple(c.data for c in parents), node._data)
