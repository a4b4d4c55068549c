"""A training loop: full-batch gradient descent or mini-batch SGD, with a per-epoch history.

``fit`` is the loop every demo would otherwise write by hand — zero the gradients, run the model
over a batch, compute the loss, ``backward``, let the optimizer step — plus the bookkeeping: train
and validation loss and accuracy per epoch, early stopping, a diagnosis of dead layers and
vanishing or exploding gradients (``nn.diagnose``), a loud stop at the first nan, an optional
progress bar (terminal or notebook), and a clean stop on Ctrl-C that never leaves the model
half-updated.
"""

from __future__ import annotations

import math
import numbers
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Literal, Protocol, Union, get_args

from autograd import Value, no_grad
from nn import losses
from nn.data import batches
from nn.diagnose import Finding, GradientMonitor
from nn.module import Output
from nn.optim import Optimizer
from nn.seeding import Seed, rng_from

__all__ = [
    "AccuracyFn",
    "EarlyStopping",
    "History",
    "LossFn",
    "Model",
    "NonFiniteError",
    "Optimizer",
    "Output",
    "binary_accuracy",
    "evaluate",
    "fit",
    "multiclass_accuracy",
    "resolve_loss",
]

#: A target: a class label (int) or a regression target (float).
Target = Union[int, float]
#: A loss: takes the model's outputs for a batch (``Value``s, or lists of them for class scores) and
#: their targets, returns one ``Value``; the functions in ``nn.losses`` are such losses.
LossFn = Callable[[list[Any], list[Any]], Value]
#: An accuracy metric: the fraction of outputs that match their targets, in [0, 1].
AccuracyFn = Callable[[Sequence[Output], Sequence[Any]], float]
LossName = Literal["mse", "hinge", "binary_cross_entropy", "cross_entropy"]


class Model(Protocol):
    """Anything ``fit`` can train: callable on one input, with ``parameters()`` (an ``nn.Module``, for one)."""

    def __call__(self, x: Any) -> Output:
        """The model's output for one input."""
        ...

    def parameters(self) -> list[Value]:
        """The trainable leaves, in a fixed order."""
        ...


# ------------------------------------------------------------------------------------- metrics


def _single(output: Output) -> Value:
    if isinstance(output, Value):
        return output
    if len(output) == 1:
        return output[0]
    raise ValueError(f"binary_accuracy: expected one score per example, got {len(output)} outputs")


def binary_accuracy(outputs: Sequence[Output], labels: Sequence[Target]) -> float:
    """Fraction of examples whose score has the sign of its class: score > 0 predicts the positive class.

    Works for ±1 labels (hinge) and 0/1 labels (logits for binary cross-entropy) alike, since in
    both the positive class is the label > 0.

    >>> binary_accuracy([Value(2.0), Value(-0.5), Value(0.1)], [1, -1, -1])
    0.6666666666666666
    """
    if not labels:
        return math.nan
    hits = sum((_single(s).data > 0) == (t > 0) for s, t in zip(outputs, labels))
    return hits / len(labels)


def multiclass_accuracy(outputs: Sequence[Output], labels: Sequence[Target]) -> float:
    """Fraction of examples whose highest class score is at their label's index.

    >>> multiclass_accuracy([[Value(0.1), Value(2.0)], [Value(3.0), Value(1.0)]], [1, 1])
    0.5
    """
    if not labels:
        return math.nan
    hits = 0
    for scores, label in zip(outputs, labels):
        row = [scores] if isinstance(scores, Value) else scores
        hits += max(range(len(row)), key=lambda j: row[j].data) == label
    return hits / len(labels)


# The metric that goes with each named loss; regression (mse) has none.
_ACCURACY_FOR_LOSS: dict[str, AccuracyFn | None] = {
    "mse": None,
    "hinge": binary_accuracy,
    "binary_cross_entropy": binary_accuracy,
    "cross_entropy": multiclass_accuracy,
}


def resolve_loss(loss: LossName | LossFn) -> LossFn:
    """A loss function from its name in ``nn.losses`` (``'mse'``, ``'hinge'``, …) or the function itself.

    >>> resolve_loss("mse")([Value(3.0)], [1.0]).data
    4.0
    """
    if callable(loss):
        return loss
    if loss not in _ACCURACY_FOR_LOSS:
        raise ValueError(f"unknown loss {loss!r}; use one of {', '.join(map(repr, _ACCURACY_FOR_LOSS))} or pass a function")
    fn: LossFn = getattr(losses, loss)
    return fn


