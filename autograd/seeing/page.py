"""One self-contained HTML file that replays backprop through a graph, node by node, in any browser.

``to_html(root, "backprop.html")`` draws the graph with ``draw_dot``, steps through the backward
pass with ``Backprop`` and writes a page holding everything inline -- the SVG, the step records
as JSON, a small script and a stylesheet -- so it can be mailed, committed or opened from disk
with no Python, no server and no network. The page and its script live in ``autograd/seeing/_assets``.

The page shows exactly what the stepper prints: every number and its text (``fmt``, the format of
the drawing too) is computed here, in Python; the script only moves between recorded states.
Everything the page holds sits in one ``<div class="vg-page">`` with its CSS scoped to that class
and its script finding its elements inside it, so ``render_fragment`` can embed several pages in
one document (``autograd.seeing.notebook`` shows them in Jupyter) without them restyling it or each other.

Making a page takes time linear in the graph's size. Graphviz's layout does not: above
``DRAW_LIMIT`` drawn nodes the page leaves the drawing out (pass ``draw=True`` to lay it out anyway,
or ``collapse=`` to draw a network's neurons or layers as boxes) and replays the steps in text.

The embedded JSON (``<script class="vg-data" type="application/json">``) has the format
``valuegrad-backprop/1``:

- ``nodes[i]`` (``i`` = index in ``topological_order(root)``, drawn as DOT node ``n<i>``): ``name``
  (``NodeNames``), ``label`` (``printable``, or null when unlabelled), ``op``, ``data``/``dataText``,
  ``grad0``/``grad0Text`` (grad before the first step),
  ``grad``/``gradText`` (after the last), ``final`` (how many steps until its grad is final),
  ``svg``/``opSvg`` (ids of the SVG elements that show it and its op, or null) and ``explain``.
- ``steps[s]``: ``node`` (index), ``grad``, ``text`` (``str(step)``, the chain-rule line) and
  ``edges``: ``parent`` (index), ``input``, ``edge`` (SVG id), ``local``, ``contribution``,
  ``before``/``beforeText`` and ``after``/``afterText`` (the parent's grad around the ``+=``).
- Non-finite numbers are the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``.

In an embedded page (``render_fragment``) every SVG ``id`` carries the page's prefix
(``data-vg-prefix`` on the page's ``<div>``); the ids in the JSON are without it.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Union

from autograd.atomic import write_text_atomically
from autograd.seeing.stepper import Backprop, explain
from autograd.seeing.text import fmt, label_text, printable
from autograd.value import Value, topological_order

__all__ = ["DRAW_LIMIT", "DRAW_SECONDS", "FORMAT", "page_data", "render_fragment", "render_html", "to_html"]

#: How ``draw_dot`` may collapse an ``nn`` model's graph: each neuron or each layer as one box.
Collapse = Union[Literal["neuron", "layer"], None]

#: The name and version of the JSON format embedded in the page.
FORMAT = "valuegrad-backprop/1"

#: Drawn nodes (records, op nodes and boxes) above which a page leaves the drawing out unless asked
#: (``draw=True``): Graphviz lays out 5,000 in about a second here, but 7,500 in half a minute.
DRAW_LIMIT = 4000
#: Seconds the layout of a page's drawing may take unless it was asked for (``draw=True``): Graphviz is
#: not linear in the graph's shape either (one input feeding hundreds of ops takes minutes at ~600
#: nodes), so past this the page is written without a drawing, as it is above ``DRAW_LIMIT``.
DRAW_SECONDS = 20.0


def to_html(
    root: Value,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    collapse: Collapse = None,
    rankdir: str = "LR",
    draw: bool | None = None,
) -> Path:
    """Write one self-contained ``.html`` file that animates backprop through ``root``'s graph; return its path.

    ``collapse`` is passed to ``draw_dot`` (e.g. ``"neuron"`` or ``"layer"`` for a network's graph),
    so big graphs stay legible; ``draw`` says whether to draw the graph at all (default: when it has
    at most ``DRAW_LIMIT`` drawn nodes). The page replays ``root.backward()`` from the graph's current
    grads, exactly as ``Backprop(root)`` would; ``root``'s graph is left as it was (every ``grad``
    is restored). The file is written atomically: a reader never sees half a page.

    >>> import tempfile, pathlib
    >>> from autograd import Value, to_html
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> out = to_html(c, pathlib.Path(tempfile.mkdtemp()) / "c.html", title="c = a * b")
    >>> out.read_text(encoding="utf-8").count("<svg") >= 1, a.grad
    (True, 0.0)
    """
    target = Path(path)
    text = render_html(root, title=title, collapse=collapse, rankdir=rankdir, draw=draw)
    write_text_atomically(target, text, make_parents=True)
    return target


def render_html(
    root: Value, *, title: str | None = None, collapse: Collapse = None, rankdir: str = "LR", draw: bool | None = None
) -> str:
    """The page ``to_html`` writes, as a string (for a web server; in Jupyter use ``autograd.seeing.notebook.show_page``).

    >>> from autograd import Value
    >>> page = render_html(Value(2.0, label="x") * 3, title="x * 3")
    >>> page.startswith("<!DOCTYPE html>"), "x * 3" in page
    (True, True)
    """
    heading, fragment = _page(root, title=title, collapse=collapse, rankdir=rankdir, draw=draw, embedded=False)
    return _fill(_asset("document.html"), {"TITLE": html.escape(heading), "PAGE": fragment})


def render_fragment(
    root: Value, *, title: str | None = None, collapse: Collapse = None, rankdir: str = "LR", draw: bool | None = None
) -> str:
    """The page as one ``<div class="vg-page">`` to put inside another HTML document, as often as wanted.

    Its CSS is scoped to its own class, its SVG ids carry a prefix unique to this call, and its
    script works inside its own ``<div>``: several fragments in one document step independently.

    >>> from autograd import Value
    >>> one, two = (render_fragment(Value(2.0, label="x") * 3) for _ in range(2))
    >>> one.startswith('<div class="vg-page vg-embedded"'), one == two
    (True, False)
    """
    return _page(root, title=title, collapse=collapse, rankdir=rankdir, draw=draw, embedded=True)[1]


_EMBEDS = itertools.count(1)


def _page(
    root: Value, *, title: str | None, collapse: Collapse, rankdir: str, draw: bool | None, embedded: bool
) -> tuple[str, str]:
    """The page's heading and its ``<div class="vg-page">``: drawing, step data, legend, style and script."""
    # A per-page id that another page in the same notebook cannot have (a counter alone repeats across kernels).
    ident = f"vg{secrets.token_hex(4)}{next(_EMBEDS)}" if embedded else "vg-page"
    with _grads_restored(root):
        data, widest = _record(root)
        # Laid out with every grad field at its widest text, so no number the page shows outgrows its box.
        for node, grad in widest.items():
            node.grad = grad
        svg = _drawing(root, collapse=collapse, rankdir=rankdir, draw=draw)
        if svg is not None:
            if collapse is not None:
                _point_into_boxes(data, _boxes(root, collapse), svg)
            svg = _prepare_svg(svg, data, prefix=f"{ident}-" if embedded else "")
    heading = printable(title) if title is not None else f"Backprop through {data['nodes'][data['root']]['name']}"
    data["title"] = heading
    if svg is None and draw is False:
        svg = '<p class="vg-nodrawing">No drawing (draw=False): the page replays the steps as text.</p>'
    elif svg is None:
        svg = (
            f'<p class="vg-nodrawing">This graph has {len(data["nodes"])} nodes: too many, or too tangled, to lay out '
            f"within {DRAW_SECONDS:g} s, so the page replays its steps without a drawing. Pass draw=True to draw it "
            "anyway, or collapse=\"neuron\" or "
            '"layer" to draw a network\'s neurons or layers as boxes.</p>'
        )
    return heading, _fill(
        _asset("page.html"),
        {
            "MODE": "embedded" if embedded else "standalone",
            "ROOT": ident,
            "PREFIX": f"{ident}-" if embedded else "",
            "TITLE": html.escape(heading),
            "STYLE": _asset("page.css"),
            "SVG": svg,
            "LEGEND": _legend(root, collapse),
            "DATA": _json_for_script(data),
            "SCRIPT": _fill(_asset("page.js"), {"ROOT": ident}),
        },
    )


