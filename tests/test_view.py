"""Tests for autograd.seeing.view, trace, style, numbers and quoting: one view built in one walk, one trace, one
language, one number format, and user text that never becomes markup."""

from __future__ import annotations

import ast
import json
import math
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd.seeing.view as view_module
from autograd import Backprop, Value, draw_dot, explain, tree
from autograd.rules import RULES
from autograd.seeing.groups import Group, set_group
from autograd.seeing.numbers import fmt, json_number
from autograd.seeing.quoting import printable
from autograd.seeing.style import STATES, STEP_STATES, css_variables
from autograd.seeing.trace import FORMAT, Trace
from autograd.seeing.view import GraphView, walks
from autograd.testing import Expression, expressions
from nn import MLP, mse

SEEING = Path(view_module.__file__).parent


def _neuron() -> dict[str, Value]:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "n": n, "o": o}


def _mlp_loss() -> tuple[MLP, Value]:
    model = MLP(2, [4, 4, 1], seed=0)
    xs = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [1.0, 1.0]]
    loss = mse([model(x) for x in xs], [1.0, -1.0, -1.0, 1.0])
    return model, loss


# ------------------------------------------------------------------------------------------ one walk


def test_one_walk_per_render() -> None:
    """A view walks the graph once; tree, draw_dot, Backprop and Trace of a view walk it no more, whatever the graph's size."""
    for size in (1, 4):
        model, loss = _mlp_loss() if size == 4 else (None, _neuron()["o"])
        before = walks()
        view = GraphView.of(loss, collapse="layer" if model else None)
        tree(view)
        draw_dot(view)
        Trace.record(view)
        Backprop(view).run()
        assert walks() - before == 1
        before = walks()
        draw_dot(loss)  # from a root: one view, one walk
        assert walks() - before == 1


#: The seeing modules that render a view (the page's modules are checked by its own tests).
RENDERERS = ("text.py", "draw.py", "stepper.py", "trace.py", "style.py", "numbers.py", "quoting.py", "groups.py")


def test_only_the_view_walks_the_graph() -> None:
    """No renderer of the seeing layer calls topological_order: only view.py walks a graph; the others render a view."""
    offenders = []
    for name in RENDERERS:
        tree_ = ast.parse((SEEING / name).read_text(encoding="utf-8"))
        used = {n.id for n in ast.walk(tree_) if isinstance(n, ast.Name)}
        used |= {a.name for n in ast.walk(tree_) if isinstance(n, ast.ImportFrom) for a in n.names}
        if "topological_order" in used:
            offenders.append(name)
    assert not offenders, offenders
    assert "topological_order" in (SEEING / "view.py").read_text(encoding="utf-8")


