"""One self-contained HTML file that replays backprop through a graph, node by node, in any browser.

``to_html(root, "backprop.html")`` builds the graph's view once (``autograd.seeing.view``), records
the backward pass once (``autograd.seeing.trace``), draws the view with ``draw_dot`` and writes a
page holding everything inline -- the SVG, the trace as JSON, a small script and a stylesheet -- so
it can be mailed, committed or opened from disk with no Python, no server and no network. The page
and its script live in ``autograd/seeing/_assets``.

The page only renders what Python decided: every number and its text (``autograd.seeing.numbers``),
every name, role, id and step state rule (the view), every step line (the trace), every colour (the
style table, ``autograd.seeing.style``, exported as CSS variables). The script moves between recorded
positions and touches only the elements whose state changes (the node stepped, its parents, the grads
that become final), so a step costs the same at step 5 and at step 5,000.

Big graphs: above ``AUTO_COLLAPSE`` drawn nodes, ``collapse="auto"`` (the default) draws a network's
neurons -- or, when even those are too many, its layers -- as boxes (context), and the page's
close-up panel shows the step being taken at full detail: the node, each input with its data, local
derivative and grad (focus). Clicking a box lists everything inside it. Above ``DRAW_LIMIT`` drawn
nodes (or ``DRAW_SECONDS`` of layout) the page leaves the drawing out and replays the steps in text.
Data above ``COMPRESS_ABOVE`` bytes travels deflated (the browser's ``DecompressionStream`` reads it),
so a 1,800-node network's page is well under 2 MB.

Safety: no ``href``, ``xlink:href``, ``<a>``, ``<script>``, ``<foreignObject>`` or event attribute of
the drawing survives (labels are user data; Graphviz can turn them into links); JSON inside
``<script>`` escapes ``<``; a standalone page carries a Content-Security-Policy that allows its own
script by hash and nothing else (no inline handlers, no ``javascript:`` URLs, no network).

The embedded JSON (``<script class="vg-data" type="application/json">``, plain or, with
``data-encoding="deflate-base64"``, zlib-deflated and base64-encoded) is the trace's encoding
(``Trace.to_dict``) plus the page's fields, format ``FORMAT``: ``title``, ``startText``, ``start``
(the position the page opens at), ``drawn`` (whether there is a drawing) and, per node, ``svg`` (the
drawn element that shows it: its record, or the box it is collapsed into, or null), ``opSvg`` and
``outEdge``. In an embedded page (``render_fragment``) every SVG ``id`` carries the page's prefix
(``data-vg-prefix`` on the page's ``<div>``); the ids in the JSON are without it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
import os
import re
import secrets
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Union

from autograd.atomic import write_text_atomically
from autograd.seeing import style
from autograd.seeing.jsformulas import helpers_js, ops_js
from autograd.seeing.numbers import fmt
from autograd.seeing.quoting import printable
from autograd.seeing.trace import FORMAT as TRACE_FORMAT
from autograd.seeing.trace import Trace
from autograd.seeing.view import GraphView
from autograd.value import Value

__all__ = [
    "AUTO_COLLAPSE",
    "COMPRESS_ABOVE",
    "DRAW_LIMIT",
    "DRAW_SECONDS",
    "FORMAT",
    "page_data",
    "read_page_data",
    "render_fragment",
    "render_html",
    "to_html",
]

#: How a page draws a network: every node, each neuron or layer as one box, or "auto" (decide by size).
Collapse = Union[Literal["auto", "neuron", "layer"], None]

#: The name and version of the JSON format embedded in the page.
FORMAT = "valuegrad-page/2"

#: Drawn nodes (records and op nodes) above which ``collapse="auto"`` draws neurons as boxes (and layers as
#: boxes when the neuron boxes still exceed it): Graphviz lays 300 out in well under a second, and a drawing
#: of more is too small to read whole anyway; the close-up panel shows the step at full detail.
AUTO_COLLAPSE = 300
#: Drawn nodes (records, op nodes and boxes) above which a page leaves the drawing out unless asked
#: (``draw=True``): Graphviz lays out 5,000 in about a second here, but 7,500 in half a minute.
DRAW_LIMIT = 4000
#: Seconds the layout of a page's drawing may take unless it was asked for (``draw=True``): Graphviz is
#: not linear in the graph's shape either (one input feeding hundreds of ops takes minutes at ~600
#: nodes), so past this the page is written without a drawing, as it is above ``DRAW_LIMIT``.
DRAW_SECONDS = 20.0
#: Bytes of JSON above which the page carries its data deflated (text of step lines compresses ~10x).
COMPRESS_ABOVE = 200_000


def to_html(
    root: Value | GraphView,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    names: Mapping[Value, str] | None = None,
    parameters: Iterable[Value] = (),
    collapse: Collapse = "auto",
    rankdir: str = "LR",
    draw: bool | None = None,
    quiz: bool = False,
) -> Path:
    """Write one self-contained ``.html`` file that animates backprop through ``root``'s graph; return its path.

    ``names``, ``parameters`` and ``collapse`` are the options of every view (``GraphView.of``);
    ``collapse="auto"`` collapses a network's neurons (or layers) above ``AUTO_COLLAPSE`` drawn nodes.
    ``draw`` says whether to draw the graph at all (default: when it has at most ``DRAW_LIMIT`` drawn
    nodes). The page replays ``root.backward()`` from the graph's current grads; ``root``'s graph is
    left as it was. The file is written atomically: a reader never sees half a page. ``quiz=True``
    hides the gradients and asks for each one in backprop order; a wrong answer shows that node's
    chain rule with its numbers, and a score shows at the end.

    >>> import tempfile, pathlib
    >>> from autograd import Value, to_html
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> out = to_html(c, pathlib.Path(tempfile.mkdtemp()) / "c.html", title="c = a * b")
    >>> out.read_text(encoding="utf-8").count("<svg") >= 1, a.grad
    (True, 0.0)
    """
    target = Path(path)
    text = render_html(
        root, title=title, names=names, parameters=parameters, collapse=collapse, rankdir=rankdir, draw=draw, quiz=quiz
    )
    write_text_atomically(target, text, make_parents=True)
    return target


def render_html(
    root: Value | GraphView,
    *,
    title: str | None = None,
    names: Mapping[Value, str] | None = None,
    parameters: Iterable[Value] = (),
    collapse: Collapse = "auto",
    rankdir: str = "LR",
    draw: bool | None = None,
    quiz: bool = False,
) -> str:
    """The page ``to_html`` writes, as a string (for a web server; in Jupyter use ``autograd.seeing.notebook.show_page``).

    >>> from autograd import Value
    >>> page = render_html(Value(2.0, label="x") * 3, title="x * 3")
    >>> page.startswith("<!DOCTYPE html>"), "x * 3" in page, "Content-Security-Policy" in page
    (True, True, True)
    """
    view = _view(root, names, parameters, collapse)
    heading, fragment, script = _page(view, title=title, rankdir=rankdir, draw=draw, embedded=False, start=0, quiz=quiz)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return _fill(_asset("document.html"), {"TITLE": html.escape(heading), "PAGE": fragment, "SCRIPTHASH": digest})


def render_fragment(
    root: Value | GraphView,
    *,
    title: str | None = None,
    names: Mapping[Value, str] | None = None,
    parameters: Iterable[Value] = (),
    collapse: Collapse = "auto",
    rankdir: str = "LR",
    draw: bool | None = None,
    start: int = 0,
    quiz: bool = False,
) -> str:
    """The page as one ``<div class="vg-page">`` to put inside another HTML document, as often as wanted.

    Its CSS is scoped to its own class, its SVG ids carry a prefix unique to this call, and its
    script works inside its own ``<div>``: several fragments in one document step independently.
    ``start`` is the step the page opens at (the notebook shows a ``Backprop`` where it is).

    >>> from autograd import Value
    >>> one, two = (render_fragment(Value(2.0, label="x") * 3) for _ in range(2))
    >>> one.startswith('<div class="vg-page vg-embedded"'), one == two
    (True, False)
    """
    view = _view(root, names, parameters, collapse)
    return _page(view, title=title, rankdir=rankdir, draw=draw, embedded=True, start=start, quiz=quiz)[1]


def page_data(
    root: Value | GraphView,
    *,
    names: Mapping[Value, str] | None = None,
    parameters: Iterable[Value] = (),
    collapse: Collapse = None,
) -> dict[str, Any]:
    """The JSON-ready record the page replays: the trace of ``Backprop(root)`` and the page's fields (``FORMAT``).

    The graph's grads are restored afterwards, so calling this has no visible effect on ``root``.

    >>> from autograd import Value
    >>> a = Value(3.0, label="a")
    >>> b = a + a; b.label = "b"
    >>> data = page_data(b)
    >>> [(e["parent"], e["afterText"]) for e in data["steps"][0]["edges"]]
    [(0, '1.0'), (0, '2.0')]
    >>> data["nodes"][0]["gradText"], a.grad
    ('2.0', 0.0)
    """
    view = _view(root, names, parameters, collapse)
    return _data(view, Trace.record(view), title=None, start=0)


_DATA_SCRIPT = re.compile(r'<script type="application/json" class="vg-data"( data-encoding="deflate-base64")?>([^<]*)</script>')


def read_page_data(page: str) -> dict[str, Any]:
    """The data embedded in a page ``render_html`` or ``render_fragment`` made (deflated or not), as a dict.

    >>> from autograd import Value
    >>> read_page_data(render_html(Value(2.0, label="x") * 3))["nodes"][0]["name"]
    'x'
    """
    found = _DATA_SCRIPT.search(page)
    if found is None:
        raise ValueError("read_page_data: no valuegrad page data in this text")
    text = found.group(2)
    if found.group(1):
        text = zlib.decompress(base64.b64decode(text)).decode("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


# ------------------------------------------------------------------------------------- the view


def _view(
    root: Value | GraphView, names: Mapping[Value, str] | None, parameters: Iterable[Value], collapse: Collapse
) -> GraphView:
    """The view the page shows; ``collapse="auto"`` picks full detail, neurons or layers by the drawing's size."""
    if isinstance(root, GraphView):
        return root
    parameters = tuple(parameters)
    if collapse != "auto":
        return GraphView.of(root, names=names, parameters=parameters, collapse=collapse)
    view = GraphView.of(root, names=names, parameters=parameters)
    if _drawn_nodes(view) <= AUTO_COLLAPSE or not view.groups:
        return view
    neurons = GraphView.of(root, names=names, parameters=parameters, collapse="neuron")
    # A neuron box is drawn once however many samples pass through it, but the edges into it are not:
    # past half the limit of drawn nodes, layers keep the drawing (and each step's layout) small.
    if _drawn_nodes(neurons) <= AUTO_COLLAPSE // 2 or not any(box.parent for box in neurons.boxes):
        return neurons
    return GraphView.of(root, names=names, parameters=parameters, collapse="layer")


