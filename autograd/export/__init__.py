"""Take backprop to class: a graph's forward and backward passes as PNG frames, a GIF or APNG, slides, a worksheet.

``frames(root)`` records the passes once, as the seeing layer's ``Trace`` (forward: each computed
node's value appearing in topological order, as ``Forward`` says it; backward: each ``Backprop``
step, in ``backward()``'s exact order and arithmetic); every export only draws those frames, with
``draw_dot``, in the one style of every drawing:

============================  =====================================================  ==========
call                          writes                                                 needs
============================  =====================================================  ==========
``save_frames(film, dir)``    ``dir/frame-000.png`` ... one PNG per step             graphviz
``save_gif(film, path)``      a looping animated GIF                                 Pillow
``save_apng(film, path)``     a looping animated PNG (full colour)                   Pillow
``save_slides(film, path)``   one HTML file: a slide per step, arrow keys, offline   graphviz
``save_worksheet(film, p)``   an A4 PDF: blank gradients, then the answer sheet      fpdf2
============================  =====================================================  ==========

Pillow and fpdf2 come with ``pip install 'valuegrad[export]'``; drawings are laid out by Graphviz
(or the graphviz-pure wheel valuegrad installs). From a shell: ``python -m autograd.export``.

>>> import tempfile, pathlib
>>> from autograd import Value
>>> from autograd.export import frames, save_gif
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = a * b; c.label = "c"
>>> film = frames(c)
>>> len(film)          # c is computed, then 1 backward step
2
>>> save_gif(film, pathlib.Path(tempfile.mkdtemp()) / "c.gif").suffix
'.gif'
"""

from autograd.export.animation import save_apng, save_gif
from autograd.export.pictures import frame_dot, save_frames
from autograd.export.sequence import Frame, frames
from autograd.export.slides import save_slides, slides_html
from autograd.export.worksheet import save_worksheet, worksheet_pdf

__all__ = [
    "Frame",
    "frame_dot",
    "frames",
    "save_apng",
    "save_frames",
    "save_gif",
    "save_slides",
    "save_worksheet",
    "slides_html",
    "worksheet_pdf",
]
