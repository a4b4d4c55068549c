"""Seeing a graph without a picture: stable node names, number formatting and an indented text listing.

The names given here (a node's label, else its op and position, ``tanh#3`` for the unlabelled
``tanh`` node at index 3 of ``topological_order(root)``) are the ones the stepper, ``explain`` and
``draw_dot`` use too, so a node is called the same thing in the terminal, in a drawing and on the
web page. ``fmt`` is the one number format of all of them.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Union

from autograd.rules import FORMULA_NAME, Formulas, substitute
from autograd.value import Grad, Value, rule_of, topological_order

__all__ = ["NodeNames", "fmt", "label_text", "printable", "show", "tree"]


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
    """The node's label as text, or None when it has none (``''`` and None alike): ``str(label)`` for a non-str label.

    >>> from autograd import Value
    >>> v = Value(1.0, label="x")
    >>> label_text(v), label_text(Value(2.0)), label_text(Value(3.0, label=""))
    ('x', None, None)
    >>> setattr(v, "label", 7)  # Value() refuses this; a later assignment is not checked
    >>> label_text(v)
    '7'
    """
    label = node.label
    if label is None or label == "":
        return None
    return label if type(label) is str else str(label)


# Characters that would change or break what is drawn if shown as they are: control characters (a
# NUL ends Graphviz's strings; most are not allowed in XML), surrogates, line and paragraph
# separators, and the noncharacters (U+FFFE is not allowed in XML either).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_NAMED_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group(0)
    named = _NAMED_ESCAPES.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character that cannot be shown as it is written the way Python writes it in a string.

    Newlines, tabs, NULs and other control characters, surrogates and noncharacters become
    ``\\n``, ``\\t``, ``\\x00``, ``\\ufffe`` ..., so a label reads on one line, literally, in the
    terminal, a drawing and the web page (and the page's SVG stays valid XML). Anything else,
    including ``&amp;`` and ``<``, is left as it is: the places that show it escape it.

    >>> print(printable("a\\nb\\t&amp;\\x00\\ufffe"))
    a\\nb\\t&amp;\\x00\\ufffe
    """
    return _UNPRINTABLE.sub(_escape_char, text)


#: The word for an operator in the name of an unlabelled node (``mul#4``); other ops are words already.
OP_WORDS: dict[str, str] = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "": "leaf"}


