"""``Value``: a scalar that remembers how it was computed, and reverse-mode backprop over it.

How ``a * b`` works, end to end (open the files alongside):

1. ``a * b`` calls ``Value.__mul__``, which ``Value`` inherits from ``Operators`` in
   ``autograd/_ops.py``: ordinary Python written out from the ``*`` row of ``autograd/rules.py``
   by ``python3 dev.py generate``. It computes ``out = a.data * b.data`` (the row's forward
   formula) and makes a new node holding ``out`` whose parents are ``a`` and ``b`` and whose
   local derivatives are the row's local formulas as numbers: d out / d a = ``b.data``,
   d out / d b = ``a.data``. Nothing else is stored: no closure, nothing that refers back to the
   node, so a graph is freed by reference counting the moment it is unreachable.
2. ``apply(op, *inputs)`` below is the same thing written generically (look the rule up, call
   its ``forward`` and ``local``, record the node); the methods in ``_ops.py`` are that, unrolled
   per operator because this is the hottest code of the library. ``apply`` is also how the fused
   n-ary ops (``vsum``, ``dot``) and ops defined with ``autograd.define_op`` are recorded.
3. ``Value.backward`` walks the graph in reverse topological order (``topological_order``) and
   applies the chain rule node by node: ``parent.grad += local * node.grad``. Each node's own step
   is also callable by hand, as in micrograd: ``node._backward()``.

A node made by ``Value(data, _children, _op)`` (micrograd's constructor) is a custom op: give it a
``_backward`` closure, micrograd style, or name a rule as its ``_op`` and the rule's derivatives
are used.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import numbers
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterable
from contextvars import ContextVar
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, Union, overload

from autograd import _ops
from autograd.rules import RULES, Rule

Number = Union[int, float]
_P = ParamSpec("_P")
_R = TypeVar("_R")
#: What ``gradients`` and ``backprop_grads`` return per node: a float, or a ``Value`` with ``create_graph=True``.
Grad = Union[float, "Value"]

_GRAD_ENABLED: ContextVar[bool] = ContextVar("valuegrad_grad_enabled", default=True)
#: The recording states to restore, innermost last, of the ``no_grad`` blocks open in this thread/task.
_SAVED: ContextVar[tuple[bool, ...]] = ContextVar("valuegrad_no_grad_saved", default=())
_grad_enabled = _GRAD_ENABLED.get


def _grad_mode_changed() -> None:
    """Called after every set or reset of ``_GRAD_ENABLED``: the C engine, which caches the flag, puts its own here."""


#: While ``autograd.compile`` traces a function: called with every data-dependent decision made on a
#: Value (a comparison, or ``float(v)``), so the replay can re-check it. None otherwise.
_TRACER: ContextVar[Callable[[Value, str, object, object], None] | None] = ContextVar("valuegrad_tracer", default=None)


class NoGrad:
    """The context manager ``no_grad()`` returns: operations inside record no graph, in this thread/task only.

    Its state lives in context variables, not in the instance, so one instance may be shared by
    threads and asyncio tasks (a module-level ``NG = no_grad()``) and nested in itself.

    >>> from autograd import Value, no_grad
    >>> NG = no_grad()
    >>> with NG, NG:
    ...     y = Value(3.0) * 2
    >>> y.parents
    ()
    """

    def __enter__(self) -> None:
        if _TRACER.get() is not None:
            # Values computed under no_grad are cut from the graph, so a replay would reuse them frozen.
            raise RuntimeError("no_grad inside a function being compiled: its results would be frozen at trace time")
        _SAVED.set((*_SAVED.get(), _GRAD_ENABLED.get()))
        _GRAD_ENABLED.set(False)
        _grad_mode_changed()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        saved = _SAVED.get()
        _SAVED.set(saved[:-1])
        _GRAD_ENABLED.set(saved[-1] if saved else True)
        _grad_mode_changed()

    def __call__(self, fn: Callable[_P, _R]) -> Callable[_P, _R]:
        """Decorate ``fn`` (a function, generator function, ``async def`` or async generator) to run under ``no_grad``."""
        return _decorate(fn)


def _decorate(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    wrapper: Any
    if inspect.isgeneratorfunction(fn):
        # A generator runs a piece at a time, in its caller's context: recording is off for each piece.
        def gen_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            gen = fn(*args, **kwargs)
            assert isinstance(gen, Generator)
            try:
                with NoGrad():
                    response = next(gen)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with NoGrad():
                            gen.close()
                        raise
                    except BaseException as error:
                        with NoGrad():
                            response = gen.throw(error)
                    else:
                        with NoGrad():
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value

        wrapper = gen_wrapper
    elif inspect.isasyncgenfunction(fn):
        # Same as a generator: each piece (up to its next yield) runs under no_grad, the caller's code between
        # pieces does not. An async generator cannot ``return`` a value, so StopAsyncIteration just ends it.
        async def agen_wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
            agen = fn(*args, **kwargs)
            assert isinstance(agen, AsyncGenerator)
            try:
                with NoGrad():
                    response = await agen.__anext__()
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with NoGrad():
                            await agen.aclose()
                        raise
                    except BaseException as error:
                        with NoGrad():
                            response = await agen.athrow(error)
                    else:
                        with NoGrad():
                            response = await agen.asend(request)
            except StopAsyncIteration:
                return

        wrapper = agen_wrapper
    elif inspect.iscoroutinefunction(fn):

        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            # A task has its own context, so this turns recording off for this task only.
            with NoGrad():
                result: Awaitable[Any] = fn(*args, **kwargs)
                return await result

        wrapper = async_wrapper
    else:

        def plain_wrapper(*args: Any, **kwargs: Any) -> Any:
            with NoGrad():
                return fn(*args, **kwargs)

        wrapper = plain_wrapper
    return functools.wraps(fn)(wrapper)


@overload
def no_grad() -> NoGrad: ...
@overload
def no_grad(fn: Callable[_P, _R]) -> Callable[_P, _R]: ...


def no_grad(fn: Callable[_P, _R] | None = None) -> NoGrad | Callable[_P, _R]:
    """Turn graph recording off: ``with no_grad():``, or as a decorator, bare ``@no_grad`` or ``@no_grad()``.

    Per thread and per asyncio task; a decorated generator, ``async def`` or async generator runs under it too.

    >>> from autograd import Value, no_grad
    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.parents
    ()
    >>> @no_grad
    ... def square(v: Value) -> Value:
    ...     return v * v
    >>> square(x).parents, square.__name__
    ((), 'square')
    """
    if fn is None:
        return NoGrad()
    if not callable(fn):
        raise TypeError(f"no_grad: use it as `with no_grad():` or as a decorator, got {type(fn).__name__}: {fn!r}")
    return _decorate(fn)


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


class Value(_ops.Operators):
    """A scalar node in a computation graph: ``data``, ``grad`` and how it was made.

    ``Value(data, _children=(), _op='', label='')`` is micrograd's constructor: with children it
    makes a custom op node (see ``_backward``).

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
    # ``_grad_value`` is set only by ``backward(create_graph=True)``.
    __slots__ = ("data", "grad", "_parent0", "_parent1", "_op", "_local0", "_local1", "label", "_grad_value", "__weakref__")

    data: float
    #: d root / d self from the last ``backward()``: always a float (``p.data -= lr * p.grad`` type-checks).
    grad: float
    _parent0: Value | None
    _parent1: Value | None
    _op: str
    _local0: float
    _local1: float
    label: str
    _grad_value: Value | None
    # Only ``_FusedValue`` nodes have their own; every other node shows these class defaults.
    _parents_n: tuple[Value, ...] = ()
    _local_n: tuple[Any, ...] = ()

    def __new__(cls, data: Number = 0.0, _children: Iterable[Value] = (), _op: str = "", label: str = "") -> Value:
        # Only nodes users build with children need the extra slots of a custom op; the operators
        # make nodes with object.__new__ and never come here.
        return object.__new__(cls if not _children or cls is not Value else _CustomValue)

    def __init__(self, data: Number, _children: Iterable[Value] = (), _op: str = "", label: str = "") -> None:
        # Checks inline, without calls: parameters and inputs are made here, often.
        self.data = data if data.__class__ is float else _as_float(data, "Value")
        self.grad = 0.0
        self._parent0 = self._parent1 = None
        self._op = _op if _op.__class__ is str else _check_str(_op, "_op")
        self._local0 = self._local1 = 0.0
        # None: from code older than the '' default.
        self.label = label if label.__class__ is str else "" if label is None else _check_str(label, "label")

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
    def _prev(self) -> set[Value]:
        """micrograd's name: the parents as a set (unordered; ``parents`` keeps their order)."""
        return set(self.parents)

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

    @property
    def grad_value(self) -> Value | None:
        """The differentiable gradient from ``backward(create_graph=True)`` (None before one); ``grad`` holds its float."""
        try:
            return self._grad_value
        except AttributeError:
            return None

    def item(self) -> float:
        """``data``, as PyTorch's ``.item()``.

        >>> Value(2.5).item()
        2.5
        """
        return self.data

    def detach(self) -> Value:
        """A new leaf with the same ``data`` (and label), cut from the graph, as PyTorch's ``.detach()``.

        >>> x = Value(2.0)
        >>> (x * x).detach().parents
        ()
        """
        return Value(self.data, label=self.label)

    def __bool__(self) -> bool:
        # As a float: false exactly at 0.0. Told to a compile trace as the comparison it is.
        return _decided(self, "!=", 0.0, self.data != 0.0)

    def _repr_html_(self) -> str:
        """Jupyter's rich display: label, data, grad and op on one line (``autograd.seeing.notebook.value_html``)."""
        from autograd.seeing.notebook import value_html

        return value_html(self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return _decided(self, "float", None, self.data)

    def __pos__(self) -> Value:
        return self

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

    @property
    def _backward(self) -> Callable[[], None]:
        """This node's own chain-rule step, as in micrograd: ``parent.grad += local * self.grad`` for each parent.

        Calling it on every node in reverse topological order, after ``root.grad = 1.0``, is
        ``root.backward()`` by hand. On a node made by ``Value(data, _children, _op)`` it can be
        assigned a closure (micrograd's custom op).

        >>> a, b = Value(2.0), Value(-3.0)
        >>> c = a * b
        >>> c.grad = 1.0
        >>> c._backward()
        >>> a.grad, b.grad
        (-3.0, 2.0)
        """
        return self._chain_rule_step

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        made_by = f"the operator {self._op!r}" if self._op else "Value(data) as a leaf"
        raise AttributeError(
            f"{self!r}: _backward can only be assigned on a node made with Value(data, _children, _op) "
            f"(a custom op); this one was made by {made_by}"
        )

    def _chain_rule_step(self) -> None:
        g = self.grad
        for parent, local in zip(self.parents, self.local_grads):
            parent.grad += local * g

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
            order = topological_order(self)
            grads = backprop_grads(self, order, create_graph=True)
            for node in order:
                found = grads.get(node, 0.0)
                as_value = found if isinstance(found, Value) else _leaf(found, "const")
                previous = node.grad_value
                if node.is_leaf and (previous is not None or node.grad != 0.0):
                    as_value = (previous if previous is not None else _leaf(node.grad, "const")) + as_value
                node._grad_value = as_value
                node.grad = as_value.data
            return
        # Leaves need no step of their own (their parents push into them), so walk interior nodes only:
        # the same order as ``reversed(topological_order(self))`` with the leaves left out.
        interior = _depth_first(self, include_leaves=False)
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
            elif node.__class__ is _CustomValue:
                node._backward()
            else:
                for parent, local in zip(node._parents_n, node._local_n):
                    parent.grad += local * g

    def zero_grad(self) -> None:
        """Reset ``grad`` (and ``grad_value``) to 0.0 (None) on this node and every node it was computed from."""
        for node in topological_order(self):
            node.grad = 0.0
            node._grad_value = None


def _check_str(text: object, what: str) -> str:
    if not isinstance(text, str):
        # Caught here, not later as a bare TypeError deep in show/draw_dot/Backprop.
        raise TypeError(f"Value: {what} must be a str, got {type(text).__name__}: {text!r}")
    return text


class _FusedValue(Value):
    """A node of a fused n-ary op (``sum``, ``dot``): a Value whose parents and locals are tuples."""

    __slots__ = ("_parents_n", "_local_n")


class _CustomValue(_FusedValue):
    """A node users built with ``Value(data, _children, _op)``: a micrograd-style custom op.

    Its derivative comes from its ``_backward`` closure when one is assigned, else from the rule
    named by ``_op`` (``Value(t, (x,), 'tanh')`` differentiates like ``x.tanh()``).
    """

    __slots__ = ("_closure",)

    _closure: Callable[[], None] | None

    def __init__(self, data: Number, _children: Iterable[Value] = (), _op: str = "", label: str = "") -> None:
        super().__init__(data, (), _op, label)
        if isinstance(_children, str):
            raise TypeError(
                f"Value: the second argument is _children (micrograd's order: data, _children, _op, label), got the str "
                f"{_children!r}; pass a label by keyword: Value({self.data!r}, label={_children!r})"
            )
        children = tuple(_children)
        for i, child in enumerate(children):
            if not isinstance(child, Value):
                raise TypeError(f"Value: _children[{i}] must be a Value, got {type(child).__name__}: {child!r}")
        self._parents_n = children
        self._closure = None
        self._local_n = ()
        rule = RULES.get(self._op)
        if rule is not None and (rule.arity is None or rule.arity == len(children)):
            # Outside the rule's domain it needs a _backward, like an op no rule names.
            with contextlib.suppress(ArithmeticError, ValueError):
                self._local_n = tuple(float(x) for x in rule.local(*(c.data for c in children), self.data))

    @property
    def _backward(self) -> Callable[[], None]:
        """The closure assigned to this node, else the step of the rule its ``_op`` names."""
        closure = self._closure
        return closure if closure is not None else self._chain_rule_step

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        if not callable(closure):
            raise TypeError(f"{self!r}: _backward must be a function of no arguments, got {type(closure).__name__}: {closure!r}")
        self._closure = closure

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d self / d parent for each parent: from the rule, or measured by running the closure once with grad 1."""
        if self._closure is None:
            return self._local_n
        return tuple(_closure_contributions(self, 1.0))

    def _chain_rule_step(self) -> None:
        if len(self._local_n) != len(self._parents_n):
            raise RuntimeError(
                f"backward: node {self!r} (op {self._op!r}) has children but no derivative: assign it a _backward "
                "closure, name a rule as its _op (see autograd.RULES), or define the op with autograd.define_op "
                "(the leaves' gradients from this call are partial: zero_grad() before trying again)"
            )
        super()._chain_rule_step()


def _closure_contributions(node: _CustomValue, g: float) -> list[float]:
    """What ``node``'s closure adds to each parent's grad when ``node.grad`` is g; every grad is left as it was.

    A parent listed twice gets the whole contribution at its first position, 0.0 at the others.
    """
    parents = node._parents_n
    saved = [(p, p.grad) for p in (node, *parents)]
    try:
        for p in parents:
            p.grad = 0.0
        node.grad = g
        node._backward()
        seen: set[Value] = set()
        out = []
        for p in parents:
            out.append(0.0 if p in seen else float(p.grad))
            seen.add(p)
        return out
    finally:
        for p, grad in reversed(saved):
            p.grad = grad


def has_closure(node: Value) -> bool:
    """Whether ``node`` is a custom op whose derivative is a ``_backward`` closure (no formulas: floats only).

    >>> x = Value(1.0)
    >>> out = Value(2.0, (x,), "double")
    >>> out._backward = lambda: None
    >>> has_closure(out), has_closure(x * 2)
    (True, False)
    """
    return isinstance(node, _CustomValue) and node._closure is not None


def formulas_of(node: Value, where: str, what: str) -> Rule:
    """The rule of an interior node, or a TypeError naming the node and why ``where`` cannot ``what`` without formulas.

    >>> x = Value(1.0)
    >>> out = Value(2.0, (x,), "double")
    >>> out._backward = lambda: None
    >>> formulas_of(out, "compile", "be compiled")
    Traceback (most recent call last):
    TypeError: compile: node Value(data=2.0, grad=0.0) (op 'double') cannot be compiled: its derivative is a _backward ...
    """
    rule = rule_of(node)
    if rule is None:
        why = "its derivative is a _backward closure, which works on floats only" if has_closure(node) else (
            f"no rule is named {node._op!r}"
        )
        raise TypeError(
            f"{where}: node {node!r} (op {node._op!r}) cannot {what}: {why}; "
            "define the op with autograd.define_op to give it formulas"
        )
    return rule


def rule_of(node: Value) -> Rule | None:
    """The rule whose formulas describe ``node``'s derivatives, or None (a leaf, a closure, an op no rule names).

    >>> x = Value(1.0)
    >>> rule_of(x * 2).name, rule_of(x)
    ('*', None)
    """
    if not node.parents or has_closure(node):
        return None
    rule = RULES.get(node._op)
    if rule is None or (rule.arity is not None and rule.arity != len(node.parents)):
        return None
    return rule


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
    node = object.__new__(Value)
    node.data = data
    node.grad = 0.0
    node._parent0 = node._parent1 = None
    node._op = op
    node._local0 = node._local1 = 0.0
    node.label = ""
    return node


def _lift(x: object, op: str) -> Value:
    """A Value for an operand: Values pass through, numbers become ``'const'`` leaves."""
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int or isinstance(x, numbers.Real):  # the ABC check is slow: ints first
        return _leaf(float(x), "const")
    raise TypeError(f"{op}: unsupported operand of type {type(x).__name__}: {x!r} (expected a Value or a real number)")


# The operator methods in autograd/_ops.py make Values and lift operands; they are defined before Value
# (which inherits them), so the names they use are bound here.
vars(_ops).update(Value=Value, _lift=_lift, _grad_enabled=_grad_enabled)


def _rule_to_apply(op: str, count: int) -> Rule:
    """The rule ``apply(op, ...)`` runs on ``count`` inputs, or the error both engines give for an unknown op or count."""
    try:
        rule = RULES[op]
    except KeyError:
        raise ValueError(f"apply: no rule named {op!r}; known ops: {', '.join(RULES)}") from None
    if rule.arity is not None and count != rule.arity:
        raise TypeError(f"{op}: takes {rule.arity} input(s), got {count}")
    return rule


def apply(op: str, *inputs: Value | Number) -> Value:
    """Apply the rule named ``op`` (see ``autograd.rules.RULES``) to any number of inputs.

    This is the generic path that the operator methods of ``autograd/_ops.py`` unroll: look the
    rule up, compute ``out`` with its forward, its local derivatives with ``local``, record both.

    >>> apply("sum", Value(1.0), 2, Value(3.0)).data
    6.0
    >>> apply("*", Value(2.0), 3).local_grads
    (3.0, 2.0)
    """
    rule = _rule_to_apply(op, len(inputs))
    parents = tuple(_lift(x, op) for x in inputs)
    datas = tuple(p.data for p in parents)
    out = rule.forward(*datas)
    if not _GRAD_ENABLED.get():
        return _leaf(out, "")
    local = rule.local(*datas, out)
    if rule.arity is None or rule.arity > 2:
        fused = object.__new__(_FusedValue)
        fused.data = out
        fused.grad = 0.0
        fused._parent0 = fused._parent1 = None
        fused._op = op
        fused.label = ""
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
    if token is not None:
        _grad_mode_changed()
    try:
        for node in reversed(order):
            g = grads.get(node)
            parents = node.parents
            if g is None or not parents:
                continue
            locals_: tuple[Any, ...] | list[float]
            if create_graph:
                rule = formulas_of(node, "backward(create_graph=True)", "be differentiated twice")
                locals_ = rule.local(*parents, node)
            elif isinstance(node, _CustomValue):
                if node._closure is not None:
                    locals_ = _closure_contributions(node, 1.0)
                else:
                    if len(node._local_n) != len(parents):
                        node._chain_rule_step()  # raises, naming the node
                    locals_ = node._local_n
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
            _grad_mode_changed()
    return grads


def gradients(output: Value, inputs: Iterable[Value], *, create_graph: bool = False) -> list[Grad]:
    """d output / d x for each x in ``inputs`` (0.0 where output does not depend on x); no ``grad`` is touched.

    >>> x, y = Value(2.0), Value(3.0)
    >>> gradients(x * y, [x, y])
    [3.0, 2.0]
    """
    grads = backprop_grads(output, create_graph=create_graph)
    return [grads.get(x, 0.0) for x in inputs]


# ------------------------------------------------------------------------------------- the C engine
# When the C extension (autograd/_native) is built, it replaces Value and the graph walks above
# with the same interface in C -- the heapq/_heapq pattern: this file stays the readable reference.
# VALUEGRAD_PURE=1 keeps the pure engine. autograd.BACKEND says which one is in use.
from autograd._native import install as _install_native  # noqa: E402

BACKEND = _install_native(globals())
