"""Tests for autograd.seeing.page: the self-contained backprop page, its data, and the page itself in a real headless Chromium.

The browser tests SKIP with a reason when Playwright or Chromium is missing (see tests/browser.py and
.ci/install-browser.sh); everything that needs no browser is checked here too, so the data the page
replays is verified on any machine.
"""

from __future__ import annotations

import html
import io
import json
import math
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import nn
from autograd import Backprop, Value, explain, to_html, topological_order
from autograd.seeing.numbers import fmt
from autograd.seeing.page import FORMAT, page_data, read_page_data, render_html
from autograd.testing import Expression, expressions
from demos.walkthrough import lecture_expression
from tests.browser import Recorder, chromium_page

# ------------------------------------------------------------------------------------- graphs


def _lecture() -> Value:
    """micrograd's lecture example L = (a*b + c) * f, labelled (the walkthrough demo builds it)."""
    return lecture_expression()["L"]


def _mlp(sizes: list[int]) -> Value:
    """One sample through ``nn.MLP(2, sizes)``: the forward pass of a whole network."""
    model = nn.MLP(2, sizes, seed=0)
    out = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    assert isinstance(out, Value)
    out.label = "out"
    return out


def _build(expr: Expression) -> Value:
    return expr(*[Value(x, label=f"x{i}") for i, x in enumerate(expr.inputs)])


def _same(x: float, y: float) -> bool:
    return x == y or (math.isnan(x) and math.isnan(y))


def _embedded(page: str) -> dict[str, Any]:
    return read_page_data(page)


def _replay(data: dict[str, Any], position: int) -> list[float]:
    """The grads after ``position`` steps, replayed from the JSON alone (as the page's script does)."""
    grads = [float(node["grad0"]) for node in data["nodes"]]
    for step in data["steps"][:position]:
        for edge in step["edges"]:
            grads[edge["parent"]] = float(edge["after"])
    return grads


# ------------------------------------------------------------------------------------- without a browser


@given(expressions())
def test_replaying_the_page_data_gives_the_grads_of_backward(expr: Expression) -> None:
    """Applying every recorded step to the starting grads gives bit-for-bit the grads backward() computes."""
    root = _build(expr)
    data = page_data(root)
    order = topological_order(root)
    root.backward()
    assert [repr(g) for g in _replay(data, len(data["steps"]))] == [repr(float(n.grad)) for n in order]
    assert [node["gradText"] for node in data["nodes"]] == [fmt(n.grad) for n in order]


@given(expressions(), st.data())
def test_page_data_after_n_steps_matches_the_stepper(expr: Expression, draw: st.DataObject) -> None:
    """After any number of steps the replayed grads, and the chain-rule text, are the Python stepper's."""
    root = _build(expr)
    data = page_data(root)
    stepper = Backprop(root)
    n = draw.draw(st.integers(0, len(stepper)), label="steps")
    taken = [stepper.step() for _ in range(n)]
    assert [s["text"] for s in data["steps"][:n]] == [str(step) for step in taken]
    assert [repr(g) for g in _replay(data, n)] == [repr(float(node.grad)) for node in stepper.order]
    # Undoing, as "previous" does, gives the grads one step earlier.
    if n:
        stepper.back()
        assert [repr(g) for g in _replay(data, n - 1)] == [repr(float(node.grad)) for node in stepper.order]


@given(expressions())
def test_making_page_data_leaves_every_grad_as_it_was(expr: Expression) -> None:
    """page_data puts every grad back, even after an earlier backward() left some behind."""
    root = _build(expr)
    root.backward()
    order = topological_order(root)
    before = [repr(float(n.grad)) for n in order]
    page_data(root)
    assert [repr(float(n.grad)) for n in order] == before


def test_rendering_a_page_leaves_every_grad_as_it_was() -> None:
    """render_html (which also draws the graph mid-way) restores every grad, here after two backward() calls."""
    root = _lecture()
    root.backward()
    root.backward()
    order = topological_order(root)
    before = [float(n.grad) for n in order]
    page = render_html(root)
    assert [float(n.grad) for n in order] == before
    # The page replays backward() from those accumulated leaf grads, as Backprop(root) would.
    assert _embedded(page)["nodes"][0]["gradText"] == fmt(3 * before[0] / 2)


def test_the_page_fetches_nothing_and_embeds_everything() -> None:
    """One file: no external script, stylesheet, image or font; the SVG, data, script and style are inline."""
    page = render_html(_lecture(), title="lecture")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 1 and "<style>" in page and page.count("<script") == 2
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert not re.search(r"<link[^>]*stylesheet", page)
    assert not re.search(r"@import|url\(", page)
    # Every href/src is an inline data: URL; the only http strings are XML namespace and DTD names.
    for attribute in re.findall(r'\b(?:href|src)="([^"]*)"', page):
        assert attribute.startswith("data:"), attribute
    for url in re.findall(r"https?://[^\s\"'<>]+", page):
        assert url.startswith("http://www.w3.org/"), url


def test_every_drawn_record_has_its_grad_field_tagged_for_the_script() -> None:
    """Each node's record carries exactly one grad <text> marked with its index and the words before the number."""
    root = _lecture()
    page = render_html(root)
    tagged = re.findall(r'<text [^>]*class="vg-grad" data-node="(\d+)" data-prefix="([^"]*)"[^>]*>([^<]*)</text>', page)
    assert sorted(int(i) for i, _, _ in tagged) == list(range(len(topological_order(root))))
    for _, prefix, text in tagged:
        assert prefix == "grad " and html.unescape(text).startswith(prefix)


def test_the_data_is_valid_json_with_the_documented_format() -> None:
    """The embedded record parses as JSON, names its format, and lists the nodes in topological order."""
    root = _lecture()
    data = _embedded(render_html(root))
    assert data["format"] == FORMAT
    assert [n["name"] for n in data["nodes"]] == ["a", "b", "e", "c", "d", "f", "L"]
    assert data["nodes"][data["root"]]["name"] == "L"
    assert [data["nodes"][s["node"]]["name"] for s in data["steps"]] == ["L", "d", "e"]


