"""``ValueBase``: what both engines' ``Value`` share, written once (the C type inherits it too).

A slot-less base class, so the C engine's node type can inherit it without changing its layout
(CPython's ``heapq``/``_heapq`` shape, with shared behaviour in a base rather than methods grafted
onto the C type afterwards). It holds only what is written against the node's public interface:
the repr, comparisons and ``float()`` (with their ``compile`` tracer hook), ``item``/``detach``,
copying and pickling, and ``backward(create_graph=True)``, whose graphs are built from the rules'
formulas on Values (Python by nature). The per-node hot path (operators, ``backward``, walks) is
each engine's own.

Copies and pickles (both engines alike):

- ``copy.copy(v)``: a new node with ``v``'s data, grad, label, op, attributes and the *same* parents.
- ``copy.deepcopy(v)``: the whole graph copied, each node once (shared subexpressions stay shared),
  grads, labels, ``grad_value`` and attributes kept; nothing in the copy refers to the original.
- ``pickle``: the graph as one flat list in topological order (no recursion, so a chain of 10**6
  nodes pickles), leaves by reference, so the leaves shared by two pickled roots stay shared.
  Pickle is for trusted data only; ``nn``'s JSON model files are the safe format.

>>> import copy, pickle
>>> from autograd import Value
>>> a = Value(2.0, label="a")
>>> b = a * a + a
>>> c = copy.deepcopy(b)
>>> c.backward()
>>> c.parents[0].parents[0].grad, a.grad
(5.0, 0.0)
>>> a.note = "mine"
>>> vars(a)
{'note': 'mine'}
>>> pickle.loads(pickle.dumps(b)).data
6.0
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from autograd import errors
from autograd.grad_mode import _TRACER
from autograd.rules import micrograd_spelling, power_exponent

if TYPE_CHECKING:
    from autograd.value import Value

_Decision = TypeVar("_Decision", bool, float)


def real(x: object, where: str) -> float:
    """``x`` as a float if it is a real number (``float(x)``: a float subclass's ``__float__`` decides), else the TypeError."""
    if x.__class__ is float:
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, ValueBase):
        return float(x)
    raise errors.not_a_real(where, x)


def _decided(node: Any, how: str, other: object, result: _Decision) -> _Decision:
    """``result``, after telling a running ``autograd.compile`` trace that code decided something from ``node``."""
    tracer = _TRACER.get()
    if tracer is not None:
        tracer(node, how, other, result)
    return result


def _compare_operand(other: object) -> float:
    if isinstance(other, ValueBase):
        return other.data
    return real(other, "comparison")


_ENGINE_CLASS: dict[type, type] = {}


def engine_class(cls: type) -> Any:
    """The engine's own ``Value`` class above ``cls`` (a subclass's engine): the class that inherits ``ValueBase`` directly."""
    found = _ENGINE_CLASS.get(cls)
    if found is None:
        found = next(k for k in cls.__mro__ if ValueBase in k.__bases__)
        _ENGINE_CLASS[cls] = found
    return found


