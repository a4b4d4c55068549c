"""Exercise every path of the C engine once, for a memory checker (valgrind or AddressSanitizer).

    PYTHONMALLOC=malloc valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \\
        --errors-for-leak-kinds=definite python tools/valgrind_native.py

Allocation, every operator and its error paths, backward (float and create_graph), custom
closures, the cycle collector on create_graph graphs, deep and wide graphs freed, subclasses,
weak references and the allocator giving slabs back. Prints ``ok`` at the end.
"""

from __future__ import annotations

import gc
import math
import sys
import weakref
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autograd
from autograd import Value, apply, dot, no_grad, topological_order, vsum
from autograd.rules import RULES


def _square(a: Value) -> Value:
    out = Value(a.data**2, (a,), "square")

    def _backward() -> None:
        a.grad += 2 * a.data * out.grad

    out._backward = _backward
    return out


def main() -> None:
    """Run every path once; raise on a wrong number."""
    assert autograd.BACKEND == "native", autograd.BACKEND
    from autograd._native import _core

    specials = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, math.inf, -math.inf, math.nan, 710.0, 1e-300]
    for op, rule in RULES.items():
        arity = rule.arity or 3
        for special in specials:
            try:
                node = apply(op, *[Value(special)] * arity)
                node.backward()
                _ = node.local_grads, node.parents, node.op, node._prev
            except (ArithmeticError, ValueError, TypeError):
                pass
    x = Value(0.7, label="x")
    y = (x * x + x.tanh() * 2 - x.exp() / 3) ** 2
    y.backward()
    y.backward(create_graph=True)
    assert x.grad_value is not None
    x.grad_value.backward()
    y.zero_grad()
    with no_grad():
        assert (x * 2).is_leaf
    # custom closures
    a = Value(1.5)
    (_square(a) * 3).backward()
    assert a.grad == 9.0
    # n-ary and subclasses, weakrefs
    class Sub(Value):
        pass

    s = Sub(2.0)
    z = dot([s, Value(3.0)], [1.0, 2.0], 0.5) + vsum([s, 1, 2.0])
    z.backward()
    ref = weakref.ref(z)
    del z
    assert ref() is None
    # deep and wide
    w = Value(1.0)
    c = Value(0.5)
    for _ in range(200_000):
        c = c * w
    c.backward()
    assert len(topological_order(c)) == 200_002
    del c
    leaves = [Value(float(i)) for i in range(50_000)]
    vsum(leaves).backward()
    del leaves
    gc.collect()
    _core.release_memory()
    assert _core.memory_stats()["empty_slabs"] == 0
    print("ok")


if __name__ == "__main__":
    main()
