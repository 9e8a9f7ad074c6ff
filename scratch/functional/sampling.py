"""Resampling: ``interpolate`` (nearest, bilinear) and ``pixel_shuffle`` / ``pixel_unshuffle``.

Interpolation is separable: every output row reads one or two input rows, and every output column one or two input
columns, so the forward is a gather along H followed by a gather along W, and the backward (the adjoint of a
gather) is a scatter-add of ``dy`` times the same weights, along W and then H. The source indices and weights follow
torch's CPU kernels exactly (``aten/src/ATen/native/UpSample.h``), rounding included, since an index that lands one
row off is not a small error.
"""
from __future__ import annotations

import numbers

import numpy as np

from scratch._checks import check_float, check_grad, check_ndim, fmt_shape

_MODES = ("nearest", "bilinear")


def _pair(layer: str, name: str, value, kind) -> tuple:
    """An int/float or a pair of them, as a pair (torch's ``size`` / ``scale_factor`` for 2 spatial dims)."""
    ok = (numbers.Integral,) if kind is int else (numbers.Real,)
    if isinstance(value, ok) and not isinstance(value, bool):
        return (kind(value), kind(value))
    if (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(v, ok) and not isinstance(v, bool) for v in value)):
        return tuple(kind(v) for v in value)
    what = "an int or a pair of ints" if kind is int else "a number or a pair of numbers"
    raise TypeError(f"{layer} expected {name} to be {what} (for the 2 spatial dims H, W), got {value!r}")


def _output_size(x_shape, size, scale_factor, recompute_scale_factor):
    """``(H_out, W_out)`` and the scales handed to the index formulas (None where torch passes none)."""
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate expected only one of size or scale_factor to be defined, got both")
    if size is None and scale_factor is None:
        raise ValueError("interpolate expected either size or scale_factor to be defined, got neither")
    if recompute_scale_factor and size is not None:
        raise ValueError("interpolate: recompute_scale_factor is not meaningful with an explicit size")
    H, W = x_shape[2:]
    if size is not None:
        out, scales = _pair("interpolate", "size", size, int), (None, None)
    else:
        scales = _pair("interpolate", "scale_factor", scale_factor, float)
        # torch: int(input_size * scale) in double precision, truncated (floor for the positive sizes that pass)
        out = (int(H * scales[0]), int(W * scales[1]))
        if recompute_scale_factor:
            scales = (None, None)  # the kernel then uses in/out, as if size had been given
    if min(out) <= 0:
        raise ValueError(f"interpolate expected output sizes greater than 0, got input (H: {H}, W: {W}) and "
                         f"output (H: {out[0]}, W: {out[1]})")
    return out, scales


def _nearest_source(n_in: int, n_out: int, scale) -> np.ndarray:
    """torch's ``nearest_idx``: ``src = min(floor(dst * s), n_in - 1)`` with ``s = 1/scale_factor`` when a scale
    factor was given, else ``n_in / n_out``.

    As in torch, ``s`` and the product are float32 whatever the input's dtype, and two cases are special-cased before
    the formula: ``n_out == n_in`` copies (even when a scale factor such as 1.2 gives back the same size) and
    ``n_out == 2 * n_in`` repeats each row twice (even for a scale factor such as 2.1).
    """
    dst = np.arange(n_out)
    if n_out == n_in:
        return dst
    if n_out == 2 * n_in:
        return dst >> 1
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(n_in) / np.float32(n_out)
    return np.minimum(np.floor(dst.astype(np.float32) * s).astype(np.int64), n_in - 1)


