"""Tests for autograd.seeing.draw: deterministic DOT, stable ids, roles, nn clusters, stepper state, and rendering without dot."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from hypothesis import given

import nn
from autograd import Backprop, GraphvizNotFound, Value, draw_dot, render, topological_order
from autograd.seeing.draw import ROLE_COLOURS, collapsed_boxes, graphviz_command, node_roles, pipe
from autograd.seeing.groups import Group, set_group
from autograd.testing import Expression, expressions

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
# Set VALUEGRAD_UPDATE_SNAPSHOTS=1 to rewrite the snapshot after an intended change to drawings.
UPDATE = os.environ.get("VALUEGRAD_UPDATE_SNAPSHOTS") == "1"

LECTURE = """
from autograd import Value
a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
e = a * b; e.label = "e"
d = e + c; d.label = "d"
L = d * f; L.label = "L"
o = (L * 0.1).tanh(); o.label = "o"
"""


def _lecture() -> dict[str, Value]:
    namespace: dict[str, object] = {}
    exec(LECTURE, namespace)
    return {k: v for k, v in namespace.items() if isinstance(v, Value)}


def _path_without_dot(tmp_path: Path) -> str:
    """PATH with every directory that holds a ``dot`` program removed."""
    kept = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "dot").exists()]
    return os.pathsep.join(kept) or str(tmp_path)


def _check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if UPDATE or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"wrote missing snapshot {path}; check it in and rerun")
    assert text == path.read_text(encoding="utf-8")


def test_draw_dot_returns_a_drawing_that_is_a_graphviz_digraph() -> None:
    """draw_dot's result is autograd.seeing.draw.Drawing (the named return type), a graphviz.Digraph subclass."""
    import graphviz

    from autograd.seeing.draw import Drawing

    drawing = draw_dot(Value(1.0, label="x") * 2)
    assert type(drawing) is Drawing
    assert isinstance(drawing, graphviz.Digraph)
    assert Drawing.__module__ == "autograd.seeing.draw" and Drawing.__qualname__ == "Drawing"


def test_dot_source_matches_the_snapshot() -> None:
    """The DOT of a fixed small expression after backward() equals the checked-in snapshot."""
    nodes = _lecture()
    nodes["o"].backward()
    _check_snapshot("lecture.dot", draw_dot(nodes["o"]).source)


def test_stepper_drawing_matches_the_snapshot() -> None:
    """The DOT of the same expression two steps into a Backprop equals the checked-in snapshot."""
    nodes = _lecture()
    bp = Backprop(nodes["o"])
    bp.step()
    bp.step()
    _check_snapshot("lecture_stepper.dot", draw_dot(nodes["o"], stepper=bp).source)


def test_dot_source_is_identical_in_a_fresh_process() -> None:
    """Two fresh interpreters print byte-identical DOT for the same program, equal to this process's."""
    program = LECTURE + "o.backward()\nfrom autograd import draw_dot\nprint(draw_dot(o, collapse=None).source, end='')\n"
    command = [sys.executable, "-c", program]
    runs = [subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT) for _ in range(2)]
    nodes = _lecture()
    nodes["o"].backward()
    assert runs[0].stdout == runs[1].stdout == draw_dot(nodes["o"]).source


def test_mlp_drawing_is_deterministic() -> None:
    """Two seeded MLP forward passes draw byte-identical DOT, clustered and collapsed."""
    sources = []
    for _ in range(2):
        model = nn.MLP(2, [4, 4, 1], seed=3)
        out = model([Value(1.0, label="x0"), Value(-2.0, label="x1")])
        assert isinstance(out, Value)
        out.backward()
        sources.append([draw_dot(out, collapse=c).source for c in (None, "neuron", "layer")])
    assert sources[0] == sources[1]


def test_import_autograd_does_not_import_graphviz() -> None:
    """The engine stays dependency-free at import: graphviz is loaded only by draw_dot."""
    program = "import sys, autograd; print('graphviz' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "False"


