"""The training loop: ``fit`` runs the epochs and the steps, and calls back everything else.

``fit`` is the loop every demo would otherwise write by hand — zero the gradients, run the model
over a batch, compute the loss, ``backward``, let the optimizer step — and the guards that must
sit inside it: a loud stop at the first nan (the step undone, the optimizer's state with it), and
Ctrl-C that never leaves the model half-updated. Everything that only watches — validation
figures go into the ``History``; early stopping, the gradient diagnosis, the progress bar and a
function of yours are callbacks (``nn.callbacks``) that may ask it to stop.

The other names here are re-exported from the modules that own them, so ``from nn.train import
History, EarlyStopping, evaluate`` keeps working.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from nn.callbacks import Diagnosis, EarlyStopping, Progress, Stop, TrainState, as_callback, wants_stop
from nn.data import batches
from nn.history import History, best_epoch
from nn.inputs import check_pair, count, number
from nn.interrupts import critical, held
from nn.metrics import (
    AccuracyFn,
    LossFn,
    LossName,
    Model,
    binary_accuracy,
    evaluate,
    metric_for,
    multiclass_accuracy,
    resolve_loss,
)
from nn.module import Output
from nn.nonfinite import (
    NonFiniteError,
    first_nonfinite,
    largest_parameter,
    named_parameters,
    nonfinite_before_step,
    nonfinite_step,
)
from nn.optim import Optimizer
from nn.seeding import Seed, rng_from
from nn.steps import EvalFn, StepFn, compiled_evaluator, compiled_step, eager_evaluator, eager_step

__all__ = [
    "AccuracyFn",
    "EarlyStopping",
    "History",
    "LossFn",
    "LossName",
    "Model",
    "NonFiniteError",
    "Optimizer",
    "Output",
    "Stop",
    "TrainState",
    "binary_accuracy",
    "evaluate",
    "fit",
    "multiclass_accuracy",
    "resolve_loss",
]


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
    validation: tuple[Sequence[Any], Sequence[Any]] | None = None,
    callbacks: Iterable[Any] = (),
    compile: bool = False,
    seed: Seed = 0,
    l2: float = 0.0,
    accuracy: AccuracyFn | Literal["auto"] | None = "auto",
    record_gradients: bool = False,
    progress: bool | None = None,
) -> History:
    """Train ``model`` on ``(X, y)`` with ``optimizer`` and return the per-epoch ``History``.

    Give exactly one of ``epochs`` (passes over the data) or ``steps`` (optimizer updates; the
    last epoch may be partial). ``batch_size=None`` means full batch: one step per epoch, plain
    gradient descent; otherwise mini-batches in a fresh order each epoch, drawn from ``seed``.
    The objective is ``loss(outputs, targets) + l2 * Σ p²``. ``accuracy="auto"`` measures
    accuracy for the classification losses (sign of the score for ``hinge`` and
    ``binary_cross_entropy``, argmax for ``cross_entropy``). ``validation=(X_val, y_val)`` is
    evaluated after every epoch. Inputs may be lists or numpy arrays, counts and rates numpy scalars.

    ``callbacks`` (see ``nn.callbacks``): objects with ``on_step_end(state)`` /
    ``on_epoch_end(history)`` (and ``on_fit_start`` / ``on_fit_end``), or plain functions of the
    history called after every epoch; any of them may return ``True`` or ``nn.Stop(reason)`` to
    end training. ``EarlyStopping(patience, metric)`` is one, and restores the best epoch.
    ``progress`` adds a ``Progress`` bar (None: only where a person watches).

    ``fit`` always runs a ``Diagnosis``: a dead layer or a vanishing or exploding gradient is
    warned about once (``DiagnosisWarning``) and kept in ``History.findings``;
    ``record_gradients=True`` records per-layer gradient norms and dead fractions per epoch
    (``History.plot_gradients``). A nan or infinite loss, gradient or parameter stops training
    with ``NonFiniteError`` naming the step and the parameter; a step that made a parameter
    non-finite is undone with the optimizer's state, so the model and optimizer are those of
    the last finite step.

    ``compile=True`` traces one sample's objective with ``autograd.compile_per_sample`` and
    replays it as generated float code over every batch, and the validation pass likewise: the
    same updates, many times faster. It needs a loss that is the mean of per-sample losses (all
    of ``nn.losses`` are; a custom loss is checked on the first batch) and a model whose
    structure does not depend on the data (``StructureChanged`` is raised otherwise).

    Ctrl-C (or a KeyboardInterrupt raised by the loss or a callback) ends training early: the
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
    run = _Run.prepare(model, loss, X, y, optimizer, epochs, steps, batch_size, validation, callbacks, compile, seed,
                       l2, accuracy, record_gradients, progress)  # fmt: skip
    state, history = run.state, run.state.history
    started = time.perf_counter()
    try:
        run.call("on_fit_start", state)
        for epoch in range(1, state.epochs + 1):
            state.epoch = epoch
            totals = _Totals()
            stop = None
            # Full batch keeps the data's own order: shuffling would change only the order of a sum.
            for bx, by in batches(state.X, state.y, run.size, run.rng, shuffle=run.size < len(state.X)):
                if run.steps is not None and history.steps_done >= run.steps:
                    break
                totals.add(state, _take_step(run, bx, by), by)
                stop = run.ask("on_step_end", state)
                if stop is not None:
                    break
            if totals.seen == 0:
                break
            _record_epoch(run, totals, started)
            stop = run.ask("on_epoch_end", history) or stop
            if stop is not None:
                if epoch < state.epochs and (run.steps is None or history.steps_done < run.steps):
                    history.stopped_early, history.stop_reason = True, stop.reason
                break
    except KeyboardInterrupt:
        history.interrupted = True
    except BaseException:
        history.failed = True
        raise
    finally:
        history.seconds = time.perf_counter() - started
        history.best_epoch = best_epoch(history)
        run.call_last("on_fit_end", history)
    return history


