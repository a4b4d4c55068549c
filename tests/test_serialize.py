"""Tests for ``nn.serialize``: JSON model files round-trip exactly, are written atomically, and bad files change nothing."""

from __future__ import annotations

import itertools
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Value
from nn.module import ACTIVATIONS, MLP, Layer, Neuron, parameter_names
from nn.serialize import FORMAT, VERSION, ModelFileError, load, load_weights, read, save, to_json

activations = st.sampled_from(ACTIVATIONS)


@st.composite
def models(draw: st.DrawFn) -> nn.Module:
    """A small MLP, Layer or Neuron with random weights (including tiny, huge and negative-zero ones)."""
    kind = draw(st.sampled_from(["MLP", "Layer", "Neuron"]))
    nin = draw(st.integers(min_value=1, max_value=3))
    seed = draw(st.integers(min_value=0, max_value=2**31))
    module: nn.Module
    if kind == "MLP":
        nouts = draw(st.lists(st.integers(min_value=1, max_value=3), min_size=1, max_size=3))
        module = MLP(nin, nouts, draw(activations), draw(activations), seed=seed)  # type: ignore[arg-type]
    elif kind == "Layer":
        module = Layer(nin, draw(st.integers(min_value=1, max_value=3)), draw(activations), seed=seed)  # type: ignore[arg-type]
    else:
        module = Neuron(nin, draw(activations), seed=seed)  # type: ignore[arg-type]
    weights = st.floats(allow_nan=False, allow_infinity=False)
    module.load_state_dict({name: draw(weights) for name in module.state_dict()})
    return module


@pytest.fixture
def model() -> MLP:
    """A trained-looking model whose file the tests corrupt."""
    return MLP(2, [3, 1], activation="tanh", seed=7)


@pytest.fixture
def saved(model: MLP, tmp_path: Path) -> Path:
    """The fixture model saved to a real file."""
    path = tmp_path / "model.json"
    model.save(path)
    return path


