"""Trace once, replay many: run a function of fixed structure as generated straight-line Python.

``compile(fn)`` calls ``fn`` once on ``Value`` leaves (the trace), then writes the graph it built
as a Python function over plain floats: one line per node for the forward, one line per
(node, parent) pair for the backward, and compiles it. Later calls run that function on the new
inputs without building a single ``Value``.

The code comes from the rules table, not from a second copy of the derivatives: each line is
``RULES[op].forward_formula`` or one of ``RULES[op].local_formulas`` with the input names
replaced by the variables holding them. The two fused n-ary rules (``sum``, ``dot``) have no
formulas; their lines are written below from the same definitions (``rules._sum_forward``,
``rules._dot_forward`` and their locals) and the tests check them against ``RULES``. The backward
adds contributions in the order ``Value.backward`` does, so the gradients are the eager ones,
usually to the last bit.

What a trace can and cannot see
-------------------------------
* **Inputs** are the arguments: numbers, Values, or (nested) lists/tuples of them. A call with a
  different shape traces again (one trace per shape is kept).
* **Parameters** are the Value leaves ``fn`` reaches that are not arguments (a model's weights,
  captured by a closure). Each replay reads their current ``.data`` and accumulates (``+=``) into
  their ``.grad``, exactly like ``backward()``, so an optimizer works unchanged.
* **Numbers** ``fn`` mixes in (``2 * x``, ``1.0 / len(batch)``) are baked into the code.
* **Decisions** on Values are recorded as guards and re-checked on every replay: each comparison
  (``x > 0``, ``max(a, b)``) and each ``float(v)``. If a guard comes out differently, the structure
  may have changed with the data, and the call raises ``StructureChanged`` instead of returning
  wrong gradients.
* **Not seen**: reading ``.data`` directly (``if x.data > 0``, ``Value(x.data)``), and any other
  state ``fn`` reads (a global list that changes between calls). Such reads are frozen at trace
  time. ``compile(fn, check=True)`` re-runs ``fn`` eagerly on every call and raises
  ``StructureChanged`` when the graph or the result differs from the replay: slow, but it catches
  these too. ``no_grad`` inside ``fn`` is refused while tracing.
"""

from __future__ import annotations

import builtins  # ``compile`` below shadows the builtin, which the replay code needs
import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Union, cast

from autograd.rules import FLOAT_HELPERS, RULES
from autograd.value import _TRACER, Value, backprop_grads, topological_order

#: An argument of a compiled function: a number, a Value, or a (nested) list/tuple of them.
Tree = Union[float, int, Value, Sequence[Any]]

__all__ = ["CompiledFunction", "StructureChanged", "assert_matches_eager", "compile"]


class StructureChanged(RuntimeError):
    """A replay met data on which the traced function would have built a different graph."""


def compile(fn: Callable[..., Value], *, check: bool = False) -> CompiledFunction:
    """Trace ``fn`` on its first call, then replay it as generated float code (see the module docstring).

    ``compiled(*args)`` gives the output's value; ``compiled.value_and_grad(*args)`` also returns
    d output / d args (same nesting as ``args``) and accumulates into the parameters' ``.grad``.

    >>> from autograd import Value, compile
    >>> w = Value(2.0)
    >>> f = compile(lambda x: (w * x + 1.0).tanh())
    >>> round(f(0.25), 6), round(f(0.5), 6)
    (0.905148, 0.964028)
    >>> value, dx = f.value_and_grad(0.5)
    >>> round(dx, 6), round(w.grad, 6)
    (0.141302, 0.035325)
    """
    return CompiledFunction(fn, check=check)


# ---------------------------------------------------------------------------------------------
# Arguments: flatten nested lists of numbers to one list of floats, and rebuild the nesting.
# ---------------------------------------------------------------------------------------------

# A shape is None for a scalar, or a tuple of the shapes of a sequence's items.
Shape = Union[None, tuple[Any, ...]]


