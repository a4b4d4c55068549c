"""README.md and docs/*.md: their sessions print what they show, their links and test names exist, the README stays an
entry, the operator table is current, and the code keeps the layers docs/architecture.md describes."""

from __future__ import annotations

import ast
import doctest
import re
from pathlib import Path

import pytest

from tools.readme_tables import committed_tables, marked_table

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
#: README.md and every guide: a new docs/*.md is collected without a list to update.
DOCUMENTS = [README, *sorted(DOCS.glob("*.md"))]
#: Guides still being written on other branches (speed by native, lessons by lessons): links to them are
#: accepted while they are missing. Once merged they exist and are checked like any link, and this set can go.
WRITTEN_ON_OTHER_BRANCHES = {"docs/speed.md", "docs/lessons.md"}
#: The packages whose modules docs/architecture.md places in layers (tests/, benchmarks/ and tools/ sit above all).
PACKAGES = ("autograd", "nn", "demos")


def doc_id(path: Path) -> str:
    """A document's path from the repository root, as the test id."""
    return path.relative_to(ROOT).as_posix()


def links(path: Path) -> list[str]:
    """The relative link and image targets of a Markdown file, anchors dropped (``docs/x.md#part`` -> ``docs/x.md``)."""
    targets = re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8"))
    return [t.partition("#")[0] for t in targets if "://" not in t and not t.startswith(("#", "mailto:"))]


# ----------------------------------------------------------------------------------------------- sessions


