"""What ``fit``, ``evaluate`` and ``Search`` accept as data and as counts: lists or numpy, checked once at the door.

numpy arrays become lists of Python numbers (``tolist()``), and numpy integer and float scalars
pass wherever a Python number does (``epochs=np.int64(2)``, ``lr=np.float32(0.1)``): they are
registered with ``numbers.Integral`` / ``numbers.Real``, which is what the checks ask for.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["check_pair", "count", "examples", "number", "plain"]


def plain(value: Any) -> Any:
    """A numpy array or scalar as Python lists and numbers (``tolist()``); anything else as is.

    >>> plain([1, 2])
    [1, 2]
    """
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    return value


def count(value: object, what: str, *, least: int = 0) -> int:
    """``value`` as an int if it is an integer (Python or numpy, not a bool) >= ``least``; else ValueError naming ``what``.

    >>> count(3, "fit: epochs")
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < least:
        raise ValueError(f"{what} must be an int >= {least}, got {value!r}")
    return int(value)


def number(value: object, what: str, *, least: float = 0.0) -> float:
    """``value`` as a float if it is a finite real (Python or numpy, not a bool) >= ``least``; else ValueError naming ``what``.

    >>> number(0.5, "fit: l2")
    0.5
    """
    number = float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else math.nan
    if not (math.isfinite(number) and number >= least):
        raise ValueError(f"{what} must be a finite number >= {least:g}, got {value!r}")
    return number


def examples(X: Any, what: str) -> list[Any]:
    """``X`` as a list of examples, numpy arrays and numpy numbers turned into lists and floats.

    >>> examples([(1, 2), 3], "X")
    [[1, 2], 3]
    """
    X = plain(X)
    if isinstance(X, (str, bytes)) or not hasattr(X, "__len__") or not hasattr(X, "__iter__"):
        raise TypeError(f"fit: {what} must be a sequence of examples, got {type(X).__name__}")
    rows = []
    for x in X:
        x = plain(x)
        rows.append([plain(v) for v in x] if isinstance(x, (list, tuple)) else x)
    return rows


def check_pair(X: Any, y: Any, what: str) -> tuple[list[Any], list[Any]]:
    """``(X, y)`` as lists of the same, non-zero length; ``what`` names them (``""``: X and y, ``"_val"``: X_val, y_val).

    >>> check_pair([[0.0]], [1], "")
    ([[0.0]], [1])
    """
    xs, ys = examples(X, f"X{what}"), examples(y, f"y{what}")
    if len(xs) != len(ys):
        raise ValueError(f"fit: {len(xs)} inputs but {len(ys)} targets in X{what}/y{what}")
    if not xs:
        raise ValueError(f"fit: X{what} is empty; give at least one example" + (" or leave it out" if what else ""))
    return xs, ys
