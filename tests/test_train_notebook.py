"""nn in a real Jupyter kernel (nbclient + ipykernel): tables and figures as a cell's last expression, a finished progress line.

One notebook runs once for the module; each test reads the outputs of its own cells.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

CELLS = {
    "setup": """\
import warnings
import nn
from nn.data import make_moons
from nn.search import Search
X, y = make_moons(40, noise=0.2, seed=0, signed=True)
X_val, y_val = make_moons(20, noise=0.2, seed=1, signed=True)
model = nn.MLP(2, [4, 1], seed=0)""",
    "fit with progress": (
        "history = nn.fit(model, 'hinge', X, y, optimizer=nn.SGD(model.parameters(), lr=0.1), epochs=60,\n"
        "                 validation=(X_val, y_val), record_gradients=True)"
    ),
    "history": "history",
    "plot": "history.plot()",
    "plot_gradients": "history.plot_gradients()",
    "diagnosis": "nn.diagnose(model, X, y, loss='hinge')",
    "results": "results = Search(X, y, seed=0).grid({'width': [2, 3]}, workers=1, epochs=2)\nresults",
    "results plot": "results.plot()",
}


@pytest.fixture(scope="module")
def outputs() -> dict[str, list[dict[str, Any]]]:
    """Each cell's outputs, by the cell's name in CELLS."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    cells = [nbformat.v4.new_code_cell(f"import sys\nsys.path.insert(0, {str(ROOT)!r})")]
    cells += [nbformat.v4.new_code_cell(source) for source in CELLS.values()]
    notebook = nbformat.v4.new_notebook(cells=cells)
    nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    return {name: [dict(o) for o in cell.outputs] for name, cell in zip(CELLS, notebook.cells[1:])}


def _shown(cell: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o["data"] for o in cell if o["output_type"] in ("execute_result", "display_data")]


@pytest.mark.slow
def test_a_finished_run_reads_finished_in_the_saved_notebook(outputs: dict[str, list[dict[str, Any]]]) -> None:
    """fit's default progress in a kernel is one output updated in place; what the notebook keeps is 60/60, 100%."""
    cell = outputs["fit with progress"]
    [line] = _shown(cell)
    assert "60/60" in line["text/plain"] and "100%" in line["text/plain"] and " 0/60" not in line["text/plain"]
    assert "val accuracy" in line["text/plain"] and "<pre" in line["text/html"]
    assert not any(o["output_type"] == "stream" for o in cell)  # no stray text bar, no widget warning


@pytest.mark.slow
def test_history_diagnosis_and_results_display_as_tables(outputs: dict[str, list[dict[str, Any]]]) -> None:
    """History, a Diagnosis and search Results show as HTML tables, with an aligned text table as their plain text."""
    for name, header in (("history", "train loss"), ("diagnosis", "grad norm"), ("results", "val acc")):
        [data] = _shown(outputs[name])
        assert data["text/html"].startswith("<table") and header in data["text/html"], name
        assert header in data["text/plain"] and "dataclass" not in data["text/plain"], name
    [history] = _shown(outputs["history"])
    assert history["text/plain"].splitlines()[1].split()[:2] == ["epoch", "step"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["plot", "plot_gradients", "results plot"])
def test_figures_show_as_the_last_expression_once(name: str, outputs: dict[str, list[dict[str, Any]]]) -> None:
    """plot(), plot_gradients() and Results.plot() as a cell's last expression show one PNG (not twice, not a repr)."""
    images = [data for data in _shown(outputs[name]) if "image/png" in data]
    assert len(images) == 1, outputs[name]
    import base64

    assert base64.b64decode(images[0]["image/png"]).startswith(b"\x89PNG")
