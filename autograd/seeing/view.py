"""The one description of a graph being viewed, built in one walk; every renderer takes it.

``GraphView.of(root, names=None, parameters=(), collapse=None, clusters=True)`` walks ``root``'s graph
once (``topological_order``) and computes, from that list only, everything a renderer needs. It is
frozen: build a new view to see a changed graph or other options. Renderers (``tree``, ``draw_dot``,
``Backprop``, ``Trace``, the page, the notebook) accept a view where they accept a root; given a root
they build one with the same keyword options.

API (``view = GraphView.of(root, ...)``):

- ``view.root``, ``view.order`` (topological, leaves included, root last), ``view.index[node]``
  (position in ``order``), ``len(view)``, ``node in view``; ``view.options`` (the options it was built with).
- Names, one naming for every renderer: ``view.name(node)`` (label, the ``names=`` given, e.g. the
  lecture's from ``nn.notation``, else ``<op>#<i>``; a label shared by several nodes gets ``[n<i>]``),
  ``view.ref(node)`` (parenthesised if not one word), ``view.expression(node)`` (``a*b``,
  ``tanh(n)``: the same text in the tree, the drawing and the steps), ``view.short_expression(node)``,
  ``view.local_formula(node, k)`` (d node / d parent k over ``.data`` names: ``b.data``),
  ``view.readable(node, k, numbers=False)`` (the same as mathematics from the rule's ``readable``
  field: ``1 − o²``, or with numbers ``1 − 0.707107²``), ``view.partial(node, k)`` (``∂o/∂n``).
- Roles: ``view.role(node)`` in ``"input" | "parameter" | "constant" | "intermediate" | "output"``.
- Structure: ``view.uses(node)`` (``(child, k)`` pairs, in the order backward processes them),
  ``view.children(node)``, ``view.schedule`` (the nodes backward processes, in order),
  ``view.step_of(node)`` (its index in ``schedule`` or None), ``view.final_at(node)`` (how many steps
  until its grad is final), ``view.state(node, position)`` (its step state after ``position`` steps,
  one of ``autograd.seeing.style.STEP_STATES``).
- Groups: ``view.groups`` (every neuron and layer ``Box`` in order of first appearance, a layer before
  its neurons), ``view.group_box(node)`` (the innermost box a node belongs to), ``view.boxes`` (the
  boxes drawn collapsed with ``collapse=``), ``view.collapsed_into(node)`` (the collapsed box that
  stands for a hidden node, or None). A ``Box`` has ``group``, ``id``, ``kind``, ``title``,
  ``members``, ``parent`` (its layer's box), ``parameters`` and ``outputs``.
- Ids, the one scheme of drawings, SVG and the page's JSON: ``view.node_id(node_or_i)`` (``n<i>``),
  ``view.op_id(node_or_i)`` (``n<i>_op``), ``view.edge_id(node_or_i, k)`` (``n<i>_in<k>``: parent k
  into the op node), ``view.out_edge_id(node_or_i)`` (``n<i>_out``), ``view.field_id(node_or_i,
  field)`` (``n<i>_grad``, ``n<i>_data``: a record's fields), ``view.crossing_id(source, target)``
  (an edge between collapsed boxes) and ``Box.id``.
- ``view.to_dict()``: the JSON-ready structure (numbers encoded by ``autograd.seeing.numbers.json_number``).

``walks()`` counts the graph walks views have made, so tests can check a render walks once.

>>> from autograd import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = a * b; c.label = "c"
>>> view = GraphView.of(c.tanh())
>>> [view.name(n) for n in view.order], view.role(a), view.expression(view.root)
(['a', 'b', 'c', 'tanh#3'], 'input', 'tanh(c)')
>>> view.node_id(c), view.edge_id(c, 1), view.readable(view.root, 0), view.partial(view.root, 0)
('n2', 'n2_in1', '1 − tanh#3²', '∂tanh#3/∂c')
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union

from autograd.rules import FORMULA_NAME, RULES, Formulas, Rule, substitute
from autograd.seeing.groups import Group, group_of
from autograd.seeing.numbers import fmt, json_number
from autograd.seeing.quoting import printable
from autograd.value import Value, rule_of, topological_order

__all__ = [
    "OP_WORDS",
    "Box",
    "Collapse",
    "GraphView",
    "Role",
    "StepState",
    "ViewOptions",
    "label_text",
    "walks",
]

Role = Literal["input", "parameter", "constant", "intermediate", "output"]
StepState = Literal["current", "updated", "done", "next", "pending"]
Collapse = Union[Literal["neuron", "layer"], None]

#: The word for an operator in the name of an unlabelled node (``mul#4``); other ops are words already.
OP_WORDS: dict[str, str] = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "": "leaf"}

_WALKS = [0]


def walks() -> int:
    """How many graph walks views have made in this process (one per ``GraphView.of(root)``).

    >>> from autograd import Value
    >>> before = walks(); _ = GraphView.of(Value(1.0) + 2); walks() - before
    1
    """
    return _WALKS[0]


def label_text(node: Value) -> str | None:
    """The node's label as text, or None when it has none (``''`` and None alike): ``str(label)`` for a non-str label.

    >>> from autograd import Value
    >>> v = Value(1.0, label="x")
    >>> label_text(v), label_text(Value(2.0)), label_text(Value(3.0, label=""))
    ('x', None, None)
    """
    label = node.label
    if label is None or label == "":
        return None
    return label if type(label) is str else str(label)


@dataclass(frozen=True)
class ViewOptions:
    """The options every view (and so every renderer) accepts."""

    #: Names to show instead of labels (a notation, such as ``nn``'s ``lecture_names``).
    names: Mapping[Value, str] | None = None
    #: Leaves to show as parameters beside those a model library grouped (``autograd.seeing.groups``).
    parameters: frozenset[Value] = frozenset()
    #: Draw each neuron or each layer as one box.
    collapse: Collapse = None
    #: Draw groups as clusters (when not collapsed).
    clusters: bool = True

    def same(self, other: ViewOptions) -> bool:
        """Whether two option sets describe the same view (names compared by content)."""
        return (
            dict(self.names or {}) == dict(other.names or {})
            and self.parameters == other.parameters
            and self.collapse == other.collapse
            and self.clusters == other.clusters
        )


@dataclass(frozen=True, eq=False, repr=False)
class Box:
    """A group of a model (a neuron, the layer around it) as drawn: a cluster, or one box when collapsed."""

    group: Group
    #: Its id in drawings and the page (``<kind>_<name>``, ``_2`` ... for a second group of that id).
    id: str
    #: The nodes inside it, in topological order (a layer's: all its neurons').
    members: tuple[Value, ...]
    #: The box of the group around it (a neuron's layer), or None.
    parent: Box | None
    #: Its leaves (the group's weights and bias).
    parameters: tuple[Value, ...]
    #: Its computed members no other member uses: what leaves the box.
    outputs: tuple[Value, ...]
    #: The boxes of the groups inside it (a layer's neurons).
    inner: tuple[Box, ...] = ()

    @property
    def kind(self) -> str:
        """What the group is called in the legend: its kind (``neuron``, ``layer``)."""
        return self.group.kind

    def __repr__(self) -> str:
        return f"<Box {self.id}: {len(self.members)} nodes>"

    @property
    def title(self) -> str:
        """The group's name as drawn (its kind for a nameless group, such as a lone neuron), printable."""
        return printable(self.group.name or self.group.kind)


