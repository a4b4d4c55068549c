"""Tests for ``nn.search``: the spaces, the split, choosing by validation, the single test, executors, interrupts."""

from __future__ import annotations

import math
import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn.data import make_moons
from nn.search import (
    DEFAULTS,
    Results,
    Search,
    TestSetUsed,
    TrialResult,
    grid,
    log_uniform,
    sample,
    uniform,
)
from nn.train import evaluate

X, Y = make_moons(60, noise=0.15, seed=3, signed=True)
SPACE: dict[str, Any] = {"width": [2, 6], "lr": [0.05, 0.5]}


def small_search(seed: int = 0) -> Search:
    """A search on 60 moons points; trials of 4 epochs take a few milliseconds each."""
    return Search(X, Y, loss="hinge", seed=seed)


def numbers(results: Results) -> list[tuple[Any, ...]]:
    """What a trial measured and learned, without its wall-clock time."""
    return [(t.index, t.settings, t.status, t.train_loss, t.val_loss, t.val_accuracy, t.state) for t in results.trials]


# ------------------------------------------------------------------------------------- spaces


def test_grid_is_the_cartesian_product_in_key_order() -> None:
    """grid() lists every combination, the first key varying slowest."""
    assert grid({"layers": [1, 2], "activation": ["relu", "tanh"]}) == [
        {"layers": 1, "activation": "relu"},
        {"layers": 1, "activation": "tanh"},
        {"layers": 2, "activation": "relu"},
        {"layers": 2, "activation": "tanh"},
    ]


def test_grid_rejects_unknown_keys_and_ranges_by_name() -> None:
    """A typo in a hyperparameter's name, or a range in a grid, is an error that names the key."""
    with pytest.raises(ValueError, match="unknown hyperparameter 'widht'"):
        grid({"widht": [2]})
    with pytest.raises(ValueError, match="'lr' is a range"):
        grid({"lr": log_uniform(0.01, 1.0)})
    with pytest.raises(ValueError, match="'lr' is both searched over and fixed"):
        small_search().grid({"lr": [0.1]}, lr=0.2, workers=1)


@given(seed=st.integers(0, 2**32), n=st.integers(1, 20))
def test_random_settings_come_from_the_space_and_repeat_with_the_seed(seed: int, n: int) -> None:
    """sample() draws list values from the list and ranges within their bounds; the same seed gives the same draws."""
    space: dict[str, Any] = {"width": [2, 4, 8], "lr": log_uniform(1e-3, 1.0), "momentum": uniform(0.5, 0.99)}
    drawn = sample(space, n, seed)
    assert len(drawn) == n and drawn == sample(space, n, seed)
    for s in drawn:
        assert s["width"] in (2, 4, 8) and 1e-3 <= s["lr"] <= 1.0 and 0.5 <= s["momentum"] <= 0.99


# ------------------------------------------------------------------------------------- the split


def test_search_splits_train_validation_and_test_apart() -> None:
    """Train, validation and the (private) test split are disjoint and together hold every point once."""
    search = small_search()
    X_test, _ = search._Search__test  # type: ignore[attr-defined]  # the test reaches past the API on purpose
    parts = [search.X_train, search.X_val, X_test]
    assert [len(p) for p in parts] == [36, 12, 12] and search.test_points == 12
    seen = sorted(tuple(p) for part in parts for p in part)
    assert seen == sorted(tuple(p) for p in X)
    assert not hasattr(search, "X_test") and not hasattr(search, "test")


def test_the_split_follows_the_seed() -> None:
    """The same seed splits the same way; another seed splits differently."""
    assert small_search(1).X_val == small_search(1).X_val != small_search(2).X_val


# ------------------------------------------------------------------------------------- choosing and testing


def test_the_winner_is_chosen_by_validation_and_tested_once() -> None:
    """best has the top validation accuracy; final_test() scores best_model() on the test split, and only once."""
    search = small_search()
    results = search.grid(SPACE, workers=1, epochs=4)
    assert len(results) == 4 and all(t.status == "ok" for t in results.trials)
    top = max(t.val_accuracy or 0.0 for t in results.trials)
    assert results.best.val_accuracy == top and search.best == results.best
    final = search.final_test()
    X_test, y_test = search._Search__test  # type: ignore[attr-defined]
    assert (final.test_loss, final.test_accuracy) == evaluate(search.best_model(), "hinge", X_test, y_test)
    assert final.trial == results.best and final.points == 12 and search.final == final
    with pytest.raises(TestSetUsed, match=r"already used once, for trial #\d+"):
        search.final_test()
    with pytest.raises(TestSetUsed, match="Start a new Search"):
        search.grid(SPACE, workers=1, epochs=4)


