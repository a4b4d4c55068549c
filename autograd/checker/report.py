"""What a check found: one ``Result`` per operator and per engine-wide property, gathered in a ``Report``.

A result is ``pass``, ``fail`` (with the minimal program as code, the expected and actual
numbers, the operator blamed and a hint), ``missing`` (the class does not offer the operator) or
``warn`` (it works, but differs from valuegrad and PyTorch in a way micrograd also does, such as
int grads or a recursion limit). ``Report.to_json`` and ``Report.from_json`` round-trip, so the
grader's worker processes hand reports over as JSON.

>>> r = Report("hw.py", "Value", [Result("x + y", "+", "pass")], seed=0)
>>> r.passed, Report.from_json(r.to_json()) == r
(True, True)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("pass", "fail", "missing", "warn")


@dataclass(frozen=True)
class Result:
    """One property of one engine (an operator's, or ``programs``, ``deep chain``, ...)."""

    #: What was checked, as the grade table's column: ``"x + y"``, ``"2 / x"``, ``"deep chain"``.
    name: str
    #: The operator key (``autograd.checker.operators``) or the property's name.
    key: str
    #: One of ``STATUSES``.
    status: str
    #: The minimal program that shows the failure, as code to paste (with the expected and actual in a comment).
    code: str = ""
    expected: Any = None
    actual: Any = None
    #: The operator blamed (its title, ``"x + y"``).
    blamed: str = ""
    #: The known mistake the numbers match (``"assign"``, ``"tanh-from-input"``), or the kind of failure.
    mistake: str = ""
    #: One line naming the usual cause.
    hint: str = ""
    #: Programs run for it.
    examples: int = 0
    #: How many operations the minimal program makes (0 when there is none).
    operations: int = 0


@dataclass(frozen=True)
class Report:
    """Every result of one engine's check."""

    target: str
    engine: str
    results: list[Result]
    seed: int = 0
    #: What discovery found: the attribute names, constructor, parents, zeroing (``Child.info``).
    info: dict[str, Any] = field(default_factory=dict)
    seconds: float = field(default=0.0, compare=False)
    #: Seconds from the start to the first failing program (None when none failed).
    first_failure: float | None = field(default=None, compare=False)

    @property
    def passed(self) -> bool:
        """No result failed (missing operators and warnings do not fail a check)."""
        return not self.failures

    @property
    def failures(self) -> list[Result]:
        """The failing results."""
        return [r for r in self.results if r.status == "fail"]

    @property
    def warnings(self) -> list[Result]:
        """The results that pass with a warning."""
        return [r for r in self.results if r.status == "warn"]

    def result(self, name_or_key: str) -> Result:
        """The result named (``"x + y"``) or keyed (``"+"``) so."""
        for r in self.results:
            if name_or_key in (r.name, r.key):
                return r
        raise KeyError(f"no result {name_or_key!r}; there are {', '.join(r.name for r in self.results)}")

    def mistakes(self) -> set[str]:
        """The mistake keys of every failing or warning result."""
        return {r.mistake for r in self.results if r.status in ("fail", "warn") and r.mistake}

    def to_json(self) -> str:
        """The report as JSON."""
        return json.dumps(asdict(self), indent=1, default=repr)

    @classmethod
    def from_json(cls, text: str) -> Report:
        """The inverse of ``to_json``."""
        data = json.loads(text)
        data["results"] = [Result(**r) for r in data["results"]]
        return cls(**data)

    def text(self) -> str:
        """The report for a terminal."""
        from autograd.checker.render import text

        return text(self)

    def markdown(self) -> str:
        """The report as Markdown."""
        from autograd.checker.render import markdown

        return markdown(self)

    def junit(self) -> str:
        """The report as JUnit XML (one test case per result) for CI and autograders."""
        from autograd.checker.render import junit

        return junit(self)

    def __str__(self) -> str:
        return self.text()
