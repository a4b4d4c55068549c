"""A 1-D convolution with one shared kernel learns a curvature detector; the stepper shows the shared weight's gradient add up.

    python -m demos.convolution            # 200 epochs, figure in out/
    python -m demos.convolution --quick    # 20 epochs, for a smoke test
    python -m demos.convolution --export   # also the stepped graph as frames, GIF, APNG, slides, worksheet
    python -m demos.convolution --save     # the figure into docs/images/ (docs/teaching.md's picture)

The lecture's neuron computes f(Σ_j w_j x_j + b) with its own weights. A convolution slides ONE
small kernel w₁, w₂, w₃ along the input, every output position using the same three weights:
y_i = f(w₁ x_i + w₂ x_{i+1} + w₃ x_{i+2} + b). Because each weight is used at every position,
backprop adds one contribution per position into the same ``.grad`` (the ``+=`` of the chain rule):
∂L/∂w₂ = Σ_i ∂L/∂y_i · x_{i+1}. The stepper prints those contributions one by one.

The task is made in code: random signals, and as labels the second difference
ℓ_i = x_i − 2 x_{i+1} + x_{i+2} (how sharply the signal bends). Gradient descent on the lecture's
mean squared loss finds the kernel (1, −2, 1) from a random start.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from autograd import Backprop, Value, dot, draw_dot, render, vsum
from demos._architectures import add_export_option, descend, export_graph, print_listing, sub
from demos._common import demo_parser, new_figure, save, steps_from

EPOCHS = 200
QUICK_EPOCHS = 20
SEED = 0
#: Signal length N, kernel size K, number of training signals P, learning rate α.
N, K, P = 8, 3, 8
LEARNING_RATE = 0.1
#: The kernel the labels are made with: the second difference.
TRUE_KERNEL = (1.0, -2.0, 1.0)
IMAGES = Path("docs/images")

LISTING = f"""
input (layer 1):  x₁, …, x_N                      N = {N} numbers, one signal
kernel (shared):  w₁, w₂, w₃ and one bias b        the same {K + 1} parameters at every position
output:           y_i = f(w₁ x_i + w₂ x_{{i+1}} + w₃ x_{{i+2}} + b)     i = 1, …, N − K + 1 = {N - K + 1}
                  f = identity (a linear filter, so the kernel can be read off)
