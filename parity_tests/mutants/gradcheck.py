"""Planted bugs in the numeric gradient checker itself: the gradcheck tests must catch a checker that passes too
much."""
from parity_tests.mutants import Mutant

MUTANTS = [
    Mutant(
        name="gradcheck-absolute-atol",
        file="scratch/gradcheck.py",
        old="excess = diff - (atol * min(scale, 1.0) + rtol * np.abs(numeric) + rounding)",
        new="excess = diff - (atol + rtol * np.abs(numeric))",
        tests=("parity_tests/test_gradcheck.py", "-k", "every_slope_is_small"),
        why="an absolute atol of 1e-6 passes a backward that is 2x wrong wherever the whole gradient is below 1e-6 "
            "(a saturated sigmoid)",
    ),
]
