"""Tests for ``nn.module``: Neuron, Layer and MLP construction, forward, names, init and state dicts."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from micrograd import nn as micrograd_nn

import nn
from autograd import RULES, Value, topological_order
from nn.module import (
    ACTIVATIONS,
    MLP,
    Layer,
    Neuron,
    StateDictError,
    architecture_repr,
    init_weights,
    is_parameter_name,
    parameter_count,
    parameter_names,
)

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


def test_seeded_init_never_touches_global_random_state() -> None:
    """Building models with an int seed or a Random leaves the global random state as it was."""
    before = random.getstate()
    for init in ("uniform", "xavier", "he"):
        MLP(3, [4, 1], seed=5, init=init)
        MLP(3, [4, 1], seed=random.Random(5), init=init)
    assert random.getstate() == before


@pytest.mark.usefixtures("restore_global_random")
def test_unseeded_mlp_draws_micrograds_weights_from_the_global_random() -> None:
    """random.seed(1337); MLP(2, [16, 16, 1]) has micrograd 0.1.0's weights, and leaves the global state where micrograd does."""
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    after_theirs = random.getstate()
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert random.getstate() == after_theirs


@given(seed=seeds, nin=st.integers(min_value=1, max_value=4), nout=st.integers(min_value=1, max_value=4))
@pytest.mark.usefixtures("restore_global_random")
def test_unseeded_neuron_and_layer_draw_from_the_global_random_in_micrograds_order(seed: int, nin: int, nout: int) -> None:
    """Unseeded Neuron and Layer draw random.uniform(-1, 1) per weight in micrograd's order; biases are 0."""
    random.seed(seed)
    theirs = [p.data for p in micrograd_nn.Neuron(nin).parameters() + micrograd_nn.Layer(nin, nout).parameters()]
    random.seed(seed)
    ours = [p.data for p in Neuron(nin).parameters() + Layer(nin, nout).parameters()]
    assert ours == theirs


@pytest.mark.usefixtures("restore_global_random")
def test_unseeded_he_init_draws_from_the_global_random() -> None:
    """Without a seed every init draws from the global random, so random.seed makes it reproducible."""
    random.seed(7)
    a = MLP(3, [4, 1], init="he").state_dict()
    random.seed(7)
    assert MLP(3, [4, 1], init="he").state_dict() == a


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


@pytest.mark.parametrize("seed", [1.5, "1", True, [1]])
def test_bad_seed_is_refused(seed: object) -> None:
    """A seed that is not an int, a Random or None raises TypeError naming the seed."""
    with pytest.raises(TypeError, match="seed"):
        Neuron(2, seed=seed)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ micrograd's nonlin=


def test_nonlin_means_what_it_means_in_micrograd() -> None:
    """nonlin=True is a ReLU neuron, nonlin=False a linear one, for Neuron, Layer and an MLP's hidden layers."""
    assert Neuron(2, nonlin=False, seed=0).activation == "linear"
    assert Neuron(2, nonlin=True, seed=0).activation == "relu"
    assert Layer(2, 3, nonlin=False, seed=0).activation == "linear"
    assert all(n.activation == "linear" for n in Layer(2, 3, nonlin=False, seed=0).neurons)
    assert [layer.activation for layer in MLP(2, [3, 3, 1], nonlin=False, seed=0).layers] == ["linear"] * 3
    assert Neuron(2, "tanh", nonlin=True, seed=0).activation == "tanh"


@pytest.mark.usefixtures("restore_global_random")
def test_linear_neuron_computes_micrograds_linear_neuron() -> None:
    """Neuron(3, nonlin=False) after random.seed matches micrograd's Neuron(3, nonlin=False) output, negative included."""
    random.seed(11)
    theirs = micrograd_nn.Neuron(3, nonlin=False)
    random.seed(11)
    ours = Neuron(3, nonlin=False)
    x = [-2.0, 0.5, -3.0]
    assert ours(x).data == pytest.approx(theirs(x).data, rel=1e-15)


@pytest.mark.parametrize(
    ("build", "error", "pattern"),
    [
        (lambda: Neuron(2, "linear", nonlin=True), ValueError, "nonlin=True contradicts activation='linear'"),
        (lambda: Layer(2, 2, "relu", nonlin=False), ValueError, "nonlin=False contradicts activation='relu'"),
        (lambda: Neuron(2, nonlin="relu"), TypeError, "nonlin must be True or False"),  # type: ignore[arg-type]
        (lambda: Neuron(2, False), ValueError, "use nonlin=False"),  # type: ignore[arg-type]
    ],
)
def test_contradicting_or_misplaced_nonlin_is_refused(build: Callable[[], object], error: type[Exception], pattern: str) -> None:
    """nonlin= contradicting activation=, a non-bool nonlin, or micrograd's positional flag: an error saying what to do."""
    with pytest.raises(error, match=pattern):
        build()


