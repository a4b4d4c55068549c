"""A backprop pass recorded once from a view: start and end grads, every step, when each grad is final; one JSON.

``Trace.record(view)`` (or a root, with the view options) runs ``Backprop`` over the view to the end
and puts every grad of the graph back as it was: recording has no visible effect. The page, the
notebook and the exporters replay the trace instead of stepping again.

API (``trace = Trace.record(root_or_view, ...)``):

- ``trace.view`` (the ``GraphView``), ``trace.start[i]`` / ``trace.end[i]`` (node i's grad before the
  first step, as ``backward()`` prepares it, and after the last), ``trace.final_at[i]`` (steps until
  node i's grad is final; the view's), ``trace.steps`` (``TraceStep``: ``index``, ``node`` (index),
  ``grad``, ``header``, ``lines`` and ``text`` (as the stepper prints it), ``edges``: ``TraceEdge`` with ``parent`` (index),
  ``input``, ``local``, ``upstream``, ``contribution``, ``before``, ``after``, ``local_text`` (the local
  derivative as mathematics with numbers) and ``text`` (the ``+=``)), ``trace.explanations[i]`` (``str``
  of ``explain`` of node i at the end), ``len(trace)`` (the number of steps).
- ``trace.forward``: the forward pass first, one ``TraceForward`` per computed node in topological
  order (``node`` (index), ``header``, ``numbers``, ``value``, ``text``: ``n = x1*w1 + b = ... = 0.8814``),
  so a page shows one timeline, forward then backward.
- ``trace.grads_at(position)``: every node's grad after ``position`` steps; ``trace.state(i, position)``:
  node i's step state (``GraphView.state``).
- ``trace.to_dict()`` / ``trace.to_json()``: the one encoding, format ``FORMAT``. ``nodes[i]`` is the
  view's record of node i (``GraphView.to_dict``) plus ``grad0``/``grad0Text``, ``grad``/``gradText``
  and ``explain``; ``steps[s]`` has ``node``, ``grad``/``gradText``, ``header`` and
  ``edges`` (``parent``, ``input``, ``edge`` (the drawn edge's id), ``local``/``localText``,
  ``localFormula`` (``tanh: ∂o/∂n = 1 − o² = ...``), ``upstream``, ``contribution``,
  ``before``/``beforeText``, ``after``/``afterText``, ``text``): a step reads as its header, then per
  edge ``"  " + localFormula`` and ``"    " + text`` (each written once, to keep the JSON small);
  ``forward[f]`` has ``node``, ``header``,
  ``text``, ``value``/``valueText``. Every number is also given as text
  (``fmt``); non-finite numbers are the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.

>>> from autograd import Value
>>> a = Value(3.0, label="a")
>>> b = a * a; b.label = "b"
>>> trace = Trace.record(b)
>>> trace.start, trace.end, trace.final_at, a.grad
((0.0, 1.0), (6.0, 1.0), (1, 0), 0.0)
>>> trace.steps[0].edges[1].text
'a.grad += ∂b/∂a · b.grad = 3.0 · 1.0 → 3.0 + 3.0 = 6.0'
>>> trace.to_dict()["steps"][0]["edges"][0]["afterText"]
'3.0'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from autograd.seeing.forward import forward_text
from autograd.seeing.numbers import fmt, json_number
from autograd.seeing.stepper import Backprop, explain
from autograd.seeing.view import Collapse, GraphView, StepState
from autograd.value import Value

__all__ = ["FORMAT", "Trace", "TraceEdge", "TraceForward", "TraceStep"]

#: The name and version of the trace's JSON encoding.
FORMAT = "valuegrad-trace/1"


@dataclass(frozen=True)
class TraceEdge:
    """What one step did to one parent: ``parent.grad += local * upstream``, the grad before and after, as text."""

    parent: int
    input: int
    local: float
    upstream: float
    contribution: float
    before: float
    after: float
    #: The local derivative as mathematics with numbers: ``tanh: ∂o/∂n = 1 − o² = 1 − 0.707107² = 0.5``.
    local_text: str
    #: The ``+=``: ``n.grad += ∂o/∂n · o.grad = 0.5 · 1.0 → 0.5``.
    text: str


@dataclass(frozen=True)
class TraceStep:
    """One node of the backward pass, as recorded."""

    index: int
    #: The node's index in the view's order.
    node: int
    #: Its grad when processed (final by then).
    grad: float
    #: Its computation, ``o = tanh(n)``.
    header: str
    edges: tuple[TraceEdge, ...]

    @property
    def lines(self) -> tuple[str, ...]:
        """The step as the stepper prints it, line by line: the header, then per edge its derivative and its ``+=``."""
        lines = [self.header]
        for edge in self.edges:
            lines += [f"  {edge.local_text}", f"    {edge.text}"]
        return tuple(lines)

    @property
    def text(self) -> str:
        """The step as the stepper prints it."""
        return "\n".join(self.lines)


@dataclass(frozen=True)
class TraceForward:
    """One node of the forward pass, as recorded: ``n = x1*w1 + b = 2.0*(-3.0) + 6.88137 = 0.881374``."""

    node: int
    header: str
    numbers: str
    value: float
    text: str


@dataclass(frozen=True, eq=False)
class Trace:
    """A whole backprop pass over a view, recorded once (see the module docstring)."""

    view: GraphView
    start: tuple[float, ...]
    end: tuple[float, ...]
    steps: tuple[TraceStep, ...]
    explanations: tuple[str, ...]
    forward: tuple[TraceForward, ...] = ()

    @classmethod
    def record(
        cls,
        root: Value | GraphView,
        *,
        names: Mapping[Value, str] | None = None,
        parameters: Iterable[Value] = (),
        collapse: Collapse = None,
        clusters: bool = True,
    ) -> Trace:
        """Run ``Backprop`` over the view to the end, record it, and put every grad back as it was."""
        view = GraphView.of(root, names=names, parameters=parameters, collapse=collapse, clusters=clusters)
        saved = [(node, node.grad) for node in view.order]
        try:
            stepper = Backprop(view)
            start = tuple(float(node.grad) for node in view.order)
            index = view.index
            steps = []
            for step in stepper:
                edges = tuple(
                    TraceEdge(
                        index[e.parent], e.input, e.local, e.upstream, e.contribution, e.before, e.after,
                        step.local_text(e), step.edge_text(e),
                    )
                    for e in step.edges
                )
                steps.append(TraceStep(step.index, index[step.node], step.grad, step.header, edges))
            end = tuple(float(node.grad) for node in view.order)
            explanations = tuple(str(explain(node, stepper)) for node in view.order)
        finally:
            for node, grad in saved:
                node.grad = grad
        forward_steps = (forward_text(view, node) for node in view.order if node.parents)
        forward = tuple(TraceForward(view.index[s.node], s.header, s.numbers, s.value, str(s)) for s in forward_steps)
        return cls(view, start, end, tuple(steps), explanations, forward)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def final_at(self) -> tuple[int, ...]:
        """For each node (by index), how many steps until its grad is final (the view's ``final_at``)."""
        return tuple(self.view.final_at(node) for node in self.view.order)

    def grads_at(self, position: int) -> list[float]:
        """Every node's grad after ``position`` steps (0: before the first)."""
        grads = list(self.start)
        for step in self.steps[:position]:
            for edge in step.edges:
                grads[edge.parent] = edge.after
        return grads

    def state(self, i: int, position: int) -> StepState:
        """Node ``i``'s step state after ``position`` steps (``GraphView.state``)."""
        return self.view.state(self.view.order[i], position)

    def to_dict(self, *, texts: bool = True) -> dict[str, Any]:
        """The trace as JSON-ready data, format ``FORMAT`` (see the module docstring).

        ``texts=False`` leaves out the sentences (each edge's ``localFormula`` and ``text``, each
        node's ``explain``), about half the size, for a reader that writes them itself; every number
        keeps its ``…Text``.
        """
        view = self.view
        data = view.to_dict()
        for i, node in enumerate(data["nodes"]):
            node.update(
                grad0=json_number(self.start[i]),
                grad0Text=fmt(self.start[i]),
                grad=json_number(self.end[i]),
                gradText=fmt(self.end[i]),
                explain=self.explanations[i] if texts else None,
            )
        data["format"] = FORMAT
        data["forward"] = [
            {"node": f.node, "header": f.header, "text": f.text, "value": json_number(f.value), "valueText": fmt(f.value)}
            for f in self.forward
        ]
        data["steps"] = [
            {
                "node": step.node,
                "grad": json_number(step.grad),
                "gradText": fmt(step.grad),
                "header": step.header,
                "edges": [
                    {
                        "parent": e.parent,
                        "input": e.input,
                        "edge": view.edge_id(step.node, e.input),
                        "local": json_number(e.local),
                        "localText": fmt(e.local),
                        "localFormula": e.local_text if texts else None,
                        "upstream": json_number(e.upstream),
                        "contribution": json_number(e.contribution),
                        "before": json_number(e.before),
                        "beforeText": fmt(e.before),
                        "after": json_number(e.after),
                        "afterText": fmt(e.after),
                        "text": e.text if texts else None,
                    }
                    for e in step.edges
                ],
            }
            for step in self.steps
        ]
        return data

    def to_json(self, *, texts: bool = True) -> str:
        """``to_dict()`` as compact JSON text (strict: no NaN literals)."""
        return json.dumps(self.to_dict(texts=texts), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