# ------------------------------------------------------------------------------------- history


#: What ``EarlyStopping`` can watch.
Metric = Literal["val_loss", "val_accuracy", "train_loss", "train_accuracy"]


@dataclass(frozen=True)
class EarlyStopping:
    """Stop ``fit`` once ``metric`` has not improved by more than ``min_delta`` for ``patience`` epochs; restore the best.

    Losses improve by falling, accuracies by rising. After training (stopped early or not, and
    after Ctrl-C) the model holds the parameters of ``History.best_epoch``.

    >>> EarlyStopping(patience=5, metric="val_accuracy")
    EarlyStopping(patience=5, metric='val_accuracy', min_delta=0.0)
    """

    patience: int = 10
    metric: Metric = "val_loss"
    min_delta: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.patience, bool) or not isinstance(self.patience, int) or self.patience < 1:
            raise ValueError(f"EarlyStopping: patience must be an int >= 1, got {self.patience!r}")
        if self.metric not in get_args(Metric):
            known = ", ".join(map(repr, get_args(Metric)))
            raise ValueError(f"EarlyStopping: metric must be one of {known}, got {self.metric!r}")
        delta = self.min_delta
        if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not (math.isfinite(delta) and delta >= 0.0):
            raise ValueError(f"EarlyStopping: min_delta must be a finite number >= 0, got {self.min_delta!r}")

    def improved(self, value: float, best: float | None) -> bool:
        """Whether ``value`` beats ``best`` by more than ``min_delta`` (nan never does)."""
        if math.isnan(value):
            return False
        if best is None:
            return True
        if self.metric.endswith("loss"):
            return value < best - self.min_delta
        return value > best + self.min_delta


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


