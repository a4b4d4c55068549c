"""valuegrad's C engine: the same ``Value`` as ``autograd/node.py``, compiled.

The pattern of CPython's ``heapq``/``_heapq``: the pure modules are the readable reference, and
``autograd/value.py``, ``autograd/graph.py`` and ``autograd/recording.py`` end by importing the C
names over the pure ones when ``active()`` returns the extension ``autograd._native._core``, so
every module that does ``from autograd.value import Value`` gets the C type. ``autograd.BACKEND``
says which engine is in use; ``VALUEGRAD_PURE=1`` forces the pure one.

The C type implements the hot path: the operators (generated from ``autograd/rules.py`` into
``_ops.h``), ``backward``, ``zero_grad``, ``topological_order``, ``apply``/``vsum``/``dot`` and the
node's attributes. It inherits what both engines share from ``autograd.base.ValueBase`` (repr,
comparisons, copies, ``backward(create_graph=True)``), and takes its error messages from
``autograd/errors.py``. ``pure_value_module()`` gives the pure engine as a separate module for
differential tests.

Thread safety: the C engine relies on the GIL (its allocator and walk marks are global state
touched only while holding it). ``no_grad`` is a ``ContextVar`` read through the C API, so it is
per thread and per asyncio task as in the pure engine. Free-threaded builds (3.13t) do not load
the extension: the pure engine is used, with a ``RuntimeWarning`` at import saying so, and
``autograd._native.reason_unavailable`` says why whenever the C engine is not in use.
"""

from __future__ import annotations

import binascii
import importlib
import importlib.util
import os
import sys
import types
import warnings
from typing import Any

#: Why the C engine is not in use ('' when it is).
reason_unavailable = ""


def _load_core() -> types.ModuleType | None:
    global reason_unavailable
    if os.environ.get("VALUEGRAD_PURE", "") not in ("", "0"):
        reason_unavailable = "VALUEGRAD_PURE is set"
        return None
    try:
        return importlib.import_module("autograd._native._core")
    except ImportError as error:
        import sysconfig  # only here: it costs an import that working installs never need

        if sysconfig.get_config_var("Py_GIL_DISABLED"):
            reason_unavailable = (
                "this is a free-threaded Python build and valuegrad's C engine needs the GIL: using the pure engine"
            )
            warnings.warn(reason_unavailable, RuntimeWarning, stacklevel=4)
        else:
            reason_unavailable = f"the C extension is not built ({error})"
            if _built_here():
                # A source checkout or a failed build: say so once, or a benchmark quietly measures the pure engine.
                warnings.warn(
                    f"valuegrad: {reason_unavailable}; using the pure-Python engine (several times slower). "
                    "Build the C engine with `python setup.py build_ext --inplace` (or `pip install -e .`), "
                    "or set VALUEGRAD_PURE=1 to ask for the pure engine without this warning.",
                    RuntimeWarning,
                    stacklevel=2,
                )
        return None


def _built_here() -> bool:
    """Whether this copy of valuegrad should have the extension: its C source sits beside it (a source checkout)."""
    return os.path.exists(os.path.join(os.path.dirname(__file__), "_core.c"))


def rules_digest() -> str:
    """A digest of every built-in rule's formulas and method names: the generated C is stale when it differs.

    >>> len(rules_digest())
    8
    """
    from autograd.rules import RULES

    parts = []
    for rule in RULES.values():
        if getattr(rule, "callables", None) is not None:  # made at run time by define_op: not generated
            continue
        methods = getattr(rule, "method_names", None)
        parts.append(repr((rule.name, rule.inputs, rule.forward_formula, rule.local_formulas, rule.terms, methods)))
    # A checksum, not a cryptographic hash: it only has to notice that the rules changed (and costs no hashlib import).
    return f"{binascii.crc32(chr(10).join(parts).encode()):08x}"


_LOADED: list[types.ModuleType | None] = []
_CONFIGURED: list[bool] = []


