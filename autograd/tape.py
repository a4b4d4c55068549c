"""Lower a traced graph to the C tape: compile's replay on the C engine, with no Python per operation.

``autograd.compile`` and ``compile_per_sample`` trace ``fn`` once (``autograd/replay.py``). On the
C engine the trace is lowered here to flat arrays -- one instruction per node (its rule's opcode,
its operand slots, its output slot), the guards between them, and for the backward pass one
action per operand (assign, add, or nothing for a constant) -- and handed to the extension's
``Tape`` type (``autograd/_native/_tape.c``), which runs forward, guards and backward in C.
The instructions come in the order the Python replay writes its lines (``replay._plan``) and
each gradient is assigned or added exactly where the Python replay assigns or adds it, so the
C tape, the Python replay and eager ``backward()`` give the same floats. One rewrite is made on
the way: micrograd's ``sum(w * x for ...)`` -- a chain of 2-input ``+`` over ``*`` nodes -- becomes
one ``dot`` instruction where that provably keeps every gradient's order of additions (``_chains``).

The tape API (what ``nn`` may call; a ``Tape`` is what ``CompiledFunction.tape(*args)`` and
``PerSampleFunction.tape()`` return):

* ``tape.run(inputs, seed)`` -- one call: ``output`` or ``(output, [d output / d input])``;
* ``tape.run_rows(rows, seed)`` -- a batch of ``(variant, inputs)`` rows, last to first, returning
  ``(loss, aux floats)`` per row; parameters' ``.grad`` accumulate as ``backward()`` would;
* ``tape.sgd(lr)`` -- the optimizer step in C: ``p.data -= lr * p.grad`` for each parameter read;
* ``tape.zero_grad()`` -- every parameter's ``.grad = 0.0``; ``tape.size`` -- the arrays' sizes.

A trace with a node the C table has no opcode for (an op made by ``define_op`` at run time) is
not lowered: ``lower`` returns None and the Python replay runs it.

>>> from autograd import Value, compile
>>> w = Value(2.0)
>>> f = compile(lambda x: (w * x + 1.0).tanh())
>>> f.value_and_grad(0.5)[0] == (w * 0.5 + 1.0).tanh().data
True
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from autograd.rules import RULES, power_exponent

if TYPE_CHECKING:
    from autograd.value import Value

# The trace, its guards and the parameter numbering are autograd/replay.py's (a room above this one):
# here they are duck-typed, and replay hands over its planner and its guard record.
_Trace = Any
_Guard = Any
_Parameters = Any

#: Comparison guards' kinds, as ``_tape.c`` numbers them.
_COMPARISONS = {"<": 0, "<=": 1, ">": 2, ">=": 3}


class _Constant:
    """Stands for an operand that is a constant slot, never a node: backward plans it no gradient."""

    op = "const"


#: The exponent operand of a lowered ``x ** c`` (see ``lower``).
_EXPONENT: Any = _Constant()


def opcodes() -> dict[str, int]:
    """Rule name -> the C engine's op index (``VG_OP_*`` of ``_ops.h``): 0 a leaf, 1 a constant, then the rows.

    >>> opcodes()["+"]
    2
    """
    rules = [rule for rule in RULES.values() if rule.callables is None]
    return {rule.name: i + 2 for i, rule in enumerate(rules)}


def available() -> bool:
    """Whether the C tape can run: the C engine is the one in use (not ``VALUEGRAD_PURE=1``) and has a Tape."""
    from autograd import value

    if value.BACKEND != "native":
        return False
    from autograd._native import _core

    return hasattr(_core, "Tape")


class _Builder:
    """The arrays of one tape, filled trace by trace; parameters take slots 0..P-1."""

    def __init__(self, nparams: int) -> None:
        self.nslots = nparams
        self.const_slots: list[int] = []
        self.const_values: list[float] = []
        self.op: list[int] = []
        self.dst: list[int] = []
        self.flag: list[int] = []
        self.argstart: list[int] = []
        self.nargs: list[int] = []
        self.args: list[int] = []
        self.action: list[int] = []

    def slot(self) -> int:
        self.nslots += 1
        return self.nslots - 1

    def constant(self, x: float) -> int:
        s = self.slot()
        self.const_slots.append(s)
        self.const_values.append(x)
        return s

    def instruction(self, op: int, dst: int, flag: int, args: list[int]) -> int:
        self.op.append(op)
        self.dst.append(dst)
        self.flag.append(flag)
        self.argstart.append(len(self.args))
        self.nargs.append(len(args))
        self.args.extend(args)
        self.action.extend([0] * len(args))
        return len(self.op) - 1


def lower(
    traces: list[_Trace],
    with_grad: bool,
    params: _Parameters,
    guards: list[_Guard],
    changed: Callable[..., None],
    plan: Callable[[_Trace], tuple[list[Value], set[Value], dict[int, list[_Guard]]]],
    guard: Callable[..., _Guard],
    fuse: bool = True,
) -> tuple[Any, list[Any]] | None:
    """The C ``Tape`` for ``traces`` (one variant each) and each variant's auxiliary-output template, or None.

    ``params`` must already number every parameter the traces read (``replay._number_parameters``);
    ``guards`` receives the guards in the order the tape numbers them, which ``changed(k, now, sample)``
    reports; ``plan(trace)`` is the replay's order and guard placement, ``guard(...)`` makes its guard
    record. None when a node's op has no opcode in the C table (the Python replay then runs).
    """
    from autograd._native import _core
    from autograd.value import has_closure

    codes = opcodes()
    b = _Builder(len(params.values))
    variants: list[tuple[int, int, int, list[int], list[int], list[int]]] = []
    templates: list[Any] = []
    for trace in traces:
        order, seen, guards_after = plan(trace)
        if not trace.output.parents:
            return None  # the output is a leaf: nothing to run (the Python replay handles it)
        begin = len(b.op)
        inputs = [b.slot() for _ in trace.inputs]
        slot: dict[Value, int] = {}
        if trace.guard_unused:
            for k, node in enumerate(trace.inputs):
                if node not in seen:
                    b.instruction(-2, len(guards), int(math.isnan(node.data)), [inputs[k], b.constant(node.data)])
                    guards.append(guard(node, "input", None, node.data, f"input {k} of the sample"))
        index = {node: k for k, node in enumerate(trace.inputs)}
        instr: dict[Value, int] = {}
        operands: dict[Value, tuple[Value, ...]] = {}
        chains, interior = _chains(trace, order, with_grad) if fuse and "dot" in codes else ({}, set())
        for i, node in enumerate(order):
            parents = node.parents
            if node in interior:
                pass  # computed inside its chain's dot instruction
            elif node in chains:
                operands[node] = chains[node]
                slot[node] = b.slot()
                instr[node] = b.instruction(codes["dot"], slot[node], 0, [slot[p] for p in chains[node]])
            elif not parents:
                if node in index:
                    slot[node] = inputs[index[node]]
                elif node.op == "const":
                    slot[node] = b.constant(node.data)
                else:
                    slot[node] = params.index[node]
            elif (exponent := power_exponent(node.op)) is not None and not has_closure(node):
                # x ** c (one parent, the number kept on the node) runs as the two-input ``**`` with c in a
                # constant slot: the same pow and d/dx, and a constant's d/dc is never evaluated (action 0).
                operands[node] = (parents[0], _EXPONENT)
                slot[node] = b.slot()
                instr[node] = b.instruction(codes["**"], slot[node], 0, [slot[parents[0]], b.constant(exponent)])
            else:
                code = codes.get(node.op)
                if code is None or RULES[node.op].callables is not None or has_closure(node):
                    return None  # the Python replay's code generator says why it cannot, or runs it
                try:
                    RULES[node.op].formulas(len(parents))
                except ValueError:
                    return None  # a custom node borrowing a rule's name with other inputs: refused there
                operands[node] = parents
                slot[node] = b.slot()
                instr[node] = b.instruction(code, slot[node], 0, [slot[p] for p in parents])
            for check in guards_after.get(i, ()):
                left = slot[check.node]
                if check.op == "float":
                    traced = float(check.result)
                    b.instruction(-2, len(guards), int(math.isnan(traced)), [left, b.constant(traced)])
                else:
                    other = check.other
                    right = b.constant(other) if isinstance(other, float) else slot[other] if other is not None else -1
                    b.instruction(-1, len(guards), _COMPARISONS[check.op] * 2 + int(bool(check.result)), [left, right])
                guards.append(check)
        input_grads = [-1] * len(trace.inputs)
        if with_grad:
            reached = _plan_backward(b, trace, order, instr, operands, params)
            input_grads = [inputs[k] if node in reached else -1 for k, node in enumerate(trace.inputs)]
        aux_leaves: list[Value] = []
        _leaves(trace.aux, aux_leaves)
        variants.append((begin, len(b.op), slot[trace.output], inputs, input_grads, [slot[n] for n in aux_leaves]))
        templates.append(trace.aux)
    core: Any = _core  # the stub (_core.pyi) is the engine room's; the Tape API is documented here
    tape = core.Tape(
        list(params.values),
        [int(j in params.with_grad) for j in range(len(params.values))],
        b.nslots,
        b.const_slots,
        b.const_values,
        b.op,
        b.dst,
        b.flag,
        b.argstart,
        b.nargs,
        b.args,
        b.action,
        variants,
        changed,
        with_grad,
    )
    return tape, templates


def _chains(trace: _Trace, order: list[Value], with_grad: bool) -> tuple[dict[Value, tuple[Value, ...]], set[Value]]:
    """micrograd's ``sum(w * x for ...)``: chains of 2-input ``+`` over ``*`` nodes, to run as one ``dot`` instruction.

    ``((b + w0*x0) + w1*x1) + ...`` is the ``dot`` rule's forward to the bit (the start, then each
    rounded product added in turn), and each product's gradient is the chain's own (1.0 times it,
    exactly). What fusing can change is *when* a contribution reaches its target in the backward:
    all of them at the chain's top instead of at each product. So a chain is fused only when that
    keeps, for every target, the order of its contributions: its targets are distinct, and no other
    instruction contributes to one of them between the chain's top and the product it came from.
    Returns {top: dot operands (ws, xs, start)} and the interior nodes the instruction replaces.
    """
    pinned = {trace.output, *(n for g in trace.guards for n in (g.node, g.other) if n is not None and not isinstance(n, float))}
    aux: list[Value] = []
    _leaves(trace.aux, aux)
    pinned.update(aux)
    uses: dict[Value, int] = {}
    for node in order:
        for parent in node.parents:
            uses[parent] = uses.get(parent, 0) + 1

    def product(node: Value) -> bool:
        return node.op == "*" and len(node.parents) == 2 and uses.get(node) == 1 and node not in pinned

    def link(node: Value) -> bool:
        return node.op == "+" and len(node.parents) == 2 and product(node.parents[1])

    # Where each node stands in the backward, and where each target receives its contributions.
    last = len(order) - 1
    rank = {node: last - i for i, node in enumerate(order)}
    received: dict[Value, list[int]] = {}
    if with_grad:
        reached = {trace.output}
        for node in reversed(order):
            if node in reached:
                for parent in node.parents:
                    if parent.op != "const":
                        received.setdefault(parent, []).append(rank[node])
                        reached.add(parent)
    chains: dict[Value, tuple[Value, ...]] = {}
    interior: set[Value] = set()
    tried: set[Value] = set()
    for top in reversed(order):
        if top in interior or top in tried or not link(top):
            continue
        sums, products = [top], [top.parents[1]]
        left = top.parents[0]
        while link(left) and uses.get(left) == 1 and left not in pinned:
            sums.append(left)
            products.append(left.parents[1])
            left = left.parents[0]
        if len(products) < 2:
            continue
        targets = [(p, rank[m]) for m in products for p in m.parents if p.op != "const"]
        if left.op != "const":
            targets.append((left, rank[sums[-1]]))
        # A refused chain's inner links are not tried as chains of their own (that would be quadratic).
        if len({id(t) for t, _ in targets}) != len(targets):
            tried.update(sums[1:])  # a target twice: the dot instruction's order of its two contributions may differ
            continue
        start = rank[top]
        if with_grad and any(_between(received.get(t, ()), start, at) for t, at in targets):
            tried.update(sums[1:])  # another contribution to a target would move after this chain's
            continue
        interior.update(sums[1:])
        interior.update(products)
        chains[top] = (*(m.parents[0] for m in reversed(products)), *(m.parents[1] for m in reversed(products)), left)
    return chains, interior


def _between(ranks: Sequence[int], low: int, high: int) -> bool:
    """Whether the sorted ``ranks`` hold one strictly between ``low`` and ``high`` (a binary search: lowering stays linear).

    >>> _between([1, 4, 9], 4, 9), _between([1, 4, 9], 1, 9)
    (False, True)
    """
    i = bisect.bisect_right(ranks, low)
    return i < len(ranks) and ranks[i] < high


def _plan_backward(
    b: _Builder,
    trace: _Trace,
    order: list[Value],
    instr: dict[Value, int],
    operands: dict[Value, tuple[Value, ...]],
    params: _Parameters,
) -> set[Value]:
    """Mark the nodes a gradient reaches and each operand's action, as the Python replay writes its lines.

    The first contribution to a node's gradient is assigned (``g = c``), later ones added (``g += c``);
    a parameter's always adds to its accumulator (which starts from ``.grad``); a constant gets none.
    Returns the nodes (and inputs) a gradient reaches.
    """
    has_grad = {trace.output}
    for node in reversed(order):
        if node not in has_grad or node not in instr:
            continue
        i = instr[node]
        b.flag[i] = 1
        for k, parent in enumerate(operands[node]):
            if parent.op == "const":
                continue
            at = b.argstart[i] + k
            j = params.index.get(parent)
            if j is not None:
                params.with_grad.add(j)
                b.action[at] = 2
            elif parent in has_grad:
                b.action[at] = 2
            else:
                has_grad.add(parent)
                b.action[at] = 1
    return has_grad


def _leaves(tree: Any, out: list[Value]) -> None:
    from autograd.value import Value

    if isinstance(tree, Value):
        out.append(tree)
    elif isinstance(tree, (list, tuple)):
        for item in tree:
            _leaves(item, out)


def rebuild(template: Any, flat: tuple[float, ...]) -> Any:
    """The auxiliary outputs as floats, nested as ``fn`` returned them (``template``: its Values, or None).

    >>> rebuild(None, ())
    >>> from autograd import Value
    >>> rebuild([Value(0.0), [Value(0.0)]], (1.5, 2.5))
    [1.5, [2.5]]
    """
    if template is None:
        return None
    position = 0

    def build(tree: Any) -> Any:
        nonlocal position
        if isinstance(tree, (list, tuple)):
            return [build(item) for item in tree]
        position += 1
        return flat[position - 1]

    return build(template)
