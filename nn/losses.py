"""Loss functions built from ``Value`` operations: each returns one ``Value`` to call ``backward`` on.

No derivative is written here; every gradient comes from the rules table. The classification losses
are written in forms that stay finite *and accurate* for large logits: they never exponentiate a
positive number and never subtract two nearly equal large numbers.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Union

from autograd import Value, vsum

#: A prediction, score or target: a ``Value`` or a plain number.
Scalar = Union[Value, float, int]


def _pairs(name: str, predictions: Iterable[Scalar], targets: Iterable[Scalar]) -> tuple[list[Scalar], list[Scalar]]:
    ps, ts = list(predictions), list(targets)
    if len(ps) != len(ts):
        raise ValueError(f"{name}: {len(ps)} predictions but {len(ts)} targets")
    if not ps:
        raise ValueError(f"{name}: needs at least one prediction, got none")
    for what, items in (("prediction", ps), ("target", ts)):
        for i, item in enumerate(items):
            if not isinstance(item, (Value, numbers.Real)):
                raise TypeError(f"{name}: {what} {i} must be a Value or a number, got {type(item).__name__}: {item!r}")
    return ps, ts


def _label(name: str, i: int, y: object) -> float:
    """A label as a float constant (no gradient flows into labels)."""
    data = y.data if isinstance(y, Value) else y
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        raise TypeError(f"{name}: label {i} must be a number, got {type(y).__name__}: {y!r}")
    return float(data)


def mse(predictions: Iterable[Scalar], targets: Iterable[Scalar]) -> Value:
    """Mean squared error, exactly L = 1/P Σ_p (y_p − ℓ_p)².

    >>> mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data
    2.5
    """
    ps, ts = _pairs("mse", predictions, targets)
    return vsum([(y - t) ** 2 for y, t in zip(ps, ts)]) / len(ps)


def hinge(scores: Iterable[Scalar], labels: Iterable[Scalar]) -> Value:
    """micrograd's max-margin loss: mean of relu(1 − y·s) over the batch, labels ±1.

    Written as micrograd writes it, so it gives micrograd's numbers to the last bit.

    >>> hinge([Value(2.0), Value(0.5)], [1, 1]).data
    0.25
    """
    ss, ys = _pairs("hinge", scores, labels)
    losses = []
    for i, (s, y) in enumerate(zip(ss, ys)):
        label = _label("hinge", i, y)
        if label not in (-1.0, 1.0):
            raise ValueError(f"hinge: label {i} must be -1 or 1, got {y!r} (for 0/1 labels use binary_cross_entropy)")
        s = s if isinstance(s, Value) else Value(s)
        losses.append((1 + -label * s).relu())
    return vsum(losses) * (1.0 / len(losses))


def binary_cross_entropy(logits: Iterable[Scalar], labels: Iterable[Scalar]) -> Value:
    """Mean binary cross-entropy of sigmoid(logit) against labels in [0, 1], computed from the logits.

    Per example the loss is −ℓ·log σ(z) − (1 − ℓ)·log(1 − σ(z)) = ℓ·softplus(−z) + (1 − ℓ)·softplus(z),
    and ``softplus`` is finite and accurate everywhere, so z = ±1000 is fine, and a confident right
    answer gives a tiny positive loss rather than 0 from cancellation (softplus(z) − z·ℓ would).

    >>> round(binary_cross_entropy([Value(0.0)], [1]).data, 6)
    0.693147
    >>> binary_cross_entropy([Value(-1000.0)], [1]).data
    1000.0
    """
    zs, ys = _pairs("binary_cross_entropy", logits, labels)
    losses = []
    for i, (z, y) in enumerate(zip(zs, ys)):
        label = _label("binary_cross_entropy", i, y)
        if not 0.0 <= label <= 1.0:
            raise ValueError(f"binary_cross_entropy: label {i} must lie in [0, 1], got {y!r}")
        z = z if isinstance(z, Value) else Value(z)
        if label == 1.0:
            losses.append((-z).softplus())
        elif label == 0.0:
            losses.append(z.softplus())
        else:
            losses.append(label * (-z).softplus() + (1.0 - label) * z.softplus())
    return vsum(losses) / len(losses)


def _logsumexp_minus_max(row: Sequence[Value], top: int) -> Value | None:
    """log Σ_{j≠top} exp(s_j − s_top) as a Value, or None for a single class (log 0 = −inf)."""
    rest = [s for j, s in enumerate(row) if j != top]
    if not rest:
        return None
    # Subtracting the largest remaining score keeps every exponent <= 0 (no overflow); it is a
    # plain float, so it shifts the value without changing any gradient.
    m = max(s.data for s in rest)
    return vsum([(s - m).exp() for s in rest]).log() + (m - row[top])


def cross_entropy(class_scores: Iterable[Sequence[Scalar]], labels: Iterable[int]) -> Value:
    """Mean softmax cross-entropy: per example, log Σ_j exp(s_j) − s_label, stable for any scores.

    With k the top-scoring class, log Σ_j exp(s_j) = s_k + softplus(log Σ_{j≠k} exp(s_j − s_k)): the
    exponents are all <= 0 (no overflow) and the final ``softplus`` keeps the digits of a small loss
    that ``log(1 + tiny)`` would round away, so a confident right answer still has a positive loss.

    >>> round(cross_entropy([[Value(1.0), Value(1.0)]], [0]).data, 6)
    0.693147
    >>> cross_entropy([[Value(0.0), Value(1000.0)]], [0]).data
    1000.0
    """
    rows = [list(r) for r in class_scores]
    ys = list(labels)
    if len(rows) != len(ys):
        raise ValueError(f"cross_entropy: {len(rows)} rows of class scores but {len(ys)} labels")
    if not rows:
        raise ValueError("cross_entropy: needs at least one example, got none")
    losses: list[Value] = []
    for i, (raw, y) in enumerate(zip(rows, ys)):
        if not raw:
            raise ValueError(f"cross_entropy: row {i} has no class scores")
        row = [s if isinstance(s, Value) else Value(s) for s in raw]
        if isinstance(y, bool) or not isinstance(y, numbers.Integral) or not 0 <= y < len(row):
            raise ValueError(f"cross_entropy: label {i} must be a class index in 0..{len(row) - 1}, got {y!r}")
        label = int(y)
        top = max(range(len(row)), key=lambda j: row[j].data)
        rest = _logsumexp_minus_max(row, top)
        if rest is None:
            losses.append(row[label] - row[label])  # one class: softmax is 1, the loss is exactly 0
            continue
        loss = rest.softplus()
        if label != top:
            loss = loss + (row[top] - row[label])
        losses.append(loss)
    return vsum(losses) / len(losses)


def l2(parameters: Iterable[Value]) -> Value:
    """The L2 penalty Σ p² (micrograd multiplies it by alpha = 1e-4 and adds it to the loss).

    >>> l2([Value(3.0), Value(-4.0)]).data
    25.0
    """
    return vsum([p * p for p in parameters])
