"""A microgpt-shaped training step, written here: one attention head, an MLP block, RMS norm, cross-entropy.

The shape of Karpathy's microgpt (a GPT trained on scalar Values), not its code: token and
position embeddings, RMS norm, one causal self-attention head over a key/value cache, a ReLU MLP
block with residuals, a language-model head and cross-entropy over a tiny vocabulary, averaged
over the positions of one document; then backward and SGD. The model is written once over any
Value class with micrograd's operators, so the same code times valuegrad (C and pure) and
``TinyValue`` -- a minimal microgpt-style Value (children and local-gradient tuples, no closures).

>>> step = setup(TinyValue)
>>> first = step(0)
>>> first == setup(TinyValue)(0) and first > 0.0
True
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

VOCAB, EMBED, HIDDEN, CONTEXT = 8, 8, 16, 8


class TinyValue:
    """microgpt's Value, minimal: data, grad, children and their local gradients; backward is a loop."""

    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data: float, children: tuple[TinyValue, ...] = (), local_grads: tuple[float, ...] = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other: Any) -> TinyValue:
        other = other if isinstance(other, TinyValue) else TinyValue(other)
        return TinyValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: Any) -> TinyValue:
        other = other if isinstance(other, TinyValue) else TinyValue(other)
        return TinyValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, k: float) -> TinyValue:
        return TinyValue(self.data**k, (self,), (k * self.data ** (k - 1),))

    def log(self) -> TinyValue:
        return TinyValue(math.log(self.data), (self,), (1.0 / self.data,))

    def exp(self) -> TinyValue:
        e = math.exp(self.data)
        return TinyValue(e, (self,), (e,))

    def relu(self) -> TinyValue:
        return TinyValue(max(0.0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self) -> TinyValue:
        return self * -1.0

    def __radd__(self, other: Any) -> TinyValue:
        return self + other

    def __sub__(self, other: Any) -> TinyValue:
        return self + (-other)

    def __rmul__(self, other: Any) -> TinyValue:
        return self * other

    def __truediv__(self, other: Any) -> TinyValue:
        return self * other**-1.0

    def backward(self) -> None:
        """Topological order by an explicit stack, then the chain rule through the stored local gradients."""
        order: list[TinyValue] = []
        seen: set[int] = set()
        stack: list[tuple[TinyValue, bool]] = [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._children)
        self.grad = 1.0
        for node in reversed(order):
            for child, local in zip(node._children, node._local_grads):
                child.grad += local * node.grad


def _linear(x: list[Any], rows: list[list[Any]]) -> list[Any]:
    return [sum(w * xi for w, xi in zip(row, x)) for row in rows]


def _rmsnorm(x: list[Any]) -> list[Any]:
    scale = (sum(xi * xi for xi in x) / len(x) + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def _softmax(logits: list[Any]) -> list[Any]:
    top = max(v.data for v in logits)
    exps = [(v - top).exp() for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def setup(value: Callable[[float], Any], seed: int = 0) -> Callable[[int], float]:
    """A ``step(k)`` that trains the model on one document of ``CONTEXT + 1`` tokens, returning the loss."""
    rng = random.Random(seed)

    def matrix(rows: int, cols: int) -> list[list[Any]]:
        return [[value(rng.gauss(0.0, 0.3)) for _ in range(cols)] for _ in range(rows)]

    wte, wpe, lm_head = matrix(VOCAB, EMBED), matrix(CONTEXT, EMBED), matrix(VOCAB, EMBED)
    wq, wk, wv, wo = (matrix(EMBED, EMBED) for _ in range(4))
    w1, w2 = matrix(HIDDEN, EMBED), matrix(EMBED, HIDDEN)
    params = [p for m in (wte, wpe, lm_head, wq, wk, wv, wo, w1, w2) for row in m for p in row]
    docs = [[rng.randrange(VOCAB) for _ in range(CONTEXT + 1)] for _ in range(16)]

    def loss_of(doc: list[int]) -> Any:
        keys: list[list[Any]] = []
        values: list[list[Any]] = []
        losses = []
        for t in range(CONTEXT):
            x = _rmsnorm([a + b for a, b in zip(wte[doc[t]], wpe[t])])
            residual = x
            x = _rmsnorm(x)
            q, k, v = _linear(x, wq), _linear(x, wk), _linear(x, wv)
            keys.append(k)
            values.append(v)
            weights = _softmax([sum(qi * ki for qi, ki in zip(q, key)) * (EMBED**-0.5) for key in keys])
            attended = [sum(w * val[i] for w, val in zip(weights, values)) for i in range(EMBED)]
            x = [a + b for a, b in zip(_linear(attended, wo), residual)]
            residual = x
            h = [u.relu() for u in _linear(_rmsnorm(x), w1)]
            x = [a + b for a, b in zip(_linear(h, w2), residual)]
            probs = _softmax(_linear(x, lm_head))
            losses.append(-probs[doc[t + 1]].log())
        return sum(losses) * (1.0 / CONTEXT)

    def step(k: int) -> float:
        loss = loss_of(docs[k % len(docs)])
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= 0.05 * p.grad
        return float(loss.data)

    return step
