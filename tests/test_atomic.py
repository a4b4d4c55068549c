"""autograd.atomic: files are replaced whole, keep their mode, and a failed write leaves the old file."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

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


# ------------------------------------------------------------------------ special files (issue 20.4)

import contextlib  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402

from autograd.atomic import NotARegularFile, read_bytes_limited  # noqa: E402

SPECIAL_KINDS = ["fifo", "socket", "directory", "char device", "symlink to a fifo"]


@contextlib.contextmanager
def special_file(kind: str, folder: Path) -> Iterator[Path]:
    """A special file of ``kind`` made in ``folder`` (never a real device: a node of our own, where root may make one)."""
    path = folder / kind.replace(" ", "_")
    if kind == "fifo":
        os.mkfifo(path)
        yield path
    elif kind == "symlink to a fifo":
        os.mkfifo(folder / "pipe")
        path.symlink_to(folder / "pipe")
        yield path
    elif kind == "directory":
        path.mkdir()
        yield path
    elif kind == "char device":
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # the numbers of /dev/zero, in our own folder
        yield path
    else:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(str(path))
            yield path
        finally:
            server.close()


def _kind_of(path: Path) -> int:
    return stat.S_IFMT(os.stat(path).st_mode)


def _no_blocking(seconds: float = 10.0) -> Any:
    """Fail instead of hanging when a call blocks (a FIFO opened for reading waits for a writer)."""
    @contextlib.contextmanager
    def watch() -> Iterator[None]:
        def expire(signum: int, frame: object) -> None:
            raise TimeoutError("the call blocked")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    return watch()


WRITERS: dict[str, Callable[[Path], object]] = {
    "write_text_atomically": lambda path: write_text_atomically(path, "x"),
    "nn save": lambda path: nn.MLP(2, [2, 1], seed=0).save(path),
    "search results save": lambda path: __import__("nn.results", fromlist=["Results"]).Results([], "val_loss").save(path),
}


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, sockets and device nodes are POSIX")
@pytest.mark.parametrize("kind", SPECIAL_KINDS)
@pytest.mark.parametrize("writer", list(WRITERS))
def test_writes_refuse_a_target_that_is_not_a_regular_file_and_change_nothing(kind: str, writer: str, tmp_path: Path) -> None:
    """save, Results.save and every atomic write refuse a device, FIFO, socket or directory, leaving it as it was."""
    with special_file(kind, tmp_path) as path:
        before = _kind_of(path), sorted(os.listdir(tmp_path))
        refused = r"refusing to write .* not a regular file; nothing was changed"
        with _no_blocking(), pytest.raises(NotARegularFile, match=refused):
            WRITERS[writer](path)
        assert (_kind_of(path), sorted(os.listdir(tmp_path))) == before  # still special, no temporary file left


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, sockets and device nodes are POSIX")
@pytest.mark.parametrize("kind", SPECIAL_KINDS)
def test_to_html_refuses_a_special_target(kind: str, tmp_path: Path) -> None:
    """The page writer goes through autograd.atomic too: a FIFO or device is refused, not replaced."""
    from autograd import Value, to_html

    with special_file(kind, tmp_path) as path:
        before = _kind_of(path)
        with _no_blocking(), pytest.raises(NotARegularFile):
            to_html(Value(2.0) * Value(3.0), path)
        assert _kind_of(path) == before


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, sockets and device nodes are POSIX")
@pytest.mark.parametrize("kind", SPECIAL_KINDS)
def test_reads_refuse_a_special_file_before_reading_and_never_block(kind: str, tmp_path: Path) -> None:
    """read_bytes_limited and nn.load refuse a FIFO (without waiting for a writer), a device, a socket, a directory."""
    with special_file(kind, tmp_path) as path, _no_blocking():
        if kind == "socket":  # open() of a socket is refused by the OS itself, before any check of ours
            with pytest.raises(OSError):
                read_bytes_limited(path)
            return
        with pytest.raises(NotARegularFile, match="not a regular file"):
            read_bytes_limited(path)
        with pytest.raises(nn.ModelFileError, match="not a regular file"):
            nn.load(path)


def test_reads_refuse_a_file_larger_than_the_limit_by_its_size(tmp_path: Path) -> None:
    """A file above the limit is refused from its size; at the limit it is read whole."""
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 11)
    with pytest.raises(OverflowError, match="holds 11 bytes, more than the limit of 10"):
        read_bytes_limited(path, limit=10)
    assert read_bytes_limited(path, limit=11) == b"x" * 11


def test_nn_load_refuses_a_file_above_its_documented_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """nn.load reads at most nn.serialize.MAX_FILE_BYTES (64 MiB), refusing a bigger file before reading it."""
    import nn.serialize

    assert nn.serialize.MAX_FILE_BYTES == 64 * 1024 * 1024
    path = tmp_path / "model.json"
    nn.MLP(2, [2, 1], seed=0).save(path)
    monkeypatch.setattr(nn.serialize, "MAX_FILE_BYTES", path.stat().st_size - 1)
    with pytest.raises(nn.ModelFileError, match="more than the limit"):
        nn.load(path)


def test_writes_still_go_through_a_symlink_to_a_regular_file(tmp_path: Path) -> None:
    """A symlink to a regular file is written through: the file changes, the link stays a link."""
    real = tmp_path / "real.json"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    nn.MLP(2, [2, 1], seed=0).save(link)
    assert link.is_symlink() and nn.load(real).architecture() == nn.MLP(2, [2, 1]).architecture()