def _doc(path: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(path.read_text())
    return result


# ------------------------------------------------------------------------------------------ round trips


# The properties write files with to_json (what save writes) rather than save itself: save's two
# fsyncs cost ~8 ms, which 200 examples would turn into seconds. The tests after them use save.


@given(models())
def test_save_load_round_trip_is_exact(module: nn.Module) -> None:
    """nn.load gives a module of the same type and architecture with bit-identical weights (-0.0 and 1e-308 included)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "m.json"
        path.write_text(to_json(module), encoding="utf-8")
        loaded = nn.load(path)
    assert type(loaded) is type(module)
    assert repr(loaded) == repr(module)
    assert loaded.architecture() == module.architecture()
    assert [p.data.hex() for p in loaded.parameters()] == [p.data.hex() for p in module.parameters()]
    assert [p.label for p in loaded.parameters()] == [p.label for p in module.parameters()]


@given(models(), models())
def test_load_weights_into_same_architecture(source: nn.Module, target: nn.Module) -> None:
    """load_weights copies a file's weights into a module of the same architecture, and refuses any other."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "m.json"
        path.write_text(to_json(source), encoding="utf-8")
        before = target.state_dict()
        if target.architecture() == source.architecture():
            target.load_weights(path)
            assert target.state_dict() == source.state_dict()
        else:
            with pytest.raises(ModelFileError, match="does not match the model"):
                target.load_weights(path)
            assert target.state_dict() == before


def test_loaded_model_computes_the_same_outputs(model: MLP, saved: Path) -> None:
    """A model loaded from a file gives the same outputs as the one saved."""
    loaded = MLP.load(saved)
    out, expected = loaded([0.3, -0.9]), model([0.3, -0.9])
    assert isinstance(out, Value) and isinstance(expected, Value)
    assert out.data == expected.data


def test_file_is_plain_json_with_format_version_and_architecture(model: MLP, saved: Path) -> None:
    """The file is JSON: format, version, the architecture and every parameter by dotted name, in order."""
    doc = _doc(saved)
    assert doc["format"] == FORMAT and doc["version"] == VERSION
    architecture = {"type": "MLP", "nin": 2, "nouts": [3, 1], "activation": "tanh", "output_activation": "linear"}
    assert doc["architecture"] == architecture
    assert list(doc["parameters"]) == [name for name, _ in model.named_parameters()]
    assert doc["parameters"] == model.state_dict()


def test_save_writes_exactly_to_json_and_leaves_no_temporary_files(model: MLP, saved: Path) -> None:
    """save writes to_json's text and nothing else; over an existing file it replaces it whole."""
    assert saved.read_text(encoding="utf-8") == to_json(model)
    other = MLP(2, [3, 1], activation="tanh", seed=8)
    other.save(saved)
    assert nn.load(saved).state_dict() == other.state_dict()
    assert sorted(p.name for p in saved.parent.iterdir()) == ["model.json"]


def test_failed_save_keeps_the_old_file(model: MLP, saved: Path) -> None:
    """Saving a model with a nan weight raises ModelFileError and leaves the previous file intact, no debris."""
    old = saved.read_bytes()
    model.layers[0].neurons[1].w[0].data = float("nan")
    with pytest.raises(ModelFileError, match=r"model.json: refusing to save: parameter 'layers.0.neurons.1.w.0' is nan"):
        model.save(saved)
    assert saved.read_bytes() == old
    assert sorted(p.name for p in saved.parent.iterdir()) == ["model.json"]


def test_save_into_missing_directory_raises_os_error(model: MLP, tmp_path: Path) -> None:
    """A path in a directory that does not exist raises FileNotFoundError (no silent mkdir)."""
    with pytest.raises(FileNotFoundError):
        model.save(tmp_path / "nope" / "model.json")


def test_mlp_load_refuses_a_file_of_another_module_type(tmp_path: Path) -> None:
    """MLP.load on a file holding a Neuron raises ModelFileError saying what the file holds."""
    path = tmp_path / "neuron.json"
    Neuron(2, seed=0).save(path)
    with pytest.raises(ModelFileError, match="holds a Neuron, not an MLP"):
        MLP.load(path)


def test_integer_weights_in_a_hand_written_file_are_accepted(saved: Path) -> None:
    """A weight written as an integer (3 rather than 3.0) loads as the float 3.0."""
    doc = _doc(saved)
    doc["parameters"]["layers.1.neurons.0.b"] = 3
    saved.write_text(json.dumps(doc))
    assert nn.load(saved).state_dict()["layers.1.neurons.0.b"] == 3.0


# ------------------------------------------------------------------------------------------ bad files


def _edit(path: Path, change: Any) -> None:
    doc = _doc(path)
    change(doc)
    path.write_text(json.dumps(doc))


BAD_EDITS = [
    (lambda d: d["parameters"].pop("layers.0.neurons.2.b"), r"missing 1 parameter\(s\): 'layers.0.neurons.2.b'"),
    (lambda d: d["parameters"].update({"layers.2.neurons.0.b": 1.0}), r"unexpected 1 parameter\(s\): 'layers.2.neurons.0.b'"),
    (lambda d: d["parameters"].update({"layers.0.neurons.0.w.0": "0.5"}), r"'layers.0.neurons.0.w.0' must be a number, got str"),
    (lambda d: d["parameters"].update({"layers.0.neurons.0.w.0": None}), r"must be a number, got NoneType"),
    (lambda d: d["parameters"].update({"layers.0.neurons.0.w.0": [1.0]}), r"must be a number, got list"),
    (lambda d: d["parameters"].update({"layers.0.neurons.0.w.0": False}), r"must be a number, got bool"),
    (lambda d: d["parameters"].update({"layers.0.neurons.0.w.0": 10**400}), r"too large for a float"),
    (lambda d: d["architecture"].update({"nouts": [4, 1]}), r"holds MLP\(2, \[4, 1\].*does not match the model MLP\(2, \[3, 1\]"),
    (lambda d: d["architecture"].update({"activation": "relu"}), r"does not match the model MLP\(2, \[3, 1\], activation='tanh'"),
    (lambda d: d.update({"version": 2}), r"format version 2, newer than this valuegrad reads \(1\); upgrade"),
    (lambda d: d.update({"version": "1"}), r"unknown format version '1'"),
    (lambda d: d.update({"format": "pytorch"}), r"not a valuegrad model file"),
    (lambda d: d.pop("architecture"), r"missing keys \['architecture'\]"),
    (lambda d: d.update({"extra": 1}), r"unexpected keys \['extra'\]"),
    (lambda d: d.update({"parameters": [1.0, 2.0]}), r"\"parameters\" must be an object, got list"),
]


@pytest.mark.parametrize(("change", "pattern"), BAD_EDITS)
def test_bad_file_raises_naming_the_file_and_leaves_model_unchanged(model: MLP, saved: Path, change: Any, pattern: str) -> None:
    """Wrong architecture, missing/extra/non-number parameters, wrong format or version: ModelFileError, model untouched.

    nn.load refuses the same files, except those that are valid models of another architecture.
    """
    _edit(saved, change)
    before = model.state_dict()
    with pytest.raises(ModelFileError, match=pattern) as error:
        model.load_weights(saved)
    assert str(error.value).startswith(f"{saved}: ")
    assert error.value.path == str(saved)
    assert model.state_dict() == before
    if "activation='tanh'" in pattern:
        assert repr(nn.load(saved)) != repr(model)  # a valid file, just of another architecture
    else:
        with pytest.raises(ModelFileError):
            nn.load(saved)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_in_a_file_are_refused(model: MLP, saved: Path, token: str) -> None:
    """NaN and ±Infinity (which Python's json would otherwise accept) raise ModelFileError; the model is unchanged."""
    text = saved.read_text()
    name = '"layers.0.neurons.1.w.1": '
    start = text.index(name) + len(name)
    end = text.index(",", start)
    saved.write_text(text[:start] + token + text[end:])
    before = model.state_dict()
    with pytest.raises(ModelFileError, match=rf"{token} is not a finite number"):
        model.load_weights(saved)
    assert model.state_dict() == before


def test_duplicate_parameter_names_are_refused(saved: Path) -> None:
    """A name that appears twice in the file (JSON would keep the last silently) raises ModelFileError."""
    text = saved.read_text()
    line = next(line for line in text.splitlines() if '"layers.0.neurons.0.b"' in line)
    saved.write_text(text.replace(line, line + "\n" + line, 1))
    with pytest.raises(ModelFileError, match=r"'layers\.0\.neurons\.0\.b' appears twice"):
        nn.load(saved)


def test_every_truncation_of_a_file_is_refused(tmp_path: Path) -> None:
    """A file cut short at any byte (a crash mid-copy) raises ModelFileError and never half-loads the model."""
    model = Neuron(2, seed=0)
    model.save(tmp_path / "neuron.json")
    data = (tmp_path / "neuron.json").read_bytes()
    before = model.state_dict()
    cut = tmp_path / "cut.json"
    for length in range(len(data.rstrip())):
        cut.write_bytes(data[:length])
        with pytest.raises(ModelFileError, match=r"cut\.json: "):
            model.load_weights(cut)
    assert model.state_dict() == before


def test_truncated_file_says_it_ends_early(saved: Path) -> None:
    """The error for a truncated file hints at truncation and gives the position."""
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    pattern = r"is not valid JSON: .* at line \d+ column \d+ \(the file ends early: truncated\?\)"
    with pytest.raises(ModelFileError, match=pattern):
        nn.load(saved)


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"", "is empty"),
        (b"   \n", "is empty"),
        (b"\x80\x81\xff binary", "is not UTF-8 text"),
        (b"[1, 2, 3]", "is not a valuegrad model file"),
        (b"{'format': 'valuegrad.nn'}", "is not valid JSON"),
    ],
)
def test_files_that_are_not_model_files_are_refused(tmp_path: Path, content: bytes, pattern: str) -> None:
    """Empty, binary, non-object and non-JSON files raise ModelFileError naming the file."""
    path = tmp_path / "junk.json"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=rf"junk\.json: {pattern}"):
        nn.load(path)