# A name that reads as one word in a formula: letters, digits (sub- and superscript ones too), _, dots,
# superscript parentheses (the layer in w₁₃⁽²⁾) and an [n<i>] or #<i> suffix.
_PLAIN = re.compile(r"^[\w.⁽⁾]+(?:\[n\d+\]|#\d+)?$")
# A rule's display formula that is one call of one input: tanh(x), x.exp() is not one.
_CALL_OF_ONE = re.compile(r"^\w+\(\w+\)$")
# A number as it reads without parentheses in a formula: not negative, not scientific.
_PLAIN_NUMBER = re.compile(r"^[0-9.]+$|^nan$|^inf$")


class GraphView:
    """A frozen view of ``root``'s graph: order, names, roles, uses, groups and ids (see the module docstring).

    Build it with ``GraphView.of(root, ...)``; it walks the graph once.
    """

    __slots__ = (
        "_box_of",
        "_boxes",
        "_collapsed",
        "_expressions",
        "_final_at",
        "_groups",
        "_names",
        "_positions",
        "_refs",
        "_parent_set",
        "_roles",
        "_step_of",
        "_uses",
        "display",
        "index",
        "options",
        "order",
        "root",
        "schedule",
    )

    root: Value
    order: tuple[Value, ...]
    index: Mapping[Value, int]
    options: ViewOptions
    display: Mapping[Value, str]
    schedule: tuple[Value, ...]
    _names: tuple[str, ...]
    _roles: tuple[Role, ...]
    _uses: dict[Value, tuple[tuple[Value, int], ...]]
    _step_of: dict[Value, int]
    _final_at: dict[Value, int]
    _groups: tuple[Box, ...]
    _box_of: dict[Value, Box]
    _collapsed: dict[Value, Box]
    _boxes: tuple[Box, ...]
    _expressions: dict[Value, str]
    _positions: dict[int, tuple[Formulas, dict[str, int]]]
    _refs: list[str | None]
    _parent_set: tuple[int, frozenset[Value]] | None

    def __init__(
        self,
        root: Value,
        *,
        names: Mapping[Value, str] | None = None,
        parameters: Iterable[Value] = (),
        collapse: Collapse = None,
        clusters: bool = True,
    ) -> None:
        if collapse not in (None, "neuron", "layer"):
            raise ValueError(f"GraphView: collapse must be None, 'neuron' or 'layer', got {collapse!r}")
        put = functools.partial(object.__setattr__, self)
        options = ViewOptions(names, frozenset(parameters), collapse, clusters)
        put("root", root)
        put("options", options)
        put("display", names if names is not None else {})
        _WALKS[0] += 1
        order = tuple(topological_order(root))  # the one walk: everything below loops over this list
        put("order", order)
        index = {node: i for i, node in enumerate(order)}
        put("index", index)
        shown = [self.display.get(node, label_text(node)) for node in order]
        counts = Counter(label for label in shown if label is not None)
        put("_names", tuple(_make_name(node, label, i, counts) for i, (node, label) in enumerate(zip(order, shown))))
        uses: dict[Value, list[tuple[Value, int]]] = {}
        for child in reversed(order):
            for k, parent in enumerate(child.parents):
                uses.setdefault(parent, []).append((child, k))
        put("_uses", {node: tuple(u) for node, u in uses.items()})
        schedule = tuple(node for node in reversed(order) if node.parents)
        put("schedule", schedule)
        put("_step_of", {node: i for i, node in enumerate(schedule)})
        # How many steps must be taken before a node's grad is final: one past its last consumer's step.
        final_at = dict.fromkeys(order, 0)
        for i, node in enumerate(schedule):
            for parent in node.parents:
                final_at[parent] = i + 1
        put("_final_at", final_at)
        membership = self._memberships()
        groups, box_of = _make_boxes(order, membership, self._uses)
        put("_groups", groups)
        put("_box_of", box_of)
        collapsed: dict[Value, Box] = {}
        boxes: list[Box] = []
        if collapse is not None:
            for node in order:
                box = box_of.get(node)
                if box is None:
                    continue
                target = box.parent if collapse == "layer" and box.parent is not None else box
                collapsed[node] = target
                if target not in boxes:
                    boxes.append(target)
        put("_collapsed", collapsed)
        put("_boxes", tuple(boxes))
        marked = options.parameters
        roles: list[Role] = []
        for node in order:
            if node is root:
                roles.append("output")
            elif node.op == "const":
                roles.append("constant")
            elif node.parents:
                roles.append("intermediate")
            elif node in marked or node in membership or group_of(node) is not None:
                roles.append("parameter")
            else:
                roles.append("input")
        put("_roles", tuple(roles))
        put("_expressions", {})
        put("_positions", {})
        put("_refs", [None] * len(order))
        put("_parent_set", None)  # each name as a formula reads it, made on first use

    @classmethod
    def of(
        cls,
        root: Value | GraphView,
        *,
        names: Mapping[Value, str] | None = None,
        parameters: Iterable[Value] = (),
        collapse: Collapse = None,
        clusters: bool = True,
    ) -> GraphView:
        """The view of ``root`` with these options; a view given instead of a root is returned as it is.

        A view given with options that differ from its own is an error: the options belong to the view.

        >>> from autograd import Value
        >>> view = GraphView.of(Value(1.0, label="x") * 2)
        >>> GraphView.of(view) is view
        True
        """
        if isinstance(root, GraphView):
            asked = ViewOptions(names, frozenset(parameters), collapse, clusters)
            if not root.options.same(asked) and asked != ViewOptions():
                raise ValueError(
                    "GraphView.of: a view was given with other options than its own; "
                    "build it with those options (GraphView.of(root, names=..., ...)) instead"
                )
            return root
        if not isinstance(root, Value):
            raise TypeError(f"GraphView.of: expected a Value (the root of a graph) or a GraphView, got {type(root).__name__}")
        return cls(root, names=names, parameters=parameters, collapse=collapse, clusters=clusters)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"GraphView is frozen: build a new view (GraphView.of(root, ...)) instead of setting {name!r}")

    def __len__(self) -> int:
        return len(self.order)

    def __contains__(self, node: object) -> bool:
        return node in self.index

    def __repr__(self) -> str:
        return f"<GraphView of {self.name(self.root)}: {len(self.order)} nodes, {len(self.schedule)} steps>"

    # ----------------------------------------------------------------------------- ids

    def _i(self, node: Value | int) -> int:
        return node if isinstance(node, int) else self.index[node]

    def node_id(self, node: Value | int) -> str:
        """The node's id in drawings, SVG and JSON: ``n<i>``, ``i`` its position in ``order``."""
        return f"n{self._i(node)}"

    id = node_id

    def op_id(self, node: Value | int) -> str:
        """The id of the node's small op node in drawings: ``n<i>_op``."""
        return f"n{self._i(node)}_op"

    def edge_id(self, node: Value | int, k: int) -> str:
        """The id of the edge from the node's k-th parent into its op node: ``n<i>_in<k>``."""
        return f"n{self._i(node)}_in{k}"

    def out_edge_id(self, node: Value | int) -> str:
        """The id of the edge from the node's op node to its record: ``n<i>_out``."""
        return f"n{self._i(node)}_out"

    def field_id(self, node: Value | int, field: Literal["name", "data", "grad"]) -> str:
        """The id of one field of the node's record (``n<i>_grad``), where a renderer can tag it."""
        return f"n{self._i(node)}_{field}"

    @staticmethod
    def crossing_id(source: str, target: str) -> str:
        """The id of the one edge drawn between two collapsed boxes (or a node and a box): ``<source>_to_<target>``."""
        return f"{source}_to_{target}"

    # ----------------------------------------------------------------------------- names

    def name(self, node: Value) -> str:
        """What to call the node in text: its label (or given name), else ``<op>#<i>``."""
        return self._names[self.index[node]]

    def ref(self, node: Value) -> str:
        """The name as it reads inside a formula: wrapped in parentheses if it is not a plain word.

        >>> from autograd import Value
        >>> view = GraphView.of(Value(1.0, label="x1*w1") + 1)
        >>> view.name(view.order[0]), view.ref(view.order[0])
        ('x1*w1', '(x1*w1)')
        """
        i = self.index[node]
        known = self._refs[i]
        if known is None:
            name = self._names[i]
            known = self._refs[i] = name if _PLAIN.match(name) else f"({name})"
        return known

    def is_named(self, node: Value) -> bool:
        """Whether the node has a label or a given name (else its name is made up: ``mul#2``)."""
        return node in self.display or label_text(node) is not None

    def data_ref(self, node: Value) -> str:
        """How a formula refers to the node's value: ``a.data``, or the number itself for an unnamed constant."""
        if node.op == "const" and not self.is_named(node):
            return fmt(node.data)
        return f"{self.ref(node)}.data"

    def operand(self, node: Value) -> str:
        """How an expression names the node as an operand: its name, or the number for an unnamed constant."""
        if node.op == "const" and not self.is_named(node):
            return fmt(node.data)
        return self.ref(node)

    def _call_operand(self, node: Value) -> str:
        if node.op == "const" and not self.is_named(node):
            return fmt(node.data)
        return self.name(node)

    def expression(self, node: Value) -> str:
        """The forward computation of ``node`` over its parents' names: ``a*b``, ``tanh(n)``, ``w0*x0 + b``.

        One text everywhere (the tree, the drawing's op, the steps): the rule's ``display`` formula.
        """
        known = self._expressions.get(node)
        if known is not None:
            return known
        parents = node.parents
        rule = rule_of(node)
        if rule is None:  # a custom op (a _backward closure, or an op no rule names): op(parents)
            text = f"{printable(node.op) or 'op'}({', '.join(self.operand(p) for p in parents)})"
        else:
            formulas = rule.formulas(len(parents))
            # Inside a call's own parentheses a name needs none of its own: tanh(a*b), not tanh((a*b)).
            call = _CALL_OF_ONE.match(formulas.display) is not None
            operand = self._call_operand if call else self.operand
            text = substitute(formulas.display, {name: operand(p) for name, p in zip(formulas.inputs, parents)})
        self._expressions[node] = text
        return text

    def short_expression(self, node: Value, limit: int = 72) -> str:
        """``expression(node)``, cut after about ``limit`` characters with how many inputs it has.

        >>> from autograd import Value, vsum
        >>> s = vsum([Value(float(i), label=f"x{i}") for i in range(100)])
        >>> GraphView.of(s).short_expression(s, limit=20)
        'x0 + x1 + x2 + x3 + … (100 inputs)'
        """
        text = self.expression(node)
        if len(text) <= limit:
            return text
        cut = text.rfind(" ", 0, limit)
        return f"{text[: cut if cut > 0 else limit]} … ({len(node.parents)} inputs)"

    def _formulas(self, rule: Rule, n: int) -> tuple[Formulas, dict[str, int]]:
        formulas = rule.formulas(n)
        # Kept by the formulas' identity: hashing n input names on every edge would cost O(n) per edge.
        kept = self._positions.get(id(formulas))
        if kept is None or kept[0] is not formulas:
            kept = self._positions[id(formulas)] = (formulas, _positions(formulas.inputs))
        return kept

    def local_formula(self, node: Value, k: int) -> str:
        """d node / d parent k as code over names, e.g. ``b.data`` for ``c = a * b`` and k = 0."""
        parents = node.parents
        rule = rule_of(node)
        if rule is None:  # a custom op's closure: the derivative has no formula, only its number
            return f"d{self.ref(node)}/d{self.ref(parents[k])}"
        formulas, position = self._formulas(rule, len(parents))
        formula = formulas.local[k]
        refs = {
            name: self.data_ref(parents[position[name]]) if name in position else f"{self.ref(node)}.data"
            for name in _names_in(formula)
            if name in position or name == "out"
        }
        return substitute(formula, refs)

    def partial(self, node: Value, k: int) -> str:
        """The local derivative's symbol: ``∂o/∂n`` for ``o = tanh(n)``."""
        return f"∂{self.ref(node)}/∂{self.ref(node.parents[k])}"

    def readable(self, node: Value, k: int, *, numbers: bool = False) -> str | None:
        """d node / d parent k as mathematics (the rule's ``readable``), over names or, with ``numbers``, values.

        None for a custom op without a formula. ``tanh``: ``1 − o²``, with numbers ``1 − 0.707107²``.

        >>> from autograd import Value
        >>> x = Value(-0.5, label="x")
        >>> y = x.tanh(); y.label = "y"
        >>> view = GraphView.of(y)
        >>> view.readable(y, 0), view.readable(y, 0, numbers=True)
        ('1 − y²', '1 − (-0.462117)²')
        """
        rule = rule_of(node)
        if rule is None:
            return None
        template, mapping = _readable_template(rule, len(node.parents), k)
        if template is None:
            return None
        parents = node.parents
        refs: dict[str, str] = {}
        for name in _readable_names(template):
            if name == "out":
                target: Value | None = node
            elif name in mapping:
                target = parents[mapping[name]]
            else:
                target = None
            if target is None:
                continue
            refs[name] = fmt(target.data) if numbers else self.operand(target)
        if not numbers:
            return _substitute_readable(template, refs)

        def number(match: re.Match[str]) -> str:
            text = refs.get(match.group(1))
            if text is None:
                return match.group(0)
            # A negative number inside a formula needs parentheses (1 − (−0.5)²), alone or as a call's
            # whole argument (abs(-2.0)) it does not.
            start, end = match.start(), match.end()
            alone = template == match.group(1) or (template[start - 1 : start] == "(" and template[end : end + 1] == ")")
            return text if _PLAIN_NUMBER.match(text) or alone else f"({text})"

        return _READABLE_NAME.sub(number, template)

    # ----------------------------------------------------------------------------- roles and structure

    def role(self, node: Value) -> Role:
        """The node's role: output, constant, parameter (grouped or given as ``parameters=``), input or intermediate."""
        return self._roles[self.index[node]]

    def uses(self, node: Value) -> tuple[tuple[Value, int], ...]:
        """Every use of ``node``: ``(child, k)`` with ``node`` as the child's k-th input, in the order backward processes them."""
        return self._uses.get(node, ())

    def children(self, node: Value) -> tuple[Value, ...]:
        """The nodes that use ``node``, once per use, in the order backward processes them."""
        return tuple(child for child, _ in self._uses.get(node, ()))

    def step_of(self, node: Value) -> int | None:
        """The index of the node's step in ``schedule`` (None for a leaf: it has nothing to pass on)."""
        return self._step_of.get(node)

    def final_at(self, node: Value) -> int:
        """How many steps of backprop must be taken before the node's grad is final (0: final from the start)."""
        return self._final_at[node]

    def state(self, node: Value, position: int) -> StepState:
        """The node's step state after ``position`` steps: current, updated, next, done (grad final) or pending.

        The one rule of every renderer: at the end every node is ``done``; else the node the last step
        processed is ``current``, the parents it updated ``updated``, the node the next step processes
        ``next``, and any other node ``done`` when its grad is final, ``pending`` when not.

        >>> from autograd import Value
        >>> a = Value(2.0, label="a")
        >>> view = GraphView.of(a * 3)
        >>> [view.state(n, 0) for n in view.order], [view.state(n, 1) for n in view.order]
        (['pending', 'pending', 'next'], ['done', 'done', 'done'])
        """
        total = len(self.schedule)
        if position >= total:
            return "done"
        if position > 0:
            last = self.schedule[position - 1]
            if node is last:
                return "current"
        if self.schedule[position] is node:
            return "next"
        if position > 0 and node in self._parents_of(position - 1):
            return "updated"
        return "done" if self._final_at[node] <= position else "pending"

    def _parents_of(self, step: int) -> frozenset[Value]:
        # The parents of one step's node as a set, kept for the step last asked: drawing every node at
        # one position costs O(1) per node even when that node has 20,000 parents.
        kept = self._parent_set
        if kept is None or kept[0] != step:
            kept = (step, frozenset(self.schedule[step].parents))
            object.__setattr__(self, "_parent_set", kept)
        return kept[1]

    # ----------------------------------------------------------------------------- groups

    @property
    def groups(self) -> tuple[Box, ...]:
        """Every neuron and layer box, in order of first appearance (a layer before its neurons)."""
        return self._groups

    def group_box(self, node: Value) -> Box | None:
        """The innermost box (a neuron's) the node belongs to, or None."""
        return self._box_of.get(node)

    @property
    def boxes(self) -> tuple[Box, ...]:
        """The boxes drawn collapsed (``collapse="neuron"`` or ``"layer"``), in order of first appearance."""
        return self._boxes

    def collapsed_into(self, node: Value) -> Box | None:
        """The collapsed box that stands for ``node`` (hidden inside it), or None when the node is drawn."""
        return self._collapsed.get(node)

    # ----------------------------------------------------------------------------- JSON

    def to_dict(self) -> dict[str, Any]:
        """The view as JSON-ready data: nodes (id, name, label, op, role, parents, box), groups and options.

        >>> from autograd import Value
        >>> GraphView.of(Value(2.0, label="x") * 3).to_dict()["nodes"][2]["parents"]
        [0, 1]
        """
        index = self.index
        nodes = []
        for i, node in enumerate(self.order):
            box = self._box_of.get(node)
            collapsed = self._collapsed.get(node)
            label = label_text(node)
            nodes.append(
                {
                    "id": self.node_id(i),
                    "name": self._names[i],
                    "label": None if label is None else printable(label),
                    "op": printable(node.op),
                    "role": self._roles[i],
                    "expression": self.expression(node) if node.parents else None,
                    "parents": [index[p] for p in node.parents],
                    "data": json_number(node.data),
                    "dataText": fmt(node.data),
                    "group": None if box is None else box.id,
                    "box": None if collapsed is None else collapsed.id,
                    "step": self._step_of.get(node),
                    "final": self._final_at[node],
                }
            )
        return {
            "root": index[self.root],
            "collapse": self.options.collapse,
            "nodes": nodes,
            "groups": [
                {
                    "id": box.id,
                    "kind": printable(box.kind),
                    "title": box.title,
                    "parent": None if box.parent is None else box.parent.id,
                    "members": [index[m] for m in box.members],
                    "outputs": [index[m] for m in box.outputs],
                }
                for box in self._groups
            ],
            "boxes": [box.id for box in self._boxes],
        }

    # ----------------------------------------------------------------------------- building

    def _memberships(self) -> dict[Value, Group]:
        """The innermost group (``autograd.seeing.groups``) of every node that belongs to one.

        A ``dot`` node belongs to a group when its weights and bias are all parameters of that group;
        so do those parameters and the activation node right after it. Groups are told apart by
        identity, never by name, so two models with the same parameter names stay apart.
        """
        membership: dict[Value, Group] = {}
        for node in self.order:
            if node.op != "dot":
                continue
            n = (len(node.parents) - 1) // 2
            params = [*node.parents[:n], node.parents[-1]]
            found = {group_of(p) if p.is_leaf else None for p in params}
            if len(found) != 1:
                continue
            group = found.pop()
            if group is None:
                continue
            membership[node] = group
            for p in params:
                membership[p] = group
            for child, _ in self._uses.get(node, ()):
                if _is_activation(child.op) and len(child.parents) == 1:
                    membership[child] = group
        return membership


