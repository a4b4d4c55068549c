"""Tests for the page's what-if (issue 21.2): a leaf edited in the real page, recomputed in JavaScript from the
rules' formulas (autograd.seeing.jsformulas), agrees with Python's ``autograd.seeing.whatif``.

The browser tests SKIP with a reason when Playwright or Chromium is missing (tests/browser.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd import Value, to_html
from autograd.rules import FLOAT_HELPERS, RULES
from autograd.seeing.jsformulas import HELPERS_JS, TranslationError, ops_js, rule_js, translate
from autograd.seeing.numbers import fmt
from autograd.seeing.page import render_fragment
from autograd.seeing.trace import Trace
from autograd.seeing.view import GraphView
from autograd.seeing.whatif import nudge, recompute
from autograd.testing import Expression, expressions
from tests.browser import Recorder, chromium_page

#: How close the page's numbers must be to Python's, relative to max(1, |x|): Math.exp and friends may
#: differ from the C library's by an ulp, which a few ops can grow to a few ulps.
TOLERANCE = 1e-12

# ------------------------------------------------------------------------------------- the translation


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_row_has_a_javascript_translation(name: str) -> None:
    """Completeness: each row's forward and every local formula is written as JavaScript (a new row fails here)."""
    rule = RULES[name]
    text = rule_js(rule)
    assert text.startswith('{"f": function (v) {') and '"d": function (v, out) {' in text
    formulas = rule.local_formulas if rule.terms is None else (*rule.terms.local, *rule.terms.extra_local)
    for formula in formulas:
        names = {n: n for n in (*rule.inputs, "out")} if rule.terms is None else None
        if names is not None:
            translate(formula, names)  # each one on its own, so a failure names the formula
    assert name in ops_js([name])


def test_every_helper_the_formulas_may_call_exists_in_javascript() -> None:
    """Each callable of ``FLOAT_HELPERS`` has a JavaScript twin in ``HELPERS_JS``, and the constants translate."""
    defined = set(re.findall(r"^  (\w+): function", HELPERS_JS, flags=re.M))
    missing = {name for name, value in FLOAT_HELPERS.items() if callable(value)} - defined
    assert not missing, missing
    assert translate("inf", {}) == "Infinity" and translate("nan", {}) == "NaN"


def test_the_translator_refuses_what_it_cannot_write() -> None:
    """An unknown helper, an unknown name or unsupported syntax is an error naming the formula, never wrong code."""
    for formula in ("gamma(x)", "y + 1.0", "x @ x", "[x]", "x < 1.0 < 2.0"):
        with pytest.raises(TranslationError, match=re.escape(repr(formula))):
            translate(formula, {"x": "v[0]"})


def test_a_page_carries_each_op_once_not_per_node() -> None:
    """The page's script has one translation per op that occurs: a 40-node sum of products has two."""
    xs = [Value(float(i), label=f"x{i}") for i in range(20)]
    total = xs[0] * xs[1]
    for x in xs[2:]:
        total = total + x * x
    page = render_fragment(total, draw=False)
    assert page.count('"*": {"f": function') == 1 and page.count('"+": {"f": function') == 1
    assert page.count('{"f": function') == 2


# ------------------------------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[tuple[Any, Recorder]]:
    """One headless Chromium page for the module, with a touch screen as well as a mouse (skips without a browser)."""
    with chromium_page(touch=True) as opened:
        yield opened


def _open(browser: tuple[Any, Recorder], path: Path) -> Any:
    page, recorder = browser
    recorder.page_errors.clear()
    recorder.console_errors.clear()
    page.goto(path.as_uri())
    page.wait_for_selector(".vg-page[data-position]")
    return page


def _edit(page: Any, i: int, value: float) -> None:
    """Select leaf i by clicking its data field in the drawing, type the value, press Enter (keyboard only)."""
    page.click(".vg-fit")
    page.click(f'text.vg-value[data-node="{i}"]')
    assert page.evaluate("document.activeElement.classList.contains('vg-edit')"), "the click did not open the value"
    page.fill(".vg-edit", repr(value))
    page.press(".vg-edit", "Enter")


def _end(page: Any) -> None:
    """To the end of backprop (every grad final), also when the page is there already (its button is disabled)."""
    page.evaluate(
        "() => { const s = document.querySelector('.vg-slider'); s.value = s.max; s.dispatchEvent(new Event('input')); }"
    )