class _Payload:
    """Unpickling this would create the marker file: the attack pickle-based model files allow."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (open, (self.marker, "w"))


def test_loading_never_runs_code_from_the_file(tmp_path: Path) -> None:
    """A malicious pickle passed to nn.load is refused as not a model file and nothing in it runs."""
    marker = tmp_path / "pwned"
    path = tmp_path / "model.json"
    path.write_bytes(pickle.dumps(_Payload(str(marker))))
    with pytest.raises(ModelFileError):
        nn.load(path)
    assert not marker.exists()


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    """Loading a path that does not exist raises FileNotFoundError with the path."""
    with pytest.raises(FileNotFoundError, match=r"absent\.json"):
        load(tmp_path / "absent.json")


@pytest.mark.parametrize(
    ("architecture", "pattern"),
    [
        ({"type": "Transformer"}, "architecture type 'Transformer' is not one of"),
        ({"type": "MLP", "nin": 2, "nouts": [1]}, "needs exactly the keys"),
        ({"type": "MLP", "nin": 2, "nouts": [0], "activation": "relu", "output_activation": "linear"}, "invalid architecture"),
        ({"type": "MLP", "nin": 2, "nouts": 5, "activation": "relu", "output_activation": "linear"}, "invalid architecture"),
        ({"type": "Neuron", "nin": "2", "activation": "relu"}, "invalid architecture"),
        ({"type": "Layer", "nin": 2, "nout": 1, "activation": "swish"}, "invalid architecture"),
    ],
)
def test_invalid_architecture_is_refused(tmp_path: Path, architecture: dict[str, Any], pattern: str) -> None:
    """Unknown types, missing keys and invalid sizes or activations raise ModelFileError before building anything."""
    path = tmp_path / "arch.json"
    path.write_text(json.dumps({"format": FORMAT, "version": VERSION, "architecture": architecture, "parameters": {}}))
    with pytest.raises(ModelFileError, match=pattern):
        load(path)


def test_functions_match_methods(model: MLP, tmp_path: Path) -> None:
    """nn.serialize.save/load_weights/read are what Module.save/load_weights and nn.load use."""
    path = tmp_path / "f.json"
    save(model, path)
    architecture, parameters = read(path)
    assert architecture == model.architecture() and parameters == model.state_dict()
    copy = MLP(2, [3, 1], activation="tanh", seed=99)
    load_weights(copy, path)
    assert copy.state_dict() == model.state_dict()


def test_truncated_string_message_reads_cleanly(tmp_path: Path) -> None:
    """A file cut inside a string says where, in plain words (json's "starting at" is not doubled)."""
    path = tmp_path / "cut.json"
    path.write_text('{"format": "valuegrad.nn", "versi', encoding="utf-8")
    with pytest.raises(ModelFileError) as error:
        nn.load(path)
    message = str(error.value)
    assert "Unterminated string starting at line 1 column 28" in message and " at at " not in message
    assert "truncated" in message


# ------------------------------------------------------------------------------------------ hostile files (issue 12.1, 12.2)


def _file(architecture: object, parameters: object = None, **top: object) -> bytes:
    doc = {"format": FORMAT, "version": VERSION, "architecture": architecture, "parameters": parameters or {}}
    doc.update(top)
    return json.dumps(doc).encode()


def _mlp(
    nin: object = 1, nouts: object = (1,), activation: object = "relu", output_activation: object = "linear"
) -> dict[str, object]:
    nouts = list(nouts) if isinstance(nouts, tuple) else nouts
    return {"type": "MLP", "nin": nin, "nouts": nouts, "activation": activation, "output_activation": output_activation}


def _many_short_keys(n: int) -> dict[str, float]:
    return {f"k{i}": 0.0 for i in range(n)}


HOSTILE: dict[str, tuple[bytes, str]] = {
    "a million units, no parameters": (_file(_mlp(nouts=[1_000_000])), r"has 2000000 parameters, but the file holds only 0"),
    "a billion units": (_file(_mlp(nouts=[10**9])), r"has 2000000000 parameters"),
    "nin 10**18": (_file(_mlp(nin=10**18)), r"has 1000000000000000001 parameters"),
    "Layer nout 10**12": (_file({"type": "Layer", "nin": 3, "nout": 10**12, "activation": "relu"}), r"parameters, but the file"),
    "Neuron nin 10**15": (_file({"type": "Neuron", "nin": 10**15, "activation": "relu"}), r"parameters, but the file"),
    "ten thousand huge layers": (_file(_mlp(nouts=[10**6] * 10_000)), r"parameters, but the file holds only 0"),
    "huge architecture, many parameters": (
        _file(_mlp(nouts=[10**6]), _many_short_keys(30_000)),
        r"but the file holds only 30000",
    ),
    "right count, wrong names": (
        _file(_mlp(nin=99, nouts=[100]), _many_short_keys(10_000)),
        r"missing 10000 parameter\(s\): 'layers.0.neurons.0.w.0'.*unexpected 10000 parameter\(s\): 'k0'",
    ),
    "nested arrays": (
        b'{"format": "valuegrad.nn", "version": 1, "architecture": ' + b"[" * 100_000,
        r"nests arrays or objects too deeply",
    ),
    "nested objects": (b'{"a":' * 50_000, r"nests arrays or objects too deeply"),
    "nested parameter value": (
        _file({"type": "Neuron", "nin": 1, "activation": "relu"}, {"w.0": 0.0}).replace(
            b'"w.0": 0.0', b'"w.0": ' + b"[" * 50_000
        ),
        r"nests arrays or objects too deeply",
    ),
    "type is a list": (_file({**_mlp(), "type": ["MLP"]}), r"architecture type an array of 1 is not one of"),
    "type is an object": (_file({**_mlp(), "type": {"MLP": 1}}), r"architecture type an object of 1 keys"),
    "version true": (_file(_mlp(), version=True), r"unknown format version True"),
    "version 1.0": (_file(_mlp(), version=1.0), r"unknown format version 1\.0"),
    "nin true": (_file(_mlp(nin=True)), r"MLP nin must be an integer >= 1, got True"),
    "nin 2.0": (_file(_mlp(nin=2.0)), r"MLP nin must be an integer >= 1, got 2\.0"),
    "nin a 4000-digit number": (_file(_mlp(nin=10**3999)), r"MLP nin must be an integer|parameters, but the file"),
    "nin 5000 digits": (
        b'{"format": "valuegrad.nn", "version": 1, "architecture": {"nin": 1' + b"0" * 5000 + b"}}",
        r"not a valid model file",
    ),
    "nouts a string": (_file(_mlp(nouts="16")), r"nouts must be a non-empty list of layer sizes, got '16'"),
    "nouts an object": (_file(_mlp(nouts={"0": 16})), r"nouts must be a non-empty list of layer sizes, got an object"),
    "nouts of bools": (_file(_mlp(nouts=[True])), r"MLP nouts\[0\] must be an integer >= 1, got True"),
    "nouts nested": (_file(_mlp(nouts=[[16]])), r"MLP nouts\[0\] must be an integer >= 1, got an array of 1"),
    "activation a list": (_file(_mlp(activation=["relu"])), r"activation must be one of .*, got an array of 1"),
    "activation null": (_file(_mlp(output_activation=None)), r"output_activation must be one of .*, got None"),
    "a long string as type": (_file({**_mlp(), "type": "M" * 100_000}), r"architecture type 'MMMM.*\(100002 characters\)"),
    "parameter value 1e400": (
        _file({"type": "Neuron", "nin": 1, "activation": "relu"}, {"w.0": 0.0, "b": 0.0}).replace(b'"b": 0.0', b'"b": 1e400'),
        r"'b' must be finite, got inf",
    ),
}


def _cpu_watchdog(seconds: float) -> Any:
    """A context manager that raises TimeoutError once the process has used ``seconds`` of CPU time.

    CPU time, not wall time: a busy machine does not make it fire. It is a bound against the
    hangs of issue 12 (minutes to forever), far above what loading takes, not a speed check.
    """
    import contextlib
    import signal

    @contextlib.contextmanager
    def watch() -> Any:
        def expire(signum: int, frame: object) -> None:
            raise TimeoutError(f"loading used more than {seconds} s of CPU time")

        previous = signal.signal(signal.SIGPROF, expire)
        signal.setitimer(signal.ITIMER_PROF, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, previous)

    return watch()


MEMORY_FACTOR = 40  # what the module docstring of nn.serialize promises, with a fixed 2 MB on top
MEMORY_BASE = 2 * 1024 * 1024


@pytest.mark.skipif(not hasattr(__import__("signal"), "setitimer"), reason="needs signal.setitimer (POSIX)")
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files_are_refused_within_bounded_time_and_memory(name: str, tmp_path: Path) -> None:
    """Each hostile file raises ModelFileError naming the problem, using < 40x its size + 2 MB and < 20 s CPU; nothing built."""
    import tracemalloc

    content, pattern = HOSTILE[name]
    path = tmp_path / "hostile.json"
    path.write_bytes(content)
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    for attempt in (lambda: load(path), lambda: load_weights(model, path)):
        tracemalloc.start()
        try:
            with _cpu_watchdog(20.0), pytest.raises(ModelFileError) as error:
                attempt()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < MEMORY_FACTOR * len(content) + MEMORY_BASE, f"{name}: peak {peak} bytes for a {len(content)}-byte file"
        assert str(error.value).startswith(f"{path}: ")
    assert model.state_dict() == before
    with pytest.raises(ModelFileError, match=pattern):
        load(path)


def test_load_weights_never_builds_the_files_network(saved: Path, model: MLP) -> None:
    """A mismatching architecture is described from the file alone: no Neuron is constructed (issue 12.1)."""
    _edit(saved, lambda d: d["architecture"].update({"nouts": [10**6, 1]}))
    built: list[int] = []
    original = Neuron.__init__

    def counting(self: Neuron, *args: Any, **kwargs: Any) -> None:
        built.append(1)
        original(self, *args, **kwargs)

    Neuron.__init__ = counting  # type: ignore[method-assign]
    try:
        with pytest.raises(ModelFileError, match=r"holds MLP\(2, \[1000000, 1\].*does not match the model MLP\(2, \[3, 1\]"):
            model.load_weights(saved)
    finally:
        Neuron.__init__ = original  # type: ignore[method-assign]
    assert built == []


# ------------------------------------------------------------------------------------------ fuzzing the reader (issue 12)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, 2, 3, 10**6, 10**9, 10**18, 2**63, -1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["MLP", "Layer", "Neuron", *ACTIVATIONS, FORMAT]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
sizes = st.one_of(st.integers(min_value=1, max_value=3), json_scalars)


@st.composite
def model_like_documents(draw: st.DrawFn) -> object:
    """Documents shaped like model files, each field usually plausible and sometimes anything at all."""

    def mostly(good: st.SearchStrategy[Any]) -> Any:
        # Hypothesis favours the ends of a range, so the rare branch is a middle value.
        return draw(json_values if draw(st.integers(0, 4)) == 2 else good)

    kind = mostly(st.sampled_from(["MLP", "Layer", "Neuron"]))
    small = st.integers(min_value=1, max_value=3)
    architecture: dict[str, object] = {"type": kind, "nin": mostly(small), "activation": mostly(st.sampled_from(ACTIVATIONS))}
    if kind == "MLP" or draw(st.integers(0, 4)) == 2:
        architecture["nouts"] = mostly(st.lists(small | sizes, min_size=1, max_size=3))
        architecture["output_activation"] = mostly(st.sampled_from(ACTIVATIONS))
    if kind == "Layer" or draw(st.integers(0, 4)) == 2:
        architecture["nout"] = mostly(small)
    weights = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**6), 10**6)
    try:
        # The architecture's own names, when it has any and not too many (it may ask for 10**18).
        exact = list(itertools.islice(parameter_names(architecture), 101))
    except (KeyError, TypeError, IndexError, ValueError):
        exact = []
    if 0 < len(exact) <= 100 and draw(st.integers(0, 4)) != 2:
        parameters = {name: mostly(weights) for name in exact}
    else:
        names = st.from_regex(r"\A(layers\.[0-2]\.)?(neurons\.[0-2]\.)?(w\.[0-2]|b)\Z") | st.text(max_size=10)
        parameters = draw(st.dictionaries(names, weights | json_scalars, max_size=30))
    return {
        "format": mostly(st.just(FORMAT)),
        "version": mostly(st.just(VERSION)),
        "architecture": mostly(st.just(architecture)),
        "parameters": mostly(st.just(parameters)),
    }


