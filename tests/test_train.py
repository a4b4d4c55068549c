"""Tests for ``nn.train``: fit equals the hand-written loop, its history, metrics, and clean stops on Ctrl-C."""

from __future__ import annotations

import random
import signal
import sys
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, is_grad_enabled
from nn.data import batches, make_moons, make_spirals, make_xor
from nn.losses import cross_entropy, hinge, l2, mse
from nn.module import MLP
from nn.optim import SGD, Adam
from nn.train import History, Output, binary_accuracy, evaluate, fit, multiclass_accuracy, resolve_loss

seeds = st.integers(min_value=0, max_value=2**16)


def weights(model: MLP) -> list[float]:
    return [p.data for p in model.parameters()]


def tiny(seed: int, nin: int = 2, nouts: Sequence[int] = (3, 1)) -> MLP:
    return MLP(nin, list(nouts), seed=seed)


def scores(model: MLP, X: list[list[float]]) -> list[Value]:
    return [model.outputs(x)[0] for x in X]


def hand_loop(
    model: MLP, X: list[list[float]], y: list[int], *, lr: float, steps: int, alpha: float, size: int | None, seed: int
) -> None:
    """The loop fit should be: zero grads, forward a batch, hinge + alpha·L2, backward, p ← p − lr·grad."""
    rng = random.Random(seed)
    params = model.parameters()
    done = 0
    while done < steps:
        # A batch that holds all the data is full batch: fit keeps the data's order then.
        groups = [(X, y)] if size is None or size >= len(X) else list(batches(X, y, size, rng))
        for bx, by in groups:
            if done == steps:
                break
            for p in params:
                p.grad = 0.0
            loss = hinge(scores(model, bx), by)
            if alpha:
                loss = loss + alpha * l2(params)
            loss.backward()
            for p in params:
                p.data -= lr * float(p.grad)
            done += 1


# ---------------------------------------------------------------------------------- the loop


@given(seed=seeds, n=st.integers(min_value=2, max_value=12), steps=st.integers(min_value=0, max_value=4),
       alpha=st.sampled_from([0.0, 1e-2]), size=st.sampled_from([None, 1, 3, 5]))
def test_fit_is_the_hand_written_loop(seed: int, n: int, steps: int, alpha: float, size: int | None) -> None:
    """fit with SGD(lr) and steps=k leaves exactly the weights of k hand-written gradient steps (full or mini-batch)."""
    X, y = make_moons(n, 0.1, seed, signed=True)
    expected, model = tiny(seed), tiny(seed)
    hand_loop(expected, X, y, lr=0.05, steps=steps, alpha=alpha, size=size, seed=seed)
    history = fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.05), steps=steps, batch_size=size,
                  l2=alpha, seed=seed, progress=False)
    assert weights(model) == weights(expected)
    assert history.steps_done == steps and not history.interrupted


@given(n=st.integers(min_value=1, max_value=20), size=st.integers(min_value=1, max_value=8), epochs=st.integers(0, 3))
def test_history_has_one_entry_per_epoch_with_cumulative_steps(n: int, size: int, epochs: int) -> None:
    """With epochs=E and mini-batches, history has E entries and ceil(n/size) more steps in each."""
    X, y = make_moons(n, 0.1, 1, signed=True)
    model = tiny(0)
    optimizer = SGD(model.parameters(), lr=0.01)
    history = fit(model, "hinge", X, y, optimizer=optimizer, epochs=epochs, batch_size=size, progress=False)
    per_epoch = -(-n // size)
    assert history.epoch == list(range(1, epochs + 1)) and len(history) == epochs
    assert history.step == [per_epoch * e for e in history.epoch]
    assert len(history.train_loss) == len(history.train_accuracy) == epochs
    assert history.test_loss == history.test_accuracy == []


def test_steps_can_end_inside_an_epoch() -> None:
    """steps=7 with 3 batches an epoch runs 3 epochs, the last of 1 step, and records it."""
    X, y = make_moons(9, 0.1, 1, signed=True)
    model = tiny(0)
    history = fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.01), steps=7, batch_size=3, progress=False)
    assert history.step == [3, 6, 7] and history.steps_done == 7


def test_full_batch_train_loss_is_the_loss_before_each_step() -> None:
    """Full batch, the recorded train loss of epoch k is the data loss at the weights after k-1 steps."""
    X, y = make_moons(12, 0.1, 2, signed=True)
    model = tiny(3)
    history = fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=3, progress=False)
    for k in range(3):
        replay = tiny(3)
        fit(replay, "hinge", X, y, optimizer=SGD(replay.parameters(), lr=0.1), epochs=k, progress=False)
        assert history.train_loss[k] == hinge(scores(replay, X), y).data


