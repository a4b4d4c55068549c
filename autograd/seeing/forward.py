"""The forward pass one node at a time, before the backward one: ``Forward(root)``, then ``.backward()``.

Each step computes one node, in topological order, from its parents' values with its rule's forward
(the same float arithmetic that built the graph), and says so with its numbers::

    n = x1*w1 + x2*w2 + b = 2.0*(-3.0) + 0.0*1.0 + 6.88137 = 0.881374

When every node is computed, ``backward()`` hands over to a ``Backprop`` over the same view, so a
lesson runs forward then backward with one naming. The steps are also recorded in a ``Trace``
(``trace.forward``), so the page can show one timeline.

>>> from autograd import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = a * b; c.label = "c"
>>> fw = Forward(c.tanh())
>>> print(fw.step())
c = a * b = 2.0 * (-3.0) = -6.0
>>> print(fw.step())
tanh#3 = tanh(c) = tanh(-6.0) = -0.999988
>>> fw.done, fw.backward().step().lines()[0]
(True, 'tanh#3 = tanh(c)')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from autograd.rules import substitute
from autograd.seeing.numbers import fmt
from autograd.seeing.stepper import Backprop
from autograd.seeing.view import Collapse, GraphView
from autograd.value import Value, has_closure, rule_of

__all__ = ["Forward", "ForwardDone", "ForwardStep", "forward_text"]


class ForwardDone(Exception):
    """Raised by ``Forward.step()`` when every node has been computed."""


@dataclass(frozen=True, eq=False)
class ForwardStep:
    """One node of the forward pass: its computation over names, over numbers, and its value."""

    index: int
    node: Value
    #: ``n = x1*w1 + x2*w2 + b``.
    header: str
    #: ``-6.0 + 0.0 + 6.88137`` (the computation with its inputs' values), or "" when it says nothing more.
    numbers: str
    value: float

    def __str__(self) -> str:
        parts = [self.header]
        if self.numbers:
            parts.append(self.numbers)
        parts.append(fmt(self.value))
        return " = ".join(parts)

    __repr__ = __str__


def _number_for(name: str, value: float, formula: str) -> str:
    """A value in a formula: a negative one in parentheses (2.0 * (-3.0), (-1.0) ** 2.0), but alone, first, or as tanh(-6.0)."""
    text = fmt(value)
    if not text.startswith("-") or formula == name or re.fullmatch(rf"\w+\({re.escape(name)}\)", formula):
        return text
    # At the start a minus reads right (-6.0 + b, -3.0 * 2.0) unless a power follows: (-1.0) ** 2.0.
    if re.match(rf"{re.escape(name)}\b(?!\s*\*\*)", formula):
        return text
    return f"({text})"


def forward_text(view: GraphView, node: Value) -> ForwardStep:
    """The forward step of ``node`` in ``view``: its computation with names and with numbers (no index: -1)."""
    header = f"{view.ref(node)} = {view.expression(node)}"
    rule = rule_of(node)
    if rule is None or has_closure(node):
        return ForwardStep(-1, node, header, "", float(node.data))
    formulas = rule.formulas(len(node.parents))
    display = formulas.display
    values = {name: _number_for(name, float(p.data), display) for name, p in zip(formulas.inputs, node.parents)}
    numbers = substitute(display, values)
    expression = view.expression(node)
    return ForwardStep(-1, node, header, "" if numbers == expression else numbers, float(node.data))


class Forward:
    """Step through the forward pass of ``root``'s graph one node at a time, then hand over to ``Backprop``.

    The graph is already computed (a ``Value`` computes when it is made); the stepper shows each
    node's computation in order, with its inputs' values, and ``back()`` returns to the previous one.
    Takes the options of every view (``names=``, ``parameters=``, ``collapse=``, ``clusters=``).
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
        self.view = GraphView.of(root, names=names, parameters=parameters, collapse=collapse, clusters=clusters)
        self.root = self.view.root
        #: The nodes to compute, in topological order: the nodes with parents.
        self.schedule: tuple[Value, ...] = tuple(node for node in self.view.order if node.parents)
        self._position = 0

    @property
    def position(self) -> int:
        """How many nodes have been computed."""
        return self._position

    @property
    def done(self) -> bool:
        """True when every node has been computed."""
        return self._position == len(self.schedule)

    def __len__(self) -> int:
        return len(self.schedule)

    def step(self) -> ForwardStep:
        """Compute the next node; return its record. Raises ``ForwardDone`` at the end."""
        if self.done:
            raise ForwardDone(
                f"Forward of {self.view.name(self.root)}: all {len(self.schedule)} nodes computed; "
                "call backward() to step the backward pass"
            )
        record = forward_text(self.view, self.schedule[self._position])
        record = ForwardStep(self._position, record.node, record.header, record.numbers, record.value)
        self._position += 1
        return record

    def back(self) -> None:
        """Go back one node."""
        if self._position == 0:
            raise ForwardDone(f"Forward of {self.view.name(self.root)}: no step to undo (at the start)")
        self._position -= 1

    def __iter__(self) -> Iterator[ForwardStep]:
        return self

    def __next__(self) -> ForwardStep:
        if self.done:
            raise StopIteration
        return self.step()

    def run(self) -> list[ForwardStep]:
        """Compute every remaining node; return the steps."""
        return list(self)

    def backward(self) -> Backprop:
        """The backward pass over the same view, once the forward pass is through (it runs the rest first)."""
        self.run()
        return Backprop(self.view)

    def __repr__(self) -> str:
        return f"<Forward of {self.view.name(self.root)}: {self._position} of {len(self)} nodes computed>"