def _flatten(tree: Any, out: list[float]) -> Shape:
    if isinstance(tree, (list, tuple)):
        return tuple(_flatten(item, out) for item in tree)
    if isinstance(tree, Value):
        out.append(tree.data)
    elif isinstance(tree, (int, float)) and not isinstance(tree, bool):
        out.append(float(tree))
    else:
        raise TypeError(f"compile: arguments must be numbers, Values or lists of them, got {type(tree).__name__}: {tree!r}")
    return None


def _unflatten(shape: Shape, flat: Sequence[Any], start: int) -> tuple[Any, int]:
    if shape is None:
        return flat[start], start + 1
    items = []
    for item_shape in shape:
        item, start = _unflatten(item_shape, flat, start)
        items.append(item)
    return items, start


# ---------------------------------------------------------------------------------------------
# The trace: the graph, its inputs and parameters, and the guards recorded while building it.
# ---------------------------------------------------------------------------------------------


@dataclass
class _Guard:
    """A decision made on a Value while tracing, re-checked on replay."""

    node: Value
    op: str  # "<", "<=", ">", ">=" or "float"
    other: Value | float | None
    result: object  # the bool a comparison gave, or the float ``float(v)`` gave
    where: str  # file:line of the decision, for the error message


@dataclass
class _Trace:
    """One recorded call: enough to generate and run its replay code."""

    shape: tuple[Shape, ...]
    inputs: list[Value]
    output: Value
    guards: list[_Guard] = field(default_factory=list)


def _caller() -> str:
    # Two frames up from the tracer hook: the user code that made the comparison.
    frame = sys._getframe(3)
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _trace(fn: Callable[..., Value], args: tuple[Any, ...]) -> _Trace:
    flat: list[float] = []
    shape = tuple(_flatten(arg, flat) for arg in args)
    inputs = [Value(x) for x in flat]
    rebuilt, _ = _unflatten(shape, inputs, 0)
    guards: list[_Guard] = []

    def record(node: Value, op: str, other: object, result: object) -> None:
        # Comparisons already checked ``other`` is a Value or a real number.
        operand = other if isinstance(other, Value) or other is None else float(cast(float, other))
        guards.append(_Guard(node, op, operand, result, _caller()))

    token = _TRACER.set(record)
    try:
        output = fn(*rebuilt)
    finally:
        _TRACER.reset(token)
    if not isinstance(output, Value):
        raise TypeError(f"compile: the function must return a Value, got {type(output).__name__}: {output!r}")
    return _Trace(shape, inputs, output, guards)


# ---------------------------------------------------------------------------------------------
# Code generation
# ---------------------------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _substitute(formula: str, names: dict[str, str]) -> str:
    """Replace the input names (and ``out``) in a rule's formula by the variables holding them."""
    return _NAME.sub(lambda m: names.get(m.group(0), m.group(0)), formula)


def _literal(x: float) -> str:
    # inf and nan have no literal; the namespace defines both names.
    return f"({x!r})" if x < 0.0 or not math.isfinite(x) else repr(x)


@dataclass
class _Program:
    """Generated source plus what it needs at run time."""

    source: str
    parameters: list[Value]
    guards: list[_Guard]
    n_inputs: int