def test_test_metrics_are_measured_after_each_epoch() -> None:
    """test_loss/test_accuracy of the last epoch equal evaluate() on the trained model."""
    X, y = make_moons(20, 0.1, 4, signed=True)
    X_test, y_test = make_moons(15, 0.1, 5, signed=True)
    model = tiny(1, nouts=(8, 1))
    history = fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.2), epochs=4, X_test=X_test, y_test=y_test,
                  progress=False)
    assert len(history.test_loss) == len(history.test_accuracy) == 4
    assert (history.test_loss[-1], history.test_accuracy[-1]) == evaluate(model, "hinge", X_test, y_test)


def test_fit_learns_xor() -> None:
    """Adam on mini-batches gets an MLP well past chance on XOR, a problem no linear model solves."""
    X, y = make_xor(60, 0.0, 0)
    model = MLP(2, [8, 1], seed=0)
    history = fit(model, "binary_cross_entropy", X, y, optimizer=Adam(model.parameters(), lr=0.05), epochs=25, batch_size=10,
                  progress=False)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert history.train_accuracy[-1] >= 0.9


def test_cross_entropy_gets_argmax_accuracy() -> None:
    """With cross_entropy the recorded accuracy is the argmax accuracy of the model's class scores."""
    X, y = make_spirals(12, 0.0, 0, classes=3)
    model = MLP(2, [3], seed=0, output_activation="linear")
    history = fit(model, "cross_entropy", X, y, optimizer=SGD(model.parameters(), lr=0.0), epochs=1, progress=False)
    assert history.train_accuracy == [multiclass_accuracy([model(x) for x in X], y)]
    assert history.train_loss == [cross_entropy([model.outputs(x) for x in X], y).data]


def test_mse_records_no_accuracy_and_custom_metrics_are_used() -> None:
    """A regression loss has no accuracy unless one is passed; a passed metric is called on outputs and targets."""
    X, y = [[0.0], [1.0]], [0.0, 1.0]
    model = MLP(1, [2, 1], seed=0)
    plain = fit(model, "mse", X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=2, progress=False)
    assert plain.train_accuracy == []

    def within_half(outputs: Sequence[Output], targets: Sequence[Any]) -> float:
        return sum(isinstance(o, Value) and abs(o.data - float(t)) < 0.5 for o, t in zip(outputs, targets)) / len(targets)

    custom = fit(model, mse, X, y, optimizer=SGD(model.parameters(), lr=0.0), epochs=1, accuracy=within_half, progress=False)
    assert custom.train_accuracy == [within_half([model(x) for x in X], y)]


def test_callback_sees_the_history_after_every_epoch() -> None:
    """callback(history) runs once per epoch with that epoch already recorded."""
    X, y = make_moons(6, 0.1, 0, signed=True)
    model = tiny(0)
    seen: list[int] = []
    fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=3, progress=False,
        callback=lambda h: seen.append(h.epoch[-1]))
    assert seen == [1, 2, 3]


def test_progress_bar_is_shown_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    """progress=True draws a tqdm bar (on stderr) and progress=False draws nothing."""
    X, y = make_moons(6, 0.1, 0, signed=True)
    model = tiny(0)
    fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=2, progress=False)
    assert capsys.readouterr().err == ""
    fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=2, progress=True)
    assert "epoch" in capsys.readouterr().err


# ----------------------------------------------------------------------------------- Ctrl-C


class Stop(Exception):
    pass


@given(seed=seeds, stop_at=st.integers(min_value=1, max_value=5), size=st.sampled_from([None, 2]))
def test_interrupt_in_the_loss_keeps_the_last_completed_step(seed: int, stop_at: int, size: int | None) -> None:
    """A KeyboardInterrupt raised by the loss on its k-th call leaves the weights of a run stopped after k-1 steps."""
    X, y = make_moons(6, 0.1, seed, signed=True)
    calls = 0

    def interrupting_hinge(outputs: list[Value], labels: list[int]) -> Value:
        nonlocal calls
        calls += 1
        if calls == stop_at:
            raise KeyboardInterrupt
        return hinge(outputs, labels)

    model, expected = tiny(seed), tiny(seed)
    history = fit(model, interrupting_hinge, X, y, optimizer=SGD(model.parameters(), lr=0.3), steps=10, batch_size=size,
                  seed=seed, progress=False)
    fit(expected, "hinge", X, y, optimizer=SGD(expected.parameters(), lr=0.3), steps=stop_at - 1, batch_size=size, seed=seed,
        progress=False)
    assert history.interrupted and history.steps_done == stop_at - 1
    assert weights(model) == weights(expected)
    assert len(history.epoch) == len(history.train_loss) == len(history.step)


