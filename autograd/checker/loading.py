"""Finding the class to check: ``engine.py``, ``engine.py:Value``, ``package.module:Value`` or a submission folder.

Runs in the child process (``autograd.checker.child``), never in the checker's own: importing a
student's module runs their code.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType

#: A submission folder's engine file, by the names courses use (otherwise its only Python file).
ENGINE_FILES = ("engine.py", "value.py", "micrograd.py", "autograd.py", "main.py")


def split_target(target: str) -> tuple[str, str]:
    """``"path/engine.py:Value"`` -> ``("path/engine.py", "Value")``; no class name gives ``""``.

    >>> split_target("micrograd.engine:Value"), split_target("hw/engine.py")
    (('micrograd.engine', 'Value'), ('hw/engine.py', ''))
    """
    where, _, cls = target.rpartition(":") if ":" in target.replace(":\\", "") else (target, "", "")
    return where, cls


def engine_file(folder: Path) -> Path:
    """The engine of a submission folder: one of ``ENGINE_FILES``, else its only ``.py`` file."""
    for name in ENGINE_FILES:
        if (folder / name).is_file():
            return folder / name
    files = sorted(p for p in folder.rglob("*.py") if not p.name.startswith(("test", "_")))
    if len(files) != 1:
        raise ImportError(f"{folder}: cannot tell which file is the engine ({len(files)} Python files; name it engine.py)")
    return files[0]


def load_module(where: str) -> ModuleType:
    """Import a file (its folder goes on ``sys.path`` first, for its own imports) or a module by dotted name."""
    path = Path(where)
    if path.is_dir():
        path = engine_file(path)
    if path.suffix == ".py" or path.is_file():
        sys.path.insert(0, str(path.parent.resolve()))
        spec = importlib.util.spec_from_file_location("_checked_engine", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules["_checked_engine"] = module
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(where)


def find_class(module: ModuleType, name: str = "") -> type:
    """The class named ``name``, else the module's class with ``backward`` and ``__add__`` (``Value`` first)."""
    if name:
        found = getattr(module, name, None)
        if not isinstance(found, type):
            raise ImportError(f"{module.__name__} has no class {name!r}")
        return found
    candidates = [c for _, c in inspect.getmembers(module, inspect.isclass) if hasattr(c, "backward") and hasattr(c, "__add__")]
    candidates.sort(key=lambda c: (c.__name__ != "Value", c.__module__ != module.__name__, c.__name__))
    if not candidates:
        raise ImportError(f"{module.__name__} has no class with a backward() method; name one: engine.py:ClassName")
    return candidates[0]


def load(target: str) -> type:
    """The class ``target`` names (see ``split_target``)."""
    where, name = split_target(target)
    return find_class(load_module(where), name)
