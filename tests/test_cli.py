"""Tests for ``demos.cli``, the ``valuegrad`` command: it lists the demos and runs one by name (in-process here;
tests/test_packaging.py runs the installed script from a wheel)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from demos import cli


def test_bare_command_prints_usage_and_every_demo(capsys: pytest.CaptureFixture[str]) -> None:
    """`valuegrad` alone says how to run a demo and lists each one with its docstring's first line."""
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: valuegrad demo")
    for name in ("moons", "feedforward", "optimizers", "walkthrough", "graphs", "webpage"):
        assert f"  {name} " in out
    assert "micrograd's classic demo" in out


def test_demo_without_a_name_lists_the_demos(capsys: pytest.CaptureFixture[str]) -> None:
    """`valuegrad demo` lists the demos and nothing else; every helper module (_common, cli) is left out."""
    assert cli.main(["demo"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("demos (valuegrad demo NAME")
    names = [line.split()[0] for line in lines[1:]]
    assert names == cli.demo_names() and "_common" not in names and "cli" not in names


def test_a_demo_runs_with_its_own_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`valuegrad demo walkthrough --out DIR` runs demos.walkthrough with those options and exits 0."""
    assert cli.main(["demo", "walkthrough", "--out", str(tmp_path)]) == 0
    assert "backward" in capsys.readouterr().out.lower()
    assert any(tmp_path.iterdir()), "the demo wrote nothing into --out"


def test_unknown_names_exit_2_and_say_what_exists(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown demo or command is exit code 2 with the list of demos or the usage on stderr."""
    assert cli.main(["demo", "mooons"]) == 2
    err = capsys.readouterr().err
    assert "no demo named 'mooons'" in err and "  moons " in err
    assert cli.main(["train"]) == 2
    assert "unknown command 'train'" in capsys.readouterr().err


def test_version_is_the_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    """`valuegrad --version` prints autograd.__version__."""
    import autograd

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"valuegrad {autograd.__version__}\n"


def test_a_missing_optional_dependency_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without matplotlib a figure-drawing demo exits 1 saying to install valuegrad[demos] (the wheel test does it for real)."""
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails, as when it is absent
    assert cli.main(["demo", "moons", "--quick", "--out", str(tmp_path)]) == 1
    assert "needs matplotlib, which is not installed: pip install 'valuegrad[demos]'" in capsys.readouterr().err