def _make_name(node: Value, label: str | None, i: int, counts: Counter[str]) -> str:
    if label is None:
        return f"{OP_WORDS.get(node.op, printable(node.op))}#{i}"
    return printable(label) if counts[label] == 1 else f"{printable(label)}[n{i}]"


def _is_activation(op: str) -> bool:
    """The activation that follows a neuron's ``dot`` node belongs to the neuron (the rules say which ops are activations)."""
    rule = RULES.get(op)
    return rule is not None and rule.activation


def _safe_id(key: str, default: str = "neuron") -> str:
    return re.sub(r"\W", "_", key, flags=re.ASCII) or default


def _make_boxes(
    order: tuple[Value, ...], membership: dict[Value, Group], uses: Mapping[Value, tuple[tuple[Value, int], ...]]
) -> tuple[tuple[Box, ...], dict[Value, Box]]:
    """Every group's box in order of first appearance, and the innermost box of each member.

    Ids are ``<kind>_<name>`` (ASCII); a second group whose id is taken gets ``_2``, ...: two models
    with the same names, or names that differ only in punctuation, never share a box, and the first
    keeps the plain id on every run.
    """
    ids: dict[Group, str] = {}
    used: set[str] = set()
    members: dict[Group, list[Value]] = {}
    for node in order:
        group = membership.get(node)
        if group is None:
            continue
        for g in (group.parent, group):
            if g is None:
                continue
            if g not in ids:
                base = f"{_safe_id(g.kind)}_{_safe_id(g.name, g.kind)}"
                ident, k = base, 2
                while ident in used:
                    ident, k = f"{base}_{k}", k + 1
                used.add(ident)
                ids[g] = ident
                members[g] = []
            members[g].append(node)
    made: dict[Group, Box] = {}
    for g, inside in members.items():
        within = set(inside)
        outputs = tuple(n for n in inside if n.parents and not any(c in within for c, _ in uses.get(n, ())))
        made[g] = Box(g, ids[g], tuple(inside), None, tuple(n for n in inside if n.is_leaf), outputs)
    # Parents and inner boxes point both ways, so they are set once every box exists (the boxes stay frozen after).
    inner: dict[Group, list[Box]] = {}
    for g, box in made.items():
        if g.parent is not None and g.parent in made:
            object.__setattr__(box, "parent", made[g.parent])
            inner.setdefault(g.parent, []).append(box)
    for g, boxes in inner.items():
        object.__setattr__(made[g], "inner", tuple(boxes))
    box_of = {node: made[group] for node, group in membership.items()}
    return tuple(made.values()), box_of


