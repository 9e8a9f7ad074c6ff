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
        old="dx = dy * active\n",
        new="dx = dy * (x >= 0)\n",
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

# Issue 17's activations (tests in parity_tests/test_activation_more.py)
_MORE = "parity_tests/test_activation_more.py"

MUTANTS += [
    Mutant(
        name="prelu-slope-at-zero",
        file="scratch/functional/activation.py",
        old="    positive = x > 0\n    y = np.where(positive, x, w * x)",
        new="    positive = x >= 0\n    y = np.where(positive, x, w * x)",
        tests=(_MORE, "-k", "test_prelu_matches_torch"),
        why="at x == 0 torch takes the negative side's slope (weight), not 1; both are subgradients, one is torch's",
    ),
    Mutant(
        name="prelu-weight-gradient-without-x",
        file="scratch/functional/activation.py",
        old="dweight = np.where(positive, 0, x * dy).sum(axis=others)",
        new="dweight = np.where(positive, 0, dy).sum(axis=others)",
        tests=(_MORE, "-k", "test_prelu_matches_torch"),
        why="d(w x)/dw is x: the slope's gradient sums x * dy over the negative positions, not dy alone",
    ),
    Mutant(
        name="selu-backward-without-scale",
        file="scratch/functional/activation.py",
        old="return (elu_backward((_SELU_SCALE * dy).astype(dy.dtype, copy=False))[0],)",
        new="return (elu_backward(dy)[0],)",
        tests=(_MORE, "-k", "selu or SELU"),
        why="selu = scale * elu: the chain rule multiplies the upstream gradient by scale before elu's backward",
    ),
    Mutant(
        name="mish-missing-sigmoid",
        file="scratch/functional/activation.py",
        old="return ((dy * (t + x * s * (1 - t * t))).astype(x.dtype, copy=False),)",
        new="return ((dy * (t + x * (1 - t * t))).astype(x.dtype, copy=False),)",
        tests=(_MORE, "-k", "mish or Mish"),
        why="d tanh(softplus(x))/dx = (1 - t^2) softplus'(x), and softplus' is the sigmoid: a link of the chain lost",
    ),
    Mutant(
        name="softplus-threshold-on-x",
        file="scratch/functional/activation.py",
        old="linear = bx > threshold",
        new="linear = x > threshold",
        tests=(_MORE, "-k", "softplus or Softplus"),
        why="torch's linear region is beta * x > threshold; comparing x alone moves it whenever beta != 1",
    ),
    Mutant(
        name="hardtanh-gradient-at-edges",
        file="scratch/functional/activation.py",
        old="clipped = (x <= min_val) | (x >= max_val)",
        new="clipped = (x < min_val) | (x > max_val)",
        tests=(_MORE, "-k", "hardtanh or Hardtanh"),
        why="torch gives 0 at x == min_val and x == max_val exactly; an open test passes dy there",
    ),
    Mutant(
        name="hardswish-ramp-slope",
        file="scratch/functional/activation.py",
        old="dx = np.where(ramp, dy * (x / 3 + 0.5), dy)",
        new="dx = np.where(ramp, dy * (x / 6 + 0.5), dy)",
        tests=(_MORE, "-k", "elementwise_more and hardswish"),
        why="d/dx [x (x + 3) / 6] = (2x + 3) / 6 = x/3 + 1/2: the product rule counts x twice",
    ),
    Mutant(
        name="hardswish-slope-at-minus-3",
        file="scratch/functional/activation.py",
        old="off = x <= -3",
        new="off = x < -3",
        tests=(_MORE, "-k", "elementwise_more and hardswish"),
        why="torch's slope at x == -3 is 0 (the flat side), not the linear branch's 1",
    ),
]
