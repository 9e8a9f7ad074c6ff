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
        return (np.where(active, dy, dy.dtype.type(0)),)

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


def _stable_sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of a negative argument only: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) for x < 0. Neither can overflow.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def sigmoid(x: np.ndarray):
    """``y = 1 / (1 + exp(-x))``, evaluated without overflow for large ``|x|``.

    Backward:
        ``dx = dy * y * (1 - y)``.
    """
    check_float("sigmoid", "input", x)
    y = _stable_sigmoid(x)

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
    s = _stable_sigmoid(x)
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
