"""Tests for ``nn.module``: Neuron, Layer and MLP construction, forward, names, init and state dicts."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from micrograd import nn as micrograd_nn

import nn
from autograd import RULES, Value, topological_order
from nn.module import ACTIVATIONS, MLP, Layer, Neuron, StateDictError, init_weights

activations = st.sampled_from(ACTIVATIONS)
seeds = st.integers(min_value=0, max_value=2**31)
small_floats = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)


@st.composite
def architectures(draw: st.DrawFn) -> tuple[int, list[int], str, str]:
    """(nin, nouts, activation, output_activation) of a small MLP, one-neuron layers included."""
    nin = draw(st.integers(min_value=1, max_value=4))
    nouts = draw(st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=3))
    return nin, nouts, draw(activations), draw(activations)


@pytest.fixture
def restore_global_random() -> Iterator[None]:
    """Restore the global random state after a test that seeds it for micrograd."""
    state = random.getstate()
    yield
    random.setstate(state)


# ------------------------------------------------------------------------------------------ micrograd parity


def _check_micrograd_parity(nin: int, nouts: list[int], seed: int, x: list[float]) -> None:
    random.seed(seed)
    theirs = micrograd_nn.MLP(nin, nouts)
    ours = MLP(nin, nouts, seed=seed)
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    out_theirs, out_ours = theirs(x), ours(x)
    assert isinstance(out_ours, Value)
    assert out_ours.data == out_theirs.data
    out_theirs.backward()
    out_ours.backward()
    expected = [float(p.grad) for p in theirs.parameters()]
    assert [p.grad for p in ours.parameters()] == pytest.approx(expected, rel=1e-12, abs=1e-12)


@given(
    seed=seeds,
    nouts=st.lists(st.integers(min_value=2, max_value=5), min_size=0, max_size=2),
    x=st.lists(small_floats, min_size=2, max_size=2),
)
@pytest.mark.usefixtures("restore_global_random")
def test_mlp_matches_micrograd_bit_for_bit(seed: int, nouts: list[int], x: list[float]) -> None:
    """MLP(2, nouts, seed=s) has micrograd's weights after random.seed(s), its output bit for bit, and its gradients.

    Gradients agree to rounding only: micrograd adds a weight's gradient contributions in a
    different order (its graph walk goes through sets). Hidden widths >= 2 because micrograd
    itself crashes on a one-neuron hidden layer.
    """
    _check_micrograd_parity(2, [*nouts, 1], seed, x)


@pytest.mark.usefixtures("restore_global_random")
def test_micrograd_demo_network_matches_micrograd() -> None:
    """The demo's MLP(2, [16, 16, 1]) with seed 1337 matches micrograd's after random.seed(1337)."""
    _check_micrograd_parity(2, [16, 16, 1], 1337, [0.5, -1.25])


def test_micrograd_demo_architecture_has_337_parameters() -> None:
    """MLP(2, [16, 16, 1]) has micrograd's 337 parameters, a linear output and ReLU hidden layers."""
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 337
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]


# ------------------------------------------------------------------------------------------ initialisation


def test_init_never_touches_global_random_state() -> None:
    """Building models with an int seed, a Random or no seed leaves the global random state as it was."""
    before = random.getstate()
    for init in ("uniform", "xavier", "he"):
        MLP(3, [4, 1], seed=5, init=init)
        MLP(3, [4, 1], seed=random.Random(5), init=init)
        MLP(3, [4, 1], init=init)
    assert random.getstate() == before


@given(seed=seeds, arch=architectures())
def test_same_seed_same_weights(seed: int, arch: tuple[int, list[int], str, str]) -> None:
    """Equal int seeds (or equally seeded Randoms) give equal weights."""
    nin, nouts, act, out_act = arch
    a = MLP(nin, nouts, act, out_act, seed=seed)  # type: ignore[arg-type]
    b = MLP(nin, nouts, act, out_act, seed=random.Random(seed))  # type: ignore[arg-type]
    assert a.state_dict() == b.state_dict()


def test_different_seeds_and_no_seed_differ() -> None:
    """Different seeds, and two unseeded models, draw different weights."""
    assert MLP(2, [8, 1], seed=1).state_dict() != MLP(2, [8, 1], seed=2).state_dict()
    assert MLP(2, [8, 1]).state_dict() != MLP(2, [8, 1]).state_dict()


def test_shared_random_advances_between_models() -> None:
    """A shared random.Random is used as is: two models drawn from it one after the other differ."""
    rng = random.Random(0)
    assert MLP(2, [3], seed=rng).state_dict() != MLP(2, [3], seed=rng).state_dict()


