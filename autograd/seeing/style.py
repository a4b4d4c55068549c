"""The one visual language of every picture of a graph: node roles and step states, their colours and words.

Defined once here and used by the DOT drawing and its legend (``dot_node_attrs``, ``legend_rows``),
exported as CSS custom properties for the page and the notebook (``css_variables()``), and as words for
the terminal (``STATE_WORDS``): a state is called the same in a drawing, on the page and in text.

Roles (the fill of a node): ``input``, ``parameter``, ``constant``, ``intermediate``, ``output``;
a collapsed neuron or layer box has ``GROUP_FILL``.

Step states (the border of a node while stepping backprop; ``GraphView.state`` decides which one a
node has after a number of steps, exactly one at a time):

- ``current``: the node the last step processed (its grad went to its parents);
- ``updated``: a parent whose grad the last step changed;
- ``next``: the node the next step processes;
- ``done``: a node whose grad is final (every node, at the end of the pass);
- ``pending``: a node whose grad is not final yet (dashed).

One state belongs to the forward pass (``UNCOMPUTED``, in ``ALL_STATES`` beside the step states):
``uncomputed``, a node the forward pass has not computed yet (its data is drawn blank).

>>> STATES["next"].words, css_variables().splitlines()[1].strip()
('next', '--vg-role-input: #dbeafe;')
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ALL_STATES",
    "GROUP_FILL",
    "ROLES",
    "ROLE_FILLS",
    "STATES",
    "STATE_WORDS",
    "STEP_STATES",
    "UNCOMPUTED",
    "State",
    "css_variables",
    "dot_state_attrs",
]

#: Fill colour of each node role (also shown in the legend).
ROLE_FILLS: dict[str, str] = {
    "input": "#dbeafe",
    "parameter": "#fde68a",
    "constant": "#e5e7eb",
    "intermediate": "#ffffff",
    "output": "#bbf7d0",
}
ROLES: tuple[str, ...] = tuple(ROLE_FILLS)

#: Fill of a collapsed neuron or layer box.
GROUP_FILL = "#fef3c7"
#: Fill of the small op nodes.
OP_FILL = "#f3f4f6"


@dataclass(frozen=True)
class State:
    """How one step state looks: a border colour, width and dash, and its words in legends and text."""

    name: str
    colour: str
    width: float
    dashed: bool
    #: The legend's and the terminal's words for it.
    words: str


#: The step states in legend order.
STATES: dict[str, State] = {
    state.name: state
    for state in (
        State("current", "#db2777", 3.0, False, "processing"),
        State("updated", "#ea580c", 2.5, False, "grad updated"),
        State("next", "#2563eb", 3.0, True, "next"),
        State("done", "#16a34a", 2.0, False, "done"),
        State("pending", "#6b7280", 1.0, True, "grad not final yet"),
    )
}
STEP_STATES: tuple[str, ...] = tuple(STATES)
#: A node the forward pass has not computed yet: its data is still blank (a forward frame, an export).
UNCOMPUTED = State("uncomputed", "#9ca3af", 1.0, True, "not computed yet")
#: Every state a drawing can show: the backward pass's step states, then the forward pass's.
ALL_STATES: dict[str, State] = {**STATES, UNCOMPUTED.name: UNCOMPUTED}
#: The words of each state, for the terminal and the legends.
STATE_WORDS: dict[str, str] = {name: state.words for name, state in ALL_STATES.items()}


def dot_state_attrs(state: str) -> dict[str, str]:
    """Graphviz attributes of a record (or box) in ``state``: border colour, width, dashes.

    >>> dot_state_attrs("pending")
    {'color': '#6b7280', 'penwidth': '1', 'style': 'filled,dashed'}
    """
    look = ALL_STATES[state]
    return {"color": look.colour, "penwidth": f"{look.width:g}", "style": "filled,dashed" if look.dashed else "filled"}


def css_variables(selector: str = ".vg-page") -> str:
    """The visual language as CSS custom properties on ``selector``, for the page and the notebook.

    ``--vg-role-<role>`` (fills), ``--vg-group``, ``--vg-op`` and per state ``--vg-state-<state>``
    (colour), ``--vg-state-<state>-width`` (px) and ``--vg-state-<state>-dash`` (``dashed``/``solid``).
    """
    lines = [f"{selector} {{"]
    lines += [f"  --vg-role-{role}: {colour};" for role, colour in ROLE_FILLS.items()]
    lines += [f"  --vg-group: {GROUP_FILL};", f"  --vg-op: {OP_FILL};"]
    for name, look in STATES.items():
        lines += [
            f"  --vg-state-{name}: {look.colour};",
            f"  --vg-state-{name}-width: {look.width:g}px;",
            f"  --vg-state-{name}-dash: {'dashed' if look.dashed else 'solid'};",
        ]
    lines.append("}")
    return "\n".join(lines)