def test_import_autograd_loads_no_renderer() -> None:
    """import autograd imports neither graphviz nor the page code nor the seeing renderers (a fresh interpreter)."""
    code = (
        "import sys, autograd\n"
        "bad = [m for m in sys.modules if m == 'graphviz' or m.startswith('autograd.seeing.')]\n"
        "print(bad)\n"
        "from autograd import draw_dot, Backprop\n"
        "print('autograd.seeing.draw' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "True"


# ------------------------------------------------------------------------------------------ the view


def test_the_view_describes_the_graph() -> None:
    """order, index, names, roles, uses, schedule, final_at and the id scheme, from one view."""
    nodes = _neuron()
    view = GraphView.of(nodes["o"], parameters=[nodes["w1"], nodes["w2"], nodes["b"]])
    assert view.order[-1] is nodes["o"] and all(view.order[view.index[n]] is n for n in view.order)
    assert view.role(nodes["x1"]) == "input" and view.role(nodes["w1"]) == "parameter"
    assert view.role(nodes["n"]) == "intermediate" and view.role(nodes["o"]) == "output"
    assert [view.name(c) for c, _ in view.uses(nodes["n"])] == ["o"]
    assert view.schedule[0] is nodes["o"] and view.final_at(nodes["o"]) == 0 and view.final_at(nodes["n"]) == 1
    i = view.index[nodes["n"]]
    ids = (view.node_id(nodes["n"]), view.op_id(i), view.edge_id(i, 1), view.out_edge_id(i))
    assert ids == (f"n{i}", f"n{i}_op", f"n{i}_in1", f"n{i}_out")
    with pytest.raises(AttributeError, match="frozen"):
        view.root = nodes["n"]


def test_every_renderer_accepts_the_same_options() -> None:
    """names=, parameters=, collapse= go to tree, draw_dot, Backprop, Trace and explain alike; a view carries them."""
    nodes = _neuron()
    names = {nodes["x1"]: "x₁"}
    assert "x₁" in tree(nodes["o"], names=names, parameters=[nodes["w1"]], collapse=None)
    assert "x₁" in draw_dot(nodes["o"], names=names, parameters=[nodes["w1"]]).source
    assert "x₁" in str(Backprop(nodes["o"], names=names, parameters=[nodes["w1"]]).run()[-1])
    assert "x₁" in Trace.record(nodes["o"], names=names).to_json()
    assert str(explain(nodes["x1"], nodes["o"], names=names, parameters=[nodes["w1"]])).startswith("x₁.grad")
    from autograd.seeing.forward import Forward

    assert "x₁" in str(Forward(nodes["o"], names=names, parameters=[nodes["w1"]]).step())
    view = GraphView.of(nodes["o"], names=names)
    assert GraphView.of(view) is view and "x₁" in tree(view)
    with pytest.raises(ValueError, match="other options"):
        GraphView.of(view, collapse="neuron")


def test_groups_and_collapsed_boxes_come_from_the_view() -> None:
    """nn's groups make neuron and layer boxes; collapse says which box hides each node; a layer lists its neurons."""
    model, loss = _mlp_loss()
    view = GraphView.of(loss, collapse="layer")
    layers = [b for b in view.groups if b.kind == "layer"]
    neurons = [b for b in view.groups if b.kind == "neuron"]
    assert len(layers) == 3 and len(neurons) == 9
    assert all(n.parent in layers for n in neurons) and sum(len(layer.inner) for layer in layers) == 9
    assert [b.id for b in view.boxes] == [b.id for b in layers]
    hidden = [n for n in view.order if view.collapsed_into(n) is not None]
    assert set(model.parameters()) <= set(hidden)
    assert all(view.role(p) == "parameter" for p in model.parameters())


def test_the_text_view_and_the_drawing_write_the_same_expression() -> None:
    """A node labelled a*b feeding tanh reads tanh(a*b) in the tree, as the drawing's record names it a*b."""
    a = Value(2.0, label="a*b")
    y = a.tanh()
    assert "= tanh(a*b)" in tree(y)
    assert "{a*b|" in draw_dot(y).source


# ------------------------------------------------------------------------------------------ readable rules


def test_every_rule_row_has_a_readable_local_derivative() -> None:
    """Completeness: every row of RULES gives each local derivative as mathematics (per input; n-ary: per term input, extra)."""
    missing = []
    for rule in RULES.values():
        wanted = len(rule.inputs) if rule.terms is None else len(rule.terms.inputs) + len(rule.terms.extra)
        if len(rule.readable) != wanted or not all(r.strip() for r in rule.readable):
            missing.append(rule.name)
    assert not missing, f"give these rows a readable field (one per input): {missing}"


def test_step_lines_read_as_mathematics_with_numbers() -> None:
    """The lecture's neuron: tanh's step says ∂o/∂n = 1 − o² with o's number, never a helper's name."""
    nodes = _neuron()
    steps = Backprop(nodes["o"]).run()
    assert steps[0].lines()[1] == "  tanh: ∂o/∂n = 1 − o² = 1 − 0.707107² = 0.5"
    squared = Backprop((nodes["x1"] - 3.0) ** 2).run()
    assert not any("derivative(" in line for step in squared for line in step.lines())


# ------------------------------------------------------------------------------------------ the trace


@settings(max_examples=30, deadline=None)
@given(expressions())
def test_the_trace_is_backward_and_leaves_the_graph_as_it_was(expr: Expression) -> None:
    """Trace.record's end grads are backward()'s bit for bit; every grad is restored; the JSON is strict and complete."""
    out = expr(*(Value(x, label=f"x{i}") for i, x in enumerate(expr.inputs)))
    view = GraphView.of(out)
    before = [n.grad for n in view.order]
    trace = Trace.record(view)
    assert [n.grad for n in view.order] == before or all(
        math.isnan(a) and math.isnan(b) for a, b in zip(before, [n.grad for n in view.order]) if a != b
    )
    out.backward()
    assert [repr(g) for g in trace.end] == [repr(float(n.grad)) for n in view.order]
    assert trace.grads_at(len(trace)) == list(trace.end) or len(trace) == 0
    data = json.loads(trace.to_json())
    assert data["format"] == FORMAT and len(data["steps"]) == len(trace) and len(data["nodes"]) == len(view)
    for i, node in enumerate(data["nodes"]):
        assert node["final"] == trace.final_at[i] and node["gradText"] == fmt(trace.end[i])


def test_the_trace_without_sentences_keeps_every_number() -> None:
    """to_json(texts=False) drops the sentences but keeps each number and its fmt text; the steps still read as the stepper's."""
    nodes = _neuron()
    trace = Trace.record(nodes["o"])
    full, lean = trace.to_dict(), trace.to_dict(texts=False)
    assert len(json.dumps(lean)) < len(json.dumps(full))
    assert lean["steps"][0]["edges"][0]["afterText"] == full["steps"][0]["edges"][0]["afterText"] == "0.5"
    assert lean["steps"][0]["edges"][0]["text"] is None and lean["nodes"][0]["explain"] is None
    assert [s.text for s in trace.steps] == [str(s) for s in Backprop(nodes["o"]).run()]


def test_non_finite_numbers_are_encoded_one_way() -> None:
    """nan and ±inf are "NaN", "Infinity", "-Infinity" in the trace and in a step's record."""
    y = Value(0.0, label="x").sqrt()
    data = json.loads(Trace.record(y).to_json())
    assert data["steps"][0]["edges"][0]["local"] == "Infinity" == json_number(math.inf)
    assert Backprop(y).step().to_dict()["edges"][0]["local"] == "Infinity"
    assert json_number(math.nan) == "NaN" and json_number(-math.inf) == "-Infinity"


# ------------------------------------------------------------------------------------------ style and numbers


def test_every_state_is_in_the_legend_and_the_end_is_all_done() -> None:
    """The five step states are defined once, exported as CSS, all in the drawing's legend; at the end every node is done."""
    assert STEP_STATES == ("current", "updated", "next", "done", "pending")
    css = css_variables()
    assert all(f"--vg-state-{s}:" in css for s in STEP_STATES)
    _, loss = _mlp_loss()
    bp = Backprop(loss)
    bp.run()
    assert {bp.state(n) for n in bp.order} == {"done"}
    source = draw_dot(loss, stepper=bp, collapse="neuron").source
    assert all(f">{look.words}</td>" in source for look in STATES.values())


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (3.0, "3.0"), (-0.25, "-0.25"), (2**0.5, "1.41421"), (0.9999999999999996, "1.0"), (1.0000000000000002, "1.0"),
        (99999.99999, "100000.0"), (99999.0, "99999.0"), (1234567.0, "1.23457e+06"), (1e6, "1e+06"),
        (1e-5, "1e-05"), (0.0001, "0.0001"), (-0.0, "0.0"), (math.nan, "nan"), (-math.inf, "-inf"),
    ],
)
def test_the_one_number_format(x: float, text: str) -> None:
    """6 significant digits; scientific below 1e-4 and from 1e6; whole results keep one decimal; never 1 beside 1.0."""
    assert fmt(x) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_number_that_rounds_to_a_whole_one_reads_like_it(x: float) -> None:
    """fmt never prints an integer without a decimal point or exponent (so 0.9999999999999996 and 1.0 read the same)."""
    text = fmt(x)
    assert "." in text or "e" in text
    assert float(text) == pytest.approx(x, rel=1e-5, abs=1e-300) or abs(x) < 1e-300


