"""Everyone's micrograd code runs (issue 19): attributes, copies and pickles, subclasses, one assignment behaviour,
micrograd's ``_op`` spellings, microgpt's constructor; plus the constant exponent (18.7) and grad/grad_value (20.3).

Every test runs on the engine in use (the suite runs once with ``VALUEGRAD_PURE=1``); the assignment
table is also checked against the pure engine loaded beside the C one.
"""

from __future__ import annotations

import copy
import gc
import math
import os
import pickle
import shutil
import struct
import subprocess
import sys
import weakref
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import Backprop, Value, draw_dot, gradcheck, topological_order
from autograd._native import pure_value_module
from autograd.testing import Expression, expressions

PROTOCOLS = [2, 3, 4, 5]


def _graph() -> tuple[Value, Value, Value]:
    """a, b and a loss using a shared subexpression twice."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    shared = a * b
    loss = (shared + shared.tanh()) * shared
    return a, b, loss


# ------------------------------------------------------------------------------------------------ attributes


def test_users_attributes_on_leaves_and_computed_nodes() -> None:
    """Any Value takes new attributes; vars(v) and v.__dict__ show exactly them (empty at first)."""
    a: Any = Value(1.0)
    c: Any = a * 2
    assert vars(a) == {} and c.__dict__ == {}
    a.m = 0  # EurekaLabsAI/micrograd's AdamW keeps its moments on the parameters
    setattr(c, "_vis_color", "red")  # noqa: B010  (as micrograd's drawing code writes it)
    assert a.m == 0 and c._vis_color == "red"
    assert vars(a) == {"m": 0} and vars(c) == {"_vis_color": "red"}
    del a.m
    assert vars(a) == {}
    with pytest.raises(AttributeError):
        _ = a.m


def test_attributes_change_no_gradient_drawing_or_equality() -> None:
    """The same graph with and without attributes: same grads, same drawing, == and hash by identity."""
    grads, drawings = [], []
    for tag in (False, True):
        a, b, loss = _graph()
        if tag:
            nodes: list[Any] = topological_order(loss)
            for node in nodes:
                node.note = "tagged"
                node.label2 = node  # even a reference to itself
        loss.backward()
        grads.append((a.grad, b.grad, loss.data))
        drawings.append(draw_dot(loss).source)
        assert a == a and a != b and hash(a) == hash(a)
    assert grads[0] == grads[1]
    assert drawings[0] == drawings[1]


def test_a_node_kept_alive_only_by_its_own_attribute_is_collected() -> None:
    """A cycle through an attribute (v.me = v) is freed by the cycle collector on both engines."""
    v: Any = Value(1.0) * 3
    v.me = v
    ref = weakref.ref(v)
    del v
    gc.collect()
    assert ref() is None


# ------------------------------------------------------------------------------------------------ copies and pickles


def test_copy_makes_a_new_node_sharing_parents() -> None:
    """copy.copy: same data, grad, label, op and attributes; the very same parents; a different node."""
    _, _, made = _graph()
    loss: Any = made
    loss.backward()
    loss.label = "L"
    loss.tag = [1]
    twin = copy.copy(loss)
    assert twin is not loss and twin.parents == loss.parents
    assert all(p is q for p, q in zip(twin.parents, loss.parents))
    assert (twin.data, twin.grad, twin.label, twin.op, twin.tag) == (loss.data, loss.grad, "L", loss.op, [1])


def test_deepcopy_copies_the_graph_once_keeping_sharing_grads_and_labels() -> None:
    """copy.deepcopy: every node once (a node used twice stays one node), grads/labels/attributes kept, independent."""
    first, _, loss = _graph()
    a: Any = first
    loss.backward()
    a.moment = 0.5
    twin = copy.deepcopy(loss)
    old, new = topological_order(loss), topological_order(twin)
    assert len(old) == len(new)
    assert not {id(n) for n in old} & {id(n) for n in new}
    assert [(n.data, n.grad, n.label, n.op) for n in old] == [(n.data, n.grad, n.label, n.op) for n in new]
    copied_a: Any = next(n for n in new if n.label == "a")
    assert copied_a.moment == 0.5
    shared = twin.parents[1]
    assert twin.parents[0].parents[0] is shared  # (shared + tanh(shared)) * shared: one shared node
    copied_a.data = 100.0
    copied_a.moment = 9.0
    assert a.data == 2.0 and a.moment == 0.5


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_pickle_round_trips_a_value_and_a_graph(protocol: int) -> None:
    """pickle protocols 2-5: leaves and graphs come back with data, grads, labels, ops, attributes and sharing."""
    first, _, loss = _graph()
    a: Any = first
    loss.backward()
    a.note = {"k": 1}
    back_a, back_loss = pickle.loads(pickle.dumps((a, loss), protocol=protocol))
    assert (back_a.data, back_a.grad, back_a.label, back_a.note) == (a.data, a.grad, "a", {"k": 1})
    order = topological_order(back_loss)
    assert [(n.data, n.grad, n.label, n.op) for n in order] == [(n.data, n.grad, n.label, n.op) for n in topological_order(loss)]
    assert back_a in order  # the leaf pickled beside the graph is the graph's leaf
    back_loss.zero_grad()
    back_loss.backward()
    assert back_a.grad == a.grad


def _out(model: Any, x: list[float]) -> float:
    return float(model(x).data)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_models_copy_and_pickle_and_the_copy_is_a_model(protocol: int, tmp_path: Path) -> None:
    """deepcopy(model) and pickle of every nn module: independent, same outputs, load_state_dict and save work on it."""
    model = nn.MLP(2, [4, 4, 1], seed=0)
    best = copy.deepcopy(model)  # "keep the best model"
    assert [p.data for p in best.parameters()] == [p.data for p in model.parameters()]
    assert not {id(p) for p in best.parameters()} & {id(p) for p in model.parameters()}
    for p in model.parameters():
        p.data += 1.0
    x = [0.5, -0.5]
    assert _out(best, x) != _out(model, x)
    best.save(tmp_path / "best.json")
    restored = nn.load(tmp_path / "best.json")
    assert _out(restored, x) == _out(best, x)
    model.load_state_dict(best.state_dict())
    assert _out(model, x) == _out(best, x)
    for module in (model, model.layers[0], model.layers[0].neurons[0]):
        back = pickle.loads(pickle.dumps(module, protocol=protocol))
        assert type(back) is type(module)
        assert [p.data for p in back.parameters()] == [p.data for p in module.parameters()]
        assert back.state_dict() == module.state_dict()


def test_deep_graphs_copy_and_pickle_without_recursion() -> None:
    """A chain far deeper than the recursion limit deep-copies and pickles (the graph goes as one flat list)."""
    depth = 100_000
    x = Value(1.0)
    y = x
    for _ in range(depth):
        y = y * 1.0 + 0.0
    twin = copy.deepcopy(y)
    back = pickle.loads(pickle.dumps(y, protocol=5))
    for root in (twin, back):
        root.backward()
        assert len(topological_order(root)) == len(topological_order(y))
    assert twin.data == back.data == y.data


@settings(deadline=None)
@given(expressions(max_ops=8))
def test_deep_copies_and_pickles_of_random_graphs_backprop_the_same(expr: Expression) -> None:
    """For random graphs: a deep copy and a pickle round trip give the same data and gradients after backward()."""
    xs = [Value(v) for v in expr.inputs]
    try:
        out = expr(*xs)
    except (ArithmeticError, ValueError):
        return
    for how in ("deepcopy", "pickle"):
        graph = (out, xs)
        twin_out, twin_xs = copy.deepcopy(graph) if how == "deepcopy" else pickle.loads(pickle.dumps(graph))
        out.zero_grad()
        twin_out.zero_grad()
        out.backward()
        twin_out.backward()
        assert _bits([n.data for n in topological_order(twin_out)]) == _bits([n.data for n in topological_order(out)])
        assert _bits([x.grad for x in twin_xs]) == _bits([x.grad for x in xs])


def _bits(xs: list[float]) -> list[bytes]:
    """Floats as their bytes, so nan equals nan and -0.0 differs from 0.0."""
    return [struct.pack("<d", x) for x in xs]


# ------------------------------------------------------------------------------------------------ subclasses


class Tagged(Value):
    """A subclass written the micrograd way: micrograd's leaf closure in __init__, an attribute of its own."""

    def __init__(self, data: float, _children: tuple[Value, ...] = (), _op: str = "", label: str = "") -> None:
        super().__init__(data, _children, _op, label)
        self._backward = lambda: None
        self.tag = "mine"

    def double(self) -> Tagged:
        """A custom op made by the subclass, micrograd style."""
        out = Tagged(2 * self.data, (self,), "double")

        def _backward() -> None:
            self.grad += 2 * out.grad

        out._backward = _backward
        return out


