"""Planted bugs: the proof that the suite can fail.

Each family module here (``linear.py``, ``conv.py``, ...) defines ``MUTANTS``, a list of ``Mutant``: one textual
edit of one source file that plants a bug a learner could make (a transposed dweight, a batch-norm backward without
its mean term, a max-pool gradient routed to the wrong element). ``python -m parity_tests.mutation`` applies each to
a scratch copy of the project and runs the named tests there; the check passes only if every planted bug makes them
fail. The edit's ``old`` text must occur exactly once in the file, so a mutant can never silently go stale.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str  # short id, e.g. "linear-dweight-transposed"
    file: str  # path from the repository root, e.g. "scratch/functional/linear.py"
    old: str  # exact text, occurring exactly once in the file
    new: str  # what replaces it: the planted bug
    tests: tuple  # pytest arguments selecting the tests that must catch it
    why: str  # the mistake, in a sentence


def all_mutants() -> list[Mutant]:
    out = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        out.extend(importlib.import_module(f"{__name__}.{info.name}").MUTANTS)
    names = [m.name for m in out]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ValueError(f"mutant names must be unique: {sorted(dupes)}")
    return out
