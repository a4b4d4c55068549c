"""valuegrad's neural-network layer: plain Python over ``autograd.Value``.

>>> import nn
>>> model = nn.MLP(2, [16, 16, 1], seed=1337)
>>> loss = nn.mse([model([1.0, -1.0])], [1.0])
>>> loss.backward()
>>> nn.SGD(model.parameters(), lr=0.1).step()
>>> import autograd
>>> nn.__version__ == autograd.__version__   # valuegrad's version, one for both packages
True
"""

# _valuegrad_autograd first: it checks that this autograd is valuegrad's, not PyPI's HIPS autograd.
# ``nn.diagnose`` is the function (``from nn.diagnose import ...`` still reaches the module), as the
# one call for people with their own training loop.
from nn import _valuegrad_autograd, callbacks, data, losses, optim, train
from nn.callbacks import EarlyStopping, Progress, Stop
from nn.diagnose import DiagnosisWarning, diagnose
from nn.history import History
from nn.losses import binary_cross_entropy, cross_entropy, hinge, l2, mse
from nn.module import MLP, Layer, Module, Neuron, StateDictError
from nn.nonfinite import NonFiniteError
from nn.optim import SGD, Adam, constant, cosine, linear_decay, step_decay
from nn.serialize import ModelFileError, load
from nn.train import fit


def __getattr__(name: str) -> str:
    """``nn.__version__``: valuegrad's version, the same as ``autograd.__version__`` (one distribution installs both)."""
    if name == "__version__":
        return _valuegrad_autograd.version()
    raise AttributeError(f"module 'nn' has no attribute {name!r}")


__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "DiagnosisWarning",
    "EarlyStopping",
    "History",
    "Layer",
    "ModelFileError",
    "Module",
    "Neuron",
    "NonFiniteError",
    "Progress",
    "StateDictError",
    "Stop",
    "binary_cross_entropy",
    "callbacks",
    "constant",
    "cosine",
    "cross_entropy",
    "data",
    "diagnose",
    "fit",
    "hinge",
    "l2",
    "linear_decay",
    "load",
    "losses",
    "mse",
    "optim",
    "step_decay",
    "train",
]
