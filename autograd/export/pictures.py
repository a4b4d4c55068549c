"""One frame as a picture: drawn by ``autograd.seeing.draw.draw_dot``, laid out to PNG or SVG by Graphviz.

Export is one more renderer of the seeing layer's view: every frame of a sequence is ``draw_dot`` of
the same view at the frame's position in the recorded trace (``forward=k`` or ``step=k``), so the
names, ids, colours, step states and numbers are the drawings', the stepper's and the page's.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from autograd.export._files import write_bytes
from autograd.export.sequence import Frame
from autograd.seeing.draw import draw_dot, pipe

__all__ = ["frame_dot", "render_bytes", "save_frames"]


def frame_dot(frame: Frame, *, rankdir: str = "LR") -> str:
    """The DOT text of one frame: the view at its step, its text below (``draw_dot(trace=, step= or forward=)``).

    >>> from autograd import Value
    >>> from autograd.export.sequence import frames
    >>> film = frames(Value(2.0, label="a") * 3)
    >>> 'label="{a|data 2.0|grad ?}"' in frame_dot(film[0]), "backward 1 of 1" in frame_dot(film[-1])
    (True, True)
    """
    forward = frame.step if frame.phase == "forward" else None
    step = frame.step if frame.phase == "backward" else None
    caption = [f"{frame.title}: {frame.caption}", *frame.lines]
    drawing = draw_dot(
        frame.view, rankdir=rankdir, trace=frame.trace, step=step, forward=forward, caption=caption, boxes=frame.boxes
    )
    source: str = drawing.source
    return source


# Laid-out pictures by (DOT text, format): exporting one sequence as frames, GIF, APNG and slides lays
# each frame out once, not four times (Graphviz's layout is most of an export's time). Bounded in bytes.
_RENDERED: dict[tuple[str, str], bytes] = {}
_RENDERED_LIMIT = 128 * 2**20


def render_bytes(dot: str, format: str = "png") -> bytes:
    """Lay out ``dot`` and return the picture's bytes (``png`` or ``svg``), through ``autograd.seeing.draw.pipe``."""
    key = (dot, format)
    known = _RENDERED.get(key)
    if known is not None:
        return known
    data = pipe(dot, format)
    while _RENDERED and sum(map(len, _RENDERED.values())) + len(data) > _RENDERED_LIMIT:
        del _RENDERED[next(iter(_RENDERED))]  # the oldest first
    _RENDERED[key] = data
    return data


def save_frames(frames: Sequence[Frame], folder: str | os.PathLike[str], *, prefix: str = "frame") -> list[Path]:
    """Write every frame as ``folder/<prefix>-000.png``, ``-001.png``, ...; return the paths in order.

    >>> import tempfile
    >>> from autograd import Value
    >>> from autograd.export.sequence import frames
    >>> paths = save_frames(frames(Value(2.0, label="a") * 3), tempfile.mkdtemp())
    >>> [p.name for p in paths]
    ['frame-000.png', 'frame-001.png']
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for frame in frames:
        path = target / f"{prefix}-{frame.index:03d}.png"
        write_bytes(path, render_bytes(frame_dot(frame)))
        paths.append(path)
    return paths
