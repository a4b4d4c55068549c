"""The grade table: one row per submission, one column per operator and property, as CSV, Markdown and HTML.

A cell is ``pass``, ``missing``, ``warn`` or ``fail`` with the minimal counterexample. The HTML
page is self-contained (no script, no external file) and escapes every string that comes from a
submission: names, code and messages are the students', and a grade page must not run them.

>>> from autograd.checker.report import Report, Result
>>> r = Report("ada.py", "Value", [Result("x + y", "+", "fail", code="a = Value(1.0); b = a + a")])
>>> print(csv_text([("ada", r)]).strip())
submission,passed,x + y
ada,no,fail: a = Value(1.0); b = a + a
"""

from __future__ import annotations

import csv
import html
import io
import os
from pathlib import Path

from autograd.atomic import write_text_atomically
from autograd.checker.report import Report, Result

Graded = list[tuple[str, Report]]


def columns(graded: Graded) -> list[str]:
    """Every result name any report has, in the order of the first report that has it."""
    seen: dict[str, None] = {}
    for _, report in graded:
        for r in report.results:
            seen.setdefault(r.name, None)
    return list(seen)


def _cell(report: Report, name: str) -> Result | None:
    return next((r for r in report.results if r.name == name), None)


def _plain(result: Result | None) -> str:
    if result is None:
        return ""
    if result.status == "fail":
        return f"fail: {result.code or result.hint}"
    return result.status


def csv_text(graded: Graded) -> str:
    """The table as CSV (a failing cell holds its minimal program)."""
    names = columns(graded)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["submission", "passed", *names])
    for who, report in graded:
        writer.writerow([who, "yes" if report.passed else "no", *(_plain(_cell(report, n)) for n in names)])
    return out.getvalue()


def markdown_text(graded: Graded) -> str:
    """The table as Markdown, then each failure's program under its submission's heading."""
    names = columns(graded)
    short = {"pass": "✓", "fail": "✗", "missing": "–", "warn": "!"}
    lines = ["| submission | passed | " + " | ".join(f"`{n}`" for n in names) + " |", "|---" * (len(names) + 2) + "|"]
    for who, report in graded:
        cells = [short.get(c.status, "") if (c := _cell(report, n)) else "" for n in names]
        lines.append(f"| {who.replace('|', '/')} | {'yes' if report.passed else 'no'} | " + " | ".join(cells) + " |")
    lines += ["", "✓ pass, ✗ fail, – missing, ! warning", ""]
    for who, report in graded:
        for r in report.failures:
            lines += [f"### {who}: `{r.name}`", "", "```python", r.code or r.hint, "```", "", f"hint: {r.hint}", ""]
    return "\n".join(lines)


_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 4px 6px; vertical-align: top; }
th { background: #f4f4f4; font-weight: 600; }
th.op { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-family: monospace; }
td.pass { background: #d9f2d9; } td.fail { background: #f8d0d0; } td.missing { background: #eee; color: #777; }
td.warn { background: #fdf0c4; }
td code { white-space: pre-wrap; font-size: 12px; display: block; max-width: 28em; }
td .hint { font-size: 12px; color: #555; }
"""


def html_text(graded: Graded, *, title: str = "Grades") -> str:
    """A self-contained HTML page of the table; every string from a submission is escaped."""
    e = html.escape
    names = columns(graded)
    head = "".join(f'<th class="op">{e(n)}</th>' for n in names)
    rows = []
    for who, report in graded:
        cells = []
        for n in names:
            c = _cell(report, n)
            if c is None:
                cells.append("<td></td>")
            elif c.status == "fail":
                cells.append(f'<td class="fail">fail<code>{e(c.code)}</code><span class="hint">{e(c.hint)}</span></td>')
            elif c.status == "warn":
                cells.append(f'<td class="warn" title="{e(c.hint)}">warn</td>')
            else:
                cells.append(f'<td class="{e(c.status)}" title="{e(c.hint)}">{e(c.status)}</td>')
        verdict = "pass" if report.passed else "fail"
        rows.append(f'<tr><th>{e(who)}</th><td class="{verdict}">{"yes" if report.passed else "no"}</td>{"".join(cells)}</tr>')
    seeds = sorted({r.seed for _, r in graded})
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{e(title)}</h1><p>{len(graded)} submissions, seed {e(', '.join(map(str, seeds)))}: "
        "pass, fail (with the smallest program that shows it), missing (the engine does not offer it), warn.</p>"
        f"<table><thead><tr><th>submission</th><th>passed</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "</body></html>\n"
    )


def write(graded: Graded, folder: str | os.PathLike[str], *, title: str = "Grades") -> list[Path]:
    """Write ``grades.csv``, ``grades.md`` and ``grades.html`` into ``folder``; the paths written."""
    out = Path(folder)
    return [
        write_text_atomically(out / "grades.csv", csv_text(graded), make_parents=True),
        write_text_atomically(out / "grades.md", markdown_text(graded), make_parents=True),
        write_text_atomically(out / "grades.html", html_text(graded, title=title), make_parents=True),
    ]
