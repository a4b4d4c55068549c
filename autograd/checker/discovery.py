"""What a class offers: how it is built, where data and grad live, backward, parents, zeroing, and which operators.

Runs in the child process on the student's class. Operators are found by name (``__radd__``,
``tanh``) and, for methods with unusual names (``tan_h``, ``ReLU``), by behaviour: a method that
takes no argument and computes a rule's forward at two probe points is that rule.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from autograd.checker.operators import OPERATORS
from autograd.rules import RULES

DATA_NAMES = ("data", "value", "val")
PARENT_NAMES = ("_prev", "parents", "_children", "children", "prev", "_parents")
#: Alternative method names by rule, tried before behaviour.
ALIASES = {"relu": ("ReLU", "Relu"), "tanh": ("Tanh",), "log": ("ln",), "exp": ("Exp",), "sigmoid": ("Sigmoid",)}
#: Methods never called while probing (they have side effects, or are what the checker tests separately).
NOT_PROBED = {"backward", "zero_grad", "zero", "build_topo", "topo", "topological_order", "draw", "show", "render"}
#: Exceptions that mean "this operator is not offered", not "this operator is broken".
UNSUPPORTED = (TypeError, AttributeError, NotImplementedError, AssertionError)


class Engine:
    """A student's class, with the names its parts were found under."""

    def __init__(
        self,
        cls: type,
        guard: Callable[[Callable[[], Any]], Any] | None = None,
        announce: Callable[[str], None] = lambda key: None,
        broken: frozenset[str] = frozenset(),
    ) -> None:
        """Find everything; ``announce(key)`` is told before each operator's probe, ``broken`` ones are not probed."""
        self.cls = cls
        # Runs one probe under a time limit (the child's timer); a probe that hangs means "present, broken".
        self.guard = guard or (lambda probe: probe())
        #: What ``guard`` raises when a probe runs out of time.
        self.timeout: type[BaseException] = getattr(guard, "timeout", TimeoutError)
        probe = cls(1.5)
        self.data = next((n for n in DATA_NAMES if _number(getattr(probe, n, None)) == 1.5), "")
        if not self.data:
            raise TypeError(f"{cls.__name__}(1.5) keeps 1.5 in none of {', '.join(DATA_NAMES)}")
        self.grad = "grad"
        self.parents = next((n for n in PARENT_NAMES if _is_collection(getattr(probe, n, None))), "")
        self.zero = "zero_grad" if callable(getattr(probe, "zero_grad", None)) else ""
        try:
            cls(1.5, (), "")
            self.micrograd_constructor = True
        except Exception:
            self.micrograd_constructor = False
        self.ops: dict[str, str] = {}
        self.missing: dict[str, str] = {}
        for key, op in OPERATORS.items():
            if key in broken:
                self.ops[key] = op.method  # its probe killed the process: present, and the checks say how it fails
                continue
            announce(key)
            method, reason = self._find(key)
            if method:
                self.ops[key] = method
            else:
                self.missing[key] = reason

    def value_of(self, node: Any) -> Any:
        """A node's data."""
        return getattr(node, self.data)

    def _find(self, key: str) -> tuple[str, str]:
        op = OPERATORS[key]
        domain = op.domain()
        x = _inside(domain[0], 0.7)
        if op.kind == "unary":
            names = [op.method, *ALIASES.get(op.rule, ())]
            for method in names:
                if callable(getattr(self.cls, method, None)) and self._works(key, method, x):
                    return method, ""
            for method in self._unknown_methods():
                if self._computes(op.rule, method):
                    return method, ""
            return "", f"{self.cls.__name__} has no {op.method}()" if op.method[0] != "_" else f"no {op.method}"
        if getattr(self.cls, op.method, None) is None:
            return "", f"{self.cls.__name__} has no {op.method}"
        y = _inside(domain[1], 1.5)
        left = self.cls(x)
        right: Any = y if op.kind != "binary" else self.cls(y)
        try:
            self.guard(lambda: self.value_of(op.call(op.method)(*((right, left) if op.kind == "reflected" else (left, right)))))
        except UNSUPPORTED as error:
            return "", f"{op.written('x', 'y' if op.kind == 'binary' else y)} raises {type(error).__name__}: {error}"[:200]
        except Exception:
            pass  # present but broken: the checks say how
        except self.timeout:
            pass  # present, and it hangs: the checks report it
        return op.method, ""

    def _works(self, key: str, method: str, x: float) -> bool:
        try:
            self.guard(lambda: self.value_of(OPERATORS[key].call(method)(self.cls(x))))
        except UNSUPPORTED:
            return False
        except Exception:
            pass
        except self.timeout:
            pass
        return True

    def _unknown_methods(self) -> list[str]:
        known = {op.method for op in OPERATORS.values()} | {a for names in ALIASES.values() for a in names}
        return [
            name
            for name in dir(self.cls)
            if not name.startswith("_")
            and name not in known
            and name not in NOT_PROBED
            and callable(getattr(self.cls, name, None))
        ]

    def _computes(self, rule: str, method: str) -> bool:
        forward = RULES[rule].forward
        domain = RULES[rule].domain[0]
        for x in (_inside(domain, 0.7), _inside(domain, 1.3)):
            try:
                got = _number(self.guard(lambda x=x: self.value_of(getattr(self.cls(x), method)())))  # type: ignore[misc]
            except (Exception, self.timeout):
                return False
            if got is None or not math.isclose(got, forward(x), rel_tol=1e-6, abs_tol=1e-9):
                return False
        return True

    def describe(self) -> dict[str, Any]:
        """What was found, as JSON-able data (the child's first message)."""
        return {
            "class": self.cls.__name__,
            "data": self.data,
            "grad": self.grad,
            "parents": self.parents,
            "zero": self.zero,
            "micrograd_constructor": self.micrograd_constructor,
            "ops": self.ops,
            "missing": self.missing,
        }


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        try:
            return float(operator.index(x)) if isinstance(x, int) else float(x) if hasattr(x, "__float__") else None
        except Exception:
            return None
    return float(x)


def _is_collection(x: Any) -> bool:
    return isinstance(x, (set, frozenset, tuple, list))


def _inside(interval: Any, x: float) -> float:
    """``x`` moved inside ``interval`` (and out of its gap)."""
    x = min(max(x, interval.low), interval.high)
    return x if abs(x) >= interval.gap else interval.gap
