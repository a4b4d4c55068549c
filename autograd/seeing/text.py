"""Seeing a graph without a picture: an indented text listing of a view, with the names and numbers of every renderer.

The names (a node's label, else its op and position, ``tanh#3``) come from the view
(``autograd.seeing.view``), the numbers from ``autograd.seeing.numbers.fmt``, the escaping from
``autograd.seeing.quoting``: a node is called and written the same in the terminal, in a drawing and
on the web page. ``NodeNames``, ``fmt``, ``label_text`` and ``printable`` are importable from here as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Union

from autograd.seeing.numbers import fmt
from autograd.seeing.quoting import printable
from autograd.seeing.style import STATE_WORDS
from autograd.seeing.view import OP_WORDS, Collapse, GraphView, label_text
from autograd.value import Value

if TYPE_CHECKING:
    from autograd.seeing.stepper import Backprop

__all__ = ["OP_WORDS", "NodeNames", "fmt", "label_text", "printable", "show", "tree"]

#: The names of a graph's nodes: the view, which owns them (kept under its old name).
NodeNames = GraphView


# Indentation as a linked list of (segment, depth, rest): a deep graph costs O(levels shown) per line, not O(depth).
_Indent = Union[tuple[str, int, "_Indent"], None]

#: How many levels of indentation ``tree`` draws; deeper lines show the innermost levels after ``… ``.
TREE_INDENT_LEVELS = 24


def tree(
    root: Value | GraphView,
    *,
    names: Mapping[Value, str] | None = None,
    parameters: Iterable[Value] = (),
    collapse: Collapse = None,
    clusters: bool = True,
    stepper: Backprop | None = None,
) -> str:
    """The graph of ``root`` as an indented listing, root first: each node's name, op, data and grad.

    A node reached a second time (a shared subexpression) is printed once and referred to after
    (``↑ e (see above)``), so the listing grows with the number of nodes, not of paths. It is a
    loop over an explicit stack, so very deep graphs are fine: past ``TREE_INDENT_LEVELS`` levels
    a line keeps only its innermost levels of indentation, marked by a leading ``… ``.
    ``names`` shows nodes by other names than their labels; every view option is accepted (``GraphView``).
    ``stepper`` (a ``Backprop``) adds each node's step state in the words of the drawings and the page
    (``autograd.seeing.style.STATE_WORDS``: ``[next]``, ``[done]``, ``[grad not final yet]`` ...).

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
    if stepper is not None:
        node_names = stepper.view
    else:
        node_names = GraphView.of(root, names=names, parameters=parameters, collapse=collapse, clusters=clusters)
    root = node_names.root
    position = len(stepper.history) if stepper is not None else None
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
        state = f"   [{STATE_WORDS[node_names.state(node, position)]}]" if position is not None else ""
        lines.append(prefix + _describe(node, node_names) + state)
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


def _describe(node: Value, names: GraphView) -> str:
    numbers = f"data={fmt(node.data)}  grad={fmt(node.grad)}"
    if node.parents:
        return f"{names.ref(node)} = {names.expression(node)}   {numbers}"
    # An unlabelled constant's name says so already (const#1).
    kind = "  (const)" if node.op == "const" and names.is_named(node) else ""
    return f"{names.name(node)}{kind}   {numbers}"


def show(
    root: Value | GraphView,
    *,
    names: Mapping[Value, str] | None = None,
    parameters: Iterable[Value] = (),
    collapse: Collapse = None,
    clusters: bool = True,
    stepper: Backprop | None = None,
) -> None:
    """Print ``tree(root, ...)``: the graph as indented text, for a terminal without pictures (same options).

    >>> from autograd import Value
    >>> show(Value(1.0, label="x") + 2)
    add#2 = x + 2.0   data=3.0  grad=0.0
    ├── x   data=1.0  grad=0.0
    └── const#1   data=2.0  grad=0.0
    """
    print(tree(root, names=names, parameters=parameters, collapse=collapse, clusters=clusters, stepper=stepper))