def _drawn_nodes(view: GraphView) -> int:
    """How many nodes ``draw_dot(view)`` draws: a record per visible node, an op node per computed one, a box per box."""
    visible = [node for node in view.order if view.collapsed_into(node) is None]
    return len(visible) + sum(1 for node in visible if node.parents) + len(view.boxes)


# ------------------------------------------------------------------------------------- the page

_EMBEDS = itertools.count(1)


def _page(
    view: GraphView, *, title: str | None, rankdir: str, draw: bool | None, embedded: bool, start: int, quiz: bool = False
) -> tuple[str, str, str]:
    """The page's heading, its ``<div class="vg-page">`` and the text of its script (for the CSP hash)."""
    # A per-page id that another page in the same notebook cannot have (a counter alone repeats across kernels).
    ident = f"vg{secrets.token_hex(4)}{next(_EMBEDS)}" if embedded else "vg-page"
    trace = Trace.record(view)
    svg = _drawing(view, trace, rankdir=rankdir, draw=draw)
    data = _data(view, trace, title=title, start=start)
    data["quiz"] = quiz
    drawn_ids: set[str] = set()
    if svg is not None:
        svg, drawn_ids = _prepare_svg(svg, view, data, prefix=f"{ident}-" if embedded else "")
    for node in data["nodes"]:  # only ids the drawing has: a box without an op node, a missing edge
        for key in ("svg", "opSvg", "outEdge"):
            if node[key] not in drawn_ids:
                node[key] = None
    data["drawn"] = svg is not None
    heading = data["title"]
    if svg is None and draw is False:
        svg = '<p class="vg-nodrawing">No drawing (draw=False): the page replays the steps as text.</p>'
    elif svg is None:
        svg = (
            f'<p class="vg-nodrawing">This graph has {len(view)} nodes: too many, or too tangled, to lay out '
            f"within {DRAW_SECONDS:g} s, so the page replays its steps without a drawing. Pass draw=True to draw it "
            'anyway, or collapse="neuron" or "layer" to draw a network\'s neurons or layers as boxes.</p>'
        )
    ops = ops_js(node.op for node in view.order if node.parents)  # each op's formulas once, never per node
    script = "\n" + _fill(_asset("page.js"), {"ROOT": ident, "HELPERS": helpers_js(ops), "OPS": ops}) + "\n"
    encoding, payload = _encode(data)
    fragment = _fill(
        _asset("page.html"),
        {
            "MODE": "embedded" if embedded else "standalone",
            "ROOT": ident,
            "PREFIX": f"{ident}-" if embedded else "",
            "TITLE": html.escape(heading),
            "STYLE": style.css_variables(".vg-page") + "\n" + _asset("page.css"),
            "SVG": svg,
            "LEGEND": _legend(view),
            "ENCODING": encoding,
            "DATA": payload,
            "SCRIPT": script,
        },
    )
    return heading, fragment, script


