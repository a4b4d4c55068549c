"""Pictures of graphs: a single neuron, a backprop stepper half-way, and a whole MLP forward pass collapsed.

    python -m demos.graphs [--out DIR]

Writes SVG and PNG files to DIR (default ``out/``):

* ``neuron``: micrograd's lecture neuron, ``nn.Neuron(2, activation="tanh")`` with the lecture's
  weights (output 0.7071), clustered as one neuron.
* ``stepper``: the same neuron written out op by op (``x1*w1 + x2*w2 + b``, then ``tanh``) with
  a ``Backprop`` stopped half-way, in the step states of ``autograd.seeing.style`` (processing,
  grad updated, next, done, grad not final yet: dashed), all listed in the legend.
* ``mlp_layers`` and ``mlp_neurons``: one forward pass of a seeded ``MLP(2, [16, 16, 1])`` with
  each layer, or each neuron, drawn as one box.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nn
from autograd import Backprop, Value, draw_dot, render

#: The lecture neuron's weights: with inputs (2, 0) its output is tanh(0.8814) = 0.7071.
LECTURE_NEURON = {"w.0": -3.0, "w.1": 1.0, "b": 6.8813735870195432}


def lecture_neuron() -> Value:
    """``nn.Neuron(2, "tanh")`` with the lecture's weights on inputs x1=2, x2=0, after backward()."""
    neuron = nn.Neuron(2, activation="tanh", seed=0)
    neuron.load_state_dict(LECTURE_NEURON)
    o = neuron([Value(2.0, label="x1"), Value(0.0, label="x2")])
    o.label = "o"
    o.backward()
    return o


def lecture_neuron_by_hand() -> Value:
    """The same neuron written out op by op, with the lecture's labels."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(LECTURE_NEURON["b"], label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def mlp_forward(seed: int = 1337) -> Value:
    """One forward pass of ``MLP(2, [16, 16, 1])`` on labelled inputs, after backward()."""
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    out = model([Value(1.0, label="x0"), Value(-2.0, label="x1")])
    assert isinstance(out, Value)
    out.label = "score"
    out.backward()
    return out


def main(argv: list[str] | None = None) -> int:
    """Draw every picture to SVG and PNG; print the paths."""
    parser = argparse.ArgumentParser(prog="python -m demos.graphs", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out"), help="directory for the drawings (default: out/)")
    args = parser.parse_args(argv)

    o = lecture_neuron_by_hand()
    bp = Backprop(o)
    bp.run_until(bp.schedule[len(bp) // 2 - 1])
    print(f"stepper after {bp.position} of {len(bp)} steps:")
    for step in bp.history:
        print(step)

    mlp = mlp_forward()
    drawings = {
        "neuron": draw_dot(lecture_neuron()),
        "stepper": draw_dot(o, stepper=bp),
        "mlp_layers": draw_dot(mlp, collapse="layer"),
        "mlp_neurons": draw_dot(mlp, collapse="neuron", rankdir="LR"),
    }
    for name, drawing in drawings.items():
        for suffix in ("svg", "png"):
            path = render(drawing, args.out / f"{name}.{suffix}")
            print(f"drew {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
