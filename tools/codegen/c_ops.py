"""Write ``autograd/_native/_ops.h``: the C engine's operators, generated from ``autograd/rules.py``.

The C half of ``python3 dev.py generate`` (the Python half is ``tools/codegen/python_ops.py``).
Every forward and local-derivative formula of ``RULES`` is translated from its Python text into a
C expression, so the C engine computes exactly what the pure engine computes (same IEEE operations
in the same order) and no derivative is written a second time by hand. Formula helpers (``div``,
``exp``, ``sqrt_derivative``, ...) map to the C functions ``vg_h_<name>`` in ``_core.c``; their
error paths call the Python helper of the same name, so exceptions and messages are the pure
engine's own. A formula the translator does not understand (a new helper, a new construct) stops
the generator with an error naming the rule: add the helper to ``HELPERS`` and to ``_core.c``.

    python tools/codegen/c_ops.py          # rewrite the file
    python tools/codegen/c_ops.py --check  # exit 1 if the committed file is stale
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from autograd._native import rules_digest  # noqa: E402
from autograd.rules import RULES, Rule, Terms  # noqa: E402

OUTPUT = ROOT / "autograd" / "_native" / "_ops.h"

#: Formula helper -> (C function, number of arguments). Constants are in ``CONSTANTS``.
HELPERS: dict[str, tuple[str, int]] = {
    "div": ("vg_h_div", 2),
    "pow": ("vg_h_pow", 2),
    "exp": ("vg_h_exp", 1),
    "log": ("vg_h_log", 1),
    "sqrt": ("vg_h_sqrt", 1),
    "tanh": ("vg_h_tanh", 1),
    "sigmoid": ("vg_h_sigmoid", 1),
    "relu": ("vg_h_relu", 1),
    "softplus": ("vg_h_softplus", 1),
    "sin": ("vg_h_sin", 1),
    "cos": ("vg_h_cos", 1),
    "abs": ("vg_h_abs", 1),
    "step": ("vg_h_step", 1),
    "sign": ("vg_h_sign", 1),
    "sqrt_derivative": ("vg_h_sqrt_derivative", 1),
    "pow_base_derivative": ("vg_h_pow_base_derivative", 3),
    "pow_exponent_derivative": ("vg_h_pow_exponent_derivative", 3),
}
CONSTANTS = {"inf": "Py_HUGE_VAL", "nan": "Py_NAN"}

#: Python number-protocol methods and the C slot each fills (a rule may name any of these).
DUNDER_SLOTS = {
    "__add__": "Py_nb_add",
    "__radd__": "Py_nb_add",
    "__sub__": "Py_nb_subtract",
    "__rsub__": "Py_nb_subtract",
    "__mul__": "Py_nb_multiply",
    "__rmul__": "Py_nb_multiply",
    "__truediv__": "Py_nb_true_divide",
    "__rtruediv__": "Py_nb_true_divide",
    "__pow__": "Py_nb_power",
    "__rpow__": "Py_nb_power",
    "__neg__": "Py_nb_negative",
    "__abs__": "Py_nb_absolute",
}

#: Which Value methods a rule becomes when its row does not say (the pure engine's mapping).
DEFAULT_METHODS: dict[str, tuple[str, ...]] = {
    "+": ("__add__", "__radd__"),
    "-": ("__sub__", "__rsub__"),
    "*": ("__mul__", "__rmul__"),
    "/": ("__truediv__", "__rtruediv__"),
    "**": ("__pow__", "__rpow__"),
    "neg": ("__neg__",),
    "abs": ("__abs__",),
}


class UntranslatableFormula(ValueError):
    """A formula uses something the C translator does not know: the generator refuses to guess."""


def _number(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UntranslatableFormula(f"constant {value!r} is not a number")
    text = repr(float(value))
    return {"inf": "Py_HUGE_VAL", "nan": "Py_NAN"}.get(text, f"({text})")


def translate(formula: str, names: dict[str, str], rule: str) -> str:
    """The C expression for a Python formula over float ``names`` (formula name -> C variable).

    >>> translate("1.0 - out * out", {"out": "out"}, "tanh")
    '((1.0) - (out * out))'
    """

    def emit(node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return _number(node.value)
        if isinstance(node, ast.Name):
            if node.id in names:
                return names[node.id]
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            raise UntranslatableFormula(f"unknown name {node.id!r}")
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return f"(-{emit(node.operand)})"
            if isinstance(node.op, ast.UAdd):
                return emit(node.operand)
        if isinstance(node, ast.BinOp):
            left, right = emit(node.left), emit(node.right)
            ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}
            for kind, symbol in ops.items():
                if isinstance(node.op, kind):
                    return f"({left} {symbol} {right})"
            # Python's float / and ** raise where C's would quietly give inf or nan.
            if isinstance(node.op, ast.Div):
                return f"vg_truediv({left}, {right})"
            if isinstance(node.op, ast.Pow):
                return f"vg_fpow({left}, {right})"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            helper = HELPERS.get(node.func.id)
            if helper is None:
                raise UntranslatableFormula(f"unknown helper {node.func.id!r} (add it to HELPERS and to _core.c)")
            c_name, arity = helper
            if len(node.args) != arity:
                raise UntranslatableFormula(f"{node.func.id} takes {arity} argument(s), got {len(node.args)}")
            return f"{c_name}({', '.join(emit(arg) for arg in node.args)})"
        if isinstance(node, ast.IfExp) and isinstance(node.test, ast.Compare):
            return f"({emit_test(node.test)} ? {emit(node.body)} : {emit(node.orelse)})"
        raise UntranslatableFormula(f"cannot translate {ast.unparse(node)!r}")

    def emit_test(test: ast.Compare) -> str:
        symbols = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
        parts, left = [], test.left
        for op, right in zip(test.ops, test.comparators):
            symbol = next((s for kind, s in symbols.items() if isinstance(op, kind)), None)
            if symbol is None:
                raise UntranslatableFormula(f"cannot translate comparison {ast.unparse(test)!r}")
            parts.append(f"({emit(left)} {symbol} {emit(right)})")
            left = right
        return "(" + " && ".join(parts) + ")"

    try:
        return emit(ast.parse(formula, mode="eval").body)
    except (UntranslatableFormula, SyntaxError) as error:
        raise UntranslatableFormula(f"rule {rule!r}: formula {formula!r}: {error}") from None


#: C names for rules whose names are symbols.
SYMBOL_NAMES = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "**": "pow"}


def _c_ident(index: int, rule: Rule) -> str:
    if rule.name in SYMBOL_NAMES:
        return SYMBOL_NAMES[rule.name]
    safe = "".join(ch if ch.isalnum() else "_" for ch in rule.name)
    return safe if safe.isidentifier() and safe.strip("_") else f"rule{index}"


def _methods(rule: Rule) -> tuple[str, ...]:
    declared = getattr(rule, "method_names", None)
    if declared is not None:
        return tuple(declared)
    return DEFAULT_METHODS.get(rule.name, (rule.name,))


def _c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fixed(rule: Rule, ident: str) -> list[str]:
    names = {name: f"in[{i}]" for i, name in enumerate(rule.inputs)}
    lines = [
        f"/* rule {rule.name!r}: out = {rule.forward_formula}; "
        + "; ".join(f"d/d{n} = {f}" for n, f in zip(rule.inputs, rule.local_formulas)).replace("*/", "* /")
        + " */",
        f"static int vg_rule_{ident}(const double *in, double *res, int with_locals)",
        "{",
        f"    const double out = {translate(rule.forward_formula, names, rule.name)};",
        "    if (vg_failed) return vg_fail();",
        "    res[0] = out;",
        "    /* Under no_grad the pure engine never evaluates the local formulas (nor their errors). */",
        "    if (!with_locals) return 0;",
    ]
    with_out = {**names, "out": "out"}
    for i, formula in enumerate(rule.local_formulas):
        lines.append(f"    res[{i + 1}] = {translate(formula, with_out, rule.name)};")
    lines += ["    if (vg_failed) return vg_fail();", "    return 0;", "}", ""]
    return lines


def _nary(rule: Rule, terms: Terms, ident: str) -> list[str]:
    k, extra = len(terms.inputs), len(terms.extra)
    term_names = {name: f"t_{name}" for name in terms.inputs}
    extra_names = {name: f"e_{name}" for name in terms.extra}
    lines = [
        f"/* rule {rule.name!r}: out = {terms.start} + sum of {terms.term}; "
        f"locals {terms.local} + {terms.extra_local} */",
        f"static int vg_rule_{ident}(Py_ssize_t n, const double *in, double *res, int with_locals)",
        "{",
        f"    const Py_ssize_t count = (n - {extra}) / {k};",
    ]
    for i, name in enumerate(terms.extra):
        lines.append(f"    const double {extra_names[name]} = in[{k} * count + {i}];")
    lines.append(f"    double total = {translate(terms.start, extra_names, rule.name)};")
    lines.append("    for (Py_ssize_t i = 0; i < count; i++) {")
    for j, name in enumerate(terms.inputs):
        lines.append(f"        const double {term_names[name]} = in[{j} * count + i];")
    lines.append(f"        total += {translate(terms.term, {**term_names, **extra_names}, rule.name)};")
    lines += ["    }", "    if (vg_failed) return vg_fail();", "    const double out = total;", "    res[0] = out;"]
    lines.append("    if (!with_locals) return 0;")
    lines.append("    for (Py_ssize_t i = 0; i < count; i++) {")
    for j, name in enumerate(terms.inputs):
        lines.append(f"        const double {term_names[name]} = in[{j} * count + i];")
    scope = {**term_names, **extra_names, "out": "out"}
    for j, formula in enumerate(terms.local):
        lines.append(f"        res[1 + {j} * count + i] = {translate(formula, scope, rule.name)};")
    for name in terms.inputs:
        lines.append(f"        (void){term_names[name]};")
    lines.append("    }")
    for i, formula in enumerate(terms.extra_local):
        lines.append(f"    res[1 + {k} * count + {i}] = {translate(formula, {**extra_names, 'out': 'out'}, rule.name)};")
    lines += ["    (void)out;", "    if (vg_failed) return vg_fail();", "    return 0;", "}", ""]
    return lines


def generate() -> str:
    """The text of ``_ops.h`` for the current ``RULES``."""
    # Rules made at run time (define_op) are not generated: the C engine hands them to Python.
    rules = [rule for rule in RULES.values() if getattr(rule, "callables", None) is None]
    idents = [_c_ident(i, rule) for i, rule in enumerate(rules)]
    out = [
        "/* GENERATED by tools/codegen/c_ops.py from autograd/rules.py -- do not edit.",
        " * Regenerate with `python3 dev.py generate` (or `python tools/codegen/c_ops.py`);",
        " * tests/test_engines.py fails when this file differs from what the generator writes. */",
        "",
        "/* The rules this file was generated from; autograd/_native checks it at import, so a stale build",
        " * is never used (the pure engine is, with a message saying to rebuild). */",
        f'#define VG_RULES_DIGEST "{rules_digest()}"',
        "",
        "/* Op indices: 0 is a leaf (''), 1 a wrapped number ('const'), then one per row of RULES. */",
        f"#define VG_N_OPS {len(rules) + 2}",
        "#define VG_OP_LEAF 0",
        "#define VG_OP_CONST 1",
    ]
    for i, ident in enumerate(idents):
        out.append(f"#define VG_OP_{ident.upper()} {i + 2}")
    out += ["", "static const char *const vg_op_names[VG_N_OPS] = {", '    "",', '    "const",']
    out += [f"    {_c_string(rule.name)}," for rule in rules]
    out += ["};", "", "/* Number of inputs of each op; -1 for the fused n-ary rules. */"]
    out.append("static const int vg_op_arity[VG_N_OPS] = {0, 0,")
    out += [f"    {rule.arity if rule.arity is not None else -1}, /* {rule.name} */" for rule in rules]
    out += ["};", ""]
    nary_k, nary_extra = [], []
    for rule, ident in zip(rules, idents):
        if rule.terms is not None:
            out += _nary(rule, rule.terms, ident)
            nary_k.append(len(rule.terms.inputs))
            nary_extra.append(len(rule.terms.extra))
        elif rule.arity in (1, 2):
            out += _fixed(rule, ident)
            nary_k.append(0)
            nary_extra.append(0)
        else:
            raise UntranslatableFormula(f"rule {rule.name!r}: arity {rule.arity} has no C template (1, 2 or n-ary)")
    out.append("typedef int (*vg_fixed_fn)(const double *, double *, int);")
    out.append("typedef int (*vg_nary_fn)(Py_ssize_t, const double *, double *, int);")
    out.append("static const vg_fixed_fn vg_fixed_rules[VG_N_OPS] = {NULL, NULL,")
    out += [f"    {'NULL' if rule.terms is not None else f'vg_rule_{ident}'}," for rule, ident in zip(rules, idents)]
    out += ["};", "static const vg_nary_fn vg_nary_rules[VG_N_OPS] = {NULL, NULL,"]
    out += [f"    {f'vg_rule_{ident}' if rule.terms is not None else 'NULL'}," for rule, ident in zip(rules, idents)]
    out += ["};", "/* n-ary rules: inputs per term and inputs after the terms. */"]
    out.append("static const int vg_nary_k[VG_N_OPS] = {0, 0, " + ", ".join(map(str, nary_k)) + "};")
    out.append("static const int vg_nary_extra[VG_N_OPS] = {0, 0, " + ", ".join(map(str, nary_extra)) + "};")
    out.append("")

    # Methods and number slots.
    slots: dict[str, str] = {}
    methods: list[str] = []
    for rule, ident in zip(rules, idents):
        if rule.terms is not None:
            continue
        op = f"VG_OP_{ident.upper()}"
        for method in _methods(rule):
            if method.startswith("__"):
                slot = DUNDER_SLOTS.get(method)
                if slot is None:
                    raise UntranslatableFormula(f"rule {rule.name!r}: method {method!r} has no C slot in DUNDER_SLOTS")
                if slot in slots:
                    continue  # __radd__ shares __add__'s slot: the slot function lifts either operand
                fn = f"vg_slot_{ident}"
                if rule.arity == 2 and slot == "Py_nb_power":
                    out.append(f"static PyObject *{fn}(PyObject *x, PyObject *y, PyObject *z)")
                    out.append(f"{{ return vg_power(x, y, z, {op}); }}")
                elif rule.arity == 2:
                    out.append(f"static PyObject *{fn}(PyObject *x, PyObject *y) {{ return vg_binary(x, y, {op}); }}")
                else:
                    out.append(f"static PyObject *{fn}(PyObject *x) {{ return vg_unary(x, {op}); }}")
                slots[slot] = fn
            else:
                if not method.isidentifier():
                    raise UntranslatableFormula(f"rule {rule.name!r}: {method!r} is not a method name; give the row its methods")
                fn = f"vg_method_{ident}"
                doc = _c_string(f"Rule {rule.name!r}: {rule.doc}.")
                if rule.arity == 1:
                    out.append(f"static PyObject *{fn}(PyObject *self, PyObject *Py_UNUSED(unused))")
                    out.append(f"{{ return vg_unary(self, {op}); }}")
                    methods.append(f"    {{{_c_string(method)}, {fn}, METH_NOARGS, {doc}}},")
                else:
                    out.append(f"static PyObject *{fn}(PyObject *self, PyObject *other)")
                    out.append(f"{{ return vg_binary(self, other, {op}); }}")
                    methods.append(f"    {{{_c_string(method)}, {fn}, METH_O, {doc}}},")
    out += ["", "#define VG_GENERATED_SLOTS \\"]
    out += [f"    {{{slot}, (void *){fn}}}, \\" for slot, fn in slots.items()]
    out += ["", "#define VG_GENERATED_METHODS \\"]
    out += [line + " \\" for line in methods]
    out += ["", ""]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    """Write the file, or with ``--check`` report whether the committed one is current."""
    text = generate()
    if "--check" in argv:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run python3 dev.py generate", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
