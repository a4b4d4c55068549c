"""micrograd's classic demo: an MLP learns to separate two moons, then meets 1,000 points it never saw.

    python -m demos.moons              # 100 steps, pictures in out/
    python -m demos.moons --quick      # a few steps, for a smoke test
    python -m demos.moons --compile    # the same training, traced once and replayed as float code
    python -m demos.moons --animate    # also the decision boundary epoch by epoch: a figure and a GIF

The run is micrograd's: 100 two-moons points (noise 0.1, labels ±1), ``MLP(2, [16, 16, 1])``,
the max-margin loss mean(relu(1 − y·score)) plus 1e-4·Σp², 100 full-batch steps of gradient
descent with learning rate 1.0 − 0.9·k/100. It writes the decision boundary, the loss curve and
a drawing of one neuron's graph to ``out/``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd import GraphvizNotFound, Value, draw_dot, no_grad, render
from demos._common import demo_parser, new_figure, save, steps_from
from nn.data import make_moons, rng_from
from nn.module import MLP
from nn.optim import SGD, linear_decay
from nn.snapshots import Snapshots
from nn.train import History, evaluate, fit

STEPS = 100
QUICK_STEPS = 5
#: Chosen so the classic configuration reaches 100 % training and ≥ 95 % test accuracy (docs/demos.md).
SEED = 1337
TRAIN_POINTS = 100
TEST_POINTS = 1000
NOISE = 0.1
ALPHA = 1e-4


@dataclass
class Run:
    """One training run: the data, the trained model, its history and the final figures."""

    X: list[list[float]]
    y: list[int]
    X_test: list[list[float]]
    y_test: list[int]
    model: MLP
    history: History
    train_accuracy: float
    test_accuracy: float
    seconds: float


def run(
    seed: int = SEED, steps: int = STEPS, *, test_points: int = TEST_POINTS, log: bool = False, compile: bool = False,
    callbacks: Sequence[Any] = (),
) -> Run:
    """Train micrograd's configuration from ``seed`` for ``steps`` steps and measure it on ``test_points`` fresh points.

    ``compile=True`` trains through ``fit(compile=True)``: the same weights, several times faster.

    >>> result = run(seed=1, steps=3, test_points=10)
    >>> result.history.steps_done, len(result.X_test)
    (3, 10)
    """
    # One random stream for everything, so one seed fixes the data, the weights and the test set.
    rng = rng_from(seed)
    X, y = make_moons(TRAIN_POINTS, NOISE, rng, signed=True)
    model = MLP(2, [16, 16, 1], seed=rng)
    X_test, y_test = make_moons(test_points, NOISE, rng, signed=True)
    optimizer = SGD(model.parameters(), lr=linear_decay(1.0, 0.1, max(steps, 1)))

    def show(history: History) -> None:
        # As micrograd prints it: step k shows the loss and accuracy the k-th update starts from.
        k = history.step[-1] - 1
        if k % 10 == 0 or k == steps - 1:
            print(f"  step {k:3d}  loss {history.train_loss[-1]:.4f}  accuracy {history.train_accuracy[-1]:6.1%}")

    started = time.perf_counter()
    history = fit(
        model, "hinge", X, y, optimizer=optimizer, steps=steps, l2=ALPHA, callbacks=[*callbacks, *([show] if log else [])],
        progress=False,
        compile=compile,
    )
    seconds = time.perf_counter() - started
    if compile:  # the same sign test as evaluate's accuracy, on scores from the replayed forward
        train_accuracy, test_accuracy = (_accuracy(scores(model, xs, compile=True), ys) for xs, ys in ((X, y), (X_test, y_test)))
    else:
        _, train = evaluate(model, "hinge", X, y)
        _, test = evaluate(model, "hinge", X_test, y_test)
        assert train is not None and test is not None  # hinge always has an accuracy
        train_accuracy, test_accuracy = train, test
    return Run(X, y, X_test, y_test, model, history, train_accuracy, test_accuracy, seconds)


def scores(model: MLP, points: list[list[float]], *, compile: bool = False) -> list[float]:
    """The model's score on each point, without gradients: eagerly, or replayed from one traced sample.

    >>> model = MLP(2, [3, 1], seed=0)
    >>> scores(model, [[0.5, -1.0]], compile=True) == scores(model, [[0.5, -1.0]])
    True
    """
    if compile:
        from autograd import compile_per_sample

        return compile_per_sample(lambda x: model.outputs(x)[0])(points).losses
    with no_grad():  # no gradients wanted, and skipping the graph makes it several times faster
        return [model.outputs(x)[0].data for x in points]


def _accuracy(scores: list[float], labels: list[int]) -> float:
    return sum((s > 0) == (t > 0) for s, t in zip(scores, labels)) / len(labels)


def main(argv: list[str] | None = None) -> int:
    """Run the demo with command-line arguments ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = demo_parser(__doc__.splitlines()[0], steps=STEPS, quick_steps=QUICK_STEPS, seed=SEED)
    parser.add_argument(
        "--compile", action="store_true", help="train through fit(compile=True): traced once, replayed as float code"
    )
    parser.add_argument(
        "--animate", action="store_true", help="also draw the decision boundary epoch by epoch (a figure and a GIF)"
    )
    args = parser.parse_args(argv)
    steps = steps_from(args, steps=STEPS, quick_steps=QUICK_STEPS)
    print(f"two moons: {TRAIN_POINTS} training points (noise {NOISE}, labels ±1), seed {args.seed}")
    print("model: MLP(2, [16, 16, 1]), ReLU hidden layers, linear output")
    print(f"loss: hinge mean(relu(1 − y·score)) + {ALPHA:g}·Σp²; full-batch gradient descent, lr 1.0 → 0.1 over {steps} steps")
    if args.compile:
        print("compiled: one sample's objective traced once, replayed as float code over the batch (fit(compile=True))")
    snapshots = Snapshots(every=max(1, steps // FRAMES))
    result = run(args.seed, steps, test_points=100 if args.quick else TEST_POINTS, log=True, compile=args.compile,
                 callbacks=[snapshots] if args.animate else [])  # fmt: skip
    done = result.history.steps_done
    if result.history.interrupted:
        print(f"  interrupted: keeping the weights after step {done}")
    print(f"after {done} steps ({result.seconds:.1f} s, {1000 * result.seconds / max(done, 1):.0f} ms a step):")
    print(f"  training accuracy {result.train_accuracy:.1%} on {len(result.X)} points")
    print(f"  test accuracy     {result.test_accuracy:.1%} on {len(result.X_test)} fresh points")

    out: Path = args.out
    grid = 25 if args.quick else 80
    picture = out / "moons_decision_boundary.png"
    draw_decision_boundary(
        result.model, result.X, result.y, result.X_test, result.y_test, picture, grid=grid, compile=args.compile
    )
    draw_loss_curve(result.history, out / "moons_loss.png")
    if args.animate:
        started = time.perf_counter()
        boundary_per_epoch(result, snapshots, out, grid=25 if args.quick else 50)
        print(f"  ({len(snapshots)} boundaries drawn in {time.perf_counter() - started:.1f} s)")
    draw_neuron(result.model, result.X[0], out / "moons_neuron.svg")
    return 0


def draw_decision_boundary(
    model: MLP,
    X: list[list[float]],
    y: list[int],
    X_test: list[list[float]],
    y_test: list[int],
    path: Path,
    *,
    grid: int,
    compile: bool = False,
) -> Path:
    """The model's score over the plane (shaded by sign), the training points on top, fresh test points faint."""
    xs = [p[0] for p in X + X_test]
    ys = [p[1] for p in X + X_test]
    x0, x1 = min(xs) - 0.5, max(xs) + 0.5
    y0, y1 = min(ys) - 0.5, max(ys) + 0.5
    gx = [x0 + (x1 - x0) * i / (grid - 1) for i in range(grid)]
    gy = [y0 + (y1 - y0) * j / (grid - 1) for j in range(grid)]
    flat = scores(model, [[a, b] for b in gy for a in gx], compile=compile)
    rows = [flat[j * grid : (j + 1) * grid] for j in range(grid)]
    figure = new_figure(6, 5)
    ax = figure.add_subplot()
    ax.contourf(gx, gy, rows, levels=[-1e9, 0.0, 1e9], colors=["#fde2e2", "#dbeafe"])
    ax.contour(gx, gy, rows, levels=[0.0], colors="#333333", linewidths=1.0)
    for label, colour in ((-1, "#dc2626"), (1, "#2563eb")):
        ax.scatter(
            [p[0] for p, t in zip(X_test, y_test) if t == label],
            [p[1] for p, t in zip(X_test, y_test) if t == label],
            s=4,
            c=colour,
            alpha=0.25,
            linewidths=0,
        )
        ax.scatter(
            [p[0] for p, t in zip(X, y) if t == label],
            [p[1] for p, t in zip(X, y) if t == label],
            s=22,
            c=colour,
            edgecolors="black",
            linewidths=0.5,
            label=f"class {label:+d}",
        )
    ax.set_title("MLP(2, [16, 16, 1]) on two moons: decision boundary")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.legend(loc="upper right")
    return save(figure, path.parent, path.name)


#: How many epochs the animation shows (one snapshot every steps // FRAMES epochs).
FRAMES = 20


def _boundary(ax: Any, gx: list[float], gy: list[float], flat: list[float], result: Run, title: str) -> None:
    grid = len(gx)
    rows = [flat[j * grid : (j + 1) * grid] for j in range(grid)]
    ax.contourf(gx, gy, rows, levels=[-1e9, 0.0, 1e9], colors=["#fde2e2", "#dbeafe"])
    if min(flat) < 0.0 < max(flat):
        ax.contour(gx, gy, rows, levels=[0.0], colors="#333333", linewidths=1.0)
    for label, colour in ((-1, "#dc2626"), (1, "#2563eb")):
        points = [p for p, t in zip(result.X, result.y) if t == label]
        ax.scatter([p[0] for p in points], [p[1] for p in points], s=10, c=colour, edgecolors="black", linewidths=0.3)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def boundary_per_epoch(result: Run, snapshots: Snapshots, out: Path, *, grid: int = 50) -> tuple[Path, Path]:
    """The decision boundary after each snapshot's epoch: six of them side by side (PNG) and all of them as a GIF.

    Each snapshot's parameters go back into a copy of the model, whose score over the plane is
    replayed as float code (one sample traced once). The GIF is made with Pillow, which
    matplotlib already depends on.

    >>> import tempfile
    >>> snaps = Snapshots()
    >>> result = run(seed=1, steps=3, test_points=10, callbacks=[snaps])
    >>> figure, gif = boundary_per_epoch(result, snaps, Path(tempfile.mkdtemp()), grid=8)  # doctest: +ELLIPSIS
      wrote ...moons_epochs.png
      wrote ...moons_training.gif
    >>> from PIL import Image
    >>> Image.open(gif).n_frames
    3
    """
    from PIL import Image

    from autograd import compile_per_sample

    model = MLP(2, list(result.model.nouts), seed=0)
    xs, ys = [p[0] for p in result.X], [p[1] for p in result.X]
    x0, x1, y0, y1 = min(xs) - 0.5, max(xs) + 0.5, min(ys) - 0.5, max(ys) + 0.5
    gx = [x0 + (x1 - x0) * i / (grid - 1) for i in range(grid)]
    gy = [y0 + (y1 - y0) * j / (grid - 1) for j in range(grid)]
    plane = [[a, b] for b in gy for a in gx]
    score = compile_per_sample(lambda x: model.outputs(x)[0])
    boundaries = []
    for k in range(len(snapshots)):
        snap = snapshots.restore(model, k)
        boundaries.append((snap, score(plane).losses))
    shown = [boundaries[round(i * (len(boundaries) - 1) / 5)] for i in range(6)] if len(boundaries) > 6 else boundaries
    figure = new_figure(2.2 * len(shown), 2.4)
    for i, (snap, flat) in enumerate(shown):
        _boundary(figure.add_subplot(1, len(shown), i + 1), gx, gy, flat, result, f"epoch {snap.epoch}, loss {snap.loss:.3f}")
    figure.suptitle("The decision boundary while training (one full-batch step per epoch)", fontsize=10)
    still = save(figure, out, "moons_epochs.png")
    frames = []
    for snap, flat in boundaries:
        frame = new_figure(4, 3.6)
        _boundary(frame.add_subplot(), gx, gy, flat, result, f"epoch {snap.epoch}: loss {snap.loss:.3f}")
        frame.canvas.draw()
        size = frame.canvas.get_width_height()
        frames.append(Image.frombuffer("RGBA", size, bytes(frame.canvas.buffer_rgba()), "raw", "RGBA", 0, 1).convert("RGB"))
    gif = out / "moons_training.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=250, loop=0)
    print(f"  wrote {gif}")
    return still, gif


def draw_loss_curve(history: History, path: Path) -> Path:
    """Training loss (log scale) and accuracy against the step."""
    figure = new_figure(6, 3.5)
    ax = figure.add_subplot()
    # train_loss[k] is measured at the start of update k (micrograd's "step k"), so plot it there.
    ks = [step - 1 for step in history.step]
    (loss_line,) = ax.plot(ks, history.train_loss, color="#2563eb", label="hinge loss")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (log scale)")
    twin = ax.twinx()
    (accuracy_line,) = twin.plot(ks, history.train_accuracy, color="#16a34a", label="accuracy")
    twin.set_ylim(0.0, 1.05)
    twin.set_ylabel("training accuracy")
    ax.set_title("Training on two moons")
    twin.legend(handles=[loss_line, accuracy_line], loc="center right")
    return save(figure, path.parent, path.name)


def draw_neuron(model: MLP, x: list[float], path: Path) -> Path | None:
    """Draw the graph of the first hidden neuron on one input, with its gradients (None, with a note, without Graphviz)."""
    neuron = model.layers[0].neurons[0]
    xs = [Value(v, label=f"x{i + 1}") for i, v in enumerate(x)]
    out = neuron(xs)
    out.label = "out"
    out.backward()
    try:
        written: Path = render(draw_dot(out), path)
    except GraphvizNotFound as error:  # no Graphviz binary of any kind: the rest of the demo still stands
        print(f"  skipped the neuron drawing: {error}")
        return None
    finally:
        model.zero_grad()  # the drawing's backward must not leak gradients into the trained model
    print(f"  wrote {written}")
    return written


if __name__ == "__main__":
    sys.exit(main())
