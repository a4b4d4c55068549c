"""One trial of a search: a picklable ``Task`` in, a ``TrialResult`` row out, run anywhere by ``run_trial``.

>>> outputs_for("hinge", [-1, 1])
1
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from nn.callbacks import EarlyStopping
from nn.diagnose import DiagnosisWarning
from nn.metrics import LossName, evaluate
from nn.module import MLP
from nn.optim import SGD, Adam, Optimizer
from nn.seeding import Seed
from nn.space import DEFAULTS, OPTIMIZERS, Settings
from nn.train import fit

__all__ = ["Task", "TrialResult", "build_model", "build_optimizer", "outputs_for", "run_trial"]

@dataclass(frozen=True)
class Task:
    """Everything one trial needs, as plain data, so it pickles to another process or machine."""

    index: int
    settings: Settings
    loss: LossName
    X_train: list[Any]
    y_train: list[Any]
    X_val: list[Any]
    y_val: list[Any]
    seed: int
    compile: bool


@dataclass(frozen=True)
class TrialResult:
    """One trial's row: its settings, final train and validation figures, time, and the trained weights."""

    index: int
    settings: Settings
    status: Literal["ok", "failed", "interrupted"]
    train_loss: float = math.nan
    train_accuracy: float | None = None
    val_loss: float = math.nan
    val_accuracy: float | None = None
    seconds: float = 0.0
    #: The error a failed trial raised, as ``"Type: message"``.
    error: str = ""
    #: What ``fit``'s diagnosis found during training (``"dead: layers.1"``, ``"vanishing: layers.0"``).
    findings: tuple[str, ...] = ()
    #: Epochs trained (fewer than ``epochs`` when early stopping ended the trial; its weights are the best epoch's).
    epochs_run: int = 0
    #: The trained weights (``state_dict``), so the winner can be rebuilt without training again.
    state: dict[str, float] | None = field(default=None, repr=False)

    def full_settings(self) -> Settings:
        """The settings with every default filled in: exactly what the trial ran."""
        return {**DEFAULTS, **self.settings}


def build_model(settings: Mapping[str, Any], nin: int, nout: int, seed: Seed) -> MLP:
    """The MLP a trial trains: ``layers`` hidden layers of ``width`` neurons, a linear output layer of ``nout``.

    >>> build_model({"layers": 1, "width": 3}, nin=2, nout=1, seed=0)
    MLP(2, [3, 1], activation='relu', output_activation='linear')
    """
    s = {**DEFAULTS, **settings}
    layers, width = s["layers"], s["width"]
    if isinstance(layers, bool) or not isinstance(layers, int) or layers < 0:
        raise ValueError(f"build_model: layers (hidden layers) must be an int >= 0, got {layers!r}")
    return MLP(nin, [width] * layers + [nout], activation=s["activation"], init=s["init"], seed=seed)


def build_optimizer(settings: Mapping[str, Any], params: list[Any]) -> Optimizer:
    """The optimizer a trial uses: ``sgd`` (with ``momentum``, ``nesterov``), ``adam`` or ``adamw`` (``beta1``, ``beta2``).

    >>> build_optimizer({"optimizer": "adam", "lr": 0.01}, [])
    Adam(0 parameters, lr=constant(lr=0.01), betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0)
    """
    s = {**DEFAULTS, **settings}
    name = s["optimizer"]
    if name == "sgd":
        return SGD(params, lr=s["lr"], momentum=s["momentum"], nesterov=s["nesterov"], weight_decay=s["weight_decay"])
    if name in ("adam", "adamw"):
        betas = (s["beta1"], s["beta2"])
        return Adam(params, lr=s["lr"], betas=betas, weight_decay=s["weight_decay"], decoupled=name == "adamw")
    raise ValueError(f"build_optimizer: optimizer must be one of {', '.join(map(repr, OPTIMIZERS))}, got {name!r}")


def outputs_for(loss: str, y: Sequence[Any]) -> int:
    """How many outputs the network needs: one score per class for ``cross_entropy``, else one.

    >>> outputs_for("cross_entropy", [0, 2, 1]), outputs_for("hinge", [-1, 1])
    (3, 1)
    """
    return int(max(y)) + 1 if loss == "cross_entropy" else 1


def run_trial(task: Task) -> TrialResult:
    """Train one trial's model on the training split and measure it on train and validation; never raises for a bad setting.

    A setting that makes training fail (a negative learning rate, an unknown optimizer) gives a
    ``failed`` row with the error, so one bad corner of a grid does not lose the others.

    >>> from nn.data import make_moons
    >>> X, y = make_moons(20, seed=0, signed=True)
    >>> bad = Task(0, {"lr": -1.0}, "hinge", X[:15], y[:15], X[15:], y[15:], seed=0, compile=False)
    >>> run_trial(bad).status, run_trial(bad).error
    ('failed', 'ValueError: SGD: lr must be a finite number >= 0, got -1.0')
    """
    started = time.perf_counter()
    try:
        settings = {**DEFAULTS, **task.settings}
        model = build_model(settings, len(task.X_train[0]), outputs_for(task.loss, task.y_train), task.seed)
        optimizer = build_optimizer(settings, model.parameters())
        patience = settings["patience"]
        # With patience, fit evaluates the validation split every epoch: it is what early stopping watches.
        validation = (task.X_val, task.y_val) if patience else None
        stopping = [EarlyStopping(patience=patience, metric="val_loss")] if patience else []
        with warnings.catch_warnings():
            # A trial's findings go into its row, not a warning per trial on the terminal.
            warnings.simplefilter("ignore", DiagnosisWarning)
            history = fit(
                model,
                task.loss,
                task.X_train,
                task.y_train,
                optimizer=optimizer,
                epochs=settings["epochs"],
                batch_size=settings["batch_size"],
                l2=settings["l2"],
                seed=task.seed,
                progress=False,
                compile=task.compile,
                validation=validation,
                callbacks=stopping,
            )
        findings = tuple(f"{f.kind}: {f.layer}" for f in history.findings)
        train_loss, train_accuracy = evaluate(model, task.loss, task.X_train, task.y_train)
        val_loss, val_accuracy = evaluate(model, task.loss, task.X_val, task.y_val)
    except Exception as error:
        return TrialResult(
            task.index, task.settings, "failed", seconds=time.perf_counter() - started, error=f"{type(error).__name__}: {error}"
        )
    return TrialResult(
        task.index,
        task.settings,
        "interrupted" if history.interrupted else "ok",
        train_loss,
        train_accuracy,
        val_loss,
        val_accuracy,
        time.perf_counter() - started,
        findings=findings,
        epochs_run=len(history),
        state=model.state_dict(),
    )


# ------------------------------------------------------------------------------------- results

Metric = Literal["val_accuracy", "val_loss"]
_COLUMNS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds")

