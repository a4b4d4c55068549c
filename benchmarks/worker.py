"""A child process that times one engine: ``python -m benchmarks.worker NAME [--quick]``.

It sets the engine up, warms it up, then answers the parent's commands on stdin, one line each:
``run K`` runs K training steps and prints the median wall and CPU seconds per step; ``memory``
prints bytes per graph node and peak RSS; ``chain N`` prints forward and backward ns per node on an
N-op chain; ``moons`` times ``python -m demos.moons``'s 100 training steps; ``quit`` ends.
Default GC settings throughout: the cycle collector's cost is part of the engine.
"""

from __future__ import annotations

import gc
import json
import resource
import statistics
import sys
import time
import tracemalloc
from typing import Any

from benchmarks.workloads import ENGINES, Step


def _time_steps(step: Step, start: int, k: int) -> tuple[float, float]:
    """Median wall and CPU seconds per step (CPU time: the machine may be shared)."""
    times, cpu = [], []
    for i in range(k):
        t, c = time.perf_counter(), time.process_time()
        step(start + i)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(times), statistics.median(cpu)


def _moons() -> dict[str, float]:
    """Wall and CPU seconds of the moons demo's 100 training steps (``python -m demos.moons`` without the pictures)."""
    from demos import moons

    c = time.process_time()
    result = moons.run(steps=moons.STEPS, test_points=10)
    return {"seconds": result.seconds, "cpu": time.process_time() - c}


def _graph_bytes(name: str) -> dict[str, float]:
    """Bytes per node of one forward graph of the demo (tracemalloc), for the two graph engines."""
    from benchmarks.workloads import micrograd_mlp, moons, recipe_loss

    if name.startswith("micrograd"):
        from micrograd.engine import Value as MgValue

        value_class: Any = MgValue
        model = micrograd_mlp(MgValue)
    else:
        from autograd import Value

        value_class = Value
        model = micrograd_mlp(Value)
    X, y = moons()
    core = sys.modules.get("autograd._native._core")
    if core is not None:
        # The C engine keeps freed slabs for reuse; start from none, so tracemalloc sees the graph's own memory.
        core.release_memory()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loss = recipe_loss(model, value_class, X, y)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    nodes = _count_nodes(loss)
    return {"nodes": nodes, "bytes_per_node": (after - before) / nodes}


def _count_nodes(root: Any) -> int:
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        parents: Any = getattr(node, "parents", None) or getattr(node, "_prev", ())
        for parent in parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def _chain(name: str, n: int, collector: bool) -> dict[str, float]:
    """ns per node to build (forward) and backprop an n-op chain y = (y * w) + w ... on this engine."""
    if not collector:
        gc.disable()  # to separate the engine's own cost from the cycle collector's
    core = sys.modules.get("autograd._native._core")
    if core is not None:
        # Every chain starts from an allocator holding no memory: otherwise the warm-up's cached slabs
        # make the shorter chains look cheaper than the long ones for a reason that is not the engine's.
        core.release_memory()
    if name.startswith("micrograd"):
        from micrograd.engine import Value as value_class
    else:
        from autograd import Value as value_class
    w = value_class(0.999999)
    y = value_class(1.0)
    # CPU time: on a shared machine, wall time measures the neighbours as much as the engine.
    t = time.process_time()
    for _ in range(n // 2):
        y = y * w
        y = y + w
    forward = time.process_time() - t
    t = time.process_time()
    y.backward()
    backward = time.process_time() - t
    return {"forward_ns": forward / n * 1e9, "backward_ns": backward / n * 1e9}


def main(argv: list[str]) -> None:
    """Serve the parent's commands for the engine named in ``argv``."""
    name = argv[0]
    setup = ENGINES[name][0]
    step = setup()
    k = 0
    for _ in range(2):  # warm-up: first calls pay for imports, tracing and code generation
        step(k)
        k += 1
    backend = sys.modules["autograd"].BACKEND if "autograd" in sys.modules else None
    print(json.dumps({"ready": True, "backend": backend}), flush=True)
    for line in sys.stdin:
        command, *rest = line.split()
        if command == "run":
            count = int(rest[0])
            wall, cpu = _time_steps(step, k, count)
            reply: dict[str, Any] = {"seconds": wall, "cpu": cpu}
            k += count
        elif command == "memory":
            reply = {**_graph_bytes(name), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        elif command == "chain":
            reply = _chain(name, int(rest[0]), collector=rest[1:] != ["nogc"])
        elif command == "moons":
            reply = _moons()
        elif command == "quit":
            break
        else:
            reply = {"error": f"unknown command {command!r}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
