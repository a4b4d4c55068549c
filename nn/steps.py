"""One training step (forward, loss, backward) and one validation pass, built eagerly or compiled.

``fit`` asks for a ``StepFn`` and an ``EvalFn`` once and calls them every batch and every epoch;
whether the graph is rebuilt each time (eager) or traced once and replayed as float code
(``compile=True``) is decided here and nowhere else.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from autograd import Value, no_grad
from nn import losses
from nn.metrics import AccuracyFn, LossFn, LossName, Model, evaluate, resolve_loss
from nn.module import Output

__all__ = ["EvalFn", "StepFn", "compiled_evaluator", "compiled_step", "eager_evaluator", "eager_step"]

#: One training step's forward and backward on a batch: returns the data loss and the outputs (for metrics).
StepFn = Callable[[Sequence[Any], Sequence[Any]], tuple[float, Sequence[Output]]]


def eager_step(model: Model, loss_fn: LossFn, l2: float) -> StepFn:
    """Build the graph of the batch's objective and backprop through it."""
    params = model.parameters()

    def step(bx: Sequence[Any], by: Sequence[Any]) -> tuple[float, Sequence[Output]]:
        outputs = [model(x) for x in bx]
        data_loss = loss_fn(outputs, list(by))
        total = data_loss + l2 * losses.l2(params) if l2 else data_loss
        total.backward()
        return data_loss.data, outputs

    return step


#: More distinct targets than this are continuous (regression), not class labels: they become inputs of the code.
_MAX_STATIC_TARGETS = 16


def _static_targets(loss: LossName | LossFn, y: Sequence[Any]) -> bool:
    """Whether targets are traced as constants (one trace per label) rather than passed as inputs of the code."""
    # Integer targets are class labels, static however many classes there are (cross_entropy picks a
    # score by its label); other targets are static only when there are a handful of them.
    labels = all(isinstance(t, numbers.Integral) and not isinstance(t, bool) for t in y)
    return loss != "mse" and (labels or len({(type(t), t) for t in y}) <= _MAX_STATIC_TARGETS)


def compiled_step(model: Model, loss: LossName | LossFn, y: Sequence[Any], l2: float, want_outputs: bool) -> StepFn:
    """One sample's objective traced by ``autograd.compile_per_sample`` and replayed over every batch.

    The trace is ``loss([model(x)], [target])`` for one sample (a few hundred nodes), so tracing
    takes milliseconds and any batch works: full batch or mini-batches. The batch loss is the mean
    of the samples' losses, as for every loss in ``nn.losses``. Class labels are static (one trace
    per label: the losses branch on them); continuous targets (``mse``, or more than a handful of
    distinct values) are inputs of the code. The L2 term is a trace of its own, replayed before
    the samples so the gradients add up in ``backward()``'s order: the same updates to the bit.
    """
    from autograd import compile as trace
    from autograd import compile_per_sample

    params = model.parameters()
    loss_fn = resolve_loss(loss)
    def sample_objective(x: Any, target: Any) -> tuple[Value, Output]:
        output = model(x)
        return loss_fn([output], [target]), output

    per_sample = compile_per_sample(sample_objective, static=(1,) if _static_targets(loss, y) else ())
    penalty = trace(lambda: l2 * losses.l2(params)) if l2 else None
    checked = callable(loss)  # a custom loss: make sure once that it is a mean over the samples

    def step(bx: Sequence[Any], by: Sequence[Any]) -> tuple[float, Sequence[Output]]:
        nonlocal checked
        if penalty is not None:
            penalty.value_and_grad()
        result = per_sample.value_and_grad(bx, by)
        if checked:
            checked = False
            _check_mean(loss_fn, model, bx, by, result.value)
        outputs: Sequence[Output] = [_as_values(o) for o in result.outputs] if want_outputs else ()
        return result.value, outputs

    return step


def _check_mean(loss_fn: LossFn, model: Model, bx: Sequence[Any], by: Sequence[Any], value: float) -> None:
    with no_grad():
        expected = loss_fn([model(x) for x in bx], list(by)).data
    if not math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12):
        raise ValueError(
            f"fit(compile=True) needs a loss that is the mean of per-sample losses (as in nn.losses): on the first batch "
            f"the loss is {expected!r} but the mean of its samples' losses is {value!r}; use compile=False for this loss"
        )


def _as_values(output: Any) -> Output:
    """A replayed model output (a float, or a list of floats) as the Values the metrics read."""
    return Value(output) if isinstance(output, float) else [Value(v) for v in output]



#: The loss and accuracy (None without a metric) of the model as it is now, on the validation data.
EvalFn = Callable[[], tuple[float, "float | None"]]


def eager_evaluator(
    model: Model, loss: LossName | LossFn, X: Sequence[Any], y: Sequence[Any], metric: AccuracyFn | None
) -> EvalFn:
    """``evaluate`` on fixed data: the graph rebuilt (without recording gradients) on every call."""
    return lambda: evaluate(model, loss, X, y, accuracy=metric)


def compiled_evaluator(
    model: Model, loss: LossName | LossFn, X: Sequence[Any], y: Sequence[Any], metric: AccuracyFn | None
) -> EvalFn:
    """``evaluate`` on fixed data, traced once per sample by ``autograd.compile_per_sample`` and replayed as float code.

    The loss is the mean of the samples' losses (the rule ``fit(compile=True)`` already holds the
    loss to), so it equals ``evaluate``'s to rounding; the accuracy reads the replayed outputs.
    """
    from autograd import compile_per_sample

    loss_fn = resolve_loss(loss)

    def sample_objective(x: Any, target: Any) -> tuple[Value, Output]:
        output = model(x)
        return loss_fn([output], [target]), output

    per_sample = compile_per_sample(sample_objective, static=(1,) if _static_targets(loss, y) else ())
    xs, ys = list(X), list(y)

    def measure() -> tuple[float, float | None]:
        result = per_sample(xs, ys)
        accuracy = metric([_as_values(o) for o in result.outputs], ys) if metric is not None else None
        return result.value, accuracy

    return measure
