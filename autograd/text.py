"""Seeing a graph without a picture: stable node names, number formatting and an indented text listing.

The names given here (a node's label, else ``n<i>`` for the node at index ``i`` of
``topological_order(root)``) are the ones the stepper, ``explain`` and ``draw_dot`` use too, so a
node is called the same thing in the terminal, in a drawing and on the web page.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Union

from autograd.rules import FORMULA_NAME, substitute
from autograd.value import Grad, Value, rule_of, topological_order

__all__ = ["NodeNames", "fmt", "label_text", "show", "tree"]


def fmt(x: float | Grad) -> str:
    """A number for people: ``3.0``, ``-0.5``, ``0.707107``, ``1.5e-08``; the same text on every run.

    Whole numbers keep one decimal (``3.0``, as Python prints floats); others get 6 significant digits.

    >>> fmt(3), fmt(-0.25), fmt(2 ** 0.5), fmt(float("inf"))
    ('3.0', '-0.25', '1.41421', 'inf')
    """
    x = float(x)
    if x == x and abs(x) != float("inf") and x.is_integer() and abs(x) < 1e15:
        return f"{x:.1f}"
    return f"{x:.6g}"


def label_text(node: Value) -> str | None:
    """The node's label as text, or None: ``str(label)``, so a non-str label assigned after construction still reads.

    >>> from autograd import Value
    >>> v = Value(1.0, label="x")
    >>> label_text(v), label_text(Value(2.0))
    ('x', None)
    >>> setattr(v, "label", 7)  # Value() refuses this; a later assignment is not checked
    >>> label_text(v)
    '7'
    """
    label = node.label
    if label is None or label == "":  # unlabelled ('' since micrograd's constructor; None from older code)
        return None
    return label if type(label) is str else str(label)


class NodeNames:
    """Stable, unique names for the nodes of one graph: the label, else ``n<i>`` (its index in topological order).

    A label shared by several nodes gets the index appended (``x[n3]``), so every name points at one node.
    ``names`` maps nodes to names to show instead of their labels (a notation, such as the one
    ``nn``'s ``MLP.lecture_names`` builds); the ids ``n<i>`` never change.

    >>> from autograd import Value
    >>> a = Value(2.0, label="a")
    >>> names = NodeNames(a * 3.0)
    >>> [names.name(n) for n in names.order]
    ['a', 'n1', 'n2']
    >>> named = NodeNames(a * 3.0, names={a: "x₁⁽¹⁾"})
    >>> [named.name(n) for n in named.order]
    ['x₁⁽¹⁾', 'n1', 'n2']
    """

    def __init__(self, root: Value, order: Sequence[Value] | None = None, *, names: Mapping[Value, str] | None = None) -> None:
        self.root = root
        #: The names given to show instead of labels (empty without ``names=``).
        self.display: Mapping[Value, str] = names if names is not None else {}
        #: ``topological_order(root)``: the node at index ``i`` is called ``n<i>`` in drawings and on the web page.
        self.order: list[Value] = list(order) if order is not None else topological_order(root)
        self.index: dict[Value, int] = {node: i for i, node in enumerate(self.order)}
        shown = [self.display.get(node, label_text(node)) for node in self.order]
        counts = Counter(label for label in shown if label is not None)
        self._names = [self._make_name(label, i, counts) for i, label in enumerate(shown)]

    @staticmethod
    def _make_name(label: str | None, i: int, counts: Counter[str]) -> str:
        if label is None:
            return f"n{i}"
        return label if counts[label] == 1 else f"{label}[n{i}]"

    def id(self, node: Value) -> str:
        """The node's id in drawings and JSON: ``n<i>``."""
        return f"n{self.index[node]}"

    def name(self, node: Value) -> str:
        """What to call the node in text: its label, else its id."""
        return self._names[self.index[node]]

    def ref(self, node: Value) -> str:
        """The name as it reads inside a formula: wrapped in parentheses if the label is not a plain word.

        >>> from autograd import Value
        >>> names = NodeNames(Value(1.0, label="x1*w1") + 1)
        >>> names.name(names.order[0]), names.ref(names.order[0])
        ('x1*w1', '(x1*w1)')
        """
        name = self._names[self.index[node]]
        return name if _PLAIN.match(name) else f"({name})"

    def data_ref(self, node: Value) -> str:
        """How a formula refers to the node's value: ``a.data``, or the number itself for a constant."""
        if node.op == "const" and not node.label:
            return fmt(node.data)
        return f"{self.ref(node)}.data"

    def operand(self, node: Value) -> str:
        """How an expression names the node as an operand: its name, or the number for a constant."""
        if node.op == "const" and not node.label:
            return fmt(node.data)
        return self.ref(node)

    def expression(self, node: Value) -> str:
        """The forward computation of ``node`` over its parents' names, e.g. ``a * b``, ``tanh(n)``, ``w0*x0 + b``."""
        parents = node.parents
        rule = rule_of(node)
        if rule is None:  # a custom op (a _backward closure, or an op no rule names): op(parents)
            return f"{node.op or 'op'}({', '.join(self.operand(p) for p in parents)})"
        formulas = rule.formulas(len(parents))
        return substitute(formulas.display, {name: self.operand(p) for name, p in zip(formulas.inputs, parents)})

    def local_formula(self, node: Value, k: int) -> str:
        """d node / d parent k as text over names, e.g. ``b.data`` for ``c = a * b`` and k = 0."""
        parents = node.parents
        rule = rule_of(node)
        if rule is None:  # a custom op's closure: the derivative has no formula, only its number
            return f"d{self.ref(node)}/d{self.ref(parents[k])}"
        formulas = rule.formulas(len(parents))
        formula = formulas.local[k]
        # Only the names this one formula uses are looked up: a sum of n terms costs O(1) per edge, not O(n).
        position = _positions(formulas.inputs)
        refs = {
            name: self.data_ref(parents[position[name]]) if name in position else f"{self.ref(node)}.data"
            for name in _names_in(formula)
            if name in position or name == "out"
        }
        return substitute(formula, refs)


# A label that reads as one name in a formula: letters, digits (sub- and superscript ones too), _,
# dots, superscript parentheses (the layer in w₁₃⁽²⁾) and an [n<i>] suffix.
_PLAIN = re.compile(r"^[\w.⁽⁾]+(?:\[n\d+\])?$")



@functools.lru_cache(maxsize=64)
def _positions(inputs: tuple[str, ...]) -> dict[str, int]:
    return {name: i for i, name in enumerate(inputs)}


def _names_in(formula: str) -> set[str]:
    return {m.group(1) for m in FORMULA_NAME.finditer(formula)}


# Indentation as a linked list of (segment, depth, rest): a deep graph costs O(levels shown) per line, not O(depth).
_Indent = Union[tuple[str, int, "_Indent"], None]

#: How many levels of indentation ``tree`` draws; deeper lines show the innermost levels after ``… ``.
TREE_INDENT_LEVELS = 24


def tree(root: Value, *, names: Mapping[Value, str] | None = None) -> str:
    """The graph of ``root`` as an indented listing, root first: each node's name, op, data and grad.

    A node reached a second time (a shared subexpression) is printed once and referred to after
    (``↑ e (see above)``), so the listing grows with the number of nodes, not of paths. It is a
    loop over an explicit stack, so very deep graphs are fine: past ``TREE_INDENT_LEVELS`` levels
    a line keeps only its innermost levels of indentation, marked by a leading ``… ``.
    ``names`` shows nodes by other names than their labels (see ``NodeNames``).

    >>> from autograd import Value
    >>> a = Value(2.0, label="a")
    >>> b = a * a
    >>> b.label = "b"
    >>> b.backward()
    >>> print(tree(b))
    b = a * a   data=4.0  grad=1.0
    ├── a   data=2.0  grad=4.0
    └── ↑ a (see above)
    """
    node_names = NodeNames(root, names=names)
    lines: list[str] = []
    seen: set[Value] = set()
    # Each entry: (node, its branch glyph, the indentation above it).
    stack: list[tuple[Value, str, _Indent]] = [(root, "", None)]
    while stack:
        node, branch, indent = stack.pop()
        prefix = _indent_text(indent) + branch
        if node in seen:
            lines.append(f"{prefix}↑ {node_names.name(node)} (see above)")
            continue
        seen.add(node)
        lines.append(prefix + _describe(node, node_names))
        parents = node.parents
        depth = indent[1] if indent is not None else 0
        # Pushed in reverse so that they pop, and print, in argument order.
        for k in range(len(parents) - 1, -1, -1):
            last = k == len(parents) - 1
            below: _Indent = indent if branch == "" else ("    " if branch == "└── " else "│   ", depth + 1, indent)
            stack.append((parents[k], "└── " if last else "├── ", below))
    return "\n".join(lines)


def _indent_text(indent: _Indent) -> str:
    segments: list[str] = []
    while indent is not None and len(segments) < TREE_INDENT_LEVELS:
        segments.append(indent[0])
        indent = indent[2]
    marker = "… " if indent is not None else ""
    return marker + "".join(reversed(segments))


def _describe(node: Value, names: NodeNames) -> str:
    numbers = f"data={fmt(node.data)}  grad={fmt(node.grad)}"
    if node.parents:
        return f"{names.ref(node)} = {names.expression(node)}   {numbers}"
    kind = "  (const)" if node.op == "const" else ""
    return f"{names.name(node)}{kind}   {numbers}"


def show(root: Value, *, names: Mapping[Value, str] | None = None) -> None:
    """Print ``tree(root, names=names)``: the graph as indented text, for a terminal without pictures.

    >>> from autograd import Value
    >>> show(Value(1.0, label="x") + 2)
    n2 = x + 2.0   data=3.0  grad=0.0
    ├── x   data=1.0  grad=0.0
    └── n1  (const)   data=2.0  grad=0.0
    """
    print(tree(root, names=names))
