"""Planted bugs in the pooling layers."""
from parity_tests.mutants import Mutant

_FILE = "scratch/functional/pooling.py"
_MAX_TESTS = ("parity_tests/test_pooling.py", "-k", "test_max_pool2d_matches_torch or test_max_pool2d_ties")
_AVG_TESTS = ("parity_tests/test_pooling.py", "-k", "test_avg_pool2d_matches_torch or test_avg_pool2d_gradcheck")

_KERNELS = "scratch/functional/_pooling_kernels.py"
_KERNEL_TESTS = ("parity_tests/test_pooling.py", "-k", "max_pool2d_matches_torch and numba")

MUTANTS = [
    Mutant(
        name="maxpool-kernel-last-max-wins-ties",
        file=_KERNELS,
        old="take = (real_t[k] > 0) & ((seen[k] == 0) | (v > held) | (v != v))",
        new="take = (real_t[k] > 0) & ((seen[k] == 0) | (v >= held) | (v != v))",
        tests=_KERNEL_TESTS,
        why="the general numba forward must keep the first of equal maxima, as torch and the NumPy code do",
    ),
    Mutant(
        name="maxpool-kernel-2x2-first-nan-wins",
        file=_KERNELS,
        old="take = (v > best) | (v != v)\n",
        new="take = (v > best) | ((v != v) & (best == best))\n",
        tests=_KERNEL_TESTS,
        why="the 2x2 kernel must keep the last NaN of a window, as torch does",
    ),
    Mutant(
        name="maxpool-kernel-backward-ignores-dilation",
        file=_KERNELS,
        old="dx[n, c, i * sH - pH + a * dH, j * sW - pW + b * dW] += dy[n, c, i, j]",
        new="dx[n, c, i * sH - pH + a * dH, j * sW - pW + b] += dy[n, c, i, j]",
        tests=_KERNEL_TESTS,
        why="the numba backward must scatter to the tap the forward picked, dilation included",
    ),
    Mutant(
        name="maxpool-kernel-2x2-backward-swaps-taps",
        file=_KERNELS,
        old="upper[2 * j], upper[2 * j + 1] = taps[0, j], taps[1, j]",
        new="upper[2 * j], upper[2 * j + 1] = taps[1, j], taps[0, j]",
        tests=_KERNEL_TESTS,
        why="the 2x2 backward interleaves the tap vectors back into the rows: tap 0 (left) at even columns",
    ),
    Mutant(
        name="maxpool-kernel-int8-tap-index",
        file=_FILE,
        old="return np.int8 if K < 128 else np.int32",
        new="return np.int8",
        tests=_KERNEL_TESTS,
        why="a window of 128 taps or more numbers its taps past int8's 127: the numba forward's pick wraps around "
            "in the int8 index, and the backward (and the indices) then name the wrong pixel",
    ),
    Mutant(
        name="maxpool-last-max-wins-ties",
        file=_FILE,
        old="for a, b, tap in reversed(taps):",
        new="for a, b, tap in taps:",
        tests=_MAX_TESTS,
        why="when a window holds several equal maxima, routing dy to the last instead of torch's first is a valid "
            "subgradient, but not torch's: the twins diverge on every tie",
    ),
    Mutant(
        name="maxpool-gradient-to-mirrored-tap",
        file=_FILE,
        old="arg -= hit * (arg - (a * kW + b))",
        new="arg -= hit * (arg - (K - 1 - a * kW - b))",
        tests=("parity_tests/test_pooling.py", "-k", "test_max_pool2d_gradcheck"),
        why="the forward takes the max but the backward remembers the wrong tap of the window",
    ),
    Mutant(
        name="maxpool-padding-wins-ties",
        file=_FILE,
        old="        if not inside.all():\n            hit &= inside",
        new="        if not inside.all():\n            pass",
        tests=("parity_tests/test_pooling.py", "-k", "test_max_pool2d_infinite_and_nan"),
        why="in a window of -inf the -inf padding ties with the input; torch never reads padding, so the gradient "
            "must go to a real element, not vanish into the padding",
    ),
    Mutant(
        name="maxpool-first-nan-wins",
        file=_FILE,
        old="        for a, b, tap in taps:\n            arg -= np.isnan(tap)",
        new="        for a, b, tap in reversed(taps):\n            arg -= np.isnan(tap)",
        tests=("parity_tests/test_pooling.py", "-k", "test_max_pool2d_infinite_and_nan"),
        why="torch keeps taking NaNs as it scans a window, so the last NaN is its pick; the first is not",
    ),
    Mutant(
        name="maxpool-overlap-overwritten",
        file=_FILE,
        old="            routed += dy4 * picked if finite",
        new="            routed[...] = dy4 * picked if finite",
        tests=("parity_tests/test_pooling.py", "-k", "test_max_pool2d_gradcheck or test_max_pool2d_ties"),
        why="assigning each kernel offset's share instead of adding it loses the gradient a pixel gets from the "
            "other overlapping windows (stride < kernel) it is the max of",
    ),
    Mutant(
        name="avgpool-overlap-overwritten",
        file=_FILE,
        old="            shared += share",
        new="            shared[...] = share",
        tests=_AVG_TESTS,
        why="with overlapping windows a pixel's gradient is the sum over every window containing it, not the last",
    ),
    Mutant(
        name="avgpool-divisor-ignores-count-include-pad",
        file=_FILE,
        old="    if count_include_pad:\n        return end - start",
        new="    if True:\n        return end - start",
        tests=_AVG_TESTS,
        why="always dividing by the padded window's size, so count_include_pad=False still averages in the zeros",
    ),
    Mutant(
        name="avgpool-divisor-counts-overhang",
        file=_FILE,
        old="end = np.minimum(start + kernel, size + padding)",
        new="end = start + kernel",
        tests=_AVG_TESTS,
        why="a ceil_mode window that overhangs the padded input counts the overhang in torch's divisor for no one: "
            "only what lies inside the padded input is averaged",
    ),
    Mutant(
        name="pool-ceil-mode-off-by-one",
        file=_FILE,
        old="out = (-(-room // stride) if ceil_mode else room // stride) + 1",
        new="out = (room // stride + 1 if ceil_mode else room // stride) + 1",
        tests=_MAX_TESTS,
        why="ceil(a / b) written as floor(a / b) + 1 is one too many whenever b divides a (always for stride 1)",
    ),
    Mutant(
        name="pool-ceil-mode-keeps-window-in-padding",
        file=_FILE,
        old="    if ceil_mode and (out - 1) * stride >= size + padding:\n        out -= 1",
        new="    if ceil_mode and (out - 1) * stride >= size + padding:\n        pass",
        tests=_MAX_TESTS,
        why="without torch's rule a ceil_mode window may start in the right padding, adding an output of padding",
    ),
]
