"""Hyperparameter search done right: choose by validation, test the winner once, run trials anywhere.

The lecture: "we aren't optimizing the number of layers, the learning rate, the number of neurons
in each layer … there is no known theory to optimize these hyperparameters". So we try them. A
``Search`` splits the data into train / validation / test itself and keeps the test split to
itself: trials are trained on train and ranked on validation only, and the one way to touch the
test set is ``final_test()``, which evaluates the winner, once. Calling it again, or searching on
after it, raises ``TestSetUsed``: a test set you choose by is a second validation set, and its
score no longer says how the model does on data it never influenced.

Trials are independent jobs (``run_trial`` on a picklable ``Task``), so they run on local
processes by default and on any ``concurrent.futures.Executor`` you pass — a Dask cluster's
``client.get_executor()``, say. Every trial starts its weights and batch order from the search's
seed, so a search gives the same table on one core, on many, or on a cluster.

>>> from nn.data import make_moons
>>> X, y = make_moons(60, noise=0.1, seed=0, signed=True)
>>> search = Search(X, y, loss="hinge", seed=0)
>>> results = search.grid({"width": [2, 8], "lr": [0.3]}, workers=1, epochs=5)
>>> len(results), results.best.settings["width"] in (2, 8)
(2, True)
"""

from __future__ import annotations

import ast
import multiprocessing
import os
import random
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nn.data import train_test_split
from nn.metrics import LossName, evaluate
from nn.module import MLP
from nn.results import Metric, Results
from nn.space import DEFAULTS, Settings, Space, check_fixed, check_keys, grid, log_uniform, sample, uniform
from nn.trial import Task, TrialResult, build_model, build_optimizer, outputs_for, run_trial


class TestSetUsed(RuntimeError):
    """The test split has been evaluated once already; using it again would turn it into a validation set."""

    __test__ = False  # a name pytest would otherwise try to collect as a test class


@dataclass(frozen=True)
class FinalTest:
    """The one evaluation of the test split: the winning trial and its test loss and accuracy."""

    trial: TrialResult
    test_loss: float
    test_accuracy: float | None
    points: int


# The usual reason a spawned worker dies at once: the script that started the search runs it again
# on import in every worker, and a process may not start processes while it is being imported.
_BROKEN_POOL_HINT = (
    "A spawned worker re-imports the main script; if the script starts the search at import time, put that "
    'under `if __name__ == "__main__":` (as multiprocessing requires), or pass workers=1.'
)


