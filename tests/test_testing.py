"""autograd.testing: domain strategies and random expressions keep their promises; docstring examples run."""

from __future__ import annotations

import doctest
import importlib
import math
import pkgutil
from collections import Counter
from types import ModuleType
from typing import get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd
from autograd import RULES, Value, apply, dot, topological_order, vsum
from autograd.testing import (
    DOMAINS,
    GRADIENT_LIMIT,
    MAGNITUDE_LIMIT,
    BinaryOp,
    Expression,
    NaryOp,
    UnaryOp,
    expressions,
    values,
)


@pytest.mark.parametrize("op", sorted(RULES))
@given(data=st.data())
def test_domain_arguments_satisfy_their_condition(op: str, data: st.DataObject) -> None:
    """Every argument tuple DOMAINS[op] draws passes DOMAINS[op].contains and gives a finite forward."""
    args = data.draw(DOMAINS[op].arguments, label="args")
    assert DOMAINS[op].contains(*args)
    assert all(math.isfinite(a) for a in args)
    assert math.isfinite(apply(op, *args).data)


@pytest.mark.parametrize("op", sorted(RULES))
@given(data=st.data())
def test_values_gives_floats_for_one_input_ops_and_tuples_otherwise(op: str, data: st.DataObject) -> None:
    """values(op) draws a float for unary ops, an (a, b) tuple for binary ones, a tuple of any length for sum/dot."""
    drawn = data.draw(values(op), label="drawn")
    arity = RULES[op].arity
    if arity == 1:
        assert isinstance(drawn, float)
        assert DOMAINS[op].contains(drawn)
    else:
        assert isinstance(drawn, tuple)
        assert arity is None or len(drawn) == arity
        assert DOMAINS[op].contains(*drawn)


def test_op_literal_types_match_the_rules_arities() -> None:
    """The Literal types behind values()'s overloads list exactly the unary, binary and n-ary rules."""
    by_arity = {arity: {name for name, rule in RULES.items() if rule.arity == arity} for arity in (1, 2, None)}
    assert set(get_args(UnaryOp)) == by_arity[1]
    assert set(get_args(BinaryOp)) == by_arity[2]
    assert set(get_args(NaryOp)) == by_arity[None]


@given(values())
def test_values_without_op_gives_moderate_floats(x: float) -> None:
    """values() draws finite floats with |x| <= 10."""
    assert isinstance(x, float)
    assert abs(x) <= 10.0


@pytest.mark.parametrize(
    ("op", "outside"),
    [("log", 0.05), ("sqrt", 0.0), ("relu", 1e-4), ("abs", -1e-4), ("exp", 6.0), ("/", (1.0, 0.05)), ("**", (-2.0, 2.0))],
)
def test_domain_conditions_refuse_points_inside_the_margin(op: str, outside: float | tuple[float, float]) -> None:
    """contains() rejects points at or near an edge, a kink or an overflow."""
    args = outside if isinstance(outside, tuple) else (outside,)
    assert not DOMAINS[op].contains(*args)


def test_unknown_op_is_refused_with_the_known_ones() -> None:
    """values('nope') and expressions(ops=['nope']) raise ValueError listing the known ops."""
    with pytest.raises(ValueError, match=r"no domain for op 'nope'; known ops: \+, -"):
        values("nope")
    with pytest.raises(ValueError, match="'nope'"):
        expressions(ops=["nope"])


def replay(expr: Expression) -> list[float]:
    """Every register of the program computed with apply() on floats, checking each op's domain on the way."""
    registers = list(expr.inputs)
    for instruction in expr.program:
        args = [registers[a] if isinstance(a, int) else a for a in instruction.args]
        assert DOMAINS[instruction.op].contains(*args), (instruction, args)
        registers.append(apply(instruction.op, *args).data)
    return registers


@given(expressions())
def test_expressions_stay_inside_every_domain_and_the_magnitude_limit(expr: Expression) -> None:
    """Each instruction's operands are in its op's domain; intermediates stay within ±10 (the summed output may not)."""
    registers = replay(expr)
    assert all(abs(r) <= MAGNITUDE_LIMIT for r in registers[:-1])
    assert math.isfinite(registers[-1])
    assert expr(*expr.inputs).data == pytest.approx(registers[-1], rel=1e-12, abs=1e-12)


