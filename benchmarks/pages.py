"""``python -m benchmarks.pages``: how the web page's cost grows with the graph (it must be linear).

Times (CPU time, best of 3), for graphs of 2,000 and 20,000 nodes (a chain of ``tanh``s, and a wide sum in which one
input is used by every term), making the page's data (``page_data``: one ``Backprop`` pass, every
step's text and every node's ``explain``), and writing the whole page without the drawing
(``to_html(..., draw=False)``; Graphviz's layout is not linear and is left out of big pages by
default). Then writes a 100,000-node page as ``to_html`` does by default. Prints one line per
measurement and the 10x ratios; the issue asks for at most about 12x.

    python -m benchmarks.pages            # about a minute
    python -m benchmarks.pages --quick    # 200 and 2,000 nodes, no 100,000-node page
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from autograd import Value, vsum
from autograd.seeing.page import page_data, to_html


def chain(n: int) -> Value:
    """``n`` nodes: x, then ``n - 1`` tanh nodes one after the other."""
    y = Value(0.5, label="x")
    for _ in range(n - 1):
        y = y.tanh()
    return y


def wide(n: int) -> Value:
    """About ``n`` nodes: x times ``n // 3`` constants, summed by one node (x has ``n // 3`` uses)."""
    x = Value(0.5, label="x")
    return vsum([x * (1.0 + i / n) for i in range(n // 3)])


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """The least CPU time of ``repeats`` runs of ``work``, in seconds (other processes on a busy machine barely count)."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return min(times)


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the measurements, print them and return them by name."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="200 and 2,000 nodes, no 100,000-node page")
    args = parser.parse_args(argv)
    small, big = (200, 2_000) if args.quick else (2_000, 20_000)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        for shape in (chain, wide):
            for name, work in (
                ("page_data", lambda root: page_data(root)),
                ("to_html(draw=False)", lambda root: to_html(root, out / "page.html", draw=False)),
            ):
                times = []
                for n in (small, big):
                    root = shape(n)
                    seconds = best_of(3, functools.partial(work, root))
                    times.append(seconds)
                    results[f"{shape.__name__} {n} {name}"] = seconds
                    print(f"{shape.__name__:5} {n:>7,} nodes  {name:20} {seconds:8.3f} s CPU ({seconds / n * 1e6:.0f} µs a node)")
                ratio = times[1] / times[0]
                results[f"{shape.__name__} {name} ratio"] = ratio
                print(f"{shape.__name__:5} 10x nodes          {name:20} {ratio:8.1f} x the time")
        if not args.quick:
            root = chain(100_000)
            start = time.perf_counter()
            path = to_html(root, out / "huge.html")
            seconds = time.perf_counter() - start
            results["chain 100000 to_html"] = seconds
            print(f"chain 100,000 nodes  to_html (default)    {seconds:8.3f} s, {path.stat().st_size / 1e6:.1f} MB")
    return results


if __name__ == "__main__":
    main()
