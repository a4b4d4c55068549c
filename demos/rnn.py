"""A tiny RNN unrolled in time learns a running mean; backprop through time in the stepper; gradients vanish or explode over time.

    python -m demos.rnn            # 300 epochs, figure in out/
    python -m demos.rnn --quick    # 20 epochs, for a smoke test
    python -m demos.rnn --export   # also the unrolled graph as frames, GIF, APNG, slides, worksheet
    python -m demos.rnn --save     # the figure into docs/images/ (docs/teaching.md's picture)

An RNN is the lecture's neuron used again at every time step, its own last output fed back in:
h⁽ᵗ⁾ = f(w_hh h⁽ᵗ⁻¹⁾ + w_xh x⁽ᵗ⁾ + b_h). Unrolled over T steps it is an ordinary graph, T neurons
deep, all sharing w_hh, w_xh and b_h; backpropagation through that graph is "backprop through
time" (BPTT). The gradient reaching h⁽ᵗ⁾ from the loss at the end is multiplied by w_hh f′(a⁽ᵗ⁾)
once per step back, so over many steps it shrinks to nothing (vanishing) or grows without bound
(exploding), the lecture's "vanishing gradient problem", here over time instead of over layers.

The task is made in code: sequences of T numbers from U(−1, 1); the label is their mean, which
the network can only give by remembering what it has seen.
"""

from __future__ import annotations

import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from autograd import Backprop, Value, dot, draw_dot, render, vsum
from demos._architectures import add_export_option, export_graph, print_listing, sup
from demos._common import demo_parser, new_figure, save, steps_from
from nn.diagnose import EXPLODING_NORM, VANISHING_RATIO
from nn.optim import Adam

EPOCHS = 300
QUICK_EPOCHS = 20
SEED = 0
#: Sequence length T, number of sequences P, learning rate α; the sequence the stepper walks is shorter.
T, P = 6, 32
STEPPED_T = 3
LEARNING_RATE = 0.05
#: How far back the vanishing/exploding figure follows the gradient.
LONG_T = 30
IMAGES = Path("docs/images")

LISTING = f"""
input at time t:    x⁽ᵗ⁾                               t = 1, …, T = {T}
hidden state:       h⁽⁰⁾ = 0,  a⁽ᵗ⁾ = w_hh h⁽ᵗ⁻¹⁾ + w_xh x⁽ᵗ⁾ + b_h,  h⁽ᵗ⁾ = f(a⁽ᵗ⁾)     f = tanh
output:             y = w_hy h⁽ᵀ⁾ + b_y
parameters:         w_hh, w_xh, b_h (the same at every time step), w_hy, b_y
labels:             ℓ = (x⁽¹⁾ + … + x⁽ᵀ⁾) / T         (the mean: it needs memory)
loss:               L = 1/P Σ_p (y_p − ℓ_p)²            P = {P} sequences
update:             Adam, one of the lecture's "other methods" (plain gradient descent
                    stalls on this task: w_hh's direction is long and flat)   α = {LEARNING_RATE}
backprop in time:   ∂L/∂h⁽ᵗ⁻¹⁾ = ∂L/∂h⁽ᵗ⁾ · f′(a⁽ᵗ⁾) · w_hh     one factor w_hh f′(a⁽ᵗ⁾) per step back
                    ∂L/∂w_hh = Σ_t ∂L/∂a⁽ᵗ⁾ · h⁽ᵗ⁻¹⁾              one term per time step
"""


@dataclass(frozen=True)
class RNN:
    """The five parameters of a one-unit RNN."""

    w_hh: Value
    w_xh: Value
    b_h: Value
    w_hy: Value
    b_y: Value

    @property
    def parameters(self) -> list[Value]:
        """w_hh, w_xh, b_h, w_hy, b_y."""
        return [self.w_hh, self.w_xh, self.b_h, self.w_hy, self.b_y]


def make_rnn(rng: random.Random) -> RNN:
    """Weights from U(−1, 1), biases 0, labelled as in the listing."""
    return RNN(
        Value(rng.uniform(-1.0, 1.0), label="w_hh"),
        Value(rng.uniform(-1.0, 1.0), label="w_xh"),
        Value(0.0, label="b_h"),
        Value(rng.uniform(-1.0, 1.0), label="w_hy"),
        Value(0.0, label="b_y"),
    )


