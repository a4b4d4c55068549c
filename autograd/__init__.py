"""valuegrad's engine: scalar ``Value`` nodes, reverse-mode backprop and the tools to inspect it.

PyPI's HIPS ``autograd`` uses the same import name; install one or the other in an environment.
"""

from autograd.functional import grad, value_and_grad
from autograd.gradcheck import GradcheckError, gradcheck
from autograd.rules import RULES, Rule
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
    "GradcheckError",
    "RULES",
    "Rule",
    "Value",
    "apply",
    "backprop_grads",
    "dot",
    "grad",
    "gradcheck",
    "gradients",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
    "value_and_grad",
    "vsum",
]