class NodeNames:
    """Stable, unique names for the nodes of one graph: the label, else the op and the node's position.

    An unlabelled node at index ``i`` of the topological order is ``<op>#<i>`` (``tanh#3``,
    ``mul#2``, ``const#1``; ``leaf#0`` for an unlabelled input), so the number is also its id
    ``n<i>`` in drawings. A label shared by several nodes gets the id appended (``x[n3]``), so every
    name points at one node. Labels are shown ``printable``: a newline reads as ``\\n``.
    ``names`` maps nodes to names to show instead of their labels (a notation, such as the one
    ``nn``'s ``MLP.lecture_names`` builds); the ids ``n<i>`` never change.

    >>> from autograd import Value
    >>> a = Value(2.0, label="a")
    >>> names = NodeNames(a * 3.0)
    >>> [names.name(n) for n in names.order]
    ['a', 'const#1', 'mul#2']
    >>> named = NodeNames(a * 3.0, names={a: "x₁⁽¹⁾"})
    >>> [named.name(n) for n in named.order]
    ['x₁⁽¹⁾', 'const#1', 'mul#2']
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
        self._names = [self._make_name(node, label, i, counts) for i, (node, label) in enumerate(zip(self.order, shown))]
        self._expressions: dict[Value, str] = {}
        self._positions: dict[int, tuple[Formulas, dict[str, int]]] = {}
        self._uses: dict[Value, list[tuple[Value, int]]] | None = None

    @staticmethod
    def _make_name(node: Value, label: str | None, i: int, counts: Counter[str]) -> str:
        if label is None:
            return f"{OP_WORDS.get(node.op, node.op)}#{i}"
        return printable(label) if counts[label] == 1 else f"{printable(label)}[n{i}]"

    def uses(self, node: Value) -> list[tuple[Value, int]]:
        """Every use of ``node``: ``(child, k)`` with ``node`` as the child's k-th input, in the order backward processes them.

        The index of all uses is built once per graph, so asking for every node costs O(edges), not O(nodes²).

        >>> from autograd import Value
        >>> a = Value(1.0, label="a")
        >>> b = a * a; b.label = "b"
        >>> [(NodeNames(b).name(child), k) for child, k in NodeNames(b).uses(a)]
        [('b', 0), ('b', 1)]
        """
        if self._uses is None:
            uses: dict[Value, list[tuple[Value, int]]] = {}
            for child in reversed(self.order):
                for k, parent in enumerate(child.parents):
                    uses.setdefault(parent, []).append((child, k))
            self._uses = uses
        return self._uses.get(node, [])

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
        if node.op == "const" and label_text(node) is None:
            return fmt(node.data)
        return f"{self.ref(node)}.data"

    def operand(self, node: Value) -> str:
        """How an expression names the node as an operand: its name, or the number for a constant."""
        if node.op == "const" and label_text(node) is None:
            return fmt(node.data)
        return self.ref(node)

    def expression(self, node: Value) -> str:
        """The forward computation of ``node`` over its parents' names, e.g. ``a * b``, ``tanh(n)``, ``w0*x0 + b``."""
        # Kept: explain asks for a child's expression once per use, and a sum of n terms has n uses.
        known = self._expressions.get(node)
        if known is not None:
            return known
        parents = node.parents
        rule = rule_of(node)
        if rule is None:  # a custom op (a _backward closure, or an op no rule names): op(parents)
            text = f"{node.op or 'op'}({', '.join(self.operand(p) for p in parents)})"
        else:
            formulas = rule.formulas(len(parents))
            text = substitute(formulas.display, {name: self.operand(p) for name, p in zip(formulas.inputs, parents)})
        self._expressions[node] = text
        return text

    def short_expression(self, node: Value, limit: int = 72) -> str:
        """``expression(node)``, cut after about ``limit`` characters with how many inputs it has (``a + b + … (500 inputs)``).

        Explaining each of a big sum's inputs quotes the sum: cut, that stays linear in the graph's size.

        >>> from autograd import Value, vsum
        >>> xs = [Value(float(i), label=f"x{i}") for i in range(100)]
        >>> s = vsum(xs)
        >>> NodeNames(s).short_expression(s, limit=20)
        'x0 + x1 + x2 + x3 + … (100 inputs)'
        """
        text = self.expression(node)
        if len(text) <= limit:
            return text
        cut = text.rfind(" ", 0, limit)
        return f"{text[: cut if cut > 0 else limit]} … ({len(node.parents)} inputs)"

    def local_formula(self, node: Value, k: int) -> str:
        """d node / d parent k as text over names, e.g. ``b.data`` for ``c = a * b`` and k = 0."""
        parents = node.parents
        rule = rule_of(node)
        if rule is None:  # a custom op's closure: the derivative has no formula, only its number
            return f"d{self.ref(node)}/d{self.ref(parents[k])}"
        formulas = rule.formulas(len(parents))
        formula = formulas.local[k]
        # Only the names this one formula uses are looked up: a sum of n terms costs O(1) per edge, not O(n).
        # (Kept by the formulas' identity: hashing their n input names on every edge would cost O(n) again.)
        kept = self._positions.get(id(formulas))
        if kept is None or kept[0] is not formulas:
            kept = self._positions[id(formulas)] = (formulas, _positions(formulas.inputs))
        position = kept[1]
        refs = {
            name: self.data_ref(parents[position[name]]) if name in position else f"{self.ref(node)}.data"
            for name in _names_in(formula)
            if name in position or name == "out"
        }
        return substitute(formula, refs)


# A name that reads as one word in a formula: letters, digits (sub- and superscript ones too), _, dots,
# superscript parentheses (the layer in w₁₃⁽²⁾) and an [n<i>] or #<i> suffix.
_PLAIN = re.compile(r"^[\w.⁽⁾]+(?:\[n\d+\]|#\d+)?$")



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
    # An unlabelled constant's name says so already (const#1).
    kind = "  (const)" if node.op == "const" and label_text(node) is not None else ""
    return f"{names.name(node)}{kind}   {numbers}"


def show(root: Value, *, names: Mapping[Value, str] | None = None) -> None:
    """Print ``tree(root, names=names)``: the graph as indented text, for a terminal without pictures.

    >>> from autograd import Value
    >>> show(Value(1.0, label="x") + 2)
    add#2 = x + 2.0   data=3.0  grad=0.0
    ├── x   data=1.0  grad=0.0
    └── const#1   data=2.0  grad=0.0
    """
    print(tree(root, names=names))
