"""A step sequence as a slide deck: one self-contained HTML file, one step per slide, arrow keys to move.

Each slide holds the frame's drawing (an SVG inside an ``<img>``, as a ``data:`` URL, so nothing in
a label can run as script) and its step as text. Every string that comes from the graph (labels,
names, the title) is HTML-escaped; the page loads nothing (its Content-Security-Policy allows no
network at all). Keys: → ↓ PageDown Space next, ← ↑ PageUp back, Home and End; the buttons work
by touch; ``#5`` in the address opens slide 5; printing gives one slide per page.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from pathlib import Path

from autograd.export._files import write_bytes
from autograd.export.pictures import frame_dot, render_bytes
from autograd.export.sequence import Frame

__all__ = ["save_slides", "slides_html"]

_STYLE = """
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.4 system-ui, sans-serif; color: #111827; background: #f9fafb; }
header { display: flex; align-items: center; gap: 1em; padding: .5em 1em; background: #fff; border-bottom: 1px solid #e5e7eb; }
header h1 { font-size: 1.1em; margin: 0; flex: 1; }
button { font: inherit; padding: .3em .9em; min-width: 3em; min-height: 2.4em; }
.slide { padding: 1em; }
.slide[hidden] { display: none; }
.slide h2 { font-size: 1em; margin: 0 0 .5em; color: #4b5563; }
.slide img { max-width: 100%; max-height: 65vh; display: block; margin: 0 auto; background: #fff; }
.slide pre { font-size: 1.05em; white-space: pre-wrap; background: #fff; padding: .6em; border: 1px solid #e5e7eb; }
@media print { header { display: none; } .slide, .slide[hidden] { display: block; page-break-after: always; } }
"""

_SCRIPT = """
(function () {
  var slides = document.querySelectorAll('.slide');
  var counter = document.getElementById('counter');
  var current = 0;
  function show(i) {
    current = Math.max(0, Math.min(slides.length - 1, i));
    for (var k = 0; k < slides.length; k++) { slides[k].hidden = (k !== current); }
    counter.textContent = (current + 1) + ' / ' + slides.length;
    document.body.dataset.slide = String(current + 1);
    if (location.hash !== '#' + (current + 1)) { history.replaceState(null, '', '#' + (current + 1)); }
  }
  document.addEventListener('keydown', function (event) {
    var next = ['ArrowRight', 'ArrowDown', 'PageDown', ' '], back = ['ArrowLeft', 'ArrowUp', 'PageUp'];
    if (next.indexOf(event.key) >= 0) { show(current + 1); event.preventDefault(); }
    else if (back.indexOf(event.key) >= 0) { show(current - 1); event.preventDefault(); }
    else if (event.key === 'Home') { show(0); event.preventDefault(); }
    else if (event.key === 'End') { show(slides.length - 1); event.preventDefault(); }
  });
  document.getElementById('back').addEventListener('click', function () { show(current - 1); });
  document.getElementById('next').addEventListener('click', function () { show(current + 1); });
  var start = parseInt(location.hash.slice(1), 10);
  show(isNaN(start) ? 0 : start - 1);
})();
"""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def _slide(frame: Frame, svg: bytes) -> str:
    e = html.escape
    picture = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    text = "\n".join(frame.lines)
    alt = f"{frame.caption}: {frame.lines[0]}" if frame.lines else frame.caption
    return (
        f'<section class="slide" id="slide-{frame.index + 1}" data-phase="{frame.phase}" hidden>\n'
        f"<h2>{e(frame.caption)}</h2>\n"
        f'<img src="{picture}" alt="{e(alt)}">\n'
        f"<pre>{e(text)}</pre>\n"
        "</section>"
    )


def slides_html(frames: Sequence[Frame], *, title: str | None = None) -> str:
    """The slide deck of ``frames`` as one HTML document (a string).

    >>> from autograd import Value
    >>> from autograd.export import frames
    >>> page = slides_html(frames(Value(2.0, label="<b>a</b>") * 3))
    >>> page.count('<section class="slide"'), "<b>a</b>" in page, "&lt;b&gt;a&lt;/b&gt;" in page
    (2, False, True)
    """
    if not frames:
        raise ValueError("save_slides: no frames to show")
    heading = title if title is not None else frames[0].title
    body = "\n".join(_slide(frame, render_bytes(frame_dot(frame), "svg")) for frame in frames)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(heading)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f'<header><h1>{html.escape(heading)}</h1><button id="back" aria-label="previous step">←</button>'
        f'<span id="counter">1 / {len(frames)}</span><button id="next" aria-label="next step">→</button></header>\n'
        f"<main>\n{body}\n</main>\n<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def save_slides(frames: Sequence[Frame], path: str | os.PathLike[str], *, title: str | None = None) -> Path:
    """Write the slide deck of ``frames`` to ``path`` (one HTML file that works offline); return the path.

    >>> import tempfile, pathlib
    >>> from autograd import Value
    >>> from autograd.export import frames
    >>> deck = save_slides(frames(Value(2.0, label="a") * 3), pathlib.Path(tempfile.mkdtemp()) / "steps.html")
    >>> deck.read_text(encoding="utf-8").count("<section")
    2
    """
    return write_bytes(path, slides_html(frames, title=title).encode("utf-8"))
