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

import importlib
import importlib.util
import numbers
import os
import sys
import sysconfig
import types
import warnings
from typing import Any

#: Why the C engine is not in use ('' when it is).
reason_unavailable = ""

#: Names a pure ``Value`` has that the C type must not receive (its own slots and machinery).
_NOT_SHARED = {"__init__", "__slots__", "__dict__", "__weakref__", "__module__", "__doc__", "__qualname__", "__new__"}


def _disabled() -> str:
    if os.environ.get("VALUEGRAD_PURE", "") not in ("", "0"):
        return "VALUEGRAD_PURE is set"
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        reason = "this is a free-threaded Python build and valuegrad's C engine needs the GIL: using the pure engine"
        warnings.warn(reason, RuntimeWarning, stacklevel=3)
        return reason
    return ""


def _load_core() -> types.ModuleType | None:
    global reason_unavailable
    reason_unavailable = _disabled()
    if reason_unavailable:
        return None
    try:
        return importlib.import_module("autograd._native._core")
    except ImportError as error:
        reason_unavailable = f"the C extension is not built ({error})"
        return None


def install(namespace: dict[str, Any]) -> str:
    """Put the C engine into ``autograd.value``'s namespace if it can be used; return the backend name."""
    core = _load_core()
    if core is None:
        return "pure"
    pure: type = namespace["Value"]
    native: type = core.Value
    _share_methods(pure, native)
    from autograd.rules import FLOAT_HELPERS, RULES

    grad_enabled = namespace["_GRAD_ENABLED"]
    make_node = core._make_node

    def lift(x: object, op: str) -> Any:
        if isinstance(x, native):
            return x
        if isinstance(x, (int, float, numbers.Real)):
            return make_node("const", (), float(x), ())
        raise TypeError(f"{op}: unsupported operand of type {type(x).__name__}: {x!r} (expected a Value or a real number)")

    def python_apply(op: str, *inputs: Any) -> Any:
        """``apply`` for what the C engine does not handle itself: rules added at run time, and errors."""
        try:
            rule = RULES[op]
        except KeyError:
            raise ValueError(f"apply: no rule named {op!r}; known ops: {', '.join(RULES)}") from None
        if rule.arity is not None and len(inputs) != rule.arity:
            raise TypeError(f"{op}: takes {rule.arity} input(s), got {len(inputs)}")
        parents = tuple(lift(x, op) for x in inputs)
        datas = tuple(p.data for p in parents)
        out = rule.forward(*datas)
        if not grad_enabled.get():
            return make_node("", (), out, ())
        return make_node(op, parents, out, rule.local(*datas, out))

    def create_graph_backward(root: Any) -> None:
        """``backward(create_graph=True)``: every node's gradient as a differentiable Value (``grad_value``)."""
        order = namespace["topological_order"](root)
        grads = namespace["backprop_grads"](root, order, create_graph=True)
        for node in order:
            found = grads.get(node, 0.0)
            as_value = found if isinstance(found, native) else make_node("const", (), float(found), ())
            previous = node.grad_value
            if node.is_leaf and previous is not None:
                as_value = previous + as_value
            elif node.is_leaf and node.grad != 0.0:
                as_value = make_node("const", (), node.grad, ()) + as_value
            node.grad_value = as_value
            node.grad = as_value.data

    def missing_backward(node: Any) -> None:
        raise RuntimeError(
            f"backward: node {node!r} (op {node.op!r}) has parents but no rule and no _backward: "
            "assign it a closure (out._backward = fn) or make it with autograd.apply"
        )

    core._configure(
        grad_enabled=grad_enabled,
        float_helpers=FLOAT_HELPERS,
        real=numbers.Real,
        create_graph_backward=create_graph_backward,
        apply=python_apply,
        missing_backward=missing_backward,
    )
    namespace["PureValue"] = pure
    namespace["Value"] = native
    for name in ("topological_order", "apply", "vsum", "dot"):
        function = getattr(core, name)
        namespace[name] = function
    namespace["_leaf"] = lambda data, op: make_node(op, (), data, ())
    namespace["_lift"] = lift
    return "native"


def _share_methods(pure: type, native: type) -> None:
    """Attach to the C type every method and property of the pure ``Value`` it does not define itself."""
    own = set(vars(native))
    for cls in reversed(pure.__mro__[:-1]):  # base classes first, object left out
        for name, attr in vars(cls).items():
            if name in own or name in _NOT_SHARED or type(attr).__name__ == "member_descriptor":
                continue
            if callable(attr) or isinstance(attr, (property, staticmethod, classmethod)):
                setattr(native, name, attr)


def pure_value_module() -> types.ModuleType:
    """A separate copy of ``autograd/value.py`` running the pure engine, whatever engine is in use.

    >>> pure_value_module().BACKEND
    'pure'
    """
    cached = sys.modules.get("autograd._pure_value")
    if cached is not None:
        return cached
    import autograd.value as value

    spec = importlib.util.spec_from_file_location("autograd._pure_value", value.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    previous = os.environ.get("VALUEGRAD_PURE")
    os.environ["VALUEGRAD_PURE"] = "1"
    try:
        sys.modules["autograd._pure_value"] = module
        spec.loader.exec_module(module)
    finally:
        if previous is None:
            del os.environ["VALUEGRAD_PURE"]
        else:
            os.environ["VALUEGRAD_PURE"] = previous
    return module
