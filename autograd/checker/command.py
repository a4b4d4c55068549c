"""``valuegrad check``: check one engine, or grade a folder of submissions.

    valuegrad check path/to/engine.py[:ClassName]      # or a module: micrograd.engine:Value
    valuegrad check engine.py --format junit --out report.xml
    valuegrad check --grade submissions/ --out grades/ # grades.csv, grades.md, grades.html

The exit code is 0 when the engine passes (every submission, with ``--grade``), 1 when it does not,
2 for a usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from autograd.atomic import write_text_atomically
from autograd.checker.check import Budget, check_engine
from autograd.checker.gradebook import write
from autograd.checker.grading import grade

FORMATS = ("text", "markdown", "json", "junit")


def parser() -> argparse.ArgumentParser:
    """The command line of ``valuegrad check``."""
    p = argparse.ArgumentParser(prog="valuegrad check", description="Property-test a scalar autograd engine against valuegrad's.")
    p.add_argument("target", nargs="?", help="engine.py, engine.py:ClassName, package.module:ClassName, or a folder")
    p.add_argument("--grade", metavar="FOLDER", help="grade every submission (file or folder) in FOLDER")
    p.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")
    p.add_argument("--out", help="write the report to this file (--grade: the folder for the tables, default FOLDER)")
    p.add_argument("--seed", type=int, default=0, help="the same seed gives the same report (default 0)")
    p.add_argument("--examples", type=int, default=Budget.operator, help="programs per operator")
    p.add_argument("--programs", type=int, default=Budget.programs, help="random multi-step programs")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds per program before it counts as a hang")
    p.add_argument("--memory", type=int, default=1024, help="memory limit of the engine's process, in MB")
    p.add_argument("--jobs", type=int, default=None, help="--grade: submissions checked at once (default: one per core)")
    return p


def main(argv: Sequence[str]) -> int:
    """Run ``valuegrad check`` with ``argv`` (the words after ``check``); returns the exit code.

    >>> main(["micrograd.engine:Value", "--examples", "3", "--programs", "3", "--format", "json"]) # doctest: +ELLIPSIS
    {...
     "engine": "Value",...
    0
    """
    args = parser().parse_args(list(argv))
    budget = Budget(operator=args.examples, programs=args.programs, repeated=max(1, args.examples))
    if args.grade:
        graded = grade(args.grade, seed=args.seed, jobs=args.jobs, budget=budget, timeout=args.timeout, memory_mb=args.memory)
        paths = write(graded, args.out or args.grade, title=f"Grades: {args.grade}")
        for name, report in graded:
            print(
                f"{name}: {'pass' if report.passed else 'FAIL'} ({len(report.failures)} failing, {len(report.warnings)} warnings)"
            )
        print("wrote " + ", ".join(map(str, paths)))
        return 0 if all(r.passed for _, r in graded) else 1
    if not args.target:
        parser().print_usage(sys.stderr)
        print("valuegrad check: give an engine (engine.py[:ClassName]) or --grade FOLDER", file=sys.stderr)
        return 2
    report = check_engine(args.target, seed=args.seed, budget=budget, timeout=args.timeout, memory_mb=args.memory)
    text = {"text": report.text, "markdown": report.markdown, "json": report.to_json, "junit": report.junit}[args.format]()
    if args.out:
        write_text_atomically(args.out, text if text.endswith("\n") else text + "\n", make_parents=True)
    else:
        print(text)
    return 0 if report.passed else 1