@given(expressions())
def test_expression_intermediate_gradients_stay_bounded(expr: Expression) -> None:
    """d register / d input stays within ±100 for every intermediate register, so x ± eps keeps clear of kinks."""
    xs = [Value(x) for x in expr.inputs]
    out = expr(*xs)
    for node in topological_order(out):
        if node is out or not node.parents:
            continue
        node.zero_grad()
        for x in xs:
            x.grad = 0.0
        node.backward()
        assert all(abs(float(x.grad)) <= GRADIENT_LIMIT * (1 + 1e-9) for x in xs), node


@given(expressions())
def test_expression_source_is_runnable_python_that_computes_the_same(expr: Expression) -> None:
    """repr shows the inputs and the program; the source runs with the public API and gives the same output."""
    assert repr(expr.inputs) in repr(expr)
    assert expr.source in repr(expr)
    namespace: dict[str, object] = {"vsum": vsum, "dot": dot, "apply": apply}
    exec(expr.source, namespace)
    f = namespace["f"]
    assert callable(f)
    assert f(*(Value(x) for x in expr.inputs)).data == expr(*expr.inputs).data


def test_expressions_use_every_operator_shared_subexpressions_and_constants() -> None:
    """Over 300 examples, every rule appears, as do a + a, a register read twice, and constants on both sides."""
    ops: Counter[str] = Counter()
    patterns: Counter[str] = Counter()

    @settings(max_examples=300, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(expressions())
    def collect(expr: Expression) -> None:
        reads: Counter[int] = Counter()
        for instruction in expr.program:
            ops[instruction.op] += 1
            registers = [a for a in instruction.args if isinstance(a, int)]
            reads.update(set(registers))
            if len(registers) == 2 and registers[0] == registers[1] and instruction.op in ("+", "*"):
                patterns["a op a"] += 1
            if isinstance(instruction.args[0], float):
                patterns["constant on the left"] += 1
            if len(instruction.args) == 2 and isinstance(instruction.args[1], float):
                patterns["constant on the right"] += 1
        if any(count >= 2 for r, count in reads.items() if r >= expr.n_inputs):
            patterns["result shared by two instructions"] += 1

    collect()
    assert set(ops) == set(RULES)
    assert set(patterns) == {"a op a", "constant on the left", "constant on the right", "result shared by two instructions"}


@given(expressions(ops=["+", "*"], min_ops=3, max_ops=3))
def test_expressions_respect_ops_and_sizes(expr: Expression) -> None:
    """ops= restricts the operators (plus the closing sum when allowed, not here) and min/max_ops the length."""
    assert {i.op for i in expr.program} <= {"+", "*"}
    assert len(expr.program) == 3


@given(expressions(min_inputs=2, max_inputs=2))
def test_expressions_accept_numbers_and_check_the_argument_count(expr: Expression) -> None:
    """expr(*floats) builds Values; a wrong number of inputs is a TypeError naming both counts."""
    out = expr(*expr.inputs)
    assert isinstance(out, Value)
    with pytest.raises(TypeError, match="takes 2 input"):
        expr(1.0)


def test_expressions_refuse_bad_sizes() -> None:
    """Inconsistent bounds are a ValueError naming them."""
    with pytest.raises(ValueError, match="min_inputs <= max_inputs"):
        expressions(min_inputs=3, max_inputs=2)
    with pytest.raises(ValueError, match="min_ops <= max_ops"):
        expressions(min_ops=0)


def autograd_modules() -> list[ModuleType]:
    """Every module of autograd and its subpackages (autograd.seeing), found by walking it so new modules are included."""
    names = [m.name for m in pkgutil.walk_packages(autograd.__path__, "autograd.")]
    return [autograd, *(importlib.import_module(name) for name in sorted(names))]


@pytest.mark.parametrize("module", autograd_modules(), ids=lambda m: m.__name__)
def test_docstring_examples_run(module: ModuleType) -> None:
    """The runnable examples in every autograd docstring print what they say."""
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
