"""Set up a virtual environment and run the project's tasks, with nothing but Python >= 3.10.

    python3 dev.py demo    # create .venv (first time), install valuegrad, run the main demo
    python3 dev.py test    # the same set-up, then the whole test suite, on the C engine and on the pure one
    python3 dev.py lint    # ruff and mypy --strict
    python3 dev.py generate  # rewrite autograd/_ops.py and autograd/_native/_ops.h from autograd/rules.py
    python3 dev.py sanitize  # the C engine under AddressSanitizer + UBSan: engine tests and fuzzer (tools/sanitize.py)

Many systems refuse a global ``pip install``, so everything goes into ``.venv`` next to this file.
``python3 dev.py test --fast`` skips the tests marked slow and runs fewer Hypothesis examples (under
a minute); any other options after ``test`` go to pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"


def run(*args: str | Path) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True)


def run_env(env: dict[str, str], *args: str | Path) -> None:
    print("+", " ".join(f"{k}={v}" for k, v in env.items()), " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True, env={**os.environ, **env})


def ensure_venv() -> None:
    """Create .venv and install the project with its dev extras, once (again when pyproject.toml changes)."""
    if sys.version_info < (3, 10):  # noqa: UP036 - this script is what an older Python runs first
        sys.exit(f"valuegrad needs Python >= 3.10; this is {sys.version.split()[0]}")
    pyproject = ROOT / "pyproject.toml"
    if STAMP.exists() and STAMP.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    if not PYTHON.exists():
        print(f"+ creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.touch()


def fast_profile(extra: list[str]) -> list[str]:
    """Turn ``--fast`` into pytest's ``-m "not slow"`` and select Hypothesis's ``fast`` profile (tests/conftest.py)."""
    if "--fast" not in extra:
        return extra
    os.environ.setdefault("HYPOTHESIS_PROFILE", "fast")
    return ["-m", "not slow", *(a for a in extra if a != "--fast")]


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "help"
    extra = fast_profile(argv[1:]) if task == "test" else argv[1:]
    if task == "demo":
        ensure_venv()
        run(PYTHON, "-m", "demos.moons", *extra)
    elif task == "test":
        ensure_venv()
        # The whole suite on each engine: the C one (where it is built), then the pure reference.
        # --fast is the quick check while working: the default engine only (CI runs both, in full).
        run(PYTHON, "-m", "pytest", *extra)
        if "--fast" not in argv[1:]:
            run_env({"VALUEGRAD_PURE": "1"}, PYTHON, "-m", "pytest", *extra)
    elif task == "lint":
        ensure_venv()
        run(BIN / "ruff", "check", ".")
        run(PYTHON, "-m", "mypy", "--strict")
    elif task == "generate":
        # Plain Python and the standard library only, so it runs before any set-up.
        # Every generated file (pure operators, C operators, C tape opcodes) from the same rows, one --check.
        run(sys.executable, "-m", "tools.codegen", *extra)
    elif task == "sanitize":
        ensure_venv()
        run(PYTHON, "-m", "tools.sanitize", *extra)
    elif task == "setup":
        ensure_venv()
    else:
        print(__doc__)
        return 0 if task == "help" else 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)
