"""Normalisation layers: ``batch_norm``, ``layer_norm``, ``group_norm``.

All three do the same two things and differ only in which axes they average over:

1. standardise: ``xhat = (x - mean) / sqrt(var + eps)``, mean and (biased) variance over some axes;
2. scale and shift: ``y = xhat * weight + bias``, one weight and bias per feature.

- batch_norm: statistics per channel, over N and every spatial dim; weight and bias per channel;
- layer_norm: statistics per sample, over the trailing ``normalized_shape``; weight and bias per element of it;
- group_norm: statistics per sample and group of channels, over the group and every spatial dim; weight and bias
  per channel.

So the two steps and their derivatives are written once, in ``_standardize`` and ``_affine``, and each layer is a
few lines choosing the axes and composing the two closures. One exception, for speed: batch_norm's weight is constant
over the axes it averages, so in training its backward folds the two steps into one (derived in its docstring).

With ``scratch.fast`` on (off by default; training and the benchmarks turn it on), batch_norm in training on inputs
with spatial dims runs ``_normalization_kernels`` instead, in one early return after validation: the same formulas in
five passes over memory instead of about twenty. Everything below that return is the definition.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from scratch import fast
from scratch._checks import check_float, check_grad, check_min_ndim, check_optional_float, fmt_shape
from scratch.functional import _normalization_kernels


def _standardize(x: np.ndarray, axes: tuple, eps: float):
    """``xhat = (x - mean) / sqrt(var + eps)`` with mean and biased variance over ``axes``.

    Returns ``(xhat, mean, var, inv_std, backward)``: the statistics keep their reduced dims (size 1), and
    ``backward(dxhat)`` returns ``dx`` (through ``_standardize_grad``).

    Backward:
        Write ``n`` for the number of elements averaged, ``s = 1 / sqrt(var + eps)`` and sums over ``axes``.
        ``xhat_i = (x_i - mean) s`` depends on ``x_j`` three ways: directly, through the mean and through ``s``::

            dmean/dx_j = 1/n          ds/dx_j = -s^3 (x_j - mean) / n = -s^2 xhat_j / n

        (the mean's own term in ``dvar/dx_j`` vanishes because the deviations sum to zero), so
        ``dxhat_i/dx_j = s ([i == j] - 1/n - xhat_i xhat_j / n)`` and, contracting with ``dxhat``::

            dx = (1/n) s (n dxhat - sum(dxhat) - xhat sum(dxhat xhat))

        ``- sum(dxhat)`` is the path through the mean, ``- xhat sum(dxhat xhat)`` the path through the variance.
        Both are projections: shifting or scaling all of a group's inputs together leaves ``xhat`` unchanged, so
        ``dx`` sums to zero over ``axes`` and is orthogonal to ``xhat``.
    """
    # A group of no values (group_norm of a zero spatial size, layer_norm over a size 0) has no statistics, and needs
    # none: its xhat, y and dx are empty. Dividing its zero sums by 1 rather than 0 keeps 0 / 0 out of them.
    n = max(math.prod(x.shape[a] for a in axes), 1)
    mean = _sum(x, axes) / n
    centered = x - mean
    # Two passes (subtract the mean, then square) rather than E[x^2] - E[x]^2, which cancels catastrophically
    # when the mean is large compared with the spread.
    var = _sum(centered, axes, centered) / n
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = centered
    xhat *= inv_std  # in place: centered is a fresh array, needed no more

    def backward(dxhat):
        return _standardize_grad(dxhat, xhat, _sum(dxhat, axes), _sum(dxhat, axes, xhat), n, inv_std)

    return xhat, mean, var, inv_std, backward


def _standardize_grad(g, xhat, sum_g, sum_g_xhat, n: int, scale):
    """``scale * (g - sum_g / n - xhat * sum_g_xhat / n)``: ``_standardize``'s backward formula, one pass over the
    array per term.

    With ``g = dxhat`` and ``scale = inv_std`` it is ``dx``. batch_norm calls it with ``g = dy`` and
    ``scale = inv_std * weight`` (its per-channel weight factored out of the sums, see there).
    """
    dx = xhat * (sum_g_xhat / n)
    np.subtract(g, dx, out=dx)
    dx -= sum_g / n  # the path through the mean
    dx *= scale
    return dx


def _sum(a: np.ndarray, axes: tuple, b: np.ndarray | None = None) -> np.ndarray:
    """The sum of ``a`` (or of ``a * b``) over ``axes``, keeping them as size-1 dims.

    One pass through einsum's loop, without the temporary ``a * b``; measured two to three times faster than
    ``(a * b).sum(axis=axes)`` on the benchmark's batch-norm and layer-norm shapes.
    """
    if a.ndim > 52:  # einsum names at most 52 dims
        return (a if b is None else a * b).sum(axis=axes, keepdims=True)
    dims = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[:a.ndim]
    kept = "".join(d for i, d in enumerate(dims) if i not in axes)
    total = np.einsum(f"{dims}->{kept}", a) if b is None else np.einsum(f"{dims},{dims}->{kept}", a, b)
    return total.reshape([1 if i in axes else size for i, size in enumerate(a.shape)])


def _affine(xhat: np.ndarray, weight, bias, view: tuple, axes: tuple):
    """``y = xhat * weight + bias`` (either may be None), the per-feature scale and shift after standardising.

    ``view`` is the shape weight and bias take to broadcast against ``xhat`` (``(C, 1, 1)`` for NCHW, the
    normalised shape for layer_norm); ``axes`` are the dims they are shared over, which their gradients sum.

    Returns ``(y, backward)`` with ``backward(dy) -> (dxhat, dweight, dbias)``::

        dxhat = dy * weight     dweight = sum(dy * xhat)     dbias = sum(dy)
    """
    w = None if weight is None else weight.reshape(view)
    if w is None:  # xhat is kept for the backward: never written into
        y = xhat if bias is None else xhat + bias.reshape(view)
    else:
        y = xhat * w
        if bias is not None:
            y += bias.reshape(view)  # y is a fresh array: in place saves a pass

    def backward(dy):
        dxhat = dy if w is None else dy * w
        dweight = None if weight is None else _sum(dy, axes, xhat).reshape(weight.shape)
        dbias = None if bias is None else _sum(dy, axes).reshape(bias.shape)
        return dxhat, dweight, dbias

    return y, backward


def _check_eps(layer: str, eps) -> None:
    if not isinstance(eps, numbers.Real) or not eps >= 0:
        raise ValueError(f"{layer} expected eps >= 0, got {eps!r}")


def batch_norm(x: np.ndarray, running_mean: np.ndarray | None, running_var: np.ndarray | None,
               weight: np.ndarray | None = None, bias: np.ndarray | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5):
    """Batch normalisation, ``y = (x - mean) / sqrt(var + eps) * weight + bias``, statistics per channel.

    In training the mean and biased variance of the batch are used, over every dim except the channel dim 1, and
    the running statistics (when given) are updated IN PLACE, as torch does::

        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var  = (1 - momentum) * running_var  + momentum * var * n / (n - 1)

    with ``n = N * L`` (or ``N * H * W``) the number of values per channel: the running variance is the UNBIASED
    estimate, although the batch is normalised with the biased one. Out of training, the running statistics
    normalise and nothing is updated. An empty batch (N = 0, or a spatial size 0) has no statistics: as in torch it
    leaves the running ones unchanged and gets zero weight and bias gradients.

    Args:
        x: input, float32 or float64.
        running_mean, running_var: ``(C,)`` buffers of x's dtype, or None (torch's track_running_stats=False;
            then training must be True).
        weight, bias: ``(C,)`` or None.
        training: use (and track) batch statistics.
        momentum: weight of the new batch in the running averages (``nn.BatchNorm*(momentum=None)`` passes
            ``1 / num_batches_tracked`` here, a cumulative average).
        eps: added to the variance, for a channel whose values are all equal.

    Shape:
        x: ``(N, C)``, ``(N, C, L)``, ``(N, C, H, W)`` or any ``(N, C, *)``; y: same as x.

    Backward:
        Training, with ``dxhat = dy * weight``, ``s = 1 / sqrt(var + eps)`` and sums over all dims but C::

            dx      = (1/n) s (n dxhat - sum(dxhat) - xhat sum(dxhat xhat))
            dweight = sum(dy xhat)
            dbias   = sum(dy)

        (derivation in ``_standardize``). The weight is one number per channel, constant over the summed dims, so
        it factors out of both sums, ``sum(dxhat) = weight dbias`` and ``sum(dxhat xhat) = weight dweight``: the
        code computes the two sums once for all three gradients and never forms ``dxhat``::

            dx      = (weight s / n) (n dy - dbias - xhat dweight)

        Evaluation: mean and var are constants, so ``dx = dy * weight * s``.
        ``backward(dy)`` returns ``(dx, None, None, dweight, dbias)``: running statistics get no gradient.

        With ``scratch.fast`` on, training on inputs with spatial dims runs these formulas in the fused kernels of
        ``_normalization_kernels`` (the same values to rounding).

    Examples:
        >>> x = np.arange(24.0).reshape(4, 3, 2)
        >>> rm, rv = np.zeros(3), np.ones(3)
        >>> y, backward = batch_norm(x, rm, rv, np.ones(3), np.zeros(3), training=True)
        >>> y.shape, rm.round(2)  # 0.1 * channel means 9.5, 11.5, 13.5
        ((4, 3, 2), array([0.95, 1.15, 1.35]))
        >>> [None if g is None else g.shape for g in backward(np.ones_like(y))]
        [(4, 3, 2), None, None, (3,), (3,)]
    """
    check_float("batch_norm", "input", x)
    check_min_ndim("batch_norm", "input", x, 2, "(N, C, *)")
    N, C = x.shape[:2]
    check_optional_float("batch_norm", "running_mean", running_mean, x, (C,))
    check_optional_float("batch_norm", "running_var", running_var, x, (C,))
    check_optional_float("batch_norm", "weight", weight, x, (C,))
    check_optional_float("batch_norm", "bias", bias, x, (C,))
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm expected running_mean and running_var both given or both None")
    if not training and running_mean is None:
        raise ValueError("batch_norm needs running_mean and running_var in evaluation mode (training=False)")
    if not isinstance(momentum, numbers.Real):
        raise TypeError(f"batch_norm expected momentum to be a float, got {momentum!r} "
                        "(nn.BatchNorm's momentum=None passes 1 / num_batches_tracked)")
    _check_eps("batch_norm", eps)
    axes = (0,) + tuple(range(2, x.ndim))  # every dim but the channels
    view = (C,) + (1,) * (x.ndim - 2)  # weight, bias and statistics broadcast along dim 1
    n = N * math.prod(x.shape[2:])  # values per channel

    if training and n == 1:
        raise ValueError(f"batch_norm expected more than 1 value per channel when training, "
                         f"got input of shape {fmt_shape(x.shape)}")
    if training and n == 0:
        return _batch_norm_of_nothing(x, weight, bias)
    # (N, C) features stay in NumPy: there the kernels' strided loops lose
    if training and x.ndim >= 3 and fast.enabled("batch_norm"):
        return _batch_norm_train_fast(x, running_mean, running_var, weight, bias, momentum, eps)

    if training:
        xhat, mean, var, inv_std, standardize_backward = _standardize(x, axes, eps)
        _update_running_stats(running_mean, running_var, mean.reshape(C), var.reshape(C), momentum, n)
    else:
        inv_std = (1.0 / np.sqrt(running_var + eps)).reshape(view)
        xhat = (x - running_mean.reshape(view)) * inv_std

        def standardize_backward(dxhat):
            return dxhat * inv_std

    y, affine_backward = _affine(xhat, weight, bias, view, axes)

    def backward(dy):
        dy = check_grad("batch_norm", dy, y)
        if not training:
            dxhat, dweight, dbias = affine_backward(dy)
            return standardize_backward(dxhat), None, None, dweight, dbias
        # _affine's backward, then _standardize's, with the per-channel weight factored out of the sums (see above)
        sum_dy = _sum(dy, axes)  # (1, C, 1, ...): dbias
        sum_dy_xhat = _sum(dy, axes, xhat)  # dweight
        scale = inv_std if weight is None else inv_std * weight.reshape(view)
        dx = _standardize_grad(dy, xhat, sum_dy, sum_dy_xhat, n, scale)
        dweight = None if weight is None else sum_dy_xhat.reshape(C)
        dbias = None if bias is None else sum_dy.reshape(C)
        return dx, None, None, dweight, dbias

    return y, backward


def _batch_norm_of_nothing(x, weight, bias):
    """batch_norm in training on an empty batch (N = 0, or a spatial size 0), as torch does it.

    There are no statistics to take: the batch's mean would be 0 / 0 = NaN, and one such batch would write NaN into
    the running statistics for good. torch leaves them as they are, returns the empty output, and gives the weight
    and bias zero gradients (sums over no values).
    """
    y = np.empty(x.shape, x.dtype)

    def backward(dy):
        check_grad("batch_norm", dy, y)
        dweight = None if weight is None else np.zeros_like(weight)
        dbias = None if bias is None else np.zeros_like(bias)
        return np.empty(x.shape, x.dtype), None, None, dweight, dbias

    return y, backward


def _update_running_stats(running_mean, running_var, mean, var, momentum: float, n: int) -> None:
    """torch's in-place update of the running statistics (when tracked) from a batch's mean and biased var."""
    if running_mean is not None:
        running_mean[...] = (1 - momentum) * running_mean + momentum * mean
        running_var[...] = (1 - momentum) * running_var + momentum * var * (n / (n - 1))


def normalized_shape_tuple(layer: str, normalized_shape) -> tuple:
    """torch's ``normalized_shape``, an int or a sequence of ints, as a tuple."""
    if isinstance(normalized_shape, numbers.Integral):
        shape = (int(normalized_shape),)
    else:
        try:
            shape = tuple(int(s) for s in normalized_shape)
        except TypeError:
            raise TypeError(f"{layer} expected normalized_shape to be an int or a tuple of ints, "
                            f"got {normalized_shape!r}") from None
    if not shape or any(s < 0 for s in shape):
        hint = ": a negative size is invalid" if any(s < 0 for s in shape) else ""
        raise ValueError(f"{layer} expected normalized_shape to be one or more sizes >= 0, "
                         f"got {normalized_shape!r}{hint}")
    return shape