def _shown(page: Any, kind: str) -> dict[int, tuple[float, str]]:
    """Each drawn field of ``kind`` (``value`` or ``grad``): node index -> (its full number, its text)."""
    attribute = "data-value" if kind == "value" else "data-grad"
    rows = page.eval_on_selector_all(
        f"text.vg-{kind}", f"els => els.map(e => [e.dataset.node, e.getAttribute('{attribute}'), e.textContent])"
    )
    return {int(i): (float(number), text) for i, number, text in rows}


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= TOLERANCE * max(1.0, abs(b))


def _graph(expr: Expression) -> tuple[list[Value], Value]:
    xs = [Value(x, label=f"x{i}") for i, x in enumerate(expr.inputs)]
    return xs, expr(*xs)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expressions(max_ops=6), st.integers(0, 20), st.floats(-1.0, 1.0))
def test_editing_a_leaf_in_the_page_agrees_with_python(
    browser: tuple[Any, Recorder], tmp_path_factory: pytest.TempPathFactory, expr: Expression, which: int, delta: float
) -> None:
    """Random graphs: edit an input in the real page; every node's value and grad equals ``recompute``'s (1e-12).

    Where Python raises (the new value leaves an op's domain), the page shows the same message and keeps its numbers.
    """
    root = _graph(expr)[1]
    view = GraphView.of(root)
    leaves = [node for node in view.order if not node.parents]  # inputs and constants alike
    leaf = leaves[which % len(leaves)]
    new = leaf.data + delta
    page = _open(browser, to_html(root, tmp_path_factory.mktemp("whatif") / "page.html"))
    try:
        expected = recompute(view, {leaf: new})
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        _edit(page, view.index[leaf], new)
        assert page.inner_text(".vg-whatif-message") == f"Cannot recompute: {error}"
        texts = page.eval_on_selector_all("text.vg-value", "els => els.map(e => [e.dataset.node, e.textContent])")
        assert texts and all(text == "data " + fmt(view.order[int(i)].data) for i, text in texts), texts
        return
    _edit(page, view.index[leaf], new)
    _end(page)
    values, grads = _shown(page, "value"), _shown(page, "grad")
    assert set(values) == set(grads) == set(range(len(view.order))), "a node without its fields in the drawing"
    for i in range(len(view.order)):
        name = view.name(view.order[i])
        assert _close(values[i][0], expected.data[i]), (name, values[i][0], expected.data[i])
        assert _close(grads[i][0], expected.grads[i]), (name, grads[i][0], expected.grads[i])
        assert values[i][1] == "data " + fmt(expected.data[i]), (name, values[i][1])
        assert grads[i][1] == "grad " + fmt(expected.grads[i]), (name, grads[i][1])
    assert not browser[1].page_errors, browser[1].page_errors


def _tanh_neuron(x1: float = 2.0) -> tuple[dict[str, Value], Value]:
    """The lecture's neuron o = tanh(x1*w1 + x2*w2 + b) under a log loss; the same code gives the same names."""
    leaves = {"x1": Value(x1, label="x1"), "x2": Value(0.0, label="x2"), "w1": Value(-3.0, label="w1")}
    leaves.update(w2=Value(1.0, label="w2"), b=Value(6.8813735870195432, label="b"))
    n = leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    loss = (o * o).log()
    loss.label = "L"
    return leaves, loss


def _go_to(page: Any, position: int) -> None:
    page.evaluate(
        "p => { const s = document.querySelector('.vg-slider'); s.value = String(p); s.dispatchEvent(new Event('input')); }",
        position,
    )


