"""How fast the engine checker is: one correct engine, failing ones, and a class of 50 submissions graded.

    python -m benchmarks.checker            # the figures of docs/checking.md
    python -m benchmarks.checker --quick    # 10 submissions instead of 50

Each figure is wall time, with the CPU time of the checker and of its child processes beside it
(this machine is shared, so wall time is noisy). The targets (issue 22): a correct engine in 30 s
with the default budget, a failing one reporting within 10 s of its first failure, 50 submissions
in 15 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from autograd.checker import check_engine
from autograd.checker.grading import grade

ENGINES = Path(__file__).resolve().parent.parent / "tests" / "engines"


def _cpu() -> float:
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    """Print the figures; returns 0."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.checker")
    parser.add_argument("--quick", action="store_true", help="grade 10 submissions instead of 50")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    print(f"engine checker, default budget, {os.cpu_count()} cores")
    for name in ("correct_closures", "correct_table", "micrograd"):
        target = "micrograd.engine:Value" if name == "micrograd" else str(ENGINES / f"{name}.py")
        cpu, start = _cpu(), time.monotonic()
        report = check_engine(target)
        print(
            f"  correct  {name:24} {'pass' if report.passed else 'FAIL'}  "
            f"{time.monotonic() - start:6.1f} s wall  {_cpu() - cpu:6.1f} s CPU"
        )
    worst = 0.0
    for path in sorted(ENGINES.glob("bug_*.py")):
        cpu, start = _cpu(), time.monotonic()
        report = check_engine(str(path))
        wall = time.monotonic() - start
        after = wall - report.first_failure if report.first_failure is not None else float("nan")
        worst = max(worst, after) if after == after else worst
        print(
            f"  buggy    {path.stem:24} {'pass' if report.passed else 'fail'}  {wall:6.1f} s wall  {_cpu() - cpu:6.1f} s CPU  "
            f"report {after:5.1f} s after the first failure"
        )
    print(f"  slowest report after a first failure: {worst:.1f} s")
    count = 10 if args.quick else 50
    engines = sorted(ENGINES.glob("*.py"))
    with tempfile.TemporaryDirectory() as folder:
        for i in range(count):
            shutil.copy(engines[i % len(engines)], Path(folder) / f"student{i:02d}.py")
        cpu, start = _cpu(), time.monotonic()
        graded = grade(folder, jobs=args.jobs)
        wall = time.monotonic() - start
    failing = sum(not r.passed for _, r in graded)
    print(
        f"  graded {count} submissions ({failing} failing) with {args.jobs} jobs: {wall:6.1f} s wall  {_cpu() - cpu:6.1f} s CPU"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
