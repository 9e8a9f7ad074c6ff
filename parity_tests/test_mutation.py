"""The suite can fail: every planted bug in ``parity_tests/mutants`` must make its tests fail.

Each mutant runs pytest in a subprocess on a patched copy of the project (a few seconds each).
"""
from __future__ import annotations

import pytest

from parity_tests.mutants import Mutant, all_mutants
from parity_tests.mutation import ROOT, run_mutant

MUTANTS = all_mutants()


def test_there_are_enough_planted_bugs():
    assert len(MUTANTS) >= 10


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_text_is_current(mutant):
    # A refactor that removes the mutated line must update the mutant, not silently disable it.
    assert (ROOT / mutant.file).read_text().count(mutant.old) == 1, f"{mutant.name}: text not found once"
    assert mutant.old != mutant.new


@pytest.mark.mutation
def test_harmless_edit_is_not_caught():
    # The runner must tell a bug from a harmless edit, or "caught" means nothing.
    harmless = Mutant(name="harmless", file="scratch/functional/linear.py", old="y2 = x2 @ weight.T  # (M, out)",
                      new="y2 = x2 @ weight.T  # (M, out_features)", tests=("parity_tests/test_linear.py",), why="none")
    caught, tail, _ = run_mutant(harmless)
    assert not caught, f"a harmless edit made the tests fail:\n{tail}"


@pytest.mark.mutation
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_planted_bug_is_caught(mutant):
    caught, tail, _ = run_mutant(mutant)
    assert caught, f"planted bug {mutant.name} ({mutant.why}) was not caught:\n{tail}"
