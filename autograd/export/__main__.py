"""``python -m autograd.export``: every export of one of the lecture's graphs, into a folder.

    python -m autograd.export [lecture|neuron] [--out DIR] [--only png,gif,apng,html,pdf] [--seconds S]

``lecture`` is micrograd's ``L = (a*b + c) * f`` (a=2, b=-3, c=10, f=-2); ``neuron`` is its tanh
neuron ``o = tanh(x1*w1 + x2*w2 + b)`` (output 0.7071). Writes ``DIR/<graph>-frames/``,
``<graph>.gif``, ``<graph>.apng.png``, ``<graph>-slides.html`` and ``<graph>-worksheet.pdf``.
The demos ``convolution``, ``rnn`` and ``attention`` export their own graphs with ``--export``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from autograd import Value
from autograd.export import frames, save_apng, save_frames, save_gif, save_slides, save_worksheet

FORMATS = ("png", "gif", "apng", "html", "pdf")


def lecture() -> Value:
    """micrograd's lecture expression ``L = (a*b + c) * f``, every node labelled."""
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L


def neuron() -> Value:
    """micrograd's lecture neuron ``o = tanh(x1*w1 + x2*w2 + b)`` with its weights (o = 0.7071)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Value(-3.0, label="w1"), Value(1.0, label="w2"), Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


GRAPHS: dict[str, Callable[[], Value]] = {"lecture": lecture, "neuron": neuron}
#: What each graph's pictures and pages are titled.
TITLES = {"lecture": "backprop through L = (a*b + c) * f", "neuron": "backprop through o = tanh(x1*w1 + x2*w2 + b)"}


def export_all(root: Value, out: Path, name: str, *, only: Sequence[str] = FORMATS, seconds: float = 1.5) -> list[Path]:
    """Write the exports ``only`` names for ``root`` into ``out`` (file names start with ``name``); return the paths."""
    film = frames(root, title=TITLES.get(name, f"backprop through {name}"))
    written: list[Path] = []
    if "png" in only:
        written += save_frames(film, out / f"{name}-frames")
    if "gif" in only:
        written.append(save_gif(film, out / f"{name}.gif", seconds=seconds))
    if "apng" in only:
        written.append(save_apng(film, out / f"{name}.apng.png", seconds=seconds))
    if "html" in only:
        written.append(save_slides(film, out / f"{name}-slides.html"))
    if "pdf" in only:
        written.append(save_worksheet(film, out / f"{name}-worksheet.pdf"))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, write the exports, print where they went; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m autograd.export", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("graph", nargs="?", default="lecture", choices=sorted(GRAPHS), help="which graph (default: lecture)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the files (default: out/)")
    parser.add_argument("--only", default=",".join(FORMATS), help=f"comma-separated formats (default: {','.join(FORMATS)})")
    parser.add_argument("--seconds", type=float, default=1.5, help="seconds per frame in the animations (default 1.5)")
    args = parser.parse_args(argv)
    only = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = [part for part in only if part not in FORMATS]
    if unknown:
        parser.error(f"--only: unknown format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    root = GRAPHS[args.graph]()
    paths = export_all(root, args.out, args.graph, only=only, seconds=args.seconds)
    for path in paths:
        print(f"  wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
