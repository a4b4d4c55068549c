"""Tests for ``nn.diagnose``: gradient norms and dead units per layer, the findings, and fit's use of the same code."""

from __future__ import annotations

import math
import warnings
from typing import Any

import matplotlib

matplotlib.use("Agg")

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, vsum
from nn.diagnose import DiagnosisWarning, diagnose, find_layers
from nn.losses import mse
from nn.module import MLP
from nn.optim import SGD
from nn.train import fit

# The four points and targets of the micrograd lecture's training loop.
XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]
#: The lecture's step size for gradient descent on the summed squared error (measured: 20 of 20 seeds train).
LECTURE_LR = 0.05


def sse(outputs: list[Any], targets: list[Any]) -> Value:
    """The lecture's loss: the sum (not the mean) of squared errors."""
    return vsum([(o - t) ** 2 for o, t in zip(outputs, targets)])


def weights(model: MLP) -> list[float]:
    return [p.data for p in model.parameters()]


def lecture_loop(model: MLP, steps: int) -> float:
    """The lecture's loop written out: forward, summed squared error, zero grads, backward, p -= lr * grad."""
    for _ in range(steps):
        loss = sse([model(x) for x in XS], YS)
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        for p in model.parameters():
            p.data -= LECTURE_LR * float(p.grad)
    return sse([model(x) for x in XS], YS).data


# ----------------------------------------------------------------------- the lecture's network


def test_the_lecture_loop_trains_the_tanh_network_for_every_seed() -> None:
    """MLP(3, [4, 4, 1], activation='tanh') reaches loss < 0.1 within 20 gradient steps for 20 seeds of 20."""
    final = [lecture_loop(MLP(3, [4, 4, 1], activation="tanh", seed=seed), 20) for seed in range(20)]
    assert all(loss < 0.1 for loss in final), final


def test_fit_with_the_lecture_loss_takes_the_lecture_loop_steps() -> None:
    """fit with the summed squared error and SGD(lr) leaves the weights of the hand-written loop, without a warning."""
    for seed in range(5):
        by_hand, by_fit = MLP(3, [4, 4, 1], activation="tanh", seed=seed), MLP(3, [4, 4, 1], activation="tanh", seed=seed)
        lecture_loop(by_hand, 20)
        with warnings.catch_warnings():
            warnings.simplefilter("error", DiagnosisWarning)
            history = fit(by_fit, sse, XS, YS, optimizer=SGD(by_fit.parameters(), lr=LECTURE_LR), steps=20, progress=False)
        assert weights(by_fit) == weights(by_hand)
        assert history.findings == []


# --------------------------------------------------------------------------- dead networks


def dead_relu_model() -> MLP:
    """The default (ReLU) MLP(3, [4, 4, 1]) of seed 8: its second layer is dead on the lecture's points from the start."""
    return MLP(3, [4, 4, 1], seed=8)


def test_fit_warns_once_about_a_dead_relu_network() -> None:
    """The lecture loop on a ReLU network that dies warns once, naming the layer, the norms and the remedies."""
    model = dead_relu_model()
    with pytest.warns(DiagnosisWarning) as caught:
        history = fit(model, sse, XS, YS, optimizer=SGD(model.parameters(), lr=LECTURE_LR), steps=60, progress=False)
    assert history.train_loss[-1] == 4.0  # stuck: the output is a constant 0, the loss Σ y²
    messages = [str(w.message) for w in caught if issubclass(w.category, DiagnosisWarning)]
    assert len(messages) == 1
    assert caught[0].filename == __file__  # the warning points at the caller's fit(...) line
    message = messages[0]
    assert "dead layer layers.1" in message and "all 4 ReLU units output 0" in message
    assert "mean gradient norms by layer over epoch 1's steps: layers.0 0, layers.1 0," in message
    assert "tanh" in message and "init='he'" in message and "smaller learning rate" in message
    assert [(f.kind, f.layer, f.epoch) for f in history.findings] == [("dead", "layers.1", 1)]


def test_a_network_dying_during_training_is_reported_when_it_dies() -> None:
    """Seed 4's ReLU network is alive at first and dies during training: fit reports it after the epoch it died in."""
    model = MLP(3, [4, 4, 1], seed=4)
    assert diagnose(model, XS, YS).healthy
    with pytest.warns(DiagnosisWarning, match="dead layer layers.1"):
        history = fit(model, sse, XS, YS, optimizer=SGD(model.parameters(), lr=LECTURE_LR), steps=20, progress=False)
    [finding] = history.findings
    assert finding.kind == "dead" and finding.epoch is not None and 1 < finding.epoch <= 20
    assert diagnose(model, XS, YS).dead_fraction["layers.1"] == 1.0


