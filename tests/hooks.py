"""Objects whose number conversion runs Python code: the re-entrancy tests and the fuzzer of the C engine share them."""

from __future__ import annotations

from collections.abc import Callable


class Sneaky:
    """A real number whose conversion runs ``hook`` (from ``__class__``, ``__float__`` and ``__index__``)."""

    def __init__(self, value: float, hook: Callable[[], object]) -> None:
        self.value = value
        self.hook = hook

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        self.hook()
        return float

    def __float__(self) -> float:
        self.hook()
        return self.value

    def __index__(self) -> int:
        self.hook()
        return int(self.value)

    def __repr__(self) -> str:
        return f"Sneaky({self.value!r})"
