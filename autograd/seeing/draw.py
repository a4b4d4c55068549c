"""Drawing computation graphs with graphviz, and rendering them with or without a system Graphviz.

``draw_dot(root)`` gives a ``graphviz.Digraph``: one record per ``Value`` (``name | data | grad``),
one small node per operation, edges in the direction data flows. Node names are stable: the
``Value`` at index ``i`` of ``topological_order(root)`` is ``n<i>`` and its op node ``n<i>_op``;
the edge from a node's k-th parent into its op node is ``n<i>_in<k>`` and the edge out of it
``n<i>_out``. Those names are also the ``id`` attributes of the SVG elements, so a web page can
find them. The DOT source is byte-identical on every run of the same program.

graphviz is imported only when a drawing is made, so ``import autograd`` needs nothing. Rendering
uses Graphviz's ``dot`` when it is on PATH, else the ``graphviz-pure`` binary that the
``graphviz-pure`` wheel installs next to Python.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from autograd.seeing.groups import Group, group_of
from autograd.rules import RULES
from autograd.seeing.text import NodeNames, fmt, label_text, printable
from autograd.value import Value

if TYPE_CHECKING:
    from autograd.seeing.stepper import Backprop

__all__ = [
    "ROLE_COLOURS",
    "Drawing",
    "GraphvizNotFound",
    "LayoutTimeout",
    "collapsed_boxes",
    "draw_dot",
    "graphviz_command",
    "node_roles",
    "pipe",
    "render",
]

Role = Literal["input", "parameter", "constant", "intermediate", "output"]

#: Fill colour of each node role (also shown in the legend).
ROLE_COLOURS: dict[str, str] = {
    "input": "#dbeafe",
    "parameter": "#fde68a",
    "constant": "#e5e7eb",
    "intermediate": "#ffffff",
    "output": "#bbf7d0",
}

# A collapsed neuron or layer.
_GROUP_COLOUR = "#fef3c7"
# Stepper state colours: processed (blue), the next node (red), grads still pending (dashed grey).
_PROCESSED = "#2563eb"
_NEXT = "#dc2626"
_PENDING = "#6b7280"

def _is_activation(op: str) -> bool:
    """The activation that follows a neuron's ``dot`` node belongs to the neuron (the rules say which ops are activations)."""
    rule = RULES.get(op)
    return rule is not None and rule.activation


# ------------------------------------------------------------------------------------- roles and groups


def node_roles(root: Value, parameters: Iterable[Value] = (), order: list[Value] | None = None) -> dict[Value, Role]:
    """The role of every node of ``root``'s graph: output, constant, parameter, input or intermediate.

    A parameter is a leaf in ``parameters`` or one that a model library put in a drawing group
    (``autograd.seeing.groups.set_group``, as ``nn`` does for every weight and bias).

    >>> from autograd import Value
    >>> w, x = Value(0.5, label="w"), Value(2.0, label="x")
    >>> roles = node_roles(w * x + 1, parameters=[w])
    >>> roles[w], roles[x]
    ('parameter', 'input')
    """
    names = NodeNames(root, order)
    marked = set(parameters)
    grouped = _neurons(names.order, _children(names.order))
    roles: dict[Value, Role] = {}
    for node in names.order:
        if node is root:
            roles[node] = "output"
        elif node.op == "const":
            roles[node] = "constant"
        elif node.parents:
            roles[node] = "intermediate"
        elif node in marked or node in grouped or group_of(node) is not None:
            roles[node] = "parameter"
        else:
            roles[node] = "input"
    return roles


def _children(order: list[Value]) -> dict[Value, list[Value]]:
    children: dict[Value, list[Value]] = {node: [] for node in order}
    for node in order:
        for parent in node.parents:
            children[parent].append(node)
    return children


