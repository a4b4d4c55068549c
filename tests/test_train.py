"""Tests for ``nn.train``: fit equals the hand-written loop, its history, metrics, and clean stops on Ctrl-C."""

from __future__ import annotations

import math
import os
import random
import signal
import sys
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, is_grad_enabled
from nn.data import batches, make_moons, make_spirals, make_xor
from nn.diagnose import DiagnosisWarning
from nn.losses import cross_entropy, hinge, l2, mse
from nn.module import MLP
from nn.optim import SGD, Adam
from nn.train import (
    EarlyStopping,
    History,
    NonFiniteError,
    Output,
    binary_accuracy,
    evaluate,
    fit,
    multiclass_accuracy,
    resolve_loss,
)

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


# Some random tiny networks start with a dead ReLU layer, and fit rightly says so; what this test pins
# is the arithmetic of the loop, which a warning does not change.
@pytest.mark.filterwarnings("ignore::nn.diagnose.DiagnosisWarning")
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
    assert history.val_loss == history.val_accuracy == []


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


def test_validation_metrics_are_measured_after_each_epoch() -> None:
    """val_loss/val_accuracy of the last epoch equal evaluate() on the trained model."""
    X, y = make_moons(20, 0.1, 4, signed=True)
    X_val, y_val = make_moons(15, 0.1, 5, signed=True)
    model = tiny(1, nouts=(8, 1))
    history = fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.2), epochs=4, validation=(X_val, y_val),
                  progress=False)
    assert len(history.val_loss) == len(history.val_accuracy) == 4
    assert (history.val_loss[-1], history.val_accuracy[-1]) == evaluate(model, "hinge", X_val, y_val)


def test_compiled_validation_equals_eager_validation() -> None:
    """With compile=True the validation pass is replayed code, and gives evaluate()'s numbers (to rounding)."""
    X, y = make_moons(20, 0.1, 4, signed=True)
    X_val, y_val = make_moons(15, 0.1, 5, signed=True)
    model = tiny(1, nouts=(8, 1))
    history = fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.2), epochs=3, validation=(X_val, y_val),
                  progress=False, compile=True)
    loss, accuracy = evaluate(model, "hinge", X_val, y_val)
    assert math.isclose(history.val_loss[-1], loss, rel_tol=1e-12) and history.val_accuracy[-1] == accuracy


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
        callbacks=[lambda h: seen.append(h.epoch[-1])])
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
    history = fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.3), epochs=10, callbacks=[stop_after_three],
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
        ({"epochs": 1, "validation": ([[0.0, 0.0]], [1, 1])}, "1 inputs but 2 targets in X_val/y_val"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], message: str) -> None:
    """Contradictory or out-of-range arguments raise ValueError saying which."""
    model = tiny(0)
    with pytest.raises(ValueError, match=message):
        fit(model, "hinge", [[0.0, 0.0]], [1], optimizer=SGD(model.parameters(), lr=0.1), progress=False, **kwargs)


# ------------------------------------------------------------------- validation and early stopping


def test_the_old_validation_names_are_gone() -> None:
    """X_test/y_test (and X_val/y_val keywords) are refused: validation=(X_val, y_val) is the one way."""
    model = tiny(0)
    olds: list[dict[str, Any]] = [{"X_test": [[0.0, 0.0]], "y_test": [1]}, {"X_val": [[0.0, 0.0]], "y_val": [1]}]
    for old in olds:
        with pytest.raises(TypeError, match="unexpected keyword"):
            fit(model, "hinge", [[0.0, 1.0]], [1], optimizer=SGD(model.parameters(), lr=0.1), epochs=1, progress=False,
                **old)
    assert not hasattr(History(), "test_loss")


def test_empty_validation_data_is_refused_before_training() -> None:
    """An empty validation set is refused before the first epoch: no loss computed, no weight moved."""
    model = tiny(0)
    before = weights(model)
    calls = 0

    def counting_hinge(outputs: list[Value], labels: list[int]) -> Value:
        nonlocal calls
        calls += 1
        return hinge(outputs, labels)

    with pytest.raises(ValueError, match="X_val is empty"):
        fit(model, counting_hinge, [[0.0, 1.0]], [1], optimizer=SGD(model.parameters(), lr=0.1), epochs=3,
            progress=False, validation=([], []))
    assert calls == 0 and weights(model) == before