@functools.lru_cache(maxsize=64)
def _positions(inputs: tuple[str, ...]) -> dict[str, int]:
    return {name: i for i, name in enumerate(inputs)}


def _names_in(formula: str) -> set[str]:
    return {m.group(1) for m in FORMULA_NAME.finditer(formula)}


# A name in a readable formula: ASCII only, so ``out²`` is ``out`` squared (``\w`` would take ``²`` as a letter).
_READABLE_NAME = re.compile(r"(?<![A-Za-z0-9_.])([A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_(])")


def _substitute_readable(template: str, refs: Mapping[str, str]) -> str:
    def name(match: re.Match[str]) -> str:
        text = refs.get(match.group(1), match.group(1))
        # A name that ends in a superscript reads wrong squared (x₁⁽³⁾²): it gets parentheses, (x₁⁽³⁾)².
        if template[match.end() : match.end() + 1] in ("²", "^") and text[-1:] in _SUPERSCRIPTS:
            return f"({text})"
        return text

    return _READABLE_NAME.sub(name, template)


_SUPERSCRIPTS = frozenset("⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻")


@functools.lru_cache(maxsize=256)
def _readable_names(template: str) -> frozenset[str]:
    return frozenset(m.group(1) for m in _READABLE_NAME.finditer(template))


