"""Gradient descent, SGD, Momentum and Adam race on one problem from the same starting weights.

    python -m demos.optimizers            # 300 steps each, picture in out/
    python -m demos.optimizers --quick    # a few steps, for a smoke test

The problem: fit sin(x) on [−π, π] from 32 noisy samples with ``MLP(1, [8, 8, 1])`` (tanh) and the
mean squared error. Every optimizer starts from the same weights and gets the same number of
steps. The target is the loss plain gradient descent reaches at the end of its run; the demo
prints how many steps each optimizer needs to get there, and plots the four loss curves.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from autograd import Value
from demos._common import demo_parser, new_figure, save, steps_from
from nn.data import make_sine
from nn.module import MLP
from nn.optim import SGD, Adam
from nn.train import Optimizer, evaluate, fit

STEPS = 300
QUICK_STEPS = 5
SEED = 0
POINTS = 32
NOISE = 0.05
LEARNING_RATE = 0.05
ADAM_LEARNING_RATE = 0.02
BATCH = 8


@dataclass
class Contender:
    """One optimizer in the race: how to build it, its batch size, and the loss curve it ran."""

    name: str
    make: Callable[[list[Value]], Optimizer]
    batch_size: int | None = None
    colour: str = "black"
    #: (steps taken, full training loss after them), starting at (0, initial loss).
    curve: list[tuple[int, float]] = field(default_factory=list)

    def steps_to(self, target: float) -> int | None:
        """The first step count at which the full training loss is at or below ``target`` (None if never)."""
        return next((step for step, loss in self.curve if loss <= target), None)


def contenders() -> list[Contender]:
    """Plain gradient descent, mini-batch SGD, heavy-ball momentum and Adam, each with a textbook setting."""
    return [
        Contender("GD (full batch)", lambda ps: SGD(ps, lr=LEARNING_RATE), colour="#6b7280"),
        Contender(f"SGD (batches of {BATCH})", lambda ps: SGD(ps, lr=LEARNING_RATE), batch_size=BATCH, colour="#f59e0b"),
        Contender("Momentum (0.9)", lambda ps: SGD(ps, lr=LEARNING_RATE, momentum=0.9), colour="#2563eb"),
        Contender(f"Adam (lr {ADAM_LEARNING_RATE})", lambda ps: Adam(ps, lr=ADAM_LEARNING_RATE), colour="#dc2626"),
    ]


def race(seed: int = SEED, steps: int = STEPS) -> tuple[list[Contender], float]:
    """Run every contender for ``steps`` steps from the same weights; returns them and the target loss (GD's last).

    >>> racers, target = race(steps=2)  # SGD measures once per epoch (4 steps), so it has the end point only
    >>> [len(r.curve) for r in racers], racers[0].curve[-1][1] == target
    ([3, 2, 3, 3], True)
    """
    X, y = make_sine(POINTS, NOISE, seed)
    racers = contenders()
    for racer in racers:
        model = MLP(1, [8, 8, 1], activation="tanh", seed=seed + 1)  # the same starting weights for everyone
        racer.curve = [(0, evaluate(model, "mse", X, y)[0])]
        if racer.batch_size is None:
            # Full batch: the loss fit records for step k is measured at the weights after k - 1
            # steps, which is exactly the curve; only the loss after the last step is missing.
            history = fit(model, "mse", X, y, optimizer=racer.make(model.parameters()), steps=steps, progress=False,
                          compile=True)
            racer.curve = [(step - 1, loss) for step, loss in zip(history.step, history.train_loss)]
            racer.curve.append((history.steps_done, evaluate(model, "mse", X, y)[0]))
        else:
            # Mini-batch losses are noisy estimates: the full training set is the validation data,
            # measured by fit after each epoch.
            history = fit(model, "mse", X, y, optimizer=racer.make(model.parameters()), steps=steps,
                          batch_size=racer.batch_size, validation=(X, y), seed=seed, progress=False, compile=True)
            racer.curve += list(zip(history.step, history.val_loss))
    return racers, racers[0].curve[-1][1]


def main(argv: list[str] | None = None) -> int:
    """Run the demo with command-line arguments ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = demo_parser(__doc__.splitlines()[0], steps=STEPS, quick_steps=QUICK_STEPS, seed=SEED)
    args = parser.parse_args(argv)
    steps = steps_from(args, steps=STEPS, quick_steps=QUICK_STEPS)
    print(f"Problem: fit sin(x) from {POINTS} noisy samples with MLP(1, [8, 8, 1]) (tanh), mean squared error; seed {args.seed}")
    print(f"Each optimizer: the same starting weights, {steps} steps; lr {LEARNING_RATE} (Adam {ADAM_LEARNING_RATE})")
    started = time.perf_counter()
    racers, target = race(args.seed, steps)
    print(f"Trained with fit(compile=True) in {time.perf_counter() - started:.1f} s")
    print(f"Target: L ≤ {target:.5f}, the loss gradient descent reaches after {steps} steps")
    print(f"  {'optimizer':<22} {'steps to the target':>20} {'L after ' + str(steps) + ' steps':>18}")
    for racer in racers:
        hit = racer.steps_to(target)
        print(f"  {racer.name:<22} {hit if hit is not None else 'not reached':>20} {racer.curve[-1][1]:>18.5f}")
    draw(racers, target, steps, args.out)
    return 0


def draw(racers: list[Contender], target: float, steps: int, out: Path) -> Path:
    """The four loss curves on one log-scale plot, the target as a dashed line, each arrival marked."""
    figure = new_figure(7, 4.2)
    ax = figure.add_subplot()
    for racer in racers:
        ax.plot([s for s, _ in racer.curve], [v for _, v in racer.curve], color=racer.colour, label=racer.name)
        hit = racer.steps_to(target)
        if hit is not None:
            ax.plot([hit], [target], marker="o", color=racer.colour)
    ax.axhline(target, color="black", linestyle="--", linewidth=0.8, label="GD's final loss")
    ax.set_yscale("log")
    ax.set_xlim(0, max(steps, 1))
    ax.set_xlabel("step (parameter updates)")
    ax.set_ylabel("training loss, full data (log scale)")
    ax.set_title("The same network, the same start: four optimizers")
    ax.legend()
    return save(figure, out, "optimizers.png")


if __name__ == "__main__":
    sys.exit(main())