def _neurons(order: list[Value], children: dict[Value, list[Value]]) -> dict[Value, Group]:
    """The innermost group (``autograd.seeing.groups``) of every node that belongs to one.

    A ``dot`` node belongs to a group when its weights and bias are all parameters of that group;
    so do those parameters and the activation node right after it. Groups are told apart by
    identity, never by name, so two models with the same parameter names stay apart.
    """
    membership: dict[Value, Group] = {}
    for node in order:
        if node.op != "dot":
            continue
        n = (len(node.parents) - 1) // 2
        params = [*node.parents[:n], node.parents[-1]]
        found = {group_of(p) if p.is_leaf else None for p in params}
        if len(found) != 1:
            continue
        group = found.pop()
        if group is None:
            continue
        membership[node] = group
        for p in params:
            membership[p] = group
        for child in children[node]:
            if _is_activation(child.op) and len(child.parents) == 1:
                membership[child] = group
    return membership


def _group_ids(order: list[Value], neurons: dict[Value, Group]) -> dict[Group, str]:
    """An id per group, ``<kind>_<name>``, in order of first appearance; a second group whose id is taken gets ``_2``, ...

    So two models with the same names, or names that differ only in punctuation (``a.b``, ``a_b``),
    never share a cluster, and the first of them keeps the plain id on every run.
    """
    ids: dict[Group, str] = {}
    used: set[str] = set()
    for node in order:
        group = neurons.get(node)
        if group is None:
            continue
        for g in (group.parent, group):
            if g is None or g in ids:
                continue
            base = f"{_safe_id(g.kind)}_{_safe_id(g.name, g.kind)}"
            ident, k = base, 2
            while ident in used:
                ident, k = f"{base}_{k}", k + 1
            used.add(ident)
            ids[g] = ident
    return ids


# ------------------------------------------------------------------------------------- formatting


def _num(x: float) -> str:
    """Numbers in drawings: ``fmt``, the one format of the stepper's lines and the web page's live updates.

    >>> _num(2.0), _num(0.8), _num(0.88259343)
    ('2.0', '0.8', '0.882593')
    """
    return fmt(x)


def _escape_text(text: str) -> str:
    """Any text as a Graphviz label that draws exactly as written (for cluster labels; records add their own).

    ``&`` is escaped because Graphviz reads ``&amp;`` and ``&#60;`` as entities; what cannot be drawn
    (a NUL, a newline, U+FFFE) is shown ``printable``, as in the text view and on the web page.
    """
    return printable(text).replace("\\", "\\\\").replace("&", "&amp;")


def _escape_record(text: str) -> str:
    """Escape what structures a record label or starts an entity, so any user label draws as written.

    Graphviz reads ``&amp;`` and ``&#60;`` in any label as entities: ``&`` is sent as ``&amp;``.
    Characters that cannot be drawn (a NUL ends Graphviz's string) are shown as escapes first.

    >>> _escape_record("a|b &amp; &#60;")
    'a\\\\|b &amp;amp; &amp;#60;'
    """
    return re.sub(r'([\\{}|<>"])', r"\\\1", printable(text)).replace("&", "&amp;")


def _op_text(op: str) -> str:
    rule = RULES.get(op)
    return rule.shown if rule is not None else op


def _safe_id(key: str, default: str = "neuron") -> str:
    return re.sub(r"\W", "_", key) or default


def _blend(weight: float) -> str:
    """Grey (weight 0) to strong red (weight 1), for |grad| highlighting."""
    weight = min(max(weight, 0.0), 1.0)
    low, high = (0x9C, 0xA3, 0xAF), (0xDC, 0x26, 0x26)
    r, g, b = (round(lo + (hi - lo) * weight) for lo, hi in zip(low, high))
    return f"#{r:02x}{g:02x}{b:02x}"


# ------------------------------------------------------------------------------------- draw_dot


@dataclass
class _Box:
    """A group drawn as a cluster, or as one box when collapsed."""

    group: Group
    dot_id: str
    members: list[Value]

    @property
    def kind(self) -> str:
        """What the group is called in the legend: its kind (``neuron``, ``layer``)."""
        return self.group.kind

    @property
    def title(self) -> str:
        """The group's name as drawn (its kind for a nameless group, such as a lone neuron)."""
        return self.group.name or self.group.kind


