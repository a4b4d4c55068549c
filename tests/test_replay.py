"""autograd.replay (autograd.compile): replays equal eager backward, guards catch data-dependent structure, parameters train."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import RULES, StructureChanged, Value, compile, compile_per_sample, dot, no_grad, vsum
from autograd.testing import Expression, expressions
from tests.replaycheck import assert_matches_eager


@given(expressions(max_ops=8))
def test_replay_matches_eager_on_random_expressions(expr: Expression) -> None:
    """Every random program gives the eager value and gradients when compiled (the shared property)."""
    assert_matches_eager(expr, *expr.inputs)


@given(st.lists(st.floats(-3, 3), min_size=1, max_size=6), st.floats(-3, 3))
def test_fused_sum_and_dot_lines_agree_with_the_rules_table(xs: list[float], b: float) -> None:
    """The fused sum/dot lines (from RULES[op].formulas(n)) compute RULES['sum'|'dot'].forward and .local exactly."""
    ws = [Value(0.5 * i - 1.0) for i in range(len(xs))]
    bias = Value(b)
    f = compile(lambda *x: vsum(x) * dot(ws, x, bias))
    for p in (*ws, bias):
        p.grad = 0.0
    value, partials = f.value_and_grad(*xs)
    total = RULES["sum"].forward(*xs)
    linear = RULES["dot"].forward(*(w.data for w in ws), *xs, b)
    assert value == total * linear
    dot_locals = RULES["dot"].local(*(w.data for w in ws), *xs, b, linear)
    n = len(xs)
    expected = [total * dot_locals[n + i] + linear * RULES["sum"].local(*xs, total)[i] for i in range(n)]
    got = list(partials) if n > 1 else [partials]
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert [w.grad for w in ws] == pytest.approx([total * d for d in dot_locals[:n]], rel=1e-12, abs=1e-12)


def test_parameters_accumulate_like_backward() -> None:
    """Captured leaves are read live and receive += gradients on every replay, as backward() gives them."""
    w = Value(3.0)
    f = compile(lambda x: w * x * x)
    f.value_and_grad(2.0)
    f.value_and_grad(2.0)
    assert w.grad == 8.0  # 4 per call, accumulated
    w.data = -1.0
    assert f(2.0) == -4.0  # the new data is used without re-tracing


def test_a_changed_branch_raises_instead_of_a_wrong_gradient() -> None:
    """A comparison on a traced Value is a guard: data that flips it raises StructureChanged."""

    def f(x: Value) -> Value:
        return x * x if x > 0 else -x

    compiled = compile(f)
    assert compiled.value_and_grad(3.0) == (9.0, 6.0)
    assert compiled(5.0) == 25.0
    with pytest.raises(StructureChanged, match="comparison"):
        compiled.value_and_grad(-1.0)


def test_max_and_float_are_guarded() -> None:
    """max() compares Values and float() reads one: both are re-checked on replay."""
    f = compile(lambda a, b: max(a, b) * 2.0)
    assert f(1.0, 2.0) == 4.0
    with pytest.raises(StructureChanged):
        f(3.0, 2.0)
    g = compile(lambda x: x * float(x))
    assert g(2.0) == 4.0
    with pytest.raises(StructureChanged, match="float"):
        g(3.0)


def test_a_guard_fires_before_the_line_it_protects() -> None:
    """The guard is checked where its operand is computed, so log of a negative never runs first."""
    f = compile(lambda x: x.log() if x > 0 else x)
    assert f(math.e) == pytest.approx(1.0)
    with pytest.raises(StructureChanged):
        f(-2.0)


def test_check_catches_a_data_read_the_trace_cannot_see() -> None:
    """check=True re-runs eagerly and refuses a replay that a direct .data read made stale."""

    def f(x: Value) -> Value:
        return x * (2.0 if x.data > 0 else -2.0)

    unchecked = compile(f)
    assert unchecked(1.0) == 2.0
    assert unchecked(-1.0) == -2.0  # the documented blind spot: eager gives 2.0
    checked = compile(f, check=True)
    assert checked(1.0) == 2.0
    with pytest.raises(StructureChanged):
        checked(-1.0)


def test_no_grad_inside_a_traced_function_is_refused() -> None:
    """no_grad would freeze values at trace time, so tracing refuses it."""

    def f(x: Value) -> Value:
        with no_grad():
            m = x * 1.0
        return x - m

    with pytest.raises(RuntimeError, match="no_grad"):
        compile(f)(1.0)


def test_each_argument_shape_gets_its_own_trace() -> None:
    """Nested list arguments work, and a different length traces again; partials mirror the arguments."""
    f = compile(lambda xs, y: vsum([x * x for x in xs]) * y)
    assert f.value_and_grad([1.0, 2.0], 3.0) == (15.0, ([6.0, 12.0], 5.0))
    assert f.value_and_grad([1.0, 2.0, 3.0], 1.0) == (14.0, ([2.0, 4.0, 6.0], 14.0))


def test_source_is_the_rules_formulas() -> None:
    """The generated code carries the table's forward and local formulas with names substituted."""
    f = compile(lambda x: x.tanh())
    source = f.source(0.5)
    assert "v1 = tanh(v0)" in source
    assert "(1.0 - v1 * v1) * g1" in source


