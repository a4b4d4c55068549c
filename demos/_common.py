"""What the demos share: their command-line options, the output folder, and figures saved without a display."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def demo_parser(description: str, *, steps: int, quick_steps: int, seed: int) -> argparse.ArgumentParser:
    """An argument parser with the options every demo takes: ``--steps``, ``--quick``, ``--out`` and ``--seed``.

    >>> args = demo_parser("demo", steps=100, quick_steps=5, seed=0).parse_args(["--quick"])
    >>> args.quick, args.steps, str(args.out)
    (True, None, 'out')
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--steps", type=int, default=None, help=f"training steps (default {steps}; {quick_steps} with --quick)")
    parser.add_argument("--quick", action="store_true", help="a few steps and small pictures, for a smoke test")
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the pictures (default: out/)")
    parser.add_argument("--seed", type=int, default=seed, help=f"seed for data and initial weights (default {seed})")
    return parser


def steps_from(args: argparse.Namespace, *, steps: int, quick_steps: int) -> int:
    """The number of steps the options ask for: ``--steps`` if given, else the quick or the full default."""
    chosen: int = args.steps if args.steps is not None else (quick_steps if args.quick else steps)
    if chosen < 0:
        raise SystemExit(f"--steps must be >= 0, got {chosen}")
    return chosen


def new_figure(width: float, height: float) -> Any:
    """A matplotlib ``Figure`` drawn by the Agg backend: no display needed, and no pyplot global state touched."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save(figure: Any, folder: Path, name: str) -> Path:
    """Save ``figure`` as ``folder/name`` (creating the folder), say where, and return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    figure.savefig(path, dpi=110)
    print(f"  wrote {path}")
    return path