def _groups(
    order: list[Value], neurons: dict[Value, Group], collapse: str | None
) -> tuple[dict[Group, _Box], dict[Value, _Box], dict[Group, Group | None], dict[Group, str]]:
    """Layers and neurons in order of first appearance (so the DOT text is the same every run), who is in each, their ids."""
    ids = _group_ids(order, neurons)
    boxes: dict[Group, _Box] = {}
    node_box: dict[Value, _Box] = {}
    neuron_layer: dict[Group, Group | None] = {}
    for node in order:
        group = neurons.get(node)
        if group is None:
            continue
        layer = group.parent
        neuron_layer[group] = layer
        target = layer if collapse == "layer" and layer is not None else group
        if target not in boxes:
            boxes[target] = _Box(target, ids[target], [])
        boxes[target].members.append(node)
        node_box[node] = boxes[target]
    return boxes, node_box, neuron_layer, ids


def collapsed_boxes(root: Value, collapse: Literal["neuron", "layer"]) -> dict[str, str]:
    """Which box of ``draw_dot(root, collapse=...)`` stands for each hidden node: ``{"n5": "layer_layers_0", ...}``.

    Keys are node ids (``n<i>``); values the box's id in the drawing (and its SVG). A neuron box
    has the same id as the neuron's cluster in the uncollapsed drawing, a layer box as the layer's.

    >>> from autograd import Value, dot
    >>> from autograd.seeing.groups import Group, set_group
    >>> w, b = Value(0.5), Value(0.0)
    >>> set_group([w, b], Group(""))
    >>> collapsed_boxes(dot([w], [Value(1.0, label="x")], b).relu(), "neuron")
    {'n0': 'neuron_neuron', 'n2': 'neuron_neuron', 'n3': 'neuron_neuron', 'n4': 'neuron_neuron'}
    """
    names = NodeNames(root)
    _, node_group, _, _ = _groups(names.order, _neurons(names.order, _children(names.order)), collapse)
    return {names.id(node): group.dot_id for node, group in node_group.items()}


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str = "LR",
    *,
    stepper: Backprop | None = None,
    highlight_grad: bool = False,
    collapse: Literal["neuron", "layer"] | None = None,
    clusters: bool = True,
    legend: bool = True,
    parameters: Iterable[Value] = (),
    names: Mapping[Value, str] | None = None,
) -> Drawing:
    """Draw ``root``'s graph: a ``Drawing`` (a ``graphviz.Digraph``) that renders without a system Graphviz too.

    Each ``Value`` is a record ``name | data | grad`` coloured by role (input, parameter,
    constant, intermediate, output; ``parameters`` marks more leaves as parameters), each
    operation a small node. Parameters a model library put in groups (``autograd.seeing.groups``; ``nn``
    does for every neuron and layer) are drawn in clusters, a neuron's inside its layer's
    (``clusters=False`` turns that off); ``collapse="neuron"`` or ``"layer"`` draws each innermost
    group (neuron) or the group around it (layer) as one box. ``highlight_grad`` colours borders by |grad|. ``stepper`` draws a
    ``Backprop``'s state: processed nodes and edges in blue, the next node in red, grads not yet
    final dashed and marked "so far". ``names`` maps nodes to the names to draw instead of their
    labels (a notation; with a stepper, give them to ``Backprop(root, names=...)``).

    The result's ``.source`` is the DOT text; ``.render(outfile="g.svg")``, ``.pipe()`` and
    Jupyter's inline display work with Graphviz's ``dot`` or the ``graphviz-pure`` wheel.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> g = draw_dot(c, legend=False)
    >>> print(g.source.splitlines()[5].strip())
    n0 [label="{ a | data 2.0 | grad 0.0 }" fillcolor="#dbeafe" id=n0]
    """
    if collapse not in (None, "neuron", "layer"):
        raise ValueError(f"draw_dot: collapse must be None, 'neuron' or 'layer', got {collapse!r}")
    if stepper is not None and stepper.root is not root:
        raise ValueError("draw_dot: the stepper walks a different graph; pass stepper=Backprop(root) for this root")
    if stepper is not None and names is not None and dict(names) != dict(stepper.names.display):
        raise ValueError("draw_dot: give names= to the stepper (Backprop(root, names=...)), which names the steps too")
    node_names = stepper.names if stepper is not None else NodeNames(root, names=names)
    order = node_names.order
    children = _children(order)
    roles = node_roles(root, parameters, order)
    neurons = _neurons(order, children) if (clusters or collapse) else {}

    font = {"fontname": "Helvetica", "fontsize": "12"}
    graph = _drawing_class()(format=format, graph_attr={"rankdir": rankdir, **font}, node_attr=font)
    graph.attr("edge", fontname="Helvetica", fontsize="10")

    groups, node_group, neuron_layer, ids = _groups(order, neurons, collapse)

    hidden = set(node_group) if collapse else set()
    max_grad = max((abs(float(node.grad)) for node in order if math.isfinite(float(node.grad))), default=0.0)

    def value_attrs(node: Value) -> dict[str, str]:
        grad = float(node.grad)
        grad_text = f"grad {_num(grad)}"
        attrs = {"fillcolor": ROLE_COLOURS[roles[node]], "id": node_names.id(node)}
        if stepper is not None and not stepper.is_final(node):
            grad_text = f"grad {_num(grad)} so far" if grad != 0.0 else "grad pending"
            attrs.update(style="filled,dashed", color=_PENDING)
        if highlight_grad and max_grad > 0.0 and math.isfinite(grad):
            share = abs(grad) / max_grad
            attrs.update(color=_blend(share), penwidth=f"{1.0 + 3.0 * share:.2f}")
        if stepper is not None and stepper.is_processed(node):
            attrs.update(color=_PROCESSED, penwidth="2.5")
        if stepper is not None and stepper.next_node is node:
            attrs.update(color=_NEXT, penwidth="3")
        attrs["label"] = "{ " + " | ".join([_escape_record(node_names.name(node)), f"data {_num(node.data)}", grad_text]) + " }"
        return dict(sorted(attrs.items()))

    def emit_value(target: Any, node: Value) -> None:
        ident = node_names.id(node)
        target.node(ident, **value_attrs(node))
        if node.parents:
            text = _op_text(node.op)
            shape = "circle" if len(text) <= 2 else "ellipse"
            op_attrs = {"label": text, "shape": shape, "id": f"{ident}_op", "style": "filled", "fillcolor": "#f3f4f6"}
            if stepper is not None and stepper.next_node is node:
                op_attrs.update(color=_NEXT, penwidth="3")
            elif stepper is not None and stepper.is_processed(node):
                op_attrs.update(color=_PROCESSED, penwidth="2.5")
            target.node(f"{ident}_op", **dict(sorted(op_attrs.items())))

    graph.attr("node", shape="record", style="filled")
    # Ungrouped nodes first, then each layer cluster with its neuron clusters inside.
    for node in order:
        if node not in node_group:
            emit_value(graph, node)
    if collapse:
        inner: dict[Group, list[Group]] = {}  # each layer's neurons, found once (not once per box)
        for neuron, layer in neuron_layer.items():
            if layer is not None:
                inner.setdefault(layer, []).append(neuron)
        for group in groups.values():
            graph.node(group.dot_id, **_group_attrs(group, node_names, inner, stepper, roles, children))
    else:
        _emit_clusters(graph, groups, neuron_layer, ids, emit_value)

    _emit_edges(graph, order, node_names, node_group if collapse else {}, hidden, stepper)
    if legend:
        kinds = sorted({group.kind for group in groups.values()}) if collapse else []
        _emit_legend(graph, {roles[n] for n in order if n not in hidden}, kinds, stepper is not None)
    return graph


