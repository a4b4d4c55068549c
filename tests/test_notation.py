"""nn.notation: the 3→5→1 network of demos.feedforward drawn, listed and stepped in the lecture's names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autograd import Backprop, Value, draw_dot, topological_order, tree
from nn import MLP
from nn.notation import bias_name, lecture_names, state_name, weight_name

LECTURE = Path("/work/shared/lecture-how-neural-networks-work.txt")
if not LECTURE.exists():  # the lecture ships with the project's shared material, next to the repository
    LECTURE = Path(__file__).resolve().parents[2] / "shared" / "lecture-how-neural-networks-work.txt"

# The lecture's symbols in its LaTeX: w_{mn}^{(i)}, b_m^{(i)}, x_j^{(i)}.
_WEIGHT = re.compile(r"w_\{(\d)(\d)\}\^\{\((\d)\)\}")
_BIAS = re.compile(r"b_(\d)\^\{\((\d)\)\}")
_STATE = re.compile(r"x_(\d)\^\{\((\d)\)\}")
_TERM = re.compile(rf"{_WEIGHT.pattern} {_STATE.pattern}|{_BIAS.pattern}")


def _lecture_equations() -> list[tuple[str, str]]:
    """Each written-out neuron equation of the lecture as (state, weighted sum), in valuegrad's Unicode names.

    ``x_1^{(2)} &= f(w_{11}^{(2)} x_1^{(1)} + ... + b_1^{(2)})`` becomes
    ``("x₁⁽²⁾", "w₁₁⁽²⁾*x₁⁽¹⁾ + ... + b₁⁽²⁾")``; only the written-out form is read, not the Σ form.
    """
    if not LECTURE.exists():
        pytest.skip(f"the lecture text is not at {LECTURE}")
    equations = []
    for line in LECTURE.read_text(encoding="utf-8").splitlines():
        block = re.match(r"^\$\$\\begin\{aligned\}" + _STATE.pattern + r" &= f \\left\((.*?)&= f \\left\(\\sum", line)
        if not block:
            continue
        state = state_name(int(block.group(2)), int(block.group(1)))
        terms = []
        for term in _TERM.finditer(block.group(3)):
            if term.group(1):
                m, n, i, j, i_before = (int(g) for g in term.groups()[:5])
                assert (n, i - 1) == (j, i_before), "the lecture's w_mn^(i) multiplies x_n^(i-1)"
                terms.append(f"{weight_name(i, m, n)}*{state_name(i_before, j)}")
            else:
                terms.append(bias_name(int(term.group(7)), int(term.group(6))))
        equations.append((state, " + ".join(terms)))
    return equations


def _feedforward_network() -> tuple[MLP, Value, dict[Value, str]]:
    """demos.feedforward's network (3 → 5 → 1, tanh everywhere) on one input, with its lecture names."""
    model = MLP(3, [5, 1], activation="tanh", output_activation="tanh", seed=0)
    out = model([0.5, -1.0, 2.0])
    assert isinstance(out, Value)
    return model, out, model.lecture_names(out)


def test_the_lecture_has_the_equations_this_test_reads() -> None:
    """Four neuron equations: x₁⁽²⁾, x₂⁽²⁾, x₃⁽²⁾ of the hidden layer and x₁⁽³⁾ = y over five hidden states."""
    equations = _lecture_equations()
    assert [state for state, _ in equations] == ["x₁⁽²⁾", "x₂⁽²⁾", "x₃⁽²⁾", "x₁⁽³⁾"]
    assert equations[0][1] == "w₁₁⁽²⁾*x₁⁽¹⁾ + w₁₂⁽²⁾*x₂⁽¹⁾ + w₁₃⁽²⁾*x₃⁽¹⁾ + b₁⁽²⁾"
    assert equations[3][1].count("*") == 5


def test_the_text_view_writes_the_lectures_equations() -> None:
    """tree(names=...) lists each neuron as the lecture writes it: x_m^(i) = tanh(Σ_n w_mn^(i) x_n^(i-1) + b_m^(i))."""
    _, out, names = _feedforward_network()
    listing = tree(out, names=names)
    for state, weighted_sum in _lecture_equations():
        line = re.search(rf"{re.escape(state)} = tanh\((dot#\d+)\)", listing)
        assert line, state
        assert f"{line.group(1)} = {weighted_sum}   data=" in listing


