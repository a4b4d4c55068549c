"""Fuzzing the engine's API with objects whose hooks run Python code in the middle of a call.

Seeded random programs (Hypothesis draws the seeds and shrinks a failing one) build graphs with
``+ - * tanh relu``, ``vsum``, ``dot`` and ``apply``, and read them back with ``topological_order``,
``.parents``, ``.local_grads``, ``backward`` and ``zero_grad``. Their operands include numbers whose
conversion runs a hook (a ``__class__`` property, ``__float__``, ``__index__``), garbage whose
finalizer runs a hook at the next allocation (the collector set to run at every allocation), and
weak references whose callback runs a hook when a node dies. A hook empties, overwrites or grows
the input lists, collects garbage, and in the hostile programs also re-initialises nodes, drops
them, relabels them, gives them a gradient Value and starts walks of its own.

* Hostile programs (C engine; ``python3 dev.py sanitize`` runs them under AddressSanitizer): no
  crash, and every answer is consistent with the graph it came from (a sum is the sum of the
  parents it recorded, an order lists parents before children, ...).
* Programs whose hooks only touch lists and the collector run on both engines: every number agrees
  bit for bit, errors included.
"""

from __future__ import annotations

import contextlib
import gc
import math
import operator
import os
import random
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd._native import pure_value_module
from tests.hooks import Sneaky

#: ``python3 dev.py sanitize`` asks for more examples than the profile's (``VALUEGRAD_FUZZ_EXAMPLES``).
_REQUESTED = os.environ.get("VALUEGRAD_FUZZ_EXAMPLES")
EXAMPLES = settings(max_examples=int(_REQUESTED)) if _REQUESTED else settings()

native_only = pytest.mark.skipif(autograd.BACKEND != "native", reason="about the C engine, which is not in use")




class OnCollect:
    """Garbage only the cycle collector frees (it refers to itself); its finalizer runs ``hook``."""

    def __init__(self, hook: Callable[[], object]) -> None:
        self.hook = hook
        self.me = self

    def __del__(self) -> None:
        self.hook()


