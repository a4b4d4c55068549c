"""Accuracy metrics, loss names, and ``evaluate``: what ``fit`` measures, usable on their own.

>>> from autograd import Value
>>> binary_accuracy([Value(1.0)], [1])
1.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, Union

from autograd import Value, no_grad
from nn import losses
from nn.inputs import examples
from nn.module import Output

__all__ = [
    "AccuracyFn",
    "LossFn",
    "LossName",
    "Model",
    "Target",
    "binary_accuracy",
    "evaluate",
    "metric_for",
    "multiclass_accuracy",
    "resolve_loss",
]

#: A target: a class label (int) or a regression target (float).
Target = Union[int, float]
#: A loss: takes the model's outputs for a batch (``Value``s, or lists of them for class scores) and
#: their targets, returns one ``Value``; the functions in ``nn.losses`` are such losses.
LossFn = Callable[[list[Any], list[Any]], Value]
#: An accuracy metric: the fraction of outputs that match their targets, in [0, 1].
AccuracyFn = Callable[[Sequence[Output], Sequence[Any]], float]
LossName = Literal["mse", "hinge", "binary_cross_entropy", "cross_entropy"]


class Model(Protocol):
    """Anything ``fit`` can train: callable on one input, with ``parameters()`` (an ``nn.Module``, for one)."""

    def __call__(self, x: Any) -> Output:
        """The model's output for one input."""
        ...

    def parameters(self) -> list[Value]:
        """The trainable leaves, in a fixed order."""
        ...


# ------------------------------------------------------------------------------------- metrics


def _single(output: Output) -> Value:
    if isinstance(output, Value):
        return output
    if len(output) == 1:
        return output[0]
    raise ValueError(f"binary_accuracy: expected one score per example, got {len(output)} outputs")


def binary_accuracy(outputs: Sequence[Output], labels: Sequence[Target]) -> float:
    """Fraction of examples whose score has the sign of its class: score > 0 predicts the positive class.

    Works for ±1 labels (hinge) and 0/1 labels (logits for binary cross-entropy) alike, since in
    both the positive class is the label > 0.

    >>> binary_accuracy([Value(2.0), Value(-0.5), Value(0.1)], [1, -1, -1])
    0.6666666666666666
    """
    if not labels:
        return math.nan
    hits = sum((_single(s).data > 0) == (t > 0) for s, t in zip(outputs, labels))
    return hits / len(labels)


def multiclass_accuracy(outputs: Sequence[Output], labels: Sequence[Target]) -> float:
    """Fraction of examples whose highest class score is at their label's index.

    >>> multiclass_accuracy([[Value(0.1), Value(2.0)], [Value(3.0), Value(1.0)]], [1, 1])
    0.5
    """
    if not labels:
        return math.nan
    hits = 0
    for scores, label in zip(outputs, labels):
        row = [scores] if isinstance(scores, Value) else scores
        hits += max(range(len(row)), key=lambda j: row[j].data) == label
    return hits / len(labels)


# The metric that goes with each named loss; regression (mse) has none.
_ACCURACY_FOR_LOSS: dict[str, AccuracyFn | None] = {
    "mse": None,
    "hinge": binary_accuracy,
    "binary_cross_entropy": binary_accuracy,
    "cross_entropy": multiclass_accuracy,
}


def resolve_loss(loss: LossName | LossFn) -> LossFn:
    """A loss function from its name in ``nn.losses`` (``'mse'``, ``'hinge'``, …) or the function itself.

    >>> resolve_loss("mse")([Value(3.0)], [1.0]).data
    4.0
    """
    if callable(loss):
        return loss
    if loss not in _ACCURACY_FOR_LOSS:
        raise ValueError(f"unknown loss {loss!r}; use one of {', '.join(map(repr, _ACCURACY_FOR_LOSS))} or pass a function")
    fn: LossFn = getattr(losses, loss)
    return fn



def metric_for(loss: LossName | LossFn, accuracy: AccuracyFn | Literal["auto"] | None) -> AccuracyFn | None:
    """The accuracy metric to measure: ``accuracy`` itself, or with ``"auto"`` the one that goes with a named loss.

    >>> metric_for("hinge", "auto") is binary_accuracy, metric_for("mse", "auto")
    (True, None)
    """
    if accuracy != "auto":
        return accuracy
    return _ACCURACY_FOR_LOSS.get(loss) if isinstance(loss, str) else None


def evaluate(
    model: Model,
    loss: LossName | LossFn,
    X: Sequence[Any],
    y: Sequence[Any],
    *,
    accuracy: AccuracyFn | Literal["auto"] | None = "auto",
) -> tuple[float, float | None]:
    """``(loss, accuracy)`` of ``model`` on ``(X, y)`` without recording a graph; accuracy is None without a metric.

    >>> from nn.losses import mse
    >>> evaluate(lambda x: Value(2 * x[0]), mse, [[1.0], [2.0]], [2.0, 5.0], accuracy=None)
    (0.5, None)
    """
    metric = metric_for(loss, accuracy)
    X, y = examples(X, "X"), examples(y, "y")  # numpy arrays as lists of Python numbers
    with no_grad():
        outputs = [model(x) for x in X]
        value = resolve_loss(loss)(outputs, list(y)).data
        return value, (metric(outputs, y) if metric is not None else None)