def test_best_model_has_the_winning_trials_weights() -> None:
    """best_model() rebuilds the winner with the weights it trained: its validation loss is the trial's."""
    search = small_search()
    search.grid(SPACE, workers=1, epochs=4)
    loss, accuracy = evaluate(search.best_model(), "hinge", search.X_val, search.y_val)
    assert (loss, accuracy) == (search.best.val_loss, search.best.val_accuracy)


def test_trials_accumulate_across_runs_with_fresh_numbers() -> None:
    """A second run on the same search numbers its trials after the first and competes for best."""
    search = small_search()
    first = search.grid({"width": [2]}, workers=1, epochs=3)
    second = search.random({"width": [3, 4], "lr": log_uniform(0.01, 1.0)}, 2, workers=1, epochs=3)
    assert [t.index for t in first.trials] == [0] and [t.index for t in second.trials] == [1, 2]
    assert len(search.results) == 3 and search.best in search.trials


def test_a_failing_trial_becomes_a_row_and_the_others_finish() -> None:
    """A setting that makes training raise gives a 'failed' row with the error; the search goes on without it."""
    search = small_search()
    results = search.grid({"lr": [0.1, -1.0, 0.3]}, workers=1, epochs=3)
    failed = [t for t in results.trials if t.status == "failed"]
    assert len(failed) == 1 and failed[0].settings["lr"] == -1.0
    assert "ValueError" in failed[0].error and "lr must be a finite number >= 0" in failed[0].error
    assert results.best.settings["lr"] != -1.0 and len(results.finished) == 2
    assert results.sorted()[-1] is failed[0]
    assert "failed:" in results.table().splitlines()[-1]


def test_ctrl_c_keeps_the_finished_trials() -> None:
    """A real SIGINT during a serial search stops it: the trials done so far are returned and kept."""
    search = small_search()

    def interrupt_after_two(result: TrialResult) -> None:
        if len(search.trials) == 2:
            os.kill(os.getpid(), signal.SIGINT)

    results = search.grid({"width": [2, 3, 4, 5]}, workers=1, epochs=3, callback=interrupt_after_two)
    assert results.interrupted and len(results) == 2 and [t.index for t in search.trials] == [0, 1]
    assert all(t.status == "ok" and t.state for t in search.trials)


# ------------------------------------------------------------------------------------- the table and the plot


def test_table_sorts_best_first_by_any_column() -> None:
    """The table has one row per trial, best validation first; sorting by a hyperparameter orders by its value."""
    results = small_search().grid(SPACE, workers=1, epochs=4)
    lines = results.table().splitlines()
    assert lines[0].split()[:3] == ["#", "width", "lr"] and len(lines) == 5
    accuracies = [t.val_accuracy or 0.0 for t in results.sorted()]
    assert accuracies == sorted(accuracies, reverse=True)
    assert [t.settings["lr"] for t in results.sorted("lr")] == [0.05, 0.05, 0.5, 0.5]
    assert [t.val_loss for t in results.sorted("val_loss")] == sorted(t.val_loss for t in results.trials)
    assert len(results.table(limit=2).splitlines()) == 3
    with pytest.raises(ValueError, match="unknown column 'speed'"):
        results.sorted("speed")


def test_where_keeps_the_trials_with_a_setting() -> None:
    """where(width=2) keeps exactly the trials that ran with width 2, defaults included."""
    results = small_search().grid(SPACE, workers=1, epochs=2)
    assert {t.settings["width"] for t in results.where(width=2).trials} == {2}
    assert len(results.where(activation=DEFAULTS["activation"])) == 4


def test_plot_draws_the_metric_over_the_grid(tmp_path: Path) -> None:
    """plot() draws a heatmap over the two varied hyperparameters, cells labelled with validation accuracy."""
    results = small_search().grid(SPACE, workers=1, epochs=4)
    ax = results.plot()
    assert ax.get_xlabel() == "width" and ax.get_ylabel() == "lr"
    labels = sorted(text.get_text() for text in ax.texts)
    assert labels == sorted(f"{t.val_accuracy:.0%}" for t in results.trials)
    path = tmp_path / "grid.png"
    ax.figure.savefig(path)
    assert path.read_bytes().startswith(b"\x89PNG")


# ------------------------------------------------------------------------------------- executors


@pytest.fixture(scope="module")
def serial_results() -> Results:
    """The reference: a grid run in this process, one trial after another."""
    return small_search().grid(SPACE, workers=1, epochs=4)


