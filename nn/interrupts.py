"""Critical sections that Ctrl-C cannot cut in two: a Ctrl-C inside one is held and raised when it ends.

An optimizer's write-back, ``fit``'s undo of a bad step and the restore of the early-stopping
best epoch change many numbers that only make sense together; a KeyboardInterrupt between two of
them would leave a model half old, half new. Inside ``critical()`` SIGINT only records that it
came; when the outermost section ends, the handler that was there before is back and the held
KeyboardInterrupt is raised, so the program stops exactly where it would have, one block later.

Sections nest (``fit`` holds one around ``Optimizer.step()``, which holds its own). Only the main
thread receives signals, and a program that installed its own SIGINT handler has decided what
Ctrl-C means: in both cases nothing is installed and the block runs as it is.

>>> with critical():
...     pass
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = ["critical", "held"]


class _State:
    depth = 0
    pending = False
    previous: Any = None
    installed = False


_state = _State()


def _hold(signum: int, frame: FrameType | None) -> None:
    _state.pending = True


def held() -> bool:
    """Whether a Ctrl-C arrived inside the current critical section and waits for its end.

    >>> held()
    False
    """
    return _state.pending


@contextmanager
def critical(*, reraise: bool = True) -> Iterator[None]:
    """A block that Ctrl-C does not cut in two; a Ctrl-C during it is raised as soon as the outermost block ends.

    ``reraise=False`` (for the last block of a run, whose caller records the interrupt instead)
    leaves the held Ctrl-C to ``held()``, which stays True until the next outermost block starts.

    >>> with critical():
    ...     total = sum([1, 2, 3])
    >>> total
    6
    """
    outermost = _state.depth == 0
    if outermost:
        _state.pending = False
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            _state.previous = signal.signal(signal.SIGINT, _hold)
            _state.installed = True
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if outermost and _state.installed:
            signal.signal(signal.SIGINT, _state.previous)
            _state.installed = False
    if outermost and _state.pending and reraise:
        _state.pending = False
        raise KeyboardInterrupt