def _core_module() -> types.ModuleType | None:
    """The extension, loaded once and checked against the rules (None when it cannot be used)."""
    global reason_unavailable
    if not _LOADED:
        core = _load_core()
        if core is not None and getattr(core, "RULES_DIGEST", None) != rules_digest():
            reason_unavailable = "the C extension was built from other rules: rebuild it (python setup.py build_ext --inplace)"
            core = None
        _LOADED.append(core)
    return _LOADED[0]


def active() -> types.ModuleType | None:
    """The C engine, ready to use, unless it is missing or ``VALUEGRAD_PURE`` is set now (then None).

    The first call connects it to the pure modules it shares with (the base class, the grad-mode
    ``ContextVar``, the error messages), so it is called by the modules that import C names over
    pure ones, once those are importable.
    """
    if os.environ.get("VALUEGRAD_PURE", "") not in ("", "0"):
        return None
    core = _core_module()
    if core is None:
        return None
    if not _CONFIGURED:
        import numbers

        from autograd import errors, graph, recording
        from autograd.base import ValueBase
        from autograd.grad_mode import _GRAD_ENABLED
        from autograd.node import Value as PureValue
        from autograd.rules import FLOAT_HELPERS

        _CONFIGURED.append(True)
        record: list[Any] = []

        def python_apply(op: str, *inputs: Any) -> Any:
            # Ops made at run time by define_op: their formulas are Python callables.
            if not record:
                record.append(recording.record_with(core.Value))
            return record[0](op, *inputs)

        core._configure(
            grad_enabled=_GRAD_ENABLED,
            float_helpers=FLOAT_HELPERS,
            real=numbers.Real,
            base=ValueBase,
            errors=errors,
            apply=python_apply,
            custom_locals=graph.rule_locals,
            # Only on a constructor's error path: the pure constructor words the error.
            pure_value=PureValue,
        )
    return core


#: The C engine's "no_grad changed" notice (None without the extension): grad_mode calls it.
grad_mode_changed = getattr(_core_module(), "grad_mode_changed", None)


def pure_value_module() -> types.ModuleType:
    """A separate copy of ``autograd/value.py`` running the pure engine, whatever engine is in use.

    Like ``test.support.import_fresh_module``: the copy gets its own copy of ``autograd/_ops.py``
    too (the operator methods are bound to the ``Value`` class of the module that loads them), so
    the engine in use is left exactly as it was.

    >>> pure_value_module().BACKEND
    'pure'
    """
    cached = sys.modules.get("autograd._pure_value")
    if cached is not None:
        return cached
    # The modules whose names the C engine replaces, imported afresh with VALUEGRAD_PURE set, as
    # test.support.import_fresh_module does; the ones in use are put back untouched. The base, the
    # grad mode and the errors are shared: both engines use the same ones.
    fresh = ("autograd.graph", "autograd._ops", "autograd.node", "autograd.recording", "autograd.value")
    saved = {name: sys.modules.pop(name) for name in fresh if name in sys.modules}
    package = sys.modules["autograd"]
    attributes = {name: getattr(package, name.rpartition(".")[2], None) for name in fresh}
    for name in fresh:  # ``from autograd import node`` must find the fresh module, not the one in use
        if hasattr(package, name.rpartition(".")[2]):
            delattr(package, name.rpartition(".")[2])
    previous = os.environ.get("VALUEGRAD_PURE")
    os.environ["VALUEGRAD_PURE"] = "1"
    try:
        module = importlib.import_module("autograd.value")
    finally:
        loaded = {name: sys.modules.get(name) for name in fresh}
        for name in fresh:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
        for name, attribute in attributes.items():
            if attribute is not None:
                setattr(package, name.rpartition(".")[2], attribute)
        if previous is None:
            del os.environ["VALUEGRAD_PURE"]
        else:
            os.environ["VALUEGRAD_PURE"] = previous
    sys.modules["autograd._pure_value"] = module
    del loaded
    return module
