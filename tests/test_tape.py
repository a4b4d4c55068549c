"""autograd.tape (the C tape): C tape, Python replay and eager backward() give the same floats, bit for bit.

On the pure engine there is no C tape; the same tests then pin the Python replay against eager.
"""

from __future__ import annotations

import gc
import math
import random
import struct
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import StructureChanged, Value, compile, compile_per_sample, tape, vsum
from autograd.testing import Expression, expressions

NATIVE = tape.available()


def _bits(xs: list[float]) -> list[bytes]:
    return [struct.pack("<d", x) for x in xs]


def _same(a: list[float], b: list[float]) -> bool:
    """Equal as floats (nan equals nan): eager sums start from +0.0 where a replay may assign -0.0."""
    return len(a) == len(b) and all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b))


def _replay(fn: Callable[..., Value], args: list[float], parameters: list[Value]) -> list[float]:
    compiled = compile(fn)
    for p in parameters:
        p.grad = 0.0
    value, partials = compiled.value_and_grad(*args)
    partials = list(partials) if isinstance(partials, tuple) else [partials]
    return [value, *partials, *(p.grad for p in parameters)]


@settings(max_examples=60, deadline=None)
@given(expressions(max_ops=10))
def test_random_programs_give_the_same_bits_on_tape_replay_and_eager(expr: Expression) -> None:
    """Every random program: the C tape's value and gradients are the Python replay's bits, and eager's floats."""
    import os

    w = Value(0.75)

    def fn(*xs: Value) -> Value:
        return expr(*xs) * w

    os.environ.pop("VALUEGRAD_TAPE", None)
    on_tape = _replay(fn, list(expr.inputs), [w])
    os.environ["VALUEGRAD_TAPE"] = "0"
    try:
        in_python = _replay(fn, list(expr.inputs), [w])
    finally:
        del os.environ["VALUEGRAD_TAPE"]
    assert _bits(on_tape) == _bits(in_python)
    w.grad = 0.0
    inputs = [Value(x) for x in expr.inputs]
    out = fn(*inputs)
    out.backward()
    assert _same(on_tape, [out.data, *(x.grad for x in inputs), w.grad])


def test_the_c_engine_compiles_to_a_tape() -> None:
    """On the C engine a compiled function runs on a C tape, whose size is one instruction per node."""
    w = Value(2.0)
    f = compile(lambda x: (w * x + 1.0).tanh())
    f.value_and_grad(0.5)
    replay = next(iter(f._backward.values()))
    if not NATIVE:
        assert replay.tape is None
        return
    assert replay.tape is not None
    assert replay.tape.size["instructions"] == 3  # *, +, tanh
    assert replay.tape.size["parameters"] == 1


def _train(steps: int, mode: str, seed: int = 3) -> list[float]:
    """nn.MLP on two-moons for ``steps`` SGD steps: eager, or compile_per_sample (C tape or Python replay)."""
    import os

    from nn.data import make_moons
    from nn.losses import hinge
    from nn.module import MLP

    X, y = make_moons(12, noise=0.1, seed=seed, signed=True)
    X = [list(map(float, row)) for row in X]
    model = MLP(2, [4, 4, 1], seed=seed)
    params = model.parameters()
    if mode == "python":
        os.environ["VALUEGRAD_TAPE"] = "0"
    try:
        per_sample = compile_per_sample(lambda x, label: hinge([model(x)], [label]), static=(1,))
        for k in range(steps):
            for p in params:
                p.grad = 0.0
            if mode == "eager":
                hinge([model(x) for x in X], list(y)).backward()
            else:
                per_sample.value_and_grad(X, list(y))
            for p in params:
                p.data -= (0.5 - 0.01 * k) * p.grad
    finally:
        os.environ.pop("VALUEGRAD_TAPE", None)
    return [p.data for p in params] + [p.grad for p in params]


@pytest.mark.parametrize("steps", [1, 5])
def test_mlp_training_is_the_same_on_tape_replay_and_eager(steps: int) -> None:
    """Training nn.MLP with the C tape gives the Python replay's weights bit for bit, and eager's."""
    on_tape, in_python, eager = _train(steps, "tape"), _train(steps, "python"), _train(steps, "eager")
    assert _bits(on_tape) == _bits(in_python)
    assert _same(on_tape, eager)


def test_a_guard_checked_in_c_raises_and_writes_no_gradient() -> None:
    """A branch recorded while tracing is re-checked by the tape: other data raises StructureChanged, .grad untouched."""
    w = Value(1.0)
    f = compile(lambda x: (w * x).relu() if x > 0 else w * x * 2.0)
    f.value_and_grad(1.0)
    before = w.grad
    with pytest.raises(StructureChanged, match="comparison"):
        f.value_and_grad(-1.0)
    assert w.grad == before


def test_per_sample_tape_reports_the_sample_that_changed() -> None:
    """A per-sample tape names the sample whose guard failed."""
    w = Value(0.5)
    f = compile_per_sample(lambda x: (w * x).exp() if x < 1.0 else w * x)
    f.value_and_grad([0.1, 0.2])
    with pytest.raises(StructureChanged) as error:
        f.value_and_grad([0.1, 2.0, 0.3])
    assert error.value.sample == 1