def layer_norm(x: np.ndarray, normalized_shape, weight: np.ndarray | None = None, bias: np.ndarray | None = None,
               eps: float = 1e-5):
    """Layer normalisation, ``y = (x - mean) / sqrt(var + eps) * weight + bias``, statistics per sample.

    Mean and biased variance are taken over the trailing dims given by ``normalized_shape``, separately for every
    position in the leading dims (every sample, every token): no batch statistics, no running averages, the same
    computation in training and evaluation.

    Args:
        x: input, float32 or float64.
        normalized_shape: an int or a tuple: the trailing shape of x to normalise over.
        weight, bias: of shape ``normalized_shape``, or None.
        eps: added to the variance.

    Shape:
        x: ``(*, *normalized_shape)``; y: same as x.

    Backward:
        With ``dxhat = dy * weight``, ``n = prod(normalized_shape)``, ``s = 1 / sqrt(var + eps)``, sums over the
        normalised dims for dx and over the leading dims for the parameters::

            dx      = (1/n) s (n dxhat - sum(dxhat) - xhat sum(dxhat xhat))
            dweight = sum(dy xhat)
            dbias   = sum(dy)

        (derivation in ``_standardize``). ``backward(dy)`` returns ``(dx, dweight, dbias)``.

    Examples:
        >>> x = np.random.default_rng(0).standard_normal((2, 5, 8))
        >>> y, backward = layer_norm(x, 8, np.ones(8), np.zeros(8))
        >>> y.shape, np.allclose(y.mean(-1), 0)
        ((2, 5, 8), True)
        >>> [g.shape for g in backward(np.ones_like(y))]
        [(2, 5, 8), (8,), (8,)]
    """
    check_float("layer_norm", "input", x)
    shape = normalized_shape_tuple("layer_norm", normalized_shape)
    k = len(shape)
    if x.ndim < k or x.shape[x.ndim - k:] != shape:
        raise ValueError(f"layer_norm expected input of shape (*, {', '.join(map(str, shape))}) to match "
                         f"normalized_shape={shape}, got {fmt_shape(x.shape)}")
    check_optional_float("layer_norm", "weight", weight, x, shape)
    check_optional_float("layer_norm", "bias", bias, x, shape)
    _check_eps("layer_norm", eps)
    axes = tuple(range(x.ndim - k, x.ndim))  # the normalised trailing dims
    lead = tuple(range(x.ndim - k))  # the dims weight and bias are shared over

    xhat, _, _, _, standardize_backward = _standardize(x, axes, eps)
    y, affine_backward = _affine(xhat, weight, bias, shape, lead)

    def backward(dy):
        dy = check_grad("layer_norm", dy, y)
        dxhat, dweight, dbias = affine_backward(dy)
        return standardize_backward(dxhat), dweight, dbias

    return y, backward


