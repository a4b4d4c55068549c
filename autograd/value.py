"""``Value`` and its graph functions: the facade over the files that hold them, and over the C engine.

``from autograd.value import Value, topological_order, backprop_grads, gradients, apply, vsum, dot,
no_grad`` gives the engine in use. The pure engine is spread over files with one job each:

- ``autograd/grad_mode.py``: ``no_grad``, ``is_grad_enabled`` and the decorator machinery;
- ``autograd/errors.py``: the words of every error both engines raise;
- ``autograd/base.py``: ``ValueBase``, what both engines' ``Value`` share (repr, comparisons,
  copies and pickles, ``backward(create_graph=True)``);
- ``autograd/node.py``: the pure ``Value`` (its operators generated into ``autograd/_ops.py``)
  and its ``backward``;
- ``autograd/recording.py``: ``apply``, ``vsum`` and ``dot``;
- ``autograd/graph.py``: ``topological_order``, ``backprop_grads``, ``gradients``, ``rule_of``.

When the C extension (``autograd/_native``) is built, its names are imported over the pure ones
here and in ``graph.py``/``recording.py`` -- CPython's ``heapq``/``_heapq`` shape; the C module never
calls back into these modules except through the few hooks ``autograd/_native/__init__.py`` lists.
``VALUEGRAD_PURE=1`` keeps the pure engine. ``BACKEND`` says which one is in use.
"""

from __future__ import annotations

from autograd import _native
from autograd.base import ValueBase, _decided
from autograd.grad_mode import _GRAD_ENABLED, _TRACER, NoGrad, is_grad_enabled, no_grad
from autograd.graph import Grad, backprop_grads, formulas_of, gradients, has_closure, rule_of, topological_order
from autograd.node import Number, Value
from autograd.recording import apply, dot, vsum
from autograd.rules import RULES, Rule

__all__ = [
    "BACKEND",
    "RULES",
    "_GRAD_ENABLED",
    "_TRACER",
    "Grad",
    "NoGrad",
    "Number",
    "PureValue",
    "Rule",
    "Value",
    "ValueBase",
    "_decided",
    "apply",
    "backprop_grads",
    "dot",
    "formulas_of",
    "gradients",
    "has_closure",
    "is_grad_enabled",
    "no_grad",
    "rule_of",
    "topological_order",
    "vsum",
]

#: The pure engine's ``Value``, whichever engine is in use.
PureValue = Value

_core = _native.active()
if _core is not None:
    from autograd._native._core import Value  # type: ignore[assignment]

#: ``"native"`` (the C engine) or ``"pure"``.
BACKEND = "native" if _core is not None else "pure"