def page_data(root: Value) -> dict[str, Any]:
    """The JSON-ready record the page replays: every node and every step of ``Backprop(root)`` (format ``FORMAT``).

    The graph's grads are restored afterwards, so calling this has no visible effect on ``root``.

    >>> from autograd import Value
    >>> a = Value(3.0, label="a")
    >>> b = a + a; b.label = "b"
    >>> data = page_data(b)
    >>> [(e["beforeText"], e["afterText"]) for e in data["steps"][0]["edges"]]
    [('0.0', '1.0'), ('1.0', '2.0')]
    >>> data["nodes"][0]["gradText"], a.grad
    ('2.0', 0.0)
    """
    with _grads_restored(root):
        return _record(root)[0]


@contextmanager
def _grads_restored(root: Value) -> Iterator[None]:
    """Put every grad in ``root``'s graph back as it was on the way out: making a page has no side effects."""
    saved = [(node, node.grad) for node in topological_order(root)]
    try:
        yield
    finally:
        for node, grad in saved:
            node.grad = grad


def _record(root: Value) -> tuple[dict[str, Any], dict[Value, float]]:
    """Run ``Backprop(root)`` to the end (leaving the graph's grads there) and record every node and step.

    Also returns, for each node, the grad whose text is the widest the page will show for it.
    """
    stepper = Backprop(root)
    order = stepper.order
    index = {node: i for i, node in enumerate(order)}
    start = [float(node.grad) for node in order]
    steps = stepper.run()
    end = [float(node.grad) for node in order]
    names = stepper.names
    # A node's grad is final once the last node that uses it has been processed.
    final_at = [0] * len(order)
    for step in steps:
        for edge in step.edges:
            final_at[index[edge.parent]] = step.index + 1
    nodes = [
        {
            "id": names.id(node),
            "name": names.name(node),
            "label": _printable_label(node),
            "op": node.op,
            "data": _number(node.data),
            "dataText": fmt(node.data),
            "grad0": _number(start[i]),
            "grad0Text": fmt(start[i]),
            "grad": _number(end[i]),
            "gradText": fmt(end[i]),
            "final": final_at[i],
            "svg": names.id(node),
            "opSvg": f"{names.id(node)}_op" if node.parents else None,
            "explain": str(explain(node, stepper)),
        }
        for i, node in enumerate(order)
    ]
    records = [
        {
            "node": index[step.node],
            "grad": _number(step.grad),
            "text": str(step),
            "edges": [
                {
                    "parent": index[edge.parent],
                    "input": edge.input,
                    "edge": f"{names.id(step.node)}_in{edge.input}",
                    "local": _number(edge.local),
                    "contribution": _number(edge.contribution),
                    "before": _number(edge.before),
                    "beforeText": fmt(edge.before),
                    "after": _number(edge.after),
                    "afterText": fmt(edge.after),
                }
                for edge in step.edges
            ],
        }
        for step in steps
    ]
    widest = {node: start[i] for i, node in enumerate(order)}
    for step in steps:
        for edge in step.edges:
            if len(fmt(edge.after)) > len(fmt(widest[edge.parent])):
                widest[edge.parent] = edge.after
    root_name = names.name(root)
    first = f" Press → (next) to process {names.name(steps[0].node)}." if steps else " It has no parents: nothing to do."
    data = {
        "format": FORMAT,
        "root": index[root],
        "startText": f"backward() starts at the output: {root_name}.grad = d{root_name}/d{root_name} = {fmt(start[index[root]])}."
        + first,
        "nodes": nodes,
        "steps": records,
    }
    return data, widest


