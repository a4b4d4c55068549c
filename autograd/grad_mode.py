"""Grad mode: whether operations record a graph (``no_grad``, ``is_grad_enabled``), per thread and asyncio task.

As PyTorch's ``torch/autograd/grad_mode.py``: the switch and its decorator, in a file of their own.
Both engines read the one ``ContextVar`` here; the C engine caches it, so every change made here
is followed by ``_grad_mode_changed()``, which tells it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from contextvars import ContextVar
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

from autograd import _native

_P = ParamSpec("_P")
_R = TypeVar("_R")

_GRAD_ENABLED: ContextVar[bool] = ContextVar("valuegrad_grad_enabled", default=True)
#: The recording states to restore, innermost last, of the ``no_grad`` blocks open in this thread/task.
_SAVED: ContextVar[tuple[bool, ...]] = ContextVar("valuegrad_no_grad_saved", default=())
#: Whether the current context records graphs (the operators' hot-path check).
grad_enabled = _GRAD_ENABLED.get


def _nothing_to_tell() -> None:
    """The pure engine reads ``_GRAD_ENABLED`` on every operator: nothing to tell it."""


#: Called after every set or reset of ``_GRAD_ENABLED``: the C engine caches the flag per thread and
#: context (a ContextVar read per operator costs more than the operator), and this is how it hears.
_grad_mode_changed: Callable[[], None] = _native.grad_mode_changed or _nothing_to_tell

#: While ``autograd.compile`` traces a function: called with every data-dependent decision made on a
#: Value (a comparison, or ``float(v)``), so the replay can re-check it. None otherwise.
_TRACER: ContextVar[Callable[[Any, str, object, object], None] | None] = ContextVar("valuegrad_tracer", default=None)


class NoGrad:
    """The context manager ``no_grad()`` returns: operations inside record no graph, in this thread/task only.

    Its state lives in context variables, not in the instance, so one instance may be shared by
    threads and asyncio tasks (a module-level ``NG = no_grad()``) and nested in itself.

    >>> from autograd import Value, no_grad
    >>> NG = no_grad()
    >>> with NG, NG:
    ...     y = Value(3.0) * 2
    >>> y.parents
    ()
    """

    def __enter__(self) -> None:
        if _TRACER.get() is not None:
            # Values computed under no_grad are cut from the graph, so a replay would reuse them frozen.
            raise RuntimeError("no_grad inside a function being compiled: its results would be frozen at trace time")
        _SAVED.set((*_SAVED.get(), _GRAD_ENABLED.get()))
        _GRAD_ENABLED.set(False)
        _grad_mode_changed()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        saved = _SAVED.get()
        _SAVED.set(saved[:-1])
        _GRAD_ENABLED.set(saved[-1] if saved else True)
        _grad_mode_changed()

    def __call__(self, fn: Callable[_P, _R]) -> Callable[_P, _R]:
        """Decorate ``fn`` (a function, generator function, ``async def`` or async generator) to run under ``no_grad``."""
        return _decorate(fn)


def _decorate(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    wrapper: Any
    if inspect.isgeneratorfunction(fn):
        # A generator runs a piece at a time, in its caller's context: recording is off for each piece.
        def gen_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            gen = fn(*args, **kwargs)
            assert isinstance(gen, Generator)
            try:
                with NoGrad():
                    response = next(gen)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with NoGrad():
                            gen.close()
                        raise
                    except BaseException as error:
                        with NoGrad():
                            response = gen.throw(error)
                    else:
                        with NoGrad():
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value

        wrapper = gen_wrapper
    elif inspect.isasyncgenfunction(fn):
        # Same as a generator: each piece (up to its next yield) runs under no_grad, the caller's code between
        # pieces does not. An async generator cannot ``return`` a value, so StopAsyncIteration just ends it.
        async def agen_wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
            agen = fn(*args, **kwargs)
            assert isinstance(agen, AsyncGenerator)
            try:
                with NoGrad():
                    response = await agen.__anext__()
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with NoGrad():
                            await agen.aclose()
                        raise
                    except BaseException as error:
                        with NoGrad():
                            response = await agen.athrow(error)
                    else:
                        with NoGrad():
                            response = await agen.asend(request)
            except StopAsyncIteration:
                return

        wrapper = agen_wrapper
    elif inspect.iscoroutinefunction(fn):

        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            # A task has its own context, so this turns recording off for this task only.
            with NoGrad():
                result: Awaitable[Any] = fn(*args, **kwargs)
                return await result

        wrapper = async_wrapper
    else:

        def plain_wrapper(*args: Any, **kwargs: Any) -> Any:
            with NoGrad():
                return fn(*args, **kwargs)

        wrapper = plain_wrapper
    return functools.wraps(fn)(wrapper)


@overload
def no_grad() -> NoGrad: ...
@overload
def no_grad(fn: Callable[_P, _R]) -> Callable[_P, _R]: ...


def no_grad(fn: Callable[_P, _R] | None = None) -> NoGrad | Callable[_P, _R]:
    """Turn graph recording off: ``with no_grad():``, or as a decorator, bare ``@no_grad`` or ``@no_grad()``.

    Per thread and per asyncio task; a decorated generator, ``async def`` or async generator runs under it too.

    >>> from autograd import Value, no_grad
    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.parents
    ()
    >>> @no_grad
    ... def square(v: Value) -> Value:
    ...     return v * v
    >>> square(x).parents, square.__name__
    ((), 'square')
    """
    if fn is None:
        return NoGrad()
    if not callable(fn):
        raise TypeError(f"no_grad: use it as `with no_grad():` or as a decorator, got {type(fn).__name__}: {fn!r}")
    return _decorate(fn)


def is_grad_enabled() -> bool:
    """Whether operations in the current thread/context record a graph (False inside ``no_grad``).

    >>> from autograd import is_grad_enabled, no_grad
    >>> with no_grad():
    ...     inside = is_grad_enabled()
    >>> inside, is_grad_enabled()
    (False, True)
    """
    return _GRAD_ENABLED.get()