labels:           ℓ_i = x_i − 2 x_{{i+1}} + x_{{i+2}}  (the second difference: kernel (1, −2, 1))
loss:             L = 1/P Σ_p 1/{N - K + 1} Σ_i (y_{{p,i}} − ℓ_{{p,i}})²       P = {P} signals
update:           w_j(new) = w_j(old) − α ∂L/∂w_j,  b(new) = b(old) − α ∂L/∂b      α = {LEARNING_RATE}
shared weights:   ∂L/∂w₂ = Σ_i ∂L/∂y_i · x_{{i+1}}   one term per position, added by backprop's +=
"""


@dataclass(frozen=True)
class Kernel:
    """The shared parameters: the kernel weights and the bias."""

    w: tuple[Value, ...]
    b: Value

    @property
    def parameters(self) -> list[Value]:
        """w₁, …, w_K, b."""
        return [*self.w, self.b]


def make_kernel(rng: random.Random) -> Kernel:
    """Weights from U(−1, 1), bias 0, labelled w₁, w₂, w₃ and b."""
    return Kernel(tuple(Value(rng.uniform(-1.0, 1.0), label=f"w{sub(j + 1)}") for j in range(K)), Value(0.0, label="b"))


def make_signals(rng: random.Random, count: int = P) -> list[list[float]]:
    """``count`` signals of N numbers from U(−1, 1)."""
    return [[rng.uniform(-1.0, 1.0) for _ in range(N)] for _ in range(count)]


def labels(signal: list[float]) -> list[float]:
    """ℓ_i = x_i − 2 x_{i+1} + x_{i+2}: the true kernel slid along the signal."""
    return [sum(t * signal[i + j] for j, t in enumerate(TRUE_KERNEL)) for i in range(N - K + 1)]


def convolve(kernel: Kernel, xs: list[Value]) -> list[Value]:
    """y_i = w₁ x_i + w₂ x_{i+1} + w₃ x_{i+2} + b at every position: one fused ``dot`` node per position, all with the same w."""
    ys = []
    for i in range(len(xs) - K + 1):
        y = dot(kernel.w, xs[i : i + K], kernel.b)
        y.label = f"y{sub(i + 1)}"
        ys.append(y)
    return ys


def signal_loss(kernel: Kernel, signal: list[float]) -> Value:
    """One signal's mean squared error 1/M Σ_i (y_i − ℓ_i)², every node labelled in the lecture's notation."""
    xs = [Value(x, label=f"x{sub(i + 1)}") for i, x in enumerate(signal)]
    errors = []
    for i, (y, target) in enumerate(zip(convolve(kernel, xs), labels(signal))):
        e = y - target
        e.label = f"e{sub(i + 1)}"
        squared = e * e
        squared.label = f"e{sub(i + 1)}²"
        errors.append(squared)
    total = vsum(errors)
    total.label = "Σe²"
    loss = total / len(errors)
    loss.label = "L"
    return loss


def dataset_loss(kernel: Kernel, signals: list[list[float]]) -> Value:
    """L = 1/P Σ_p (signal p's mean squared error)."""
    return vsum(signal_loss(kernel, s) for s in signals) / len(signals)


@dataclass(frozen=True)
class Contribution:
    """One position's term of ∂L/∂w₂: added at backprop step ``step`` by the node ``node``."""

    step: int
    node: str
    amount: float
    before: float
    after: float


def shared_weight_steps(loss: Value, weight: Value) -> tuple[Backprop, list[Contribution]]:
    """Step through ``loss.backward()``; return the stepper and every contribution it added into ``weight.grad``."""
    stepper = Backprop(loss)
    found = []
    for step in stepper:
        for edge in step.edges:
            if edge.parent is weight:
                found.append(Contribution(step.index, stepper.names.name(step.node), edge.contribution, edge.before, edge.after))
    return stepper, found


@dataclass
class Result:
    """Everything the demo measures, for the printout, the figure and the test."""

    initial_kernel: list[float]
    kernels: list[list[float]]
    losses: list[float]
    contributions: list[Contribution]
    w2_grad: float
    steps: int
    seconds: float

    @property
    def final_kernel(self) -> list[float]:
        """w₁, w₂, w₃, b after training."""
        return self.kernels[-1]


def run(seed: int = SEED, epochs: int = EPOCHS) -> tuple[Result, Kernel, list[list[float]]]:
    """Step through one signal's backward pass at the random start, then train; return the measurements.

    >>> result, _, _ = run(epochs=3)
    >>> len(result.contributions), result.steps        # w₂ is used at all 6 positions
    (6, 20)
    >>> round(sum(c.amount for c in result.contributions) - result.w2_grad, 12)
    0.0
    """
    start = time.perf_counter()
    rng = random.Random(seed)
    kernel = make_kernel(rng)
    signals = make_signals(rng)
    initial = [p.data for p in kernel.parameters]
    stepper, contributions = shared_weight_steps(signal_loss(kernel, signals[0]), kernel.w[1])
    w2_grad = kernel.w[1].grad
    kernels, losses = [initial], []
    for _ in range(epochs):
        for p in kernel.parameters:
            p.grad = 0.0
        loss = dataset_loss(kernel, signals)
        loss.backward()
        descend(kernel.parameters, LEARNING_RATE)
        losses.append(loss.data)
        kernels.append([p.data for p in kernel.parameters])
    result = Result(initial, kernels, losses, contributions, w2_grad, len(stepper), time.perf_counter() - start)
    return result, kernel, signals


def figure(result: Result, kernel: Kernel, signals: list[list[float]], folder: Path, *, small: bool) -> Path:
    """Three panels: a signal with its labels and outputs, the kernel learning, and w₂'s gradient summed over positions."""
    fig = new_figure(*((9, 3) if small else (13, 4)))
    ax_signal, ax_kernel, ax_grad = fig.subplots(1, 3)
    signal = signals[0]
    positions = range(1, N - K + 2)
    with_trained = [y.data for y in convolve(kernel, [Value(x) for x in signal])]
    ax_signal.plot(range(1, N + 1), signal, "o-", color="#6b7280", label="input x")
    ax_signal.plot(positions, labels(signal), "s--", color="#16a34a", label="label ℓ = x_i − 2x_{i+1} + x_{i+2}")
    ax_signal.plot(positions, with_trained, "x", color="#dc2626", markersize=9, label="output y (trained)")
    ax_signal.set(title="one signal", xlabel="position i")
    ax_signal.legend(fontsize=8)
    epochs = range(len(result.kernels))
    for j, colour in enumerate(("#2563eb", "#dc2626", "#f59e0b")):
        ax_kernel.plot(epochs, [k[j] for k in result.kernels], color=colour, label=f"w{sub(j + 1)} → {TRUE_KERNEL[j]:g}")
        ax_kernel.axhline(TRUE_KERNEL[j], color=colour, linewidth=0.8, linestyle=":")
    ax_kernel.plot(epochs, [k[K] for k in result.kernels], color="#6b7280", label="b → 0")
    ax_kernel.set(title="the shared kernel learns (1, −2, 1)", xlabel="epoch")
    ax_kernel.legend(fontsize=8)
    # In the order backprop visits the outputs (the last position first), as the stepper adds the terms.
    visited = [c.node for c in result.contributions]
    ax_grad.bar(visited, [c.amount for c in result.contributions], color="#93c5fd", label="term added at this position")
    ax_grad.plot(visited, [c.after for c in result.contributions], "o-", color="#1d4ed8", label="w₂.grad so far")
    ax_grad.set(title="∂L/∂w₂: one term per position (stepper)", xlabel="the output adding its term, in backprop's order")
    ax_grad.legend(fontsize=8)
    return save(fig, folder, "convolution.png")


def main(argv: list[str] | None = None) -> int:
    """Print the listing, step through the shared weight's gradient, train, draw; return 0 when the kernel is found."""
    parser = demo_parser(__doc__.splitlines()[0], steps=EPOCHS, quick_steps=QUICK_EPOCHS, seed=SEED)
    parser.add_argument("--save", action="store_true", help="write the figure into docs/images/")
    add_export_option(parser)
    args = parser.parse_args(argv)
    epochs = steps_from(args, steps=EPOCHS, quick_steps=QUICK_EPOCHS)
    print_listing("A 1-D convolution in the lecture's notation", LISTING)

    result, kernel, signals = run(args.seed, epochs)
    print(f"backprop through one signal's loss: {result.steps} steps; w₂ is used at {len(result.contributions)} positions:")
    for c in result.contributions:
        sums = f"{c.before:+.6f} + {c.amount:+.6f} = {c.after:+.6f}"
        print(f"  step {c.step:>2} ({c.node}):  w₂.grad += {c.amount:+.6f}  →  {sums}")
    print(f"  ∂L/∂w₂ = {result.w2_grad:.6f}, the sum of its {len(result.contributions)} terms\n")
    start = ", ".join(f"{w:+.4f}" for w in result.initial_kernel)
    found = ", ".join(f"{w:+.4f}" for w in result.final_kernel)
    print(f"kernel (w₁, w₂, w₃, b) at the start: {start}")
    print(f"after {epochs} epochs of gradient descent: {found}   (labels made with 1, −2, 1, 0)")
    if result.losses:
        print(f"loss: {result.losses[0]:.6f} → {result.losses[-1]:.3g}")
    print(f"took {result.seconds:.2f} s")

    folder = IMAGES if args.save else args.out
    figure(result, kernel, signals, folder, small=args.quick)
    # The drawing and exports show one signal's graph with the trained kernel: every y_i node has the same w's as parents.
    stepped = signal_loss(kernel, signals[0])
    stepped.backward()
    for suffix in ("svg", "png"):
        print(f"  drew {render(draw_dot(stepped, parameters=kernel.parameters), args.out / f'convolution_graph.{suffix}')}")
    if args.export:
        export_graph(stepped, args.out, "convolution", parameters=kernel.parameters, title="a 1-D convolution (one signal)")
    found_it = epochs < EPOCHS or all(abs(w - t) < 1e-3 for w, t in zip(result.final_kernel, (*TRUE_KERNEL, 0.0)))
    return 0 if found_it else 1


if __name__ == "__main__":
    sys.exit(main())