class Program:
    """One random program on one engine (``engine`` is ``autograd.value`` or the pure copy of it)."""

    def __init__(self, seed: int, engine: Any, *, hostile: bool) -> None:
        self.rng = random.Random(seed)
        self.engine = engine
        self.Value = engine.Value
        self.hostile = hostile
        self.pool: list[Any] = [self.Value(self.rng.uniform(-2, 2), label=f"x{i}") for i in range(4)]
        self.inputs: list[Any] = []  # the list being handed to vsum/dot (hooks edit it)
        self.other: list[Any] = []  # dot's second list
        self.trace: list[str] = []  # what the program saw, compared between engines
        self.probes: list[weakref.ref[Any]] = []
        self.pending: Callable[[], None] | None = None  # a hook for a collection inside the next call
        self.current: Any = None  # the node the current call is about, a hook's favourite target
        self.depth = 0

    # ------------------------------------------------------------------ hooks

    def action(self, kind: str = "") -> Callable[[], None]:
        """A hook, drawn now. Programs compared across engines get idempotent hooks (each engine may run one
        a different number of times: the pure engine reads ``__class__`` twice)."""
        rng = self.rng
        graph_edits = ["append", "reinit", "drop", "label", "grad_value", "walk"]
        kinds = ["clear", "overwrite", "collect"] + (graph_edits if self.hostile else [])
        kind = kind or rng.choice(kinds)
        slot, number = rng.randrange(8), rng.uniform(-3, 3)
        fresh = [self.Value(number), self.Value(-number)]

        def hook() -> None:
            if self.depth > 2:  # hooks start walks and conversions of their own: keep the recursion short
                return
            self.depth += 1
            try:
                self.run_hook(kind, slot, number, fresh)
            finally:
                self.depth -= 1

        return hook

    def run_hook(self, kind: str, slot: int, number: float, fresh: list[Any]) -> None:
        lists = (self.inputs, self.other)
        if kind == "clear":
            lists[slot % 2].clear()
        elif kind == "overwrite":
            target = lists[slot % 2]
            if target:
                target[slot % len(target)] = number
        elif kind == "collect":
            gc.collect(self.rng.randrange(3) if self.hostile else 0)
        elif kind == "append":
            lists[slot % 2].extend([number, fresh[0]])
        elif not self.pool:
            return
        elif kind == "reinit":  # frees whatever only the node held: its constants, dropped intermediates
            node = self.current if slot % 2 and self.current is not None else self.pool[slot % len(self.pool)]
            if slot % 3 == 0:
                node.__init__(number)
            else:  # a custom node over fresh leaves (never over the graph: that could make a cycle)
                node.__init__(number, (self.Value(1.0), self.Value(2.0))[: 1 + slot % 2], "custom" if slot % 3 == 1 else "neg")
        elif kind == "drop":
            del self.pool[slot % len(self.pool) :]
        elif kind == "label":
            self.pool[slot % len(self.pool)].label = fresh[0] if slot % 2 else f"l{slot}"
        elif kind == "grad_value":
            self.pool[slot % len(self.pool)]._grad_value = fresh[slot % 2] if slot % 3 else None
        elif kind == "walk":
            node = self.pool[slot % len(self.pool)]
            (self.engine.topological_order, type(node).zero_grad, type(node).backward)[slot % 3](node)

    def operand(self) -> Any:
        """A pool node, a number, or a number whose conversion runs a hook."""
        rng = self.rng
        pick = rng.random()
        if pick < 0.5 and self.pool:
            return rng.choice(self.pool)
        if pick < 0.75:
            return rng.choice([rng.uniform(-3, 3), rng.randint(-3, 3)])
        return Sneaky(rng.uniform(-3, 3), self.action())

    def arm(self) -> None:
        """Hooks that fire later: a finalizer at the next allocation, or a weakref callback when a node dies."""
        pick = self.rng.random()
        # Half the hooks for a collection inside the next call cut the graph that call is reading.
        action = self.action("reinit" if pick < 0.15 and self.hostile else "")

        def hook() -> None:  # Python prints and ignores errors in finalizers and callbacks: keep quiet
            with contextlib.suppress(ArithmeticError, ValueError, TypeError, RuntimeError):
                action()

        if pick < 0.3 and self.hostile:  # the collector's first chance: the first allocation inside the next call
            self.pending = hook
        elif pick < 0.6:
            gc.disable()
            OnCollect(hook)
            gc.set_threshold(1)
            gc.enable()
        elif self.pool:
            node = self.rng.choice(self.pool)
            self.probes.append(weakref.ref(node, lambda _: hook()))

    # ------------------------------------------------------------------ the calls under test

    def quiet(self, call: Callable[..., Any], *args: Any) -> Any:
        """``call(*args)`` (with a pending finalizer armed just before it, so the collector runs it at the
        first allocation inside the call), then the collector off at once: the checks' own allocations
        (even a bound method) must not run a hook that edits what they check (step() switches it back on)."""
        self.current = next((a for a in args if issubclass(type(a), self.Value)), getattr(call, "__self__", None))
        held: list[object] = []
        if self.pending is not None:
            hook, self.pending = self.pending, None
            gc.disable()
            # CPython reuses freed lists and small tuples without a collection: empty those free lists
            held = [[] for _ in range(100)]  # (one list: no temporary freed back onto the free list)
            held.extend(tuple(range(n)) for n in (1, 2) for _ in range(2001))
            OnCollect(hook)
            gc.set_threshold(1)
            gc.enable()
        out = call(*args)
        gc.disable()
        del held
        self.current = None
        return out

    def record(self, what: str, value: object) -> None:
        self.trace.append(f"{what} {value!r}")

    def step(self) -> None:
        rng = self.rng
        call = rng.choice(["binary", "unary", "vsum", "dot", "apply", "order", "parents", "backward", "zero_grad", "arm"])
        if call == "arm":
            self.arm()
            return
        try:
            if call == "binary":
                op = rng.choice(["+", "-", "*"])
                a, b = self.operand(), self.operand()
                if not issubclass(type(a), self.Value) and not issubclass(type(b), self.Value):  # type(): no hook
                    a = self.Value(1.0)
                out = self.quiet({"+": operator.add, "-": operator.sub, "*": operator.mul}[op], a, b)
                self.check_node(out)
                self.keep(out)
            elif call == "unary" and self.pool:
                out = self.quiet(getattr(rng.choice(self.pool), rng.choice(["tanh", "relu", "sigmoid"])))
                self.check_node(out)
                self.keep(out)
            elif call == "vsum":
                self.inputs[:] = [self.operand() for _ in range(rng.randrange(12))]
                snapshot = list(self.inputs)
                out = self.quiet(self.engine.vsum, self.inputs)
                self.check_reduction(out, snapshot, [])
                self.keep(out)
            elif call == "dot":
                n = rng.randrange(6)
                self.inputs[:] = [self.operand() for _ in range(n)]
                self.other[:] = [self.operand() for _ in range(n)]
                snapshot, other = list(self.inputs), list(self.other)
                out = self.quiet(self.engine.dot, self.inputs, self.other, self.operand())
                self.check_reduction(out, snapshot, other)
                self.keep(out)
            elif call == "apply":
                out = self.quiet(self.engine.apply, rng.choice(["sum", "+", "*"]), *[self.operand() for _ in range(2)])
                self.check_node(out)
                self.keep(out)
            elif call == "order" and self.pool:
                self.check_order(self.quiet(self.engine.topological_order, rng.choice(self.pool)))
            elif call == "parents" and self.pool:
                node = rng.choice(self.pool)
                parents, local = self.quiet(getattr, node, "parents"), node.local_grads
                self.record("parents", [p.data for p in parents])
                self.record("local", local)
            elif call == "backward" and self.pool:
                node = rng.choice(self.pool)
                self.quiet(node.backward)
                self.record("grads", [p.grad for p in self.pool])
            elif call == "zero_grad" and self.pool:
                node = rng.choice(self.pool)
                self.quiet(node.zero_grad)
                self.record("zeroed", node.grad)
        except (ArithmeticError, ValueError, TypeError, RuntimeError) as error:
            self.record("error", type(error).__name__)
        finally:
            gc.enable()

    def keep(self, node: Any) -> None:
        self.pool.append(node)
        if len(self.pool) > 24:
            del self.pool[: self.rng.randrange(1, 12)]

    # ------------------------------------------------------------------ checks

    def check_node(self, node: Any) -> None:
        """A node answers every question without crashing, and its numbers are floats."""
        assert isinstance(node, self.Value)
        self.record("data", node.data)
        assert all(isinstance(p, self.Value) for p in node.parents)
        assert len(node.local_grads) in (0, len(node.parents))

    def check_reduction(self, out: Any, first: list[Any], second: list[Any]) -> None:
        """vsum/dot recorded the lists as they were when called: one parent per item (Values by identity),
        and the data is the sum of the parents' data as they are now (read after every conversion)."""
        self.check_node(out)
        items = [*first, *second]
        parents = out.parents
        if out.is_leaf:  # no_grad: nothing recorded
            return
        assert len(parents) == len(items) + (1 if out.op == "dot" else 0)
        assert all(p is x for p, x in zip(parents, items) if issubclass(type(x), self.Value))
        if out.op == "sum":
            total = 0.0
            for p in parents:
                total += p.data
        else:
            n = len(first)
            total = parents[-1].data
            for w, x in zip(parents[:n], parents[n : 2 * n]):
                total += w.data * x.data
        assert (math.isnan(total) and math.isnan(out.data)) or total == out.data, (total, out.data)

    def check_order(self, order: list[Any]) -> None:
        """topological_order gives live nodes, each once."""
        assert len({id(n) for n in order}) == len(order)
        self.record("order", [n.data for n in order])


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector's thresholds and switch restored after the test; what existed before it is frozen.

    Freezing keeps the programs' many full collections about their own objects: in a whole-suite run the
    heap left by earlier tests made each one cost most of a second (minutes per property, not seconds).
    """
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        (gc.enable if enabled else gc.disable)()


def run(seed: int, engine: Any, *, hostile: bool, steps: int = 40) -> list[str]:
    """Run one program; the collector and every hook are disarmed afterwards, whatever happened."""
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    program = Program(seed, engine, hostile=hostile)
    try:
        for _ in range(steps):
            program.step()
    finally:
        program.depth = 99  # hooks still pending (weakrefs, garbage) do nothing from now on
        gc.set_threshold(*thresholds)
        (gc.enable if enabled else gc.disable)()
        program.pool.clear()
        gc.collect()
    return program.trace


@native_only
@pytest.mark.usefixtures("collector")
@EXAMPLES
@given(seed=st.integers(0, 2**32 - 1))
def test_hostile_hooks_never_crash_the_c_engine_and_answers_stay_consistent(seed: int) -> None:
    """Hooks that edit the graph, the input lists and the collector mid-call: no crash, consistent answers."""
    run(seed, autograd.value, hostile=True)


@pytest.mark.usefixtures("collector")
@EXAMPLES
@given(seed=st.integers(0, 2**32 - 1))
def test_hooks_that_edit_lists_and_collect_give_the_same_numbers_on_both_engines(seed: int) -> None:
    """Where an answer exists (hooks touch the lists and the collector, not the graph) both engines agree
    bit for bit: vsum and dot sum the lists as they were when called, on either engine."""
    pure = pure_value_module()
    assert run(seed, autograd.value, hostile=False) == run(seed, pure, hostile=False)
