"""``mypy --strict`` (the lint command's type check) passes on a machine without PyTorch, not only on one with it.

PyTorch is optional; code and tests that touch it must type-check either way (``ignore_missing_imports``
for ``torch.*`` in pyproject.toml, and no ``type: ignore`` that only torch's own types make necessary).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Top-level names of PyPI's torch wheel (the package, its helpers and its metadata).
TORCH_NAMES = ("torch", "torchgen", "functorch")


def is_torch(entry: Path) -> bool:
    """Whether a site-packages entry belongs to PyTorch (``torch/``, ``torch-2.x.dist-info``, ``functorch/``...)."""
    name = entry.name.lower()
    return any(name == t or name.startswith((f"{t}-", f"{t}.")) for t in TORCH_NAMES)


@pytest.mark.slow
def test_mypy_strict_passes_without_torch(tmp_path: Path) -> None:
    """mypy --strict run against this environment's packages minus PyTorch (a throwaway venv whose .pth file points
    at links to everything else) reports no issues."""
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install -e '.[dev]')")
    site = Path(sysconfig.get_paths()["purelib"])
    shadow = tmp_path / "site-packages-without-torch"
    shadow.mkdir()
    for entry in site.iterdir():
        if not is_torch(entry):
            (shadow / entry.name).symlink_to(entry)
    venv.create(tmp_path / "venv", with_pip=False)
    python = tmp_path / "venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    target_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    (Path(target_site) / "without-torch.pth").write_text(f"{shadow}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = "import importlib.util as u; print(u.find_spec('torch') is None, u.find_spec('hypothesis') is not None)"
    assert subprocess.run([python, "-c", probe], capture_output=True, text=True, env=env).stdout.split() == ["True", "True"]

    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--python-executable", str(python), "--cache-dir", str(tmp_path / "cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