# Fields of the trace's encoding the page never shows: the step text has them all (its lines, each edge's
# text) or the script derives them (an edge's grad before it is the grad after the parent's last edge).
# Leaving them out keeps a 1,800-node network's page under 2 MB.
_UNSHOWN_STEP = ("grad", "header", "lines")
_UNSHOWN_EDGE = ("text", "localFormula", "local", "upstream", "contribution", "before", "beforeText")


def _data(view: GraphView, trace: Trace, *, title: str | None, start: int) -> dict[str, Any]:
    """The trace's encoding plus what the page needs: its title, the opening text and each node's drawn ids."""
    data = trace.to_dict()
    data["format"] = FORMAT
    data["trace"] = TRACE_FORMAT  # the encoding the page carries the shown fields of
    for record, step in zip(data["steps"], trace.steps):
        record["text"] = step.text  # the step as the stepper prints it: the page shows this one text
    for step in data["steps"]:
        for key in _UNSHOWN_STEP:
            step.pop(key, None)
        for edge in step["edges"]:
            for key in _UNSHOWN_EDGE:
                edge.pop(key, None)
    for i, node in enumerate(data["nodes"]):
        value = view.order[i]
        box = view.collapsed_into(value)
        drawn = box is None
        node["svg"] = view.node_id(i) if drawn else box.id  # type: ignore[union-attr]
        node["opSvg"] = view.op_id(i) if drawn and value.parents else None
        node["outEdge"] = view.out_edge_id(i) if drawn and value.parents else None
    root = view.root
    root_name = view.name(root)
    steps = trace.steps
    first = " It has no parents: nothing to do."
    if steps:
        first = f" Press → (next) to process {view.name(view.order[steps[0].node])}."
    data["startText"] = (
        f"backward() starts at the output: {root_name}.grad = d{root_name}/d{root_name} = "
        f"{fmt(trace.start[view.index[root]])}.{first}"
    )
    data["title"] = printable(title) if title is not None else f"Backprop through {root_name}"
    data["start"] = max(0, min(len(steps), start))
    return data


