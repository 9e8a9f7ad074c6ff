"""Planted bugs in the activations."""
from parity_tests.mutants import Mutant

_SOFTMAX_TESTS = ("parity_tests/test_activation.py", "-k", "softmax_family")

MUTANTS = [
    Mutant(
        name="softmax-backward-no-subtraction",
        file="scratch/functional/activation.py",
        old="np.subtract(dy, np.sum(dx, axis=axis, keepdims=True), out=dx)",
        new="dx = dy.copy()",
        tests=_SOFTMAX_TESTS,
        why="keeping only the diagonal of the softmax Jacobian diag(y) - y y^T drops the coupling between classes",
    ),
    Mutant(
        name="log-softmax-no-max-shift",
        file="scratch/functional/activation.py",
        old="y = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))",
        new="y = x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))",
        tests=_SOFTMAX_TESTS,
        why="log(sum(exp(x))) without subtracting the max overflows for logits of 1e4",
    ),
    Mutant(
        name="relu-gradient-at-zero",
        file="scratch/functional/activation.py",
        old="return (np.where(active, dy, dy.dtype.type(0)),)",
        new="return (np.where(x >= 0, dy, dy.dtype.type(0)),)",
        tests=("parity_tests/test_activation.py", "-k", "elementwise_matches_torch and relu"),
        why="a gradient of 1 at x == 0 is a valid subgradient but not torch's, so the twins diverge on exact zeros",
    ),
    Mutant(
        name="gelu-missing-pdf-term",
        file="scratch/functional/activation.py",
        old="return (dy * (cdf + x * pdf),)",
        new="return (dy * cdf,)",
        tests=("parity_tests/test_activation.py", "-k", "gelu or parametrised"),
        why="d/dx [x Phi(x)] needs the product rule: Phi(x) + x phi(x)",
    ),
]
