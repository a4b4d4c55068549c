"""Files in and out: written so a reader sees the old version or the new one, never half; read only when regular and small.

Both refuse what is not a regular file. Writing onto a device (``/dev/null``), a FIFO, a socket or
a directory would replace it with a regular file (as root, even ``/dev/null``); reading one would
block forever (a FIFO) or never end (``/dev/zero``). A symlink to a regular file is followed, as
``open`` follows it.
"""

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
    previous file intact (and no temporary file behind). A target that exists and is not a
    regular file (a device, FIFO, socket or directory, also behind a symlink) is refused with
    ``NotARegularFile`` before anything is written. The new file gets the mode the old one
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
        status = target.stat()
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    else:
        _refuse_special(path, status.st_mode, "write")
        mode = stat.S_IMODE(status.st_mode)
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


class NotARegularFile(OSError):
    """The path is a device, FIFO, socket or directory: valuegrad reads and writes regular files only."""


#: What a file of this kind is called in an error.
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def _refuse_special(path: str | os.PathLike[str], mode: int, action: str) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    unchanged = "; nothing was changed" if action == "write" else ""
    raise NotARegularFile(f"refusing to {action} {os.fspath(path)!r}: it is {kind}, not a regular file{unchanged}")


#: The largest file ``read_bytes_limited`` reads unless told otherwise (model files are a few MB at most).
DEFAULT_READ_LIMIT = 64 * 1024 * 1024


def read_bytes_limited(path: str | os.PathLike[str], limit: int = DEFAULT_READ_LIMIT) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; anything else is refused before it is read.

    The file is opened without blocking (a FIFO would wait for a writer forever), checked to be a
    regular file (not a device such as ``/dev/zero``, which never ends) and its size checked
    before a byte is read; then at most ``limit + 1`` bytes are read, so a file that grows while
    being read is refused too. A missing file raises ``FileNotFoundError`` as ``open`` does.

    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> _ = write_text_atomically(target, "backprop")
    >>> read_bytes_limited(target)
    b'backprop'
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        status = os.fstat(fd)
        _refuse_special(path, status.st_mode, "read")
        if status.st_size > limit:
            raise OverflowError(f"refusing to read {os.fspath(path)!r}: it holds {status.st_size} bytes, more than "
                                f"the limit of {limit}")  # fmt: skip
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise OverflowError(f"refusing to read {os.fspath(path)!r}: it grew past the limit of {limit} bytes while being read")
    return data


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open a directory, and needs not.
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
