"""The C engine's promises: no leaks, no crashes, nodes the cycle collector ignores until they could form a cycle.

The memory and depth tests run on whichever engine is active (the suite runs once per engine);
the tracking and allocator tests are about the C engine and skip on the pure one.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tracemalloc
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import autograd
from autograd import Value, topological_order, vsum
from nn.module import MLP
from tests.hooks import Sneaky

ROOT = Path(__file__).resolve().parent.parent
native_only = pytest.mark.skipif(autograd.BACKEND != "native", reason="about the C engine, which is not in use")


def _tracked(v: Value) -> bool:
    return gc.is_tracked(v)


def _chain(n: int) -> tuple[Value, Value]:
    x = Value(0.5)
    w = Value(1.0)
    y = x
    for _ in range(n):
        y = y * w
    return x, y


# ------------------------------------------------------------------------------------------ tracking


@native_only
def test_a_plain_graph_is_invisible_to_the_cycle_collector() -> None:
    """Nodes holding only floats, parents and str labels are not tracked (like tuples of atoms)."""
    a, b = Value(1.0, label="a"), Value(2.0)
    nodes = [a, b, a * b, (a * b).tanh(), vsum([a, b, 3.0]), autograd.dot([a], [b], 1.0)]
    assert not any(_tracked(v) for v in nodes)


@native_only
def test_a_value_gradient_tracks_the_node_and_everything_its_cycle_could_pass_through() -> None:
    """After backward(create_graph=True) the graph can hold cycles (x -> grad_value -> ... -> x): all of it is tracked."""
    x = Value(2.0)
    y = (x * x).tanh()
    y.backward(create_graph=True)
    assert all(_tracked(n) for n in topological_order(y))
    assert x.grad_value is not None and _tracked(x.grad_value)


@native_only
def test_closures_non_str_labels_and_subclasses_are_tracked() -> None:
    """A custom _backward closure, a label that is not a str, and a subclass instance can each close a cycle."""
    a = Value(1.0)
    out = Value(a.data * 2, (a,), "double")

    def _backward() -> None:
        a.grad += 2.0 * out.grad

    out._backward = _backward
    assert _tracked(out) and _tracked(a)
    labelled = Value(3.0)
    labelled.label = ["a", "list"]  # type: ignore[assignment]
    assert _tracked(labelled)

    class Sub(Value):
        pass

    assert _tracked(Sub(1.0))
    assert _tracked(a * out)  # a child of a tracked node is tracked from birth


@native_only
def test_zero_grad_untracks_leaves_so_later_graphs_are_untracked_again() -> None:
    """After create_graph and zero_grad the parameters hold floats again, and new graphs on them cost the collector nothing."""
    w = Value(0.3, label="w")
    (w * w).backward(create_graph=True)
    assert _tracked(w)
    (w * w).zero_grad()
    assert not _tracked(w) and w.grad_value is None
    assert not _tracked(w * 2.0)


def test_create_graph_cycles_are_collected() -> None:
    """Graphs whose gradients are Values (x -> grad_value -> graph -> x) are freed by the cycle collector."""
    gc.collect()
    x = Value(2.0)
    y = (x**3).tanh()
    y.backward(create_graph=True)
    probes = [weakref.ref(n) for n in topological_order(y)]
    del x, y
    gc.collect()
    assert all(p() is None for p in probes)


def test_custom_closure_cycles_are_collected() -> None:
    """micrograd-style closures (out -> closure -> out) are freed by the cycle collector."""
    gc.collect()

    def square(a: Value) -> Value:
        out = Value(a.data**2, (a,), "square")

        def _backward() -> None:
            a.grad += 2 * a.data * out.grad

        out._backward = _backward
        return out

    a = Value(1.5)
    result = square(a)
    result.backward()
    assert a.grad == 3.0
    probe = weakref.ref(result)
    del result
    gc.collect()
    assert probe() is None


# ------------------------------------------------------------------------------------------ memory


def _traced_after(steps: int, step: object) -> list[int]:
    gc.collect()
    tracemalloc.start()
    sizes = []
    try:
        for i in range(steps):
            step(i)  # type: ignore[operator]
            if i in (steps // 10, steps - 1):
                gc.collect()
                sizes.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    return sizes


def test_a_thousand_training_steps_keep_memory_flat() -> None:
    """1,000 steps of forward, backward and SGD on nn.MLP allocate nothing that stays."""
    model = MLP(2, [8, 1], seed=0)
    params = model.parameters()
    X = [[0.1 * i, -0.2 * i] for i in range(4)]
    y = [1.0, -1.0, 1.0, -1.0]

    def step(i: int) -> None:
        loss = vsum([(1 - yi * model(x)).relu() for x, yi in zip(X, y)])
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= 0.01 * float(p.grad)

    first, last = _traced_after(1000, step)
    assert last - first < 64 * 1024, f"memory grew by {last - first} bytes over 900 steps"


def test_a_thousand_create_graph_round_trips_keep_memory_flat() -> None:
    """1,000 second-derivative computations (create_graph, backprop of the gradient, zero_grad) leave nothing behind."""
    x = Value(0.7)

    def step(i: int) -> None:
        y = (x * x * x).tanh()
        y.backward(create_graph=True)
        dy = x.grad_value if hasattr(x, "grad_value") and x.grad_value is not None else x.grad
        assert isinstance(dy, Value)
        x.zero_grad()
        dy.backward()
        y.zero_grad()
        dy.zero_grad()

    first, last = _traced_after(1000, step)
    assert last - first < 64 * 1024, f"memory grew by {last - first} bytes over 900 round trips"


def test_deep_and_wide_graphs_are_freed_without_stack_overflow() -> None:
    """A 10**6-op chain and a node with 10**6 parents are built, backpropagated and freed (no recursion anywhere)."""
    x, y = _chain(1_000_000)
    y.backward()
    assert x.grad == 1.0
    probe = weakref.ref(y)
    del y
    assert probe() is None
    leaves = [Value(float(i)) for i in range(1_000_000)]
    wide = vsum(leaves) * 2.0
    wide.backward()
    assert leaves[-1].grad == 2.0
    del wide, leaves


@pytest.mark.slow
def test_a_ten_million_op_chain_is_built_backpropagated_and_freed() -> None:
    """10**7 ops: built, backward, freed in a subprocess (its memory goes with it), exit status 0."""
    script = (
        "from autograd import Value\n"
        "x = Value(0.5); w = Value(1.0); y = x\n"
        "for _ in range(10_000_000): y = y * w\n"
        "y.backward(); assert x.grad == 1.0, x.grad\n"
        "del y\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600, env=os.environ)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


@native_only
def test_the_allocator_returns_memory_after_a_huge_graph() -> None:
    """After a 10**6-node graph is dropped the allocator keeps at most its cap of empty slabs, and release_memory frees them."""
    from autograd._native import _core

    _, y = _chain(1_000_000)
    held = _core.memory_stats()
    assert held["slabs"] * held["slab_bytes"] >= 1_000_000 * held["node_bytes"]
    del y
    after = _core.memory_stats()
    assert after["empty_slabs"] <= after["keep_empty"]
    _core.release_memory()
    assert _core.memory_stats()["empty_slabs"] == 0


@native_only
def test_the_walk_buffer_is_kept_up_to_its_cap_and_released_on_request() -> None:
    """backward keeps its order buffer for the next walk while it is at most 8 MB; a bigger one is freed at once."""
    from autograd._native import _core

    _core.release_memory()
    assert _core.memory_stats()["walk_buffer_bytes"] == 0
    _, y = _chain(100_000)
    y.backward()
    stats = _core.memory_stats()
    assert 100_000 * 8 <= stats["walk_buffer_bytes"] <= stats["keep_walk_buffer_bytes"]
    del y
    _, y = _chain(stats["keep_walk_buffer_bytes"] // 8 + 10)  # more interior nodes than the kept buffer has words
    y.backward()
    assert _core.memory_stats()["walk_buffer_bytes"] == 0
    del y
    _core.release_memory()
    assert _core.memory_stats()["walk_buffer_bytes"] == 0


@native_only
def test_a_node_is_under_a_hundred_bytes() -> None:
    """104 bytes per node with the collector's header and the __dict__ pointer (micrograd's: ~680 bytes)."""
    from autograd._native import _core

    assert _core.NODE_BYTES <= 104  # 96 + 8 for users' attributes (__dict__, issue 19.1)
    tracemalloc.start()
    try:
        x = Value(1.0)
        before = tracemalloc.get_traced_memory()[0]
        nodes = [x]
        for _ in range(100_000):
            nodes.append(nodes[-1] * x)
        per_node = (tracemalloc.get_traced_memory()[0] - before - sys.getsizeof(nodes)) / 100_000
    finally:
        tracemalloc.stop()
    assert per_node <= 104, per_node  # 96 + the __dict__ pointer of issue 19.1


@native_only
def test_nodes_support_weak_references_and_subclasses() -> None:
    """weakref.ref works on C nodes, and a subclass keeps its own attributes and every operator."""
    v = Value(2.0)
    ref = weakref.ref(v)
    assert ref() is v

    class Named(Value):
        def __init__(self, data: float, note: str) -> None:
            super().__init__(data)
            self.note = note

    n = Named(3.0, "hi")
    assert n.note == "hi" and (n * v).data == 6.0 and isinstance(n * v, Value)
    del v
    assert ref() is None


# ------------------------------------------------------------------------------------------ re-entrancy
# Each test below reproduces a crash of issue 20 (AddressSanitizer: heap-use-after-free): Python code
# run in the middle of a C call edits what the call is reading. They run on either engine (the pure
# one must give the same answers) and under python3 dev.py sanitize.




def _reinit(node: Value, *args: Any) -> None:
    """``node.__init__(*args)``: what micrograd-style code may do to a node that is already in a graph."""
    init: Any = type(node).__init__
    init(node, *args)


class _OnCollect:
    """Garbage only the cycle collector frees (it refers to itself); its finalizer runs ``hook``."""

    def __init__(self, hook: Callable[[], object]) -> None:
        self.hook = hook
        self.me = self

    def __del__(self) -> None:
        self.hook()


def _drain_free_lists() -> list[object]:
    """Objects that empty CPython's free lists of lists and small tuples, so that the next list or tuple
    made is a fresh allocation, where the collector can run (hold them until after the call)."""
    held: list[object] = [[] for _ in range(100)]  # one list: no temporary list freed back onto the free list
    held.extend(tuple(range(n)) for n in (1, 2, 3, 5) for _ in range(2001))
    return held


def _collect_at_the_next_allocation(hook: Callable[[], object]) -> list[object]:
    """Leave garbage behind and set the collector to run at the next allocation of a container,
    so ``hook`` runs inside whatever C call allocates next (the test restores the thresholds).
    Returns what must be held until that call returns."""
    gc.collect()
    gc.disable()
    held = _drain_free_lists()
    _OnCollect(hook)
    gc.set_threshold(1)
    gc.enable()
    return held


@pytest.fixture
def collector_state() -> Iterator[None]:
    """Put the collector's thresholds and switch back as they were after the test."""
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        (gc.enable if enabled else gc.disable)()


