"""Optimization as the lecture starts it: set the derivatives to zero, then watch gradient descent find the same point.

    python -m demos.descent            # 500 steps each, picture in out/
    python -m demos.descent --quick    # a few steps, for a smoke test
    python -m demos.descent --save     # picture into docs/images/ (the guide's figure)

A model with two parameters: the line ŷ = a·x + b fit to 20 noisy points by the mean squared
error L(a, b). L is a quadratic bowl with one minimum, so the lecture's recipe works exactly:
∂L/∂a = 0 and ∂L/∂b = 0 are two linear equations (the normal equations), solved here by hand.
Then gradient descent, Momentum and Adam start from the same point, each step taking its
gradient from ``backward()``; the picture draws their paths on L's contour lines, and the demo
counts the steps each needs to come within 0.001 of the exact answer and stay there.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from autograd import Value
from demos._common import demo_parser, new_figure, save, steps_from
from nn.callbacks import OnStep, TrainState
from nn.data import make_regression
from nn.losses import mse
from nn.module import Neuron
from nn.optim import SGD, Adam
from nn.train import Optimizer, fit

STEPS = 500
QUICK_STEPS = 5
SEED = 0
POINTS = 20
NOISE = 0.5
START = (-1.0, 3.0)
TOLERANCE = 1e-3
IMAGES = Path("docs/images")


@dataclass
class Line:
    """The data and the exact least-squares line from the normal equations."""

    x: list[float]
    y: list[float]
    a: float
    b: float

    def loss(self, a: float, b: float) -> float:
        """L(a, b) = mean((a·x + b − y)²), in plain floats (for the contour lines)."""
        return sum((a * x + b - t) ** 2 for x, t in zip(self.x, self.y)) / len(self.x)

    def hessian_eigenvalues(self) -> tuple[float, float]:
        """The curvatures of L along its principal axes (largest first); GD is stable for lr < 2 / the largest."""
        n = len(self.x)
        mx, mxx = sum(self.x) / n, sum(x * x for x in self.x) / n
        # H = 2·[[mean(x²), mean(x)], [mean(x), 1]], a 2×2 symmetric matrix: eigenvalues in closed form.
        trace, det = 2 * (mxx + 1.0), 4 * (mxx - mx * mx)
        root = math.sqrt(trace * trace / 4 - det)
        return trace / 2 + root, trace / 2 - root


def solve(seed: int = SEED) -> Line:
    """The data, and (a*, b*) from ∂L/∂a = 0 and ∂L/∂b = 0.

    With means written m(·): ∂L/∂a = 2·m(x·(a·x + b − y)) = 0 and ∂L/∂b = 2·m(a·x + b − y) = 0 give
    a·m(x²) + b·m(x) = m(xy) and a·m(x) + b = m(y), solved by Cramer's rule.

    >>> line = solve()
    >>> round(line.a, 6), round(line.b, 6)
    (1.343553, -1.641888)
    """
    X, y = make_regression(lambda p: 1.5 * p[0] - 2.0, POINTS, low=0.0, high=4.0, noise=NOISE, seed=seed)
    x = [p[0] for p in X]
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    mxx, mxy = sum(v * v for v in x) / n, sum(v * t for v, t in zip(x, y)) / n
    det = mxx - mx * mx
    return Line(x, y, (mxy - mx * my) / det, (mxx * my - mx * mxy) / det)


def gradient_at(line: Line, a: float, b: float) -> tuple[float, float]:
    """(∂L/∂a, ∂L/∂b) at (a, b), from ``backward()`` through the engine.

    >>> line = solve()
    >>> all(abs(g) < 1e-12 for g in gradient_at(line, line.a, line.b))
    True
    """
    pa, pb = Value(a, label="a"), Value(b, label="b")
    mse([pa * x + pb for x in line.x], line.y).backward()
    return float(pa.grad), float(pb.grad)


@dataclass
class Walker:
    """One optimizer's walk from START: its name, how to build it, and the points it visited."""

    name: str
    make: Callable[[list[Value]], Optimizer]
    colour: str
    path: list[tuple[float, float]] = field(default_factory=list)

    def distances(self, line: Line) -> list[float]:
        """Distance from (a*, b*) after each step (index 0: the start)."""
        return [math.hypot(a - line.a, b - line.b) for a, b in self.path]

    def steps_to_settle(self, line: Line, tolerance: float = TOLERANCE) -> int | None:
        """The first step after which the walk stays within ``tolerance`` of (a*, b*); None if it never settles."""
        settled = None
        for k, d in enumerate(self.distances(line)):
            if d >= tolerance:
                settled = None
            elif settled is None:
                settled = k
        return settled


def walkers() -> list[Walker]:
    """Gradient descent, heavy-ball Momentum and Adam, each with a learning rate that suits this bowl."""
    return [
        Walker("gradient descent (lr 0.1)", lambda ps: SGD(ps, lr=0.1), "#6b7280"),
        Walker("Momentum (lr 0.02, 0.9)", lambda ps: SGD(ps, lr=0.02, momentum=0.9), "#2563eb"),
        Walker("Adam (lr 0.1)", lambda ps: Adam(ps, lr=0.1), "#dc2626"),
    ]


