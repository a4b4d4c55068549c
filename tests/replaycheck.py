"""A test helper shared by the test modules: a compiled replay must give eager ``backward()``'s value and gradients.

It lives with the tests, not in ``autograd.replay``: it is how the suite checks the compiler, not part of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from autograd import Value, compile


def assert_matches_eager(fn: Callable[..., Value], *args: float, tolerance: float = 1e-12) -> None:
    """Compile ``fn``, replay it on ``args`` and assert value and gradients equal eager ``backward()``'s.

    For property tests: every gradient test can run on both paths.

    >>> w = Value(0.5)
    >>> assert_matches_eager(lambda x, y: (w * x).exp() / y, 1.5, 2.0)
    """
    compiled = compile(fn)
    parameters = compiled.parameters(*args)
    saved = [p.grad for p in parameters]
    try:
        for p in parameters:
            p.grad = 0.0
        value, partials = compiled.value_and_grad(*args)
        replayed = [float(p.grad) for p in parameters]
        for p in parameters:
            p.grad = 0.0
        inputs = [Value(x) for x in args]
        output = fn(*inputs)
        output.backward()
        eager = [float(p.grad) for p in parameters]
    finally:
        for p, g in zip(parameters, saved):
            p.grad = g
    got = [value, *(partials if len(args) > 1 else (partials,)), *replayed]
    want = [output.data, *(float(x.grad) for x in inputs), *eager]
    for name, a, b in zip(
        ["value", *(f"d/dx{i}" for i in range(len(args))), *(f"d/dp{j}" for j in range(len(eager)))], got, want
    ):
        if not (a == b or abs(a - b) <= tolerance * max(1.0, abs(b)) or (math.isnan(a) and math.isnan(b))):
            raise AssertionError(f"compiled {name} = {a!r} but eager gives {b!r} (tolerance {tolerance})")