def test_vsum_sums_the_items_it_was_given_when_converting_one_empties_the_list() -> None:
    """vsum snapshots its input: a __class__ property that clears the list mid-conversion changes nothing (was a crash)."""
    values: list[Any] = []
    values += [Value(1.0) for _ in range(2000)] + [Sneaky(1.0, values.clear)] + [Value(2.0) for _ in range(2000)]
    total = vsum(values)
    assert total.data == 6001.0 and len(total.parents) == 4001


def test_vsum_is_not_fooled_by_items_replaced_mid_conversion() -> None:
    """A conversion that overwrites later items (was a silently wrong sum, 5998 for 6001) sees the snapshot summed."""
    values: list[Any] = [Value(1.0) for _ in range(3000)]

    def overwrite() -> None:
        values[-3:] = [0.0, 0.0, 0.0]

    values += [Sneaky(1.0, overwrite)] + [Value(1.0) for _ in range(3000)]
    assert vsum(values).data == 6001.0
    assert vsum(values).data == 5998.0  # the list as it is now


def test_dot_converts_a_snapshot_of_weights_inputs_and_bias() -> None:
    """dot's weights, inputs and bias can empty both lists mid-conversion (was a use-after-free)."""
    ws: list[Any] = []
    xs: list[Any] = []

    def empty_both() -> None:
        ws.clear()
        xs.clear()

    ws += [Value(2.0)] * 500 + [Sneaky(2.0, empty_both)] + [Value(2.0)] * 499
    xs += [Sneaky(3.0, empty_both)] + [Value(3.0)] * 999
    out = autograd.dot(ws, xs, Sneaky(1.0, empty_both))  # type: ignore[arg-type]
    assert out.data == 6001.0 and len(out.parents) == 2001