def _generate(trace: _Trace, with_grad: bool) -> _Program:
    guard_nodes = [n for g in trace.guards for n in (g.node, g.other) if isinstance(n, Value)]
    order: list[Value] = []
    seen: set[Value] = set()
    for root in (trace.output, *guard_nodes):
        if root not in seen:
            for node in topological_order(root):
                if node not in seen:
                    seen.add(node)
                    order.append(node)
    input_index = {node: i for i, node in enumerate(trace.inputs)}
    position = {node: i for i, node in enumerate(order)}
    # A guard is checked right after the later of its operands is computed, before any line that
    # the changed branch would have kept from running (a log of a negative number, say).
    guards_after: dict[int, list[int]] = {}
    for k, guard in enumerate(trace.guards):
        last = max(position[n] for n in (guard.node, guard.other) if isinstance(n, Value))
        guards_after.setdefault(last, []).append(k)

    parameters: list[Value] = []
    name: dict[Value, str] = {}
    lines = ["def replay(_inputs):"]
    for i, node in enumerate(order):
        op = node.op
        parents = node.parents
        if not parents:
            if node in input_index:
                lines.append(f"    v{i} = _inputs[{input_index[node]}]")
                name[node] = f"v{i}"
            elif op == "const":
                name[node] = _literal(node.data)
            else:
                lines.append(f"    v{i} = P{len(parameters)}.data")
                name[node] = f"v{i}"
                parameters.append(node)
        else:
            args = [name[p] for p in parents]
            if op == "sum":  # rules._sum_forward: total = 0.0; total += x for each x
                expression = " + ".join(["0.0", *args])
            elif op == "dot":  # rules._dot_forward: total = b; total += w * x for each pair
                n = len(args) // 2
                expression = " + ".join([args[-1], *(f"{w} * {x}" for w, x in zip(args[:n], args[n : 2 * n]))])
            else:
                rule = RULES[op]
                expression = _substitute(rule.forward_formula, dict(zip(rule.inputs, args)))
            lines.append(f"    v{i} = {expression}")
            name[node] = f"v{i}"
        for k in guards_after.get(i, ()):
            lines.append(_guard_line(k, trace.guards[k], name))
    out = name[trace.output]
    if not with_grad:
        lines.append(f"    return {out}")
        return _Program("\n".join(lines), parameters, trace.guards, len(trace.inputs))

    # Backward: the chain rule in the order Value.backward applies it (reversed topological order,
    # parents in argument order), so the sums are rounded the same way.
    grad: dict[Value, str] = {trace.output: f"g{position[trace.output]}"}
    lines.append(f"    g{position[trace.output]} = 1.0")
    for node in reversed(order):
        parents = node.parents
        g = grad.get(node)
        if g is None or not parents:
            continue  # a leaf, or a node only a guard reads: no gradient flows through it
        for parent, local in zip(parents, _local_formulas(node, parents, name)):
            if parent.op == "const":
                continue
            if local == "1.0":
                contribution = g
            elif local == "-1.0":
                contribution = f"-{g}"
            else:
                contribution = f"({local}) * {g}"
            target = grad.get(parent)
            if target is None:
                target = grad[parent] = f"g{position[parent]}"
                lines.append(f"    {target} = {contribution}")
            else:
                lines.append(f"    {target} += {contribution}")
    for j, parameter in enumerate(parameters):
        if parameter in grad:
            lines.append(f"    P{j}.grad += {grad[parameter]}")
    input_grads = ", ".join(grad.get(node, "0.0") for node in trace.inputs)
    lines.append(f"    return {out}, [{input_grads}]")
    return _Program("\n".join(lines), parameters, trace.guards, len(trace.inputs))


def _local_formulas(node: Value, parents: tuple[Value, ...], name: dict[Value, str]) -> list[str]:
    args = [name[p] for p in parents]
    if node.op == "sum":  # rules._sum_local: 1 for every term
        return ["1.0"] * len(args)
    if node.op == "dot":  # rules._dot_local: d/dw_i = x_i, d/dx_i = w_i, d/db = 1
        n = len(args) // 2
        return [*args[n : 2 * n], *args[:n], "1.0"]
    rule = RULES[node.op]
    names = {**dict(zip(rule.inputs, args)), "out": name[node]}
    return [_substitute(formula, names) for formula in rule.local_formulas]


