"""The rules' formulas as JavaScript, so a page can recompute values and gradients with no Python.

``autograd.rules.RULES`` writes each operator's forward and local derivatives as formula text over its
input names and ``out``; this module parses that text with ``ast`` and writes the same expression in
JavaScript (``translate``), and writes one JavaScript object per rule (``rule_js``): ``f`` (the forward
over the parents' values) and ``d`` (the local derivatives over the parents' values and ``out``). The
page carries the objects of the ops that occur in its graph, once per op, never per node
(``ops_js``), inside its script (the Content-Security-Policy allows that script by hash and forbids
``eval``, so formulas travel as code, not as strings to evaluate).

The helpers the formulas call (``div``, ``pow``, ``exp``, ``sigmoid``, ``step``, ...) are written in
``HELPERS_JS`` (a page carries only those its ops call: ``helpers_js``) with Python's float
semantics: the same IEEE arithmetic, and an ``Error`` where Python raises (a domain error, a division
by zero, an overflow), with the same message, which the page shows instead of new numbers. ``/`` in
a formula becomes ``D(a, b)``, which raises for ``b == 0`` as Python's float division does.
``Math.exp``/``log``/``tanh``/... may differ from the C library's by an ulp, so the page agrees
with Python to ~1e-15 relative, not bit for bit.

>>> translate("1.0 - out * out", {"out": "out"})
'(1.0 - (out * out))'
>>> translate("x if x > 0.0 else 0.01 * x", {"x": "v[0]"})
'((v[0] > 0.0) ? v[0] : (0.01 * v[0]))'
>>> print(rule_js(RULES["*"]))
{"f": function (v) { return (v[0] * v[1]); }, "d": function (v, out) { return [v[1], v[0]]; }}
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping

from autograd.rules import FLOAT_HELPERS, RULES, Rule

__all__ = ["HELPERS_JS", "TranslationError", "helpers_js", "ops_js", "rule_js", "translate"]


class TranslationError(ValueError):
    """A formula uses Python the translator does not write as JavaScript (the rule's row names it)."""


_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}
_COMPARE = {ast.Lt: "<", ast.Gt: ">", ast.LtE: "<=", ast.GtE: ">=", ast.Eq: "===", ast.NotEq: "!=="}
#: Helper name -> its JavaScript name in ``HELPERS_JS`` (every helper the rules may call has one).
_FUNCTIONS = {name: f"H.{name}" for name, value in FLOAT_HELPERS.items() if callable(value)}
_CONSTANTS = {"inf": "Infinity", "nan": "NaN"}


def translate(formula: str, names: Mapping[str, str]) -> str:
    """The formula (Python expression text over ``names``' keys) as one JavaScript expression over their values.

    >>> translate("div(a, b)", {"a": "v[0]", "b": "v[1]"})
    'H.div(v[0], v[1])'
    >>> translate("a @ b", {"a": "x", "b": "y"})
    Traceback (most recent call last):
    autograd.seeing.jsformulas.TranslationError: formula 'a @ b': no JavaScript for MatMult
    """
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError as error:
        raise TranslationError(f"formula {formula!r} is not a Python expression: {error.msg}") from None
    return _js(tree.body, formula, names)


def _js(node: ast.expr, formula: str, names: Mapping[str, str]) -> str:
    def go(child: ast.expr) -> str:
        return _js(child, formula, names)

    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return repr(float(node.value))
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise TranslationError(f"formula {formula!r}: unknown name {node.id!r}")
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Div):  # Python's float division raises for a zero divisor
            return f"H.D({go(node.left)}, {go(node.right)})"
        if isinstance(node.op, ast.Pow):
            return f"H.pow({go(node.left)}, {go(node.right)})"
        op = _BINARY.get(type(node.op))
        if op is None:
            raise TranslationError(f"formula {formula!r}: no JavaScript for {type(node.op).__name__}")
        return f"({go(node.left)} {op} {go(node.right)})"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return f"({'-' if isinstance(node.op, ast.USub) else '+'}{go(node.operand)})"
    if isinstance(node, ast.IfExp):
        return f"({go(node.test)} ? {go(node.body)} : {go(node.orelse)})"
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op = _COMPARE.get(type(node.ops[0]))
        if op is not None:
            return f"({go(node.left)} {op} {go(node.comparators[0])})"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        function = _FUNCTIONS.get(node.func.id)
        if function is None:
            raise TranslationError(f"formula {formula!r}: no JavaScript helper {node.func.id!r}")
        return f"{function}({', '.join(go(arg) for arg in node.args)})"
    raise TranslationError(f"formula {formula!r}: no JavaScript for {type(node).__name__}")


