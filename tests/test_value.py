"""Value: construction, operators mixing with numbers, comparisons, identity, repr, errors, no_grad and memory."""

from __future__ import annotations

import gc
import inspect
import math
import threading
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import RULES, Value, apply, grad, is_grad_enabled, no_grad
from autograd.testing import values

# ------------------------------------------------------------------------------------------- construction


@pytest.mark.parametrize("number", [2, 2.0, -3, np.float64(2.5), np.float32(0.5), np.int64(7), np.int32(-1), True])
def test_value_accepts_real_numbers_and_stores_a_float(number: Any) -> None:
    """int, float, bool and numpy real scalars become a Python float data equal to the number."""
    v = Value(number)
    assert type(v.data) is float
    assert v.data == float(number)
    assert v.grad == 0.0
    assert type(v.grad) is float


@pytest.mark.parametrize("bad", ["2.0", None, [1.0], 1j, np.complex128(1 + 2j), Value])
def test_value_refuses_non_reals_naming_the_type(bad: Any) -> None:
    """Strings, None, lists and complex numbers raise TypeError whose message names their type."""
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


@given(
    st.one_of(
        st.integers(), st.floats(allow_nan=False), st.binary(), st.lists(st.text(max_size=3), max_size=2), st.builds(object)
    )
)
def test_value_refuses_a_non_str_label_naming_its_type_and_value(label: object) -> None:
    """Value(1.0, label=5) raises TypeError naming the label's type and value (a str is the allowed label)."""
    with pytest.raises(TypeError, match=f"label must be a str, got {type(label).__name__}: ") as caught:
        Value(1.0, label=label)  # type: ignore[arg-type]
    assert repr(label) in str(caught.value)


@given(st.text())
def test_value_keeps_a_str_label(label: str) -> None:
    """A str label (any text, even empty) is stored as given."""
    assert Value(1.0, label=label).label == label


def test_an_unlabelled_node_has_the_empty_label_as_in_micrograd() -> None:
    """label is '' (never None) for leaves, operator results and label=None from older code."""
    x = Value(1.0)
    assert x.label == "" and (x * 2).label == "" and (-x).label == "" and Value(1.0, label=None).label == ""  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["2.0", None, [1.0], 1j])
def test_operators_refuse_non_reals_on_either_side_naming_the_type(bad: Any) -> None:
    """v + 'x', 'x' * v, v ** None ... raise TypeError naming the operand's type."""
    v = Value(2.0)
    operations: list[Callable[[], object]] = [
        lambda: v + bad,
        lambda: bad + v,
        lambda: v * bad,
        lambda: bad * v,
        lambda: v - bad,
        lambda: v / bad,
        lambda: v**bad,
    ]
    for operation in operations:
        with pytest.raises(TypeError, match=type(bad).__name__):
            operation()


def test_repr_reads_like_the_constructor() -> None:
    """repr shows data, grad and the label when there is one."""
    w = Value(2.0, label="w1")
    assert repr(w) == "Value(data=2.0, grad=0.0, label='w1')"
    assert repr(Value(-0.5)) == "Value(data=-0.5, grad=0.0)"
    w.grad = 1.5
    w.label = "w"
    assert repr(w) == "Value(data=2.0, grad=1.5, label='w')"


def test_leaf_and_node_attributes() -> None:
    """A leaf has no parents and op ''; a node records ordered parents, its op, and its local derivatives."""
    a, b = Value(3.0, label="a"), Value(4.0)
    assert a.is_leaf and a.parents == () and a.op == ""
    c = a * b
    assert not c.is_leaf
    assert c.parents == (a, b)
    assert c.op == "*"
    assert c.local_grads == (4.0, 3.0)
    d = 2 - a
    assert d.op == "-"
    assert d.parents[1] is a
    assert d.parents[0].op == "const" and d.parents[0].data == 2.0
    assert float(d) == -1.0


# ------------------------------------------------------------------------------------------- numbers on both sides


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}
#: d op / d a and d op / d b as float formulas.
PARTIALS: dict[str, Callable[[float, float], tuple[float, float]]] = {
    "+": lambda a, b: (1.0, 1.0),
    "-": lambda a, b: (1.0, -1.0),
    "*": lambda a, b: (b, a),
    "/": lambda a, b: (1.0 / b, -a / (b * b)),
    "**": lambda a, b: (b * a ** (b - 1.0), a**b * math.log(a)),
}


