"""Trace once, replay many: run a function of fixed structure as generated straight-line Python.

``compile(fn)`` calls ``fn`` once on ``Value`` leaves (the trace), then writes the graph it built
as a Python function over plain floats: one line per node for the forward, one line per
(node, parent) pair for the backward, and compiles it. Later calls run that function on the new
inputs without building a single ``Value``.

``compile_per_sample(fn)`` is the training form: ``fn`` is the loss of ONE sample, traced once
(a few hundred nodes, milliseconds) and replayed in a loop over every sample of any batch, with
the parameters read once and their gradients accumulated in locals, in ``backward()``'s order.

The code comes from the rules table, not from a second copy of the derivatives: each line is
the forward or one of the local derivatives of ``RULES[op].formulas(n)`` (which writes out the
fused n-ary ``sum`` and ``dot`` for a node's n parents too) with the input names replaced by the
variables holding them. The backward adds contributions in the order ``Value.backward`` does, so
the gradients are the eager ones, usually to the last bit.

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
* A failed guard's message points at the line that decided (the first frame outside autograd);
  a ``float(v)`` traced on nan holds while ``v`` stays nan.
* **Not compilable**: a node whose op has no row in ``RULES`` (a micrograd-style node with its own
  ``_backward``): the replay writes code from the rows, so ``NotCompilable`` names that node.
"""

from __future__ import annotations

import builtins  # ``compile`` below shadows the builtin, which the replay code needs
import math
import numbers
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Union, cast

from autograd import tape
from autograd.rules import FLOAT_HELPERS, RULES, substitute
from autograd.value import _TRACER, Value, backprop_grads, has_closure, topological_order

#: An argument of a compiled function: a number, a Value, or a (nested) list/tuple of them.
Tree = Union[float, int, Value, Sequence[Any]]

__all__ = [
    "BatchResult",
    "CompiledFunction",
    "NotCompilable",
    "PerSampleFunction",
    "StructureChanged",
    "compile",
    "compile_per_sample",
]


class StructureChanged(RuntimeError):
    """A replay met data on which the traced function would have built a different graph."""

    def __init__(self, message: str, sample: int | None = None) -> None:
        super().__init__(message)
        #: For a per-sample replay: the index in the batch of the sample that changed the structure.
        self.sample = sample


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
    kind = type(tree)
    if kind is float:  # the common cases first: a call per step flattens every sample
        out.append(tree)
        return None
    if (kind is list or kind is tuple) and all(type(item) is float for item in tree):
        out.extend(tree)
        return (None,) * len(tree)
    if isinstance(tree, Value):
        out.append(tree.data)
        return None
    if isinstance(tree, numbers.Real) and not isinstance(tree, bool):  # numpy scalars (np.float32, np.int64) too
        out.append(float(tree))
        return None
    if _is_sequence(tree):
        return tuple(_flatten(item, out) for item in tree)
    raise TypeError(
        f"compile: arguments must be numbers, Values or sequences of them (lists, tuples, numpy arrays), "
        f"got {type(tree).__name__}: {tree!r}"
    )


def _is_sequence(tree: Any) -> bool:
    """A list, tuple or other ordered sequence, or a numpy array with at least one axis; not a str or a set."""
    if isinstance(tree, (str, bytes)):
        return False
    return isinstance(tree, Sequence) or getattr(tree, "ndim", 0) >= 1


def _unflatten(shape: Shape, flat: Sequence[Any], start: int) -> tuple[Any, int]:
    if shape is None:
        return flat[start], start + 1
    if None in shape and all(item is None for item in shape):  # a flat list: one slice
        return list(flat[start : start + len(shape)]), start + len(shape)
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
    #: Per-sample traces: the Values of fn's auxiliary outputs (a Value or nested lists), or None.
    aux: Any = None
    #: Per-sample traces: guard the inputs the graph never uses (their ``.data`` may have been read).
    guard_unused: bool = False


