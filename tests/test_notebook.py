"""Tests for autograd.seeing.notebook: rich display of Value, Backprop, explain() and the page, in a Jupyter kernel and Chromium.

The notebook is executed by nbclient with an ipykernel kernel (the dev extra installs both); the
browser part SKIPS with a reason when Playwright or Chromium is missing (see tests/browser.py).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from autograd import Backprop, Value, explain
from autograd.seeing.notebook import explanation_html, stepper_html, value_html
from demos.walkthrough import lecture_expression
from tests.browser import chromium_page

ROOT = Path(__file__).resolve().parent.parent


def _lecture() -> Value:
    return lecture_expression()["L"]


# ------------------------------------------------------------------------------------- without a kernel


def test_a_value_shows_label_data_grad_and_op_escaped() -> None:
    """A Value's HTML names it, prints data and grad as fmt does, says its op, and escapes an odd label."""
    v = Value(2.5, label="<b>&amp;\n")
    out = value_html(v * 2.0)
    assert "data <b>5.0</b>" in out and "op <b>*</b> of 2 inputs" in out
    assert "Value" in value_html(v) and html.escape("<b>&amp;\\n") in value_html(v) and "\n" not in value_html(v)
    assert v._repr_html_() == value_html(v)


def test_the_stepper_shows_the_page_opened_at_its_position() -> None:
    """A Backprop shows the interactive page at its position, with its steps' text; the graph keeps its grads."""
    from autograd.seeing.page import read_page_data

    root = _lecture()
    bp = Backprop(root)
    bp.step()
    step = bp.step()
    grads = [node.grad for node in bp.order]
    out = bp._repr_html_()
    assert [node.grad for node in bp.order] == grads
    data = read_page_data(out)
    assert data["start"] == 2 and data["steps"][1]["text"] == str(step)
    assert "#9333ea" not in out  # no colour of its own: the style table's states
    svg = re.search(r"<svg\b.*?</svg>", out, re.DOTALL)
    assert svg is not None
    ET.fromstring(svg.group(0))  # valid XML
    # Shown twice, the same stepper's drawings do not share element ids.
    ids = re.findall(r'\sid="([^"]+)"', out + stepper_html(bp))
    assert len(ids) == len(set(ids))


def test_explain_shows_a_table_with_one_row_per_use() -> None:
    """explain()'s HTML is a table: a header row, one row per use (pending ones marked), and the total."""
    a = Value(3.0, label="a")
    b = a * a + a
    b.label = "b"
    bp = Backprop(b)
    bp.step()
    out = explanation_html(explain(a, bp))
    assert out.count("<tr>") == 1 + 3
    assert out.count("pending: not processed yet") == 2
    assert explain(a, bp)._repr_html_() == out


# ------------------------------------------------------------------------------------- in a kernel and a browser

CELLS = [
    "from autograd import Backprop, Value, explain\nfrom autograd.seeing.notebook import show_page\n"
    "from demos.walkthrough import lecture_expression",
    "L = lecture_expression()['L']\nL",
    "bp = Backprop(L)\nbp.step()\nbp",
    "explain(bp.order[0], bp)",
    "show_page(L, title='first page')",
    "import nn\nm = nn.MLP(2, [3, 1], seed=0)\nout = m([Value(0.5, label='x0'), Value(-1.0, label='x1')])\n"
    "show_page(out, title='second page')",
    "from demos.webpage import small_network\nnet = small_network(0, [4, 4, 1])\nbpn = Backprop(net)\n"
    "for _ in range(3):\n    _ = bpn.step()\nbpn",
    "show_page(net, title='network')",
]


def _run_notebook() -> list[list[dict[str, Any]]]:
    """Execute CELLS in a fresh ipykernel (cwd = the repository) and return each cell's outputs."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    client = nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    return [[dict(output) for output in cell.outputs] for cell in notebook.cells]


@pytest.fixture(scope="module")
def outputs() -> list[list[dict[str, Any]]]:
    """The executed notebook's outputs, cell by cell (one kernel for the module)."""
    return _run_notebook()


def _html_of(outputs: list[dict[str, Any]]) -> str:
    results = [o for o in outputs if o["output_type"] == "execute_result"]
    assert len(results) == 1, outputs
    text: str = results[0]["data"]["text/html"]
    return text


@pytest.mark.slow
def test_each_cell_shows_the_expected_mime_types(outputs: list[list[dict[str, Any]]]) -> None:
    """In Jupyter, a Value, a stepper, explain() and show_page() each give text/html (and text/plain), and no errors."""
    assert [o for cell in outputs for o in cell if o["output_type"] == "error"] == []
    assert outputs[0] == []
    for cell in outputs[1:]:
        results = [o for o in cell if o["output_type"] == "execute_result"]
        assert [sorted(o["data"]) for o in results] == [["text/html", "text/plain"]], cell
    value, stepper, explanation, first, second = (_html_of(cell) for cell in outputs[1:6])
    assert "data <b>-8.0</b>" in value
    assert "<svg" in stepper and '"start":1' in stepper
    assert "<table" in explanation
    for page in (first, second):
        assert page.startswith('<div class="vg-page vg-embedded"') and "<svg" in page
    assert re.search(r'id="(vg[^"]+)"', first).group(1) != re.search(r'id="(vg[^"]+)"', second).group(1)  # type: ignore[union-attr]