@pytest.mark.parametrize("op", sorted(BINARY))
@given(data=st.data())
def test_numbers_mix_on_both_sides_of_every_operator(op: str, data: st.DataObject) -> None:
    """number op Value and Value op number compute the float result and send the right gradient to the Value."""
    a, b = data.draw(values(op), label="(a, b)")
    expected = BINARY[op](a, b)
    da, db = PARTIALS[op](a, b)
    right = Value(b)
    out = BINARY[op](a, right)  # the number on the left: the reflected method
    out.backward()
    assert out.data == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert right.grad == pytest.approx(db, rel=1e-9, abs=1e-12)
    left = Value(a)
    out = BINARY[op](left, b)
    out.backward()
    assert out.data == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert left.grad == pytest.approx(da, rel=1e-9, abs=1e-12)


def test_numpy_scalars_mix_on_both_sides() -> None:
    """np.float64(3) * v and v * np.float32(3) give Values with the right gradient."""
    v = Value(2.0)
    out = np.float64(3.0) * v + v * np.float32(3.0) + np.int64(1)
    assert isinstance(out, Value)
    out.backward()
    assert (out.data, v.grad) == (13.0, 6.0)


# ------------------------------------------------------------------------------------------- comparisons, identity


@given(st.floats(-5, 5), st.floats(-5, 5))
def test_comparisons_compare_data_and_return_bools(a: float, b: float) -> None:
    """< <= > >= compare data with Values and numbers on either side and return plain bools."""
    va, vb = Value(a), Value(b)
    results = [va < vb, va <= vb, va > vb, va >= vb, va < b, a < vb, va >= b, a >= vb]
    assert all(type(r) is bool for r in results)
    assert results == [a < b, a <= b, a > b, a >= b, a < b, a < b, a >= b, a >= b]


def test_equality_and_hash_are_identity() -> None:
    """Two Values with equal data are different keys; the same Value is found in sets and dicts."""
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b
    assert len({a, b, a}) == 2
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b"
    assert hash(a) == hash(a)


# ------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("compute", "error", "message"),
    [
        (lambda: Value(0.0).log(), ValueError, r"log: input 0\.0 is outside the domain"),
        (lambda: Value(-1.0).log(), ValueError, r"log: input -1\.0 is outside the domain"),
        (lambda: Value(-1.0).sqrt(), ValueError, r"sqrt: input -1\.0 is outside the domain"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"div: 1\.0 / 0\.0 divides by zero"),
        (lambda: 3 / Value(0.0), ZeroDivisionError, r"div: 3\.0 / 0\.0 divides by zero"),
        (lambda: Value(1000.0).exp(), OverflowError, r"exp: input 1000\.0 overflows"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"pow: 0\.0 \*\* -1\.0 raises zero to a negative power"),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, r"pow: -8\.0 \*\* 0\.333\d* has no real result"),
        (lambda: 10 ** Value(400.0), OverflowError, r"pow: 10\.0 \*\* 400\.0 overflows"),
    ],
)
def test_float_errors_name_the_op_and_the_input(compute: Callable[[], Value], error: type[Exception], message: str) -> None:
    """Out-of-domain inputs raise what Python floats raise, with a message naming the operator and the input."""
    with pytest.raises(error, match=message):
        compute()


# ------------------------------------------------------------------------------------------- no_grad


def test_no_grad_records_nothing_and_restores() -> None:
    """Inside no_grad results are leaves with the right data; recording resumes after, also after an error."""
    x = Value(3.0)
    with no_grad():
        assert not is_grad_enabled()
        y = x * x + 1
        z = (x.exp() + 2).tanh()
    assert is_grad_enabled()
    assert y.is_leaf and y.op == "" and y.data == 10.0
    assert z.is_leaf and z.data == math.tanh(math.exp(3.0) + 2)
    with pytest.raises(ZeroDivisionError), no_grad():
        x / 0
    assert is_grad_enabled()
    assert (x * x).parents == (x, x)


def test_no_grad_nests_and_decorates() -> None:
    """Nested no_grad blocks restore correctly; @no_grad() turns recording off inside the function only."""
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()

    @no_grad()
    def square(v: Value) -> Value:
        """Square without a graph."""
        return v * v

    assert square(Value(2.0)).is_leaf
    assert square.__doc__ == "Square without a graph."
    assert is_grad_enabled()


def test_no_grad_decorator_keeps_the_signature() -> None:
    """@no_grad() keeps the function's name, signature and annotations (functools.wraps), so tools see the original."""

    def scale(v: Value, factor: float = 2.0, *, label: str | None = None) -> Value:
        return v * factor

    wrapped = no_grad()(scale)
    assert wrapped.__name__ == "scale"
    assert wrapped.__wrapped__ is scale  # type: ignore[attr-defined]
    assert inspect.signature(wrapped) == inspect.signature(scale)
    assert wrapped(Value(1.5), factor=3.0).data == 4.5


