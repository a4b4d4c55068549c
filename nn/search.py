"""Hyperparameter search done right: choose by validation, test the winner once, run trials anywhere.

The lecture: "we aren't optimizing the number of layers, the learning rate, the number of neurons
in each layer … there is no known theory to optimize these hyperparameters". So we try them. A
``Search`` splits the data into train / validation / test itself and keeps the test split to
itself: trials are trained on train and ranked on validation only, and the one way to touch the
test set is ``final_test()``, which evaluates the winner, once. Calling it again, or searching on
after it, raises ``TestSetUsed``: a test set you choose by is a second validation set, and its
score no longer says how the model does on data it never influenced.

Trials are independent jobs (``run_trial`` on a picklable ``Task``), so they run on local
processes by default and on any ``concurrent.futures.Executor`` you pass — a Dask cluster's
``client.get_executor()``, say. Every trial starts its weights and batch order from the search's
seed, so a search gives the same table on one core, on many, or on a cluster.

>>> from nn.data import make_moons
>>> X, y = make_moons(60, noise=0.1, seed=0, signed=True)
>>> search = Search(X, y, loss="hinge", seed=0)
>>> results = search.grid({"width": [2, 8], "lr": [0.3]}, workers=1, epochs=5)
>>> len(results), results.best.settings["width"] in (2, 8)
(2, True)
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import signal
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

from autograd.atomic import write_text_atomically
from nn.data import Seed, rng_from, train_test_split
from nn.diagnose import DiagnosisWarning
from nn.module import MLP
from nn.optim import SGD, Adam
from nn.train import EarlyStopping, LossName, Optimizer, evaluate, fit

# ------------------------------------------------------------------------------------- the space

#: Every hyperparameter a trial understands, with the value a trial uses when the space leaves it out.
DEFAULTS: dict[str, Any] = {
    "layers": 2,  # hidden layers
    "width": 8,  # neurons per hidden layer
    "activation": "relu",
    "init": "uniform",
    "optimizer": "sgd",  # "sgd", "adam" or "adamw"
    "lr": 0.1,
    "momentum": 0.0,  # sgd only
    "nesterov": False,  # sgd only
    "beta1": 0.9,  # adam / adamw only
    "beta2": 0.999,  # adam / adamw only
    "weight_decay": 0.0,
    "batch_size": None,  # None: full batch (gradient descent)
    "epochs": 50,
    "l2": 0.0,
    "patience": None,  # early stopping on the validation loss after this many epochs without improvement
}

OPTIMIZERS = ("sgd", "adam", "adamw")


@dataclass(frozen=True)
class uniform:
    """A random-search range: a float drawn uniformly from [low, high].

    >>> 0.2 <= uniform(0.2, 0.9).sample(random.Random(0)) <= 0.9
    True
    """

    low: float
    high: float

    def sample(self, rng: random.Random) -> float:
        """One draw from ``rng``."""
        return rng.uniform(self.low, self.high)


@dataclass(frozen=True)
class log_uniform:
    """A random-search range for scales such as learning rates: log10 of the value uniform in [log10 low, log10 high].

    >>> 1e-3 <= log_uniform(1e-3, 1.0).sample(random.Random(0)) <= 1.0
    True
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        if not 0.0 < self.low <= self.high:
            raise ValueError(f"log_uniform: need 0 < low <= high, got low={self.low!r}, high={self.high!r}")

    def sample(self, rng: random.Random) -> float:
        """One draw from ``rng``."""
        return float(10.0 ** rng.uniform(math.log10(self.low), math.log10(self.high)))


#: What a space maps each hyperparameter to: the values to try (a list), or a range to sample from.
Choices = Union[Sequence[Any], uniform, log_uniform]
Space = Mapping[str, Choices]
Settings = dict[str, Any]


def _check_keys(keys: Iterable[str], where: str) -> None:
    for key in keys:
        if key not in DEFAULTS:
            raise ValueError(f"{where}: unknown hyperparameter {key!r}; known: {', '.join(DEFAULTS)}")


