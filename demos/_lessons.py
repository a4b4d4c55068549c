"""What the lecture's lesson demos share: learning curves with early stopping and per-layer gradient norms.

``train_with_curves`` is a thin adapter over ``nn.train.fit(compile=True)``. It measures the
training and validation loss after every epoch from ``fit``'s callback, by a compiled replay of
the model (``fit``'s own ``X_val`` evaluation runs eagerly, and for the overfitting demo's large
network that costs ten times the training step), and stops early by ending ``fit`` with a
``KeyboardInterrupt`` from the callback (``fit`` documents that as a clean stop), then restores
the best weights — the rule of ``EarlyStopping(patience, metric="val_loss")`` (a test checks they
agree). Per-layer gradient norms come from ``fit(record_gradients=True)`` and ``nn.diagnose``:
the diagnosis's own measurement.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import compile_per_sample
from nn.diagnose import DiagnosisWarning, diagnose
from nn.module import MLP
from nn.train import History, LossName, Optimizer, fit, resolve_loss


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
    curves = Curves()
    # Both measured after the epoch's updates, so the two curves compare the same weights. Replayed
    # rather than evaluated eagerly: the large network's validation pass would otherwise cost ten
    # times its training step, every epoch.
    measure_train = replayed_loss(model, loss, X, y)
    measure = replayed_loss(model, loss, X_val, y_val)
    best = (math.inf, 0, model.state_dict())

    def after_epoch(history: History) -> None:
        nonlocal best
        curves.epochs.append(history.epochs[-1])
        curves.train_loss.append(measure_train())
        curves.val_loss.append(measure())
        if patience is not None:
            if curves.val_loss[-1] < best[0]:
                best = (curves.val_loss[-1], curves.epochs[-1], model.state_dict())
            elif curves.epochs[-1] - best[1] >= patience:
                curves.stopped_early = True
                raise KeyboardInterrupt  # fit's documented clean stop: the model keeps its last completed step

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiagnosisWarning)  # reported in curves.findings, one line each
        history = fit(model, loss, X, y, optimizer=optimizer, epochs=epochs, batch_size=batch_size, callback=after_epoch,
                      seed=seed, progress=False, compile=True, record_gradients=record_gradients)  # fmt: skip
    curves.findings = [f"{f.kind}: {f.layer}" for f in history.findings]
    if patience is not None:
        model.load_state_dict(best[2])
        curves.best_epoch = best[1]
    curves.grad_norms = [list(norms) for norms in history.grad_norms.values()]  # per layer, input side first
    return curves