LECTURE_XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
LECTURE_YS = [1.0, -1.0, -1.0, 1.0]


@pytest.mark.parametrize("seed", range(20))
def test_lecture_tanh_network_trains_with_the_lectures_loop(seed: int) -> None:
    """The lecture's tanh network and plain loop (sum of squares, p.data -= 0.05 * p.grad) reach loss < 0.1 in 20 steps."""
    model = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=seed)
    loss = Value(0.0)
    for _ in range(20):
        loss = Value(0.0)
        for x, target in zip(LECTURE_XS, LECTURE_YS):
            loss = loss + (model(x) - target) ** 2
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.05 * float(p.grad)
    assert loss.data < 0.1


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
    assert MLP(2, [1], seed=0).outputs([1.0, 1.0])[0].data == MLP(2, [1], seed=0)([1.0, 1.0]).data


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


# ------------------------------------------------------------------------------------------ common slips (issue 11.7)


@pytest.mark.parametrize("nouts", [1, np.int64(3)])
def test_int_nouts_says_it_must_be_a_list_of_layer_sizes(nouts: object) -> None:
    """MLP(2, 1) raises TypeError saying nouts must be a list of layer sizes and what to write instead."""
    with pytest.raises(TypeError, match=r"MLP nouts must be a list of layer sizes.*MLP\(2, \[16, 16, 1\]\).*MLP\(2, \[\d\]\)"):
        MLP(2, nouts)  # type: ignore[arg-type]


@pytest.mark.parametrize("nouts", ["16", None, 2.5])
def test_non_list_nouts_is_refused_clearly(nouts: object) -> None:
    """A string, None or a float as nouts raises TypeError about nouts, not an iteration error."""
    with pytest.raises(TypeError, match="MLP nouts must be a list of layer sizes"):
        MLP(2, nouts)  # type: ignore[arg-type]