@pytest.mark.usefixtures("collector_state")
def test_topological_order_survives_a_finalizer_that_cuts_the_graph() -> None:
    """A finalizer run by the collector while topological_order allocates its list frees the middle of
    the graph (was: freed nodes in the answer, a negative live-node count, then a crash)."""
    x = Value(2.0, label="x")
    t = (x * 3.0).tanh()
    y = t + 1.0
    held = _collect_at_the_next_allocation(lambda: _reinit(t, 5.0))  # frees x * 3.0 and the 3.0
    order = topological_order(y)
    del held
    if len(order) == 6:  # the order as it was when the call began, every node alive
        assert [n.op for n in order] == ["", "const", "*", "", "const", "+"]
        assert [n.data for n in order][:3] == [2.0, 3.0, 6.0]
    else:  # the collector ran before the walk (a Python without collections at allocation)
        assert [n.op for n in order] == ["", "const", "+"]
    del order
    if autograd.BACKEND == "native":
        from autograd._native import _core

        assert _core.memory_stats()["live_nodes"] >= 4


@pytest.mark.usefixtures("collector_state")
def test_parents_survives_a_finalizer_that_reinitialises_the_node() -> None:
    """.parents allocates its tuple; a finalizer then re-initialising the node frees the parents it was
    about to copy (was a use-after-free), for a two-parent and a wide node."""
    two = Value(1.0) * Value(2.0)
    held = _collect_at_the_next_allocation(lambda: _reinit(two, 0.0))
    got = two.parents
    del held
    assert got == () or [p.data for p in got] == [1.0, 2.0]
    assert two.parents == ()
    wide = Value(10.0, tuple(Value(float(i)) for i in range(5)), "custom")  # a wide node, as vsum's
    held = _collect_at_the_next_allocation(lambda: _reinit(wide, 0.0))
    got = wide.parents
    del held
    assert got == () or [p.data for p in got] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert wide.parents == () and wide.is_leaf


