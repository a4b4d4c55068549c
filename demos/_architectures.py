"""What the architecture demos (convolution, rnn, attention) share: the lecture's sub- and superscripts, the
listing printed before a run, gradient descent as the lecture writes it, and the ``--export`` option.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from autograd import Value

_SUB = str.maketrans("0123456789+-", "₀₁₂₃₄₅₆₇₈₉₊₋")
_SUP = str.maketrans("0123456789()-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁻⁺")


def sub(*indices: int) -> str:
    """Subscript indices, as in w₁₂ (separated by commas from 10 on, so w₁₀,₂ cannot be read two ways).

    >>> sub(1, 2), sub(10, 2)
    ('₁₂', '₁₀,₂')
    """
    separator = "," if any(i >= 10 for i in indices) else ""
    return separator.join(str(i).translate(_SUB) for i in indices)


def sup(text: str | int) -> str:
    """A superscript, as the lecture writes layers and time steps: ``sup("(3)")`` is ``⁽³⁾``.

    >>> "h" + sup("(3)")
    'h⁽³⁾'
    """
    return str(text).translate(_SUP)


def print_listing(title: str, listing: str) -> None:
    """The demo's model in the lecture's notation, as printed before it runs (and quoted in docs/teaching.md)."""
    print(f"{title}\n{'=' * len(title)}\n{listing.strip()}\n")


def descend(parameters: Sequence[Value], lr: float) -> None:
    """One step of the lecture's gradient descent: p(new) = p(old) − α ∂L/∂p for every parameter."""
    for p in parameters:
        p.data -= lr * p.grad


def add_export_option(parser: argparse.ArgumentParser) -> None:
    """``--export``: also write the stepped graph as frames, GIF, APNG, slides and worksheet (needs valuegrad[export])."""
    parser.add_argument(
        "--export", action="store_true", help="also write the stepped graph's frames, GIF, APNG, slides and A4 worksheet"
    )


def export_graph(
    root: Value,
    out: Path,
    name: str,
    *,
    names: Mapping[Value, str] | None = None,
    parameters: Sequence[Value] = (),
    boxes: Mapping[Value, str] | None = None,
    title: str,
) -> list[Path]:
    """Every export of ``root``'s graph into ``out``: ``<name>-frames/``, ``.gif``, ``.apng.png``, slides and worksheet."""
    from autograd.export import frames, save_apng, save_frames, save_gif, save_slides, save_worksheet

    film = frames(root, names=names, parameters=parameters, boxes=boxes, title=title)
    writers: list[Callable[[], Path | list[Path]]] = [
        lambda: save_frames(film, out / f"{name}-frames"),
        lambda: save_gif(film, out / f"{name}.gif"),
        lambda: save_apng(film, out / f"{name}.apng.png"),
        lambda: save_slides(film, out / f"{name}-slides.html"),
        lambda: save_worksheet(film, out / f"{name}-worksheet.pdf"),
    ]
    written: list[Path] = []
    for write in writers:
        result = write()
        written += result if isinstance(result, list) else [result]
    print(f"  exported {len(film)} frames of {name} ({len(written)} files) to {out}")
    return written