@dataclass
class History:
    """What ``fit`` measured, one entry per completed epoch (validation lists stay empty without validation data).

    ``train_loss`` is the mean data loss over the epoch's batches, each measured just before its
    update (for full batch: the loss at the start of the step); ``val_*`` are measured after the
    epoch's updates. Losses exclude the L2 penalty, so train and validation compare like for like.
    With ``record_gradients=True``, ``grad_norms[layer]`` is the layer's gradient norm averaged
    over the epoch's steps (of the data loss: the ``l2`` share taken out) and ``dead_fraction[layer]`` the
    fraction of its ReLU units that output 0 on every training example after the epoch.
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
    #: True when early stopping ended training before its last epoch.
    stopped_early: bool = False
    #: Optimizer steps completed, including those of an epoch cut short by an interrupt.
    steps_done: int = 0
    #: True when Ctrl-C (KeyboardInterrupt) ended the run early.
    interrupted: bool = False
    seconds: float = 0.0
    #: What the validation data is called in tables: ``"test"`` when it was passed as ``X_test``.
    val_name: str = "val"

    @property
    def epoch(self) -> list[int]:
        """The epoch numbers (the old name of ``epochs``)."""
        return self.epochs

    @property
    def test_loss(self) -> list[float]:
        """The validation losses (the old name of ``val_loss``, from when the argument was ``X_test``)."""
        return self.val_loss

    @property
    def test_accuracy(self) -> list[float]:
        """The validation accuracies (the old name of ``val_accuracy``)."""
        return self.val_accuracy

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
            parts.append(f"{self.val_name} loss {self.val_loss[-1]:.4f}")
        if self.val_accuracy:
            parts.append(f"{self.val_name} accuracy {self.val_accuracy[-1]:.1%}")
        return ", ".join(parts)

    def table(self, rows: int = 12) -> str:
        """The learning curves as a compact table: first and last epochs, the best one marked ``*``.

        At most ``rows`` epochs are shown (the first half, the last half and the best epoch).

        >>> h = History(epochs=[1, 2], step=[1, 2], train_loss=[0.9, 0.5], val_loss=[1.0, 0.7], best_epoch=2)
        >>> print(h.table())
        epoch  step  train loss  val loss
            1     1      0.9000    1.0000
           *2     2      0.5000    0.7000
        """
        columns: list[tuple[str, list[float], str]] = [("train loss", self.train_loss, ".4f")]
        if self.train_accuracy:
            columns.append(("train acc", self.train_accuracy, ".1%"))
        if self.val_loss:
            columns.append((f"{self.val_name} loss", self.val_loss, ".4f"))
        if self.val_accuracy:
            columns.append((f"{self.val_name} acc", self.val_accuracy, ".1%"))
        n = len(self.epochs)
        shown = set(range(min(n, rows // 2))) | set(range(max(0, n - (rows - rows // 2)), n))
        if self.best_epoch is not None and self.best_epoch in self.epochs:
            shown.add(self.epochs.index(self.best_epoch))
        widths = [max(len(name), 8) for name, _, _ in columns]
        lines = ["epoch  step  " + "  ".join(f"{name:>{w}}" for (name, _, _), w in zip(columns, widths))]
        previous = -1
        for i in sorted(shown):
            if i > previous + 1:
                lines.append("  ...")
            previous = i
            epoch = ("*" if self.epochs[i] == self.best_epoch else "") + str(self.epochs[i])
            cells = "  ".join(f"{format(values[i], spec):>{w}}" for (_, values, spec), w in zip(columns, widths))
            lines.append(f"{epoch:>5}  {self.step[i]:>4}  {cells}")
        if not n:
            lines.append("(no epoch completed)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def plot(self, ax: Any = None) -> Any:
        """Learning curves on a matplotlib ``Axes`` (a new figure when None): losses, and accuracies on a second axis.

        Returns the ``Axes``. Underfitting shows as both losses high; overfitting as the train
        loss falling while the validation loss rises; the best epoch is marked.

        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> ax = History(epochs=[1, 2, 3], step=[1, 2, 3], train_loss=[0.9, 0.5, 0.4], val_loss=[1.0, 0.7, 0.8],
        ...              best_epoch=2).plot()
        >>> [line.get_label() for line in ax.get_lines()]
        ['train loss', 'val loss', 'best epoch 2']
        """
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(6.4, 4.0))
        ax.plot(self.epochs, self.train_loss, color="#2563eb", label="train loss")
        if self.val_loss:
            ax.plot(self.epochs, self.val_loss, color="#dc2626", label=f"{self.val_name} loss")
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
                twin.plot(self.epochs, self.val_accuracy, color="#dc2626", linestyle="--", label=f"{self.val_name} accuracy")
            twin.set_ylabel("accuracy")
        _legend(ax, twin, "center right")
        return ax

    def plot_gradients(self, ax: Any = None) -> Any:
        """Per-layer gradient norms over training (log scale) on a matplotlib ``Axes``; dead fractions dotted on a second axis.

        Needs ``fit(..., record_gradients=True)``. Returns the ``Axes``.

        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> history = History(epochs=[1, 2], step=[1, 2], train_loss=[0.9, 0.5],
        ...                   grad_norms={"layers.0": [0.01, 0.02], "layers.1": [0.5, 0.4]})
        >>> [line.get_label() for line in history.plot_gradients().get_lines()]
        ['layers.0 grad norm', 'layers.1 grad norm']
        """
        if not self.grad_norms:
            raise ValueError("History.plot_gradients: no gradient norms recorded; call fit(..., record_gradients=True)")
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(6.4, 4.0))
        colors = [f"C{k % 10}" for k in range(len(self.grad_norms))]
        for color, (name, norms) in zip(colors, self.grad_norms.items()):
            # A zero norm has no place on a log axis: nan leaves a gap, so a layer that stops
            # getting any gradient (a dead one) is a line that ends.
            ax.plot(self.epochs, [n if n > 0.0 else math.nan for n in norms], color=color, label=f"{name} grad norm")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("gradient norm")
        twin = None
        if any(any(f > 0 for f in fractions) for fractions in self.dead_fraction.values()):
            twin = ax.twinx()
            for color, (name, fractions) in zip(colors, self.dead_fraction.items()):
                twin.plot(self.epochs, fractions, color=color, linestyle=":", label=f"{name} dead")
            twin.set_ylim(-0.05, 1.05)
            twin.set_ylabel("fraction of dead units")
        _legend(ax, twin, "best")
        return ax


# ------------------------------------------------------------------------------------- Ctrl-C


class _InterruptGuard:
    """Turns Ctrl-C into KeyboardInterrupt at once, except during a parameter update, where it waits until the update ends.

    Between updates the parameters are consistent (a forward/backward in flight changes only
    gradients), so raising there is safe; inside an update some parameters may have moved and
    others not, so the interrupt is held until the update is complete.
    """

    def __init__(self) -> None:
        self._updating = False
        self._pending = False
        self._previous: Any = None
        self._installed = False

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self._updating:
            self._pending = True
        else:
            raise KeyboardInterrupt

    def __enter__(self) -> _InterruptGuard:
        # Signal handlers can only be set from the main thread, and a program that set its own
        # SIGINT handler has decided what Ctrl-C means; leave both alone.
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, self._handler)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    @contextmanager
    def critical(self) -> Iterator[None]:
        """A block that Ctrl-C does not cut in two (an update); a Ctrl-C during it is raised as soon as it ends."""
        self._updating = True
        try:
            yield
        finally:
            self._updating = False
        if self._pending:
            self._pending = False
            raise KeyboardInterrupt


# ------------------------------------------------------------------------------------- the loop


def evaluate(
    model: Model,
    loss: LossName | LossFn,
    X: Sequence[Any],
    y: Sequence[Any],
    *,
    accuracy: AccuracyFn | Literal["auto"] | None = "auto",
) -> tuple[float, float | None]:
    """``(loss, accuracy)`` of ``model`` on ``(X, y)`` without recording a graph; accuracy is None without a metric.

    >>> from nn.losses import mse
    >>> evaluate(lambda x: Value(2 * x[0]), mse, [[1.0], [2.0]], [2.0, 5.0], accuracy=None)
    (0.5, None)
    """
    metric = _metric_for(loss, accuracy)
    X, y = _examples(X, "X"), _examples(y, "y")  # numpy arrays as lists of Python numbers
    with no_grad():
        outputs = [model(x) for x in X]
        value = resolve_loss(loss)(outputs, list(y)).data
        return value, (metric(outputs, y) if metric is not None else None)


def _metric_for(loss: LossName | LossFn, accuracy: AccuracyFn | Literal["auto"] | None) -> AccuracyFn | None:
    if accuracy != "auto":
        return accuracy
    return _ACCURACY_FOR_LOSS.get(loss) if isinstance(loss, str) else None


class NonFiniteError(FloatingPointError):
    """Training produced a nan or infinite loss or parameter; ``history`` holds the epochs completed before it."""

    def __init__(self, message: str, history: History | None = None) -> None:
        super().__init__(message)
        self.history = history if history is not None else History()

    def __reduce__(self) -> tuple[Any, ...]:
        # Both arguments, so the error crosses process boundaries (a search's worker) intact.
        return (type(self), (str(self), self.history))


def _plain(value: Any) -> Any:
    """A numpy array or scalar as Python lists and numbers (``tolist()``); anything else as is."""
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    return value


def _examples(X: Any, what: str) -> list[Any]:
    """``X`` as a list of examples, numpy arrays and numpy numbers turned into lists and floats."""
    X = _plain(X)
    if isinstance(X, (str, bytes)) or not hasattr(X, "__len__") or not hasattr(X, "__iter__"):
        raise TypeError(f"fit: {what} must be a sequence of examples, got {type(X).__name__}")
    rows = []
    for x in X:
        x = _plain(x)
        rows.append([_plain(v) for v in x] if isinstance(x, (list, tuple)) else x)
    return rows


def _check_pair(X: Any, y: Any, what: str) -> tuple[list[Any], list[Any]]:
    xs, ys = _examples(X, f"X{what}"), _examples(y, f"y{what}")
    if len(xs) != len(ys):
        raise ValueError(f"fit: {len(xs)} inputs but {len(ys)} targets in X{what}/y{what}")
    if not xs:
        raise ValueError(f"fit: X{what} is empty; give at least one example" + (" or leave it out" if what else ""))
    return xs, ys


def _first_nonfinite(named: Sequence[tuple[str, Value]], attribute: str) -> tuple[str, float] | None:
    for name, p in named:
        number: float = getattr(p, attribute)
        if not math.isfinite(number):
            return name, number
    return None


def _has_nonfinite_number(x: Any) -> bool:
    values = x if isinstance(x, list) else [x]
    return any(isinstance(v, (int, float)) and not math.isfinite(v) for v in values)


def _named_parameters(model: Model) -> list[tuple[str, Value]]:
    named = getattr(model, "named_parameters", None)
    if callable(named):
        pairs: list[tuple[str, Value]] = named()
        return pairs
    return [(p.label or f"parameter {i}", p) for i, p in enumerate(model.parameters())]


def _nonfinite_before_step(
    what: str, step: int, epoch: int, named: Sequence[tuple[str, Value]], bx: Sequence[Any], step_done: int
) -> str:
    """Why the loss or a gradient of this step is not finite, as far as it can be told; nothing has been updated."""
    where = f"fit: step {step} (epoch {epoch}) gave {what}"
    bad = _first_nonfinite(named, "data")
    if bad is not None:
        return (f"{where}: parameter {bad[0]!r} is already {bad[1]!r} before this step (the model came with non-finite "
                "weights); nothing was updated")
    bad_input = next((i for i, x in enumerate(bx) if _has_nonfinite_number(x)), None)
    if bad_input is not None:
        return f"{where}: input {bad_input} of this batch holds a non-finite number ({bx[bad_input]!r}); nothing was updated"
    return (f"{where} although every parameter and input is finite (an overflow in the model or the loss); the model "
            f"keeps the parameters of step {step_done}{_largest_parameter(named)}")


def _largest_parameter(named: Sequence[tuple[str, Value]]) -> str:
    if not named:
        return ""
    name, p = max(named, key=lambda pair: abs(pair[1].data))
    return f" (largest parameter {name!r} = {p.data!r}: try a smaller learning rate)"


def _nonfinite_step(
    bad: tuple[str, float], before: Sequence[float], named: Sequence[tuple[str, Value]], step: int, epoch: int,
    data_loss: float, optimizer: Optimizer,
) -> str:
    where = f"fit: step {step} (epoch {epoch})"
    already = next(((name, value) for (name, _), value in zip(named, before) if not math.isfinite(value)), None)
    if already is not None:
        return (f"{where}: parameter {already[0]!r} is already {already[1]!r} before this step (the model came with "
                f"non-finite weights, yet the loss was {data_loss!r}); the step is undone")
    lr = getattr(optimizer, "lr", None)
    return (f"{where} made parameter {bad[0]!r} {bad[1]!r} (loss before the step {data_loss!r}"
            f"{f', lr={lr!r}' if lr is not None else ''}); the model's parameters are restored to their values before "
            f"step {step}, but the optimizer's own state (step count, momentum or moment estimates) has taken the step; "
            "try a smaller learning rate")


def fit(
    model: Model,
    loss: LossName | LossFn,
    X: Sequence[Any],
    y: Sequence[Any],
    *,
    optimizer: Optimizer,
    epochs: int | None = None,
    steps: int | None = None,
    batch_size: int | None = None,
    l2: float = 0.0,
    X_val: Sequence[Any] | None = None,
    y_val: Sequence[Any] | None = None,
    X_test: Sequence[Any] | None = None,
    y_test: Sequence[Any] | None = None,
    early_stopping: EarlyStopping | None = None,
    record_gradients: bool = False,
    accuracy: AccuracyFn | Literal["auto"] | None = "auto",
    callback: Callable[[History], None] | None = None,
    progress: bool | None = None,
    seed: Seed = 0,
    compile: bool = False,
) -> History:
    """Train ``model`` on ``(X, y)`` with ``optimizer`` and return the per-epoch ``History``.

    Give exactly one of ``epochs`` (passes over the data) or ``steps`` (optimizer updates; the
    last epoch may be partial). ``batch_size=None`` means full batch: one step per epoch, plain
    gradient descent; otherwise mini-batches in a fresh order each epoch, drawn from ``seed``.
    The objective is ``loss(outputs, targets) + l2 * Σ p²``. ``accuracy="auto"`` measures
    accuracy for the classification losses (sign of the score for ``hinge`` and
    ``binary_cross_entropy``, argmax for ``cross_entropy``). ``X_val``/``y_val`` (or their old
    names ``X_test``/``y_test``) are evaluated after every epoch; ``early_stopping`` watches a
    metric and restores the best parameters. ``callback(history)`` runs after every epoch.
    Inputs may be lists or numpy arrays.

    ``fit`` watches every step's per-layer gradients and, when they turn zero or tiny, the units
    of ReLU layers (``nn.diagnose``): a dead layer or a vanishing or exploding gradient is warned about once
    (``DiagnosisWarning``) and kept in ``History.findings``. ``record_gradients=True`` records
    the gradient norms and dead fractions of every layer per epoch (``History.plot_gradients``).
    A nan or infinite loss or parameter stops training with ``NonFiniteError``, naming the step
    and the parameter; the model keeps the parameters of the last finite step.

    ``progress`` shows a tqdm bar: in a terminal a text bar on stderr, in Jupyter a notebook bar
    (a text bar without ipywidgets); None shows it only there, never in logs or pipes.

    ``compile=True`` traces one sample's objective with ``autograd.compile_per_sample`` and
    replays it as generated float code over every batch (full or mini-batch): the same updates,
    many times faster. It needs a loss that is the mean of per-sample losses (all of
    ``nn.losses`` are; a custom loss is checked on the first batch) and a model whose structure
    does not depend on the data (``StructureChanged`` is raised otherwise).

    Ctrl-C (or a KeyboardInterrupt raised by the loss or callback) ends training early: the
    model keeps the parameters of its last completed step — an update in progress always
    finishes first — and the history so far comes back with ``interrupted=True``.

    >>> from nn import MLP
    >>> from nn.optim import SGD
    >>> model = MLP(1, [4, 1], seed=0)
    >>> optimizer = SGD(model.parameters(), lr=0.1)
    >>> history = fit(model, "mse", [[0.0], [1.0]], [0.0, 1.0], optimizer=optimizer, epochs=50, progress=False)
    >>> history.train_loss[-1] < history.train_loss[0]
    True
    """
    if (epochs is None) == (steps is None):
        raise ValueError("fit: give exactly one of epochs= or steps=")
    limit = epochs if epochs is not None else steps
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"fit: {'epochs' if epochs is not None else 'steps'} must be an int >= 0, got {limit!r}")
    X, y = _check_pair(X, y, "")
    if X_val is not None or y_val is not None:
        if X_test is not None or y_test is not None:
            raise ValueError("fit: give X_val/y_val or their old names X_test/y_test, not both")
        val_name, X_v, y_v = "val", X_val, y_val
    else:
        val_name, X_v, y_v = "test", X_test, y_test
    if (X_v is None) != (y_v is None):
        raise ValueError(f"fit: give both X_{val_name} and y_{val_name}, or neither")
    val = _check_pair(X_v, y_v, f"_{val_name}") if X_v is not None else None
    size = len(X) if batch_size is None else batch_size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"fit: batch_size must be an int >= 1 or None (full batch), got {batch_size!r}")
    if isinstance(l2, bool) or not isinstance(l2, (int, float)) or not (math.isfinite(l2) and l2 >= 0.0):
        raise ValueError(f"fit: l2 must be a finite number >= 0, got {l2!r}")
    if early_stopping is not None:
        if not isinstance(early_stopping, EarlyStopping):
            raise TypeError(f"fit: early_stopping must be an EarlyStopping, got {type(early_stopping).__name__}")
        if early_stopping.metric.startswith("val") and val is None:
            raise ValueError(f"fit: early stopping on {early_stopping.metric!r} needs validation data: pass X_val= and y_val=")

    loss_fn = resolve_loss(loss)
    metric = _metric_for(loss, accuracy)
    if early_stopping is not None and early_stopping.metric.endswith("accuracy") and metric is None:
        raise ValueError(f"fit: early stopping on {early_stopping.metric!r} needs an accuracy: pass accuracy=")
    run_step = _compiled_step(model, loss, y, l2, metric is not None) if compile else _eager_step(model, loss_fn, l2)
    monitor = GradientMonitor(model, X, record=record_gradients, l2=l2)
    named = _named_parameters(model)
    params = [p for _, p in named]
    rng = rng_from(seed)
    per_epoch = math.ceil(len(X) / size)
    n_epochs = epochs if epochs is not None else math.ceil(limit / per_epoch)
    history = History(val_name=val_name)
    best: float | None = None
    best_state: list[float] | None = None
    waited = 0
    bar = _progress_bar(n_epochs, progress)
    started = time.perf_counter()
    try:
        with _InterruptGuard() as guard:
            for epoch in range(1, n_epochs + 1):
                loss_sum = 0.0
                hits = 0.0
                seen = 0
                # Full batch keeps the data's own order: shuffling would change nothing but the
                # order of a sum, and so its last bits.
                for bx, by in batches(X, y, size, rng, shuffle=size < len(X)):
                    if steps is not None and history.steps_done >= steps:
                        break
                    optimizer.zero_grad()
                    step = history.steps_done + 1
                    try:
                        data_loss, outputs = run_step(bx, by)
                    except OverflowError as error:  # the engine's own overflow check, in forward or backward
                        raise NonFiniteError(
                            f"fit: step {step} (epoch {epoch}): {error}; the model keeps the parameters of step {step - 1}"
                            f"{_largest_parameter(named)}",
                            history,
                        ) from error
                    if not math.isfinite(data_loss):
                        what = f"a non-finite loss {data_loss!r}"
                        raise NonFiniteError(_nonfinite_before_step(what, step, epoch, named, bx, step - 1), history)
                    # One sum is the fast check (inf - inf and overflow make it non-finite too); the
                    # search for the culprit runs only when it fails.
                    bad = None if math.isfinite(sum(p.grad for p in params)) else _first_nonfinite(named, "grad")
                    if bad is not None:
                        what = f"parameter {bad[0]!r} a non-finite gradient {bad[1]!r} (loss {data_loss!r})"
                        raise NonFiniteError(_nonfinite_before_step(what, step, epoch, named, bx, step - 1), history)
                    monitor.after_backward()
                    before = [p.data for p in params]
                    with guard.critical():
                        optimizer.step()
                        bad = None if math.isfinite(sum(p.data for p in params)) else _first_nonfinite(named, "data")
                        if bad is not None:
                            for p, value in zip(params, before):
                                p.data = value
                        else:
                            history.steps_done += 1
                    if bad is not None:
                        raise NonFiniteError(_nonfinite_step(bad, before, named, step, epoch, data_loss, optimizer), history)
                    loss_sum += data_loss * len(by)
                    if metric is not None:
                        hits += metric(outputs, by) * len(by)
                    seen += len(by)
                if seen == 0:
                    break
                stats = monitor.end_epoch(epoch)
                val_loss, val_accuracy = math.nan, None
                if val is not None:
                    val_loss, val_accuracy = evaluate(model, loss_fn, val[0], val[1], accuracy=metric)
                with guard.critical():  # all lists grow together, so they always line up
                    history.epochs.append(epoch)
                    history.step.append(history.steps_done)
                    history.train_loss.append(loss_sum / seen)
                    if metric is not None:
                        history.train_accuracy.append(hits / seen)
                    if val is not None:
                        history.val_loss.append(val_loss)
                    if val_accuracy is not None:
                        history.val_accuracy.append(val_accuracy)
                    if record_gradients and stats is not None:
                        for s in stats:
                            history.grad_norms.setdefault(s.name, []).append(s.grad_norm)
                            history.dead_fraction.setdefault(s.name, []).append(s.dead_fraction)
                    history.findings[:] = monitor.findings
                    history.seconds = time.perf_counter() - started
                stop = False
                if early_stopping is not None:
                    value = getattr(history, early_stopping.metric)[-1]
                    if early_stopping.improved(value, best):
                        best, best_state, waited = value, [p.data for p in params], 0
                        history.best_epoch = epoch
                    else:
                        waited += 1
                        stop = waited >= early_stopping.patience and epoch < n_epochs
                if bar is not None:
                    bar.set_postfix_str(history.summary(), refresh=False)
                    bar.update(1)
                if callback is not None:
                    callback(history)
                if stop:
                    history.stopped_early = True
                    break
    except KeyboardInterrupt:
        history.interrupted = True
    finally:
        history.seconds = time.perf_counter() - started
        if bar is not None:
            bar.close()
    if best_state is not None:
        for p, value in zip(params, best_state):
            p.data = value
    if early_stopping is None:
        history.best_epoch = _best_epoch(history)
    return history


def _best_epoch(history: History) -> int | None:
    """The epoch of the lowest validation loss (train loss without validation data), nan never best."""
    values = history.val_loss or history.train_loss
    finite = [(v, e) for v, e in zip(values, history.epochs) if not math.isnan(v)]
    return min(finite)[1] if finite else None


#: One training step's forward and backward on a batch: returns the data loss and the outputs (for metrics).
StepFn = Callable[[Sequence[Any], Sequence[Any]], tuple[float, Sequence[Output]]]


def _eager_step(model: Model, loss_fn: LossFn, l2: float) -> StepFn:
    """Build the graph of the batch's objective and backprop through it."""
    params = model.parameters()

    def step(bx: Sequence[Any], by: Sequence[Any]) -> tuple[float, Sequence[Output]]:
        outputs = [model(x) for x in bx]
        data_loss = loss_fn(outputs, list(by))
        total = data_loss + l2 * losses.l2(params) if l2 else data_loss
        total.backward()
        return data_loss.data, outputs

    return step