def _printable_label(node: Value) -> str | None:
    label = label_text(node)
    return None if label is None else printable(label)


# ------------------------------------------------------------------------------------- pieces


def _number(x: float) -> float | str:
    """JSON has no NaN or infinity; send those as the strings JavaScript's ``Number()`` reads back."""
    if math.isfinite(x):
        return x
    if math.isnan(x):
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def _json_for_script(data: dict[str, Any]) -> str:
    # Inside <script>, "</script" or "<!--" in a label would end or confuse the element: escape every "<".
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).replace("<", "\\u003c")


def _asset(name: str) -> str:
    return (resources.files("autograd.seeing") / "_assets" / name).read_text(encoding="utf-8")


_PLACEHOLDER = re.compile(r"\{\{([A-Z]+)\}\}")


def _fill(template: str, values: dict[str, str]) -> str:
    """Substitute ``{{NAME}}`` placeholders in one pass, so inserted text (an SVG, a label) is never re-scanned."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


# ------------------------------------------------------------------------------------- the legend

_STEP_STATES = (
    ("l-current", "processing"),
    ("l-touched", "grad updated"),
    ("l-done", "done"),
    ("l-next", "next"),
    ("l-pending", "grad not final yet"),
)


def _legend(root: Value, collapse: Collapse) -> str:
    """The page's one legend: the kinds of node in this graph (the drawing's fill colours), then the step states."""
    from autograd.seeing.draw import _GROUP_COLOUR, ROLE_COLOURS, collapsed_boxes, node_roles
    from autograd.seeing.text import NodeNames

    names = NodeNames(root)
    roles = node_roles(root, order=names.order)
    hidden = set(collapsed_boxes(root, collapse)) if collapse is not None else set()
    present = {role for node, role in roles.items() if names.id(node) not in hidden}
    if names.id(root) in hidden:
        present.add("output")  # the box holding the output is filled as the output
    kinds: list[tuple[str, str]] = [(role, colour) for role, colour in ROLE_COLOURS.items() if role in present]
    if collapse is not None:
        kinds.append((f"{collapse} (one box)", _GROUP_COLOUR))
    swatches = "".join(
        f'<span class="vg-kind" style="--vg-swatch: {colour}">{html.escape(kind)}</span>' for kind, colour in kinds
    )
    states = "".join(f'<span class="{cls}">{text}</span>' for cls, text in _STEP_STATES)
    return (
        f'<div class="vg-legend-row"><b>Nodes</b>{swatches}</div>\n'
        f'<div class="vg-legend-row"><b>Steps</b>{states}</div>'
    )


# ------------------------------------------------------------------------------------- the drawing


_DOT_NODE_STATEMENT = re.compile(r"^\s*\w+ \[", re.MULTILINE)


def _drawing(root: Value, *, collapse: Collapse, rankdir: str, draw: bool | None) -> str | None:
    """The graph as SVG text, laid out by ``dot`` or the ``graphviz-pure`` binary; None when not drawn.

    The page's legend covers node kinds and step states, so the drawing has none of its own.
    """
    from autograd.seeing.draw import LayoutTimeout, draw_dot, pipe

    if draw is False:
        return None
    if draw is None and collapse is None:
        # Uncollapsed, draw_dot makes one record per node and one op node per computed node:
        # counted here, a graph too big to draw costs no DOT text at all.
        order = topological_order(root)
        if len(order) + sum(1 for node in order if node.parents) > DRAW_LIMIT:
            return None
    source = draw_dot(root, rankdir=rankdir, collapse=collapse, legend=False).source
    if draw is None and len(_DOT_NODE_STATEMENT.findall(source)) > DRAW_LIMIT:
        return None
    try:  # a drawing asked for (draw=True) waits for its layout however long it takes
        return pipe(source, "svg", timeout=None if draw else DRAW_SECONDS).decode("utf-8")
    except LayoutTimeout:
        return None


_SUBGRAPH = re.compile(r"^\s*subgraph (cluster_\w+) \{")
_DOT_NODE = re.compile(r"^\s*(n\d+) \[")


def _boxes(root: Value, collapse: str) -> dict[str, str]:
    """Which box of a ``collapse``d drawing stands for each hidden node: ``{"n5": "neuron_layers_0_neurons_1", ...}``.

    ``draw_dot`` gives a collapsed neuron or layer box the id its cluster has in the uncollapsed
    drawing, so the clusters of the uncollapsed DOT text say which nodes each box holds: a
    neuron box holds its neuron cluster; a layer box its outermost ``layer`` cluster.
    """
    from autograd.seeing.draw import draw_dot

    source = draw_dot(root, collapse=None, legend=False).source
    boxes: dict[str, str] = {}
    stack: list[str] = []
    for line in source.splitlines():
        opened = _SUBGRAPH.match(line)
        if opened:
            stack.append(opened.group(1).removeprefix("cluster_"))
            continue
        if line.strip() == "}" and stack:
            stack.pop()
            continue
        node = _DOT_NODE.match(line)
        if node and stack:
            layers = [c for c in stack if c.startswith("layer_")]
            neurons = [c for c in stack if c.startswith("neuron_")]
            if collapse == "layer" and layers:
                boxes[node.group(1)] = layers[0]
            elif neurons:
                boxes[node.group(1)] = neurons[-1]
    return boxes


def _point_into_boxes(data: dict[str, Any], boxes: dict[str, str], svg: str) -> None:
    """Send each hidden node's highlights to its box; the box's grad field shows its one output node, if any."""
    drawn = set(re.findall(r'<g id="([^"]+)" class="node"', svg))
    nodes = data["nodes"]
    members: dict[str, list[int]] = {}
    for i, node in enumerate(nodes):
        if node["svg"] in drawn:
            continue
        box = boxes.get(node["svg"])
        node["svg"] = box if box in drawn else None
        node["opSvg"] = None
        if node["svg"] is not None:
            members.setdefault(node["svg"], []).append(i)
    # A box's output is the member computed inside it that no other member of the box uses.
    stepped = {step["node"] for step in data["steps"]}
    used_inside = {
        edge["parent"]
        for step in data["steps"]
        for edge in step["edges"]
        if nodes[edge["parent"]]["svg"] == nodes[step["node"]]["svg"]
    }
    for box, indices in members.items():
        outputs = [i for i in indices if i in stepped and i not in used_inside]
        if len(outputs) == 1:
            data.setdefault("gradOwners", {})[box] = outputs[0]


_SVG_START = re.compile(r"<svg\b")
_NODE_GROUP = re.compile(r'(<g id="([^"]+)" class="node">)(.*?)(</g>)', re.DOTALL)
_TEXT = re.compile(r"(<text\b)([^>]*>)([^<]*)(</text>)")
# The grad field's words and number, read from the unescaped text (graphviz writes "-" as "&#45;").
_GRAD_FIELD = re.compile(r"^\s*(grad\b\D*?)[-+]?(?:[0-9.]+(?:e[-+]?[0-9]+)?|inf|nan)\s*$", re.IGNORECASE)


def _prepare_svg(svg: str, data: dict[str, Any], prefix: str = "") -> str:
    """Make graphviz's SVG ready to animate: no XML prolog, sized by CSS, grad fields tagged for the script.

    Each record's grad field (the ``<text>`` that starts with ``grad``) gets ``class="vg-grad"``,
    ``data-node`` (the node's index) and ``data-prefix`` (the words before the number), so the
    script can rewrite the number at every step; it shows the grad before the first step. Every
    ``id`` gets ``prefix``, so several pages' drawings can share one document.
    """
    start = _SVG_START.search(svg)
    if start is None:
        raise ValueError("draw_dot's renderer returned no <svg> element")
    svg = svg[start.start() :]
    # Drop the fixed size in points: the viewport sizes the picture and the script zooms by the viewBox.
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"', '<svg class="vg-graph"', svg, count=1)
    # Whose grad each drawn record shows: its own node's, or a collapsed box's single output's.
    index = {node["id"]: i for i, node in enumerate(data["nodes"]) if node["svg"] == node["id"]}
    index.update(data.pop("gradOwners", {}))

    def tag_node(match: re.Match[str]) -> str:
        i = index.get(match.group(2))
        body = match.group(3)
        # The last grad-looking field of the record: the label comes first and could itself read "grad 3".
        fields = [t for t in _TEXT.finditer(body) if _GRAD_FIELD.match(html.unescape(t.group(3)))]
        if i is None or not fields:
            return match.group(0)
        t = fields[-1]
        prefix = _GRAD_FIELD.match(html.unescape(t.group(3)))
        assert prefix is not None
        attributes = f' class="vg-grad" data-node="{i}" data-prefix="{html.escape(prefix.group(1))}"'
        shown = html.escape(prefix.group(1) + data["nodes"][i]["grad0Text"], quote=False)
        body = body[: t.start()] + t.group(1) + attributes + t.group(2) + shown + t.group(4) + body[t.end() :]
        return match.group(1) + body + match.group(4)

    svg = _NODE_GROUP.sub(tag_node, svg)
    return _ID.sub(lambda m: f'{m.group(1)}"{prefix}', svg) if prefix else svg


_ID = re.compile(r'(\sid=)"')
