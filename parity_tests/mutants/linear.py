"""Planted bugs in the dense layer."""
from parity_tests.mutants import Mutant

MUTANTS = [
    Mutant(
        name="linear-dweight-transposed",
        file="scratch/functional/linear.py",
        old="dweight = dy2.T @ x2  # (out, in)",
        new="dweight = (dy2.T @ x2).T.reshape(out_features, in_features)",
        tests=("parity_tests/test_linear.py", "-k", "test_linear_matches_torch or test_linear_gradcheck"),
        why="dL/dW = dy^T x has W's layout (out, in); its transpose, reshaped to fit, is a classic slip",
    ),
    Mutant(
        name="linear-dbias-mean",
        file="scratch/functional/linear.py",
        old="dbias = dy2.sum(axis=0) if bias is not None else None",
        new="dbias = dy2.mean(axis=0) if bias is not None else None",
        tests=("parity_tests/test_linear.py", "-k", "test_linear_matches_torch or test_linear_gradcheck"),
        why="the bias is added to every row, so its gradient sums the rows; averaging them is wrong for batch > 1",
    ),
]
