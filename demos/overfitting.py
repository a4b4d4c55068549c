"""Underfitting, a good fit and overfitting: one noisy data set, three network sizes, and early stopping.

    python -m demos.overfitting            # 1000 epochs each, pictures in out/
    python -m demos.overfitting --quick    # a few epochs, for a smoke test
    python -m demos.overfitting --save     # pictures into docs/images/ (the guide's figures)

30 noisy samples of sin(x) on [−π, π] (noise σ = 0.3, so no model can beat an MSE of about
σ² = 0.09 on new points) are fit by a straight line (too small), ``MLP(1, [3, 1])`` (about
right) and ``MLP(1, [16, 16, 1])`` (too large), tanh, Adam, full batch. The learning curves show
the three regimes the lecture names: both losses high (underfitting), both low and close (a good
fit), and training loss falling while validation loss rises (overfitting). Then the large one is
trained again with early stopping on the validation loss, which keeps its best weights.

Training runs through ``fit(compile=True)``: the large network's 1000 epochs take about 6 s that
way and about a minute eagerly, and the updates are the same.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from demos._common import demo_parser, new_figure, save, steps_from
from demos._lessons import Curves, replayed_loss, train_with_curves
from nn.data import make_sine, rng_from
from nn.module import MLP
from nn.optim import Adam

EPOCHS = 1000
QUICK_EPOCHS = 40
SEED = 0
TRAIN_POINTS = 30
VAL_POINTS = 200
TEST_POINTS = 200
NOISE = 0.3
LEARNING_RATE = 0.02
PATIENCE = 100
#: (name, hidden layer widths): a line, a right-sized network, a too-large one.
SIZES: tuple[tuple[str, list[int]], ...] = (("too small", []), ("right-sized", [3]), ("too large", [16, 16]))
IMAGES = Path("docs/images")


@dataclass
class Fit:
    """One network's run: its name, model, learning curves and its loss on the held-out test points."""

    name: str
    model: MLP
    curves: Curves
    test_loss: float
    seconds: float

    @property
    def best(self) -> int:
        """The index of the epoch with the lowest validation loss."""
        return min(range(len(self.curves.val_loss)), key=self.curves.val_loss.__getitem__)

    def verdict(self, noise_floor: float) -> str:
        """Underfitting, overfitting or a good fit, read off the curves (the rules are printed with the table)."""
        c = self.curves
        if c.best_epoch is not None:
            return f"rescued: kept epoch {c.best_epoch}"
        if c.train_loss[-1] > 1.5 * noise_floor and c.val_loss[-1] > 1.5 * noise_floor:
            return "underfitting: both losses high"
        if c.val_loss[-1] > 1.3 * c.val_loss[self.best] and c.train_loss[-1] < c.train_loss[self.best]:
            return f"overfitting: val rises after epoch {c.epochs[self.best]}"
        return "a good fit"