def _check_fixed(space: Space, fixed: Mapping[str, Any], where: str) -> None:
    _check_keys(fixed, where)
    both = sorted(set(space) & set(fixed))
    if both:
        raise ValueError(f"{where}: {', '.join(map(repr, both))} is both searched over and fixed; give it in one place")


def grid(space: Space) -> list[Settings]:
    """Every combination of the listed values, the first key varying slowest (``itertools.product`` order).

    >>> grid({"width": [4, 8], "lr": [0.1, 1.0]})
    [{'width': 4, 'lr': 0.1}, {'width': 4, 'lr': 1.0}, {'width': 8, 'lr': 0.1}, {'width': 8, 'lr': 1.0}]
    """
    _check_keys(space, "grid")
    axes: list[list[Any]] = []
    for key, choices in space.items():
        if isinstance(choices, (uniform, log_uniform)):
            raise ValueError(f"grid: {key!r} is a range ({choices!r}); a grid needs a list of values (or use random search)")
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence) or not choices:
            raise ValueError(f"grid: {key!r} must be a non-empty list of values, got {choices!r}")
        axes.append(list(choices))
    return [dict(zip(space, combo)) for combo in itertools.product(*axes)]


def sample(space: Space, n: int, seed: Seed = 0) -> list[Settings]:
    """``n`` random settings: each key drawn from its range, or uniformly from its list; reproducible from ``seed``.

    >>> space = {"width": [4, 8, 16], "lr": log_uniform(0.01, 1.0)}
    >>> sample(space, 2, seed=0) == sample(space, 2, seed=0)
    True
    """
    _check_keys(space, "sample")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"sample: n must be an int >= 1, got {n!r}")
    rng = rng_from(seed)
    out: list[Settings] = []
    for _ in range(n):
        settings: Settings = {}
        for key, choices in space.items():
            if isinstance(choices, (uniform, log_uniform)):
                settings[key] = choices.sample(rng)
            elif isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence) or not choices:
                raise ValueError(f"sample: {key!r} must be a non-empty list of values or a range, got {choices!r}")
            else:
                settings[key] = rng.choice(list(choices))
        out.append(settings)
    return out


# ------------------------------------------------------------------------------------- one trial


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
        watched = (
            (task.X_val, task.y_val, EarlyStopping(patience=patience, metric="val_loss")) if patience else (None, None, None)
        )
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
                X_val=watched[0],
                y_val=watched[1],
                early_stopping=watched[2],
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


