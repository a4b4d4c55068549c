"""The figure a plotting call returns: shown by Jupyter as a cell's last expression, saved by a script.

``History.plot()``, ``History.plot_gradients()`` and a search's ``Results.plot()`` draw on a new
matplotlib figure of their own (not one of pyplot's, so nothing appears twice or leaks between
cells) and return a ``Plot``: Jupyter calls its ``_repr_png_``, a script calls ``savefig``. It
passes every other attribute to the axes it drew on, so ``plot().get_lines()`` works as before.
Drawn onto axes you passed (``ax=``), the figure is yours: when pyplot manages it, the notebook's
own display shows it and ``_repr_png_`` steps aside.

>>> plot = new_plot()
>>> _ = plot.ax.plot([0, 1], [1, 0], label="loss")
>>> [line.get_label() for line in plot.get_lines()], plot._repr_png_()[:4]
(['loss'], b'\\x89PNG')
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

__all__ = ["Plot", "new_plot"]


class Plot:
    """Axes drawn by valuegrad and their figure: ``_repr_png_`` for Jupyter, ``savefig`` for scripts."""

    def __init__(self, ax: Any) -> None:
        self.ax = ax
        self.figure = ax.figure

    def savefig(self, path: str | os.PathLike[str], **options: Any) -> Path:
        """Write the figure (PNG, SVG, PDF by the name's ending) and return the path."""
        self.figure.savefig(path, **options)
        return Path(path)

    def _repr_png_(self) -> bytes | None:
        if getattr(self.figure.canvas, "manager", None) is not None:
            return None  # a pyplot figure: the notebook's inline backend shows it already
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_repr_"):  # IPython probes for other formats: there are none
            raise AttributeError(name)
        return getattr(self.ax, name)

    def __repr__(self) -> str:
        title = self.ax.get_title() or self.ax.get_ylabel() or "figure"
        return f"<Plot: {title}; .savefig(path) writes it, .ax and .figure are matplotlib's>"


def new_plot(figsize: tuple[float, float] = (6.4, 4.0)) -> Plot:
    """A fresh figure with one axes, outside pyplot (no global state, no GUI window).

    >>> new_plot().figure.get_size_inches().tolist()
    [6.4, 4.0]
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(figure)
    return Plot(figure.add_subplot())
