"""Rich display in Jupyter and IPython: a ``Value``, a ``Backprop`` stepper, ``explain()``'s answer and the page, inline.

IPython shows an object as HTML when it has a ``_repr_html_`` method; ``Value``, ``Backprop`` and
``Explanation`` have one that calls the functions here:

- a ``Value`` shows its label, data, grad and op on one line (``value_html``);
- a ``Backprop`` stepper shows the drawing with the step just taken highlighted, the next node
  marked, and the step's chain-rule line (``stepper_html``);
- ``explain(node)`` shows its terms as a table (``explanation_html``);
- ``show_page(root)`` is the interactive page of ``autograd.seeing.page``, embedded: several can sit in one
  notebook and each steps on its own, and none restyles the notebook (its CSS is scoped to the
  page's own class, its SVG ids are prefixed per embed).

Everything is inline HTML and SVG: nothing is fetched, so outputs work offline and in saved notebooks.
"""

from __future__ import annotations

import html
import itertools
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from autograd.seeing.text import NodeNames, fmt, label_text, printable
from autograd.value import Value

if TYPE_CHECKING:
    from autograd.seeing.stepper import Backprop, Explanation

__all__ = ["Page", "explanation_html", "show_page", "stepper_html", "value_html"]

# Inline styles only (no <style> rules that could reach the notebook's own elements).
_MONO = "font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 12.5px"
_ACCENT = "#9333ea"  # the step just taken: purple, apart from draw_dot's red (next) and blue (processed)
_EMBEDS = itertools.count(1)


def _unique(kind: str) -> str:
    """An element id no other output in the notebook has (a counter alone repeats across kernels)."""
    return f"vg-{kind}-{secrets.token_hex(4)}{next(_EMBEDS)}"


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
    """A ``Backprop`` stepper now: where it is, its drawing with the step just taken in purple, and that step's chain rule.

    The drawing is ``draw_dot(root, stepper=...)`` (processed nodes blue, the next red, grads not
    final yet dashed); graphs bigger than ``autograd.seeing.page.DRAW_LIMIT`` drawn nodes are described in
    text only. SVG ids are prefixed per output, so the same stepper can be shown again and again.

    >>> from autograd import Backprop, Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> bp = Backprop(c); _ = bp.step()
    >>> out = stepper_html(bp)
    >>> "<svg" in out, "a.grad += b.data * c.grad = -3.0 * 1.0 → -3.0" in html.unescape(out)
    (True, True)
    """
    from autograd.seeing.draw import draw_dot, pipe
    from autograd.seeing.page import DRAW_LIMIT

    ident = _unique("stepper")
    names = stepper.names
    position, total = stepper.position, len(stepper)
    nxt = stepper.next_node
    upcoming = "done: every grad is final" if nxt is None else f"next: {names.ref(nxt)} = {names.expression(nxt)}"
    status = f"Backprop of {names.name(stepper.root)}: step {position} of {total} &middot; {html.escape(upcoming)}"
    if stepper.history:
        step = stepper.history[-1]
        chain = str(step)
        current = {names.id(step.node), f"{names.id(step.node)}_op"}
        current |= {f"{names.id(step.node)}_in{edge.input}" for edge in step.edges}
    else:
        chain = f"Not started: backward() starts at the output, {names.name(stepper.root)}.grad = 1.0."
        current = set()
    source = draw_dot(stepper.root, stepper=stepper).source
    if len(re.findall(r"^\s*\w+ \[", source, re.MULTILINE)) > DRAW_LIMIT:
        picture = f"<p>({len(stepper.order)} nodes: too many to draw here; the chain rule of the step is below.)</p>"
    else:
        picture = _mark_current(pipe(source, "svg").decode("utf-8"), current, f"{ident}-")
    return (
        f'<div id="{ident}" style="margin: 0">'
        f'<div style="margin-bottom: 4px"><b>{status}</b></div>'
        f'<div style="overflow: auto; max-height: 520px; max-width: 100%">{picture}</div>'
        f'<div style="margin: 4px 0 2px; font-size: 12px; color: #555">'
        f'<span style="color: {_ACCENT}; font-weight: bold">purple</span>: the step just taken (its node, op and edges); '
        "the drawing's legend tells the rest</div>"
        f'<pre style="{_MONO}; white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; padding: 4px 6px; '
        f'border-left: 3px solid {_ACCENT}; background: #fff0f6">{html.escape(chain)}</pre></div>'
    )


_SVG_START = re.compile(r"<svg\b")
_GROUP = re.compile(r'<g id="([^"]+)" class="(node|edge)">(.*?)</g>', re.DOTALL)
_STROKE = re.compile(r'stroke="[^"]*"')
_STROKE_WIDTH = re.compile(r' stroke-width="[^"]*"')


def _mark_current(svg: str, current: set[str], prefix: str) -> str:
    """Colour the step's node, op node and edges in the accent colour; prefix every id; drop the XML prolog."""
    start = _SVG_START.search(svg)
    svg = svg[start.start() :] if start else svg

    def paint(match: re.Match[str]) -> str:
        if match.group(1) not in current:
            return match.group(0)
        body = _STROKE.sub(f'stroke="{_ACCENT}" stroke-width="3"', _STROKE_WIDTH.sub("", match.group(3)))
        if match.group(2) == "edge":  # the arrowhead is filled with the edge's colour
            body = re.sub(r'(<polygon fill=)"[^"]*"', rf'\1"{_ACCENT}"', body)
        return f'<g id="{match.group(1)}" class="{match.group(2)}">{body}</g>'

    svg = _GROUP.sub(paint, svg)
    # Scaled down to the output's width when wider (the points graphviz sets are kept as the natural size).
    svg = svg.replace("<svg ", '<svg style="max-width: 100%; height: auto" ', 1)
    return re.sub(r'(\sid=)"', rf'\1"{prefix}', svg)


@dataclass(frozen=True)
class Page:
    """The interactive backprop page of ``root``, shown inline by Jupyter (``autograd.seeing.page.render_fragment``)."""

    root: Value
    title: str | None = None
    collapse: Literal["neuron", "layer"] | None = None
    rankdir: str = "LR"
    draw: bool | None = None

    def _repr_html_(self) -> str:
        from autograd.seeing.page import render_fragment

        return render_fragment(self.root, title=self.title, collapse=self.collapse, rankdir=self.rankdir, draw=self.draw)

    def __repr__(self) -> str:
        return f"<backprop page of {NodeNames(self.root).name(self.root)}: shown as HTML in Jupyter; to_html() writes a file>"


def show_page(
    root: Value,
    *,
    title: str | None = None,
    collapse: Literal["neuron", "layer"] | None = None,
    rankdir: str = "LR",
    draw: bool | None = None,
) -> Page:
    """The interactive page for ``root``, to show in a notebook: make it the last expression of a cell.

    Named so that it never shadows IPython's own ``display`` in a notebook that imports both.

    It is ``to_html``'s page embedded in the cell's output (same options): buttons, keys (when the
    page has the focus), zoom and node details, independent of any other page in the notebook.

    >>> from autograd import Value
    >>> page = show_page(Value(2.0, label="x") * 3)
    >>> page._repr_html_().startswith('<div class="vg-page vg-embedded"')
    True
    """
    return Page(root, title, collapse, rankdir, draw)