def test_no_grad_is_per_thread() -> None:
    """While one thread is inside no_grad, another thread still records graphs (and the other way round)."""
    entered, release = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def worker() -> None:
        with no_grad():
            seen["worker inside"] = is_grad_enabled()
            entered.set()
            release.wait(timeout=30)

    thread = threading.Thread(target=worker)
    thread.start()
    assert entered.wait(timeout=30)
    x = Value(2.0)
    seen["main while worker inside"] = not (x * x).is_leaf
    release.set()
    thread.join()

    def recorder() -> None:
        seen["thread started inside main's no_grad"] = is_grad_enabled() and not (Value(1.0) * 2).is_leaf

    with no_grad():
        other = threading.Thread(target=recorder)
        other.start()
        other.join()
    assert seen == {"worker inside": False, "main while worker inside": True, "thread started inside main's no_grad": True}


def test_a_no_grad_decorated_function_runs_in_two_threads_at_once() -> None:
    """Overlapping calls of one @no_grad() function in two threads neither fail nor leave recording off."""
    a_inside, b_inside, a_done = threading.Event(), threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    @no_grad()
    def pause(signal: threading.Event, wait_for: threading.Event) -> bool:
        """Signal that we are inside no_grad, then wait for the other thread."""
        signal.set()
        wait_for.wait(timeout=30)
        return is_grad_enabled()

    def first() -> None:
        # Enters first, leaves while the second thread is still inside.
        try:
            outcome["first inside"] = pause(a_inside, b_inside)
        except ValueError as error:
            outcome["first inside"] = error
        outcome["first after"] = is_grad_enabled()
        a_done.set()

    def second() -> None:
        a_inside.wait(timeout=30)
        try:
            outcome["second inside"] = pause(b_inside, a_done)
        except ValueError as error:
            outcome["second inside"] = error
        outcome["second after"] = is_grad_enabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcome == {"first inside": False, "first after": True, "second inside": False, "second after": True}


# ------------------------------------------------------------------------------------------- memory


