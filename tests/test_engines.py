"""The C engine and the pure one are the same engine: bit-identical data, gradients and exceptions.

Every test here compares ``autograd.value`` (the C engine when it is built) with a separate copy of
``autograd/value.py`` running the pure engine (``autograd._native.pure_value_module``). When the C
engine is not in use the comparisons are skipped (the rest of the suite still runs on the pure one).
"""

from __future__ import annotations

import math
import struct
import types
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd.value as active
from autograd._native import pure_value_module
from autograd.rules import RULES, Rule, Terms, formula_rule, terms_rule
from autograd.testing import Expression, expressions

needs_native = pytest.mark.skipif(active.BACKEND != "native", reason="the C engine is not in use (not built, or VALUEGRAD_PURE)")

Outcome = tuple[Any, ...]


def _bits(x: float) -> bytes:
    """The float's exact bits (0.0 != -0.0 here); every nan counts as one, since IEEE leaves a nan's sign to the hardware."""
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


def _function(engine: types.ModuleType, expr: Expression) -> Callable[..., Any]:
    """``expr``'s function, built from its public-API source on ``engine``."""
    namespace: dict[str, Any] = {"vsum": engine.vsum, "dot": engine.dot, "apply": engine.apply}
    exec(expr.source, namespace)
    f: Callable[..., Any] = namespace["f"]
    return f


def _run(engine: types.ModuleType, expr: Expression, inputs: tuple[float, ...], *, second_order: bool = False) -> Outcome:
    """Build ``expr`` from its public-API source on ``engine``, backprop, and record everything numeric."""
    f = _function(engine, expr)
    xs = [engine.Value(x) for x in inputs]
    try:
        out = f(*xs)
        out.backward()
        order = engine.topological_order(out)
        record: Outcome = (
            "ok",
            [(n.op, _bits(n.data), _bits(n.grad), tuple(map(_bits, n.local_grads)), len(n.parents)) for n in order],
            [_bits(x.grad) for x in xs],
        )
        if second_order:
            first = engine.gradients(out, xs, create_graph=True)
            second = [engine.gradients(g, xs) if isinstance(g, engine.Value) else [0.0] * len(xs) for g in first]
            record += ([_bits(float(getattr(g, "data", g))) for g in first], [[_bits(float(h)) for h in row] for row in second])
        return record
    except (ArithmeticError, ValueError, TypeError) as error:
        return ("error", type(error), str(error))


@pytest.fixture(scope="module")
def pure() -> types.ModuleType:
    """The pure engine, loaded beside whatever engine autograd.value runs."""
    return pure_value_module()


def test_the_pure_module_runs_the_pure_engine(pure: types.ModuleType) -> None:
    """pure_value_module() is the reference engine even when the C engine is active."""
    assert pure.BACKEND == "pure"
    assert type(pure.Value(1.0) * 2) is pure.Value and pure.Value.__module__ == "autograd.node"


@needs_native
@given(expressions(max_ops=12))
def test_random_graphs_give_bit_identical_results(expr: Expression) -> None:
    """Data, gradients, local derivatives and the walk order agree bit for bit on random graphs."""
    pure = pure_value_module()
    assert _run(active, expr, expr.inputs) == _run(pure, expr, expr.inputs)


@needs_native
@given(expressions(max_ops=12), st.integers(min_value=0, max_value=10**6))
def test_repeated_backward_and_interior_roots_give_bit_identical_grads(expr: Expression, pick: int) -> None:
    """backward twice on the output, then from one of its interior nodes: every grad agrees bit for bit.

    The C engine does not zero interior grads before backward; it replaces a grad at its first
    contribution (and leaves accumulate). Stale grads from the earlier calls would show here.
    """
    outcomes: list[Outcome] = []
    for engine in (active, pure_value_module()):
        f = _function(engine, expr)
        xs = [engine.Value(x) for x in expr.inputs]
        try:
            out = f(*xs)
            order = engine.topological_order(out)
            out.backward()
            out.backward()
            order[pick % len(order)].backward()
            outcomes.append(("ok", [_bits(n.grad) for n in order]))
        except (ArithmeticError, ValueError, TypeError) as error:
            outcomes.append(("error", type(error), str(error)))
    assert outcomes[0] == outcomes[1]


@needs_native
@given(expressions(max_ops=6))
def test_second_order_gradients_are_bit_identical(expr: Expression) -> None:
    """create_graph gradients and the gradients of those gradients agree bit for bit."""
    pure = pure_value_module()
    assert _run(active, expr, expr.inputs, second_order=True) == _run(pure, expr, expr.inputs, second_order=True)


_ANY_FLOAT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.0, 709.0, 710.0, -745.0, 1e-300, 1e300, -1e-310]),
)


@needs_native
@given(expressions(max_ops=8), st.data())
def test_random_graphs_outside_their_domain_raise_the_same_errors(expr: Expression, data: st.DataObject) -> None:
    """On any inputs (nan, inf, zeros, huge, tiny) both engines give the same results or the same exception and message."""
    pure = pure_value_module()
    inputs = tuple(data.draw(_ANY_FLOAT) for _ in expr.inputs)
    assert _run(active, expr, inputs) == _run(pure, expr, inputs)


