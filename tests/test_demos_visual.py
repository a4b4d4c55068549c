"""The visual demos run end to end into a temporary directory: the walkthrough and the graph pictures."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograd import Backprop, Value, explain
from demos import graphs, walkthrough

ROOT = Path(__file__).resolve().parent.parent


def test_walkthrough_prints_the_stepper_and_agrees_with_backward(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The tour prints every step's chain rule, reports agreement with backward(), explains c, and draws SVG and PNG."""
    assert walkthrough.main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    nodes = walkthrough.lecture_expression()
    for step in Backprop(nodes["L"]):
        assert str(step) in out
    assert "the stepper and backward() agree" in out
    assert str(explain(nodes["c"], nodes["L"])) in out
    svg = (tmp_path / "walkthrough.svg").read_text(encoding="utf-8")
    assert all(f">{name}</text>" in svg for name in "abcdefL")
    assert (tmp_path / "walkthrough.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_lecture_values_give_the_lecture_gradients() -> None:
    """L = (a*b + c) * f at a=2, b=-3, c=10, f=-2 gives micrograd's lecture numbers."""
    nodes = walkthrough.lecture_expression()
    nodes["L"].backward()
    assert nodes["L"].data == -8.0
    assert [nodes[k].grad for k in "abcdef"] == [6.0, -4.0, -2.0, -2.0, -2.0, 4.0]


def test_graphs_demo_draws_every_picture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Neuron, half-way stepper and collapsed MLP are written as SVG (with their labels) and PNG."""
    assert graphs.main(["--out", str(tmp_path)]) == 0
    expected_text = {
        "neuron": ["x1", "w.0", "neuron", "data 0.7071"],
        "stepper": ["x1*w1", "grad pending", "processing", "grad updated", "next", "done", "grad not final yet"],
        "mlp_layers": ["layers.0", "layers.1", "layers.2", "16 relu neurons", "score"],
        "mlp_neurons": ["layers.0.neurons.15", "layers.2.neurons.0"],
    }
    for name, texts in expected_text.items():
        svg = (tmp_path / f"{name}.svg").read_text(encoding="utf-8")
        for text in texts:
            assert text in svg, (name, text)
        assert (tmp_path / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "stepper after 2 of 5 steps" in capsys.readouterr().out


def test_nn_neuron_matches_the_hand_written_one() -> None:
    """The nn.Neuron picture and the op-by-op one compute the same output and input gradients."""
    by_hand = graphs.lecture_neuron_by_hand()
    by_hand.backward()
    fused = graphs.lecture_neuron()
    assert fused.data == pytest.approx(by_hand.data, abs=1e-15)
    leaves = {n.label: n for n in _leaves(fused)}
    hand = {n.label: n for n in _leaves(by_hand)}
    assert leaves["x1"].grad == pytest.approx(hand["x1"].grad) and leaves["w.0"].grad == pytest.approx(hand["w1"].grad)


def _leaves(root: Value) -> list[Value]:
    from autograd import topological_order

    return [n for n in topological_order(root) if n.is_leaf]
