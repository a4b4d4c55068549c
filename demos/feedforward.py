"""The textbook feed-forward network: 3 inputs → 5 hidden → 1 output, trained by plain gradient descent.

    python -m demos.feedforward            # 300 steps, picture in out/
    python -m demos.feedforward --quick    # a few steps, for a smoke test
    python -m demos.feedforward --notation # also backprop on one example in the lecture's names

Each layer computes the state vector x⁽ⁱ⁺¹⁾ = f(W⁽ⁱ⁺¹⁾·x⁽ⁱ⁾ + b⁽ⁱ⁺¹⁾), with f = tanh. The loss is
L = 1/P Σ_p (y_p − ℓ_p)² over P training examples, and every weight and bias moves by the update
rule w ← w − α ∂L/∂w. The loop below is that rule, written out; ``backward`` supplies ∂L/∂w.
Finally the network is scored on test data it never saw.
"""

from __future__ import annotations

import itertools
import math
import sys
import time
from pathlib import Path

from autograd import Backprop, Value, draw_dot, no_grad, render
from demos._common import demo_parser, new_figure, save, steps_from
from nn import notation
from nn.callbacks import OnStep, TrainState
from nn.data import make_regression, rng_from, train_test_split
from nn.losses import mse
from nn.module import MLP
from nn.optim import SGD
from nn.train import fit

STEPS = 300
QUICK_STEPS = 5
SEED = 0
LEARNING_RATE = 0.5  # α
POINTS = 200  # half for training, half for testing
TARGET_FORMULA = "ℓ = 0.5·sin(x₁ + x₂) − 0.3·x₃² + 0.2"
#: Steps whose updates are printed in full, besides the last.
SHOWN_STEPS = (1, 2, 3)
SUP = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")


def target(x: list[float]) -> float:
    """The smooth function of three inputs the network learns (values stay inside tanh's range)."""
    return 0.5 * math.sin(x[0] + x[1]) - 0.3 * x[2] ** 2 + 0.2


def weight_name(layer: int, m: int, n: int | None) -> str:
    """The lecture's name for a parameter: w_mn^(layer) (from neuron n of the layer before to neuron m), or b_m^(layer).

    >>> weight_name(2, 1, 3), weight_name(3, 1, None)
    ('w₁₃⁽²⁾', 'b₁⁽³⁾')
    """
    return notation.weight_name(layer, m, n) if n is not None else notation.bias_name(layer, m)


def shown_parameters(model: MLP) -> list[tuple[str, Value]]:
    """A few parameters to follow through training: two hidden weights, an output weight and the output bias."""
    hidden, output = model.layers[0].neurons, model.layers[1].neurons
    return [
        (weight_name(2, 1, 1), hidden[0].w[0]),
        (weight_name(2, 3, 2), hidden[2].w[1]),
        (weight_name(3, 1, 4), output[0].w[3]),
        (weight_name(3, 1, None), output[0].b),
    ]


def outputs(model: MLP, X: list[list[float]]) -> list[Value]:
    """The network's output y for each input (the single output neuron's Value)."""
    return [model.outputs(x)[0] for x in X]


def loss_on(model: MLP, X: list[list[float]], y: list[float]) -> float:
    """L on (X, y), without recording a graph."""
    with no_grad():
        return mse(outputs(model, X), y).data