class ValueBase:
    """Behaviour both engines' ``Value`` share (no slots: the C type inherits it with its own layout)."""

    __slots__ = ()

    if TYPE_CHECKING:  # what each engine's Value has, for the methods below (annotations only: no slots)
        data: float
        grad: float
        label: Any
        grad_value: Any

        @property
        def op(self) -> str: ...
        @property
        def _opname(self) -> str: ...
        @_opname.setter
        def _opname(self, name: str) -> None: ...
        @property
        def parents(self) -> tuple[Any, ...]: ...
        @property
        def local_grads(self) -> tuple[float, ...]: ...
        @property
        def is_leaf(self) -> bool: ...

        def __add__(self, other: Any) -> Any: ...

    # Defaults both engines' nodes answer to (the C type and the pure custom nodes override them).
    _closure: Callable[[], None] | None = None

    @property
    def _prev(self) -> set[Any]:
        """micrograd's name: the parents as a set (unordered; ``parents`` keeps their order)."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """micrograd's spelling of the op (``'**2'``, ``'ReLU'``, ``'+'``); ``op`` is valuegrad's rule name.

        Assigning it renames the op (the derivatives stay).

        >>> from autograd import Value
        >>> x = Value(3.0)
        >>> (x ** 2)._op, x.relu()._op, x.relu().op
        ('**2', 'ReLU', 'relu')
        """
        op: str = self.op
        exponent = None
        if op == "**":
            parents = self.parents
            if len(parents) == 2 and parents[1].is_leaf and parents[1].op == "const":
                exponent = parents[1].data
        return micrograd_spelling(op, exponent)

    @_op.setter
    def _op(self, name: str) -> None:
        self._opname = name

    @property
    def exponent(self) -> float | None:
        """The number ``c`` of a constant power ``x ** c`` (op ``'**2'`` and the like), else None.

        >>> from autograd import Value
        >>> (Value(3.0) ** 0.5).exponent, (Value(3.0) * 2).exponent
        (0.5, None)
        """
        return power_exponent(self.op)

    def item(self) -> float:
        """``data``, as PyTorch's ``.item()``.

        >>> from autograd import Value
        >>> Value(2.5).item()
        2.5
        """
        return self.data

    def detach(self) -> Value:
        """A new leaf with the same ``data`` (and label), cut from the graph, as PyTorch's ``.detach()``.

        >>> from autograd import Value
        >>> x = Value(2.0)
        >>> (x * x).detach().parents
        ()
        """
        leaf: Value = engine_class(type(self))(self.data, label=self.label)
        return leaf

    def _make_constant(self, x: float) -> Any:
        """A ``'const'`` leaf of this node's engine (what a number operand becomes)."""
        leaf = engine_class(type(self))(x)
        leaf._op = "const"
        return leaf

    def __bool__(self) -> bool:
        # As a float: false exactly at 0.0. Told to a compile trace as the comparison it is.
        return _decided(self, "!=", 0.0, self.data != 0.0)

    def _repr_html_(self) -> str:
        """Jupyter's rich display: label, data, grad and op on one line (``autograd.seeing.notebook.value_html``)."""
        from autograd.seeing.notebook import value_html

        return value_html(self)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        label = self.label
        shown = f", label={label!r}" if label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{shown})"

    def __float__(self) -> float:
        return _decided(self, "float", None, self.data)

    def __pos__(self) -> Any:
        return self

    # ----------------------------------------------------------------------------- comparisons
    # They compare ``data`` and give a bool (no gradient). ``==`` and ``hash`` stay by identity, so
    # Values can be keys of the dicts and members of the sets that graph walks rely on.

    def __lt__(self, other: object) -> bool:
        return _decided(self, "<", other, self.data < _compare_operand(other))

    def __le__(self, other: object) -> bool:
        return _decided(self, "<=", other, self.data <= _compare_operand(other))

    def __gt__(self, other: object) -> bool:
        return _decided(self, ">", other, self.data > _compare_operand(other))

    def __ge__(self, other: object) -> bool:
        return _decided(self, ">=", other, self.data >= _compare_operand(other))

    # ----------------------------------------------------------------------------- backprop

    def _create_graph_backward(self) -> None:
        """``backward(create_graph=True)`` for both engines: each node's ``grad_value`` a differentiable Value.

        Built from the rules' formulas evaluated on Values, so it is Python on either engine (the C
        engine's ``backward`` calls this method when asked for ``create_graph``).
        """
        from autograd.graph import backprop_grads, topological_order

        root: Any = self
        order = topological_order(root)
        grads = backprop_grads(root, order, create_graph=True)
        for node in order:
            found = grads.get(node, 0.0)
            as_value = found if isinstance(found, ValueBase) else self._make_constant(found)
            previous = node.grad_value
            if node.is_leaf and (previous is not None or node.grad != 0.0):
                as_value = (previous if previous is not None else self._make_constant(node.grad)) + as_value
            node.grad_value = as_value  # sets grad to its data too

    def _closure_local_grads(self) -> tuple[float, ...]:
        """d self / d parent measured by running this node's ``_backward`` closure once with grad 1."""
        from autograd.graph import closure_contributions

        return tuple(closure_contributions(self, 1.0))

    # ----------------------------------------------------------------------------- copies and pickles

    def _user_attributes(self) -> dict[str, Any]:
        return dict(getattr(self, "__dict__", None) or {})

    def __copy__(self) -> Any:
        """A new node with this one's fields and attributes and the same parents (``copy.copy``)."""
        node = _clone(_fields(self), self.parents)
        node.__dict__.update(self._user_attributes())
        if self.grad_value is not None:
            node.grad_value = self.grad_value
        return node

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        """The graph copied once, shared nodes staying shared, iteratively (``copy.deepcopy``)."""
        import copy

        from autograd.graph import topological_order

        if id(self) in memo:
            return memo[id(self)]
        root: Any = self
        order = [n for n in topological_order(root) if id(n) not in memo]
        for node in order:
            memo[id(node)] = _clone(_fields(node), tuple(memo[id(p)] for p in node.parents))
        # Attributes and grad_value may hold anything (other Values, lists of them): deep-copied with
        # the same memo once every node exists, so references into the graph land on the copies.
        for node in order:
            attributes = node._user_attributes()
            if attributes:
                memo[id(node)].__dict__.update(copy.deepcopy(attributes, memo))
            if node.grad_value is not None:
                memo[id(node)].grad_value = copy.deepcopy(node.grad_value, memo)
        return memo[id(self)]

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        """Pickle: a leaf as its fields, an interior node as the flat list of its graph (no recursion).

        Leaves go into the list as themselves, so the leaves (parameters, inputs) shared with
        whatever else is pickled alongside stay shared.
        """
        from autograd.graph import topological_order

        if self.is_leaf:
            return (_unpickle, ([(_fields(self), (), self._user_attributes(), self.grad_value)],))
        root: Any = self
        order = topological_order(root)
        index = {node: i for i, node in enumerate(order)}
        records: list[Any] = []
        for node in order:
            if node.is_leaf:
                records.append(node)
            else:
                parents = tuple(index[p] for p in node.parents)
                records.append((_fields(node), parents, node._user_attributes(), node.grad_value))
        return (_unpickle, (records,))


