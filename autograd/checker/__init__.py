"""Check anyone's scalar autograd engine against valuegrad's: ``check_engine(Value)`` and the grader.

>>> from autograd.checker import check_engine, Budget
>>> report = check_engine("micrograd.engine:Value", budget=Budget(operator=5, programs=5, repeated=5, deep=300))
>>> report.passed
True
"""

from __future__ import annotations

from autograd.checker.check import Budget, check_engine
from autograd.checker.report import Report, Result

__all__ = ["Budget", "Report", "Result", "check_engine"]