def _encode(data: dict[str, Any]) -> tuple[str, str]:
    """The data as text for a ``<script type="application/json">``: plain, or deflated and base64 when big."""
    # Inside <script>, "</script" or "<!--" in a label would end or confuse the element: escape every "<".
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).replace("<", "\\u003c")
    if len(text) <= COMPRESS_ABOVE:
        return "", text
    packed = base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")
    return ' data-encoding="deflate-base64"', packed


def _asset(name: str) -> str:
    return (resources.files("autograd.seeing") / "_assets" / name).read_text(encoding="utf-8")


_PLACEHOLDER = re.compile(r"\{\{([A-Z]+)\}\}")


def _fill(template: str, values: dict[str, str]) -> str:
    """Substitute ``{{NAME}}`` placeholders in one pass, so inserted text (an SVG, a label) is never re-scanned."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


# ------------------------------------------------------------------------------------- the legend


def _legend(view: GraphView) -> str:
    """The page's one legend: the roles in this drawing (fills), the boxes, then every step state (style table)."""
    present = {view.role(node) for node in view.order if view.collapsed_into(node) is None}
    if view.collapsed_into(view.root) is not None:
        present.add("output")  # the box holding the output is filled as the output
    kinds: list[tuple[str, str]] = [(role, f"var(--vg-role-{role})") for role in style.ROLES if role in present]
    if view.boxes:
        kinds.append((f"{view.options.collapse} (one box)", "var(--vg-group)"))
    swatches = "".join(
        f'<span class="vg-kind" style="--vg-swatch: {colour}">{html.escape(kind)}</span>' for kind, colour in kinds
    )
    states = "".join(
        f'<span class="vg-l-state vg-l-{name}">{html.escape(look.words)}</span>' for name, look in style.STATES.items()
    )
    # The forward pass's one state of its own: a node it has not computed yet (data "?").
    states += '<span class="vg-l-state vg-l-todo">not computed yet (forward pass)</span>'

    return (
        f'<div class="vg-legend-row"><b>Nodes</b>{swatches}</div>\n'
        f'<div class="vg-legend-row"><b>Steps</b>{states}</div>'
    )


