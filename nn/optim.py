"""Optimizers (SGD with momentum/Nesterov, Adam/AdamW) and learning-rate schedules, over ``Value`` parameters.

An optimizer reads ``float(p.grad)`` and writes ``p.data``; it builds no graph. The update rules
are PyTorch's (``torch.optim.SGD``, ``torch.optim.Adam``, ``torch.optim.AdamW``), so numbers carry
over when a model graduates to PyTorch.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Union

from autograd import Value
from nn.interrupts import critical

#: A learning rate: a number, or a schedule mapping the step index (0, 1, 2, ...) to a number.
LearningRate = Union[float, Callable[[int], float]]


# ------------------------------------------------------------------------------------- schedules


@dataclass(frozen=True)
class constant:
    """The same learning rate at every step.

    >>> constant(0.1)(500)
    0.1
    """

    lr: float

    def __call__(self, step: int) -> float:
        """The learning rate for update number ``step`` (0, 1, 2, ...)."""
        return self.lr


@dataclass(frozen=True)
class linear_decay:
    """From ``start`` at step 0 straight down to ``end`` at step ``steps``, then held at ``end``.

    micrograd's demo schedule ``1.0 - 0.9 * k / 100`` is ``linear_decay(1.0, 0.1, 100)``.

    >>> s = linear_decay(1.0, 0.1, 100)
    >>> s(0), s(50), s(100), s(1000)
    (1.0, 0.55, 0.1, 0.1)
    """

    start: float
    end: float
    steps: int

    def __post_init__(self) -> None:
        if self.steps <= 0:
            raise ValueError(f"linear_decay: steps must be positive, got {self.steps!r}")

    def __call__(self, step: int) -> float:
        """The learning rate for update number ``step`` (0, 1, 2, ...)."""
        if step >= self.steps:
            return self.end
        return self.start - (self.start - self.end) * step / self.steps


@dataclass(frozen=True)
class step_decay:
    """``lr`` multiplied by ``factor`` every ``every`` steps: lr · factor^(step // every).

    >>> s = step_decay(1.0, every=10, factor=0.5)
    >>> s(9), s(10), s(25)
    (1.0, 0.5, 0.25)
    """

    lr: float
    every: int
    factor: float

    def __post_init__(self) -> None:
        if self.every <= 0:
            raise ValueError(f"step_decay: every must be positive, got {self.every!r}")

    def __call__(self, step: int) -> float:
        """The learning rate for update number ``step`` (0, 1, 2, ...)."""
        return self.lr * self.factor ** (step // self.every)


@dataclass(frozen=True)
class cosine:
    """Cosine annealing from ``lr`` at step 0 to ``min_lr`` at step ``steps``, then held (SGDR without restarts).

    lr_t = min_lr + (lr − min_lr) · (1 + cos(π · t / steps)) / 2.

    >>> s = cosine(1.0, 100)
    >>> s(0), round(s(50), 12), s(100)
    (1.0, 0.5, 0.0)
    """

    lr: float
    steps: int
    min_lr: float = 0.0

    def __post_init__(self) -> None:
        if self.steps <= 0:
            raise ValueError(f"cosine: steps must be positive, got {self.steps!r}")

    def __call__(self, step: int) -> float:
        """The learning rate for update number ``step`` (0, 1, 2, ...)."""
        # The endpoints are returned as given, so rounding never starts a run a hair off lr.
        if step <= 0:
            return self.lr
        if step >= self.steps:
            return self.min_lr
        return self.min_lr + (self.lr - self.min_lr) * (1.0 + math.cos(math.pi * step / self.steps)) / 2.0


# ------------------------------------------------------------------------------------- optimizers


def _number(optimizer: object, name: str, value: object) -> float:
    """``value`` as a float, or TypeError naming the optimizer and the setting (bools are refused: a slip, not a rate)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{type(optimizer).__name__}: {name} must be a number, got {type(value).__name__}: {value!r}")
    return float(value)


def _check(optimizer: object, name: str, value: object, ok: Callable[[float], bool], rule: str) -> float:
    """``value`` as a float if it is a finite number obeying ``rule``, else an error naming optimizer, setting and value."""
    number = _number(optimizer, name, value)
    if not (math.isfinite(number) and ok(number)):
        raise ValueError(f"{type(optimizer).__name__}: {name} must be a finite number {rule}, got {value!r}")
    return number


def _non_negative(x: float) -> bool:
    return x >= 0.0


def _copy(value: object) -> object:
    # The state holds numbers and lists of numbers (or None): a shallow copy of a list is a full one.
    return list(value) if isinstance(value, list) else value


class Optimizer:
    """Shared bookkeeping: the parameter list, the learning rate or schedule, the step count.

    A step is all or nothing: every new value (parameters and the optimizer's own state) is
    computed first, into copies, and only then written. An error anywhere in the step (a gradient
    that is not a number, a schedule giving nan, a division by zero) leaves the parameters, their
    gradients and the optimizer's state exactly as they were.
    """

    def __init__(self, params: Iterable[Value], lr: LearningRate) -> None:
        self.params = list(params)
        seen: set[int] = set()
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__}: parameter {i} is a {type(p).__name__}, not a Value")
            if id(p) in seen:
                # It would be stepped twice per step(), silently doubling its learning rate.
                raise ValueError(f"{type(self).__name__}: parameter {i} ({p.label or p!r}) appears more than once")
            seen.add(id(p))
        #: How many times ``step()`` has run; the schedule is called with this index.
        self.steps = 0
        self.schedule: Callable[[int], float] = constant(0.0)
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate the next ``step()`` will use (the schedule's value at the current step), checked."""
        value: object = self.schedule(self.steps)
        where = f"{type(self).__name__}: the learning-rate schedule {self.schedule!r} gave"
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{where} {type(value).__name__}: {value!r} at step {self.steps}; it must give a number")
        rate = float(value)
        if not (math.isfinite(rate) and rate >= 0.0):
            raise ValueError(f"{where} {rate!r} at step {self.steps}; a learning rate must be a finite number >= 0")
        return rate

    @lr.setter
    def lr(self, lr: LearningRate) -> None:
        if callable(lr):
            self.schedule = lr
            return
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
            raise TypeError(f"{type(self).__name__}: lr must be a number (or a schedule), got {type(lr).__name__}: {lr!r}")
        self.schedule = constant(_check(self, "lr", lr, _non_negative, ">= 0"))

    #: The attributes that make up the optimizer's state between steps (``state()`` copies them).
    _state_names: tuple[str, ...] = ("steps",)

    def state(self) -> dict[str, object]:
        """A copy of the optimizer's state (step count, and momentum buffers or moment estimates) for ``restore``.

        The learning-rate schedule is a function of the step count, so restoring the count restores it.

        >>> p = Value(1.0)
        >>> p.grad = 0.5
        >>> sgd = SGD([p], lr=0.1, momentum=0.9)
        >>> saved = sgd.state()
        >>> sgd.step()
        >>> sgd.restore(saved)
        >>> sgd.steps, sgd.buffers
        (0, [None])
        """
        return {name: _copy(getattr(self, name)) for name in self._state_names}

    def restore(self, state: dict[str, object]) -> None:
        """Put back a ``state()`` copy: the optimizer continues as if the steps since were never taken."""
        with critical():
            for name in self._state_names:
                setattr(self, name, _copy(state[name]))

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its current ``grad``: all of them, or on an error none (see the class)."""
        lr = self.lr
        params = self.params
        try:
            # float(): a grad may be an int set by hand, a numpy number, or (older API) a Value.
            grads = [float(p.grad) for p in params]
        except (TypeError, ValueError):
            self._refuse_gradients()
            raise
        t = self.steps + 1
        self._stage(t)
        update = self._update
        updated: list[float] = []
        i = 0
        try:
            for i, p in enumerate(params):
                updated.append(update(i, p.data, grads[i], lr))
        except ArithmeticError as e:
            where = f"{type(self).__name__} step {t}: parameter {i} ({params[i].label or 'unlabelled'!r})"
            raise type(e)(f"{where}: {e}{self._hint(e)}; nothing was changed") from None
        # Everything is computed; only now is anything written, as one block Ctrl-C cannot cut in two.
        with critical():
            for p, x in zip(params, updated):
                p.data = x
            self._commit()
            self.steps = t

    def _refuse_gradients(self) -> None:
        """Raise TypeError naming the first parameter whose grad is not a number."""
        for i, p in enumerate(self.params):
            try:
                float(p.grad)
            except (TypeError, ValueError):
                label = p.label or "unlabelled"
                raise TypeError(
                    f"{type(self).__name__}: parameter {i} ({label!r}) has grad {p.grad!r}, not a number; nothing was changed"
                ) from None

    def _stage(self, t: int) -> None:
        """Copy the optimizer's state for step ``t``; ``_update`` reads and writes only the copies."""

    def _commit(self) -> None:
        """Make the staged state the optimizer's state (called once every update has been computed)."""

    def _hint(self, error: ArithmeticError) -> str:
        return ""

    def _update(self, i: int, x: float, g: float, lr: float) -> float:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay (PyTorch's rule).

    With g = grad + weight_decay·p, buffer b (b₁ = g, then b = momentum·b + (1 − dampening)·g):
    p ← p − lr·b, or with ``nesterov`` p ← p − lr·(g + momentum·b); without momentum p ← p − lr·g.

    >>> p = Value(1.0)
    >>> p.grad = 0.5
    >>> SGD([p], lr=0.1).step()
    >>> p.data
    0.95
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: LearningRate,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        dampening: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _check(self, "momentum", momentum, _non_negative, ">= 0")
        self.weight_decay = _check(self, "weight_decay", weight_decay, _non_negative, ">= 0")
        self.dampening = _check(self, "dampening", dampening, lambda d: 0.0 <= d <= 1.0, "in [0, 1]")
        if nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0 (as in PyTorch)")
        self.nesterov = nesterov
        #: Momentum buffers, one per parameter; None until the first step.
        self.buffers: list[float | None] = [None] * len(self.params)
        self._next_buffers = self.buffers

    _state_names = ("steps", "buffers")

    def _stage(self, t: int) -> None:
        self._next_buffers = list(self.buffers)

    def _commit(self) -> None:
        self.buffers = self._next_buffers

    def _update(self, i: int, x: float, g: float, lr: float) -> float:
        if self.weight_decay:
            g = g + self.weight_decay * x
        if self.momentum:
            buf = self._next_buffers[i]
            buf = g if buf is None else self.momentum * buf + (1.0 - self.dampening) * g
            self._next_buffers[i] = buf
            g = g + self.momentum * buf if self.nesterov else buf
        return x - lr * g

    def __repr__(self) -> str:
        return (
            f"SGD({len(self.params)} parameters, lr={self.schedule!r}, momentum={self.momentum}, "
            f"nesterov={self.nesterov}, weight_decay={self.weight_decay})"
        )


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction; ``decoupled=True`` makes it AdamW (Loshchilov & Hutter).

    With g = grad (+ weight_decay·p unless decoupled), t = step number from 1:
    m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ),
    p ← p − lr·m̂ / (√v̂ + eps); AdamW first shrinks p ← p·(1 − lr·weight_decay).

    >>> p = Value(1.0)
    >>> p.grad = 0.5
    >>> Adam([p], lr=0.1).step()  # the first step moves each parameter by about lr
    >>> round(p.data, 6)
    0.9
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: LearningRate = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled: bool = False,
    ) -> None:
        super().__init__(params, lr)
        if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence) or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {type(betas).__name__}: {betas!r}")
        in_unit = "in [0, 1)"
        self.betas = (
            _check(self, "betas[0]", betas[0], lambda b: 0.0 <= b < 1.0, in_unit),
            _check(self, "betas[1]", betas[1], lambda b: 0.0 <= b < 1.0, in_unit),
        )
        self.eps = _check(self, "eps", eps, _non_negative, ">= 0")
        self.weight_decay = _check(self, "weight_decay", weight_decay, _non_negative, ">= 0")
        self.decoupled = decoupled
        if self.weight_decay and not decoupled:
            self._check_weight_decay()
        #: First and second moment estimates, one per parameter.
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self._next_m, self._next_v = self.m, self.v
        self._correction1 = self._correction2 = 1.0

    _state_names = ("steps", "m", "v")

    def _check_weight_decay(self) -> None:
        """Refuse a weight decay whose second moment overflows at the first step, even with a zero gradient.

        Then g = weight_decay·p and v = (1 − β₂)·g²: past sqrt(float max / (1 − β₂)) / |p| that is
        inf, every update becomes m / inf = 0 and training stalls while every number looks fine.
        """
        largest = max([1.0, *(abs(p.data) for p in self.params if math.isfinite(p.data))])
        limit = math.sqrt(sys.float_info.max) / math.sqrt(1.0 - self.betas[1]) / largest
        if self.weight_decay >= limit:
            raise ValueError(
                f"Adam: weight_decay={self.weight_decay!r} makes the second moment (1 - beta2)·(weight_decay·p)² "
                f"overflow at the first step for parameters up to {largest!r}; it must be below {limit:.4g} "
                "(or use decoupled=True, AdamW)"
            )

    def _stage(self, t: int) -> None:
        # Bias corrections use this step's number t = steps + 1.
        beta1, beta2 = self.betas
        self._correction1 = 1.0 - beta1**t
        self._correction2 = 1.0 - beta2**t
        self._next_m, self._next_v = list(self.m), list(self.v)

    def _commit(self) -> None:
        self.m, self.v = self._next_m, self._next_v

    def _hint(self, error: ArithmeticError) -> str:
        if isinstance(error, ZeroDivisionError) and self.eps == 0.0:
            return " (its gradients have all been 0, so m / (sqrt(v) + eps) is 0 / 0 with eps=0.0; use eps > 0)"
        return ""

    def _update(self, i: int, x: float, g: float, lr: float) -> float:
        beta1, beta2 = self.betas
        if self.weight_decay:
            if self.decoupled:
                x = x * (1.0 - lr * self.weight_decay)
            else:
                g = g + self.weight_decay * x
        m = self._next_m[i] = beta1 * self._next_m[i] + (1.0 - beta1) * g
        v = self._next_v[i] = beta2 * self._next_v[i] + (1.0 - beta2) * g * g
        if v == math.inf:
            # m / (sqrt(inf) + eps) is 0: the parameter would stop moving while everything looks finite.
            raise OverflowError(f"the second moment v = (1 - beta2)·g² overflows for the gradient g = {g!r}")
        m_hat = m / self._correction1
        v_hat = v / self._correction2
        return x - lr * m_hat / (math.sqrt(v_hat) + self.eps)

    def __repr__(self) -> str:
        name = "AdamW" if self.decoupled else "Adam"
        return (
            f"{name}({len(self.params)} parameters, lr={self.schedule!r}, betas={self.betas}, eps={self.eps}, "
            f"weight_decay={self.weight_decay})"
        )