def _linear_source(n_in: int, n_out: int, scale, align_corners: bool, dtype):
    """torch's ``compute_source_index_and_lambda``: output ``dst`` reads ``(1 - lam) x[i0] + lam x[i1]``.

    In the input's dtype (torch's ``opmath_t``: float32 for float32, float64 for float64)::

        align_corners=True:  src = dst * (n_in - 1) / (n_out - 1)              (0 when n_out == 1)
        align_corners=False: src = max(s * (dst + 0.5) - 0.5, 0),  s = 1/scale_factor or n_in/n_out
        i0 = min(floor(src), n_in - 1),  i1 = i0 + 1 (i0 at the last row),  lam = clip(src - i0, 0, 1)

    ``n_out == n_in`` with align_corners False copies, whatever the scale factor (torch's shortcut).
    """
    ft = np.dtype(dtype).type
    dst = np.arange(n_out)
    if n_out == n_in and not align_corners:
        return dst, dst, np.zeros(n_out, dtype)
    if align_corners:
        ratio = ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
        src = ratio * dst.astype(dtype)
    else:
        ratio = ft(1.0 / scale) if scale is not None and scale > 0 else ft(n_in) / ft(n_out)
        src = np.maximum(ratio * (dst.astype(dtype) + ft(0.5)) - ft(0.5), ft(0))  # clamped: no negative sources
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0.astype(dtype), ft(0), ft(1)).astype(dtype, copy=False)
    i1 = i0 + (i0 < n_in - 1)  # the last row interpolates with itself
    return i0, i1, lam


def _lerp(x: np.ndarray, axis: int, i0, i1, lam) -> np.ndarray:
    """``(1 - lam) * x[i0] + lam * x[i1]`` along ``axis`` (lam broadcast along it)."""
    shape = [1] * x.ndim
    shape[axis] = -1
    lam = lam.reshape(shape)
    return (1 - lam) * np.take(x, i0, axis=axis) + lam * np.take(x, i1, axis=axis)


def _lerp_adjoint(d: np.ndarray, axis: int, n_in: int, i0, i1, lam) -> np.ndarray:
    """The adjoint of ``_lerp``: each output's gradient goes back to its two sources, times their weights.

    ``np.add.at`` (unbuffered) because many outputs share a source when upsampling.
    """
    out_shape = list(d.shape)
    out_shape[axis] = n_in
    out = np.zeros(out_shape, dtype=d.dtype)
    shape = [1] * d.ndim
    shape[axis] = -1
    lam = lam.reshape(shape)
    view = np.moveaxis(out, axis, 0)  # a view: np.add.at indexes the first axis, and writes through into out
    np.add.at(view, i0, np.moveaxis((1 - lam) * d, axis, 0))
    np.add.at(view, i1, np.moveaxis(lam * d, axis, 0))
    return out