@settings(max_examples=40)  # each example trains up to 15 epochs with validation: a second per ~4 examples
@given(seed=seeds, patience=st.integers(1, 4), min_delta=st.sampled_from([0.0, 1e-3]),
       metric=st.sampled_from(["val_loss", "val_accuracy", "train_loss"]))
def test_early_stopping_stops_after_patience_and_restores_the_best_epoch(
    seed: int, patience: int, min_delta: float, metric: Any
) -> None:
    """Training stops once `patience` epochs failed to beat the best by min_delta; the model gets that epoch's weights."""
    X, y = make_moons(12, 0.3, seed, signed=True)
    X_val, y_val = make_moons(12, 0.3, seed + 1, signed=True)
    model = tiny(seed, nouts=(6, 1))
    snapshots: dict[int, list[float]] = {}
    stopper = EarlyStopping(patience=patience, metric=metric, min_delta=min_delta)
    history = fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.5), epochs=15, validation=(X_val, y_val),
                  callbacks=[lambda h: snapshots.update({h.epochs[-1]: weights(model)}), stopper], progress=False)
    values: list[float] = getattr(history, metric)
    assert history.best_epoch is not None
    best_index = history.epochs.index(history.best_epoch)
    best = values[best_index]
    # The best epoch is the last one that improved on everything before it.
    running: float | None = None
    last_improvement = 0
    for i, value in enumerate(values):
        if stopper.improved(value, running):
            running, last_improvement = value, i
    assert best_index == last_improvement and running == best
    if history.stopped_early:
        assert len(values) - 1 - best_index == patience < 15 - best_index
    else:
        assert len(values) == 15
    assert weights(model) == snapshots[history.best_epoch]


def test_early_stopping_rescues_an_overfitting_network() -> None:
    """A large network on few noisy points: val loss turns up, training stops early, the best epoch's val loss is kept."""
    X, y = make_moons(16, 0.35, 0, signed=True)
    X_val, y_val = make_moons(60, 0.35, 1, signed=True)
    model = MLP(2, [24, 24, 1], seed=0)
    history = fit(model, "hinge", X, y, optimizer=Adam(model.parameters(), lr=0.02), epochs=300, validation=(X_val, y_val),
                  callbacks=[EarlyStopping(patience=20)], progress=False)
    assert history.stopped_early and len(history) < 300
    assert history.best_epoch is not None and history.best_epoch == len(history) - 20
    assert evaluate(model, "hinge", X_val, y_val)[0] == min(history.val_loss) < history.val_loss[-1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patience": 0}, "patience must be"),
        ({"metric": "test_loss"}, "metric must be one of"),
        ({"min_delta": -1.0}, "min_delta must be"),
        ({"min_delta": math.nan}, "min_delta must be"),
    ],
)
def test_early_stopping_refuses_bad_settings(kwargs: dict[str, Any], message: str) -> None:
    """EarlyStopping checks its settings when made, saying which is wrong."""
    with pytest.raises(ValueError, match=message):
        EarlyStopping(**kwargs)


def test_early_stopping_on_validation_needs_validation_data() -> None:
    """Early stopping on val_loss without X_val, or on an accuracy with mse, is refused before training."""
    model = tiny(0)
    with pytest.raises(ValueError, match="needs validation data"):
        fit(model, "hinge", [[0.0, 1.0]], [1], optimizer=SGD(model.parameters(), lr=0.1), epochs=2, progress=False,
            callbacks=[EarlyStopping()])
    with pytest.raises(ValueError, match="needs an accuracy"):
        fit(model, "mse", [[0.0, 1.0]], [1.0], optimizer=SGD(model.parameters(), lr=0.1), epochs=2, progress=False,
            callbacks=[EarlyStopping(metric="train_accuracy")])


# ----------------------------------------------------------------------------- table and plot


