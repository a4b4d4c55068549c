"""Write the operator table in the docs from ``autograd.rules.RULES``: ``python -m tools.readme_tables`` (``--check`` to compare).

The table sits between two marker lines in whichever Markdown file carries it (README.md or one
under docs/). ``tests/test_readme.py`` fails when a committed table differs from what this writes.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from autograd.atomic import write_text_atomically
from autograd.rules import RULES, Rule, substitute

ROOT = Path(__file__).resolve().parent.parent
TABLE_START = "<!-- operator table: generated from autograd.rules.RULES by python -m tools.readme_tables -->\n"
TABLE_END = "<!-- end of operator table -->"
#: The start marker however an older generator worded it; a rewrite puts TABLE_START in its place.
ANY_START = re.compile(r"<!-- operator table: generated from autograd\.rules\.RULES[^>]*-->\n")
TABLE = re.compile(ANY_START.pattern + r"(.*?)" + re.escape(TABLE_END), re.DOTALL)
#: How users write each rule that is not a method call ``x.name()`` (``x`` / ``a, b`` are Values), for rules
#: that do not say it themselves (a row's ``written_as``, where the rules table has one, wins).
WRITTEN_AS = {
    "+": "a + b",
    "-": "a - b",
    "*": "a * b",
    "/": "a / b",
    "**": "a ** b",
    "neg": "-x",
    "abs": "abs(x)",
    "sum": "vsum([x0, x1, ...])",
    "dot": "dot(ws, xs, b)",
}


def derivatives_text(rule: Rule) -> str:
    """The Derivatives cell: each local formula, or for an n-ary rule each term's, over indexed names (``x_i``).

    >>> derivatives_text(RULES["*"])
    '`b`, `a`'
    """
    if rule.terms is None:
        return ", ".join(f"`{f}`" for f in rule.local_formulas)
    terms = rule.terms
    indexed = {name: f"{name}_i" for name in terms.inputs}
    cells = [f"`{substitute(f, indexed)}` for {indexed[name]}" for name, f in zip(terms.inputs, terms.local)]
    return ", ".join([*cells, *(f"`{f}` for {name}" for name, f in zip(terms.extra, terms.extra_local))])


def operator_table() -> str:
    """The operator table, one row per rule of RULES, as Markdown.

    >>> operator_table().splitlines()[2]
    '| `+` | `a + b` | `1.0`, `1.0` | a + b |'
    """
    rows = ["| Operator | Write it as | Derivatives | Notes |", "|---|---|---|---|"]
    for name, rule in RULES.items():
        written = getattr(rule, "written_as", None) or WRITTEN_AS.get(name, f"x.{name}()")
        notes = rule.doc.replace("|", "\\|")
        rows.append(f"| `{name}` | `{written}` | {derivatives_text(rule)} | {notes} |")
    return "\n".join(rows) + "\n"


def marked_table() -> str:
    """The table with its start and end markers, as a document carries it.

    >>> marked_table().startswith(TABLE_START) and marked_table().endswith(TABLE_END)
    True
    """
    return TABLE_START + operator_table() + TABLE_END


def documents(root: Path = ROOT) -> list[Path]:
    """The Markdown files that may carry the table: README.md and every docs/*.md.

    >>> documents()[0].name
    'README.md'
    """
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def committed_tables(root: Path = ROOT) -> dict[Path, str]:
    """Each document that carries the table, with the table as committed (markers included).

    >>> [table == marked_table() for table in committed_tables().values()]   # one document, up to date
    [True]
    """
    found: dict[Path, str] = {}
    for path in documents(root):
        match = TABLE.search(path.read_text(encoding="utf-8"))
        if match is not None:
            found[path] = match.group(0)
    return found


def rewrite(path: Path) -> bool:
    r"""Put the current table between the markers in ``path``; True if the file changed.

    >>> import tempfile
    >>> page = Path(tempfile.mkdtemp()) / "page.md"
    >>> _ = page.write_text("Operators:\n" + TABLE_START + "| stale |\n" + TABLE_END + "\n", encoding="utf-8")
    >>> rewrite(page), rewrite(page), operator_table() in page.read_text(encoding="utf-8")
    (True, False, True)
    """
    text = path.read_text(encoding="utf-8")
    new = TABLE.sub(lambda _: marked_table(), text)
    if new == text:
        return False
    write_text_atomically(path, new)
    return True


def main(argv: list[str] | None = None) -> int:
    """Rewrite every document's table, or with ``--check`` report the stale ones (exit 1).

    >>> main(["--check"])   # the committed table is current: nothing to say
    0
    """
    description = __doc__.splitlines()[0] if __doc__ else None
    parser = argparse.ArgumentParser(prog="python -m tools.readme_tables", description=description)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a table is out of date")
    args = parser.parse_args(argv)
    tables = committed_tables()
    if not tables:
        print("no document carries the operator table", file=sys.stderr)
        return 1
    stale = [path for path, table in tables.items() if table != marked_table()]
    for path in stale:
        if args.check:
            print(f"{path.relative_to(ROOT)}: the operator table is out of date (python -m tools.readme_tables)")
        else:
            rewrite(path)
            print(f"rewrote the operator table in {path.relative_to(ROOT)}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
