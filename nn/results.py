"""A search's table of trials: sorted best first, as text and HTML, saved as JSON, drawn as a heatmap.

>>> row = TrialResult(0, {"lr": 0.1}, "ok", 0.5, 0.75, 0.6, 0.7, 1.25)
>>> Results([row], "val_accuracy").best.index
0
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from autograd.atomic import write_text_atomically
from nn.figure import Plot, new_plot
from nn.space import DEFAULTS
from nn.tables import Table
from nn.trial import TrialResult

__all__ = ["Metric", "Results"]

Metric = Literal["val_accuracy", "val_loss"]
_COLUMNS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds")


@dataclass
class Results:
    """The trials of a search, in trial order: a sortable table, the best by validation, a plot."""

    trials: list[TrialResult]
    metric: Metric
    #: True when Ctrl-C (or a KeyboardInterrupt from the callback) stopped the search; the finished trials are kept.
    interrupted: bool = False

    def __len__(self) -> int:
        return len(self.trials)

    @property
    def finished(self) -> list[TrialResult]:
        """The trials that trained to the end (not failed, not interrupted)."""
        return [t for t in self.trials if t.status == "ok"]

    def _key(self, by: str) -> Callable[[TrialResult], tuple[float, ...]]:
        """A sort key putting the best first: high accuracy or low loss; then diverged trials; missing and failed last.

        Ties go to the lower validation loss, then to the earlier trial. A trial whose validation
        loss is not finite diverged and ranks after every trial that did not, so the table's first
        row is always ``best``.
        """
        higher_is_better = by.endswith("accuracy")

        def number(t: TrialResult, column: str) -> float | None:
            value = t.full_settings()[column] if column in DEFAULTS else getattr(t, column)
            if t.status != "ok" or isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
                return None
            return float(value)

        def key(t: TrialResult) -> tuple[float, ...]:
            value, loss = number(t, by), number(t, "val_loss")
            if value is None:
                return (2.0, 0.0, 0.0, float(t.index))
            if loss is None or not math.isfinite(loss):  # diverged
                return (1.0, -value if higher_is_better else value, math.inf, float(t.index))
            return (0.0, -value if higher_is_better else value, loss, float(t.index))

        return key

    def sorted(self, by: str | None = None) -> list[TrialResult]:
        """The trials best first by ``by`` (a result column or a hyperparameter; default the search's metric).

        Accuracy columns sort high to low, everything else low to high; failed trials go last.

        >>> rows = [TrialResult(0, {"lr": 0.3}, "ok", val_loss=0.4, val_accuracy=0.8),
        ...         TrialResult(1, {"lr": 0.1}, "ok", val_loss=0.2, val_accuracy=0.9)]
        >>> results = Results(rows, "val_accuracy")
        >>> [t.index for t in results.sorted()], [t.index for t in results.sorted("lr")]
        ([1, 0], [1, 0])
        """
        by = by or self.metric
        if by not in DEFAULTS and by not in _COLUMNS and by != "index":
            raise ValueError(f"Results.sorted: unknown column {by!r}; use one of {', '.join(_COLUMNS)} or a hyperparameter")
        return sorted(self.trials, key=self._key(by))

    @property
    def best(self) -> TrialResult:
        """The finished trial with the best validation metric (ties: the lower validation loss, then the earlier trial).

        Trials that diverged (a non-finite validation loss) are never chosen.
        """
        if not self.finished:
            raise ValueError("Results.best: no trial finished, so there is nothing to choose")
        # A trial whose validation loss is not finite diverged: its weights are not numbers to keep.
        kept = [t for t in self.sorted() if t.status == "ok" and math.isfinite(t.val_loss)]
        if not kept:
            raise ValueError(
                "Results.best: every finished trial ended with a non-finite validation loss (it diverged); "
                "try smaller learning rates"
            )
        return kept[0]

    def keys(self) -> list[str]:
        """The hyperparameters the trials set, in the order the space named them.

        >>> Results([TrialResult(0, {"width": 4, "lr": 0.1}, "ok")], "val_loss").keys()
        ['width', 'lr']
        """
        seen: dict[str, None] = {}
        for t in self.trials:
            seen.update(dict.fromkeys(t.settings))
        return list(seen)

    def where(self, **fixed: Any) -> Results:
        """The trials whose settings have the given values (defaults included).

        >>> rows = [TrialResult(0, {"layers": 1}, "ok"), TrialResult(1, {"layers": 2}, "ok")]
        >>> [t.index for t in Results(rows, "val_loss").where(layers=2).trials]
        [1]
        """
        keep = [t for t in self.trials if all(t.full_settings()[k] == v for k, v in fixed.items())]
        return Results(keep, self.metric, self.interrupted)

    def _table(self, by: str | None, limit: int | None) -> Table:
        keys = self.keys()
        header = ["#", *keys, "train loss", "train acc", "val loss", "val acc", "time"]
        stopping = "patience" in keys  # then how long each trial ran tells whether it stopped early
        if stopping:
            header.append("epochs run")
        diagnosed = any(t.findings for t in self.trials)
        if diagnosed:
            header.append("diagnosis")
        rows = []
        for t in self.sorted(by)[:limit]:
            cells = [str(t.index), *(_cell(t.settings.get(k, DEFAULTS[k])) for k in keys)]
            if t.status == "failed":
                cells += ["failed:", t.error[:40], "", "", f"{t.seconds:.1f} s"]
            else:
                cells += [f"{t.train_loss:.4f}", _percent(t.train_accuracy), f"{t.val_loss:.4f}", _percent(t.val_accuracy)]
                cells.append(f"{t.seconds:.1f} s" + (" (interrupted)" if t.status == "interrupted" else ""))
            if stopping:
                cells.append(str(t.epochs_run) if t.status != "failed" else "")
            if diagnosed:
                cells.append("; ".join(t.findings))
            rows.append(cells)
        numeric = {0, *range(len(keys) + 1, len(keys) + 5), *([len(keys) + 6] if stopping else [])}
        notes = ["(interrupted: the trials that finished)"] if self.interrupted else []
        return Table(header, rows, numeric=numeric, notes=notes, marked={0} if rows else set())

    def table(self, by: str | None = None, *, limit: int | None = None) -> str:
        """A text table, one row per trial, best first by ``by`` (default: the metric it chooses by).

        >>> row = TrialResult(0, {"lr": 0.1}, "ok", 0.5, 0.75, 0.6, 0.7, 1.25)
        >>> print(Results([row], "val_accuracy").table())
          #  lr   train loss  train acc  val loss  val acc  time
          0  0.1      0.5000      75.0%    0.6000    70.0%  1.2 s
        """
        return self._table(by, limit).text(indent="  ")

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"Results({len(self)} trials, by {self.metric})\n{self.table()}"

    def _repr_html_(self) -> str:
        return self._table(None, None).html()

    def rows(self, by: str | None = None) -> list[dict[str, Any]]:
        """One plain dict per trial, best first: every setting (defaults filled in) and every result.

        Ready for ``pandas.DataFrame(results.rows())`` or ``csv.DictWriter``; the weights are left out.

        >>> row = TrialResult(0, {"lr": 0.1}, "ok", 0.5, 0.75, 0.6, 0.7, 1.25)
        >>> r = Results([row], "val_accuracy").rows()[0]
        >>> r["lr"], r["width"], r["val_accuracy"], r["status"]
        (0.1, 8, 0.7, 'ok')
        """
        return [
            {
                "index": t.index,
                **t.full_settings(),
                **{column: getattr(t, column) for column in _COLUMNS},
                "status": t.status,
                "error": t.error,
                "findings": list(t.findings),
                "epochs_run": t.epochs_run,
            }
            for t in self.sorted(by)
        ]

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``rows()`` as JSON, atomically (a reader never sees half a file), and return the path.

        >>> import json, os, tempfile
        >>> row = TrialResult(0, {"lr": 0.1}, "ok", 0.5, 0.75, 0.6, 0.7, 1.25)
        >>> path = Results([row], "val_accuracy").save(os.path.join(tempfile.mkdtemp(), "trials.json"))
        >>> json.loads(path.read_text())["rows"][0]["lr"]
        0.1
        """
        # NaN (a diverged trial) is not JSON: it is written as null.
        rows = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()} for r in self.rows()]
        document = {"metric": self.metric, "interrupted": self.interrupted, "rows": rows}
        return write_text_atomically(path, json.dumps(document, indent=1, allow_nan=False) + "\n")

    def plot(
        self,
        ax: Any = None,
        *,
        x: str | None = None,
        y: str | None = None,
        metric: str | None = None,
        vmin: float | None = None,
        vmax: float | None = None,
    ) -> Plot:
        """The metric over the grid: a heatmap over hyperparameters ``x`` and ``y`` (one row of cells without ``y``).

        Each cell shows the best trial with those two values (over the other hyperparameters).
        Defaults: the first two hyperparameters that take more than one value; the colour scale
        spans the values unless ``vmin`` / ``vmax`` fix it (to compare several plots). Returns a ``Plot``
        (Jupyter shows it; ``.savefig(path)`` writes it; it answers like the axes).
        """
        metric = metric or self.metric
        if not self.keys():
            raise ValueError("Results.plot: the trials set no hyperparameters, so there is no grid to draw")
        varying = [k for k in self.keys() if len({_cell(t.full_settings()[k]) for t in self.trials}) > 1]
        x = x or (varying[0] if varying else self.keys()[0])
        if y is None:
            y = next((k for k in varying if k != x), None)
        plot = new_plot((6.0, 4.0)) if ax is None else Plot(ax)
        ax = plot.ax
        xs = _ordered({t.full_settings()[x] for t in self.trials})
        ys = _ordered({t.full_settings()[y] for t in self.trials}) if y else [None]
        best: dict[tuple[Any, Any], TrialResult] = {}
        for t in self.sorted(metric):
            cell = (t.full_settings()[x], t.full_settings()[y] if y else None)
            best.setdefault(cell, t)
        grid_values = [[_value(best.get((a, b)), metric) for a in xs] for b in ys]
        accuracy = metric.endswith("accuracy")
        image = ax.imshow(
            grid_values, cmap="viridis" if accuracy else "viridis_r", origin="lower", aspect="auto", vmin=vmin, vmax=vmax
        )
        for j, row in enumerate(grid_values):
            for i, v in enumerate(row):
                if not math.isnan(v):
                    # viridis is light at its top end: dark text there, light text on the dark cells
                    shade = image.norm(v) if accuracy else 1.0 - image.norm(v)
                    colour = "black" if shade > 0.6 else "white"
                    ax.text(i, j, f"{v:.0%}" if accuracy else f"{v:.3f}", ha="center", va="center", color=colour, fontsize=8)
        ax.set_xticks(range(len(xs)), [_cell(v) for v in xs])
        ax.set_yticks(range(len(ys)), [_cell(v) for v in ys] if y else [""])
        ax.set_xlabel(x)
        ax.set_ylabel(y or "")
        ax.figure.colorbar(image, ax=ax, label=metric.replace("_", " "))
        return plot


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return "full" if value is None else str(value)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _value(trial: TrialResult | None, metric: str) -> float:
    if trial is None or trial.status != "ok":
        return math.nan
    value = getattr(trial, metric)
    return math.nan if value is None else float(value)


def _ordered(values: set[Any]) -> list[Any]:
    """Hyperparameter values in a sensible axis order: numbers ascending (None, meaning 'full', last), else by text."""
    try:
        return sorted(values, key=lambda v: (v is None, v if v is not None else 0))
    except TypeError:
        return sorted(values, key=str)


# ------------------------------------------------------------------------------------- the search