#: More distinct targets than this are continuous (regression), not class labels: they become inputs of the code.
_MAX_STATIC_TARGETS = 16


def _compiled_step(model: Model, loss: LossName | LossFn, y: Sequence[Any], l2: float, want_outputs: bool) -> StepFn:
    """One sample's objective traced by ``autograd.compile_per_sample`` and replayed over every batch.

    The trace is ``loss([model(x)], [target])`` for one sample (a few hundred nodes), so tracing
    takes milliseconds and any batch works: full batch or mini-batches. The batch loss is the mean
    of the samples' losses, as for every loss in ``nn.losses``. Class labels are static (one trace
    per label: the losses branch on them); continuous targets (``mse``, or more than a handful of
    distinct values) are inputs of the code. The L2 term is a trace of its own, replayed before
    the samples so the gradients add up in ``backward()``'s order: the same updates to the bit.
    """
    from autograd import compile as trace
    from autograd import compile_per_sample

    params = model.parameters()
    loss_fn = resolve_loss(loss)
    # Integer targets are class labels, static however many classes there are (cross_entropy picks a
    # score by its label); other targets are static only when there are a handful of them.
    labels = all(isinstance(t, numbers.Integral) and not isinstance(t, bool) for t in y)
    static_targets = loss != "mse" and (labels or len({(type(t), t) for t in y}) <= _MAX_STATIC_TARGETS)

    def sample_objective(x: Any, target: Any) -> tuple[Value, Output]:
        output = model(x)
        return loss_fn([output], [target]), output

    per_sample = compile_per_sample(sample_objective, static=(1,) if static_targets else ())
    penalty = trace(lambda: l2 * losses.l2(params)) if l2 else None
    checked = callable(loss)  # a custom loss: make sure once that it is a mean over the samples

    def step(bx: Sequence[Any], by: Sequence[Any]) -> tuple[float, Sequence[Output]]:
        nonlocal checked
        if penalty is not None:
            penalty.value_and_grad()
        result = per_sample.value_and_grad(bx, by)
        if checked:
            checked = False
            _check_mean(loss_fn, model, bx, by, result.value)
        outputs: Sequence[Output] = [_as_values(o) for o in result.outputs] if want_outputs else ()
        return result.value, outputs

    return step