def test_any_executor_gives_the_same_results(serial_results: Results) -> None:
    """A thread pool passed as executor runs the same trials to the same numbers (and stays open for its owner)."""
    with ThreadPoolExecutor(2) as pool:
        results = small_search().grid(SPACE, executor=pool, epochs=4)
        assert pool.submit(math.sqrt, 4.0).result() == 2.0
    assert numbers(results) == numbers(serial_results)


@pytest.mark.slow
def test_local_processes_give_the_same_results(serial_results: Results) -> None:
    """The default: a pool of spawned processes, two here; the table is the serial one."""
    results = small_search().grid(SPACE, workers=2, epochs=4)
    assert numbers(results) == numbers(serial_results) and not results.interrupted


@pytest.mark.slow
def test_interrupting_a_process_pool_keeps_finished_trials() -> None:
    """Ctrl-C while a process pool works: finished trials are kept, the rest cancelled, the workers stopped."""
    search = small_search()

    def interrupt_after_one(result: TrialResult) -> None:
        os.kill(os.getpid(), signal.SIGINT)

    results = search.grid({"width": [2, 3, 4, 5, 6, 7]}, workers=2, epochs=30, callback=interrupt_after_one)
    assert results.interrupted and 1 <= len(results) < 6 and search.trials == results.trials


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    """A real local Dask cluster: two worker processes on loopback, no dashboard."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.mark.slow
def test_a_dask_cluster_runs_the_same_search(dask_client: Any, serial_results: Results) -> None:
    """client.get_executor() runs the trials on the cluster's worker processes with the serial run's results."""
    results = small_search().grid(SPACE, executor=dask_client.get_executor(), epochs=4)
    assert numbers(results) == numbers(serial_results)
    workers = dask_client.run(os.getpid)
    assert len(workers) == 2 and os.getpid() not in workers.values()


@pytest.mark.slow
def test_a_dask_cluster_reports_a_failing_trial(dask_client: Any) -> None:
    """A trial that fails on a Dask worker comes back as a failed row, as it does locally."""
    results = small_search().grid({"optimizer": ["sgd", "rmsprop"]}, executor=dask_client.get_executor(), epochs=2)
    assert [t.status for t in results.trials] == ["ok", "failed"] and "'rmsprop'" in results.trials[1].error


# ------------------------------------------------------------------------------------- other losses and the ranking rule


def test_regression_and_multiclass_searches_rank_by_the_right_metric() -> None:
    """mse ranks by validation loss (no accuracy column values); cross_entropy builds one output per class."""
    from nn.data import make_sine, make_spirals

    X, y = make_sine(40, 0.1, seed=0)
    regression = Search(X, y, loss="mse", seed=0)
    results = regression.grid({"lr": [0.01, 0.1]}, workers=1, epochs=5, activation="tanh")
    assert results.metric == "val_loss" and results.best.val_loss == min(t.val_loss for t in results.trials)
    assert all(t.val_accuracy is None for t in results.trials) and "—" in results.table()
    X3, y3 = make_spirals(45, 0.05, seed=0, classes=3)
    spirals = Search(X3, y3, loss="cross_entropy", seed=0)
    spirals.grid({"width": [4]}, workers=1, epochs=3)
    assert spirals.best_model().nouts[-1] == 3 and spirals.best.val_accuracy is not None


finished_rows = st.builds(
    TrialResult,
    index=st.integers(0, 50),
    settings=st.fixed_dictionaries({"lr": st.sampled_from([0.1, 0.3])}),
    status=st.sampled_from(["ok", "ok", "ok", "failed"]),
    train_loss=st.floats(0, 2),
    train_accuracy=st.floats(0, 1),
    val_loss=st.floats(0, 2) | st.just(math.nan),
    val_accuracy=st.sampled_from([0.5, 0.75, 0.9, 1.0]),
)


@given(rows=st.lists(finished_rows, min_size=1, max_size=12))
def test_ranking_puts_the_best_validation_accuracy_first_and_failures_last(rows: list[TrialResult]) -> None:
    """For any rows: best first, then by validation accuracy; diverged (NaN loss) trials after the rest, failed ones last."""
    results = Results(rows, "val_accuracy")
    ranked = results.sorted()
    ok = [t for t in ranked if t.status == "ok"]
    assert ranked[: len(ok)] == ok and all(t.status == "failed" for t in ranked[len(ok) :])
    for group in ([t for t in ok if math.isfinite(t.val_loss)], [t for t in ok if not math.isfinite(t.val_loss)]):
        accuracies = [t.val_accuracy or 0.0 for t in group]
        assert accuracies == sorted(accuracies, reverse=True)
    finite = [t for t in ok if math.isfinite(t.val_loss)]
    assert ok[: len(finite)] == finite  # diverged trials rank after every trial that did not diverge
    if finite:
        best = results.best
        assert best is ranked[0] and best.val_accuracy == max(t.val_accuracy or 0.0 for t in finite)
        ties = [t for t in finite if t.val_accuracy == best.val_accuracy]
        assert best.val_loss == min(t.val_loss for t in ties)
    else:
        with pytest.raises(ValueError, match=r"no trial finished|non-finite validation loss"):
            _ = results.best


def test_docstring_examples_run() -> None:
    """The runnable examples in the search's modules (space, trial, results, search) print what they say."""
    import doctest

    import nn.results
    import nn.search
    import nn.space
    import nn.trial

    results = [doctest.testmod(m, optionflags=doctest.ELLIPSIS) for m in (nn.search, nn.space, nn.trial, nn.results)]
    assert sum(r.failed for r in results) == 0 and sum(r.attempted for r in results) >= 30


