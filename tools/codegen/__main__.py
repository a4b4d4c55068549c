"""``python -m tools.codegen [--check]``: write (or check) every file generated from ``autograd/rules.py``.

One command for all of them, so no generated file can be forgotten: the pure engine's operators
(``autograd/_ops.py``), the C engine's (``autograd/_native/_ops.h``) and the C tape's opcodes
(``autograd/_native/_tape_ops.h``). ``--check`` exits 1 when any committed file is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.codegen import c_ops, c_tape, python_ops  # noqa: E402

GENERATORS = (python_ops, c_ops, c_tape)


def main(argv: list[str]) -> int:
    """Run every generator; the exit status is 1 if any reports a stale file."""
    return max(int(generator.main(argv)) for generator in GENERATORS)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
