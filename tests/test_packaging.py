"""Packaging: versions, the sdist and the wheel as a user gets them, and the import-name clash with PyPI's HIPS autograd.

The slow tests build with ``python -m build`` and install into fresh virtual environments outside
the repository, the way a user does (pip reads its usual index configuration).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import autograd
import nn
from autograd import _distribution

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "nn", "demos")


def pyproject_version() -> str:
    """The version pyproject.toml declares, read independently of the code under test."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'^\[project\][^\[]*?^version = "([^"]+)"', text, re.MULTILINE | re.DOTALL)
    assert found is not None
    return found.group(1)


def test_versions_are_the_distributions() -> None:
    """autograd.__version__ and nn.__version__ are pyproject.toml's version (from a checkout or an install)."""
    assert autograd.__version__ == nn.__version__ == pyproject_version()
    assert _distribution.checkout_version() == pyproject_version()


def test_checkout_version_reads_only_valuegrads_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another project's pyproject.toml beside the package is no source of valuegrad's version."""
    (tmp_path / "autograd").mkdir()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\nversion = "9.9"\n', encoding="utf-8")
    monkeypatch.setattr(_distribution, "PACKAGE_DIR", tmp_path / "autograd")
    assert _distribution.checkout_version() is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "valuegrad"\nversion = "9.9"\n', encoding="utf-8")
    assert _distribution.checkout_version() == "9.9"


def test_hips_modules_beside_ours_are_a_clash(tmp_path: Path) -> None:
    """A folder holding valuegrad's __init__.py and one of HIPS autograd's modules raises ImportError naming both and the fix;
    the same folder without it does not (the installed case is tested for real below)."""
    (tmp_path / "__init__.py").write_text("", encoding="utf-8")
    _distribution.check_no_clash(tmp_path)
    (tmp_path / "tracer.py").write_text("", encoding="utf-8")
    with pytest.raises(ImportError, match=r"shares its folder with PyPI's HIPS autograd unknown .*pip uninstall -y autograd"):
        _distribution.check_no_clash(tmp_path)


def test_importing_autograd_reads_no_package_metadata() -> None:
    """``import autograd`` stays quick: importlib.metadata (slower to import than the engine) waits for ``__version__``."""
    loaded = "print('importlib.metadata' in sys.modules)"
    code = f"import sys, autograd; {loaded}; autograd.__version__; {loaded}"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]


# ------------------------------------------------------------------------------------- built and installed


def run(*args: str | Path, cwd: Path, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command outside the repository; on failure the assertion shows its output."""
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env, timeout=900)
    if check:
        assert result.returncode == 0, f"{args} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


#: What pip and build print when the package index cannot be reached (offline machine, no mirror).
UNREACHABLE = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "No matching distribution found",
    "Network is unreachable",
)


def needs_index(result: subprocess.CompletedProcess[str], what: str) -> subprocess.CompletedProcess[str]:
    """Skip with the reason when a command failed because the package index is unreachable; fail on any other error."""
    output = result.stdout + result.stderr
    if result.returncode != 0 and any(sign in output for sign in UNREACHABLE):
        pytest.skip(f"{what}: the package index cannot be reached ({output.strip()[-300:]})")
    assert result.returncode == 0, f"{what} exited {result.returncode}\n{output}"
    return result


def pip_install(bin_dir: Path, *args: str | Path, cwd: Path, env: dict[str, str]) -> None:
    """``pip install --quiet ARGS`` in a virtual environment (skipping the test if the index cannot be reached)."""
    result = run(bin_dir / "python", "-m", "pip", "install", "--quiet", *args, cwd=cwd, env=env, check=False)
    needs_index(result, f"pip install {' '.join(str(a) for a in args)}")


def fresh_venv(where: Path) -> Path:
    """A new virtual environment with pip and nothing else; returns its bin folder."""
    venv.create(where, with_pip=True, clear=True)
    return where / ("Scripts" if os.name == "nt" else "bin")