def test_a_search_where_every_trial_diverges_has_no_best() -> None:
    """When every trial's validation loss is infinite or NaN, best raises and says to lower the learning rate."""
    rows = [TrialResult(0, {"lr": 50.0}, "ok", val_loss=math.nan), TrialResult(1, {"lr": 90.0}, "ok", val_loss=math.inf)]
    with pytest.raises(ValueError, match=r"non-finite validation loss.*smaller learning rates"):
        _ = Results(rows, "val_loss").best


def test_save_writes_every_row_as_json_with_nan_as_null(tmp_path: Path) -> None:
    """save() writes rows() best first, NaN losses as null, and replaces an existing file whole."""
    import json

    rows = [
        TrialResult(0, {"lr": 9.0}, "ok", val_loss=math.nan, val_accuracy=0.5),
        TrialResult(1, {"lr": 0.1}, "ok", 0.3, 0.9, 0.4, 0.85, 0.5),
        TrialResult(2, {"lr": -1.0}, "failed", error="ValueError: SGD: lr must be a finite number >= 0, got -1.0"),
    ]
    path = tmp_path / "trials.json"
    path.write_text("an older, longer file " * 100)
    Results(rows, "val_accuracy", interrupted=True).save(path)
    document = json.loads(path.read_text())
    assert document["metric"] == "val_accuracy" and document["interrupted"] is True
    assert [r["index"] for r in document["rows"]] == [1, 0, 2]
    assert document["rows"][1]["val_loss"] is None and document["rows"][2]["error"].startswith("ValueError")
    assert document["rows"][0]["width"] == DEFAULTS["width"] and list(tmp_path.iterdir()) == [path]


def test_a_random_search_repeats_from_its_seed() -> None:
    """Two searches with one seed draw the same settings and measure the same numbers; another seed draws others."""
    space: dict[str, Any] = {"width": [2, 3, 4, 5], "lr": log_uniform(0.01, 1.0), "activation": ["relu", "tanh"]}
    first, again, other = (small_search(seed).random(space, 3, workers=1, epochs=2) for seed in (5, 5, 6))
    assert numbers(first) == numbers(again)
    assert [t.settings for t in first.trials] != [t.settings for t in other.trials]


def test_every_setting_reaches_the_model_or_the_optimizer() -> None:
    """Each hyperparameter changes what a trial builds: the network's shape, activation and init, the optimizer's settings."""
    from nn.optim import SGD, Adam
    from nn.search import build_model, build_optimizer

    model = build_model({"layers": 3, "width": 5, "activation": "tanh", "init": "he"}, nin=2, nout=1, seed=0)
    assert model.nouts == [5, 5, 5, 1] and model.activation == "tanh"
    assert build_model({"init": "he"}, 2, 1, 0).parameters()[0].data != build_model({}, 2, 1, 0).parameters()[0].data
    sgd = build_optimizer({"lr": 0.2, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01}, model.parameters())
    assert isinstance(sgd, SGD) and (sgd.lr, sgd.momentum, sgd.nesterov, sgd.weight_decay) == (0.2, 0.8, True, 0.01)
    adamw = build_optimizer({"optimizer": "adamw", "beta1": 0.8, "beta2": 0.99, "weight_decay": 0.1}, model.parameters())
    assert isinstance(adamw, Adam) and adamw.decoupled and adamw.betas == (0.8, 0.99) and adamw.weight_decay == 0.1
    with pytest.raises(ValueError, match="optimizer must be one of 'sgd', 'adam', 'adamw', got 'rmsprop'"):
        build_optimizer({"optimizer": "rmsprop"}, [])


