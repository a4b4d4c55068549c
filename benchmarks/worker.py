"""A child process that times one engine: ``python -m benchmarks.worker NAME [--quick]``.

It sets the engine up, warms it up, then answers the parent's commands on stdin, one line each:
``run K`` runs K training steps and prints the median wall and CPU seconds per step; ``memory``
prints bytes per graph node and peak RSS; ``chain N`` prints forward and backward ns per node on an
N-op chain; ``moons`` times ``python -m demos.moons``'s 100 training steps; ``compile W`` times
compiling the demo step of an MLP(2, [W, W, 1]); ``replay-memory K`` counts live nodes and memory
over K compiled steps; ``quit`` ends.
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

from benchmarks.workloads import ENGINES, Step, is_valuegrad


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


def engine_of(name: str) -> str | None:
    """What a row runs on: valuegrad's engine as loaded (``native`` or ``pure``), else the row's own library."""
    if is_valuegrad(name):
        return str(sys.modules["autograd"].BACKEND) if "autograd" in sys.modules else None
    if "numpy" in name:
        import numpy

        return f"numpy {numpy.__version__}"
    if "micrograd" in name and "microgpt" not in name:
        return "micrograd"
    return "CPython floats" if "hand-written" in name else "CPython (TinyValue)"


def _compile_time(width: int) -> dict[str, float]:
    """CPU seconds to trace and lower (compile) one step of an MLP(2, [width, width, 1]) on 100 points, and its nodes."""
    from autograd import Value, compile
    from benchmarks.workloads import micrograd_mlp, moons

    X, y = moons()
    model = micrograd_mlp(Value)
    if width != 16:
        import random

        from benchmarks.workloads import MICROGRAD_NN

        namespace: dict[str, Any] = {"Value": Value, "random": random}
        exec(MICROGRAD_NN, namespace)
        random.seed(1337)
        model = namespace["MLP"](2, [width, width, 1])
    params = model.parameters()

    def loss(xs: list[list[Value]], ys: list[Value]) -> Value:
        scores = list(map(model, xs))
        total: Value = sum((1 + -yi * si).relu() for yi, si in zip(ys, scores)) * (1.0 / len(scores))
        total = total + 1e-4 * sum(p * p for p in params)
        return total

    yf = [float(v) for v in y]
    start = time.process_time()
    compiled = compile(loss)
    tape = compiled.tape(X, yf)
    seconds = time.process_time() - start
    from autograd.value import topological_order

    (trace,) = compiled._traces.values()
    nodes = len(topological_order(trace.output))  # the graph's nodes (the tape may hold fewer, fused, instructions)
    return {"seconds": seconds, "nodes": nodes, "width": width, "instructions": tape.size["instructions"] if tape else 0}


def _replay_memory(steps: int) -> dict[str, float]:
    """Live Value nodes and peak RSS after the warm-up and after ``steps`` more compiled steps (flat when nothing leaks)."""
    from benchmarks.workloads import valuegrad_compiled

    core = sys.modules.get("autograd._native._core")
    step = valuegrad_compiled()
    for k in range(3):
        step(k)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    live0 = core.memory_stats()["live_nodes"] if core else -1
    tracemalloc.start()
    for k in range(steps):
        step(k)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    live1 = core.memory_stats()["live_nodes"] if core else -1
    return {
        "rss_before_mb": rss0,
        "rss_after_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "live_nodes_before": live0,
        "live_nodes_after": live1,
        "traced_bytes_left": current,
        "traced_peak_bytes": peak,
    }


def main(argv: list[str]) -> None:
    """Serve the parent's commands for the engine named in ``argv``."""
    name = argv[0]
    setup = ENGINES[name][0]
    step = setup()
    k = 0
    for _ in range(2):  # warm-up: first calls pay for imports, tracing and code generation
        step(k)
        k += 1
    backend = engine_of(name)
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
        elif command == "compile":
            reply = _compile_time(int(rest[0]))
        elif command == "replay-memory":
            reply = _replay_memory(int(rest[0]))
        elif command == "quit":
            break
        else:
            reply = {"error": f"unknown command {command!r}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
