"""``python -m benchmarks``: micrograd's demo step on every engine, side by side, into benchmarks/results.md.

Each engine runs in its own child process (so one engine's garbage never slows another's
collector), all are warmed up, then timed in interleaved rounds (engine order rotating each
round) so the machine's load drifts over all of them alike. Reported: median, min and max over
the rounds of each round's median step time (wall clock, and CPU time, which a shared machine
disturbs less), ratios, ns per node on long chains, bytes per node, peak RSS and the moons demo's
training time. valuegrad runs on its C engine and, in the rows marked [pure], on its pure-Python
engine (``VALUEGRAD_PURE=1``).

    python -m benchmarks               # the full run (several minutes: micrograd takes seconds a step)
    python -m benchmarks --quick       # a smoke run on 8 points, seconds
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import math
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.workloads import ENGINES, MICROGPT, PURE_SUFFIX, STEPS_PER_CALL, is_valuegrad

RECIPE = "valuegrad eager (micrograd recipe)"
MICROGRAD = "micrograd 0.1.0"
HANDWRITTEN = "hand-written floats"
#: Rows run without the machine's OpenBLAS overrides.
UNTUNED_BLAS = {"numpy vectorised"}


class WrongEngine(RuntimeError):
    """A row that should run on the C engine ran on the pure one (the extension is not built or not loaded)."""


def check_engines(backends: dict[str, str | None]) -> None:
    """Refuse to call a run native when it was not: every valuegrad row without [pure] must report ``native``.

    >>> check_engines({"valuegrad compiled": "native", "valuegrad compiled [pure]": "pure"})
    >>> try:
    ...     check_engines({"valuegrad compiled": "pure"})
    ... except WrongEngine as error:
    ...     print(str(error).split(":")[0])
    valuegrad compiled ran on the pure engine, not the C one
    """
    for name, backend in backends.items():
        if is_valuegrad(name) and not name.endswith(PURE_SUFFIX) and backend != "native":
            raise WrongEngine(
                f"{name} ran on the {backend} engine, not the C one: build it (pip install -e .), or time the [pure] rows only"
            )


class Worker:
    """One engine's child process, spoken to one JSON line at a time."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        env = {k: v for k, v in env.items() if k != "VALUEGRAD_PURE"}
        if name.endswith(PURE_SUFFIX):
            env["VALUEGRAD_PURE"] = "1"
        if name in UNTUNED_BLAS:
            # Set on some machines for old OpenBLAS builds; they slow a current numpy (see the env notes).
            for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
                env.pop(key, None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.worker", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
        )

    def read(self) -> dict[str, Any]:
        """The child's next reply."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark worker for {self.name!r} exited early (code {self.process.wait()})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def ask(self, command: str) -> dict[str, Any]:
        """Send one command and wait for its reply."""
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        """Ask the child to quit and wait for it."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
        self.process.wait()


def _available(names: list[str]) -> tuple[list[str], list[str]]:
    run, notes = [], []
    for name in names:
        needs = ENGINES[name][2]
        if needs is not None and importlib.util.find_spec(needs) is None:
            notes.append(f"{name}: skipped, `{needs}` is not installed (`pip install {needs}`)")
        else:
            run.append(name)
    return run, notes


def _steps(
    names: list[str], rounds: int, steps: dict[str, int], env: dict[str, str]
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, str | None]]:
    workers = [Worker(name, env) for name in names]
    try:
        backends = {worker.name: worker.read().get("backend") for worker in workers}  # ready after warm-up
        check_engines(backends)
        seconds: dict[str, list[float]] = {name: [] for name in names}
        cpu: dict[str, list[float]] = {name: [] for name in names}
        for r in range(rounds):
            for worker in workers[r % len(workers) :] + workers[: r % len(workers)]:
                reply = worker.ask(f"run {steps[worker.name]}")
                per_call = STEPS_PER_CALL.get(worker.name, 1)
                seconds[worker.name].append(reply["seconds"] / per_call)
                cpu[worker.name].append(reply["cpu"] / per_call)
                print(
                    f"  round {r + 1}/{rounds} {worker.name}: {reply['seconds'] * 1000:.1f} ms, cpu {reply['cpu'] * 1000:.1f} ms",
                    file=sys.stderr,
                )
        return seconds, cpu, backends
    finally:
        for worker in workers:
            worker.close()


