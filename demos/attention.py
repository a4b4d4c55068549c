"""One attention head (scaled dot-product, softmax) in a tiny character model that learns a handful of names.

    python -m demos.attention            # 100 epochs, figure in out/
    python -m demos.attention --quick    # 5 epochs, for a smoke test
    python -m demos.attention --export   # also a one-number head's graph as frames, GIF, APNG, slides, worksheet
    python -m demos.attention --save     # the figure into docs/images/ (docs/teaching.md's picture)

A transformer's new part is attention: the last position asks a question (its query q), every
position offers a key k⁽ᵗ⁾ and a value v⁽ᵗ⁾, and the answer is the values averaged with weights
α⁽ᵗ⁾ = softmax(q·k⁽ᵗ⁾/√d), large where the key matches the query. Every q, k and v is an ordinary
neuron without activation (w·x + b), the same weights at every position, so the stepper walks
through it as through any network; its steps are grouped here by query/key/value and by position,
and ``draw_dot`` draws the query, key and value neurons as clusters (``autograd.seeing.groups``).

The data are made in code: ten names, read three characters at a time to predict the next.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autograd import Backprop, Value, dot, draw_dot, render, vsum
from autograd.seeing.groups import Group, set_group
from demos._architectures import add_export_option, export_graph, print_listing, sub, sup
from demos._common import demo_parser, new_figure, save, steps_from
from nn.losses import cross_entropy
from nn.optim import Adam

# 100 epochs: the pure engine stays well under 30 s on a busy machine; 150 gain only 0.93 → 0.89.
EPOCHS = 100
QUICK_EPOCHS = 5
SEED = 0
#: The training data: a handful of names, written here.
NAMES = ("emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "ella", "luna", "mila")
#: Context length T (characters read) and model width d.
CONTEXT, WIDTH = 3, 4
LEARNING_RATE = 0.05
#: "." starts a name (padding the first contexts) and ends it.
END = "."
IMAGES = Path("docs/images")

LISTING = f"""
input:          the last T = {CONTEXT} characters c⁽¹⁾ c⁽²⁾ c⁽³⁾ ('.' pads the start of a name, and ends it)
embedding:      x⁽ᵗ⁾ = E[c⁽ᵗ⁾] + P⁽ᵗ⁾               a learnt vector of d = {WIDTH} per character, plus one per position
query:          q = W_Q x⁽ᵀ⁾ + b_Q                  asked by the last position
keys, values:   k⁽ᵗ⁾ = W_K x⁽ᵗ⁾ + b_K,  v⁽ᵗ⁾ = W_V x⁽ᵗ⁾ + b_V      the same W_K, W_V at every position t
scores:         s⁽ᵗ⁾ = q · k⁽ᵗ⁾ / √d                 scaled dot product
attention:      α⁽ᵗ⁾ = exp(s⁽ᵗ⁾) / Σ_u exp(s⁽ᵘ⁾)      softmax: weights that sum to 1
output:         o = Σ_t α⁽ᵗ⁾ v⁽ᵗ⁾,   z_c = W_O[c] · o + b_O[c]   a score per next character c
loss:           L = 1/P Σ_p (log Σ_c exp z_{{p,c}} − z_{{p,ℓ_p}})   cross-entropy, ℓ_p the true next character
update:         Adam, α = {LEARNING_RATE}, on every E, P, W and b
"""


def vocabulary(names: Sequence[str] = NAMES) -> str:
    """Every character of the names, sorted, after the end mark ``.``.

    >>> vocabulary(("ab", "ba"))
    '.ab'
    """
    return END + "".join(sorted(set("".join(names))))


def examples(names: Sequence[str] = NAMES) -> list[tuple[str, str]]:
    """(context of T characters, next character) for every position of every name, ``.``-padded at both ends.

    >>> examples(("ava",))
    [('...', 'a'), ('..a', 'v'), ('.av', 'a'), ('ava', '.')]
    """
    pairs = []
    for name in names:
        padded = END * CONTEXT + name + END
        pairs += [(padded[i : i + CONTEXT], padded[i + CONTEXT]) for i in range(len(name) + 1)]
    return pairs


@dataclass
class Head:
    """The model: embeddings, one attention head's W_Q, W_K, W_V (with biases) and the output layer."""

    chars: str
    width: int
    context: int
    embed: dict[str, list[Value]] = field(default_factory=dict)
    position: list[list[Value]] = field(default_factory=list)
    #: Row i of W_Q with its bias b_Q[i], and so on: one neuron each.
    query: list[tuple[list[Value], Value]] = field(default_factory=list)
    key: list[tuple[list[Value], Value]] = field(default_factory=list)
    value: list[tuple[list[Value], Value]] = field(default_factory=list)
    out: list[tuple[list[Value], Value]] = field(default_factory=list)

    @property
    def parameters(self) -> list[Value]:
        """Every parameter, in a fixed order."""
        found = [v for c in self.chars for v in self.embed[c]] + [v for row in self.position for v in row]
        for neurons in (self.query, self.key, self.value, self.out):
            for weights, bias in neurons:
                found += [*weights, bias]
        return found


