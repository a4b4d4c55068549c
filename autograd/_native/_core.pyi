"""Type stubs for the C extension (autograd/_native/_core.c)."""

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

NODE_BYTES: int
RULES_DIGEST: str
EPOCH_LIMIT: int

class Value:
    """The C engine's node (made by ``_configure``, inheriting autograd.base.ValueBase); typed as autograd.node.Value."""

    data: float
    grad: float
    def __init__(
        self, data: float, _children: Iterable[Value] = (), _op: str | Iterable[float] = "", label: str = ""
    ) -> None: ...
    def __getattr__(self, name: str) -> Any: ...

def topological_order(root: Value) -> list[Value]: ...
def apply(op: str, *inputs: Value | float) -> Value: ...
def vsum(values: Iterable[Value | float]) -> Value: ...
def dot(weights: Iterable[Value | float], inputs: Iterable[Value | float], bias: Value | float = 0.0) -> Value: ...
def _make_node(op: str, parents: Iterable[Value], data: float, locals: Iterable[float]) -> Value: ...
def _configure(
    *,
    grad_enabled: ContextVar[bool],
    float_helpers: dict[str, Any],
    real: type,
    base: type,
    errors: Any,
    apply: Callable[..., Any],
    custom_locals: Callable[[str, tuple[float, ...], float], tuple[float, ...]],
    pure_value: Callable[..., Any],
) -> None: ...
def memory_stats() -> dict[str, int]: ...
def grad_mode_changed() -> None: ...
def release_memory() -> int: ...
