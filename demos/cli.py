"""The ``valuegrad`` command: list the demos, and run one by name, from anywhere valuegrad is installed.

    valuegrad                      # what the command does, and the demos
    valuegrad demo                 # the demos, one line each
    valuegrad demo moons --quick   # run one; everything after its name goes to the demo
    valuegrad --version

From a checkout, ``python -m demos.cli`` does the same.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
import sys
from collections.abc import Sequence

import autograd
import demos

USAGE = """usage: valuegrad demo [NAME [OPTIONS...]]    run a demo (bare: list them); NAME --help for its options
       valuegrad check ENGINE.py[:CLASS] | --grade FOLDER   check an autograd engine (--help for options)
       valuegrad --version
Pictures go to ./out/ (or --out DIR). The figures need matplotlib: pip install 'valuegrad[demos]'."""
#: Modules of the demos package that are not demos.
NOT_DEMOS = frozenset({"cli"})
#: First-party packages: a missing module outside them is an optional dependency the user can install.
OURS = frozenset({"autograd", "nn", "demos"})


def demo_names() -> list[str]:
    """Every demo's module name in ``demos``, found by walking the package (helpers start with ``_``).

    >>> {"moons", "walkthrough"} <= set(demo_names())
    True
    """
    return sorted(m.name for m in pkgutil.iter_modules(demos.__path__) if not m.name.startswith("_") and m.name not in NOT_DEMOS)


def summary(name: str) -> str:
    """The first line of a demo's module docstring, read from its source without importing it (no matplotlib needed).

    >>> summary("moons")
    "micrograd's classic demo: an MLP learns to separate two moons, then meets 1,000 points it never saw."
    """
    spec = importlib.util.find_spec(f"demos.{name}")
    if spec is None or spec.origin is None:
        return ""
    with open(spec.origin, encoding="utf-8") as source:
        docstring = ast.get_docstring(ast.parse(source.read())) or ""
    return docstring.strip().splitlines()[0] if docstring.strip() else ""


def listing() -> str:
    """The demos as a table: name, then what it shows.

    >>> print(listing())  # doctest: +ELLIPSIS
    demos (valuegrad demo NAME [OPTIONS]; NAME --help lists its options):
    ...
      moons ...
    """
    names = demo_names()
    width = max(map(len, names))
    lines = [f"  {name.ljust(width)}  {summary(name)}" for name in names]
    return "demos (valuegrad demo NAME [OPTIONS]; NAME --help lists its options):\n" + "\n".join(lines)


def run_demo(name: str, argv: Sequence[str]) -> int:
    """Run demo ``name`` with ``argv`` as its command line; a missing optional dependency is an exit code 1 with the fix.

    >>> import contextlib, io, tempfile
    >>> with contextlib.redirect_stdout(io.StringIO()) as printed:
    ...     code = run_demo("walkthrough", ["--out", tempfile.mkdtemp()])
    >>> code, "backward" in printed.getvalue()
    (0, True)
    """
    try:
        module = importlib.import_module(f"demos.{name}")
        result = module.main(list(argv))
    except ModuleNotFoundError as error:
        missing = (error.name or "").partition(".")[0]
        if not missing or missing in OURS:
            raise
        print(
            f"valuegrad demo {name} needs {missing}, which is not installed: pip install 'valuegrad[demos]'",
            file=sys.stderr,
        )
        return 1
    # Most demos return an exit code; demos.webpage returns the pages it wrote.
    return result if isinstance(result, int) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``valuegrad`` console script; returns the exit code.

    >>> main(["--version"]) == 0
    valuegrad ...
    True
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(f"{USAGE}\n\n{listing()}")
        return 0
    if args[0] == "--version":
        print(f"valuegrad {autograd.__version__}")
        return 0
    if args[0] == "check":
        try:
            from autograd.checker.command import main as check
        except ModuleNotFoundError as error:
            if error.name != "hypothesis":
                raise
            print("valuegrad check draws its programs with Hypothesis: pip install 'valuegrad[testing]'", file=sys.stderr)
            return 1
        return check(args[1:])
    if args[0] != "demo":
        print(f"valuegrad: unknown command {args[0]!r}\n{USAGE}", file=sys.stderr)
        return 2
    if len(args) == 1:
        print(listing())
        return 0
    name = args[1]
    if name not in demo_names():
        print(f"valuegrad: no demo named {name!r}\n{listing()}", file=sys.stderr)
        return 2
    return run_demo(name, args[2:])


if __name__ == "__main__":
    sys.exit(main())
