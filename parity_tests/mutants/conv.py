"""Planted bugs in the convolution family (all in the shared core, so each one breaks every layer built on it)."""
from parity_tests.mutants import Mutant

_FILE = "scratch/functional/conv.py"
_PARITY_2D = ("parity_tests/test_conv.py", "-k", "test_conv2d_matches_torch or test_conv2d_gradcheck")

MUTANTS = [
    Mutant(
        name="conv-same-padding-extra-pixel-first",
        file=_FILE,
        old="lo = tuple(t // 2 for t in total)",
        new="lo = tuple((t + 1) // 2 for t in total)",
        tests=("parity_tests/test_conv.py", "-k", "test_conv1d_matches_torch or test_conv2d_matches_torch"),
        why="with an even (dilated) kernel 'same' needs an odd total padding; torch puts the extra pixel at the end, "
            "rounding the other way shifts every output by one pixel",
    ),
    Mutant(
        name="conv-dweight-transposed",
        file=_FILE,
        old="return (cols @ dy2.transpose(0, 2, 1)).transpose(0, 2, 1).reshape(weight_shape)",
        new="return (cols @ dy2.transpose(0, 2, 1)).reshape(weight_shape)",
        tests=_PARITY_2D,
        why="dW2 = dy2 cols^T is (C_out, C_in*k*k); its transpose cols dy2^T has the same size, so a reshape "
            "without the transpose back hides the wrong axis order",
    ),
    Mutant(
        name="conv-col2im-drops-stride",
        file=_FILE,
        old="slice(k * d, k * d + t * (o - 1) + 1, t)",
        new="slice(k * d, k * d + o)",
        tests=("parity_tests/test_conv.py", "-k", "test_col2im_paths_agree or test_conv1d_matches_torch"),
        why="col2im must scatter window gradients back to where the windows read, stride pixels apart; "
            "adding them to adjacent pixels is right only for stride 1",
    ),
    Mutant(
        name="conv-col2im-kernel-drops-stride",
        file="scratch/functional/_im2col_kernels.py",
        old="out[w0 + j * sW] += row[j]",
        new="out[w0 + j] += row[j]",
        tests=_PARITY_2D,
        why="the numba col2im (2-d convolutions) must scatter to where the windows read, stride pixels apart",
    ),
    Mutant(
        name="conv-transpose-output-padding-ignored",
        file=_FILE,
        old="dl * (k - 1) + op + 1",
        new="dl * (k - 1) + 1",
        tests=("parity_tests/test_conv.py", "-k", "test_conv_transpose2d_matches_torch"),
        why="output_padding adds rows/columns at the end of a transposed conv's output; forgetting it in the "
            "output-size formula gives the smallest of the sizes a strided conv maps back from",
    ),
    Mutant(
        name="conv-groups-interleaved",
        file=_FILE,
        old="return np.moveaxis(a, 1, 0).reshape(groups, C // groups, N * math.prod(a.shape[2:]))",
        new="return np.moveaxis(a, 1, 0).reshape(C // groups, groups, N * math.prod(a.shape[2:])).swapaxes(0, 1)",
        tests=_PARITY_2D,
        why="group g owns the contiguous channels g*C/G .. (g+1)*C/G - 1, not every G-th channel",
    ),
]