def make_head(rng: random.Random, chars: str, width: int = WIDTH, context: int = CONTEXT) -> Head:
    """Weights from U(−1, 1)/√d, biases 0, every parameter labelled, each q/k/v/output neuron put in a drawing group."""
    scale = 1.0 / math.sqrt(width)

    def number() -> float:
        return rng.uniform(-1.0, 1.0) * scale

    head = Head(chars, width, context)
    for c in chars:
        head.embed[c] = [Value(number(), label=f"E{c}{sub(j + 1)}") for j in range(width)]
    head.position = [[Value(number(), label=f"P{sup(f'({t + 1})')}{sub(j + 1)}") for j in range(width)] for t in range(context)]
    for kind, letter, count in (("query", "Q", width), ("key", "K", width), ("value", "V", width), ("out", "O", len(chars))):
        layer = Group(kind, "layer")
        neurons = []
        for i in range(count):
            # Names that read as one word in a formula (w_mn in the lecture): W_Q₂₁ is row 2, column 1; W_Oa₁ scores "a".
            row = chars[i] if kind == "out" else sub(i + 1)
            weights = [Value(number(), label=f"W_{letter}{row}{sub(j + 1)}") for j in range(width)]
            bias = Value(0.0, label=f"b_{letter}{row}")
            set_group([*weights, bias], Group(f"{kind} {chars[i] if kind == 'out' else i + 1}", "neuron", layer))
            neurons.append((weights, bias))
        setattr(head, kind, neurons)
    return head


@dataclass
class Forward:
    """One prediction's graph: the scores z per character, the attention weights α⁽ᵗ⁾, and which box each node belongs to."""

    scores: list[Value]
    attention: list[Value]
    #: node -> "position t: key" and the like, for the stepper's headings and the export's boxes.
    boxes: dict[Value, str]


def _neuron(weights: list[Value], bias: Value, xs: list[Value], label: str) -> Value:
    node = dot(weights, xs, bias)
    node.label = label
    return node


def forward(head: Head, context: str) -> Forward:
    """The head on one context: embeddings, q, k⁽ᵗ⁾, v⁽ᵗ⁾, softmax(q·k/√d), o, and the output scores."""
    boxes: dict[Value, str] = {}
    xs = []
    for t, c in enumerate(context):
        step = sup(f"({t + 1})")
        x = []
        for j in range(head.width):
            node = head.embed[c][j] + head.position[t][j]
            node.label = f"x{step}{sub(j + 1)}"
            boxes[node] = f"position {t + 1} ({c}): embedding"
            x.append(node)
        xs.append(x)
    q = [_neuron(w, b, xs[-1], f"q{sub(i + 1)}") for i, (w, b) in enumerate(head.query)]
    for node in q:
        boxes[node] = f"position {head.context} ({context[-1]}): query"
    keys, values = [], []
    for t, x in enumerate(xs):
        step = sup(f"({t + 1})")
        k = [_neuron(w, b, x, f"k{step}{sub(i + 1)}") for i, (w, b) in enumerate(head.key)]
        v = [_neuron(w, b, x, f"v{step}{sub(i + 1)}") for i, (w, b) in enumerate(head.value)]
        boxes.update({node: f"position {t + 1} ({context[t]}): key" for node in k})
        boxes.update({node: f"position {t + 1} ({context[t]}): value" for node in v})
        keys.append(k)
        values.append(v)
    exps = []
    for t, k in enumerate(keys):
        step = sup(f"({t + 1})")
        qk = dot(q, k)
        qk.label = f"qk{step}"
        s = qk * (1.0 / math.sqrt(head.width))
        s.label = f"s{step}"
        e = s.exp()
        e.label = f"exp{step}"
        boxes.update({qk: "attention", s: "attention", e: "attention"})
        exps.append(e)
    total = vsum(exps)
    total.label = "Σexp"
    attention = []
    for t, e in enumerate(exps):
        a = e / total
        a.label = f"α{sup(f'({t + 1})')}"
        attention.append(a)
    boxes[total] = "attention"
    boxes.update(dict.fromkeys(attention, "attention"))
    o = []
    for j in range(head.width):
        node = dot(attention, [v[j] for v in values])
        node.label = f"o{sub(j + 1)}"
        boxes[node] = "attention"
        o.append(node)
    scores = [_neuron(w, b, o, f"z_{c}") for c, (w, b) in zip(head.chars, head.out)]
    boxes.update(dict.fromkeys(scores, "output"))
    return Forward(scores, attention, boxes)