def test_fn_must_return_a_value() -> None:
    """A function returning a plain number is refused with a message naming what it returned."""
    with pytest.raises(TypeError, match="must return a Value"):
        compile(lambda x: 1.0)(2.0)  # type: ignore[arg-type, return-value]


# ------------------------------------------------------------------------------ compile_per_sample


def _mean_backward(fn: Callable[..., Value], columns: list[list[Any]], parameters: list[Value]) -> tuple[float, list[float]]:
    """The eager reference: backward() on vsum(per-sample losses) / n, as the losses in nn.losses reduce."""
    for p in parameters:
        p.grad = 0.0
    losses = [fn(*sample) for sample in zip(*columns)]
    total = vsum(losses) / len(losses)
    total.backward()
    return total.data, [float(p.grad) for p in parameters]


def _layer(rng: random.Random, nin: int, nout: int) -> list[tuple[list[Value], Value]]:
    return [([Value(rng.uniform(-1, 1)) for _ in range(nin)], Value(rng.uniform(-1, 1))) for _ in range(nout)]


@given(
    seed=st.integers(0, 2**16),
    width=st.integers(1, 5),
    n=st.integers(1, 12),
    loss=st.sampled_from(["hinge", "mse", "bce"]),
)
def test_per_sample_replay_gives_backwards_gradients_bit_for_bit(seed: int, width: int, n: int, loss: str) -> None:
    """Replaying one traced sample over a batch adds exactly the gradients of backward() on the batch mean."""
    rng = random.Random(seed)
    hidden, out = _layer(rng, 2, width), _layer(rng, width, 1)
    parameters = [v for layer in (hidden, out) for w, b in layer for v in (*w, b)]

    def fn(x: list[Value], y: float) -> Value:
        h = [dot(w, x, b).tanh() for w, b in hidden]
        score = dot(out[0][0], h, out[0][1])
        if loss == "hinge":
            return (1 + -y * score).relu()
        if loss == "mse":
            return (score - y) ** 2
        return (-score).softplus() if y == 1 else score.softplus()  # BCE: branches on the label

    X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(n)]
    labels = [rng.choice([-1, 1]) if loss == "hinge" else rng.choice([0, 1]) for _ in range(n)]
    if loss == "mse":
        labels = [rng.uniform(-1, 1) for _ in range(n)]  # type: ignore[misc]
    value, eager = _mean_backward(fn, [X, labels], parameters)
    compiled = compile_per_sample(fn, static=() if loss == "mse" else (1,))
    for p in parameters:
        p.grad = 0.0
    result = compiled.value_and_grad(X, labels)
    assert [p.grad for p in parameters] == eager
    assert result.value == pytest.approx(value, rel=1e-15, abs=1e-15)
    assert compiled.traces == (1 if loss == "mse" else len(set(labels)))


