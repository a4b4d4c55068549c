"""What ``fit`` calls back, and the callbacks it ships: early stopping, the gradient diagnosis, progress.

The loop owns the order of things and the guards (nan checks, Ctrl-C); everything else that
watches training is a callback, Keras' and Lightning's shape. A callback is any object with some
of these methods (each optional), or a plain function, which is taken as ``on_epoch_end``:

* ``on_fit_start(state)`` — before the first step; may refuse the run by raising;
* ``on_step_end(state)`` — after each optimizer step that was kept (``state`` is a ``TrainState``);
* ``on_epoch_end(history)`` — after each epoch's row is in the ``History``;
* ``on_fit_end(history)`` — once at the end, also after Ctrl-C or an error (``history.failed``).

``OnStep(fn)`` makes a plain function of the state a per-step callback.

``on_step_end`` and ``on_epoch_end`` may ask to stop: return ``True`` or a ``Stop`` (with a
reason). ``fit`` then ends after the current step or epoch, with ``history.stopped_early``.

>>> from nn import MLP, SGD, fit
>>> model = MLP(1, [2, 1], seed=0)
>>> def stop_at_three(history):
...     return Stop("three is enough") if history.epochs[-1] == 3 else None
>>> h = fit(model, "mse", [[0.0]], [1.0], optimizer=SGD(model.parameters(), lr=0.1), epochs=10,
...         callbacks=[stop_at_three], progress=False)
>>> len(h), h.stopped_early, h.stop_reason
(3, True, 'three is enough')
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Union, get_args

from autograd import Value
from nn.diagnose import GradientMonitor
from nn.history import History
from nn.interrupts import critical
from nn.metrics import AccuracyFn, Model
from nn.optim import Optimizer

__all__ = [
    "Callback",
    "Diagnosis",
    "EarlyStopping",
    "OnStep",
    "Progress",
    "Stop",
    "StopRequest",
    "TrainState",
    "as_callback",
    "wants_stop",
]


@dataclass(frozen=True)
class Stop:
    """A callback's request to end training, with the reason ``History.stop_reason`` keeps.

    >>> Stop("val loss stopped improving").reason
    'val loss stopped improving'
    """

    reason: str = ""


#: What ``on_step_end`` / ``on_epoch_end`` may return: nothing (go on), True or a ``Stop`` (end training).
StopRequest = Union[None, bool, Stop, type[Stop]]


@dataclass
class TrainState:
    """The loop's state as callbacks see it: the run's fixed parts, and the step just taken."""

    model: Model
    optimizer: Optimizer
    params: list[Value]
    history: History
    #: The training data, as lists.
    X: list[Any]
    y: list[Any]
    #: ``(X_val, y_val)`` as lists, or None.
    validation: tuple[list[Any], list[Any]] | None
    #: The accuracy metric fit measures (None for regression).
    metric: AccuracyFn | None
    l2: float
    #: Epochs the run will take at most.
    epochs: int
    #: The current epoch (from 1) and the optimizer steps kept so far.
    epoch: int = 0
    step: int = 0
    #: The last step's data loss (without the L2 term), its batch, and the parameters before it.
    loss: float = math.nan
    batch: tuple[Sequence[Any], Sequence[Any]] = ((), ())
    before: list[float] = field(default_factory=list)


class Callback(Protocol):
    """The hooks ``fit`` calls (every one optional: see the module's docstring)."""

    def on_epoch_end(self, history: History) -> StopRequest:
        """After each epoch's row is recorded; True or a ``Stop`` ends training."""
        ...


def wants_stop(answer: object) -> Stop | None:
    """A callback's answer as a ``Stop`` when it asks to end training, else None.

    >>> wants_stop(True), wants_stop(None), wants_stop(Stop("done"))
    (Stop(reason=''), None, Stop(reason='done'))
    """
    if answer is None or answer is False:
        return None
    if answer is True or answer is Stop:
        return Stop()
    if isinstance(answer, Stop):
        return answer
    raise TypeError(f"fit: a callback returned {answer!r}; return None to go on, True or nn.Stop(reason) to stop")


class _EpochFunction:
    """A plain function ``f(history)`` as a callback: called after every epoch."""

    def __init__(self, fn: Callable[[History], object]) -> None:
        self.fn = fn

    def on_epoch_end(self, history: History) -> StopRequest:
        return wants_stop(self.fn(history))

    def __repr__(self) -> str:
        return f"on_epoch_end={getattr(self.fn, '__name__', self.fn)!r}"


class OnStep:
    """A plain function ``fn(state)`` as a callback called after every step (a plain function alone is per epoch).

    >>> OnStep(print).fn is print
    True
    """

    def __init__(self, fn: Callable[[TrainState], object]) -> None:
        self.fn = fn

    def on_step_end(self, state: TrainState) -> StopRequest:
        """Call the function; its answer may ask to stop."""
        return wants_stop(self.fn(state))


_HOOKS = ("on_fit_start", "on_step_end", "on_epoch_end", "on_fit_end")


def as_callback(item: object) -> Any:
    """A callback object as it is; a plain function as one called after every epoch.

    >>> as_callback(print)
    on_epoch_end='print'
    """
    if any(callable(getattr(item, hook, None)) for hook in _HOOKS):
        return item
    if callable(item):
        return _EpochFunction(item)
    raise TypeError(f"fit: callbacks must be functions of the history or objects with {', '.join(_HOOKS)}; got {item!r}")


# ------------------------------------------------------------------------------------- early stopping

#: What ``EarlyStopping`` can watch.
Metric = Literal["val_loss", "val_accuracy", "train_loss", "train_accuracy"]


@dataclass(eq=False)
class EarlyStopping:
    """Stop ``fit`` once ``metric`` has not improved by more than ``min_delta`` for ``patience`` epochs; restore the best.

    Losses improve by falling, accuracies by rising. After training (stopped early or not, and
    after Ctrl-C) the model holds the parameters of ``History.best_epoch``; the restore is one
    block a second Ctrl-C cannot cut in two. Pass it in ``fit(..., callbacks=[EarlyStopping()])``.

    >>> EarlyStopping(patience=5, metric="val_accuracy")
    EarlyStopping(patience=5, metric='val_accuracy', min_delta=0.0)
    """

    patience: int = 10
    metric: Metric = "val_loss"
    min_delta: float = 0.0
    best: float | None = field(default=None, init=False, repr=False)
    best_epoch: int | None = field(default=None, init=False, repr=False)
    _best_state: list[float] | None = field(default=None, init=False, repr=False)
    _waited: int = field(default=0, init=False, repr=False)
    _params: list[Value] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        from nn.inputs import count, number

        self.patience = count(self.patience, "EarlyStopping: patience", least=1)
        if self.metric not in get_args(Metric):
            known = ", ".join(map(repr, get_args(Metric)))
            raise ValueError(f"EarlyStopping: metric must be one of {known}, got {self.metric!r}")
        self.min_delta = number(self.min_delta, "EarlyStopping: min_delta")

    def improved(self, value: float, best: float | None) -> bool:
        """Whether ``value`` beats ``best`` by more than ``min_delta`` (nan never does)."""
        if math.isnan(value):
            return False
        if best is None:
            return True
        if self.metric.endswith("loss"):
            return value < best - self.min_delta
        return value > best + self.min_delta

    def on_fit_start(self, state: TrainState) -> None:
        """Refuse a metric the run does not measure; start from nothing seen."""
        if self.metric.startswith("val") and state.validation is None:
            raise ValueError(f"fit: early stopping on {self.metric!r} needs validation data: pass validation=(X_val, y_val)")
        if self.metric.endswith("accuracy") and state.metric is None:
            raise ValueError(f"fit: early stopping on {self.metric!r} needs an accuracy: pass accuracy=")
        self.best, self.best_epoch, self._best_state, self._waited = None, None, None, 0
        self._params = state.params

    def on_epoch_end(self, history: History) -> StopRequest:
        """Keep the parameters of a new best epoch; ask to stop after ``patience`` epochs without one."""
        value = getattr(history, self.metric)[-1]
        if self.improved(value, self.best):
            self.best, self.best_epoch, self._waited = value, history.epochs[-1], 0
            self._best_state = [p.data for p in self._params]
            history.best_epoch = self.best_epoch
            return None
        self._waited += 1
        if self._waited >= self.patience:
            return Stop(f"{self.metric} has not improved for {self.patience} epochs since epoch {self.best_epoch}")
        return None

    def on_fit_end(self, history: History) -> None:
        """Give the model the best epoch's parameters, all of them or (on a second Ctrl-C) still all of them."""
        if self._best_state is None or history.failed:
            return
        with critical(reraise=False):
            for p, value in zip(self._params, self._best_state):
                p.data = value
        history.best_epoch = self.best_epoch


# ------------------------------------------------------------------------------------- the diagnosis


class Diagnosis:
    """``nn.diagnose`` during training: every step's per-layer gradient norms, dead layers, warnings once per problem.

    ``fit`` always runs one (``record=True`` with ``record_gradients=True`` also fills
    ``History.grad_norms`` and ``History.dead_fraction``).
    """

    def __init__(self, *, record: bool = False) -> None:
        self.record = record
        self.monitor: GradientMonitor | None = None

    def on_fit_start(self, state: TrainState) -> None:
        """Find the model's layers (record=True refuses a model without them)."""
        self.monitor = GradientMonitor(state.model, state.X, record=self.record, l2=state.l2)
        self.monitor.stacklevel = 5  # end_epoch <- on_epoch_end <- fit's ask <- fit <- the caller's line

    def on_step_end(self, state: TrainState) -> None:
        """Add this step's gradient norms (the gradients stay as backward left them; the L2 share uses ``before``)."""
        assert self.monitor is not None
        self.monitor.after_backward(state.before)

    def on_epoch_end(self, history: History) -> None:
        """The epoch's mean norms into the history; new problems warned about once."""
        assert self.monitor is not None
        stats = self.monitor.end_epoch(history.epochs[-1])
        with critical():  # the norms of all layers grow together
            if self.record and stats is not None:
                for s in stats:
                    history.grad_norms.setdefault(s.name, []).append(s.grad_norm)
                    history.dead_fraction.setdefault(s.name, []).append(s.dead_fraction)
            history.findings[:] = self.monitor.findings


# ------------------------------------------------------------------------------------- progress


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where stderr is no terminal, yet a person watches the output)."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class _Line:
    """One display of the notebook progress line: the same text as HTML and as plain text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        import html

        return f"<pre style='margin:0'>{html.escape(self.text)}</pre>"


class _NotebookBar:
    """A progress line in a notebook output, updated in place (an IPython display handle).

    Not tqdm's widget: a saved notebook keeps a widget's *first* text (``0%| 0/60``), while a
    display handle's last update is the output itself, so a finished run reads finished.
    """

    def __init__(self, total: int) -> None:
        from IPython.display import display
        from tqdm import tqdm

        self.total, self.n, self.postfix = total, 0, ""
        self._format = tqdm.format_meter
        self._started = self._shown = time.perf_counter()
        self._handle = display(_Line(self._text()), display_id=True)  # type: ignore[no-untyped-call]

    def _text(self) -> str:
        elapsed = time.perf_counter() - self._started
        return str(self._format(self.n, self.total, elapsed, unit="epoch", postfix=self.postfix or None))

    def update(self, postfix: str) -> None:
        self.n += 1
        self.postfix = postfix
        now = time.perf_counter()
        if now - self._shown >= 0.1 or self.n == self.total:  # a message per epoch would flood the kernel
            self._shown = now
            self._handle.update(_Line(self._text()))

    def close(self) -> None:
        self._handle.update(_Line(self._text()))


class _TerminalBar:
    def __init__(self, total: int) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, unit="epoch", leave=False, file=sys.stderr)

    def update(self, postfix: str) -> None:
        self.bar.set_postfix_str(postfix, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


class Progress:
    """A progress bar over epochs with the latest figures: tqdm's text bar in a terminal, a live line in Jupyter.

    ``show=None`` shows it only to a person (a terminal or a notebook), never in logs or pipes;
    ``True`` insists (and needs tqdm), ``False`` switches it off. ``fit(progress=...)`` adds one.
    In a notebook the line is updated in place and its last state stays in the saved notebook.
    """

    def __init__(self, show: bool | None = None) -> None:
        self.show = show
        self.bar: _NotebookBar | _TerminalBar | None = None

    def on_fit_start(self, state: TrainState) -> None:
        """Open the bar (or decide not to)."""
        notebook = _in_notebook()
        if self.show is False or (self.show is None and not (notebook or sys.stderr.isatty())):
            return
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*IProgress not found.*")
                import tqdm  # noqa: F401
        except ImportError:
            if self.show:
                raise ImportError("fit(progress=True) needs tqdm: pip install tqdm") from None
            return
        self.bar = _NotebookBar(state.epochs) if notebook else _TerminalBar(state.epochs)

    def on_epoch_end(self, history: History) -> None:
        """Advance one epoch, showing the history's summary."""
        if self.bar is not None:
            self.bar.update(history.summary())

    def on_fit_end(self, history: History) -> None:
        """Close the bar: a notebook keeps its final state, a terminal makes room."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
