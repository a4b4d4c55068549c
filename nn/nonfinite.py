"""When training produces a nan or an infinity: the error ``fit`` raises, and the words that say where and why."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from autograd import Value
from nn.history import History
from nn.metrics import Model
from nn.optim import Optimizer

__all__ = ["NonFiniteError", "first_nonfinite", "named_parameters"]


class NonFiniteError(FloatingPointError):
    """Training produced a nan or infinite loss or parameter; ``history`` holds the epochs completed before it."""

    def __init__(self, message: str, history: History | None = None) -> None:
        super().__init__(message)
        self.history = history if history is not None else History()

    def __reduce__(self) -> tuple[Any, ...]:
        # Both arguments, so the error crosses process boundaries (a search's worker) intact.
        return (type(self), (str(self), self.history))



def first_nonfinite(named: Sequence[tuple[str, Value]], attribute: str) -> tuple[str, float] | None:
    for name, p in named:
        number: float = getattr(p, attribute)
        if not math.isfinite(number):
            return name, number
    return None


def _has_nonfinite_number(x: Any) -> bool:
    values = x if isinstance(x, list) else [x]
    return any(isinstance(v, (int, float)) and not math.isfinite(v) for v in values)


def named_parameters(model: Model) -> list[tuple[str, Value]]:
    named = getattr(model, "named_parameters", None)
    if callable(named):
        pairs: list[tuple[str, Value]] = named()
        return pairs
    return [(p.label or f"parameter {i}", p) for i, p in enumerate(model.parameters())]


def nonfinite_before_step(
    what: str, step: int, epoch: int, named: Sequence[tuple[str, Value]], bx: Sequence[Any], step_done: int
) -> str:
    """Why the loss or a gradient of this step is not finite, as far as it can be told; nothing has been updated."""
    where = f"fit: step {step} (epoch {epoch}) gave {what}"
    bad = first_nonfinite(named, "data")
    if bad is not None:
        return (f"{where}: parameter {bad[0]!r} is already {bad[1]!r} before this step (the model came with non-finite "
                "weights); nothing was updated")
    bad_input = next((i for i, x in enumerate(bx) if _has_nonfinite_number(x)), None)
    if bad_input is not None:
        return f"{where}: input {bad_input} of this batch holds a non-finite number ({bx[bad_input]!r}); nothing was updated"
    return (f"{where} although every parameter and input is finite (an overflow in the model or the loss); the model "
            f"keeps the parameters of step {step_done}{largest_parameter(named)}")


def largest_parameter(named: Sequence[tuple[str, Value]]) -> str:
    if not named:
        return ""
    name, p = max(named, key=lambda pair: abs(pair[1].data))
    return f" (largest parameter {name!r} = {p.data!r}: try a smaller learning rate)"


def nonfinite_step(
    bad: tuple[str, float], before: Sequence[float], named: Sequence[tuple[str, Value]], step: int, epoch: int,
    data_loss: float, optimizer: Optimizer,
) -> str:
    where = f"fit: step {step} (epoch {epoch})"
    already = next(((name, value) for (name, _), value in zip(named, before) if not math.isfinite(value)), None)
    if already is not None:
        return (f"{where}: parameter {already[0]!r} is already {already[1]!r} before this step (the model came with "
                f"non-finite weights, yet the loss was {data_loss!r}); the step is undone")
    lr = getattr(optimizer, "lr", None)
    return (f"{where} made parameter {bad[0]!r} {bad[1]!r} (loss before the step {data_loss!r}"
            f"{f', lr={lr!r}' if lr is not None else ''}); the model's parameters are restored to their values before "
            f"step {step}, and so is the optimizer's state (step count, momentum or moment estimates): resuming is as if the "
            "step was never taken; try a smaller learning rate")

