"""autograd.checker: the corpus of known answers, micrograd and valuegrad themselves, reproducibility, crashes and limits."""

from __future__ import annotations

import ast
import doctest
import importlib
import json
import pkgutil
from pathlib import Path

import pytest
from hypothesis import given, settings

import autograd
import autograd.checker
from autograd.checker import Budget, check_engine
from autograd.checker.operators import OPERATORS
from autograd.checker.programs import programs
from autograd.checker.reference import expected, simulate
from autograd.testing import check_engine as reexported

ROOT = Path(__file__).resolve().parent.parent
ENGINES = sorted((ROOT / "tests" / "engines").glob("*.py"))
#: Small enough for the suite, big enough for every planted bug (the deep chain must pass ~1000 steps).
SMALL = Budget(operator=12, programs=25, repeated=12, deep=1500)
REFLECTED = ("2 + x", "2 - x", "2 * x", "2 / x")


def planted(path: Path) -> tuple[str, str]:
    """The engine file's PLANTED mistake and BLAMED operator, read without importing it."""
    found = {n.targets[0].id: n.value.value for n in ast.parse(path.read_text()).body if isinstance(n, ast.Assign)}  # type: ignore[attr-defined]
    return str(found["PLANTED"]), str(found["BLAMED"])


def test_the_corpus_is_big_enough() -> None:
    """At least 20 engines, correct ones and ones with a planted bug, each saying which."""
    kinds = [planted(p)[0] for p in ENGINES]
    assert len(ENGINES) >= 20 and kinds.count("") >= 3 and len(set(kinds)) >= 18


#: Engines whose check waits out time limits (a hang costs a whole one): slow.
WAITING = {"bug_pow_loop"}


@pytest.mark.parametrize(
    "path", [pytest.param(p, marks=pytest.mark.slow) if p.stem in WAITING else p for p in ENGINES], ids=lambda p: p.stem
)
def test_corpus_engine(path: Path) -> None:
    """A correct engine passes; a buggy one has a result naming its planted mistake and operator, in at most 3 operations."""
    mistake, blamed = planted(path)
    report = check_engine(str(path), budget=SMALL, timeout=0.5)
    if not mistake:
        assert report.passed, report.text()
        return
    if mistake == "missing-reflected":
        assert report.passed and all(report.result(name).status == "missing" for name in REFLECTED), report.text()
        return
    named = [r for r in report.results if r.mistake == mistake and r.status in ("fail", "warn")]
    assert named, report.text()
    if blamed:
        assert any(r.blamed == blamed for r in named), report.text()
    shown = [r for r in named if r.operations]
    assert not shown or min(r.operations for r in shown) <= 3, report.text()
    assert all(r.code and r.hint for r in named), report.text()


def test_micrograd_passes_with_its_known_limits() -> None:
    """micrograd 0.1.0 passes; its recursion limit, int grads and compounding second backward are warnings."""
    report = check_engine("micrograd.engine:Value", budget=SMALL)
    assert report.passed, report.text()
    assert {r.name for r in report.warnings} == {"deep chain", "float grads", "backward twice"}
    deep = report.result("deep chain")
    assert deep.actual == "RecursionError" and "work" in deep.hint
    assert report.result("x ** y").status == "missing" and report.result("x ** 2").status == "pass"


def test_valuegrad_passes_on_this_engine() -> None:
    """valuegrad's own Value (the C or the pure engine, whichever this run uses) passes with nothing missing."""
    report = reexported(autograd.Value, budget=SMALL)
    assert report.passed and not report.warnings, report.text()
    assert all(r.status == "pass" for r in report.results), report.text()


def test_same_seed_same_report_and_another_seed_runs() -> None:
    """The report is a function of the engine and the seed (the grade is reproducible)."""
    path = str(ROOT / "tests" / "engines" / "bug_assign_mul.py")
    first, second = (check_engine(path, budget=SMALL) for _ in range(2))
    assert first == second and first.to_json().split('"seconds"')[0] == second.to_json().split('"seconds"')[0]
    assert not check_engine(path, budget=SMALL, seed=7).passed


def test_the_student_example_of_the_issue() -> None:
    """`=` for `+=` shows as a pasteable one-liner with expected and actual, the blamed operator and the hint."""
    report = check_engine(str(ROOT / "tests" / "engines" / "bug_assign_add.py"), budget=SMALL)
    add = report.result("x + y")
    assert add.code.startswith("a = Value(") and "b = a + a; b.backward(); a.grad  # expected" in add.code
    assert add.expected == 2 * add.actual and add.blamed == "x + y" and "+=" in add.hint


