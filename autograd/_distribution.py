"""Which valuegrad this is: its version, and whether another distribution has written into its ``autograd`` folder.

PyPI's HIPS ``autograd`` installs an import package of the same name. pip does not notice: installing
one over the other overwrites ``autograd/__init__.py`` and leaves the two sets of files mixed in one
folder. This module lets valuegrad say so instead of failing later with an unrelated ``ImportError``.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

DISTRIBUTION = "valuegrad"
#: The distribution of PyPI's HIPS autograd, which uses the import name ``autograd`` too.
HIPS_DISTRIBUTION = "autograd"
#: Modules only HIPS autograd has: one of them beside valuegrad's ``__init__.py`` means a shared folder.
#: (A stat each at import; ``importlib.metadata`` would cost more than half of ``import autograd``.)
HIPS_MODULES = ("differential_operators.py", "tracer.py", "wrap_util.py")
PACKAGE_DIR = Path(__file__).resolve().parent


@functools.cache
def distribution_version() -> str:
    """valuegrad's version: the installed distribution's, or for a checkout that is not installed, its ``pyproject.toml``'s.

    >>> distribution_version() == checkout_version() or checkout_version() is None
    True
    """
    from importlib import metadata  # here, not at import: it is slow to import and only needed for the version

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return checkout_version() or "0+unknown"


def checkout_version() -> str | None:
    """The ``version`` of the ``[project]`` table in the ``pyproject.toml`` beside this package, if it is valuegrad's.

    >>> checkout_version() is None or checkout_version().count(".") >= 1
    True
    """
    pyproject = PACKAGE_DIR.parent / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    # tomllib is 3.11+; valuegrad supports 3.10, and the [project] table is ours, so a pattern suffices.
    project = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    if project is None or not re.search(rf'^name\s*=\s*"{DISTRIBUTION}"', project.group(1), re.MULTILINE):
        return None
    found = re.search(r'^version\s*=\s*"([^"]+)"', project.group(1), re.MULTILINE)
    return found.group(1) if found else None


def clash_fix() -> str:
    """What to do when HIPS autograd and valuegrad share one environment (used in both packages' errors).

    >>> "pip uninstall" in clash_fix()
    True
    """
    return (
        "PyPI's HIPS autograd and valuegrad both install an import package named 'autograd', so they cannot "
        "share one environment. Fix: install valuegrad in a virtual environment of its own "
        "(python3 -m venv .venv && .venv/bin/pip install valuegrad), or remove both here and reinstall the "
        "one you want (pip uninstall -y autograd valuegrad && pip install valuegrad): they wrote into the same folder."
    )


def hips_claims_this_folder(folder: Path = PACKAGE_DIR) -> str | None:
    """If HIPS autograd's modules share valuegrad's ``autograd`` folder, HIPS's version (``"unknown"`` without its
    metadata); else None.

    A HIPS autograd elsewhere on ``sys.path`` (say, in site-packages while valuegrad runs from a
    checkout) does not count: then ``import autograd`` finds valuegrad's and both work as installed.

    >>> hips_claims_this_folder() is None   # this environment has no HIPS autograd in valuegrad's folder
    True
    """
    if not any((folder / name).is_file() for name in HIPS_MODULES):
        return None
    from importlib import metadata

    try:
        hips = metadata.distribution(HIPS_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"  # its files without its record: still two packages in one folder
    ours = (folder / "__init__.py").resolve()
    inits = [file for file in hips.files or () if file.parts == ("autograd", "__init__.py")]
    claimed = any(Path(str(hips.locate_file(file))).resolve() == ours for file in inits)
    return hips.version if claimed else "unknown"


def check_no_clash(folder: Path = PACKAGE_DIR) -> None:
    """Raise ``ImportError`` naming the clash and the fix when HIPS autograd is installed into valuegrad's folder.

    >>> check_no_clash()   # nothing to report here
    """
    version = hips_claims_this_folder(folder)
    if version is not None:
        raise ImportError(
            f"valuegrad's 'autograd' package at {folder} shares its folder with PyPI's HIPS autograd "
            f"{version} (pip installed one over the other). {clash_fix()}"
        )


check_no_clash()  # at import: autograd/__init__.py imports this module before anything else