def test_table_is_compact_and_marks_the_best_epoch() -> None:
    """str(history) is the table: at most 12 epochs (first, last, best) with '...' for the rest, the best marked *."""
    X, y = make_moons(12, 0.1, 0, signed=True)
    X_val, y_val = make_moons(12, 0.1, 1, signed=True)
    model = tiny(0)
    history = fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=40, validation=(X_val, y_val),
                  progress=False)
    lines = str(history).splitlines()
    assert lines[0].split() == ["epoch", "step", "train", "loss", "train", "acc", "val", "loss", "val", "acc"]
    rows = [line for line in lines[1:] if line.strip() != "..."]
    assert 12 <= len(rows) <= 13 and any(line.strip() == "..." for line in lines)
    epochs_shown = [int(line.split()[0].lstrip("*")) for line in rows]
    assert epochs_shown[:6] == [1, 2, 3, 4, 5, 6] and epochs_shown[-6:] == list(range(35, 41))
    assert history.best_epoch is not None and history.best_epoch in epochs_shown
    [marked] = [line for line in rows if line.split()[0].startswith("*")]
    best = history.best_epoch - 1
    assert marked.split() == [f"*{history.best_epoch}", str(history.step[best]), f"{history.train_loss[best]:.4f}",
                              f"{history.train_accuracy[best]:.1%}", f"{history.val_loss[best]:.4f}",
                              f"{history.val_accuracy[best]:.1%}"]
    assert history.val_loss[best] == min(history.val_loss)


def test_plot_draws_the_learning_curves() -> None:
    """History.plot draws train and val loss (and accuracies on a second axis) with the recorded numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = make_moons(12, 0.1, 0, signed=True)
    X_val, y_val = make_moons(12, 0.1, 1, signed=True)
    model = tiny(0)
    history = fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=5, validation=(X_val, y_val),
                  progress=False)
    ax = history.plot()
    lines = {line.get_label(): list(line.get_ydata()) for a in ax.figure.axes for line in a.get_lines()}
    assert lines["train loss"] == history.train_loss and lines["val loss"] == history.val_loss
    assert lines["train accuracy"] == history.train_accuracy and lines["val accuracy"] == history.val_accuracy
    assert f"best epoch {history.best_epoch}" in lines
    plt.close(ax.figure)


# ----------------------------------------------------------------------------- non-finite values


def test_a_model_with_nan_weights_does_not_train_fine() -> None:
    """All-nan weights: fit stops at step 1 naming a nan parameter; nothing is updated."""
    model = tiny(0)
    for p in model.parameters():
        p.data = math.nan
    X, y = make_moons(6, 0.1, 0, signed=True)
    with pytest.raises(NonFiniteError, match=r"step 1 \(epoch 1\).*parameter 'layers\.0\.neurons\.0\.w\.0' is already nan"):
        fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=3, progress=False)


class InfAtStep(SGD):
    """SGD whose k-th step also sets one parameter to inf, as an overflowing update would."""

    def __init__(self, params: list[Value], lr: float, at_step: int, index: int) -> None:
        super().__init__(params, lr)
        self.at_step, self.index = at_step, index

    def step(self) -> None:
        super().step()
        if self.steps == self.at_step:
            self.params[self.index].data = math.inf


@pytest.mark.parametrize(("at_step", "index"), [(1, 0), (3, 5)])
def test_a_step_that_makes_a_parameter_inf_is_undone_and_named(at_step: int, index: int) -> None:
    """A step leaving a parameter inf: the error names the step and the parameter; the model keeps the step before."""
    X, y = make_moons(6, 0.1, 0, signed=True)
    model, expected = tiny(0), tiny(0)
    name = model.parameters()[index].label
    with pytest.raises(NonFiniteError, match=rf"step {at_step} \(epoch {at_step}\) made parameter '{name}' inf") as caught:
        fit(model, "hinge", X, y, optimizer=InfAtStep(model.parameters(), 0.1, at_step, index), epochs=5, progress=False)
    fit(expected, "hinge", X, y, optimizer=SGD(expected.parameters(), lr=0.1), epochs=at_step - 1, progress=False)
    assert weights(model) == weights(expected)
    assert f"restored to their values before step {at_step}" in str(caught.value)
    assert caught.value.history.steps_done == at_step - 1 and len(caught.value.history) == at_step - 1


def test_a_huge_learning_rate_stops_with_finite_weights() -> None:
    """lr=1e308 no longer reports a loss of 0: fit raises at the first non-finite value, the weights stay finite."""
    X, y = make_moons(6, 0.1, 0, signed=True)
    model = tiny(0)
    with pytest.raises(NonFiniteError, match=r"step \d \(epoch \d\).*parameter 'layers\."):
        fit(model, "mse", X, [5.0 * t for t in y], optimizer=SGD(model.parameters(), lr=1e308), epochs=3, progress=False)
    assert all(math.isfinite(w) for w in weights(model))


def test_divergence_stops_at_the_first_non_finite_step_with_the_history_so_far() -> None:
    """Growing steps diverge: fit stops at the first non-finite value with the parameters of the step before."""
    X, y = make_moons(6, 0.1, 0, signed=True)
    targets = [100.0 * t for t in y]
    model = tiny(0)
    # The schedule multiplies the rate by 1e20 a step, so the gradients explode before anything is
    # non-finite: both runs warn about it, as they should.
    with pytest.warns(DiagnosisWarning, match="exploding gradient"), pytest.raises(NonFiniteError) as caught:
        fit(model, "mse", X, targets, optimizer=SGD(model.parameters(), lr=lambda step: 10.0 ** (step * 20)), epochs=50,
            progress=False)
    history = caught.value.history
    done = history.steps_done
    assert 1 <= done < 50 and f"step {done + 1} " in str(caught.value)
    expected = tiny(0)
    with pytest.warns(DiagnosisWarning, match="exploding gradient"):
        fit(expected, "mse", X, targets, optimizer=SGD(expected.parameters(), lr=lambda step: 10.0 ** (step * 20)),
            steps=done, progress=False)
    assert weights(model) == weights(expected)
    assert all(math.isfinite(w) for w in weights(model))


def test_a_nan_input_is_named() -> None:
    """A nan in the data stops fit at the step that meets it, naming the input."""
    model = tiny(0)
    with pytest.raises(NonFiniteError, match=r"input 1 of this batch holds a non-finite number"):
        fit(model, "hinge", [[0.0, 1.0], [math.nan, 0.0]], [1, -1], optimizer=SGD(model.parameters(), lr=0.1), epochs=2,
            progress=False)


@pytest.mark.parametrize("l2_value", [math.nan, -1.0, math.inf])
def test_bad_l2_is_refused(l2_value: float) -> None:
    """l2 must be a finite number >= 0."""
    model = tiny(0)
    with pytest.raises(ValueError, match="l2 must be"):
        fit(model, "hinge", [[0.0, 1.0]], [1], optimizer=SGD(model.parameters(), lr=0.1), epochs=1, l2=l2_value,
            progress=False)


# ---------------------------------------------------------------------------------- numpy inputs


@pytest.mark.parametrize("compile_", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_numpy_arrays_train_like_lists(compile_: bool, dtype: str) -> None:
    """fit(model, 'hinge', np.array(X), np.array(y)) works, eager and compiled, and takes the list version's steps."""
    np = pytest.importorskip("numpy")
    X, y = make_moons(10, 0.1, 0, signed=True)
    X_np = np.array(X, dtype=dtype)
    from_lists, from_numpy = tiny(0), tiny(0)
    fit(from_lists, "hinge", X_np.tolist(), y, optimizer=SGD(from_lists.parameters(), lr=0.1), epochs=3, progress=False,
        compile=compile_)
    history = fit(from_numpy, "hinge", X_np, np.array(y), optimizer=SGD(from_numpy.parameters(), lr=0.1), epochs=3,
                  validation=(list(X_np), np.array(y)), progress=False, compile=compile_)
    assert weights(from_numpy) == weights(from_lists) and len(history.val_loss) == 3
    rows_of_numbers = [[np.float32(a), np.float32(b)] for a, b in X]
    fit(tiny(0), "hinge", rows_of_numbers, y, optimizer=SGD(tiny(0).parameters(), lr=0.1), epochs=1, progress=False,
        compile=compile_)


