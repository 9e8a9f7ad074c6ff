"""Elementwise activations and the softmax family.

Each function returns ``(y, backward)``; ``backward(dy)`` returns ``(dx,)``. Where an activation has a kink
(relu, leaky_relu, elu at 0), the gradient at the kink is torch's choice, noted in each docstring.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import erf

from scratch._checks import check_dim, check_float, check_grad


def relu(x: np.ndarray):
    """``y = max(x, 0)``.

    Backward:
        ``dx = dy`` where ``x > 0``, else 0. At ``x == 0`` the gradient is 0, torch's choice. As in torch the
        gradient is selected, not multiplied by a 0/1 mask: an inactive unit gets an exact 0 even for a NaN or inf
        ``dy``, and a NaN input (whose output is NaN) passes ``dy`` through.

    Examples:
        >>> y, backward = relu(np.array([-1.0, 0.0, 2.0]))
        >>> y, backward(np.ones(3))[0]
        (array([0., 0., 2.]), array([0., 0., 1.]))
    """
    check_float("relu", "input", x)
    active = ~(x <= 0)  # not "x > 0": NaN is active, as in torch's threshold_backward (which tests y <= 0)
    # np.maximum rather than np.where(mask, x, 0): several times faster on random signs, and NaN stays NaN as in torch.
    y = np.maximum(x, 0).astype(x.dtype, copy=False)

    def backward(dy):
        dy = check_grad("relu", dy, y)
        # Multiplying by the mask, not np.where(active, dy, 0): ten times faster on random signs (0.05 against 0.54
        # ms at (32, 6, 28, 28), LeNet-5's first activation). It differs from selecting only where a NaN or inf dy
        # meets an inactive unit (0 * inf = NaN), so those are set to torch's exact 0 afterwards.
        with np.errstate(invalid="ignore"):  # 0 * inf is fixed just below, not worth a warning
            dx = dy * active
        if np.isnan(dx).any():
            dx[~active] = 0
        return (dx,)

    return y, backward


def leaky_relu(x: np.ndarray, negative_slope: float = 0.01):
    """``y = x`` where ``x > 0``, else ``negative_slope * x``.

    Backward:
        ``dx = dy`` where ``x > 0``, else ``negative_slope * dy`` (so at ``x == 0`` the slope is ``negative_slope``,
        as in torch).
    """
    check_float("leaky_relu", "input", x)
    mask = x > 0
    y = np.where(mask, x, x * negative_slope).astype(x.dtype, copy=False)

    def backward(dy):
        dy = check_grad("leaky_relu", dy, y)
        return (np.where(mask, dy, dy * negative_slope).astype(x.dtype, copy=False),)

    return y, backward


def elu(x: np.ndarray, alpha: float = 1.0):
    """``y = x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Backward:
        ``dx = dy`` where ``x > 0``, else ``dy * alpha * exp(x)``. ``expm1`` keeps small negative inputs accurate.
    """
    check_float("elu", "input", x)
    mask = x > 0
    negative = np.minimum(x, 0)  # exp of a large positive x would overflow in the branch np.where discards
    y = np.where(mask, x, alpha * np.expm1(negative)).astype(x.dtype, copy=False)

    def backward(dy):
        dy = check_grad("elu", dy, y)
        return (np.where(mask, dy, dy * (alpha * np.exp(negative))).astype(x.dtype, copy=False),)

    return y, backward


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def gelu(x: np.ndarray, approximate: str = "none"):
    """Gaussian error linear unit, ``y = x * Phi(x)``, Phi the standard normal CDF.

    Args:
        approximate: ``'none'`` for the exact ``Phi(x) = (1 + erf(x / sqrt 2)) / 2``, or ``'tanh'`` for
            ``y = x/2 * (1 + tanh(u))``, ``u = sqrt(2/pi) * (x + 0.044715 x^3)``.

    Backward:
        exact: ``dx = dy * (Phi(x) + x * phi(x))``, ``phi(x) = exp(-x^2/2) / sqrt(2 pi)``.
        tanh:  ``dx = dy * (0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2))``, ``t = tanh(u)``.
    """
    check_float("gelu", "input", x)
    if approximate == "none":
        cdf = 0.5 * (1.0 + erf(x / math.sqrt(2.0)))
        y = x * cdf

        def backward(dy):
            dy = check_grad("gelu", dy, y)
            pdf = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
            return (dy * (cdf + x * pdf),)

    elif approximate == "tanh":
        t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3))
        y = 0.5 * x * (1.0 + t)

        def backward(dy):
            dy = check_grad("gelu", dy, y)
            du = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x)
            return (dy * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du),)

    else:
        raise ValueError(f"gelu expected approximate to be 'none' or 'tanh', got {approximate!r}")
    return y, backward


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """The values of ``1 / (1 + exp(-x))``, no backward: the sigmoid that ``sigmoid``, ``silu``, the LSTM and GRU
    gates and ``binary_cross_entropy_with_logits`` share.

    exp of a negative argument only: with ``e = exp(-|x|)``, ``1 / (1 + e)`` for x >= 0 and ``e / (1 + e)`` for
    x < 0. Neither can overflow, and both keep their relative precision where the result is tiny.
    """
    e = np.exp(-np.abs(x))  # in (0, 1]
    # The numerator, 1 where x >= 0 and e below, as max(e, [x >= 0]): np.where is several times slower on the
    # small arrays of a recurrent step (measured 51 vs 6 us at (32, 512) float32), and this is the gates' hot path.
    return np.maximum(e, x >= 0) / (1 + e)


def sigmoid(x: np.ndarray):
    """``y = 1 / (1 + exp(-x))``, evaluated without overflow for large ``|x|``.

    Backward:
        ``dx = dy * y * (1 - y)``.
    """
    check_float("sigmoid", "input", x)
    y = stable_sigmoid(x)

    def backward(dy):
        dy = check_grad("sigmoid", dy, y)
        return (dy * y * (1.0 - y),)

    return y, backward


def tanh(x: np.ndarray):
    """``y = tanh(x)``.

    Backward:
        ``dx = dy * (1 - y^2)``.
    """
    check_float("tanh", "input", x)
    y = np.tanh(x)

    def backward(dy):
        dy = check_grad("tanh", dy, y)
        return (dy * (1.0 - y * y),)

    return y, backward


def silu(x: np.ndarray):
    """Sigmoid linear unit (swish), ``y = x * sigmoid(x)``.

    Backward:
        ``dx = dy * s * (1 + x (1 - s))``, ``s = sigmoid(x)``.
    """
    check_float("silu", "input", x)
    s = stable_sigmoid(x)
    y = x * s

    def backward(dy):
        dy = check_grad("silu", dy, y)
        return (dy * s * (1.0 + x * (1.0 - s)),)

    return y, backward


def softmax(x: np.ndarray, dim: int):
    """``y_i = exp(x_i) / sum_j exp(x_j)`` along ``dim``.

    The max along ``dim`` is subtracted first: it cancels in the ratio and keeps every exponent <= 0, so logits of
    1e4 give the right finite answer instead of inf/inf.

    Backward:
        The Jacobian is ``diag(y) - y y^T``, so ``dx = y * (dy - sum_j(dy_j * y_j))`` along ``dim``.
    """
    check_float("softmax", "input", x)
    dim = check_dim("softmax", dim, x.ndim)
    axis = dim if x.ndim else None
    # One output array, every step in place. fmax instead of max: the same shift wherever it matters (a NaN in a
    # row makes the whole row NaN either way, through the sum) and faster, as it need not look for NaNs.
    # initial: a dim of size 0 (no classes) has no max, and its empty result needs none.
    with np.errstate(over="ignore"):  # see log_softmax: a difference past the float range is -inf, exp gives 0
        y = np.subtract(x, np.fmax.reduce(x, axis=axis, keepdims=True, initial=-np.inf), out=np.empty_like(x))
    np.exp(y, out=y)
    y /= np.sum(y, axis=axis, keepdims=True)

    def backward(dy):
        dy = check_grad("softmax", dy, y)
        dx = np.multiply(dy, y, out=np.empty_like(y))
        np.subtract(dy, np.sum(dx, axis=axis, keepdims=True), out=dx)
        dx *= y
        return (dx,)

    return y, backward


def log_softmax(x: np.ndarray, dim: int):
    """``y = x - log(sum_j exp(x_j))`` along ``dim``, with the max shifted out first (log-sum-exp).

    Backward:
        ``dy_i/dx_k = [i == k] - softmax(x)_k``, so ``dx = dy - softmax(x) * sum_j(dy_j)`` along ``dim``.
    """
    check_float("log_softmax", "input", x)
    dim = check_dim("log_softmax", dim, x.ndim)
    axis = dim if x.ndim else None
    # Finite logits further apart than the float range (3e38 and -3e38 in float32) overflow to -inf here, which is
    # the right limit: that class's probability rounds to 0 either way, and its log is -inf (torch gives the same).
    with np.errstate(over="ignore"):
        shifted = x - np.max(x, axis=axis, keepdims=True, initial=-np.inf)  # initial: see softmax
    # The sum is at least 1 (the max's own term) but over a dim of size 0, where log(0) reaches no element of y.
    with np.errstate(divide="ignore"):
        y = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))

    def backward(dy):
        dy = check_grad("log_softmax", dy, y)
        return (dy - np.exp(y) * np.sum(dy, axis=axis, keepdims=True),)

    return y, backward


# Issue 17: prelu, selu, mish, softplus, hardtanh, hardswish --------------------------------------------------------


def prelu(input: np.ndarray, weight: np.ndarray):
    """Parametric ReLU, ``y = x`` where ``x > 0``, else ``weight[c] * x``, with a learned slope per channel.

    Args:
        input: float array; its channel dim is dim 1 (``(N, C, *)``). An input of fewer than 2 dims has one channel.
        weight: the slopes, of the input's dtype: ``(C,)`` (one per channel), or ``(1,)`` / ``()`` (one shared).

    Shape:
        input: ``(*)``, channels at dim 1; weight: ``(C,)``, ``(1,)`` or ``()``; y: the input's shape.

    Backward:
        With ``neg = x <= 0`` (so at ``x == 0`` the slope is ``weight``, torch's choice; its weight gradient there
        is ``x * dy = 0``)::

            dx      = dy                  where x > 0,   weight[c] * dy  elsewhere
            dweight = sum over every position of channel c (batch and spatial dims) of  x * dy  where neg

        ``backward(dy)`` returns ``(dx, dweight)``, ``dweight`` of the weight's shape.

    Examples:
        >>> y, backward = prelu(np.array([[-2.0, 0.0, 3.0]]), np.array([0.25]))
        >>> y, backward(np.ones((1, 3)))
        (array([[-0.5,  0. ,  3. ]]), (array([[0.25, 0.25, 1.  ]]), array([-2.])))
    """
    check_float("prelu", "input", input)
    check_float("prelu", "weight", weight)
    if weight.dtype != input.dtype:
        raise TypeError(f"prelu expected weight of dtype {input.dtype} like the input, got {weight.dtype}")
    C = input.shape[1] if input.ndim >= 2 else 1
    if weight.ndim > 1 or weight.size not in (1, C):
        raise ValueError(f"prelu expected weight of shape ({C},) (one slope per channel, dim 1 of input "
                         f"{tuple(input.shape)}), (1,) or (), got {tuple(weight.shape)}")
    per_channel = weight.size > 1
    # (C, 1, ...) against (N, C, d1, ...): each channel's slope broadcasts over the batch and spatial dims
    w = weight.reshape((C,) + (1,) * (input.ndim - 2)) if per_channel else weight.reshape(())
    x = input
    positive = x > 0
    y = np.where(positive, x, w * x).astype(x.dtype, copy=False)
    # every axis but the channel one: the slope is shared by all positions of its channel
    others = tuple(a for a in range(x.ndim) if not (per_channel and a == 1))

    def backward(dy):
        dy = check_grad("prelu", dy, y)
        dx = np.where(positive, dy, w * dy).astype(x.dtype, copy=False)
        dweight = np.where(positive, 0, x * dy).sum(axis=others).astype(x.dtype, copy=False)
        return dx, dweight.reshape(weight.shape)

    return y, backward


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: np.ndarray):
    """Scaled ELU, ``y = scale * elu(x, alpha)``: ``scale * x`` where ``x > 0``, else ``scale * alpha * (e^x - 1)``.

    ``alpha = 1.6732632423543772...`` and ``scale = 1.0507009873554804...`` (Klambauer et al. 2017) make zero mean
    and unit variance a fixed point of a SELU layer's activations.

    Shape:
        input: ``(*)``; y: the same.

    Backward:
        ``dx = scale * dy`` where ``x > 0``, else ``scale * alpha * e^x * dy``: at ``x == 0`` the slope is
        ``scale * alpha``, torch's choice (its ELU backward tests ``x <= 0``). Composed from ``elu``'s closure:
        ``dx = elu_backward(scale * dy)``. ``backward(dy)`` returns ``(dx,)``.

    Examples:
        >>> y, backward = selu(np.array([-1.0, 0.0, 1.0]))
        >>> y.round(4), backward(np.ones(3))[0].round(4)
        (array([-1.1113,  0.    ,  1.0507]), array([0.6468, 1.7581, 1.0507]))
    """
    check_float("selu", "input", input)
    z, elu_backward = elu(input, _SELU_ALPHA)
    y = (_SELU_SCALE * z).astype(input.dtype, copy=False)

    def backward(dy):
        dy = check_grad("selu", dy, y)
        return (elu_backward((_SELU_SCALE * dy).astype(dy.dtype, copy=False))[0],)

    return y, backward


def _softplus1(x: np.ndarray) -> np.ndarray:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): the exponent is never positive, so no overflow at x = 1e3
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def mish(input: np.ndarray):
    """Mish, ``y = x * tanh(softplus(x))``, ``softplus(x) = log(1 + e^x)`` (Misra 2019).

    Shape:
        input: ``(*)``; y: the same.

    Backward:
        With ``t = tanh(softplus(x))`` and ``softplus' = sigmoid``::

            dx = dy * (t + x * sigmoid(x) * (1 - t^2))

        ``backward(dy)`` returns ``(dx,)``.

    Examples:
        >>> y, backward = mish(np.array([-1.0, 0.0, 1.0]))
        >>> y.round(4), backward(np.ones(3))[0].round(4)
        (array([-0.3034,  0.    ,  0.8651]), array([0.0592, 0.6   , 1.049 ]))
    """
    check_float("mish", "input", input)
    x = input
    t = np.tanh(_softplus1(x))
    y = (x * t).astype(x.dtype, copy=False)

    def backward(dy):
        dy = check_grad("mish", dy, y)
        s, _ = sigmoid(x)
        return ((dy * (t + x * s * (1 - t * t))).astype(x.dtype, copy=False),)

    return y, backward


def softplus(input: np.ndarray, beta: float = 1.0, threshold: float = 20.0):
    """``y = log(1 + exp(beta * x)) / beta``, and ``y = x`` where ``beta * x > threshold`` (torch's linear region).

    Above the threshold ``log(1 + e^(beta x)) / beta`` equals ``x`` to within ``e^-threshold / beta`` (2e-9 at the
    default 20), and torch returns ``x`` itself there, so we do too: the output is piecewise, with a jump of that
    size at the threshold.

    Args:
        beta: sharpness; larger is closer to relu.
        threshold: where, in units of ``beta * x``, the function turns into the identity.

    Shape:
        input: ``(*)``; y: the same.

    Backward:
        With ``z = exp(beta x)``: ``dx = dy * z / (z + 1)`` (``= sigmoid(beta x)``), and ``dx = dy`` where
        ``beta x > threshold``. ``backward(dy)`` returns ``(dx,)``.

    Examples:
        >>> y, backward = softplus(np.array([0.0, 30.0]))
        >>> y.round(4), backward(np.ones(2))[0]
        (array([ 0.6931, 30.    ]), array([0.5, 1. ]))
    """
    check_float("softplus", "input", input)
    x = input
    bx = x * beta
    linear = bx > threshold
    # e^(beta x) only where it is used: in the linear region it could overflow for nothing. (With a threshold above
    # log(max float) it overflows where it is used, to inf, as in torch.)
    with np.errstate(over="ignore"):
        z = np.exp(np.where(linear, 0, bx))
    y = np.where(linear, x, np.log1p(z) / beta).astype(x.dtype, copy=False)

    def backward(dy):
        dy = check_grad("softplus", dy, y)
        with np.errstate(invalid="ignore"):  # inf / inf past the float range: nan, torch's answer too
            slope = z / (z + 1)
        return (np.where(linear, dy, dy * slope).astype(x.dtype, copy=False),)

    return y, backward


def hardtanh(input: np.ndarray, min_val: float = -1.0, max_val: float = 1.0):
    """``y = clip(x, min_val, max_val)``.

    Args:
        min_val, max_val: the clipping range, ``min_val <= max_val`` (torch refuses the other order too).

    Shape:
        input: ``(*)``; y: the same.

    Backward:
        ``dx = dy`` where ``min_val < x < max_val``, else 0: at ``x == min_val`` and ``x == max_val`` exactly the
        gradient is 0, torch's choice. ``backward(dy)`` returns ``(dx,)``.

    Examples:
        >>> y, backward = hardtanh(np.array([-2.0, -1.0, 0.5, 1.0]))
        >>> y, backward(np.ones(4))[0]
        (array([-1. , -1. ,  0.5,  1. ]), array([0., 0., 1., 0.]))
    """
    check_float("hardtanh", "input", input)
    if min_val > max_val:
        raise ValueError(f"hardtanh expected min_val <= max_val, got min_val={min_val}, max_val={max_val}")
    x = input
    y = np.minimum(np.maximum(x, min_val), max_val).astype(x.dtype, copy=False)
    clipped = (x <= min_val) | (x >= max_val)  # closed: the edges themselves get no gradient

    def backward(dy):
        dy = check_grad("hardtanh", dy, y)
        return (np.where(clipped, dy.dtype.type(0), dy),)

    return y, backward


def hardswish(input: np.ndarray):
    """Hard swish (Howard et al. 2019, MobileNetV3), ``y = x * relu6(x + 3) / 6``::

        y = 0              if x <= -3
            x (x + 3) / 6  if -3 < x < 3
            x              if x >= 3

    Shape:
        input: ``(*)``; y: the same.

    Backward:
        ``dx = 0`` where ``x <= -3``, ``dy * (2x + 3) / 6 = dy * (x / 3 + 1/2)`` where ``-3 < x < 3``, ``dy`` where
        ``x >= 3``: at ``x == -3`` the slope is 0 and at ``x == 3`` it is 1, torch's choices (the one-sided slopes
        there are -1/2 and 0, 3/2 and 1). ``backward(dy)`` returns ``(dx,)``.

    Examples:
        >>> y, backward = hardswish(np.array([-3.0, 0.0, 1.5, 3.0]))
        >>> y, backward(np.ones(4))[0]
        (array([-0.   ,  0.   ,  1.125,  3.   ]), array([0. , 0.5, 1. , 1. ]))
    """
    check_float("hardswish", "input", input)
    x = input
    y = (x * np.minimum(np.maximum(x + 3, 0), 6) / 6).astype(x.dtype, copy=False)
    off = x <= -3
    ramp = (x > -3) & (x < 3)

    def backward(dy):
        dy = check_grad("hardswish", dy, y)
        dx = np.where(ramp, dy * (x / 3 + 0.5), dy)
        return (np.where(off, dy.dtype.type(0), dx).astype(x.dtype, copy=False),)

    return y, backward