@pytest.mark.parametrize("layer", [0, 1])
def test_negative_biases_kill_a_layer_and_diagnose_says_which(layer: int) -> None:
    """Biases of -100 make every unit of a layer output 0; diagnose finds that layer dead and no other problem."""
    model = MLP(3, [4, 4, 1], seed=0)
    for neuron in model.layers[1].neurons:
        neuron.b.data = 0.5  # alive on any input, also on the zeros of a dead first layer
    for neuron in model.layers[layer].neurons:
        neuron.b.data = -100.0
    report = diagnose(model, XS, YS)
    assert [(f.kind, f.layer) for f in report.findings] == [("dead", f"layers.{layer}")]
    assert report.dead_fraction[f"layers.{layer}"] == 1.0
    # No gradient reaches the dead layer or anything before it.
    assert all(report.grad_norms[f"layers.{k}"] == 0.0 for k in range(layer + 1))
    assert "dead layer" in str(report)


def test_healthy_networks_give_no_finding() -> None:
    """The lecture's tanh network and live ReLU networks are healthy, before and after training."""
    for seed in range(20):
        model = MLP(3, [4, 4, 1], activation="tanh", seed=seed)
        assert diagnose(model, XS, YS).findings == ()
    assert diagnose(MLP(3, [4, 4, 1], seed=4), XS, YS).healthy
    assert "no dead layer" in str(diagnose(MLP(3, [4, 4, 1], seed=4), XS, YS))


# ---------------------------------------------------------------------- what is measured


@given(seed=st.integers(0, 2**16), widths=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       activation=st.sampled_from(["relu", "tanh", "sigmoid"]))
def test_grad_norms_are_the_norms_of_each_layers_gradients(seed: int, widths: list[int], activation: Any) -> None:
    """grad_norms[layer] is √Σ grad² over the layer's weights and biases after backward of the mse; nothing is left changed."""
    model = MLP(3, [*widths, 1], activation=activation, seed=seed)
    for p in model.parameters():
        p.grad = 7.0  # a user's own gradients, which diagnose must leave alone
    before = weights(model)
    report = diagnose(model, XS, YS)
    assert weights(model) == before and all(p.grad == 7.0 for p in model.parameters())

    model.zero_grad()
    mse([model.outputs(x)[0] for x in XS], YS).backward()
    for k, layer in enumerate(model.layers):
        expected = math.sqrt(sum(p.grad**2 for p in layer.parameters()))
        assert report.grad_norms[f"layers.{k}"] == pytest.approx(expected, rel=1e-12, abs=1e-300)


@given(seed=st.integers(0, 2**16), bias=st.floats(-3.0, 1.0))
def test_dead_fraction_counts_units_that_output_zero_on_every_example(seed: int, bias: float) -> None:
    """A unit counts as dead exactly when its ReLU outputs 0 for every example of the batch."""
    model = MLP(3, [5, 5, 1], seed=seed)
    for neuron in model.layers[0].neurons + model.layers[1].neurons:
        neuron.b.data = bias
    report = diagnose(model, XS, YS)
    for k in (0, 1):
        outputs_per_unit: list[list[float]] = [[] for _ in range(5)]
        for x in XS:
            h: list[Any] = list(x)
            for j in range(k + 1):
                h = [n(h) for n in model.layers[j].neurons]
            for i, v in enumerate(h):
                outputs_per_unit[i].append(v.data)
        dead = sum(all(v == 0.0 for v in values) for values in outputs_per_unit)
        assert report.dead_fraction[f"layers.{k}"] == dead / 5
    assert report.dead_fraction["layers.2"] == 0.0  # a linear output layer cannot die


def test_deep_sigmoid_networks_have_vanishing_gradients() -> None:
    """A deep narrow sigmoid network's first layer gets a gradient < 1e-4 of the largest: found, named, with remedies."""
    model = MLP(1, [3] * 10 + [1], activation="sigmoid", seed=0)
    report = diagnose(model, [[0.5], [-0.5]], [1.0, 0.0])
    vanishing = [f for f in report.findings if f.kind == "vanishing"]
    assert vanishing and vanishing[0].layer == "layers.0"
    ratio = report.grad_norms["layers.0"] / max(report.grad_norms.values())
    assert ratio < 1e-4 and f"{ratio:.1e}" in vanishing[0].message
    assert "instead of sigmoid" in vanishing[0].message