@dataclass
class Results:
    """The trials of a search, in trial order: a sortable table, the best by validation, a plot."""

    trials: list[TrialResult]
    metric: Metric
    #: True when Ctrl-C (or a KeyboardInterrupt from the callback) stopped the search; the finished trials are kept.
    interrupted: bool = False

    def __len__(self) -> int:
        return len(self.trials)

    @property
    def finished(self) -> list[TrialResult]:
        """The trials that trained to the end (not failed, not interrupted)."""
        return [t for t in self.trials if t.status == "ok"]

    def _key(self, by: str) -> Callable[[TrialResult], tuple[float, ...]]:
        """A sort key putting the best first: high accuracy or low loss; then diverged trials; missing and failed last.

        Ties go to the lower validation loss, then to the earlier trial. A trial whose validation
        loss is not finite diverged and ranks after every trial that did not, so the table's first
        row is always ``best``.
        """
        higher_is_better = by.endswith("accuracy")

        def number(t: TrialResult, column: str) -> float | None:
            value = t.full_settings()[column] if column in DEFAULTS else getattr(t, column)
            if t.status != "ok" or isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
                return None
            return float(value)

        def key(t: TrialResult) -> tuple[float, ...]:
            value, loss = number(t, by), number(t, "val_loss")
            if value is None:
                return (2.0, 0.0, 0.0, float(t.index))
            if loss is None or not math.isfinite(loss):  # diverged
                return (1.0, -value if higher_is_better else value, math.inf, float(t.index))
            return (0.0, -value if higher_is_better else value, loss, float(t.index))

        return key

    def sorted(self, by: str | None = None) -> list[TrialResult]:
        """The trials best first by ``by`` (a result column or a hyperparameter; default the search's metric).

        Accuracy columns sort high to low, everything else low to high; failed trials go last.

        >>> rows = [TrialResult(0, {"lr": 0.3}, "ok", val_loss=0.4, val_accuracy=0.8),
        ...         TrialResult(1, {"lr": 0.1}, "ok", val_loss=0.2, val_accuracy=0.9)]
        >>> results = Results(rows, "val_accuracy")
        >>> [t.index for t in results.sorted()], [t.index for t in results.sorted("lr")]
        ([1, 0], [1, 0])
        """
        by = by or self.metric
        if by not in DEFAULTS and by not in _COLUMNS and by != "index":
            raise ValueError(f"Results.sorted: unknown column {by!r}; use one of {', '.join(_COLUMNS)} or a hyperparameter")
        return sorted(self.trials, key=self._key(by))

    @property
    def best(self) -> TrialResult:
        """The finished trial with the best validation metric (ties: the lower validation loss, then the earlier trial).

        Trials that diverged (a non-finite validation loss) are never chosen.
        """
        if not self.finished:
            raise ValueError("Results.best: no trial finished, so there is nothing to choose")
        # A trial whose validation loss is not finite diverged: its weights are not numbers to keep.
        kept = [t for t in self.sorted() if t.status == "ok" and math.isfinite(t.val_loss)]
        if not kept:
            raise ValueError(
                "Results.best: every finished trial ended with a non-finite validation loss (it diverged); "
                "try smaller learning rates"
            )
        return kept[0]

    def keys(self) -> list[str]:
        """The hyperparameters the trials set, in the order the space named them.

        >>> Results([TrialResult(0, {"width": 4, "lr": 0.1}, "ok")], "val_loss").keys()
        ['width', 'lr']
        """
        seen: dict[str, None] = {}
        for t in self.trials:
            seen.update(dict.fromkeys(t.settings))
        return list(seen)

    def where(self, **fixed: Any) -> Results:
        """The trials whose settings have the given values (defaults included).

        >>> rows = [TrialResult(0, {"layers": 1}, "ok"), TrialResult(1, {"layers": 2}, "ok")]
        >>> [t.index for t in Results(rows, "val_loss").where(layers=2).trials]
        [1]
        """
        keep = [t for t in self.trials if all(t.full_settings()[k] == v for k, v in fixed.items())]
        return Results(keep, self.metric, self.interrupted)

    def table(self, by: str | None = None, *, limit: int | None = None) -> str:
        """A text table, one row per trial, best first by ``by`` (default: the metric it chooses by).

        >>> row = TrialResult(0, {"lr": 0.1}, "ok", 0.5, 0.75, 0.6, 0.7, 1.25)
        >>> print(Results([row], "val_accuracy").table())
          #  lr   train loss  train acc  val loss  val acc  time
          0  0.1      0.5000      75.0%    0.6000    70.0%  1.2 s
        """
        keys = self.keys()
        header = ["#", *keys, "train loss", "train acc", "val loss", "val acc", "time"]
        stopping = "patience" in keys  # then how long each trial ran tells whether it stopped early
        if stopping:
            header.append("epochs run")
        diagnosed = any(t.findings for t in self.trials)
        if diagnosed:
            header.append("diagnosis")
        rows = []
        for t in self.sorted(by)[:limit]:
            cells = [str(t.index), *(_cell(t.settings.get(k, DEFAULTS[k])) for k in keys)]
            if t.status == "failed":
                cells += ["failed:", t.error[:40], "", "", f"{t.seconds:.1f} s"]
            else:
                cells += [f"{t.train_loss:.4f}", _percent(t.train_accuracy), f"{t.val_loss:.4f}", _percent(t.val_accuracy)]
                cells.append(f"{t.seconds:.1f} s" + (" (interrupted)" if t.status == "interrupted" else ""))
            if stopping:
                cells.append(str(t.epochs_run) if t.status != "failed" else "")
            if diagnosed:
                cells.append("; ".join(t.findings))
            rows.append(cells)
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        numeric = {0, *range(len(keys) + 1, len(keys) + 5), *([len(keys) + 6] if stopping else [])}
        lines = []
        for r in [header, *rows]:
            parts = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
            lines.append("  " + "  ".join(parts).rstrip())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def rows(self, by: str | None = None) -> list[dict[str, Any]]:
        """One plain dict per trial, best first: every setting (defaults filled in) and every result.

        Ready for ``pandas.DataFrame(results.rows())`` or ``csv.DictWriter``; the weights are left out.

        >>> row = TrialResult(0, {"lr": 0.1}, "ok", 0.5, 0.75, 0.6, 0.7, 1.25)
        >>> r = Results([row], "val_accuracy").rows()[0]
        >>> r["lr"], r["width"], r["val_accuracy"], r["status"]
        (0.1, 8, 0.7, 'ok')
        """
        return [
            {
                "index": t.index,
                **t.full_settings(),
                **{column: getattr(t, column) for column in _COLUMNS},
                "status": t.status,
                "error": t.error,
                "findings": list(t.findings),
                "epochs_run": t.epochs_run,
            }
            for t in self.sorted(by)
        ]

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``rows()`` as JSON, atomically (a reader never sees half a file), and return the path.

        >>> import json, os, tempfile
        >>> row = TrialResult(0, {"lr": 0.1}, "ok", 0.5, 0.75, 0.6, 0.7, 1.25)
        >>> path = Results([row], "val_accuracy").save(os.path.join(tempfile.mkdtemp(), "trials.json"))
        >>> json.loads(path.read_text())["rows"][0]["lr"]
        0.1
        """
        # NaN (a diverged trial) is not JSON: it is written as null.
        rows = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()} for r in self.rows()]
        document = {"metric": self.metric, "interrupted": self.interrupted, "rows": rows}
        return write_text_atomically(path, json.dumps(document, indent=1, allow_nan=False) + "\n")

    def plot(
        self,
        ax: Any = None,
        *,
        x: str | None = None,
        y: str | None = None,
        metric: str | None = None,
        vmin: float | None = None,
        vmax: float | None = None,
    ) -> Any:
        """The metric over the grid: a heatmap over hyperparameters ``x`` and ``y`` (one row of cells without ``y``).

        Each cell shows the best trial with those two values (over the other hyperparameters).
        Defaults: the first two hyperparameters that take more than one value; the colour scale
        spans the values unless ``vmin`` / ``vmax`` fix it (to compare several plots). Returns the axes.
        """
        metric = metric or self.metric
        if not self.keys():
            raise ValueError("Results.plot: the trials set no hyperparameters, so there is no grid to draw")
        varying = [k for k in self.keys() if len({_cell(t.full_settings()[k]) for t in self.trials}) > 1]
        x = x or (varying[0] if varying else self.keys()[0])
        if y is None:
            y = next((k for k in varying if k != x), None)
        if ax is None:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure

            figure = Figure(figsize=(6, 4), layout="constrained")
            FigureCanvasAgg(figure)
            ax = figure.add_subplot()
        xs = _ordered({t.full_settings()[x] for t in self.trials})
        ys = _ordered({t.full_settings()[y] for t in self.trials}) if y else [None]
        best: dict[tuple[Any, Any], TrialResult] = {}
        for t in self.sorted(metric):
            cell = (t.full_settings()[x], t.full_settings()[y] if y else None)
            best.setdefault(cell, t)
        grid_values = [[_value(best.get((a, b)), metric) for a in xs] for b in ys]
        accuracy = metric.endswith("accuracy")
        image = ax.imshow(
            grid_values, cmap="viridis" if accuracy else "viridis_r", origin="lower", aspect="auto", vmin=vmin, vmax=vmax
        )
        for j, row in enumerate(grid_values):
            for i, v in enumerate(row):
                if not math.isnan(v):
                    # viridis is light at its top end: dark text there, light text on the dark cells
                    shade = image.norm(v) if accuracy else 1.0 - image.norm(v)
                    colour = "black" if shade > 0.6 else "white"
                    ax.text(i, j, f"{v:.0%}" if accuracy else f"{v:.3f}", ha="center", va="center", color=colour, fontsize=8)
        ax.set_xticks(range(len(xs)), [_cell(v) for v in xs])
        ax.set_yticks(range(len(ys)), [_cell(v) for v in ys] if y else [""])
        ax.set_xlabel(x)
        ax.set_ylabel(y or "")
        ax.figure.colorbar(image, ax=ax, label=metric.replace("_", " "))
        return ax


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return "full" if value is None else str(value)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _value(trial: TrialResult | None, metric: str) -> float:
    if trial is None or trial.status != "ok":
        return math.nan
    value = getattr(trial, metric)
    return math.nan if value is None else float(value)


def _ordered(values: set[Any]) -> list[Any]:
    """Hyperparameter values in a sensible axis order: numbers ascending (None, meaning 'full', last), else by text."""
    try:
        return sorted(values, key=lambda v: (v is None, v if v is not None else 0))
    except TypeError:
        return sorted(values, key=str)


# ------------------------------------------------------------------------------------- the search


class TestSetUsed(RuntimeError):
    """The test split has been evaluated once already; using it again would turn it into a validation set."""

    __test__ = False  # a name pytest would otherwise try to collect as a test class


@dataclass(frozen=True)
class FinalTest:
    """The one evaluation of the test split: the winning trial and its test loss and accuracy."""

    trial: TrialResult
    test_loss: float
    test_accuracy: float | None
    points: int


# The usual reason a spawned worker dies at once: the script that started the search runs it again
# on import in every worker, and a process may not start processes while it is being imported.
_BROKEN_POOL_HINT = (
    "A spawned worker re-imports the main script; if the script starts the search at import time, put that "
    'under `if __name__ == "__main__":` (as multiprocessing requires), or pass workers=1.'
)


def _ignore_sigint() -> None:
    # Worker processes leave Ctrl-C to the search in the main process, which stops every worker it
    # started; otherwise each worker would die mid-trial with a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_workers() -> int:
    """The CPUs this process may use (its affinity mask where the OS has one), at least one.

    >>> default_workers() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS and Windows have no affinity call
        return max(1, os.cpu_count() or 1)


