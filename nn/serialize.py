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
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NoReturn

from autograd.atomic import write_text_atomically
from nn.module import MLP, Layer, Module, Neuron, PathLike, StateDictError

FORMAT = "valuegrad.nn"
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
    file raises ``FileNotFoundError`` as usual.
    """
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ModelFileError(path, f"is not UTF-8 text ({e.reason} at byte {e.start}); not a valuegrad model file") from None
    if not text.strip():
        raise ModelFileError(path, "is empty; not a valuegrad model file")
    try:
        doc = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
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
    if version != VERSION:
        if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
            raise ModelFileError(path, f"has format version {version}, newer than this valuegrad reads ({VERSION}); upgrade")
        raise ModelFileError(path, f"has unknown format version {version!r} (expected {VERSION})")
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


def _build(path: PathLike, architecture: dict[str, Any]) -> Module:
    """An untrained module of the described architecture, or ModelFileError saying what is wrong."""
    kind = architecture.get("type")
    fields: dict[str, tuple[str, ...]] = {
        "Neuron": ("nin", "activation"),
        "Layer": ("nin", "nout", "activation"),
        "MLP": ("nin", "nouts", "activation", "output_activation"),
    }
    if kind not in fields:
        raise ModelFileError(path, f"architecture type {kind!r} is not one of {', '.join(fields)}")
    expected = {"type", *fields[kind]}
    if set(architecture) != expected:
        got = sorted(architecture)
        raise ModelFileError(path, f"architecture of a {kind} needs exactly the keys {sorted(expected)}, got {got}")
    a = architecture
    try:
        # seed=0: the weights are about to be replaced, so skip drawing OS entropy for them.
        if kind == "Neuron":
            return Neuron(a["nin"], a["activation"], seed=0)
        if kind == "Layer":
            return Layer(a["nin"], a["nout"], a["activation"], seed=0)
        if not isinstance(a["nouts"], list):
            raise ValueError(f"MLP nouts must be a list, got {a['nouts']!r}")
        return MLP(a["nin"], a["nouts"], a["activation"], a["output_activation"], seed=0)
    except (TypeError, ValueError) as e:
        raise ModelFileError(path, f"has an invalid architecture: {e}") from None


def load(path: PathLike) -> Module:
    """A new module (``MLP``, ``Layer`` or ``Neuron``) with the architecture and weights saved in ``path``.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> model = MLP(2, [4, 1], seed=0)
    >>> model.save(path)
    >>> load(path).state_dict() == model.state_dict()
    True
    """
    architecture, parameters = read(path)
    module = _build(path, architecture)
    _assign(path, module, parameters)
    return module


def load_weights(module: Module, path: PathLike) -> None:
    """Load the weights in ``path`` into ``module``; the file's architecture must equal the module's.

    Everything is checked before anything is assigned, so after a ``ModelFileError`` the module is
    exactly as it was.
    """
    architecture, parameters = read(path)
    if architecture != module.architecture():
        try:
            described = repr(_build(path, architecture))
        except ModelFileError:
            described = json.dumps(architecture)
        raise ModelFileError(path, f"holds {described}, which does not match the model {module!r}")
    _assign(path, module, parameters)


def _assign(path: PathLike, module: Module, parameters: dict[str, Any]) -> None:
    try:
        module.load_state_dict(parameters)
    except StateDictError as e:
        raise ModelFileError(path, str(e)) from None