@pytest.mark.parametrize("path", DOCUMENTS, ids=doc_id)
def test_sessions_reproduce(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every >>> line runs and prints exactly what the document shows (files it writes go to a scratch folder)."""
    monkeypatch.chdir(tmp_path)
    text = path.read_text(encoding="utf-8")
    result = doctest.testfile(str(path), module_relative=False, optionflags=doctest.ELLIPSIS, encoding="utf-8")
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {doc_id(path)} failed (output above)"
    examples = doctest.DocTestParser().get_examples(text)
    assert len(examples) == text.count("\n>>> "), "a >>> line is not read as an example (indentation?)"
    assert result.attempted == sum(not e.options.get(doctest.SKIP) for e in examples), "some sessions were not run"
    # A drawing a session renders is a real SVG with nodes in it, not an empty file.
    for svg in re.findall(r'render\(outfile="([^"]+\.svg)"\)', text):
        assert (tmp_path / svg).read_text(encoding="utf-8").count('<g id="n') >= 3, svg


def fenced_programs(path: Path) -> list[tuple[str, str | None]]:
    """Each ```python block that is a program (no ``>>>``), with the ```text block right after it if there is one."""
    blocks = re.findall(r"```(\w*)\n(.*?)```", path.read_text(encoding="utf-8"), re.DOTALL)
    programs: list[tuple[str, str | None]] = []
    for i, (language, body) in enumerate(blocks):
        if language == "python" and ">>>" not in body:
            after = blocks[i + 1] if i + 1 < len(blocks) else None
            programs.append((body, after[1] if after is not None and after[0] == "text" else None))
    return programs


@pytest.mark.parametrize("path", DOCUMENTS, ids=doc_id)
def test_fenced_programs_are_python(path: Path) -> None:
    """Every ```python program (a block without ``>>>``) at least compiles; those followed by output are run below."""
    for body, _ in fenced_programs(path):
        compile(body, f"{doc_id(path)}:fenced", "exec")


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in DOCUMENTS if any(out for _, out in fenced_programs(p))], ids=doc_id)
def test_fenced_programs_print_the_output_shown(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ```python program followed by a ```text block prints exactly that text when run."""
    monkeypatch.chdir(tmp_path)
    for body, shown in fenced_programs(path):
        if shown is not None:
            exec(compile(body, f"{doc_id(path)}:fenced", "exec"), {"__name__": "__fenced__"})
            assert capsys.readouterr().out == shown


def test_readme_has_a_first_session() -> None:
    """The README's REPL session is really there (the per-file test above would pass on a README without one)."""
    assert doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS, report=False).attempted >= 8


# ------------------------------------------------------------------------------------- links and references


@pytest.mark.parametrize("path", DOCUMENTS, ids=doc_id)
def test_links_point_at_committed_files(path: Path) -> None:
    """Every relative link and image names a file in the repository (relative to the document's folder)."""
    for target in links(path):
        resolved = (path.parent / target).resolve()
        if resolved.relative_to(ROOT).as_posix() in WRITTEN_ON_OTHER_BRANCHES and not resolved.exists():
            continue
        assert resolved.is_file() or resolved.is_dir(), f"{doc_id(path)} links to {target}, which does not exist"


@pytest.mark.parametrize("path", DOCUMENTS, ids=doc_id)
def test_named_tests_exist(path: Path) -> None:
    """Every ``tests/test_x.py::name`` (or ``::name`` after one) a document cites is a test function in that file."""
    current: Path | None = None
    for file, name in re.findall(r"(tests/test_\w+\.py)?::(test_\w+)", path.read_text(encoding="utf-8")):
        if file:
            current = ROOT / file
        assert current is not None, f"{doc_id(path)} cites ::{name} without naming its file first"
        assert f"def {name}(" in current.read_text(encoding="utf-8"), f"{doc_id(path)} cites {name}, not in {current.name}"


# ----------------------------------------------------------------------------------------------- the README


def test_readme_is_an_entry_not_a_wall() -> None:
    """The README stays an entry of at most 200 lines (micrograd's is 69, tinygrad's 205): the rest lives in docs/."""
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 200


def test_readme_links_every_guide_and_the_index() -> None:
    """The README links docs/index.md and every guide the index lists."""
    readme = set(links(README))
    assert "docs/index.md" in readme
    guides = {f"docs/{t}" for t in links(DOCS / "index.md") if t.endswith(".md") and "/" not in t}
    assert len(guides) >= 8
    assert guides <= readme, sorted(guides - readme)


def test_the_index_lists_every_guide() -> None:
    """docs/index.md links every docs/*.md (but the guide-*.md material waiting to be merged into a guide)."""
    listed = set(links(DOCS / "index.md"))
    guides = {p.name for p in DOCS.glob("*.md") if p.name != "index.md" and not p.name.startswith("guide-")}
    assert len(guides) >= 4
    assert guides <= listed, f"add to docs/index.md: {sorted(guides - listed)}"


def test_quickstart_has_exactly_two_setup_commands() -> None:
    """The Quickstart shows two commands: one runs the main demo, one runs the tests."""
    section = README.read_text(encoding="utf-8").split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert commands == ["python3 dev.py demo", "python3 dev.py test"]
    dev = (ROOT / "dev.py").read_text(encoding="utf-8")
    assert '"-m", "demos.moons"' in dev and '"-m", "pytest"' in dev


def test_readme_map_names_every_module() -> None:
    """The README's map of the code names every module of autograd and nn (demos by ``demos/*.py``)."""
    readme = README.read_text(encoding="utf-8")
    modules = [p.relative_to(ROOT).as_posix() for package in ("autograd", "nn") for p in sorted((ROOT / package).rglob("*.py"))]
    missing = [m for m in modules if not m.endswith("__init__.py") and f"`{m}`" not in readme]
    assert not missing, f"add these to the README's map of the code: {missing}"
    assert "`demos/*.py`" in readme


# ------------------------------------------------------------------------------------------ operator table


def test_the_operator_table_is_current() -> None:
    """Exactly one document carries the operator table, and it is what ``python -m tools.readme_tables`` writes."""
    tables = committed_tables(ROOT)
    assert len(tables) == 1, f"the operator table should be in one document, found in {[doc_id(p) for p in tables]}"
    ((path, table),) = tables.items()
    assert table == marked_table(), f"{doc_id(path)}: regenerate with python -m tools.readme_tables"


# -------------------------------------------------------------------------------------------- architecture


def architecture_layers() -> dict[str, tuple[int, bool]]:
    """docs/architecture.md's table: each module path (globs expanded) -> (its layer, whether its row is free)."""
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    table = text.partition("<!-- layers:")[2].partition("<!-- end of layers -->")[0]
    layers: dict[str, tuple[int, bool]] = {}
    for match in re.finditer(r"^\| (\d+)( \(free\))? \| ([^|]+) \|", table, re.MULTILINE):
        layer, free = int(match.group(1)), bool(match.group(2))
        for pattern in re.findall(r"`([^`]+)`", match.group(3)):
            for path in sorted(ROOT.glob(pattern)):
                layers[path.relative_to(ROOT).as_posix()] = (layer, free)
    return layers


def module_file(name: str) -> str | None:
    """The repository path of a first-party module (``autograd.value`` -> ``autograd/value.py``), None if not ours."""
    base = ROOT / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate.relative_to(ROOT).as_posix()
    return None


def display_hook_imports(tree: ast.AST) -> set[int]:
    """The ids of import statements inside Jupyter display hooks (``_repr_*_``, ``_ipython_display_``).

    IPython finds a rich display as a method of the object's own class, so a node's hook has to live
    on ``Value`` and reach up, lazily, into the room that draws it: the one exception to the rule.
    """
    hooks = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and re.fullmatch(r"_repr_\w+_|_ipython_display_", node.name)
    ]
    return {id(inner) for hook in hooks for inner in ast.walk(hook) if isinstance(inner, (ast.Import, ast.ImportFrom))}


def imported_files(path: Path) -> set[str]:
    """The first-party module files ``path`` imports anywhere (module level, functions, TYPE_CHECKING blocks),
    but Jupyter's display hooks."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]  # what a relative import is relative to
    return imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source: str, package: tuple[str, ...]) -> set[str]:
    """The first-party module files that ``source``, a module of ``package``, imports (see ``imported_files``)."""
    found: set[str] = set()
    tree = ast.parse(source)
    exempt = display_hook_imports(tree)
    for node in ast.walk(tree):
        if id(node) in exempt:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            # `from pkg import sub` imports the submodule when there is one, else a name from pkg/__init__.py.
            names = [f"{module}.{alias.name}" if module_file(f"{module}.{alias.name}") else module for alias in node.names]
        for name in names:
            if name.partition(".")[0] in PACKAGES and (file := module_file(name)) is not None:
                found.add(file)
    return found


def test_every_module_has_a_layer() -> None:
    """Every module of autograd, nn and demos is placed in docs/architecture.md's table of layers."""
    layers = architecture_layers()
    modules = [p.relative_to(ROOT).as_posix() for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    assert len(modules) >= 20
    missing = [m for m in modules if m not in layers]
    assert not missing, f"place these in docs/architecture.md's table of layers: {missing}"


def test_a_higher_room_uses_lower_ones_only() -> None:
    """No module imports one of a higher layer, or of its own layer unless the row is marked free (nn, demos)."""
    layers = architecture_layers()
    wrong = []
    for module, (layer, free) in layers.items():
        for target in imported_files(ROOT / module):
            if target == module or target not in layers:
                continue
            other = layers[target][0]
            if other > layer or (other == layer and not free):
                wrong.append(f"{module} (layer {layer}) imports {target} (layer {other})")
    assert not wrong, "\n".join(wrong)


def test_display_hooks_are_the_one_exception() -> None:
    """An upward import inside ``_repr_html_`` is not counted; the same import in any other method is."""
    hook = "class V:\n    def _repr_html_(self):\n        from autograd.seeing.draw import draw_dot\n"
    other = "class V:\n    def describe(self):\n        from .seeing import draw\n"
    assert "autograd/seeing/draw.py" not in imports_in(hook, ("autograd",))
    assert "autograd/seeing/draw.py" in imports_in(other, ("autograd",))


def test_the_layer_check_sees_imports() -> None:
    """The import reader finds what value.py, seeing/draw.py and nn/losses.py import, so the check above cannot pass vacuously."""
    assert "autograd/rules.py" in imported_files(ROOT / "autograd" / "value.py")
    assert {"autograd/seeing/view.py", "autograd/seeing/style.py"} <= imported_files(ROOT / "autograd" / "seeing" / "draw.py")
    assert "autograd/__init__.py" in imported_files(ROOT / "nn" / "losses.py")
    assert "nn/module.py" in imported_files(ROOT / "nn" / "__init__.py")