def rule_js(rule: Rule) -> str:
    """One rule as a JavaScript object ``{"f": function (v), "d": function (v, out)}`` over the parents' values ``v``.

    An n-ary rule (``Terms``) becomes loops over its terms, adding left to right from ``start`` as
    the generated Python does, so the sums round the same.
    """
    try:
        if rule.terms is None:
            names = {name: f"v[{k}]" for k, name in enumerate(rule.inputs)}
            forward = translate(rule.forward_formula, names)
            local = ", ".join(translate(f, {**names, "out": "out"}) for f in rule.local_formulas)
            return f'{{"f": function (v) {{ return {forward}; }}, "d": function (v, out) {{ return [{local}]; }}}}'
        terms = rule.terms
        k, extra = len(terms.inputs), len(terms.extra)
        # Term i's input j is parent j * n + i; extra input e is parent k * n + e (``Terms``' column order).
        term_names = {name: f"v[{j} * n + i]" for j, name in enumerate(terms.inputs)}
        extra_names = {name: f"v[{k} * n + {e}]" for e, name in enumerate(terms.extra)}
        count = f"var n = (v.length - {extra}) / {k};"
        start = translate(terms.start, extra_names)
        term = translate(terms.term, term_names)
        per_term = "".join(
            f" for (i = 0; i < n; i++) {{ g.push({translate(f, {**term_names, 'out': 'out'})}); }}" for f in terms.local
        )
        extras = "".join(f" g.push({translate(f, {**extra_names, 'out': 'out'})});" for f in terms.extra_local)
        return (
            f'{{"f": function (v) {{ {count} var t = {start}; for (var i = 0; i < n; i++) {{ t = t + {term}; }} return t; }}, '
            f'"d": function (v, out) {{ {count} var g = [], i;{per_term}{extras} return g; }}}}'
        )
    except TranslationError as error:
        raise TranslationError(f"rule {rule.name!r}: {error}") from None


def ops_js(ops: Iterable[str]) -> str:
    """The JavaScript object literal of the given ops' rules, each once.

    Ops without a rule (a ``_backward`` closure) and rules made at run time whose formulas the
    translator cannot write are left out: the page says so when asked to recompute through them.
    Op names are user text inside a ``<script>``: every ``<`` is escaped, so no name can end it.

    >>> ops_js(["+", "+", "custom"]).count("function (v)")
    1
    """
    rows = []
    for op in sorted(set(ops)):
        if op not in RULES:
            continue
        try:
            code = rule_js(RULES[op])
        except TranslationError:
            continue
        key = json.dumps(op).replace("<", "\\u003c")
        rows.append(f"{key}: {code}")
    return "{" + ", ".join(rows) + "}"