def _emit_clusters(
    graph: Any, groups: dict[Group, _Box], neuron_layer: dict[Group, Group | None], ids: dict[Group, str], emit_value: Any
) -> None:
    by_layer: dict[Group | None, list[_Box]] = {}
    for box in groups.values():
        by_layer.setdefault(neuron_layer.get(box.group), []).append(box)
    for layer, members in by_layer.items():
        if layer is None:
            for box in members:
                _emit_neuron(graph, box, emit_value)
            continue
        with graph.subgraph(name=f"cluster_{ids[layer]}") as sub:
            sub.attr(label=_escape_text(layer.name or layer.kind), style="rounded,dashed", color="#9ca3af", id=ids[layer])
            for box in members:
                _emit_neuron(sub, box, emit_value)


def _emit_neuron(graph: Any, box: _Box, emit_value: Any) -> None:
    with graph.subgraph(name=f"cluster_{box.dot_id}") as sub:
        sub.attr(label=_escape_text(box.title), style="rounded", color="#d97706", id=box.dot_id)
        for node in box.members:
            emit_value(sub, node)


def _group_attrs(
    group: _Box,
    names: NodeNames,
    inner_groups: dict[Group, list[Group]],
    stepper: Backprop | None,
    roles: dict[Value, Role],
    children: dict[Value, list[Value]],
) -> dict[str, str]:
    """One box for a collapsed neuron or layer: its name, what it computes and its output's numbers."""
    members = set(group.members)
    params = [n for n in group.members if n.is_leaf]
    # A group's outputs: computed members that no other member uses.
    outputs = [n for n in group.members if n.parents and not any(c in members for c in children[n])]
    activation = next((n.op for n in group.members if _is_activation(n.op)), "linear")
    inner = inner_groups.get(group.group, [])
    if inner:  # an outer group (a layer): how many inner groups (neurons) it holds
        kind = inner[0].kind
        count = f"{len(inner)} {activation} {kind}{'' if len(inner) == 1 else 's'}"
        fields = [group.title, count, f"{len(params)} parameters"]
    else:
        fields = [group.title, f"{activation}(w.x + b), {len(params)} parameters"]
    if len(outputs) == 1:
        output = outputs[0]
        named = [names.name(output)] if label_text(output) is not None or output in names.display else []
        fields += [*named, f"data {_num(output.data)}", f"grad {_num(float(output.grad))}"]
    else:
        fields.append(f"{len(outputs)} outputs")
    attrs = {
        "label": "{ " + " | ".join(_escape_record(f) for f in fields) + " }",
        "fillcolor": ROLE_COLOURS["output"] if any(roles[n] == "output" for n in group.members) else _GROUP_COLOUR,
        "id": group.dot_id,
        "style": "filled,rounded",
    }
    if stepper is not None:
        interior = [n for n in group.members if n.parents]
        if stepper.next_node in members:
            attrs.update(color=_NEXT, penwidth="3")
        elif interior and all(stepper.is_processed(n) for n in interior):
            attrs.update(color=_PROCESSED, penwidth="2.5")
        elif not all(stepper.is_final(n) for n in group.members):
            attrs.update(style="filled,rounded,dashed", color=_PENDING)
    return dict(sorted(attrs.items()))