# ------------------------------------------------------------------------------------- the drawing


def _drawing(view: GraphView, trace: Trace, *, rankdir: str, draw: bool | None) -> str | None:
    """The view as SVG text, laid out by ``dot`` or the ``graphviz-pure`` binary; None when not drawn."""
    from autograd.seeing.draw import LayoutTimeout, draw_dot, pipe

    if draw is False or (draw is None and _drawn_nodes(view) > DRAW_LIMIT):
        return None
    with _widest_grads(view, trace):
        source = draw_dot(view, rankdir=rankdir, legend=False).source
    try:  # a drawing asked for (draw=True) waits for its layout however long it takes
        return pipe(source, "svg", timeout=None if draw else DRAW_SECONDS).decode("utf-8")
    except LayoutTimeout:
        return None


@contextmanager
def _widest_grads(view: GraphView, trace: Trace) -> Iterator[None]:
    """Set every grad to the one whose text is widest over the pass, so the layout leaves room for every number."""
    widest = list(trace.start)
    for step in trace.steps:
        for edge in step.edges:
            if len(fmt(edge.after)) > len(fmt(widest[edge.parent])):
                widest[edge.parent] = edge.after
    saved = [node.grad for node in view.order]
    try:
        for node, grad in zip(view.order, widest):
            node.grad = grad
        yield
    finally:
        for node, grad in zip(view.order, saved):
            node.grad = grad


_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", _SVG_NS)
ET.register_namespace("xlink", _XLINK_NS)
# Elements that could run script, navigate or embed foreign markup: never in a page, whatever a label held.
_FORBIDDEN = {f"{{{_SVG_NS}}}{tag}" for tag in ("script", "foreignObject", "iframe", "use", "image", "animate", "set")}
_LINK = f"{{{_SVG_NS}}}a"


