"""Build valuegrad's optional C engine (autograd/_native); everything else is in pyproject.toml.

Where a C compiler works, ``pip install .`` compiles ``autograd._native._core``; where it does not,
the install goes on with the pure-Python engine and prints one line saying so. A failed compile
never fails the install: the pure engine is the reference and is always there.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

NOTICE = "valuegrad: the C engine was not built ({why}); installing the pure-Python engine, which works the same, slower."


class OptionalBuildExt(build_ext):
    """build_ext that turns any failure into a one-line notice instead of a failed install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # no compiler at all, or no Python headers
            print(NOTICE.format(why=f"{type(error).__name__}: {error}".strip()), file=sys.stderr)

    def build_extension(self, ext: Any) -> None:
        if self.compiler.compiler_type == "unix":
            # Bit-identical results with the pure engine: no fused multiply-add contraction.
            ext.extra_compile_args = ["-O2", "-ffp-contract=off", "-std=c99", "-Wno-missing-field-initializers"]
            # python3 dev.py sanitize (tools/sanitize.py): AddressSanitizer + UBSan, and a short visit-mark
            # period so its runs wrap the mark many times. Never set for an install.
            if os.environ.get("VALUEGRAD_SANITIZE") == "1":
                flags = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer", "-g"]
                ext.extra_compile_args += [*flags, "-O1"]
                ext.extra_link_args = [*ext.extra_link_args, *flags]
            if os.environ.get("VALUEGRAD_EPOCH_LIMIT", "").isdigit():
                ext.define_macros = [*ext.define_macros, ("VG_EPOCH_LIMIT", os.environ["VALUEGRAD_EPOCH_LIMIT"] + "u")]
        try:
            super().build_extension(ext)
        except Exception as error:
            print(NOTICE.format(why=f"{type(error).__name__}: {error}".strip().splitlines()[0]), file=sys.stderr)


setup(
    ext_modules=[
        Extension(
            "autograd._native._core",
            ["autograd/_native/_core.c"],  # it #includes the tape (_tape.c) and the generated operators
            depends=["autograd/_native/_ops.h", "autograd/_native/_tape.c", "autograd/_native/_tape_ops.h"],
        )
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