def test_the_stepper_states_the_chain_rule_in_the_lectures_names() -> None:
    """Backprop(names=...) says ∂/∂w₁₁⁽³⁾ of the sum is x₁⁽²⁾, times the sum's gradient, as the lecture's indices say."""
    model, out, names = _feedforward_network()
    bp = Backprop(out, names=names)
    first, second = bp.step(), bp.step()
    assert str(first).startswith("x₁⁽³⁾ = tanh(")
    assert "w₁₁⁽³⁾*x₁⁽²⁾ + w₁₂⁽³⁾*x₂⁽²⁾" in second.header
    assert re.search(r"dot: ∂dot#\d+/∂w₁₁⁽³⁾ = x₁⁽²⁾ = ", str(second))
    assert re.search(r"w₁₁⁽³⁾\.grad \+= ∂dot#\d+/∂w₁₁⁽³⁾ · dot#\d+\.grad", str(second))
    assert re.search(r"dot: ∂dot#\d+/∂x₅⁽²⁾ = w₁₅⁽³⁾ = ", str(second))
    steps = bp.run()
    hidden = next(step for step in steps if step.header.startswith("dot#") and "b₁⁽²⁾" in step.header)
    assert re.search(r"∂dot#\d+/∂w₁₃⁽²⁾ = x₃⁽¹⁾ = ", str(hidden))
    assert all(bp.names.name(p) == names[p] for p in model.parameters())


def test_the_drawing_shows_the_lectures_names_with_the_same_ids() -> None:
    """draw_dot(names=...) draws every parameter and state by its lecture name; node ids stay n<i>."""
    model, out, names = _feedforward_network()
    plain, named = draw_dot(out).source, draw_dot(out, names=names).source
    assert re.sub(r'label="\{[^|]*\|', "", plain) == re.sub(r'label="\{[^|]*\|', "", named)
    order = topological_order(out)
    for node, name in names.items():
        assert f'\tn{order.index(node)} [label="{{{name}|' in named
    assert len(names) == len(model.parameters()) + 3 + 5 + 1


def test_a_stepper_drawing_takes_its_names_from_the_stepper() -> None:
    """With a stepper the names come from Backprop(names=...); different names given to draw_dot are refused."""
    _, out, names = _feedforward_network()
    bp = Backprop(out, names=names)
    assert "x₁⁽³⁾" in draw_dot(out, stepper=bp).source
    with pytest.raises(ValueError, match="Backprop"):
        draw_dot(out, stepper=Backprop(out), names=names)


def test_wide_layers_separate_the_indices() -> None:
    """From index 10 on, w_mn reads w₁₂,₃ (m = 12, n = 3), never the ambiguous w₁₂₃."""
    model = MLP(12, [11, 1], seed=0)
    names = model.lecture_names()
    assert names[model.layers[0].neurons[10].w[11]] == "w₁₁,₁₂⁽²⁾"
    assert names[model.layers[1].neurons[0].w[10]] == "w₁,₁₁⁽³⁾"
    assert names[model.layers[1].neurons[0].b] == "b₁⁽³⁾"


def test_lecture_names_without_a_graph_name_the_parameters_only() -> None:
    """Without a root the mapping holds the parameters; with a batch graph each sample's inputs share a name, shown apart."""
    model = MLP(3, [5, 1], seed=0)
    assert set(lecture_names(model)) == set(model.parameters())
    outs = [model.outputs(x)[0] for x in ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])]
    loss = outs[0] + outs[1]
    listing = tree(loss, names=model.lecture_names(loss))
    assert re.search(r"x₁⁽¹⁾\[n\d+\]", listing)


def test_the_feedforward_demo_steps_one_example_in_the_lectures_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """python -m demos.feedforward --notation prints the chain rule down to w_1n^(3) and draws the named graph."""
    from demos import feedforward

    assert feedforward.main(["--quick", "--notation", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "One example in the lecture's names" in printed
    for n in range(1, 6):
        assert re.search(rf"∂dot#\d+/∂w₁{'₀₁₂₃₄₅'[n]}⁽³⁾ = x{'₀₁₂₃₄₅'[n]}⁽²⁾ = ", printed)
    svg = (tmp_path / "feedforward_notation.svg").read_text(encoding="utf-8")
    assert all(f">{name}</text>" in svg for name in ("w₁₃⁽²⁾", "b₅⁽²⁾", "x₃⁽¹⁾", "x₁⁽³⁾", "L"))


def test_explain_uses_the_lectures_names() -> None:
    """explain(x₁⁽²⁾, y, names=...) sums its one use in the output neuron, named as the lecture names it."""
    from autograd import explain

    _, out, names = _feedforward_network()
    out.backward()
    state = next(node for node, name in names.items() if name == "x₁⁽²⁾")
    text = str(explain(state, out, names=names))
    assert text.startswith("x₁⁽²⁾.grad = ")
    assert re.search(r"dot#\d+ = w₁₁⁽³⁾\*x₁⁽²⁾ \+ .* →  ∂dot#\d+/∂x₁⁽²⁾ · dot#\d+\.grad = w₁₁⁽³⁾ · dot#\d+\.grad = ", text)