#: Where autograd's own code lives: a guard's location is the first frame outside it.
_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _in_autograd(filename: str) -> bool:
    # Operator code compiled from the rules table is named "<autograd rule ...>", the replay "<autograd.replay>".
    if filename.startswith("<autograd"):
        return True
    folder = os.path.dirname(os.path.abspath(filename))
    return folder == _PACKAGE or folder.startswith(_PACKAGE + os.sep)  # autograd/_native/ too


def _caller() -> str:
    """``file:line`` of the code that made a decision on a Value: the first frame outside the autograd package.

    The comparison itself runs in autograd (``Value.__gt__`` and the trace hook), however many frames deep.
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and _in_autograd(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return "an unknown place"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _trace(
    fn: Callable[..., Any], args: tuple[Any, ...], static: frozenset[int] = frozenset(), per_sample: bool = False
) -> _Trace:
    """Call ``fn`` on Value leaves made from ``args`` (the ``static`` positions are passed as they are)."""
    flat: list[float] = []
    shape = tuple(None if a in static else _flatten(arg, flat) for a, arg in enumerate(args))
    inputs = [Value(x) for x in flat]
    rebuilt: list[Any] = []
    start = 0
    for a, arg in enumerate(args):
        if a in static:
            rebuilt.append(arg)
        else:
            item, start = _unflatten(shape[a], inputs, start)
            rebuilt.append(item)
    guards: list[_Guard] = []

    def record(node: Value, op: str, other: object, result: object) -> None:
        # Comparisons already checked ``other`` is a Value or a real number.
        operand = other if isinstance(other, Value) or other is None else float(cast(float, other))
        guards.append(_Guard(node, op, operand, result, _caller()))

    token = _TRACER.set(record)
    try:
        result = fn(*rebuilt)
    finally:
        _TRACER.reset(token)
    output, aux = result, None
    if per_sample and isinstance(result, tuple) and len(result) == 2:
        output, aux = result
        if not _is_value_tree(aux):
            raise TypeError(f"compile_per_sample: fn's auxiliary output must be Values or lists of them, got {aux!r}")
    if not isinstance(output, Value):
        raise TypeError(f"compile: the function must return a Value, got {type(output).__name__}: {output!r}")
    return _Trace(shape, inputs, output, guards, aux, guard_unused=per_sample)


def _is_value_tree(tree: Any) -> bool:
    if isinstance(tree, (list, tuple)):
        return all(_is_value_tree(item) for item in tree)
    return isinstance(tree, Value)


# ---------------------------------------------------------------------------------------------
# Code generation
# ---------------------------------------------------------------------------------------------


def _literal(x: float) -> str:
    # inf and nan have no literal; the namespace defines both names.
    return f"({x!r})" if x < 0.0 or not math.isfinite(x) else repr(x)


class _Parameters:
    """The parameters a replay reads, numbered in order of first use; shared by all the bodies of one function.

    The code reads parameter ``j``'s data once into ``p{j}`` and its gradient into ``a{j}``, adds
    every contribution to ``a{j}`` as ``backward()`` adds them to ``.grad`` (same order, same
    rounding), and writes ``a{j}`` back at the end: a replay that raises writes no gradient.
    """

    def __init__(self) -> None:
        self.index: dict[Value, int] = {}
        self.values: list[Value] = []
        self.with_grad: set[int] = set()

    def number(self, node: Value) -> int:
        j = self.index.get(node)
        if j is None:
            j = self.index[node] = len(self.values)
            self.values.append(node)
        return j

    def prologue(self) -> list[str]:
        reads = [f"p{j} = P{j}.data" for j in range(len(self.values))]
        return reads + [f"a{j} = P{j}.grad" for j in sorted(self.with_grad)]

    def epilogue(self) -> list[str]:
        return [f"P{j}.grad = a{j}" for j in sorted(self.with_grad)]


@dataclass
class _Body:
    """The statements for one trace (unindented), and the names holding its results."""

    lines: list[str]
    output: str
    aux: str  # a Python expression rebuilding the auxiliary outputs as floats ("None" without)
    input_grads: list[str]


def _plan(trace: _Trace) -> tuple[list[Value], set[Value], dict[int, list[_Guard]]]:
    """The order the replay computes a trace's nodes in, the set of them, and the guards due after each position.

    The Python replay and the C tape (``autograd/tape.py``) both follow it, so they do the same
    operations in the same order.
    """
    aux_nodes: list[Value] = []
    _leaves(trace.aux, aux_nodes)
    guard_nodes = [n for g in trace.guards for n in (g.node, g.other) if isinstance(n, Value)]
    order: list[Value] = []
    seen: set[Value] = set()
    for root in (trace.output, *aux_nodes, *guard_nodes):
        if root not in seen:
            for node in topological_order(root):
                if node not in seen:
                    seen.add(node)
                    order.append(node)
    position = {node: i for i, node in enumerate(order)}
    # A guard is checked right after the later of its operands is computed, before any line that
    # the changed branch would have kept from running (a log of a negative number, say).
    guards_after: dict[int, list[_Guard]] = {}
    for guard in trace.guards:
        last = max(position[n] for n in (guard.node, guard.other) if isinstance(n, Value))
        guards_after.setdefault(last, []).append(guard)
    return order, seen, guards_after


def _emit(trace: _Trace, with_grad: bool, params: _Parameters, guards: list[_Guard], seed: str, sample: str) -> _Body:
    """Forward lines (with guards), then, ``with_grad``, the backward lines seeded with d total / d output = ``seed``.

    ``guards`` collects the guards the lines check, numbered across bodies; ``sample`` is the
    expression naming the sample for error messages (``"None"`` for a single call).
    """
    order, seen, guards_after = _plan(trace)
    input_index = {node: i for i, node in enumerate(trace.inputs)}
    position = {node: i for i, node in enumerate(order)}

    name: dict[Value, str] = {}
    lines: list[str] = []
    if trace.guard_unused:
        # An input the graph never uses may still have been read through ``.data`` (a loss that
        # turns a label into a float constant): its traced value is baked in, so guard it.
        for k, node in enumerate(trace.inputs):
            if node not in seen:
                guard = _Guard(node, "input", None, node.data, f"input {k} of the sample")
                lines.append(f"if {_differs(f'_inputs[{k}]', node.data)}: _changed({len(guards)}, _inputs[{k}], {sample})")
                guards.append(guard)
    for i, node in enumerate(order):
        op = node.op
        parents = node.parents
        if not parents:
            if node in input_index:
                lines.append(f"v{i} = _inputs[{input_index[node]}]")
                name[node] = f"v{i}"
            elif op == "const":
                name[node] = _literal(node.data)
            else:
                name[node] = f"p{params.number(node)}"
        else:
            if has_closure(node):
                raise _not_compilable(node, i, "has its own _backward closure, a derivative that works on floats only")
            if op not in RULES:
                raise _not_compilable(node, i, "was made by an op with no row in autograd.rules.RULES")
            try:
                formulas = RULES[op].formulas(len(parents))
            except ValueError as error:  # a custom node that reuses a rule's name with other inputs
                raise _not_compilable(node, i, f"does not fit its op's row in autograd.rules.RULES ({error})") from None
            expression = substitute(formulas.forward, dict(zip(formulas.inputs, (name[p] for p in parents))))
            lines.extend(_assignment(f"v{i}", expression, RULES[op].terms is not None))
            name[node] = f"v{i}"
        for guard in guards_after.get(i, ()):
            lines.append(_guard_line(len(guards), guard, name, sample))
            guards.append(guard)
    aux = _aux_expression(trace.aux, name)
    if not with_grad:
        return _Body(lines, name[trace.output], aux, [])

    # Backward: the chain rule in the order Value.backward applies it (reversed topological order,
    # parents in argument order), so the sums are rounded the same way.
    grad: dict[Value, str] = {trace.output: f"g{position[trace.output]}"}
    lines.append(f"g{position[trace.output]} = {seed}")
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
            if parent in params.index:  # a parameter: straight into its accumulator, as backward() does
                j = params.index[parent]
                params.with_grad.add(j)
                lines.append(f"a{j} += {contribution}")
                continue
            target = grad.get(parent)
            if target is None:
                target = grad[parent] = f"g{position[parent]}"
                lines.append(f"{target} = {contribution}")
            else:
                lines.append(f"{target} += {contribution}")
    return _Body(lines, name[trace.output], aux, [grad.get(node, "0.0") for node in trace.inputs])


class NotCompilable(TypeError):
    """The traced graph has a node that the replay cannot write as code (its op has no row in ``RULES``)."""


def _not_compilable(node: Value, i: int, why: str) -> NotCompilable:
    label = f" {node.label!r}" if node.label else ""
    return NotCompilable(
        f"compile: node {i}{label} of the traced graph (op {node.op!r}, data {node.data!r}, {len(node.parents)} parent(s)) "
        f"{why}, such as a micrograd-style node with its own _backward. "
        "The replay writes each node's forward and chain rule from its RULES row, so it cannot run this one; "
        "call the function eagerly, or define the op with its formulas so that it has a row."
    )


def _leaves(tree: Any, out: list[Value]) -> None:
    if isinstance(tree, Value):
        out.append(tree)
    elif isinstance(tree, (list, tuple)):
        for item in tree:
            _leaves(item, out)


def _aux_expression(tree: Any, name: dict[Value, str]) -> str:
    if tree is None:
        return "None"
    if isinstance(tree, Value):
        return name[tree]
    return "[" + ", ".join(_aux_expression(item, name) for item in tree) + "]"


#: Terms per generated line of a long fused sum: Python's compiler recurses once per ``+`` of a
#: single expression and fails near 3,000 of them.
_TERMS_PER_LINE = 200


def _assignment(target: str, expression: str, is_sum_of_terms: bool) -> list[str]:
    """``target = expression``, split over lines for a long ``a + b + c + ...`` (sum, dot).

    Continuing with ``target = target + ...`` keeps the strict left-to-right order of the
    additions, so the result is the same float as the one-line expression.

    >>> _assignment("v", "0.0 + x0 + x1 + x2", True) == ["v = 0.0 + x0 + x1 + x2"]
    True
    """
    terms = expression.split(" + ") if is_sum_of_terms else [expression]
    if len(terms) <= _TERMS_PER_LINE:
        return [f"{target} = {expression}"]
    lines = [f"{target} = {' + '.join(terms[:_TERMS_PER_LINE])}"]
    for start in range(_TERMS_PER_LINE, len(terms), _TERMS_PER_LINE):
        lines.append(f"{target} = {target} + {' + '.join(terms[start : start + _TERMS_PER_LINE])}")
    return lines


def _local_formulas(node: Value, parents: tuple[Value, ...], name: dict[Value, str]) -> list[str]:
    formulas = RULES[node.op].formulas(len(parents))
    names = {**dict(zip(formulas.inputs, (name[p] for p in parents))), "out": name[node]}
    return [substitute(formula, names) for formula in formulas.local]


def _differs(expression: str, traced: float) -> str:
    """The test that ``expression`` is no longer ``traced``; nan counts as equal to nan (it is the same decision)."""
    if math.isnan(traced):
        return f"{expression} == {expression}"
    return f"{expression} != {_literal(traced)}"


def _guard_line(k: int, guard: _Guard, name: dict[Value, str], sample: str) -> str:
    left = name[guard.node]
    if guard.op == "float":
        return f"if {_differs(left, cast(float, guard.result))}: _changed({k}, {left}, {sample})"
    right = name[guard.other] if isinstance(guard.other, Value) else _literal(cast(float, guard.other))
    test = f"{left} {guard.op} {right}"
    return f"if {'not ' if guard.result else ''}({test}): _changed({k}, {left}, {sample})"


@dataclass
class _Program:
    """Generated source plus what it needs at run time."""

    source: str
    parameters: list[Value]
    guards: list[_Guard]


def _indent(lines: list[str], depth: int) -> list[str]:
    return [" " * (4 * depth) + line for line in lines]


def _generate(trace: _Trace, with_grad: bool) -> _Program:
    """``replay(_inputs)`` for one call: returns the output, and with gradients the d output / d inputs too."""
    params = _Parameters()
    guards: list[_Guard] = []
    body = _emit(trace, with_grad, params, guards, seed="1.0", sample="None")
    lines = ["def replay(_inputs):", *_indent(params.prologue(), 1), *_indent(body.lines, 1), *_indent(params.epilogue(), 1)]
    if with_grad:
        lines.append(f"    return {body.output}, [{', '.join(body.input_grads)}]")
    else:
        lines.append(f"    return {body.output}")
    return _Program("\n".join(lines), params.values, guards)


def _generate_per_sample(traces: list[_Trace], with_grad: bool) -> _Program:
    """``replay(_rows, _seed)`` looping over samples ``(variant, inputs)``: one branch per trace, shared accumulators.

    Samples run last to first: ``backward()`` on the batch's mean reaches the samples' subgraphs in
    that order, so every parameter's gradient is the same sum, rounded the same way.
    """
    params = _Parameters()
    guards: list[_Guard] = []
    branches: list[list[str]] = []
    for trace in traces:
        body = _emit(trace, with_grad, params, guards, seed="_seed", sample="_i")
        branches.append([*body.lines, f"_results[_i] = ({body.output}, {body.aux})"])
    loop = ["_results = [None] * len(_rows)", "for _i in range(len(_rows) - 1, -1, -1):", "    _variant, _inputs = _rows[_i]"]
    if len(branches) == 1:
        loop += _indent(branches[0], 1)
    else:
        for v, branch in enumerate(branches):
            loop += [f"    {'if' if v == 0 else 'elif'} _variant == {v}:", *_indent(branch, 2)]
    lines = ["def replay(_rows, _seed):", *_indent(params.prologue(), 1), *_indent(loop, 1), *_indent(params.epilogue(), 1)]
    lines.append("    return _results")
    return _Program("\n".join(lines), params.values, guards)


# ---------------------------------------------------------------------------------------------
# The compiled function
# ---------------------------------------------------------------------------------------------


def _changed(guards: list[_Guard]) -> Callable[[int, float, int | None], None]:
    """``changed(k, now, sample)``: raise ``StructureChanged`` for guard ``k`` (the replay's and the C tape's)."""

    def changed(k: int, now: float, sample: int | None) -> None:
        guard = guards[k]
        where = "" if sample is None else f"sample {sample}: "
        if guard.op == "input":
            raise StructureChanged(
                f"compiled function: {where}{guard.where} is not used by the traced graph, yet it was {guard.result!r} "
                f"when traced and is {now!r} now; fn may have read its .data (a trace freezes such reads). Pass that "
                "argument as static (one trace per value), or call the function eagerly.",
                sample,
            )
        if guard.op == "float":
            what = f"float(v) gave {guard.result!r} while tracing and would give {now!r} now"
        else:
            what = f"the comparison `v {guard.op} ...` was {guard.result} while tracing and is not now (v = {now!r})"
        raise StructureChanged(
            f"compiled function: {where}{what} (at {guard.where}); the function's structure depends on the data, so "
            "the traced code does not apply to these inputs. Call the function eagerly for such data.",
            sample,
        )

    return changed


def _load(program: _Program) -> Callable[..., Any]:
    """Compile the generated source into a function whose failed guards raise ``StructureChanged``."""
    namespace: dict[str, Any] = {**FLOAT_HELPERS, "_changed": _changed(program.guards)}
    namespace.update({f"P{j}": p for j, p in enumerate(program.parameters)})
    exec(builtins.compile(program.source, "<autograd.replay>", "exec"), namespace)
    replay: Callable[..., Any] = namespace["replay"]
    return replay


def _lower(traces: list[_Trace], with_grad: bool, parameters: list[Value]) -> tuple[Any, list[Any]] | None:
    """The traces as a C tape and their auxiliary templates, or None off the C engine (``VALUEGRAD_TAPE=0`` too)."""
    if os.environ.get("VALUEGRAD_TAPE", "") == "0" or not tape.available():
        return None
    params = _Parameters()
    for p in parameters:
        params.number(p)
    guards: list[_Guard] = []
    return tape.lower(traces, with_grad, params, guards, _changed(guards), _plan, _Guard)


def _parameters_of(traces: list[_Trace]) -> list[Value]:
    """The parameters the traces read, numbered as ``_emit`` numbers them: in order of first use, trace by trace."""
    params = _Parameters()
    for trace in traces:
        inputs = set(trace.inputs)
        for node in _plan(trace)[0]:
            if not node.parents and node not in inputs and node.op != "const":
                params.number(node)
    return params.values


class _Replay:
    """One trace's generated code, compiled (or lowered to a C tape), with the parameters it reads."""

    def __init__(self, trace: _Trace, with_grad: bool) -> None:
        #: On the C engine, the trace lowered to a C tape (``autograd/tape.py``); None where the Python code runs.
        self.tape: Any = None
        # The C tape needs no Python source: writing it was most of compile's time (``source()`` still writes it).
        self.parameters = _parameters_of([trace])
        lowered = _lower([trace], with_grad, self.parameters)
        if lowered is not None:
            self.tape = lowered[0]
            self.run: Callable[[list[float]], Any] = self.tape.run
            return
        program = _generate(trace, with_grad)
        self.parameters = program.parameters
        self.run = _load(program)


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
        value: float = self._run(replay, flat, args)
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
        value, input_grads = self._run(replay, flat, args)
        if self.check:
            added = [p.grad - b for p, b in zip(replay.parameters, before)]
            self._compare(args, shape, value, (input_grads, added))
        partials, _ = _unflatten(shape, input_grads, 0)
        return value, partials[0] if len(partials) == 1 else tuple(partials)

    def _run(self, replay: _Replay, flat: list[float], args: tuple[Any, ...]) -> Any:
        """Run the replay; when a guard fails and ``fn`` itself raises on ``args``, raise fn's error (the data is wrong)."""
        try:
            return replay.run(flat)
        except StructureChanged as changed:
            try:
                _trace(self.fn, args)
            except Exception as error:
                raise error from changed
            raise

    def tape(self, *args: Tree, with_grad: bool = True) -> Any:
        """The C tape ``args``' shape runs on (``autograd/tape.py``: ``run``, ``sgd``, ``zero_grad``); None off the C engine."""
        shape, _ = self._bind(args)
        replays = self._backward if with_grad else self._forward
        if shape not in replays:
            replays[shape] = _Replay(self._traces[shape], with_grad=with_grad)
        return replays[shape].tape

    def parameters(self, *args: Tree) -> list[Value]:
        """The Value leaves the replay for ``args`` reads and writes gradients into (traces if needed)."""
        shape, _ = self._bind(args)
        return _parameters_of([self._traces[shape]])

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
        fresh_parameters = _parameters_of([fresh])
        grads_map = _eager_grads(fresh.output, [*fresh.inputs, *fresh_parameters])
        expected = [grads_map.get(x, 0.0) for x in fresh.inputs]
        expected_params = [grads_map.get(p, 0.0) for p in fresh_parameters]
        if len(expected_params) != len(added) or not all(
            _close(a, b) for a, b in zip([*input_grads, *added], [*expected, *expected_params])
        ):
            raise StructureChanged("compiled function (check=True): replayed gradients differ from eager ones")


