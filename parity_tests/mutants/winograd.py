"""Planted bugs in conv2d's Winograd path: its numba transforms, its NumPy definitions, and the switch to it."""
from parity_tests.mutants import Mutant

_KERNELS = "scratch/functional/_winograd_kernels.py"
_CORE = "scratch/functional/_winograd.py"

MUTANTS = [
    Mutant(
        name="winograd-kernel-b-sign",
        file=_KERNELS,
        old="o[o0 + 3 * oo, om, p] = r1 - r2 + two * (r3 - r4) - five * r5",
        new="o[o0 + 3 * oo, om, p] = r1 - r2 + two * (r3 - r4) + five * r5",
        tests=("parity_tests/test_winograd.py", "-k", "test_grad_input_tiles_kernel"),
        why="the backward transform B is BT transposed: copying a row of BT instead of a column flips a sign in dx",
    ),
    Mutant(
        name="winograd-kernel-input-window-stride",
        file=_KERNELS,
        old="row[p + j] = xp[4 * i + b, 4 * j + f]",
        new="row[p + j] = xp[4 * i + b, 6 * j + f]",
        tests=("parity_tests/test_winograd.py", "-k", "test_input_tiles_kernel"),
        why="6x6 windows for 4x4 output tiles start every 4 pixels and overlap by 2; laying them edge to edge "
            "(every 6) reads the wrong pixels for every tile after the first",
    ),
    Mutant(
        name="winograd-dweight-last-pass-only",
        file=_CORE,
        old="dU += share",
        new="dU = share",
        tests=("parity_tests/test_winograd.py", "-k", "test_conv2d_3x3_matches_torch and numba"),
        why="the weight gradient sums over every image; when the batch is cut into passes, keeping only the last "
            "pass's product is right only for batches that fit in one pass",
    ),
    Mutant(
        name="winograd-numpy-grad-input-overlap-dropped",
        file=_CORE,
        old="dxp[:, :, b:b + 4 * th:4, f:f + 4 * tw:4] += dd[:, :, :, b, :, f]",
        new="dxp[:, :, b:b + 4 * th:4, f:f + 4 * tw:4] = dd[:, :, :, b, :, f]",
        tests=("parity_tests/test_winograd.py", "-k", "test_grad_input_tiles_kernel"),
        why="neighbouring windows share 2 pixels, so a pixel's gradient is the sum of what every window that "
            "read it sends back; assigning keeps only the last window's share",
    ),
    Mutant(
        name="winograd-applies-to-strided-convs",
        file="scratch/functional/conv.py",
        old="g.kernel == (3, 3) and g.stride == (1, 1) and",
        new="g.kernel == (3, 3) and",
        tests=("parity_tests/test_winograd.py", "-k", "test_winograd_runs_only_where_it_applies"),
        why="Winograd's tiles assume stride 1; a stride-2 3x3 convolution sent down that path computes a "
            "different (wrong-sized) output",
    ),
]