def loss_on(head: Head, pairs: Sequence[tuple[str, str]]) -> Value:
    """Mean cross-entropy of predicting each pair's next character from its context."""
    return cross_entropy([forward(head, context).scores for context, _ in pairs], [head.chars.index(n) for _, n in pairs])


def generate(head: Head, rng: random.Random, count: int = 5, longest: int = 12) -> list[str]:
    """``count`` new names, each character drawn from the softmax of the scores."""
    made = []
    for _ in range(count):
        text = END * head.context
        while len(text) < head.context + longest:
            scores = [z.data for z in forward(head, text[-head.context :]).scores]
            top = max(scores)
            weights = [math.exp(z - top) for z in scores]
            c = rng.choices(head.chars, weights)[0]
            if c == END:
                break
            text += c
        made.append(text[head.context :])
    return made


@dataclass
class Result:
    """Everything the demo measures, for the printout, the figure and the test."""

    losses: list[float]
    #: For each shown context: its attention weights α⁽¹⁾…α⁽ᵀ⁾ after training.
    attention: dict[str, list[float]]
    names: list[str]
    steps: int
    #: The stepper's steps of one example by part of the model: (box, the nodes processed, their steps as text).
    groups: list[tuple[str, list[str], list[str]]]
    seconds: float


SHOWN = ("emm", ".av", "isa", "sop", "ell", "lun")


def step_groups(stepper: Backprop, boxes: dict[Value, str]) -> list[tuple[str, list[str], list[str]]]:
    """Walk the stepper and sort its steps by box (the query, the key at position 2, ...): (box, nodes, steps as text).

    Boxes come in the order backprop first reaches them; inside a box, steps keep backprop's order.
    """
    groups: dict[str, tuple[list[str], list[str]]] = {}
    for step in stepper:
        nodes, texts = groups.setdefault(boxes.get(step.node, "loss"), ([], []))
        nodes.append(stepper.names.name(step.node))
        texts.append(str(step))
    return [(box, nodes, texts) for box, (nodes, texts) in groups.items()]


def run(seed: int = SEED, epochs: int = EPOCHS) -> tuple[Result, Head]:
    """Step through one example's backward pass, train the head on the names, read its attention and write new names.

    >>> result, _ = run(epochs=1)
    >>> result.steps, [box for box, _, _ in result.groups[:3]], len(result.attention["emm"])
    (123, ['loss', 'output', 'attention'], 3)
    """
    start = time.perf_counter()
    rng = random.Random(seed)
    head = make_head(rng, vocabulary())
    pairs = examples()
    first = forward(head, SHOWN[0])
    stepped = cross_entropy([first.scores], [head.chars.index("a")])
    stepper = Backprop(stepped)
    groups = step_groups(stepper, first.boxes)
    optimizer = Adam(head.parameters, lr=LEARNING_RATE)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_on(head, pairs)
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
    attention = {context: [a.data for a in forward(head, context).attention] for context in SHOWN}
    names = generate(head, random.Random(seed + 1))
    return Result(losses, attention, names, len(stepper), groups, time.perf_counter() - start), head


def small_head(seed: int = SEED) -> tuple[Value, Forward, Head]:
    """A head small enough to step through by hand (d = 2, T = 2, three characters), on one context: loss, graph, model."""
    head = make_head(random.Random(seed), ".ab", width=2, context=2)
    graph = forward(head, "ab")
    loss = cross_entropy([graph.scores], [0])
    loss.label = "L"
    return loss, graph, head


def tiny_head(seed: int = SEED) -> tuple[Value, dict[Value, str], list[Value]]:
    """The head with d = 1 on T = 2 numbers, small enough for slides and a worksheet: loss, boxes, parameters.

    q = w_Q x⁽²⁾, k⁽ᵗ⁾ = w_K x⁽ᵗ⁾, v⁽ᵗ⁾ = w_V x⁽ᵗ⁾, s⁽ᵗ⁾ = q k⁽ᵗ⁾ (√d = 1), α = softmax(s), o = Σ α⁽ᵗ⁾ v⁽ᵗ⁾, L = (o − ℓ)².

    >>> loss, boxes, parameters = tiny_head()
    >>> round(loss.data, 6), sorted(set(boxes.values()))[:2]
    (0.862048, ['attention', 'position 1: key'])
    """
    rng = random.Random(seed)
    w_q, w_k, w_v = (Value(round(rng.uniform(-1.0, 1.0), 2), label=name) for name in ("w_Q", "w_K", "w_V"))
    xs = [Value(0.5, label=f"x{sup('(1)')}"), Value(-1.0, label=f"x{sup('(2)')}")]
    boxes: dict[Value, str] = {}
    q = w_q * xs[-1]
    q.label = "q"
    boxes[q] = "position 2: query"
    exps, values = [], []
    for t, x in enumerate(xs, start=1):
        step = sup(f"({t})")
        k, v = w_k * x, w_v * x
        k.label, v.label = f"k{step}", f"v{step}"
        s = q * k
        s.label = f"s{step}"
        e = s.exp()
        e.label = f"exp{step}"
        boxes.update({k: f"position {t}: key", v: f"position {t}: value", s: "attention", e: "attention"})
        exps.append(e)
        values.append(v)
    total = exps[0] + exps[1]
    total.label = "Σexp"
    weighted = []
    for t, (e, v) in enumerate(zip(exps, values), start=1):
        a = e / total
        a.label = f"α{sup(f'({t})')}"
        av = a * v
        av.label = f"αv{sup(f'({t})')}"
        boxes.update({a: "attention", av: "attention"})
        weighted.append(av)
    o = weighted[0] + weighted[1]
    o.label = "o"
    boxes[total] = boxes[o] = "attention"
    error = o - Value(1.0, label="ℓ")
    error.label = "e"
    loss = error * error
    loss.label = "L"
    return loss, boxes, [w_q, w_k, w_v]


