"""The vanishing gradient problem: how much gradient reaches each layer of a deep, narrow network.

    python -m demos.vanishing            # 100 epochs each, pictures in out/
    python -m demos.vanishing --quick    # a few epochs, for a smoke test
    python -m demos.vanishing --save     # pictures into docs/images/ (the guide's figures)

Four networks with the same shape, ``MLP(2, [6] * 10 + [1])`` (eleven layers of weights, six
neurons wide), learn two moons (labels 0/1, mean squared error, Adam): sigmoid, tanh and ReLU
with micrograd's U(−1, 1) weights, and ReLU with He's initialization. Backpropagation multiplies
the gradient by each layer's weights and its activation's slope on the way down; the sigmoid's
slope is at most 1/4, so after ten layers the first one gets almost nothing. The demo measures
the gradient norm of every layer at initialization and after every epoch, and prints the ratio
of the first layer's gradient to the last layer's.

Training runs through ``fit(compile=True)`` (the same updates, about ten times faster than eager).
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from demos._common import demo_parser, new_figure, save, steps_from
from demos._lessons import Curves, initial_gradient_norms, train_with_curves
from nn.data import make_moons, rng_from
from nn.module import MLP, Activation, Init
from nn.optim import Adam

EPOCHS = 100
QUICK_EPOCHS = 3
SEED = 0
POINTS = 100
NOISE = 0.1
DEPTH = 10
WIDTH = 6
LEARNING_RATE = 0.01
IMAGES = Path("docs/images")
#: (label, activation, initialization, colour)
NETWORKS: tuple[tuple[str, Activation, Init, str], ...] = (
    ("sigmoid", "sigmoid", "uniform", "#dc2626"),
    ("tanh", "tanh", "uniform", "#f59e0b"),
    ("ReLU", "relu", "uniform", "#2563eb"),
    ("ReLU + He init", "relu", "he", "#16a34a"),
)


@dataclass
class Network:
    """One network's measurements: gradient norms per layer at initialization and per epoch, and its losses."""

    label: str
    colour: str
    at_init: list[float]
    curves: Curves
    seconds: float
    #: What ``nn.diagnose`` finds at initialization (empty where it does not exist yet).
    findings: list[str] = field(default_factory=list)

    @property
    def ratio_at_init(self) -> float:
        """The first layer's gradient norm divided by the last layer's, at initialization."""
        return self.at_init[0] / self.at_init[-1] if self.at_init[-1] else float("nan")

    @property
    def ratio_in_training(self) -> float:
        """The median over epochs of the first layer's gradient norm divided by the last layer's."""
        first, last = self.curves.grad_norms[0], self.curves.grad_norms[-1]
        ratios = [a / b for a, b in zip(first, last) if b > 0.0]
        return statistics.median(ratios) if ratios else float("nan")


def run(seed: int = SEED, epochs: int = EPOCHS) -> list[Network]:
    """Measure and train the four networks from the same data; each gets its initialization's weights from ``seed``.

    >>> nets = run(epochs=2)
    >>> [n.label for n in nets], [len(n.at_init) for n in nets], [len(n.curves.grad_norms[0]) for n in nets]
    (['sigmoid', 'tanh', 'ReLU', 'ReLU + He init'], [11, 11, 11, 11], [2, 2, 2, 2])
    """
    rng = rng_from(seed)
    X, labels = make_moons(POINTS, NOISE, rng)
    X_val, val_labels = make_moons(POINTS, NOISE, rng)
    y, y_val = [float(t) for t in labels], [float(t) for t in val_labels]
    networks = []
    for label, activation, init, colour in NETWORKS:
        model = MLP(2, [WIDTH] * DEPTH + [1], activation=activation, init=init, seed=seed)
        at_init, findings = initial_gradient_norms(model, X, y)
        started = time.perf_counter()
        curves = train_with_curves(
            model, "mse", X, y, X_val, y_val, optimizer=Adam(model.parameters(), lr=LEARNING_RATE), epochs=epochs,
            record_gradients=True,
        )  # fmt: skip
        networks.append(Network(label, colour, at_init, curves, time.perf_counter() - started, findings))
    return networks


