"""A numba kernel for the im2col core of ``conv.py``: col2im for 2-d convolutions, the fast path of conv2d (where
Winograd does not apply) and conv_transpose2d when ``scratch.fast`` is on.

``conv._col2im`` (the definition) adds every column entry back into the pixel it was read from with one strided
NumPy add per kernel offset. Each add runs over ``(C, N, H_out, W_out)`` with rows of ``W_out`` elements, and at
LeNet-5's sizes (rows of 10 to 28) NumPy's per-row overhead outweighs the adds: 1.25 ms for the second convolution's
col2im, against 0.43 ms with this loop (1.6 ms against 0.6 for a stride-2 2x2 kernel at (64, 32, 16, 16); measured on
an AVX2 machine, zeroing and the final copy included). The additions come in the same order, offset by offset in
row-major order, so every pixel's sum is the NumPy code's, bit for bit.
"""
from __future__ import annotations

import numba
import numpy as np

_kernel = numba.njit(cache=True, error_model="numpy", nogil=True)


@_kernel
def col2im_2d(per_offset, sH, sW, dH, dW, dxp):
    """``dxp[c, n, i sH + p dH, j sW + q dW] += per_offset[c, p, q, n, i, j]`` for every index; ``dxp`` is the
    zero-padded ``(C, N, H_pad, W_pad)`` gradient, channels first like the columns."""
    C, kH, kW, N, Ho, Wo = per_offset.shape
    for c in range(C):
        for p in range(kH):
            for q in range(kW):
                for n in range(N):
                    src, dst = per_offset[c, p, q, n], dxp[c, n]
                    for i in range(Ho):
                        row, out = src[i], dst[i * sH + p * dH]
                        w0 = q * dW
                        for j in range(Wo):
                            out[w0 + j * sW] += row[j]


def col2im(cols, N: int, C: int, g):
    """``conv._col2im`` (same arguments, same result bit for bit) for 2-d geometries, through ``col2im_2d``."""
    if len(g.kernel) != 2:
        raise ValueError(f"the numba col2im is for 2-d convolutions, got a {len(g.kernel)}-d kernel {g.kernel}")
    per_offset = np.ascontiguousarray(cols.reshape((C, *g.kernel, N, *g.out)))
    dxp = np.zeros((C, N) + g.padded, dtype=cols.dtype)  # channels first like the columns
    col2im_2d(per_offset, *g.stride, *g.dilation, dxp)
    return np.ascontiguousarray(np.moveaxis(dxp[(slice(None), slice(None)) + g.interior()], 0, 1))
