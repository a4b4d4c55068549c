"""Backprop one node at a time: a stepper for the REPL, and ``explain`` for why a gradient is what it is.

``Backprop(root)`` performs exactly the arithmetic of ``root.backward()``, in the same order,
writing the same ``.grad`` attributes, but stops after each node and hands back a ``Step``
record of what it did, so the chain rule can be read off number by number. ``back()`` undoes a
step exactly, so a learner can replay it.
"""

from __future__ import annotations

import dataclasses
import math
import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from autograd.seeing.numbers import fmt, json_number
from autograd.seeing.view import OP_WORDS, Collapse, GraphView, StepState, label_text
from autograd.seeing.whatif import nudge, recompute
from autograd.value import Value, has_closure

__all__ = ["Backprop", "BackpropDone", "Edge", "Explanation", "Step", "Term", "explain"]


class BackpropDone(Exception):
    """Raised by ``Backprop.step()`` when every node has been processed (iteration just stops instead)."""


@dataclass(frozen=True, eq=False)
class Edge:
    """What one step did to one parent: ``parent.grad += local * upstream``, with the grad before and after."""

    #: The node being processed (the child of this edge).
    child: Value
    parent: Value
    #: Which input of ``child`` this parent is (0 for ``a`` in ``a * b``).
    input: int
    #: d child / d parent, as stored at forward time.
    local: float
    #: ``child.grad`` when it was processed.
    upstream: float
    #: ``local * upstream``: what was added to ``parent.grad``.
    contribution: float
    #: ``parent.grad`` before and after this edge's ``+=``.
    before: float
    after: float


