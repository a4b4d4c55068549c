"""What the lecture's lesson demos share: learning curves with early stopping and per-layer gradient norms.

``train_with_curves`` is a thin adapter over ``nn.train.fit``. When ``fit`` takes ``X_val`` /
``early_stopping`` / ``record_gradients`` (the training-room API), it uses them and reads
``History.val_loss`` / ``best_epoch`` / ``grad_norms``. With an older ``fit`` it measures the same
things itself from ``fit``'s per-epoch callback: validation loss by a compiled replay of the
model, early stopping by ending ``fit`` with a ``KeyboardInterrupt`` from the callback (``fit``
documents that as a clean stop) and restoring the best weights.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import compile_per_sample
from nn import train as _train
from nn.module import MLP
from nn.train import LossName, Optimizer, fit, resolve_loss

#: True once ``fit`` records validation curves, early stopping and gradient norms itself.
NEW_FIT = {"X_val", "early_stopping", "record_gradients"} <= set(inspect.signature(fit).parameters)


@dataclass
class Curves:
    """Per-epoch training and validation loss, the epoch early stopping kept, and per-layer gradient norms."""

    epochs: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    #: The epoch whose weights the model ended with after early stopping (None without it).
    best_epoch: int | None = None
    stopped_early: bool = False
    #: ``grad_norms[k][e]``: the gradient norm of layer ``k`` (input side first) after epoch ``e``'s last step.
    grad_norms: list[list[float]] = field(default_factory=list)


def layer_gradient_norms(model: MLP) -> list[float]:
    """The Euclidean norm of each layer's parameter gradients (weights and biases), first layer first.

    >>> model = MLP(1, [2, 1], seed=0)
    >>> for p in model.parameters():
    ...     p.grad = 1.0
    >>> [round(n, 3) for n in layer_gradient_norms(model)]
    [2.0, 1.732]
    """
    return [math.sqrt(sum(p.grad * p.grad for p in layer.parameters())) for layer in model.layers]


def replayed_loss(model: MLP, loss: LossName, X: Sequence[Any], y: Sequence[Any]) -> Any:
    """A function of no arguments giving the model's current loss on ``(X, y)``, replayed as float code (no graph).

    >>> model = MLP(1, [1], seed=0)
    >>> measure = replayed_loss(model, "mse", [[1.0]], [0.0])
    >>> measure() == model([1.0]).data ** 2
    True
    """
    loss_fn = resolve_loss(loss)
    per_sample = compile_per_sample(lambda x, t: loss_fn([model(x)], [t]), static=() if loss == "mse" else (1,))
    return lambda: per_sample(list(X), list(y)).value


def train_with_curves(
    model: MLP,
    loss: LossName,
    X: Sequence[Any],
    y: Sequence[Any],
    X_val: Sequence[Any],
    y_val: Sequence[Any],
    *,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    patience: int | None = None,
    record_gradients: bool = False,
    seed: int = 0,
) -> Curves:
    """Train with ``fit(compile=True)`` and return per-epoch curves; ``patience`` stops early and keeps the best weights.

    >>> from nn.optim import Adam
    >>> model = MLP(1, [3, 1], activation="tanh", seed=0)
    >>> curves = train_with_curves(model, "mse", [[0.0], [1.0]], [0.0, 1.0], [[0.5]], [0.5],
    ...                            optimizer=Adam(model.parameters(), lr=0.05), epochs=20)
    >>> len(curves.train_loss) == len(curves.val_loss) == 20
    True
    """
    if NEW_FIT:
        return _with_new_fit(model, loss, X, y, X_val, y_val, optimizer, epochs, batch_size, patience, record_gradients, seed)
    curves = Curves()
    # Both measured after the epoch's updates, so the two curves compare the same weights.
    measure_train = replayed_loss(model, loss, X, y)
    measure = replayed_loss(model, loss, X_val, y_val)
    best = (math.inf, 0, model.state_dict())

    def after_epoch(history: _train.History) -> None:
        nonlocal best
        curves.epochs.append(history.epoch[-1])
        curves.train_loss.append(measure_train())
        curves.val_loss.append(measure())
        if record_gradients:
            curves.grad_norms.append(layer_gradient_norms(model))
        if patience is not None:
            if curves.val_loss[-1] < best[0]:
                best = (curves.val_loss[-1], curves.epochs[-1], model.state_dict())
            elif curves.epochs[-1] - best[1] >= patience:
                curves.stopped_early = True
                raise KeyboardInterrupt  # fit's documented clean stop: the model keeps its last completed step

    fit(model, loss, X, y, optimizer=optimizer, epochs=epochs, batch_size=batch_size, callback=after_epoch, seed=seed,
        progress=False, compile=True)  # fmt: skip
    if patience is not None:
        model.load_state_dict(best[2])
        curves.best_epoch = best[1]
    curves.grad_norms = [list(column) for column in zip(*curves.grad_norms)]  # per layer, over epochs
    return curves


def _with_new_fit(
    model: MLP,
    loss: LossName,
    X: Sequence[Any],
    y: Sequence[Any],
    X_val: Sequence[Any],
    y_val: Sequence[Any],
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None,
    patience: int | None,
    record_gradients: bool,
    seed: int,
) -> Curves:
    """The same curves from the training room's ``fit`` (``X_val``, ``EarlyStopping``, ``record_gradients``)."""
    # Typed as Any until the training room's API is on main: then this reads as plain calls.
    new_train: Any = _train
    stopping = new_train.EarlyStopping(patience=patience, metric="val_loss") if patience is not None else None
    history: Any = new_train.fit(
        model, loss, X, y, optimizer=optimizer, epochs=epochs, batch_size=batch_size, seed=seed, progress=False, compile=True,
        X_val=X_val, y_val=y_val, early_stopping=stopping, record_gradients=record_gradients,
    )  # fmt: skip
    norms = getattr(history, "grad_norms", {}) or {}
    return Curves(
        list(getattr(history, "epochs", None) or history.epoch),
        list(history.train_loss),
        list(history.val_loss),
        history.best_epoch if patience is not None else None,
        bool(history.stopped_early),
        [list(v) for v in norms.values()],
    )