class Plain(Value):
    """A subclass that adds nothing."""


def test_subclasses_behave_alike() -> None:
    """Children, __init__ assigning _backward, custom ops by the subclass, isinstance, plain Values from operators."""
    a = Tagged(3.0)
    d = a.double()
    assert isinstance(d, Tagged) and isinstance(d, Value) and d.parents == (a,) and d.tag == "mine"
    (d * d).backward()
    assert a.grad == 2 * 2 * d.data
    product = a * 2
    assert type(product) is type(Value(1.0) * 2) and not isinstance(product, Tagged)  # documented: plain Value
    child = Tagged(9.0, (a,), "tanh")  # its __init__'s closure does nothing: micrograd's leaf habit on a node
    assert child.parents == (a,) and child.local_grads == (0.0,)
    twin = copy.deepcopy(d)
    assert twin.tag == "mine" and isinstance(twin, Tagged) and twin.parents[0].data == 3.0
    # Closures cannot be pickled (Python's rule, not ours); a subclass node without one can.
    plain = Plain(0.5, (Plain(2.0),), "tanh")
    back = pickle.loads(pickle.dumps(plain))
    assert type(back) is type(plain) and isinstance(back, Plain) and back.parents[0].data == 2.0
    assert back.local_grads == plain.local_grads


