"""Build the C engine with AddressSanitizer + UBSan and run the engine tests and the fuzzer on it.

    python3 dev.py sanitize            # build into build/sanitize/, run ENGINE_TESTS, fail on any report
    python3 dev.py sanitize -k parents # extra arguments go to pytest (test paths replace ENGINE_TESTS)

The sanitized extension is built in its own folder (the one in ``autograd/_native/`` is left
alone) with ``VALUEGRAD_SANITIZE=1`` (gcc's ``-fsanitize=address,undefined``, undefined behaviour
fatal) and ``VALUEGRAD_EPOCH_LIMIT`` set low, so the walks' visit mark wraps every few hundred
walks during the run (read by ``setup.py``). Python is not built with the sanitizers, so the run
preloads ``libasan`` and sets ``PYTHONMALLOC=malloc`` (every Python object then comes from
malloc, where a use-after-free is seen; freed slab nodes are poisoned by the engine itself). A
``sitecustomize`` put first on ``PYTHONPATH`` makes ``import autograd._native._core`` load the
sanitized build, in this process's children too. Any report fails the run: sanitizer errors stop
the process (``halt_on_error``) and are also written to ``build/sanitize/reports/``, which must
stay empty. Leak checking is off: CPython frees little at exit by design.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "sanitize"
LIB = OUT / "lib"
SITE = OUT / "site"
REPORTS = OUT / "reports"
#: The visit mark wraps after about this many walks in the sanitized build (the default is 2**32).
EPOCH_LIMIT = 1000
#: The tests about the C engine's memory, re-entrancy and walks, and the fuzzer.
ENGINE_TESTS = (
    "tests/test_native.py",
    "tests/test_native_fuzz.py",
    "tests/test_backward.py",
    "tests/test_value_internals.py",
    "tests/test_engines.py",
    "tests/test_custom.py",
    "tests/test_micrograd_habits.py",
    "tests/test_value.py",
    "tests/test_rules_numbers.py",
)
#: Examples per fuzz test in the sanitized run (the other tests use Hypothesis's ``fast`` profile).
FUZZ_EXAMPLES = 300

SITECUSTOMIZE = '''"""Written by tools/sanitize.py: load the sanitized build of autograd._native._core."""
import importlib.abc
import importlib.util
import os
import sys

_CORE = os.environ.get("VALUEGRAD_SANITIZED_CORE", "")


class _SanitizedCore(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "autograd._native._core" and _CORE:
            return importlib.util.spec_from_file_location(name, _CORE)
        return None


if _CORE:
    sys.meta_path.insert(0, _SanitizedCore())
'''


def preload() -> str:
    """gcc's AddressSanitizer runtime, to preload into an uninstrumented python, and libstdc++ after it
    (ASan can only intercept C++ exceptions, which extensions such as matplotlib's throw, if it is loaded)."""
    paths = []
    for name in ("libasan.so", "libstdc++.so"):
        found = subprocess.run(["gcc", f"-print-file-name={name}"], capture_output=True, text=True, check=True).stdout.strip()
        if os.path.isabs(found) and Path(found).exists():
            paths.append(found)
        elif name == "libasan.so":
            raise SystemExit(f"sanitize: gcc has no libasan.so (got {found!r}); install gcc's sanitizer runtime (libasan)")
    return " ".join(paths)


def build() -> Path:
    """Compile the sanitized extension into build/sanitize/lib and return its path."""
    env = {**os.environ, "VALUEGRAD_SANITIZE": "1", "VALUEGRAD_EPOCH_LIMIT": str(EPOCH_LIMIT)}
    temp = OUT / "temp"
    command = [sys.executable, "setup.py", "-q", "build_ext", "--force", "--build-lib", str(LIB), "--build-temp", str(temp)]
    print("+ VALUEGRAD_SANITIZE=1", " ".join(command), flush=True)
    shutil.rmtree(LIB, ignore_errors=True)
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    built = sorted((LIB / "autograd" / "_native").glob("_core*.so"))
    if not built:  # setup.py turns a failed compile into a notice, so look for the file
        raise SystemExit("sanitize: the sanitized C engine did not build (see the compiler output above)")
    return built[0]


def sanitized_env(core: Path) -> dict[str, str]:
    """The environment that runs python on the sanitized build and stops at the first report."""
    SITE.mkdir(parents=True, exist_ok=True)
    (SITE / "sitecustomize.py").write_text(SITECUSTOMIZE)
    shutil.rmtree(REPORTS, ignore_errors=True)
    REPORTS.mkdir(parents=True)
    common = f"halt_on_error=1:print_stacktrace=1:log_path={REPORTS}"
    return {
        **os.environ,
        "LD_PRELOAD": preload(),
        "ASAN_OPTIONS": f"detect_leaks=0:abort_on_error=0:{common}/asan",
        "UBSAN_OPTIONS": f"{common}/ubsan",
        "PYTHONMALLOC": "malloc",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SITE), str(ROOT), os.environ.get("PYTHONPATH", "")])),
        "VALUEGRAD_SANITIZED_CORE": str(core),
        "HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", "fast"),
        "VALUEGRAD_FUZZ_EXAMPLES": os.environ.get("VALUEGRAD_FUZZ_EXAMPLES", str(FUZZ_EXAMPLES)),
    }


CHECK = f"""
import autograd, autograd._native._core as core
assert autograd.BACKEND == "native", autograd.BACKEND
assert core.__file__ == {{core!r}}, core.__file__
assert core.EPOCH_LIMIT == {EPOCH_LIMIT}, core.EPOCH_LIMIT
print("sanitize: running on", core.__file__)
"""


def main(argv: list[str]) -> int:
    """Build, check the sanitized build is the one imported, run the tests; 0 when nothing was reported."""
    started = time.monotonic()
    core = build()
    env = sanitized_env(core)
    tests = () if any(arg.startswith("tests") for arg in argv) else ENGINE_TESTS
    steps = [
        [sys.executable, "-c", CHECK.format(core=str(core))],
        [sys.executable, "tools/valgrind_native.py"],
        # Options alone (``-k parents``, ``--durations=5``) go with the engine tests; paths replace them.
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests, *argv],
    ]
    failed = 0
    for command in steps:
        print("+", " ".join(command[:3]), "..." if len(command) > 3 else "", flush=True)
        failed = subprocess.run(command, cwd=ROOT, env=env).returncode
        if failed:
            break
    reports = sorted(REPORTS.iterdir())
    for report in reports:
        print(f"== {report}\n{report.read_text()}", file=sys.stderr)
    elapsed = time.monotonic() - started
    verdict = "FAILED" if failed or reports else "clean"
    print(f"sanitize: {verdict} ({len(reports)} sanitizer report(s), {elapsed:.0f} s)", flush=True)
    return 1 if failed or reports else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