def test_zero_grad_survives_a_weakref_callback_that_reinitialises_the_node() -> None:
    """zero_grad drops a node's grad_value; its weakref callback re-initialising that node no longer
    leaves zero_grad reading the node's freed side block (was a use-after-free)."""
    x = Value(1.0)
    node = Value(4.0, (x, x, Value(2.0)), "custom")  # its parents live in the side block
    gradient = Value(5.0)
    node.grad_value = gradient
    probe = weakref.ref(gradient, lambda _: _reinit(node, 7.0))
    del gradient
    node.zero_grad()
    assert probe() is None and node.is_leaf and node.data == 7.0 and node.grad == 0.0


# ------------------------------------------------------------------------------------------ the visit mark


def _epoch_limit() -> int:
    if autograd.BACKEND != "native":
        return 0
    from autograd._native import _core

    return int(_core.EPOCH_LIMIT)


@native_only
@pytest.mark.skipif(
    not 0 < _epoch_limit() <= 100_000,
    reason="needs the C engine built with a short visit-mark period: python3 dev.py sanitize builds one (VALUEGRAD_EPOCH_LIMIT)",
)
def test_the_visit_mark_never_wraps_into_a_wrong_answer() -> None:
    """Across many wraps of the walks' mark, no interior node (from the slabs, or a subclass instance)
    keeps a stale mark that makes backward skip it: every gradient is -1.0, never 0.0. Each node is
    walked again after every gap from 1 to past the period, so some revisit lands exactly one period
    after its last walk, where a stale mark would look like this walk's."""

    class Sub(Value):
        pass

    count = _epoch_limit() // 2 + 2  # walks per period <= limit / 2: gaps 1 .. 2 * count cover it

    def interior(kind: type[Value]) -> tuple[Value, Value]:
        leaf = Value(1.0)
        return leaf, (leaf * -1.0 if kind is Value else kind(-1.0, (leaf,), "neg"))

    def gradient(leaf: Value, node: Value) -> float:
        leaf.grad = 0.0
        (node * 1.0).backward()  # one walk, through the kept interior node
        return leaf.grad

    for kind, extra_walk in [(kind, extra) for kind in (Value, Sub) for extra in (False, True)]:
        pairs = [interior(kind) for _ in range(count)]
        assert all(gradient(*pair) == -1.0 for pair in pairs)
        if extra_walk:  # shifts every gap by one: odd gaps, then even ones
            topological_order(Value(0.0))
        wrong = [i for i, pair in enumerate(reversed(pairs)) if gradient(*pair) != -1.0]
        assert not wrong, f"{len(wrong)} {kind.__name__} nodes skipped after the mark wrapped"


def test_parents_of_a_wide_node_is_one_tuple_asked_for_again() -> None:
    """.parents of a node with 10**4 parents is the same tuple on every access (O(1), as in the pure engine)."""
    leaves = [Value(float(i)) for i in range(10_000)]
    wide = vsum(leaves)
    first = wide.parents
    assert all(wide.parents is first for _ in range(1000))
    assert list(first) == leaves and wide.local_grads == (1.0,) * 10_000
    custom = Value(1.0, tuple(leaves), "custom")
    assert custom.parents is custom.parents
    _reinit(custom, 1.0)  # re-initialising drops the kept tuple with the parents
    assert custom.parents == () and custom.is_leaf
