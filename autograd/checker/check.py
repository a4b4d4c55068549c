"""``check_engine``: every property of a student's engine, each searched with Hypothesis and shrunk to a minimal program.

Hypothesis draws and shrinks programs here, in the checker's process; each program runs in the
child (``runner.Child``), so a crash or a hang is one failing example, not the end of the check.
The search is seeded (``seed``), so the same engine gets the same report every time. Shrinking
stops after ``SHRINK_RUNS`` programs past a property's first failure (a hang or crash counts as
``SLOW_RUN_COST``) and keeps the smallest failing program seen so far.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from autograd.checker.compare import HINTS, Mismatch, blame, compare, diagnose, error_hint, integer_grads, number
from autograd.checker.operators import OPERATORS
from autograd.checker.programs import Program, Step, chain, one_step, programs
from autograd.checker.reference import expected, simulate
from autograd.checker.report import Report, Result
from autograd.checker.runner import Child, EngineUnusable

#: How many programs shrinking may run after a property's first failure: counted, not timed, so that
#: the same seed gives the same minimal program on a busy machine too. A hang or crash counts as many.
SHRINK_RUNS = 150
SLOW_RUN_COST = 50
#: A safety net in seconds for shrinking (only reached by engines that are slow on every program).
SHRINK_SECONDS = 8.0
#: The deep chain's length: micrograd-style recursive sorts fail long before.
DEEP = 10_000


@dataclass(frozen=True)
class Budget:
    """How many programs each property draws."""

    #: Per operator (one step each: ``a op a``, ``a op b``, ``a op 2.0``).
    operator: int = 30
    #: Random programs over every working operator.
    programs: int = 100
    #: Programs for repeated ``backward()`` and for zeroing.
    repeated: int = 30
    #: The deep chain's length.
    deep: int = DEEP


@dataclass
class _Failure:
    program: Program
    result: Result


def target_of(engine: type | str) -> str:
    """The string the child imports: ``module:Class`` for an importable class, ``file.py:Class`` otherwise.

    >>> import micrograd.engine
    >>> target_of(micrograd.engine.Value)
    'micrograd.engine:Value'
    """
    if isinstance(engine, str):
        return engine
    module = inspect.getmodule(engine)
    name = getattr(module, "__name__", "")
    if name and name not in ("__main__", "_checked_engine") and getattr(module, engine.__name__, None) is engine:
        return f"{name}:{engine.__qualname__}"
    source = inspect.getsourcefile(engine)
    if source is None:
        raise ValueError(f"check_engine: {engine.__name__} is defined in no file; save it in a .py file and pass its path")
    return f"{source}:{engine.__qualname__}"


class _Checker:
    def __init__(self, child: Child, seed: int, budget: Budget) -> None:
        self.child, self.seed, self.budget = child, seed, budget
        self.info = child.info
        self.cls = str(self.info["class"])
        self.methods: dict[str, str] = {k: v for k, v in self.info["ops"].items() if v != OPERATORS[k].method}
        self.int_grads = ""
        #: When (time.monotonic) the first failing program of the check ran, if one did.
        self.first_failure: float | None = None

    # ---------------------------------------------------------------------------- searching

    def search(
        self, strategy: st.SearchStrategy[Program], evaluate: Callable[[Program], Result | None], examples: int
    ) -> tuple[_Failure | None, int]:
        """Draw up to ``examples`` programs; the smallest one ``evaluate`` finds failing, and how many ran."""
        best: list[_Failure] = []
        cache: dict[Program, Result | None] = {}
        first: list[float] = []
        spent = [0]

        def size(p: Program) -> tuple[int, int, int]:
            return (len(p.steps), len(p.leaves), sum(len(repr(x)) for x in p.leaves))

        @settings(
            max_examples=examples,
            database=None,
            deadline=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
            phases=(Phase.generate, Phase.shrink),
            verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
        )
        @hypothesis_seed(self.seed)
        @given(strategy)
        def prop(program: Program) -> None:
            if program in cache:
                found = cache[program]
            elif first and (spent[0] > SHRINK_RUNS or time.monotonic() - first[0] > SHRINK_SECONDS):
                return  # out of budget: every new candidate "passes", so shrinking ends at the best so far
            else:
                found = cache[program] = evaluate(program)
                if first:
                    spent[0] += SLOW_RUN_COST if found is not None and found.actual in ("Hang", "Crash") else 1
            if found is None:
                return
            if not first:
                first.append(time.monotonic())
                self.first_failure = min(self.first_failure or first[0], first[0])
            if found.actual in ("Hang", "Crash") and len(program.steps) <= 3:
                spent[0] = SHRINK_RUNS + 1  # short enough to read; another hang would cost a whole time limit
            if not best or size(program) < size(best[0].program):
                best[:] = [_Failure(program, found)]
            raise AssertionError("fails")

        # The failure (or Hypothesis's Flaky after the budget ran out) is in ``best``.
        with contextlib.suppress(Exception):
            prop()
        return (best[0] if best else None), len(cache)

    def run(self, program: Program, **request: Any) -> dict[str, Any]:
        return self.child.request({**program.to_json(), **request})

    # ---------------------------------------------------------------------------- one result

    def failed(
        self, name: str, key: str, program: Program, reply: dict[str, Any], wrong: Mismatch | None, **source: Any
    ) -> Result:
        """A failing result: the program as code, the numbers, the blame and the hint."""
        if wrong is None:
            hint = error_hint(reply)
            phase = reply.get("phase", "")
            comment = f"{reply['error']} in {phase}: {reply.get('message', '')}".strip()
            code = program.source(self.cls, methods=self.methods, comment=comment[:160], **source)
            blamed = OPERATORS[program.steps[int(phase.split()[1]) - 1].key].title if phase.startswith("step") else ""
            return Result(
                name, key, "fail", code, None, reply["error"], blamed or name, reply["error"], hint, operations=len(program.steps)
            )
        mistake, hint = diagnose(program, wrong)
        focus = wrong.node if wrong.quantity == "grad" else -wrong.node - 1
        comment = f"expected {wrong.expected!r}, got {wrong.actual!r}"
        code = program.source(self.cls, focus=focus, methods=self.methods, comment=comment, **source)
        blamed = OPERATORS[blame(program, wrong)].title
        return Result(name, key, "fail", code, wrong.expected, wrong.actual, blamed, mistake, hint, operations=len(program.steps))

    def once(self, name: str, key: str) -> Callable[[Program], Result | None]:
        def evaluate(program: Program) -> Result | None:
            reply = self.run(program)
            if "error" in reply:
                return self.failed(name, key, program, reply, None)
            if integer_grads(reply) and not self.int_grads:
                self.int_grads = program.source(self.cls, focus=0, methods=self.methods)
            wrong = compare(program, reply, expected(program))
            return None if wrong is None else self.failed(name, key, program, reply, wrong)

        return evaluate

    # ---------------------------------------------------------------------------- the properties

    def operator(self, key: str) -> Result:
        op = OPERATORS[key]
        found, n = self.search(one_step(key), self.once(op.title, key), self.budget.operator)
        if found is None and key in ("relu", "abs"):
            kink = self.kink(key)
            if kink is not None:
                return kink
        return found.result if found else Result(op.title, key, "pass", examples=n)

    def kink(self, key: str) -> Result | None:
        """relu and abs at exactly 0: derivative 0, as in micrograd and PyTorch (the domains keep programs off the kink)."""
        program = Program((0.0,), (Step(key, (0,)),))
        reply = self.run(program)
        if "error" in reply:
            return self.failed(OPERATORS[key].title, key, program, reply, None)
        wrong = compare(program, reply, expected(program))
        if wrong is None:
            return None
        self.first_failure = self.first_failure or time.monotonic()
        result = self.failed(OPERATORS[key].title, key, program, reply, wrong)
        if wrong.quantity == "grad" and number(wrong.actual) == 1.0:
            return Result(**{**result.__dict__, "mistake": "kink", "hint": HINTS["kink"]})
        return result

    def programs(self, keys: list[str]) -> Result:
        found, n = self.search(programs(keys), self.once("programs", "programs"), self.budget.programs)
        return found.result if found else Result("programs", "programs", "pass", examples=n)

    def twice(self, keys: list[str]) -> Result:
        """``backward()`` twice on one graph: each leaf gets its gradient twice (PyTorch's and valuegrad's accumulation).

        micrograd's own convention (build the graph anew before each backward) lets interior grads
        compound instead. A probe with no hidden nodes (``b = a * a; c = b * b``) tells the two
        apart: micrograd's is a warning, unless the class offers ``zero_grad`` on a node, which
        promises a reusable graph.
        """
        name = "backward twice"
        probe = Program((1.5,), (Step("*", (0, 0)), Step("*", (1, 1))))
        if "*" in keys:
            reply = self.run(probe, passes=2)
            stale = (
                "error" not in reply
                and compare(probe, reply, simulate(probe, passes=2, reset_interior=False), leaves_only=True) is None
            )
            if stale and not self.info.get("zero"):
                wrong = compare(probe, reply, expected(probe, passes=2), leaves_only=True)
                result = self.failed(name, "twice", probe, reply, wrong, backward=2)
                hint = (
                    "interior grads compound over a second backward(), as in micrograd: "
                    "build the graph anew before each backward()"
                )
                return Result(**{**result.__dict__, "status": "warn", "mistake": "twice", "hint": hint})

        def evaluate(program: Program) -> Result | None:
            reply = self.run(program, passes=2)
            if "error" in reply:
                return self.failed(name, "twice", program, reply, None, backward=2)
            wrong = compare(program, reply, expected(program, passes=2), leaves_only=True)
            if wrong is None:
                return None
            result = self.failed(name, "twice", program, reply, wrong, backward=2)
            return Result(**{**result.__dict__, "mistake": "twice", "hint": HINTS["twice"]})

        found, n = self.search(programs(keys, max_steps=4), evaluate, self.budget.repeated)
        return found.result if found else Result(name, "twice", "pass", examples=n)

    def zeroing(self, keys: list[str]) -> Result:
        """Zero every grad (``zero_grad()`` if a node has one, else by hand), ``backward()`` again: the first pass's grads."""
        name = "zero_grad" if self.info.get("zero") else "zeroing"
        zero = "out.zero_grad()" if self.info.get("zero") else "(every node).grad = 0.0"

        def evaluate(program: Program) -> Result | None:
            reply = self.run(program, passes=2, zero=True)
            if "error" in reply:
                return self.failed(name, "zero", program, reply, None, backward=2, zero=zero)
            wrong = compare(program, reply, expected(program), leaves_only=True)
            if wrong is None:
                return None
            result = self.failed(name, "zero", program, reply, wrong, backward=2, zero=zero.replace("out", "x"))
            return Result(**{**result.__dict__, "mistake": "zero", "hint": HINTS["zero"]})

        found, n = self.search(programs(keys, max_steps=4), evaluate, self.budget.repeated)
        return found.result if found else Result(name, "zero", "pass", examples=n)

    def deep(self, key: str) -> Result:
        """A chain of ``budget.deep`` steps; on a RecursionError, the depth where it starts (found by bisection)."""
        depth = self.budget.deep
        name = "deep chain"
        program = chain(depth, key)
        reply = self.run(program, all_grads=False, timeout=max(10.0, self.child.timeout))
        want = expected(program)
        if "error" not in reply:
            got = number(reply["grads"][0][0])
            if got is not None and math.isclose(got, want.grads[0], rel_tol=1e-6):
                return Result(name, "deep", "pass", examples=1)
            code = self.chain_code(depth, key, f"a.grad: expected {want.grads[0]!r}, got {reply['grads'][0][0]!r}")
            return Result(
                name,
                "deep",
                "fail",
                code,
                want.grads[0],
                reply["grads"][0][0],
                OPERATORS[key].title,
                "grad",
                HINTS["grad"].format(op=OPERATORS[key].title),
            )
        if reply["error"] != "RecursionError":
            code = self.chain_code(depth, key, reply["error"])
            return Result(name, "deep", "fail", code, None, reply["error"], "backward()", reply["error"], error_hint(reply))
        low, high = 1, depth  # low works, high fails
        while high - low > max(8, low // 50):
            middle = (low + high) // 2
            if "error" in self.run(chain(middle, key), all_grads=False):
                high = middle
            else:
                low = middle
        code = self.chain_code(high, key, "RecursionError")
        hint = f"{HINTS['RecursionError']} (graphs of {low} steps work, {high} fail)"
        return Result(name, "deep", "warn", code, None, "RecursionError", "backward()", "recursion", hint, examples=1)

    def chain_code(self, depth: int, key: str, comment: str) -> str:
        """The deep chain as a program to paste."""
        number = chain(1, key).steps[0].args[1]
        return f"a = {self.cls}(1.0)\nx = a\nfor _ in range({depth}):\n    x = x {key} {number!r}\nx.backward()  # {comment}"

    def integers(self) -> Result:
        name = "float grads"
        if not self.int_grads:
            return Result(name, "int", "pass")
        return Result(name, "int", "warn", self.int_grads + "  # an int", blamed="backward()", mistake="int", hint=HINTS["int"])


def check_engine(
    engine: type | str,
    *,
    seed: int = 0,
    budget: Budget | None = None,
    timeout: float = 2.0,
    memory_mb: int = 1024,
    ops: list[str] | None = None,
) -> Report:
    """Property-test a scalar autograd class (or ``"file.py:Class"``, ``"module:Class"``) against valuegrad's reference.

    Every operator the class offers is checked alone (shared operands, numbers on either side),
    then in random programs together, with ``backward()`` twice, after zeroing and on a deep
    chain. The engine runs in a child process with ``timeout`` seconds per program and
    ``memory_mb`` of memory. The same ``seed`` gives the same report.

    >>> from autograd.checker import Budget, check_engine
    >>> report = check_engine("micrograd.engine:Value", budget=Budget(operator=5, programs=5, repeated=5, deep=500))
    >>> report.passed, report.result("x + y").status, report.result("x.exp()").status
    (True, 'pass', 'missing')
    """
    budget = budget or Budget()
    target = target_of(engine)
    start = time.monotonic()
    try:
        child = Child(target, timeout=timeout, memory_mb=memory_mb)
    except EngineUnusable as error:
        failure = Result("load", "load", "fail", actual=str(error), mistake="load", hint=str(error))
        return Report(target, target, [failure], seed=seed, seconds=time.monotonic() - start)
    with child:
        checker = _Checker(child, seed, budget)
        results: list[Result] = []
        for key, op in OPERATORS.items():
            if ops is not None and key not in ops:
                continue
            if key in child.info["missing"]:
                results.append(Result(op.title, key, "missing", hint=child.info["missing"][key]))
            else:
                results.append(checker.operator(key))
        working = [r.key for r in results if r.status == "pass" and OPERATORS[r.key].kind != "power"] or [
            r.key for r in results if r.status == "pass"
        ]
        if working:
            results.append(checker.programs(working))
            results.append(checker.twice(working))
            results.append(checker.zeroing(working))
        chain_key = next((k for k in ("+", "*") if k in working), "")
        if chain_key:
            results.append(checker.deep(chain_key))
        results.append(checker.integers())
        first = None if checker.first_failure is None else checker.first_failure - start
        return Report(
            target, checker.cls, results, seed=seed, info=child.info, seconds=time.monotonic() - start, first_failure=first
        )