def test_empty_training_data_is_refused() -> None:
    """No training examples (a list or an empty array) is refused with a clear error."""
    model = tiny(0)
    with pytest.raises(ValueError, match="X is empty"):
        fit(model, "hinge", [], [], optimizer=SGD(model.parameters(), lr=0.1), epochs=1, progress=False)


def test_progress_is_quiet_when_output_is_not_interactive(capsys: pytest.CaptureFixture[str]) -> None:
    """progress=None (the default) draws nothing when stderr is not a terminal and no notebook is running."""
    X, y = make_moons(6, 0.1, 0, signed=True)
    model = tiny(0)
    fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=2)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_ctrl_c_with_early_stopping_restores_the_best_epoch() -> None:
    """Interrupted during a run with early stopping, fit still gives the model its best epoch's parameters."""
    X, y = make_moons(16, 0.35, 0, signed=True)
    X_val, y_val = make_moons(30, 0.35, 1, signed=True)
    model = MLP(2, [12, 12, 1], seed=0)
    snapshots: dict[int, list[float]] = {}

    def record_then_stop(history: History) -> None:
        snapshots[history.epochs[-1]] = weights(model)
        if history.epochs[-1] == 40:
            raise KeyboardInterrupt

    history = fit(model, "hinge", X, y, optimizer=Adam(model.parameters(), lr=0.02), epochs=300, validation=(X_val, y_val),
                  callbacks=[EarlyStopping(patience=100), record_then_stop], progress=False)
    assert history.interrupted and not history.stopped_early and len(history) == 40
    assert history.best_epoch is not None and history.best_epoch < 40
    assert weights(model) == snapshots[history.best_epoch]