def _paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every path (tuple of keys and indices) to a value inside a JSON document."""
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    """A valid file of MLP(2, [3, 1]) (the model load_weights targets) with one random change, in its JSON or its bytes."""
    source = MLP(2, [3, 1], "tanh", seed=draw(st.integers(0, 3)))
    text = to_json(source)
    how = draw(st.sampled_from(["replace", "delete", "add", "truncate", "insert", "overwrite", "reweigh", "reorder", "resize"]))
    if how == "resize":
        # The denial-of-service shape of issue 12: a size the parameter list cannot back.
        doc = json.loads(text)
        architecture = doc["architecture"]
        where = draw(st.sampled_from(["nin", 0, 1]))
        size = draw(sizes | st.integers(min_value=1, max_value=10**20))
        if where == "nin":
            architecture["nin"] = size
        else:
            architecture["nouts"][where] = size
        return json.dumps(doc).encode()
    if how in ("reweigh", "reorder"):
        # Changes that keep a valid file: other numbers, the parameters in another order.
        doc = json.loads(text)
        names = list(doc["parameters"])
        if how == "reorder":
            names = draw(st.permutations(names))
        weights = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**6), 10**6)
        doc["parameters"] = {name: draw(weights) if how == "reweigh" else doc["parameters"][name] for name in names}
        return json.dumps(doc).encode()
    if how in ("truncate", "insert", "overwrite"):
        data = text.encode()
        at = draw(st.integers(min_value=0, max_value=len(data)))
        if how == "truncate":
            return data[:at]
        chunk = draw(st.binary(min_size=1, max_size=4) | st.sampled_from([b"[", b"{", b'"', b"-", b"1e999", b"0", b"true"]))
        return data[:at] + chunk + data[at + (len(chunk) if how == "overwrite" else 0) :]
    doc = json.loads(text)
    path = draw(st.sampled_from(_paths(doc)[1:]))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if how == "replace":
        parent[last] = draw(json_values)
    elif how == "delete":
        del parent[last]
    elif isinstance(parent, dict):
        parent[draw(st.text(max_size=25) | st.from_regex(r"\Alayers\.[0-3]\.neurons\.[0-3]\.(w\.[0-3]|b)\Z"))] = draw(json_values)
    else:
        parent.insert(last, draw(json_values))
    return json.dumps(doc).encode()


def _expected_state(content: bytes) -> dict[str, float]:
    """The parameters a file that loaded must have given (json.loads of the same bytes)."""
    parameters = json.loads(content)["parameters"]
    return {name: float(value) for name, value in parameters.items()}


def _check_reader_on(content: bytes, tmp_path: Path) -> None:
    """load gives a correct module or ModelFileError; load_weights fills the model or leaves it untouched; both bounded."""
    import tracemalloc

    path = tmp_path / "fuzz.json"
    path.write_bytes(content)
    bound = MEMORY_FACTOR * len(content) + MEMORY_BASE
    tracemalloc.start()
    try:
        with _cpu_watchdog(20.0):
            try:
                module = load(path)
            except ModelFileError as e:
                assert str(e).startswith(f"{path}: ")
            else:
                assert module.architecture() == json.loads(content)["architecture"]
                assert module.state_dict() == _expected_state(content)
            target = MLP(2, [3, 1], "tanh", seed=5)
            for i, p in enumerate(target.parameters()):
                p.grad = float(i)
            before = (target.state_dict(), [p.grad for p in target.parameters()])
            try:
                load_weights(target, path)
            except ModelFileError:
                assert (target.state_dict(), [p.grad for p in target.parameters()]) == before
            else:
                assert target.state_dict() == _expected_state(content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < bound


@pytest.mark.skipif(not hasattr(__import__("signal"), "setitimer"), reason="needs signal.setitimer (POSIX)")
@given(document=st.one_of(json_values, model_like_documents()))
def test_fuzz_random_documents_load_correctly_or_raise_model_file_error(document: object) -> None:
    """Random JSON documents, and model-shaped ones with odd values: a correct model or ModelFileError, bounded."""
    with tempfile.TemporaryDirectory() as directory:
        _check_reader_on(json.dumps(document).encode(), Path(directory))


@pytest.mark.skipif(not hasattr(__import__("signal"), "setitimer"), reason="needs signal.setitimer (POSIX)")
@given(content=mutated_files())
def test_fuzz_mutated_files_load_correctly_or_raise_model_file_error(content: bytes) -> None:
    """One random change to a valid file: a correct model or ModelFileError, and load_weights' target untouched on failure."""
    with tempfile.TemporaryDirectory() as directory:
        _check_reader_on(content, Path(directory))