# ------------------------------------------------------------------------------------------ hostile text

PAYLOADS = [
    '<<TABLE HREF="javascript:alert(1)"><TR><TD>x</TD></TR></TABLE>>',
    "<b>bold</b>",
    '"; label="pwned',
    "ends with a backslash \\",
    "nul\x00byte",
    "\\N \\G \\l \\n",
    "&amp; &#60; &lt;",
    "right\u202eto-left",
    "zero\u200bwidth\u2060joiner\ufeff",
    "{a|b}<port>",
    "]; n0 -> n1; [",
]
#: The layout programs to check with: the graphviz-pure wheel's binary, and the system's dot if installed.
LAYOUTS = [str(Path(sys.executable).parent / "graphviz-pure"), *filter(None, [shutil.which("dot")])]
HOSTILE = st.one_of(
    st.sampled_from(PAYLOADS), st.text(alphabet=st.sampled_from('<>&"\'\\\x00\x01\u202e\u200b|{} aZ'), min_size=1, max_size=12)
)


def _hostile_graph(text: str) -> tuple[Value, list[str]]:
    """A graph where ``text`` is a label, a custom op's name, a group's name and kind, and a lecture name."""
    from autograd import define_op, forget_op

    op_name = f"op{abs(hash(text)) % 10**6}_{text}"
    define_op(op_name, "x", "x * 2.0", ("2.0",))
    try:
        from autograd import apply

        x = Value(1.0, label=text)
        w, b = Value(0.5), Value(0.1)
        set_group([w, b], Group(text, "neuron", Group(text, "layer")))
        from autograd import dot

        y = apply(op_name, dot([w], [x], b).tanh())
    finally:
        forget_op(op_name)
    return y, [text, op_name]


