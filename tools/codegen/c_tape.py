"""Write ``autograd/_native/_tape_ops.h``: the C tape's opcode bodies, generated from ``autograd/rules.py``.

A tape instruction is one node of a traced graph: its rule's op index (the ``VG_OP_*`` numbers of
``_ops.h``), its operand slots and its output slot. ``vg_tape_op`` below is one ``switch`` case
per row of ``RULES``, written from the row's forward and local-derivative formulas by the same
translator as the C engine's operators (``tools/codegen/c_ops.translate``), so the tape computes
the very operations eager mode does, in the same order, and a new row gets an opcode with no
hand-written C. The interpreter loop around it (guards, backward, parameters) is
``autograd/_native/_tape.c``.

    python -m tools.codegen          # rewrite every generated file (this one among them)
    python -m tools.codegen --check  # exit 1 if a committed file is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from autograd.rules import RULES, Rule, Terms  # noqa: E402
from tools.codegen.c_ops import UntranslatableFormula, _c_ident, translate  # noqa: E402

OUTPUT = ROOT / "autograd" / "_native" / "_tape_ops.h"


def _may_fail(*c_expressions: str) -> bool:
    """Whether C code can set ``vg_failed``: only the helpers (``vg_h_*``, Python's / and **) raise; + - * never do."""
    return any("vg_" in text for text in c_expressions)


def _fail_check(*c_expressions: str) -> list[str]:
    return ["        if (vg_failed) return vg_fail();"] if _may_fail(*c_expressions) else []


def _fixed_cases(rule: Rule, ident: str) -> tuple[list[str], list[str]]:
    names = {name: f"in_{name}" for name in rule.inputs}
    head = f"    case VG_OP_{ident.upper()}: {{ /* {rule.name}: out = {rule.forward_formula} */".replace("*/ */", "* / */")
    reads = [f"        const double {names[name]} = v[arg[{i}]];" for i, name in enumerate(rule.inputs)]
    unused = [f"        (void){n};" for n in names.values()]
    expression = translate(rule.forward_formula, names, rule.name)
    forward = [head, *reads, f"        const double out = {expression};"]
    forward += [*_fail_check(expression), "        v[dst] = out;", *unused, "        return 0;", "    }"]
    scope = {**names, "out": "out"}
    backward = [head, *reads, "        const double out = v[dst];"]
    for i, formula in enumerate(rule.local_formulas):
        backward.append(f"        VG_TAPE_CHAIN({i}, {translate(formula, scope, rule.name)});")
    backward += [*unused, "        (void)out;", "        break;", "    }"]
    return forward, backward


def _nary_cases(rule: Rule, terms: Terms, ident: str) -> tuple[list[str], list[str]]:
    k, extra = len(terms.inputs), len(terms.extra)
    term_names = {name: f"t_{name}" for name in terms.inputs}
    extra_names = {name: f"e_{name}" for name in terms.extra}
    head = [f"    case VG_OP_{ident.upper()}: {{ /* {rule.name}: out = {terms.start} + sum of {terms.term} */"]
    head.append(f"        const Py_ssize_t count = (n - {extra}) / {k};")
    for i, name in enumerate(terms.extra):
        head.append(f"        const double {extra_names[name]} = v[arg[{k} * count + {i}]];")
    unused = [f"        (void){n};" for n in extra_names.values()]
    # Left to right from the start, as the rule's formulas(n) write it: the eager sum, to the bit.
    forward = [*head, f"        double total = {translate(terms.start, extra_names, rule.name)};"]
    forward.append("        for (Py_ssize_t i = 0; i < count; i++) {")
    for j, name in enumerate(terms.inputs):
        forward.append(f"            const double {term_names[name]} = v[arg[{j} * count + i]];")
    term = translate(terms.term, {**term_names, **extra_names}, rule.name)
    forward.append(f"            total += {term};")
    forward += ["        }", *_fail_check(term), "        v[dst] = total;", *unused, "        return 0;", "    }"]
    # Contributions in parent order (column by column, then the extras), as the replay writes them.
    scope = {**term_names, **extra_names, "out": "out"}
    backward = [*head, "        const double out = v[dst];"]
    for j, formula in enumerate(terms.local):
        backward.append("        for (Py_ssize_t i = 0; i < count; i++) {")
        for jj, name in enumerate(terms.inputs):
            backward.append(f"            const double {term_names[name]} = v[arg[{jj} * count + i]];")
        backward.append(f"            VG_TAPE_CHAIN({j} * count + i, {translate(formula, scope, rule.name)});")
        backward += [f"            (void){n};" for n in term_names.values()]
        backward.append("        }")
    for i, formula in enumerate(terms.extra_local):
        backward.append(
            f"        VG_TAPE_CHAIN({k} * count + {i}, {translate(formula, {**extra_names, 'out': 'out'}, rule.name)});"
        )
    backward += [*unused, "        (void)out;", "        break;", "    }"]
    return forward, backward


def generate() -> str:
    """The text of ``_tape_ops.h`` for the current ``RULES``."""
    rules = [rule for rule in RULES.values() if getattr(rule, "callables", None) is None]
    forward: list[str] = []
    backward: list[str] = []
    for i, rule in enumerate(rules):
        ident = _c_ident(i, rule)
        if rule.terms is not None:
            cases = _nary_cases(rule, rule.terms, ident)
        elif rule.arity in (1, 2):
            cases = _fixed_cases(rule, ident)
        else:
            raise UntranslatableFormula(f"rule {rule.name!r}: arity {rule.arity} has no tape template (1, 2 or n-ary)")
        forward += cases[0]
        backward += cases[1]
    out = [
        "/* GENERATED by tools/codegen/c_tape.py from autograd/rules.py -- do not edit.",
        " * Regenerate with `python3 dev.py generate` (or `python -m tools.codegen`). */",
        "",
        "/* Forward of one tape instruction: op (a VG_OP_* index of _ops.h) over the n operand slots arg[0..n)",
        " * of v, writing v[dst]. Returns 0, -1 with the Python error set (the pure engine's own message), or -2",
        " * for an op with no opcode. */",
        "static int",
        "vg_tape_forward(int op, Py_ssize_t n, const int32_t *arg, int32_t dst, double *v)",
        "{",
        "    (void)n;",
        "    switch (op) {",
        *forward,
        "    default:",
        "        return -2;",
        "    }",
        "}",
        "",
        "/* d out / d operand k, times the node's gradient gi, into operand k's gradient: assigned (action 1) or",
        " * added (action 2) as the Python replay writes it; action 0 (a constant) evaluates nothing, as there. */",
        "#define VG_TAPE_CHAIN(k, local)                      \\",
        "    do {                                             \\",
        "        const int8_t act_ = action[k];               \\",
        "        if (act_) {                                  \\",
        "            const double c_ = (local) * gi;          \\",
        "            if (act_ == 1)                           \\",
        "                g[arg[k]] = c_;                      \\",
        "            else                                     \\",
        "                g[arg[k]] += c_;                     \\",
        "        }                                            \\",
        "    } while (0)",
        "",
        "/* Backward of one instruction: its local derivatives, evaluated now from v (a slot never changes within a",
        " * call) exactly where the Python replay evaluates them, chained into g. Returns 0, -1 or -2. */",
        "static int",
        "vg_tape_backward(int op, Py_ssize_t n, const int32_t *arg, const int8_t *action, int32_t dst, const double *v,",
        "                 double *g, double gi)",
        "{",
        "    (void)n;",
        "    switch (op) {",
        *backward,
        "    default:",
        "        return -2;",
        "    }",
        "    if (vg_failed) return vg_fail();",
        "    return 0;",
        "}",
        "",
        "#undef VG_TAPE_CHAIN",
        "",
    ]
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
