"""Planted bugs in weight norm (the functional and scratch.nn.utils.weight_norm)."""
from parity_tests.mutants import Mutant

MUTANTS = [
    Mutant(
        name="weight-norm-dv-no-projection",
        file="scratch/functional/reparam.py",
        old="dv = scale * dw - (g * s / norm**3) * v",
        new="dv = scale * dw",
        tests=("parity_tests/test_weight_norm.py", "-k", "matches_torch or gradcheck"),
        why="||v|| depends on v too: dv must remove dw's component along v, (g s / n^3) v",
    ),
    Mutant(
        name="weight-norm-minus-one-is-last-dim",
        file="scratch/functional/reparam.py",
        old="    if dim is None or dim == -1:\n        return tuple(range(ndim)), False",
        new="    if dim is None:\n        return tuple(range(ndim)), False",
        tests=("parity_tests/test_weight_norm.py", "-k", "test_weight_norm_matches_torch"),
        why="torch's weight norm reads dim=-1 as None (one norm over the whole tensor), not as the last dim",
    ),
    Mutant(
        name="weight-norm-module-grad-to-v-only",
        file="scratch/nn/utils.py",
        old="                accumulate_grad(g, dg)\n",
        new="",
        tests=("parity_tests/test_weight_norm.py", "-k", "module or parametrizations or shared"),
        why="the module's backward must send dw through weight norm's backward into both g and v",
    ),
]
