"""Gradients as functions, in the style of JAX: ``grad(f)(x, y)`` and ``value_and_grad(f)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Union

from autograd.value import Grad, Number, Value, gradients

Partials = Union[Grad, tuple[Grad, ...]]
# ``f`` is typed loosely on purpose: it may itself be a ``grad(...)``, whose result is a Value when
# called on Values, so ``grad(grad(f))`` must type-check.


def value_and_grad(f: Callable[..., Any]) -> Callable[..., tuple[float | Value, Partials]]:
    """Turn ``f(x, y, ...)`` into a function returning ``(f(x, y, ...), (df/dx, df/dy, ...))``.

    With one argument the partials are a single number, with several a tuple. Called with plain
    numbers it returns floats; called with ``Value`` arguments (for example from an outer
    ``grad``) it returns ``Value``s, so ``grad(grad(f))`` gives second derivatives.

    >>> from autograd import value_and_grad
    >>> value_and_grad(lambda x, y: x * y + y)(2.0, 3.0)
    (9.0, (3.0, 3.0))
    """

    def wrapped(*args: Value | Number) -> tuple[float | Value, Partials]:
        nested = any(isinstance(a, Value) for a in args)
        inputs = [a if isinstance(a, Value) else Value(a) for a in args]
        out = f(*inputs)
        if not isinstance(out, Value):
            # f ignored its inputs: a constant has zero gradient everywhere.
            zeros: list[Grad] = [0.0] * len(inputs)
            return float(out), zeros[0] if len(zeros) == 1 else tuple(zeros)
        partials: list[Any] = gradients(out, inputs, create_graph=nested)
        if not nested:
            partials = [float(p) for p in partials]
        value: float | Value = out if nested else out.data
        return value, partials[0] if len(partials) == 1 else tuple(partials)

    wrapped.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    return wrapped


def grad(f: Callable[..., Any]) -> Callable[..., Partials]:
    """Turn ``f(x, y, ...)`` into a function returning its partial derivatives (floats for float inputs).

    >>> from autograd import grad
    >>> grad(lambda x: x ** 3)(2.0)
    12.0
    >>> grad(grad(lambda x: x ** 3))(2.0)
    12.0
    """
    with_value = value_and_grad(f)

    def wrapped(*args: Value | Number) -> Partials:
        return with_value(*args)[1]

    wrapped.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    return wrapped