@given(st.lists(st.integers(0, 9), min_size=1, max_size=10))
def test_any_batch_membership_replays_the_same_trace(members: list[int]) -> None:
    """Batches of any size and membership reuse the one trace; each gives backward()'s gradients."""
    w, b = Value(0.7), Value(-0.2)
    data = [(0.1 * i - 0.4, (-1.0) ** i) for i in range(10)]
    compiled = compile_per_sample(lambda x, y: (w * x + b - y) ** 2)
    compiled.value_and_grad([0.0], [0.0])
    batch = [data[i] for i in members]
    xs, ys = [x for x, _ in batch], [y for _, y in batch]
    _, eager = _mean_backward(lambda x, y: (w * x + b - y) ** 2, [xs, ys], [w, b])
    w.grad = b.grad = 0.0
    compiled.value_and_grad(xs, ys)
    assert [w.grad, b.grad] == eager and compiled.traces == 1


def test_per_sample_outputs_and_reductions() -> None:
    """fn's auxiliary outputs come back per sample as floats; reduction='sum' sums and seeds each sample with 1."""
    w = Value(2.0)
    compiled = compile_per_sample(lambda x: (w * x * x, [w * x, w + x]), reduction="sum")
    result = compiled.value_and_grad([1.0, 3.0])
    assert (result.value, result.losses, result.outputs) == (20.0, [2.0, 18.0], [[2.0, 3.0], [6.0, 5.0]])
    assert w.grad == 10.0
    with pytest.raises(ValueError, match="reduction"):
        compile_per_sample(lambda x: x, reduction="max")


def test_a_sample_that_changes_a_branch_raises_and_writes_no_gradient() -> None:
    """A guard fails on the sample whose structure differs: StructureChanged names it, and no .grad moves."""
    w = Value(1.0)
    compiled = compile_per_sample(lambda x: w * x if x > 0 else -w * x)
    compiled.value_and_grad([1.0, 2.0])
    w.grad = 0.0
    with pytest.raises(StructureChanged, match="sample 2"):
        compiled.value_and_grad([1.0, 2.0, -3.0, 4.0])
    assert w.grad == 0.0


def test_a_label_read_as_a_number_is_guarded_unless_static() -> None:
    """A traced label that fn turns into a float constant (as nn.losses.hinge does) raises; static labels get a trace each."""
    s = Value(0.5)

    def hinge_like(x: Value, y: Any) -> Value:
        label = y.data if isinstance(y, Value) else float(y)  # a .data read: invisible to a trace
        return (1 + -label * s * x).relu()

    traced = compile_per_sample(hinge_like)
    traced([1.0], [1.0])
    with pytest.raises(StructureChanged, match="not used by the traced graph"):
        traced([1.0, 1.0], [1.0, -1.0])
    static = compile_per_sample(hinge_like, static=(1,))
    s.grad = 0.0
    static.value_and_grad([1.0, 2.0, 1.0], [1, -1, 1])
    _, eager = _mean_backward(hinge_like, [[1.0, 2.0, 1.0], [1, -1, 1]], [s])
    assert static.traces == 2 and [s.grad] == eager