@given(expressions())
def test_every_node_has_its_stable_id(expr: Expression) -> None:
    """The Value at index i of topological_order is node n<i>, its op node n<i>_op, with edges n<i>_in<k> and n<i>_out."""
    out = expr(*(Value(x) for x in expr.inputs))
    source = draw_dot(out, legend=False).source
    for i, node in enumerate(topological_order(out)):
        assert re.search(rf"^\tn{i} \[.*\bid=n{i}\]$", source, re.M)
        if node.parents:
            assert re.search(rf"^\tn{i}_op \[.*\bid=n{i}_op\b", source, re.M)
            assert f"n{i}_op -> n{i} [id=n{i}_out" in source
            for k in range(len(node.parents)):
                assert f"id=n{i}_in{k}" in source


def test_roles_and_their_colours() -> None:
    """Inputs, parameters (in a drawing group or marked), constants, intermediates and the output get their role's colour."""
    x, w, marked = Value(2.0, label="x"), Value(0.5, label="w"), Value(1.0, label="k")
    set_group([w], Group("layer"))
    y = (w * x + 3.0) * marked
    roles = node_roles(y, parameters=[marked])
    order = topological_order(y)
    assert [roles[n] for n in order] == ["parameter", "input", "intermediate", "constant", "intermediate", "parameter", "output"]
    source = draw_dot(y, parameters=[marked]).source
    for i, node in enumerate(order):
        assert re.search(rf'^\tn{i} \[.*fillcolor="{ROLE_COLOURS[roles[node]]}"', source, re.M)
    for role in set(roles.values()):
        assert f'bgcolor="{ROLE_COLOURS[role]}">{role}<' in source


def test_highlight_grad_scales_borders_by_grad() -> None:
    """With highlight_grad the node with the largest |grad| gets the widest border, a zero grad the thinnest."""
    nodes = _lecture()
    nodes["L"].backward()
    source = draw_dot(nodes["L"], highlight_grad=True).source
    # c has grad -2 and b has grad -4, a (6.0) is the largest.
    assert re.search(r'^\tn0 \[.*penwidth=4\.00', source, re.M)
    assert re.search(r'^\tn6 \[.*penwidth=1\.50', source, re.M)


def test_labels_with_record_syntax_draw_as_written(tmp_path: Path) -> None:
    """Characters that structure a record label are escaped, so any label renders and appears in the SVG."""
    x = Value(1.0, label='a|b{c}<d> "e" \\f')
    svg = pipe(draw_dot(x * 2).source, "svg").decode()
    assert "a|b{c}&lt;d&gt; &quot;e&quot; \\f" in svg or 'a|b{c}&lt;d&gt; "e" \\f' in svg


def test_a_non_str_label_assigned_later_draws_as_its_str() -> None:
    """A non-str label set after construction draws as str(label) (it crashed with a bare TypeError)."""
    w = Value(1.0)
    w.label = 5  # type: ignore[assignment]
    source = draw_dot(w * 2, legend=False).source
    assert '[label="{5|data 1.0|grad 0.0}"' in source
    assert node_roles(w * 2)[w] == "input"


def _mlp() -> tuple[nn.MLP, Value]:
    model = nn.MLP(2, [3, 2, 1], seed=0)
    out = model([Value(1.0, label="x0"), Value(-2.0, label="x1")])
    assert isinstance(out, Value)
    out.label = "y"
    out.backward()
    return model, out


