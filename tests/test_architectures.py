"""The lecture's architectures as scalar demos (``demos.convolution``, ``demos.rnn``, ``demos.attention``): their numbers,
pinned on both engines, what their steppers show, and what their quick runs write."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from types import ModuleType

import pytest

from autograd import Backprop, draw_dot, topological_order
from demos import attention, convolution, rnn

PNG = b"\x89PNG\r\n\x1a\n"


def close(got: list[float] | float, want: list[float] | float) -> bool:
    """Equal to 1e-12 (the engines may round a fused sum differently in the last bit; so far they agree exactly)."""
    return got == pytest.approx(want, rel=1e-12, abs=1e-12)


# -------------------------------------------------------------------------------------- convolution


def test_convolution_numbers_are_pinned() -> None:
    """Seed 0, 20 epochs: the shared weight's six terms, their sum, the losses and the kernel reached."""
    result, _, _ = convolution.run(epochs=20)
    assert result.steps == 20
    assert close(
        [c.amount for c in result.contributions],
        [
            -0.02844781677289296, 0.0029427705026912154, 0.1458192723265695,
            0.3676228930124022, 0.07244870223490524, 0.0032102659509364116,
        ],
    )
    assert close(result.w2_grad, 0.5635960872546116)
    assert close([result.losses[0], result.losses[-1]], [2.4539664589213857, 0.20730832621749212])
    assert close(result.final_kernel, [1.0322554368341783, -1.2923055335946265, 0.6863337268309018, -0.03625532061680773])


def test_convolution_shared_weight_gradient_is_the_running_sum_of_one_term_per_position() -> None:
    """w₂ gets one term from each of the N − K + 1 outputs, in backprop's order (last position first), each added with +=."""
    result, _, _ = convolution.run(epochs=0)
    contributions = result.contributions
    assert [c.node for c in contributions] == [f"y{s}" for s in "₆₅₄₃₂₁"]
    assert contributions[0].before == 0.0
    for previous, current in itertools.pairwise(contributions):
        assert current.before == previous.after
        assert current.after == current.before + current.amount
    assert contributions[-1].after == result.w2_grad


def test_convolution_learns_the_second_difference_kernel() -> None:
    """With the full 200 epochs, gradient descent finds (1, −2, 1) and bias 0 from a random start."""
    result, _, _ = convolution.run()
    assert result.final_kernel == pytest.approx([1.0, -2.0, 1.0, 0.0], abs=1e-3)


def test_convolution_quick_run_prints_the_listing_and_writes_its_pictures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--quick prints the lecture-notation listing and the w₂ terms, and writes the figure and the graph drawing."""
    assert convolution.main(["--quick", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "y_i = f(w₁ x_i + w₂ x_{i+1} + w₃ x_{i+2} + b)" in printed
    assert len(re.findall(r"w₂\.grad \+=", printed)) == 6
    for name in ("convolution.png", "convolution_graph.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG)


# -------------------------------------------------------------------------------------- rnn


def test_rnn_numbers_are_pinned() -> None:
    """Seed 0, 20 epochs: w_hh's term per time step, the losses, the parameters and the gradients over 30 steps."""
    result, _, _ = rnn.run(epochs=20)
    assert len(result.bptt) == 9
    assert close(result.w_hh_terms, [0.011747234137401572, 0.012418584249137936, -0.0])
    assert close(result.w_hh_grad, 0.024165818386539507)
    assert close([result.losses[0], result.losses[-1]], [0.07844469001864647, 0.01318494435222657])
    assert close(
        result.parameters,
        [0.8718839218302793, 0.6364222668647319, -0.03136811127871712, 0.6025067621139789, 0.08724480579921758],
    )
    assert close([r.norms[0] for r in result.regimes], [1.7969714196215191e-09, 0.47973880748400743, 127834.03948858939])
    assert [r.verdict for r in result.regimes] == ["vanishing", "healthy", "exploding"]


def test_rnn_backprop_through_time_goes_back_one_time_step_at_a_time() -> None:
    """The stepper's steps name the time steps h⁽ᵗ⁾ and a⁽ᵗ⁾ from the last to the first, and w_hh gets one term per step."""
    result, _, _ = rnn.run(epochs=0)
    headers = [text.split(" = ")[0] for text in result.bptt]
    assert headers == ["L", "e", "y", "h⁽³⁾", "a⁽³⁾", "h⁽²⁾", "a⁽²⁾", "h⁽¹⁾", "a⁽¹⁾"]
    assert len(result.w_hh_terms) == rnn.STEPPED_T
    assert sum(result.w_hh_terms) == pytest.approx(result.w_hh_grad, abs=1e-15)


def test_rnn_gradient_over_time_is_the_product_of_one_factor_per_step() -> None:
    """For a linear RNN, |∂L/∂h⁽ᵗ⁾| = |w_hy| · w_hh^(T − t) exactly: the explosion is w_hh multiplied in once per step back."""
    norms = rnn.gradient_over_time(1.5, tanh=False, length=10)
    assert norms == pytest.approx([1.5 ** (10 - t) for t in range(1, 11)], rel=1e-12)


