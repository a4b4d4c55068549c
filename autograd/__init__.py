"""valuegrad's engine: scalar ``Value`` nodes, reverse-mode backprop and the tools to inspect it.

PyPI's HIPS ``autograd`` uses the same import name; install one or the other in an environment
(importing this package says so when pip has installed both into one folder).

>>> import autograd
>>> autograd.__version__ == autograd._distribution.distribution_version()
True
"""

import importlib
from typing import TYPE_CHECKING, Any

# First: importing it checks that HIPS autograd has not been installed into this folder, so a
# mixed-up environment gives that error, not an unrelated one from a later import.
from autograd import _distribution
from autograd.custom import define_op, forget_op
from autograd.functional import grad, value_and_grad
from autograd.gradcheck import GradcheckError, gradcheck
from autograd.replay import CompiledFunction, PerSampleFunction, StructureChanged, compile, compile_per_sample
from autograd.rules import RULES, Rule
from autograd.value import (
    BACKEND,
    Value,
    apply,
    backprop_grads,
    dot,
    gradients,
    is_grad_enabled,
    no_grad,
    topological_order,
    vsum,
)

#: Tells ``nn`` (and anyone) that this ``autograd`` is valuegrad's, not PyPI's HIPS autograd.
__valuegrad__ = True

#: The seeing layer's public names and the module each lives in. They are imported when first asked
#: for, so ``import autograd`` loads no renderer, no page code and no graphviz (the engine needs none).
_SEEING: dict[str, str] = {
    "Backprop": "autograd.seeing.stepper",
    "BackpropDone": "autograd.seeing.stepper",
    "Step": "autograd.seeing.stepper",
    "explain": "autograd.seeing.stepper",
    "show": "autograd.seeing.text",
    "tree": "autograd.seeing.text",
    "GraphvizNotFound": "autograd.seeing.draw",
    "draw_dot": "autograd.seeing.draw",
    "render": "autograd.seeing.draw",
    "render_html": "autograd.seeing.page",
    "to_html": "autograd.seeing.page",
}

if TYPE_CHECKING:
    from autograd.seeing.draw import GraphvizNotFound, draw_dot, render
    from autograd.seeing.page import render_html, to_html
    from autograd.seeing.stepper import Backprop, BackpropDone, Step, explain
    from autograd.seeing.text import show, tree


def __getattr__(name: str) -> Any:
    """The seeing layer's names (imported on first use) and ``autograd.__version__``.

    The version is valuegrad's (the installed distribution's, or a checkout's pyproject.toml), looked
    up on first use, since reading package metadata would double the time ``import autograd`` takes.
    """
    module = _SEEING.get(name)
    if module is not None:
        found = getattr(importlib.import_module(module), name)
        globals()[name] = found  # asked once: later lookups are plain attribute reads
        return found
    if name == "__version__":
        return _distribution.distribution_version()
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


__all__ = [
    "BACKEND",
    "RULES",
    "Backprop",
    "BackpropDone",
    "CompiledFunction",
    "GradcheckError",
    "GraphvizNotFound",
    "PerSampleFunction",
    "Rule",
    "Step",
    "StructureChanged",
    "Value",
    "apply",
    "backprop_grads",
    "compile",
    "compile_per_sample",
    "define_op",
    "dot",
    "draw_dot",
    "explain",
    "forget_op",
    "grad",
    "gradcheck",
    "gradients",
    "is_grad_enabled",
    "no_grad",
    "render",
    "render_html",
    "show",
    "to_html",
    "topological_order",
    "tree",
    "value_and_grad",
    "vsum",
]