def test_history_and_errors_cross_process_boundaries() -> None:
    """History and NonFiniteError survive pickling (a search runs fit in worker processes), the error with its history."""
    import pickle

    X, y = make_moons(6, 0.1, 0, signed=True)
    model = tiny(0)
    history = fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=2, validation=(X, y),
                  record_gradients=True, progress=False)
    assert pickle.loads(pickle.dumps(history)) == history
    with pytest.raises(NonFiniteError) as caught:
        fit(model, "hinge", X, y, optimizer=InfAtStep(model.parameters(), 0.1, 1, 0), epochs=2, progress=False)
    again = pickle.loads(pickle.dumps(caught.value))
    assert str(again) == str(caught.value) and again.history == caught.value.history


# ------------------------------------------------------------------- all or nothing (issue 20.5)


class InfOnceAtStep(Adam):
    """Adam whose k-th step (the first time only) also sets one parameter to inf, as an overflowing update would."""

    def __init__(self, params: list[Value], lr: float, at_step: int) -> None:
        super().__init__(params, lr)
        self.at_step, self.fired = at_step, False

    def step(self) -> None:
        super().step()
        if self.steps == self.at_step and not self.fired:
            self.fired = True
            self.params[0].data = math.inf


@pytest.mark.parametrize("at_step", [1, 3])
def test_an_undone_step_restores_the_optimizers_state_so_resuming_equals_never_taking_it(at_step: int) -> None:
    """After the undo, step count and Adam's moments are those of k-1 steps, and training on equals a run without it."""
    X, y = make_moons(6, 0.1, 0, signed=True)
    model, expected = tiny(0), tiny(0)
    optimizer = InfOnceAtStep(model.parameters(), 0.05, at_step)
    with pytest.raises(NonFiniteError, match="so is the optimizer's state") as caught:
        fit(model, "hinge", X, y, optimizer=optimizer, epochs=5, progress=False)
    reference = Adam(expected.parameters(), lr=0.05)
    fit(expected, "hinge", X, y, optimizer=reference, epochs=at_step - 1, progress=False)
    assert caught.value.history.steps_done == optimizer.steps == reference.steps == at_step - 1
    assert (optimizer.m, optimizer.v) == (reference.m, reference.v) and weights(model) == weights(expected)
    fit(model, "hinge", X, y, optimizer=optimizer, epochs=3, progress=False)  # resume: the bad step never happened
    fit(expected, "hinge", X, y, optimizer=reference, epochs=3, progress=False)
    assert weights(model) == weights(expected) and optimizer.steps == reference.steps == at_step + 2


def test_an_undone_sgd_step_restores_its_momentum_buffers() -> None:
    """SGD with momentum: the undone first step leaves the buffers unset (None), as before it."""
    X, y = make_moons(6, 0.1, 0, signed=True)
    model = tiny(0)
    optimizer = InfAtStep(model.parameters(), 0.1, 1, 0)
    optimizer.momentum = 0.9
    with pytest.raises(NonFiniteError):
        fit(model, "hinge", X, y, optimizer=optimizer, epochs=2, progress=False)
    assert optimizer.steps == 0 and optimizer.buffers == [None] * len(optimizer.params)


class SignalDuring(list):  # type: ignore[type-arg]
    """A parameter list that, once armed, sends this process a real SIGINT halfway through being iterated (a restore)."""

    armed = False

    def __iter__(self) -> Any:
        for i, item in enumerate(super().__iter__()):
            if self.armed and i == len(self) // 2:
                self.armed = False
                os.kill(os.getpid(), signal.SIGINT)
            yield item


