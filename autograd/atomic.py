"""Writing a file so that a reader sees the old version or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def _umask() -> int:
    # os.umask can only be read by setting it, which briefly changes it for every thread of the
    # process; Linux shows it in /proc, so read it there when we can.
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text_atomically(path: str | os.PathLike[str], text: str, *, make_parents: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` via a temporary file in the same folder, fsync, then rename it over ``path``.

    ``os.replace`` is atomic on POSIX and Windows, so a crash or an error mid-write leaves the
    previous file intact (and no temporary file behind). The new file gets the mode the old one
    had, or the usual ``0o666 & ~umask`` for a new file (``mkstemp`` alone would make it private).
    A missing folder is an error (as with ``open``) unless ``make_parents=True``. A symlink is
    written through: the file it points to is replaced and the link stays.

    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> write_text_atomically(target, "backprop\\n").read_text()
    'backprop\\n'
    """
    target = Path(path)
    if target.is_symlink():
        # Write through the link, as open() would; replacing the link itself would cut it loose.
        target = Path(os.path.realpath(target))
    if make_parents:
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)
    return target


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open a directory, and needs not.
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
