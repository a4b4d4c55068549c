"""The lecture's names for an MLP's graph: w_mn^(i), b_m^(i) and the state vectors x_j^(i).

In "How neural networks work" layers are numbered from 1 for the input, so an ``MLP``'s
``layers[k]`` is layer i = k + 2; ``w_mn^(i)`` is the weight from neuron n of layer i − 1 to neuron m
of layer i, ``b_m^(i)`` the bias of neuron m of layer i, and ``x_j^(i)`` the j-th entry of layer i's
state vector (``x^(1)`` the input, the last layer's ``x_1`` the output y). Indices count from 1.

``lecture_names(model, root)`` maps the nodes of ``root``'s graph to those names, written with
Unicode sub- and superscripts (``w₁₃⁽²⁾``); pass the mapping as ``names=`` to ``draw_dot``, ``show``,
``tree`` or ``Backprop`` so the graph reads like the lecture's equations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autograd import Value, topological_order

if TYPE_CHECKING:
    from nn.module import MLP

__all__ = ["bias_name", "lecture_names", "state_name", "weight_name"]

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")


def _indices(*indices: int) -> str:
    # w₁₂ is m = 1, n = 2; from 10 on the indices are separated (w₁₀,₂), or w₁₀₂ could be either.
    separator = "," if any(i >= 10 for i in indices) else ""
    return separator.join(str(i).translate(_SUB) for i in indices)


def _layer(i: int) -> str:
    return f"({i})".translate(_SUP)


def weight_name(i: int, m: int, n: int) -> str:
    """``w_mn^(i)``: the weight from neuron n of layer i − 1 to neuron m of layer i.

    >>> weight_name(2, 1, 3), weight_name(3, 12, 4)
    ('w₁₃⁽²⁾', 'w₁₂,₄⁽³⁾')
    """
    return f"w{_indices(m, n)}{_layer(i)}"


def bias_name(i: int, m: int) -> str:
    """``b_m^(i)``: the bias of neuron m of layer i.

    >>> bias_name(3, 1)
    'b₁⁽³⁾'
    """
    return f"b{_indices(m)}{_layer(i)}"


def state_name(i: int, j: int) -> str:
    """``x_j^(i)``: entry j of layer i's state vector (layer 1 is the input).

    >>> state_name(1, 2)
    'x₂⁽¹⁾'
    """
    return f"x{_indices(j)}{_layer(i)}"


def lecture_names(model: MLP, root: Value | None = None) -> dict[Value, str]:
    """The lecture's name of every parameter of ``model`` and, given ``root``, of the states in its graph.

    A neuron's output (after its activation) is ``x_m^(i)``; the inputs its first layer reads are
    ``x_j^(1)``. Nodes the lecture gives no name (a weighted sum before its activation, a loss)
    keep their labels.

    >>> from nn import MLP
    >>> model = MLP(2, [1], seed=0)
    >>> names = lecture_names(model, model([1.0, 2.0]))
    >>> sorted(names.values())
    ['b₁⁽²⁾', 'w₁₁⁽²⁾', 'w₁₂⁽²⁾', 'x₁⁽²⁾', 'x₁⁽¹⁾', 'x₂⁽¹⁾']
    """
    names: dict[Value, str] = {}
    neuron_of: dict[Value, tuple[int, int, bool]] = {}  # a neuron's bias -> (layer i, m, has an activation node)
    for k, layer in enumerate(model.layers):
        i = k + 2
        for m, neuron in enumerate(layer.neurons, start=1):
            for n, w in enumerate(neuron.w, start=1):
                names[w] = weight_name(i, m, n)
            names[neuron.b] = bias_name(i, m)
            neuron_of[neuron.b] = (i, m, neuron.activation != "linear")
    if root is None:
        return names
    order = topological_order(root)
    activation_of: dict[Value, Value] = {}
    for node in order:
        if len(node.parents) == 1 and node.parents[0].op == "dot":
            activation_of.setdefault(node.parents[0], node)
    for node in order:
        if node.op != "dot" or node.parents[-1] not in neuron_of:
            continue
        i, m, activated = neuron_of[node.parents[-1]]
        output = activation_of.get(node) if activated else node
        if output is not None:
            names[output] = state_name(i, m)
        if i == 2:
            n = (len(node.parents) - 1) // 2
            for j, x in enumerate(node.parents[n : 2 * n], start=1):
                names.setdefault(x, state_name(1, j))
    return names
