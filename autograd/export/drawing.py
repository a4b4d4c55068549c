"""One frame as a Graphviz drawing (DOT text), and rendered to PNG or SVG through ``autograd.render``.

Every frame of a sequence draws the same graph with the same ids as ``draw_dot`` (``n<i>``, its op
node ``n<i>_op``), so frame after frame only the numbers and colours change. A field not known
yet reads ``?`` (a blank line ``____`` on a worksheet), padded to the width of its final text so
that the layout does not jump from one frame to the next.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from autograd import render
from autograd.export._compat import ROLE_COLOURS
from autograd.export._files import write_bytes
from autograd.export.sequence import Frame, Sketch

__all__ = ["CURRENT", "UPDATED", "frame_dot", "render_bytes", "save_frames", "sketch_dot"]

#: The node a frame computes or processes (red, as the stepper's "next"), and the nodes it changed (blue).
CURRENT = "#dc2626"
UPDATED = "#2563eb"
_UNKNOWN_TEXT = "#9ca3af"
_RECORD_SPECIALS = set('{}|<>"\\')
# Graphviz's own escape sequences (\n, \l, \N, ...) start with a backslash: one in user text stays one.
_PAD = "\u00a0"
_OP_TEXT = {"*": "×", "+": "+", "-": "−", "/": "÷", "**": "^", "neg": "−", "sum": "Σ", "dot": "w·x+b"}


def _record_text(text: str) -> str:
    """``text`` safe inside a record label: Graphviz's special characters backslash-escaped, controls shown as ``\\n``."""
    out = []
    for ch in text:
        if ch in _RECORD_SPECIALS:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\\\n")
        elif ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0:
            out.append(f"\\\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def _quoted(text: str) -> str:
    """``text`` as a DOT double-quoted string (backslashes and quotes escaped; no Graphviz escapes let through)."""
    cleaned = "".join(ch if ord(ch) >= 32 and not 0x7F <= ord(ch) < 0xA0 else " " for ch in text)
    return '"' + cleaned.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _padded(shown: str, final: str) -> str:
    return shown + _PAD * max(0, len(final) - len(shown))


def sketch_dot(
    sketch: Sketch,
    values: Sequence[str | None],
    grads: Sequence[str | None],
    *,
    unknown: str = "?",
    current: int | None = None,
    updated: Sequence[int] = (),
    caption: Sequence[str] = (),
    rankdir: str = "LR",
) -> str:
    """The DOT text of ``sketch`` showing ``values`` and ``grads`` (``None`` reads ``unknown``), ``current`` in red.

    >>> from autograd import Value
    >>> from autograd.export.sequence import frames
    >>> film = frames(Value(2.0, label="a") * 3)
    >>> 'n0 [label="{ a | data 2.0 | grad ?' in sketch_dot(film[0].sketch, film[0].values, film[0].grads)
    True
    """
    lines = [
        "digraph frame {",
        f'  graph [rankdir={rankdir} fontname="Helvetica" fontsize=12 labeljust=l labelloc=b nodesep=0.25 ranksep=0.35]',
        '  node [fontname="Helvetica" fontsize=12]',
        '  edge [color="#6b7280"]',
    ]
    if caption:
        # Each line left-justified (Graphviz's \\l ends a line and aligns it left).
        lines.append("  label=\"" + "".join(_quoted(line)[1:-1] + "\\l" for line in caption) + '"')
    by_cluster: dict[str | None, list[int]] = {}
    for i, box in enumerate(sketch.clusters):
        by_cluster.setdefault(box, []).append(i)
    changed = set(updated)

    def record(i: int) -> str:
        value, grad = values[i], grads[i]
        data_text = _padded(value if value is not None else unknown, sketch.values[i])
        grad_text = _padded(grad if grad is not None else unknown, sketch.grads[i])
        label = f"{{ {_record_text(sketch.names[i])} | data {_record_text(data_text)} | grad {_record_text(grad_text)} }}"
        fill = ROLE_COLOURS.get(sketch.roles[i], "#ffffff")
        attrs = [f'label="{label}"', "shape=record", 'style="filled"', f'fillcolor="{fill}"']
        if value is None:
            attrs.append(f'fontcolor="{_UNKNOWN_TEXT}"')
        if i == current:
            attrs += [f'color="{CURRENT}"', "penwidth=3"]
        elif i in changed:
            attrs += [f'color="{UPDATED}"', "penwidth=2.5"]
        return f"n{i} [{' '.join(attrs)} id=n{i}]"

    def op_node(i: int) -> str:
        text = _OP_TEXT.get(sketch.ops[i], sketch.ops[i])
        colour = f' color="{CURRENT}" penwidth=2' if i == current else ""
        return f"n{i}_op [label={_quoted(text)} shape=circle fontsize=10 width=0.3 margin=0.02{colour} id=n{i}_op]"

    for k, (box, members) in enumerate(by_cluster.items()):
        indent = "  " if box is None else "    "
        if box is not None:
            lines += [f"  subgraph cluster_{k} {{", f"    label={_quoted(box)} style=rounded color=\"#9ca3af\""]
        for i in members:
            lines.append(indent + record(i))
            if sketch.ops[i]:
                lines.append(indent + op_node(i))
        if box is not None:
            lines.append("  }")
    for i, parents in enumerate(sketch.parents):
        active = f' color="{CURRENT}" penwidth=2' if i == current else ""
        for k, p in enumerate(parents):
            lines.append(f"  n{p} -> n{i}_op [id=n{i}_in{k}{active}]")
        if parents:
            lines.append(f"  n{i}_op -> n{i} [id=n{i}_out{active}]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def frame_dot(frame: Frame, *, rankdir: str = "LR") -> str:
    """The DOT text of one frame: its values and gradients, its node in red, what it changed in blue, its text below.

    >>> from autograd import Value
    >>> from autograd.export.sequence import frames
    >>> film = frames(Value(2.0, label="a") * 3)
    >>> "backward 1 of 1" in frame_dot(film[-1])
    True
    """
    caption = [f"{frame.sketch.title}: {frame.caption}", *frame.lines]
    return sketch_dot(
        frame.sketch, frame.values, frame.grads, current=frame.node, updated=frame.updated, caption=caption, rankdir=rankdir
    )


# Laid-out pictures by (DOT text, format): exporting one sequence as frames, GIF, APNG and slides lays
# each frame out once, not four times (Graphviz's layout is most of an export's time). Bounded in bytes.
_RENDERED: dict[tuple[str, str], bytes] = {}
_RENDERED_LIMIT = 128 * 2**20


def render_bytes(dot: str, format: str = "png") -> bytes:
    """Lay out ``dot`` and return the picture's bytes (``png`` or ``svg``), through ``autograd.render``."""
    key = (dot, format)
    known = _RENDERED.get(key)
    if known is not None:
        return known
    with tempfile.TemporaryDirectory(prefix="valuegrad-export-") as folder:
        data = render(dot, Path(folder) / f"frame.{format}").read_bytes()
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
    ['frame-000.png', 'frame-001.png', 'frame-002.png', 'frame-003.png']
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for frame in frames:
        path = target / f"{prefix}-{frame.index:03d}.png"
        write_bytes(path, render_bytes(frame_dot(frame)))
        paths.append(path)
    return paths
