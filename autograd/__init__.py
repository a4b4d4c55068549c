"""valuegrad's engine: scalar ``Value`` nodes, reverse-mode backprop and the tools to inspect it.

PyPI's HIPS ``autograd`` uses the same import name; install one or the other in an environment
(importing this package says so when pip has installed both into one folder).

>>> import autograd
>>> autograd.__version__ == autograd._distribution.distribution_version()
True
"""

# First: importing it checks that HIPS autograd has not been installed into this folder, so a
# mixed-up environment gives that error, not an unrelated one from a later import.
from autograd import _distribution
from autograd.custom import define_op, forget_op
from autograd.draw import GraphvizNotFound, draw_dot, render
from autograd.functional import grad, value_and_grad
from autograd.gradcheck import GradcheckError, gradcheck
from autograd.html import render_html, to_html
from autograd.replay import CompiledFunction, PerSampleFunction, StructureChanged, compile, compile_per_sample
from autograd.rules import RULES, Rule
from autograd.stepper import Backprop, BackpropDone, Step, explain
from autograd.text import show, tree
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



def __getattr__(name: str) -> str:
    """``autograd.__version__``: valuegrad's version (the installed distribution's, or a checkout's pyproject.toml).

    Looked up on first use, since reading package metadata would double the time ``import autograd`` takes.
    """
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
