"""Checked on ``import nn``, before any nn module imports from ``autograd``: that ``autograd`` is valuegrad's.

PyPI's HIPS autograd installs an import package of the same name. Without this check the first sign
of the clash is "cannot import name 'Value' from 'autograd'", which says nothing about why.
"""

from __future__ import annotations

import autograd


def foreign_autograd_message(module: object) -> str:
    """The ImportError message for an ``autograd`` that is not valuegrad's: what was found, why it clashes, the fix.

    >>> "HIPS autograd" in foreign_autograd_message(object())
    True
    """
    where = getattr(module, "__file__", None) or "an unknown location"
    try:
        from importlib import metadata

        installed = f"; installed: PyPI's 'autograd' {metadata.version('autograd')}"
    except Exception:  # no HIPS autograd distribution to name, or broken metadata: say what we know
        installed = ""
    return (
        f"valuegrad's nn needs valuegrad's autograd, but 'import autograd' found another package of that name "
        f"({where}{installed}). PyPI's HIPS autograd and valuegrad both install an import package named 'autograd', "
        "so they cannot share one environment. Fix: install valuegrad in a virtual environment of its own "
        "(python3 -m venv .venv && .venv/bin/pip install valuegrad), or remove both here and reinstall the one you want "
        "(pip uninstall -y autograd valuegrad && pip install valuegrad): they wrote into the same folder."
    )


if getattr(autograd, "__valuegrad__", False) is not True:
    raise ImportError(foreign_autograd_message(autograd))


def version() -> str:
    """valuegrad's version, read from its autograd (one distribution installs both packages).

    >>> version() == autograd.__version__
    True
    """
    return str(autograd.__version__)