def group_norm(x: np.ndarray, num_groups: int, weight: np.ndarray | None = None, bias: np.ndarray | None = None,
               eps: float = 1e-5):
    """Group normalisation: the channels split into ``num_groups`` groups of consecutive channels, each group of
    each sample standardised on its own, then ``y = xhat * weight + bias`` per channel.

    ``num_groups=1`` is layer norm over ``(C, *)`` with per-channel affine; ``num_groups=C`` is instance norm.
    Channels ``[g * C/G, (g + 1) * C/G)`` form group ``g``: torch's order, which matters when loading weights.

    Args:
        x: input, float32 or float64.
        num_groups: G, which must divide C.
        weight, bias: ``(C,)`` or None.
        eps: added to the variance.

    Shape:
        x: ``(N, C, *)``; y: same as x. Internally x is viewed as ``(N, G, C/G * prod(*))``.

    Backward:
        With ``dxhat = dy * weight`` viewed as ``(N, G, n)``, ``n = C/G * prod(*)``, ``s = 1 / sqrt(var + eps)``
        per (sample, group) and sums over each group's ``n`` values for dx, over N and ``*`` for the parameters::

            dx      = (1/n) s (n dxhat - sum(dxhat) - xhat sum(dxhat xhat))
            dweight = sum(dy xhat)
            dbias   = sum(dy)

        (derivation in ``_standardize``). ``backward(dy)`` returns ``(dx, dweight, dbias)``.

    Examples:
        >>> x = np.random.default_rng(0).standard_normal((2, 6, 4, 4))
        >>> y, backward = group_norm(x, 3, np.ones(6), np.zeros(6))
        >>> y.shape
        (2, 6, 4, 4)
        >>> [g.shape for g in backward(np.ones_like(y))]
        [(2, 6, 4, 4), (6,), (6,)]
    """
    check_float("group_norm", "input", x)
    check_min_ndim("group_norm", "input", x, 2, "(N, C, *)")
    N, C = x.shape[:2]
    if not isinstance(num_groups, numbers.Integral) or num_groups < 1:
        raise ValueError(f"group_norm expected num_groups to be a positive int, got {num_groups!r}")
    if C % num_groups:
        raise ValueError(f"group_norm expected the number of channels to be divisible by num_groups, "
                         f"got input of shape {fmt_shape(x.shape)} (C={C}) and num_groups={num_groups}")
    check_optional_float("group_norm", "weight", weight, x, (C,))
    check_optional_float("group_norm", "bias", bias, x, (C,))
    _check_eps("group_norm", eps)
    if N * (C // num_groups) * math.prod(x.shape[2:]) == 1:
        # torch's own check (F.group_norm calls _verify_batch_size on (N * C/G, G, *)).
        raise ValueError(f"group_norm expected more than 1 value per channel when training, got input of shape "
                         f"{fmt_shape(x.shape)} and num_groups={num_groups}")
    spatial = tuple(range(2, x.ndim))

    # A reshape keeps C-order, so each row of the (N, G, n) view holds the consecutive channels of one group.
    n = C // num_groups * math.prod(x.shape[2:])  # written out: reshape cannot infer -1 for an empty batch
    grouped = x.reshape(N, num_groups, n)  # (N, G, C/G * prod(*))
    xhat_grouped, _, _, _, standardize_backward = _standardize(grouped, (2,), eps)
    xhat = xhat_grouped.reshape(x.shape)
    y, affine_backward = _affine(xhat, weight, bias, (C,) + (1,) * len(spatial), (0,) + spatial)

    def backward(dy):
        dy = check_grad("group_norm", dy, y)
        dxhat, dweight, dbias = affine_backward(dy)
        dx = standardize_backward(dxhat.reshape(N, num_groups, n)).reshape(x.shape)
        return dx, dweight, dbias

    return y, backward


# Fast path (scratch.fast) ---------------------------------------------------------------------------------------------


def _batch_norm_train_fast(x, running_mean, running_var, weight, bias, momentum: float, eps: float):
    """batch_norm in training with ``scratch.fast`` on, through the numba kernels: the same values as the definition
    (to rounding), the formulas regrouped per channel as ``_normalization_kernels`` derives."""
    N, C = x.shape[:2]
    L = math.prod(x.shape[2:])
    x3 = np.ascontiguousarray(x).reshape(N, C, L)  # explicit L: reshape cannot infer it for an empty batch
    n = N * L
    mean, var = np.empty(C), np.empty(C)  # float64 whatever x's dtype
    _normalization_kernels.channel_stats(x3, mean, var)
    _update_running_stats(running_mean, running_var, mean.astype(x.dtype), var.astype(x.dtype), momentum, n)
    inv_std = 1.0 / np.sqrt(var + eps)
    a = inv_std if weight is None else inv_std * weight
    y = np.empty(x.shape, x.dtype)
    _normalization_kernels.affine_output(x3, mean, a, np.zeros(C) if bias is None else bias.astype(np.float64),
                                         y.reshape(x3.shape))

    def backward(dy):
        dy = check_grad("batch_norm", dy, y)
        dy3 = np.ascontiguousarray(dy).reshape(x3.shape)
        sum_dy, sum_dy_centered = np.empty(C), np.empty(C)
        _normalization_kernels.grad_sums(dy3, x3, mean, sum_dy, sum_dy_centered)
        dx = np.empty(x.shape, x.dtype)
        _normalization_kernels.grad_input(dy3, x3, mean, a, -a * inv_std ** 2 * sum_dy_centered / n, -a * sum_dy / n,
                                          dx.reshape(x3.shape))
        dweight = None if weight is None else (inv_std * sum_dy_centered).astype(x.dtype)
        dbias = None if bias is None else sum_dy.astype(x.dtype)
        return dx, None, None, dweight, dbias

    return y, backward