# ------------------------------------------------------------------------------------------ symlinks (issue 12.11)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_save_to_a_symlink_writes_through_the_link(model: MLP, tmp_path: Path) -> None:
    """Saving to a symlink replaces the file it points to (atomically) and keeps the link, as open() would."""
    real_dir = tmp_path / "store"
    real_dir.mkdir()
    target = real_dir / "model.json"
    target.write_text("old")
    link = tmp_path / "current.json"
    link.symlink_to(os.path.relpath(target, tmp_path))
    model.save(link)
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert target.read_text() == to_json(model)
    assert sorted(p.name for p in real_dir.iterdir()) == ["model.json"]  # no temporary file left
    assert repr(nn.load(link)) == repr(model)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_save_to_a_dangling_symlink_creates_its_target(model: MLP, tmp_path: Path) -> None:
    """A link to a file that does not exist yet gets that file, and stays a link."""
    link = tmp_path / "latest.json"
    link.symlink_to(tmp_path / "run1.json")
    model.save(link)
    assert link.is_symlink() and (tmp_path / "run1.json").read_text() == to_json(model)


# ------------------------------------------------------------------------ linear in the file's size (issue 20.4)


def _deep_hostile(layers: int) -> bytes:
    """An MLP of ``layers`` one-unit layers whose file has the right count of parameters, all under wrong names.

    Every name has the shape of a parameter name, so each one is checked against the layers:
    the case that was quadratic (each check rebuilt the list of layers).
    """
    names = {f"layers.{k}.neurons.0.w.{j + 5}": 0.0 for k in range(layers) for j in range(2)}
    return _file(_mlp(nin=1, nouts=[1] * layers), names)


def _lines_run(action: Any) -> int:
    """How many lines of Python ``action()`` executes: work counted, not timed."""
    import sys

    count = 0

    def trace(frame: Any, event: str, arg: object) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        action()
    finally:
        sys.settrace(None)
    return count


def test_loading_a_hostile_file_is_linear_in_its_size(tmp_path: Path) -> None:
    """Four times the file (four times the layers and names) costs at most about four times the lines of Python run."""
    work = []
    sizes = []
    for layers in (500, 2000):
        path = tmp_path / f"deep{layers}.json"
        path.write_bytes(_deep_hostile(layers))
        sizes.append(path.stat().st_size)

        def attempt(path: Path = path) -> None:
            with pytest.raises(ModelFileError, match="unexpected"):
                load(path)

        work.append(_lines_run(attempt))
    assert 3.5 < sizes[1] / sizes[0] < 4.5
    assert work[1] / work[0] < 1.25 * sizes[1] / sizes[0], f"lines run {work} for files of {sizes} bytes"