# Kept per (rule, number of parents, parent): a wide node asks once per edge, and each answer is O(1) to make.
_TEMPLATES: dict[tuple[int, str, int, int], tuple[Rule, tuple[str | None, dict[str, int]]]] = {}


def _readable_template(rule: Rule, n: int, k: int) -> tuple[str | None, dict[str, int]]:
    """The rule's readable local derivative for parent ``k`` of a node with ``n`` parents, and its names' parents."""
    key = (id(rule), rule.name, n, k)
    kept = _TEMPLATES.get(key)
    if kept is not None and kept[0] is rule:
        return kept[1]
    if len(_TEMPLATES) > 100_000:
        _TEMPLATES.clear()
    found = _make_readable_template(rule, n, k)
    _TEMPLATES[key] = (rule, found)
    return found


def _make_readable_template(rule: Rule, n: int, k: int) -> tuple[str | None, dict[str, int]]:
    readable = rule.readable
    if not readable:
        # An op made with define_op has its local formulas but no readable ones: they are shown as written.
        formulas = rule.formulas(n)
        return formulas.local[k], {name: i for i, name in enumerate(formulas.inputs)}
    if rule.terms is None:
        return readable[k], {name: i for i, name in enumerate(rule.inputs)}
    terms = rule.terms
    columns = len(terms.inputs)
    count = (n - len(terms.extra)) // columns  # how many terms
    mapping = {name: count * columns + j for j, name in enumerate(terms.extra)}
    if k < count * columns:
        column, term = divmod(k, count)
        mapping.update({name: c * count + term for c, name in enumerate(terms.inputs)})
        return readable[column], mapping
    return readable[columns + (k - count * columns)], mapping