def _prepare_svg(svg: str, view: GraphView, data: dict[str, Any], prefix: str = "") -> tuple[str, set[str]]:
    """Make Graphviz's SVG safe and ready to animate; return it and the ids of the elements it has.

    Safe: links (``<a>``, which Graphviz makes from URL/href attributes) are unwrapped, script-capable
    elements dropped, and every ``href``/``xlink:href``/``on*`` attribute removed. Ready: no XML
    prolog, sized by CSS, each drawn record's grad field tagged (``class="vg-grad"``, ``data-node``,
    ``data-prefix``) so the script can rewrite its number, showing the grad at the page's start;
    every ``id`` gets ``prefix``. Grad fields are found under the element whose id the view gives the
    node (``view.node_id``): the record's last ``grad`` text.
    """
    tree = ET.fromstring(svg.encode("utf-8"))
    _sanitise(tree)
    _lighten(tree)
    tree.attrib.pop("width", None)
    tree.attrib.pop("height", None)
    tree.set("class", "vg-graph")
    ids: dict[str, ET.Element] = {}
    for element in tree.iter():
        ident = element.get("id")
        if ident is not None:
            ids[ident] = element
    owners = {view.node_id(i): i for i, node in enumerate(view.order) if view.collapsed_into(node) is None}
    # A box with one output shows that output's grad (Box.outputs: the members no other member uses).
    owners.update({box.id: view.index[box.outputs[0]] for box in view.boxes if len(box.outputs) == 1})
    nodes = data["nodes"]
    for ident, i in owners.items():
        group = ids.get(ident)
        if group is None:
            continue
        fields = [t for t in group.iter(_TEXT) if (t.text or "").lstrip().startswith("grad")]
        if not fields:
            continue
        field = fields[-1]
        words = (field.text or "").lstrip()[: len("grad ")]
        field.set("class", "vg-grad")
        field.set("data-node", str(i))
        field.set("data-prefix", words)
        field.text = words + nodes[i]["grad0Text"]
        # The data field too, for the forward pass (the first "data" text of a record; boxes have none).
        if ident == view.node_id(i):
            values = [t for t in group.iter(_TEXT) if (t.text or "").lstrip().startswith("data ")]
            if values:
                values[0].set("class", "vg-value")
                values[0].set("data-node", str(i))
                values[0].set("data-prefix", "data ")
    if prefix:
        for element in ids.values():
            element.set("id", prefix + element.get("id", ""))
    return ET.tostring(tree, encoding="unicode"), set(ids)


_TITLE = f"{{{_SVG_NS}}}title"
_TEXT = f"{{{_SVG_NS}}}text"


def _lighten(tree: ET.Element) -> None:
    """Drop what the page does not use: each element's ``<title>`` (a DOT id as a tooltip) and the font
    family repeated on every text (set once on the ``<svg>``, which its texts inherit)."""
    for parent in tree.iter():
        for child in [c for c in parent if c.tag == _TITLE]:
            parent.remove(child)
    families = {t.get("font-family") for t in tree.iter(_TEXT)}
    if len(families) == 1 and None not in families:
        tree.set("font-family", families.pop() or "")
        for t in tree.iter(_TEXT):
            del t.attrib["font-family"]


def _sanitise(element: ET.Element) -> None:
    """Unwrap links, drop script-capable elements and link or event attributes, everywhere below ``element``."""
    children = list(element)
    for child in children:
        _sanitise(child)
    kept: list[ET.Element] = []
    for child in children:
        if child.tag in _FORBIDDEN:
            continue
        if child.tag == _LINK:  # keep what the link wrapped, not the link
            kept.extend(child)
            continue
        kept.append(child)
    if kept != children:
        for child in children:
            element.remove(child)
        element.extend(kept)
    for name in list(element.attrib):
        local = name.rsplit("}", 1)[-1].lower()
        if local == "href" or local.startswith("on") or (local == "style" and "url(" in element.attrib[name].lower()):
            del element.attrib[name]