def test_large_weights_give_exploding_gradients() -> None:
    """Weights of ±10 in a deep linear network give gradient norms above 1e3: found, with a smaller learning rate advised."""
    model = MLP(2, [4, 4, 4, 1], activation="linear", seed=0)
    for p in model.parameters():
        p.data *= 10.0
    report = diagnose(model, [[1.0, 1.0]], [0.0])
    exploding = [f for f in report.findings if f.kind == "exploding"]
    assert exploding and all(report.grad_norms[f.layer] > 1e3 for f in exploding)
    assert "smaller learning rate" in exploding[0].message


def test_diagnose_without_targets_measures_the_outputs_gradient() -> None:
    """With y=None the objective is the mean summed output, so a linear neuron's bias gradient is 1."""
    from nn.module import Neuron

    neuron = Neuron(3, activation="linear", seed=0)
    report = diagnose(neuron, XS)
    expected = math.sqrt(sum(sum(x[j] for x in XS) ** 2 / 16 for j in range(3)) + 1.0)
    assert report.grad_norms == {"neuron": pytest.approx(expected)}


def test_diagnose_refuses_what_it_cannot_measure() -> None:
    """An empty batch, mismatched targets and a model without layers are refused with errors saying which."""
    model = MLP(3, [2, 1], seed=0)
    with pytest.raises(ValueError, match="X is empty"):
        diagnose(model, [])
    with pytest.raises(ValueError, match="4 inputs but 1 targets"):
        diagnose(model, XS, [1.0])
    with pytest.raises(TypeError, match="cannot find the layers of function"):
        diagnose(lambda x: Value(0.0), XS)
    assert find_layers(lambda x: Value(0.0)) is None


# --------------------------------------------------------------------------- fit's records


def test_record_gradients_uses_the_same_measurement_as_diagnose() -> None:
    """Full batch, epoch k's recorded norms are diagnose()'s norms on the weights after k-1 steps (l2 = 0)."""
    model = MLP(3, [4, 4, 1], seed=4)
    expected = []
    for k in range(3):
        replay = MLP(3, [4, 4, 1], seed=4)
        fit(replay, "mse", XS, YS, optimizer=SGD(replay.parameters(), lr=0.05), epochs=k, progress=False)
        expected.append(diagnose(replay, XS, YS, "mse"))
    history = fit(model, "mse", XS, YS, optimizer=SGD(model.parameters(), lr=0.05), epochs=3, record_gradients=True,
                  progress=False)
    assert list(history.grad_norms) == ["layers.0", "layers.1", "layers.2"]
    for name, norms in history.grad_norms.items():
        assert norms == pytest.approx([d.grad_norms[name] for d in expected], rel=1e-12)
    assert all(len(fractions) == 3 for fractions in history.dead_fraction.values())


def test_recorded_dead_fractions_follow_a_dying_network() -> None:
    """A network dying during training shows its dead fraction reaching 1 in the record, after the epoch it died."""
    model = MLP(3, [4, 4, 1], seed=4)
    with pytest.warns(DiagnosisWarning):
        history = fit(model, sse, XS, YS, optimizer=SGD(model.parameters(), lr=LECTURE_LR), epochs=20,
                      record_gradients=True, progress=False)
    dead = history.dead_fraction["layers.1"]
    assert dead[0] < 1.0 and dead[-1] == 1.0
    died = dead.index(1.0) + 1
    assert history.findings[0].epoch == died
    assert history.grad_norms["layers.0"][-1] == 0.0


def test_record_gradients_needs_layers() -> None:
    """record_gradients=True on a model whose layers cannot be found says what it needs, before training."""
    inner = MLP(2, [1], seed=0)

    class Wrapped:
        def __call__(self, x: Any) -> Any:
            return inner(x)

        def parameters(self) -> list[Value]:
            return inner.parameters()

    with pytest.raises(TypeError, match=r"needs \.layers"):
        fit(Wrapped(), "mse", [[0.0, 1.0]], [1.0], optimizer=SGD(inner.parameters(), lr=0.1), epochs=1,
            record_gradients=True, progress=False)
    # Without recording, such a model trains without a diagnosis.
    fit(Wrapped(), "mse", [[0.0, 1.0]], [1.0], optimizer=SGD(inner.parameters(), lr=0.1), epochs=1, progress=False)