def test_rnn_trains_well_with_the_full_epochs() -> None:
    """300 epochs of Adam bring the running-mean loss below 0.001 (from 0.078)."""
    result, _, _ = rnn.run()
    assert result.losses[-1] < 1e-3 < result.losses[0]


def test_rnn_quick_run_prints_the_listing_and_writes_its_pictures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--quick prints the listing with h⁽ᵗ⁾, the BPTT steps and the verdicts, and writes the figure and the unrolled graph."""
    assert rnn.main(["--quick", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "h⁽ᵗ⁾ = f(a⁽ᵗ⁾)" in printed and "h⁽¹⁾ = tanh(a⁽¹⁾)" in printed
    assert "vanishing" in printed and "exploding" in printed
    for name in ("rnn.png", "rnn_graph.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG)


# -------------------------------------------------------------------------------------- attention


def test_attention_numbers_are_pinned() -> None:
    """Seed 0, 5 epochs: the step count, every loss, the attention after 'emm' and the names it writes."""
    result, _ = attention.run(epochs=5)
    assert result.steps == 123
    assert close(result.losses, [2.6278035279439393, 2.522587383786003, 2.423598119061013, 2.339836241654285, 2.2822384430112415])
    assert close(result.attention["emm"], [0.5754302955629398, 0.19404748768367527, 0.2305222167533849])
    assert result.names == ["anlaiell", "", "mel", "hlasp", ""]
    assert close(attention.tiny_head()[0].data, 0.8620482548367886)


def test_attention_weights_are_a_softmax() -> None:
    """Every context's α⁽¹⁾…α⁽ᵀ⁾ are positive and sum to 1."""
    result, _ = attention.run(epochs=0)
    for weights in result.attention.values():
        assert all(w > 0 for w in weights) and sum(weights) == pytest.approx(1.0, abs=1e-15)


def test_attention_steps_are_grouped_by_query_key_value_and_position() -> None:
    """The stepper's steps fall into boxes: the query at the last position, a key and a value at each position, the attention."""
    result, _ = attention.run(epochs=0)
    boxes = {box: nodes for box, nodes, _ in result.groups}
    assert boxes["position 3 (m): query"] == ["q₄", "q₃", "q₂", "q₁"]
    for t, c in enumerate("emm", start=1):
        assert len(boxes[f"position {t} ({c}): key"]) == attention.WIDTH
        assert len(boxes[f"position {t} ({c}): value"]) == attention.WIDTH
    assert {"α⁽¹⁾", "α⁽²⁾", "α⁽³⁾", "Σexp", "s⁽¹⁾"} <= set(boxes["attention"])
    assert sum(len(nodes) for nodes in boxes.values()) == result.steps


def test_attention_drawing_clusters_query_key_and_value_neurons() -> None:
    """draw_dot draws the head's query, key and value neurons (autograd.seeing.groups) as clusters inside their layers."""
    loss, _, _ = attention.small_head()
    source = draw_dot(loss).source
    for kind in ("query", "key", "value"):
        assert f"cluster_layer_{kind}" in source
        assert f"cluster_neuron_{kind}_1" in source and f"cluster_neuron_{kind}_2" in source


def test_attention_tiny_head_steps_like_backward() -> None:
    """The one-number head behind --export: the stepper's gradients equal backward()'s."""
    loss, _, parameters = attention.tiny_head()
    Backprop(loss).run()
    stepped = [p.grad for p in parameters]
    for node in topological_order(loss):
        node.grad = 0.0
    loss.backward()
    assert stepped == [p.grad for p in parameters]


def test_attention_quick_run_prints_the_listing_and_writes_its_pictures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--quick prints the listing (q, k⁽ᵗ⁾, softmax) and the grouped steps, and writes the figure and the drawing."""
    assert attention.main(["--quick", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "α⁽ᵗ⁾ = exp(s⁽ᵗ⁾) / Σ_u exp(s⁽ᵘ⁾)" in printed
    assert "-- position 1 (e): key: 4 steps" in printed
    for name in ("attention.png", "attention_graph.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG)


@pytest.mark.slow
def test_a_demo_exports_its_stepped_graph(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--export writes one PNG per frame (as many as it says) and the GIF, APNG, slides and worksheet beside them."""
    assert rnn.main(["--quick", "--export", "--out", str(tmp_path)]) == 0
    said = re.search(r"exported (\d+) frames", capsys.readouterr().out)
    assert said is not None
    frames = sorted((tmp_path / "rnn-frames").glob("frame-*.png"))
    assert len(frames) == int(said.group(1)) > 0
    for name in ("rnn.gif", "rnn.apng.png", "rnn-slides.html", "rnn-worksheet.pdf"):
        assert (tmp_path / name).stat().st_size > 1000


@pytest.mark.parametrize("demo", [convolution, rnn, attention], ids=lambda m: m.__name__)
def test_the_listing_in_the_docs_is_the_one_the_demo_prints(demo: ModuleType) -> None:
    """docs/teaching.md quotes each demo's lecture-notation listing exactly as the demo prints it."""
    docs = (Path(__file__).parent.parent / "docs" / "teaching.md").read_text(encoding="utf-8")
    listing: str = demo.LISTING
    assert "```\n" + listing.strip() + "\n```" in docs