def test_per_sample_refuses_ragged_or_empty_batches() -> None:
    """Columns of different lengths, and an empty batch, are refused with a clear error."""
    compiled = compile_per_sample(lambda x, y: x * y)
    with pytest.raises(ValueError, match="differ in length"):
        compiled([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="empty"):
        compiled([], [])


def test_per_sample_source_loops_over_samples_and_accumulates_in_locals() -> None:
    """The generated code reads parameters once, loops over the samples, and writes each .grad once."""
    w = Value(1.5)
    source = compile_per_sample(lambda x: (w * x).tanh()).source([1.0])
    assert "p0 = P0.data" in source and "a0 = P0.grad" in source and "P0.grad = a0" in source
    assert "for _i in range(len(_rows) - 1, -1, -1):" in source
    assert source.count("P0.") == 3


def test_long_fused_sums_compile_and_match_eager() -> None:
    """A sum and a dot of 5,000 terms replay (split over lines, same addition order) with eager's exact value and grads."""
    rng = random.Random(0)
    weights = [Value(rng.uniform(-1.0, 1.0)) for _ in range(5000)]
    xs = [rng.uniform(-1.0, 1.0) for _ in range(5000)]

    def f(*v: Value) -> Value:
        return vsum([a * a for a in v]) + dot(weights, list(v), 0.5)

    assert_matches_eager(f, *xs, tolerance=0.0)


# ------------------------------------------------------------------------------ fit(compile=True) takes what eager fit takes


Run = tuple[list[float], list[float]]


def _fit_both(model_factory: Callable[[], Any], loss: Any, X: Any, y: Any, **kwargs: Any) -> list[Run]:
    """Train two equal models, eagerly and compiled; each run's loss history and final parameters."""
    from nn.optim import SGD
    from nn.train import fit

    runs = []
    for compiled in (False, True):
        model = model_factory()
        history = fit(model, loss, X, y, optimizer=SGD(model.parameters(), lr=0.05), progress=False, compile=compiled, **kwargs)
        runs.append((history.train_loss, [p.data for p in model.parameters()]))
    return runs


def test_compiled_fit_takes_cross_entropy_with_many_classes() -> None:
    """20 classes (more than a handful of distinct labels) train compiled to the eager updates."""
    import nn

    rng = random.Random(0)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(40)]
    y = [i % 20 for i in range(40)]
    eager, compiled = _fit_both(lambda: nn.MLP(2, [20], seed=1), "cross_entropy", X, y, epochs=3)
    assert compiled[0] == pytest.approx(eager[0], rel=1e-12)
    assert compiled[1] == pytest.approx(eager[1], rel=1e-12, abs=1e-15)


def test_compiled_fit_takes_many_distinct_soft_labels() -> None:
    """Binary cross-entropy with 30 distinct soft labels trains compiled (no StructureChanged over the loss's own code)."""
    import nn

    rng = random.Random(1)
    X = [[rng.uniform(-1, 1)] for _ in range(30)]
    y = [i / 29 for i in range(30)]
    eager, compiled = _fit_both(lambda: nn.MLP(1, [3, 1], seed=2), "binary_cross_entropy", X, y, epochs=3, batch_size=7)
    assert compiled[0] == pytest.approx(eager[0], rel=1e-12)
    assert compiled[1] == pytest.approx(eager[1], rel=1e-12, abs=1e-15)


