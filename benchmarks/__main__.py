"""``python -m benchmarks``: micrograd's demo step on every engine, side by side, into benchmarks/results.md.

Each engine runs in its own child process (so one engine's garbage never slows another's
collector), all are warmed up, then timed in interleaved rounds (engine order rotating each
round) so the machine's load drifts over all of them alike. Reported: median, min and max over
the rounds of each round's median step time, ratios, ns per node on long chains, bytes per
node and peak RSS.

    python -m benchmarks               # the full run (several minutes: micrograd takes seconds a step)
    python -m benchmarks --quick       # a smoke run on 8 points, seconds
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.workloads import ENGINES

RECIPE = "valuegrad eager (micrograd recipe)"
MICROGRAD = "micrograd 0.1.0"
HANDWRITTEN = "hand-written floats"


class Worker:
    """One engine's child process, spoken to one JSON line at a time."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
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


def _steps(names: list[str], rounds: int, steps: dict[str, int], env: dict[str, str]) -> dict[str, list[float]]:
    workers = [Worker(name, env) for name in names]
    try:
        for worker in workers:
            worker.read()  # ready after warm-up
        seconds: dict[str, list[float]] = {name: [] for name in names}
        for r in range(rounds):
            for worker in workers[r % len(workers) :] + workers[: r % len(workers)]:
                seconds[worker.name].append(worker.ask(f"run {steps[worker.name]}")["seconds"])
                print(f"  round {r + 1}/{rounds} {worker.name}: {seconds[worker.name][-1] * 1000:.1f} ms", file=sys.stderr)
        return seconds
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
    steps = {name: (1 if args.quick else slow.get(name, 5 if "eager" in name or "vectorised" in name else 40)) for name in names}
    print(f"timing {len(names)} engines, {rounds} interleaved rounds", file=sys.stderr)
    seconds = _steps(names, rounds, steps, env)

    memory = {name: _one_shot(name, "memory", env) for name in (RECIPE, MICROGRAD) if name in names}
    chain_rows = {n: (_one_shot(RECIPE, f"chain {n}", env), _one_shot(RECIPE, f"chain {n} nogc", env)) for n in chains}
    _write(args.out, args.quick, rounds, steps, seconds, memory, chain_rows, notes)
    print(args.out.read_text())


def _write(
    out: Path,
    quick: bool,
    rounds: int,
    steps: dict[str, int],
    seconds: dict[str, list[float]],
    memory: dict[str, dict[str, Any]],
    chains: dict[int, tuple[dict[str, Any], dict[str, Any]]],
    notes: list[str],
) -> None:
    medians = {name: statistics.median(times) for name, times in seconds.items()}
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
        "| engine | median ms/step | min | max | micrograd / engine | engine / hand-written |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, times in seconds.items():
        mg = medians.get(MICROGRAD)
        hw = medians.get(HANDWRITTEN)
        speedup = f"{mg / medians[name]:.1f}×" if mg else "–"
        vs_hw = f"{medians[name] / hw:.2f}×" if hw else "–"
        lines.append(
            f"| {name} | {medians[name] * 1000:.1f} | {min(times) * 1000:.1f} | {max(times) * 1000:.1f} | {speedup} | {vs_hw} |"
        )
    lines += ["", "Each round's figure is the median of " + ", ".join(f"{n}: {k}" for n, k in steps.items()) + " steps."]
    if "torch 0-dim scalars" in medians and RECIPE in medians:
        lines.append(f"valuegrad eager (recipe) vs torch 0-dim: {medians['torch 0-dim scalars'] / medians[RECIPE]:.1f}× faster.")
    lines += notes and ["", *(f"- {note}" for note in notes)]
    lines += ["", "## Memory: one forward graph of the demo (tracemalloc); peak RSS of a worker after warm-up and that graph", ""]
    lines += ["| engine | nodes | bytes per node | peak RSS MB |", "|---|---:|---:|---:|"]
    for name, row in memory.items():
        lines.append(f"| {name} | {row['nodes']} | {row['bytes_per_node']:.0f} | {row['peak_rss_mb']:.0f} |")
    if RECIPE in memory and MICROGRAD in memory:
        share = memory[RECIPE]["bytes_per_node"] / memory[MICROGRAD]["bytes_per_node"]
        lines.append(f"\nvaluegrad uses {share:.0%} of micrograd's bytes per node.")
    lines += ["", "## Chains y = (y * w) + w ..., valuegrad eager, ns per node (each in a fresh process)", ""]
    lines += ["| ops | forward | backward | forward, GC off | backward, GC off |", "|---:|---:|---:|---:|---:|"]
    for n, (on, off) in chains.items():
        cells = [on["forward_ns"], on["backward_ns"], off["forward_ns"], off["backward_ns"]]
        lines.append(f"| {n:,} | " + " | ".join(f"{c:.0f}" for c in cells) + " |")
    sizes = sorted(chains)
    if len(sizes) >= 2:
        a, b = sizes[-2], sizes[-1]
        for label, k in (("default GC", 0), ("GC off", 1)):
            total = {n: (chains[n][k]["forward_ns"] + chains[n][k]["backward_ns"]) * n for n in (a, b)}
            lines.append(f"\nTotal time ({label}) grows {total[b] / total[a]:.1f}× from {a:,} to {b:,} ops ({b // a}× the ops).")
    lines.append("(micrograd's recursive topological sort cannot backprop chains this deep.)")
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