def descend(line: Line, steps: int = STEPS) -> list[Walker]:
    """Walk each optimizer ``steps`` steps from START on L with ``fit``: a linear neuron ŷ = a·x + b, full batch.

    The walk is read off by a callback after every step; ``fit(compile=True)`` replays the
    traced loss, since the graph of a line fit never changes shape.

    >>> [len(w.path) for w in descend(solve(), steps=3)]
    [4, 4, 4]
    """
    out = walkers()
    X = [[x] for x in line.x]
    for walker in out:
        model = Neuron(1, activation="linear", seed=0)
        a, b = model.w[0], model.b
        a.data, b.data = START
        walker.path = [(a.data, b.data)]

        def record(state: TrainState, path: list[tuple[float, float]] = walker.path, a: Value = a, b: Value = b) -> None:
            path.append((a.data, b.data))

        fit(model, "mse", X, line.y, optimizer=walker.make([a, b]), steps=steps, callbacks=[OnStep(record)],
            progress=False, compile=True)  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the demo with command-line arguments ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = demo_parser(__doc__.splitlines()[0], steps=STEPS, quick_steps=QUICK_STEPS, seed=SEED)
    parser.add_argument("--save", action="store_true", help=f"write the picture into {IMAGES}/ (the guide's figure)")
    args = parser.parse_args(argv)
    steps = steps_from(args, steps=STEPS, quick_steps=QUICK_STEPS)
    line = solve(args.seed)
    print(f"Fit ŷ = a·x + b to {POINTS} noisy points (y = 1.5·x − 2 + noise σ {NOISE}, x in [0, 4]) by L(a, b) = mean((ŷ − y)²).")
    print("Setting the derivatives to zero, as the lecture does (m(·) is the mean over the points):")
    print("  ∂L/∂a = 2·m(x·(a·x + b − y)) = 0   →   a·m(x²) + b·m(x) = m(x·y)")
    print("  ∂L/∂b = 2·m(a·x + b − y) = 0       →   a·m(x)  + b      = m(y)")
    print(f"  solved: a* = {line.a:.6f}, b* = {line.b:.6f}, L(a*, b*) = {line.loss(line.a, line.b):.6f}")
    ga, gb = gradient_at(line, line.a, line.b)
    print(f"  check by backward() at (a*, b*): ∂L/∂a = {ga:.1e}, ∂L/∂b = {gb:.1e}")
    big, small = line.hessian_eigenvalues()
    print(f"L's curvatures: {big:.2f} and {small:.2f} (a long, narrow valley); GD diverges for lr > 2/{big:.2f} = {2 / big:.3f}")
    print(f"From (a, b) = {START}, {steps} steps each, gradients from backward(), trained by fit(compile=True):")
    print(f"  {'optimizer':<27} {'steps to stay within ' + str(TOLERANCE):>26} {'distance after ' + str(steps):>20}")
    started = time.perf_counter()
    walked = descend(line, steps)
    seconds = time.perf_counter() - started
    for w in walked:
        settled = w.steps_to_settle(line)
        print(f"  {w.name:<27} {settled if settled is not None else 'not yet':>26} {w.distances(line)[-1]:>20.1e}")
    print(f"  (the three walks took {seconds:.2f} s)")
    out: Path = IMAGES if args.save else args.out
    draw(line, walked, out)
    return 0


def draw(line: Line, walked: list[Walker], out: Path) -> Path:
    """The paths on L's contour lines (left) and each walk's distance to (a*, b*) against the step (right)."""
    figure = new_figure(11, 4.6)
    contours, distances = figure.subplots(1, 2, width_ratios=[1.25, 1])
    points = [p for w in walked for p in w.path] + [START, (line.a, line.b)]
    a0, a1 = min(p[0] for p in points) - 0.5, max(p[0] for p in points) + 0.5
    b0, b1 = min(p[1] for p in points) - 0.5, max(p[1] for p in points) + 0.5
    grid = 120
    As = [a0 + (a1 - a0) * i / (grid - 1) for i in range(grid)]
    Bs = [b0 + (b1 - b0) * j / (grid - 1) for j in range(grid)]
    L = [[line.loss(a, b) for a in As] for b in Bs]
    floor = line.loss(line.a, line.b)
    levels = [floor + (0.02 * 1.6**k) for k in range(18)]
    contours.contour(As, Bs, L, levels=levels, colors="#9ca3af", linewidths=0.7)
    for w in walked:
        contours.plot([p[0] for p in w.path], [p[1] for p in w.path], color=w.colour, marker=".", markersize=3, linewidth=1.1,
                      label=w.name)  # fmt: skip
    contours.plot([START[0]], [START[1]], marker="o", color="black", label="start")
    contours.plot([line.a], [line.b], marker="*", markersize=14, color="#f59e0b", markeredgecolor="black",
                  label="∂L/∂a = ∂L/∂b = 0")  # fmt: skip
    contours.set_xlabel("a (slope)")
    contours.set_ylabel("b (intercept)")
    contours.set_title("Contours of L(a, b) and three descents to its minimum", fontsize=10)
    contours.legend(fontsize=8, loc="lower left")
    for w in walked:
        distances.plot(range(len(w.path)), [max(d, 1e-16) for d in w.distances(line)], color=w.colour, label=w.name)
        settled = w.steps_to_settle(line)
        if settled is not None:
            distances.plot([settled], [w.distances(line)[settled]], marker="o", color=w.colour)
    distances.axhline(TOLERANCE, color="black", linestyle="--", linewidth=0.8, label=f"within {TOLERANCE}")
    distances.set_yscale("log")
    distances.set_xlabel("step")
    distances.set_ylabel("distance to (a*, b*)")
    distances.set_title("How close each gets (log scale)", fontsize=10)
    distances.legend(fontsize=8)
    return save(figure, out, "descent.png")


if __name__ == "__main__":
    sys.exit(main())