def test_a_reinitialised_custom_node_is_made_afresh() -> None:
    """Calling __init__ again drops the old closure and grad_value on both engines (users' attributes stay)."""
    x = Value(1.0)
    node: Any = Value(2.0, (x,), "mine")
    node._backward = lambda: None
    node.note = 1
    node.__init__(3.0, (x,), "tanh")
    assert node.data == 3.0 and node._closure is None and node.grad_value is None and node.note == 1
    assert node.local_grads == (1.0 - 9.0,)


# ------------------------------------------------------------------------------------------------ assignments

#: (attribute, assigned value) -> what reading it gives after, or the exception type and message start.
ASSIGNMENTS: list[tuple[str, Any, Any]] = [
    ("data", 2, 2.0),
    ("data", True, 1.0),
    ("data", 2.5, 2.5),
    ("grad", 0, 0.0),
    ("grad", -1, -1.0),
    ("data", "np.float32(0.1)", float.fromhex("0x1.99999a0000000p-4")),
    ("data", "Value(1.0)", (TypeError, "data: expected a real number (int or float), got Value: Value(data=1.0, grad=0.0)")),
    ("data", None, (TypeError, "data: expected a real number (int or float), got NoneType: None")),
    ("data", "2", (TypeError, "data: expected a real number (int or float), got str: '2'")),
    ("data", 1j, (TypeError, "data: expected a real number (int or float), got complex: 1j")),
    ("grad", None, (TypeError, "grad: expected a real number (int or float), got NoneType: None")),
    ("label", "x", "x"),
    ("label", None, ""),
    ("label", 5, 5),
    ("_backward", "lambda", "callable"),
    ("_backward", 3, (TypeError, "Value(data=1.5, grad=0.0): _backward must be a function of no arguments, got int: 3")),
    ("grad_value", None, None),
    ("grad_value", "Value(4.0)", "Value(4.0)"),
    ("grad_value", 4.0, (TypeError, "grad_value must be a Value or None, got float: 4.0")),
    ("_op", "renamed", "renamed"),
    ("_op", 3, (TypeError, "Value: _op must be a str, got int: 3")),
]


@pytest.mark.parametrize("attribute", ["data", "grad", "label", "_backward"])
def test_the_engines_fields_cannot_be_deleted(attribute: str) -> None:
    """del v.data (grad, label, _backward) raises AttributeError with the same words on both engines; del grad_value drops it."""
    for engine in (autograd.value, pure_value_module()):
        v = engine.Value(1.0)
        with pytest.raises(AttributeError, match=f"cannot delete a Value's {attribute} \\(assign it instead\\)"):
            delattr(v, attribute)
        del v.grad_value
        assert v.grad_value is None


def _assign(engine: Any, attribute: str, given: Any) -> tuple[Any, ...]:
    node = engine.Value(1.5)
    if given == "np.float32(0.1)":
        import numpy as np

        given = np.float32(0.1)
    elif given == "Value(1.0)":
        given = engine.Value(1.0)
    elif given == "Value(4.0)":
        given = engine.Value(4.0)
    elif given == "lambda":
        given = lambda: None
    try:
        setattr(node, attribute, given)
    except Exception as error:  # the table records what was raised
        return (type(error), str(error))
    after = getattr(node, attribute)
    if attribute == "grad_value" and after is not None:
        return ("Value", after.data, node.grad)
    if attribute == "_backward":
        return ("callable", callable(after))
    return (type(after).__name__, after)


