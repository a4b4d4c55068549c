"""The watching page (nn.watch): its numbers are the snapshots', its update line adds up, it scrubs in Chromium."""

from __future__ import annotations

import html
import math
import re
from pathlib import Path
from typing import Any

import pytest

import nn
from autograd.seeing.numbers import fmt
from demos import watch as demo
from nn.snapshots import Snapshots
from nn.watch import WatchPage, read_watch_data, render_watch, watch_page
from tests.browser import chromium_page

EPOCHS = 6


@pytest.fixture(scope="module")
def run() -> tuple[nn.MLP, Snapshots]:
    return demo.train(EPOCHS)


def test_the_pages_numbers_are_the_snapshots(run: tuple[nn.MLP, Snapshots], tmp_path: Path) -> None:
    model, snaps = run
    data = read_watch_data(snaps.to_html(tmp_path / "w.html").read_text(encoding="utf-8"))
    keys = [p["key"] for p in data["params"]]
    assert keys == [name for name, _ in model.named_parameters()]
    assert len(data["epochs"]) == len(snaps) == EPOCHS
    for shown, snap in zip(data["epochs"], snaps):
        assert shown["epoch"] == snap.epoch
        assert shown["params"] == [snap.params[k] for k in keys]
        assert shown["grads"] == [snap.grads[k] for k in keys]
        assert shown["paramsText"] == [fmt(snap.params[k]) for k in keys]
        assert shown["loss"] == snap.train_loss and shown["lr"] == demo.LR
    assert data["epochs"][-1]["params"] == [model.state_dict()[k] for k in keys]


def test_the_update_line_adds_up_for_sgd(run: tuple[nn.MLP, Snapshots]) -> None:
    model, snaps = run
    data = read_watch_data(render_watch(snaps, model))
    for k, shown in enumerate(data["epochs"]):
        for i, u in enumerate(shown["update"]):
            p, g = u["before"], shown["grads"][i]
            assert u["next"] == p - demo.LR * g
            # What the update gives is the parameter the next epoch starts from (and this epoch ends with).
            assert math.isclose(u["next"], shown["params"][i], rel_tol=1e-12, abs_tol=1e-15)
            if k + 1 < len(data["epochs"]):
                assert data["epochs"][k + 1]["update"][i]["before"] == shown["params"][i]
            assert u["same"] and u["nextText"] == fmt(p - demo.LR * g)


def test_every_other_epoch_still_writes_each_shown_update_right() -> None:
    model = nn.MLP(3, [5, 1], activation="tanh", seed=1)
    snaps = Snapshots(every=2)
    nn.fit(
        model, "mse", demo.XS, demo.YS, optimizer=nn.SGD(model.parameters(), lr=0.1), epochs=5, callbacks=[snaps], progress=False
    )
    data = read_watch_data(render_watch(snaps, model))
    assert [e["epoch"] for e in data["epochs"]] == [1, 3, 5]
    for shown in data["epochs"]:
        assert all(u["same"] for u in shown["update"]) and shown["lr"] == 0.1


def test_another_optimizer_is_not_called_plain_sgd() -> None:
    model = nn.MLP(3, [5, 1], seed=0)
    snaps = Snapshots()
    nn.fit(
        model,
        "mse",
        demo.XS,
        demo.YS,
        optimizer=nn.SGD(model.parameters(), lr=0.05, momentum=0.9),
        epochs=3,
        callbacks=[snaps],
        progress=False,
    )
    data = read_watch_data(render_watch(snaps, model))
    assert data["epochs"][0]["update"][0]["same"]  # the first momentum step is plain SGD
    assert not all(u["same"] for u in data["epochs"][-1]["update"])


def test_csp_and_no_inline_handlers(run: tuple[nn.MLP, Snapshots]) -> None:
    model, snaps = run
    page = render_watch(snaps, model)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert csp is not None and "default-src 'none'" in csp.group(1) and "script-src 'sha256-" in csp.group(1)
    assert "unsafe-inline" not in csp.group(1).split("script-src")[1].split(";")[0]
    assert not re.search(r"\son[a-z]+=", page) and "javascript:" not in page


HOSTILE = '<img src=x onerror=alert(1)></script>\u202e"&amp;'


def _hostile(run: tuple[nn.MLP, Snapshots]) -> str:
    model, snaps = run
    return render_watch(snaps, model, names={"layers.0.neurons.0.w.0": HOSTILE}, title=HOSTILE)


def test_a_hostile_label_is_escaped_in_the_html(run: tuple[nn.MLP, Snapshots]) -> None:
    page = _hostile(run)
    assert "<img" not in page and "</script>\u202e" not in page and "\u202e" not in page
    assert html.escape('<img src=x onerror=alert(1)></script>\\u202e"&amp;') in page