def run(seed: int = SEED, epochs: int = EPOCHS) -> tuple[list[Fit], list[list[float]], list[float]]:
    """Fit the three sizes and the early-stopped large one on the same data; returns them and the training data.

    >>> fits, X, y = run(epochs=3)
    >>> [f.name for f in fits], len(X), [len(f.curves.val_loss) for f in fits]
    (['too small', 'right-sized', 'too large', 'too large, stopped early'], 30, [3, 3, 3, 3])
    """
    rng = rng_from(seed)  # one stream for the three data sets; the initial weights come from the same seed
    X, y = make_sine(TRAIN_POINTS, NOISE, rng)
    X_val, y_val = make_sine(VAL_POINTS, NOISE, rng)
    X_test, y_test = make_sine(TEST_POINTS, NOISE, rng)
    runs = [(name, hidden, None) for name, hidden in SIZES] + [("too large, stopped early", SIZES[-1][1], PATIENCE)]
    fits = []
    for name, hidden, patience in runs:
        model = MLP(1, [*hidden, 1], activation="tanh", seed=seed)  # the same weights for both large runs
        started = time.perf_counter()
        curves = train_with_curves(
            model, "mse", X, y, X_val, y_val, optimizer=Adam(model.parameters(), lr=LEARNING_RATE), epochs=epochs,
            patience=patience,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        fits.append(Fit(name, model, curves, replayed_loss(model, "mse", X_test, y_test)(), seconds))
    return fits, X, y


def main(argv: list[str] | None = None) -> int:
    """Run the demo with command-line arguments ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = demo_parser(__doc__.splitlines()[0], steps=EPOCHS, quick_steps=QUICK_EPOCHS, seed=SEED)
    parser.add_argument("--save", action="store_true", help=f"write the pictures into {IMAGES}/ (the guide's figures)")
    args = parser.parse_args(argv)
    epochs = steps_from(args, steps=EPOCHS, quick_steps=QUICK_EPOCHS)
    floor = NOISE**2
    print(f"Noisy sin(x): {TRAIN_POINTS} training, {VAL_POINTS} validation, {TEST_POINTS} test points, noise σ = {NOISE}")
    print(f"(no model beats MSE ≈ σ² = {floor:.2f} on new points); tanh, Adam lr {LEARNING_RATE}, {epochs} full-batch epochs")
    fits, X, y = run(args.seed, epochs)
    print(f"Trained with fit(compile=True) in {sum(f.seconds for f in fits):.1f} s")
    columns = ("network", "hidden+out", "params", "train", "val", "best val (epoch)", "test")
    print("  {:<24} {:<11} {:>6} {:>6} {:>6} {:>17} {:>6}  verdict".format(*columns))
    for f in fits:
        c = f.curves
        best = f"{c.val_loss[f.best]:.3f} ({c.epochs[f.best]})"
        shown = c.val_loss[f.best] if c.best_epoch is not None else c.val_loss[-1]
        train = c.train_loss[f.best] if c.best_epoch is not None else c.train_loss[-1]
        print(
            f"  {f.name:<24} {f.model.nouts!s:<11} {len(f.model.parameters()):>6} {train:>6.3f} {shown:>6.3f} {best:>17} "
            f"{f.test_loss:>6.3f}  "
            f"{f.verdict(floor)}"
        )
    large, stopped = fits[2], fits[3]
    if stopped.curves.stopped_early:
        print(
            f"Early stopping (patience {PATIENCE}) stopped at epoch {stopped.curves.epochs[-1]} and kept epoch "
            f"{stopped.curves.best_epoch}: test loss {stopped.test_loss:.3f} instead of {large.test_loss:.3f}."
        )
    print("  (train/val: the last epoch's losses; for early stopping, the kept epoch's. Underfitting: both > 1.5·σ²;")
    print("   overfitting: val ends > 1.3× its best while train is still falling.)")
    out: Path = IMAGES if args.save else args.out
    draw_curves(fits, floor, out)
    draw_fits(fits, X, y, out)
    return 0


def draw_curves(fits: list[Fit], floor: float, out: Path) -> Path:
    """One panel of learning curves per run: training and validation loss against the epoch, log scale."""
    figure = new_figure(10, 6.5)
    axes = figure.subplots(2, 2, sharex=True, sharey=True)
    for ax, f in zip(axes.flat, fits):
        c = f.curves
        ax.plot(c.epochs, c.train_loss, color="#2563eb", label="training loss")
        ax.plot(c.epochs, c.val_loss, color="#dc2626", label="validation loss")
        ax.axhline(floor, color="black", linestyle=":", linewidth=0.8, label="noise floor σ²")
        ax.axvline(c.epochs[f.best], color="#6b7280", linestyle="--", linewidth=0.8, label="lowest validation loss")
        if c.stopped_early:
            ax.plot([c.epochs[-1]], [c.val_loss[-1]], marker="x", color="#dc2626", markersize=9, label="stopped")
        ax.set_yscale("log")
        ax.set_title(f"{f.name} {f.model.nouts}: {f.verdict(floor)}", fontsize=9)
    for ax in axes[1]:
        ax.set_xlabel("epoch")
    for ax in axes[:, 0]:
        ax.set_ylabel("MSE (log scale)")
    axes[0, 0].legend(fontsize=8)
    return save(figure, out, "overfitting_curves.png")


def draw_fits(fits: list[Fit], X: list[list[float]], y: list[float], out: Path) -> Path:
    """The fitted functions over the training points and the true sin(x); the early-stopped one dashed."""
    import math

    from autograd import no_grad

    figure = new_figure(7, 4)
    ax = figure.add_subplot()
    xs = [-math.pi + 2 * math.pi * i / 200 for i in range(201)]
    ax.plot(xs, [math.sin(x) for x in xs], color="black", linestyle=":", label="sin(x), the truth")
    ax.scatter([p[0] for p in X], y, s=18, color="#111827", zorder=3, label="training points")
    with no_grad():
        for f, colour, style in zip(fits, ("#f59e0b", "#16a34a", "#dc2626", "#7c3aed"), ("-", "-", "-", "--")):
            ys = [f.model.outputs([x])[0].data for x in xs]
            ax.plot(xs, ys, color=colour, linestyle=style, label=f"{f.name} {f.model.nouts}")
    ax.set_ylim(-2.0, 2.0)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("What each network learned from the same 30 noisy points")
    ax.legend(fontsize=8)
    return save(figure, out, "overfitting_fits.png")


if __name__ == "__main__":
    sys.exit(main())
