"""Pooling: ``max_pool2d``, ``avg_pool2d`` and ``adaptive_avg_pool2d``.

Max and average pooling slide a ``kH x kW`` window (its taps ``dilation`` apart) over the padded input in steps of
``stride``. For each of the ``kH * kW`` kernel offsets ``(a, b)``, the input pixels that offset visits form a strided
slice of the padded input, one pixel per output position (``_taps``). Both forwards are running reductions over
those ``kH * kW`` views (a max, a sum), and both backwards run the other way, adding each offset's share of ``dy``
into the same slice of a zero array. Adding, not assigning: when ``stride < kernel`` windows overlap, and a pixel
collects a share from every window that contains it. All the work is elementwise on output-sized arrays, a few
passes per kernel offset, with no copy of the windows. Adaptive average pooling picks its windows from the output
size instead, and sums each one in two passes, its rows then its columns.

Layouts are torch's: input ``(N, C, H, W)`` or unbatched ``(C, H, W)``.

With ``scratch.fast`` on (off by default; training and the benchmarks turn it on), max_pool2d runs
``_pooling_kernels`` instead, in one early return after validation: the same rule, each window read once forward and
each gradient scattered once backward. Everything below that return is the definition.
"""
from __future__ import annotations

import numbers

import numpy as np

from scratch import fast
from scratch._checks import check_float, check_grad, check_ndim, fmt_shape, ntuple
from scratch.functional import _pooling_kernels