def _unguarded_line() -> int | None:
    """The line of the main script that started this search at import time (outside ``if __name__ == "__main__":``).

    None when the search was started under the guard, from a function called under it, from a
    notebook or REPL, or from anything that is not a script file: only a script's top-level code
    runs again in each spawned worker.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or not path or not os.path.isfile(path):
        return None
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_code.co_name == "<module>" and frame.f_globals is vars(main)):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return None
    line = frame.f_lineno
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    for node in ast.walk(tree):
        guard = isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)
        if guard and any(n.lineno <= line <= (n.end_lineno or n.lineno) for n in node.body):  # type: ignore[attr-defined]
            return None
    return line


def _in_worker_import() -> bool:
    """True while a spawned process is importing the main script (multiprocessing's bootstrapping phase)."""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def _refuse_unguarded_main() -> None:
    """Stop at once, in one line, a script that would start worker processes from its own import."""
    line = _unguarded_line()
    if line is not None:
        script = getattr(sys.modules["__main__"], "__file__", "the script")
        raise SystemExit(
            f"Search: {script}, line {line}, starts the search when the script is imported, and every worker process "
            'imports it again; put the search under `if __name__ == "__main__":` (or pass workers=1)'
        )


def _ignore_sigint() -> None:
    # Worker processes leave Ctrl-C to the search in the main process, which stops every worker it
    # started; otherwise each worker would die mid-trial with a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_workers() -> int:
    """The CPUs this process may use (its affinity mask where the OS has one), at least one.

    >>> default_workers() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS and Windows have no affinity call
        return max(1, os.cpu_count() or 1)


class Search:
    """A hyperparameter search over one data set, split into train / validation / test and kept apart.

    The training and validation splits are public (``X_train``, ``X_val``, …); the test split is
    not: ``final_test()`` evaluates the winner on it, once. ``compile=True`` (the default) trains
    each trial through ``fit(compile=True)``: the same updates as eager, about ten times faster.

    >>> from nn.data import make_moons
    >>> X, y = make_moons(40, noise=0.1, seed=1, signed=True)
    >>> search = Search(X, y, loss="hinge", val_fraction=0.25, test_fraction=0.25, seed=0)
    >>> len(search.X_train), len(search.X_val), search.test_points
    (20, 10, 10)
    """

    def __init__(
        self,
        X: Sequence[Any],
        y: Sequence[Any],
        *,
        loss: LossName = "hinge",
        val_fraction: float = 0.2,
        test_fraction: float = 0.2,
        seed: int = 0,
        metric: Metric | None = None,
        compile: bool = True,
    ) -> None:
        if not (val_fraction > 0.0 and test_fraction > 0.0 and val_fraction + test_fraction < 1.0):
            raise ValueError(
                "Search: val_fraction and test_fraction must be > 0 and leave training data, "
                f"got {val_fraction!r} and {test_fraction!r}"
            )
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"Search: seed must be an int, got {type(seed).__name__}: {seed!r}")
        rng = random.Random(seed)
        X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_fraction, rng)
        X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, val_fraction / (1.0 - test_fraction), rng)
        self.X_train, self.y_train, self.X_val, self.y_val = X_train, y_train, X_val, y_val
        # Name-mangled and without a property: reading the test split takes deliberate effort.
        self.__test = (X_test, y_test)
        self.loss: LossName = loss
        self.seed = seed
        self.compile = compile
        self.metric: Metric = metric or ("val_loss" if loss == "mse" else "val_accuracy")
        #: Every finished trial of every run of this search, in trial order; kept when a run is interrupted.
        self.trials: list[TrialResult] = []
        self._final: FinalTest | None = None

    @property
    def test_points(self) -> int:
        """How many points the test split holds (its size is no secret; its contents are)."""
        return len(self.__test[0])

    @property
    def results(self) -> Results:
        """All trials so far, as a table."""
        return Results(sorted(self.trials, key=lambda t: t.index), self.metric)

    def grid(
        self,
        space: Space,
        *,
        executor: Executor | None = None,
        workers: int | None = None,
        callback: Callable[[TrialResult], None] | None = None,
        **fixed: Any,
    ) -> Results:
        """Run one trial per combination of ``space``'s values; ``fixed`` settings (``epochs=20``) apply to every trial.

        >>> from nn.data import make_moons
        >>> X, y = make_moons(40, seed=0, signed=True)
        >>> [t.settings for t in Search(X, y).grid({"width": [2, 4]}, epochs=2, workers=1).trials]
        [{'width': 2, 'epochs': 2}, {'width': 4, 'epochs': 2}]
        """
        check_fixed(space, fixed, "Search.grid")
        return self.run([{**s, **fixed} for s in grid(space)], executor=executor, workers=workers, callback=callback)

    def random(
        self,
        space: Space,
        n: int,
        *,
        executor: Executor | None = None,
        workers: int | None = None,
        callback: Callable[[TrialResult], None] | None = None,
        **fixed: Any,
    ) -> Results:
        """Run ``n`` trials with settings drawn from ``space`` (lists: uniform choice; ``uniform``/``log_uniform``: ranges).

        >>> from nn.data import make_moons
        >>> X, y = make_moons(40, seed=0, signed=True)
        >>> results = Search(X, y).random({"lr": log_uniform(0.01, 1.0)}, 3, epochs=2, workers=1)
        >>> len(results), all(0.01 <= t.settings["lr"] <= 1.0 for t in results.trials)
        (3, True)
        """
        check_fixed(space, fixed, "Search.random")
        drawn = sample(space, n, random.Random(f"valuegrad.search:{self.seed}:{len(self.trials)}"))
        return self.run([{**s, **fixed} for s in drawn], executor=executor, workers=workers, callback=callback)

    def run(
        self,
        settings: Sequence[Settings],
        *,
        executor: Executor | None = None,
        workers: int | None = None,
        callback: Callable[[TrialResult], None] | None = None,
    ) -> Results:
        """Run a trial for each of ``settings`` and return their results (they also join ``self.trials``).

        With ``executor`` the trials are submitted to it (any ``concurrent.futures.Executor``:
        a ``ProcessPoolExecutor``, Dask's ``client.get_executor()``, …) and it is left running.
        Without one, ``workers=1`` runs them here, one after another, and otherwise a pool of
        ``workers`` processes (default: one per CPU, at most one per trial) is started and shut
        down. ``callback(result)`` runs here as each trial finishes. Ctrl-C stops the search:
        unstarted trials are cancelled, the finished ones are kept and returned.
        """
        if _in_worker_import():
            # A worker re-importing a script whose search is unguarded (missed by the check in the
            # parent, which says why): exit quietly instead of running the whole search once per worker.
            raise SystemExit(1)
        if self._final is not None:
            raise TestSetUsed(
                "Search.run: the test set was already used by final_test(); choosing again after seeing test scores "
                "would make them validation scores. Start a new Search on fresh data."
            )
        if executor is not None and workers is not None:
            raise ValueError("Search.run: give executor= (trials go there) or workers= (a local pool), not both")
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise ValueError(f"Search.run: workers must be an int >= 1, got {workers!r}")
        for s in settings:
            check_keys(s, "Search.run")
        start = len(self.trials) and max(t.index for t in self.trials) + 1
        tasks = [
            Task(start + i, dict(s), self.loss, self.X_train, self.y_train, self.X_val, self.y_val, self.seed, self.compile)
            for i, s in enumerate(settings)
        ]
        done: list[TrialResult] = []

        def finish(result: TrialResult) -> None:
            self.trials.append(result)
            done.append(result)
            if callback is not None:
                callback(result)

        interrupted = False
        if executor is None and (workers == 1 or len(tasks) <= 1):
            try:
                for task in tasks:
                    result = run_trial(task)
                    finish(result)
                    if result.status == "interrupted":  # fit caught a Ctrl-C: the user wants to stop
                        interrupted = True
                        break
            except KeyboardInterrupt:
                interrupted = True
        else:
            interrupted = self._run_on(executor, workers, tasks, finish)
        return Results(sorted(done, key=lambda t: t.index), self.metric, interrupted)

    def _run_on(
        self, executor: Executor | None, workers: int | None, tasks: list[Task], finish: Callable[[TrialResult], None]
    ) -> bool:
        """Submit the tasks, collect results as they complete; True when interrupted."""
        own = executor is None
        if executor is None:
            _refuse_unguarded_main()

            count = min(workers or default_workers(), len(tasks))
            # spawn, not fork: the same behaviour on Linux, macOS and Windows, and no fork of a process with threads.
            pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_sigint)
            executor = pool
        futures: dict[Future[TrialResult], Task] = {executor.submit(run_trial, task): task for task in tasks}
        interrupted = False
        try:
            for future in as_completed(futures):
                task = futures[future]
                try:
                    result = future.result()
                except Exception as error:  # the worker itself died (killed, out of memory): the trial failed
                    message = f"{type(error).__name__}: {error}"
                    if own and isinstance(error, BrokenProcessPool):
                        message += f" {_BROKEN_POOL_HINT}"
                    result = TrialResult(task.index, task.settings, "failed", error=message)
                finish(result)
        except KeyboardInterrupt:
            interrupted = True
            for future in futures:
                future.cancel()
        finally:
            if own:
                if interrupted:
                    _stop_workers(executor)
                executor.shutdown(wait=True, cancel_futures=True)
        return interrupted

    # ----------------------------------------------------------------------------- the winner

    @property
    def best(self) -> TrialResult:
        """The finished trial with the best validation metric, over every run of this search."""
        return self.results.best

    def best_model(self) -> MLP:
        """The winning trial's trained network, rebuilt from its saved weights.

        >>> from nn.data import make_moons
        >>> X, y = make_moons(40, seed=0, signed=True)
        >>> search = Search(X, y)
        >>> _ = search.grid({"width": [3]}, epochs=2, workers=1)
        >>> search.best_model()
        MLP(2, [3, 3, 1], activation='relu', output_activation='linear')
        """
        best = self.best
        model = build_model(best.settings, len(self.X_train[0]), outputs_for(self.loss, self.y_train), self.seed)
        assert best.state is not None  # every finished trial carries its weights
        model.load_state_dict(best.state)
        return model

    def final_test(self) -> FinalTest:
        """Evaluate the winner on the test split: once. A second call (or a search after it) raises ``TestSetUsed``."""
        if self._final is not None:
            used = self._final
            raise TestSetUsed(
                f"Search.final_test: the test set was already used once, for trial #{used.trial.index} "
                f"(test loss {used.test_loss:.4f}); read that result from search.final instead of testing again"
            )
        model = self.best_model()
        X_test, y_test = self.__test
        test_loss, test_accuracy = evaluate(model, self.loss, X_test, y_test)
        self._final = FinalTest(self.best, test_loss, test_accuracy, len(X_test))
        return self._final

    @property
    def final(self) -> FinalTest | None:
        """The result of ``final_test()``, or None before it ran."""
        return self._final


def _stop_workers(executor: Executor) -> None:
    """Terminate the worker processes of a pool we started, so a Ctrl-C does not wait for their trials to end."""
    # ProcessPoolExecutor has no public way to stop running work; its process table is stable
    # across CPython 3.8-3.13 and we only touch pools this module created.
    processes = getattr(executor, "_processes", None) or {}
    for process in list(processes.values()):
        process.terminate()


__all__ = [
    "DEFAULTS",
    "FinalTest",
    "Results",
    "Search",
    "Task",
    "TestSetUsed",
    "TrialResult",
    "build_model",
    "build_optimizer",
    "grid",
    "log_uniform",
    "run_trial",
    "sample",
    "uniform",
]