def test_biases_start_at_zero() -> None:
    """Every init leaves biases at 0.0, as micrograd does."""
    for init in ("uniform", "xavier", "he"):
        model = MLP(3, [5, 2], init=init, seed=0)
        assert all(p.data == 0.0 for name, p in model.named_parameters() if name.endswith(".b"))


def test_xavier_weights_lie_within_the_glorot_bound() -> None:
    """Xavier weights of Layer(nin, nout) lie in ±sqrt(6 / (nin + nout)) and fill most of that range."""
    layer = Layer(30, 20, init="xavier", seed=0)
    bound = math.sqrt(6.0 / 50)
    weights = [w.data for n in layer.neurons for w in n.w]
    assert all(-bound <= w <= bound for w in weights)
    assert max(weights) > 0.9 * bound and min(weights) < -0.9 * bound


def test_he_weights_have_he_standard_deviation() -> None:
    """He weights are centred with standard deviation close to sqrt(2 / fan_in) (10,000 draws, fixed seed)."""
    weights = init_weights(random.Random(0), "he", 50, 1, 10_000)
    assert abs(statistics.fmean(weights)) < 0.01
    assert statistics.stdev(weights) == pytest.approx(math.sqrt(2.0 / 50), rel=0.03)


def test_unknown_init_is_refused() -> None:
    """An unknown init name raises ValueError listing the valid ones."""
    with pytest.raises(ValueError, match="'uniform', 'xavier', 'he'"):
        MLP(2, [3], init="normal", seed=0)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [1.5, "1", True])
def test_bad_seed_is_refused(seed: object) -> None:
    """A seed that is not an int, Random or None raises TypeError."""
    with pytest.raises(TypeError, match="seed"):
        Neuron(2, seed=seed)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ forward


@given(arch=architectures(), seed=seeds, data=st.data())
def test_forward_matches_plain_float_network(arch: tuple[int, list[int], str, str], seed: int, data: st.DataObject) -> None:
    """An MLP computes activation(b + Σ w·x) layer by layer, exactly as a float loop over its weights does."""
    nin, nouts, act, out_act = arch
    model = MLP(nin, nouts, act, out_act, seed=seed)  # type: ignore[arg-type]
    x = data.draw(st.lists(small_floats, min_size=nin, max_size=nin))
    functions: dict[str, Callable[[float], float]] = {
        "relu": lambda v: v if v > 0.0 else 0.0,
        "tanh": math.tanh,
        "sigmoid": lambda v: 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v)),
        "linear": lambda v: v,
    }
    values = list(x)
    for layer in model.layers:
        outs = []
        for n in layer.neurons:
            total = n.b.data
            for w, xi in zip(n.w, values):
                total += w.data * xi
            # An activation without its own line above (a rule added later): its rule's float forward.
            activate = functions.get(layer.activation) or RULES[layer.activation].forward
            outs.append(activate(total))
        values = outs
    got = model.outputs(x)
    assert [v.data for v in got] == pytest.approx(values, rel=1e-15, abs=1e-300)


def test_neuron_forward_is_one_dot_node_then_one_activation() -> None:
    """A neuron's graph is one 'dot' node with parents (*w, *x, b), then one activation node."""
    neuron = Neuron(3, "tanh", seed=0)
    x = [Value(1.0), Value(2.0), Value(3.0)]
    out = neuron(x)
    assert out.op == "tanh"
    (dot_node,) = out.parents
    assert dot_node.op == "dot"
    assert dot_node.parents == (*neuron.w, *x, neuron.b)
    assert len(topological_order(out)) == 3 + 3 + 1 + 2


def test_linear_neuron_has_no_activation_node() -> None:
    """A linear neuron's output is the 'dot' node itself."""
    assert Neuron(2, "linear", seed=0)([1.0, 2.0]).op == "dot"


def test_forward_nodes_are_not_labelled() -> None:
    """Forward nodes carry no label (speed); only parameters are named."""
    out = MLP(2, [2, 1], seed=0)([1.0, 2.0])
    assert isinstance(out, Value)
    assert all(node.label == "" for node in topological_order(out) if node.op)


def test_hidden_layer_of_one_neuron_works() -> None:
    """A one-neuron hidden layer feeds the next layer (micrograd's out[0] crash) and backprop reaches every weight."""
    model = MLP(2, [1, 3, 1], seed=3)
    out = model([0.5, -0.25])
    assert isinstance(out, Value)
    out.backward()
    assert len(model.outputs([0.5, -0.25])) == 1
    assert MLP(2, [1], seed=0).outputs([1.0, 1.0])[0].data == MLP(2, [1], seed=0)([1.0, 1.0]).data  # type: ignore[union-attr]


