"""valuegrad's C engine: the same ``Value`` as ``autograd/value.py``, compiled.

The pattern of CPython's ``heapq``/``_heapq`` and ``pickle``/``_pickle``: ``autograd/value.py`` is
the readable reference, and when the extension ``autograd._native._core`` is built, ``install``
(called at the end of ``autograd/value.py``) puts the C ``Value`` and the C graph walks in place
of the pure ones, so every module that does ``from autograd.value import Value`` gets the C type.
``autograd.BACKEND`` says which engine is in use; ``VALUEGRAD_PURE=1`` forces the pure one.

The C type implements the hot path: the operators (generated from ``autograd/rules.py`` into
``_ops.h``), ``backward``, ``zero_grad``, ``topological_order``, ``apply``/``vsum``/``dot`` and the
node's attributes. Everything else a pure ``Value`` has (``__repr__``, comparisons and
``float()`` with their ``compile`` tracer hook, ...) is the pure engine's own code, attached to
the C type here, so the logic exists once. ``pure_value_module()`` gives the pure engine as a
separate module for differential tests.

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
import numbers
import os
import sys
import types
import warnings
from typing import Any

#: Why the C engine is not in use ('' when it is).
reason_unavailable = ""

#: Names a pure ``Value`` has that the C type must not receive (its own slots and machinery).
_NOT_SHARED = {"__init__", "__slots__", "__dict__", "__weakref__", "__module__", "__doc__", "__qualname__", "__new__"}


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
        return None


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


def install(namespace: dict[str, Any]) -> str:
    """Put the C engine into ``autograd.value``'s namespace if it can be used; return the backend name."""
    global reason_unavailable
    core = _load_core()
    if core is None:
        return "pure"
    if getattr(core, "RULES_DIGEST", None) != rules_digest():
        reason_unavailable = "the C extension was built from other rules: rebuild it (python setup.py build_ext --inplace)"
        return "pure"
    pure: Any = namespace["Value"]
    native: type = core.Value
    missing = _share_methods(pure, native)
    if missing:
        reason_unavailable = f"the C extension lacks {', '.join(missing)}: rebuild it (python setup.py build_ext --inplace)"
        return "pure"
    from autograd.rules import FLOAT_HELPERS, RULES

    grad_enabled = namespace["_GRAD_ENABLED"]
    namespace["_grad_mode_changed"] = core.grad_mode_changed
    rule_to_apply = namespace["_rule_to_apply"]
    make_node = core._make_node

    def lift(x: object, op: str) -> Any:
        if isinstance(x, native):
            return x
        if isinstance(x, (int, float, numbers.Real)):
            return make_node("const", (), float(x), ())
        raise TypeError(f"{op}: unsupported operand of type {type(x).__name__}: {x!r} (expected a Value or a real number)")

    def python_apply(op: str, *inputs: Any) -> Any:
        """``apply`` for what the C engine does not handle itself: ops made by ``define_op``, and errors."""
        rule = rule_to_apply(op, len(inputs))  # the pure engine's lookup and errors, shared
        parents = tuple(lift(x, op) for x in inputs)
        datas = tuple(p.data for p in parents)
        out = rule.forward(*datas)
        if not grad_enabled.get():
            return make_node("", (), out, ())
        return make_node(op, parents, out, rule.local(*datas, out))

    def custom_locals(op: str, datas: tuple[float, ...], data: float) -> tuple[float, ...] | None:
        """A custom node's derivatives from the rule its ``_op`` names (None: it needs a ``_backward``)."""
        rule = RULES.get(op)
        if rule is not None and (rule.arity is None or rule.arity == len(datas)):
            try:
                return tuple(float(x) for x in rule.local(*datas, data))
            except (ArithmeticError, ValueError):  # outside the rule's domain: like an op no rule names
                return None
        return None

    def missing_backward(node: Any) -> None:
        raise RuntimeError(
            f"backward: node {node!r} (op {node.op!r}) has children but no derivative: assign it a _backward "
            "closure, name a rule as its _op (see autograd.RULES), or define the op with autograd.define_op"
        )

    # The pure engine's own code wherever it is written against the node interface.
    pure_backward = pure.backward
    custom_class = namespace.get("_CustomValue")
    contributions = namespace.get("_closure_contributions")
    core._configure(
        grad_enabled=grad_enabled,
        float_helpers=FLOAT_HELPERS,
        real=numbers.Real,
        create_graph_backward=lambda root: pure_backward(root, create_graph=True),
        apply=python_apply,
        missing_backward=getattr(custom_class, "_chain_rule_step", missing_backward),
        custom_locals=custom_locals,
        closure_locals=(lambda node: contributions(node, 1.0)) if contributions else (lambda node: ()),
        # Only on a constructor's error path: the untouched pure engine words the error.
        pure_value=lambda *args, **kwargs: pure_value_module().Value(*args, **kwargs),
    )
    namespace["PureValue"] = pure
    namespace["Value"] = native
    for name in ("topological_order", "apply", "vsum", "dot"):
        namespace[name] = getattr(core, name)
    namespace["_leaf"] = lambda data, op: make_node(op, (), data, ())
    namespace["_lift"] = lift
    if custom_class is not None:
        # The pure helpers ask isinstance(node, _CustomValue): for C nodes, "made by Value(data, _children, _op)".
        namespace["_CustomValue"] = _NativeCustom
    return "native"


class _CustomCheck(type):
    def __instancecheck__(cls, node: object) -> bool:
        return bool(getattr(node, "_is_custom", False))


class _NativeCustom(metaclass=_CustomCheck):
    """Stands for the pure engine's ``_CustomValue`` in isinstance checks: a C node made with children."""


def _share_methods(pure: type, native: type) -> list[str]:
    """Attach to the C type every method and property of the pure ``Value`` it does not define itself.

    The operator methods (``autograd/_ops.py``) are never shared: the C type must have each one
    itself (a pure operator would make pure nodes). Returns the operator methods the C type lacks.
    """
    own = set(vars(native))
    missing = []
    for cls in reversed(pure.__mro__[:-1]):  # base classes first, object left out
        operators = cls.__module__ == "autograd._ops"
        for name, attr in vars(cls).items():
            if name in own or name in _NOT_SHARED or type(attr).__name__ == "member_descriptor":
                continue
            if operators:
                if callable(attr):
                    missing.append(name)
                continue
            if callable(attr) or isinstance(attr, (property, staticmethod, classmethod)):
                setattr(native, name, attr)
    return missing


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
    # Looked up, not imported: this module sits below both in the layers (docs/architecture.md).
    autograd = sys.modules["autograd"]
    value = sys.modules["autograd.value"]

    def load(name: str, path: str) -> types.ModuleType:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    ops = sys.modules.get("autograd._ops")
    previous = os.environ.get("VALUEGRAD_PURE")
    os.environ["VALUEGRAD_PURE"] = "1"
    try:
        if ops is not None and ops.__file__ is not None:
            # value.py does ``from autograd import _ops``: let that find the fresh copy while it loads.
            autograd._ops = load("autograd._pure_ops", ops.__file__)  # type: ignore[attr-defined]
        return load("autograd._pure_value", value.__file__ or "")
    finally:
        if ops is not None:
            autograd._ops = ops  # type: ignore[attr-defined]
        if previous is None:
            del os.environ["VALUEGRAD_PURE"]
        else:
            os.environ["VALUEGRAD_PURE"] = previous
