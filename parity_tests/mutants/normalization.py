"""Planted bugs in the normalisation layers and dropout.

Names start with ``norm-`` or ``dropout-``: ``python -m parity_tests.mutation -k norm-`` (or ``-k dropout-``).
"""
from parity_tests.mutants import Mutant

_NORM = "scratch/functional/normalization.py"
_TESTS = "parity_tests/test_normalization.py"

_KERNELS = "scratch/functional/_normalization_kernels.py"
_FUSED_TESTS = (_TESTS, "-k", "batch_norm_matches_torch and numba")  # batch_norm through the numba kernels

MUTANTS = [
    Mutant(
        name="norm-kernel-variance-unbiased",
        file=_KERNELS,
        old="var[c] = squares / n",
        new="var[c] = squares / (n - 1)",
        tests=_FUSED_TESTS,
        why="batch norm normalises with the biased variance (divide by n); the unbiased one is only for "
            "running_var",
    ),
    Mutant(
        name="norm-kernel-grad-input-variance-path-sign",
        file=_NORM,
        old="-a * inv_std ** 2 * sum_dy_centered / n",
        new="a * inv_std ** 2 * sum_dy_centered / n",
        tests=_FUSED_TESTS,
        why="the path through the variance subtracts xhat sum(dy xhat) / n; regrouping the per-channel "
            "constants by hand is where its sign gets lost",
    ),
    Mutant(
        name="norm-kernel-output-empty-like-input",
        file=_NORM,
        old="    y = np.empty(x.shape, x.dtype)\n    _normalization_kernels.affine_output(",
        new="    y = np.empty_like(x)\n    _normalization_kernels.affine_output(",
        tests=_FUSED_TESTS,
        why="np.empty_like keeps the input's layout: for a transposed view y is not C-contiguous, y.reshape(N, C, L) "
            "is then a copy, and the kernel fills the copy while y stays uninitialised",
    ),
    Mutant(
        name="norm-batch-norm-eval-dx-skips-weight",
        file=_NORM,
        old="return standardize_backward(dxhat), None, None, dweight, dbias",
        new="return standardize_backward(dy), None, None, dweight, dbias",
        tests=(_TESTS, "-k", "batch_norm_matches_torch"),
        why="in evaluation dx = dy * weight / sqrt(running_var + eps): dropping the weight is only visible when "
            "one is given",
    ),
    Mutant(
        name="norm-backward-no-mean-term",
        file=_NORM,
        old="    dx -= sum_g / n  # the path through the mean\n",
        new="\n",
        tests=(_TESTS, "-k", "batch_norm_matches_torch or batch_norm_gradcheck"),
        why="forgetting that the mean depends on every input drops the -sum(dxhat) path from the batch-norm backward",
    ),
    Mutant(
        name="norm-standardize-no-variance-term",
        file=_NORM,
        old="    dx = xhat * (sum_g_xhat / n)\n",
        new="    dx = xhat * 0\n",
        tests=(_TESTS, "-k", "layer_norm_matches_torch or group_norm_matches_torch"),
        why="forgetting that the variance depends on every input drops the -xhat sum(dxhat xhat) path from the "
            "layer-norm and group-norm backward",
    ),
    Mutant(
        name="norm-running-var-biased",
        file=_NORM,
        old="momentum * var * (n / (n - 1))",
        new="momentum * var",
        tests=(_TESTS, "-k", "batch_norm_matches_torch or running_stats_by_hand"),
        why="the batch is normalised with the biased variance, but torch tracks the unbiased one (n / (n - 1))",
    ),
    Mutant(
        name="norm-momentum-weights-old-value",
        file=_NORM,
        old="running_mean[...] = (1 - momentum) * running_mean + momentum * mean",
        new="running_mean[...] = momentum * running_mean + (1 - momentum) * mean",
        tests=(_TESTS, "-k", "batch_norm_matches_torch or running_stats_by_hand"),
        why="torch's momentum is the weight of the NEW batch (0.1), the opposite of the usual 'decay 0.9' convention",
    ),
    Mutant(
        name="norm-layer-norm-wrong-axes",
        file=_NORM,
        old="axes = tuple(range(x.ndim - k, x.ndim))  # the normalised trailing dims",
        new="axes = tuple(range(k))  # the normalised trailing dims",
        tests=(_TESTS, "-k", "layer_norm_matches_torch or layernorm_module"),
        why="normalising over the leading (batch) dims instead of the trailing features is batch norm, not layer norm",
    ),
    Mutant(
        name="norm-group-norm-interleaved-groups",
        file=_NORM,
        old="grouped = x.reshape(N, num_groups, n)  # (N, G, C/G * prod(*))",
        new="grouped = x.reshape(N, n, num_groups).swapaxes(1, 2)  # (N, G, C/G * prod(*))",
        tests=(_TESTS, "-k", "group_norm_matches_torch or groupnorm_module"),
        why="putting the group axis last groups every G-th element together instead of consecutive channels",
    ),
    Mutant(
        name="dropout-no-rescale",
        file="scratch/functional/dropout.py",
        old="scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)",
        new="scale = 1.0",
        tests=("parity_tests/test_dropout.py", "-k", "dropout_matches_torch or dropout_module_matches_torch"),
        why="without the 1 / (1 - p) of inverted dropout the expected activation shrinks in training only",
    ),
    Mutant(
        name="dropout-keep-probability-p",
        file="scratch/functional/dropout.py",
        old="return _random.resolve(rng).random(shape) >= p",
        new="return _random.resolve(rng).random(shape) < p",
        tests=("parity_tests/test_dropout.py", "-k", "mask_statistics"),
        why="p is the probability of DROPPING an element (torch's convention), not of keeping it",
    ),
]