def _emit_edges(
    graph: Any,
    order: list[Value],
    names: NodeNames,
    node_group: dict[Value, _Box],
    hidden: set[Value],
    stepper: Backprop | None,
) -> None:
    """Edges parent -> op node -> value; with collapsed groups, one edge per pair of boxes, labelled by how many values cross."""
    crossing: dict[tuple[str, str], set[Value]] = {}
    for node in order:
        if not node.parents:
            continue
        ident = names.id(node)
        if node in hidden:
            target = node_group[node].dot_id
            for parent in node.parents:
                if parent in hidden and node_group[parent] is node_group[node]:
                    continue
                source = node_group[parent].dot_id if parent in hidden else names.id(parent)
                crossing.setdefault((source, target), set()).add(parent)
            continue
        processed = stepper is not None and stepper.is_processed(node)
        is_next = stepper is not None and stepper.next_node is node
        style = {"color": _PROCESSED, "penwidth": "2"} if processed else ({"color": _NEXT, "penwidth": "2"} if is_next else {})
        for k, parent in enumerate(node.parents):
            source = node_group[parent].dot_id if parent in hidden else names.id(parent)
            graph.edge(source, f"{ident}_op", id=f"{ident}_in{k}", **style)
        graph.edge(f"{ident}_op", ident, id=f"{ident}_out", **style)
    for (source, target), values in crossing.items():
        label = {"label": f"{len(values)} values"} if len(values) > 1 else {}
        graph.edge(source, target, id=f"{source}_to_{target}", **label)