def _guard_line(k: int, guard: _Guard, name: dict[Value, str]) -> str:
    left = name[guard.node]
    if guard.op == "float":
        return f"    if {left} != {_literal(cast(float, guard.result))}: _changed({k}, {left})"
    right = name[guard.other] if isinstance(guard.other, Value) else _literal(cast(float, guard.other))
    test = f"{left} {guard.op} {right}"
    return f"    if {'not ' if guard.result else ''}({test}): _changed({k}, {left})"


# ---------------------------------------------------------------------------------------------
# The compiled function
# ---------------------------------------------------------------------------------------------


class _Replay:
    """One trace's generated code, compiled, with the parameters it reads."""

    def __init__(self, trace: _Trace, with_grad: bool) -> None:
        program = _generate(trace, with_grad)
        self.source = program.source
        self.parameters = program.parameters
        guards = program.guards

        def changed(k: int, now: float) -> None:
            guard = guards[k]
            if guard.op == "float":
                what = f"float(v) gave {guard.result!r} while tracing and would give {now!r} now"
            else:
                what = f"the comparison `v {guard.op} ...` was {guard.result} while tracing and is not now (v = {now!r})"
            raise StructureChanged(
                f"compiled function: {what} (at {guard.where}); the function's structure depends on the data, so the "
                "traced code does not apply to these inputs. Call the function eagerly for such data."
            )

        namespace: dict[str, Any] = {**FLOAT_HELPERS, "_changed": changed}
        namespace.update({f"P{j}": p for j, p in enumerate(program.parameters)})
        exec(builtins.compile(program.source, "<autograd.replay>", "exec"), namespace)
        self.run: Callable[[list[float]], Any] = namespace["replay"]


class CompiledFunction:
    """``fn`` traced once per argument shape and replayed as generated float code; see ``autograd.compile``."""

    def __init__(self, fn: Callable[..., Value], *, check: bool = False) -> None:
        self.fn = fn
        self.check = check
        self._traces: dict[tuple[Shape, ...], _Trace] = {}
        self._forward: dict[tuple[Shape, ...], _Replay] = {}
        self._backward: dict[tuple[Shape, ...], _Replay] = {}

    def _bind(self, args: tuple[Any, ...]) -> tuple[tuple[Shape, ...], list[float]]:
        flat: list[float] = []
        shape = tuple(_flatten(arg, flat) for arg in args)
        if shape not in self._traces:
            self._traces[shape] = _trace(self.fn, args)
        return shape, flat

    def __call__(self, *args: Tree) -> float:
        """The value of ``fn(*args)``, computed by the replay (no gradients)."""
        shape, flat = self._bind(args)
        replay = self._forward.get(shape)
        if replay is None:
            replay = self._forward[shape] = _Replay(self._traces[shape], with_grad=False)
        value: float = replay.run(flat)
        if self.check:
            self._compare(args, shape, value, None)
        return value

    def value_and_grad(self, *args: Tree) -> tuple[float, Any]:
        """``(fn(*args), d fn / d args)``; also accumulates d fn / d parameter into each parameter's ``.grad``.

        The partials mirror ``args`` (a float per number, lists for lists); with one argument they
        are not wrapped in a tuple, as in ``autograd.value_and_grad``.
        """
        shape, flat = self._bind(args)
        replay = self._backward.get(shape)
        if replay is None:
            replay = self._backward[shape] = _Replay(self._traces[shape], with_grad=True)
        if self.check:
            before = [p.grad for p in replay.parameters]
        value, input_grads = replay.run(flat)
        if self.check:
            added = [p.grad - b for p, b in zip(replay.parameters, before)]
            self._compare(args, shape, value, (input_grads, added))
        partials, _ = _unflatten(shape, input_grads, 0)
        return value, partials[0] if len(partials) == 1 else tuple(partials)

    def parameters(self, *args: Tree) -> list[Value]:
        """The Value leaves the replay for ``args`` reads and writes gradients into (traces if needed)."""
        shape, _ = self._bind(args)
        return _generate(self._traces[shape], with_grad=False).parameters

    def source(self, *args: Tree, with_grad: bool = True) -> str:
        """The generated Python for ``args``' shape (traces if needed), for readers and debugging."""
        shape, _ = self._bind(args)
        return _generate(self._traces[shape], with_grad).source

    def _compare(self, args: tuple[Any, ...], shape: tuple[Shape, ...], value: float, grads: Any) -> None:
        """check=True: run ``fn`` eagerly on ``args`` and insist that graph, value and gradients agree."""
        fresh = _trace(self.fn, args)
        traced = self._traces[shape]
        if _signature(fresh) != _signature(traced):
            raise StructureChanged("compiled function (check=True): fn builds a different graph on these inputs than when traced")
        if not _close(fresh.output.data, value):
            raise StructureChanged(
                f"compiled function (check=True): the replay gives {value!r} but fn gives {fresh.output.data!r}; "
                "fn reads data the trace cannot see (a .data read or changing captured state)"
            )
        if grads is None:
            return
        input_grads, added = grads
        fresh_parameters = _generate(fresh, with_grad=False).parameters
        grads_map = _eager_grads(fresh.output, [*fresh.inputs, *fresh_parameters])
        expected = [grads_map.get(x, 0.0) for x in fresh.inputs]
        expected_params = [grads_map.get(p, 0.0) for p in fresh_parameters]
        if len(expected_params) != len(added) or not all(
            _close(a, b) for a, b in zip([*input_grads, *added], [*expected, *expected_params])
        ):
            raise StructureChanged("compiled function (check=True): replayed gradients differ from eager ones")