@settings(max_examples=25, deadline=None)
@given(HOSTILE)
def test_hostile_strings_never_become_markup_in_dot_or_svg(text: str) -> None:
    """Labels, op names, group names and lecture names shaped like DOT, HTML-like labels, entities, NUL, bidi: drawn literally.

    The DOT is laid out by graphviz-pure and by the system's Graphviz when there is one; the SVG parses as
    XML, holds no anchor or javascript: link, and shows the printable text of each string.
    """
    y, strings = _hostile_graph(text)
    names = {y: text}
    for collapse in (None, "neuron", "layer"):
        source = draw_dot(y, names=names, collapse=collapse).source
        for command in LAYOUTS:
            svg = subprocess.run([command, "-Tsvg"], input=source.encode(), capture_output=True, check=True).stdout.decode()
            _check_svg(svg, strings if collapse is None else [])
    listing = tree(y, names=names)
    assert printable(text) in listing and "\x00" not in listing and "\u202e" not in listing


def _check_svg(svg: str, strings: list[str]) -> None:
    """The SVG parses as XML, has no link or javascript: anywhere, and shows each string's printable text."""
    root = ET.fromstring(svg)
    assert not any(el.tag.endswith("}a") for el in root.iter())
    assert "javascript:" not in " ".join(v for el in root.iter() for v in el.attrib.values())
    shown = "".join(el.text or "" for el in root.iter() if el.tag.endswith("}text"))
    for s in strings:
        # Graphviz may break a long label at spaces: compare without whitespace.
        assert re.sub(r"\s", "", printable(s)) in re.sub(r"\s", "", shown), (s, shown)


def test_bidi_and_zero_width_characters_are_made_visible() -> None:
    """U+202E and U+200B in a label are shown as \\u202e and \\u200b in text and drawings."""
    x = Value(1.0, label="a\u202eb\u200bc")
    assert "a\\u202eb\\u200bc" in tree(x * 2) and "a\\\\u202eb\\\\u200bc" in draw_dot(x * 2).source


def test_explain_after_plain_backward_on_an_mlp() -> None:
    """micrograd's habit on a real loss: backward(), then explain(p, loss) sums p's uses to p.grad."""
    model, loss = _mlp_loss()
    loss.backward()
    p = model.parameters()[0]
    why = explain(p, loss)
    assert why.total == pytest.approx(p.grad) and why.terms