def test_compiled_fit_takes_numpy_rows_and_float32() -> None:
    """Rows that are numpy arrays, and np.float32 numbers, train compiled as they train eagerly."""
    import numpy as np

    import nn

    rng = random.Random(2)
    rows = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(12)]
    targets = [a - b for a, b in rows]
    for X in ([np.array(r) for r in rows], [[np.float32(v) for v in r] for r in rows]):
        eager, compiled = _fit_both(lambda: nn.MLP(2, [3, 1], seed=3), "mse", X, targets, epochs=2)
        assert compiled[0] == pytest.approx(eager[0], rel=1e-12)
        assert compiled[1] == pytest.approx(eager[1], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("label", [0, 1])
def test_compiled_cross_entropy_does_not_freeze_the_traced_scores(label: int) -> None:
    """Traced on small scores, replayed on scores of ±800: the eager loss (1600.0 or ~0), no OverflowError."""
    from nn.losses import cross_entropy

    w = Value(1.0)

    def fn(x: Value, y: int) -> Value:
        return cross_entropy([[w * x, -w * x]], [y])

    compiled = compile_per_sample(fn, static=(1,))
    compiled([1.0], [label])
    result = compiled([1.0, -800.0, 800.0], [label] * 3)
    eager = [fn(Value(x), label).data for x in (1.0, -800.0, 800.0)]
    assert result.losses == eager
    assert max(eager) == 1600.0


def test_a_per_sample_replay_reports_the_error_eager_code_gives() -> None:
    """A sample whose label the loss refuses raises the loss's own error, not StructureChanged."""
    from nn.losses import binary_cross_entropy

    w = Value(0.5)
    compiled = compile_per_sample(lambda x, y: binary_cross_entropy([w * x], [y]))
    compiled([1.0, 2.0], [0.25, 0.5])
    with pytest.raises(ValueError, match=r"label 0 must lie in \[0, 1\]"):
        compiled([1.0, 2.0], [0.25, 1.5])


# ------------------------------------------------------------------------------ guards and what cannot be compiled


def test_structure_changed_points_at_the_line_that_branched() -> None:
    """The error names this file and the line of the comparison, not autograd's own code."""
    import inspect

    def f(x: Value) -> Value:
        if x > 0:  # the branch
            return x * x
        return -x

    branch = inspect.getsourcelines(f)[1] + 1
    compiled = compile(f)
    compiled(1.0)
    with pytest.raises(StructureChanged) as raised:
        compiled(-1.0)
    assert f"{__file__}:{branch})" in str(raised.value)
    assert "autograd/value.py" not in str(raised.value)


def test_a_float_guard_traced_on_nan_holds_on_nan() -> None:
    """float(x) traced on nan: nan again is the same decision (nan != nan made every replay fail)."""
    g = compile(lambda x: x * float(x))
    assert math.isnan(g(math.nan))
    assert math.isnan(g(math.nan))
    with pytest.raises(StructureChanged, match="float"):
        g(2.0)


def test_an_unused_input_traced_on_nan_holds_on_nan() -> None:
    """The guard on an input the graph never uses treats nan as equal to nan, and still fires on a change."""
    w = Value(1.0)
    compiled = compile_per_sample(lambda x, y: w * x + (0.0 if y.data else 1.0))
    assert compiled([1.0, 2.0], [math.nan, math.nan]).losses == [1.0, 2.0]
    with pytest.raises(StructureChanged, match="not used by the traced graph"):
        compiled([1.0], [3.0])


def _custom_cube(x: Value) -> Value:
    """A micrograd-style node: its own op name, made by micrograd's constructor, no row in RULES."""
    return Value(x.data**3, (x,), "cube")


def test_a_node_without_a_rule_is_refused_by_name() -> None:
    """compile names the custom node (op, label, data) and says why it cannot replay it, instead of a KeyError."""
    from autograd.replay import NotCompilable

    def f(x: Value) -> Value:
        y = _custom_cube(x)
        y.label = "cubed"
        return y + 1.0

    assert f(Value(2.0)).data == 9.0
    with pytest.raises(NotCompilable, match=r"'cubed' .*op 'cube', data 8\.0.*no row in autograd\.rules\.RULES.*_backward"):
        compile(f)(2.0)
    with pytest.raises(NotCompilable, match="op 'cube'"):
        compile_per_sample(f)([2.0])


def test_a_custom_node_that_borrows_a_rules_name_with_other_inputs_is_refused() -> None:
    """A one-parent node calling itself '*' (micrograd's constructor allows it) is refused, not a bare ValueError."""
    from autograd.replay import NotCompilable

    def f(x: Value) -> Value:
        y = _custom_cube(x)
        y._op = "*"  # the name of a two-input rule, on a one-parent node
        return y

    with pytest.raises(NotCompilable, match=r"op '\*'.*does not fit its op's row"):
        compile(f)(2.0)


def test_a_compiled_call_reports_the_error_eager_code_gives() -> None:
    """When a guard fails and fn itself raises on the new input, that error is raised (chained to StructureChanged)."""

    def f(x: Value) -> Value:
        if x < 0:
            raise ValueError(f"f: x must be >= 0, got {x.data}")
        return x.sqrt()

    compiled = compile(f)
    assert compiled(4.0) == 2.0
    with pytest.raises(ValueError, match=r"x must be >= 0, got -1\.0") as raised:
        compiled.value_and_grad(-1.0)
    assert isinstance(raised.value.__cause__, StructureChanged)