@pytest.mark.parametrize(("attribute", "given", "expected"), ASSIGNMENTS)
def test_assignments_behave_as_the_table_says(attribute: str, given: Any, expected: Any) -> None:
    """One behaviour on both engines: data/grad take real numbers as float, the rest as documented in docs/engine.md."""
    got = _assign(autograd.value, attribute, given)
    if isinstance(expected, tuple):
        assert got == (expected[0], expected[1])
    elif expected == "callable":
        assert got == ("callable", True)
    elif expected == "Value(4.0)":
        assert got == ("Value", 4.0, 4.0)  # grad follows grad_value
    else:
        assert got == (type(expected).__name__, expected)
    assert got == _assign(pure_value_module(), attribute, given)


def test_assigning_grad_drops_a_stale_grad_value() -> None:
    """After backward(create_graph=True), p.grad = 0.0 (the PyTorch habit) drops grad_value: the next one gives 12, not 36."""
    x = Value(2.0)
    for _ in range(3):
        (x**3).backward(create_graph=True)
        assert x.grad == 12.0 and x.grad_value is not None and x.grad_value.data == 12.0
        x.grad = 0.0
        assert x.grad_value is None
    (x**3).backward(create_graph=True)
    x.zero_grad()
    assert x.grad == 0.0 and x.grad_value is None
    opt = nn.SGD([x], lr=0.1)
    (x**3).backward(create_graph=True)
    opt.zero_grad()
    assert x.grad == 0.0 and x.grad_value is None


def test_a_plain_backward_after_a_create_graph_one_leaves_grad_and_grad_value_agreeing() -> None:
    """A plain backward() that adds into a grad create_graph made retires its grad_value, so the two never disagree."""
    x = Value(2.0)
    (x**3).backward(create_graph=True)
    assert x.grad_value is not None and x.grad_value.data == 12.0
    (x**3).backward()  # adds 12.0 as a float: the old graph no longer holds the gradient
    assert x.grad == 24.0 and x.grad_value is None
    (x**3).backward(create_graph=True)  # starts from grad (a constant), then adds the new graph
    assert x.grad == 36.0 and x.grad_value is not None and x.grad_value.data == 36.0
    g = x.grad_value
    x.grad = 0.0
    g.backward()  # d/dx of (24 + 3x**2) = 6x = 12: the constant part carries no graph
    assert x.grad == 12.0


def _live_nodes() -> int:
    gc.collect()
    core = sys.modules.get("autograd._native._core")
    if autograd.BACKEND == "native" and core is not None:
        return int(core.memory_stats()["live_nodes"])
    return sum(isinstance(o, Value) for o in gc.get_objects())


def test_create_graph_training_round_trips_keep_memory_flat() -> None:
    """1,000 create_graph round trips written the PyTorch way leave as many live nodes as after the first few."""
    w = Value(0.5)

    def round_trip() -> None:
        loss = (w * 3.0 - 1.0) ** 2
        loss.backward(create_graph=True)
        assert w.grad_value is not None
        penalty = w.grad_value**2  # a gradient penalty: differentiates the gradient
        w.grad = 0.0
        penalty.backward()
        w.data -= 0.001 * w.grad
        w.grad = 0.0

    for _ in range(10):
        round_trip()
    before = _live_nodes()
    for _ in range(1000):
        round_trip()
    assert _live_nodes() <= before + 5


# ------------------------------------------------------------------------------------------------ micrograd's spellings


def test_op_is_micrograds_string_and_op_valuegrads_name() -> None:
    """_op reads '**2', 'ReLU', '+', '*', 'tanh', 'exp' where micrograd has them; .op stays the rule's name."""
    x = Value(-2.0)
    cases = {x**2: ("**2", "**2"), x.relu(): ("ReLU", "relu"), x + 1: ("+", "+"), x * 2: ("*", "*")}
    cases.update({x.tanh(): ("tanh", "tanh"), x.exp(): ("exp", "exp"), x**-1: ("**-1", "**-1"), -x: ("neg", "neg")})
    for node, (micrograd, ours) in cases.items():
        assert (node._op, node.op) == (micrograd, ours)
    assert (x**0.5 if x.data > 0 else (-x) ** 0.5)._op == "**0.5"


def test_neurons_carry_micrograds_nonlin() -> None:
    """Neuron.nonlin exists (False for linear), and a Layer's neurons carry it."""
    assert nn.Neuron(2, nonlin=False, seed=0).nonlin is False
    assert nn.Neuron(2, activation="tanh", seed=0).nonlin is True
    model = nn.MLP(2, [3, 1], seed=0)
    assert [n.nonlin for layer in model.layers for n in layer.neurons] == [True] * 3 + [False]


# ------------------------------------------------------------------------------------------------ microgpt's Value