def _goto(page: Any, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_selector("#vg-update-line:not(:empty)")


@pytest.mark.parametrize("size", [(1280, 720), (390, 844)])
def test_scrubbing_in_chromium_changes_the_epoch(run: tuple[nn.MLP, Snapshots], tmp_path: Path, size: tuple[int, int]) -> None:
    model, snaps = run
    path = watch_page(snaps, model, path=tmp_path / "w.html")
    data = read_watch_data(path.read_text(encoding="utf-8"))
    with chromium_page(size) as (page, recorder):
        _goto(page, path)
        assert page.text_content("#vg-epoch-text") == "1"
        first = page.text_content("#vg-update-line")
        page.fill("#vg-epoch", "3")  # a range input takes fill(): it sets the value and fires input
        assert page.text_content("#vg-epoch-text") == "4"
        page.locator("body").click(position={"x": 2, "y": 2})
        page.keyboard.press("ArrowRight")
        assert page.text_content("#vg-epoch-text") == "5"
        page.keyboard.press("End")
        assert page.text_content("#vg-epoch-text") == str(EPOCHS)
        last = data["epochs"][-1]
        assert page.text_content("#vg-update-line") != first
        assert page.text_content(".vg-params tr[data-i='0'] .vg-v") == last["paramsText"][0]
        assert page.text_content(".vg-b[data-i='3']") == last["paramsText"][3]  # b₁⁽²⁾ and its gradient, on the drawing
        assert page.text_content(".vg-bg[data-i='3']") == "\u2207 " + last["gradsText"][3]
        # Choose another parameter by clicking its row, then one by the keyboard: the update follows.
        page.click(".vg-params tr[data-i='3']")
        name, u = data["params"][3]["name"], last["update"][3]
        assert page.text_content("#vg-update-line") == (
            f"{name} \u2190 {u['beforeText']} \u2212 {last['lrText']} \u00d7 ({last['gradsText'][3]}) = {u['nextText']}"
        )
        page.focus(".vg-params tr[data-i='5']")
        page.keyboard.press("Enter")
        assert page.text_content("#vg-update-line").startswith(data["params"][5]["name"] + " \u2190 ")
        # Both sizes fit their width: at 390 the panes stack (the side pane is below the drawing).
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size[0]
        net, side = page.locator(".vg-net").bounding_box(), page.locator(".vg-side").bounding_box()
        assert net is not None and side is not None
        assert (side["y"] >= net["y"] + net["height"] - 1) == (size[0] < 700)
        assert recorder.console_errors == [] and recorder.page_errors == []
        assert all(url.startswith("file:") for url in recorder.requests)


def test_a_hostile_label_is_shown_literally_in_chromium(run: tuple[nn.MLP, Snapshots], tmp_path: Path) -> None:
    path = tmp_path / "hostile.html"
    path.write_text(_hostile(run), encoding="utf-8")
    shown = '<img src=x onerror=alert(1)></script>\\u202e"&amp;'
    with chromium_page() as (page, recorder):
        _goto(page, path)
        assert page.title() == shown
        assert page.text_content(".vg-params tr[data-i='0'] td") == shown
        assert page.text_content("#vg-update-line").startswith(shown + " \u2190 ")
        assert page.locator("img").count() == 0
        assert recorder.page_errors == [] and recorder.console_errors == []


def test_the_notebook_display_is_the_page_in_an_iframe(run: tuple[nn.MLP, Snapshots], tmp_path: Path) -> None:
    model, snaps = run
    cell = WatchPage(snaps, model)._repr_html_()
    assert cell.startswith('<iframe class="vg-watch-frame" sandbox="allow-scripts" srcdoc="')
    assert snaps._repr_html_() == cell
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', cell).group(1))  # type: ignore[union-attr]
    assert srcdoc == render_watch(snaps, model)
    notebook = tmp_path / "cell.html"
    notebook.write_text(f"<!DOCTYPE html><html><body>{cell}</body></html>", encoding="utf-8")
    with chromium_page() as (page, recorder):
        page.goto(notebook.as_uri())
        frame = page.frame_locator("iframe.vg-watch-frame")
        frame.locator("#vg-update-line:not(:empty)").wait_for()
        frame.locator("#vg-epoch").fill("2")
        assert frame.locator("#vg-epoch-text").text_content() == "3"
        assert recorder.page_errors == [] and recorder.console_errors == []


def test_the_demo_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "epoch 1: w₁₁⁽²⁾ ← " in out and "epoch 5: " in out
    assert len(read_watch_data((tmp_path / "watch.html").read_text(encoding="utf-8"))["epochs"]) == demo.QUICK_EPOCHS


def test_the_screenshot_script_takes_the_docs_picture(tmp_path: Path) -> None:
    """``python -m demos.watch --screenshot PNG`` made docs/images/watch.png: a 1280x720 PNG of the page."""
    from tests.browser import find_chromium, unavailable

    if find_chromium() is None:
        unavailable("no Chromium for the screenshot")
    png = tmp_path / "watch.png"
    assert demo.main(["--quick", "--out", str(tmp_path), "--screenshot", str(png)]) == 0
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")) == (1280, 720)


def test_an_empty_record_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nothing recorded"):
        Snapshots().to_html(tmp_path / "w.html")
