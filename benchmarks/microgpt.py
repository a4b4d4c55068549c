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

    def __radd__(self, other: float) -> TinyValue:
        return self + other

    def __sub__(self, other: TinyValue | float) -> TinyValue:
        return self + (-other)

    def __rmul__(self, other: float) -> TinyValue:
        return self * other

    def __truediv__(self, other: TinyValue | float) -> TinyValue:
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


def setup(value: Callable[[float], Any], seed: int = 0, *, variable: bool = False) -> Callable[[int], float]:
    """A ``step(k)`` that trains the model on one document, returning the loss.

    Documents have ``CONTEXT + 1`` tokens, or with ``variable`` between 3 and ``CONTEXT + 1``
    (microgpt's case: names of different lengths), so the graph's shape changes from step to step.
    """
    model = _Model(value, seed, variable)

    def step(k: int) -> float:
        loss = model.loss(model.docs[k % len(model.docs)])
        for p in model.params:
            p.grad = 0.0
        loss.backward()
        for p in model.params:
            p.data -= 0.05 * p.grad
        return float(loss.data)

    return step


def setup_compiled(seed: int = 0) -> Callable[[int], float]:
    """The variable-length step through ``autograd.compile``: one tape per document length (its argument shape).

    A token picks an embedding row (``wte[token]``): a graph whose structure depends on the data.
    Written with one-hot vectors instead (``sum(o * row)``, exact: 0 * w adds +0.0 and 1 * w is w),
    the graph depends only on the length, and ``compile`` keeps one trace, one C tape, per length.
    The softmax's max is not subtracted here (a ``.data`` read would be frozen by the trace; the
    logits stay small), so its losses differ from eager's in the last bits.
    """
    from autograd import Value, compile

    model = _Model(Value, seed, variable=True)

    def loss(onehots: list[list[Value]]) -> Value:
        result: Value = model.loss_onehot(onehots)
        return result

    compiled = compile(loss)
    batches = [[[1.0 if j == token else 0.0 for j in range(VOCAB)] for token in doc] for doc in model.docs]

    def step(k: int) -> float:
        rows = batches[k % len(batches)]
        tape = compiled.tape(rows)
        if tape is None:  # the pure engine: the Python replay
            for p in model.params:
                p.grad = 0.0
            value: float = compiled.value_and_grad(rows)[0]
            for p in model.params:
                p.data -= 0.05 * p.grad
            return value
        tape.zero_grad()
        value = tape.run([x for row in rows for x in row])[0]
        tape.sgd(0.05)
        return value

    return step


class _Model:
    """The parameters, the documents and the loss of one document (by token ids, or by one-hot rows)."""

    def __init__(self, value: Callable[[float], Any], seed: int, variable: bool) -> None:
        rng = random.Random(seed)

        def matrix(rows: int, cols: int) -> list[list[Any]]:
            return [[value(rng.gauss(0.0, 0.3)) for _ in range(cols)] for _ in range(rows)]

        self.wte, self.wpe, self.lm_head = matrix(VOCAB, EMBED), matrix(CONTEXT, EMBED), matrix(VOCAB, EMBED)
        self.wq, self.wk, self.wv, self.wo = (matrix(EMBED, EMBED) for _ in range(4))
        self.w1, self.w2 = matrix(HIDDEN, EMBED), matrix(EMBED, HIDDEN)
        mats = (self.wte, self.wpe, self.lm_head, self.wq, self.wk, self.wv, self.wo, self.w1, self.w2)
        self.params = [p for m in mats for row in m for p in row]
        lengths = [rng.randrange(3, CONTEXT + 2) if variable else CONTEXT + 1 for _ in range(16)]
        self.docs = [[rng.randrange(VOCAB) for _ in range(n)] for n in lengths]

    def loss(self, doc: list[int]) -> Any:
        return self._loss([self.wte[token] for token in doc[:-1]], lambda t, probs: probs[doc[t + 1]], _softmax)

    def loss_onehot(self, onehots: list[list[Any]]) -> Any:
        def embed(o: list[Any]) -> list[Any]:
            return [sum(oj * self.wte[j][i] for j, oj in enumerate(o)) for i in range(EMBED)]

        def pick(t: int, probs: list[Any]) -> Any:
            return sum(o * p for o, p in zip(onehots[t + 1], probs))

        return self._loss([embed(o) for o in onehots[:-1]], pick, _softmax_unshifted)

    def _loss(self, embedded: list[list[Any]], pick: Callable[[int, list[Any]], Any], softmax: Any) -> Any:
        keys: list[list[Any]] = []
        values: list[list[Any]] = []
        losses = []
        for t, token_row in enumerate(embedded):
            x = _rmsnorm([a + b for a, b in zip(token_row, self.wpe[t])])
            residual = x
            x = _rmsnorm(x)
            q, k, v = _linear(x, self.wq), _linear(x, self.wk), _linear(x, self.wv)
            keys.append(k)
            values.append(v)
            weights = softmax([sum(qi * ki for qi, ki in zip(q, key)) * (EMBED**-0.5) for key in keys])
            attended = [sum(w * val[i] for w, val in zip(weights, values)) for i in range(EMBED)]
            x = [a + b for a, b in zip(_linear(attended, self.wo), residual)]
            residual = x
            h = [u.relu() for u in _linear(_rmsnorm(x), self.w1)]
            x = [a + b for a, b in zip(_linear(h, self.w2), residual)]
            losses.append(-pick(t, softmax(_linear(x, self.lm_head))).log())
        return sum(losses) * (1.0 / len(embedded))


def _softmax_unshifted(logits: list[Any]) -> list[Any]:
    exps = [v.exp() for v in logits]
    total = sum(exps)
    return [e / total for e in exps]