class Search:
    """A hyperparameter search over one data set, split into train / validation / test and kept apart.

    The training and validation splits are public (``X_train``, ``X_val``, …); the test split is
    not: ``final_test()`` evaluates the winner on it, once. ``compile=True`` (the default) trains
    each trial through ``fit(compile=True)``: the same updates as eager, about ten times faster.

    >>> from nn.data import make_moons
    >>> X, y = make_moons(40, noise=0.1, seed=1, signed=True)
    >>> search = Search(X, y, loss="hinge", val_fraction=0.25, test_fraction=0.25, seed=0)
    >>> len(search.X_train), len(search.X_val), search.test_points
    (20, 10, 10)
    """

    def __init__(
        self,
        X: Sequence[Any],
        y: Sequence[Any],
        *,
        loss: LossName = "hinge",
        val_fraction: float = 0.2,
        test_fraction: float = 0.2,
        seed: int = 0,
        metric: Metric | None = None,
        compile: bool = True,
    ) -> None:
        if not (val_fraction > 0.0 and test_fraction > 0.0 and val_fraction + test_fraction < 1.0):
            raise ValueError(
                "Search: val_fraction and test_fraction must be > 0 and leave training data, "
                f"got {val_fraction!r} and {test_fraction!r}"
            )
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"Search: seed must be an int, got {type(seed).__name__}: {seed!r}")
        rng = random.Random(seed)
        X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_fraction, rng)
        X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, val_fraction / (1.0 - test_fraction), rng)
        self.X_train, self.y_train, self.X_val, self.y_val = X_train, y_train, X_val, y_val
        # Name-mangled and without a property: reading the test split takes deliberate effort.
        self.__test = (X_test, y_test)
        self.loss: LossName = loss
        self.seed = seed
        self.compile = compile
        self.metric: Metric = metric or ("val_loss" if loss == "mse" else "val_accuracy")
        #: Every finished trial of every run of this search, in trial order; kept when a run is interrupted.
        self.trials: list[TrialResult] = []
        self._final: FinalTest | None = None

    @property
    def test_points(self) -> int:
        """How many points the test split holds (its size is no secret; its contents are)."""
        return len(self.__test[0])

    @property
    def results(self) -> Results:
        """All trials so far, as a table."""
        return Results(sorted(self.trials, key=lambda t: t.index), self.metric)

    def grid(
        self,
        space: Space,
        *,
        executor: Executor | None = None,
        workers: int | None = None,
        callback: Callable[[TrialResult], None] | None = None,
        **fixed: Any,
    ) -> Results:
        """Run one trial per combination of ``space``'s values; ``fixed`` settings (``epochs=20``) apply to every trial.

        >>> from nn.data import make_moons
        >>> X, y = make_moons(40, seed=0, signed=True)
        >>> [t.settings for t in Search(X, y).grid({"width": [2, 4]}, epochs=2, workers=1).trials]
        [{'width': 2, 'epochs': 2}, {'width': 4, 'epochs': 2}]
        """
        _check_fixed(space, fixed, "Search.grid")
        return self.run([{**s, **fixed} for s in grid(space)], executor=executor, workers=workers, callback=callback)

    def random(
        self,
        space: Space,
        n: int,
        *,
        executor: Executor | None = None,
        workers: int | None = None,
        callback: Callable[[TrialResult], None] | None = None,
        **fixed: Any,
    ) -> Results:
        """Run ``n`` trials with settings drawn from ``space`` (lists: uniform choice; ``uniform``/``log_uniform``: ranges).

        >>> from nn.data import make_moons
        >>> X, y = make_moons(40, seed=0, signed=True)
        >>> results = Search(X, y).random({"lr": log_uniform(0.01, 1.0)}, 3, epochs=2, workers=1)
        >>> len(results), all(0.01 <= t.settings["lr"] <= 1.0 for t in results.trials)
        (3, True)
        """
        _check_fixed(space, fixed, "Search.random")
        drawn = sample(space, n, random.Random(f"valuegrad.search:{self.seed}:{len(self.trials)}"))
        return self.run([{**s, **fixed} for s in drawn], executor=executor, workers=workers, callback=callback)

    def run(
        self,
        settings: Sequence[Settings],
        *,
        executor: Executor | None = None,
        workers: int | None = None,
        callback: Callable[[TrialResult], None] | None = None,
    ) -> Results:
        """Run a trial for each of ``settings`` and return their results (they also join ``self.trials``).

        With ``executor`` the trials are submitted to it (any ``concurrent.futures.Executor``:
        a ``ProcessPoolExecutor``, Dask's ``client.get_executor()``, …) and it is left running.
        Without one, ``workers=1`` runs them here, one after another, and otherwise a pool of
        ``workers`` processes (default: one per CPU, at most one per trial) is started and shut
        down. ``callback(result)`` runs here as each trial finishes. Ctrl-C stops the search:
        unstarted trials are cancelled, the finished ones are kept and returned.
        """
        if self._final is not None:
            raise TestSetUsed(
                "Search.run: the test set was already used by final_test(); choosing again after seeing test scores "
                "would make them validation scores. Start a new Search on fresh data."
            )
        if executor is not None and workers is not None:
            raise ValueError("Search.run: give executor= (trials go there) or workers= (a local pool), not both")
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise ValueError(f"Search.run: workers must be an int >= 1, got {workers!r}")
        for s in settings:
            _check_keys(s, "Search.run")
        start = len(self.trials) and max(t.index for t in self.trials) + 1
        tasks = [
            Task(start + i, dict(s), self.loss, self.X_train, self.y_train, self.X_val, self.y_val, self.seed, self.compile)
            for i, s in enumerate(settings)
        ]
        done: list[TrialResult] = []

        def finish(result: TrialResult) -> None:
            self.trials.append(result)
            done.append(result)
            if callback is not None:
                callback(result)

        interrupted = False
        if executor is None and (workers == 1 or len(tasks) <= 1):
            try:
                for task in tasks:
                    result = run_trial(task)
                    finish(result)
                    if result.status == "interrupted":  # fit caught a Ctrl-C: the user wants to stop
                        interrupted = True
                        break
            except KeyboardInterrupt:
                interrupted = True
        else:
            interrupted = self._run_on(executor, workers, tasks, finish)
        return Results(sorted(done, key=lambda t: t.index), self.metric, interrupted)

    def _run_on(
        self, executor: Executor | None, workers: int | None, tasks: list[Task], finish: Callable[[TrialResult], None]
    ) -> bool:
        """Submit the tasks, collect results as they complete; True when interrupted."""
        own = executor is None
        if executor is None:
            import multiprocessing

            count = min(workers or default_workers(), len(tasks))
            # spawn, not fork: the same behaviour on Linux, macOS and Windows, and no fork of a process with threads.
            pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_sigint)
            executor = pool
        futures: dict[Future[TrialResult], Task] = {executor.submit(run_trial, task): task for task in tasks}
        interrupted = False
        try:
            for future in as_completed(futures):
                task = futures[future]
                try:
                    result = future.result()
                except Exception as error:  # the worker itself died (killed, out of memory): the trial failed
                    message = f"{type(error).__name__}: {error}"
                    if own and isinstance(error, BrokenProcessPool):
                        message += f" {_BROKEN_POOL_HINT}"
                    result = TrialResult(task.index, task.settings, "failed", error=message)
                finish(result)
        except KeyboardInterrupt:
            interrupted = True
            for future in futures:
                future.cancel()
        finally:
            if own:
                if interrupted:
                    _stop_workers(executor)
                executor.shutdown(wait=True, cancel_futures=True)
        return interrupted

    # ----------------------------------------------------------------------------- the winner

    @property
    def best(self) -> TrialResult:
        """The finished trial with the best validation metric, over every run of this search."""
        return self.results.best

    def best_model(self) -> MLP:
        """The winning trial's trained network, rebuilt from its saved weights.

        >>> from nn.data import make_moons
        >>> X, y = make_moons(40, seed=0, signed=True)
        >>> search = Search(X, y)
        >>> _ = search.grid({"width": [3]}, epochs=2, workers=1)
        >>> search.best_model()
        MLP(2, [3, 3, 1], activation='relu', output_activation='linear')
        """
        best = self.best
        model = build_model(best.settings, len(self.X_train[0]), outputs_for(self.loss, self.y_train), self.seed)
        assert best.state is not None  # every finished trial carries its weights
        model.load_state_dict(best.state)
        return model

    def final_test(self) -> FinalTest:
        """Evaluate the winner on the test split: once. A second call (or a search after it) raises ``TestSetUsed``."""
        if self._final is not None:
            used = self._final
            raise TestSetUsed(
                f"Search.final_test: the test set was already used once, for trial #{used.trial.index} "
                f"(test loss {used.test_loss:.4f}); read that result from search.final instead of testing again"
            )
        model = self.best_model()
        X_test, y_test = self.__test
        test_loss, test_accuracy = evaluate(model, self.loss, X_test, y_test)
        self._final = FinalTest(self.best, test_loss, test_accuracy, len(X_test))
        return self._final

    @property
    def final(self) -> FinalTest | None:
        """The result of ``final_test()``, or None before it ran."""
        return self._final


def _stop_workers(executor: Executor) -> None:
    """Terminate the worker processes of a pool we started, so a Ctrl-C does not wait for their trials to end."""
    # ProcessPoolExecutor has no public way to stop running work; its process table is stable
    # across CPython 3.8-3.13 and we only touch pools this module created.
    processes = getattr(executor, "_processes", None) or {}
    for process in list(processes.values()):
        process.terminate()


__all__ = [
    "DEFAULTS",
    "FinalTest",
    "Results",
    "Search",
    "Task",
    "TestSetUsed",
    "TrialResult",
    "build_model",
    "build_optimizer",
    "grid",
    "log_uniform",
    "run_trial",
    "sample",
    "uniform",
]
