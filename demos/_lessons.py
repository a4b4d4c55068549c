"""What the lecture's lesson demos share: learning curves with early stopping and per-layer gradient norms.

``train_with_curves`` is a thin adapter over ``nn.train.fit(compile=True)``. It measures the
training and validation loss after every epoch from ``fit``'s callback, by a compiled replay of
the model (``fit``'s own ``X_val`` evaluation runs eagerly, and for the overfitting demo's large
network that costs ten times the training step), and stops early by ending ``fit`` with a
``KeyboardInterrupt`` from the callback (``fit`` documents that as a clean stop), then restores
the best weights — the rule of ``EarlyStopping(patience, metric="val_loss")``. Per-layer gradient
norms come from ``fit(record_gradients=True)`` when ``fit`` has it (the training room's API,
the diagnosis's measurement) and from the callback otherwise.
"""

from __future__ import annotations

import importlib
import inspect
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import compile_per_sample
from nn.losses import mse
from nn.module import MLP
from nn.train import LossName, Optimizer, fit, resolve_loss

#: True once ``fit`` records per-layer gradient norms itself (``record_gradients=True``).
NEW_FIT = "record_gradients" in inspect.signature(fit).parameters


def _diagnosis_module() -> Any:
    """``nn.diagnose`` (the training room's diagnosis, which ``fit`` also runs), or None where it does not exist yet."""
    try:
        return importlib.import_module("nn.diagnose")
    except ImportError:
        return None


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
    #: What ``fit``'s diagnosis found (``"vanishing: layers.0"``, …), where ``fit`` diagnoses.
    findings: list[str] = field(default_factory=list)


def layer_gradient_norms(model: MLP) -> list[float]:
    """The Euclidean norm of each layer's parameter gradients (weights and biases), first layer first.

    >>> model = MLP(1, [2, 1], seed=0)
    >>> for p in model.parameters():
    ...     p.grad = 1.0
    >>> [round(n, 3) for n in layer_gradient_norms(model)]
    [2.0, 1.732]
    """
    return [math.sqrt(sum(p.grad * p.grad for p in layer.parameters())) for layer in model.layers]


def initial_gradient_norms(model: MLP, X: Sequence[Any], y: Sequence[Any]) -> tuple[list[float], list[str]]:
    """Each layer's gradient norm of the MSE on ``(X, y)`` now, and what ``nn.diagnose`` finds (where it exists).

    ``nn.diagnose`` is the measurement ``fit(record_gradients=True)`` makes, so the numbers at
    initialization and during training come from one implementation; before it exists the norms
    are read after one ``backward()``.

    >>> norms, findings = initial_gradient_norms(MLP(1, [2, 1], seed=0), [[1.0]], [0.0])
    >>> len(norms)
    2
    """
    diagnosis = _diagnosis_module()
    if diagnosis is not None:
        report = diagnosis.diagnose(model, X, y, loss="mse")
        return [float(s.grad_norm) for s in report.layers], [f"{f.kind}: {f.layer}" for f in report.findings]
    saved = [p.grad for p in model.parameters()]
    model.zero_grad()
    mse([model.outputs(x)[0] for x in X], list(y)).backward()
    norms = layer_gradient_norms(model)
    for p, g in zip(model.parameters(), saved):  # as diagnose does: the gradients are left as they were
        p.grad = g
    return norms, []


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
    own_norms: list[list[float]] = []

    def after_epoch(history: Any) -> None:
        nonlocal best
        curves.epochs.append(history.epoch[-1])
        curves.train_loss.append(measure_train())
        curves.val_loss.append(measure())
        if record_gradients and not NEW_FIT:
            own_norms.append(layer_gradient_norms(model))
        if patience is not None:
            if curves.val_loss[-1] < best[0]:
                best = (curves.val_loss[-1], curves.epochs[-1], model.state_dict())
            elif curves.epochs[-1] - best[1] >= patience:
                curves.stopped_early = True
                raise KeyboardInterrupt  # fit's documented clean stop: the model keeps its last completed step

    # With the training room's fit, its own per-layer gradient norms (the diagnosis's measurement).
    extra = {"record_gradients": True} if record_gradients and NEW_FIT else {}
    train: Any = fit
    diagnosis = _diagnosis_module()
    with warnings.catch_warnings():
        if diagnosis is not None:  # reported in curves.findings, one line each, instead of a warning a screen long
            warnings.simplefilter("ignore", diagnosis.DiagnosisWarning)
        history = train(model, loss, X, y, optimizer=optimizer, epochs=epochs, batch_size=batch_size, callback=after_epoch,
                        seed=seed, progress=False, compile=True, **extra)  # fmt: skip
    curves.findings = [f"{f.kind}: {f.layer}" for f in getattr(history, "findings", [])]
    if patience is not None:
        model.load_state_dict(best[2])
        curves.best_epoch = best[1]
    if NEW_FIT:
        curves.grad_norms = [list(norms) for norms in history.grad_norms.values()]
    else:
        curves.grad_norms = [list(column) for column in zip(*own_norms)]  # per layer, over epochs
    return curves