def main(argv: list[str] | None = None) -> int:
    """Run the demo with command-line arguments ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = demo_parser(__doc__.splitlines()[0], steps=EPOCHS, quick_steps=QUICK_EPOCHS, seed=SEED)
    parser.add_argument("--save", action="store_true", help=f"write the pictures into {IMAGES}/ (the guide's figures)")
    args = parser.parse_args(argv)
    epochs = steps_from(args, steps=EPOCHS, quick_steps=QUICK_EPOCHS)
    print(f"MLP(2, [{WIDTH}] * {DEPTH} + [1]): {DEPTH + 1} layers of weights; two moons ({POINTS} points, labels 0/1), MSE")
    print(f"Adam lr {LEARNING_RATE}, {epochs} full-batch epochs. Gradient norm of each layer at initialization (1 = input side):")
    networks = run(args.seed, epochs)
    print(f"Trained with fit(compile=True) in {sum(n.seconds for n in networks):.1f} s")
    layers = DEPTH + 1
    print(f"  {'network':<15}" + "".join(f"{k:>8}" for k in range(1, layers + 1)))
    for n in networks:
        print(f"  {n.label:<15}" + "".join(f"{v:>8.1e}" for v in n.at_init))
    print(f"  {'':<15} {'layer 1 / layer ' + str(layers):>22} {'same, in training':>19} {'val loss':>9}  (0.25: learned nothing)")
    for n in networks:
        print(f"  {n.label:<15} {n.ratio_at_init:>22.1e} {n.ratio_in_training:>19.1e} {n.curves.val_loss[-1]:>9.3f}")
    sigmoid, best = networks[0], networks[-1]
    print(
        f"Measured: the sigmoid network's first layer gets {sigmoid.ratio_at_init:.1e} × the last layer's gradient at\n"
        f"initialization ({_orders(sigmoid.ratio_at_init)} orders of magnitude less); with ReLU and He's initialization, "
        f"{best.ratio_at_init:.2g} ×."
    )
    for n in networks:
        if n.findings:
            layers_named = ", ".join(f.split(": ", 1)[1] for f in n.findings)
            kinds = sorted({f.split(":", 1)[0] for f in n.findings})
            print(f"nn.diagnose at initialization, {n.label}: {' and '.join(kinds)} gradient in {layers_named}")
    out: Path = IMAGES if args.save else args.out
    draw_layers(networks, out)
    draw_training(networks, out)
    return 0


def _orders(ratio: float) -> int:
    """How many powers of ten ``ratio`` is below one."""
    import math

    return max(0, round(-math.log10(ratio))) if ratio > 0 else 0


def draw_layers(networks: list[Network], out: Path) -> Path:
    """Gradient norm against the layer, at initialization and at the end of training, log scale."""
    figure = new_figure(10, 4)
    at_init, at_end = figure.subplots(1, 2, sharey=True)
    layers = range(1, DEPTH + 2)
    for n in networks:
        at_init.plot(layers, n.at_init, marker="o", color=n.colour, label=n.label)
        at_end.plot(layers, [norms[-1] for norms in n.curves.grad_norms], marker="o", color=n.colour, label=n.label)
    for ax, title in ((at_init, "at initialization"), (at_end, "after the last epoch")):
        ax.set_yscale("log")
        ax.set_xticks(list(layers))
        ax.set_xlabel("layer (1 = next to the input)")
        ax.set_title(f"Gradient norm per layer, {title}", fontsize=10)
    at_init.set_ylabel("‖∂L/∂(layer's weights and biases)‖")
    at_init.legend(fontsize=8)
    return save(figure, out, "vanishing_layers.png")


def draw_training(networks: list[Network], out: Path) -> Path:
    """The first layer's gradient norm and the validation loss over training, one line per network."""
    figure = new_figure(10, 3.8)
    grads, losses = figure.subplots(1, 2)
    for n in networks:
        grads.plot(n.curves.epochs, n.curves.grad_norms[0], color=n.colour, label=n.label)
        losses.plot(n.curves.epochs, n.curves.val_loss, color=n.colour, label=n.label)
    grads.set_yscale("log")
    losses.set_ylim(0.0, 0.6)
    grads.set_title("Layer 1's gradient norm during training", fontsize=10)
    losses.set_title("Validation loss (MSE; 0.25 = always guessing ½)", fontsize=10)
    for ax in (grads, losses):
        ax.set_xlabel("epoch")
    losses.legend(fontsize=8)
    return save(figure, out, "vanishing_training.png")


if __name__ == "__main__":
    sys.exit(main())