# ---------------------------------------------------------------------------------------------
# Per-sample compilation: trace one sample's objective, replay it over any batch
# ---------------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    """What a per-sample replay over a batch gives: the reduced loss, each sample's loss and auxiliary outputs."""

    #: The mean (or, with ``reduction="sum"``, the sum) of the samples' losses, summed in sample order.
    value: float
    #: Each sample's loss, in the batch's order.
    losses: list[float]
    #: Each sample's auxiliary outputs as floats (nested as fn returned them), or None where fn returned only a loss.
    outputs: list[Any]


def compile_per_sample(fn: Callable[..., Any], *, static: Sequence[int] = (), reduction: str = "mean") -> PerSampleFunction:
    """Trace ``fn`` — the loss of ONE sample — and replay it over every sample of a batch as generated float code.

    ``compiled.value_and_grad(*columns)`` takes one sequence per argument of ``fn`` (all of the
    same length, one item per sample), calls ``fn`` on the items of each sample, and returns a
    ``BatchResult``: the mean (``reduction="sum"``: the sum) of the samples' losses, each loss, and
    each sample's auxiliary output. Like ``backward()`` on that mean, it adds d mean / d parameter
    to every parameter's ``.grad``, to the same rounding. ``fn`` may return ``(loss, outputs)``
    (outputs: a Value or lists of Values, e.g. the model's scores for an accuracy).

    The trace is a few hundred lines however large the batch, so tracing takes milliseconds and
    any batch size or membership works (mini-batch SGD). Traced arguments become inputs of the
    code; the arguments at ``static`` positions (class labels, say) are passed to ``fn`` as they
    are, and each distinct static value gets a trace of its own, so code that branches on a
    label is right for every label. Guards work as in ``compile``, sample by sample; in addition
    a traced input that the graph never uses is guarded by its value (``fn`` may have read its
    ``.data``): a sample that changes it raises ``StructureChanged``. A replay that raises
    writes no gradient.

    >>> from autograd import Value, compile_per_sample
    >>> w, b = Value(0.5), Value(0.0)
    >>> loss = compile_per_sample(lambda x, y: ((w * x + b - y) ** 2, w * x + b))
    >>> result = loss.value_and_grad([1.0, 3.0], [1.0, 1.0])  # x column, y column: two samples
    >>> result.value, result.losses, result.outputs
    (0.25, [0.25, 0.25], [0.5, 1.5])
    >>> w.grad, b.grad
    (1.0, 0.0)
    """
    return PerSampleFunction(fn, static=static, reduction=reduction)


