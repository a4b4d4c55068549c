"""Tests for the training demos (``demos.moons``, ``demos.feedforward``, ``demos.optimizers``), run in-process with --quick.

Each test names its demo, so tests of other demos can live in files of their own.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from demos import feedforward, moons, optimizers

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_picture(path: Path) -> None:
    """A real PNG: the signature, a non-trivial size, and pixels that matplotlib reads back and that are not all one colour."""
    from matplotlib.image import imread

    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), f"{path} is not a PNG"
    assert len(data) > 5_000, f"{path} is only {len(data)} bytes"
    pixels = imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert float(pixels.std()) > 0.01, f"{path} is blank"


# -------------------------------------------------------------------------------------- moons


def test_moons_demo_quick_run_writes_its_pictures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """demos.moons --quick logs micrograd-style steps, reports both accuracies, writes a boundary, a loss curve and a neuron."""
    assert moons.main(["--quick", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "step   0  loss" in printed and "step   4  loss" in printed
    assert re.search(r"training accuracy +\d+\.\d% on 100 points", printed)
    assert re.search(r"test accuracy +\d+\.\d% on 100 fresh points", printed)
    assert_picture(tmp_path / "moons_decision_boundary.png")
    assert_picture(tmp_path / "moons_loss.png")
    svg = (tmp_path / "moons_neuron.svg").read_text()
    assert "<svg" in svg and "layers.0.neurons.0.w.0" in svg and "relu" in svg


def test_moons_demo_compiled_quick_run_trains_as_eager(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """demos.moons --compile --quick prints eager's log and figures (same weights) and writes its pictures."""
    assert moons.main(["--quick", "--out", str(tmp_path / "eager")]) == 0
    eager = capsys.readouterr().out
    assert moons.main(["--quick", "--compile", "--out", str(tmp_path / "compiled")]) == 0
    compiled = capsys.readouterr().out
    assert "compiled: one sample's objective traced once" in compiled
    figures = re.compile(r"step +\d+ .*|(?:training|test) accuracy .*")
    assert figures.findall(compiled) == figures.findall(eager) and figures.findall(eager)
    assert_picture(tmp_path / "compiled" / "moons_decision_boundary.png")


def test_moons_compiled_run_reaches_eager_weights() -> None:
    """run(compile=True) ends with the weights and accuracies of the eager run from the same seed."""
    eager, compiled = moons.run(seed=3, steps=4, test_points=50), moons.run(seed=3, steps=4, test_points=50, compile=True)
    assert [p.data for p in compiled.model.parameters()] == [p.data for p in eager.model.parameters()]
    assert (compiled.train_accuracy, compiled.test_accuracy) == (eager.train_accuracy, eager.test_accuracy)


def test_moons_run_is_reproducible_from_its_seed() -> None:
    """Two runs with the same seed give the same data, weights and history; another seed gives different ones."""
    first, again, other = (moons.run(seed, steps=3, test_points=20) for seed in (3, 3, 4))
    assert (first.X, first.X_test, first.history.train_loss) == (again.X, again.X_test, again.history.train_loss)
    assert [p.data for p in first.model.parameters()] == [p.data for p in again.model.parameters()]
    assert first.X != other.X and first.history.train_loss != other.history.train_loss


