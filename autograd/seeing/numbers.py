"""The one number format of the seeing layer: drawings, step lines, the text view, explanations and the page.

The rule, decided once:

- **6 significant digits**, rounded to nearest (``2 ** 0.5`` is ``1.41421``); trailing zeros dropped.
- **Scientific notation** when the rounded number needs it at 6 digits: from 10⁶ up (``1234567.0`` is
  ``1.23457e+06``) and below 10⁻⁴ (``0.00001`` is ``1e-05``), as Python's ``format(x, ".6g")``.
- **Whole numbers after rounding keep one decimal**, as Python prints floats: ``3.0``, ``-2.0``,
  ``100000.0``. So a number that rounds to a whole one reads like it: ``0.9999999999999996`` is
  ``1.0``, never ``1`` beside another node's ``1.0``, and ``99999.99999`` is ``100000.0``, as
  ``99999.0`` is ``99999.0``; ``1e6`` and above are scientific whether whole or not.
- ``nan``, ``inf`` and ``-inf`` as Python writes them; ``-0.0`` is ``0.0`` (a sign on zero tells a
  learner nothing about a gradient).

Numbers in JSON (the trace, the view) are encoded one way, by ``json_number``: finite numbers as
themselves, nan and the infinities as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``, which
JavaScript's ``Number()`` reads back. The page's script receives every number it shows already
formatted by ``fmt`` (the trace's ``…Text``
fields), so there is no second implementation to drift.
"""

from __future__ import annotations

import math
from typing import SupportsFloat

__all__ = ["SIGNIFICANT_DIGITS", "fmt", "json_number"]

#: How many significant digits every number shown has.
SIGNIFICANT_DIGITS = 6


def fmt(x: SupportsFloat) -> str:
    """A number for people: ``3.0``, ``-0.5``, ``1.41421``, ``1.5e-08``, ``1.0`` for 0.9999999999999996.

    >>> fmt(3), fmt(-0.25), fmt(2 ** 0.5), fmt(float("inf")), fmt(0.9999999999999996)
    ('3.0', '-0.25', '1.41421', 'inf', '1.0')
    >>> fmt(99999.99999), fmt(99999.0), fmt(1234567.0), fmt(1e-5), fmt(-0.0)
    ('100000.0', '99999.0', '1.23457e+06', '1e-05', '0.0')
    """
    value = float(x)
    if value == 0.0:
        return "0.0"
    if not math.isfinite(value):
        return repr(value)  # 'nan', 'inf', '-inf'
    text = f"{value:.{SIGNIFICANT_DIGITS}g}"
    if "e" in text or "." in text or text in ("nan", "inf", "-inf"):
        return text
    return f"{text}.0"  # a whole number after rounding, below 10⁶: one decimal, as Python prints floats


def json_number(x: SupportsFloat) -> float | str:
    """A number for JSON (which has no nan or infinity): itself, or ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.

    >>> json_number(0.5), json_number(float("nan")), json_number(float("-inf"))
    (0.5, 'NaN', '-Infinity')
    """
    value = float(x)
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"