def make_sequences(rng: random.Random, count: int = P, length: int = T) -> list[list[float]]:
    """``count`` sequences of ``length`` numbers from U(−1, 1)."""
    return [[rng.uniform(-1.0, 1.0) for _ in range(length)] for _ in range(count)]


def unroll(rnn: RNN, xs: list[float], *, tanh: bool = True) -> tuple[Value, list[Value]]:
    """Run the RNN over ``xs``: the output y and the hidden states h⁽¹⁾, …, h⁽ᵀ⁾, each node named with its time step."""
    h = Value(0.0, label=f"h{sup('(0)')}")
    states = []
    for t, x in enumerate(xs, start=1):
        step = sup(f"({t})")
        a = dot([rnn.w_hh, rnn.w_xh], [h, Value(x, label=f"x{step}")], rnn.b_h)
        a.label = f"a{step}"
        h = a.tanh() if tanh else a
        h.label = f"h{step}"
        states.append(h)
    y = dot([rnn.w_hy], [h], rnn.b_y)
    y.label = "y"
    return y, states


def sequence_loss(rnn: RNN, xs: list[float]) -> Value:
    """e² = (y − ℓ)² for one sequence, ℓ its mean."""
    y, _ = unroll(rnn, xs)
    error = y - Value(sum(xs) / len(xs), label="ℓ")
    error.label = "e"
    loss = error * error
    loss.label = "L"
    return loss


def gradient_over_time(w_hh: float, *, tanh: bool, seed: int = SEED, length: int = LONG_T) -> list[float]:
    """|∂L/∂h⁽ᵗ⁾| for t = 1, …, ``length``: how much of the final loss's gradient reaches each time step."""
    rng = random.Random(seed)
    rnn = RNN(Value(w_hh), Value(0.5), Value(0.0), Value(1.0), Value(0.0))
    # Small inputs keep a tanh unit out of saturation, so the factor per step is about w_hh itself.
    xs = [0.1 * rng.uniform(-1.0, 1.0) for _ in range(length)]
    y, states = unroll(rnn, xs, tanh=tanh)
    y.backward()
    return [abs(h.grad) for h in states]


@dataclass(frozen=True)
class Regime:
    """One curve of the figure: a recurrent weight and activation, its gradients over time, and the verdict."""

    label: str
    w_hh: float
    tanh: bool
    norms: list[float]

    @property
    def verdict(self) -> str:
        """nn.diagnose's rule, over time steps instead of layers: vanishing, exploding or healthy."""
        if any(not math.isfinite(n) or n > EXPLODING_NORM for n in self.norms):
            return "exploding"
        if self.norms[0] < VANISHING_RATIO * max(self.norms):
            return "vanishing"
        return "healthy"


REGIMES = (("tanh, w_hh = 0.5", 0.5, True), ("tanh, w_hh = 1.0", 1.0, True), ("linear f, w_hh = 1.5", 1.5, False))


@dataclass
class Result:
    """Everything the demo measures, for the printout, the figure and the test."""

    bptt: list[str]
    w_hh_terms: list[float]
    w_hh_grad: float
    losses: list[float]
    parameters: list[float]
    regimes: list[Regime]
    seconds: float


def run(seed: int = SEED, epochs: int = EPOCHS) -> tuple[Result, RNN, list[list[float]]]:
    """Step through BPTT on a short sequence, train on the running-mean task, and follow gradients back in time.

    >>> result, _, _ = run(epochs=2)
    >>> len(result.w_hh_terms), [r.verdict for r in result.regimes]
    (3, ['vanishing', 'healthy', 'exploding'])
    """
    start = time.perf_counter()
    rng = random.Random(seed)
    rnn = make_rnn(rng)
    sequences = make_sequences(rng)
    stepped = sequence_loss(rnn, sequences[0][:STEPPED_T])
    stepper = Backprop(stepped)
    bptt, terms = [], []
    for step in stepper:
        bptt.append(str(step))
        terms += [edge.contribution for edge in step.edges if edge.parent is rnn.w_hh]
    w_hh_grad = rnn.w_hh.grad
    losses = []
    optimizer = Adam(rnn.parameters, lr=LEARNING_RATE)
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = vsum(sequence_loss(rnn, xs) for xs in sequences) / len(sequences)
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
    regimes = [Regime(label, w, tanh, gradient_over_time(w, tanh=tanh, seed=seed)) for label, w, tanh in REGIMES]
    result = Result(bptt, terms, w_hh_grad, losses, [p.data for p in rnn.parameters], regimes, time.perf_counter() - start)
    return result, rnn, sequences