def test_labels_cannot_break_out_of_the_page() -> None:
    """A label with </script>, quotes and HTML is shown as text: the data still parses and holds it verbatim."""
    evil = "</script><script>alert(1)</script><!-- \"q\" & 'x'"
    x = Value(2.0, label=evil)
    y = x * x
    y.label = "y"
    page = render_html(y, title=evil)
    assert "<script>alert(1)" not in page
    assert _embedded(page)["nodes"][0]["label"] == evil


def test_non_finite_numbers_travel_as_strings() -> None:
    """inf and nan (which JSON cannot hold) are sent as "Infinity"/"NaN", which JavaScript's Number() reads back."""
    x = Value(1e308, label="x")
    y = x * 10.0
    y.label = "y"
    z = y - y
    z.label = "z"
    data = _embedded(render_html(z))
    by_name = {n["name"]: n for n in data["nodes"]}
    assert by_name["y"]["data"] == "Infinity" and by_name["z"]["data"] == "NaN"


def test_to_html_writes_atomically_and_readably(tmp_path: Path) -> None:
    """The file is replaced in one step with the usual permissions, and no temporary file is left behind."""
    target = tmp_path / "sub" / "page.html"
    assert to_html(_lecture(), target) == target
    first = target.read_text(encoding="utf-8")
    assert "Backprop through L" in first
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # not mkstemp's private 0600
    to_html(_lecture(), target, title="second")
    assert "second" in target.read_text(encoding="utf-8")
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]


def test_a_label_utf8_cannot_encode_is_written_as_an_escape(tmp_path: Path) -> None:
    """A lone surrogate in a label (UTF-8 cannot encode it; writing the page failed) reads as \\ud800 on the page."""
    target = tmp_path / "page.html"
    bad = Value(1.0, label="\ud800")
    to_html(bad * 2.0, target)
    data = _embedded(target.read_text(encoding="utf-8"))
    assert data["nodes"][0]["name"] == data["nodes"][0]["label"] == "\\ud800"


def test_collapsed_neurons_point_each_hidden_node_at_its_box() -> None:
    """With collapse="neuron", nodes inside a neuron are highlighted on that neuron's box, which shows its output's grad."""
    root = _mlp([3, 1])
    page = render_html(root, collapse="neuron")
    data = _embedded(page)
    drawn = set(re.findall(r'<g id="([^"]+)" class="node"', page))
    boxes = {n["svg"] for n in data["nodes"] if n["name"].startswith("layers.")}
    assert boxes == {f"neuron_layers_{i}_neurons_{j}" for i, j in ((0, 0), (0, 1), (0, 2), (1, 0))}
    assert all(n["svg"] in drawn for n in data["nodes"] if n["svg"] is not None)
    # Every step's node is shown somewhere, so every step highlights something.
    assert all(data["nodes"][s["node"]]["svg"] is not None for s in data["steps"])


# ------------------------------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def browser() -> Iterator[tuple[Any, Recorder]]:
    """One headless Chromium page for the module (skips every browser test, with the reason, if there is none)."""
    with chromium_page() as opened:
        yield opened


def _open(browser: tuple[Any, Recorder], path: Path) -> Any:
    page, recorder = browser
    recorder.requests.clear()
    recorder.console_errors.clear()
    recorder.page_errors.clear()
    page.goto(path.as_uri())
    page.wait_for_selector(".vg-page[data-position]")
    return page


def _shown(page: Any) -> dict[int, tuple[str, str]]:
    """What each tagged grad field shows: node index -> (text, the number in data-grad)."""
    rows = page.eval_on_selector_all(
        "text.vg-grad", "els => els.map(e => [e.getAttribute('data-node'), e.textContent, e.getAttribute('data-grad')])"
    )
    return {int(i): (text, number) for i, text, number in rows}


def _assert_shows(page: Any, order: list[Value], nodes: list[dict[str, Any]]) -> None:
    """The page shows, for every tagged node, the grad the Python graph holds now (number and text)."""
    shown = _shown(page)
    assert shown, "no grad field on the page"
    for i, (text, number) in shown.items():
        grad = float(order[i].grad)
        assert _same(float(number), grad), (nodes[i]["name"], number, grad)
        assert text == "grad " + fmt(grad), (nodes[i]["name"], text)


def _position(page: Any) -> int:
    return int(page.get_attribute(".vg-page", "data-position"))