def interpolate(input: np.ndarray, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False):
    """Resize ``(N, C, H, W)`` images to ``(N, C, H_out, W_out)`` by nearest or bilinear interpolation.

    Along each spatial axis an output index ``dst`` reads from a source position ``src`` (torch's formulas):

        nearest:  y[dst] = x[min(floor(dst * s), n_in - 1)]      (float32 arithmetic, as torch; see below)
        bilinear: y[dst] = (1 - lam) x[i0] + lam x[i1],  i0 = floor(src), lam = src - i0, i1 = min(i0 + 1, n_in - 1)
                  src = dst * (n_in - 1) / (n_out - 1)                     align_corners=True
                  src = max(s * (dst + 0.5) - 0.5, 0)                      align_corners=False (half-pixel centres)

    with ``s = 1 / scale_factor`` when a scale factor is given (and not recomputed), else ``s = n_in / n_out``.
    Bilinear is this rule along H, then along W. torch's special cases are kept: nearest copies when
    ``n_out == n_in`` and repeats each row twice when ``n_out == 2 n_in``, whatever the scale factor; bilinear
    without align_corners copies when ``n_out == n_in``. Nearest computes ``s`` and ``dst * s`` in float32 even for
    float64 input, as torch does (one index in a few hundred size pairs differs from float64 arithmetic).

    Args:
        input: ``(N, C, H, W)``, float32 or float64.
        size: ``(H_out, W_out)`` or one int for both.
        scale_factor: a number or a pair; ``H_out = int(H * scale_factor)`` (truncated, in float64).
        mode: ``'nearest'`` or ``'bilinear'``.
        align_corners: bilinear only (None means False): map the corner pixels' centres onto each other instead of
            the corners of the image. Must be None for nearest, as in torch.
        recompute_scale_factor: with a scale factor, compute the output size from it and then interpolate as if
            that size had been given (``s = n_in / n_out``). Not allowed with ``size``.
        antialias: only False (torch's antialiasing filter for downsampling is not implemented).

    Shape:
        input ``(N, C, H, W)``; y ``(N, C, H_out, W_out)``.

    Backward:
        The forward is linear in ``x``, ``y = A_h x A_w^T`` per image, with ``A`` the sparse ``(n_out, n_in)``
        interpolation matrices (one 1 per row for nearest, ``1 - lam`` and ``lam`` for bilinear). So::

            dx = A_h^T dy A_w

        computed as a scatter-add: every ``dy[dst]`` is added into ``dx[i0]`` times ``1 - lam`` and into ``dx[i1]``
        times ``lam`` (nearest: into ``dx[src]``), along W and then along H. ``backward(dy)`` returns ``(dx,)``.

    Examples:
        >>> x = np.arange(4.0).reshape(1, 1, 2, 2)
        >>> y, backward = interpolate(x, scale_factor=2)
        >>> y[0, 0]
        array([[0., 0., 1., 1.],
               [0., 0., 1., 1.],
               [2., 2., 3., 3.],
               [2., 2., 3., 3.]])
        >>> backward(np.ones_like(y))[0][0, 0]
        array([[4., 4.],
               [4., 4.]])
        >>> interpolate(x, size=(3, 5), mode="bilinear", align_corners=True)[0].shape
        (1, 1, 3, 5)
    """
    check_float("interpolate", "input", input)
    check_ndim("interpolate", "input", input, 4, "(N, C, H, W)")
    if mode not in _MODES:
        raise ValueError(f"interpolate expected mode to be one of {', '.join(map(repr, _MODES))}, got {mode!r}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError(f"interpolate: align_corners can only be set with mode='bilinear' (None for 'nearest'), "
                         f"got align_corners={align_corners!r}")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not implemented")
    align_corners = bool(align_corners)
    N, C, H, W = input.shape
    (H_out, W_out), (scale_h, scale_w) = _output_size(input.shape, size, scale_factor, recompute_scale_factor)

    if mode == "nearest":
        src_h = _nearest_source(H, H_out, scale_h)  # (H_out,)
        src_w = _nearest_source(W, W_out, scale_w)  # (W_out,)
        y = input[:, :, src_h[:, None], src_w[None, :]]  # (N, C, H_out, W_out), a copy

        def backward(dy):
            dy = check_grad("interpolate", dy, y)
            dx = np.zeros_like(input, order="C")
            np.add.at(dx, (slice(None), slice(None), src_h[:, None], src_w[None, :]), dy)  # repeated sources add up
            return (dx,)

        return y, backward

    rows = _linear_source(H, H_out, scale_h, align_corners, input.dtype)  # (i0, i1, lam), each (H_out,)
    cols = _linear_source(W, W_out, scale_w, align_corners, input.dtype)  # each (W_out,)
    t = _lerp(input, 2, *rows)  # (N, C, H_out, W)
    y = _lerp(t, 3, *cols)  # (N, C, H_out, W_out)

    def backward(dy):
        dy = check_grad("interpolate", dy, y)
        dt = _lerp_adjoint(dy, 3, W, *cols)  # (N, C, H_out, W)
        return (_lerp_adjoint(dt, 2, H, *rows),)

    return y, backward


def _check_factor(layer: str, name: str, factor) -> int:
    if not isinstance(factor, numbers.Integral) or isinstance(factor, bool) or factor < 1:
        raise ValueError(f"{layer} expected {name} to be a positive int, got {factor!r}")
    return int(factor)


def _shuffle(x: np.ndarray, r: int) -> np.ndarray:
    """``(*, C r^2, H, W) -> (*, C, H r, W r)``: channel ``c r^2 + i r + j`` becomes pixel ``(h r + i, w r + j)``."""
    *B, Crr, H, W = x.shape
    C = Crr // (r * r)
    x6 = x.reshape(*B, C, r, r, H, W)
    k = len(B)
    y = x6.transpose(*range(k), k, k + 3, k + 1, k + 4, k + 2).reshape(*B, C, H * r, W * r)  # (*, C, H, r, W, r)
    return y.copy() if np.may_share_memory(y, x) else y  # r == 1 reshapes to a view: never hand out the input


