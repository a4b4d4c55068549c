"""The benchmark script runs end to end and writes its table (a smoke run; no timings are asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks import handwritten
from benchmarks.workloads import micrograd_mlp, moons, recipe_loss


def test_quick_run_writes_the_results_table(tmp_path: Path) -> None:
    """`python -m benchmarks --quick` times every available engine and writes results.md with all sections."""
    out = tmp_path / "results.md"
    engines = ["valuegrad eager (micrograd recipe)", "valuegrad compiled", "hand-written floats"]
    subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out), "--engines", *engines],
        check=True,
        capture_output=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=300,
    )
    text = out.read_text()
    for heading in ("micrograd's demo step", "Memory", "Chains"):
        assert heading in text
    for engine in engines:
        assert f"| {engine} |" in text


def test_handwritten_gradients_equal_valuegrad() -> None:
    """The hand-written float step computes valuegrad's loss and gradients (to 1e-12) on the demo network."""
    from autograd import Value

    X, y = moons()
    model = micrograd_mlp(Value)
    loss = recipe_loss(model, Value, X[:10], y[:10])
    model.zero_grad()
    loss.backward()
    layers = [([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons]) for layer in model.layers]
    value, grads = handwritten.step(layers, X[:10], y[:10], lr=0.0)
    assert abs(value - loss.data) <= 1e-12
    expected = [g for layer in model.layers for n in layer.neurons for g in (*(w.grad for w in n.w), n.b.grad)]
    got = [g for gW, gB in grads for gw, gb in zip(gW, gB) for g in (*gw, gb)]
    assert max(abs(a - b) for a, b in zip(got, expected)) <= 1e-12