def test_nn_graphs_cluster_per_neuron_and_layer() -> None:
    """Each neuron's parameters, dot and activation sit in the neuron's cluster, inside its layer's cluster."""
    model, out = _mlp()
    source = draw_dot(out).source
    order = topological_order(out)
    index = {node: i for i, node in enumerate(order)}
    for name, parameter in model.named_parameters():
        neuron = name.rsplit(".", 2)[0] if ".w." in name else name.rsplit(".", 1)[0]
        layer = neuron.rsplit(".", 2)[0]
        cluster = f"subgraph cluster_neuron_{neuron.replace('.', '_')} {{"
        layer_cluster = f"subgraph cluster_layer_{layer.replace('.', '_')} {{"
        start = source.index(cluster)
        assert source.rindex(layer_cluster, 0, start) < start
        body = source[start : source.index("\t\t}", start)]
        assert f"\tn{index[parameter]} [" in body
    for node in order:
        if node.op == "dot":
            assert source.count(f"\tn{index[node]} [") == 1


def test_collapse_draws_a_neuron_or_layer_as_one_box() -> None:
    """collapse='neuron' draws one box per neuron and hides its members; 'layer' one per layer, wired in sequence."""
    _, out = _mlp()
    by_neuron = draw_dot(out, collapse="neuron").source
    boxes = re.findall(r"^\t(neuron_\w+) \[", by_neuron, re.M)
    assert boxes == sorted(set(boxes), key=boxes.index) and len(boxes) == 3 + 2 + 1
    order = topological_order(out)
    hidden = [i for i, node in enumerate(order) if node.op in ("dot", "relu") or (node.label or "").startswith("layers.")]
    assert all(f"\tn{i} [" not in by_neuron for i in hidden)
    by_layer = draw_dot(out, collapse="layer").source
    assert sorted(re.findall(r"^\t(layer_\w+) \[", by_layer, re.M)) == ["layer_layers_0", "layer_layers_1", "layer_layers_2"]
    assert "layer_layers_0 -> layer_layers_1" in by_layer and "layer_layers_1 -> layer_layers_2" in by_layer
    assert 'label="3 values"' in by_layer and 'label="2 values"' in by_layer
    assert "17 parameters" not in by_layer and "9 parameters" in by_layer


def test_stepper_state_is_drawn() -> None:
    """The step states of autograd.seeing.style: processing, grad updated, next, pending ('so far'), and all done at the end."""
    from autograd.seeing.style import STATES

    nodes = _lecture()
    bp = Backprop(nodes["L"])
    bp.step()
    source = draw_dot(nodes["L"], stepper=bp).source
    lines = {m.group(1): m.group(0) for m in re.finditer(r"^\t(n\d+(?:_op)?) \[.*$", source, re.M)}
    current, updated, upcoming, pending = (STATES[s].colour for s in ("current", "updated", "next", "pending"))
    assert f'color="{current}"' in lines["n6"] and f'color="{current}"' in lines["n6_op"]
    assert f'color="{upcoming}"' in lines["n4"] and f'color="{upcoming}"' in lines["n4_op"]
    assert f'color="{updated}"' in lines["n5"]
    assert "grad pending" in lines["n0"] and "dashed" in lines["n0"] and f'color="{pending}"' in lines["n0"]
    assert "grad -2.0}" in lines["n4"]
    assert re.search(rf'n5 -> n6_op \[color="{current}" id=n6_in1', source)
    for look in STATES.values():  # every state a node can show is in the legend, at every step
        assert f">{look.words}</td>" in source
    bp.run()
    done = draw_dot(nodes["L"], stepper=bp).source
    records = re.findall(r"^\t(n\d+) \[.*$", done, re.M)
    assert records and all(f'color="{STATES["done"].colour}"' in line for line in re.findall(r"^\tn\d+ \[.*$", done, re.M))
    with pytest.raises(ValueError, match="different graph"):
        draw_dot(nodes["d"], stepper=bp)