class PerSampleFunction:
    """A per-sample loss traced once per kind of sample and replayed over batches; see ``autograd.compile_per_sample``."""

    def __init__(self, fn: Callable[..., Any], *, static: Sequence[int] = (), reduction: str = "mean") -> None:
        if reduction not in ("mean", "sum"):
            raise ValueError(f"compile_per_sample: reduction must be 'mean' or 'sum', got {reduction!r}")
        self.fn = fn
        self.static = frozenset(static)
        self.reduction = reduction
        self._variant: dict[Any, int] = {}  # a sample's kind (shapes, static values) -> its trace's number
        self._traces: list[_Trace] = []
        self._replays: dict[bool, tuple[int, Callable[..., Any]]] = {}  # with_grad -> (traces covered, code)

    def _rows(self, columns: tuple[Sequence[Any], ...]) -> list[tuple[int, list[float]]]:
        """Each sample as (its trace's number, its flattened traced inputs), tracing the kinds not seen yet."""
        if not columns:
            raise TypeError("compile_per_sample: give one sequence per argument of fn")
        n = len(columns[0])
        if any(len(column) != n for column in columns):
            raise ValueError(f"compile_per_sample: the columns differ in length: {[len(c) for c in columns]}")
        static = self.static
        order = sorted(static)
        rows: list[tuple[int, list[float]]] = []
        for sample in zip(*columns):
            flat: list[float] = []
            shape = tuple([None if a in static else _flatten(item, flat) for a, item in enumerate(sample)])
            # The type is part of the key: 1 and 1.0 are equal but code may treat them differently.
            key = (shape, tuple([(type(sample[a]), sample[a]) for a in order]) if static else ())
            variant = self._variant.get(key)
            if variant is None:
                variant = self._variant[key] = len(self._traces)
                self._traces.append(_trace(self.fn, sample, static, per_sample=True))
            rows.append((variant, flat))
        return rows

    def _replay(self, with_grad: bool) -> Callable[..., Any]:
        cached = self._replays.get(with_grad)
        if cached is None or cached[0] != len(self._traces):
            lowered = _lower(self._traces, with_grad, _parameters_of(self._traces))
            run = _run_tape(*lowered) if lowered is not None else _load(_generate_per_sample(self._traces, with_grad))
            cached = self._replays[with_grad] = (len(self._traces), run)
        return cached[1]

    def tape(self, with_grad: bool = True) -> Any:
        """The C tape the traces so far run on (``autograd/tape.py``), or None on the pure engine or before a trace."""
        if not self._traces:
            return None
        run = self._replay(with_grad)
        return getattr(run, "tape", None)

    def _run(self, columns: tuple[Sequence[Any], ...], with_grad: bool) -> BatchResult:
        rows = self._rows(columns)
        n = len(rows)
        if n == 0:
            raise ValueError("compile_per_sample: the batch is empty")
        seed = 1.0 / n if self.reduction == "mean" else 1.0
        try:
            results = self._replay(with_grad)(rows, seed)
        except StructureChanged as changed:
            if changed.sample is not None:
                self._raise_eager_error(columns, changed)
            raise
        losses = [loss for loss, _ in results]
        total = 0.0
        for loss in losses:  # in sample order, as vsum adds them
            total += loss
        return BatchResult(total / n if self.reduction == "mean" else total, losses, [aux for _, aux in results])

    def _raise_eager_error(self, columns: tuple[Sequence[Any], ...], changed: StructureChanged) -> None:
        """Run ``fn`` eagerly on the sample that failed a guard: if that raises (a label out of range, a log of a
        negative number), the data is wrong, not just differently shaped, and that error is the one to see."""
        assert changed.sample is not None
        sample = tuple(column[changed.sample] for column in columns)
        try:
            _trace(self.fn, sample, self.static, per_sample=True)
        except Exception as error:
            raise error from changed

    def __call__(self, *columns: Sequence[Any]) -> BatchResult:
        """The losses over the batch, computed by the replay (no gradients)."""
        return self._run(columns, with_grad=False)

    def value_and_grad(self, *columns: Sequence[Any]) -> BatchResult:
        """The losses over the batch; also adds d value / d parameter to each parameter's ``.grad``."""
        return self._run(columns, with_grad=True)

    def parameters(self) -> list[Value]:
        """The Value leaves the traces so far read and write gradients into, in order of first use."""
        return _parameters_of(self._traces)

    @property
    def traces(self) -> int:
        """How many traces were made: one per kind of sample (argument shapes and static values) seen so far."""
        return len(self._traces)

    def source(self, *columns: Sequence[Any], with_grad: bool = True) -> str:
        """The generated Python for every kind of sample seen so far and in ``columns``, for readers and debugging."""
        if columns:
            self._rows(columns)
        return _generate_per_sample(self._traces, with_grad).source


def _run_tape(tape_: Any, templates: list[Any]) -> Callable[[list[tuple[int, list[float]]], float], list[Any]]:
    """The per-sample replay's calling convention over a C tape: ``(loss, aux)`` per row, aux nested as fn made it."""

    single = all(isinstance(template, Value) for template in templates)  # fn returned (loss, one Value)

    def run(rows: list[tuple[int, list[float]]], seed: float) -> list[Any]:
        results = tape_.run_rows(rows, seed)
        if all(template is None for template in templates):
            return [(loss, None) for loss, _ in results]
        if single:
            return [(loss, aux[0]) for loss, aux in results]
        return [(loss, tape.rebuild(templates[row[0]], aux)) for row, (loss, aux) in zip(rows, results)]

    run.tape = tape_  # type: ignore[attr-defined]
    return run


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
