"""Writing export files whole or not at all: a temporary file in the same folder, renamed over the target.

``autograd.atomic`` writes text; frames, GIFs and PDFs are bytes, so this is its byte-sized twin
(same rule: a crash mid-write leaves the previous file, and no temporary file behind).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_bytes"]


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` (creating its folder) through a temporary file and ``os.replace``; return the path.

    >>> import tempfile, pathlib
    >>> write_bytes(pathlib.Path(tempfile.mkdtemp()) / "a" / "x.bin", b"\\x89PNG").read_bytes()
    b'\\x89PNG'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        # mkstemp makes the file private; an exported picture is for sharing: the usual 0o666 & ~umask.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
