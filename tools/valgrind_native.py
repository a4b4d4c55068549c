"""Exercise every path of the C engine once, for a memory checker (valgrind or AddressSanitizer).

    PYTHONMALLOC=malloc valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \\
        --errors-for-leak-kinds=definite python tools/valgrind_native.py

Allocation, every operator and its error paths, backward (float and create_graph), custom
closures (one running a backward of its own), repeated backward and interior roots, the grad
mode across threads and contexts, the cycle collector on create_graph graphs, deep and wide graphs
freed, subclasses, weak references and the allocator giving slabs back. Prints ``ok`` at the end.
"""

from __future__ import annotations

import contextvars
import gc
import math
import sys
import threading
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
    # a closure that runs a backward of its own while the outer one holds the walk buffer
    inner_leaf = Value(2.0)

    def _nested(b: Value) -> Value:
        out = Value(b.data, (b,), "nested")

        def _backward() -> None:
            inner = inner_leaf
            for _ in range(5_000):
                inner = inner * 1.0 + 0.0
            inner.backward()
            b.grad += out.grad

        out._backward = _backward
        return out

    n = _nested(Value(1.0)) * 2
    n.backward()
    assert inner_leaf.grad == 1.0
    # backward twice, then from an interior node: interior grads start fresh, leaves accumulate
    p, q = Value(0.3), Value(-1.2)
    mid = p * q
    top = mid.relu() + mid * mid
    top.backward()
    top.backward()
    mid.backward()
    assert mid.grad == 1.0 and p.grad == 2 * (2 * mid.data * q.data) + q.data
    # the grad mode from another thread and from a context copied under no_grad
    with no_grad():
        frozen = contextvars.copy_context()
    assert not frozen.run(lambda: (Value(1.0) * 2).parents)
    seen: list[bool] = []
    worker = threading.Thread(target=lambda: seen.append(bool(no_grad()(lambda: (Value(1.0) * 2).parents)())))
    worker.start()
    worker.join()
    assert seen == [False] and (Value(1.0) * 2).parents
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