def test_render_svg_and_png_without_dot_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no dot on PATH, the graphviz-pure binary renders SVG (with every label) and PNG."""
    monkeypatch.setenv("PATH", _path_without_dot(tmp_path))
    assert Path(graphviz_command()).name.startswith("graphviz-pure")
    nodes = _lecture()
    nodes["o"].backward()
    drawing = draw_dot(nodes["o"])
    svg = render(drawing, tmp_path / "g.svg").read_text(encoding="utf-8")
    for label in ("a", "b", "c", "d", "e", "f", "L", "o"):
        assert f">{label}</text>" in svg
    for i in range(len(topological_order(nodes["o"]))):
        assert f'<g id="n{i}" class="node">' in svg
    assert render(drawing, tmp_path / "g.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_digraph_render_pipe_and_jupyter_use_graphviz_pure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The returned Digraph's render(), pipe() and Jupyter SVG display work without a system Graphviz."""
    monkeypatch.setenv("PATH", _path_without_dot(tmp_path))
    drawing = draw_dot(Value(3.0, label="x").exp())
    written = drawing.render(outfile=tmp_path / "out" / "x.png")
    assert Path(written).read_bytes()[:4] == b"\x89PNG" and (tmp_path / "out" / "x.gv").read_text() == drawing.source
    classic = drawing.render(filename="g", directory=tmp_path, format="svg", cleanup=True)
    assert classic == str(tmp_path / "g.svg") and not (tmp_path / "g").exists()
    assert drawing.pipe(format="svg", encoding="utf-8").startswith("<?xml")
    assert "<svg" in drawing._repr_mimebundle_()["image/svg+xml"]


def test_dot_on_path_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 'dot' program on PATH is used before graphviz-pure (here a real dot-compatible script that records its use)."""
    pure = graphviz_command()
    marker = tmp_path / "used"
    script = tmp_path / "bin" / "dot"
    script.parent.mkdir()
    script.write_text(f'#!/bin/sh\ntouch "{marker}"\nexec "{pure}" "$@"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    assert graphviz_command() == str(script)
    assert render(draw_dot(Value(1.0, label="x")), tmp_path / "x.svg").read_text().count(">x</text>") == 1
    assert marker.exists()


def test_without_any_graphviz_the_error_says_what_to_install(tmp_path: Path) -> None:
    """In a Python with neither dot nor graphviz-pure, rendering raises GraphvizNotFound naming the fix."""
    env_dir = tmp_path / "bare"
    venv.create(env_dir, with_pip=False)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    program = (
        "from autograd.seeing.draw import GraphvizNotFound, graphviz_command\n"
        "try:\n    graphviz_command()\nexcept GraphvizNotFound as e:\n    print(e)\n"
    )
    env = {"PATH": str(tmp_path), "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    result = subprocess.run([str(python), "-c", program], capture_output=True, text=True, check=True, env=env)
    assert "pip install graphviz-pure" in result.stdout and "drawing.source" in result.stdout
    assert issubclass(GraphvizNotFound, RuntimeError)


@pytest.mark.parametrize("collapse", ["neuron", "layer"])
def test_collapsed_boxes_names_the_box_of_every_hidden_node(collapse: str) -> None:
    """collapsed_boxes maps exactly the nodes a collapsed drawing hides to box ids that the drawing has."""
    _, out = _mlp()
    boxes = collapsed_boxes(out, "neuron" if collapse == "neuron" else "layer")
    source = draw_dot(out, collapse="neuron" if collapse == "neuron" else "layer").source
    drawn_boxes = set(re.findall(rf"^\t({collapse}_\w+) \[", source, re.M))
    assert set(boxes.values()) == drawn_boxes
    for i in range(len(topological_order(out))):
        assert (f"n{i}" in boxes) == (f"\tn{i} [" not in source)


def test_two_models_draw_as_two_sets_of_boxes() -> None:
    """m1([x]) + m2([x]) with equal parameter names: each model's neurons are boxes of their own, with distinct ids."""
    m1, m2 = nn.MLP(2, [3, 1], seed=0), nn.MLP(2, [3, 1], seed=1)
    x = [Value(1.0, label="x0"), Value(-2.0, label="x1")]
    out = m1.outputs(x)[0] + m2.outputs(x)[0]
    by_neuron = draw_dot(out, collapse="neuron").source
    boxes = re.findall(r"^\t(neuron_\w+) \[", by_neuron, re.M)
    assert len(boxes) == len(set(boxes)) == 2 * (3 + 1)
    # No doubled counts: each hidden box has its own 3 parameters, each output box 4.
    assert by_neuron.count("relu(w.x + b), 3 parameters") == 6 and by_neuron.count("linear(w.x + b), 4 parameters") == 2
    by_layer = draw_dot(out, collapse="layer").source
    assert len(set(re.findall(r"^\t(layer_\w+) \[", by_layer, re.M))) == 4
    clustered = draw_dot(out).source
    assert len(set(re.findall(r"subgraph (cluster_neuron_\w+) \{", clustered))) == 8


