"""Tests for the lecture's lesson demos: ``demos.hyperparameters``, ``overfitting``, ``vanishing`` and ``descent``.

Quick runs check the output and the pictures; the ``slow`` tests run each demo's real
configuration and pin the lesson it claims (the numbers docs/lessons.md quotes).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from demos import descent, hyperparameters, overfitting, vanishing
from demos._lessons import train_with_curves
from nn.module import MLP
from nn.optim import Adam
from nn.search import TestSetUsed
from tests.test_demos import assert_picture

# -------------------------------------------------------------------------------- overfitting


@pytest.mark.slow
def test_overfitting_demo_quick_run_prints_four_rows_and_two_pictures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """demos.overfitting --quick prints one row per network (with its size) and writes the curves and the fits."""
    assert overfitting.main(["--quick", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    for name, shape, params in (("too small", "[1]", 2), ("right-sized", "[3, 1]", 10), ("too large", "[16, 16, 1]", 321)):
        assert re.search(rf"{re.escape(name)} +{re.escape(shape)} +{params} +\d\.\d{{3}}", printed), name
    assert "too large, stopped early" in printed
    assert_picture(tmp_path / "overfitting_curves.png")
    assert_picture(tmp_path / "overfitting_fits.png")


def test_early_stopping_keeps_the_best_epochs_weights() -> None:
    """With patience, training stops `patience` epochs after the best validation loss and ends with that epoch's loss."""
    from nn.data import make_sine

    X, y = make_sine(12, 0.3, seed=1)
    X_val, y_val = make_sine(40, 0.3, seed=2)
    full_model, stopped_model = (MLP(1, [8, 8, 1], activation="tanh", seed=0) for _ in range(2))
    full = train_with_curves(full_model, "mse", X, y, X_val, y_val, optimizer=Adam(full_model.parameters(), lr=0.05), epochs=150)
    stopped = train_with_curves(
        stopped_model, "mse", X, y, X_val, y_val, optimizer=Adam(stopped_model.parameters(), lr=0.05), epochs=150, patience=10
    )
    # The rule, read off the full run: stop at the first epoch 10 epochs past the lowest validation loss so far.
    best = 0
    for e in range(len(full.val_loss)):
        if full.val_loss[e] < full.val_loss[best]:
            best = e
        elif e - best >= 10:
            break
    else:
        raise AssertionError("the data must make the full run overfit for this test to mean anything")
    assert stopped.stopped_early and stopped.best_epoch == full.epochs[best]
    assert stopped.epochs[-1] == stopped.best_epoch + 10 and stopped.val_loss == full.val_loss[: len(stopped.val_loss)]
    from demos._lessons import replayed_loss

    assert replayed_loss(stopped_model, "mse", X_val, y_val)() == full.val_loss[best]


@pytest.mark.slow
def test_overfitting_full_run_shows_the_three_regimes() -> None:
    """The line underfits, MLP(1, [3, 1]) fits well, the large one overfits, and early stopping beats it on test data."""
    (small, right, large, stopped), _, _ = overfitting.run()
    floor = overfitting.NOISE**2
    assert small.curves.train_loss[-1] > 1.5 * floor and small.curves.val_loss[-1] > 1.5 * floor
    assert (
        right.curves.val_loss[-1] <= 1.05 * min(right.curves.val_loss)
        and right.curves.val_loss[-1] < 0.6 * small.curves.val_loss[-1]
    )
    best = large.best
    assert large.curves.val_loss[-1] > 1.3 * large.curves.val_loss[best]
    assert large.curves.train_loss[-1] < 0.5 * large.curves.train_loss[best]  # training loss keeps falling meanwhile
    assert stopped.curves.best_epoch == large.curves.epochs[best] and stopped.curves.stopped_early
    assert stopped.test_loss < 0.75 * large.test_loss
    assert [f.verdict(floor).split(":")[0] for f in (small, right, large)] == ["underfitting", "a good fit", "overfitting"]


# -------------------------------------------------------------------------------- vanishing


