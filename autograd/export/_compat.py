"""Where export finds the seeing layer's naming and number format, wherever that layer keeps them.

The seeing layer is moving from ``autograd/{text,draw}.py`` into ``autograd/seeing/``; export needs
only three of its facts, the node names (``NodeNames``: label, else ``op#i``; ids ``n<i>``) and the
number format (``fmt``) and the role colours, and takes them from wherever they are, so a drawing, a step line and a
slide call a node and print a number the same way.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["ROLE_COLOURS", "NodeNames", "fmt"]


def _first(name: str, *modules: str) -> Any:
    """``name`` from the first of ``modules`` that has it."""
    for module in modules:
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if found is not None:
            return found
    raise ImportError(f"autograd.export: none of {', '.join(modules)} defines {name}")


NodeNames: Any = _first("NodeNames", "autograd.seeing.text", "autograd.seeing.view", "autograd.text")
fmt: Any = _first("fmt", "autograd.seeing.numbers", "autograd.seeing.text", "autograd.text")


def _role_colours() -> dict[str, str]:
    """The fill colour of each node role, as the drawings use them (a plain default if the seeing layer has none)."""
    for module in ("autograd.seeing.style", "autograd.seeing.draw", "autograd.draw"):
        try:
            found = getattr(importlib.import_module(module), "ROLE_COLOURS", None)
        except ImportError:
            continue
        if isinstance(found, dict) and all(isinstance(v, str) for v in found.values()):
            return dict(found)
    return {"input": "#dbeafe", "parameter": "#fde68a", "constant": "#e5e7eb", "intermediate": "#ffffff", "output": "#bbf7d0"}


ROLE_COLOURS: dict[str, str] = _role_colours()
