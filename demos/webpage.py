"""Write self-contained web pages that replay backprop node by node: open them in any browser, offline.

    python -m demos.webpage [--out DIR] [--seed N] [--screenshot PNG] [--network-screenshot PNG]

Writes three pages into ``DIR`` (default ``out/``):

- ``walkthrough.html``: micrograd's lecture expression ``L = (a*b + c) * f`` (a=2, b=-3, c=10, f=-2);
- ``network.html``: a small network, ``MLP(2, [4, 4, 1])``, and its squared error on one sample,
  every weight drawn, grouped by neuron and layer;
- ``mlp.html``: one sample through a whole ``MLP(2, [16, 16, 1])``, each neuron drawn as one box.

``--screenshot PNG`` also saves a picture of the walkthrough page mid-way, and ``--network-screenshot
PNG`` one of the network's page, as a 1280x720 laptop screen shows them, using Playwright and a
system Chromium (see ``.ci/install-browser.sh``); the pages themselves need neither.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import nn
from autograd import Value, to_html
from demos.walkthrough import lecture_expression


def small_network(seed: int, sizes: list[int]) -> Value:
    """``MLP(2, sizes)`` on one sample (x = [0.5, -1.0]), with its squared error against the target 1.0 as the root."""
    model = nn.MLP(2, sizes, seed=seed)
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    prediction = model(x)
    assert isinstance(prediction, Value)
    prediction.label = "y"
    loss = nn.losses.mse([prediction], [1.0])
    loss.label = "loss"
    return loss


def write_pages(out: Path, seed: int = 0) -> list[Path]:
    """Write the three pages into ``out``; return their paths.

    >>> import tempfile, pathlib
    >>> [p.name for p in write_pages(pathlib.Path(tempfile.mkdtemp()))]
    ['walkthrough.html', 'network.html', 'mlp.html']
    """
    L = lecture_expression()["L"]
    pages = [to_html(L, out / "walkthrough.html", title="Backprop through L = (a*b + c) * f")]
    pages.append(
        to_html(small_network(seed, [4, 4, 1]), out / "network.html", title="Backprop through MLP(2, [4, 4, 1]) and its loss")
    )
    whole = nn.MLP(2, [16, 16, 1], seed=seed)([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    assert isinstance(whole, Value)
    whole.label = "out"
    pages.append(
        to_html(whole, out / "mlp.html", title="Backprop through MLP(2, [16, 16, 1]), one box per neuron", collapse="neuron")
    )
    return pages


def screenshot(page: Path, png: Path, steps: int = 2, click: str = "#n0", size: tuple[int, int] = (1280, 720)) -> Path:
    """Save a PNG of ``page`` after ``steps`` presses of "next" and a click on ``click``, in headless Chromium.

    Needs Playwright and a Chromium on PATH.
    """
    import shutil

    from playwright.sync_api import sync_playwright

    executable = next(
        (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None
    )
    if executable is None:
        raise SystemExit("--screenshot needs a Chromium on PATH (apt install chromium)")
    # No sandbox (root has none), no GPU, and none of the background services that try the network.
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    flags.append("--no-first-run")
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=flags,
            viewport={"width": size[0], "height": size[1]},
        )
        try:
            browser_page = context.new_page()
            browser_page.goto(page.resolve().as_uri())
            for _ in range(steps):
                browser_page.click(".vg-next")
            browser_page.click(click)  # show a node's details too
            png.parent.mkdir(parents=True, exist_ok=True)
            browser_page.screenshot(path=str(png))
        finally:
            context.close()
    return png


def main(argv: list[str] | None = None) -> list[Path]:
    """Run the demo: write the pages (and, if asked, a screenshot) and print where they are."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the pages (default: out/)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the networks' initial weights (default 0)")
    parser.add_argument("--screenshot", type=Path, default=None, help="also save a PNG of the walkthrough page")
    parser.add_argument("--network-screenshot", type=Path, default=None, help="also save a PNG of the network's page")
    args = parser.parse_args(argv)
    pages = write_pages(args.out, args.seed)
    for page in pages:
        print(f"wrote {page} ({page.stat().st_size // 1024} KiB): open it in a browser")
    if args.screenshot is not None:
        print(f"wrote {screenshot(pages[0], args.screenshot)}")
    if args.network_screenshot is not None:
        print(f"wrote {screenshot(pages[1], args.network_screenshot, steps=6, click='g.node.vg-s-current')}")
    return pages


if __name__ == "__main__":
    main()