@pytest.mark.browser
def test_the_page_loads_without_errors_or_network(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """Opened from disk, the page logs no console or script error and requests nothing but itself."""
    path = to_html(_lecture(), tmp_path / "lecture.html")
    page = _open(browser, path)
    page.click(".vg-next")
    page.click("#n0")
    _, recorder = browser
    assert recorder.console_errors == [] and recorder.page_errors == []
    assert recorder.requests == [path.as_uri()]
    assert page.inner_text(".vg-position").startswith("step 1 / 3")


@pytest.mark.browser
def test_the_request_recorder_sees_a_page_that_uses_the_network(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """The no-network check can fail: a page with a remote image is caught (and the request aborted)."""
    path = tmp_path / "remote.html"
    path.write_text('<!DOCTYPE html><body><img src="http://valuegrad.invalid/x.png"><script>1</script></body>', encoding="utf-8")
    page, recorder = browser
    recorder.requests.clear()
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    assert "http://valuegrad.invalid/x.png" in recorder.requests


@pytest.mark.browser
def test_next_n_times_shows_the_grads_of_the_stepper_after_n_steps(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """Pressing "next" N times shows exactly the grads (and chain-rule line) of Backprop after N steps, for every N."""
    root = _lecture()
    path = to_html(root, tmp_path / "lecture.html")
    nodes = page_data(root)["nodes"]
    page = _open(browser, path)
    stepper = Backprop(root)
    _assert_shows(page, stepper.order, nodes)
    while not stepper.done:
        step = stepper.step()
        page.click(".vg-next")
        assert _position(page) == stepper.position
        _assert_shows(page, stepper.order, nodes)
        assert page.inner_text(".vg-chain") == str(step)
        # The node just processed and its op are highlighted; so are the edges into the op.
        ident = f"n{stepper.order.index(step.node)}"
        assert "vg-s-current" in page.get_attribute(f"#{ident}", "class")
        assert "vg-s-current" in page.get_attribute(f"#{ident}_op", "class")
        for k in range(len(step.node.parents)):
            assert "vg-active" in page.get_attribute(f"#{ident}_in{k}", "class")
    assert page.is_disabled(".vg-next") and page.is_disabled(".vg-end")


@pytest.mark.browser
def test_end_shows_backward_and_previous_undoes_a_step(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """ "end" shows the grads of backward(); "previous" shows the stepper's state one step back; "start" the first."""
    root = _lecture()
    path = to_html(root, tmp_path / "lecture.html")
    nodes = page_data(root)["nodes"]
    page = _open(browser, path)
    order = topological_order(root)
    page.click(".vg-end")
    root.backward()
    _assert_shows(page, order, nodes)
    assert _position(page) == 3

    root.zero_grad()  # the page started from zero grads, so the stepper must too
    stepper = Backprop(root)
    stepper.run()
    page.click(".vg-prev")
    stepper.back()
    assert _position(page) == 2
    _assert_shows(page, order, nodes)
    page.click(".vg-start")
    while stepper.position:
        stepper.back()
    assert _position(page) == 0
    _assert_shows(page, order, nodes)


@pytest.mark.browser
def test_keyboard_and_slider_move_like_the_buttons(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """Arrow keys step, Home/End jump, the slider sets the position, and each shows the same grads as the buttons."""
    root = _lecture()
    path = to_html(root, tmp_path / "lecture.html")
    page = _open(browser, path)
    states = []
    for _ in range(3):
        states.append(_shown(page))
        page.click(".vg-next")
    states.append(_shown(page))
    page.keyboard.press("Home")
    assert _position(page) == 0 and _shown(page) == states[0]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert _position(page) == 2 and _shown(page) == states[2]
    page.keyboard.press("ArrowLeft")
    assert _position(page) == 1 and _shown(page) == states[1]
    page.keyboard.press("End")
    assert _position(page) == 3 and _shown(page) == states[3]
    page.fill(".vg-slider", "1")
    assert _position(page) == 1 and _shown(page) == states[1]
    # Keys pressed while the slider has focus act once, not twice (the slider would move on its own too).
    page.focus(".vg-slider")
    page.keyboard.press("ArrowRight")
    assert _position(page) == 2


@pytest.mark.browser
def test_play_runs_to_the_end_and_stops(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """Play (button or space) steps on its own at the chosen speed until the last step, then shows "play" again."""
    root = _lecture()
    path = to_html(root, tmp_path / "lecture.html")
    page = _open(browser, path)
    page.select_option(".vg-speed", "10")
    page.click(".vg-play")
    assert page.inner_text(".vg-play") == "pause"
    page.wait_for_selector(".vg-page[data-position='3']")
    page.wait_for_selector(".vg-play[aria-label='play']")
    page.keyboard.press("Space")  # at the end, play starts over from the beginning
    page.wait_for_selector(".vg-page[data-position='3']")
    root.backward()
    _assert_shows(page, topological_order(root), page_data(root)["nodes"])


@pytest.mark.browser
def test_clicking_a_node_shows_its_numbers_and_explanation(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """A click on a record shows its label, op, data, grad and the text of explain() for it."""
    root = _lecture()
    path = to_html(root, tmp_path / "lecture.html")
    page = _open(browser, path)
    page.click(".vg-end")
    order = topological_order(root)
    root.backward()
    for name in ("a", "e", "L"):
        node = next(n for n in order if n.label == name)
        page.click(f"#n{order.index(node)}")
        details = page.inner_text(".vg-node")
        assert page.inner_text(".vg-node .vg-explain") == str(explain(node, root))
        for expected in (name, node.op or "leaf", fmt(node.data), fmt(node.grad)):
            assert expected in details


@pytest.mark.browser
def test_a_whole_mlp_steps_to_the_grads_of_backward(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """MLP(2, [16, 16, 1]) drawn in full: every grad field matches the stepper halfway and backward() at the end."""
    root = _mlp([16, 16, 1])
    path = to_html(root, tmp_path / "mlp.html", collapse=None)
    nodes = page_data(root)["nodes"]
    page = _open(browser, path)
    _, recorder = browser
    stepper = Backprop(root)
    half = len(stepper) // 2
    page.fill(".vg-slider", str(half))
    for _ in range(half):
        stepper.step()
    _assert_shows(page, stepper.order, nodes)
    assert len(_shown(page)) == len(stepper.order)
    page.keyboard.press("End")
    stepper.run()
    _assert_shows(page, stepper.order, nodes)
    assert recorder.console_errors == [] and recorder.page_errors == []


@pytest.mark.browser
def test_a_collapsed_mlp_highlights_boxes_and_pans_and_zooms(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """MLP(2, [16, 16, 1]) collapsed by neuron: steps light up boxes showing their output's grad; the view pans and zooms."""
    root = _mlp([16, 16, 1])
    path = to_html(root, tmp_path / "mlp.html", collapse="neuron")
    data = page_data(root)
    page = _open(browser, path)
    page.click(".vg-next")
    assert page.locator("g.node.vg-s-current").count() == 1
    assert page.get_attribute("g.node.vg-s-current", "id") == "neuron_layers_2_neurons_0"
    page.click(".vg-end")
    root.backward()
    _assert_shows(page, topological_order(root), data["nodes"])
    assert len(_shown(page)) > 32  # the 2 inputs and every one of the 33 neurons' boxes

    viewbox = page.get_attribute(".vg-graph", "viewBox")
    page.click(".vg-fit")
    fitted = page.get_attribute(".vg-graph", "viewBox")
    page.click(".vg-zoom-in")
    zoomed = page.get_attribute(".vg-graph", "viewBox")
    assert float(zoomed.split()[2]) < float(fitted.split()[2]) and viewbox is not None
    box = page.locator(".vg-viewport").bounding_box()
    page.mouse.move(box["x"] + 100, box["y"] + 300)
    page.mouse.wheel(0, 300)
    assert float(page.get_attribute(".vg-graph", "viewBox").split()[2]) > float(zoomed.split()[2])
    before_drag = page.get_attribute(".vg-graph", "viewBox")
    page.mouse.down()
    page.mouse.move(box["x"] + 250, box["y"] + 350, steps=5)
    page.mouse.up()
    after = page.get_attribute(".vg-graph", "viewBox").split()
    assert float(after[0]) < float(before_drag.split()[0])  # dragged right: the view moved left
    page.click("g.node#neuron_layers_0_neurons_3")
    assert "layers.0.neurons.3" in page.inner_text(".vg-node")


@pytest.mark.browser
def test_a_screenshot_of_the_page_is_not_blank(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """The rendered graph has real contrast: the viewport's pixels vary and a fair share is not background."""
    from matplotlib import image

    path = to_html(_lecture(), tmp_path / "lecture.html")
    page = _open(browser, path)
    page.click(".vg-next")
    pixels = image.imread(io.BytesIO(page.locator(".vg-viewport").screenshot()), format="png")
    grey = pixels[..., :3].mean(axis=2)
    assert grey.std() > 0.05, grey.std()
    assert (grey < 0.9).mean() > 0.01


def test_the_demo_writes_three_identical_pages_every_run(tmp_path: Path) -> None:
    """demos.webpage writes the walkthrough, the small network and the whole MLP; a second run gives the same bytes."""
    from demos.webpage import write_pages

    first = write_pages(tmp_path / "one")
    second = write_pages(tmp_path / "two")
    assert [p.name for p in first] == ["walkthrough.html", "network.html", "mlp.html"]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name
    walkthrough = _embedded(first[0].read_text(encoding="utf-8"))
    assert [n["name"] for n in walkthrough["nodes"]] == ["a", "b", "e", "c", "d", "f", "L"]
    assert _embedded(first[1].read_text(encoding="utf-8"))["nodes"][-1]["name"] == "loss"


# ------------------------------------------------------------------------------------- sizes, scope, odd labels


def _chain(n: int) -> Value:
    """A chain of ``n`` unary ops (tanh and * 1.0001 in turn): about 1.5 n nodes."""
    y = Value(0.5, label="x")
    for i in range(n):
        y = y * 1.0001 if i % 2 else y.tanh()
    return y


def test_making_a_page_walks_the_graph_a_linear_number_of_times(monkeypatch: pytest.MonkeyPatch) -> None:
    """page_data of a 10x longer chain reads nodes' parents at most ~11x as often (explain scanned the graph per node)."""
    reads = [0]
    original: Any = Value.__dict__["parents"]

    def counted(self: Value) -> tuple[Value, ...]:
        reads[0] += 1
        parents: tuple[Value, ...] = original.__get__(self, type(self))  # a property, or the C engine's getset
        return parents

    monkeypatch.setattr(Value, "parents", property(counted))
    counts = []
    for n in (200, 2000):
        root = _chain(n)
        reads[0] = 0
        page_data(root)
        counts.append(reads[0])
    assert counts[1] <= 11 * counts[0], counts


def test_the_css_is_scoped_to_the_page() -> None:
    """Every rule of the page's stylesheet starts with .vg-page: embedded in a notebook, it restyles nothing else."""
    from autograd.seeing.page import _asset

    css = re.sub(r"/\*.*?\*/", "", _asset("page.css"), flags=re.DOTALL)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", css) for s in block.split(",")]
    assert len(selectors) > 40
    assert [s for s in selectors if not s.startswith((".vg-page", "@container vgpage"))] == []


def test_the_page_has_one_legend_for_node_kinds_and_step_states() -> None:
    """The drawing carries no legend of its own; the page's legend lists the kinds present and every step state."""
    page = render_html(_mlp([2, 1]), collapse="neuron")
    assert 'id="legend"' not in page
    legend = re.search(r'<div class="vg-legend">(.*?)\n    </div>', page, re.DOTALL)
    assert legend is not None
    kinds = re.findall(r'<span class="vg-kind"[^>]*>([^<]*)</span>', legend.group(1))
    assert kinds == ["input", "output", "neuron (one box)"]
    lecture = render_html(_lecture())
    assert re.findall(r'<span class="vg-kind"[^>]*>([^<]*)</span>', lecture) == ["input", "intermediate", "output"]
    for state in ("processing", "grad updated", "done", "next", "grad not final yet"):
        assert f">{state}</span>" in legend.group(1)


def test_odd_labels_show_literally_and_keep_the_svg_valid_xml() -> None:
    """NUL, &amp;, &#60;, &#1;, U+FFFE, newline, tab in labels: the page renders, its SVG is XML, names read literally."""
    import xml.etree.ElementTree as ET

    labels = ["nul\x00", "&amp;", "&#60;", "&#1;", "x\ufffe", "a\nb", "t\tt"]
    nodes = [Value(float(i), label=label) for i, label in enumerate(labels)]
    root = nodes[0]
    for node in nodes[1:]:
        root = root * node
    page = render_html(root)
    svg = re.search(r"<svg\b.*?</svg>", page, re.DOTALL)
    assert svg is not None
    texts = ["".join(t.itertext()) for t in ET.fromstring(svg.group(0)).iter("{http://www.w3.org/2000/svg}text")]
    shown = ["nul\\x00", "&amp;", "&#60;", "&#1;", "x\\ufffe", "a\\nb", "t\\tt"]
    assert all(name in texts for name in shown), texts
    data = _embedded(page)
    assert [n["name"] for n in data["nodes"] if n["op"] == ""] == shown
    assert "mul#" in data["steps"][0]["text"] or "nul\\x00" in data["steps"][-1]["text"]


def test_a_huge_graph_is_paged_without_a_drawing() -> None:
    """Above DRAW_LIMIT drawn nodes the page leaves the drawing out (and says so) but keeps every step."""
    from autograd.seeing.page import DRAW_LIMIT

    root = _chain(DRAW_LIMIT)
    page = render_html(root)
    assert "<svg" not in page and "too many, or too tangled, to lay out" in page
    assert len(_embedded(page)["steps"]) == DRAW_LIMIT


def _fan_out(n: int) -> Value:
    """y = y * w + x, n times: one leaf feeding every step, the shape Graphviz lays out slowest (minutes at ~600 nodes)."""
    w, x = Value(0.5, label="w"), Value(0.1, label="x")
    y = Value(1.0, label="y")
    for _ in range(n):
        y = y * w + x
    return y


def test_a_layout_over_its_time_budget_leaves_the_drawing_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """A graph far below DRAW_LIMIT whose layout overruns DRAW_SECONDS gets the text page, not a hang (issue 12.7)."""
    import autograd.seeing.page

    root = _fan_out(150)  # 453 drawn nodes; its layout takes seconds here, far over the budget below
    monkeypatch.setattr(autograd.seeing.page, "DRAW_SECONDS", 0.01)
    page = render_html(root)
    assert "<svg" not in page and "within 0.01 s" in page
    assert len(_embedded(page)["steps"]) == 2 * 150
    monkeypatch.undo()
    assert "<svg" in render_html(_fan_out(3))  # a small one is still drawn within the default budget


def test_pipe_stops_a_layout_at_its_timeout() -> None:
    """pipe(timeout=) kills Graphviz and raises LayoutTimeout naming the limit, instead of waiting for it."""
    from autograd.seeing.draw import LayoutTimeout, draw_dot, pipe

    with pytest.raises(LayoutTimeout, match=r"longer than 0.01 s"):
        pipe(draw_dot(_fan_out(150)).source, "svg", timeout=0.01)


_OVERFLOWING_LINES = """root => Array.from(root.querySelectorAll('.vg-chain, .vg-log pre'))
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""

_TEXT_SIZES = """svg => Array.from(svg.querySelectorAll('g.node text')).map(
    t => Number(t.getAttribute('font-size')) * t.getScreenCTM().a)"""

# Texts of records (name, data, grad) wider than their box, in graph units (after the page fitted them).
_OVERFLOWING_NUMBERS = """svg => Array.from(svg.querySelectorAll('g.node')).flatMap(g => {
    const outline = g.querySelector('polygon, ellipse, path');
    if (!outline) return [];
    const box = outline.getBBox();
    return Array.from(g.querySelectorAll('text')).filter(t => {
        const b = t.getBBox();
        return b.x < box.x - 0.5 || b.x + b.width > box.x + box.width + 0.5;
    }).map(t => t.textContent);
})"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)])
def test_the_page_reads_well_on_a_laptop_screen(browser: tuple[Any, Recorder], size: tuple[int, int], tmp_path: Path) -> None:
    """At 1280x720 and 1366x768: step lines wrap (nothing hidden), small graphs open with text >= 11 px, numbers fit."""
    from demos.webpage import small_network

    pages = {
        "lecture": to_html(_lecture(), tmp_path / "lecture.html"),
        "mlp": to_html(_mlp([4, 1]), tmp_path / "mlp.html"),  # the page: 18 of 68 numbers overflowed
        "mlp8": to_html(_mlp([8, 1]), tmp_path / "mlp8.html"),  # 53 nodes
        "network": to_html(small_network(0, [4, 4, 1]), tmp_path / "network.html"),
    }
    page, recorder = browser
    recorder.console_errors.clear()
    recorder.page_errors.clear()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    try:
        for name, path in pages.items():
            page.goto(path.as_uri())
            page.wait_for_selector(".vg-page[data-position]")
            root = page.locator(".vg-page")
            svg = page.locator(".vg-graph")
            if name != "network":  # the ~50-node graphs (the network has 110)
                sizes = svg.evaluate(_TEXT_SIZES)
                assert min(sizes) >= 11, (name, min(sizes))
            total = int(page.get_attribute(".vg-slider", "max"))
            # Every position of the small graphs; the network's longest lines are all in the log at the end.
            positions = range(total + 1) if name != "network" else [0, total // 2, total]
            for position in positions:
                page.fill(".vg-slider", str(position))
                assert root.evaluate(_OVERFLOWING_LINES) == [], (name, position)
                assert svg.evaluate(_OVERFLOWING_NUMBERS) == [], (name, position)
            assert page.locator(".vg-log pre").count() == total
        assert recorder.console_errors == [] and recorder.page_errors == []
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})  # the module's page, as the other tests expect it


def test_the_drawing_and_the_page_print_numbers_alike() -> None:
    """Every record's data and grad field in the page's drawing reads exactly as fmt prints them, as the live updates do."""
    root = _mlp([4, 1])
    page = render_html(root)
    data = _embedded(page)
    texts = [html.unescape(t) for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", page)]
    for node in data["nodes"]:
        assert f"data {node['dataText']}" in texts, node["name"]
    tagged = re.findall(r'<text [^>]*class="vg-grad" data-node="(\d+)"[^>]*>([^<]*)</text>', page)
    assert len(tagged) == len(data["nodes"])
    for i, text in tagged:
        assert html.unescape(text) == "grad " + data["nodes"][int(i)]["grad0Text"]


def test_a_page_of_a_wide_sum_grows_linearly() -> None:
    """One input used by every term of a big sum: 10x the terms gives at most ~11x the page data (each use quoted the sum)."""
    from autograd import vsum

    sizes = []
    for n in (100, 1000):
        x = Value(0.5, label="x")
        root = vsum([x * (1.0 + i / n) for i in range(n)])
        sizes.append(len(json.dumps(page_data(root))))
    assert sizes[1] <= 11 * sizes[0], sizes


@pytest.mark.browser
def test_a_page_without_a_drawing_still_steps(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """draw=False (what a graph over DRAW_LIMIT gets): the buttons, step lines and log work, with no script error."""
    root = _lecture()
    path = to_html(root, tmp_path / "plain.html", draw=False)
    page = _open(browser, path)
    _, recorder = browser
    steps = Backprop(root).run()
    for step in steps:
        page.click(".vg-next")
        assert page.inner_text(".vg-chain") == str(step)
    assert page.locator(".vg-log pre").count() == len(steps)
    page.keyboard.press("Home")
    assert _position(page) == 0 and page.locator(".vg-log pre").count() == 0
    assert "No drawing (draw=False)" in page.inner_text(".vg-viewport")
    assert recorder.console_errors == [] and recorder.page_errors == []


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=12))
def test_any_label_renders_as_valid_xml_and_reads_literally(label: str) -> None:
    """Whatever text a label holds, the page is made, its SVG is valid XML, and the label's printable form is drawn."""
    import xml.etree.ElementTree as ET

    from autograd.seeing.text import printable

    assume(printable(label).strip() != "y")  # the output's own label: two nodes so named are told apart as y[n0]
    x = Value(1.5, label=label or "x")
    y = x * 2.0
    y.label = "y"
    page = render_html(y)
    svg = re.search(r"<svg\b.*?</svg>", page, re.DOTALL)
    assert svg is not None
    texts = ["".join(t.itertext()) for t in ET.fromstring(svg.group(0)).iter("{http://www.w3.org/2000/svg}text")]
    # (Graphviz trims the spaces around a record field's text, as it does for every label.)
    assert printable(label or "x").strip() in [t.strip() for t in texts]


# ------------------------------------------------------------------------------------- screens, both Graphviz layouts


@pytest.fixture(params=["graphviz-pure", "system dot"])
def layout(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Draw with graphviz-pure, then with Debian's system dot (their layouts differ: the page must cope with both)."""
    import autograd.seeing.draw as draw
    from tests.browser import layout_programs

    program = layout_programs()[request.param]
    if program is None:
        pytest.skip(f"{request.param} is not installed (.ci/install-browser.sh installs Debian's graphviz)")
    monkeypatch.setattr(draw, "graphviz_command", lambda: program)
    return str(request.param)


@contextmanager
def _sized(browser: tuple[Any, Recorder], size: tuple[int, int]) -> Iterator[tuple[Any, Recorder]]:
    """The module's Chromium page at another window size (one Playwright per module), put back afterwards."""
    page, recorder = browser
    recorder.console_errors.clear()
    recorder.page_errors.clear()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    try:
        yield page, recorder
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})


def _neuron() -> Value:
    from demos.graphs import lecture_neuron

    return lecture_neuron()


# Every record's and op node's screen box, and the drawing's: does each lie inside, and how big is the text?
_NODE_BOXES = """root => {
    const port = root.querySelector('.vg-viewport').getBoundingClientRect();
    return Array.from(root.querySelectorAll('g.node')).map(g => {
        const r = g.getBoundingClientRect();
        const inside = r.left >= port.left - 1 && r.right <= port.right + 1
            && r.top >= port.top - 1 && r.bottom <= port.bottom + 1;
        const px = Math.min(...Array.from(g.querySelectorAll('text')).map(
            t => Number(t.getAttribute('font-size')) * t.getScreenCTM().a));
        return [g.id, inside, px];
    });
}"""


@pytest.mark.browser
@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)])
def test_small_graphs_open_whole_and_readable_on_a_laptop(
    browser: tuple[Any, Recorder], layout: str, size: tuple[int, int], tmp_path: Path
) -> None:
    """At 1280x720 and 1366x768, with either Graphviz, the lecture expression and the neuron open whole with text >= 11 px."""
    with _sized(browser, size) as (page, recorder):
        for name, root in (("lecture", _lecture()), ("neuron", _neuron())):
            path = to_html(root, tmp_path / f"{name}.html")
            page.goto(path.as_uri())
            page.wait_for_selector(".vg-page[data-position]")
            boxes = page.locator(".vg-page").evaluate(_NODE_BOXES)
            assert len(boxes) >= 7, (name, boxes)
            outside = [ident for ident, inside, _ in boxes if not inside]
            assert outside == [], (layout, name, "off-screen at the start", outside)
            smallest = min(px for _, _, px in boxes)
            assert smallest >= 11, (layout, name, smallest)
        assert recorder.console_errors == [] and recorder.page_errors == []


@pytest.mark.browser
def test_on_a_phone_the_page_stacks_and_pinches(browser: tuple[Any, Recorder], layout: str, tmp_path: Path) -> None:
    """At 390x844: graph on top (>= 40 % of the height), step text below, thumb-size controls, no sideways scroll, pinch."""
    path = to_html(_neuron(), tmp_path / "neuron.html")
    with _sized(browser, (390, 844)) as (page, recorder):
        session = page.context.new_cdp_session(page)
        session.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 2})
        page.goto(path.as_uri())
        page.wait_for_selector(".vg-page[data-position]")
        port = page.locator(".vg-viewport").bounding_box()
        chain = page.locator(".vg-chain").bounding_box()
        nxt = page.locator("button.vg-next").bounding_box()
        assert port["height"] >= 0.4 * 844 and port["y"] < chain["y"], (port, chain)
        assert port["width"] <= 390 and chain["width"] <= 390
        assert nxt["y"] >= 844 / 2 and nxt["y"] + nxt["height"] <= 844 and nxt["height"] >= 36, nxt
        assert page.evaluate("document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")
        page.click("button.vg-next")
        assert _position(page) == 1
        # Two fingers moving apart zoom in: the viewBox gets narrower.
        before = float(page.get_attribute(".vg-graph", "viewBox").split()[2])
        cx, cy = port["x"] + port["width"] / 2, port["y"] + port["height"] / 2

        def touch(kind: str, spread: float) -> None:
            points = [{"x": cx - spread, "y": cy, "id": 1}, {"x": cx + spread, "y": cy, "id": 2}]
            session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [] if kind == "touchEnd" else points})

        touch("touchStart", 20)
        for spread in (40, 60, 80, 100):
            touch("touchMove", spread)
        touch("touchEnd", 100)
        after = float(page.get_attribute(".vg-graph", "viewBox").split()[2])
        session.send("Emulation.setTouchEmulationEnabled", {"enabled": False})
        assert after < before * 0.6, (before, after)
        assert recorder.console_errors == [] and recorder.page_errors == []


def _network_loss(samples: int, sizes: list[int]) -> Value:
    """The squared error of ``MLP(2, sizes)`` over ``samples`` fixed points (the benchmark's graph)."""
    from benchmarks.pages import network_loss

    if sizes == [16, 16, 1]:
        return network_loss(samples)
    model = nn.MLP(2, sizes, seed=0)
    xs = [[0.5, -1.0], [-0.3, 0.8], [0.9, 0.1]][:samples]
    predictions = [model([Value(a), Value(b)]) for a, b in xs]
    loss = nn.losses.mse(predictions, [1.0, -1.0, 1.0][:samples])
    loss.label = "loss"
    return loss


# Everything one "next" changes in the page, counted by a MutationObserver (not by the page's own code).
_COUNT_STEP = """root => new Promise(resolve => {
    const touched = new Set();
    const observer = new MutationObserver(records => records.forEach(r => touched.add(r.target)));
    observer.observe(root, {subtree: true, attributes: true, childList: true, characterData: true});
    root.querySelector('.vg-next').click();
    setTimeout(() => {
        observer.takeRecords().forEach(r => touched.add(r.target));
        observer.disconnect();
        resolve(touched.size);
    }, 0);
})"""


@pytest.mark.browser
@pytest.mark.slow
def test_a_step_touches_the_same_number_of_elements_at_step_5_and_step_1000(
    browser: tuple[Any, Recorder], tmp_path: Path
) -> None:
    """A step changes only what it changes: the elements touched are bounded by the step's own size, at any position."""
    root = _network_loss(20, [16, 16, 1])
    path = to_html(root, tmp_path / "mlp.html")
    data = read_page_data(path.read_text(encoding="utf-8"))
    assert data["collapse"] in ("neuron", "layer")  # big: drawn as boxes by default
    assert path.stat().st_size <= 2_000_000
    with _sized(browser, (1366, 768)) as (page, recorder):
        page.goto(path.as_uri())
        page.wait_for_selector(".vg-page[data-position]", timeout=60_000)
        root_el = page.locator(".vg-page")
        counts: dict[int, tuple[int, int]] = {}
        for first in (0, 1000):
            page.fill(".vg-slider", str(first))
            for _ in range(10):
                position = _position(page)
                # The marks of the step before are taken off as this step's go on: both steps' sizes count.
                edges = len(data["steps"][position]["edges"]) + (len(data["steps"][position - 1]["edges"]) if position else 0)
                counts[position + 1] = (root_el.evaluate(_COUNT_STEP), edges)
        assert recorder.page_errors == []
    # Each step: its node and op (current), the next one, each parent's record, grad text and edge, the
    # close-up's rows (at most 12), the log's one line in and one out, the position texts and buttons.
    # Plus the records whose grad becomes final at that step (each changes state once in the whole pass).
    finals = [0] * (len(data["steps"]) + 2)
    for node in data["nodes"]:
        finals[node["final"]] += 1
    over = {s: (n, e) for s, (n, e) in counts.items() if n > 4 * min(e, 12) + 3 * e + 2 * finals[s] + 40}
    assert over == {}, counts
    early = max(n - 3 * e for s, (n, e) in counts.items() if s <= 10)
    late = max(n - 3 * e for s, (n, e) in counts.items() if s > 1000)
    assert late <= early + 12, counts


# ------------------------------------------------------------------------------------- nothing gets in

_PAYLOADS = [
    '<<TABLE><TR><TD HREF="javascript:window.__pwned=1">x</TD></TR></TABLE>>',
    '<<TABLE HREF="javascript:window.__pwned=1"><TR><TD>click</TD></TR></TABLE>>',
    '<img src=x onerror="window.__pwned=1">',
    '"><svg onload="window.__pwned=1">',
    "</script><script>window.__pwned=1</script>",
    "javascript:window.__pwned=1",
    '<a href="javascript:window.__pwned=1">link</a>',
    "{{SCRIPT}} {{DATA}} ]]> <!-- -->",
    "x\\",
    "nul\x00here",
    "\u202egnp.exe\u2066bidi\u2069\u200b",
    "' onmouseover='window.__pwned=1' x='",
    "style=\"background:url(javascript:window.__pwned=1)\"",
]

_HOSTILE = st.one_of(
    st.sampled_from(_PAYLOADS),
    st.text(alphabet=st.sampled_from(list("<>&\"'\\/=:;{}|[] \x00\x01\x1b\u202e\u2066\u200bab")), min_size=1, max_size=16),
)

# Anything in the page's DOM that could run or navigate: links, event attributes, javascript: anywhere.
_DANGEROUS = """() => Array.from(document.querySelectorAll('*')).flatMap(e => Array.from(e.attributes)
    .filter(a => a.name === 'href' && !a.value.startsWith('data:') || a.name === 'xlink:href' || a.name.startsWith('on')
        || /javascript:/i.test(a.value))
    .map(a => e.tagName + ' ' + a.name + '=' + a.value))"""


@pytest.mark.browser
@pytest.mark.slow
@settings(max_examples=12, deadline=None)
@given(label=_HOSTILE, op=_HOSTILE, title=_HOSTILE)
def test_hostile_labels_op_names_and_titles_never_run_and_show_literally(
    browser: tuple[Any, Recorder], label: str, op: str, title: str
) -> None:
    """Known payloads, random text with <>&\"'\\, NUL, control and bidi characters: nothing runs, every label reads literally."""
    import tempfile

    from autograd.custom import define_op, forget_op
    from autograd.seeing.quoting import printable
    from autograd.value import apply

    name = "op_" + op
    try:
        define_op(name, "x", "2.0 * x", ["2.0"])
    except (ValueError, TypeError):  # a name the rule table refuses is refused with a clear error: fine
        name = ""
    try:
        x = Value(1.5, label=label)
        y = apply(name, x) if name else x * 2.0
        y.label = label + "!"
        with tempfile.TemporaryDirectory() as folder:
            path = to_html(y, Path(folder) / "hostile.html", title=title)
            with _sized(browser, (1280, 720)) as (page, recorder):
                page.goto(path.as_uri())
                page.wait_for_selector(".vg-page[data-position]")
                assert page.evaluate(_DANGEROUS) == []
                for node in page.locator("g.node").all():
                    node.dispatch_event("click")
                page.click(".vg-end")
                page.locator("g.node#n0").dispatch_event("click")
                shown = page.locator(".vg-node dd").nth(1).text_content()
                assert shown == printable(label), (shown, label)
                # HTML collapses runs of spaces in the title's text (": :" shows ":  :"): compare words.
                assert page.locator(".vg-title").inner_text().split() == printable(title).split()
                assert page.evaluate("window.__pwned") is None
                assert recorder.page_errors == []
    finally:
        if name:
            forget_op(name)


def test_the_page_allows_only_its_own_script() -> None:
    """A standalone page's CSP allows its one inline script by hash: no inline handlers, javascript: URLs or network."""
    import base64
    import hashlib

    page = render_html(_lecture())
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert policy is not None
    directives = dict(d.strip().split(" ", 1) for d in policy.group(1).split(";"))
    assert directives["default-src"] == "'none'" and "unsafe-inline" not in directives["script-src"]
    script = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    assert len(script) == 1
    digest = base64.b64encode(hashlib.sha256(script[0].encode("utf-8")).digest()).decode()
    assert directives["script-src"] == f"'sha256-{digest}'"


# ------------------------------------------------------------------------------------- the committed examples


def test_the_committed_examples_are_what_the_code_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/examples/*.html are byte for byte what demos.webpage writes now (with graphviz-pure): regenerate with the demo."""
    import autograd.seeing.draw as draw
    from demos.webpage import write_pages
    from tests.browser import layout_programs

    program = layout_programs()["graphviz-pure"]
    if program is None:
        pytest.skip("graphviz-pure is not installed")
    monkeypatch.setattr(draw, "graphviz_command", lambda: program)
    written = {p.name: p for p in write_pages(tmp_path)}
    examples = Path(__file__).resolve().parent.parent / "docs" / "examples"
    for name in ("walkthrough.html", "network.html"):
        assert (examples / name).read_bytes() == written[name].read_bytes(), (
            f"docs/examples/{name} is stale: run python -m demos.webpage --out docs/examples (with graphviz-pure)"
        )


@pytest.mark.browser
def test_at_the_end_every_node_shows_done(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """After the last step every record and op node (leaves with final grads too) is drawn done, none pending."""
    page = _open(browser, to_html(_neuron(), tmp_path / "neuron.html"))
    assert page.locator("g.node.vg-s-pending").count() > 0  # at the start the leaves' grads are not final
    page.click(".vg-end")
    nodes = page.locator("g.node")
    assert nodes.count() == page.locator("g.node.vg-s-done").count() > 0
    assert page.locator("g.node.vg-s-pending, text.vg-s-pending").count() == 0
    page.click(".vg-start")
    assert page.locator("g.node.vg-s-pending").count() > 0


@pytest.mark.browser
def test_one_timeline_runs_the_forward_pass_then_backprop(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """Before backprop's start lies the forward pass: one node computed a step, its data shown with the trace's line."""
    from autograd.seeing.trace import Trace

    root = _lecture()
    trace = Trace.record(root)
    page = _open(browser, to_html(root, tmp_path / "lecture.html"))
    assert _position(page) == 0 and page.get_attribute(".vg-slider", "min") == str(-len(trace.forward))
    page.click(".vg-start")  # at backprop's start, |◀ goes on to the forward pass's
    assert _position(page) == -3 and page.is_disabled(".vg-prev")
    values = "els => els.map(e => e.textContent)"
    assert page.eval_on_selector_all("text.vg-value", values) == [
        "data 2.0", "data -3.0", "data ?", "data 10.0", "data ?", "data -2.0", "data ?"
    ]
    page.click("button.vg-next")
    assert page.inner_text(".vg-chain") == trace.forward[0].text and "forward 1 / 3" in page.inner_text(".vg-position")
    assert sorted(page.eval_on_selector_all("g.node.vg-s-current", "els => els.map(e => e.id)")) == ["n2", "n2_op"]
    for _ in range(3):
        page.click("button.vg-next")
    assert _position(page) == 1  # on into backprop, with the same controls
    assert page.eval_on_selector_all("text.vg-value", values)[6] == "data -8.0"
    assert page.inner_text(".vg-chain") == trace.steps[0].text


@pytest.mark.browser
def test_the_quiz_hides_grads_explains_a_wrong_answer_and_scores(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """to_html(quiz=True): grads hidden; each asked in backprop order; a wrong answer shows the chain rule; a score at the end."""
    root = _lecture()
    data = page_data(root)
    page = _open(browser, to_html(root, tmp_path / "quiz.html", quiz=True))
    shown = page.eval_on_selector_all("text.vg-grad", "els => els.map(e => e.textContent)")
    assert shown.count("grad ?") == len(data["nodes"]) - 1 and "grad 1.0" in shown  # only the output's is given
    assert page.is_hidden(".vg-chain") and page.is_hidden(".vg-log")  # the step lines would give it away
    by_name = {n["name"]: n for n in data["nodes"]}
    answered = 0
    while page.is_visible(".vg-answer"):
        asked = re.search(r"what is (\w+)\.grad", page.inner_text(".vg-question"))
        assert asked is not None
        node = by_name[asked.group(1)]
        if answered == 0:  # one wrong answer first: the node's chain rule, with its numbers
            page.fill(".vg-answer", "12345")
            page.keyboard.press("Enter")
            assert page.inner_text(".vg-feedback").startswith("Not quite") and node["explain"] in page.inner_text(".vg-feedback")
        page.fill(".vg-answer", node["gradText"])
        page.keyboard.press("Enter")
        answered += 1
    assert answered == len(data["nodes"]) - 1
    assert page.inner_text(".vg-score") == f"Score: {answered - 1} / {answered}"
    assert "grad ?" not in page.eval_on_selector_all("text.vg-grad", "els => els.map(e => e.textContent)")
