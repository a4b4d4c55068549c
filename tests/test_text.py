"""Tests for autograd.seeing.text: stable names, number formatting and the indented tree listing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, show, topological_order, tree
from autograd.seeing.text import TREE_INDENT_LEVELS, NodeNames, fmt, label_text, printable
from autograd.testing import Expression, expressions
from demos.walkthrough import lecture_expression

ROOT = Path(__file__).resolve().parent.parent


def _build(expr: Expression) -> Value:
    return expr(*(Value(x, label=f"x{i}") for i, x in enumerate(expr.inputs)))


@given(expressions())
def test_tree_lists_every_node_once_and_refers_to_shared_ones(expr: Expression) -> None:
    """One full line per node; every further use of a node is one '(see above)' line naming it."""
    out = _build(expr)
    order = topological_order(out)
    names = NodeNames(out)
    lines = tree(out).splitlines()
    references = [line for line in lines if line.endswith("(see above)")]
    edges = sum(len(node.parents) for node in order)
    assert len(lines) - len(references) == len(order)
    # The root has no incoming edge; every edge prints its parent once, fully or as a reference.
    assert len(lines) == edges + 1
    full = [line for line in lines if not line.endswith("(see above)")]
    for node, line in zip(_preorder(out), full):
        assert f"{names.name(node)}" in line and f"data={fmt(node.data)}" in line


def _preorder(root: Value) -> list[Value]:
    seen: set[Value] = set()
    result = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        result.append(node)
        stack.extend(reversed(node.parents))
    return result


def test_tree_of_the_lecture_example() -> None:
    """L = (a*b + c) * f lists as an indented tree with labels, formulas, data and grads."""
    L = lecture_expression()["L"]
    L.backward()
    assert tree(L) == "\n".join(
        [
            "L = d * f   data=-8.0  grad=1.0",
            "├── d = e + c   data=4.0  grad=-2.0",
            "│   ├── e = a * b   data=-6.0  grad=-2.0",
            "│   │   ├── a   data=2.0  grad=6.0",
            "│   │   └── b   data=-3.0  grad=-4.0",
            "│   └── c   data=10.0  grad=-2.0",
            "└── f   data=-2.0  grad=4.0",
        ]
    )


def test_shared_subexpression_is_printed_once() -> None:
    """A node used twice is printed fully once, then referred to by name."""
    x = Value(1.5, label="x")
    s = x.tanh()
    y = s * s + s
    listing = tree(y)
    assert listing.count("tanh#1 = tanh(x)") == 1
    assert listing.count("↑ tanh#1 (see above)") == 2


def test_tree_handles_deep_graphs_with_bounded_lines() -> None:
    """A 30,000-op chain lists without recursion, and no line grows past the indentation cap."""
    x = Value(1.0, label="x")
    for _ in range(15_000):
        x = x * 1.0 + 1.0
    lines = tree(x).splitlines()
    assert len(lines) == 60_001
    assert max(len(line) for line in lines) < 4 * TREE_INDENT_LEVELS + 80
    deepest = next(line for line in lines if "x   data=1.0" in line)
    assert deepest.startswith("… ") and deepest.endswith("├── x   data=1.0  grad=0.0")


def test_a_non_str_label_assigned_later_reads_as_its_str() -> None:
    """A label set to a non-str after construction (unchecked) is shown as str(label) in names, formulas and the tree."""
    x = Value(2.0, label="x")
    x.label = 5  # type: ignore[assignment]
    y = x * x
    y.label = ("y", 1)  # type: ignore[assignment]
    names = NodeNames(y)
    assert [names.name(n) for n in names.order] == ["5", "('y', 1)"]
    assert names.local_formula(y, 0) == "5.data"
    assert tree(y).splitlines()[0] == "(('y', 1)) = 5 * 5   data=4.0  grad=0.0"


def test_duplicate_labels_get_their_index() -> None:
    """Two nodes labelled alike are told apart by their n<i> id; unique labels stay as they are."""
    a, b = Value(1.0, label="w"), Value(2.0, label="w")
    c = a + b
    c.label = "c"
    names = NodeNames(c)
    assert [names.name(n) for n in names.order] == ["w[n0]", "w[n1]", "c"]
    assert [names.id(n) for n in names.order] == ["n0", "n1", "n2"]


def test_fmt_is_short_and_exact_enough() -> None:
    """Whole numbers keep '.0', others 6 significant digits; inf and nan print as words."""
    assert [fmt(3), fmt(-2.0), fmt(0.1 + 0.2), fmt(1e-9), fmt(float("nan")), fmt(Value(0.5))] == [
        "3.0",
        "-2.0",
        "0.3",
        "1e-09",
        "nan",
        "0.5",
    ]


def test_show_prints_the_tree(capsys: pytest.CaptureFixture[str]) -> None:
    """show(v) prints exactly tree(v)."""
    v = Value(2.0, label="v").exp()
    show(v)
    assert capsys.readouterr().out == tree(v) + "\n"


def test_tree_is_identical_in_a_fresh_process() -> None:
    """The listing of the same program is byte-identical in another interpreter (no id()/hash order)."""
    program = (
        "from autograd import Value, tree\n"
        "x = Value(0.3, label='x'); y = Value(-1.2)\n"
        "z = (x * y + x.exp()) * (y - x).tanh() + 2\n"
        "z.backward()\n"
        "print(tree(z))\n"
    )
    command = [sys.executable, "-c", program]
    runs = [subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT) for _ in range(2)]
    namespace: dict[str, object] = {}
    exec(program.replace("print(tree(z))", "listing = tree(z)"), namespace)
    assert runs[0].stdout == runs[1].stdout == f"{namespace['listing']}\n"


def test_unlabelled_nodes_are_named_by_op_and_position() -> None:
    """A node with no label (None or '') is called <op>#<index>: add/mul/... for operators, leaf and const for leaves."""
    x = Value(2.0)
    x.label = ""  # the empty label reads as no label at all
    y = (x * 3.0).tanh() + x
    names = NodeNames(y)
    assert [names.name(n) for n in names.order] == ["leaf#0", "const#1", "mul#2", "tanh#3", "add#4"]
    assert names.ref(names.order[3]) == "tanh#3"  # a plain word inside a formula: no parentheses
    assert label_text(x) is None


def test_odd_labels_read_literally_on_one_line() -> None:
    """Control characters, newlines, tabs, a NUL, surrogates and noncharacters in a label are written as escapes."""
    assert printable("a\nb\tc\rd\x00\x01\x7f\x85\u2028\ufffe\uffff\ud800") == (
        "a\\nb\\tc\\rd\\x00\\x01\\x7f\\x85\\u2028\\ufffe\\uffff\\ud800"
    )
    assert printable("&amp; &#60; <b> é ∂ 😀") == "&amp; &#60; <b> é ∂ 😀"
    x = Value(1.0, label="line1\nline2\x00")
    names = NodeNames(x * 2.0)
    assert names.name(x) == "line1\\nline2\\x00"
    assert "\n" not in tree(x * 2.0).splitlines()[1]


@given(st.text())
def test_printable_text_has_no_unprintable_character(text: str) -> None:
    """Whatever the label, its printable form holds only characters valid in XML 1.0 and no line break."""
    shown = printable(text)
    assert all(c == "\t" or c >= " " for c in shown) and "\t" not in shown and "\n" not in shown
    assert not any("\ud800" <= c <= "\udfff" or c in "\ufffe\uffff\u2028\u2029" for c in shown)
    if all(" " <= c < "\x7f" and c != "\\" for c in text):
        assert shown == text
