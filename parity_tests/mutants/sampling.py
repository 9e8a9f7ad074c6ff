"""Planted bugs in resampling (interpolate, pixel_shuffle)."""
from parity_tests.mutants import Mutant

_F = "scratch/functional/sampling.py"
_INTERPOLATE = ("parity_tests/test_sampling.py", "-k", "interpolate")

MUTANTS = [
    Mutant(
        name="interpolate-nearest-no-double-shortcut",
        file=_F,
        old="    if n_out == 2 * n_in:\n        return dst >> 1\n",
        new="",
        tests=_INTERPOLATE,
        why="torch repeats each row twice whenever the output is twice the input, even for scale_factor=2.1, "
            "where floor(dst / 2.1) would pick other rows",
    ),
    Mutant(
        name="interpolate-nearest-float64-index",
        file=_F,
        old="return np.minimum(np.floor(dst.astype(np.float32) * s).astype(np.int64), n_in - 1)",
        new="return np.minimum(np.floor(dst * (1.0 / scale if scale else n_in / n_out)).astype(np.int64), n_in - 1)",
        tests=_INTERPOLATE,
        why="torch computes nearest's source index in float32; float64 arithmetic picks another row for some sizes",
    ),
    Mutant(
        name="interpolate-bilinear-no-half-pixel",
        file=_F,
        old="src = np.maximum(ratio * (dst.astype(dtype) + ft(0.5)) - ft(0.5), ft(0))",
        new="src = ratio * dst.astype(dtype)",
        tests=_INTERPOLATE,
        why="align_corners=False maps pixel centres, src = s (dst + 1/2) - 1/2; dropping the half-pixel shift "
            "is align_corners's corner mapping with the wrong ratio",
    ),
    Mutant(
        name="interpolate-bilinear-adjoint-one-weight",
        file=_F,
        old="np.add.at(view, i1, np.moveaxis(lam * d, axis, 0))",
        new="np.add.at(view, i1, np.moveaxis((1 - lam) * d, axis, 0))",
        tests=_INTERPOLATE,
        why="the backward must scatter dy to both sources with the forward's own weights, 1 - lam and lam",
    ),
    Mutant(
        name="pixel-shuffle-swapped-subpixel-axes",
        file=_F,
        old="y = x6.transpose(*range(k), k, k + 3, k + 1, k + 4, k + 2)",
        new="y = x6.transpose(*range(k), k, k + 3, k + 2, k + 4, k + 1)",
        tests=("parity_tests/test_sampling.py", "-k", "pixel_shuffle"),
        why="channel c r^2 + i r + j goes to row offset i and column offset j; swapping them transposes each block",
    ),
]