def figure(result: Result, rnn: RNN, sequences: list[list[float]], folder: Path, *, small: bool) -> Path:
    """Two panels: the trained RNN's output against the running mean over time, and |∂L/∂h⁽ᵗ⁾| over t (log scale)."""
    fig = new_figure(*((9, 3.2) if small else (12, 4)))
    ax_seq, ax_grad = fig.subplots(1, 2)
    xs = sequences[0]
    # The network learnt to divide by T = 6, so after t steps it should hold (x⁽¹⁾ + … + x⁽ᵗ⁾) / T.
    means = [sum(xs[: t + 1]) / len(xs) for t in range(len(xs))]
    outputs = [unroll(rnn, xs[: t + 1])[0].data for t in range(len(xs))]
    steps = range(1, len(xs) + 1)
    ax_seq.bar(steps, xs, color="#d1d5db", label="input x⁽ᵗ⁾")
    ax_seq.plot(steps, means, "s--", color="#16a34a", label="(x⁽¹⁾ + … + x⁽ᵗ⁾) / T: the label at t = T")
    ax_seq.plot(steps, outputs, "o-", color="#dc2626", label="y after reading x⁽¹⁾…x⁽ᵗ⁾")
    ax_seq.set(title="the trained RNN carries a sum through time", xlabel="time step t")
    ax_seq.legend(fontsize=8)
    for regime, colour in zip(result.regimes, ("#2563eb", "#16a34a", "#dc2626")):
        ax_grad.semilogy(range(1, len(regime.norms) + 1), regime.norms, color=colour, label=f"{regime.label}: {regime.verdict}")
    ax_grad.set(title=f"|∂L/∂h⁽ᵗ⁾|: the gradient reaching each time step (T = {LONG_T})", xlabel="time step t")
    ax_grad.legend(fontsize=8)
    return save(fig, folder, "rnn.png")


def main(argv: list[str] | None = None) -> int:
    """Print the listing and the BPTT steps, train, follow gradients back in time, draw; return 0 when the loss fell."""
    parser = demo_parser(__doc__.splitlines()[0], steps=EPOCHS, quick_steps=QUICK_EPOCHS, seed=SEED)
    parser.add_argument("--save", action="store_true", help="write the figure into docs/images/")
    add_export_option(parser)
    args = parser.parse_args(argv)
    epochs = steps_from(args, steps=EPOCHS, quick_steps=QUICK_EPOCHS)
    print_listing("A recurrent network unrolled in time, in the lecture's notation", LISTING)

    result, rnn, sequences = run(args.seed, epochs)
    print(f"backprop through time over T = {STEPPED_T} steps ({len(result.bptt)} steps of the stepper):")
    for text in result.bptt:
        print("  " + text.replace("\n", "\n  "))
    terms = " + ".join(f"{t:.6f}" for t in result.w_hh_terms)
    print(f"  ∂L/∂w_hh = {terms} = {result.w_hh_grad:.6f}  (one term per time step)\n")
    if result.losses:
        print(f"training on {P} sequences of {T}: loss {result.losses[0]:.6f} → {result.losses[-1]:.6f} in {epochs} epochs")
    names = ("w_hh", "w_xh", "b_h", "w_hy", "b_y")
    print("parameters: " + ", ".join(f"{n} = {v:+.4f}" for n, v in zip(names, result.parameters)))
    print(f"\nthe gradient of the last step's output, followed back {LONG_T} time steps:")
    for regime in result.regimes:
        print(f"  {regime.label:<22} |∂L/∂h⁽¹⁾| / |∂L/∂h⁽ᵀ⁾| = {regime.norms[0] / regime.norms[-1]:.3g}: {regime.verdict}")
    print(f"took {result.seconds:.2f} s")

    folder = IMAGES if args.save else args.out
    figure(result, rnn, sequences, folder, small=args.quick)
    stepped = sequence_loss(rnn, sequences[0][:STEPPED_T])
    stepped.backward()
    for suffix in ("svg", "png"):
        print(f"  drew {render(draw_dot(stepped, parameters=rnn.parameters), args.out / f'rnn_graph.{suffix}')}")
    if args.export:
        export_graph(stepped, args.out, "rnn", parameters=rnn.parameters, title=f"an RNN unrolled over {STEPPED_T} time steps")
    fell = epochs == 0 or result.losses[-1] < result.losses[0]
    return 0 if fell else 1


if __name__ == "__main__":
    sys.exit(main())
