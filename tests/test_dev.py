"""Tests for ``dev.py``'s option handling: ``test --fast`` is the documented fast profile."""

from __future__ import annotations

import os

import pytest

import dev


def test_fast_selects_not_slow_and_the_fast_hypothesis_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    """`dev.py test --fast -x` runs pytest with -m "not slow" -x, and Hypothesis's fast profile unless one is chosen."""
    monkeypatch.delenv("HYPOTHESIS_PROFILE", raising=False)
    assert dev.fast_profile(["--fast", "-x"]) == ["-m", "not slow", "-x"]
    assert os.environ["HYPOTHESIS_PROFILE"] == "fast"
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "ci")
    assert dev.fast_profile(["--fast"]) == ["-m", "not slow"]
    assert os.environ["HYPOTHESIS_PROFILE"] == "ci"


def test_without_fast_the_options_pass_through(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --fast the options reach pytest unchanged and no profile is chosen: the whole suite runs."""
    monkeypatch.delenv("HYPOTHESIS_PROFILE", raising=False)
    assert dev.fast_profile(["-k", "readme"]) == ["-k", "readme"]
    assert "HYPOTHESIS_PROFILE" not in os.environ