def test_plot_gradients_draws_one_line_per_layer() -> None:
    """plot_gradients draws each layer's recorded norms on a log axis, and dead fractions when a layer dies."""
    model = MLP(3, [4, 4, 1], seed=4)
    with pytest.warns(DiagnosisWarning):
        history = fit(model, sse, XS, YS, optimizer=SGD(model.parameters(), lr=LECTURE_LR), epochs=20,
                      record_gradients=True, progress=False)
    plot = history.plot_gradients()
    norms_drawn = {line.get_label().split(" (")[0]: [0.0 if math.isnan(v) else v for v in line.get_ydata()]
                   for line in plot.get_lines() if not line.get_label().startswith("_")}  # fmt: skip
    assert norms_drawn == {f"{name} grad norm": norms for name, norms in history.grad_norms.items()}
    assert math.isnan(plot.get_lines()[0].get_ydata()[-1])  # the dead network's first layer: its line ends...
    dead = [name for name, norms in history.grad_norms.items() if 0.0 in norms]
    marks = {line.get_label(): list(line.get_xdata()) for line in plot.get_lines() if line.get_label().startswith("_")}
    # ...and is marked from the epoch its norm became exactly 0, with the legend saying so
    assert dead and marks == {f"_{n} dead": [e for e, v in zip(history.epochs, history.grad_norms[n]) if v == 0.0] for n in dead}
    assert all(any("(dead from epoch" in line.get_label() for line in plot.get_lines()) for _ in dead)
    assert plot.get_yscale() == "log"
    twin = [other for other in plot.figure.axes if other is not plot.ax]
    assert twin and {line.get_label() for line in twin[0].get_lines()} == {f"{n} dead" for n in history.dead_fraction}
    with pytest.raises(ValueError, match="record_gradients=True"), pytest.warns(DiagnosisWarning):
        fit(model, sse, XS, YS, optimizer=SGD(model.parameters(), lr=0.0), epochs=1, progress=False).plot_gradients()


def test_nn_diagnose_is_the_one_call() -> None:
    """``nn.diagnose(model, X, y)`` is the diagnosis; its classes stay importable from the module of that name."""
    import nn
    from nn.diagnose import Diagnosis

    assert nn.diagnose is diagnose
    assert isinstance(nn.diagnose(MLP(3, [4, 1], seed=0), XS, YS), Diagnosis)


@pytest.mark.parametrize("size", [None, 2])
def test_compiled_fit_records_the_eager_gradient_norms(size: int | None) -> None:
    """fit(compile=True, record_gradients=True) records the gradient norms and dead fractions eager training records."""
    histories = []
    for flag in (False, True):
        model = MLP(3, [4, 4, 1], seed=4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DiagnosisWarning)
            histories.append(fit(model, "mse", XS, YS, optimizer=SGD(model.parameters(), lr=0.05), epochs=4,
                                 batch_size=size, record_gradients=True, progress=False, compile=flag))
    eager, compiled = histories
    for name, norms in eager.grad_norms.items():
        assert compiled.grad_norms[name] == pytest.approx(norms, rel=1e-12, abs=1e-15)
    assert compiled.dead_fraction == eager.dead_fraction


def test_a_dead_layer_is_found_under_l2_too() -> None:
    """With an L2 penalty a dead layer's gradients are not zero (2·l2·w), yet fit still finds it: the penalty is taken out."""
    model = dead_relu_model()
    with pytest.warns(DiagnosisWarning, match="dead layer layers.1"):
        history = fit(model, sse, XS, YS, optimizer=SGD(model.parameters(), lr=LECTURE_LR), steps=5, l2=1e-3,
                      record_gradients=True, progress=False)
    assert history.grad_norms["layers.1"][0] < 1e-12 and history.findings[0].epoch == 1


def test_diagnose_and_evaluate_take_numpy_arrays() -> None:
    """numpy inputs and targets give diagnose and evaluate the numbers lists give."""
    np = pytest.importorskip("numpy")
    from nn.train import evaluate

    model = MLP(3, [4, 4, 1], seed=4)
    assert diagnose(model, np.array(XS), np.array(YS)) == diagnose(model, XS, YS)
    labels = [1, -1, -1, 1]
    assert evaluate(model, "hinge", np.array(XS, dtype=np.float32), np.array(labels)) == evaluate(
        model, "hinge", np.array(XS, dtype=np.float32).tolist(), labels)
