"""valuegrad's engine: scalar ``Value`` nodes, reverse-mode backprop and the tools to inspect it.

PyPI's HIPS ``autograd`` uses the same import name; install one or the other in an environment.
"""

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

__all__ = [
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