def test_errors_are_the_eager_ones() -> None:
    """An op failing on the tape raises eager mode's exception and message (here log of a negative number)."""
    w = Value(1.0)
    f = compile(lambda x: (w * x).log())
    assert f(2.0) == math.log(2.0)
    with pytest.raises(ValueError, match=r"log: input -1\.0 is outside the domain"):
        f(-1.0)


@pytest.mark.skipif(not NATIVE, reason="the C tape is the C engine's")
def test_tape_sgd_is_the_python_update() -> None:
    """tape.sgd(lr) does p.data -= lr * p.grad for each parameter, the same floats as the Python loop."""
    rng = random.Random(0)
    ws = [Value(rng.uniform(-1, 1)) for _ in range(5)]
    f = compile_per_sample(lambda x: vsum([w * x for w in ws]) ** 2)
    f.value_and_grad([0.3, -0.7])
    expected = [w.data - 0.1 * w.grad for w in ws]
    f.tape().sgd(0.1)
    assert [w.data for w in ws] == expected
    f.tape().zero_grad()
    assert [w.grad for w in ws] == [0.0] * 5


@pytest.mark.skipif(not NATIVE, reason="the C tape is the C engine's")
def test_replays_allocate_no_nodes() -> None:
    """Memory per replay step is flat: no Value node is alive after (or made by) repeated tape replays."""
    from autograd._native import _core

    rng = random.Random(1)
    ws = [Value(rng.uniform(-1, 1)) for _ in range(8)]
    f = compile_per_sample(lambda x: (vsum([w * x for w in ws]).tanh() - 1.0) ** 2)
    X = [rng.uniform(-1, 1) for _ in range(20)]
    f.value_and_grad(X)
    gc.collect()  # earlier tests' graphs: freed now, not during the count
    live = _core.memory_stats()["live_nodes"]
    for _ in range(10):
        f.value_and_grad(X)
    gc.collect()
    assert _core.memory_stats()["live_nodes"] == live


def test_an_op_defined_at_run_time_runs_on_the_python_replay() -> None:
    """define_op rules have no C opcode: compile falls back to the Python replay, with the same results."""
    from autograd import apply, define_op, forget_op

    define_op("cube_t", "x", "x * x * x", ("3.0 * x * x",))
    try:
        w = Value(1.5)
        f = compile(lambda x: apply("cube_t", w * x))
        value, dx = f.value_and_grad(2.0)
        assert next(iter(f._backward.values())).tape is None
        assert value == 27.0 and dx == 3.0 * 9.0 * 1.5
    finally:
        forget_op("cube_t")


def _recipe_training(mode: str, steps: int = 3) -> list[float]:
    """micrograd's own MLP code (2-input + over * chains) trained through compile: C tape or Python replay."""
    import os

    from benchmarks.workloads import micrograd_mlp, moons

    X, y = moons()
    X, y = X[:12], y[:12]
    model = micrograd_mlp(Value, seed=5)
    params = model.parameters()

    def loss(xs: list[list[Value]], ys: list[Value]) -> Value:
        scores = list(map(model, xs))
        total: Value = sum((1 + -yi * si).relu() for yi, si in zip(ys, scores)) * (1.0 / len(scores))
        total = total + 1e-4 * sum(p * p for p in params)
        return total

    if mode == "python":
        os.environ["VALUEGRAD_TAPE"] = "0"
    try:
        compiled = compile(loss)
        for _ in range(steps):
            for p in params:
                p.grad = 0.0
            compiled.value_and_grad(X, [float(v) for v in y])
            for p in params:
                p.data -= 0.3 * p.grad
    finally:
        os.environ.pop("VALUEGRAD_TAPE", None)
    return [p.data for p in params] + [p.grad for p in params]


def test_fused_sum_of_products_chains_train_to_the_same_bits() -> None:
    """micrograd's sum(w*x) chains run as one dot instruction on the tape, and train to the Python replay's bits."""
    assert _bits(_recipe_training("tape")) == _bits(_recipe_training("python"))


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=5), min_size=1, max_size=4),
    st.lists(st.floats(-2, 2), min_size=3, max_size=3),
    st.integers(0, 5),
)
def test_chains_with_shared_operands_keep_backwards_order(
    chains: list[list[tuple[int, int]]], xs: list[float], start: int
) -> None:
    """Sums of products that share operands (where fusing could reorder a gradient's additions): tape bits = replay bits."""
    import os

    ws = [Value(0.5 + 0.25 * i) for i in range(3)]

    def fn(*inputs: Value) -> Value:
        pool = [*inputs, *ws]
        outs = [sum((pool[i] * pool[j] for i, j in chain), pool[start]) for chain in chains]
        total = outs[0]
        for out in outs[1:]:
            total = total * 0.5 + out * pool[start]
        return total

    on_tape = _replay(fn, xs, ws)
    os.environ["VALUEGRAD_TAPE"] = "0"
    try:
        in_python = _replay(fn, xs, ws)
    finally:
        del os.environ["VALUEGRAD_TAPE"]
    assert _bits(on_tape) == _bits(in_python)


@pytest.mark.skipif(not NATIVE, reason="the C tape is the C engine's")
def test_a_chain_of_products_is_one_instruction() -> None:
    """sum(w*x for ...) with a start is lowered to a single dot instruction."""
    ws = [Value(float(i)) for i in range(5)]
    b = Value(1.0)
    f = compile(lambda *xs: sum((w * x for w, x in zip(ws, xs)), b))
    assert f.tape(*range(5)).size["instructions"] == 1