def test_optimizer_batch_size_epochs_and_l2_are_searchable() -> None:
    """A grid over optimizer, batch size, epochs and l2 runs every combination, and the settings change the results."""
    space: dict[str, Any] = {"optimizer": ["sgd", "adam"], "batch_size": [None, 8], "epochs": [1, 3], "l2": [0.0, 0.01]}
    results = small_search().grid(space, workers=1, lr=0.05)
    assert len(results.finished) == 16
    assert len({(t.val_loss, t.train_loss) for t in results.trials}) == 16


def test_the_table_shows_a_diagnosis_column_only_when_there_are_findings() -> None:
    """Rows with findings get a 'diagnosis' column listing them; a search without findings has no such column."""
    healthy = TrialResult(0, {"lr": 0.1}, "ok", 0.3, 0.9, 0.4, 0.85, 0.5)
    sick = TrialResult(1, {"lr": 1.0}, "ok", 0.6, 0.5, 0.7, 0.5, 0.5, findings=("dead: layers.1", "vanishing: layers.0"))
    assert "diagnosis" not in Results([healthy], "val_accuracy").table()
    lines = Results([healthy, sick], "val_accuracy").table().splitlines()
    assert lines[0].endswith("diagnosis") and lines[-1].endswith("dead: layers.1; vanishing: layers.0")
    assert Results([sick], "val_accuracy").rows()[0]["findings"] == ["dead: layers.1", "vanishing: layers.0"]


def test_a_trial_carries_what_fits_diagnosis_found() -> None:
    """A deep sigmoid network's trial row says its first layers' gradient vanished (where fit diagnoses), quietly."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the finding belongs in the row, not in a warning
        results = small_search().grid({"activation": ["sigmoid"]}, layers=8, width=4, epochs=2, workers=1)
    assert any(f.startswith("vanishing: layers.0") for f in results.trials[0].findings)


def test_workers_and_executor_are_checked_by_name() -> None:
    """executor= and workers= together, or a workers count below one, are errors that say which."""
    with ThreadPoolExecutor(1) as pool, pytest.raises(ValueError, match="not both"):
        small_search().grid(SPACE, executor=pool, workers=2)
    with pytest.raises(ValueError, match="workers must be an int >= 1, got 0"):
        small_search().grid(SPACE, workers=0)


def test_patience_stops_a_trial_early_on_the_validation_loss() -> None:
    """With patience, a long trial stops once validation loss stalls, keeps its best epoch, and the table says how long it ran."""
    search = small_search()
    results = search.grid({"patience": [None, 3]}, workers=1, epochs=300, lr=0.5, optimizer="adam", width=16)
    full, stopped = results.trials
    assert full.epochs_run == 300 and 3 < stopped.epochs_run < 300
    assert stopped.val_loss <= full.val_loss
    assert results.table(by="index").splitlines()[2].split()[-1] == str(stopped.epochs_run)


# ------------------------------------------------------------------------ the __main__ guard (issue 20.6)

_SCRIPT = """\
import sys
sys.path.insert(0, {root!r})
from nn.data import make_moons
from nn.search import Search

X, y = make_moons(40, seed=0, signed=True)
{call}
"""


def _run_script(tmp_path: Path, call: str) -> Any:
    import subprocess
    import sys

    script = tmp_path / "search_script.py"
    script.write_text(_SCRIPT.format(root=str(Path(__file__).resolve().parent.parent), call=call), encoding="utf-8")
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)


@pytest.mark.slow
def test_a_script_without_the_main_guard_fails_fast_in_one_line(tmp_path: Path) -> None:
    """A script that starts a multi-process search at import time exits at once with one line saying to add the guard."""
    done = _run_script(tmp_path, 'results = Search(X, y).grid({"width": [2, 3]}, workers=2, epochs=1)\nprint("finished")')
    assert done.returncode != 0 and "finished" not in done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and 'if __name__ == "__main__":' in lines[0] and "line 7" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_the_same_script_with_the_guard_runs(tmp_path: Path) -> None:
    """Under `if __name__ == "__main__":` the same search runs on worker processes and finishes."""
    call = (
        'if __name__ == "__main__":\n'
        '    results = Search(X, y).grid({"width": [2, 3]}, workers=2, epochs=1)\n'
        "    print(len(results))"
    )
    done = _run_script(tmp_path, call)
    assert done.returncode == 0 and done.stdout.strip() == "2", done.stderr
