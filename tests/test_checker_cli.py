"""valuegrad check: one engine by file or module path, --grade a folder into CSV/Markdown/HTML, and the pytest fixtures."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from demos.cli import main

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ROOT / "tests" / "engines"
QUICK = ["--examples", "6", "--programs", "10"]


def test_check_a_file_exits_1_and_writes_junit(tmp_path: Path) -> None:
    """A buggy engine file: exit code 1 and a JUnit report naming the failing operator."""
    out = tmp_path / "report.xml"
    code = main(["check", f"{ENGINES / 'bug_tanh_input.py'}:Value", *QUICK, "--format", "junit", "--out", str(out)])
    assert code == 1 and 'name="x.tanh()"><failure' in out.read_text()


def test_check_a_module_path_prints_json(capsys: object) -> None:
    """A module path (micrograd.engine:Value) passes: exit code 0 and a JSON report on stdout."""
    code = main(["check", "micrograd.engine:Value", *QUICK, "--format", "json"])
    printed = json.loads(capsys.readouterr().out)  # type: ignore[attr-defined]
    assert code == 0 and printed["engine"] == "Value" and printed["target"] == "micrograd.engine:Value"


def test_check_without_an_engine_is_a_usage_error() -> None:
    """No target and no --grade: exit code 2."""
    assert main(["check"]) == 2


def test_grade_a_folder(tmp_path: Path) -> None:
    """Files and folders are submissions; hostile names and broken code are escaped in the page; same seed, same grades."""
    subs = tmp_path / "subs"
    (subs / "bo").mkdir(parents=True)
    shutil.copy(ENGINES / "correct_closures.py", subs / "bo" / "engine.py")
    shutil.copy(ENGINES / "bug_assign_add.py", subs / "ada.py")
    (subs / "<script>alert(1)<.py").write_text("raise ValueError('<img src=x onerror=alert(2)>')\n")
    out = tmp_path / "grades"
    code = main(["check", "--grade", str(subs), "--out", str(out), *QUICK, "--jobs", "2"])
    assert code == 1
    rows = list(csv.DictReader((out / "grades.csv").open()))
    by_name = {r["submission"]: r for r in rows}
    assert by_name["bo"]["passed"] == "yes" and by_name["ada"]["passed"] == "no"
    assert by_name["ada"]["x + y"].startswith("fail: a = Value(") and by_name["ada"]["x.exp()"] == "pass"
    page = (out / "grades.html").read_text()
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page
    assert "| ada | no |" in (out / "grades.md").read_text()
    first = (out / "grades.csv").read_text()
    main(["check", "--grade", str(subs), "--out", str(out), *QUICK, "--jobs", "1"])
    assert (out / "grades.csv").read_text() == first


COURSE_TEST = """
pytest_plugins = ["autograd.checker.pytest_plugin"]
from autograd.checker import Budget
from autograd.checker.pytest_plugin import assert_engine_passes

def test_good(check_engine):
    report = check_engine({good!r}, budget=Budget(5, 5, 5, 200))
    assert report.passed, report.text()

def test_bad():
    assert_engine_passes({bad!r}, budget=Budget(5, 5, 5, 200))
"""


def test_a_course_suite_uses_the_fixtures(tmp_path: Path) -> None:
    """A course's own pytest run: the good engine passes, the bad one fails with the report as its message."""
    (tmp_path / "conftest.py").write_text(COURSE_TEST.split("from autograd.checker import")[0])
    body = COURSE_TEST.replace('pytest_plugins = ["autograd.checker.pytest_plugin"]\n', "")
    (tmp_path / "test_course.py").write_text(
        body.format(good=str(ENGINES / "correct_closures.py"), bad=str(ENGINES / "bug_exp_input.py"))
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--checker-seed", "3", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert "1 failed, 1 passed" in run.stdout, run.stdout + run.stderr
    assert "exp's _backward multiplies by the input" in run.stdout
