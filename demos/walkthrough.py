"""The REPL tour of docs/seeing-backprop.md: build micrograd's lecture expression, step through its backward pass, draw it.

    python -m demos.walkthrough [--out DIR]

Builds ``L = (a*b + c) * f`` with the lecture's values (a=2, b=-3, c=10, f=-2), prints the graph
as text, steps through backprop one node at a time printing the chain rule, checks the result
against ``backward()``, explains one gradient, and draws the graph to ``DIR/walkthrough.svg``
and ``.png`` (default ``out/``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from autograd import Backprop, Value, draw_dot, explain, render, tree


def lecture_expression() -> dict[str, Value]:
    """``L = (a*b + c) * f`` with micrograd's lecture values and labels; returns every node by label."""
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    f = Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "L": L}


def main(argv: list[str] | None = None) -> int:
    """Run the tour; return 0 when the stepper's gradients equal backward()'s."""
    parser = argparse.ArgumentParser(prog="python -m demos.walkthrough", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out"), help="directory for the drawings (default: out/)")
    args = parser.parse_args(argv)

    nodes = lecture_expression()
    L = nodes["L"]
    print(">>> print(tree(L))")
    print(tree(L))

    print("\n>>> bp = Backprop(L)\n>>> for step in bp: print(step)")
    bp = Backprop(L)
    for step in bp:
        print(step)

    stepped = {name: float(node.grad) for name, node in nodes.items()}
    L.zero_grad()
    L.backward()
    print("\nnode  stepper  backward()")
    for name, node in nodes.items():
        print(f"{name:<4}  {stepped[name]:>7}  {float(node.grad):>10}")
    agree = all(stepped[name] == node.grad for name, node in nodes.items())
    print("the stepper and backward() agree" if agree else "MISMATCH between the stepper and backward()")

    print("\n>>> print(explain(c, L))")
    print(explain(nodes["c"], L))

    # A node used twice gets the sum of both uses' contributions: micrograd's famous ``a + a`` bug, fixed by +=.
    x = Value(3.0, label="x")
    y = x + x
    y.label = "y"
    y.backward()
    print('\n>>> x = Value(3.0, label="x"); y = x + x; y.backward(); print(explain(x, y))')
    print(explain(x, y))

    drawing = draw_dot(L)
    for suffix in ("svg", "png"):
        path = render(drawing, args.out / f"walkthrough.{suffix}")
        print(f"drew {path}")
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
