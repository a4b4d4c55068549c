"""Hyperparameters, the lecture's "no known theory": search layers, widths and learning rates, choose by validation, test once.

    python -m demos.hyperparameters               # 32 trials on local processes, picture in out/
    python -m demos.hyperparameters --quick       # 4 short trials in this process, for a smoke test
    python -m demos.hyperparameters --save        # picture into docs/images/ (the guide's figure)
    python -m demos.hyperparameters --dask tcp://scheduler:8786   # the same search on a Dask cluster

300 two-moons points (noise 0.2, labels ±1) are split by ``nn.search.Search`` into 180 for
training, 60 for validation and 60 for testing. A grid of 1 or 2 hidden layers × 2 to 16 neurons
× four learning rates (60 epochs of full-batch gradient descent on the hinge loss, each) is
trained on the training split and ranked by validation accuracy alone; the winner, and only the
winner, is then scored once on the test split. Trials train through ``fit(compile=True)`` (about
ten times faster than eager, the same updates) and run in parallel on local processes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from demos._common import demo_parser, new_figure, save
from nn.data import make_moons
from nn.search import Results, Search, TrialResult

SEED = 0
POINTS = 300
NOISE = 0.2
EPOCHS = 60
QUICK_EPOCHS = 5
SPACE: dict[str, list[Any]] = {"layers": [1, 2], "width": [2, 4, 8, 16], "lr": [0.03, 0.1, 0.3, 1.0]}
QUICK_SPACE: dict[str, list[Any]] = {"layers": [1], "width": [2, 8], "lr": [0.1, 1.0]}
IMAGES = Path("docs/images")
SHOWN = 10


def search(seed: int = SEED, *, quick: bool = False, executor: Any = None, workers: int | None = None) -> tuple[Search, Results]:
    """Run the demo's grid on two moons; returns the search (test split still unused) and its results.

    >>> s, results = search(quick=True, workers=1)
    >>> len(results), s.final is None
    (4, True)
    """
    X, y = make_moons(POINTS, NOISE, seed, signed=True)
    s = Search(X, y, loss="hinge", val_fraction=0.2, test_fraction=0.2, seed=seed)
    space, epochs = (QUICK_SPACE, QUICK_EPOCHS) if quick else (SPACE, EPOCHS)
    return s, s.grid(space, executor=executor, workers=workers, epochs=epochs)


def main(argv: list[str] | None = None) -> int:
    """Run the demo with command-line arguments ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = demo_parser(__doc__.splitlines()[0], steps=EPOCHS, quick_steps=QUICK_EPOCHS, seed=SEED)
    parser.add_argument("--save", action="store_true", help=f"write the picture into {IMAGES}/ (the guide's figure)")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per CPU)")
    parser.add_argument("--dask", metavar="ADDRESS", default=None, help="run the trials on the Dask scheduler at ADDRESS")
    args = parser.parse_args(argv)
    if args.steps is not None:
        parser.error("--steps does not apply: every trial trains for its grid's epochs")
    workers = 1 if args.quick and args.workers is None else args.workers
    space, epochs = (QUICK_SPACE, QUICK_EPOCHS) if args.quick else (SPACE, EPOCHS)
    trials = len(space["layers"]) * len(space["width"]) * len(space["lr"])
    where = f"the Dask cluster at {args.dask}" if args.dask else ("this process" if workers == 1 else "local processes")
    print(f"Two moons: {POINTS} points (noise {NOISE}, labels ±1), split 60/20/20 into train/validation/test; seed {args.seed}")
    print(f"Grid: layers {space['layers']} × width {space['width']} × lr {space['lr']} = {trials} trials,")
    print(f"each {epochs} epochs of full-batch gradient descent on the hinge loss, run on {where}.")
    started = time.perf_counter()
    if args.dask:
        import importlib

        # distributed's Client has no annotations; through Any, mypy --strict accepts the call.
        distributed: Any = importlib.import_module("distributed")
        client = distributed.Client(args.dask)
        with client:
            s, results = search(args.seed, quick=args.quick, executor=client.get_executor())
    else:
        s, results = search(args.seed, quick=args.quick, workers=workers)
    seconds = time.perf_counter() - started
    shown = min(SHOWN, len(results))
    print(f"{len(results.finished)} trials in {seconds:.1f} s; the best {shown} by validation accuracy (ties: lower val loss):")
    print(results.table(limit=shown))
    best = results.best
    final = s.final_test()
    print(f"Winner: trial #{best.index}: {_describe(best)}")
    print(f"  validation accuracy {best.val_accuracy:.1%} (it was chosen on this, so it flatters the winner)")
    print(f"  test accuracy       {final.test_accuracy:.1%} on {final.points} points no trial ever saw, measured once")
    out: Path = IMAGES if args.save else args.out
    draw(results, out)
    return 0


def _describe(trial: TrialResult) -> str:
    s = trial.full_settings()
    return f"{s['layers']} hidden layer(s) of {s['width']} neurons, lr {s['lr']:g}, {s['epochs']} epochs"


def draw(results: Results, out: Path) -> Path:
    """Validation accuracy over width × learning rate, one heatmap per number of hidden layers."""
    layers = sorted({t.full_settings()["layers"] for t in results.trials})
    figure = new_figure(5.2 * len(layers), 4)
    axes = figure.subplots(1, len(layers), squeeze=False)[0]
    accuracies = [t.val_accuracy for t in results.finished if t.val_accuracy is not None]
    low, high = min(accuracies, default=0.0), max(accuracies, default=1.0)
    for ax, k in zip(axes, layers):
        results.where(layers=k).plot(ax=ax, x="width", y="lr", vmin=low, vmax=high)  # one colour scale for both
        ax.set_title(f"{k} hidden layer{'s' if k > 1 else ''}: validation accuracy", fontsize=10)
    return save(figure, out, "hyperparameters.png")


if __name__ == "__main__":
    sys.exit(main())