@pytest.mark.slow
def test_vanishing_demo_quick_run_prints_every_layer_and_the_ratio(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """demos.vanishing --quick prints eleven gradient norms per network, the measured ratio, and writes two pictures."""
    assert vanishing.main(["--quick", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    for label in ("sigmoid", "tanh", "ReLU", "ReLU + He init"):
        assert re.search(rf"^  {re.escape(label)} +(\d\.\de[+-]\d\d +){{10}}\d\.\de[+-]\d\d$", printed, re.MULTILINE), label
    assert re.search(r"first layer gets \d\.\de-\d\d × the last layer's gradient", printed)
    assert_picture(tmp_path / "vanishing_layers.png")
    assert_picture(tmp_path / "vanishing_training.png")


def test_initial_gradient_norms_are_the_norms_backward_leaves() -> None:
    """The norms at initialization are sqrt(Σ grad²) of each layer after backward() of the MSE; the grads are left alone."""
    from demos._lessons import initial_gradient_norms
    from nn.losses import mse

    model = MLP(2, [3, 3, 1], activation="sigmoid", seed=4)
    X, y = [[0.5, -1.0], [1.0, 2.0]], [1.0, 0.0]
    norms, _ = initial_gradient_norms(model, X, y)
    assert all(p.grad == 0.0 for p in model.parameters())
    mse([model.outputs(x)[0] for x in X], y).backward()
    for layer, norm in zip(model.layers, norms, strict=True):
        assert norm == pytest.approx(sum(p.grad**2 for p in layer.parameters()) ** 0.5, rel=1e-12) and norm > 0.0


@pytest.mark.slow
def test_sigmoids_first_layer_gets_orders_of_magnitude_less_gradient() -> None:
    """In the deep narrow net, sigmoid's layer 1 gets < 1e-3 of layer 11's gradient and learns nothing; the others learn."""
    sigmoid, tanh, relu, he = vanishing.run()
    assert sigmoid.ratio_at_init < 1e-3 and sigmoid.ratio_in_training < 1e-3
    assert all(n.ratio_at_init > 1e-2 for n in (tanh, relu, he)) and 0.1 < he.ratio_at_init < 10.0
    # 0.25 is the MSE of always answering 1/2 on balanced 0/1 labels: the sigmoid net never gets past it.
    assert sigmoid.curves.val_loss[-1] > 0.2 and all(n.curves.val_loss[-1] < 0.1 for n in (tanh, relu, he))


# -------------------------------------------------------------------------------- descent


def test_descent_demo_quick_run_prints_the_solution_and_a_row_per_optimizer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """demos.descent --quick prints a*, b*, the zero gradient there, one row per optimizer, and writes the contour picture."""
    assert descent.main(["--quick", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "solved: a* = 1.343553, b* = -1.641888" in printed
    assert re.search(r"∂L/∂a = -?\d\.\de-1[2-9], ∂L/∂b = -?\d\.\de-1[2-9]", printed)
    for name in ("gradient descent (lr 0.1)", "Momentum (lr 0.02, 0.9)", "Adam (lr 0.1)"):
        assert re.search(rf"{re.escape(name)} +not yet +\d\.\de[+-]\d\d", printed), name
    assert_picture(tmp_path / "descent.png")


@given(seed=st.integers(0, 2**31))
def test_the_normal_equations_give_the_minimum(seed: int) -> None:
    """For any data, backward() finds zero slope at (a*, b*), and every nearby line has a higher loss."""
    line = descent.solve(seed)
    ga, gb = descent.gradient_at(line, line.a, line.b)
    assert abs(ga) < 1e-9 and abs(gb) < 1e-9
    best = line.loss(line.a, line.b)
    for da, db in ((1e-3, 0.0), (-1e-3, 0.0), (0.0, 1e-3), (0.0, -1e-3), (1e-3, -1e-3)):
        assert line.loss(line.a + da, line.b + db) > best


def test_gradient_descent_diverges_just_above_two_over_the_largest_curvature() -> None:
    """The printed stability limit is real: GD with lr 5 % below 2/λmax converges, 5 % above it blows up."""
    from autograd import Value
    from nn.losses import mse
    from nn.optim import SGD

    line = descent.solve()
    limit = 2.0 / line.hessian_eigenvalues()[0]
    distances = []
    for lr in (0.95 * limit, 1.05 * limit):
        a, b = Value(descent.START[0]), Value(descent.START[1])
        optimizer = SGD([a, b], lr=lr)
        for _ in range(150):
            optimizer.zero_grad()
            mse([a * x + b for x in line.x], line.y).backward()
            optimizer.step()
        distances.append(abs(a.data - line.a) + abs(b.data - line.b))
    assert distances[0] < 1.0 < 1e3 < distances[1]


def test_every_optimizer_settles_on_the_exact_minimum() -> None:
    """In 500 steps GD, Momentum and Adam all settle within 0.001 of (a*, b*); Momentum and Adam in fewer steps than GD."""
    line = descent.solve()
    gd, momentum, adam = (w.steps_to_settle(line) for w in descent.descend(line))
    assert gd is not None and momentum is not None and adam is not None
    assert momentum < gd and adam < gd


# -------------------------------------------------------------------------------- hyperparameters

WINNER = re.compile(r"Winner: trial #(\d+): .*\n  validation accuracy (\d+\.\d)%.*\n  test accuracy +(\d+\.\d)% on (\d+) points")


def test_hyperparameters_demo_quick_run_prints_table_winner_and_one_test(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """demos.hyperparameters --quick prints 4 rows best first, the winner (the top row), its test accuracy and a picture."""
    assert hyperparameters.main(["--quick", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    header = next(line for line in printed.splitlines() if line.strip().startswith("#  layers"))
    rows = printed.split(header + "\n")[1].split("Winner")[0].strip("\n").splitlines()
    assert len(rows) == 4
    accuracies = [float(row.split()[-3].rstrip("%")) for row in rows]
    assert accuracies == sorted(accuracies, reverse=True)
    match = WINNER.search(printed)
    assert match is not None and match.group(1) == rows[0].split()[0] and float(match.group(2)) == accuracies[0]
    assert match.group(4) == "60" and "run on this process" in printed
    assert_picture(tmp_path / "hyperparameters.png")


@pytest.mark.slow
def test_hyperparameters_demo_runs_on_a_dask_scheduler(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--dask ADDRESS sends the trials to a real local Dask cluster and prints what the in-process run prints."""
    distributed = pytest.importorskip("distributed")
    assert hyperparameters.main(["--quick", "--out", str(tmp_path / "here")]) == 0
    here = capsys.readouterr().out
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        assert hyperparameters.main(["--quick", "--dask", cluster.scheduler_address, "--out", str(tmp_path / "dask")]) == 0
    there = capsys.readouterr().out
    assert f"run on the Dask cluster at {cluster.scheduler_address}" in there
    figures = re.compile(r"^ +\d+ +1 .*\d%|^Winner.*|^  (?:validation|test) accuracy.*", re.MULTILINE)
    without_time = [re.sub(r"\d+\.\d s$", "", line) for line in figures.findall(there)]
    assert without_time == [re.sub(r"\d+\.\d s$", "", line) for line in figures.findall(here)] and len(without_time) == 7


@pytest.mark.slow
def test_hyperparameters_full_search_picks_the_validation_best_and_tests_it_once() -> None:
    """The 32-trial grid: the winner has the top validation accuracy, scores >= 85 % on the test split, once."""
    s, results = hyperparameters.search()
    assert len(results.finished) == 32
    assert results.best.val_accuracy == max(t.val_accuracy or 0.0 for t in results.trials)
    final = s.final_test()
    assert final.test_accuracy is not None and final.test_accuracy >= 0.85
    with pytest.raises(TestSetUsed):
        s.final_test()


# -------------------------------------------------------------------------------- the guide's figures


def test_every_figure_in_the_guide_is_written_by_a_lesson_demo() -> None:
    """Each images/*.png that docs/lessons.md shows is a file name one of the four demos saves."""
    root = Path(__file__).resolve().parent.parent
    shown = set(re.findall(r"\(images/([\w-]+\.png)\)", (root / "docs" / "lessons.md").read_text()))
    written = set()
    for module in (descent, hyperparameters, overfitting, vanishing):
        written |= set(re.findall(r'"([\w-]+\.png)"', Path(module.__file__ or "").read_text()))
    assert len(shown) == 6 and shown <= written, shown - written


def test_save_writes_into_docs_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--save writes the figure into docs/images/ under the current folder (the repository root, when regenerating)."""
    monkeypatch.chdir(tmp_path)
    assert descent.main(["--quick", "--save"]) == 0
    assert "wrote docs/images/descent.png" in capsys.readouterr().out
    assert_picture(tmp_path / "docs" / "images" / "descent.png")


@pytest.mark.parametrize("name", ["_lessons", "descent", "hyperparameters", "overfitting", "vanishing"])
def test_docstring_examples_run(name: str) -> None:
    """The runnable examples in the lesson demos' docstrings print what they say."""
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"demos.{name}"), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 2


def test_the_adapters_early_stopping_stops_where_fits_does() -> None:
    """train_with_curves(patience=p) keeps the epoch and the weights fit(callbacks=[EarlyStopping(p)]) keeps."""
    from nn.data import make_sine
    from nn.train import EarlyStopping, fit

    X, y = make_sine(12, 0.3, seed=1)
    X_val, y_val = make_sine(40, 0.3, seed=2)
    ours, theirs = (MLP(1, [8, 8, 1], activation="tanh", seed=0) for _ in range(2))
    curves = train_with_curves(
        ours, "mse", X, y, X_val, y_val, optimizer=Adam(ours.parameters(), lr=0.05), epochs=150, patience=10
    )
    history = fit(
        theirs, "mse", X, y, optimizer=Adam(theirs.parameters(), lr=0.05), epochs=150, validation=(X_val, y_val),
        callbacks=[EarlyStopping(patience=10)], progress=False, compile=True,
    )  # fmt: skip
    assert curves.stopped_early and history.stopped_early
    assert curves.best_epoch == history.best_epoch and curves.epochs[-1] == history.epochs[-1]
    assert [p.data for p in ours.parameters()] == pytest.approx([p.data for p in theirs.parameters()], rel=1e-12)
