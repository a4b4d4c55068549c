"""Watching training: a callback that keeps each epoch's parameters, gradients and losses, to replay later.

``Snapshots(every=1)`` records, after every ``every``-th epoch, what the model was at that moment:
its ``state_dict()``, the gradients of the epoch's last step (what the last update used), that
step's loss, and the epoch's train and validation loss. ``restore(model, k)`` puts snapshot ``k``'s
parameters back into a model, so any figure of a trained model (a decision boundary, a drawing of
the graph with its gradients) can be made for every epoch: ``demos.moons --animate`` draws the
two-moons boundary epoch by epoch and writes it as a GIF.

>>> import nn
>>> model = nn.MLP(1, [2, 1], seed=0)
>>> snaps = Snapshots()
>>> _ = nn.fit(model, "mse", [[0.0], [1.0]], [0.0, 1.0], optimizer=nn.SGD(model.parameters(), lr=0.1), epochs=3,
...            callbacks=[snaps], progress=False)
>>> [s.epoch for s in snaps], snaps[-1].params == model.state_dict()
([1, 2, 3], True)
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nn.callbacks import TrainState
from nn.history import History
from nn.inputs import count

__all__ = ["Snapshot", "Snapshots"]


@dataclass(frozen=True)
class Snapshot:
    """The model after one epoch: parameters and last-step gradients by name, the losses."""

    epoch: int
    step: int
    params: dict[str, float]
    #: The gradients the epoch's last update used (of the whole objective, L2 term included).
    grads: dict[str, float]
    #: The data loss of the epoch's last step, measured before its update.
    loss: float
    train_loss: float
    val_loss: float = math.nan
    #: The parameters just before the epoch's last update, and the learning rate α that update used:
    #: for plain SGD, ``params[name] == before[name] - lr * grads[name]`` (what ``nn.watch`` writes out).
    before: dict[str, float] = field(default_factory=dict)
    lr: float = math.nan


@dataclass(eq=False)
class Snapshots:
    """A ``fit`` callback keeping a ``Snapshot`` after every ``every``-th epoch (and after the last one)."""

    every: int = 1
    snapshots: list[Snapshot] = field(default_factory=list, init=False)
    _state: TrainState | None = field(default=None, init=False, repr=False)
    _grads: dict[str, float] = field(default_factory=dict, init=False, repr=False)
    _loss: float = field(default=math.nan, init=False, repr=False)
    _before: dict[str, float] = field(default_factory=dict, init=False, repr=False)
    _lr: float = field(default=math.nan, init=False, repr=False)

    def __post_init__(self) -> None:
        self.every = count(self.every, "Snapshots: every", least=1)

    def on_fit_start(self, state: TrainState) -> None:
        """Start a fresh record for this run."""
        self._state = state
        self.snapshots = []

    def on_step_end(self, state: TrainState) -> None:
        """Keep this step's gradients and loss: the last step of an epoch is the one a snapshot shows."""
        self._grads = {name: float(p.grad) for name, p in _named(state)}
        self._loss = state.loss
        self._before = {name: value for (name, _), value in zip(_named(state), state.before)}
        optimizer = state.optimizer
        # The step just taken used the schedule's value at the count before it.
        self._lr = float(optimizer.schedule(optimizer.steps - 1)) if optimizer.steps else math.nan

    def on_epoch_end(self, history: History) -> None:
        """Record the model as it is now, if this epoch is one to keep."""
        state = self._state
        assert state is not None
        epoch = history.epochs[-1]
        if (epoch - 1) % self.every and epoch != state.epochs:
            return
        self.snapshots.append(
            Snapshot(
                epoch,
                history.step[-1],
                {name: p.data for name, p in _named(state)},
                dict(self._grads),
                self._loss,
                history.train_loss[-1],
                history.val_loss[-1] if history.val_loss else math.nan,
                dict(self._before),
                self._lr,
            )
        )

    def restore(self, model: Any, index: int) -> Snapshot:
        """Give ``model`` the parameters of snapshot ``index`` (negative counts from the end) and return it."""
        snapshot = self.snapshots[index]
        model.load_state_dict(snapshot.params)
        return snapshot

    def to_html(self, path: str | os.PathLike[str], *, title: str | None = None) -> Path:
        """Write the page watching this run (``nn.watch.watch_page``) to ``path`` and return its path."""
        from nn.watch import watch_page

        state = self._state
        if state is None:
            raise ValueError("Snapshots.to_html: nothing recorded yet; pass this object in fit(callbacks=[...]) first")
        return watch_page(self, state.model, path=path, title=title)

    def _repr_html_(self) -> str:
        from nn.watch import WatchPage

        state = self._state
        if state is None:
            return "<p>Snapshots: nothing recorded yet</p>"
        return WatchPage(self, state.model)._repr_html_()

    def __len__(self) -> int:
        return len(self.snapshots)

    def __iter__(self) -> Iterator[Snapshot]:
        return iter(self.snapshots)

    def __getitem__(self, index: int) -> Snapshot:
        return self.snapshots[index]


def _named(state: TrainState) -> list[tuple[str, Any]]:
    named = getattr(state.model, "named_parameters", None)
    if callable(named):
        pairs: list[tuple[str, Any]] = named()
        return pairs
    return [(p.label or f"parameter {i}", p) for i, p in enumerate(state.params)]