def test_backward_on_several_outputs_says_which_output_to_call_it_on() -> None:
    """backward() on a multi-output model's result raises TypeError naming the count and outputs[i].backward()."""
    out = MLP(2, [3, 3], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3
    with pytest.raises(TypeError, match=r"3 outputs.*out\[i\]\.backward\(\)"):
        out.backward()
    with pytest.raises(TypeError, match=r"2 outputs"):
        Layer(2, 2, seed=0)([1.0, 2.0]).backward()


def test_value_attributes_on_several_outputs_say_which_output_to_use() -> None:
    """A Value attribute (.data, .relu) on a list of outputs raises AttributeError pointing at one output."""
    out = MLP(2, [3, 2], seed=0)([1.0, 2.0])
    with pytest.raises(AttributeError, match=r"2 outputs.*out\[i\]\.data"):
        out.data  # noqa: B018
    with pytest.raises(AttributeError, match=r"out\[i\]\.relu"):
        out.relu()
    with pytest.raises(AttributeError, match="has no attribute 'nonsense'"):
        out.nonsense  # type: ignore[attr-defined]  # noqa: B018


def test_several_outputs_still_behave_as_a_plain_list() -> None:
    """The multi-output result equals outputs(x) as a list and can be indexed, iterated and copied."""
    model = MLP(2, [3, 2], seed=0)
    out = model([1.0, 2.0])
    assert isinstance(out, list)
    assert [v.data for v in out] == [v.data for v in model.outputs([1.0, 2.0])]
    assert [v.data for v in list(out)] == [out[0].data, out[1].data]


USER_SCRIPT = """
from autograd import Value
from nn import MLP

model = MLP(2, [16, 16, 1])
inputs = [[1.0, 2.0], [-1.0, 0.5]]
labels = [1, -1]
scores = list(map(model, inputs))
losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(labels, scores)]
data_loss = losses[0] + losses[1]
accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(labels, scores)]
single: Value = model([1.0, 2.0]).tanh()
several: list[Value] = MLP(2, [3]).outputs([1.0, 2.0])
data_loss.backward()
"""


@pytest.mark.slow
def test_micrograd_style_model_calls_type_check(tmp_path: Path) -> None:
    """A user script calling a one-output MLP the micrograd way (model(x).relu(), map(model, ...)) passes mypy --strict."""
    from mypy import api

    script = tmp_path / "user_script.py"
    script.write_text(USER_SCRIPT)
    root = Path(__file__).resolve().parent.parent
    stdout, stderr, status = api.run(
        ["--strict", "--no-incremental", "--follow-imports=silent", "--config-file", str(root / "pyproject.toml"), str(script)]
    )
    assert status == 0, stdout + stderr


# ------------------------------------------------------------------------------------------ odd inputs (issue 12.11)


def test_numpy_integer_sizes_are_accepted_as_plain_ints() -> None:
    """MLP(np.int64(2), [np.int64(3), 1]), Layer and Neuron accept numpy integers and store plain ints."""
    model = MLP(np.int64(2), [np.int64(3), np.int32(1)], seed=np.int64(0))
    assert model.nin == 2 and model.nouts == [3, 1]
    assert type(model.nin) is int and all(type(n) is int for n in model.nouts)
    assert model.architecture() == MLP(2, [3, 1]).architecture()
    assert model.state_dict() == MLP(2, [3, 1], seed=0).state_dict()
    assert type(Layer(np.int64(2), np.int64(3), seed=0).nout) is int
    assert MLP(2, np.array([3, 1]), seed=0).nouts == [3, 1]


@pytest.mark.parametrize("x", [{1.0, 2.0}, frozenset({1.0, 2.0}), {"a": 1.0, "b": 2.0}])
def test_unordered_inputs_are_refused(x: object) -> None:
    """A set (no order) or a dict as a model input raises TypeError asking for a list or tuple."""
    with pytest.raises(TypeError, match=r"MLP\(2.*fixed order \(a list or tuple\)"):
        MLP(2, [1], seed=0)(x)


def test_numpy_inputs_become_float_leaves() -> None:
    """A numpy row is accepted and its numbers become float input leaves, as a list of floats does."""
    model = MLP(2, [3, 1], seed=0)
    row = np.array([0.5, -1.5], dtype=np.float32)
    out = model(row)
    assert out.data == model([0.5, -1.5]).data
    leaves = [v for v in topological_order(out) if v.label and v.label.startswith("x")]
    assert [type(v.data) for v in leaves] == [float, float]


# ------------------------------------------------------------------------------------------ architectures without building


@given(arch=architectures(), kind=st.sampled_from(["MLP", "Layer", "Neuron"]))
def test_architecture_alone_gives_repr_count_and_names(arch: tuple[int, list[int], str, str], kind: str) -> None:
    """architecture_repr, parameter_count and parameter_names agree with the built module's repr and named_parameters."""
    nin, nouts, act, out_act = arch
    module: nn.Module
    if kind == "MLP":
        module = MLP(nin, nouts, act, out_act, seed=0)  # type: ignore[arg-type]
    elif kind == "Layer":
        module = Layer(nin, nouts[0], act, seed=0)  # type: ignore[arg-type]
    else:
        module = Neuron(nin, act, seed=0)  # type: ignore[arg-type]
    architecture = module.architecture()
    assert architecture_repr(architecture) == repr(module)
    assert parameter_count(architecture) == len(module.parameters())
    names = [name for name, _ in module.named_parameters()]
    assert list(parameter_names(architecture)) == names
    assert all(is_parameter_name(architecture, name) for name in names)


@given(
    arch=architectures(),
    name=st.one_of(
        st.text(alphabet="layersnuonwb.0123456789", max_size=30),
        st.from_regex(r"\A(layers\.[0-9]{1,2}\.)?(neurons\.[0-9]{1,2}\.)?(w\.[0-9]{1,2}|b)\Z"),
    ),
)
def test_is_parameter_name_agrees_with_the_list_of_names(arch: tuple[int, list[int], str, str], name: str) -> None:
    """is_parameter_name(arch, name) is exactly name in parameter_names(arch), for MLPs, Layers and Neurons."""
    nin, nouts, act, out_act = arch
    for architecture in (
        MLP(nin, nouts, act, out_act, seed=0).architecture(),  # type: ignore[arg-type]
        Layer(nin, nouts[0], act, seed=0).architecture(),  # type: ignore[arg-type]
        Neuron(nin, act, seed=0).architecture(),  # type: ignore[arg-type]
    ):
        assert is_parameter_name(architecture, name) == (name in set(parameter_names(architecture)))