def _emit_legend(graph: Any, roles: set[str], collapsed: list[str], with_stepper: bool) -> None:
    """One compact node with a table of the colours used (a cluster of nodes would take a whole rank)."""
    rows = ['<tr><td border="0"><b>legend</b></td></tr>']
    rows += [f'<tr><td bgcolor="{colour}">{role}</td></tr>' for role, colour in ROLE_COLOURS.items() if role in roles]
    rows += [f'<tr><td bgcolor="{_GROUP_COLOUR}" style="rounded">{kind} (collapsed)</td></tr>' for kind in collapsed]
    if with_stepper:
        rows += [
            f'<tr><td color="{_PROCESSED}" border="3">processed</td></tr>',
            f'<tr><td color="{_NEXT}" border="3">next</td></tr>',
            f'<tr><td color="{_PENDING}" style="dashed">grad pending</td></tr>',
        ]
    table = '<table border="0" cellborder="1" cellspacing="3" cellpadding="3">' + "".join(rows) + "</table>"
    graph.node("legend", label=f"<{table}>", shape="plaintext", style="", id="legend")


# ------------------------------------------------------------------------------------- rendering


class GraphvizNotFound(RuntimeError):
    """Neither Graphviz's ``dot`` nor the ``graphviz-pure`` binary was found, so a drawing cannot be rendered."""


def graphviz_command() -> str:
    """The layout program to run: ``dot`` from PATH if there is one, else the ``graphviz-pure`` wheel's binary.

    Raises ``GraphvizNotFound`` (saying what to install) when there is neither.

    >>> import os
    >>> command = graphviz_command()
    >>> os.path.basename(command) in ("dot", "dot.exe", "graphviz-pure", "graphviz-pure.exe"), os.access(command, os.X_OK)
    (True, True)
    """
    found = shutil.which("dot")
    if found:
        return found
    binary = "graphviz-pure.exe" if os.name == "nt" else "graphviz-pure"
    # The wheel puts its binary in the scripts directory of the Python that installed it.
    candidates = [Path(sys.executable).parent / binary, Path(sysconfig.get_path("scripts")) / binary]
    with contextlib.suppress(KeyError):  # a platform without a user scheme
        candidates.append(Path(sysconfig.get_path("scripts", f"{os.name}_user")) / binary)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("graphviz-pure")
    if found:
        return found
    raise GraphvizNotFound(
        "rendering a drawing needs Graphviz's 'dot' program or the graphviz-pure wheel, and neither was found: "
        "run 'pip install graphviz-pure' (no system packages needed), or install Graphviz (apt install graphviz, "
        "brew install graphviz). The DOT text is available without either as drawing.source."
    )


class LayoutTimeout(TimeoutError):
    """Graphviz did not finish laying out a drawing within the time it was given (``pipe(..., timeout=)``)."""


def pipe(source: str, format: str = "svg", *, engine: str | None = None, timeout: float | None = None) -> bytes:
    """Lay out DOT ``source`` and return the rendered bytes (``format``: svg, png, pdf, ...).

    ``timeout`` (seconds) stops a layout that takes longer and raises ``LayoutTimeout``: Graphviz's
    layout is not linear in a graph's size, and some shapes of a few hundred nodes (one input
    feeding hundreds of ops) take minutes.

    >>> pipe("digraph { a -> b }")[:5]
    b'<?xml'
    """
    command = [graphviz_command(), f"-T{format}"]
    if engine is not None:
        command.append(f"-K{engine}")
    try:
        result = subprocess.run(command, input=source.encode("utf-8"), capture_output=True, check=False, timeout=timeout)
    except subprocess.TimeoutExpired:  # subprocess.run has already killed the layout
        raise LayoutTimeout(
            f"{command[0]} -T{format}: laying out {len(source):,} bytes of DOT took longer than {timeout} s; it was stopped"
        ) from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"{command[0]} -T{format} failed with exit code {result.returncode}: {message}")
    return result.stdout


