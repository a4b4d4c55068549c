"""autograd.atomic: files are replaced whole, keep their mode, and a failed write leaves the old file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import nn
from autograd.atomic import write_text_atomically


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_gets_the_usual_mode_not_mkstemps_private_one(tmp_path: Path) -> None:
    """A new file is readable as any file the user creates (0o666 & ~umask), not 0o600."""
    old = os.umask(0o022)
    try:
        target = write_text_atomically(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert _mode(target) == 0o644
    assert target.read_text(encoding="utf-8") == "x"


def test_replacing_a_file_keeps_its_mode(tmp_path: Path) -> None:
    """Overwriting keeps the permissions the user gave the old file."""
    target = tmp_path / "b.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    write_text_atomically(target, "new")
    assert _mode(target) == 0o640 and target.read_text(encoding="utf-8") == "new"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    """Text that cannot be encoded fails before the rename: the old content stays, nothing is left behind."""
    target = tmp_path / "c.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomically(target, "half \ud800 written")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]


def test_saved_models_are_not_private(tmp_path: Path) -> None:
    """nn's model files go through the same writer: a saved model is readable like any other file."""
    old = os.umask(0o022)
    try:
        path = tmp_path / "model.json"
        nn.MLP(2, [3, 1], seed=0).save(path)
    finally:
        os.umask(old)
    assert _mode(path) == 0o644
    assert nn.load(path).state_dict() == nn.MLP(2, [3, 1], seed=0).state_dict()