def figure(result: Result, folder: Path, *, small: bool) -> Path:
    """Two panels: the loss per epoch, and the trained head's attention weights for a few contexts."""
    fig = new_figure(*((9, 3.2) if small else (12, 4)))
    ax_loss, ax_attention = fig.subplots(1, 2)
    ax_loss.plot(range(1, len(result.losses) + 1), result.losses, color="#2563eb")
    ax_loss.set(title="cross-entropy on the names", xlabel="epoch", ylabel="L")
    contexts = list(result.attention)
    grid = [result.attention[c] for c in contexts]
    ax_attention.imshow(grid, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    for r, context in enumerate(contexts):
        for t, weight in enumerate(grid[r]):
            colour = "white" if weight > 0.5 else "black"
            ax_attention.text(t, r, f"'{context[t]}'\n{weight:.2f}", ha="center", va="center", fontsize=8, color=colour)
    ax_attention.set_xticks(range(CONTEXT), [f"t = {t + 1}" for t in range(CONTEXT)])
    ax_attention.set_yticks(range(len(contexts)), [f"after '{c}'" for c in contexts])
    ax_attention.set(title="α⁽ᵗ⁾: where the last position looks (trained)")
    return save(fig, folder, "attention.png")


def main(argv: list[str] | None = None) -> int:
    """Print the listing and the grouped steps, train, show attention and new names, draw; return 0 when the loss fell."""
    parser = demo_parser(__doc__.splitlines()[0], steps=EPOCHS, quick_steps=QUICK_EPOCHS, seed=SEED)
    parser.add_argument("--save", action="store_true", help="write the figure into docs/images/")
    add_export_option(parser)
    args = parser.parse_args(argv)
    epochs = steps_from(args, steps=EPOCHS, quick_steps=QUICK_EPOCHS)
    print_listing("One attention head in the lecture's notation", LISTING)

    result, _ = run(args.seed, epochs)
    print(f"backprop through one prediction ('{SHOWN[0]}' → 'a'): {result.steps} steps, by part of the model")
    print("(every step of the attention itself; for the other parts, which nodes were processed)")
    for box, nodes, texts in result.groups:
        shown = ", ".join(nodes) if len(nodes) <= 8 else ", ".join(nodes[:8]) + ", …"
        print(f"-- {box}: {len(nodes)} step{'s' if len(nodes) > 1 else ''}: {shown}")
        if box == "attention":
            for text in texts:
                print("     " + text.replace("\n", "\n     "))
    if result.losses:
        change = f"loss {result.losses[0]:.4f} → {result.losses[-1]:.4f}"
        print(f"\ntraining on {len(examples())} predictions from {len(NAMES)} names: {change}")
    print("attention of the last position after training (α⁽¹⁾ α⁽²⁾ α⁽³⁾):")
    for context, weights in result.attention.items():
        print(f"  after '{context}': " + "  ".join(f"{c}:{w:.3f}" for c, w in zip(context, weights)))
    print("new names: " + ", ".join(result.names))
    print(f"took {result.seconds:.2f} s")

    folder = IMAGES if args.save else args.out
    figure(result, folder, small=args.quick)
    loss, _, _ = small_head(args.seed)
    loss.backward()
    for suffix in ("svg", "png"):
        print(f"  drew {render(draw_dot(loss), args.out / f'attention_graph.{suffix}')}")
    if args.export:
        tiny, boxes, parameters = tiny_head(args.seed)
        title = "one attention head (d = 1, T = 2)"
        export_graph(tiny, args.out, "attention", parameters=parameters, boxes=boxes, title=title)
    fell = epochs == 0 or result.losses[-1] < result.losses[0]
    return 0 if fell else 1


if __name__ == "__main__":
    sys.exit(main())
