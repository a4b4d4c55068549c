"""Watch the lecture's 3→5→1 network learn its four samples, epoch by epoch, in one offline page.

    python -m demos.watch              # 60 epochs of gradient descent, out/watch.html
    python -m demos.watch --quick      # 5 epochs, for a smoke test
    python -m demos.watch --out DIR    # write the page to DIR/watch.html
    python -m demos.watch --screenshot docs/images/watch.png   # also a picture of it (headless Chromium)

The lecture's setup: ``MLP(3, [5, 1])`` with y = f(w⁽³⁾·f(w⁽²⁾·x + b⁽²⁾) + b⁽³⁾), f = tanh, the mean squared
error L = (1/P) Σ (y_p − ℓ_p)² over P = 4 samples, full-batch gradient descent with learning rate
α = 0.05, so every epoch is one update p ← p − α·∂L/∂p. The page (``nn.watch``) shows each
epoch's parameters and gradients on the network, the update written out with its numbers for the
parameter you click, and the loss curve; the terminal gets the same update for one weight.
"""

from __future__ import annotations

import sys
from pathlib import Path

from demos._common import demo_parser, steps_from
from nn.module import MLP
from nn.optim import SGD
from nn.snapshots import Snapshots
from nn.train import fit
from nn.watch import watch_data, watch_page

#: The lecture's four samples of three inputs and their targets.
XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]
EPOCHS = 60
QUICK_EPOCHS = 5
LR = 0.05
SEED = 0


def train(epochs: int, seed: int = SEED) -> tuple[MLP, Snapshots]:
    """The lecture's network trained ``epochs`` full-batch epochs, with a snapshot after each one.

    >>> model, snaps = train(3)
    >>> len(snaps), snaps[-1].train_loss < snaps[0].train_loss
    (3, True)
    """
    model = MLP(3, [5, 1], activation="tanh", output_activation="tanh", seed=seed)
    snaps = Snapshots()
    fit(model, "mse", XS, YS, optimizer=SGD(model.parameters(), lr=LR), epochs=epochs, callbacks=[snaps], progress=False)
    return model, snaps


def update_line(snaps: Snapshots, model: MLP, epoch: int = -1, parameter: int = 0) -> str:
    """One epoch's update of one parameter, written out as the page writes it.

    >>> model, snaps = train(2)
    >>> update_line(snaps, model, 1).startswith("epoch 2: w₁₁⁽²⁾ ← ")
    True
    """
    data = watch_data(snaps, model)
    shown = data["epochs"][epoch]
    name = data["params"][parameter]["name"]
    u = shown["update"][parameter]
    return (
        f"epoch {shown['epoch']}: {name} ← {u['beforeText']} − {shown['lrText']} × ({shown['gradsText'][parameter]})"
        f" = {u['nextText']}"
    )


def screenshot(page: Path, png: Path, *, epoch: int = 20, parameter: int = 12, size: tuple[int, int] = (1280, 720)) -> Path:
    """Save a PNG of ``page`` scrubbed to ``epoch`` (from 1) with ``parameter`` chosen, in headless Chromium.

    Needs Playwright and a Chromium on PATH (``.ci/install-browser.sh``).
    """
    import shutil
    import tempfile

    from playwright.sync_api import sync_playwright

    executable = next(
        (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None
    )
    if executable is None:
        raise SystemExit("--screenshot needs a Chromium on PATH (apt install chromium)")
    # No sandbox (root has none), no GPU, and none of the background services that try the network.
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=flags, viewport={"width": size[0], "height": size[1]}
        )
        try:
            browser_page = context.new_page()
            browser_page.goto(page.resolve().as_uri())
            browser_page.fill("#vg-epoch", str(epoch - 1))
            browser_page.click(f".vg-params tr[data-i='{parameter}']")
            browser_page.evaluate("window.scrollTo(0, 0)")
            png.parent.mkdir(parents=True, exist_ok=True)
            browser_page.screenshot(path=str(png))
        finally:
            context.close()
    return png


def main(argv: list[str] | None = None) -> int:
    """Train, print the first and last updates of one weight, write the page."""
    parser = demo_parser(__doc__.splitlines()[0], steps=EPOCHS, quick_steps=QUICK_EPOCHS, seed=SEED)
    parser.add_argument("--screenshot", type=Path, default=None, help="also save a PNG of the page (needs Chromium)")
    args = parser.parse_args(argv)
    epochs = steps_from(args, steps=EPOCHS, quick_steps=QUICK_EPOCHS)
    if epochs < 1:
        raise SystemExit("--steps must be >= 1: the page shows at least one epoch")
    model, snaps = train(epochs, args.seed)
    print(f"trained the 3→5→1 network {epochs} epochs: loss {snaps[0].train_loss:.4g} → {snaps[-1].train_loss:.4g}")
    print(update_line(snaps, model, 0))
    print(update_line(snaps, model, -1))
    page = watch_page(snaps, model, path=Path(args.out) / "watch.html")
    print(f"wrote {page}")
    if args.screenshot is not None:
        print(f"wrote {screenshot(page, args.screenshot, epoch=min(20, epochs))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
