"""``python -m benchmarks.pages``: what a network's backprop page costs -- to write, to carry, to open, to step.

For an ``MLP(2, [16, 16, 1])`` and its squared error over 20 samples (~1,800 nodes) and over 100
samples (~9,000 nodes), as ``to_html`` writes it by default (collapsed by neuron or layer above
``AUTO_COLLAPSE`` drawn nodes): the page's size, the time to write it (wall and CPU), the time
headless Chromium takes to open it (until the page has drawn its first state; wall, and the
renderer's main-thread CPU time from the DevTools ``TaskDuration`` metric), and the median time of
one "next" at steps 1-10 and at steps 1,000-1,010 (the click, its DOM changes and the layout they
need; wall and CPU). Goals (issue 18.4): opens in <= 2 s, <= 50 ms a step at both ends, and the
1,800-node page <= 2 MB. Runs are interleaved (``--repeats``) and figures are medians: the machine is shared.

    python -m benchmarks.pages              # both graphs, 3 repeats (a few minutes)
    python -m benchmarks.pages --quick      # the 20-sample graph, 1 repeat

Needs Playwright and a Chromium (``.ci/install-browser.sh``); ``VALUEGRAD_CHROMIUM`` picks the executable.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import nn
from autograd import Value, topological_order
from autograd.seeing.page import to_html

#: Flags for a headless Chromium on a shared machine with no network (the tests' flags).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
]


def network_loss(samples: int, seed: int = 0) -> Value:
    """The squared error of ``MLP(2, [16, 16, 1])`` over ``samples`` random points in [-1, 1]² with ±1 targets."""
    rng = random.Random(seed)
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    predictions = []
    targets = []
    for _ in range(samples):
        out = model([Value(rng.uniform(-1, 1)), Value(rng.uniform(-1, 1))])
        assert isinstance(out, Value)
        predictions.append(out)
        targets.append(rng.choice([-1.0, 1.0]))
    loss = nn.losses.mse(predictions, targets)
    loss.label = "loss"
    return loss


# One "next", timed inside the page: the click runs the step; reading a layout value makes the browser
# do the style and layout work the step's DOM changes need, as showing them would.
_STEP = """root => {
    const button = root.querySelector('.vg-next');
    const t0 = performance.now();
    button.click();
    void root.getBoundingClientRect().width;
    void root.querySelector('.vg-viewport').offsetHeight;
    return performance.now() - t0;
}"""


def _cpu(session: Any) -> float:
    metrics = session.send("Performance.getMetrics")["metrics"]
    return float(next(m["value"] for m in metrics if m["name"] == "TaskDuration"))


def measure_page(path: Path, executable: str) -> dict[str, float]:
    """Open ``path`` in a fresh headless Chromium; time the opening and single steps near the start and past 1,000."""
    from playwright.sync_api import sync_playwright

    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=FLAGS, viewport={"width": 1366, "height": 768}
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            session = context.new_cdp_session(page)
            session.send("Performance.enable")
            cpu0 = _cpu(session)
            start = time.perf_counter()
            page.goto(path.as_uri())
            page.wait_for_selector(".vg-page[data-position]", timeout=120_000)
            results["open wall s"] = time.perf_counter() - start
            results["open CPU s"] = _cpu(session) - cpu0
            root = page.locator(".vg-page")
            total = int(page.get_attribute(".vg-slider", "max") or 0)
            for name, first in (("steps 1-10", 0), ("steps 1000-1010", 1000)):
                if first + 10 > total:
                    continue
                page.evaluate(
                    "([v]) => { const s = document.querySelector('.vg-slider'); s.value = v;"
                    " s.dispatchEvent(new Event('input')); }",
                    [str(first)],
                )
                walls, cpus = [], []
                for _ in range(10):
                    before = _cpu(session)
                    walls.append(root.evaluate(_STEP) / 1000)
                    cpus.append(_cpu(session) - before)
                results[f"{name} wall ms"] = statistics.median(walls) * 1000
                results[f"{name} CPU ms"] = statistics.median(cpus) * 1000
        finally:
            context.close()
    return results


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Run the measurements, print them and return them by graph."""
    from tests.browser import find_chromium

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="the 20-sample graph only, one repeat")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per graph (medians are printed)")
    args = parser.parse_args(argv)
    executable = find_chromium()
    if executable is None:
        raise SystemExit("benchmarks.pages needs a Chromium (run .ci/install-browser.sh or set VALUEGRAD_CHROMIUM)")
    sizes = (20,) if args.quick else (20, 100)
    repeats = 1 if args.quick else args.repeats
    runs: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
    nodes: dict[int, int] = {}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeats):
            for samples in sizes:  # interleaved: a slow moment of the machine hits both graphs
                root = network_loss(samples)
                nodes[samples] = len(topological_order(root))
                path = Path(folder) / f"mlp-{samples}.html"
                wall, cpu = time.perf_counter(), time.process_time()
                to_html(root, path, title=f"MLP(2, [16, 16, 1]) over {samples} samples")
                row = {"write wall s": time.perf_counter() - wall, "write CPU s": time.process_time() - cpu}
                row["page MB"] = path.stat().st_size / 1e6
                row.update(measure_page(path, executable))
                runs[samples].append(row)
    summary: dict[str, dict[str, float]] = {}
    for samples in sizes:
        keys = runs[samples][0].keys()
        summary[f"{samples} samples"] = {k: statistics.median(r[k] for r in runs[samples]) for k in keys}
        print(f"MLP(2, [16, 16, 1]) over {samples} samples: {nodes[samples]:,} nodes (median of {repeats})")
        for key, value in summary[f"{samples} samples"].items():
            print(f"  {key:22} {value:9.3f}")
    return summary


if __name__ == "__main__":
    main()
