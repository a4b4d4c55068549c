"""The words of every error a ``Value`` raises, for both engines: one owner, so the engines cannot drift apart.

Each function returns the exception (the caller raises it), so the pure engine writes
``raise errors.not_a_real("Value", x)`` and the C engine calls the same function and raises what it
gets. Messages name the operation and the offending value, and say what to do.

>>> str(not_a_real("Value", "1"))
"Value: expected a real number (int or float), got str: '1'"
"""

from __future__ import annotations

from collections.abc import Iterable


def not_a_real(where: str, x: object) -> TypeError:
    """``where`` was given something that is not a real number."""
    return TypeError(f"{where}: expected a real number (int or float), got {type(x).__name__}: {x!r}")


def not_a_str(what: str, text: object) -> TypeError:
    """A ``Value``'s ``what`` (``label``, ``_op``) must be a str."""
    return TypeError(f"Value: {what} must be a str, got {type(text).__name__}: {text!r}")


def unsupported_operand(op: str, x: object) -> TypeError:
    """An operator got an operand that is neither a Value nor a real number."""
    return TypeError(f"{op}: unsupported operand of type {type(x).__name__}: {x!r} (expected a Value or a real number)")


def children_is_a_str(data: float, children: str) -> TypeError:
    """``Value(data, 'label')``: a label passed where micrograd's constructor takes the children."""
    return TypeError(
        f"Value: the second argument is _children (micrograd's order: data, _children, _op, label), got the str "
        f"{children!r}; pass a label by keyword: Value({data!r}, label={children!r})"
    )


def child_not_a_value(i: int, child: object) -> TypeError:
    """``Value(data, children)`` with a child that is not a Value."""
    return TypeError(f"Value: _children[{i}] must be a Value, got {type(child).__name__}: {child!r}")


def local_grads_count(children: int, local_grads: int) -> ValueError:
    """``Value(data, children, local_grads)`` (microgpt's constructor) with one number too many or too few."""
    return ValueError(f"Value: {children} children but {local_grads} local derivatives")


def no_derivative(node: object, op: str) -> RuntimeError:
    """``backward`` reached a custom node that has children but no way to differentiate them."""
    return RuntimeError(
        f"backward: node {node!r} (op {op!r}) has children but no derivative: assign it a _backward "
        "closure, name a rule as its _op (see autograd.RULES), or define the op with autograd.define_op "
        "(the leaves' gradients from this call are partial: zero_grad() before trying again)"
    )


def not_callable(node: object, fn: object) -> TypeError:
    """``node._backward = fn`` with something that cannot be called."""
    return TypeError(f"{node!r}: _backward must be a function of no arguments, got {type(fn).__name__}: {fn!r}")


def not_deletable(what: str) -> AttributeError:
    """``del node.label`` and the like: the engine's own fields stay."""
    return AttributeError(f"cannot delete a Value's {what} (assign it instead)")


def grad_value_not_a_value(value: object) -> TypeError:
    """``node.grad_value = x`` with x neither a Value nor None."""
    return TypeError(f"grad_value must be a Value or None, got {type(value).__name__}: {value!r}")


def unknown_op(op: str, known: Iterable[str]) -> ValueError:
    """``apply`` of a name no rule has."""
    return ValueError(f"apply: no rule named {op!r}; known ops: {', '.join(known)}")


def wrong_term_count(op: str, why: ValueError) -> TypeError:
    """``apply`` of an n-ary rule with inputs that do not make whole terms."""
    return TypeError(f"{op}: {why}")


def wrong_arity(op: str, arity: int, count: int) -> TypeError:
    """``apply`` of a rule with the wrong number of inputs."""
    return TypeError(f"{op}: takes {arity} input(s), got {count}")
