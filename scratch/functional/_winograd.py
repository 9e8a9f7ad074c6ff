"""Winograd's minimal filtering F(4x4, 3x3): the fast path of ``conv2d`` for 3x3 kernels, stride 1, no dilation, one
group (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2015).

The idea. Cut the output into 4x4 tiles. Each tile depends on a 6x6 window ``d`` of the padded input and on the 3x3
kernel ``g`` alone, and Winograd's algorithm computes it with 36 multiplications instead of 144::

    Y = A^T [ (G g G^T) * (B^T d B) ] A        * elementwise; B^T (6x6), G (6x3), A^T (4x6) fixed matrices

Summed over input channels, the elementwise product becomes, for each of the 36 tile positions ``xi``, one matrix
product over channels, which is where the time goes (and BLAS does it)::

    U[xi] = (G g G^T)[xi]      (C_out, C_in)       the transformed kernel
    V[xi] = (B^T d B)[xi]      (C_in, tiles)       the transformed input windows
    M[xi] = U[xi] @ V[xi]      (C_out, tiles)
    y     = A^T M A            per tile, cropped to the output

Against im2col's product of ``C_out x 9 C_in x pixels``, the 36 products together do ``C_out x C_in x 36/16 pixels``
multiply-adds: 4x fewer.

Backward. Every step above is linear, so each gradient is the transposed step, in reverse order (reverse-mode
through matrix products: ``Z = P X Q`` gives ``dX = P^T dZ Q^T``)::

    dM      = A dY A^T                     per tile, dY the 4x4 tile of dy (zeros past its edge)
    dU[xi]  = dM[xi] @ V[xi]^T             summed over every tile of every image
    dV[xi]  = U[xi]^T @ dM[xi]
    dweight = G^T dU G
    dx      = sum over windows of B dV B^T, added back where each window read x (windows overlap by 2 pixels),
              then the padding cropped
    dbias   = sum over tiles of dM[1, 1]   (column 1 of A^T is all ones: dM[1, 1] is the sum of the tile dY)

The backward recomputes V from x rather than keeping the forward's: at 32x32, V is 2.6x the size of x, and storing
it sent it out to memory and back, slower than transforming x again.

The batch runs in passes of a few images each (``TILES_PER_PASS``), so that one pass's V, M, dM and dV stay in the
cache between the transforms and the products; with several threads, each takes a contiguous run of passes.

Precision: the transforms multiply by up to 8 (A) and divide by up to 24 (G), so float32 results carry more
rounding than im2col's. Measured against a float64 reference (N=8, 16x16, largest error over the largest value): 3e-6
for y, dx and dweight at 16 -> 32 channels and 1e-5 at 256 -> 256, where im2col and torch's direct convolution stay
under 3e-6. Enough for training in float32; in float64 the error is about 1e-14, and the parity tests hold it to
the float64 table like every other layer.

The four tile transforms (``input_tiles``: V; ``output_tiles``: y; ``grad_output_tiles``: dM; ``grad_input_tiles``:
dx) are numba kernels, in ``_winograd_kernels.py``; their readable NumPy definitions, built on ``einsum`` with the
matrices below, are in ``_winograd_reference.py``, and ``parity_tests/test_winograd.py`` checks each kernel against
its definition. The passes are spread over threads by ``_passes.run_passes``.
"""
from __future__ import annotations

import numpy as np

from scratch.functional import _winograd_kernels
from scratch.functional._passes import run_passes

# The interpolation points are 0, 1, -1, 2, -2 and infinity (Lavin and Gray, section 4.2).
BT = np.array([[4, 0, -5, 0, 1, 0],
               [0, -4, -4, 1, 1, 0],
               [0, 4, -4, -1, 1, 0],
               [0, -2, -1, 2, 1, 0],
               [0, 2, -1, -2, 1, 0],
               [0, 4, 0, -5, 0, 1]], dtype=np.float64)
G = np.array([[1 / 4, 0, 0],
              [-1 / 6, -1 / 6, -1 / 6],
              [-1 / 6, 1 / 6, -1 / 6],
              [1 / 24, 1 / 12, 1 / 6],
              [1 / 24, -1 / 12, 1 / 6],
              [0, 0, 1]], dtype=np.float64)
AT = np.array([[1, 1, 1, 1, 1, 0],
               [0, 1, -1, 2, -2, 0],
               [0, 1, 1, 4, 4, 0],
               [0, 1, -1, 8, -8, 1]], dtype=np.float64)

# The tile position (a, e) = (1, 1) in the transformed arrays' first axis: ``AT[:, 1]`` is all ones, so there dM holds
# the sum of its tile of dy.
_SUM_POSITION = 6 * 1 + 1
assert np.all(AT[:, 1] == 1)

# Images per pass: about 256 tiles, so one pass's V and M stay in the L2 cache (measured fastest at the benchmark's
# shape; whole-batch arrays, 10-40 MB, run the products about 2x slower).
TILES_PER_PASS = 256

# The four tile transforms: numba's. The tests swap in their NumPy definitions (``_winograd_reference``), or spies.
transforms = _winograd_kernels


