"""Tests for ``nn.torch_bridge``: MLP.to_torch / MLP.from_torch give the same network in PyTorch, and back."""

from __future__ import annotations

import importlib
import re
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
from nn import MLP, mse
from nn.module import ACTIVATIONS
from nn.torch_bridge import INSTALL_HINT

small_floats = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)


@st.composite
def mlps(draw: st.DrawFn) -> MLP:
    """A small MLP of any activations, one-neuron layers included."""
    nin = draw(st.integers(min_value=1, max_value=4))
    nouts = draw(st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=3))
    activation, output = draw(st.sampled_from(ACTIVATIONS)), draw(st.sampled_from(ACTIVATIONS))
    return MLP(nin, nouts, activation, output, seed=draw(st.integers(0, 2**31)))  # type: ignore[arg-type]


def test_missing_torch_gives_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without PyTorch (import torch fails), to_torch and from_torch raise ImportError saying what to install."""
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError, as when absent
    model = MLP(2, [1], seed=0)
    with pytest.raises(ImportError, match=r"MLP\.to_torch needs PyTorch\..*pip install torch"):
        model.to_torch()
    with pytest.raises(ImportError, match=r"MLP\.from_torch needs PyTorch"):
        MLP.from_torch(object())  # type: ignore[arg-type, unused-ignore]  # an error only where torch's types are installed
    assert "download.pytorch.org/whl/cpu" in INSTALL_HINT


# Everything below needs PyTorch itself; without it each test is skipped with this reason (the test
# above still runs, so the install hint is checked either way).
torch: Any
try:
    torch = importlib.import_module("torch")  # not `import torch`: mypy without torch installed sees a redefinition
except ImportError:
    torch = None
tnn: Any = None if torch is None else torch.nn
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (optional: pip install torch)")


@needs_torch
@given(model=mlps(), data=st.data())
def test_to_torch_computes_the_same_outputs(model: MLP, data: st.DataObject) -> None:
    """to_torch gives a float64 Sequential whose outputs equal the Value forward pass (to float64 rounding)."""
    seq = model.to_torch()
    x = data.draw(st.lists(small_floats, min_size=model.nin, max_size=model.nin))
    expected = [v.data for v in model.outputs(x)]
    with torch.no_grad():
        got = seq(torch.tensor(x, dtype=torch.float64)).tolist()
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert all(p.dtype == torch.float64 for p in seq.parameters())


@needs_torch
@given(model=mlps(), data=st.data())
def test_to_torch_gives_the_same_gradients(model: MLP, data: st.DataObject) -> None:
    """Backprop through the torch copy gives each weight the gradient valuegrad's backward gives it."""
    x = data.draw(st.lists(small_floats, min_size=model.nin, max_size=model.nin))
    seq = model.to_torch()
    ours = mse(model.outputs(x), [0.5] * model.nouts[-1])
    ours.backward()
    target = torch.full((model.nouts[-1],), 0.5, dtype=torch.float64)
    theirs = torch.nn.functional.mse_loss(seq(torch.tensor(x, dtype=torch.float64)), target)
    theirs.backward()
    linears = [m for m in seq if isinstance(m, torch.nn.Linear)]
    got = [g for linear in linears for g in [*linear.weight.grad.flatten().tolist(), *linear.bias.grad.tolist()]]
    expected = [
        g for layer in model.layers for g in [*(w.grad for n in layer.neurons for w in n.w), *(n.b.grad for n in layer.neurons)]
    ]
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


@needs_torch
@given(mlps())
def test_round_trip_through_torch_is_exact(model: MLP) -> None:
    """MLP.from_torch(model.to_torch()) has the same layers and bit-identical weights.

    (A one-layer MLP's hidden activation is never used, so torch cannot carry it; compare layers.)
    """
    back = MLP.from_torch(model.to_torch())
    assert [repr(layer) for layer in back.layers] == [repr(layer) for layer in model.layers]
    assert back.state_dict() == model.state_dict()


@needs_torch
def test_structure_of_the_sequential() -> None:
    """Each layer becomes Linear(nin, nout) plus its activation module; a linear output adds nothing."""
    seq = MLP(3, [4, 4, 2], activation="tanh", output_activation="sigmoid", seed=0).to_torch()
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh", "Linear", "Tanh", "Linear", "Sigmoid"]
    assert [(m.in_features, m.out_features) for m in seq if isinstance(m, torch.nn.Linear)] == [(3, 4), (4, 4), (4, 2)]
    assert [type(m).__name__ for m in MLP(2, [3, 1], seed=0).to_torch()] == ["Linear", "ReLU", "Linear"]