def render(drawing: Any, path: str | os.PathLike[str], format: str | None = None) -> Path:
    """Render a drawing (or DOT text) to ``path``; the format defaults to the file's suffix. Returns the path.

    >>> import tempfile, pathlib
    >>> from autograd import Value
    >>> out = render(draw_dot(Value(1.0, label="x") * 2), pathlib.Path(tempfile.mkdtemp()) / "x.png")
    >>> out.read_bytes()[:4]
    b'\\x89PNG'
    """
    target = Path(path)
    chosen = format or target.suffix.lstrip(".") or "svg"
    source = drawing if isinstance(drawing, str) else drawing.source
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(pipe(source, chosen))
    return target


class _RendersAnywhere:
    """``pipe`` and ``render`` for ``Drawing``, through ``graphviz_command()`` instead of a required system ``dot``."""

    # Provided by graphviz.Digraph, Drawing's other base.
    source: str
    format: str
    engine: str
    directory: str | os.PathLike[str]
    filename: str | os.PathLike[str]

    @overload
    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: None = None,
    ) -> bytes: ...

    @overload
    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str,
    ) -> str: ...

    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> bytes | str:
        """The rendered drawing as bytes (or text, given ``encoding``)."""
        chosen = ":".join(part for part in (format or self.format, renderer, formatter) if part)
        data = pipe(self.source, chosen, engine=engine or (self.engine if self.engine != "dot" else None))
        return data.decode(encoding) if encoding else data

    def render(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: str | os.PathLike[str] | None = None,
        engine: str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_source: bool = False,
    ) -> str:
        """Save the DOT source and the rendered file, like ``graphviz.Digraph.render``; return the rendered path."""
        if outfile is not None:
            out = Path(outfile)
            chosen = format or out.suffix.lstrip(".") or self.format
            source_path = Path(directory or "", filename) if filename is not None else out.with_suffix(".gv")
        else:
            chosen = format or self.format
            source_path = Path(directory or self.directory or "", filename or self.filename)
            out = source_path.with_name(f"{source_path.name}.{chosen}")
        if raise_if_result_exists and out.exists():
            raise FileExistsError(f"render: {out} exists already")
        source_path.parent.mkdir(parents=True, exist_ok=True)
        source_path.write_text(self.source, encoding="utf-8")
        data = self.pipe(chosen, renderer, formatter, engine=engine)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        if cleanup:
            source_path.unlink()
        if view:
            import graphviz

            graphviz.view(str(out), quiet=quiet_view)
        return str(out)


if TYPE_CHECKING:
    import graphviz

    # graphviz ships no type information, so its Digraph is Any to mypy: hence the ignore.
    class Drawing(_RendersAnywhere, graphviz.Digraph):  # type: ignore[misc]
        """What ``draw_dot`` returns: a ``graphviz.Digraph`` that renders with ``dot`` or the graphviz-pure wheel."""

else:

    def __getattr__(name: str) -> Any:
        # ``Drawing`` subclasses graphviz.Digraph, so it is made when first asked for: importing
        # autograd needs no graphviz. (Hidden from mypy, which would accept any attribute name.)
        if name == "Drawing":
            return _drawing_class()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_DRAWING_CLASS: type[Drawing] | None = None


def _drawing_class() -> type[Drawing]:
    """``Drawing``, made on first use (importing graphviz then)."""
    global _DRAWING_CLASS
    if _DRAWING_CLASS is not None:
        return _DRAWING_CLASS
    try:
        import graphviz
    except ImportError:
        raise ImportError("draw_dot needs the graphviz Python package: pip install graphviz graphviz-pure") from None

    class Drawing(_RendersAnywhere, graphviz.Digraph):  # type: ignore[misc]
        """What ``draw_dot`` returns: a ``graphviz.Digraph`` that renders with ``dot`` or the graphviz-pure wheel."""

    Drawing.__module__ = __name__
    Drawing.__qualname__ = "Drawing"
    _DRAWING_CLASS = Drawing
    return Drawing