def tiles(size: int) -> int:
    """Number of 4-pixel output tiles along a side of ``size`` output pixels."""
    return -(-size // 4)


# The tile layout. Each tile row holds ``tw + 1`` tiles: the ``tw`` that cover the output, then a spare whose window
# starts past the output's right edge. With it, a channel's transformed rows are ``4 (tw + 1)`` pixels wide and tile
# p's window starts at pixel 4 p of the stacked rows, across rows and images alike, so that each numba transform is
# one long loop over tiles (``_winograd_kernels`` explains why that matters). The spare tiles of V are zero, so those
# of M, dM and dV are too: they add nothing to y, dweight or dx, and cost 1 / tw more work (1/8 at 32x32 outputs).


def _finite(a: np.ndarray) -> bool:
    """Whether ``a`` holds no inf and no NaN: an inf or NaN term makes the sum inf or NaN. (A finite array whose sum
    overflows reads as non-finite, which only sends it down the slower road.)"""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(a.sum()))


def conv2d_3x3(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, pad_top: int, pad_left: int,
               out: tuple, input_grad: bool = True):
    """Stride-1 3x3 convolution of x ``(N, C_in, H, W)`` by weight ``(C_out, C_in, 3, 3)``, output ``out = (Ho, Wo)``
    starting ``pad_top``/``pad_left`` pixels above and left of x. Returns ``(y, backward)``, where ``backward(dy)``
    gives ``(dx, dweight, dbias)``, dbias None when bias is, dx None without ``input_grad``. The tile transforms are
    the module's ``transforms`` (numba's ``_winograd_kernels``).

    Finite values only: where x or weight holds an inf or NaN this returns None, and ``backward(dy)`` returns None
    where dy does; the caller then convolves another way. The transforms mix the 36 pixels of a window into every
    position of its tile, so a single inf would make 16 outputs NaN (inf - inf), where a direct convolution (torch's,
    im2col) keeps it in the at most 9 outputs whose windows read it, and a NaN in dy would reach a whole tile of dx.
    Checking x and weight is one sum each (about 3% of a forward plus backward at the benchmark's shape); dy's costs
    nothing, as each backward pass sums its dy anyway (dbias, below).
    """
    N, C, H, W = x.shape
    K = weight.shape[0]
    Ho, Wo = out
    th, tw = tiles(Ho), tiles(Wo)
    per_image = th * (tw + 1)  # tiles, spares included
    per_pass = max(1, TILES_PER_PASS // per_image)  # images per pass
    count = -(-N // per_pass)  # passes, their sizes as even as can be (so that the threads' shares are too)
    passes = [(N * i // count, N * (i + 1) // count) for i in range(count)]
    dtype = x.dtype
    g = G.astype(dtype)
    x = np.ascontiguousarray(x)
    if not (_finite(weight) and _finite(x)):
        return None
    U = np.einsum("ar,kcrs,bs->abkc", g, weight, g, optimize=True)  # G g G^T for every kernel
    U = np.ascontiguousarray(U.reshape(36, K, C))  # (36, C_out, C_in)
    b = bias if bias is not None else np.zeros(K, dtype)
    ops = transforms  # read once: the backward uses the forward's transforms, whatever a test swaps in later
    threads = ops.num_threads()
    y = np.empty((N, K, Ho, Wo), dtype)

    def forward_pass(n0, n1):
        V = np.empty((36, C, (n1 - n0) * per_image), dtype)
        ops.input_tiles(x[n0:n1], pad_top, pad_left, th, tw, V)
        ops.output_tiles(np.matmul(U, V), th, tw, b, y[n0:n1])

    run_passes(forward_pass, passes, threads)

    def backward(dy):
        dy = np.ascontiguousarray(dy)
        dx = np.empty((N, C, H, W), dtype) if input_grad else None
        Ut = U.transpose(0, 2, 1)  # (36, C_in, C_out)

        def backward_pass(n0, n1):
            # V again, from x: recomputing it costs less than keeping it. Kept, the batch's V (2.6x the size of x
            # at 32x32, 10 MB at the benchmark's shape) went out to memory and back, measured 1-3 ms slower.
            V = np.empty((36, C, (n1 - n0) * per_image), dtype)
            ops.input_tiles(x[n0:n1], pad_top, pad_left, th, tw, V)
            dM = np.empty((36, K, (n1 - n0) * per_image), dtype)
            ops.grad_output_tiles(dy[n0:n1], th, tw, dM)
            # This pass's share of dbias. Column 1 of A^T is all ones, so position (1, 1) of dM = A dY A^T is the
            # sum of the tile dY: summed over the tiles, it is the bias's gradient, and it is finite exactly when
            # this pass's dy is (to an overflow of the sum, which only costs the slower road).
            with np.errstate(over="ignore", invalid="ignore"):
                dbias_share = dM[_SUM_POSITION].sum(axis=1)
            if not np.isfinite(dbias_share).all():
                return None
            if input_grad:
                ops.grad_input_tiles(np.matmul(Ut, dM), th, tw, pad_top, pad_left, dx[n0:n1])
            return np.matmul(dM, V.transpose(0, 2, 1)), dbias_share  # and this pass's share of dU

        dU = np.zeros((36, K, C), dtype)
        dbias = np.zeros(K, dtype)
        shares = run_passes(backward_pass, passes, threads)
        if any(share is None for share in shares):
            return None
        for dU_share, dbias_share in shares:
            dU += dU_share
            dbias += dbias_share
        dweight = np.einsum("ar,abkc,bs->kcrs", g, dU.reshape(6, 6, K, C), g, optimize=True)
        return dx, np.ascontiguousarray(dweight), (dbias if bias is not None else None)

    return y, backward