def test_interrupt_in_the_callback_returns_the_history_so_far() -> None:
    """A KeyboardInterrupt from the callback after epoch 3 returns 3 recorded epochs and the weights of 3 steps."""
    X, y = make_moons(8, 0.1, 0, signed=True)

    def stop_after_three(history: History) -> None:
        if history.epoch[-1] == 3:
            raise KeyboardInterrupt

    model, expected = tiny(5), tiny(5)
    history = fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.3), epochs=10, callback=stop_after_three,
                  progress=False)
    fit(expected, "hinge", X, y, optimizer=SGD(expected.parameters(), lr=0.3), epochs=3, progress=False)
    assert history.interrupted and history.epoch == [1, 2, 3]
    assert weights(model) == weights(expected)


class SigintMidUpdate(SGD):
    """SGD that sends itself a real SIGINT (Ctrl-C) halfway through the parameters of one chosen step."""

    def __init__(self, params: list[Value], lr: float, at_step: int) -> None:
        super().__init__(params, lr)
        self.at_step = at_step

    def _update(self, i: int, x: float, g: float, lr: float) -> float:
        if self.steps + 1 == self.at_step and i == len(self.params) // 2:
            signal.raise_signal(signal.SIGINT)
        return super()._update(i, x, g, lr)


@pytest.mark.skipif(sys.platform == "win32", reason="raise_signal(SIGINT) ends the process on Windows")
@pytest.mark.parametrize("at_step", [1, 3])
def test_ctrl_c_during_an_update_finishes_that_update_first(at_step: int) -> None:
    """A real SIGINT in the middle of step k stops training after step k is complete, never half-applied."""
    X, y = make_moons(8, 0.1, 0, signed=True)
    model, expected = tiny(2), tiny(2)
    history = fit(model, "hinge", X, y, optimizer=SigintMidUpdate(model.parameters(), 0.3, at_step), epochs=10, progress=False)
    fit(expected, "hinge", X, y, optimizer=SGD(expected.parameters(), lr=0.3), epochs=at_step, progress=False)
    assert history.interrupted and history.steps_done == at_step
    assert weights(model) == weights(expected)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.skipif(sys.platform == "win32", reason="raise_signal(SIGINT) ends the process on Windows")
def test_ctrl_c_outside_an_update_stops_at_once() -> None:
    """A real SIGINT during the forward pass of step k stops with the weights of k-1 steps."""
    X, y = make_moons(8, 0.1, 0, signed=True)
    calls = 0

    def ctrl_c_on_third(outputs: list[Value], labels: list[int]) -> Value:
        nonlocal calls
        calls += 1
        if calls == 3:
            signal.raise_signal(signal.SIGINT)
        return hinge(outputs, labels)

    model, expected = tiny(2), tiny(2)
    history = fit(model, ctrl_c_on_third, X, y, optimizer=SGD(model.parameters(), lr=0.3), epochs=10, progress=False)
    fit(expected, "hinge", X, y, optimizer=SGD(expected.parameters(), lr=0.3), epochs=2, progress=False)
    assert history.interrupted and history.steps_done == 2 and weights(model) == weights(expected)


def test_other_errors_propagate() -> None:
    """Only KeyboardInterrupt is turned into an early return; any other error from the loop propagates."""
    X, y = make_moons(4, 0.1, 0, signed=True)
    model = tiny(0)

    def broken(outputs: list[Value], labels: list[int]) -> Value:
        raise Stop

    with pytest.raises(Stop):
        fit(model, broken, X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=1, progress=False)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# --------------------------------------------------------------------------- metrics and errors


