"""Gradients as functions, with JAX's meaning: ``grad(f, argnums=0, has_aux=False)`` and ``value_and_grad``."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any, Union

from autograd.value import Grad, Number, Value, gradients

#: One gradient (``argnums`` an int) or a tuple of them (``argnums`` a tuple).
Partials = Union[Grad, tuple[Grad, ...]]
# ``f`` is typed loosely on purpose: it may itself be a ``grad(...)``, whose result is a Value when
# called on Values, so ``grad(grad(f))`` must type-check.


def _positions(argnums: int | Sequence[int], n: int, name: str) -> tuple[int, ...]:
    if not isinstance(argnums, (int, tuple, list)):
        # A float or None would otherwise fail inside tuple() with "object is not iterable".
        raise TypeError(f"{name}: argnums must be an int or a tuple of ints, got {argnums!r}")
    chosen = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for k in chosen:
        if not isinstance(k, int) or isinstance(k, bool):
            raise TypeError(f"{name}: argnums must be an int or a tuple of ints, got {argnums!r}")
        if not -n <= k < n:
            raise ValueError(f"{name}: argnums {argnums!r} is out of range for a call with {n} positional argument(s)")
    return tuple(k % n for k in chosen)


def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., tuple[Any, Partials]]:
    """Turn ``f`` into a function returning ``(f(*args), gradient)``, as ``jax.value_and_grad``.

    ``argnums`` says which positional arguments to differentiate: an int (the default, 0) gives
    one gradient, a tuple gives a tuple. With ``has_aux=True``, ``f`` returns ``(output, aux)``
    and the value is ``(output, aux)``. Called with plain numbers it returns floats; called with
    ``Value`` arguments (for example from an outer ``grad``) it returns ``Value``s, so
    ``grad(grad(f))`` gives second derivatives.

    >>> from autograd import value_and_grad
    >>> value_and_grad(lambda x, y: x * y + y)(2.0, 3.0)
    (9.0, 3.0)
    >>> value_and_grad(lambda x, y: x * y + y, argnums=(0, 1))(2.0, 3.0)
    (9.0, (3.0, 3.0))
    """
    return _value_and_grad(f, argnums, has_aux, f"value_and_grad({getattr(f, '__name__', 'f')})")


def _value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int], has_aux: bool, name: str
) -> Callable[..., tuple[Any, Partials]]:
    # ``name`` is the caller's (grad's or value_and_grad's), so errors name the function the user called.
    def wrapped(*args: Value | Number) -> tuple[Any, Partials]:
        positions = _positions(argnums, len(args), name)
        nested = any(isinstance(a, Value) for a in args)
        inputs = [a if isinstance(a, Value) else Value(a) for a in args]
        result = f(*inputs)
        aux: Any = None
        if has_aux:
            if not (isinstance(result, tuple) and len(result) == 2):
                raise TypeError(f"{name}: has_aux=True needs f to return a pair (output, aux), got {type(result).__name__}")
            result, aux = result
        chosen = [inputs[k] for k in positions]
        if isinstance(result, Value):
            partials: list[Any] = gradients(result, chosen, create_graph=nested)
            if not nested:
                partials = [float(p) for p in partials]
            value: Any = result if nested else result.data
        elif isinstance(result, numbers.Real):
            # f ignored its inputs: a constant has zero gradient everywhere.
            partials, value = [0.0] * len(chosen), float(result)
        else:
            hint = " (for f returning (output, aux) pass has_aux=True)" if isinstance(result, tuple) and not has_aux else ""
            raise TypeError(
                f"{name}: f must return one Value or number (a scalar) to be differentiated, "
                f"got {type(result).__name__}: {result!r}{hint}"
            )
        gradient: Partials = partials[0] if isinstance(argnums, int) else tuple(partials)
        return ((value, aux) if has_aux else value), gradient

    wrapped.__name__ = name
    return wrapped


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable[..., Any]:
    """Turn ``f`` into a function returning its gradient with respect to argument ``argnums``, as ``jax.grad``.

    An int ``argnums`` (default 0) gives one gradient, a tuple a tuple; ``has_aux=True`` returns
    ``(gradient, aux)`` for an ``f`` that returns ``(output, aux)``.

    >>> from autograd import grad
    >>> grad(lambda x: x ** 3)(2.0)
    12.0
    >>> grad(lambda x, y: x * y, argnums=1)(2.0, 3.0)
    2.0
    >>> grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 3.0)
    (3.0, 2.0)
    >>> grad(grad(lambda x: x ** 3))(2.0)
    12.0
    """
    with_value = _value_and_grad(f, argnums, has_aux, f"grad({getattr(f, '__name__', 'f')})")

    def wrapped(*args: Value | Number) -> Any:
        value, gradient = with_value(*args)
        return (gradient, value[1]) if has_aux else gradient

    wrapped.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    return wrapped
