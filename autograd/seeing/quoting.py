"""Escaping user text (labels, op names, group names, titles, a lecture's names) for every place it is shown.

One function per context, so a string is escaped once, for where it lands:

- ``printable``: any text shown anywhere (terminal, drawing, page). Control characters, NUL,
  surrogates, noncharacters, line separators, **bidi overrides and zero-width characters** are
  written as Python writes them in a string (``\\x00``, ``\\u202e``, ``\\u200b``), so a label
  reads literally and cannot reorder or hide what is around it.
- ``dot_text``: a plain Graphviz label (an op node, a cluster title). Backslashes are doubled (so
  ``\\l`` or a trailing ``\\`` are text, never an escape or an unterminated string), ``&``, ``<``
  and ``>`` become entities (Graphviz reads entities in every label; and the ``graphviz`` package
  would send a string shaped ``<...>`` as an HTML-like label, i.e. as markup).
- ``dot_record_field``: one field of a record label (``{ name | data | grad }``): the record's own
  syntax characters ``{}|<>"`` and backslash are backslash-escaped, ``&`` sent as ``&amp;``.
- ``dot_html_text``: text inside a Graphviz HTML-like label (the legend's table): XML-escaped.

Double quotes inside a quoted DOT string are escaped by the ``graphviz`` package, which writes the
attribute lists.
"""

from __future__ import annotations

import html
import re

__all__ = ["dot_html_text", "dot_record_field", "dot_text", "printable"]

# Characters that would change or hide what is drawn if shown as they are: control characters (a
# NUL ends Graphviz's strings; most are not allowed in XML), the soft hyphen, surrogates, the bidi
# marks, embeddings, overrides and isolates (they reorder the text around them), zero-width spaces
# and joiners, word joiners and the BOM (invisible), line and paragraph separators, and the
# noncharacters (U+FFFE is not allowed in XML either).
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069"
    "\ufeff\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
_NAMED_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group(0)
    named = _NAMED_ESCAPES.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character that cannot be shown as it is written the way Python writes it in a string.

    Newlines, tabs, NULs and other control characters, bidi overrides, zero-width characters,
    surrogates and noncharacters become ``\\n``, ``\\t``, ``\\x00``, ``\\u202e``, ``\\u200b`` ...,
    so a label reads on one line, literally, in the terminal, a drawing and the web page (and the
    page's SVG stays valid XML). Anything else, including ``&amp;`` and ``<``, is left as it is:
    the places that show it escape it.

    >>> print(printable("a\\nb\\t&amp;\\x00\\ufffe"))
    a\\nb\\t&amp;\\x00\\ufffe
    >>> print(printable("abc\\u202edef\\u200b"))
    abc\\u202edef\\u200b
    """
    return _UNPRINTABLE.sub(_escape_char, text)


def dot_text(text: str) -> str:
    """``text`` as a plain Graphviz label that draws exactly as written, and is never read as markup.

    >>> dot_text('<<TABLE HREF="javascript:alert(1)">>')
    '&lt;&lt;TABLE HREF="javascript:alert(1)"&gt;&gt;'
    >>> dot_text("ends in \\\\")
    'ends in \\\\\\\\'
    """
    return printable(text).replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_RECORD_SYNTAX = re.compile(r'([\\{}|<>"])')


def dot_record_field(text: str) -> str:
    """Escape what structures a record label or starts an entity, so any user label draws as written.

    Graphviz reads ``&amp;`` and ``&#60;`` in any label as entities: ``&`` is sent as ``&amp;``.
    Characters that cannot be drawn (a NUL ends Graphviz's string) are shown as escapes first.

    >>> dot_record_field("a|b &amp; &#60;")
    'a\\\\|b &amp;amp; &amp;#60;'
    """
    return _RECORD_SYNTAX.sub(r"\\\1", printable(text)).replace("&", "&amp;")


def dot_html_text(text: str) -> str:
    """``text`` inside a Graphviz HTML-like label (``<<table>...</table>>``): printable, then XML-escaped.

    >>> dot_html_text("<b>&")
    '&lt;b&gt;&amp;'
    """
    return html.escape(printable(text), quote=True)
