"""Loss functions built from ``Value`` operations: each returns one ``Value`` to call ``backward`` on.

No derivative is written here; every gradient comes from the rules table. The classification losses
are written in forms that stay finite *and accurate* for large logits: they never exponentiate a
positive number and never subtract two nearly equal large numbers.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

from autograd import Value, vsum

#: A prediction, score or target: a ``Value`` or a plain number.
from nn.module import Scalar


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


def _label(name: str, i: int, y: object) -> float | Value:
    """A label as a float constant, or, given a ``Value``, the Value itself.

    A Value label is used in the graph as it is and never read through ``.data``: under
    ``autograd.compile`` it is an input of the traced code, so a read would freeze its traced value.
    """
    if isinstance(y, Value):
        return y
    if isinstance(y, bool) or not isinstance(y, numbers.Real):
        raise TypeError(f"{name}: label {i} must be a number, got {type(y).__name__}: {y!r}")
    return float(y)


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
        # On a Value label, comparisons (which a compiled replay re-checks) rather than a read of .data.
        if (label < -1.0 or label > 1.0 or -1.0 < label < 1.0) if isinstance(label, Value) else label not in (-1.0, 1.0):
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
        if isinstance(label, Value):
            # No branch on the label's value: a compiled replay runs this one graph for every label.
            losses.append(label * (-z).softplus() + (1.0 - label) * z.softplus())
        elif label == 1.0:
            losses.append((-z).softplus())
        elif label == 0.0:
            losses.append(z.softplus())
        else:
            losses.append(label * (-z).softplus() + (1.0 - label) * z.softplus())
    return vsum(losses) / len(losses)


def _log1p_sum_exp(differences: Sequence[Value]) -> Value:
    """log(1 + Σ_j exp(d_j)) as a fold of softplus: T ← T + softplus(d_j − T), starting from T = softplus(d_0).

    Each step is log(e^T + e^d) = T + log(1 + e^(d − T)), and ``softplus`` is finite and accurate for
    any argument, so nothing overflows for any scores. It branches on nothing and reads no ``.data``,
    so the graph is the same for every input and a compiled replay of it is right for all of them.
    """
    total = differences[0].softplus()
    for d in differences[1:]:
        total = total + (d - total).softplus()
    return total


def cross_entropy(class_scores: Iterable[Sequence[Scalar]], labels: Iterable[int]) -> Value:
    """Mean softmax cross-entropy: per example, log Σ_j exp(s_j) − s_label, stable for any scores.

    Written relative to the labelled score: log Σ_j exp(s_j) − s_ℓ = log(1 + Σ_{j≠ℓ} exp(s_j − s_ℓ)),
    summed by a fold of ``softplus`` (see ``_log1p_sum_exp``). No exponent is ever positive (no
    overflow), a confident right answer keeps the digits of its tiny positive loss, and no score is
    read as a number, so the same graph serves every input (``fit(compile=True)``) and a nan score
    gives a nan loss.

    >>> round(cross_entropy([[Value(1.0), Value(1.0)]], [0]).data, 6)
    0.693147
    >>> cross_entropy([[Value(0.0), Value(1000.0)]], [0]).data
    1000.0
    """
    rows: list[list[Scalar]] = []
    for i, r in enumerate(class_scores):
        if isinstance(r, (Value, numbers.Real)):
            raise ValueError(
                f"cross_entropy: row {i} is a single score {r!r}, not one score per class (a model with one output?); "
                "give the model one output per class, or use binary_cross_entropy with one logit for two classes"
            )
        rows.append(list(r))
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
            hint = " (a class label is a plain int, so the graph can depend on it)" if isinstance(y, Value) else ""
            raise ValueError(f"cross_entropy: label {i} must be a class index in 0..{len(row) - 1}, got {y!r}{hint}")
        label = int(y)
        if len(row) == 1:
            losses.append(row[label] - row[label])  # one class: softmax is 1, the loss is exactly 0
            continue
        losses.append(_log1p_sum_exp([s - row[label] for j, s in enumerate(row) if j != label]))
    return vsum(losses) / len(losses)


def l2(parameters: Iterable[Value]) -> Value:
    """The L2 penalty Σ p² (micrograd multiplies it by alpha = 1e-4 and adds it to the loss).

    >>> l2([Value(3.0), Value(-4.0)]).data
    25.0
    """
    return vsum([p * p for p in parameters])