def _eager_grads(output: Value, nodes: list[Value]) -> dict[Value, float]:
    grads = backprop_grads(output)
    return {n: float(grads.get(n, 0.0)) for n in nodes}


def _close(a: float, b: float) -> bool:
    return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))


def _signature(trace: _Trace) -> tuple[Any, ...]:
    """The graph's shape: each node's op, its parents' positions, and the constants' values."""
    order = topological_order(trace.output)
    position = {node: i for i, node in enumerate(order)}
    inputs = {node: i for i, node in enumerate(trace.inputs)}
    return tuple(
        (node.op, tuple(position[p] for p in node.parents), node.data if node.op == "const" else inputs.get(node))
        for node in order
    )


def assert_matches_eager(fn: Callable[..., Value], *args: float, tolerance: float = 1e-12) -> None:
    """Compile ``fn``, replay it on ``args`` and assert value and gradients equal eager ``backward()``'s.

    For property tests: every gradient test can run on both paths.

    >>> from autograd import Value
    >>> w = Value(0.5)
    >>> assert_matches_eager(lambda x, y: (w * x).exp() / y, 1.5, 2.0)
    """
    compiled = compile(fn)
    parameters = compiled.parameters(*args)
    saved = [p.grad for p in parameters]
    try:
        for p in parameters:
            p.grad = 0.0
        value, partials = compiled.value_and_grad(*args)
        replayed = [float(p.grad) for p in parameters]
        for p in parameters:
            p.grad = 0.0
        inputs = [Value(x) for x in args]
        output = fn(*inputs)
        output.backward()
        eager = [float(p.grad) for p in parameters]
    finally:
        for p, g in zip(parameters, saved):
            p.grad = g
    got = [value, *(partials if len(args) > 1 else (partials,)), *replayed]
    want = [output.data, *(float(x.grad) for x in inputs), *eager]
    for name, a, b in zip(
        ["value", *(f"d/dx{i}" for i in range(len(args))), *(f"d/dp{j}" for j in range(len(eager)))], got, want
    ):
        if not (a == b or abs(a - b) <= tolerance * max(1.0, abs(b)) or (math.isnan(a) and math.isnan(b))):
            raise AssertionError(f"compiled {name} = {a!r} but eager gives {b!r} (tolerance {tolerance})")
