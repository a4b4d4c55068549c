"""autograd.export: the frame sequence, and real files read back — PNG frames, GIF and APNG decoded by Pillow, the
worksheet parsed by pypdf, the slide deck driven by arrow keys in Chromium."""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil
from pathlib import Path
from typing import Any

import pytest

import autograd.export
from autograd import Backprop, Value, topological_order
from autograd.export import frames, save_apng, save_frames, save_gif, save_slides, save_worksheet, slides_html, worksheet_pdf
from autograd.export.__main__ import lecture, main, neuron
from autograd.export.pictures import frame_dot
from autograd.seeing.draw import draw_dot
from autograd.seeing.forward import Forward
from autograd.seeing.numbers import fmt
from autograd.seeing.style import UNCOMPUTED
from tests.browser import chromium_page

Image = pytest.importorskip("PIL.Image", reason="autograd.export's animations need Pillow (valuegrad[export])")
pypdf = pytest.importorskip("pypdf", reason="the worksheet is read back with pypdf (valuegrad[dev])")
pytest.importorskip("fpdf", reason="the worksheet is written with fpdf2 (valuegrad[export])")

#: A4 in PDF points (1/72 inch): 210 mm × 297 mm.
A4_POINTS = (595.28, 841.89)
HOSTILE = '</pre><script>alert(1)</script><img src=x onerror="alert(2)">'


def tiny() -> Value:
    """c = a * b with a = 2, b = -3: three nodes, one backward step."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    return c


# -------------------------------------------------------------------------------------- the sequence


@pytest.mark.parametrize("make", [lecture, neuron], ids=["lecture", "neuron"])
def test_one_frame_per_node_forward_and_one_per_backprop_step(make: Any) -> None:
    """Forward: one frame per computed node (Forward's steps); backward: one per Backprop step; each phase can be left out."""
    root = make()
    nodes, steps = len(Forward(root)), len(Backprop(root))
    film = frames(root)
    assert len(film) == nodes + steps
    assert [f.phase for f in film] == ["forward"] * nodes + ["backward"] * steps
    assert [f.index for f in film] == list(range(len(film)))
    assert len(frames(root, backward=False)) == nodes and len(frames(root, forward=False)) == steps


def test_forward_frames_show_values_appearing_in_topological_order() -> None:
    """Frame k shows the leaves and the first k computed nodes and no further, and says Forward's line."""
    root = lecture()
    film = frames(root, backward=False)
    order = film[0].view.order
    computed = [i for i, node in enumerate(order) if node.parents]
    for k, frame in enumerate(film, start=1):
        known = {i for i, node in enumerate(order) if not node.parents} | set(computed[:k])
        assert [v is not None for v in frame.values] == [i in known for i in range(len(order))]
        assert all(g is None for g in frame.grads)
    assert [f.lines[0] for f in film] == [str(step) for step in Forward(root).run()]
    assert film[0].lines[0] == "e = a * b = 2.0 * (-3.0) = -6.0"
    assert film[-1].lines[0] == "L = d * f = 4.0 * (-2.0) = -8.0"


def test_frames_are_draw_dot_of_the_view_at_their_step() -> None:
    """Each frame's DOT is draw_dot's at its position (no second renderer): blank data and 'not computed yet' forward."""
    film = frames(lecture())
    first, last = film[0], film[-1]
    assert (
        frame_dot(last)
        == draw_dot(last.view, trace=last.trace, step=last.step, caption=[f"{last.title}: {last.caption}", *last.lines]).source
    )
    dot = frame_dot(first)
    assert 'label="{L|data ?|grad ?}"' in dot and 'label="{e|data -6.0|grad ?}"' in dot
    assert f'color="{UNCOMPUTED.colour}"' in dot and f">{UNCOMPUTED.words}</td>" in dot
    assert 'label="{a|data 2.0|grad 6.0}"' in frame_dot(last)


def test_backward_frames_end_with_backward_grads_and_leave_the_graph_as_it_was() -> None:
    """The last frame's grads are backward()'s; the graph's own grads are untouched, even after an earlier backward()."""
    root = neuron()
    root.backward()
    before = [n.grad for n in topological_order(root)]
    film = frames(root)
    assert [n.grad for n in topological_order(root)] == before
    assert film[-1].grads == tuple(fmt(g) for g in before)
    assert all(film[-1].final)
    assert film[-1].lines == tuple(Backprop(neuron()).run()[-1].lines())


# -------------------------------------------------------------------------------------- files


def test_png_frames_one_file_per_frame(tmp_path: Path) -> None:
    """save_frames writes one real PNG per frame, numbered in order."""
    film = frames(lecture())
    paths = save_frames(film, tmp_path / "frames")
    assert [p.name for p in paths] == [f"frame-{i:03d}.png" for i in range(len(film))]
    for path in paths:
        with Image.open(path) as image:
            assert image.format == "PNG" and image.width > 200


@pytest.mark.parametrize("save", [save_gif, save_apng], ids=["gif", "apng"])
def test_animations_decode_with_one_frame_per_step(save: Any, tmp_path: Path) -> None:
    """The GIF and the APNG decode with Pillow into exactly one frame per step, all the same size, looping."""
    film = frames(lecture())
    path = save(film, tmp_path / "anim.bin", seconds=0.5, hold=2.0)
    with Image.open(path) as image:
        assert image.format == ("GIF" if save is save_gif else "PNG")
        assert image.n_frames == len(film)
        assert image.info.get("loop") == 0
        sizes = set()
        durations = []
        for k in range(image.n_frames):
            image.seek(k)
            sizes.add(image.size)
            durations.append(image.info["duration"])
    assert len(sizes) == 1
    assert durations[0] == 500 and durations[-1] == 2000


def test_animation_refuses_no_frames_and_bad_timing(tmp_path: Path) -> None:
    """No frames, or a non-positive time per frame, is an error that says so."""
    with pytest.raises(ValueError, match="no frames"):
        save_gif([], tmp_path / "x.gif")
    with pytest.raises(ValueError, match="seconds per frame"):
        save_gif(frames(tiny()), tmp_path / "x.gif", seconds=0)


def test_worksheet_is_two_a4_pages_blank_then_answered(tmp_path: Path) -> None:
    """The PDF parses, has two A4 pages; page 1 has blank gradient fields and no gradient, page 2 the gradients."""
    root = lecture()
    path = save_worksheet(frames(root), tmp_path / "sheet.pdf")
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 2
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4_POINTS, abs=0.05)
    sheet, answers = (page.extract_text() for page in reader.pages)
    assert "Worksheet" in sheet and "∂L/∂a = ________" in sheet
    assert "∂L/∂a = 6.0" not in sheet
    assert "Answer sheet" in answers
    for name, grad in (("a", "6.0"), ("b", "-4.0"), ("c", "-2.0"), ("f", "4.0")):
        assert f"∂L/∂{name} = {grad}" in answers
    assert "a.grad += ∂e/∂a · e.grad = -3.0 · -2.0 → 6.0" in answers  # the stepper's line