@contextmanager
def cycle_collector_off() -> Iterator[None]:
    """Disable the cycle collector, so only reference counting can free objects."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_a_dropped_graph_is_freed_by_reference_counting_alone() -> None:
    """With gc disabled, every node of a graph (after backward, too) is gone once the last reference drops."""
    with cycle_collector_off():
        x, y = Value(0.5), Value(-1.5)
        out = ((x * y + x).tanh() * x.exp() + (y**2).sqrt() / (1 + x.sigmoid())).relu()
        out.backward()
        refs = [weakref.ref(v) for v in (x, y, out, *out.parents, *out.parents[0].parents)]
        del x, y, out
        dead = [r() is None for r in refs]
    assert all(dead)


def test_functional_grad_of_grad_leaves_no_garbage() -> None:
    """grad(grad(f)) builds Value-valued gradients but writes no .grad, so nothing needs the cycle collector."""
    with cycle_collector_off():
        first: Any = grad(lambda x: x * x * x + x.sin())  # grad's type does not yet admit grad(grad(f))
        second = grad(first)(2.0)
        leftovers = gc.collect()
    assert second == pytest.approx(12.0 - math.sin(2.0))
    assert leftovers == 0


def test_create_graph_cycle_is_broken_by_zero_grad() -> None:
    """backward(create_graph=True) makes x.grad a graph that refers back to x (as in PyTorch); zero_grad frees it."""
    with cycle_collector_off():
        x = Value(2.0)
        y = x**3
        y.backward(create_graph=True)
        assert isinstance(x.grad_value, Value)
        y.zero_grad()
        refs = [weakref.ref(x), weakref.ref(y)]
        del x, y
        dead = [r() is None for r in refs]
    assert all(dead)


# ------------------------------------------------------------------------------------------- the package


def test_package_exports_every_public_name_it_lists_and_render_html() -> None:
    """Every name in autograd.__all__ resolves, and render_html (which the README names) is one of them."""
    import autograd
    import autograd.seeing.page

    assert all(hasattr(autograd, name) for name in autograd.__all__)
    assert "render_html" in autograd.__all__ and autograd.render_html is autograd.seeing.page.render_html


# ------------------------------------------------------------------------------------------- conventions users bring


def test_item_detach_and_bool_follow_pytorch_and_floats() -> None:
    """v.item() is data; v.detach() is a new leaf with the same data and label; bool(v) is bool(v.data)."""
    x = Value(2.5, label="x")
    y = x * x
    assert y.item() == 6.25 and type(y.item()) is float
    d = y.detach()
    assert d.parents == () and d.data == 6.25 and d is not y
    assert x.detach().label == "x"
    assert bool(Value(0.0)) is False and bool(Value(-0.0)) is False and bool(Value(0.1)) is True
    assert bool(Value(math.nan)) is True  # as bool(float('nan'))


def test_bare_no_grad_decorator_and_called_one_are_the_same() -> None:
    """@no_grad and @no_grad() both turn recording off inside the function and keep its name."""

    @no_grad
    def bare(v: Value) -> Value:
        return v * v

    @no_grad()
    def called(v: Value) -> Value:
        return v * v

    x = Value(3.0)
    assert bare(x).parents == () and called(x).parents == () and bare.__name__ == "bare"
    assert (x * x).parents == (x, x)


def test_one_no_grad_instance_shared_by_threads_keeps_each_thread_right() -> None:
    """A module-level NG = no_grad() entered by two threads, exited first-in first-out: each thread stays right."""
    import threading

    shared = no_grad()
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    results: dict[str, tuple[bool, bool]] = {}
    errors: list[BaseException] = []

    def work(name: str, wait_before: threading.Event | None, done: threading.Event, wait_exit: threading.Event | None) -> None:
        try:
            x = Value(1.0)
            if wait_before is not None:
                wait_before.wait(5)
            with shared:
                done.set()
                if wait_exit is not None:
                    wait_exit.wait(5)
                inside = (x * 2).parents == ()
            results[name] = (inside, len((x * 2).parents) == 2)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    # A enters, B enters, A leaves while B is still inside, then B leaves: not last-in first-out.
    first = threading.Thread(target=work, args=("a", None, a_in, b_in))
    second = threading.Thread(target=work, args=("b", a_in, b_in, a_out))
    first.start()
    second.start()
    first.join()
    a_out.set()
    second.join()
    assert not errors and results == {"a": (True, True), "b": (True, True)}


def test_no_grad_is_per_asyncio_task_with_a_shared_instance() -> None:
    """Two tasks share one no_grad instance and leave it in the order they entered: each task's state is its own."""
    import asyncio

    shared = no_grad()

    async def task(delay_in: int, delay_out: int) -> list[bool]:
        for _ in range(delay_in):
            await asyncio.sleep(0)
        seen = []
        with shared:
            for _ in range(delay_out):
                seen.append(is_grad_enabled())
                await asyncio.sleep(0)
        seen.append(is_grad_enabled())
        return seen

    async def main() -> list[list[bool]]:
        # The first task enters first and leaves first, while the second is still inside.
        return list(await asyncio.gather(task(0, 2), task(1, 4)))

    assert asyncio.run(main()) == [[False, False, True], [False, False, False, False, True]]


def test_operators_record_by_the_grad_mode_of_their_own_context_thread_and_task() -> None:
    """Recording follows no_grad in whichever context, thread or task runs the operator, however they interleave.

    The C engine keeps the last grad mode it read; this is what would go wrong if that copy outlived its context.
    """
    import asyncio
    import contextvars

    def records() -> bool:
        return bool((Value(1.0) * 2).parents)

    with no_grad():
        inside = contextvars.copy_context()
    assert records()
    assert not inside.run(records)  # a context copied under no_grad keeps it after the with block ended
    assert records()
    outside = contextvars.copy_context()
    with no_grad():
        assert not records()
        assert outside.run(records)
        assert not records()
    assert records()

    seen: dict[str, list[bool]] = {"worker": [], "main": []}
    step = [threading.Event() for _ in range(4)]

    def worker() -> None:
        with no_grad():
            step[0].set()
            step[1].wait(5)
            seen["worker"].append(records())
            step[2].set()
            step[3].wait(5)
        seen["worker"].append(records())

    thread = threading.Thread(target=worker)
    thread.start()
    step[0].wait(5)
    seen["main"].append(records())  # the worker is inside no_grad right now
    step[1].set()
    step[2].wait(5)
    seen["main"].append(records())
    step[3].set()
    thread.join(5)
    assert seen == {"worker": [False, True], "main": [True, True]}

    async def task(inside_no_grad: bool) -> list[bool]:
        out = []
        if inside_no_grad:
            with no_grad():
                for _ in range(3):
                    out.append(records())
                    await asyncio.sleep(0)
        else:
            for _ in range(3):
                out.append(records())
                await asyncio.sleep(0)
        out.append(records())
        return out

    async def main() -> list[list[bool]]:
        return list(await asyncio.gather(task(True), task(False)))

    assert asyncio.run(main()) == [[False, False, False, True], [True, True, True, True]]


