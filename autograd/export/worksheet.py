"""A printable A4 worksheet of a graph: values filled in, every gradient a blank to fill; then an answer sheet.

Made with fpdf2: a small, pure-Python PDF writer built for documents (pages of a given size,
text that stays text, embedded PNG pictures, Unicode through a TrueType font), so a sheet is a
real A4 document a printer and a PDF reader treat as one, not a figure saved as PDF. The text
font is DejaVu Sans (shipped with matplotlib, and with most Linux systems) for the ∂, → and the
super- and subscripts of a lecture's notation; without it, the PDF's own Helvetica is used and
characters outside Latin-1 print as ``?``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from autograd.export._files import write_bytes
from autograd.export.pictures import render_bytes
from autograd.export.sequence import Frame
from autograd.seeing.draw import draw_dot
from autograd.seeing.numbers import fmt
from autograd.seeing.view import GraphView

__all__ = ["save_worksheet", "worksheet_pdf"]

_NEEDS = "exporting a worksheet needs fpdf2 and Pillow: pip install 'valuegrad[export]'"
#: A4 in millimetres, and the margin all round.
A4 = (210.0, 297.0)
_MARGIN = 15.0
BLANK = "________"


def _font_files() -> tuple[str, str] | None:
    """DejaVu Sans regular and bold, from matplotlib or the system, or None."""
    folders = []
    try:
        import matplotlib

        folders.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    except ImportError:
        pass
    folders += [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/TTF"), Path("/usr/share/fonts/dejavu")]
    for folder in folders:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return str(regular), str(bold)
    return None


class _Sheet:
    """The fpdf2 document and the one font choice, so every line of text goes through ``text``."""

    def __init__(self, title: str) -> None:
        try:
            from fpdf import FPDF
        except ImportError:
            raise ImportError(_NEEDS) from None
        self.pdf: Any = FPDF(orientation="portrait", unit="mm", format="A4")
        self.pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.pdf.set_auto_page_break(True, margin=_MARGIN)
        self.pdf.set_title(title)
        self.pdf.set_creator("valuegrad (autograd.export.save_worksheet)")
        fonts = _font_files()
        if fonts is not None:
            self.pdf.add_font("DejaVu", "", fonts[0])
            self.pdf.add_font("DejaVu", "B", fonts[1])
            self.family, self.unicode = "DejaVu", True
        else:
            self.family, self.unicode = "helvetica", False

    def clean(self, text: str) -> str:
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def text(self, text: str, *, size: float = 10, bold: bool = False, height: float = 5.5) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.multi_cell(0, height, self.clean(text), new_x="LMARGIN", new_y="NEXT")

    def picture(self, png: bytes, max_height: float) -> None:
        from PIL import Image

        with Image.open(io.BytesIO(png)) as image:
            width_px, height_px = image.size
        width = A4[0] - 2 * _MARGIN
        height = width * height_px / width_px
        if height > max_height:
            height, width = max_height, max_height * width_px / height_px
        self.pdf.image(io.BytesIO(png), x=(A4[0] - width) / 2, y=self.pdf.get_y(), w=width, h=height)
        self.pdf.set_y(self.pdf.get_y() + height + 4)

    def table(self, rows: Sequence[Sequence[str]], widths: Sequence[float], header: Sequence[str]) -> None:
        pdf = self.pdf
        for r, row in enumerate([header, *rows]):
            pdf.set_font(self.family, "B" if r == 0 else "", 9.5)
            height = 8.0 if r else 6.5
            if pdf.get_y() + height > A4[1] - _MARGIN:
                pdf.add_page()
            for cell, width in zip(row, widths):
                pdf.cell(width, height, self.clean(cell), border="B", new_x="RIGHT", new_y="TOP")
            pdf.ln(height)


def _backprop_order(view: GraphView) -> list[int]:
    """Nodes in the order their gradients are worked out: the output, then reversed topological order."""
    return list(reversed(range(len(view.order))))


def worksheet_pdf(frames: Sequence[Frame], *, title: str | None = None) -> bytes:
    """The worksheet and its answer sheet for the graph of ``frames``, as PDF bytes (two A4 pages for a small graph).

    >>> from autograd import Value
    >>> from autograd.export import frames
    >>> worksheet_pdf(frames(Value(2.0, label="a") * 3))[:5]
    b'%PDF-'
    """
    if not frames:
        raise ValueError("save_worksheet: no frames (make them with autograd.export.frames(root))")
    first = frames[0]
    view, trace = first.view, first.trace
    heading = title if title is not None else first.title
    nodes = view.order
    names = [view.name(node) for node in nodes]
    out_name = view.name(view.root)
    values = [fmt(node.data) for node in nodes]
    grads = [fmt(grad) for grad in trace.end]
    order = _backprop_order(view)
    steps = [frame for frame in frames if frame.phase == "backward"]
    sheet = _Sheet(heading)
    pdf = sheet.pdf
    widths = (12.0, 38.0, 80.0, 50.0)

    def how(i: int) -> str:
        node = nodes[i]
        return f"{view.expression(node)} = {values[i]}" if node.parents else f"{values[i]} ({view.role(node)})"

    def rows(answer: Callable[[int], str]) -> list[list[str]]:
        return [[str(k + 1), names[i], how(i), f"∂{out_name}/∂{names[i]} = {answer(i)}"] for k, i in enumerate(order)]

    # Page 1: the worksheet.
    pdf.add_page()
    sheet.text(f"Worksheet: {heading}", size=15, bold=True, height=8)
    sheet.text("Name: ______________________      Date: ____________", size=10, height=8)
    sheet.text(
        f"The forward pass is done: every node shows its value (data). Work backwards from {out_name}, whose gradient "
        f"is 1, and fill in every gradient ∂{out_name}/∂node with the chain rule: a node's gradient is the sum, over "
        "the nodes that use it, of (local derivative) × (that node's gradient).",
        size=10,
    )
    blank = draw_dot(view, grads=False, blank=BLANK, boxes=first.boxes).source
    sheet.picture(render_bytes(blank), max_height=110)
    sheet.table(rows(lambda i: BLANK), widths, ["#", "node", "computed as", "gradient"])

    # Page 2: the answers, with the chain-rule step behind each.
    pdf.add_page()
    sheet.text(f"Answer sheet: {heading}", size=15, bold=True, height=8)
    answered = draw_dot(view, trace=trace, boxes=first.boxes).source
    sheet.picture(render_bytes(answered), max_height=95)
    sheet.table(rows(lambda i: grads[i]), widths, ["#", "node", "computed as", "gradient"])
    if steps:
        pdf.ln(3)
        sheet.text("The backward pass, step by step (.grad is the gradient of the output):", size=10, bold=True)
        for frame in steps:
            sheet.text("\n".join(frame.lines), size=8.5, height=4.5)
    return bytes(pdf.output())


def save_worksheet(frames: Sequence[Frame], path: str | os.PathLike[str], *, title: str | None = None) -> Path:
    """Write the A4 worksheet and answer sheet of the graph of ``frames`` to ``path`` (a PDF); return the path.

    >>> import tempfile, pathlib
    >>> from autograd import Value
    >>> from autograd.export import frames
    >>> sheet = save_worksheet(frames(Value(2.0, label="a") * 3), pathlib.Path(tempfile.mkdtemp()) / "sheet.pdf")
    >>> sheet.read_bytes()[:5]
    b'%PDF-'
    """
    return write_bytes(path, worksheet_pdf(frames, title=title))
