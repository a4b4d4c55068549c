"""The child process that runs a student's engine: ``python -m autograd.checker.child TARGET [--memory MB]``.

It reads one JSON request per line on stdin and answers one JSON line on the descriptor stdout had
at start; the engine's own prints go to stderr. Each request runs under a timer (a hang becomes a
``Hang`` answer) and the whole process under a memory limit (``resource.setrlimit``), so the
checker in the parent survives anything the engine does: it only sees a reply, a timeout or an
exit.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from autograd.checker.operators import OPERATORS


class Hang(BaseException):
    """Raised by the timer; a BaseException so that an engine's ``except Exception`` cannot swallow it."""


def _alarm(signum: int, frame: Any) -> None:
    raise Hang()


def _limit_memory(megabytes: int) -> None:
    try:
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass  # not on this platform: the parent's time limit still applies


def _grad(engine: Any, node: Any) -> Any:
    g = getattr(node, engine.grad)
    if isinstance(g, bool):
        return {"repr": repr(g)}
    if isinstance(g, (int, float)):
        return float(g) if isinstance(g, float) else {"int": g}
    try:
        return {"repr": repr(g)[:80], "float": float(g)}
    except Exception:
        return {"repr": repr(g)[:80]}


def _number(x: Any) -> Any:
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return float(x)
    try:
        return {"repr": repr(x)[:80], "float": float(x)}
    except Exception:
        return {"repr": repr(x)[:80]}


def _reachable(engine: Any, out: Any, nodes: list[Any]) -> list[Any]:
    """Every node ``out`` was computed from, through the parents the class exposes (a loop, not recursion)."""
    if not engine.parents:
        return nodes  # only the program's own nodes can be reached
    seen: dict[int, Any] = {}
    stack = [out]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(getattr(node, engine.parents, ()))
    return list(seen.values())


def run(engine: Any, request: dict[str, Any]) -> dict[str, Any]:
    """Build the request's program with the engine, call backward, and read every node's data and grad."""
    cls = engine.cls
    phase = "building the leaves"
    try:
        nodes: list[Any] = [cls(x) for x in request["leaves"]]
        for i, step in enumerate(request["steps"]):
            key, args = step[0], step[1:]
            phase = f"step {i + 1}"
            op = OPERATORS[key]
            operands = [nodes[a] if isinstance(a, int) else a for a in args]
            if op.kind == "reflected":
                operands = operands[::-1]
            nodes.append(op.call(engine.ops.get(key, op.method))(*operands))
        values = [_number(engine.value_of(n)) for n in nodes]
        out = nodes[-1]
        grads: list[list[Any]] = []
        for k in range(request.get("passes", 1)):
            phase = "backward()" if k == 0 else f"backward() number {k + 1}"
            if k and request.get("zero"):
                phase = "zeroing the grads"
                if engine.zero:
                    getattr(out, engine.zero)()
                else:
                    for n in _reachable(engine, out, nodes):
                        setattr(n, engine.grad, 0.0)
                phase = f"backward() number {k + 1}"
            out.backward()
            grads.append([_grad(engine, n) for n in nodes] if request.get("all_grads", True) else [_grad(engine, nodes[0])])
        return {"values": values if request.get("all_grads", True) else [values[-1]], "grads": grads}
    except Hang:
        return {"error": "Hang", "message": f"no answer within {request.get('timeout')} s", "phase": phase}
    except RecursionError as error:
        return {"error": "RecursionError", "message": str(error)[:200], "phase": phase}
    except MemoryError:
        return {"error": "MemoryError", "message": "the memory limit was reached", "phase": phase}
    except Exception as error:
        where = traceback.extract_tb(error.__traceback__)[-1]
        return {
            "error": type(error).__name__,
            "message": str(error)[:200],
            "phase": phase,
            "line": f"{os.path.basename(where.filename)}:{where.lineno}: {where.line}",
        }


def _guard(probe: Callable[[], Any]) -> Any:
    """Run a discovery probe with one second on the clock (then ``Hang``), and restore the overall timer."""
    remaining, start = signal.getitimer(signal.ITIMER_REAL)[0], time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        return probe()
    finally:
        # The time the probe took comes off the overall limit (0 would switch the timer off).
        signal.setitimer(signal.ITIMER_REAL, max(remaining - (time.monotonic() - start), 0.001) if remaining else 0.0)


_guard.timeout = Hang  # type: ignore[attr-defined]


def main(argv: list[str]) -> int:
    """Serve requests for the engine ``argv[0]`` until stdin closes."""
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the engine's prints must not be taken for replies
    sys.stdout = sys.stderr
    if "--memory" in argv:
        _limit_memory(int(argv[argv.index("--memory") + 1]))
    signal.signal(signal.SIGALRM, _alarm)
    from autograd.checker.discovery import Engine
    from autograd.checker.loading import load

    try:
        signal.setitimer(signal.ITIMER_REAL, 20.0)
        broken = frozenset(argv[argv.index("--broken") + 1].split(",")) if "--broken" in argv else frozenset()

        def announce(key: str) -> None:
            # The parent learns which probe was running if this one kills the process.
            replies.write(json.dumps({"probing": key}) + "\n")

        engine = Engine(load(argv[0]), _guard, announce, broken)
        signal.setitimer(signal.ITIMER_REAL, 0)
    except BaseException as error:
        signal.setitimer(signal.ITIMER_REAL, 0)
        name = "Hang" if isinstance(error, Hang) else type(error).__name__
        replies.write(json.dumps({"error": name, "message": str(error)[:300]}) + "\n")
        return 1
    replies.write(json.dumps({"ready": engine.describe()}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        signal.setitimer(signal.ITIMER_REAL, float(request.get("timeout", 5.0)))
        try:
            reply = run(engine, request)
        except Hang:
            reply = {"error": "Hang", "message": f"no answer within {request.get('timeout')} s", "phase": "reading results"}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        replies.write(json.dumps(reply) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
