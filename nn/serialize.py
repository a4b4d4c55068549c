"""Model files: architecture and weights as JSON, written atomically, checked fully before use.

JSON rather than pickle because loading a pickle can run arbitrary code; reading one of these files
can only ever produce numbers and strings. A file looks like::

    {
      "format": "valuegrad.nn",
      "version": 1,
      "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1], "activation": "relu", "output_activation": "linear"},
      "parameters": {"layers.0.neurons.0.w.0": 0.2364..., ...}
    }

Floats are written with ``repr`` precision, so weights round-trip bit for bit. Non-finite weights
(nan, inf) are refused on save and on load: strict JSON cannot hold them, and a model with a nan
weight is a failed run to debug, not one to resume.

Limits (files may come from anywhere): only a regular file (or a symlink to one) is read — a
device, FIFO, socket or directory is refused before reading — and at most ``MAX_FILE_BYTES``
(64 MiB, about two million parameters) of it; a larger file is refused by its size before a
byte is read. Reading a file costs time linear in its size and memory a small multiple of it
(tests/test_serialize.py holds hostile files to 40 times their size plus a fixed 2 MB, and counts
the work of loading hostile files of growing size). That holds because nothing is built until
the file has passed every check:

* the JSON may nest at most as deep as Python's recursion limit allows (a model file needs 3);
* ``format`` is ``"valuegrad.nn"``, ``version`` the integer 1 (not ``true``, not ``1.0``);
* the architecture has exactly its type's keys, every size an integer >= 1, every activation a
  known name;
* the parameter count the architecture implies (arithmetic on its sizes) equals the number of
  parameters in the file, so an architecture can never ask for more than the file holds;
* every expected parameter name is present and every value a finite number.

Only then is the module built and its weights assigned; ``load_weights`` compares architectures
first and never builds the file's network, not even to describe a mismatch.
"""

from __future__ import annotations

import json
import os
from typing import Any, NoReturn

from autograd.atomic import NotARegularFile, read_bytes_limited, write_text_atomically
from nn.module import (
    ACTIVATIONS,
    MLP,
    Layer,
    Module,
    Neuron,
    PathLike,
    StateDictError,
    architecture_repr,
    as_finite_float,
    is_parameter_name,
    layer_shapes,
    parameter_count,
    parameter_names,
)
from nn.module import preview as _preview

FORMAT = "valuegrad.nn"
#: The largest model file ``load`` reads (bytes); ``MLP(2, [16, 16, 1])`` takes about 16 KB.
MAX_FILE_BYTES = 64 * 1024 * 1024
VERSION = 1

_TOP_KEYS = ("format", "version", "architecture", "parameters")


