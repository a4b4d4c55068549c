"""A ``Report`` as text for a terminal, Markdown, and JUnit XML (one test case per result) for CI and autograders."""

from __future__ import annotations

import textwrap
from xml.sax.saxutils import escape, quoteattr

from autograd.checker.report import Report, Result

_MARKS = {"pass": "ok", "fail": "FAIL", "missing": "missing", "warn": "warn"}


def _summary(report: Report) -> str:
    counts = {s: sum(r.status == s for r in report.results) for s in _MARKS}
    verdict = "PASSED" if report.passed else "FAILED"
    parts = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    return f"{report.engine} ({report.target}): {verdict}: {parts} (seed {report.seed})"


def _details(r: Result) -> list[str]:
    lines = [f"  {line}" for line in r.code.splitlines()]
    if r.expected is not None:
        lines.append(f"  expected {r.expected!r}, got {r.actual!r}")
    elif r.actual is not None:
        lines.append(f"  got {r.actual}")
    if r.blamed:
        lines.append(f"  blamed: {r.blamed}")
    if r.hint:
        lines.append(f"  hint: {r.hint}")
    return lines


def text(report: Report) -> str:
    """The report for a terminal: one line per result, then each failure and warning in full."""
    width = max(len(r.name) for r in report.results)
    lines = [_summary(report), ""]
    lines += [f"  {r.name.ljust(width)}  {_MARKS[r.status]}" for r in report.results if r.status != "missing"]
    missing = [r.name for r in report.results if r.status == "missing"]
    if missing:
        lines += [
            "",
            *textwrap.wrap("missing (not offered): " + ", ".join(missing), 100, initial_indent="  ", subsequent_indent="    "),
        ]
    for r in report.results:
        if r.status in ("fail", "warn"):
            lines += ["", f"{_MARKS[r.status]}: {r.name}", *_details(r)]
    return "\n".join(lines)


def markdown(report: Report) -> str:
    """The report as Markdown: a table of results, then each failure's program in a code block."""
    lines = [f"## {_summary(report)}", "", "| property | result |", "|---|---|"]
    lines += [f"| `{r.name}` | {_MARKS[r.status]} |" for r in report.results]
    for r in report.results:
        if r.status in ("fail", "warn"):
            lines += ["", f"### {_MARKS[r.status]}: `{r.name}`", "", "```python", r.code, "```", ""]
            lines += [line.strip() for line in _details(r)[len(r.code.splitlines()) :]]
    return "\n".join(lines) + "\n"


def junit(report: Report) -> str:
    """JUnit XML: a test suite for the engine, a test case per result (missing ones skipped, warnings in system-out)."""
    cases = []
    for r in report.results:
        body = ""
        detail = escape("\n".join(line.strip() for line in _details(r)))
        if r.status == "fail":
            body = f"<failure message={quoteattr(r.hint or r.mistake)}>{detail}</failure>"
        elif r.status == "missing":
            body = f"<skipped message={quoteattr(r.hint)}/>"
        elif r.status == "warn":
            body = f"<system-out>{detail}</system-out>"
        cases.append(f"  <testcase classname={quoteattr(report.engine)} name={quoteattr(r.name)}>{body}</testcase>")
    failures = len(report.failures)
    skipped = sum(r.status == "missing" for r in report.results)
    head = (
        f'<testsuite name={quoteattr("check " + report.target)} tests="{len(cases)}" failures="{failures}" skipped="{skipped}">'
    )
    return "\n".join(['<?xml version="1.0" encoding="utf-8"?>', head, *cases, "</testsuite>"]) + "\n"
