"""Drawing computation graphs with graphviz, and rendering them with or without a system Graphviz.

``draw_dot(root)`` gives a ``graphviz.Digraph``: one record per ``Value`` (``name | data | grad``),
one small node per operation, edges in the direction data flows. It draws a view
(``autograd.seeing.view.GraphView``: names, roles, groups and the id scheme are the view's, so
they are the same as the text view's and the page's), in the colours and words of
``autograd.seeing.style``, with every user string escaped by ``autograd.seeing.quoting``. The ids
(``n<i>``, ``n<i>_op``, ``n<i>_in<k>``, ``n<i>_out``, box ids) are also the ``id`` attributes of the
SVG elements, so a web page can find them. The DOT source is byte-identical on every run of the
same program.

graphviz is imported only when a drawing is made, so ``import autograd`` needs nothing. Rendering
uses Graphviz's ``dot`` when it is on PATH, else the ``graphviz-pure`` binary that the
``graphviz-pure`` wheel installs next to Python.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from autograd.rules import RULES
from autograd.seeing.numbers import fmt
from autograd.seeing.quoting import dot_html_text, dot_record_field, dot_text
from autograd.seeing.style import ALL_STATES, GROUP_FILL, OP_FILL, ROLE_FILLS, STATES, State, dot_state_attrs
from autograd.seeing.view import Box, Collapse, GraphView, Role, StepState
from autograd.value import Value

if TYPE_CHECKING:
    from autograd.seeing.stepper import Backprop
    from autograd.seeing.trace import Trace

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

#: Fill colour of each node role (``autograd.seeing.style.ROLE_FILLS``, also shown in the legend).
ROLE_COLOURS: dict[str, str] = ROLE_FILLS


# ------------------------------------------------------------------------------------- roles and groups


def node_roles(root: Value | GraphView, parameters: Iterable[Value] = ()) -> dict[Value, Role]:
    """The role of every node of ``root``'s graph: output, constant, parameter, input or intermediate (the view's).

    A parameter is a leaf in ``parameters`` or one that a model library put in a drawing group
    (``autograd.seeing.groups.set_group``, as ``nn`` does for every weight and bias).

    >>> from autograd import Value
    >>> w, x = Value(0.5, label="w"), Value(2.0, label="x")
    >>> roles = node_roles(w * x + 1, parameters=[w])
    >>> roles[w], roles[x]
    ('parameter', 'input')
    """
    view = GraphView.of(root, parameters=parameters)
    return {node: view.role(node) for node in view.order}


def collapsed_boxes(root: Value | GraphView, collapse: Literal["neuron", "layer"] | None = None) -> dict[str, str]:
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
    view = GraphView.of(root, collapse=collapse)
    return {view.node_id(node): box.id for node in view.order if (box := view.collapsed_into(node)) is not None}


# ------------------------------------------------------------------------------------- formatting


def _op_text(op: str) -> str:
    rule = RULES.get(op)
    return rule.shown if rule is not None else op


def _blend(weight: float) -> str:
    """Grey (weight 0) to strong red (weight 1), for |grad| highlighting."""
    weight = min(max(weight, 0.0), 1.0)
    low, high = (0x9C, 0xA3, 0xAF), (0xDC, 0x26, 0x26)
    r, g, b = (round(lo + (hi - lo) * weight) for lo, hi in zip(low, high))
    return f"#{r:02x}{g:02x}{b:02x}"


def _record(fields: Iterable[str]) -> str:
    # No spaces around the bars: Debian's dot drops the space after a non-ASCII character that follows
    # a padding space ("{ ¡ 0 | ..." draws "¡0"), while graphviz-pure keeps it; unpadded fields draw alike.
    return "{" + "|".join(dot_record_field(f) for f in fields) + "}"


# ------------------------------------------------------------------------------------- draw_dot


def draw_dot(
    root: Value | GraphView,
    format: str = "svg",
    rankdir: str = "LR",
    *,
    stepper: Backprop | None = None,
    highlight_grad: bool = False,
    collapse: Collapse = None,
    clusters: bool = True,
    legend: bool = True,
    parameters: Iterable[Value] = (),
    names: Mapping[Value, str] | None = None,
    trace: Trace | None = None,
    step: int | None = None,
    forward: int | None = None,
    grads: bool = True,
    blank: str = "?",
    caption: Sequence[str] = (),
    boxes: Mapping[Value, str] | None = None,
) -> Drawing:
    """Draw ``root``'s graph (or a view of it): a ``Drawing`` (a ``graphviz.Digraph``) that renders without a system Graphviz too.

    Each ``Value`` is a record ``name | data | grad`` coloured by role (input, parameter,
    constant, intermediate, output; ``parameters`` marks more leaves as parameters), each
    operation a small node. Parameters a model library put in groups (``autograd.seeing.groups``; ``nn``
    does for every neuron and layer) are drawn in clusters, a neuron's inside its layer's
    (``clusters=False`` turns that off); ``collapse="neuron"`` or ``"layer"`` draws each innermost
    group (neuron) or the group around it (layer) as one box. ``highlight_grad`` colours borders by
    |grad|. ``stepper`` draws a ``Backprop``'s state in the step states of ``autograd.seeing.style``
    (processing, grad updated, next, done, grad not final yet: dashed and marked "so far"); the
    legend then lists them all. ``names`` maps nodes to the names to draw instead of their labels
    (with a stepper, the stepper's view brings its own).

    A recorded pass (``trace``, an ``autograd.seeing.trace.Trace``) is drawn at any point without
    stepping again, as an export draws its frames: ``step=k`` after k backward steps (the trace's
    grads then, the stepper's states and words; the end by default), ``forward=k`` after the forward
    pass has computed k nodes (the view's nodes with parents, in order; the k-th is "processing",
    the ones still to compute "not computed yet", with blank data; every grad blank, backward has
    not begun). ``forward=`` works without a trace too. With a trace the legend lists every state,
    forward's too, so a film from forward to backward has one legend. ``grads=False`` leaves every
    grad blank (a worksheet); ``blank`` is what a blank field reads; ``caption`` lines are written
    below the drawing, left-aligned. ``boxes`` draws nodes outside any group in named boxes of
    one's own (``{node: "position 1: key"}``, as a lesson splits a graph; ids ``box_<k>``).

    The result's ``.source`` is the DOT text; ``.render(outfile="g.svg")``, ``.pipe()`` and
    Jupyter's inline display work with Graphviz's ``dot`` or the ``graphviz-pure`` wheel.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> g = draw_dot(c, legend=False)
    >>> print(g.source.splitlines()[5].strip())
    n0 [label="{a|data 2.0|grad 0.0}" fillcolor="#dbeafe" id=n0]
    """
    if collapse not in (None, "neuron", "layer"):
        raise ValueError(f"draw_dot: collapse must be None, 'neuron' or 'layer', got {collapse!r}")
    if stepper is not None:
        if stepper.root is not (root.root if isinstance(root, GraphView) else root):
            raise ValueError("draw_dot: the stepper walks a different graph; pass stepper=Backprop(root) for this root")
        if names is not None and dict(names) != dict(stepper.view.display):
            raise ValueError("draw_dot: give names= to the stepper (Backprop(root, names=...)), which names the steps too")
        base = stepper.view
        options = base.options
        same = options.collapse == collapse and options.clusters == clusters and options.parameters == frozenset(parameters)
        # The stepper's view serves when its options match; else a view with the drawing's options (and its names).
        view = base if same else GraphView.of(
            base.root, names=base.options.names, parameters=parameters, collapse=collapse, clusters=clusters
        )
    elif trace is not None:
        if trace.view.root is not (root.root if isinstance(root, GraphView) else root):
            raise ValueError("draw_dot: the trace records a different graph; pass trace=Trace.record(root) for this root")
        view = trace.view  # its indices are the trace's
    else:
        view = GraphView.of(root, names=names, parameters=parameters, collapse=collapse, clusters=clusters)
    order = view.order
    position = len(stepper.history) if stepper is not None else None
    if step is not None and trace is None:
        raise ValueError("draw_dot: step= draws a recorded pass; give its trace= too (Trace.record(root))")
    if trace is not None and stepper is not None:
        raise ValueError("draw_dot: give a stepper (drawn live) or a trace (drawn at step=), not both")
    if trace is not None and forward is None:
        position = len(trace) if step is None else step
        if not 0 <= position <= len(trace):
            raise ValueError(f"draw_dot: step must be between 0 and {len(trace)} (the trace's steps), got {step!r}")
    shown_grads = trace.grads_at(position) if trace is not None and position is not None else None
    # The forward pass at ``forward``: which node it computed last, which it has still to compute.
    computing: Value | None = None
    uncomputed: frozenset[Value] = frozenset()
    if forward is not None:
        if stepper is not None or step is not None:
            raise ValueError("draw_dot: forward= draws the forward pass; it takes no stepper and no step")
        schedule = [node for node in order if node.parents]
        if not 0 <= forward <= len(schedule):
            raise ValueError(f"draw_dot: forward must be between 0 and {len(schedule)} (the nodes to compute), got {forward!r}")
        computing = schedule[forward - 1] if forward > 0 else None
        uncomputed = frozenset(schedule[forward:])
        position = None

    def state(node: Value) -> str | None:
        if forward is not None:
            return "uncomputed" if node in uncomputed else ("current" if node is computing else None)
        return None if position is None else view.state(node, position)

    font = {"fontname": "Helvetica", "fontsize": "12"}
    graph = _drawing_class()(format=format, graph_attr={"rankdir": rankdir, **font}, node_attr=font)
    graph.attr("edge", fontname="Helvetica", fontsize="10")

    collapsed = view.options.collapse is not None
    max_grad = max((abs(float(node.grad)) for node in order if math.isfinite(float(node.grad))), default=0.0)

    def value_attrs(node: Value) -> dict[str, str]:
        grad = float(node.grad) if shown_grads is None else shown_grads[view.index[node]]
        grad_text = f"grad {fmt(grad)}"
        data_text = f"data {blank}" if node in uncomputed else f"data {fmt(node.data)}"
        attrs = {"fillcolor": ROLE_COLOURS[view.role(node)], "id": view.node_id(node)}
        now = state(node)
        if now is not None:
            if now == "pending":
                grad_text = f"grad {fmt(grad)} so far" if grad != 0.0 else "grad pending"
            attrs.update(dot_state_attrs(now))
        elif highlight_grad and max_grad > 0.0 and math.isfinite(grad):
            share = abs(grad) / max_grad
            attrs.update(color=_blend(share), penwidth=f"{1.0 + 3.0 * share:.2f}")
        if forward is not None or not grads:
            grad_text = f"grad {blank}"
        attrs["label"] = _record([view.name(node), data_text, grad_text])
        return dict(sorted(attrs.items()))

    def emit_value(target: Any, node: Value) -> None:
        ident = view.node_id(node)
        target.node(ident, **value_attrs(node))
        if node.parents:
            text = _op_text(node.op)
            shape = "circle" if len(text) <= 2 else "ellipse"
            op_attrs = {"label": dot_text(text), "shape": shape, "id": view.op_id(node), "style": "filled", "fillcolor": OP_FILL}
            now = state(node)
            if now in ("current", "next"):
                look = ALL_STATES[now]
                op_attrs.update(color=look.colour, penwidth=f"{look.width:g}")
            target.node(view.op_id(node), **dict(sorted(op_attrs.items())))

    graph.attr("node", shape="record", style="filled")
    grouped = view.collapsed_into if collapsed else (view.group_box if view.options.clusters else (lambda node: None))
    # Ungrouped nodes first, then each layer cluster with its neuron clusters inside (or the collapsed boxes).
    named: dict[str, list[Value]] = {}
    for node in order:
        if grouped(node) is None:
            title = boxes.get(node) if boxes is not None else None
            if title is None:
                emit_value(graph, node)
            else:
                named.setdefault(title, []).append(node)
    for k, (title, members) in enumerate(named.items()):
        with graph.subgraph(name=f"cluster_box_{k}") as sub:
            sub.attr(label=dot_text(title), style="rounded", color="#9ca3af", id=f"box_{k}")
            for node in members:
                emit_value(sub, node)
    if collapsed:
        for box in view.boxes:
            graph.node(box.id, **_box_attrs(box, view, position))
    elif view.options.clusters:
        _emit_clusters(graph, view, emit_value)

    _emit_edges(graph, view, position, computing)
    if legend:
        roles: set[str] = {view.role(n) for n in order if view.collapsed_into(n) is None}
        if any(view.role(n) == "output" for box in view.boxes for n in box.members):
            roles.add("output")
        kinds = sorted({box.kind for box in view.boxes})
        listed = ALL_STATES if trace is not None or forward is not None else STATES if stepper is not None else {}
        _emit_legend(graph, roles, kinds, listed)
    if caption:
        # Graphviz's \l ends a line and aligns it left; each line is escaped as a plain label first.
        graph.attr(label="".join(dot_text(line) + "\\l" for line in caption), labeljust="l", labelloc="b")
    return graph


def _emit_clusters(graph: Any, view: GraphView, emit_value: Any) -> None:
    for box in view.groups:
        if box.parent is not None:
            continue  # drawn inside its layer's cluster
        if box.inner:
            with graph.subgraph(name=f"cluster_{box.id}") as sub:
                sub.attr(label=dot_text(box.title), style="rounded,dashed", color="#9ca3af", id=box.id)
                for inner in box.inner:
                    _emit_neuron(sub, inner, emit_value)
        else:
            _emit_neuron(graph, box, emit_value)


def _emit_neuron(graph: Any, box: Box, emit_value: Any) -> None:
    with graph.subgraph(name=f"cluster_{box.id}") as sub:
        sub.attr(label=dot_text(box.title), style="rounded", color="#d97706", id=box.id)
        for node in box.members:
            emit_value(sub, node)


def _box_state(box: Box, view: GraphView, position: int) -> StepState:
    """One state for a collapsed box: the most telling of its members' (current, next, updated, pending, done)."""
    states = {view.state(n, position) for n in box.members}
    for candidate in ("current", "next", "updated", "pending"):
        if candidate in states:
            return candidate
    return "done"


def _box_attrs(box: Box, view: GraphView, position: int | None) -> dict[str, str]:
    """One box for a collapsed neuron or layer: its name, what it computes and its output's numbers."""
    activation = next((n.op for n in box.members if RULES.get(n.op) is not None and RULES[n.op].activation), "linear")
    params = box.parameters
    if box.inner:  # an outer group (a layer): how many inner groups (neurons) it holds
        kind = box.inner[0].kind
        count = f"{len(box.inner)} {activation} {kind}{'' if len(box.inner) == 1 else 's'}"
        fields = [box.title, count, f"{len(params)} parameters"]
    else:
        fields = [box.title, f"{activation}(w.x + b), {len(params)} parameters"]
    if len(box.outputs) == 1:
        output = box.outputs[0]
        named = [view.name(output)] if view.is_named(output) else []
        fields += [*named, f"data {fmt(output.data)}", f"grad {fmt(float(output.grad))}"]
    else:
        fields.append(f"{len(box.outputs)} outputs")
    attrs = {
        "label": _record(fields),
        "fillcolor": ROLE_COLOURS["output"] if any(view.role(n) == "output" for n in box.members) else GROUP_FILL,
        "id": box.id,
        "style": "filled,rounded",
    }
    if position is not None:
        look = dot_state_attrs(_box_state(box, view, position))
        look["style"] = look["style"] + ",rounded"
        attrs.update(look)
    return dict(sorted(attrs.items()))


def _emit_edges(graph: Any, view: GraphView, position: int | None, computing: Value | None = None) -> None:
    """Edges parent -> op node -> value; with collapsed groups, one edge per pair of boxes, labelled by how many values cross."""
    crossing: dict[tuple[str, str], set[Value]] = {}
    hidden = view.collapsed_into
    for node in view.order:
        if not node.parents:
            continue
        box = hidden(node)
        if box is not None:
            for parent in node.parents:
                parent_box = hidden(parent)
                if parent_box is box:
                    continue
                source = parent_box.id if parent_box is not None else view.node_id(parent)
                crossing.setdefault((source, box.id), set()).add(parent)
            continue
        style: dict[str, str] = {}
        if position is not None:
            now = view.state(node, position)
            step = view.step_of(node)
            processed = step is not None and step < position
            if now in ("current", "next"):
                style = {"color": STATES[now].colour, "penwidth": "2"}
            elif processed:
                style = {"color": STATES["done"].colour, "penwidth": "2"}
        elif node is computing:  # the forward pass's last computation: its inputs and output
            style = {"color": STATES["current"].colour, "penwidth": "2"}
        for k, parent in enumerate(node.parents):
            parent_box = hidden(parent)
            source = parent_box.id if parent_box is not None else view.node_id(parent)
            graph.edge(source, view.op_id(node), id=view.edge_id(node, k), **style)
        graph.edge(view.op_id(node), view.node_id(node), id=view.out_edge_id(node), **style)
    for (source, target), values in crossing.items():
        label = {"label": f"{len(values)} values"} if len(values) > 1 else {}
        graph.edge(source, target, id=view.crossing_id(source, target), **label)


def _emit_legend(graph: Any, roles: set[str], collapsed: list[str], states: Mapping[str, State]) -> None:
    """One compact node with a table of the colours used (a cluster of nodes would take a whole rank).

    ``states`` are listed whether or not a node shows one now: the legend is the same at every step.
    """
    rows = ['<tr><td border="0"><b>legend</b></td></tr>']
    rows += [f'<tr><td bgcolor="{colour}">{role}</td></tr>' for role, colour in ROLE_COLOURS.items() if role in roles]
    rows += [f'<tr><td bgcolor="{GROUP_FILL}" style="rounded">{dot_html_text(kind)} (collapsed)</td></tr>' for kind in collapsed]
    if states:
        for look in states.values():
            dashed = ' style="dashed"' if look.dashed else ""
            rows.append(f'<tr><td color="{look.colour}" border="{max(1, round(look.width))}"{dashed}>{look.words}</td></tr>')
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