def pool_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> int:
    """The number of window positions along one dim, torch's formula::

        out = floor_or_ceil((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1

    With ``ceil_mode`` the last window may overhang the padded input, but it must start inside the input or the
    left padding: a window starting in the right padding would read nothing but padding, so it is dropped.
    """
    span = dilation * (kernel - 1) + 1  # the dilated window, first tap to last
    room = size + 2 * padding - span
    out = (-(-room // stride) if ceil_mode else room // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def check_pool2d_args(layer: str, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Validate a 2-d pooling call; return ``(kernel, stride, padding, dilation, out)`` as pairs of ints.

    ``layer`` starts every error message ("max_pool2d", or "MaxPool2d" when a module calls it).
    """
    check_float(layer, "input", x)
    check_ndim(layer, "input", x, (3, 4), "(N, C, H, W) or (C, H, W)")
    C, H, W = x.shape[-3:]
    if C == 0 or H == 0 or W == 0:
        raise ValueError(f"{layer} expected an input with non-empty C, H and W, got shape {fmt_shape(x.shape)}")
    kernel = ntuple(layer, "kernel_size", kernel_size, 2, minimum=1)
    # torch: stride=None (or an empty tuple) means stride = kernel_size, non-overlapping windows
    stride = kernel if stride is None or stride == () else ntuple(layer, "stride", stride, 2, minimum=1)
    padding = ntuple(layer, "padding", padding, 2, minimum=0)
    dilation = ntuple(layer, "dilation", dilation, 2, minimum=1)
    half = tuple(k // 2 for k in kernel)
    if any(p > h for p, h in zip(padding, half)):
        raise ValueError(f"{layer} expected padding at most half the kernel size, kernel_size // 2 = {half}, "
                         f"got padding={padding} for kernel_size={kernel}")
    out = tuple(pool_output_size(n, k, s, p, d, ceil_mode)
                for n, k, s, p, d in zip((H, W), kernel, stride, padding, dilation))
    if min(out) < 1:
        spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        padded = (H + 2 * padding[0], W + 2 * padding[1])
        raise ValueError(f"{layer} expected a window that fits the padded input: kernel_size={kernel} with "
                         f"dilation={dilation} spans {spans[0]} x {spans[1]}, but the input {H} x {W} padded by "
                         f"{padding} is {padded[0]} x {padded[1]} (output size {out[0]} x {out[1]})")
    for dim, n, k, s, p, d, o in zip(("H", "W"), (H, W), kernel, stride, padding, dilation, out):
        taps = np.arange(o)[:, None] * s - p + np.arange(k) * d  # (o, k): input index each tap reads
        if not ((taps >= 0) & (taps < n)).any(axis=1).all():
            # Only a dilated window can skip over a small input. torch outputs -inf there with an index outside
            # the input, and its backward adds that window's dy through the index, outside the input too.
            raise ValueError(f"{layer} expected every window to read at least one input element, but with "
                             f"kernel_size={kernel}, dilation={dilation}, padding={padding} some window along {dim} "
                             f"(size {n}) reads only padding")
    return kernel, stride, padding, dilation, out


def _offset_slices(a: int, b: int, stride, dilation, out):
    """The rows and columns of the padded input that kernel offset ``(a, b)`` reads, one per output position."""
    (sH, sW), (dH, dW), (Ho, Wo) = stride, dilation, out
    rows = slice(a * dH, a * dH + sH * (Ho - 1) + 1, sH)
    cols = slice(b * dW, b * dW + sW * (Wo - 1) + 1, sW)
    return rows, cols


def _taps(xp, kernel, stride, dilation, out):
    """Every kernel offset's strided view of the padded input: ``[(a, b, view)]`` in row-major order, no copy.

    ``view[n, c, i, j] = xp[n, c, i sH + a dH, j sW + b dW]``: tap ``(a, b)`` of every window at once, one element per
    output position. A pooling forward is a running reduction over these ``kH * kW`` views, and its backward adds
    into the same views of a zero array, so both stay elementwise work on output-sized arrays.
    """
    kH, kW = kernel
    return [(a, b, xp[(slice(None), slice(None)) + _offset_slices(a, b, stride, dilation, out)])
            for a in range(kH) for b in range(kW)]


def _padded_shape(shape, padding, kernel, stride, dilation, out) -> tuple:
    """The shape of ``x4`` padded by ``padding`` on every side, plus the rows and columns a ceil_mode window hangs
    over the bottom or right edge."""
    N, C, H, W = shape
    (pH, pW), (kH, kW), (sH, sW), (dH, dW), (Ho, Wo) = padding, kernel, stride, dilation, out
    over_h = max(0, sH * (Ho - 1) + dH * (kH - 1) + 1 - (H + 2 * pH))
    over_w = max(0, sW * (Wo - 1) + dW * (kW - 1) + 1 - (W + 2 * pW))
    return N, C, H + 2 * pH + over_h, W + 2 * pW + over_w


def _pad(x4, padding, kernel, stride, dilation, out, value):
    """``x4`` padded with ``value`` to ``_padded_shape``; ``x4`` itself when there is nothing to pad."""
    shape = _padded_shape(x4.shape, padding, kernel, stride, dilation, out)
    if shape == x4.shape:
        return x4  # only read through views: no copy needed
    (pH, pW), H, W = padding, x4.shape[2], x4.shape[3]
    return np.pad(x4, ((0, 0), (0, 0), (pH, shape[2] - H - pH), (pW, shape[3] - W - pW)), constant_values=value)


def max_pool2d(x: np.ndarray, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max pooling: ``y[n, c, i, j] = max over a < kH, b < kW of xpad[n, c, i sH + a dH, j sW + b dW]``.

    ``xpad`` is ``x`` padded with -inf, so padding never wins. When several elements of a window equal its max,
    the first in row-major order (smallest ``a``, then smallest ``b``) is the one chosen, as in torch, which reads
    each window in that order and keeps an element only if it is strictly larger than the best so far. A NaN always
    replaces the pick, so the output is NaN and the last NaN of the window is chosen.

    A dilated window can step over a small input and read only padding; that geometry is refused with a
    ValueError (torch outputs -inf there, with an index outside the input that its backward writes through).

    Args:
        x: input, float32 or float64.
        kernel_size: ``k`` or ``(kH, kW)``.
        stride: ``s`` or ``(sH, sW)``; default ``kernel_size`` (windows side by side).
        padding: implicit -inf rows and columns on each side, at most ``kernel_size // 2``.
        dilation: spacing between the taps of a window.
        ceil_mode: round the output size up instead of down (see ``pool_output_size``).
        return_indices: also return, for each output, the position ``h * W + w`` of its max in the ``(H, W)``
            plane of the input (torch's indices, what ``max_unpool2d`` takes).

    Shape:
        x: ``(N, C, H, W)`` or ``(C, H, W)``; y (and indices) ``(N, C, Ho, Wo)`` or ``(C, Ho, Wo)`` with::

            Ho = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1     (ceil with ceil_mode, see pool_output_size)

        and likewise ``Wo``.

    Backward:
        Each output depends on one input element, its window's chosen max ``x[n, c, h*, w*]``, with slope 1::

            dx[n, c, h, w] = sum of dy[n, c, i, j] over the windows (i, j) whose max is at (h, w)

        A pixel can be the max of several overlapping windows (``stride < kernel``), so the shares add up.
        ``backward(dy)`` returns ``(dx,)``. With ``return_indices`` the output is ``(y, indices)`` and
        ``backward`` takes ``dy`` or the pair ``(dy, dindices)``; integer indices have no gradient, so
        ``dindices`` is ignored.

        With ``scratch.fast`` on, forward and backward run ``_pooling_kernels`` (the same picks, so the same
        output and indices; overlapping windows' gradient shares add in another order).

    Examples:
        >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
        >>> y, backward = max_pool2d(x, 2)
        >>> y
        array([[[[ 5.,  7.],
                 [13., 15.]]]])
        >>> backward(np.ones_like(y))[0].shape
        (1, 1, 4, 4)
    """
    kernel, stride, padding, dilation, out = check_pool2d_args("max_pool2d", x, kernel_size, stride, padding,
                                                               dilation, ceil_mode)
    if fast.enabled("max_pool2d"):
        return _max_pool2d_fast(x, kernel, stride, padding, dilation, out, return_indices)
    x4 = x if x.ndim == 4 else x[None]  # unbatched (C, H, W) runs as a batch of one
    N, C, H, W = x4.shape
    (kH, kW), (pH, pW), (Ho, Wo) = kernel, padding, out
    K = kH * kW
    xp = _pad(x4, padding, kernel, stride, dilation, out, -np.inf)
    taps = _taps(xp, kernel, stride, dilation, out)  # K views (N, C, Ho, Wo), row-major: tap k = a kW + b
    y4 = taps[0][2].copy()
    for _, _, tap in taps[1:]:
        np.maximum(y4, tap, out=y4)  # (N, C, Ho, Wo); NaN if the window holds one (maximum propagates it)

    # Which tap each window's max came from: torch reads a window in row-major order and keeps an element only if
    # it is strictly larger than the best so far, so it picks the FIRST tap equal to the max. Going through the
    # taps backwards and overwriting wherever a tap equals the max leaves exactly that one. A tap in the -inf
    # padding is masked out: in a window of -inf it would tie with a real -inf, and torch never reads padding.
    # "arg = k where hit" is written as arithmetic, arg -= hit * (arg - k): a masked copy (np.copyto(..., where=)
    # or np.where) measured 3 to 8 times slower on these arrays.
    rows, cols = _tap_rows_cols(kernel, stride, padding, dilation, out)
    row_real, col_real = (rows >= 0) & (rows < H), (cols >= 0) & (cols < W)
    arg = np.full(y4.shape, K, dtype=_tap_dtype(K))  # (N, C, Ho, Wo), tap a * kW + b picked
    for a, b, tap in reversed(taps):
        hit = tap == y4
        inside = row_real[:, a, None] & col_real[None, :, b]  # (Ho, Wo): the tap reads x, not padding
        if not inside.all():
            hit &= inside
        arg -= hit * (arg - (a * kW + b))
    if np.isnan(y4).any():  # torch takes every NaN it meets (NaN is never "smaller"), so the last NaN wins
        for a, b, tap in taps:
            arg -= np.isnan(tap) * (arg - (a * kW + b))
    y = y4 if x.ndim == 4 else y4[0]

    def backward(dy):
        if return_indices and isinstance(dy, (tuple, list)):
            dy = dy[0]  # the pair (dy, dindices) mirroring the output: indices are integers, without a gradient
        dy = check_grad("max_pool2d", dy, y)
        dy4 = dy.reshape(N, C, Ho, Wo)
        # dy times a 0/1 mask is exact for finite dy; an inf or NaN times 0 would be NaN, so select instead there
        # (the masked select is the slower pass, kept for the case that needs it)
        finite = np.isfinite(dy4).all()
        dxp = np.zeros(_padded_shape(x4.shape, padding, kernel, stride, dilation, out), dtype=x.dtype)
        for a, b, routed in _taps(dxp, kernel, stride, dilation, out):
            # the windows whose max sits at tap (a, b) add their dy to that pixel; the others add 0
            picked = arg == a * kW + b
            routed += dy4 * picked if finite else np.where(picked, dy4, 0)
        dx = dxp[:, :, pH:pH + H, pW:pW + W]
        return (dx if x.ndim == 4 else dx[0],)

    if not return_indices:
        return y, backward
    return (y, _picked_indices(x, arg, rows, cols, kW)), backward


def _tap_dtype(K: int):
    """The integer type of max_pool2d's picked tap ``a * kW + b`` (0 .. K, K meaning none yet)."""
    return np.int8 if K < 128 else np.int32


def _tap_rows_cols(kernel, stride, padding, dilation, out):
    """``(rows, cols)``: the input row that output row i reads at tap a, ``rows[i, a] = i sH - pH + a dH``
    ``(Ho, kH)``, and likewise the columns ``(Wo, kW)``; negative or past the input means padding."""
    (kH, kW), (sH, sW), (pH, pW), (dH, dW), (Ho, Wo) = kernel, stride, padding, dilation, out
    rows = np.arange(Ho)[:, None] * sH - pH + np.arange(kH) * dH  # (Ho, kH)
    cols = np.arange(Wo)[:, None] * sW - pW + np.arange(kW) * dW  # (Wo, kW)
    return rows, cols


def _picked_indices(x, arg, rows, cols, kW: int) -> np.ndarray:
    """torch's indices: the position ``h * W + w`` in the input plane of each window's pick, from its tap
    ``(a, b) = divmod(arg, kW)``; the shape of the output (unbatched if x is)."""
    W = x.shape[-1]
    Ho, Wo = arg.shape[-2:]
    picked_row = rows[np.arange(Ho)[:, None], arg // kW]  # (N, C, Ho, Wo)
    picked_col = cols[np.arange(Wo), arg % kW]
    indices4 = (picked_row * W + picked_col).astype(np.int64)
    return indices4 if x.ndim == 4 else indices4[0]


def check_divisor_override(layer: str, divisor_override) -> None:
    """None, or a nonzero int (torch accepts a negative one)."""
    if divisor_override is not None and (not isinstance(divisor_override, numbers.Integral)
                                         or isinstance(divisor_override, bool) or divisor_override == 0):
        raise ValueError(f"{layer} expected divisor_override to be None or a nonzero int, got {divisor_override!r}")


def _avg_divisor_1d(size: int, kernel: int, stride: int, padding: int, out: int, count_include_pad: bool):
    """How many elements each window along one dim averages, torch's rule.

    A window is first clipped to the padded input (a ceil_mode window can overhang it: that overhang never
    counts); with ``count_include_pad`` the padding inside counts, else only the input elements do.
    """
    start = np.arange(out) * stride - padding
    end = np.minimum(start + kernel, size + padding)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avg_pool2d(x: np.ndarray, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None):
    """Average pooling: ``y[n, c, i, j] = (sum over a < kH, b < kW of xpad[n, c, i sH + a, j sW + b]) / D[i, j]``.

    ``xpad`` is ``x`` padded with zeros. The divisor ``D[i, j] = Dh[i] * Dw[j]`` counts the window's elements,
    torch's way (``_avg_divisor_1d``): a window is clipped to the padded input, then with ``count_include_pad``
    (default) its padding counts, without it only real elements count. ``divisor_override``, if given, replaces
    ``D`` everywhere.

    Args:
        x: input, float32 or float64.
        kernel_size: ``k`` or ``(kH, kW)``.
        stride: ``s`` or ``(sH, sW)``; default ``kernel_size``.
        padding: implicit zero rows and columns on each side, at most ``kernel_size // 2``.
        ceil_mode: round the output size up (see ``pool_output_size``).
        count_include_pad: count the zero padding in the divisor.
        divisor_override: a nonzero int to divide every sum by.

    Shape:
        x: ``(N, C, H, W)`` or ``(C, H, W)``; y: ``(N, C, Ho, Wo)`` or ``(C, Ho, Wo)``,
        ``Ho = floor((H + 2 pH - kH) / sH) + 1`` (ceil with ceil_mode), likewise ``Wo``.

    Backward:
        Each output is a fixed weighted sum, ``dy/dx = 1 / D`` for every element of the window, so::

            dx[n, c, h, w] = sum of dy[n, c, i, j] / D[i, j] over the windows (i, j) that contain (h, w)

        (padding takes its share and is cut away). ``backward(dy)`` returns ``(dx,)``.

    Examples:
        >>> y, backward = avg_pool2d(np.ones((2, 3, 4, 4)), 3, stride=1, padding=1, count_include_pad=False)
        >>> y.shape, float(y.min())
        ((2, 3, 4, 4), 1.0)
        >>> backward(np.ones_like(y))[0].shape
        (2, 3, 4, 4)
    """
    kernel, stride, padding, dilation, out = check_pool2d_args("avg_pool2d", x, kernel_size, stride, padding, 1,
                                                               ceil_mode)
    check_divisor_override("avg_pool2d", divisor_override)
    x4 = x if x.ndim == 4 else x[None]
    N, C, H, W = x4.shape
    (kH, kW), (pH, pW), (Ho, Wo) = kernel, padding, out

    if divisor_override is not None:
        divisor = np.full((Ho, Wo), divisor_override, dtype=x.dtype)
    else:
        div_h = _avg_divisor_1d(H, kH, stride[0], pH, Ho, count_include_pad)  # (Ho,)
        div_w = _avg_divisor_1d(W, kW, stride[1], pW, Wo, count_include_pad)  # (Wo,)
        divisor = np.outer(div_h, div_w).astype(x.dtype)  # (Ho, Wo)

    xp = _pad(x4, padding, kernel, stride, dilation, out, 0.0)
    taps = _taps(xp, kernel, stride, dilation, out)
    y4 = taps[0][2].copy()
    for _, _, tap in taps[1:]:
        y4 += tap  # (N, C, Ho, Wo): the window sums
    y4 /= divisor
    y = y4 if x.ndim == 4 else y4[0]

    def backward(dy):
        dy = check_grad("avg_pool2d", dy, y)
        share = dy.reshape(N, C, Ho, Wo) / divisor  # what each element of window (i, j) receives
        dxp = np.zeros(xp.shape, dtype=x.dtype)
        for _, _, shared in _taps(dxp, kernel, stride, dilation, out):
            shared += share
        dx = dxp[:, :, pH:pH + H, pW:pW + W]
        return (dx if x.ndim == 4 else dx[0],)

    return y, backward


def check_adaptive_output_size(layer: str, x, output_size) -> tuple:
    """Validate an adaptive pooling call; return ``(Ho, Wo)``, with a None entry replaced by the input's size."""
    check_float(layer, "input", x)
    check_ndim(layer, "input", x, (3, 4), "(N, C, H, W) or (C, H, W)")
    H, W = x.shape[-2:]
    if H == 0 or W == 0:
        raise ValueError(f"{layer} expected an input with non-empty H and W, got shape {fmt_shape(x.shape)}")
    if isinstance(output_size, numbers.Integral) and not isinstance(output_size, bool):
        sizes = (output_size, output_size)
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        sizes = tuple(output_size)
    else:
        raise TypeError(f"{layer} expected output_size to be an int or a pair of ints or None, got {output_size!r}")
    out = tuple(n if s is None else s for s, n in zip(sizes, (H, W)))
    if any(not isinstance(s, numbers.Integral) or isinstance(s, bool) or s < 0 for s in out):
        raise ValueError(f"{layer} expected output_size entries to be ints >= 0 or None, got {output_size!r}")
    return tuple(int(s) for s in out)


def _adaptive_windows(size: int, out: int) -> list:
    """torch's adaptive windows along one dim: ``[(start, end), ...]``, window i covering
    ``floor(i size / out) <= h < ceil((i + 1) size / out)``."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def adaptive_avg_pool2d(x: np.ndarray, output_size):
    """Average pooling to a fixed output size: ``y[n, c, i, j] = mean of x[n, c, h0(i):h1(i), w0(j):w1(j)]``.

    The windows come from the output size, torch's rule: ``h0(i) = floor(i H / Ho)``, ``h1(i) = ceil((i + 1) H / Ho)``
    (likewise for w), so they tile the input, overlapping by a pixel where ``Ho`` does not divide ``H``.
    ``output_size=1`` is global average pooling, the head of a ResNet.

    A sum over a rectangle is a sum over its rows of a sum over its columns, so the windows are summed in two
    passes, rows first (``Ho`` sums over slabs of rows, giving ``(..., Ho, W)``), then columns, and divided by the
    area. Each window sums its own pixels only: an inf or NaN reaches just the outputs whose windows contain it, as in
    torch. (Writing the two passes as products with ``(Ho, H)`` and ``(Wo, W)`` averaging matrices, 0 outside each
    window, is shorter, but multiplies every pixel by those zeros: one inf made the whole plane NaN.)

    Args:
        x: input, float32 or float64.
        output_size: ``o`` or ``(Ho, Wo)``; an entry None keeps that input size.

    Shape:
        x: ``(N, C, H, W)`` or ``(C, H, W)``; y: ``(N, C, Ho, Wo)`` or ``(C, Ho, Wo)``.

    Backward:
        y is linear in x; every pixel of window ``(i, j)`` receives ``dy[i, j] / area(i, j)``, added up over the
        windows that contain it (neighbours overlap by a pixel)::

            dx[n, c, h, w] = sum over windows (i, j) containing (h, w) of dy[n, c, i, j] / area(i, j)

        spread in the same two passes, columns then rows. ``backward(dy)`` returns ``(dx,)``.

    Examples:
        >>> y, backward = adaptive_avg_pool2d(np.ones((2, 8, 5, 7)), 1)
        >>> y.shape, backward(np.ones_like(y))[0].shape
        ((2, 8, 1, 1), (2, 8, 5, 7))
    """
    Ho, Wo = check_adaptive_output_size("adaptive_avg_pool2d", x, output_size)
    H, W = x.shape[-2:]
    rows, cols = _adaptive_windows(H, Ho), _adaptive_windows(W, Wo)
    area = np.outer([h1 - h0 for h0, h1 in rows], [w1 - w0 for w0, w1 in cols]).astype(x.dtype)  # (Ho, Wo)
    row_sums = np.empty(x.shape[:-2] + (Ho, W), x.dtype)
    for i, (h0, h1) in enumerate(rows):
        np.sum(x[..., h0:h1, :], axis=-2, out=row_sums[..., i, :])
    y = np.empty(x.shape[:-2] + (Ho, Wo), x.dtype)
    for j, (w0, w1) in enumerate(cols):
        np.sum(row_sums[..., w0:w1], axis=-1, out=y[..., j])
    y /= area

    def backward(dy):
        dy = check_grad("adaptive_avg_pool2d", dy, y)
        share = dy / area  # what each pixel of window (i, j) receives
        drows = np.zeros(x.shape[:-2] + (Ho, W), x.dtype)
        for j, (w0, w1) in enumerate(cols):
            drows[..., w0:w1] += share[..., j, None]
        dx = np.zeros(x.shape, x.dtype)
        for i, (h0, h1) in enumerate(rows):
            dx[..., h0:h1, :] += drows[..., i, None, :]
        return (dx,)

    return y, backward


# Fast path (scratch.fast) ---------------------------------------------------------------------------------------------


def _max_pool2d_fast(x, kernel, stride, padding, dilation, out, return_indices: bool):
    """max_pool2d with ``scratch.fast`` on, through ``_pooling_kernels``: the same picks as the definition (so the
    same output and indices), each window read once forward and each gradient scattered once backward (overlapping
    windows' gradient shares add in another order)."""
    x4 = np.ascontiguousarray(x if x.ndim == 4 else x[None])
    N, C, H, W = x4.shape
    (kH, kW), (sH, sW), (pH, pW), (dH, dW), (Ho, Wo) = kernel, stride, padding, dilation, out
    y4, arg = np.empty((N, C, Ho, Wo), x.dtype), np.empty((N, C, Ho, Wo), _tap_dtype(kH * kW))
    side_by_side = (kH, kW, sH, sW, pH, pW, dH, dW) == (2, 2, 2, 2, 0, 0, 1, 1) and 2 * Ho <= H and 2 * Wo <= W
    if side_by_side:  # 2x2 windows side by side, none over the edge
        _pooling_kernels.max_pool_forward_2x2(x4, y4, arg)
    else:
        _pooling_kernels.max_pool_forward(x4, kH, kW, sH, sW, pH, pW, dH, dW, y4, arg)
    y = y4 if x.ndim == 4 else y4[0]

    def backward(dy):
        if return_indices and isinstance(dy, (tuple, list)):
            dy = dy[0]
        dy = check_grad("max_pool2d", dy, y)
        dy4 = np.ascontiguousarray(dy.reshape(N, C, Ho, Wo), dtype=x.dtype)
        if side_by_side:  # writes every pixel a window covers; only an odd last row or column needs zeros
            tiled = 2 * Ho == H and 2 * Wo == W
            dx = (np.empty if tiled else np.zeros)((N, C, H, W), x.dtype)
            _pooling_kernels.max_pool_backward_2x2(dy4, arg, dx)
        else:
            dx = np.zeros((N, C, H, W), x.dtype)
            _pooling_kernels.max_pool_backward(dy4, arg, kW, sH, sW, pH, pW, dH, dW, dx)
        return (dx if x.ndim == 4 else dx[0],)

    if not return_indices:
        return y, backward
    rows, cols = _tap_rows_cols(kernel, stride, padding, dilation, out)
    return (y, _picked_indices(x, arg, rows, cols, kW)), backward
