"""One table, two faces: aligned text for a terminal and an HTML table for Jupyter, from the same cells.

``History``, ``Diagnosis`` and a search's ``Results`` build a ``Table`` of strings and hand it to
``text()`` for ``__str__``/``__repr__`` and to ``html()`` for ``_repr_html_``, so the two can never
show different numbers. Every cell is escaped for HTML: layer names and settings are user data.

>>> table = Table(["layer", "norm"], [["layers.0", "0.5"]], numeric={1})
>>> print(table.text())
layer     norm
layers.0   0.5
>>> table.html().count("<td")
2
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Table"]


@dataclass(frozen=True)
class Table:
    """Rows of string cells under a header; ``numeric`` columns are right-aligned, a ``None`` row is an ellipsis."""

    header: Sequence[str]
    rows: Sequence[Sequence[str] | None]
    numeric: frozenset[int] | set[int] = field(default_factory=frozenset)
    #: Lines shown under the table (findings, a note), as text.
    notes: Sequence[str] = ()
    #: Rows drawn in bold in HTML (the best epoch, the best trial).
    marked: frozenset[int] | set[int] = field(default_factory=frozenset)

    def text(self, indent: str = "") -> str:
        """Aligned text columns, two spaces apart."""
        cells = [list(self.header), *(list(r) for r in self.rows if r is not None)]
        widths = [max(len(r[i]) for r in cells) for i in range(len(self.header))]
        lines = []
        for row in [self.header, *self.rows]:
            if row is None:
                lines.append(indent + "  ...")
                continue
            parts = [c.rjust(w) if i in self.numeric else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
            lines.append((indent + "  ".join(parts)).rstrip())
        return "\n".join([*lines, *self.notes])

    def html(self) -> str:
        """An HTML ``<table>`` (numbers right-aligned, in tabular figures) followed by the notes."""
        def cell(tag: str, i: int, text: str) -> str:
            align = "right" if i in self.numeric else "left"
            return f'<{tag} style="text-align:{align}">{html.escape(text)}</{tag}>'

        head = "".join(cell("th", i, c) for i, c in enumerate(self.header))
        body = []
        for k, row in enumerate(self.rows):
            if row is None:
                body.append(f'<tr><td colspan="{len(self.header)}">…</td></tr>')
                continue
            style = ' style="font-weight:bold"' if k in self.marked else ""
            body.append(f"<tr{style}>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>")
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        return (
            '<table style="font-variant-numeric:tabular-nums">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{notes}"
        )