@needs_torch
def test_weight_rows_are_neurons() -> None:
    """Row i of a Linear's weight is neuron i's w and bias[i] its b."""
    model = MLP(2, [3], seed=4)
    linear: Any = model.to_torch()[0]
    assert linear.weight.tolist() == [[w.data for w in n.w] for n in model.layers[0].neurons]
    assert linear.bias.tolist() == [n.b.data for n in model.layers[0].neurons]


@needs_torch
def test_from_torch_reads_a_float32_pytorch_model_exactly() -> None:
    """A default (float32) torch model comes back with the exact float32 weights and the same outputs."""
    torch.manual_seed(0)
    nn_ = torch.nn
    seq = nn_.Sequential(nn_.Linear(2, 5), nn_.ReLU(), nn_.Linear(5, 5), nn_.ReLU(), nn_.Linear(5, 1))
    model = MLP.from_torch(seq)
    assert repr(model) == "MLP(2, [5, 5, 1], activation='relu', output_activation='linear')"
    assert model.layers[1].neurons[2].w[3].data == seq[2].weight[2, 3].item()
    out = model([0.25, -0.5])
    assert isinstance(out, Value)
    assert out.data == pytest.approx(seq.double()(torch.tensor([0.25, -0.5], dtype=torch.float64)).item(), rel=1e-12)


@needs_torch
def test_from_torch_accepts_identity_and_missing_bias() -> None:
    """Identity counts as linear; a Linear without bias comes back with zero biases."""
    nn_ = torch.nn
    seq = nn_.Sequential(nn_.Linear(2, 3, bias=False), nn_.Sigmoid(), nn_.Linear(3, 1), nn_.Identity())
    model = MLP.from_torch(seq)
    assert repr(model) == "MLP(2, [3, 1], activation='sigmoid', output_activation='linear')"
    assert [n.b.data for n in model.layers[0].neurons] == [0.0, 0.0, 0.0]


@needs_torch
def test_from_torch_consecutive_linears_are_linear_layers() -> None:
    """Two Linears in a row mean the first has no activation; MLP needs that to be the hidden activation."""
    model = MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)))
    assert repr(model) == "MLP(2, [3, 1], activation='linear', output_activation='linear')"


@needs_torch
@pytest.mark.parametrize(
    ("build", "pattern"),
    [
        (lambda: tnn.Sequential(tnn.Linear(2, 3), tnn.GELU(), tnn.Linear(3, 1)), r"layer \(1\) is GELU"),
        (lambda: tnn.Sequential(tnn.ReLU(), tnn.Linear(2, 1)), r"layer \(0\) ReLU does not directly follow"),
        (lambda: tnn.Sequential(tnn.Linear(2, 3), tnn.ReLU(), tnn.Tanh()), r"layer \(2\) Tanh does not directly"),
        (lambda: tnn.Sequential(tnn.Linear(2, 3), tnn.Linear(4, 1)), r"layer \(1\) takes 4 inputs but the layer before gives 3"),
        (lambda: tnn.Sequential(), "no Linear layer"),
        (
            lambda: tnn.Sequential(tnn.Linear(2, 3), tnn.ReLU(), tnn.Linear(3, 3), tnn.Tanh(), tnn.Linear(3, 1)),
            r"hidden layers mix activations \['relu', 'tanh'\]",
        ),
    ],
)
def test_from_torch_refuses_what_an_mlp_cannot_express(build: Any, pattern: str) -> None:
    """Unsupported modules, misplaced activations, shape mismatches and mixed hidden activations raise ValueError."""
    with pytest.raises(ValueError, match=pattern):
        MLP.from_torch(build())


@needs_torch
def test_from_torch_refuses_non_sequential() -> None:
    """A bare Linear (not a Sequential) raises TypeError saying what is expected."""
    with pytest.raises(TypeError, match=r"expected a torch\.nn\.Sequential, got Linear"):
        MLP.from_torch(torch.nn.Linear(2, 1))


def test_an_activation_with_other_settings_is_refused_not_changed() -> None:
    """LeakyReLU(0.2) or Softplus(beta=2) would silently become the default slope/beta: from_torch refuses them by name."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch)")
    for module, shown in ((torch.nn.LeakyReLU(0.2), "LeakyReLU(negative_slope=0.2)"), (torch.nn.Softplus(beta=2.0), "Softplus(")):
        seq = torch.nn.Sequential(torch.nn.Linear(2, 3), module, torch.nn.Linear(3, 1))
        with pytest.raises(ValueError, match=re.escape(shown)):
            MLP.from_torch(seq)
    default = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LeakyReLU(), torch.nn.Linear(3, 1)).double()
    model = MLP.from_torch(default)
    x = [0.5, -1.0]
    assert model(x).data == pytest.approx(default(torch.tensor(x, dtype=torch.float64)).item(), rel=1e-12)