def test_group_names_that_differ_only_in_punctuation_keep_their_own_ids() -> None:
    """Groups named a.b and a_b both appear (their ids used to collide, and one group vanished)."""
    x = Value(1.0, label="x")
    parts = []
    for name in ("a.b", "a_b"):
        w, b = Value(0.5), Value(0.1)
        set_group([w, b], Group(name))
        parts.append(nn_free_neuron(w, x, b))
    out = parts[0] + parts[1]
    source = draw_dot(out).source
    clusters = re.findall(r"subgraph (cluster_\w+) \{", source)
    assert len(clusters) == len(set(clusters)) == 2
    assert 'label="a.b"' in source and re.search(r'label="?a_b"?[ \]]', source)
    boxes = collapsed_boxes(out, "neuron")
    assert len(set(boxes.values())) == 2


def nn_free_neuron(w: Value, x: Value, b: Value) -> Value:
    """A neuron written with autograd alone: the fused dot and a relu."""
    from autograd import dot

    return dot([w], [x], b).relu()


def test_labels_alone_make_no_groups() -> None:
    """A dotted label that looks like an nn name is just a label: groups come only from what a model library sets."""
    from autograd import dot

    w, b, x = Value(0.5, label="layers.0.neurons.0.w.0"), Value(0.0, label="layers.0.neurons.0.b"), Value(1.0, label="x")
    source = draw_dot(dot([w], [x], b).relu()).source
    assert "subgraph" not in source
    assert node_roles(dot([w], [x], b))[w] == "input"


def test_autograd_does_not_import_nn() -> None:
    """No module of autograd (code or doctest) imports nn: the engine sits below the network library."""
    for path in (ROOT / "autograd").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(>>> )?(import nn\b|from nn[. ])", text, re.M), path


@pytest.mark.parametrize(
    ("label", "drawn"),
    [
        ("a&amp;b", ["a&amp;b"]),  # Graphviz read it as an entity and drew a&b
        ("x&#60;y", ["x&#60;y"]),
        ("p&#1;q", ["p&#1;q"]),  # the entity made SVG that is not XML
        ("u\ufffev", ["u\\ufffev"]),  # a noncharacter: not XML either
        ("z\x00z", ["z\\x00z"]),  # a NUL made Graphviz fail
        ("t\tb", ["t\\tb"]),  # dropped silently
        ("two\nlines", ["two\\nlines"]),  # dropped silently; now shown as \\n, as in the text view
    ],
)
def test_odd_labels_draw_as_written_in_valid_svg(label: str, drawn: list[str]) -> None:
    """Entities, control characters and noncharacters in a label give valid SVG that shows the label (issue 12.10)."""
    import xml.etree.ElementTree as ET

    group = Group(label)
    w, b = Value(0.5, label=label), Value(0.0)
    set_group([w, b], group)
    svg = pipe(draw_dot(nn_free_neuron(w, Value(1.0, label="x"), b), legend=False).source, "svg").decode("utf-8")
    texts = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    for i in range(len(texts) - len(drawn) + 1):
        if texts[i : i + len(drawn)] == drawn:
            break
    else:
        pytest.fail(f"{drawn} not drawn in order: {texts}")
    assert texts.count(drawn[0]) == 2  # the weight's record and the neuron's cluster label


