"""Every path of the C tape (autograd/_native/_tape.c) once, for valgrind; run like tools/valgrind_native.py.

    PYTHONMALLOC=malloc valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \\
        --errors-for-leak-kinds=definite python tools/valgrind_tape.py

Compiles and replays (forward and backward, per call and per sample, several variants), fails a
guard in a single and a per-sample tape, fails an op (log of a negative number), runs sgd,
zero_grad and size, feeds the constructor malformed arrays, and frees every tape.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

from autograd import StructureChanged, Value, compile, compile_per_sample, dot, vsum


def main() -> None:
    """Run each path once; prints ok."""
    from autograd._native import _core

    w, b = Value(0.5), Value(0.1)
    ws = [Value(0.1 * i) for i in range(4)]
    chain = compile(lambda *xs: sum((wi * x for wi, x in zip(ws, xs)), b).tanh())  # a fused dot instruction
    chain.value_and_grad(1.0, 2.0, 3.0, 4.0)
    f = compile(lambda x, y: ((w * x + b).tanh() * y).exp() / (1.0 + abs(x)) + dot([w, b], [x, y], b).relu() ** 2.0)
    for i in range(3):
        f.value_and_grad(0.3 + i, 0.7)
        f(0.2, 0.1)
    g = compile(lambda x: (w * x).relu() if x > 0 else (w * x).sigmoid())
    g.value_and_grad(1.0)
    with contextlib.suppress(StructureChanged):
        g.value_and_grad(-1.0)
    h = compile(lambda x: (w * x).log())
    with contextlib.suppress(ValueError):
        h(-1.0)
    per_sample = compile_per_sample(lambda x, label: ((w * x + b - label) ** 2, [w * x, vsum([x, b])]), static=(1,))
    per_sample.value_and_grad([0.1, 0.2, 0.3], [0, 1, 0])
    tape = per_sample.tape()
    if tape is not None:
        tape.sgd(0.1)
        tape.zero_grad()
        assert tape.size["parameters"] == 2
    guarded = compile_per_sample(lambda x: (w * x).exp() if x < 1.0 else w * x)
    guarded.value_and_grad([0.1, 0.2])
    with contextlib.suppress(StructureChanged):
        guarded.value_and_grad([0.1, 2.0])
    tape_type = getattr(_core, "Tape", None)
    if tape_type is not None:
        for bad in ((), ([[1]] * 15)):
            with contextlib.suppress(TypeError, ValueError):
                tape_type(*bad)
        with contextlib.suppress(ValueError):  # an operand slot out of range
            tape_type([], [], 1, [], [], [2], [0], [0], [0], [1], [7], [0], [], None, True)
    del f, g, h, per_sample, guarded, tape, chain
    print("ok")


if __name__ == "__main__":
    main()