# ------------------------------------------------------------------------------------- the run


@dataclass
class _Run:
    """A checked ``fit`` call: the state callbacks see, the step and validation functions, the callbacks."""

    state: TrainState
    size: int
    steps: int | None
    rng: Any
    step: StepFn
    validate: EvalFn | None
    callbacks: list[Any]
    #: The parameters with their names, for error messages.
    named: list[tuple[str, Any]]

    @classmethod
    def prepare(
        cls, model: Model, loss: LossName | LossFn, X: Sequence[Any], y: Sequence[Any], optimizer: Optimizer,
        epochs: int | None, steps: int | None, batch_size: int | None, validation: Any, callbacks: Iterable[Any],
        compile: bool, seed: Seed, l2: float, accuracy: AccuracyFn | Literal["auto"] | None, record_gradients: bool,
        progress: bool | None,
    ) -> _Run:
        """Every argument checked before anything runs (a wrong one costs no training)."""
        if (epochs is None) == (steps is None):
            raise ValueError("fit: give exactly one of epochs= or steps=")
        limit = count(epochs if epochs is not None else steps, f"fit: {'epochs' if epochs is not None else 'steps'}")
        xs, ys = check_pair(X, y, "")
        val = None
        if validation is not None:
            if isinstance(validation, (str, bytes)) or not isinstance(validation, Sequence) or len(validation) != 2:
                raise TypeError(f"fit: validation must be a pair (X_val, y_val), got {type(validation).__name__}")
            val = check_pair(validation[0], validation[1], "_val")
        size = len(xs) if batch_size is None else count(batch_size, "fit: batch_size (or None: full batch)", least=1)
        l2 = number(l2, "fit: l2")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"fit: optimizer must be an nn.optim.Optimizer (SGD, Adam), got {type(optimizer).__name__}")
        metric = metric_for(loss, accuracy)
        loss_fn = resolve_loss(loss)
        hooks = [Diagnosis(record=record_gradients), *(as_callback(c) for c in callbacks)]
        if not any(isinstance(h, Progress) for h in hooks):  # a Progress of your own replaces progress=
            hooks.append(Progress(progress))
        n_epochs = limit if epochs is not None else math.ceil(limit / math.ceil(len(xs) / size))
        named = named_parameters(model)
        params = [p for _, p in named]
        state = TrainState(model, optimizer, params, History(), xs, ys, val, metric, l2, n_epochs)
        step = compiled_step(model, loss, ys, l2, metric is not None) if compile else eager_step(model, loss_fn, l2)
        evaluator = compiled_evaluator if compile else eager_evaluator
        validate = evaluator(model, loss, val[0], val[1], metric) if val is not None else None
        return cls(state, size, None if epochs is not None else limit, rng_from(seed), step, validate, hooks, named)

    def call(self, hook: str, argument: Any) -> None:
        for callback in self.callbacks:
            method = getattr(callback, hook, None)
            if method is not None:
                method(argument)

    def ask(self, hook: str, argument: Any) -> Stop | None:
        """Call ``hook`` on every callback; the first stop request among their answers."""
        first = None
        for callback in self.callbacks:
            method = getattr(callback, hook, None)
            if method is not None:
                stop = wants_stop(method(argument))
                first = first or stop
        return first

    def call_last(self, hook: str, history: History) -> None:
        """``on_fit_end`` for every callback, even after an error in one; a Ctrl-C meanwhile marks the run interrupted."""
        with critical(reraise=False):
            for callback in self.callbacks:
                method = getattr(callback, hook, None)
                if method is not None:
                    method(history)
        if held():
            history.interrupted = True


