"""Teacher mode: check every submission of a folder, in parallel on local processes, and gather the reports.

A submission is a ``.py`` file or a folder (its engine file is found by ``loading.engine_file``).
Each one is checked in a worker process of its own, which runs the engine in a child of its own
with the time and memory limits, so one submission can neither stall nor crash another. The same
``seed`` gives the same grades.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from autograd.checker.check import Budget, check_engine
from autograd.checker.report import Report


def submissions(folder: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """``(name, target)`` for each submission in ``folder``: its ``.py`` files and its folders, sorted by name."""
    root = Path(folder)
    if not root.is_dir():
        raise NotADirectoryError(f"valuegrad check --grade: {root} is not a folder of submissions")
    found = []
    for path in sorted(root.iterdir()):
        if path.name.startswith((".", "_")):
            continue
        if path.is_dir() or path.suffix == ".py":
            found.append((path.stem if path.is_file() else path.name, str(path)))
    return found


def _check_one(target: str, seed: int, budget: dict[str, int], timeout: float, memory_mb: int) -> str:
    return check_engine(target, seed=seed, budget=Budget(**budget), timeout=timeout, memory_mb=memory_mb).to_json()


def grade(
    folder: str | os.PathLike[str],
    *,
    seed: int = 0,
    jobs: int | None = None,
    budget: Budget | None = None,
    timeout: float = 2.0,
    memory_mb: int = 1024,
) -> list[tuple[str, Report]]:
    """Check every submission in ``folder`` with ``jobs`` worker processes (default: one per core); ``(name, report)`` each.

    >>> import pathlib, shutil, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = shutil.copy("tests/engines/bug_assign_add.py", folder / "ada.py")
    >>> [(name, report.passed) for name, report in grade(folder, budget=Budget(5, 5, 5, 200), jobs=1)]
    [('ada', False)]
    """
    found = submissions(folder)
    settings = asdict(budget or Budget())
    workers = max(1, min(jobs or os.cpu_count() or 1, len(found) or 1))
    with ProcessPoolExecutor(workers) as pool:
        texts = list(pool.map(_check_one, [t for _, t in found], *zip(*[(seed, settings, timeout, memory_mb)] * len(found))))
    return [(name, Report.from_json(text)) for (name, _), text in zip(found, texts)]
