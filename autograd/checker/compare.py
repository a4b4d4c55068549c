"""An engine's reply against the reference: the first wrong number, the operator to blame, and the hint.

The hint comes from ``reference.MISTAKES`` when the engine's numbers are exactly what a known
mistake gives (``=`` for ``+=``, ``tanh'`` from the input, ...), otherwise from ``HINTS`` by
what went wrong.

>>> from autograd.checker.programs import Program, Step
>>> from autograd.checker.reference import expected
>>> p = Program((-1.5,), (Step("+", (0, 0)),))
>>> wrong = compare(p, {"values": [-1.5, -3.0], "grads": [[1.0, 1.0]]}, expected(p))
>>> wrong.node, wrong.expected, wrong.actual, diagnose(p, wrong)[0]
(0, 2.0, 1.0, 'assign')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from autograd.checker.operators import OPERATORS
from autograd.checker.programs import Program
from autograd.checker.reference import MISTAKES, Outcome

REL_TOL = 1e-6
ABS_TOL = 1e-9

#: Hints by kind of failure, for when no known mistake explains the numbers.
HINTS = {
    "data": "the forward of {op} computes the wrong number",
    "grad": "the _backward of {op} uses the wrong local derivative (or does not reach this node)",
    "Hang": "it never returns: a loop over the graph that does not end (a visited set missing?) or a huge graph",
    "Crash": "the process died: a stack overflow from deep recursion, or the memory limit",
    "RecursionError": "a recursive topological sort (build_topo) runs past Python's recursion limit: walk the graph with a loop",
    "MemoryError": "the memory limit was reached",
    "TypeError": "an operand type is not handled: wrap numbers in the class, and add the reflected method (__radd__, ...)",
    "int": "grads are Python ints (grad = 0, grad = 1): start them at 0.0 and 1.0 so they are always floats",
    "kink": "relu'(0) must be 0 (as in micrograd and PyTorch): the _backward tests x >= 0 where it should test x > 0",
    "twice": (
        "a second backward() on the same graph compounds stale interior grads: reset interior grads at the start of backward()"
    ),
    "zero": "zeroing left some grads: zero_grad() must reset every node of the graph, interior ones too",
}


@dataclass(frozen=True)
class Mismatch:
    """The first wrong number of a reply: node ``node``'s ``quantity`` (``"data"`` or ``"grad"``)."""

    node: int
    quantity: str
    expected: float
    actual: Any
    #: Python ints where floats are due (a warning on its own when the numbers are right).
    integer: bool = False


def number(reported: Any) -> float | None:
    """A number the child reported (``2.0``, ``{"int": 2}``, ``{"repr": ..., "float": 2.0}``), or None."""
    if isinstance(reported, float):
        return reported
    if isinstance(reported, dict):
        if "int" in reported:
            return float(reported["int"])
        if "float" in reported:
            return float(reported["float"])
    return None


def shown(reported: Any) -> Any:
    """A reported number as the report prints it (an int stays an int, an odd object its repr)."""
    if isinstance(reported, dict):
        return reported.get("int", reported.get("repr"))
    return reported


def close(actual: float | None, wanted: float) -> bool:
    """Equal to within ``REL_TOL``/``ABS_TOL`` (nan equals nan)."""
    if actual is None:
        return False
    if math.isnan(wanted) or math.isnan(actual):
        return math.isnan(wanted) and math.isnan(actual)
    return math.isclose(actual, wanted, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def compare(
    program: Program, reply: dict[str, Any], want: Outcome, *, leaves_only: bool = False, last: bool = True
) -> Mismatch | None:
    """The first wrong value (in program order), else the first wrong grad (leaves first), else None."""
    for i, (got, wanted) in enumerate(zip(reply["values"], want.values)):
        if not close(number(got), wanted):
            return Mismatch(i, "data", wanted, shown(got))
    grads = reply["grads"][-1 if last else 0]
    n = len(program.leaves)
    order = list(range(n)) + ([] if leaves_only else list(range(n, program.size)))
    for i in order:
        if not close(number(grads[i]), want.grads[i]):
            return Mismatch(i, "grad", want.grads[i], shown(grads[i]))
    return None


def integer_grads(reply: dict[str, Any]) -> bool:
    """Whether any grad came back as a Python int."""
    return any(isinstance(g, dict) and "int" in g for grads in reply.get("grads", []) for g in grads)


def blame(program: Program, wrong: Mismatch) -> str:
    """The operator key to blame: the step that made a wrong value, else the first step that reads the node with a wrong grad."""
    n = len(program.leaves)
    if wrong.quantity == "data" and wrong.node >= n:
        return program.steps[wrong.node - n].key
    for step in program.steps:
        if wrong.node in step.args:
            return step.key
    return program.steps[-1].key


def diagnose(program: Program, wrong: Mismatch) -> tuple[str, str]:
    """``(mistake key, hint)``: the known mistake that gives exactly the engine's numbers, else a hint by kind."""
    actual = wrong.actual if isinstance(wrong.actual, (int, float)) else None
    for mistake in MISTAKES:
        outcome = mistake.outcome(program)
        if outcome is None:
            continue
        predicted = outcome.values[wrong.node] if wrong.quantity == "data" else outcome.grads[wrong.node]
        if not close(predicted, wrong.expected) and close(float(actual) if actual is not None else None, predicted):
            return mistake.key, mistake.hint
    op = OPERATORS[blame(program, wrong)].title
    return wrong.quantity, HINTS[wrong.quantity].format(op=op)


def error_hint(reply: dict[str, Any]) -> str:
    """The hint for a reply that is an error: by its kind, with where it was raised."""
    kind = reply["error"]
    hint = HINTS.get(kind, f"it raised {kind}")
    if kind == "Hang" and str(reply.get("phase", "")).startswith("step"):
        hint = "this operator never returns: a loop in its forward that does not end for these numbers"
    where = f" ({reply['line']})" if reply.get("line") else ""
    return f"{hint}{where}"