ODD_LABELS = ["nul\x00here", "&amp;", "&#60;", "&#1;", "x\ufffey", "two\nlines", "tab\there", "<b>|{}\\\"q\""]


def test_odd_labels_draw_literally_as_valid_xml() -> None:
    """NUL, entity-like text, control characters, U+FFFE, newlines and tabs draw as written (escaped) in valid SVG."""
    import xml.etree.ElementTree as ET

    from autograd.seeing.draw import pipe
    from autograd.seeing.text import printable

    nodes = [Value(float(i), label=label) for i, label in enumerate(ODD_LABELS)]
    root = nodes[0]
    for node in nodes[1:]:
        root = root + node
    svg = pipe(draw_dot(root).source, "svg").decode("utf-8")
    tree = ET.fromstring(svg)  # raises on text that is not valid XML (a &#1; or U+FFFE)
    texts = ["".join(t.itertext()) for t in tree.iter("{http://www.w3.org/2000/svg}text")]
    for label in ODD_LABELS:
        assert printable(label) in texts, (label, printable(label))


# ------------------------------------------------------------------------------------- a recorded pass (export's frames)


def test_a_trace_draws_at_any_step_as_the_stepper_does() -> None:
    """draw_dot(trace=, step=k) draws what a stepper after k steps draws (grads, states, words), without stepping."""
    from autograd.seeing.trace import Trace

    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    root = c.tanh()
    trace = Trace.record(root)
    stepper = Backprop(root)
    for k in range(len(trace) + 1):
        drawn = draw_dot(root, trace=trace, step=k, legend=False).source
        assert drawn == draw_dot(root, stepper=stepper, legend=False).source
        if k < len(trace):
            stepper.step()
    with pytest.raises(ValueError, match="step must be between 0 and 2"):
        draw_dot(root, trace=trace, step=3)
    with pytest.raises(ValueError, match="give its trace"):
        draw_dot(root, step=1)


def test_forward_half_way_blanks_what_is_not_computed_yet_and_says_so_in_the_legend() -> None:
    """forward=k: the k-th computed node is 'processing', later ones 'not computed yet' with blank data; grads blank."""
    from autograd.seeing.style import STATES, UNCOMPUTED

    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    d = c + a
    d.label = "d"
    source = draw_dot(d, forward=1).source
    assert re.search(rf'n2 \[label="{{c\|data -6.0\|grad \?}}" color="{STATES["current"].colour}"', source)
    assert re.search(rf'n3 \[label="{{d\|data \?\|grad \?}}" color="{UNCOMPUTED.colour}"', source)
    assert f">{UNCOMPUTED.words}</td>" in source
    assert "data ?" not in draw_dot(d, forward=2).source
    assert UNCOMPUTED.words not in draw_dot(d).source  # a plain drawing lists no states
    with pytest.raises(ValueError, match="forward must be between 0 and 2"):
        draw_dot(d, forward=3)


def test_blank_grads_caption_and_named_boxes() -> None:
    """grads=False leaves every grad blank (a worksheet); caption lines go below, escaped; boxes= draws named boxes."""
    a = Value(2.0, label="a")
    b = a * 3
    source = draw_dot(b, grads=False, blank="____", caption=["one", 'two "quoted"'], boxes={b: "my box"}).source
    assert source.count("grad ____") == 3 and "grad 0.0" not in source
    assert 'label="one\\ltwo \\"quoted\\"\\l"' in source
    assert re.search(r'subgraph cluster_box_0 \{\n\t\t.*id=box_0 label="my box".*\n\t\tn2 \[', source)
    assert "my box" in pipe(source).decode()