@pytest.mark.slow
@pytest.mark.browser
def test_two_pages_in_one_document_step_independently(outputs: list[list[dict[str, Any]]], tmp_path: Path) -> None:
    """Both notebook pages in one HTML document: each one's buttons and keys move only itself; the host keeps its style."""
    first, second = _html_of(outputs[5 - 1]), _html_of(outputs[6 - 1])
    host = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        "<header id='host-header'>notebook</header><main><button id='host-button'>host</button>"
        "<pre id='host-pre'>a host line that is long enough to need a horizontal scroll bar if nobody wraps it ...</pre>"
        "{pages}</main></body></html>"
    )
    path = tmp_path / "two.html"
    bare = tmp_path / "bare.html"
    path.write_text(host.format(pages=first + second), encoding="utf-8")
    bare.write_text(host.format(pages=""), encoding="utf-8")
    style = """() => ['#host-button', '#host-header', '#host-pre', 'body', 'html'].map(s => {
        const c = getComputedStyle(document.querySelector(s));
        return [s, c.fontFamily, c.fontSize, c.backgroundColor, c.margin, c.padding, c.display, c.whiteSpace,
                c.color, c.lineHeight];
    })"""
    with chromium_page((1280, 2000)) as (page, recorder):
        page.goto(bare.as_uri())
        before = page.evaluate(style)
        page.goto(path.as_uri())
        page.wait_for_selector(".vg-page:nth-of-type(2)[data-position], .vg-page + .vg-page[data-position]")
        pages = page.locator(".vg-page")
        assert pages.count() == 2
        one, two = pages.nth(0), pages.nth(1)

        def positions() -> tuple[str, str]:
            return (one.get_attribute("data-position"), two.get_attribute("data-position"))

        assert positions() == ("0", "0")
        one.locator(".vg-next").click()
        one.locator(".vg-next").click()
        assert positions() == ("2", "0")
        two.locator(".vg-next").click()
        assert positions() == ("2", "1")
        assert one.locator(".vg-chain").inner_text().startswith("d = e + c")
        assert two.locator(".vg-chain").inner_text() != one.locator(".vg-chain").inner_text()
        two.locator(".vg-end").click()
        assert one.get_attribute("data-position") == "2" and two.locator(".vg-next").is_disabled()
        # Keys go to the page that has the focus, and only to it.
        one.locator(".vg-prev").focus()
        page.keyboard.press("ArrowLeft")
        assert positions()[0] == "1" and two.get_attribute("data-position") != "1"
        # Clicking a node shows its details in that page only.
        one.locator("g.node").first.click()
        assert "grad at end" in one.locator(".vg-node").inner_text()
        assert "grad at end" not in two.locator(".vg-node").inner_text()
        assert page.evaluate(style) == before
        assert recorder.console_errors == [] and recorder.page_errors == []
        assert all(url.startswith("file:") for url in recorder.requests)


@pytest.mark.slow
@pytest.mark.browser
def test_an_mlp_in_a_900_px_notebook_shows_the_step_readably(outputs: list[list[dict[str, Any]]], tmp_path: Path) -> None:
    """In a 900 px output, MLP(2, [4, 4, 1])'s Backprop view and page show the current step's nodes whole, text >= 11 px."""
    stepper, network = _html_of(outputs[6]), _html_of(outputs[7])
    current = """root => Array.from(root.querySelectorAll('g.node.vg-s-current')).map(g => {
        const port = root.querySelector('.vg-viewport').getBoundingClientRect(), r = g.getBoundingClientRect();
        const px = Math.min(...Array.from(g.querySelectorAll('text')).map(
            t => Number(t.getAttribute('font-size')) * t.getScreenCTM().a));
        return [r.left >= port.left - 1 && r.right <= port.right + 1 && r.top >= port.top - 1 && r.bottom <= port.bottom + 1, px];
    })"""
    host = "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><div style='width: 900px'>{page}</div></body></html>"
    with chromium_page((1000, 900)) as (page, recorder):
        for name, output, clicks in (("Backprop", stepper, 0), ("show_page", network, 3)):
            path = tmp_path / f"{name}.html"
            path.write_text(host.format(page=output), encoding="utf-8")
            page.goto(path.as_uri())
            page.wait_for_selector(".vg-page[data-position]")
            for _ in range(clicks):
                page.click("button.vg-next")
            assert page.get_attribute(".vg-page", "data-position") == "3", name
            shown = page.locator(".vg-page").evaluate(current)
            assert shown and all(inside and px >= 11 for inside, px in shown), (name, shown)
        assert recorder.console_errors == [] and recorder.page_errors == []