def test_worksheet_prints_unicode_names() -> None:
    """A lecture notation's sub- and superscripts survive into the PDF's text."""
    x = Value(1.5, label="x₁⁽¹⁾")
    y = x * x
    y.label = "y"
    text = pypdf.PdfReader(io.BytesIO(worksheet_pdf(frames(y)))).pages[0].extract_text()
    assert "∂y/∂x₁⁽¹⁾" in text


def test_slides_escape_every_user_string() -> None:
    """A label with markup appears escaped in the deck, never as markup; a hostile title too."""
    x = Value(1.0, label=HOSTILE)
    page = slides_html(frames(x * 2), title=HOSTILE)
    assert "<script>alert" not in page and 'onerror="alert' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('<section class="slide"') == 2  # x * 2 computed, then one step


def test_command_writes_the_formats_asked_for(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """python -m autograd.export neuron --only gif,pdf writes those two files and says so."""
    assert main(["neuron", "--out", str(tmp_path), "--only", "gif,pdf"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neuron-worksheet.pdf", "neuron.gif"]
    assert "wrote" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--only", "mp4", "--out", str(tmp_path)])


@pytest.mark.parametrize("name", sorted(f"autograd.export.{m.name}" for m in pkgutil.iter_modules(autograd.export.__path__)))
def test_docstring_examples_run(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``>>>`` example in autograd.export's modules runs and prints what it shows."""
    monkeypatch.chdir(tmp_path)
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


# -------------------------------------------------------------------------------------- in Chromium


@pytest.mark.browser
def test_slide_deck_moves_with_arrow_keys_in_chromium(tmp_path: Path) -> None:
    """In Chromium: one slide shows at a time; → and ← move, End and Home jump, the buttons work, #3 opens slide 3;
    a hostile label stays text; nothing is fetched and nothing fails."""
    x = Value(2.0, label=HOSTILE)
    root = lecture() * x
    film = frames(root)
    deck = save_slides(film, tmp_path / "deck.html")
    with chromium_page() as (page, recorder):
        page.goto(deck.as_uri())

        def visible() -> list[str]:
            shown: list[str] = page.eval_on_selector_all(".slide:not([hidden])", "els => els.map(e => e.id)")
            return shown

        assert visible() == ["slide-1"]
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert visible() == ["slide-3"] and page.inner_text("#counter") == f"3 / {len(film)}"
        page.keyboard.press("ArrowLeft")
        assert visible() == ["slide-2"]
        page.keyboard.press("End")
        assert visible() == [f"slide-{len(film)}"]
        page.keyboard.press("ArrowRight")  # past the end: stays
        assert visible() == [f"slide-{len(film)}"]
        page.keyboard.press("Home")
        page.click("#next")
        assert visible() == ["slide-2"]
        assert page.evaluate("document.querySelectorAll('script').length") == 1
        assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
        assert HOSTILE in page.evaluate("document.querySelector('main').textContent")
        # Every picture is a data: URL that the browser decoded into a real image.
        widths = page.eval_on_selector_all(".slide img", "els => els.map(e => e.naturalWidth)")
        assert len(widths) == len(film) and min(widths) > 100
        page.goto(deck.as_uri() + "#3")
        page.reload()
        assert visible() == ["slide-3"]
        assert not recorder.page_errors and not recorder.console_errors
        assert all(url.startswith(("file:", "data:")) for url in recorder.requests)
