"""A graph's forward and backward passes as a list of frames: one step a teacher would say out loud each.

The passes are recorded once, by the seeing layer (``autograd.seeing.trace.Trace``): forward, one
frame per computed node in topological order, its line as ``Forward`` says it
(``n = x1*w1 + x2*w2 + b = -6.0 + 0.0 + 6.88137 = 0.881374``); backward, one frame per ``Backprop``
step, in ``backward()``'s order and arithmetic, its lines as the stepper prints them. A frame is a
position in that trace; the renderers (PNG, GIF, slides, worksheet) draw it with ``draw_dot`` and
recompute nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from autograd.seeing.numbers import fmt
from autograd.seeing.trace import Trace
from autograd.seeing.view import GraphView
from autograd.value import Value

__all__ = ["Frame", "frames"]

Phase = Literal["forward", "backward"]


@dataclass(frozen=True, eq=False)
class Frame:
    """One step of a pass: where it is in the recorded ``trace``, and its text."""

    trace: Trace
    #: What the sequence's pictures and pages are titled.
    title: str
    #: Position in the whole sequence, from 0.
    index: int
    phase: Phase
    #: The step within its phase, from 1, and how many the phase has. Also the drawing's position:
    #: forward, the nodes computed so far; backward, the steps taken.
    step: int
    steps: int
    #: The node this frame computes (forward) or passes its gradient back from (backward), by index in the view.
    node: int
    #: The step in words and numbers: one line forward, the stepper's lines backward.
    lines: tuple[str, ...]
    #: Named boxes to draw nodes in (``draw_dot(boxes=)``).
    boxes: Mapping[Value, str] | None = None

    @property
    def view(self) -> GraphView:
        """The view every frame of the sequence draws (names, roles, ids)."""
        return self.trace.view

    @property
    def caption(self) -> str:
        """``forward 3 of 7`` or ``backward 2 of 5``: where the frame is."""
        return f"{self.phase} {self.step} of {self.steps}"

    @property
    def values(self) -> tuple[str | None, ...]:
        """Every node's value as the frame shows it (``None``: not computed yet)."""
        order = self.view.order
        if self.phase == "backward":
            return tuple(fmt(node.data) for node in order)
        computed = {record.node for record in self.trace.forward[: self.step]}
        return tuple(fmt(node.data) if not node.parents or i in computed else None for i, node in enumerate(order))

    @property
    def grads(self) -> tuple[str | None, ...]:
        """Every node's gradient as the frame shows it (``None`` throughout the forward pass)."""
        if self.phase == "forward":
            return (None,) * len(self.view.order)
        return tuple(fmt(grad) for grad in self.trace.grads_at(self.step))

    @property
    def final(self) -> tuple[bool, ...]:
        """Whether each node's gradient is final (every node that uses it has passed its gradient back)."""
        if self.phase == "forward":
            return (False,) * len(self.view.order)
        return tuple(at <= self.step for at in self.trace.final_at)


def frames(
    root: Value,
    *,
    names: Mapping[Value, str] | None = None,
    parameters: Iterable[Value] = (),
    boxes: Mapping[Value, str] | None = None,
    forward: bool = True,
    backward: bool = True,
    title: str | None = None,
) -> list[Frame]:
    """The forward pass (one frame per computed node) and the backward pass (one per ``Backprop`` step) of ``root``.

    ``names`` calls nodes by a notation's names, ``parameters`` marks leaves as parameters (drawn
    in the parameter colour), ``boxes`` puts nodes in named boxes. The backward frames are a fresh
    pass (every grad from 0, whatever an earlier ``backward()`` left), and the graph's gradients are
    left exactly as they were.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> film = frames(c.tanh())
    >>> [f.caption for f in film]
    ['forward 1 of 2', 'forward 2 of 2', 'backward 1 of 2', 'backward 2 of 2']
    >>> film[0].lines[0]
    'c = a * b = 2.0 * (-3.0) = -6.0'
    >>> film[-1].grads[:2], a.grad
    (('-7.37296e-05', '4.91531e-05'), 0.0)
    """
    view = GraphView.of(root, names=names, parameters=parameters)
    saved = [node.grad for node in view.order]
    try:
        # A fresh pass: leaves would otherwise add this pass to whatever an earlier backward() left.
        for node in view.order:
            node.grad = 0.0
        trace = Trace.record(view)
    finally:
        for node, grad in zip(view.order, saved):
            node.grad = grad
    heading = title if title is not None else f"backprop through {trace.view.name(trace.view.root)}"
    phases: list[tuple[Phase, int, tuple[str, ...]]] = []
    if forward:
        phases += [("forward", record.node, (record.text,)) for record in trace.forward]
    if backward:
        phases += [("backward", step.node, step.lines) for step in trace.steps]
    counts = {"forward": len(trace.forward), "backward": len(trace)}
    taken = dict.fromkeys(counts, 0)
    result: list[Frame] = []
    for phase, at, lines in phases:
        taken[phase] += 1
        result.append(Frame(trace, heading, len(result), phase, taken[phase], counts[phase], at, lines, boxes))
    return result