def test_microgpts_constructor_makes_a_node_with_those_local_derivatives() -> None:
    """Value(data, children, local_grads): backward, the stepper, drawings and gradcheck use the given numbers."""
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    out = Value(a.data * b.data, (a, b), (b.data, a.data))
    assert out.parents == (a, b) and out.local_grads == (3.0, 2.0)
    out.backward()
    assert (a.grad, b.grad) == (3.0, 2.0)
    steps = Backprop(out).run()
    assert steps and draw_dot(out).source
    with pytest.raises(ValueError, match="2 children but 1 local derivatives"):
        Value(1.0, (a, b), [1.0])

    def f(x: Value) -> Value:
        return Value(math.sin(x.data), (x,), [math.cos(x.data)])

    assert gradcheck(f, [0.7])


# ------------------------------------------------------------------------------------------------ constant exponents


@given(
    st.lists(st.floats(-3.0, 3.0), min_size=1, max_size=6),
    st.lists(st.floats(-3.0, 3.0), min_size=6, max_size=6),
    st.sampled_from([2, 2.0, 3, -1, 0.5, 4]),
)
def test_mse_graphs_have_no_nan_anywhere(predictions: list[float], targets: list[float], exponent: float) -> None:
    """Random squared-error losses: every node's grad is finite; each ** has ONE parent and the exponent on the node."""
    ps = [Value(p) for p in predictions]
    terms = []
    for p, t in zip(ps, targets):
        base = p - t
        if exponent in (-1, 0.5) and base.data <= 0.1:
            base = base * base + 1.0
        terms.append(base**exponent)
    loss = sum(terms, Value(0.0))
    loss.backward()
    for node in topological_order(loss):
        assert math.isfinite(node.grad), node
        if node.op.startswith("**"):
            assert len(node.parents) == 1 and node.exponent == float(exponent) and node._op == node.op
    assert all(n.op != "const" or n.grad == n.grad for n in topological_order(loss))


def test_constant_powers_agree_with_torch_and_a_value_exponent_still_differentiates() -> None:
    """x ** c matches PyTorch (a negative base included); x ** y with a Value y differentiates in both."""
    torch = pytest.importorskip("torch")
    for base, c in [(-1.5, 2), (2.0, -1), (4.0, 0.5), (-2.0, 3)]:
        x = Value(base)
        y = x**c
        y.backward()
        tx = torch.tensor(base, dtype=torch.float64, requires_grad=True)
        (tx**c).backward()
        assert (y.data, x.grad) == (float((tx**c).detach()), float(tx.grad))
    x, e = Value(2.0), Value(3.0)
    z = x**e
    z.backward()
    assert (x.grad, e.grad) == (12.0, 8.0 * math.log(2.0))


def test_constant_powers_step_draw_compile_and_differentiate_twice() -> None:
    """The stepper, drawings, compile and create_graph all read x ** c's row, and agree with backward."""
    x = Value(-3.0, label="x")
    loss = (x - 1.0) ** 2
    steps = Backprop(loss).run()
    assert all(math.isfinite(step.grad) for step in steps) and x.grad == -8.0
    assert "**2" in draw_dot(loss).source and "const" not in [p.op for p in loss.parents]
    w = Value(-3.0)
    compiled = autograd.compile(lambda v: (w * v - 1.0) ** 2)
    value, dv = compiled.value_and_grad(1.0)
    assert (value, dv, w.grad) == (16.0, 24.0, -8.0)
    x.zero_grad()
    loss.backward(create_graph=True)
    assert x.grad == -8.0 and x.grad_value is not None
    g = autograd.gradients(loss, [x], create_graph=True)[0]
    assert isinstance(g, Value) and autograd.gradients(g, [x])[0] == 2.0


# ------------------------------------------------------------------------------------------------ no silent wrong engine


def test_a_source_checkout_without_the_extension_warns_once(tmp_path: Path) -> None:
    """Importing autograd where the C extension should be but is not built warns, saying how to build or ask for pure."""
    root = Path(autograd.__file__).resolve().parent.parent
    shutil.copytree(root / "autograd", tmp_path / "autograd", ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    env = {k: v for k, v in os.environ.items() if k not in ("VALUEGRAD_PURE", "PYTHONPATH")}
    code = "import warnings; warnings.simplefilter('always'); import autograd; import autograd.value; print(autograd.BACKEND)"
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "pure"
    assert run.stderr.count("RuntimeWarning") == 1
    assert "build_ext --inplace" in run.stderr and "VALUEGRAD_PURE=1" in run.stderr
    quiet = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env={**env, "VALUEGRAD_PURE": "1"}, capture_output=True, text=True, check=True
    )
    assert quiet.stdout.strip() == "pure" and "RuntimeWarning" not in quiet.stderr
