"""A graph's forward and backward passes as a list of frames: what every node shows after each step.

A frame is one step a teacher would say out loud. Forward: one frame per node in topological
order, the node's value appearing (``n = x1*w1 + b = -6.0 + 6.88137 = 0.881374``). Backward: one
frame per ``Backprop`` step, in exactly ``backward()``'s order and arithmetic, the step's chain
rule as its text. Each frame carries every node's shown value and gradient as text, so the
renderers (PNG, GIF, slides, worksheet) only draw; none recomputes anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from autograd import Backprop, Value
from autograd.export._compat import NodeNames, fmt

__all__ = ["Frame", "Sketch", "frames"]

Phase = Literal["forward", "backward"]


@dataclass(frozen=True)
class Sketch:
    """The graph every frame of one sequence draws: names, ops, edges, roles and clusters, by index in topological order."""

    title: str
    #: What each node is called (its label, a notation's name, else ``op#i``).
    names: tuple[str, ...]
    #: The operation that made each node ("" for a leaf).
    ops: tuple[str, ...]
    #: The indices of each node's parents, in argument order.
    parents: tuple[tuple[int, ...], ...]
    #: input, parameter, constant, intermediate or output.
    roles: tuple[str, ...]
    #: The box each node is drawn inside (None: no box), e.g. ``"position 1: query"``.
    clusters: tuple[str | None, ...]
    #: Each node's forward computation over names (``a * b``; "" for a leaf).
    expressions: tuple[str, ...]
    #: Each node's final value and gradient as text: the widths the drawings reserve, so frames do not jump.
    values: tuple[str, ...]
    grads: tuple[str, ...]


@dataclass(frozen=True)
class Frame:
    """One step of a pass: its text, and what every node shows (``None``: not known yet, drawn as ``?``)."""

    sketch: Sketch
    #: Position in the whole sequence, from 0.
    index: int
    phase: Phase
    #: The step within its phase, from 1, and how many the phase has.
    step: int
    steps: int
    #: The node this frame computes (forward) or passes its gradient back from (backward).
    node: int
    #: The step in words and numbers, one line per edge in the backward phase.
    lines: tuple[str, ...]
    values: tuple[str | None, ...]
    grads: tuple[str | None, ...]
    #: Nodes whose value or gradient this frame changed.
    updated: tuple[int, ...]
    #: Whether each node's gradient is final (every node that uses it has passed its gradient back).
    final: tuple[bool, ...]

    @property
    def caption(self) -> str:
        """``forward 3 of 7`` or ``backward 2 of 5``: where the frame is."""
        return f"{self.phase} {self.step} of {self.steps}"


_PLACEHOLDER = re.compile(r"Ξ(\d+)Ξ")


def _with_numbers(stand_ins: NodeNames, node: Value) -> str:
    """The node's forward expression with each parent's value in place of its name: ``-6.0 + 0.0 + 6.88137``.

    ``stand_ins`` names node ``i`` ``Ξ<i>Ξ``: one word each, so NodeNames lays the formula out as
    usual, and then each stand-in becomes its number.
    """
    text: str = stand_ins.expression(node)
    order = stand_ins.order

    def number(match: re.Match[str]) -> str:
        shown: str = fmt(order[int(match.group(1))].data)
        before = text[: match.start()].rstrip()
        # A negative number after an operator reads better in parentheses: 2.0 * (-3.0).
        if shown.startswith("-") and before and before[-1] not in "(,":
            return f"({shown})"
        return shown

    return _PLACEHOLDER.sub(number, text)


def _roles(order: Sequence[Value], root: Value, parameters: frozenset[Value]) -> tuple[str, ...]:
    roles = []
    for node in order:
        if node is root:
            roles.append("output")
        elif node.op == "const":
            roles.append("constant")
        elif node.parents:
            roles.append("intermediate")
        elif node in parameters:
            roles.append("parameter")
        else:
            roles.append("input")
    return tuple(roles)


def frames(
    root: Value,
    *,
    names: Mapping[Value, str] | None = None,
    parameters: Sequence[Value] = (),
    clusters: Mapping[Value, str] | None = None,
    forward: bool = True,
    backward: bool = True,
    title: str | None = None,
) -> list[Frame]:
    """The forward pass (one frame per node) and the backward pass (one frame per ``Backprop`` step) of ``root``'s graph.

    ``names`` calls nodes by a notation's names, ``parameters`` marks leaves as parameters (drawn
    in the parameter colour), ``clusters`` puts nodes in named boxes. The graph's gradients are
    left exactly as they were: the backward frames are made on a fresh pass (leaf grads from 0)
    and every ``.grad`` is restored afterwards.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> film = frames(c)
    >>> [f.caption for f in film]
    ['forward 1 of 3', 'forward 2 of 3', 'forward 3 of 3', 'backward 1 of 1']
    >>> film[2].lines[0]
    'c = a * b = 2.0 * (-3.0) = -6.0'
    >>> film[3].grads, a.grad
    (('-3.0', '2.0', '1.0'), 0.0)
    """
    node_names = NodeNames(root, names=names)
    order: list[Value] = node_names.order
    index = {node: i for i, node in enumerate(order)}
    saved = [node.grad for node in order]
    try:
        # A fresh pass: leaves would otherwise add this pass to whatever an earlier backward() left.
        for node in order:
            node.grad = 0.0
        stepper = Backprop(root, names=names)
        steps = stepper.run()
        final_grads = tuple(fmt(node.grad) for node in order)
    finally:
        for node, grad in zip(order, saved):
            node.grad = grad
    boxes = clusters or {}
    sketch = Sketch(
        title=title if title is not None else f"backprop through {node_names.name(root)}",
        names=tuple(node_names.name(node) for node in order),
        ops=tuple(node.op if node.parents else "" for node in order),
        parents=tuple(tuple(index[p] for p in node.parents) for node in order),
        roles=_roles(order, root, frozenset(parameters)),
        clusters=tuple(boxes.get(node) for node in order),
        expressions=tuple(node_names.expression(node) if node.parents else "" for node in order),
        values=tuple(fmt(node.data) for node in order),
        grads=final_grads,
    )
    result: list[Frame] = []
    n = len(order)
    not_final = (False,) * n
    if forward:
        stand_ins = NodeNames(root, order, names={node: f"Ξ{i}Ξ" for i, node in enumerate(order)})
        for i, node in enumerate(order):
            name = sketch.names[i]
            if node.parents:
                line = f"{node_names.ref(node)} = {sketch.expressions[i]} = {_with_numbers(stand_ins, node)} = {sketch.values[i]}"
            else:
                line = f"{name} = {sketch.values[i]}   ({sketch.roles[i]})"
            values = sketch.values[: i + 1] + (None,) * (n - i - 1)
            result.append(Frame(sketch, len(result), "forward", i + 1, n, i, (line,), values, (None,) * n, (i,), not_final))
    if backward:
        # Replay the recorded steps on text: a gradient appears when the node first gets one (the root's seed at once).
        grads: list[str | None] = [None] * n
        grads[index[root]] = fmt(1.0)
        last_use = {}
        for k, step in enumerate(steps):
            for edge in step.edges:
                last_use[index[edge.parent]] = k
        for k, step in enumerate(steps):
            touched = []
            for edge in step.edges:
                p = index[edge.parent]
                grads[p] = fmt(edge.after)
                touched.append(p)
            me = index[step.node]
            final = tuple(i == index[root] or last_use.get(i, -1) <= k for i in range(n))
            result.append(
                Frame(
                    sketch, len(result), "backward", k + 1, len(steps), me, tuple(step.lines()),
                    sketch.values, tuple(grads), (me, *dict.fromkeys(touched)), final,
                )
            )
    return result
