"""Graduating to PyTorch: the same MLP as a ``torch.nn.Sequential`` in float64, and back.

PyTorch is optional. Without it these functions raise ``ImportError`` saying what to install.
A valuegrad layer ``Layer(nin, nout, activation)`` becomes ``Linear(nin, nout)`` (row i of the
weight matrix is neuron i's ``w``, entry i of the bias its ``b``) followed by ``ReLU``, ``Tanh`` or
``Sigmoid`` (nothing for ``linear``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from autograd.rules import RULES
from nn.module import MLP, Activation

if TYPE_CHECKING:
    import torch

INSTALL_HINT = (
    "PyTorch is not installed; install it with `pip install torch` "
    "(CPU-only build: `pip install torch --index-url https://download.pytorch.org/whl/cpu`)"
)


def import_torch(what: str) -> Any:
    """The ``torch`` module, or ImportError naming ``what`` needed it and how to install it."""
    try:
        import torch as th
    except ImportError as e:
        raise ImportError(f"{what} needs PyTorch. {INSTALL_HINT}") from e
    return th


def _activation_modules(th: Any) -> dict[str, Any]:
    # Each activation row of autograd.rules names its torch.nn module.
    return {name: getattr(th.nn, rule.torch_module) for name, rule in RULES.items() if rule.activation and rule.torch_module}


def to_torch(model: MLP) -> torch.nn.Sequential:
    """An equivalent ``th.nn.Sequential`` (float64, same weights, same outputs) for ``model``.

    >>> import torch
    >>> model = MLP(2, [3, 1], seed=0)
    >>> seq = to_torch(model)
    >>> seq
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): ReLU()
      (2): Linear(in_features=3, out_features=1, bias=True)
    )
    >>> seq(torch.tensor([0.5, -1.0], dtype=torch.float64)).item() == model([0.5, -1.0]).data
    True
    """
    th = import_torch("MLP.to_torch")
    if not isinstance(model, MLP):
        raise TypeError(f"to_torch: expected an nn.MLP, got {type(model).__name__}")
    activations = _activation_modules(th)
    modules: list[Any] = []
    for layer in model.layers:
        linear = th.nn.Linear(layer.nin, layer.nout, dtype=th.float64)
        with th.no_grad():
            linear.weight.copy_(th.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=th.float64))
            linear.bias.copy_(th.tensor([n.b.data for n in layer.neurons], dtype=th.float64))
        modules.append(linear)
        if layer.activation != "linear":
            modules.append(activations[layer.activation]())
    return cast("torch.nn.Sequential", th.nn.Sequential(*modules))


def _name_activation(th: Any, module: Any) -> Activation | None:
    """The valuegrad name of an activation module (``'linear'`` for ``Identity``), or None if not one."""
    for name, cls in _activation_modules(th).items():
        if type(module) is cls:
            return name  # type: ignore[return-value]  # one of the Activation names by construction
    if type(module) is th.nn.Identity:
        return "linear"
    return None


def from_torch(seq: torch.nn.Module) -> MLP:
    """An ``nn.MLP`` with the weights of ``seq``: ``Linear`` layers, each optionally followed by one activation.

    Hidden layers must share one activation (``ReLU``, ``Tanh``, ``Sigmoid``, or none/``Identity``);
    the last layer may have its own. A single Linear comes back with the default (unused) hidden
    activation ``relu``. Weights of any float dtype are converted to Python floats (exactly, for
    float32 and float64).

    >>> import torch
    >>> seq = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    >>> from_torch(seq)
    MLP(2, [4, 1], activation='tanh', output_activation='linear')
    """
    th = import_torch("MLP.from_torch")
    if not isinstance(seq, th.nn.Sequential):
        raise TypeError(f"from_torch: expected a torch.nn.Sequential, got {type(seq).__name__}")
    linears: list[Any] = []
    activations: list[Activation] = []
    for index, module in enumerate(seq):
        if isinstance(module, th.nn.Linear):
            if linears and len(activations) < len(linears):
                activations.append("linear")  # two Linears in a row: no activation between them
            if linears and module.in_features != linears[-1].out_features:
                raise ValueError(
                    f"from_torch: layer ({index}) takes {module.in_features} inputs but the layer before gives "
                    f"{linears[-1].out_features}"
                )
            linears.append(module)
            continue
        name = _name_activation(th, module)
        if name is None:
            raise ValueError(
                f"from_torch: layer ({index}) is {type(module).__name__}; only Linear, Identity and "
                f"{', '.join(cls.__name__ for cls in _activation_modules(th).values())} have a valuegrad equivalent"
            )
        if not linears or len(activations) == len(linears):
            raise ValueError(f"from_torch: layer ({index}) {type(module).__name__} does not directly follow a Linear layer")
        # valuegrad's rows are the modules' defaults (leaky_relu's slope is LeakyReLU()'s 0.01): other
        # settings would be dropped silently and the model would compute something else.
        if name != "linear" and module.extra_repr() != type(module)().extra_repr():
            raise ValueError(
                f"from_torch: layer ({index}) is {module!r}; valuegrad's {name} is {type(module).__name__}() "
                "with its default settings, so this one has no equivalent"
            )
        activations.append(name)
    if not linears:
        raise ValueError("from_torch: the Sequential has no Linear layer")
    if len(activations) < len(linears):
        activations.append("linear")
    hidden = set(activations[:-1])
    if len(hidden) > 1:
        raise ValueError(f"from_torch: hidden layers mix activations {sorted(hidden)}; an nn.MLP has one hidden activation")
    activation: Activation = activations[0] if len(activations) > 1 else "relu"
    model = MLP(linears[0].in_features, [lin.out_features for lin in linears], activation, activations[-1], seed=0)
    state: dict[str, float] = {}
    for k, lin in enumerate(linears):
        weight = lin.weight.detach().to(th.float64).tolist()
        bias = lin.bias.detach().to(th.float64).tolist() if lin.bias is not None else [0.0] * lin.out_features
        for i, (row, b) in enumerate(zip(weight, bias)):
            for j, w in enumerate(row):
                state[f"layers.{k}.neurons.{i}.w.{j}"] = w
            state[f"layers.{k}.neurons.{i}.b"] = b
    model.load_state_dict(state)
    return model
