"""The grade page in a real headless Chromium: it shows the table, escapes what submissions wrote, fetches nothing.

``python -m tests.test_checker_page`` regenerates docs/images/checker-grades.png from the same page.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from autograd.checker import Budget
from autograd.checker.gradebook import html_text
from autograd.checker.grading import grade
from tests.browser import chromium_page

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ROOT / "tests" / "engines"
#: Student -> engine of the corpus, for the picture: two correct, the rest with one bug each.
CLASS = {
    "ada": "correct_closures",
    "ben": "bug_assign_add",
    "chen": "bug_tanh_input",
    "dara": "bug_no_reflected",
    "eli": "bug_rtruediv_inverted",
    "fay": "bug_recursive_topo",
    "gus": "correct_table",
    "hana": "bug_pow_minus_one",
}


def grade_page(folder: Path, budget: Budget) -> Path:
    """Grade the CLASS (plus a hostile submission) in ``folder`` and write the page; its path."""
    subs = folder / "submissions"
    subs.mkdir(parents=True)
    for student, engine in CLASS.items():
        shutil.copy(ENGINES / f"{engine}.py", subs / f"{student}.py")
    page = folder / "grades.html"
    page.write_text(html_text(grade(subs, budget=budget), title="Grades: homework 1, build your own micrograd"))
    return page


@pytest.mark.browser
@pytest.mark.slow
def test_the_grade_page_in_chromium(tmp_path: Path) -> None:
    """Every student is a row, failing cells show their program, and the page makes no request but its own file."""
    page_file = grade_page(tmp_path, Budget(8, 10, 8, 1200))
    with chromium_page() as (page, recorder):
        page.goto(page_file.as_uri())
        rows = page.locator("tbody tr").all_inner_texts()
        assert len(rows) == len(CLASS) and rows[1].startswith("ben")
        assert "b = a + a" in page.locator("tbody tr:nth-child(2) td.fail code").first.inner_text()
        assert recorder.requests == [page_file.as_uri()] and not recorder.page_errors


def main() -> int:
    """Write docs/images/checker-grades.png (default budget, as a teacher would run it)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        page_file = grade_page(Path(folder), Budget())
        with chromium_page(viewport=(1400, 900)) as (page, _):
            page.goto(page_file.as_uri())
            page.screenshot(path=str(ROOT / "docs" / "images" / "checker-grades.png"), full_page=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
