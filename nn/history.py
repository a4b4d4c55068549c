"""What ``fit`` measured, per epoch: the learning curves as a table (text and HTML) and as figures."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from nn.diagnose import Finding
from nn.figure import Plot, new_plot
from nn.tables import Table

__all__ = ["History", "best_epoch"]


def _legend(ax: Any, twin: Any, loc: str) -> None:
    """One legend for the lines of ``ax`` and of its second axis ``twin`` (or None).

    It goes on the topmost axes, or the second axis's lines would be drawn over it.
    """
    handles, labels = ax.get_legend_handles_labels()
    top = ax
    if twin is not None:
        more_handles, more_labels = twin.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
        top = twin
    top.legend(handles, labels, loc=loc, fontsize="small", framealpha=0.9)


def _axes(ax: Any) -> Plot:
    return new_plot() if ax is None else Plot(ax)


@dataclass(repr=False)
class History:
    """What ``fit`` measured, one entry per completed epoch (validation lists stay empty without validation data).

    ``train_loss`` is the mean data loss over the epoch's batches, each measured just before its
    update (for full batch: the loss at the start of the step); ``val_*`` are measured after the
    epoch's updates. Losses exclude the L2 penalty, so train and validation compare like for like.
    With ``record_gradients=True``, ``grad_norms[layer]`` is the layer's gradient norm averaged
    over the epoch's steps (of the data loss: the ``l2`` share taken out) and ``dead_fraction[layer]`` the
    fraction of its ReLU units that output 0 on every training example after the epoch.

    In a terminal ``print(history)`` (or its repr) is the table; in Jupyter an HTML table.
    """

    epochs: list[int] = field(default_factory=list)
    step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    grad_norms: dict[str, list[float]] = field(default_factory=dict)
    dead_fraction: dict[str, list[float]] = field(default_factory=dict)
    #: Dead layers and vanishing or exploding gradients found during training (each also warned once).
    findings: list[Finding] = field(default_factory=list)
    #: The epoch with the best early-stopping metric (without early stopping: the lowest validation
    #: loss, or train loss without validation data); the model holds its parameters only with early stopping.
    best_epoch: int | None = None
    #: True when a callback (early stopping, or a function of yours) ended training before its last epoch.
    stopped_early: bool = False
    #: Why training stopped early: the stop request's reason (``"early stopping: val_loss ..."``).
    stop_reason: str = ""
    #: Optimizer steps completed, including those of an epoch cut short by an interrupt.
    steps_done: int = 0
    #: True when Ctrl-C (KeyboardInterrupt) ended the run early.
    interrupted: bool = False
    #: True when an error (a ``NonFiniteError``, say) ended the run; callbacks' ``on_fit_end`` see it.
    failed: bool = False
    seconds: float = 0.0

    @property
    def epoch(self) -> list[int]:
        """The epoch numbers (the old name of ``epochs``)."""
        return self.epochs

    def __len__(self) -> int:
        return len(self.epochs)

    def summary(self) -> str:
        """One line with the latest figures, as the progress bar and demos show them."""
        if not self.epochs:
            return "no epoch completed"
        parts = [f"epoch {self.epochs[-1]}", f"step {self.step[-1]}", f"loss {self.train_loss[-1]:.4f}"]
        if self.train_accuracy:
            parts.append(f"accuracy {self.train_accuracy[-1]:.1%}")
        if self.val_loss:
            parts.append(f"val loss {self.val_loss[-1]:.4f}")
        if self.val_accuracy:
            parts.append(f"val accuracy {self.val_accuracy[-1]:.1%}")
        return ", ".join(parts)

    def _table(self, rows: int) -> Table:
        columns: list[tuple[str, list[float], str]] = [("train loss", self.train_loss, ".4f")]
        if self.train_accuracy:
            columns.append(("train acc", self.train_accuracy, ".1%"))
        if self.val_loss:
            columns.append(("val loss", self.val_loss, ".4f"))
        if self.val_accuracy:
            columns.append(("val acc", self.val_accuracy, ".1%"))
        n = len(self.epochs)
        shown = set(range(min(n, rows // 2))) | set(range(max(0, n - (rows - rows // 2)), n))
        if self.best_epoch is not None and self.best_epoch in self.epochs:
            shown.add(self.epochs.index(self.best_epoch))
        body: list[list[str] | None] = []
        marked = set()
        previous = -1
        for i in sorted(shown):
            if i > previous + 1:
                body.append(None)
            previous = i
            best = self.epochs[i] == self.best_epoch
            if best:
                marked.add(len(body))
            cells = [format(values[i], spec) if i < len(values) else "" for _, values, spec in columns]
            body.append([("*" if best else "") + str(self.epochs[i]), str(self.step[i]), *cells])
        header = ["epoch", "step", *(name.rjust(8) for name, _, _ in columns)]
        notes = ["(no epoch completed)"] if not n else []
        if self.stopped_early:
            notes.append(f"stopped early: {self.stop_reason}" if self.stop_reason else "stopped early")
        if self.interrupted:
            notes.append("interrupted (Ctrl-C)")
        notes += [f"- {f.message}" for f in self.findings]
        return Table(header, body, numeric=set(range(len(header))), notes=notes, marked=marked)

    def table(self, rows: int = 12) -> str:
        """The learning curves as a compact table: first and last epochs, the best one marked ``*``.

        At most ``rows`` epochs are shown (the first half, the last half and the best epoch).

        >>> h = History(epochs=[1, 2], step=[1, 2], train_loss=[0.9, 0.5], val_loss=[1.0, 0.7], best_epoch=2)
        >>> print(h.table())
        epoch  step  train loss  val loss
            1     1      0.9000    1.0000
           *2     2      0.5000    0.7000
        """
        return self._table(rows).text()

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        best = f", best epoch {self.best_epoch}" if self.best_epoch is not None else ""
        return f"History({len(self)} epochs, {self.steps_done} steps{best})\n{self.table()}"

    def _repr_html_(self) -> str:
        return self._table(12).html()

    def plot(self, ax: Any = None) -> Plot:
        """Learning curves (a new figure unless ``ax`` is given): losses, and accuracies on a second axis.

        Returns a ``Plot``: Jupyter shows it as a cell's last expression, ``.savefig(path)`` writes
        it, and it answers like the matplotlib ``Axes`` it drew on. Underfitting shows as both
        losses high; overfitting as the train loss falling while the validation loss rises; the
        best epoch is marked.

        >>> plot = History(epochs=[1, 2, 3], step=[1, 2, 3], train_loss=[0.9, 0.5, 0.4], val_loss=[1.0, 0.7, 0.8],
        ...                best_epoch=2).plot()
        >>> [line.get_label() for line in plot.get_lines()]
        ['train loss', 'val loss', 'best epoch 2']
        """
        plot = _axes(ax)
        ax = plot.ax
        ax.plot(self.epochs, self.train_loss, color="#2563eb", label="train loss")
        if self.val_loss:
            ax.plot(self.epochs, self.val_loss, color="#dc2626", label="val loss")
        if self.best_epoch is not None:
            ax.axvline(self.best_epoch, color="#6b7280", linestyle=":", label=f"best epoch {self.best_epoch}")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        twin = None
        if self.train_accuracy or self.val_accuracy:
            twin = ax.twinx()
            if self.train_accuracy:
                twin.plot(self.epochs, self.train_accuracy, color="#2563eb", linestyle="--", label="train accuracy")
            if self.val_accuracy:
                twin.plot(self.epochs, self.val_accuracy, color="#dc2626", linestyle="--", label="val accuracy")
            twin.set_ylabel("accuracy")
        _legend(ax, twin, "center right")
        return plot

    def plot_gradients(self, ax: Any = None) -> Plot:
        """Per-layer gradient norms over training (log scale); dead fractions dotted on a second axis.

        Needs ``fit(..., record_gradients=True)``. A layer whose norm became exactly 0 (a dead
        layer, which a log axis cannot show) gets an ``x`` at the bottom edge from that epoch on,
        and "(dead from epoch k)" in its legend entry. Returns a ``Plot`` (see ``plot``).

        >>> history = History(epochs=[1, 2], step=[1, 2], train_loss=[0.9, 0.5],
        ...                   grad_norms={"layers.0": [0.01, 0.0], "layers.1": [0.5, 0.4]})
        >>> [line.get_label() for line in history.plot_gradients().get_lines()]
        ['layers.0 grad norm (dead from epoch 2)', '_layers.0 dead', 'layers.1 grad norm']
        """
        if not self.grad_norms:
            raise ValueError("History.plot_gradients: no gradient norms recorded; call fit(..., record_gradients=True)")
        plot = _axes(ax)
        ax = plot.ax
        colors = [f"C{k % 10}" for k in range(len(self.grad_norms))]
        positive = [n for norms in self.grad_norms.values() for n in norms if n > 0.0 and math.isfinite(n)]
        floor = min(positive) / 10.0 if positive else 1e-12
        for color, (name, norms) in zip(colors, self.grad_norms.items()):
            epochs = self.epochs[: len(norms)]
            zero = [e for e, n in zip(epochs, norms) if n == 0.0]
            label = f"{name} grad norm" + (f" (dead from epoch {zero[0]})" if zero else "")
            # A zero norm has no place on a log axis: nan leaves a gap, and the marks below say why.
            ax.plot(epochs, [n if n > 0.0 else math.nan for n in norms], color=color, label=label)
            if zero:
                ax.plot(zero, [floor] * len(zero), color=color, linestyle="none", marker="x", label=f"_{name} dead")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("gradient norm (x: exactly 0)")
        twin = None
        if any(any(f > 0 for f in fractions) for fractions in self.dead_fraction.values()):
            twin = ax.twinx()
            for color, (name, fractions) in zip(colors, self.dead_fraction.items()):
                twin.plot(self.epochs[: len(fractions)], fractions, color=color, linestyle=":", label=f"{name} dead")
            twin.set_ylim(-0.05, 1.05)
            twin.set_ylabel("fraction of dead units")
        _legend(ax, twin, "best")
        return plot


def best_epoch(history: History) -> int | None:
    """The epoch of the lowest validation loss (train loss without validation data), nan never best.

    >>> best_epoch(History(epochs=[1, 2], step=[1, 2], train_loss=[0.5, 0.7]))
    1
    """
    values = history.val_loss or history.train_loss
    finite = [(v, e) for v, e in zip(values, history.epochs) if not math.isnan(v)]
    return min(finite)[1] if finite else None