@dataclass(frozen=True, eq=False, repr=False)
class Step:
    """One node of the backward pass: its gradient and what it added to each parent's.

    ``str(step)`` (and its repr) reads as the chain rule in mathematics and numbers: the node's
    computation, then per parent its local derivative (from the rule's ``readable`` formula) and the
    ``+=`` into its grad::

        c = a * b
          mul: ∂c/∂a = b = -3.0
            a.grad += ∂c/∂a · c.grad = -3.0 · 1.0 → -3.0
          mul: ∂c/∂b = a = 2.0
            b.grad += ∂c/∂b · c.grad = 2.0 · 1.0 → 2.0
    """

    #: Position of this step in the backward pass, from 0.
    index: int
    node: Value
    #: ``node.grad`` when it was processed (final by then: every node that uses it came earlier).
    grad: float
    edges: tuple[Edge, ...]
    _names: GraphView = field(repr=False)
    # The exact objects the parents' grads held before this step, for an exact ``back()``.
    _undo: tuple[tuple[Value, float], ...] = field(repr=False)

    @property
    def node_id(self) -> str:
        """The node's id in drawings and JSON (``n<i>``)."""
        return self._names.id(self.node)

    @property
    def header(self) -> str:
        """The node's forward computation, e.g. ``c = a * b``."""
        return f"{self._names.ref(self.node)} = {self._names.expression(self.node)}"

    def edge_text(self, edge: Edge) -> str:
        """One edge's ``+=``, e.g. ``a.grad += ∂c/∂a · c.grad = -3.0 · 1.0 → -3.0``."""
        names = self._names
        parent, child = names.ref(edge.parent), names.ref(self.node)
        partial = names.partial(self.node, edge.input)
        text = f"{parent}.grad += {partial} · {child}.grad = {fmt(edge.local)} · {fmt(edge.upstream)}"
        if edge.before == 0.0:
            return f"{text} → {fmt(edge.after)}"
        # The parent already had a gradient from elsewhere: show the sum, as ``+=`` does.
        return f"{text} → {fmt(edge.before)} + {fmt(edge.contribution)} = {fmt(edge.after)}"

    def local_text(self, edge: Edge) -> str:
        """One edge's local derivative as mathematics and numbers, e.g. ``tanh: ∂o/∂n = 1 − o² = 1 − 0.707107² = 0.5``."""
        return local_derivative_text(self._names, self.node, edge.input, edge.local)

    def lines(self) -> list[str]:
        """The step as text lines: the node's computation, then per edge its local derivative and its ``+=``."""
        lines = [self.header]
        for edge in self.edges:
            lines += [f"  {self.local_text(edge)}", f"    {self.edge_text(edge)}"]
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())

    __repr__ = __str__

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record: ids, names, numbers (non-finite ones as ``json_number`` writes them) and the text.

        Each edge has ``edge_id`` (``n<child>_in<k>``), the id ``draw_dot`` gives the drawn edge from
        the parent to the child's op node. (``autograd.seeing.trace`` records a whole pass.)
        """
        names = self._names
        return {
            "index": self.index,
            "node": self.node_id,
            "name": names.name(self.node),
            "header": self.header,
            "grad": _json_number(self.grad),
            "text": str(self),
            "edges": [
                {
                    "parent": names.id(edge.parent),
                    "parent_name": names.name(edge.parent),
                    "input": edge.input,
                    "edge_id": names.edge_id(self.node, edge.input),
                    "formula": names.local_formula(self.node, edge.input),
                    "readable": self.local_text(edge),
                    "local": _json_number(edge.local),
                    "upstream": _json_number(edge.upstream),
                    "contribution": _json_number(edge.contribution),
                    "before": _json_number(edge.before),
                    "after": _json_number(edge.after),
                    "text": self.edge_text(edge),
                }
                for edge in self.edges
            ],
        }


_json_number = json_number


def local_derivative_text(view: GraphView, node: Value, k: int, local: float) -> str:
    """``tanh: ∂o/∂n = 1 − o² = 1 − 0.707107² = 0.5``: d node / d parent k as mathematics, with numbers.

    Equal neighbours are written once (``mul: ∂c/∂a = b = -3.0``, not ``= -3.0 = -3.0``); a custom op
    without a formula shows only the number its ``_backward`` gave.
    """
    word = OP_WORDS.get(node.op, node.op)
    parts = [f"{word}: {view.partial(node, k)}"]
    readable = view.readable(node, k)
    if readable is not None:
        parts.append(readable)
        with_numbers = view.readable(node, k, numbers=True)
        if with_numbers is not None and with_numbers != readable:
            parts.append(with_numbers)
    value = fmt(local)
    if _same_number(parts[-1], local) is False or len(parts) == 1:
        parts.append(value)
    return " = ".join(parts)


def _is_number(text: str) -> bool:
    """Whether a readable formula is a plain number (``1``, ``−1``): then it says nothing the value does not."""
    return text.replace("−", "-").lstrip("-").replace(".", "").isdigit()


def _same_number(text: str, value: float) -> bool:
    """Whether ``text`` is already the number ``value`` (``-3.0`` for -3.0; ``1`` for 1.0)."""
    try:
        number = float(text.replace("−", "-").strip("()"))
    except ValueError:
        return False
    return number == value or fmt(number) == fmt(value)


# The most recent stepper, so that ``explain(node)`` works in a REPL without repeating it.
_last_stepper: weakref.ref[Backprop] | None = None


class Backprop:
    """Step through ``root.backward()`` one node at a time, in exactly its order and arithmetic.

    Creating it prepares the pass as ``backward()`` does: interior nodes' grads are reset to 0.0
    and ``root.grad += 1.0``; leaves keep (and accumulate into) their grads. Each ``step()``
    processes the next node with parents (leaves have nothing to propagate), doing
    ``parent.grad += local * node.grad`` for each parent in order, and returns a ``Step``.
    After the last step every ``.grad`` is exactly what ``backward()`` gives. ``step()`` at the end
    raises ``BackpropDone``; iterating yields the remaining steps and stops.

    It works on any graph, including gradient graphs made with ``backward(create_graph=True)``
    (the stepped pass itself works in floats, like ``backward()``). ``names`` maps nodes to the
    names the steps call them by instead of their labels (a notation, such as a lecture's).
    Micrograd-style custom ops work too (a node's ``_backward`` closure runs as its step; the step
    shows its parents' grads before and after).

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> bp = Backprop(c)
    >>> bp.step()
    c = a * b
      mul: ∂c/∂a = b = -3.0
        a.grad += ∂c/∂a · c.grad = -3.0 · 1.0 → -3.0
      mul: ∂c/∂b = a = 2.0
        b.grad += ∂c/∂b · c.grad = 2.0 · 1.0 → 2.0
    >>> bp.done, a.grad
    (True, -3.0)
    >>> _ = bp.back(); a.grad
    0.0
    """

    def __init__(
        self,
        root: Value | GraphView,
        *,
        names: Mapping[Value, str] | None = None,
        parameters: Iterable[Value] = (),
        collapse: Collapse = None,
        clusters: bool = True,
    ) -> None:
        global _last_stepper
        #: The view of the graph being stepped (``autograd.seeing.view``): names, order, schedule, ids.
        self.view = GraphView.of(root, names=names, parameters=parameters, collapse=collapse, clusters=clusters)
        root = self.view.root
        self.root = root
        #: How nodes are called in the steps: the view (labels, or the ``names`` given).
        self.names = self.view
        #: ``topological_order(root)``; the node at index i is ``n<i>`` in drawings.
        self.order = list(self.view.order)
        #: The nodes to process, in order: reversed topological order, nodes with parents only.
        self.schedule: list[Value] = list(self.view.schedule)
        self._history: list[Step] = []
        # The same preparation as ``Value.backward``.
        for node in self.order:
            if node.parents:
                node.grad = 0.0
        root.grad += 1.0
        _last_stepper = weakref.ref(self)

    # ----------------------------------------------------------------------------- state

    @property
    def position(self) -> int:
        """How many steps have been taken."""
        return len(self._history)

    @property
    def done(self) -> bool:
        """True when every node has been processed (every grad is final)."""
        return len(self._history) == len(self.schedule)

    @property
    def history(self) -> tuple[Step, ...]:
        """The steps taken so far, oldest first."""
        return tuple(self._history)

    @property
    def next_node(self) -> Value | None:
        """The node the next ``step()`` will process, or None when done."""
        return None if self.done else self.schedule[len(self._history)]

    def __len__(self) -> int:
        """The total number of steps in the pass (one per node with parents)."""
        return len(self.schedule)

    def is_processed(self, node: Value) -> bool:
        """Whether ``node`` has propagated its gradient to its parents already (always False for leaves)."""
        i = self.view.step_of(node)
        return i is not None and i < len(self._history)

    def is_final(self, node: Value) -> bool:
        """Whether ``node.grad`` has received every contribution it will get in this pass."""
        return len(self._history) >= self.view.final_at(self._member(node, "is_final"))

    def state(self, node: Value) -> StepState:
        """The node's step state now (``GraphView.state``): current, updated, next, done or pending."""
        return self.view.state(self._member(node, "state"), len(self._history))

    def _member(self, node: Value, where: str) -> Value:
        if node not in self.view:
            raise ValueError(f"Backprop.{where}: {node!r} is not in the graph of this stepper's root {self.root!r}")
        return node

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the drawing with this step highlighted, and its chain rule (``autograd.seeing.notebook``)."""
        from autograd.seeing.notebook import stepper_html

        return stepper_html(self)

    def __repr__(self) -> str:
        nxt = self.next_node
        upcoming = "done" if nxt is None else f"next: {self.names.ref(nxt)} = {self.names.expression(nxt)}"
        return f"<Backprop of {self.names.name(self.root)}: {self.position} of {len(self)} steps taken, {upcoming}>"

    # ----------------------------------------------------------------------------- moving

    def step(self) -> Step:
        """Process the next node: add its contribution to each parent's grad; return the record.

        Raises ``BackpropDone`` when every node has been processed.
        """
        position = len(self._history)
        if position == len(self.schedule):
            raise BackpropDone(
                f"Backprop of {self.names.name(self.root)}: all {len(self.schedule)} steps taken; "
                "call back() to undo one, or make a new Backprop(root) to start over"
            )
        node = self.schedule[position]
        g = node.grad
        edges: list[Edge] = []
        undo: list[tuple[Value, float]] = []
        if has_closure(node):
            # A micrograd-style custom op: run its own closure, and show each parent's grad before and after it.
            locals_ = node.local_grads  # measured by a dry run of the closure, which leaves every grad as it was
            befores = {parent: parent.grad for parent in node.parents}
            node._backward()
            seen: set[Value] = set()
            for k, (parent, local) in enumerate(zip(node.parents, locals_)):
                before, after = befores[parent], parent.grad
                if parent not in seen:
                    undo.append((parent, before))
                seen.add(parent)
                edges.append(Edge(node, parent, k, float(local), float(g), float(after - before), float(before), float(after)))
        else:
            # The engine's own chain-rule step does the additions (``node._backward()``, the step
            # ``backward()`` takes at this node); the stepper only records them: each parent's grad
            # before and after its edge, in the engine's order (``grad += local * g``, parent by parent).
            running: dict[Value, float] = {}
            for k, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
                before = running.get(parent, parent.grad)
                contribution = local * g
                after = before + contribution
                running[parent] = after
                undo.append((parent, before))
                edges.append(Edge(node, parent, k, float(local), float(g), float(contribution), float(before), float(after)))
            node._backward()
        record = Step(position, node, float(g), tuple(edges), self.names, tuple(undo))
        self._history.append(record)
        return record

    def __iter__(self) -> Iterator[Step]:
        return self

    def __next__(self) -> Step:
        if self.done:
            raise StopIteration
        return self.step()

    def run(self) -> list[Step]:
        """Take every remaining step; return them."""
        return list(self)

    def run_until(self, node: Value) -> list[Step]:
        """Step until ``node`` is through; return the steps taken (none if it already is).

        For a node with parents, that is up to and including its own step (its gradient has been
        passed on to its parents). For a leaf, it is until its grad is final (the last node that
        uses it has been processed).
        """
        self._member(node, "run_until")
        i = self.view.step_of(node)
        target = i + 1 if i is not None else self.view.final_at(node)
        taken = []
        while len(self._history) < target:
            taken.append(self.step())
        return taken

    def back(self) -> Step:
        """Undo the last step, restoring its parents' grads exactly; return the step undone."""
        if not self._history:
            raise BackpropDone(f"Backprop of {self.names.name(self.root)}: no step to undo (at the start)")
        record = self._history.pop()
        for parent, before in reversed(record._undo):
            parent.grad = before
        return record

    def explain(self, node: Value) -> Explanation:
        """``explain(node, self)``: why ``node.grad`` is what it is at this point of the pass."""
        return explain(node, self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready picture of the pass so far: every node (id, name, op, data, grad, final?) and the steps taken."""
        names = self.names
        return {
            "root": names.id(self.root),
            "position": self.position,
            "total": len(self),
            "nodes": [
                {
                    "id": names.id(node),
                    "name": names.name(node),
                    "label": label_text(node),
                    "op": node.op,
                    "data": _json_number(node.data),
                    "grad": _json_number(node.grad),
                    "final": self.is_final(node),
                }
                for node in self.order
            ],
            "steps": [record.to_dict() for record in self._history],
        }


# ------------------------------------------------------------------------------------- explain


@dataclass(frozen=True, eq=False)
class Term:
    """One use of a node: ``contribution = local * child_grad`` flows back along one edge into it."""

    child: Value
    #: Which input of ``child`` the node is.
    input: int
    local: float
    child_grad: float
    contribution: float
    #: False while a stepper has not yet processed ``child`` (the term is then not in the total).
    processed: bool
    text: str


@dataclass(frozen=True, eq=False, repr=False)
class Explanation:
    """Why ``node.grad`` is what it is: the seed (1.0 for the root) plus one term per use of the node."""

    node: Value
    #: The node's name as it reads in a formula (parenthesised if its label is not a plain word).
    name: str
    #: ``node.grad`` now, as a float.
    grad: float
    #: 1.0 if the node is the root of the pass (d root / d root), else 0.0.
    seed: float
    terms: tuple[Term, ...]
    #: seed + the processed terms, summed in the order backward adds them (so bit-for-bit equal to one pass's grad).
    total: float
    #: Why the graph of the gradient is not known (``explain(x)`` without a root after a plain ``backward()``), or "".
    unknown: str = ""
    #: With ``explain(..., h=)``: (h, (L(x + h) − L(x)) / h, ∂L/∂x).
    nudge: tuple[float, float, float] | None = None
    #: The root's name, for the nudge's line.
    root_name: str = ""

    def lines(self) -> list[str]:
        """The explanation as text lines."""
        return str(self).split("\n")

    def __str__(self) -> str:
        uses = sum(1 for t in self.terms if t.processed)
        lines = []
        if self.unknown:
            return (
                f"{self.name}.grad = {fmt(self.grad)}: explain({self.name}, L) shows where it comes from "
                f"(pass the output L it is the gradient of; {self.unknown})"
            )
        if self.seed:
            lines.append(f"{self.name}.grad = {fmt(self.grad)}: {self.name} is the output, and d{self.name}/d{self.name} = 1.0")
        elif not self.terms:
            lines.append(f"{self.name}.grad = {fmt(self.grad)}: nothing in this graph uses {self.name}")
        else:
            if len(self.terms) == 1:
                lines.append(f"{self.name}.grad = {fmt(self.grad)}, from its one use:")
            else:
                lines.append(f"{self.name}.grad = {fmt(self.grad)}, the sum over its {len(self.terms)} uses:")
            for term in self.terms:
                pending = "" if term.processed else "   (pending: not processed yet)"
                lines.append(f"  {term.text}{pending}")
            if len(self.terms) > 1 and uses:
                parts = [fmt(t.contribution) for t in self.terms if t.processed]
                lines.append(f"  total: {' + '.join(parts)} = {fmt(self.total)}")
        if self.nudge is not None:
            h, slope, derivative = self.nudge
            x, root = self.name, self.root_name
            lines.append(
                f"  nudge: ({root}({x} + h) − {root}({x})) / h = {fmt(slope)} at h = {fmt(h)}, "
                f"beside ∂{root}/∂{x} = {fmt(derivative)} (difference {fmt(slope - derivative)})"
            )
        if self.total != self.grad and not (math.isnan(self.total) and math.isnan(self.grad)):
            lines.append(
                f"  note: {self.name}.grad is {fmt(self.grad)}, not {fmt(self.total)}: leaves accumulate across backward() "
                "calls (call zero_grad() first), or the pass has not reached this node yet"
            )
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the terms as a table (``autograd.seeing.notebook.explanation_html``)."""
        from autograd.seeing.notebook import explanation_html

        return explanation_html(self)


def explain(
    node: Value,
    root: Value | Backprop | GraphView | None = None,
    *,
    names: Mapping[Value, str] | None = None,
    parameters: Iterable[Value] = (),
    collapse: Collapse = None,
    clusters: bool = True,
    h: float | None = None,
) -> Explanation:
    """Why ``node.grad`` is what it is: one line per edge out of it (child, local, child's grad, contribution) and their sum.

    ``root`` is the output of the pass (a ``Value`` or its ``GraphView``) or a ``Backprop`` stepper
    (then only the children it has processed count; the rest are listed as pending). ``names``
    calls nodes by other names than their labels (a stepper or a view brings its own); the other
    view options are accepted as by every renderer.

    Without ``root`` (micrograd's habit: ``L.backward()``, then look at ``x.grad``), the most recent
    ``Backprop`` is used only if ``node`` is in its graph and its terms add up to ``node.grad`` (so
    it is the pass that gave the gradient); otherwise the explanation says what ``node.grad`` is and
    that passing the output shows where it comes from. It never uses an unrelated graph silently.

    ``h`` adds the lecture's nudge: (L(x + h) − L(x)) / h, recomputed from the rules without
    rebuilding the graph (``autograd.seeing.whatif.nudge``), beside ∂L/∂x and their difference.

    >>> from autograd import Value
    >>> a = Value(3.0, label="a")
    >>> b = a + a; b.label = "b"
    >>> b.backward()
    >>> print(explain(a, b))
    a.grad = 2.0, the sum over its 2 uses:
      b = a + a  →  ∂b/∂a · b.grad = 1.0 · 1.0 = 1.0
      b = a + a  →  ∂b/∂a · b.grad = 1.0 · 1.0 = 1.0
      total: 1.0 + 1.0 = 2.0
    >>> print(explain(a, b, h=1e-3).lines()[-1])
      nudge: (b(a + h) − b(a)) / h = 2.0 at h = 0.001, beside ∂b/∂a = 2.0 (difference -2.20268e-13)
    >>> print(explain(Value(1.0, label="z")))  # doctest: +NORMALIZE_WHITESPACE
    z.grad = 0.0: explain(z, L) shows where it comes from (pass the output L it is the gradient of;
    no Backprop of a graph holding it is alive)
    """
    if root is None:
        stepper = _last_stepper() if _last_stepper is not None else None
        if stepper is not None and node in stepper.view:
            found = _explain(node, stepper.view, stepper)
            if found.total == found.grad or (math.isnan(found.total) and math.isnan(found.grad)):
                return found
            reason = f"the last Backprop, of {stepper.view.name(stepper.root)}, does not give its grad"
        else:
            reason = "no Backprop of a graph holding it is alive"
        own = GraphView.of(node, names=names, parameters=parameters, collapse=collapse, clusters=clusters)
        return Explanation(node, own.ref(node), float(node.grad), 0.0, (), float(node.grad), unknown=reason)
    if isinstance(root, Backprop):
        view = root.view
    else:
        view = GraphView.of(root, names=names, parameters=parameters, collapse=collapse, clusters=clusters)
    found = _explain(node, view, root if isinstance(root, Backprop) else None)
    if h is None:
        return found
    # The nudge is of the whole pass's output, d root / d node from the rules: what the finished pass gives.
    derivative = recompute(view, {}).grad(node)
    slope = nudge(node, view, h)
    return dataclasses.replace(found, nudge=(float(h), slope, derivative), root_name=view.ref(view.root))


def _explain(node: Value, view: GraphView, stepper: Backprop | None) -> Explanation:
    if node not in view:
        raise ValueError(f"explain: {node!r} is not in the graph of {view.root!r}; pass the root it belongs to")
    terms: list[Term] = []
    seed = 1.0 if node is view.root else 0.0
    total = 0.0
    if seed:
        total += 1.0
    # Uses in the order backward processes them, so the sum below is formed in backward's order. The
    # index of uses is built once per view: explaining every node of a graph is linear, not quadratic.
    for child, k in view.uses(node):
        processed = stepper.is_processed(child) if stepper is not None else True
        child_grad = float(child.grad)
        local = child.local_grads[k]
        contribution = local * child_grad
        child_name = view.ref(child)
        readable = view.readable(child, k)
        # The derivative as mathematics when it is more than a number (b for a*b; 1 − o² for tanh).
        formula = ""
        if readable is not None and not _same_number(readable, local) and not _is_number(readable):
            formula = f" = {readable if ' ' not in readable else f'({readable})'} · {child_name}.grad"
        text = (
            f"{child_name} = {view.short_expression(child)}  →  {view.partial(child, k)} · {child_name}.grad{formula}"
            f" = {fmt(local)} · {fmt(child_grad)} = {fmt(contribution)}"
        )
        terms.append(Term(child, k, float(local), child_grad, float(contribution), processed, text))
        if processed:
            total += contribution
    return Explanation(node, view.ref(node), float(node.grad), seed, tuple(terms), total)
