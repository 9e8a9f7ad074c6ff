"""Planted bugs in conv2d's Winograd path: its numba transforms, their NumPy definitions, the algorithm, and the
choice of it."""
from parity_tests.mutants import Mutant

_KERNELS = "scratch/functional/_winograd_kernels.py"
_CORE = "scratch/functional/_winograd.py"
_REFERENCE = "scratch/functional/_winograd_reference.py"

MUTANTS = [
    Mutant(
        name="winograd-kernel-b-sign",
        file=_KERNELS,
        old="d12 + two * d34 - five * r5,",
        new="d12 + two * d34 + five * r5,",
        tests=("parity_tests/test_winograd.py", "-k", "test_grad_input_tiles_kernel"),
        why="the backward transform B is BT transposed: copying a row of BT instead of a column flips a sign in dx",
    ),
    Mutant(
        name="winograd-kernel-input-padding-dropped",
        file=_KERNELS,
        old="xp[pad_top:pad_top + H] = x[n, c]",
        new="xp[:H] = x[n, c]",
        tests=("parity_tests/test_winograd.py", "-k", "test_input_tiles_kernel"),
        why="the windows read the zero-padded input; copying the plane in at row 0 instead of below the top "
            "padding shifts every window up by pad_top rows",
    ),
    Mutant(
        name="winograd-kernel-grad-input-overlap-dropped",
        file=_KERNELS,
        old="g0 + h4, g1 + h5, g2, g3",
        new="g0, g1, g2, g3",
        tests=("parity_tests/test_winograd.py", "-k", "test_grad_input_tiles_kernel"),
        why="neighbouring windows share 2 pixels along a row, so each of those pixels' gradients sums what both "
            "windows send back; dropping the left window's share loses it",
    ),
    Mutant(
        name="winograd-dweight-last-pass-only",
        file=_CORE,
        old="dU += dU_share",
        new="dU = dU_share",
        tests=("parity_tests/test_winograd.py", "-k", "test_conv2d_3x3_matches_torch and numba"),
        why="the weight gradient sums over every image; when the batch is cut into passes, keeping only the last "
            "pass's product is right only for batches that fit in one pass",
    ),
    Mutant(
        name="winograd-dbias-wrong-position",
        file=_CORE,
        old="_SUM_POSITION = 6 * 1 + 1",
        new="_SUM_POSITION = 0",
        tests=("parity_tests/test_winograd.py", "-k", "test_conv2d_3x3_matches_torch and numba"),
        why="only position (1, 1) of dM = A dY A^T sums its tile (column 1 of A^T is all ones); position (0, 0) "
            "is the tile's corner pixel alone",
    ),
    Mutant(
        name="winograd-numpy-grad-input-overlap-dropped",
        file=_REFERENCE,
        old="dxp[:, :, b:b + 4 * th:4, f:f + 4 * J:4] += dd[:, :, :, b, :, f]",
        new="dxp[:, :, b:b + 4 * th:4, f:f + 4 * J:4] = dd[:, :, :, b, :, f]",
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