def main(argv: list[str] | None = None) -> int:
    """Run the demo with command-line arguments ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = demo_parser(__doc__.splitlines()[0], steps=STEPS, quick_steps=QUICK_STEPS, seed=SEED)
    parser.add_argument(
        "--notation",
        action="store_true",
        help="also step backprop through one example in the lecture's names and draw it (feedforward_notation.svg)",
    )
    args = parser.parse_args(argv)
    steps = steps_from(args, steps=STEPS, quick_steps=QUICK_STEPS)

    rng = rng_from(args.seed)
    X, y = make_regression(target, POINTS, nin=3, low=-1.0, high=1.0, seed=rng)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.5, rng)
    # f = tanh in every layer, the output too, as in the lecture's x⁽³⁾ = f(W⁽³⁾·x⁽²⁾ + b⁽³⁾).
    model = MLP(3, [5, 1], activation="tanh", output_activation="tanh", seed=rng)

    sizes = [model.layers[0].neurons[0].nin] + [len(layer.neurons) for layer in model.layers]
    print(f"The network {' → '.join(map(str, sizes))}: state vectors x⁽ⁱ⁺¹⁾ = f(W⁽ⁱ⁺¹⁾·x⁽ⁱ⁾ + b⁽ⁱ⁺¹⁾), f = tanh")
    print(f"  x⁽¹⁾ ∈ ℝ{str(sizes[0]).translate(SUP)}  the input")
    for i, (nin, nout) in enumerate(itertools.pairwise(sizes), start=2):
        up, down = f"({i})".translate(SUP), f"({i - 1})".translate(SUP)
        last = i == len(sizes)
        lhs = f"y = x{up}" if last else f"x{up}"
        shape = f"W{up} is {nout}×{nin}, b{up} has {nout} entr{'ies' if nout > 1 else 'y'}"
        role = "the output" if last else "hidden layer"
        print(f"  {lhs} = f(W{up}·x{down} + b{up}) ∈ ℝ{str(nout).translate(SUP)}   {shape}   ({role})")
    print(f"  {len(model.parameters())} parameters")
    print(f"Data: {TARGET_FORMULA}, x uniform in [−1, 1]³; {len(X_train)} training and {len(X_test)} test examples")
    print(f"Loss: L = 1/P Σ (y_p − ℓ_p)², P = {len(X_train)}; update rule w ← w − α ∂L/∂w with α = {LEARNING_RATE}")

    untrained = loss_on(model, X_test, y_test)
    print(f"Untrained: test L = {untrained:.5f}")
    if args.notation:
        show_notation(model, X_train[0], y_train[0], args.out)

    followed = shown_parameters(model)
    index = {id(p): i for i, p in enumerate(model.parameters())}
    untrained_predictions = [p.data for p in _predict(model, X_test)]

    def show_update(state: TrainState) -> None:
        # After fit's step: state.before holds each weight before it, p.grad the gradient it used.
        step = state.step
        if step in SHOWN_STEPS or step == steps:
            print(f"step {step}: L = {state.loss:.5f}")
            for name, p in followed:
                old, g = state.before[index[id(p)]], float(p.grad)
                print(f"  {name} ← {name} − α ∂L/∂{name} = {old:+.5f} − {LEARNING_RATE} × ({g:+.5f}) = {p.data:+.5f}")
        elif step % 50 == 0:
            print(f"step {step}: L = {state.loss:.5f}")

    started = time.perf_counter()
    # Full batch: one step per epoch, so the validation pass (the test data) measures L after every step.
    history = fit(model, "mse", X_train, y_train, optimizer=SGD(model.parameters(), lr=LEARNING_RATE), epochs=steps,
                  validation=(X_test, y_test), callbacks=[OnStep(show_update)], progress=False, compile=True)  # fmt: skip
    print(f"(fit(compile=True) took {time.perf_counter() - started:.2f} s)")
    train_curve = list(history.train_loss)
    test_curve = [(0, untrained), *zip(history.step, history.val_loss)]

    trained = loss_on(model, X_test, y_test)
    print(f"Trained for {steps} steps: training L = {loss_on(model, X_train, y_train):.5f}")
    print(f"Test data it never saw: L = {trained:.5f}, {untrained / trained:.1f}× below the untrained network's {untrained:.5f}")

    draw(train_curve, test_curve, y_test, untrained_predictions, [p.data for p in _predict(model, X_test)], args.out)
    return 0


def show_notation(model: MLP, x: list[float], label: float, out: Path) -> Path:
    """Backprop through one example's loss (y − ℓ)², printed and drawn with the lecture's names; returns the drawing."""
    y = model.outputs(x)[0]
    error = y - label
    loss = error * error  # (y − ℓ)², written as a product: ``** 2`` would also step into the exponent 2
    loss.label = "L"
    names = model.lecture_names(loss)
    stepper = Backprop(loss, names=names)
    print(f"One example in the lecture's names: x⁽¹⁾ = ({', '.join(f'{v:+.3f}' for v in x)}), ℓ = {label:+.3f}")
    for step in stepper.run_until(y.parents[0]):  # down to the output neuron's weights w₁ₙ⁽³⁾
        print("  " + "\n  ".join(step.lines()))
    model.zero_grad()  # the example only shows the chain rule: training starts from zero gradients
    return render(draw_dot(loss, names=names, collapse=None), out / "feedforward_notation.svg")


def _predict(model: MLP, X: list[list[float]]) -> list[Value]:
    with no_grad():
        return outputs(model, X)


def draw(
    train_curve: list[float],
    test_curve: list[tuple[int, float]],
    targets: list[float],
    before: list[float],
    after: list[float],
    out: Path,
) -> Path:
    """Loss against step (train and test), and predictions against targets on the test set before and after training."""
    figure = new_figure(10, 4)
    left, right = figure.subplots(1, 2)
    left.plot(range(len(train_curve)), train_curve, color="#2563eb", label="training L (start of step)")
    left.plot([s for s, _ in test_curve], [v for _, v in test_curve], color="#dc2626", marker=".", label="test L")
    left.set_yscale("log")
    left.set_xlabel("step")
    left.set_ylabel("L = 1/P Σ (y − ℓ)²  (log scale)")
    left.set_title("Gradient descent, w ← w − α ∂L/∂w")
    left.legend()
    right.scatter(targets, before, s=10, color="#9ca3af", label="untrained")
    right.scatter(targets, after, s=10, color="#16a34a", label="trained")
    lo, hi = min(targets), max(targets)
    right.plot([lo, hi], [lo, hi], color="black", linewidth=0.8)
    right.set_xlabel("target ℓ")
    right.set_ylabel("network output y")
    right.set_title("Test examples it never saw")
    right.legend()
    return save(figure, out, "feedforward.png")


if __name__ == "__main__":
    sys.exit(main())