@pytest.mark.skipif(sys.platform == "win32", reason="os.kill(SIGINT) ends the process on Windows")
def test_a_second_ctrl_c_during_the_best_epoch_restore_leaves_all_of_the_best_epoch() -> None:
    """Ctrl-C stops the run, a second one lands mid-restore: the restore completes and fit returns, interrupted."""
    X, y = make_moons(16, 0.35, 0, signed=True)
    X_val, y_val = make_moons(30, 0.35, 1, signed=True)
    model = MLP(2, [12, 12, 1], seed=0)
    snapshots: dict[int, list[float]] = {}

    params = SignalDuring()

    class Stopper(EarlyStopping):
        def on_fit_start(self, state: Any) -> None:
            super().on_fit_start(state)
            params.extend(self._params)
            self._params = params

    def record_then_ctrl_c(history: History) -> None:
        snapshots[history.epochs[-1]] = weights(model)
        if history.epochs[-1] == 30:
            params.armed = True  # the second Ctrl-C comes halfway through the restore
            os.kill(os.getpid(), signal.SIGINT)  # the first Ctrl-C

    history = fit(model, "hinge", X, y, optimizer=Adam(model.parameters(), lr=0.02), epochs=300,
                  validation=(X_val, y_val), callbacks=[Stopper(patience=100), record_then_ctrl_c], progress=False)
    assert history.interrupted and history.best_epoch is not None and history.best_epoch < 30
    assert weights(model) == snapshots[history.best_epoch]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


class SignalInCommit(SGD):
    """SGD that sends itself a real SIGINT after writing the new parameters, before its own state is committed."""

    def _commit(self) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        super()._commit()


@pytest.mark.skipif(sys.platform == "win32", reason="os.kill(SIGINT) ends the process on Windows")
def test_ctrl_c_inside_optimizer_step_outside_fit_applies_the_whole_step() -> None:
    """Optimizer.step() in a hand-written loop: a Ctrl-C during its write-back is raised after all of it, never half."""
    params = [Value(1.0), Value(2.0), Value(3.0)]
    for p in params:
        p.grad = 1.0
    optimizer = SignalInCommit(params, lr=0.5, momentum=0.9)
    with pytest.raises(KeyboardInterrupt):
        optimizer.step()
    assert [p.data for p in params] == [0.5, 1.5, 2.5] and optimizer.steps == 1 and optimizer.buffers == [1.0] * 3
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_numpy_scalars_are_numbers_everywhere() -> None:
    """epochs, steps, batch_size, l2, lr and EarlyStopping's settings accept numpy integers and floats."""
    np = pytest.importorskip("numpy")
    X, y = make_moons(8, 0.1, 0, signed=True)
    model, expected = tiny(0), tiny(0)
    history = fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=np.float32(0.25)), epochs=np.int64(2),
                  batch_size=np.int32(4), l2=np.float64(0.01), progress=False,
                  callbacks=[EarlyStopping(patience=np.int64(3), metric="train_loss", min_delta=np.float64(0.0))])
    fit(expected, "hinge", X, y, optimizer=SGD(expected.parameters(), lr=float(np.float32(0.25))), epochs=2, batch_size=4,
        l2=0.01, progress=False)
    assert len(history) == 2 and history.step == [2, 4] and weights(model) == weights(expected)
    steps = fit(tiny(0), "hinge", X, y, optimizer=SGD(tiny(0).parameters(), lr=0.1), steps=np.uint8(3), progress=False)
    assert steps.steps_done == 3
    with pytest.raises(ValueError, match="epochs must be an int"):
        fit(model, "hinge", X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=np.float64(2.0), progress=False)


class InfAndCtrlC(InfAtStep):
    """The k-th step makes a parameter inf and a real SIGINT arrives before fit can undo it."""

    def step(self) -> None:
        super().step()
        if self.steps == self.at_step:
            os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.skipif(sys.platform == "win32", reason="os.kill(SIGINT) ends the process on Windows")
def test_ctrl_c_during_the_undo_of_a_bad_step_still_undoes_it_and_says_why() -> None:
    """A Ctrl-C landing between a bad step and its undo waits: the step is undone whole and NonFiniteError says so."""
    X, y = make_moons(6, 0.1, 0, signed=True)
    model, expected = tiny(0), tiny(0)
    optimizer = InfAndCtrlC(model.parameters(), 0.1, 2, 0)
    with pytest.raises(NonFiniteError, match="step 2"):
        fit(model, "hinge", X, y, optimizer=optimizer, epochs=5, progress=False)
    fit(expected, "hinge", X, y, optimizer=SGD(expected.parameters(), lr=0.1), epochs=1, progress=False)
    assert weights(model) == weights(expected) and optimizer.steps == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
