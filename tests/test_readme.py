"""README.md: its REPL sessions print what they show, and every picture and example it links exists."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def test_readme_sessions_reproduce(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every >>> line in the README runs and prints exactly what the README shows (files go to a scratch dir)."""
    monkeypatch.chdir(tmp_path)
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted >= 90  # the sessions are really there, not skipped
    # The drawing session rendered a real SVG with every node of L = (a*b + c) * f in it.
    assert (tmp_path / "out" / "L.svg").read_text(encoding="utf-8").count('<g id="n') >= 7


def test_readme_links_point_at_committed_files() -> None:
    """Every relative link and image in the README names a file in the repository."""
    text = README.read_text(encoding="utf-8")
    targets = [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in t and not t.startswith("#")]
    assert len(targets) >= 8
    for target in targets:
        assert (ROOT / target).is_file(), target


def test_quickstart_has_exactly_two_setup_commands() -> None:
    """The Quickstart shows two commands: one runs the main demo, one runs the tests."""
    section = README.read_text(encoding="utf-8").split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert commands == ["python3 dev.py demo", "python3 dev.py test"]
    dev = (ROOT / "dev.py").read_text(encoding="utf-8")
    assert '"-m", "demos.moons"' in dev and '"-m", "pytest"' in dev