def test_discovery_by_behaviour(tmp_path: Path) -> None:
    """A tanh called tan_h and data kept in .value are found; the class passes."""
    report = check_engine(str(ROOT / "tests" / "engines" / "correct_table.py"), budget=SMALL)
    assert report.info["data"] == "value" and report.info["ops"]["tanh"] == "tan_h" and report.info["parents"] == "parents"
    assert report.result("x.tanh()").status == "pass" and report.result("x.log()").status == "missing"


ENGINE = """
import os
class Value:
    def __init__(self, data):
        self.data, self.grad, self._prev = float(data), 0.0, ()
    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data)
        out._prev = (self, other)
        return out
    def exp(self):
        {exp}
    def backward(self):
        {backward}
        self.grad = 1.0
        for p in self._prev:
            p.grad += 1.0
"""


def _engine(tmp_path: Path, exp: str = "return self", backward: str = "pass") -> str:
    path = tmp_path / "engine.py"
    path.write_text(ENGINE.format(exp=exp, backward=backward))
    return str(path)


def test_a_crash_is_reported_and_the_check_goes_on(tmp_path: Path) -> None:
    """An engine whose process dies in exp() fails exp with "Crash"; + is still checked (the child restarts)."""
    report = check_engine(_engine(tmp_path, exp="os._exit(3)"), budget=SMALL, ops=["+", "exp"])
    assert report.result("x.exp()").actual == "Crash" and "died" in report.result("x.exp()").code
    assert report.result("x + y").status == "pass"


def test_a_hang_is_reported(tmp_path: Path) -> None:
    """A backward() that never returns is a Hang (the per-program time limit), not a stuck checker."""
    report = check_engine(_engine(tmp_path, backward="while True: pass"), budget=Budget(2, 2, 2, 100), timeout=0.3, ops=["+"])
    assert report.result("x + y").actual == "Hang" and "never returns" in report.result("x + y").hint


def test_the_memory_limit_holds(tmp_path: Path) -> None:
    """An engine that allocates without end meets the child's memory limit: MemoryError, reported."""
    report = check_engine(_engine(tmp_path, backward="x = [0] * 10**10"), budget=Budget(2, 2, 2, 100), memory_mb=300, ops=["+"])
    assert report.result("x + y").actual in ("MemoryError", "Crash")


def test_an_engine_that_cannot_load_is_one_failing_result(tmp_path: Path) -> None:
    """A syntax error is a report with one failing 'load' result that says why, not an exception."""
    path = tmp_path / "broken.py"
    path.write_text("class Value(:\n")
    report = check_engine(str(path))
    assert not report.passed and report.results[0].name == "load" and "SyntaxError" in report.results[0].hint


def test_report_formats() -> None:
    """JSON round-trips; JUnit XML has one case per result with failures and skips; Markdown shows the code."""
    import xml.etree.ElementTree as ET

    report = check_engine(str(ROOT / "tests" / "engines" / "bug_exp_input.py"), budget=SMALL)
    assert type(report).from_json(report.to_json()) == report and json.loads(report.to_json())["engine"] == "Value"
    suite = ET.fromstring(report.junit())
    assert int(suite.get("tests", 0)) == len(report.results) == len(suite.findall("testcase"))
    assert suite.get("failures") == "1" and suite.find("testcase/failure") is not None
    assert len(suite.findall("testcase/skipped")) == sum(r.status == "missing" for r in report.results)
    assert "```python\na = Value(" in report.markdown() and "FAIL: x.exp()" in report.text()


@settings(max_examples=40, deadline=None)
@given(programs(["+", "-", "*", "/", "**", "r-", "r/", "neg", "tanh", "exp", "relu"]))
def test_the_float_interpreter_agrees_with_the_reference(program: object) -> None:
    """simulate() without a mistake gives the pure engine's numbers, so a matched mistake means what it says."""
    from autograd.checker.compare import close

    want, got = expected(program), simulate(program)  # type: ignore[arg-type]
    assert all(close(g, w) for g, w in zip(got.values + got.grads, want.values + want.grads))


def test_every_operator_has_a_rule_and_a_title() -> None:
    """Each checked operator names a rule of the table and a distinct column title."""
    titles = [op.title for op in OPERATORS.values()]
    assert len(set(titles)) == len(titles) and all(op.domain() for op in OPERATORS.values())


@pytest.mark.parametrize("name", ["autograd.checker." + m.name for m in pkgutil.iter_modules(autograd.checker.__path__)])
def test_docstring_examples(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples in the checker's docstrings print what they say (they read tests/engines from the root)."""
    if name.endswith("pytest_plugin"):
        pytest.skip("no examples: it is exercised by test_checker_cli's course suite")
    monkeypatch.chdir(ROOT)
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