def _apply_outcome(engine: types.ModuleType, op: str, args: tuple[float, ...], enabled: bool) -> Outcome:
    xs = [engine.Value(a) for a in args]
    try:
        if enabled:
            node = engine.apply(op, *xs)
        else:
            with engine.no_grad():
                node = engine.apply(op, *xs)
        return ("ok", node.op, _bits(node.data), tuple(map(_bits, node.local_grads)))
    except (ArithmeticError, ValueError, TypeError) as error:
        return ("error", type(error), str(error))


@needs_native
@pytest.mark.parametrize("op", [name for name, rule in RULES.items() if rule.arity is not None])
@given(data=st.data(), enabled=st.booleans())
def test_every_rule_agrees_on_any_float_inputs(op: str, data: st.DataObject, enabled: bool) -> None:
    """Each fixed-arity rule's forward, local derivatives and errors (with and without no_grad) agree on any inputs."""
    pure = pure_value_module()
    arity = RULES[op].arity
    assert arity is not None
    args = tuple(data.draw(_ANY_FLOAT) for _ in range(arity))
    assert _apply_outcome(active, op, args, enabled) == _apply_outcome(pure, op, args, enabled)


@needs_native
def test_operand_errors_have_the_pure_engines_messages(pure: types.ModuleType) -> None:
    """Wrong operand types, wrong arity and unknown ops raise the same exceptions on both engines."""
    cases: list[Callable[[types.ModuleType], object]] = [
        lambda m: m.Value(1.0) + "a",
        lambda m: "a" * m.Value(1.0),
        lambda m: m.Value("x"),
        lambda m: m.apply("nope", m.Value(1.0)),
        lambda m: m.apply("+", m.Value(1.0)),
        lambda m: m.dot([m.Value(1.0)], [], 0.0),
        lambda m: m.Value(1.0) < "a",
        lambda m: m.Value(1.0) ** 2**2000,
    ]
    for case in cases:
        outcomes: list[tuple[type[Exception], str] | None] = []
        for engine in (active, pure):
            try:
                case(engine)
                outcomes.append(None)
            except (TypeError, ValueError, OverflowError) as error:
                outcomes.append((type(error), str(error)))
        assert outcomes[0] == outcomes[1] and outcomes[0] is not None


def test_the_committed_c_operators_are_what_the_generator_writes() -> None:
    """autograd/_native/_ops.h is regenerated from rules.py: edit the rules, then run python3 dev.py generate."""
    from tools.codegen import c_ops

    assert c_ops.OUTPUT.read_text() == c_ops.generate(), "stale autograd/_native/_ops.h: run python3 dev.py generate"


def test_the_generator_refuses_a_formula_it_cannot_translate(monkeypatch: pytest.MonkeyPatch) -> None:
    """A row using a helper C does not have stops the generator with an error naming the rule and the helper."""
    from tools.codegen import c_ops

    monkeypatch.setitem(RULES, "wobble", formula_rule("wobble", "x", "wobble(x)", ("1.0",), "test row"))
    with pytest.raises(c_ops.UntranslatableFormula, match=r"rule 'wobble'.*unknown helper 'wobble'"):
        c_ops.generate()


def test_the_generator_translates_every_construct_the_rows_use() -> None:
    """Division and powers keep Python's semantics; constants and comparisons translate; n-ary rows become loops."""
    from tools.codegen import c_ops

    assert c_ops.translate("-out / b", {"out": "o", "b": "y"}, "/") == "vg_truediv((-o), y)"
    assert c_ops.translate("b * a ** (b - 1.0)", {"a": "x", "b": "y"}, "**") == "(y * vg_fpow(x, (y - (1.0))))"
    assert c_ops.translate("inf if x > 0.0 else nan", {"x": "x"}, "t") == "(((x > (0.0))) ? Py_HUGE_VAL : Py_NAN)"
    squares = terms_rule("sumsq", Terms(("x",), "x * x", ("2.0 * x",)), "test row")
    assert isinstance(squares, Rule)
    text = "\n".join(c_ops._nary(squares, squares.terms or Terms(("x",), "x", ("1.0",)), "sumsq"))
    assert "total += (t_x * t_x);" in text and "res[1 + 0 * count + i] = ((2.0) * t_x);" in text


@needs_native
def test_helpers_match_pythons_float_semantics_at_the_edges(pure: types.ModuleType) -> None:
    """The C helpers behind the formulas give Python's results at signed zeros, infinities, nan and overflow."""
    specials = [0.0, -0.0, 1.0, -1.0, 0.5, math.inf, -math.inf, math.nan, 709.78, 710.0, -746.0, 1e-320, 1e308, -3.0]
    for op, rule in RULES.items():
        if rule.arity == 1:
            for x in specials:
                assert _apply_outcome(active, op, (x,), True) == _apply_outcome(pure, op, (x,), True), (op, x)
        elif rule.arity == 2:
            for a in specials:
                for b in specials:
                    assert _apply_outcome(active, op, (a, b), True) == _apply_outcome(pure, op, (a, b), True), (op, a, b)
