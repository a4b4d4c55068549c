"""The benchmark script runs end to end and writes its table (a smoke run; no timings are asserted)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import handwritten, microgpt
from benchmarks.__main__ import WrongEngine, check_engines
from benchmarks.workloads import ENGINES, PURE_SUFFIX, micrograd_mlp, moons, recipe_loss


def test_quick_run_writes_the_results_table(tmp_path: Path) -> None:
    """`python -m benchmarks --quick` times every available engine and writes results.md with all sections."""
    out = tmp_path / "results.md"
    # Rows without [pure] must run on the C engine (the run refuses otherwise): where it is not built, time the pure rows.
    suffix = "" if importlib.util.find_spec("autograd._native._core") else PURE_SUFFIX
    engines = [f"valuegrad eager (micrograd recipe){suffix}", f"valuegrad compiled{suffix}", "hand-written floats"]
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


def test_a_run_refuses_to_call_itself_native_on_the_pure_engine() -> None:
    """A valuegrad row without [pure] that ran on the pure engine stops the run, naming the row."""
    check_engines({"valuegrad compiled": "native", "valuegrad compiled" + PURE_SUFFIX: "pure", "numpy vectorised": "numpy"})
    with pytest.raises(WrongEngine, match="valuegrad compiled ran on the pure engine"):
        check_engines({"valuegrad compiled": "pure"})


def test_every_demo_step_row_computes_the_same_losses() -> None:
    """Compiled (C tape or replay), numpy, tuned and plain floats: the same first two losses of the demo step."""
    rows = ["valuegrad compiled", "valuegrad compiled (nn.MLP)", "hand-written floats", "hand-written floats (tuned)"]
    if importlib.util.find_spec("numpy"):
        rows.append("numpy vectorised")
    reference = None
    for name in rows:
        step = ENGINES[name][0]()
        losses = [step(0), step(1)]
        reference = reference or losses
        assert losses == pytest.approx(reference, rel=1e-12), name


def test_microgpt_shaped_step_is_the_same_on_valuegrad_and_the_microgpt_style_value() -> None:
    """The microgpt-shaped workload gives the same losses on autograd.Value and on TinyValue (same arithmetic)."""
    from autograd import Value

    ours, theirs = microgpt.setup(Value), microgpt.setup(microgpt.TinyValue)
    assert [ours(k) for k in range(3)] == pytest.approx([theirs(k) for k in range(3)], rel=1e-12)