def test_moons_run_is_micrograds_configuration() -> None:
    """run() trains MLP(2, [16, 16, 1]) on 100 points with labels ±1 and measures on the requested fresh points."""
    result = moons.run(seed=2, steps=2, test_points=30)
    assert len(result.X) == 100 and set(result.y) == {-1, 1} and len(result.X_test) == 30
    assert len(result.model.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    assert result.history.steps_done == 2 and 0.0 <= result.test_accuracy <= 1.0


# -------------------------------------------------------------------------------- feedforward

UPDATE = re.compile(r"(\S+) ← \1 − α ∂L/∂\1 = ([+-]\d+\.\d+) − ([\d.]+) × \(([+-]\d+\.\d+)\) = ([+-]\d+\.\d+)")


def test_feedforward_demo_prints_the_network_and_true_update_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """demos.feedforward shows 3 → 5 → 1 with its shapes, and each printed update w − α·g is the next step's w."""
    assert feedforward.main(["--quick", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "3 → 5 → 1" in printed and "W⁽²⁾ is 5×3" in printed and "W⁽³⁾ is 1×5" in printed and "26 parameters" in printed
    updates: dict[str, list[tuple[float, float, float, float]]] = {}
    for name, old, lr, grad, new in UPDATE.findall(printed):
        updates.setdefault(name, []).append((float(old), float(lr), float(grad), float(new)))
    assert len(updates) == 4 and all(len(steps) == 4 for steps in updates.values())  # steps 1, 2, 3 and the last (5)
    for steps in updates.values():
        for old, lr, grad, new in steps:
            assert abs(old - lr * grad - new) <= 1.5e-5  # the arithmetic shown, to the printed digits
        for (_, _, _, new), (old, _, _, _) in itertools.pairwise(steps[:3]):
            assert new == old  # step 1's new weight is what step 2 starts from: the printout is the training
    assert re.search(r"Test data it never saw: L = \d\.\d+, \d+\.\d× below", printed)
    assert_picture(tmp_path / "feedforward.png")


def test_feedforward_target_stays_inside_tanh_range() -> None:
    """The target lies strictly inside (-1, 1) over the input cube, so a tanh output can reach it."""
    corners = [[a, b, c] for a in (-1.0, 0.0, 1.0) for b in (-1.0, 0.0, 1.0) for c in (-1.0, 0.0, 1.0)]
    assert all(-1.0 < feedforward.target(x) < 1.0 for x in corners)


# --------------------------------------------------------------------------------- optimizers


def test_optimizers_demo_quick_run_plots_four_curves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """demos.optimizers --quick prints a row per optimizer, GD reaching its own final loss, and writes one plot."""
    assert optimizers.main(["--quick", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    for name in ("GD (full batch)", "SGD (batches of 8)", "Momentum (0.9)", "Adam"):
        assert name in printed
    assert re.search(r"GD \(full batch\) +5 ", printed)
    assert_picture(tmp_path / "optimizers.png")


def test_optimizers_race_starts_everyone_from_the_same_weights() -> None:
    """Every contender's curve starts at the same loss and has one point per step (per epoch for mini-batches)."""
    racers, target = optimizers.race(seed=1, steps=8)
    assert len({r.curve[0] for r in racers}) == 1
    gd, sgd, momentum, adam = racers
    assert [s for s, _ in gd.curve] == list(range(9)) == [s for s, _ in momentum.curve] == [s for s, _ in adam.curve]
    assert [s for s, _ in sgd.curve] == [0, 4, 8]  # 32 points in batches of 8: 4 steps an epoch
    assert gd.steps_to(target) is not None and gd.curve[-1][1] == target


# ------------------------------------------------------------------------------- the demos' figures, in full
# These run the demos' real configurations, so the figures docs/demos.md quotes are pinned by the
# suite, not only by a run someone once made. The slow ones are left out of the fast profile.


def test_moons_full_run_reaches_the_figures() -> None:
    """micrograd's configuration: 100 % training accuracy within 100 steps, >= 95 % on 1,000 fresh points."""
    result = moons.run(steps=100, test_points=1000, compile=True)  # the same weights as eager, bit for bit
    assert result.history.steps_done == 100
    assert result.train_accuracy == 1.0
    assert result.test_accuracy >= 0.95


@pytest.mark.slow
def test_feedforward_full_run_is_ten_times_better_on_unseen_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The 3 → 5 → 1 network's test MSE ends at least 10× below the untrained network's."""
    assert feedforward.main(["--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    match = re.search(r"Test data it never saw: L = ([\d.]+), ([\d.]+)× below the untrained network's ([\d.]+)", printed)
    assert match is not None
    trained, ratio, untrained = (float(g) for g in match.groups())
    assert untrained / trained >= 10.0 and ratio >= 10.0


@pytest.mark.slow
def test_momentum_and_adam_reach_gradient_descents_loss_in_fewer_steps() -> None:
    """On the optimizer demo's problem, Momentum and Adam reach GD's final loss before GD's last step."""
    racers, target = optimizers.race()
    steps = {racer.name.split()[0]: racer.steps_to(target) for racer in racers}
    gd = steps["GD"]
    assert gd is not None
    for name in ("Momentum", "Adam"):
        reached = steps[name]
        assert reached is not None and reached < gd, (name, reached, gd)