def test_layer_returns_single_value_for_one_neuron_and_list_otherwise() -> None:
    """Layer(n, 1) returns one Value like micrograd; wider layers return lists; outputs() always a list."""
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    wide = Layer(2, 3, seed=0)([1.0, 2.0])
    assert isinstance(wide, list) and len(wide) == 3
    assert len(Layer(2, 1, seed=0).outputs([1.0, 2.0])) == 1


def test_single_number_or_value_input_for_one_input() -> None:
    """With nin == 1 a bare number, a bare Value or a one-element list are the same input."""
    model = MLP(1, [4, 1], seed=0)
    a, b, c = model(0.5), model(Value(0.5)), model([0.5])
    assert isinstance(a, Value) and isinstance(b, Value) and isinstance(c, Value)
    assert a.data == b.data == c.data


def test_inputs_may_be_values_and_receive_gradients() -> None:
    """Value inputs are used as they are, so gradients flow to them."""
    model = MLP(2, [3, 1], "tanh", seed=0)
    x = [Value(0.3), Value(-0.7)]
    out = model(x)
    assert isinstance(out, Value)
    out.backward()
    assert any(xi.grad != 0.0 for xi in x)


@pytest.mark.parametrize(
    ("module", "x", "pattern"),
    [
        (MLP(2, [16, 16, 1], seed=0), [1.0, 2.0, 3.0], r"MLP\(2, \[16, 16, 1\].*expected 2 inputs, got 3"),
        (Layer(3, 2, seed=0), [1.0], r"Layer\(3, 2.*expected 3 inputs, got 1"),
        (Neuron(1, seed=0), [], r"Neuron\(1.*expected 1 input, got 0"),
        (MLP(2, [1], seed=0), 1.0, r"MLP\(2, \[1\].*expected 2 inputs, got a single float"),
    ],
)
def test_wrong_input_length_names_module_expected_and_got(module: nn.Module, x: object, pattern: str) -> None:
    """Calling with the wrong number of inputs raises ValueError naming the module, expected and actual counts."""
    with pytest.raises(ValueError, match=pattern):
        module(x)


@pytest.mark.parametrize("x", ["ab", [1.0, "2"], [[1.0, 2.0]], None])
def test_non_numeric_input_is_refused(x: object) -> None:
    """Strings, nested lists and None raise TypeError naming the module."""
    with pytest.raises((TypeError, ValueError), match=r"MLP\(2"):
        MLP(2, [1], seed=0)(x)


@pytest.mark.parametrize(
    ("build", "pattern"),
    [
        (lambda: MLP(0, [1]), "nin"),
        (lambda: MLP(2, []), "at least one"),
        (lambda: MLP(2, [3, 0]), "width"),
        (lambda: MLP(2, [3], activation="gelu"), "activation"),  # type: ignore[arg-type]
        (lambda: Layer(2, 1, activation="softmax"), "activation"),  # type: ignore[arg-type]
        (lambda: Neuron(2.0), "nin"),  # type: ignore[arg-type]
    ],
)
def test_invalid_constructor_arguments_are_refused(build: object, pattern: str) -> None:
    """Zero sizes, empty nouts, non-int sizes and unknown activations raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=pattern):
        build()  # type: ignore[operator]


# ------------------------------------------------------------------------------------------ names, grads, repr


@given(arch=architectures())
def test_named_parameters_are_dotted_labelled_and_ordered(arch: tuple[int, list[int], str, str]) -> None:
    """Names are layers.k.neurons.i.w.j / .b in parameters() order, each parameter labelled with its name."""
    nin, nouts, act, out_act = arch
    model = MLP(nin, nouts, act, out_act, seed=0)  # type: ignore[arg-type]
    named = model.named_parameters()
    expected = []
    for k, (fan_in, width) in enumerate(zip([nin, *nouts], nouts)):
        for i in range(width):
            expected += [f"layers.{k}.neurons.{i}.w.{j}" for j in range(fan_in)] + [f"layers.{k}.neurons.{i}.b"]
    assert [name for name, _ in named] == expected
    assert [p for _, p in named] == model.parameters()
    assert all(p.label == name for name, p in named)
    assert len({id(p) for p in model.parameters()}) == len(expected)


def test_standalone_modules_name_their_own_parameters() -> None:
    """A Neuron's parameters are w.j and b; a Layer's neurons.i.w.j and neurons.i.b."""
    assert [p.label for p in Neuron(2, seed=0).parameters()] == ["w.0", "w.1", "b"]
    assert [p.label for p in Layer(1, 2, seed=0).parameters()] == ["neurons.0.w.0", "neurons.0.b", "neurons.1.w.0", "neurons.1.b"]


def test_zero_grad_resets_every_parameter() -> None:
    """zero_grad sets every parameter's grad back to 0.0 after backward."""
    model = MLP(2, [4, 1], "tanh", seed=0)
    out = model([1.0, -1.0])
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 and isinstance(p.grad, float) for p in model.parameters())


