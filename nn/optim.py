"""Optimizers (SGD with momentum/Nesterov, Adam/AdamW) and learning-rate schedules, over ``Value`` parameters.

An optimizer reads ``float(p.grad)`` and writes ``p.data``; it builds no graph. The update rules
are PyTorch's (``torch.optim.SGD``, ``torch.optim.Adam``, ``torch.optim.AdamW``), so numbers carry
over when a model graduates to PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Union

from autograd import Value

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


def _check(optimizer: object, name: str, value: float, ok: bool, rule: str) -> float:
    if not ok:
        raise ValueError(f"{type(optimizer).__name__}: {name} must be {rule}, got {value!r}")
    return float(value)


class Optimizer:
    """Shared bookkeeping: the parameter list, the learning rate or schedule, the step count."""

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
        """The learning rate the next ``step()`` will use (the schedule's value at the current step)."""
        return float(self.schedule(self.steps))

    @lr.setter
    def lr(self, lr: LearningRate) -> None:
        if callable(lr):
            self.schedule = lr
        else:
            self.schedule = constant(_check(self, "lr", lr, lr >= 0.0, ">= 0"))

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its current ``grad``."""
        lr = self.lr
        for i, p in enumerate(self.params):
            # float(): after backward(create_graph=True) a grad is a Value.
            p.data = self._update(i, p.data, float(p.grad), lr)
        self.steps += 1

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
        self.momentum = _check(self, "momentum", momentum, momentum >= 0.0, ">= 0")
        self.weight_decay = _check(self, "weight_decay", weight_decay, weight_decay >= 0.0, ">= 0")
        self.dampening = _check(self, "dampening", dampening, 0.0 <= dampening <= 1.0, "in [0, 1]")
        if nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0 (as in PyTorch)")
        self.nesterov = nesterov
        #: Momentum buffers, one per parameter; None until the first step.
        self.buffers: list[float | None] = [None] * len(self.params)

    def _update(self, i: int, x: float, g: float, lr: float) -> float:
        if self.weight_decay:
            g = g + self.weight_decay * x
        if self.momentum:
            buf = self.buffers[i]
            buf = g if buf is None else self.momentum * buf + (1.0 - self.dampening) * g
            self.buffers[i] = buf
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
        beta1, beta2 = betas
        self.betas = (
            _check(self, "betas[0]", beta1, 0.0 <= beta1 < 1.0, "in [0, 1)"),
            _check(self, "betas[1]", beta2, 0.0 <= beta2 < 1.0, "in [0, 1)"),
        )
        self.eps = _check(self, "eps", eps, eps >= 0.0, ">= 0")
        self.weight_decay = _check(self, "weight_decay", weight_decay, weight_decay >= 0.0, ">= 0")
        self.decoupled = decoupled
        #: First and second moment estimates, one per parameter.
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """Update every parameter once (bias corrections use this step's number t = steps + 1)."""
        t = self.steps + 1
        beta1, beta2 = self.betas
        self._correction1 = 1.0 - beta1**t
        self._correction2 = 1.0 - beta2**t
        super().step()

    def _update(self, i: int, x: float, g: float, lr: float) -> float:
        beta1, beta2 = self.betas
        if self.weight_decay:
            if self.decoupled:
                x = x * (1.0 - lr * self.weight_decay)
            else:
                g = g + self.weight_decay * x
        m = self.m[i] = beta1 * self.m[i] + (1.0 - beta1) * g
        v = self.v[i] = beta2 * self.v[i] + (1.0 - beta2) * g * g
        m_hat = m / self._correction1
        v_hat = v / self._correction2
        return x - lr * m_hat / (math.sqrt(v_hat) + self.eps)

    def __repr__(self) -> str:
        name = "AdamW" if self.decoupled else "Adam"
        return (
            f"{name}({len(self.params)} parameters, lr={self.schedule!r}, betas={self.betas}, eps={self.eps}, "
            f"weight_decay={self.weight_decay})"
        )
