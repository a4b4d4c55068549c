"""The runnable examples in the docstrings of ``nn``, ``demos`` and ``tools`` print what they say (``autograd``'s:
tests/test_testing.py)."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

import demos
import nn
import tools

#: Modules whose examples need an optional dependency, and which one.
NEEDS = {"nn.torch_bridge": "torch"}


def modules_of(package: ModuleType) -> list[str]:
    """The package and every module in it, found by walking it so a new module is included without a list to update."""
    return [package.__name__, *sorted(f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__))]


MODULES = modules_of(nn) + modules_of(demos) + modules_of(tools)[1:]  # tools is a namespace package: no docstring


def test_every_module_is_collected() -> None:
    """The walk finds the modules the README's map names, so an empty walk cannot pass silently."""
    assert {"nn", "nn.module", "nn.train", "nn.optim", "demos.moons", "demos._common", "tools.readme_tables"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``>>>`` example in the module runs and prints exactly what it shows (files go to a scratch folder)."""
    needed = NEEDS.get(name)
    if needed is not None and importlib.util.find_spec(needed) is None:
        pytest.skip(f"{name}'s examples need {needed}, which is not installed")
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (see the output above)"