@given(scores=st.lists(st.floats(-5, 5), min_size=1, max_size=20), data=st.data())
def test_binary_accuracy_counts_scores_on_the_right_side(scores: list[float], data: st.DataObject) -> None:
    """binary_accuracy is the fraction with score > 0 exactly for positive labels, for ±1 and 0/1 labels alike."""
    signs = data.draw(st.lists(st.sampled_from([-1, 1]), min_size=len(scores), max_size=len(scores)))
    expected = sum((s > 0) == (t == 1) for s, t in zip(scores, signs)) / len(scores)
    outputs: list[Output] = [Value(s) for s in scores]
    assert binary_accuracy(outputs, signs) == expected
    assert binary_accuracy(outputs, [(t + 1) // 2 for t in signs]) == expected


def test_evaluate_records_no_graph() -> None:
    """evaluate leaves gradients untouched and grad recording switched back on."""
    model = tiny(0)
    for p in model.parameters():
        p.grad = 1.5
    X, y = make_moons(5, 0.1, 0, signed=True)
    loss, accuracy = evaluate(model, "hinge", X, y)
    assert loss == hinge(scores(model, X), y).data and accuracy is not None
    assert all(p.grad == 1.5 for p in model.parameters()) and is_grad_enabled()


def test_loss_names_resolve_to_nn_losses() -> None:
    """A loss name picks the function of that name in nn.losses; an unknown name lists the known ones."""
    assert resolve_loss("mse") is mse
    with pytest.raises(ValueError, match="'hinge'"):
        resolve_loss("hinj")  # type: ignore[arg-type]


def _problem(loss: str, n: int, seed: int) -> tuple[list[list[float]], list[Any], MLP]:
    """Data and a small model for ``loss``: ±1 labels (hinge), 0/1 labels (BCE), continuous targets (mse), 3 classes."""
    if loss == "cross_entropy":
        X, labels = make_spirals(n, classes=3, seed=seed)
        return X, labels, tiny(seed, nouts=(4, 3))
    X, y = make_moons(n, 0.1, seed, signed=loss == "hinge")
    if loss == "mse":
        rng = random.Random(seed)
        return X, [rng.uniform(-1, 1) for _ in X], tiny(seed)
    return X, y, tiny(seed)


@given(seed=seeds, steps=st.integers(min_value=1, max_value=4), alpha=st.sampled_from([0.0, 1e-2]),
       size=st.sampled_from([None, 1, 3]), loss=st.sampled_from(["hinge", "mse", "binary_cross_entropy", "cross_entropy"]))
def test_compiled_fit_takes_the_eager_steps(seed: int, steps: int, alpha: float, size: int | None, loss: Any) -> None:
    """compile=True (one traced sample, replayed over each batch) leaves eager training's weights, losses and accuracies."""
    X, y, eager = _problem(loss, 8, seed)
    compiled = _problem(loss, 8, seed)[2]
    kwargs: dict[str, Any] = {"steps": steps, "l2": alpha, "batch_size": size, "seed": seed, "progress": False}
    h1 = fit(eager, loss, X, y, optimizer=SGD(eager.parameters(), lr=0.3), **kwargs)
    h2 = fit(compiled, loss, X, y, optimizer=SGD(compiled.parameters(), lr=0.3), compile=True, **kwargs)
    assert weights(compiled) == pytest.approx(weights(eager), rel=1e-12, abs=1e-12)
    assert h2.train_loss == pytest.approx(h1.train_loss, rel=1e-12, abs=1e-12) and h2.train_accuracy == h1.train_accuracy


def test_compiled_fit_with_the_demo_configuration_is_bit_for_bit() -> None:
    """On micrograd's demo setup (hinge + 1e-4·L2, full batch) the compiled run ends with eager's exact weights."""
    X, y = make_moons(30, 0.1, 5, signed=True)
    eager, compiled = MLP(2, [16, 16, 1], seed=5), MLP(2, [16, 16, 1], seed=5)
    for model, flag in ((eager, False), (compiled, True)):
        fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.5), steps=5, l2=1e-4, progress=False, compile=flag)
    assert weights(compiled) == weights(eager)


def test_compiled_fit_refuses_a_loss_that_is_not_a_mean() -> None:
    """A custom loss that is not the mean of per-sample losses is caught on the first batch, before any update."""
    model = tiny(0)
    before = weights(model)

    def summed(outputs: list[Any], targets: list[Any]) -> Value:
        return hinge(outputs, targets) * len(outputs)

    with pytest.raises(ValueError, match="mean of per-sample losses"):
        fit(model, summed, [[0.0, 0.0], [1.0, 1.0]], [1, -1], optimizer=SGD(model.parameters(), lr=0.1), epochs=1,
            compile=True, progress=False)
    assert weights(model) == before


def test_compiled_fit_raises_when_the_model_branches_on_data() -> None:
    """A model whose graph depends on the input raises StructureChanged instead of training on wrong gradients."""
    from autograd import StructureChanged

    inner = tiny(0)

    class Branchy:
        def __call__(self, x: Any) -> Value:
            score = inner.outputs(x)[0]
            return score * 2.0 if score > 0 else score

        def parameters(self) -> list[Value]:
            return inner.parameters()

    X, y = make_moons(40, 0.1, 0, signed=True)
    with pytest.raises(StructureChanged):
        fit(Branchy(), "hinge", X, y, optimizer=SGD(inner.parameters(), lr=0.1), steps=5, compile=True, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 1, "steps": 1}, "exactly one"),
        ({}, "exactly one"),
        ({"epochs": -1}, "epochs must be"),
        ({"epochs": 1, "batch_size": 0}, "batch_size"),
        ({"epochs": 1, "X_test": [[0.0, 0.0]]}, "X_test and y_test"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], message: str) -> None:
    """Contradictory or out-of-range arguments raise ValueError saying which."""
    model = tiny(0)
    with pytest.raises(ValueError, match=message):
        fit(model, "hinge", [[0.0, 0.0]], [1], optimizer=SGD(model.parameters(), lr=0.1), progress=False, **kwargs)
