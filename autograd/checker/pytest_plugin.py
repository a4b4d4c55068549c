"""pytest fixtures for a course's own test suite: put ``check_engine`` next to the course's other tests.

Load it from the course's ``conftest.py`` (it is not registered as an entry point, so it never
joins a test run that did not ask for it)::

    pytest_plugins = ["autograd.checker.pytest_plugin"]

    def test_engine(check_engine):
        report = check_engine("engine.py")
        assert report.passed, report.text()

or, for a failure message that is the report itself, ``assert_engine_passes("engine.py")``.
``pytest --checker-seed N`` changes the seed of every check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from autograd.checker.check import check_engine as _check_engine
from autograd.checker.report import Report


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--checker-seed``: the seed of every check in the run (default 0)."""
    parser.addoption("--checker-seed", type=int, default=0, help="seed of valuegrad's engine checks (default 0)")


@pytest.fixture
def check_engine(request: pytest.FixtureRequest) -> Callable[..., Report]:
    """``check_engine(target, **options)`` with the run's seed: returns the ``Report``."""
    seed = int(request.config.getoption("--checker-seed"))

    def run(engine: type | str, **options: Any) -> Report:
        options.setdefault("seed", seed)
        return _check_engine(engine, **options)

    return run


def assert_engine_passes(engine: type | str, **options: Any) -> Report:
    """Check ``engine`` and fail the test with the whole text report when it does not pass."""
    report = _check_engine(engine, **options)
    if not report.passed:
        pytest.fail(report.text(), pytrace=False)
    return report
