"""The same random graphs in PyTorch (float64): values, gradients and Hessians agree. Skipped without torch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import assume, given

from autograd import RULES, Rule, Value, gradients, topological_order
from autograd.testing import Expression, expressions

torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional: pip install torch) - cross-check skipped")


def _torch_op(rule: Rule) -> Callable[..., Any] | None:
    """The row's PyTorch expression as a function (n-ary rules: their own formulas, which work on tensors)."""
    if rule.terms is not None:
        return lambda *xs: _evaluate(rule.formulas(len(xs)), xs)
    formula = rule.torch_formula
    if formula is None:
        return None
    function: Callable[..., Any] = eval(f"lambda {', '.join(rule.inputs)}: {formula}", {"torch": torch})
    return function


def _evaluate(formulas: Any, xs: Sequence[Any]) -> Any:
    return eval(formulas.forward, {}, dict(zip(formulas.inputs, xs)))


#: Each rule in PyTorch, from its row. Operands are float64 tensors or Python floats (the program's constants).
TORCH_OPS: dict[str, Callable[..., Any]] = {name: op for name, rule in RULES.items() if (op := _torch_op(rule)) is not None}


def run_in_torch(expr: Expression, inputs: Sequence[Any]) -> Any:
    """Interpret the expression's program on torch tensors."""
    registers = list(inputs)
    for instruction in expr.program:
        operands = [registers[a] if isinstance(a, int) else a for a in instruction.args]
        registers.append(TORCH_OPS[instruction.op](*operands))
    return registers[-1]


def torch_inputs(expr: Expression) -> list[Any]:
    """One float64 leaf tensor per input, requiring grad."""
    return [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in expr.inputs]


def test_every_rule_has_a_torch_counterpart() -> None:
    """A row without a PyTorch translation fails here, so the cross-check keeps covering every built-in operator."""
    assert set(TORCH_OPS) == {name for name, rule in RULES.items() if rule.callables is None}


@given(expressions(ops=list(TORCH_OPS)))
def test_values_and_gradients_match_pytorch(expr: Expression) -> None:
    """Forward value and every partial derivative agree with PyTorch float64 to ~1e-12 relative."""
    xs = [Value(x) for x in expr.inputs]
    out = expr(*xs)
    ours = gradients(out, xs)
    ts = torch_inputs(expr)
    t_out = run_in_torch(expr, ts)
    theirs = torch.autograd.grad(t_out, ts, allow_unused=True)
    assert out.data == pytest.approx(t_out.item(), rel=1e-12, abs=1e-12)
    expected = [0.0 if g is None else g.item() for g in theirs]
    assert [float(g) for g in ours] == pytest.approx(expected, rel=1e-10, abs=1e-12)


@given(expressions(max_ops=6, ops=list(TORCH_OPS)))
def test_hessians_match_pytorch(expr: Expression) -> None:
    """Second derivatives from create_graph=True agree with PyTorch's double backward."""
    xs = [Value(x) for x in expr.inputs]
    out = expr(*xs)
    # PyTorch's pow backward writes d/da a**b as 0 where b == 0 (a masked fill, not b * a**(b-1)), so its
    # second derivatives through that point lose the a**(b-1) term and its Hessian is not even symmetric;
    # ours keeps it (test_pow_hessian_at_exponent_zero_is_the_analytic_one pins it).
    assume(not any(node.op == "**" and node.parents[1].data == 0.0 for node in topological_order(out)))
    first = gradients(out, xs, create_graph=True)
    ours = [[float(h) for h in gradients(g, xs)] if isinstance(g, Value) else [0.0] * len(xs) for g in first]
    ts = torch_inputs(expr)
    t_first = torch.autograd.grad(run_in_torch(expr, ts), ts, create_graph=True, allow_unused=True)
    theirs = []
    for g in t_first:
        if g is None or not g.requires_grad:
            theirs.append([0.0] * len(ts))
            continue
        row = torch.autograd.grad(g, ts, retain_graph=True, allow_unused=True)
        theirs.append([0.0 if h is None else h.item() for h in row])
    for our_row, their_row in zip(ours, theirs):
        assert our_row == pytest.approx(their_row, rel=1e-9, abs=1e-10)


def test_pow_hessian_at_exponent_zero_is_the_analytic_one() -> None:
    """d2/da db a**b = a**(b-1) (1 + b log a) is 1 at (1, 0), both ways round, where PyTorch's own gives 0 and 1."""
    a, b = Value(1.0), Value(0.0)
    first = gradients(a**b, [a, b], create_graph=True)
    hessian = [[float(h) for h in gradients(g, [a, b])] if isinstance(g, Value) else [0.0, 0.0] for g in first]
    assert hessian == [[0.0, 1.0], [1.0, 0.0]]


@pytest.mark.parametrize("x", [-1000.0, -30.0, -1e-3, 0.0, 1e-3, 30.0, 1000.0])
@pytest.mark.parametrize("op", [name for name, rule in RULES.items() if rule.activation or name == "abs"])
def test_activations_and_kinks_match_pytorch_far_out_and_at_zero(op: str, x: float) -> None:
    """Saturating activations at ±1000 and the kinks' derivatives at 0 agree with PyTorch exactly."""
    v = Value(x)
    out = getattr(v, RULES[op].method_names[0])()
    out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    t_out = TORCH_OPS[op](t)
    t_out.backward()
    # A few ulps: PyTorch builds some activations (softsign) from primitives, so its derivative rounds differently.
    assert out.data == pytest.approx(t_out.item(), rel=1e-15, abs=0.0)
    assert v.grad == pytest.approx(t.grad.item(), rel=1e-13, abs=0.0)