def _unshuffle(x: np.ndarray, r: int) -> np.ndarray:
    """The inverse of ``_shuffle``: ``(*, C, H r, W r) -> (*, C r^2, H, W)``."""
    *B, C, Hr, Wr = x.shape
    H, W = Hr // r, Wr // r
    x6 = x.reshape(*B, C, H, r, W, r)
    k = len(B)
    y = x6.transpose(*range(k), k, k + 2, k + 4, k + 1, k + 3).reshape(*B, C * r * r, H, W)  # (*, C, r, r, H, W)
    return y.copy() if np.may_share_memory(y, x) else y


def pixel_shuffle(input: np.ndarray, upscale_factor: int):
    """Rearrange channels into space: ``(*, C r^2, H, W) -> (*, C, H r, W r)``, ``r = upscale_factor``.

    ``y[..., c, h r + i, w r + j] = x[..., c r^2 + i r + j, h, w]`` (the sub-pixel convolution's output step). A
    pure reshape and transpose: every element moves, none is combined.

    Args:
        input: at least 3 dims, the channel count (dim -3) divisible by ``r^2``.
        upscale_factor: ``r``, a positive int.

    Shape:
        input ``(*, C r^2, H, W)``; y ``(*, C, H r, W r)``.

    Backward:
        A permutation's adjoint is its inverse: ``dx = pixel_unshuffle(dy, r)``. ``backward(dy)`` returns ``(dx,)``.

    Examples:
        >>> y, backward = pixel_shuffle(np.arange(8.0).reshape(1, 4, 1, 2), 2)
        >>> y[0, 0]
        array([[0., 2., 1., 3.],
               [4., 6., 5., 7.]])
        >>> backward(y)[0].shape
        (1, 4, 1, 2)
    """
    check_float("pixel_shuffle", "input", input)
    r = _check_factor("pixel_shuffle", "upscale_factor", upscale_factor)
    if input.ndim < 3:
        raise ValueError(f"pixel_shuffle expected input of shape (*, C*r^2, H, W) (at least 3 dims), "
                         f"got shape {fmt_shape(input.shape)}")
    if input.shape[-3] % (r * r):
        raise ValueError(f"pixel_shuffle expected the channel dim (-3) divisible by upscale_factor^2 = {r * r}, "
                         f"got input of shape {fmt_shape(input.shape)}")
    y = _shuffle(input, r)

    def backward(dy):
        dy = check_grad("pixel_shuffle", dy, y)
        return (_unshuffle(dy, r),)

    return y, backward


def pixel_unshuffle(input: np.ndarray, downscale_factor: int):
    """Rearrange space into channels, the inverse of ``pixel_shuffle``: ``(*, C, H r, W r) -> (*, C r^2, H, W)``.

    ``y[..., c r^2 + i r + j, h, w] = x[..., c, h r + i, w r + j]``.

    Args:
        input: at least 3 dims, H and W divisible by ``r``.
        downscale_factor: ``r``, a positive int.

    Shape:
        input ``(*, C, H r, W r)``; y ``(*, C r^2, H, W)``.

    Backward:
        ``dx = pixel_shuffle(dy, r)``. ``backward(dy)`` returns ``(dx,)``.

    Examples:
        >>> y, backward = pixel_unshuffle(np.zeros((2, 3, 4, 6)), 2)
        >>> y.shape, backward(y)[0].shape
        ((2, 12, 2, 3), (2, 3, 4, 6))
    """
    check_float("pixel_unshuffle", "input", input)
    r = _check_factor("pixel_unshuffle", "downscale_factor", downscale_factor)
    if input.ndim < 3:
        raise ValueError(f"pixel_unshuffle expected input of shape (*, C, H*r, W*r) (at least 3 dims), "
                         f"got shape {fmt_shape(input.shape)}")
    if input.shape[-2] % r or input.shape[-1] % r:
        raise ValueError(f"pixel_unshuffle expected H and W divisible by downscale_factor = {r}, "
                         f"got input of shape {fmt_shape(input.shape)}")
    y = _unshuffle(input, r)

    def backward(dy):
        dy = check_grad("pixel_unshuffle", dy, y)
        return (_shuffle(dy, r),)

    return y, backward
