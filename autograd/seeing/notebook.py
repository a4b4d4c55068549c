"""Rich display in Jupyter and IPython: a ``Value``, a ``Backprop`` stepper, ``explain()``'s answer and the page, inline.

IPython shows an object as HTML when it has a ``_repr_html_`` method; ``Value``, ``Backprop`` and
``Explanation`` have one that calls the functions here:

- a ``Value`` shows its label, data, grad and op on one line (``value_html``);
- a ``Backprop`` stepper shows the interactive page opened at its position: the drawing in the
  style table's step states, zoomed to the step just taken, and that step's chain-rule line
  (``stepper_html``);
- ``explain(node)`` shows its terms as a table (``explanation_html``);
- ``show_page(root)`` is the interactive page of ``autograd.seeing.page``, embedded: several can sit in one
  notebook and each steps on its own, and none restyles the notebook (its CSS is scoped to the
  page's own class, its SVG ids are prefixed per embed).

Everything is inline HTML and SVG: nothing is fetched, so outputs work offline and in saved notebooks.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from autograd.seeing.numbers import fmt
from autograd.seeing.quoting import printable
from autograd.seeing.view import GraphView, label_text
from autograd.value import Value

if TYPE_CHECKING:
    from autograd.seeing.stepper import Backprop, Explanation

__all__ = ["Page", "explanation_html", "show_page", "stepper_html", "value_html"]

# Inline styles only (no <style> rules that could reach the notebook's own elements).
_MONO = "font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 12.5px"
def value_html(value: Value) -> str:
    """A ``Value`` on one line: label (or ``Value``), data, grad, and the op that made it.

    >>> from autograd import Value
    >>> print(value_html(Value(2.0, label="a") * 3))
    <span style="font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 12.5px">\
<b>Value</b> data <b>6.0</b> &middot; grad 0.0 &middot; op <b>*</b> of 2 inputs</span>
    """
    label = label_text(value)
    name = f"Value {html.escape(printable(label))}" if label is not None else "Value"
    parents = len(value.parents)
    if parents:
        made = f" &middot; op <b>{html.escape(value.op)}</b> of {parents} input{'' if parents == 1 else 's'}"
    else:
        made = " &middot; constant" if value.op == "const" else " &middot; leaf"
    return (
        f'<span style="{_MONO}"><b>{name}</b> data <b>{html.escape(fmt(value.data))}</b>'
        f" &middot; grad {html.escape(fmt(value.grad))}{made}</span>"
    )


def explanation_html(explanation: Explanation) -> str:
    """``explain()``'s answer as a table: one row per use of the node (child, local, child's grad, contribution), then the sum.

    >>> from autograd import Value, explain
    >>> a = Value(3.0, label="a")
    >>> b = a + a; b.label = "b"
    >>> b.backward()
    >>> table = explanation_html(explain(a, b))
    >>> table.count("<tr>"), "1.0 + 1.0 = 2.0" in table
    (3, True)
    """
    name = html.escape(explanation.name)
    cell = f'style="{_MONO}; padding: 2px 8px; text-align: left; border-bottom: 1px solid #e5e7eb"'
    head = 'style="padding: 2px 8px; text-align: left; border-bottom: 2px solid #d1d5db"'
    lines = str(explanation).splitlines()
    caption = html.escape(lines[0]) if lines else ""
    rows = [
        "<tr>"
        + "".join(
            f"<th {head}>{h}</th>"
            for h in ("use (child = its op)", f"d child / d {name} &times; child's grad", "contribution", "")
        )
        + "</tr>"
    ]
    for term in explanation.terms:
        use, _, rule = term.text.partition("  →  ")
        status = "" if term.processed else "pending: not processed yet"
        values = (use, rule, fmt(term.contribution), status)
        rows.append("<tr>" + "".join(f"<td {cell}>{html.escape(v)}</td>" for v in values) + "</tr>")
    notes = [html.escape(line.strip()) for line in lines[1:] if line.strip().startswith(("total:", "note:"))]
    footer = "".join(f'<div style="{_MONO}; margin-top: 4px">{note}</div>' for note in notes)
    return (
        f'<div><div style="margin-bottom: 4px"><b>{caption}</b></div>'
        f'<table style="border-collapse: collapse; margin: 0">{"".join(rows)}</table>{footer}</div>'
    )


def stepper_html(stepper: Backprop) -> str:
    """A ``Backprop`` stepper now: the interactive page (``autograd.seeing.page``), opened where the stepper is.

    The page's drawing shows every step state in the style table's colours (the legend lists them),
    zooms to readable text at the step just taken and follows the steps; its buttons step on from
    there without Python. Where scripts do not run (an untrusted notebook), the drawing and the
    step text still show. The graph's grads are left as the stepper has them.

    >>> from autograd import Backprop, Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> bp = Backprop(c); _ = bp.step()
    >>> out = stepper_html(bp)
    >>> "<svg" in out, '"start":1' in out, a.grad
    (True, True, -3.0)
    """
    from autograd.seeing.page import render_fragment

    order = stepper.view.order
    now = [node.grad for node in order]
    try:
        # The page replays the whole pass from the stepper's start: undo its steps, newest first.
        for step in reversed(stepper.history):
            for edge in reversed(step.edges):
                edge.parent.grad = edge.before
        if not stepper.root.parents:  # a leaf root: Backprop's preparation adds its 1.0 again
            stepper.root.grad -= 1.0
        return render_fragment(stepper.view, start=stepper.position)
    finally:
        for node, grad in zip(order, now):
            node.grad = grad


@dataclass(frozen=True)
class Page:
    """The interactive backprop page of ``root``, shown inline by Jupyter (``autograd.seeing.page.render_fragment``)."""

    root: Value | GraphView
    title: str | None = None
    names: Mapping[Value, str] | None = None
    parameters: tuple[Value, ...] = ()
    collapse: Literal["auto", "neuron", "layer"] | None = "auto"
    rankdir: str = "LR"
    draw: bool | None = None
    quiz: bool = False

    def _repr_html_(self) -> str:
        from autograd.seeing.page import render_fragment

        return render_fragment(
            self.root,
            title=self.title,
            names=self.names,
            parameters=self.parameters,
            collapse=self.collapse,
            rankdir=self.rankdir,
            draw=self.draw,
            quiz=self.quiz,
        )

    def __repr__(self) -> str:
        view = GraphView.of(self.root, names=self.names)
        return f"<backprop page of {view.name(view.root)}: shown as HTML in Jupyter; to_html() writes a file>"


def show_page(
    root: Value | GraphView,
    *,
    title: str | None = None,
    names: Mapping[Value, str] | None = None,
    parameters: Iterable[Value] = (),
    collapse: Literal["auto", "neuron", "layer"] | None = "auto",
    rankdir: str = "LR",
    draw: bool | None = None,
    quiz: bool = False,
) -> Page:
    """The interactive page for ``root``, to show in a notebook: make it the last expression of a cell.

    It is ``to_html``'s page embedded in the cell's output (the same options, those of every view):
    buttons, keys (when the page has the focus), zoom and node details, independent of any other
    page in the notebook; ``quiz=True`` makes it the quiz (``to_html``'s). Named so that it never
    shadows IPython's own ``display``.

    >>> from autograd import Value
    >>> page = show_page(Value(2.0, label="x") * 3)
    >>> page._repr_html_().startswith('<div class="vg-page vg-embedded"')
    True
    >>> '"quiz":true' in show_page(Value(2.0, label="x") * 3, quiz=True)._repr_html_()
    True
    """
    return Page(root, title, names, tuple(parameters), collapse, rankdir, draw, quiz)