def test_repr_shows_the_architecture() -> None:
    """repr reads like the constructor call; summary lists layers and parameter counts."""
    model = MLP(2, [16, 16, 1], seed=0)
    assert repr(model) == "MLP(2, [16, 16, 1], activation='relu', output_activation='linear')"
    assert repr(Layer(3, 2, "tanh", seed=0)) == "Layer(3, 2, activation='tanh')"
    assert repr(Neuron(4, "sigmoid", seed=0)) == "Neuron(4, activation='sigmoid')"
    summary = model.summary()
    assert "layers.2  Layer(16, 1, activation='linear')" in summary
    assert summary.splitlines()[-1].split()[-2] == "337"


# ------------------------------------------------------------------------------------------ state dicts


@given(arch=architectures(), seed_a=seeds, seed_b=seeds, data=st.data())
def test_state_dict_round_trip_reproduces_the_model(
    arch: tuple[int, list[int], str, str], seed_a: int, seed_b: int, data: st.DataObject
) -> None:
    """Loading one model's state_dict into another of the same shape makes them compute the same outputs."""
    nin, nouts, act, out_act = arch
    a = MLP(nin, nouts, act, out_act, seed=seed_a)  # type: ignore[arg-type]
    b = MLP(nin, nouts, act, out_act, seed=seed_b)  # type: ignore[arg-type]
    b.load_state_dict(a.state_dict())
    assert b.state_dict() == a.state_dict()
    x = data.draw(st.lists(small_floats, min_size=nin, max_size=nin))
    assert [v.data for v in b.outputs(x)] == [v.data for v in a.outputs(x)]


def test_state_dict_is_a_plain_ordered_dict_of_floats() -> None:
    """state_dict maps names (in parameters() order) to floats, not Values."""
    model = MLP(2, [2, 1], seed=0)
    state = model.state_dict()
    assert list(state) == [name for name, _ in model.named_parameters()]
    assert all(type(v) is float for v in state.values())


def test_load_state_dict_keeps_the_same_value_objects_and_grads() -> None:
    """load_state_dict writes data into the existing parameters (optimizers keep working) and leaves grads alone."""
    model = MLP(2, [2, 1], seed=0)
    params = model.parameters()
    params[0].grad = 7.0
    model.load_state_dict({name: 1.5 for name, _ in model.named_parameters()})
    assert model.parameters() == params
    assert all(p.data == 1.5 for p in params) and params[0].grad == 7.0


def test_load_state_dict_accepts_ints_and_values() -> None:
    """Integer values and Values (their data) are accepted and stored as floats."""
    n = Neuron(2, seed=0)
    n.load_state_dict({"w.0": 2, "w.1": Value(3.0), "b": -1})
    assert [(p.data, type(p.data)) for p in n.parameters()] == [(2.0, float), (3.0, float), (-1.0, float)]


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (lambda s: s.pop("layers.1.neurons.0.b"), r"missing 1 parameter\(s\): 'layers.1.neurons.0.b'"),
        (lambda s: s.update({"layers.9.neurons.0.b": 0.0}), r"unexpected 1 parameter\(s\): 'layers.9.neurons.0.b'"),
        (lambda s: s.update({"layers.0.neurons.1.w.0": "0.5"}), r"'layers.0.neurons.1.w.0' must be a number, got str"),
        (lambda s: s.update({"layers.0.neurons.1.w.0": None}), r"must be a number, got NoneType"),
        (lambda s: s.update({"layers.0.neurons.1.w.0": True}), r"must be a number, got bool"),
        (lambda s: s.update({"layers.1.neurons.0.w.1": math.nan}), r"must be finite, got nan"),
        (lambda s: s.update({"layers.1.neurons.0.w.1": -math.inf}), r"must be finite, got -inf"),
        (lambda s: s.update({"layers.1.neurons.0.w.1": 10**400}), r"too large for a float"),
    ],
)
def test_bad_state_dict_raises_and_changes_nothing(change: object, pattern: str) -> None:
    """Missing, extra, non-number or non-finite entries raise StateDictError and leave every parameter as it was."""
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    state = {name: 0.25 for name in before}
    change(state)  # type: ignore[operator]
    with pytest.raises(StateDictError, match=pattern):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_state_dict_error_is_a_value_error_naming_the_model() -> None:
    """StateDictError is a ValueError and names the module it did not fit."""
    with pytest.raises(ValueError, match=r"does not fit MLP\(2, \[1\]"):
        MLP(2, [1], seed=0).load_state_dict({})