def _check_mean(loss_fn: LossFn, model: Model, bx: Sequence[Any], by: Sequence[Any], value: float) -> None:
    with no_grad():
        expected = loss_fn([model(x) for x in bx], list(by)).data
    if not math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12):
        raise ValueError(
            f"fit(compile=True) needs a loss that is the mean of per-sample losses (as in nn.losses): on the first batch "
            f"the loss is {expected!r} but the mean of its samples' losses is {value!r}; use compile=False for this loss"
        )


def _as_values(output: Any) -> Output:
    """A replayed model output (a float, or a list of floats) as the Values the metrics read."""
    return Value(output) if isinstance(output, float) else [Value(v) for v in output]


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where stderr is no terminal, yet a person watches the output)."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _progress_bar(total: int, progress: bool | None) -> Any:
    """A tqdm bar over epochs, or None when switched off (or tqdm is missing and not asked for).

    ``tqdm.auto`` picks the notebook widget in Jupyter and the text bar elsewhere (also in a
    notebook without ipywidgets, where tqdm's warning about the missing widget is not shown: the
    text bar is the intended fallback). None shows a bar only to a person: a terminal or a notebook.
    """
    notebook = _in_notebook()
    if progress is False or (progress is None and not (notebook or sys.stderr.isatty())):
        return None
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*IProgress not found.*")
            from tqdm.auto import tqdm
    except ImportError:
        if progress:
            raise ImportError("fit(progress=True) needs tqdm: pip install tqdm") from None
        return None
    # In a notebook the finished bar stays as the run's record; in a terminal it makes room.
    return tqdm(total=total, unit="epoch", leave=notebook)