def clean_env() -> dict[str, str]:
    """The environment without PYTHONPATH, so nothing from the checkout leaks into the installed package."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The sdist and the wheel, built by ``python -m build`` (which builds the wheel from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    needs_index(run(sys.executable, "-m", "build", "--outdir", out, ROOT, cwd=out, check=False), "python -m build")
    (sdist,) = out.glob("valuegrad-*.tar.gz")
    (wheel,) = out.glob("valuegrad-*.whl")
    yield sdist, wheel


def tracked_files() -> set[str]:
    """Every committed file of the installable packages (git), paths relative to the root: modules, assets, C sources."""
    listed = subprocess.run(["git", "ls-files", *PACKAGES], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return set(listed.splitlines())


def tracked_modules() -> set[str]:
    """The Python modules among ``tracked_files()``."""
    return {name for name in tracked_files() if name.endswith(".py")}


@pytest.mark.slow
def test_sdist_holds_the_packages_and_no_tests(dist: tuple[Path, Path]) -> None:
    """The sdist holds every committed file of autograd, nn and demos, the README and LICENSE, and no tests.

    No tests by choice (docs/install.md): the suite needs the whole repository, so it runs from a clone.
    The wheel of the ``dist`` fixture is built from this sdist, so the sdist is complete enough to build.
    """
    sdist, _ = dist
    with tarfile.open(sdist) as archive:
        names = {name.partition("/")[2] for name in archive.getnames()}
    assert tracked_modules() and tracked_files() <= names, sorted(tracked_files() - names)
    assert {"README.md", "LICENSE", "pyproject.toml"} <= names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "docs/")) or "/test_" in n or n.startswith("test_")]


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_runs_the_demos_and_the_readme(dist: tuple[Path, Path], tmp_path: Path) -> None:
    """From the wheel, outside the repository: `valuegrad` lists the demos, a demo without [demos] names the extra,
    with it `valuegrad demo moons` trains and draws, the versions match, and the README's session runs."""
    _, wheel = dist
    with zipfile.ZipFile(wheel) as archive:
        assert tracked_modules() <= set(archive.namelist())
    bin_dir = fresh_venv(tmp_path / "venv")
    work = tmp_path / "work"
    work.mkdir()
    env = clean_env()
    pip_install(bin_dir, wheel, cwd=work, env=env)

    listing = run(bin_dir / "valuegrad", cwd=work, env=env).stdout
    assert "usage: valuegrad demo" in listing and "  moons " in listing and "  walkthrough " in listing
    assert run(bin_dir / "valuegrad", "demo", cwd=work, env=env).stdout.count("\n") >= 6

    missing = run(bin_dir / "valuegrad", "demo", "moons", "--quick", cwd=work, env=env, check=False)
    assert missing.returncode == 1 and "pip install 'valuegrad[demos]'" in missing.stderr, missing.stderr

    pip_install(bin_dir, f"valuegrad[demos] @ {wheel.as_uri()}", cwd=work, env=env)
    moons = run(bin_dir / "valuegrad", "demo", "moons", "--quick", "--out", "pictures", cwd=work, env=env).stdout
    assert "test accuracy" in moons
    assert (work / "pictures" / "moons_decision_boundary.png").stat().st_size > 5_000

    code = "import autograd, nn; print(autograd.__version__, nn.__version__, autograd.__file__)"
    version_a, version_n, location = run(bin_dir / "python", "-c", code, cwd=work, env=env).stdout.split()
    assert version_a == version_n == pyproject_version()
    assert not Path(location).is_relative_to(ROOT), location  # the installed copy, not the checkout

    doctest_readme = (
        "import doctest, sys; r = doctest.testfile(sys.argv[1], module_relative=False, optionflags=doctest.ELLIPSIS); "
        "print(r.attempted); sys.exit(1 if r.failed or not r.attempted else 0)"
    )
    run(bin_dir / "python", "-c", doctest_readme, ROOT / "README.md", cwd=work, env=env)


@pytest.mark.slow
def test_hips_autograd_in_the_same_environment_is_named_with_the_fix(dist: tuple[Path, Path], tmp_path: Path) -> None:
    """With PyPI's HIPS autograd installed over valuegrad, `import nn` says so and how to fix it; installed the
    other way round, `import autograd` does (pip puts both into one autograd/ folder)."""
    _, wheel = dist
    bin_dir = fresh_venv(tmp_path / "venv")
    env = clean_env()
    pip_install(bin_dir, wheel, cwd=tmp_path, env=env)
    pip_install(bin_dir, "autograd", cwd=tmp_path, env=env)  # PyPI's HIPS autograd

    over = run(bin_dir / "python", "-c", "import nn", cwd=tmp_path, env=env, check=False)
    assert over.returncode == 1
    assert "ImportError: valuegrad's nn needs valuegrad's autograd" in over.stderr
    assert "HIPS autograd" in over.stderr and "pip uninstall -y autograd valuegrad" in over.stderr
    assert "cannot import name" not in over.stderr

    pip_install(bin_dir, "--force-reinstall", "--no-deps", wheel, cwd=tmp_path, env=env)
    under = run(bin_dir / "python", "-c", "import autograd", cwd=tmp_path, env=env, check=False)
    assert under.returncode == 1
    clash = r"ImportError: valuegrad's 'autograd' package at .* shares its folder with PyPI's HIPS autograd \d"
    assert re.search(clash, under.stderr), under.stderr
    assert "virtual environment of its own" in under.stderr

    run(bin_dir / "python", "-m", "pip", "uninstall", "--quiet", "-y", "autograd", "valuegrad", cwd=tmp_path, env=env)
    pip_install(bin_dir, wheel, cwd=tmp_path, env=env)  # the documented fix works
    assert run(bin_dir / "python", "-c", "import nn; print(nn.MLP(2, [1], seed=0))", cwd=tmp_path, env=env).stdout