#: The helpers the formulas call, with Python's float semantics and error messages (see the module docstring).
HELPERS_JS = r"""{
  err: function (kind, msg) { var e = new Error(msg); e.kind = kind; return e; },
  r: function (x) {  // a float as Python's repr writes it, for messages
    if (Number.isNaN(x)) { return "nan"; }
    if (!Number.isFinite(x)) { return x > 0 ? "inf" : "-inf"; }
    var s = String(x);
    if (/^-?\d+$/.test(s)) { return s + ".0"; }
    return s.replace(/e([+-])(\d)$/, "e$10$2");
  },
  domain: function (op, x, rule) {  // rules._domain_error
    return H.err("ValueError", op + ": input " + H.r(x) + " is outside the domain (" + rule + ")");
  },
  D: function (a, b) { if (b === 0) { throw H.err("ZeroDivisionError", "float division by zero"); } return a / b; },
  div: function (a, b) {
    if (b === 0) { throw H.err("ZeroDivisionError", "div: " + H.r(a) + " / " + H.r(b) + " divides by zero"); }
    return a / b;
  },
  pow: function (a, b) {
    var both = "pow: " + H.r(a) + " ** " + H.r(b);
    if (a === 0 && b < 0) { throw H.err("ZeroDivisionError", both + " raises zero to a negative power"); }
    if (a < 0 && !Number.isInteger(b) && b === b) {
      throw H.err("ValueError", both + " has no real result (negative base, non-integer exponent)");
    }
    if (a === 1 || b === 0) { return 1; }  // C's pow: 1 ** nan and nan ** 0 are 1 (JavaScript says nan)
    var out = Math.pow(a, b);
    if (!Number.isFinite(out) && out === out && Number.isFinite(a) && Number.isFinite(b) && a !== 0) {
      throw H.err("OverflowError", both + " overflows a float");
    }
    return out;
  },
  exp: function (x) {
    var out = Math.exp(x);
    if (out === Infinity && x !== Infinity) {
      throw H.err("OverflowError", "exp: input " + H.r(x) + " overflows a float (exp is finite only below ~709.78)");
    }
    return out;
  },
  log: function (x) {  // nan gives nan, as in Python
    if (x <= 0) { throw H.domain("log", x, "x > 0"); }
    return Math.log(x);
  },
  sqrt: function (x) { if (x < 0) { throw H.domain("sqrt", x, "x >= 0"); } return Math.sqrt(x); },
  tanh: function (x) { return Math.tanh(x); },
  sigmoid: function (x) { if (x >= 0) { return 1 / (1 + Math.exp(-x)); } var e = Math.exp(x); return e / (1 + e); },
  relu: function (x) { return x <= 0 ? 0 : x; },
  softplus: function (x) {  // (0 > x ? 0 : x) is Python's max(x, 0.0), nan and -0.0 included
    return (0 > x ? 0 : x) + Math.log1p(Math.exp(-Math.abs(x)));
  },
  sin: function (x) {
    if (x === Infinity || x === -Infinity) { throw H.domain("sin", x, "finite x"); }
    return Math.sin(x);
  },
  cos: function (x) {
    if (x === Infinity || x === -Infinity) { throw H.domain("cos", x, "finite x"); }
    return Math.cos(x);
  },
  abs: function (x) { return Math.abs(x); },
  step: function (x) { return x > 0 ? 1 : 0; },
  sign: function (x) { return x > 0 ? 1 : (x < 0 ? -1 : 0); },
  sqrt_derivative: function (out) { return out === 0 ? Infinity : 0.5 / out; },
  pow_base_derivative: function (a, b, out) {
    if (a === 0) { return b === 1 ? 1 : (0 < b && b < 1 ? Infinity : 0); }
    return b * H.pow(a, b - 1);
  },
  pow_exponent_derivative: function (a, b, out) { return a > 0 ? out * H.log(a) : (a === 0 ? 0 : NaN); }
}"""


def _entries(text: str) -> dict[str, str]:
    """``HELPERS_JS``'s entries, ``name -> "name: function ..."``, each as written."""
    entries: dict[str, list[str]] = {}
    current: list[str] = []
    # An entry ends with "}," (or "}" for the last): no comment may follow it on its line.
    for line in text.strip()[1:-1].strip("\n").split("\n"):
        start = re.match(r"  (\w+): function", line)
        if start:
            current = entries.setdefault(start.group(1), [])
        current.append(line)
    return {name: "\n".join(lines).rstrip(",") for name, lines in entries.items()}


_HELPERS = _entries(HELPERS_JS)
#: What every page needs: errors and their messages, and the division ``/`` becomes.
_ALWAYS = ("err", "r", "domain", "D")


def helpers_js(code: str) -> str:
    """The ``HELPERS_JS`` object with only the helpers ``code`` calls (``H.name``), and those they call.

    >>> "softplus" in helpers_js(ops_js(["*"])), "pow:" in helpers_js(ops_js(["**"]))
    (False, True)
    """
    wanted = set(_ALWAYS)
    todo = [code]
    while todo:
        for name in re.findall(r"\bH\.(\w+)", todo.pop()):
            if name not in wanted and name in _HELPERS:
                wanted.add(name)
                todo.append(_HELPERS[name])
    return "{\n" + ",\n".join(entry for name, entry in _HELPERS.items() if name in wanted) + "\n}"