class ModelFileError(ValueError):
    """A model file cannot be written or read: says which file and what is wrong with it."""

    def __init__(self, path: PathLike, problem: str) -> None:
        self.path = os.fspath(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


# ------------------------------------------------------------------------------------- writing


def to_json(module: Module) -> str:
    """The file contents ``save`` writes for ``module`` (one parameter per line).

    >>> print(to_json(Neuron(1, seed=0)))  # doctest: +NORMALIZE_WHITESPACE
    {"format": "valuegrad.nn", "version": 1,
     "architecture": {"type": "Neuron", "nin": 1, "activation": "relu"},
     "parameters": {
      "w.0": 0.6888437030500962,
      "b": 0.0
     }}
    """
    state = module.state_dict()
    head = json.dumps({"format": FORMAT, "version": VERSION, "architecture": module.architecture()})
    lines = [f" {json.dumps(name)}: {json.dumps(value, allow_nan=False)}" for name, value in state.items()]
    return head[:-1] + ',\n "parameters": {\n' + ",\n".join(lines) + "\n }}\n"


def save(module: Module, path: PathLike) -> None:
    """Write ``module`` to ``path`` atomically: a reader sees the old file or the new one, never half of one.

    The file is written to a temporary file in the same directory, flushed to disk, then renamed
    over ``path`` (``os.replace`` is atomic on POSIX and Windows).

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> MLP(2, [4, 1], seed=0).save(path)
    >>> load(path)
    MLP(2, [4, 1], activation='relu', output_activation='linear')
    """
    for name, p in module.named_parameters():
        if p.data != p.data or p.data in (float("inf"), float("-inf")):
            raise ModelFileError(path, f"refusing to save: parameter {name!r} is {p.data!r} (not finite)")
    write_text_atomically(path, to_json(module))


# ------------------------------------------------------------------------------------- reading


def _reject_constant(token: str) -> NoReturn:
    raise ValueError(f"{token} is not a finite number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {key!r} appears twice")
        result[key] = value
    return result


def read(path: PathLike) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``(architecture, parameters)`` of a model file, checked for format and structure.

    Raises ``ModelFileError`` for anything that is not a complete file of this format; an absent
    file raises ``FileNotFoundError`` as usual. The architecture's contents are checked by
    ``load`` and ``load_weights``.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "neuron.json")
    >>> Neuron(1, seed=0).save(path)
    >>> read(path)
    ({'type': 'Neuron', 'nin': 1, 'activation': 'relu'}, {'w.0': 0.6888437030500962, 'b': 0.0})
    """
    try:
        raw = read_bytes_limited(path, MAX_FILE_BYTES)
    except (NotARegularFile, OverflowError) as e:
        raise ModelFileError(path, f"{e}; not a valuegrad model file") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ModelFileError(path, f"is not UTF-8 text ({e.reason} at byte {e.start}); not a valuegrad model file") from None
    if not text.strip():
        raise ModelFileError(path, "is empty; not a valuegrad model file")
    try:
        doc = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except RecursionError:
        # json recurses once per level; a model file nests three levels deep.
        raise ModelFileError(path, "nests arrays or objects too deeply; not a valuegrad model file") from None
    except json.JSONDecodeError as e:
        ends_early = e.pos >= len(text.rstrip()) or e.msg.startswith("Unterminated string")
        hint = " (the file ends early: truncated?)" if ends_early else ""
        # json's own messages may already end in "at" ("Unterminated string starting at").
        where = f"{'' if e.msg.endswith(' at') else 'at '}line {e.lineno} column {e.colno}"
        raise ModelFileError(path, f"is not valid JSON: {e.msg} {where}{hint}") from None
    except ValueError as e:
        raise ModelFileError(path, f"is not a valid model file: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(path, f'is not a valuegrad model file (no "format": {FORMAT!r})')
    version = doc.get("version")
    # type(): JSON's true and 1.0 compare equal to 1, but are not the version number 1.
    if type(version) is not int or version != VERSION:
        if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
            raise ModelFileError(path, f"has format version {version}, newer than this valuegrad reads ({VERSION}); upgrade")
        raise ModelFileError(path, f"has unknown format version {_shown(version)} (expected {VERSION})")
    unknown = [k for k in doc if k not in _TOP_KEYS]
    missing = [k for k in _TOP_KEYS if k not in doc]
    if unknown or missing:
        raise ModelFileError(path, f"has missing keys {missing} / unexpected keys {unknown} at the top level")
    architecture, parameters = doc["architecture"], doc["parameters"]
    if not isinstance(architecture, dict):
        raise ModelFileError(path, f'"architecture" must be an object, got {type(architecture).__name__}')
    if not isinstance(parameters, dict):
        raise ModelFileError(path, f'"parameters" must be an object, got {type(parameters).__name__}')
    return architecture, parameters


_FIELDS: dict[str, tuple[str, ...]] = {
    "Neuron": ("nin", "activation"),
    "Layer": ("nin", "nout", "activation"),
    "MLP": ("nin", "nouts", "activation", "output_activation"),
}


def _shown(value: object) -> str:
    """A short description of a JSON value for an error message (a huge file must not make a huge message)."""
    if isinstance(value, list):
        return f"an array of {len(value)}"
    if isinstance(value, dict):
        return f"an object of {len(value)} keys"
    text = repr(value)
    return text if len(text) <= 80 else text[:60] + f"... ({len(text)} characters)"


def _size(path: PathLike, what: str, value: object) -> int:
    # type() rather than isinstance(): JSON's true/false are bools, which are ints to Python.
    if type(value) is not int or value < 1:
        raise ModelFileError(path, f"has an invalid architecture: {what} must be an integer >= 1, got {_shown(value)}")
    return value


def _check_architecture(path: PathLike, architecture: dict[str, Any]) -> dict[str, Any]:
    """``architecture`` if it describes a valid module exactly (strict JSON types), else ModelFileError.

    Nothing is built: the result goes to ``parameter_count`` and ``parameter_names``
    (``nn.module``) so a file is checked against its own parameter list first.
    """
    kind = architecture.get("type")
    if not isinstance(kind, str) or kind not in _FIELDS:
        raise ModelFileError(path, f"architecture type {_shown(kind)} is not one of {', '.join(map(repr, _FIELDS))}")
    expected = {"type", *_FIELDS[kind]}
    if set(architecture) != expected:
        got = _preview(sorted(architecture))
        raise ModelFileError(path, f"architecture of a {kind} needs exactly the keys {sorted(expected)}, got [{got}]")
    _size(path, f"{kind} nin", architecture["nin"])
    if kind == "Layer":
        _size(path, "Layer nout", architecture["nout"])
    if kind == "MLP":
        nouts = architecture["nouts"]
        if not isinstance(nouts, list) or not nouts:
            rule = "MLP nouts must be a non-empty list of layer sizes"
            raise ModelFileError(path, f"has an invalid architecture: {rule}, got {_shown(nouts)}")
        for k, width in enumerate(nouts):
            _size(path, f"MLP nouts[{k}]", width)
    for key in ("activation", "output_activation"):
        if key in architecture and architecture[key] not in ACTIVATIONS:
            names = ", ".join(map(repr, ACTIVATIONS))
            raise ModelFileError(
                path, f"has an invalid architecture: {key} must be one of {names}, got {_shown(architecture[key])}"
            )
    return architecture


def _describe(architecture: dict[str, Any]) -> str:
    text = architecture_repr(architecture)
    return text if len(text) <= 200 else text[:200] + "...)"


def _check_parameters(path: PathLike, architecture: dict[str, Any], parameters: dict[str, Any]) -> None:
    """The file's parameters are exactly the architecture's (names and finite numbers), checked without building it.

    The count is compared first: the architecture's size is arithmetic on a few integers, and
    the parameter list is no longer than the file, so a file claiming a network of 10**9 units
    is refused at once rather than built.
    """
    count = parameter_count(architecture)
    described = _describe(architecture)
    if count > 2 * len(parameters) + 1024:
        raise ModelFileError(path, f"architecture {described} has {count} parameters, but the file holds only {len(parameters)}")
    # From here the architecture is no bigger than a few times the file: its names may be walked
    # (one at a time; a list or set of them could cost many times the file).
    shapes = layer_shapes(architecture)  # once: per name it would make the check quadratic in the layers
    missing: list[str] = []
    missing_count = 0
    for name in parameter_names(architecture):
        if name not in parameters:
            missing_count += 1
            if len(missing) < 5:
                missing.append(name)
    if missing_count or count != len(parameters):
        extra = [name for name in parameters if not is_parameter_name(architecture, name, shapes)]
        parts = []
        if missing_count:
            more = f", ... ({missing_count - len(missing)} more)" if missing_count > len(missing) else ""
            parts.append(f"missing {missing_count} parameter(s): {', '.join(map(repr, missing))}{more}")
        if extra:
            parts.append(f"unexpected {len(extra)} parameter(s): {_preview(extra)}")
        raise ModelFileError(path, f"parameters do not fit {described} ({count} parameters): {'; '.join(parts)}")
    for name in parameter_names(architecture):
        try:
            as_finite_float(name, parameters[name])
        except StateDictError as e:
            raise ModelFileError(path, str(e)) from None


def _build(path: PathLike, architecture: dict[str, Any]) -> Module:
    """An untrained module of a checked architecture (seed=0: its weights are about to be replaced)."""
    a = architecture
    if a["type"] == "Neuron":
        return Neuron(a["nin"], a["activation"], seed=0)
    if a["type"] == "Layer":
        return Layer(a["nin"], a["nout"], a["activation"], seed=0)
    return MLP(a["nin"], a["nouts"], a["activation"], a["output_activation"], seed=0)


def load(path: PathLike) -> Module:
    """A new module (``MLP``, ``Layer`` or ``Neuron``) with the architecture and weights saved in ``path``.

    The file is checked completely before anything is built (see the module docstring's limits).

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> model = MLP(2, [4, 1], seed=0)
    >>> model.save(path)
    >>> load(path).state_dict() == model.state_dict()
    True
    """
    architecture, parameters = read(path)
    _check_architecture(path, architecture)
    _check_parameters(path, architecture, parameters)
    module = _build(path, architecture)
    _assign(path, module, parameters)
    return module


def load_weights(module: Module, path: PathLike) -> None:
    """Load the weights in ``path`` into ``module``; the file's architecture must equal the module's.

    Everything is checked before anything is assigned, so after a ``ModelFileError`` the module is
    exactly as it was. The file's network is never built, also not to describe a mismatch.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> MLP(2, [4, 1], seed=0).save(path)
    >>> MLP(2, [3, 1], seed=1).load_weights(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    nn.serialize.ModelFileError: ...model.json: holds MLP(2, [4, 1], ...), which does not match the model MLP(2, [3, 1], ...)
    """
    architecture, parameters = read(path)
    _check_architecture(path, architecture)
    if architecture != module.architecture():
        raise ModelFileError(path, f"holds {_describe(architecture)}, which does not match the model {module!r}")
    _check_parameters(path, architecture, parameters)
    _assign(path, module, parameters)


def _assign(path: PathLike, module: Module, parameters: dict[str, Any]) -> None:
    try:
        module.load_state_dict(parameters)
    except StateDictError as e:
        raise ModelFileError(path, str(e)) from None
