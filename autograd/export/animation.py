"""A step sequence as one animated picture: GIF (plays everywhere, 256 colours) or APNG (full colour), via Pillow.

Frames are laid out one by one, so their sizes differ a little; each is centred on a white canvas
the size of the largest, so the animation does not wobble. Every frame's caption names its step,
so no two frames are equal (Pillow would merge equal neighbours into one).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograd.export._files import write_bytes
from autograd.export.pictures import frame_dot, render_bytes
from autograd.export.sequence import Frame

__all__ = ["save_apng", "save_gif"]

_NEEDS = "exporting an animation needs Pillow: pip install 'valuegrad[export]'"


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(_NEEDS) from None
    return Image


def _images(frames: Sequence[Frame]) -> list[Any]:
    """Every frame rendered, then centred on canvases of one size (the largest frame's)."""
    if not frames:
        raise ValueError("export: no frames to animate (frames(root, forward=False, backward=False) gives none)")
    image_module = _pillow()
    drawn = [image_module.open(io.BytesIO(render_bytes(frame_dot(frame)))).convert("RGB") for frame in frames]
    width = max(image.width for image in drawn)
    height = max(image.height for image in drawn)
    canvases = []
    for image in drawn:
        canvas = image_module.new("RGB", (width, height), "white")
        canvas.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
        canvases.append(canvas)
    return canvases


def _durations(frames: Sequence[Frame], seconds: float, hold: float) -> list[int]:
    """Milliseconds per frame: ``seconds`` each, the last held ``hold`` seconds so a loop pauses on the answer."""
    if seconds <= 0 or hold < 0:
        raise ValueError(f"export: seconds per frame must be > 0 and hold >= 0, got seconds={seconds!r}, hold={hold!r}")
    durations = [round(seconds * 1000)] * len(frames)
    durations[-1] = round(max(seconds, hold) * 1000)
    return durations


def _save(frames: Sequence[Frame], path: str | os.PathLike[str], format: str, seconds: float, hold: float) -> Path:
    images = _images(frames)
    buffer = io.BytesIO()
    extra = {"disposal": 1} if format == "GIF" else {}
    durations = _durations(frames, seconds, hold)
    images[0].save(buffer, format=format, save_all=True, append_images=images[1:], duration=durations, loop=0, **extra)
    return write_bytes(path, buffer.getvalue())


def save_gif(frames: Sequence[Frame], path: str | os.PathLike[str], *, seconds: float = 1.5, hold: float = 4.0) -> Path:
    """Write ``frames`` as a looping animated GIF, ``seconds`` per frame and ``hold`` on the last; return the path.

    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> from autograd import Value
    >>> from autograd.export import frames
    >>> gif = save_gif(frames(Value(2.0, label="a") * 3), pathlib.Path(tempfile.mkdtemp()) / "steps.gif")
    >>> Image.open(gif).n_frames
    2
    """
    return _save(frames, path, "GIF", seconds, hold)


def save_apng(frames: Sequence[Frame], path: str | os.PathLike[str], *, seconds: float = 1.5, hold: float = 4.0) -> Path:
    """Write ``frames`` as a looping animated PNG (full colour; browsers play it), like ``save_gif``; return the path.

    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> from autograd import Value
    >>> from autograd.export import frames
    >>> apng = save_apng(frames(Value(2.0, label="a") * 3), pathlib.Path(tempfile.mkdtemp()) / "steps.png")
    >>> Image.open(apng).n_frames
    2
    """
    return _save(frames, path, "PNG", seconds, hold)