def test_no_grad_decorates_generators_and_coroutines() -> None:
    """@no_grad on a generator function and on an async def turns recording off while their code runs."""
    import asyncio

    x = Value(2.0)

    @no_grad
    def squares(n: int) -> Iterator[Value]:
        for _ in range(n):
            yield x * x

    @no_grad()
    async def square() -> Value:
        await asyncio.sleep(0)
        return x * x

    made = list(squares(3))
    assert [v.parents for v in made] == [(), (), ()] and is_grad_enabled()
    assert asyncio.run(square()).parents == () and is_grad_enabled()


def test_no_grad_decorates_async_generators() -> None:
    """@no_grad on an async generator turns recording off in each piece it runs, and only there (asend/athrow too)."""
    import asyncio

    x = Value(2.0)

    @no_grad
    async def squares(n: int) -> AsyncIterator[Value]:
        for _ in range(n):
            await asyncio.sleep(0)
            yield x * x

    @no_grad()
    async def echo() -> AsyncGenerator[Value, float]:
        received = yield x * x
        while True:
            try:
                received = yield x * received
            except KeyError:
                received = yield x + 1.0

    async def main() -> tuple[list[Value], list[Value], bool]:
        made = [v async for v in squares(3)]
        outside = is_grad_enabled()
        gen = echo()
        sent = [await gen.__anext__(), await gen.asend(3.0), await gen.athrow(KeyError()), await gen.asend(4.0)]
        await gen.aclose()
        return made, sent, outside and is_grad_enabled()

    made, sent, enabled_outside = asyncio.run(main())
    assert [v.parents for v in made] == [(), (), ()]
    assert [v.parents for v in sent] == [(), (), (), ()] and [v.data for v in sent] == [4.0, 6.0, 3.0, 8.0]
    assert enabled_outside and is_grad_enabled()
    assert squares.__name__ == "squares"


# ------------------------------------------------------------------------------------------- nan and inf


@pytest.mark.parametrize(
    "op", ["relu", "log", "sqrt", "exp", "tanh", "sigmoid", "softplus", "sin", "cos", "abs", "neg", "leaky_relu", "softsign"]
)
def test_nan_goes_through_every_one_input_op_as_nan(op: str) -> None:
    """Value(nan).op() is nan, as in IEEE and PyTorch: relu(nan) is not 0 and log/sqrt(nan) raise no domain error."""
    out = apply(op, Value(math.nan))
    assert math.isnan(out.data), op


@pytest.mark.parametrize("op", sorted(RULES))
def test_nan_in_any_input_of_every_rule_gives_nan(op: str) -> None:
    """Every row of RULES (a row added later too, unlike the lists above) turns nan in any input position into nan."""
    from autograd import dot, vsum

    rule = RULES[op]
    if rule.arity is None:  # the fused n-ary rows: nan anywhere in a sum or a dot product
        assert math.isnan(vsum([1.0, Value(math.nan), 2.0]).data)
        assert math.isnan(dot([Value(math.nan), 1.0], [1.0, 2.0]).data) and math.isnan(dot([1.0], [1.0], Value(math.nan)).data)
        return
    for k in range(rule.arity):
        inputs = [Value(0.5) for _ in range(rule.arity)]
        inputs[k] = Value(math.nan)
        assert math.isnan(apply(op, *inputs).data), (op, k)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_nan_goes_through_every_two_input_op(op: str) -> None:
    """nan on either side of a two-input op gives nan (nan ** 0 is 1.0, as in IEEE)."""
    assert math.isnan(apply(op, Value(math.nan), Value(2.0)).data)
    assert math.isnan(apply(op, Value(2.0), Value(math.nan)).data)
    assert math.isnan(apply("**", Value(-2.0), Value(math.nan)).data)


def test_infinities_give_inf_where_floats_do() -> None:
    """inf * 2, inf + 1, relu(inf), tanh(inf) give what floats give."""
    inf = math.inf
    assert (Value(inf) * 2).data == inf and (Value(inf) + 1).data == inf
    assert Value(inf).relu().data == inf and Value(inf).tanh().data == 1.0 and Value(-inf).exp().data == 0.0


@pytest.mark.parametrize("op", ["sin", "cos"])
def test_sine_of_infinity_names_the_op_and_the_value(op: str) -> None:
    """Value(inf).sin() raises ValueError naming sin and inf (math.sin says only 'math domain error')."""
    with pytest.raises(ValueError, match=f"{op}: input inf is outside the domain"):
        getattr(Value(math.inf), op)()
