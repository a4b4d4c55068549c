"""What the lecture's lesson demos share: learning curves with early stopping and per-layer gradient norms.

``train_with_curves`` is ``nn.fit(compile=True)`` itself — its compiled validation pass, its
``EarlyStopping`` callback (which restores the best epoch) and its gradient diagnosis — with the
``History`` read out into the per-epoch lists the demos draw. The graph of these networks does not
depend on the data, so the compiled path (traced once, replayed as float code) is always taken.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import compile_per_sample
from nn.callbacks import EarlyStopping
from nn.diagnose import DiagnosisWarning, diagnose
from nn.module import MLP
from nn.train import LossName, Optimizer, fit, resolve_loss


@dataclass
class Curves:
    """Per-epoch training and validation loss, the epoch early stopping kept, and per-layer gradient norms."""

    epochs: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    #: The epoch whose weights the model ended with after early stopping (None without it).
    best_epoch: int | None = None
    stopped_early: bool = False
    #: ``grad_norms[k][e]``: the gradient norm of layer ``k`` (input side first) in epoch ``e``.
    grad_norms: list[list[float]] = field(default_factory=list)
    #: What ``fit``'s diagnosis found (``"vanishing: layers.0"``, …).
    findings: list[str] = field(default_factory=list)


def initial_gradient_norms(model: MLP, X: Sequence[Any], y: Sequence[Any]) -> tuple[list[float], list[str]]:
    """Each layer's gradient norm of the MSE on ``(X, y)`` now, and what ``nn.diagnose`` finds.

    ``nn.diagnose`` is the measurement ``fit(record_gradients=True)`` makes, so the numbers at
    initialization and during training come from one implementation.

    >>> norms, findings = initial_gradient_norms(MLP(1, [2, 1], seed=0), [[1.0]], [0.0])
    >>> len(norms)
    2
    """
    report = diagnose(model, X, y, loss="mse")
    return [s.grad_norm for s in report.layers], [f"{f.kind}: {f.layer}" for f in report.findings]


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
    stopping = [EarlyStopping(patience=patience, metric="val_loss")] if patience is not None else []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiagnosisWarning)  # reported in curves.findings, one line each
        history = fit(model, loss, X, y, optimizer=optimizer, epochs=epochs, batch_size=batch_size,
                      validation=(X_val, y_val), callbacks=stopping, seed=seed, progress=False, compile=True,
                      record_gradients=record_gradients)  # fmt: skip
    return Curves(
        epochs=list(history.epochs),
        train_loss=list(history.train_loss),
        val_loss=list(history.val_loss),
        best_epoch=history.best_epoch if patience is not None else None,
        stopped_early=history.stopped_early,
        grad_norms=[list(norms) for norms in history.grad_norms.values()],  # per layer, input side first
        findings=[f"{f.kind}: {f.layer}" for f in history.findings],
    )