def _one_shot(name: str, command: str, env: dict[str, str]) -> dict[str, Any]:
    worker = Worker(name, env)
    try:
        worker.read()
        return worker.ask(command)
    finally:
        worker.close()


ChainRuns = dict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]]
"""Per chain length: the runs with the collector on, and with it off."""


def _chain_runs(name: str, sizes: list[int], env: dict[str, str], repeats: int) -> ChainRuns:
    """``repeats`` rounds; in each, every size once with the collector on and once off, each in a fresh process.

    The sizes take turns within a round, so a change in the machine's load falls on all of them alike.
    """
    runs: ChainRuns = {n: ([], []) for n in sizes}
    for _ in range(repeats):
        for n in sizes:
            runs[n][0].append(_one_shot(name, f"chain {n}", env))
            runs[n][1].append(_one_shot(name, f"chain {n} nogc", env))
    return runs


def _total(run: dict[str, Any]) -> float:
    return float(run["forward_ns"] + run["backward_ns"])


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run whose total (forward + backward per node) is the median."""
    return sorted(runs, key=_total)[len(runs) // 2]


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks and write the results table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 8 points, 2 rounds, short chains")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 7; --quick: 2)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results.md")
    parser.add_argument("--engines", nargs="*", default=list(ENGINES), help="subset of engines to time")
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 7)
    env = {**os.environ, "BENCH_POINTS": "8" if args.quick else "100"}
    chains = [1_000, 2_000] if args.quick else [10_000, 100_000, 1_000_000]

    names, notes = _available(args.engines)
    # Steps per round: enough that each round takes ~0.5 s or more for the fast engines, one for the slow.
    slow = {MICROGRAD: 1, "torch 0-dim scalars": 1}

    def per_round(name: str) -> int:
        if args.quick:
            return 1
        if name in slow:
            return slow[name]
        if name in STEPS_PER_CALL:
            return 2
        if name.startswith(MICROGPT):
            return 10
        if "eager" in name or "vectorised" in name:
            return 5 if name.endswith(PURE_SUFFIX) else 20
        return 40

    steps = {name: per_round(name) for name in names}
    print(f"timing {len(names)} engines, {rounds} interleaved rounds", file=sys.stderr)
    seconds, cpu, backends = _steps(names, rounds, steps, env)

    memory = {name: _one_shot(name, "memory", env) for name in (RECIPE, RECIPE + PURE_SUFFIX, MICROGRAD) if name in names}
    repeats = 1 if args.quick else 5
    chain_rows = {
        engine: _chain_runs(engine, chains, env, repeats) for engine in (RECIPE, RECIPE + PURE_SUFFIX) if engine in names
    }
    moons = {}
    if not args.quick:  # 100 training steps per engine: not a smoke run's business
        moons = {engine: _one_shot(engine, "moons", env) for engine in (RECIPE, RECIPE + PURE_SUFFIX) if engine in names}
    extra: dict[str, Any] = {}
    if "valuegrad compiled" in names:
        widths = [4, 13] if args.quick else [6, 23]  # about 10x the nodes
        extra["compile"] = [[_one_shot("valuegrad compiled", f"compile {w}", env) for w in widths] for _ in range(repeats)]
        extra["replay_memory"] = _one_shot("valuegrad compiled", f"replay-memory {20 if args.quick else 200}", env)
    _write(args.out, args.quick, rounds, steps, seconds, cpu, backends, memory, chain_rows, moons, notes, extra)
    print(args.out.read_text())


def _write(
    out: Path,
    quick: bool,
    rounds: int,
    steps: dict[str, int],
    seconds: dict[str, list[float]],
    cpu: dict[str, list[float]],
    backends: dict[str, str | None],
    memory: dict[str, dict[str, Any]],
    chain_engines: dict[str, ChainRuns],
    moons: dict[str, dict[str, float]],
    notes: list[str],
    extra: dict[str, Any] | None = None,
) -> None:
    extra = extra or {}
    gpt = {name: times for name, times in cpu.items() if name.startswith(MICROGPT)}
    gpt_wall = {name: seconds.pop(name) for name in gpt}
    medians = {name: statistics.median(times) for name, times in seconds.items()}
    cpu_medians = {name: statistics.median(times) for name, times in cpu.items()}
    lines = [
        "# Benchmark results" + (" (--quick smoke run: 8 points, not comparable)" if quick else ""),
        "",
        f"- Date: {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"- Machine: {platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end",
        f"- Python {platform.python_version()}; each engine in its own process, default GC, {rounds} interleaved rounds",
        "- Command: `python -m benchmarks`" + (" --quick" if quick else ""),
        "",
        "## micrograd's demo step (forward + backward + SGD, 100 points, MLP(2, [16, 16, 1]))",
        "",
        "| engine | backend | median ms/step (wall) | min | max | CPU ms/step | min | max "
        "| micrograd / engine (CPU) | engine / hand-written (CPU) | engine / hand-written (wall) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, times in seconds.items():
        mg, hw, hw_wall = cpu_medians.get(MICROGRAD), cpu_medians.get(HANDWRITTEN), medians.get(HANDWRITTEN)
        speedup = f"{mg / cpu_medians[name]:.1f}×" if mg else "–"
        vs_hw = f"{cpu_medians[name] / hw:.2f}×" if hw else "–"
        vs_hw_wall = f"{medians[name] / hw_wall:.2f}×" if hw_wall else "–"
        c = cpu[name]
        lines.append(
            f"| {name} | {backends.get(name) or '–'} | {medians[name] * 1000:.1f} "
            f"| {min(times) * 1000:.1f} | {max(times) * 1000:.1f} "
            f"| {cpu_medians[name] * 1000:.2f} | {min(c) * 1000:.2f} | {max(c) * 1000:.2f} | {speedup} | {vs_hw} | {vs_hw_wall} |"
        )
    lines += ["", "Each round's figure is the median of " + ", ".join(f"{n}: {k}" for n, k in steps.items()) + " steps."]
    if "torch 0-dim scalars" in cpu_medians and RECIPE in cpu_medians:
        ratio = cpu_medians["torch 0-dim scalars"] / cpu_medians[RECIPE]
        lines.append(f"valuegrad eager (recipe) vs torch 0-dim: {ratio:.1f}× faster (CPU time).")
    for name in (RECIPE, "valuegrad eager (nn.MLP)", "valuegrad compiled"):
        if name in cpu_medians and name + PURE_SUFFIX in cpu_medians:
            ratio = cpu_medians[name + PURE_SUFFIX] / cpu_medians[name]
            lines.append(f"{name}: the C engine is {ratio:.1f}× the pure engine's speed (CPU time).")
    numpy_cpu = cpu_medians.get("numpy vectorised")
    for name in ("valuegrad compiled", "valuegrad compiled (nn.MLP)", "valuegrad fit(compile=True)"):
        if name in cpu_medians and numpy_cpu and HANDWRITTEN in cpu_medians:
            lines.append(
                f"{name}: {cpu_medians[name] / cpu_medians[HANDWRITTEN]:.3f}× hand-written floats, "
                f"{cpu_medians[name] / numpy_cpu:.2f}× numpy vectorised (CPU time)."
            )
    lines += notes and ["", *(f"- {note}" for note in notes)]
    if gpt:
        lines += [
            "",
            "## A microgpt-shaped training step (benchmarks/microgpt.py: attention head, MLP block, RMS norm, "
            "cross-entropy; forward + backward + SGD)",
            "",
        ]
        lines += ["| engine | backend | median ms/step (wall) | CPU ms/step | min | max | vs microgpt-style Value (CPU) |"]
        lines += ["|---|---|---:|---:|---:|---:|---:|"]
        tiny = statistics.median(gpt.get(MICROGPT + "microgpt-style Value", [math.nan]))
        for name, times in gpt.items():
            per_step = statistics.median(times)
            lines.append(
                f"| {name[len(MICROGPT) :]} | {backends.get(name) or '–'} | {statistics.median(gpt_wall[name]) * 1000:.2f} "
                f"| {per_step * 1000:.2f} | {min(times) * 1000:.2f} | {max(times) * 1000:.2f} | {tiny / per_step:.1f}× |"
            )
    if "compile" in extra:
        lines += ["", "## Compile time (trace + lower to the C tape) of the demo step, MLP(2, [W, W, 1]) on 100 points", ""]
        lines += ["| W | nodes | CPU s (median) | µs per node |", "|---:|---:|---:|---:|"]
        runs = extra["compile"]
        per_width = list(zip(*runs))
        for rows in per_width:
            s_med = statistics.median(r["seconds"] for r in rows)
            nodes = rows[0]["nodes"]
            lines.append(f"| {rows[0].get('width', '')} | {nodes:,} | {s_med:.3f} | {s_med / nodes * 1e6:.1f} |")
        if len(per_width) == 2:
            small, large = per_width
            node_ratio = large[0]["nodes"] / small[0]["nodes"]
            time_ratio = statistics.median(r["seconds"] for r in large) / statistics.median(r["seconds"] for r in small)
            lines.append(
                f"\n{node_ratio:.1f}× the nodes take {time_ratio:.1f}× the time ({len(runs)} runs each, fresh processes)."
            )
    if "replay_memory" in extra:
        m = extra["replay_memory"]
        lines += ["", "## Memory per compiled step (the recipe on the C tape)", ""]
        lines.append(
            f"Live Value nodes before / after the timed steps: {m['live_nodes_before']} / {m['live_nodes_after']}; "
            f"peak RSS {m['rss_before_mb']:.0f} MB / {m['rss_after_mb']:.0f} MB; tracemalloc over the steps: "
            f"{m['traced_bytes_left']} bytes left, peak {m['traced_peak_bytes']} bytes."
        )
    lines += ["", "## Memory: one forward graph of the demo (tracemalloc); peak RSS of a worker after warm-up and that graph", ""]
    lines += ["| engine | nodes | bytes per node | peak RSS MB |", "|---|---|---:|---:|"]
    for name, row in memory.items():
        lines.append(f"| {name} | {row['nodes']} | {row['bytes_per_node']:.0f} | {row['peak_rss_mb']:.0f} |")
    if RECIPE in memory and MICROGRAD in memory:
        share = memory[RECIPE]["bytes_per_node"] / memory[MICROGRAD]["bytes_per_node"]
        lines.append(f"\nvaluegrad (C engine) uses {share:.0%} of micrograd's bytes per node.")
    for engine, chains in chain_engines.items():
        repeats = len(next(iter(chains.values()))[0])
        lines += ["", f"## Chains y = (y * w) + w ..., {engine}, CPU ns per node", ""]
        lines += [
            f"Each figure is from the run with the median total of {repeats} fresh processes per size and setting, the sizes "
            "taking turns; every chain starts from an allocator holding no memory, so each size pays for its fresh pages.",
            "",
        ]
        lines += ["| ops | forward | backward | forward, GC off | backward, GC off |", "|---:|---:|---:|---:|---:|"]
        for n, (on, off) in chains.items():
            m_on, m_off = _median_run(on), _median_run(off)
            cells = [m_on["forward_ns"], m_on["backward_ns"], m_off["forward_ns"], m_off["backward_ns"]]
            lines.append(f"| {n:,} | " + " | ".join(f"{c:.0f}" for c in cells) + " |")
        sizes = sorted(chains)
        if len(sizes) >= 2:
            a, b = sizes[-2], sizes[-1]
            for label, k in (("default GC", 0), ("GC off", 1)):
                growth = _total(_median_run(chains[b][k])) * b / (_total(_median_run(chains[a][k])) * a)
                paired = sorted(_total(y) * b / (_total(x) * a) for x, y in zip(chains[a][k], chains[b][k]))
                lines.append(
                    f"\nTotal time ({label}) grows {growth:.1f}× from {a:,} to {b:,} ops ({b // a}× the ops); "
                    f"round by round {paired[0]:.1f}–{paired[-1]:.1f}×."
                )
    lines.append("\n(micrograd's recursive topological sort cannot backprop chains this deep.)")
    if moons:
        lines += ["", "## `python -m demos.moons`: its 100 training steps (fit, eager), one run each", ""]
        lines += ["| engine | wall s | CPU s |", "|---|---:|---:|"]
        for engine, row in moons.items():
            lines.append(f"| {engine} | {row['seconds']:.2f} | {row['cpu']:.2f} |")
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