def _fields(node: Any) -> tuple[Any, ...]:
    """What a copy needs besides parents: (class, data, grad, label, op, locals, closure, exponent)."""
    closure = node._closure
    cls = type(node)
    return (
        getattr(cls, "_user_class", cls),  # the pure engine's custom node of a subclass: the user's class
        node.data,
        node.grad,
        node.label,
        node.op,
        () if closure else node.local_grads,
        closure,
        getattr(node, "exponent", None),
    )


def _clone(fields: tuple[Any, ...], parents: tuple[Any, ...]) -> Any:
    """A node of the same class and fields with these parents, on its engine, without calling a subclass's ``__init__``."""
    cls, data, grad, label, op, locals_, closure, exponent = fields
    engine = engine_class(cls)
    if exponent is not None and cls is engine:
        node = engine.__pow__(parents[0], exponent)  # the engine's own kind of node for x ** c
        node.data = data
    elif not parents or closure is not None:
        node = engine.__new__(cls, data, parents, op)
        engine.__init__(node, data, parents, op)
        if closure is not None:
            node._backward = closure
    else:
        node = engine.__new__(cls, data, parents, tuple(locals_))
        engine.__init__(node, data, parents, tuple(locals_))
        node._op = op
    node.grad = grad
    node.label = label
    if not parents:
        node._op = op
    return node


def _unpickle(records: list[Any]) -> Any:
    """The nodes of a pickled flat list, parents first; returns the last (the root)."""
    made: list[Any] = []
    for item in records:
        if isinstance(item, ValueBase):
            made.append(item)
            continue
        fields, parents, attributes, grad_value = item
        node = _clone(fields, tuple(made[i] for i in parents))
        node.__dict__.update(attributes)
        if grad_value is not None:
            node.grad_value = grad_value
        made.append(node)
    return made[-1]
