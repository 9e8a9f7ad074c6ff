"""Convolutions: ``conv1d``, ``conv2d`` and ``conv_transpose2d``, all on one N-d core.

The core is im2col: every window the kernel visits is copied into one column of a matrix, so that the whole
convolution becomes one matrix product per group,

    cols = im2col(x)              (C_in/G * prod(k), N * prod(out))   each column one window of the padded x
    y    = W2 @ cols + b          W2 = weight.reshape(C_out/G, C_in/G * prod(k)) per group

and both gradients are matrix products too, followed for ``dx`` by col2im, the adjoint of im2col, which adds every
column entry back into the pixel it was read from:

    dweight = dy2 @ cols^T        dy2 = dy with channels first, (C_out/G, N * prod(out)) per group
    dx      = col2im(W2^T @ dy2)

``_convolve`` is these four lines, forward and backward, for conv1d and conv2d. A transposed convolution is exactly
this backward pass used as a forward pass (its forward is conv's ``dx``), so its own backward is conv's forward (for
its ``dx``) and conv's weight gradient (for its ``dweight``): ``_transposed_convolve``, the same pieces in the other
order.

Fast paths (off by default; ``scratch.fast`` turns them on, as training and the benchmarks do). ``conv2d`` with a
3x3 kernel, stride 1, no dilation and one group (most of a CNN's convolutions) runs Winograd's F(4x4, 3x3)
(``_winograd.py``), which does 4x fewer multiplications than the product above and computes the same values (its
docstring derives its backward) for finite inputs; an inf or NaN in x, the weight or dy sends that convolution (or its
backward) through im2col, which keeps it where torch does. Other 2-d convolutions, and ``conv_transpose2d``, run
col2im in a numba loop (``_im2col_kernels.py``): the same sums in the same order. Each public function takes its fast
path in one early return after validation; everything below that line is the definition.

Layouts are torch's: input ``(N, C, *spatial)`` (or unbatched ``(C, *spatial)``), conv weight
``(C_out, C_in/groups, *k)``, transposed-conv weight ``(C_in, C_out/groups, *k)``.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from scratch import fast
from scratch._checks import check_float, check_grad, check_ndim, check_optional_float, fmt_shape, ntuple
from scratch.functional import _im2col_kernels, _winograd

_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}
_KERNEL = {1: "k", 2: "kH, kW", 3: "kD, kH, kW"}


@dataclass(frozen=True)
class _Geometry:
    """Where the windows of a convolution sit, per spatial dim.

    The "conv input" is the array the windows slide over (x for conv, the output for conv_transpose); ``out`` is the
    number of window positions per dim. Padding may be asymmetric (``padding='same'`` with an even dilated kernel).
    """

    kernel: tuple
    stride: tuple
    dilation: tuple
    pad_lo: tuple
    pad_hi: tuple
    size: tuple  # spatial size of the conv input, before padding
    out: tuple  # spatial size of the conv output
    groups: int

    @property
    def padded(self) -> tuple:
        return tuple(s + lo + hi for s, lo, hi in zip(self.size, self.pad_lo, self.pad_hi))

    def interior(self) -> tuple:
        """Slices of the padded spatial dims that hold the unpadded array."""
        return tuple(slice(lo, lo + s) for lo, s in zip(self.pad_lo, self.size))


def _im2col(x: np.ndarray, g: _Geometry) -> np.ndarray:
    """Every window of the zero-padded ``x`` as one column: ``(G, C/G * prod(k), N * prod(out))``.

    Rows are ordered ``(c, *k)``, matching ``weight.reshape(C_out, -1)``; columns ``(n, *out)``.
    """
    N, C = x.shape[:2]
    # Zero-padded, with channels ahead of the batch: the layout the columns are read in, so that the im2col copy
    # below reads long contiguous runs (measured: about 15% faster than reading from (N, C, ...)).
    xp = np.zeros((C, N) + g.padded, dtype=x.dtype)
    xp[(slice(None), slice(None)) + g.interior()] = np.moveaxis(x, 1, 0)
    sC, sN, *sS = xp.strides
    # A read-only view (C, *k, N, *out) of xp: stepping a kernel offset moves dilation pixels, stepping an output
    # position moves stride pixels. No data is copied until the reshape below, which makes the one im2col copy.
    windows = as_strided(
        xp,
        shape=(C, *g.kernel, N, *g.out),
        strides=(sC, *(s * d for s, d in zip(sS, g.dilation)), sN, *(s * t for s, t in zip(sS, g.stride))),
        writeable=False,
    )
    return windows.reshape(g.groups, C // g.groups * math.prod(g.kernel), N * math.prod(g.out))


def _col2im(cols: np.ndarray, N: int, C: int, g: _Geometry) -> np.ndarray:
    """The adjoint of ``_im2col``: add each column entry back into the pixel it was read from, then crop the padding.

    ``cols`` is ``(G, C/G * prod(k), N * prod(out))``; the result is ``(N, C, *size)``. One strided add per kernel
    offset (9 for a 3x3 kernel), each covering the whole batch: pixels read by several windows get several adds.
    """
    per_offset = cols.reshape((C, *g.kernel, N, *g.out))
    dxp = np.zeros((C, N) + g.padded, dtype=cols.dtype)  # channels first like the columns: contiguous adds
    for offset in np.ndindex(*g.kernel):
        hit = tuple(slice(k * d, k * d + t * (o - 1) + 1, t) for k, d, t, o in zip(offset, g.dilation, g.stride, g.out))
        dxp[(slice(None), slice(None)) + hit] += per_offset[(slice(None),) + offset]  # (C, N, *out)
    return np.ascontiguousarray(np.moveaxis(dxp[(slice(None), slice(None)) + g.interior()], 0, 1))


def _channels_first(a: np.ndarray, groups: int) -> np.ndarray:
    """``(N, C, *out)`` -> ``(G, C/G, N * prod(out))``: the layout of the matrix products (a transposing copy)."""
    N, C = a.shape[:2]
    # Sizes written out: a -1 beside a 0 (an empty batch) cannot be inferred.
    return np.moveaxis(a, 1, 0).reshape(groups, C // groups, N * math.prod(a.shape[2:]))


def _channels_back(a2: np.ndarray, N: int, out: tuple) -> np.ndarray:
    """``(G, C/G, N * prod(out))`` -> ``(N, C, *out)``, C-contiguous."""
    return np.ascontiguousarray(np.moveaxis(a2.reshape((a2.shape[0] * a2.shape[1], N) + out), 0, 1))


def _weight_grad(cols: np.ndarray, dy2: np.ndarray, weight_shape: tuple) -> np.ndarray:
    """``dweight = dy2 @ cols^T`` per group, reshaped to the weight's layout.

    Computed as ``(cols @ dy2^T)^T``, the same sums: with few output channels against a long pixel dimension (LeNet-5's
    6 x 25 from 25,088 pixels), OpenBLAS runs this order 1.3-1.6x faster.
    """
    return (cols @ dy2.transpose(0, 2, 1)).transpose(0, 2, 1).reshape(weight_shape)


def _convolve(layer: str, xb: np.ndarray, weight: np.ndarray, bias, g: _Geometry, unbatched: bool, input_grad: bool,
              col2im=_col2im):
    """The convolution by im2col, forward and backward: the four formulas of the module docstring, for x ``(N, C_in,
    *size)`` (``unbatched``: the caller's x had no batch dim). ``col2im`` is ``_col2im`` unless a fast path passes
    numba's (``_im2col_kernels.col2im``, the same sums)."""
    N, C_in = xb.shape[:2]
    C_out = weight.shape[0]
    cols = _im2col(xb, g)  # (G, C_in/G * K, N * L): each column one window of the padded x
    w2 = weight.reshape(g.groups, C_out // g.groups, -1)  # (G, C_out/G, C_in/G * K)
    yb = _channels_back(w2 @ cols, N, g.out)  # y = W2 @ cols, as (N, C_out, *out): a fresh array
    if bias is not None:
        yb += bias.reshape((-1,) + (1,) * len(g.out))
    y = yb[0] if unbatched else yb

    def backward(dy):
        dy = check_grad(layer, dy, y)
        dyb = dy[None] if unbatched else dy
        dy2 = _channels_first(dyb, g.groups)  # (G, C_out/G, N * L)
        dweight = _weight_grad(cols, dy2, weight.shape)  # dy2 @ cols^T
        dx = col2im(w2.transpose(0, 2, 1) @ dy2, N, C_in, g) if input_grad else None  # (N, C_in, *size)
        dbias = dyb.sum(axis=(0,) + tuple(range(2, dyb.ndim))) if bias is not None else None
        return (dx[0] if unbatched and dx is not None else dx), dweight, dbias

    return y, backward


def _transposed_convolve(layer: str, xb: np.ndarray, weight: np.ndarray, bias, g: _Geometry, unbatched: bool,
                         col2im=_col2im):
    """The transposed convolution, forward and backward: conv's ``dx`` as the forward, so conv's forward and weight
    gradient as the backward. ``g`` is the geometry of the conv whose input gradient this is (its input is our
    output, its output our input); ``col2im`` as in ``_convolve``."""
    N = xb.shape[0]
    C_out = weight.shape[1] * g.groups
    x2 = _channels_first(xb, g.groups)  # (G, C_in/G, N * L): x plays the part of conv's dy
    w2 = weight.reshape(g.groups, weight.shape[0] // g.groups, -1)  # (G, C_in/G, C_out/G * K)
    yb = col2im(w2.transpose(0, 2, 1) @ x2, N, C_out, g)  # (N, C_out, *out), a fresh array
    if bias is not None:
        yb += bias.reshape((C_out,) + (1,) * len(g.out))
    y = yb[0] if unbatched else yb

    def backward(dy):
        dy = check_grad(layer, dy, y)
        dyb = dy[None] if unbatched else dy
        dy_cols = _im2col(dyb, g)  # (G, C_out/G * K, N * L): conv2d's windows of dy
        dx = _channels_back(w2 @ dy_cols, N, g.out)  # conv's forward is the transpose's input gradient
        dweight = _weight_grad(dy_cols, x2, weight.shape)  # conv's weight gradient, x playing dy's part
        dbias = dyb.sum(axis=(0,) + tuple(range(2, dyb.ndim))) if bias is not None else None
        return (dx[0] if unbatched else dx), dweight, dbias

    return y, backward


# Validation -----------------------------------------------------------------------------------------------------


def _check_common(layer: str, x, weight, d: int, stride, dilation, groups, transposed: bool):
    """Types, ranks and hyperparameters shared by conv and conv_transpose; returns (stride, dilation)."""
    check_float(layer, "input", x)
    check_float(layer, "weight", weight)
    spatial = _SPATIAL[d]
    check_ndim(layer, "input", x, (d + 2, d + 1), f"(N, C_in, {spatial}) or unbatched (C_in, {spatial})")
    w_layout = "(C_in, C_out/groups, " if transposed else "(C_out, C_in/groups, "
    check_ndim(layer, "weight", weight, d + 2, w_layout + _KERNEL[d] + ")")
    if weight.dtype != x.dtype:
        raise TypeError(f"{layer} expected weight of dtype {x.dtype} like the input, got {weight.dtype}")
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{layer} expected groups to be a positive int, got {groups!r}")
    stride = ntuple(layer, "stride", stride, d, minimum=1)
    dilation = ntuple(layer, "dilation", dilation, d, minimum=1)
    return stride, dilation


def _resolve_padding(layer: str, padding, kernel: tuple, stride: tuple, dilation: tuple):
    """``padding`` as (pad_lo, pad_hi) per dim, from an int, a tuple, ``'valid'`` or ``'same'``."""
    d = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * d, (0,) * d
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{layer}: padding='same' is not supported for strided convolutions "
                                 f"(stride={stride}), as in torch; pass an explicit padding")
            # torch's rule: the dilated kernel needs dilation*(k-1) pixels of padding in all; an odd total puts the
            # extra pixel at the end (right/bottom).
            total = tuple(dl * (k - 1) for dl, k in zip(dilation, kernel))
            lo = tuple(t // 2 for t in total)
            return lo, tuple(t - l for t, l in zip(total, lo))
        raise ValueError(f"{layer} expected padding to be an int, a tuple of {d} ints, 'same' or 'valid', "
                         f"got {padding!r}")
    pad = ntuple(layer, "padding", padding, d, minimum=0)
    return pad, pad


def _fmt_size(size) -> str:
    return "x".join(str(int(s)) for s in size)


def _conv_geometry(layer: str, d: int, x, weight, bias, stride, padding, dilation, groups):
    """Validate a conv1d / conv2d call; return ``(xb, g, unbatched)``: x with a batch dim, the windows' geometry,
    and whether x came without a batch dim."""
    stride, dilation = _check_common(layer, x, weight, d, stride, dilation, groups, transposed=False)
    unbatched = x.ndim == d + 1
    xb = x[None] if unbatched else x  # (N, C_in, *size)
    _, C_in, *size = xb.shape
    C_out, C_in_per_group, *kernel = weight.shape
    kernel = tuple(kernel)
    if C_out % groups:
        raise ValueError(f"{layer} expected weight.shape[0] (C_out = {C_out}) to be divisible by groups={groups}, "
                         f"got weight of shape {fmt_shape(weight.shape)}")
    if C_in != C_in_per_group * groups:
        raise ValueError(f"{layer} expected input with {C_in_per_group * groups} channels (weight.shape[1] * groups "
                         f"= {C_in_per_group} * {groups}), got {C_in} channels in input of shape {fmt_shape(x.shape)}")
    check_optional_float(layer, "bias", bias, x, (C_out,))
    pad_lo, pad_hi = _resolve_padding(layer, padding, kernel, stride, dilation)
    padded = tuple(s + lo + hi for s, lo, hi in zip(size, pad_lo, pad_hi))
    reach = tuple(dl * (k - 1) + 1 for dl, k in zip(dilation, kernel))  # extent of the dilated kernel
    if any(r > p for r, p in zip(reach, padded)):
        raise ValueError(f"{layer}: kernel (dilated) {_fmt_size(reach)} larger than padded input {_fmt_size(padded)}"
                         f" (input {_fmt_size(size)}, padding {pad_lo}+{pad_hi}); pad more or shrink the kernel")
    out = tuple((p - r) // t + 1 for p, r, t in zip(padded, reach, stride))
    return xb, _Geometry(kernel, stride, dilation, pad_lo, pad_hi, tuple(size), out, groups), unbatched


def _conv_transpose_geometry(layer: str, d: int, x, weight, bias, stride, padding, output_padding, groups, dilation):
    """Validate a conv_transpose2d call; return ``(xb, g, unbatched)`` as ``_conv_geometry``, ``g`` the geometry of
    the conv whose input gradient this is: its input is our output, its output is our input."""
    stride, dilation = _check_common(layer, x, weight, d, stride, dilation, groups, transposed=True)
    if isinstance(padding, str):
        raise ValueError(f"{layer} expected padding to be an int or a tuple of {d} ints, got {padding!r} "
                         f"(torch has no 'same'/'valid' for transposed convolutions)")
    padding = ntuple(layer, "padding", padding, d, minimum=0)
    output_padding = ntuple(layer, "output_padding", output_padding, d, minimum=0)
    if any(op >= max(t, dl) for op, t, dl in zip(output_padding, stride, dilation)):
        raise ValueError(f"{layer} expected output_padding smaller than either stride or dilation in each dim, "
                         f"got output_padding={output_padding}, stride={stride}, dilation={dilation}")
    unbatched = x.ndim == d + 1
    xb = x[None] if unbatched else x  # (N, C_in, *size)
    _, C_in, *size = xb.shape
    W_in, C_out_per_group, *kernel = weight.shape
    kernel = tuple(kernel)
    if W_in % groups:
        raise ValueError(f"{layer} expected weight.shape[0] (C_in = {W_in}) to be divisible by groups={groups}, "
                         f"got weight of shape {fmt_shape(weight.shape)}")
    if C_in != W_in:
        raise ValueError(f"{layer} expected input with {W_in} channels (weight.shape[0]; the transposed layout is "
                         f"(C_in, C_out/groups, {_KERNEL[d]})), got {C_in} channels in input of shape "
                         f"{fmt_shape(x.shape)}")
    C_out = C_out_per_group * groups
    check_optional_float(layer, "bias", bias, x, (C_out,))
    out = tuple((s - 1) * t - 2 * p + dl * (k - 1) + op + 1
                for s, t, p, dl, k, op in zip(size, stride, padding, dilation, kernel, output_padding))
    if any(o < 1 for o in out):
        raise ValueError(f"{layer}: output size {_fmt_size(out)} is too small for input {_fmt_size(size)}: "
                         f"(size - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1 must be >= 1")
    return xb, _Geometry(kernel, stride, dilation, padding, padding, out, tuple(size), groups), unbatched


# The public functions -------------------------------------------------------------------------------------------------


def conv1d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, stride=1, padding=0, dilation=1,
           groups=1, *, input_grad: bool = True):
    """1-d cross-correlation (what deep learning calls convolution), as ``torch.nn.functional.conv1d``.

    ``y[n, o, l] = b[o] + sum_{c, j} weight[o, c, j] * xpad[n, g*C_in/G + c, l*stride + j*dilation]``, with ``g`` the
    group of output channel ``o``. See ``conv2d`` for the full story; this is the same core with one spatial dim.

    Shape:
        x: ``(N, C_in, L)`` or ``(C_in, L)``; weight ``(C_out, C_in/groups, k)``;
        y: ``(N, C_out, L_out)``, ``L_out = floor((L + 2 * padding - dilation * (k - 1) - 1) / stride) + 1``.

    Backward:
        As ``conv2d``: returns ``(dx, dweight, dbias)``; ``input_grad=False`` skips dx, as there.

    Examples:
        >>> y, backward = conv1d(np.ones((2, 3, 10)), np.ones((4, 3, 3)), padding="same")
        >>> y.shape, [g.shape for g in backward(np.ones_like(y))[:2]]
        ((2, 4, 10), [(2, 3, 10), (4, 3, 3)])
    """
    xb, g, unbatched = _conv_geometry("conv1d", 1, x, weight, bias, stride, padding, dilation, groups)
    return _convolve("conv1d", xb, weight, bias, g, unbatched, input_grad)


def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, stride=1, padding=0, dilation=1,
           groups=1, *, input_grad: bool = True):
    """2-d cross-correlation (what deep learning calls convolution), as ``torch.nn.functional.conv2d``.

    ``y[n, o, i, j] = b[o] + sum_{c, p, q} weight[o, c, p, q] * xpad[n, g*C_in/G + c, i*s + p*d, j*s + q*d]``
    where ``xpad`` is x zero-padded, ``s`` the stride, ``d`` the dilation and ``g`` the group of output channel ``o``
    (groups split the channels into G independent convolutions; ``groups == C_in`` is a depthwise convolution).

    Computed by im2col (``_convolve``): every window becomes one column, ``cols`` ``(C_in/G * kH * kW, N * H_out *
    W_out)`` per group, and ``y = W2 @ cols + b`` with ``W2 = weight.reshape(C_out/G, -1)``: one matrix product per
    group. With ``scratch.fast`` on, 3x3 kernels with stride 1, dilation 1 and one group run Winograd's F(4x4, 3x3)
    instead (``_winograd.py``, the same values in a quarter of the multiplications), and the others numba's col2im.

    Args:
        x: input, float32 or float64, ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_out, C_in/groups, kH, kW)``, torch's layout.
        bias: ``(C_out,)`` or None.
        stride: int or ``(sH, sW)``, >= 1.
        padding: int or ``(pH, pW)`` zeros on both sides; ``'valid'`` (no padding); or ``'same'`` (output size equals
            input size; stride must be 1; the total ``dilation * (k - 1)`` is split with the extra pixel at the end,
            as torch does for even kernels).
        dilation: int or ``(dH, dW)``: spacing between kernel taps, >= 1.
        groups: C_in and C_out are both divisible by it.
        input_grad: False skips dx (backward returns None in its place), as torch does for an input that does not
            require a gradient: a network's first layer, whose input is data. Not in torch's signature.

    Shape:
        y: ``(N, C_out, H_out, W_out)`` with
        ``H_out = floor((H + pad_top + pad_bottom - dilation[0] * (kH - 1) - 1) / stride[0]) + 1``, same for W.

    Backward:
        With ``dy2`` = dy as ``(C_out/G, N * H_out * W_out)`` per group::

            dweight = dy2 @ cols^T                   reshaped to (C_out, C_in/G, kH, kW)
            dx      = col2im(W2^T @ dy2)             each window's gradient added back into the pixels it read
            dbias   = sum of dy over N, H_out, W_out

        ``backward(dy)`` returns ``(dx, dweight, dbias)``; ``dbias`` is None when ``bias`` is.

    Examples:
        >>> x = np.ones((8, 3, 32, 32)); w = np.ones((16, 3, 3, 3)); b = np.zeros(16)
        >>> y, backward = conv2d(x, w, b, stride=2, padding=1)
        >>> y.shape
        (8, 16, 16, 16)
        >>> [g.shape for g in backward(np.ones_like(y))]
        [(8, 3, 32, 32), (16, 3, 3, 3), (16,)]
    """
    xb, g, unbatched = _conv_geometry("conv2d", 2, x, weight, bias, stride, padding, dilation, groups)
    if fast.enabled("conv2d"):
        return _conv2d_fast(xb, weight, bias, g, unbatched, input_grad)
    return _convolve("conv2d", xb, weight, bias, g, unbatched, input_grad)


def conv_transpose2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, stride=1, padding=0,
                     output_padding=0, groups=1, dilation=1):
    """2-d transposed convolution, as ``torch.nn.functional.conv_transpose2d`` (argument order included).

    The adjoint of ``conv2d``: every input pixel scatters ``x[n, c, i, j] * weight[c, o, :, :]`` into the output
    window at ``(i * stride, j * stride)`` (taps ``dilation`` apart), the windows' overlaps add up, and ``padding``
    pixels are then cropped from each border. It is exactly conv2d's input gradient, and is computed that way
    (``_transposed_convolve``):

        y = col2im(W2^T @ x2) + b        W2 = weight.reshape(C_in/G, C_out/G * kH * kW) per group

    With ``scratch.fast`` on, col2im runs in a numba loop (the same sums in the same order).

    Args:
        x: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_in, C_out/groups, kH, kW)``: torch's transposed layout, the same array a conv2d from C_out to
            C_in channels would use.
        bias: ``(C_out,)`` or None.
        stride, padding, dilation: those of the conv2d this is the adjoint of (padding crops the output).
        output_padding: extra rows/columns at the bottom/right of the output, to pick among the input sizes a
            strided conv2d maps to the same output size; must be smaller than stride or dilation.
        groups: C_in and C_out are both divisible by it.

    Shape:
        y: ``(N, C_out, H_out, W_out)`` with
        ``H_out = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kH - 1) + output_padding[0] + 1``, same for W.

    Backward:
        The backward of an adjoint is the original map, so with ``cols = im2col(dy)`` (conv2d's windows of dy)::

            dx      = W2 @ cols                      i.e. conv2d(dy, weight, stride, padding, dilation, groups)
            dweight = x2 @ cols^T                    reshaped to (C_in, C_out/G, kH, kW)
            dbias   = sum of dy over N, H_out, W_out

        ``backward(dy)`` returns ``(dx, dweight, dbias)``.

    Examples:
        >>> x = np.ones((2, 8, 5, 5)); w = np.ones((8, 4, 3, 3))
        >>> y, backward = conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
        >>> y.shape
        (2, 4, 10, 10)
        >>> [None if g is None else g.shape for g in backward(np.ones_like(y))]
        [(2, 8, 5, 5), (8, 4, 3, 3), None]
    """
    xb, g, unbatched = _conv_transpose_geometry("conv_transpose2d", 2, x, weight, bias, stride, padding,
                                                output_padding, groups, dilation)
    if fast.enabled("conv_transpose2d"):
        return _transposed_convolve("conv_transpose2d", xb, weight, bias, g, unbatched, col2im=_im2col_kernels.col2im)
    return _transposed_convolve("conv_transpose2d", xb, weight, bias, g, unbatched)


# Fast paths (scratch.fast) --------------------------------------------------------------------------------------------


def _winograd_applies(g: _Geometry) -> bool:
    """A 2-d 3x3 convolution with stride 1, no dilation and one group: Winograd's F(4x4, 3x3) computes it."""
    return g.kernel == (3, 3) and g.stride == (1, 1) and g.dilation == (1, 1) and g.groups == 1


def _conv2d_fast(xb, weight, bias, g: _Geometry, unbatched: bool, input_grad: bool):
    """conv2d with ``scratch.fast`` on: Winograd where it applies and the values are finite, else the definition
    with numba's col2im (``_im2col_kernels.col2im``, the same sums in the same order)."""
    def im2col_conv():
        return _convolve("conv2d", xb, weight, bias, g, unbatched, input_grad, col2im=_im2col_kernels.col2im)

    # Winograd's transforms take finite values only (they would spread one inf or NaN over a whole tile, see
    # _winograd.conv2d_3x3): given any other, they decline (None) and im2col computes the convolution instead.
    winograd = _winograd.conv2d_3x3(xb, weight, bias, *g.pad_lo, g.out, input_grad) if _winograd_applies(g) else None
    if winograd is None:
        return im2col_conv()
    yb, winograd_backward = winograd  # its backward gives dbias too, from the transformed dy
    y = yb[0] if unbatched else yb

    def backward(dy):
        dy = check_grad("conv2d", dy, y)
        grads = winograd_backward(dy[None] if unbatched else dy)
        if grads is None:  # an inf or NaN in dy: im2col's backward (its forward recomputed, a rare case)
            return im2col_conv()[1](dy)
        dx, dweight, dbias = grads
        return (dx[0] if unbatched and dx is not None else dx), dweight, dbias

    return y, backward