class _Totals:
    """The epoch's running sums of loss and hits, weighted by batch size."""

    def __init__(self) -> None:
        self.loss = self.hits = 0.0
        self.seen = 0

    def add(self, state: TrainState, outputs: Sequence[Output], by: Sequence[Any]) -> None:
        self.loss += state.loss * len(by)
        if state.metric is not None:
            self.hits += state.metric(outputs, by) * len(by)
        self.seen += len(by)


def _take_step(run: _Run, bx: Sequence[Any], by: Sequence[Any]) -> Sequence[Output]:
    """Forward, backward and one optimizer step, kept only if every parameter stays finite; the batch's outputs."""
    state, history = run.state, run.state.history
    named = run.named
    optimizer, params, epoch = state.optimizer, state.params, state.epoch
    optimizer.zero_grad()
    step = history.steps_done + 1
    try:
        data_loss, outputs = run.step(bx, by)
    except OverflowError as error:  # the engine's own overflow check, in forward or backward
        raise NonFiniteError(f"fit: step {step} (epoch {epoch}): {error}; the model keeps the parameters of step "
                             f"{step - 1}{largest_parameter(named)}", history) from error  # fmt: skip
    if not math.isfinite(data_loss):
        what = f"a non-finite loss {data_loss!r}"
        raise NonFiniteError(nonfinite_before_step(what, step, epoch, named, bx, step - 1), history)
    # One sum is the fast check (inf - inf and overflow make it non-finite too); the search for the
    # culprit runs only when it fails.
    bad = None if math.isfinite(sum(p.grad for p in params)) else first_nonfinite(named, "grad")
    if bad is not None:
        what = f"parameter {bad[0]!r} a non-finite gradient {bad[1]!r} (loss {data_loss!r})"
        raise NonFiniteError(nonfinite_before_step(what, step, epoch, named, bx, step - 1), history)
    before = [p.data for p in params]
    saved = optimizer.state()
    with critical():  # the step and its undo are one block: Ctrl-C waits for the end of both
        try:
            optimizer.step()
        except OverflowError as error:  # the optimizer's own state would overflow; it changed nothing
            raise NonFiniteError(f"fit: step {step} (epoch {epoch}): {error}; nothing was changed", history) from error
        bad = None if math.isfinite(sum(p.data for p in params)) else first_nonfinite(named, "data")
        if bad is not None:
            for p, value in zip(params, before):
                p.data = value
            optimizer.restore(saved)
            # Raised inside the block: a Ctrl-C held meanwhile must not hide why training stopped.
            raise NonFiniteError(nonfinite_step(bad, before, named, step, epoch, data_loss, optimizer), history)
        history.steps_done += 1
    state.step, state.loss, state.batch, state.before = history.steps_done, data_loss, (bx, by), before
    return outputs


def _record_epoch(run: _Run, totals: _Totals, started: float) -> None:
    """Measure validation and add the epoch's row; every list grows in one block, so they always line up."""
    state, history = run.state, run.state.history
    val_loss, val_accuracy = run.validate() if run.validate is not None else (math.nan, None)
    with critical():
        history.epochs.append(state.epoch)
        history.step.append(history.steps_done)
        history.train_loss.append(totals.loss / totals.seen)
        if state.metric is not None:
            history.train_accuracy.append(totals.hits / totals.seen)
        if run.validate is not None:
            history.val_loss.append(val_loss)
        if val_accuracy is not None:
            history.val_accuracy.append(val_accuracy)
        history.seconds = time.perf_counter() - started