def test_the_step_lines_after_an_edit_are_the_ones_of_the_rebuilt_graph(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """After an edit, each step's header and "+=" lines read as the stepper prints them for the graph rebuilt with
    the new value; each local derivative line keeps its formula and shows its new value."""
    leaves, loss = _tanh_neuron()
    view = GraphView.of(loss)
    page = _open(browser, to_html(loss, tmp_path / "page.html"))
    _edit(page, view.index[leaves["x1"]], 1.5)
    trace = Trace.record(_tanh_neuron(1.5)[1])
    for position, step in enumerate(trace.steps, start=1):
        _go_to(page, position)
        shown, expected = page.inner_text(".vg-chain").split("\n"), step.text.split("\n")
        assert shown[0] == expected[0] and len(shown) == len(expected), (shown, expected)
        for k in range(1, len(expected), 2):
            assert shown[k + 1] == expected[k + 1], (position, shown[k + 1], expected[k + 1])  # the "+=" line
            parts = expected[k].split(" = ")  # word: partial = formula [= formula with numbers] = value
            assert shown[k] == (expected[k] if len(parts) <= 2 else " = ".join([parts[0], parts[1], parts[-1]])), shown[k]
    assert not browser[1].page_errors, browser[1].page_errors


def test_the_nudge_beside_the_gradient_agrees_with_python(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """The node panel shows (L(x + h) − L(x)) / h for the chosen h beside ∂L/∂x and their difference, as ``nudge`` does."""
    leaves, loss = _tanh_neuron()
    loss.backward()  # grads from an earlier pass: the nudge compares with d L / d x all the same
    view = GraphView.of(loss)
    page = _open(browser, to_html(loss, tmp_path / "page.html"))
    page.click(".vg-fit")
    for name in ("w1", "b"):
        node = leaves[name]
        page.click(f"#n{view.index[node]}")
        page.fill(".vg-h", "0.001")
        page.press(".vg-h", "Enter")
        slope, derivative = nudge(node, loss, 1e-3), recompute(view, {}).grad(node)
        shown = page.locator(".vg-nudge")
        assert abs(float(shown.get_attribute("data-slope") or "nan") - slope) <= 1e-9 * max(1.0, abs(slope))
        text = shown.inner_text()
        assert f"(L({name} + h) − L({name})) / h = {fmt(slope)}" in text, text
        # beside the derivative a fresh backward() gives (the graph's grads held an earlier pass: the page adds to them)
        assert f"∂L/∂{name} = {fmt(derivative)}" in text and f"difference {fmt(slope - derivative)}" in text, text


def test_an_edit_outside_the_domain_shows_the_error_and_keeps_the_numbers(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """log of a negative number: the page says what Python says and shows the recorded numbers still; then a
    good value recomputes, and "reset all" brings the recorded numbers back."""
    x = Value(2.0, label="x")
    y = (x * 3.0).log()
    y.label = "y"
    view = GraphView.of(y)
    page = _open(browser, to_html(y, tmp_path / "page.html"))
    before = _shown(page, "grad")
    _edit(page, view.index[x], -1.0)
    with pytest.raises(ValueError) as error:
        recompute(view, {x: -1.0})
    assert page.inner_text(".vg-whatif-message") == f"Cannot recompute: {error.value}"
    assert _shown(page, "grad") == before
    page.fill(".vg-edit", "4.0")
    page.press(".vg-edit", "Enter")
    _end(page)
    assert _shown(page, "grad")[view.index[x]][1] == "grad " + fmt(recompute(view, {x: 4.0}).grad(x))
    page.click(".vg-reset")
    _end(page)
    assert _shown(page, "grad")[view.index[x]][1] == "grad " + fmt(1.0 / 2.0)
    assert not browser[1].page_errors, browser[1].page_errors


def test_a_tap_on_a_data_field_opens_it_for_editing_on_a_touch_screen(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """On a phone-sized touch screen, tapping a leaf's data field puts the cursor in its value; "set" recomputes."""
    leaves, loss = _tanh_neuron()
    view = GraphView.of(loss)
    page, recorder = browser
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        _open(browser, to_html(loss, tmp_path / "page.html"))
        page.tap(".vg-fit")
        page.tap(f'text.vg-value[data-node="{view.index[leaves["b"]]}"]')
        assert page.evaluate("document.activeElement.classList.contains('vg-edit')")
        page.fill(".vg-edit", "1.0")
        page.tap(".vg-set")
        expected = recompute(view, {leaves["b"]: 1.0})
        assert _shown(page, "value")[view.index[loss]][1] == "data " + fmt(expected.value(loss))
        assert not recorder.page_errors, recorder.page_errors
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})


def test_the_notebook_page_edits_too(browser: tuple[Any, Recorder], tmp_path: Path) -> None:
    """``show_page``'s fragment (two in one document) carries the formulas: an edit in one recomputes that one only."""
    leaves, loss = _tanh_neuron()
    view = GraphView.of(loss)
    document = tmp_path / "notebook.html"
    document.write_text(f"<!DOCTYPE html><html><body>{render_fragment(loss)}{render_fragment(loss)}</body></html>", "utf-8")
    page, recorder = browser
    page.goto(document.as_uri())
    page.wait_for_selector(".vg-page[data-position]")
    first = page.locator(".vg-page").nth(0)
    first.locator(".vg-fit").click()
    first.locator(f'text.vg-value[data-node="{view.index[leaves["x1"]]}"]').click()
    first.locator(".vg-edit").fill("1.5")
    first.locator(".vg-edit").press("Enter")
    expected = fmt(recompute(view, {leaves["x1"]: 1.5}).value(loss))
    i = view.index[loss]
    texts = page.eval_on_selector_all(f'text.vg-value[data-node="{i}"]', "els => els.map(e => e.textContent)")
    assert texts == ["data " + expected, "data " + fmt(loss.data)]
    assert not recorder.page_errors, recorder.page_errors
