"""A training loop: full-batch gradient descent or mini-batch SGD, with a per-epoch history.

``fit`` is the loop every demo would otherwise write by hand — zero the gradients, run the model
over a batch, compute the loss, ``backward``, let the optimizer step — plus the bookkeeping: train
and test loss and accuracy per epoch, an optional tqdm progress bar, and a clean stop on Ctrl-C
that never leaves the model half-updated.
"""

from __future__ import annotations

import math
import numbers
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Literal, Protocol, Union

from autograd import Value, no_grad
from nn import losses
from nn.data import Seed, batches, rng_from

#: What a model returns for one input: one ``Value`` (a single output, as in micrograd) or a list of them.
Output = Union[Value, list[Value]]
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


class Optimizer(Protocol):
    """Anything with ``zero_grad()`` and ``step()``, such as ``nn.optim.SGD`` or ``nn.optim.Adam``."""

    def zero_grad(self) -> None:
        """Reset the gradients of the parameters it updates."""
        ...

    def step(self) -> None:
        """Update the parameters from their gradients."""
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


@dataclass
class History:
    """What ``fit`` measured, one entry per completed epoch (test lists stay empty without test data).

    ``train_loss`` is the mean data loss over the epoch's batches, each measured just before its
    update (for full batch: the loss at the start of the step); ``test_*`` are measured after the
    epoch's updates. Losses exclude the L2 penalty, so train and test compare like for like.
    """

    epoch: list[int] = field(default_factory=list)
    step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    #: Optimizer steps completed, including those of an epoch cut short by an interrupt.
    steps_done: int = 0
    #: True when Ctrl-C (KeyboardInterrupt) ended the run early.
    interrupted: bool = False
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.epoch)

    def summary(self) -> str:
        """One line with the latest figures, as the progress bar and demos show them."""
        if not self.epoch:
            return "no epoch completed"
        parts = [f"epoch {self.epoch[-1]}", f"step {self.step[-1]}", f"loss {self.train_loss[-1]:.4f}"]
        if self.train_accuracy:
            parts.append(f"accuracy {self.train_accuracy[-1]:.1%}")
        if self.test_loss:
            parts.append(f"test loss {self.test_loss[-1]:.4f}")
        if self.test_accuracy:
            parts.append(f"test accuracy {self.test_accuracy[-1]:.1%}")
        return ", ".join(parts)


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
    with no_grad():
        outputs = [model(x) for x in X]
        value = resolve_loss(loss)(outputs, list(y)).data
        return value, (metric(outputs, y) if metric is not None else None)


def _metric_for(loss: LossName | LossFn, accuracy: AccuracyFn | Literal["auto"] | None) -> AccuracyFn | None:
    if accuracy != "auto":
        return accuracy
    return _ACCURACY_FOR_LOSS.get(loss) if isinstance(loss, str) else None


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
    X_test: Sequence[Any] | None = None,
    y_test: Sequence[Any] | None = None,
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
    ``binary_cross_entropy``, argmax for ``cross_entropy``). ``callback(history)`` runs after
    every epoch. ``progress`` shows a tqdm bar (None: only when stderr is a terminal).

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
    if len(X) != len(y):
        raise ValueError(f"fit: {len(X)} inputs but {len(y)} targets")
    if not X:
        raise ValueError("fit: no training data")
    if (X_test is None) != (y_test is None):
        raise ValueError("fit: give both X_test and y_test, or neither")
    if X_test is not None and y_test is not None and len(X_test) != len(y_test):
        raise ValueError(f"fit: {len(X_test)} test inputs but {len(y_test)} test targets")
    size = len(X) if batch_size is None else batch_size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"fit: batch_size must be an int >= 1 or None (full batch), got {batch_size!r}")

    loss_fn = resolve_loss(loss)
    metric = _metric_for(loss, accuracy)
    run_step = _compiled_step(model, loss, y, l2, metric is not None) if compile else _eager_step(model, loss_fn, l2)
    rng = rng_from(seed)
    per_epoch = math.ceil(len(X) / size)
    n_epochs = epochs if epochs is not None else math.ceil(limit / per_epoch)
    history = History()
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
                    data_loss, outputs = run_step(bx, by)
                    with guard.critical():
                        optimizer.step()
                        history.steps_done += 1
                    loss_sum += data_loss * len(by)
                    if metric is not None:
                        hits += metric(outputs, by) * len(by)
                    seen += len(by)
                if seen == 0:
                    break
                test_loss, test_accuracy = math.nan, None
                if X_test is not None and y_test is not None:
                    test_loss, test_accuracy = evaluate(model, loss_fn, X_test, y_test, accuracy=metric)
                with guard.critical():  # all lists grow together, so they always line up
                    history.epoch.append(epoch)
                    history.step.append(history.steps_done)
                    history.train_loss.append(loss_sum / seen)
                    if metric is not None:
                        history.train_accuracy.append(hits / seen)
                    if X_test is not None:
                        history.test_loss.append(test_loss)
                    if test_accuracy is not None:
                        history.test_accuracy.append(test_accuracy)
                    history.seconds = time.perf_counter() - started
                if bar is not None:
                    bar.set_postfix_str(history.summary(), refresh=False)
                    bar.update(1)
                if callback is not None:
                    callback(history)
    except KeyboardInterrupt:
        history.interrupted = True
    finally:
        history.seconds = time.perf_counter() - started
        if bar is not None:
            bar.close()
    return history


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


def _progress_bar(total: int, progress: bool | None) -> Any:
    """A tqdm bar over epochs, or None when switched off (or tqdm is missing and not asked for)."""
    if progress is False or (progress is None and not sys.stderr.isatty()):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress:
            raise ImportError("fit(progress=True) needs tqdm: pip install tqdm") from None
        return None
    return tqdm(total=total, unit="epoch", leave=False)
