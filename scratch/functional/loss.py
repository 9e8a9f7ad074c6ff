"""Loss functions: regression (``mse_loss``, ``l1_loss``, ``smooth_l1_loss``, ``huber_loss``), classification
(``binary_cross_entropy_with_logits``, ``cross_entropy``, ``nll_loss``) and ``kl_div``.

Every loss is a pointwise loss ``l`` followed by a reduction, and the backward pass mirrors that: ``_reduce`` turns
the upstream gradient of the reduced value back into one gradient per element of ``l``, and each loss then applies
its own pointwise derivative. ``cross_entropy`` is ``log_softmax`` followed by ``nll_loss``'s gathering (plus the
label-smoothing term), composed from those pieces rather than re-derived.

torch's deprecated ``size_average`` and ``reduce`` arguments are gone. Where torch keeps them between the arrays and
``reduction``, the options are keyword-only here, so that a torch-style positional call (``mse_loss(x, t, None, None,
'sum')``) fails loudly instead of meaning something else.

Targets are differentiable where torch makes them so (the regression losses, BCE, probability targets of
cross_entropy, kl_div); class weights and ``pos_weight`` are constants and get no gradient.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import xlogy

from scratch._checks import check_float, check_grad, check_int_array, check_reduction, fmt_shape
from scratch.functional.activation import log_softmax, stable_sigmoid


# Shared pieces -----------------------------------------------------------------------------------------------------


def _reduce(loss: np.ndarray, reduction: str, divisor=None):
    """Reduce a pointwise loss: ``'none'`` keeps it, ``'sum'`` adds it up, ``'mean'`` (and kl_div's ``'batchmean'``)
    divides the sum by ``divisor`` (default: the number of elements).

    Returns ``(y, backward)`` where ``backward(dy)`` is the gradient with respect to every element of ``loss``:
    ``dy`` itself, ``dy`` broadcast, or ``dy / divisor`` broadcast.
    """
    if reduction == "none":
        return np.asarray(loss), lambda dy: dy  # asarray: 0-d inputs give NumPy scalars, not arrays
    total = loss.sum()
    if reduction == "sum":
        return np.asarray(total), lambda dy: np.broadcast_to(dy, loss.shape)
    divisor = loss.size if divisor is None else divisor
    with np.errstate(invalid="ignore", divide="ignore"):  # every element ignored: 0 / 0 = nan, torch's answer
        y = np.asarray(total / divisor)

    def backward(dy):
        # With nothing to average over, no element contributed: torch gives a zero gradient, not dy / 0. (torch does
        # give nan where kept targets exist but their class weights sum to 0; we give 0 there too.)
        scale = dy / divisor if divisor != 0 else np.zeros_like(dy)
        return np.broadcast_to(scale, loss.shape)

    return y, backward


def _check_pointwise(layer: str, input, target, reduction: str, allowed=("none", "mean", "sum")) -> None:
    check_float(layer, "input", input)
    check_float(layer, "target", target)
    if target.dtype != input.dtype:
        raise TypeError(f"{layer} expected target of dtype {input.dtype} like the input, got {target.dtype}")
    if target.shape != input.shape:
        raise ValueError(f"{layer} expected target of the input's shape {fmt_shape(input.shape)}, got "
                         f"{fmt_shape(target.shape)} (torch would broadcast them with a warning; reshape or "
                         f"np.broadcast_to the target explicitly if that is what you mean)")
    check_reduction(layer, reduction, allowed)


def _check_class_weight(layer: str, weight, input: np.ndarray, C: int) -> np.ndarray:
    """The per-class weight (all ones when None), shaped to broadcast along the class dim 1 of ``(N, C, d1, ...)``."""
    if weight is None:
        return np.ones((C,) + (1,) * (input.ndim - 2), dtype=input.dtype)
    check_float(layer, "weight", weight)
    if weight.dtype != input.dtype:
        raise TypeError(f"{layer} expected weight of dtype {input.dtype} like the input, got {weight.dtype}")
    if weight.shape != (C,):
        raise ValueError(f"{layer} expected weight of shape ({C},), one per class, got {fmt_shape(weight.shape)}")
    return weight.reshape((C,) + (1,) * (input.ndim - 2))


def _nll_terms(layer: str, logp: np.ndarray, target: np.ndarray, w_c: np.ndarray, ignore_index: int):
    """The gathering shared by nll_loss and cross_entropy, on batched ``logp`` of shape ``(N, C, d1, ...)``.

    Returns ``(loss, divisor, keep, onehot, w_t)``: ``loss = -w[t] * logp[t]`` per element (0 where ignored), the
    sum of ``w[t]`` over kept elements ('mean' divides by it), the kept mask ``(N, d1, ...)``, the one-hot mask of
    the targets ``(N, C, d1, ...)`` and ``w[t]`` itself (0 where ignored).
    """
    C = logp.shape[1]
    keep = target != ignore_index
    bad = keep & ((target < 0) | (target >= C))
    if bad.any():
        value = int(target[bad].flat[0])
        raise ValueError(f"{layer} got target class {value}, out of range for C={C} classes "
                         f"(expected 0 <= target < {C}, or ignore_index={ignore_index})")
    t = np.where(keep, target, 0)  # (N, d1, ...): an index that is safe to gather with even where ignored
    if C == 0:  # nothing to gather: every target is ignored (any other is out of range, above), or there are none
        w_t = logp_t = np.zeros(t.shape, logp.dtype)
    else:
        w_t = np.where(keep, w_c.reshape(C)[t], 0)  # (N, d1, ...); 0 drops ignored elements from loss and gradient
        logp_t = np.take_along_axis(logp, t[:, None], axis=1)[:, 0]  # (N, d1, ...)
    onehot = np.arange(C).reshape((C,) + (1,) * (logp.ndim - 2)) == t[:, None]  # (N, C, d1, ...)
    return -w_t * logp_t, w_t.sum(), keep, onehot, w_t


def _check_class_input(layer: str, input) -> None:
    check_float(layer, "input", input)
    if input.ndim == 0:
        raise ValueError(f"{layer} expected input of shape (N, C), (C,) or (N, C, d1, ...), got shape ()")


def _index_target_shape(input: np.ndarray) -> tuple:
    """``(N, d1, ...)`` for input ``(N, C, d1, ...)``, ``()`` for an unbatched input ``(C,)``."""
    return input.shape[:1] + input.shape[2:] if input.ndim >= 2 else ()


# Regression losses -------------------------------------------------------------------------------------------------


def mse_loss(input: np.ndarray, target: np.ndarray, *, reduction: str = "mean"):
    """Mean squared error, ``l = (input - target)^2`` per element, then reduced.

    Args:
        input, target: float arrays of one shape and dtype (no broadcasting: a shape mismatch is an error).
        reduction: ``'none'`` (per-element loss), ``'mean'`` (default) or ``'sum'``.

    Shape:
        input, target: ``(*)``; y: ``()``, or ``(*)`` for ``reduction='none'``.

    Backward:
        With ``dl`` the gradient of each element of ``l`` (``dy``, ``dy`` broadcast, or ``dy / n`` for the mean)::

            dinput  = 2 (input - target) dl
            dtarget = -dinput

        ``backward(dy)`` returns ``(dinput, dtarget)``.

    Examples:
        >>> y, backward = mse_loss(np.zeros((4, 3)), np.ones((4, 3)))
        >>> float(y), [g.shape for g in backward(1.0)]
        (1.0, [(4, 3), (4, 3)])
    """
    _check_pointwise("mse_loss", input, target, reduction)
    d = input - target
    y, reduce_backward = _reduce(d * d, reduction)

    def backward(dy):
        dy = check_grad("mse_loss", dy, y)
        dinput = 2 * d * reduce_backward(dy)
        return dinput, -dinput

    return y, backward


def l1_loss(input: np.ndarray, target: np.ndarray, *, reduction: str = "mean"):
    """Mean absolute error, ``l = |input - target|`` per element, then reduced.

    Args:
        input, target: float arrays of one shape and dtype.
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.

    Shape:
        input, target: ``(*)``; y: ``()``, or ``(*)`` for ``reduction='none'``.

    Backward:
        ``dinput = sign(input - target) dl``, ``dtarget = -dinput``. At ``input == target`` the gradient is
        ``sign(0) = 0``, torch's choice of subgradient; and ``sign(NaN) = 0`` too, as torch's ``sgn``, where
        ``np.sign`` would give NaN. ``backward(dy)`` returns ``(dinput, dtarget)``.

    Examples:
        >>> y, backward = l1_loss(np.array([1.0, 2.0]), np.array([1.0, 0.0]), reduction="none")
        >>> y, backward(np.ones(2))[0]
        (array([0., 2.]), array([0., 1.]))
    """
    _check_pointwise("l1_loss", input, target, reduction)
    d = input - target
    y, reduce_backward = _reduce(np.abs(d), reduction)

    def backward(dy):
        dy = check_grad("l1_loss", dy, y)
        slope = np.subtract(d > 0, d < 0, dtype=d.dtype)  # sign(d), 0 at a NaN d: both comparisons are False
        dinput = slope * reduce_backward(dy)
        return dinput, -dinput

    return y, backward


def smooth_l1_loss(input: np.ndarray, target: np.ndarray, *, reduction: str = "mean", beta: float = 1.0):
    """Smooth L1: quadratic near zero, linear beyond ``beta``. With ``d = input - target``::

        l = 0.5 d^2 / beta     if |d| < beta
            |d| - 0.5 beta     otherwise

    The two pieces meet with equal value and slope at ``|d| = beta``. ``beta = 0`` leaves no quadratic zone: the loss
    is then exactly ``l1_loss``, as in torch. ``smooth_l1_loss = huber_loss / beta`` for ``beta > 0``.

    Args:
        input, target: float arrays of one shape and dtype.
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.
        beta: where the loss turns linear, ``>= 0``.

    Shape:
        input, target: ``(*)``; y: ``()``, or ``(*)`` for ``reduction='none'``.

    Backward:
        ``dl/dd = d / beta`` inside the zone, ``sign(d)`` outside: the slope is continuous, ``+-1`` at ``|d| = beta``.
        ``dinput = dl/dd * dl``, ``dtarget = -dinput``. ``backward(dy)`` returns ``(dinput, dtarget)``.

    Examples:
        >>> y, backward = smooth_l1_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="none")
        >>> y, backward(np.ones(2))[0]
        (array([0.125, 2.5  ]), array([0.5, 1. ]))
    """
    _check_pointwise("smooth_l1_loss", input, target, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss expected beta >= 0, got {beta}")
    d = input - target
    absd = np.abs(d)
    inside = absd < beta  # the quadratic zone; empty when beta == 0
    safe_beta = beta if beta > 0 else 1.0  # only used inside the (then empty) zone: avoids a division by zero
    loss = np.where(inside, 0.5 * d * d / safe_beta, absd - 0.5 * beta)
    y, reduce_backward = _reduce(loss, reduction)

    def backward(dy):
        dy = check_grad("smooth_l1_loss", dy, y)
        dinput = np.where(inside, d / safe_beta, np.sign(d)) * reduce_backward(dy)
        return dinput, -dinput

    return y, backward


def huber_loss(input: np.ndarray, target: np.ndarray, reduction: str = "mean", delta: float = 1.0):
    """Huber loss: quadratic near zero, linear with slope ``delta`` beyond. With ``d = input - target``::

        l = 0.5 d^2                   if |d| < delta
            delta (|d| - 0.5 delta)   otherwise

    Args:
        input, target: float arrays of one shape and dtype.
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.
        delta: where the loss turns linear, ``> 0`` (torch rejects 0 too).

    Shape:
        input, target: ``(*)``; y: ``()``, or ``(*)`` for ``reduction='none'``.

    Backward:
        ``dl/dd = clip(d, -delta, delta)``: ``d`` inside, ``delta sign(d)`` outside, continuous at ``|d| = delta``.
        ``dinput = dl/dd * dl``, ``dtarget = -dinput``. ``backward(dy)`` returns ``(dinput, dtarget)``.

    Examples:
        >>> y, backward = huber_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="none", delta=2.0)
        >>> y, backward(np.ones(2))[0]
        (array([0.125, 4.   ]), array([0.5, 2. ]))
    """
    _check_pointwise("huber_loss", input, target, reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss expected delta > 0, got {delta}")
    d = input - target
    absd = np.abs(d)
    loss = np.where(absd < delta, 0.5 * d * d, delta * (absd - 0.5 * delta))
    y, reduce_backward = _reduce(loss, reduction)

    def backward(dy):
        dy = check_grad("huber_loss", dy, y)
        dinput = np.clip(d, -delta, delta) * reduce_backward(dy)
        return dinput, -dinput

    return y, backward


# Binary classification ---------------------------------------------------------------------------------------------


def binary_cross_entropy_with_logits(input: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None, *,
                                     reduction: str = "mean", pos_weight: np.ndarray | None = None):
    """Binary cross-entropy on logits ``x``, with ``p = sigmoid(x)``, ``t`` the target in [0, 1]::

        l = -w [pw t log p + (1 - t) log(1 - p)]
          =  w [(1 - t) x + (1 + (pw - 1) t) softplus(-x)]

    using ``log p = -softplus(-x)`` and ``log(1 - p) = -x - softplus(-x)``. ``softplus(-x) = log(1 + e^-x)`` is
    evaluated as ``max(-x, 0) + log1p(e^-|x|)``, whose exponent is never positive: logits of +-100 give the right
    finite loss (100 for x = 100, t = 0) where ``log(sigmoid(x))`` would give ``log 0 = -inf``.

    Args:
        input: logits ``x``, float.
        target: ``t``, same shape and dtype (soft labels allowed).
        weight: ``w``, rescales each element; any shape that broadcasts to the input's, or None.
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.
        pos_weight: ``pw``, weight of the positive term; broadcasts to the input's shape, typically ``(C,)`` against
            a last dim of C classes (pw > 1 raises recall). None means 1.

    Shape:
        input, target: ``(*)``; y: ``()``, or ``(*)`` for ``reduction='none'``.

    Backward:
        With ``p = sigmoid(x)`` and ``dl`` the per-element upstream gradient::

            dinput  = w [(1 + (pw - 1) t) p - pw t] dl      (= w (p - t) dl when pw = 1)
            dtarget = w [-x + (pw - 1) softplus(-x)] dl

        (``dinput`` comes out as ``(1 - t) - (1 + (pw - 1) t)(1 - p)``; expanded as above it has no ``1 - p``, which
        rounds to 0 for large x and would lose a gradient like ``e^-100``.)

        ``weight`` and ``pos_weight`` are constants (torch refuses to differentiate them too).
        ``backward(dy)`` returns ``(dinput, dtarget, None, None)``: the last is ``pos_weight``'s.

    Examples:
        >>> y, backward = binary_cross_entropy_with_logits(np.array([100.0, -100.0]), np.array([0.0, 0.0]))
        >>> float(y), len(backward(1.0))
        (50.0, 4)
    """
    layer = "binary_cross_entropy_with_logits"
    _check_pointwise(layer, input, target, reduction)
    for name, w in (("weight", weight), ("pos_weight", pos_weight)):
        if w is None:
            continue
        check_float(layer, name, w)
        if w.dtype != input.dtype:
            raise TypeError(f"{layer} expected {name} of dtype {input.dtype} like the input, got {w.dtype}")
        try:
            fits = np.broadcast_shapes(w.shape, input.shape) == input.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{layer} expected {name} to broadcast to the input's shape {fmt_shape(input.shape)}, "
                             f"got {fmt_shape(w.shape)}")
    x, t = input, target
    softplus_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))  # log(1 + e^-x), never overflows
    pos_scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * t  # multiplies -log p, the positive term
    loss = (1 - t) * x + pos_scale * softplus_neg
    if weight is not None:
        loss = weight * loss
    y, reduce_backward = _reduce(loss, reduction)

    def backward(dy):
        dy = check_grad(layer, dy, y)
        dl = reduce_backward(dy) if weight is None else weight * reduce_backward(dy)
        p = stable_sigmoid(x)
        dinput = (p - t if pos_weight is None else pos_scale * p - pos_weight * t) * dl
        dtarget = (-x if pos_weight is None else -x + (pos_weight - 1) * softplus_neg) * dl
        return dinput, dtarget, None, None

    return y, backward


# Multi-class classification ----------------------------------------------------------------------------------------


def nll_loss(input: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None, *, ignore_index: int = -100,
             reduction: str = "mean"):
    """Negative log-likelihood of class-index targets, ``l_n = -w[t_n] * input[n, t_n]``, on log-probabilities.

    ``input`` is expected to hold log-probabilities (``log_softmax``'s output); ``cross_entropy`` is exactly
    ``nll_loss(log_softmax(x, dim=1), t)``. Elements whose target equals ``ignore_index`` contribute 0 and no
    gradient.

    Args:
        input: log-probabilities, float.
        target: integer class indices in ``[0, C)``, or ``ignore_index``.
        weight: ``(C,)`` per-class weights (for unbalanced classes), or None for all ones.
        ignore_index: target value that marks an element to skip.
        reduction: ``'none'``, ``'sum'``, or ``'mean'`` (default), which divides by ``sum_n w[t_n]`` over kept
            elements (the number of kept elements when unweighted), NOT by N: a weighted average of the losses.
            With every element ignored that is ``0 / 0 = nan``, as in torch (with a zero gradient).

    Shape:
        input: ``(N, C)``, ``(C,)`` unbatched, or ``(N, C, d1, ...)`` (per-pixel classes, dim 1 is C).
        target: ``(N,)``, ``()``, or ``(N, d1, ...)``. y: ``()``, or target's shape for ``reduction='none'``.

    Backward:
        Only the target's entry of each row is used, so with ``dl_n`` the upstream gradient of ``l_n``::

            dinput[n, c] = -w[t_n] dl_n   if c == t_n and t_n != ignore_index
                           0              otherwise

        ``backward(dy)`` returns ``(dinput, None, None)``: class indices and weights get no gradient.

    Examples:
        >>> logp = np.log(np.full((4, 3), 1 / 3)); t = np.array([0, 2, 1, -100])
        >>> y, backward = nll_loss(logp, t)
        >>> round(float(y), 4), backward(1.0)[0].shape
        (1.0986, (4, 3))
    """
    layer = "nll_loss"
    _check_class_input(layer, input)
    check_int_array(layer, "target", target)
    if target.shape != _index_target_shape(input):
        raise ValueError(f"{layer} expected target of class indices of shape {fmt_shape(_index_target_shape(input))} "
                         f"for input {fmt_shape(input.shape)}, got {fmt_shape(target.shape)}")
    check_reduction(layer, reduction)
    unbatched = input.ndim == 1
    logp = input[None] if unbatched else input  # (N, C, d1, ...)
    C = logp.shape[1]
    w_c = _check_class_weight(layer, weight, logp, C)
    loss, divisor, keep, onehot, w_t = _nll_terms(layer, logp, target[None] if unbatched else target, w_c,
                                                  ignore_index)
    y, reduce_backward = _reduce(loss[0] if unbatched else loss, reduction, divisor)

    def backward(dy):
        dy = check_grad(layer, dy, y)
        dl = reduce_backward(dy)
        dl = dl[None] if unbatched else dl  # (N, d1, ...)
        dinput = np.where(onehot, (-w_t * dl)[:, None], 0).astype(input.dtype, copy=False)
        return dinput[0] if unbatched else dinput, None, None

    return y, backward


def cross_entropy(input: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None, *,
                  ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0):
    """Softmax cross-entropy on logits: ``log_softmax`` along the class dim 1, then ``nll_loss``'s gathering.

    With ``logp = log_softmax(x, dim=1)``, ``eps = label_smoothing`` and C classes, for class-index targets::

        l_n = (1 - eps) * (-w[t_n] logp[n, t_n])  +  eps / C * sum_c (-w[c] logp[n, c])

    (the smoothing term is the cross-entropy against the uniform distribution), 0 where ``t_n == ignore_index``.
    ``'mean'`` divides the sum by ``sum_n w[t_n]`` over kept elements, the same normaliser for both terms.

    For class-probability targets ``p`` (float, same shape as the input), smoothing mixes the uniform distribution
    into the target, ``q = (1 - eps) p + eps / C``, and::

        l_n = -sum_c w[c] q[n, c] logp[n, c]

    ``'mean'`` then divides by the number of elements N * d1 * ... (weights do not enter the normaliser), and
    ``ignore_index`` does not apply (torch rejects a non-default one; so do we).

    Subtracting the max inside ``log_softmax`` keeps logits of +-1e4 finite: ``logp`` is then exactly ``-2e4``, not
    ``log(0)``.

    Args:
        input: logits, float.
        target: integer class indices (``(N,)`` for input ``(N, C)``) or class probabilities (input's shape, dtype).
        weight: ``(C,)`` per-class weights, or None.
        ignore_index: class-index target value to skip.
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``. All targets ignored gives nan for ``'mean'``, as
            in torch (with a zero gradient).
        label_smoothing: ``eps`` in [0, 1].

    Shape:
        input: ``(N, C)``, ``(C,)`` unbatched, or ``(N, C, d1, ...)``.
        target: ``(N,)``, ``()``, ``(N, d1, ...)`` for indices; the input's shape for probabilities.
        y: ``()``, or ``(N,)``, ``()``, ``(N, d1, ...)`` for ``reduction='none'``.

    Backward:
        With ``dl_n`` the upstream gradient of ``l_n``, first the gradient of ``logp``::

            class indices: dlogp[n, c] = -dl_n [ (1 - eps) w[t_n] [c == t_n] + eps / C * w[c] ]   (0 if ignored)
            probabilities: dlogp[n, c] = -dl_n w[c] q[n, c],   dtarget[n, c] = -dl_n (1 - eps) w[c] logp[n, c]

        then ``log_softmax``'s backward, ``dx = dlogp - softmax(x) * sum_c dlogp``. Unweighted, unsmoothed and for
        one row that is the familiar ``dx = (softmax(x) - onehot(t)) dl_n``.
        ``backward(dy)`` returns ``(dinput, dtarget, None)``, ``dtarget`` None for class indices. The weight gets no
        gradient (torch differentiates it for probability targets only, as a by-product of composing tensor ops; it
        is a fixed class-balancing constant, so we never do).

    Examples:
        >>> x = np.array([[1e4, -1e4, 0.0], [0.0, 0.0, 0.0]]); t = np.array([1, 2])
        >>> y, backward = cross_entropy(x, t, reduction="none")
        >>> y.round(4).tolist(), backward(np.ones(2))[0].shape
        ([20000.0, 1.0986], (2, 3))
    """
    layer = "cross_entropy"
    _check_class_input(layer, input)
    check_reduction(layer, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{layer} expected label_smoothing in [0, 1], got {label_smoothing}")
    index_shape = _index_target_shape(input)
    if not isinstance(target, np.ndarray):
        raise TypeError(f"{layer} expected target to be a numpy.ndarray, got {type(target).__name__}")
    probabilities = target.dtype.kind == "f"
    if probabilities:
        fits = target.shape == input.shape
    else:
        fits = target.dtype.kind in "iu" and target.shape == index_shape
    if not fits:
        raise ValueError(f"{layer} expected target of class indices (integer, shape {fmt_shape(index_shape)}) or "
                         f"class probabilities (float, shape {fmt_shape(input.shape)} like the input), got "
                         f"{target.dtype} of shape {fmt_shape(target.shape)}")
    if probabilities:
        check_float(layer, "target", target)
        if target.dtype != input.dtype:
            raise TypeError(f"{layer} expected probability target of dtype {input.dtype} like the input, "
                            f"got {target.dtype}")
        if ignore_index != -100:
            raise ValueError(f"{layer} does not support ignore_index with class-probability targets "
                             f"(got ignore_index={ignore_index}); drop it or use class-index targets")

    unbatched = input.ndim == 1
    x = input[None] if unbatched else input  # (N, C, d1, ...)
    C = x.shape[1]
    w_c = _check_class_weight(layer, weight, x, C)  # (C, 1, ...) broadcasts along dim 1
    if C:
        eps_c = label_smoothing / C  # the uniform distribution's share of each class
    else:
        # Over no classes smoothing is undefined: for class-index targets torch's eps / 0 = inf times a smoothing
        # term of 0 makes the loss nan, whatever the reduction (an empty sum included); NaN here says the same
        # without the floating-point error of 0 * inf. (Probability targets of no classes have nothing to smooth:
        # their loss is 0, and 'mean' nan.)
        eps_c = math.nan if label_smoothing else 0.0
    logp, log_softmax_backward = log_softmax(x, dim=1)

    if probabilities:
        p = target[None] if unbatched else target
        q = (1 - label_smoothing) * p + eps_c  # the smoothed target distribution
        loss = -(w_c * q * logp).sum(axis=1)  # (N, d1, ...)
        # 'mean' divides by the number of elements; torch's mean of an empty input is nan, even for N samples of
        # zero classes (0 / 0 here, where 0 / N would give 0).
        divisor = None if x.size else 0
    else:
        t = target[None] if unbatched else target
        nll, divisor, keep, onehot, w_t = _nll_terms(layer, logp, t, w_c, ignore_index)
        if label_smoothing:
            smooth = np.where(keep, -(w_c * logp).sum(axis=1), 0)  # cross-entropy against uniform, (N, d1, ...)
            loss = (1 - label_smoothing) * nll + eps_c * smooth
        else:
            # No smoothing term at all, as in torch, rather than 0 times it: a -inf logit makes it inf, and 0 * inf
            # would turn a finite loss into nan.
            loss = nll
    y, reduce_backward = _reduce(loss[0] if unbatched else loss, reduction, divisor)
    if math.isnan(eps_c) and not probabilities:
        y = np.full_like(y, np.nan)

    def backward(dy):
        dy = check_grad(layer, dy, y)
        dl = reduce_backward(dy)
        dl = (dl[None] if unbatched else dl)[:, None]  # (N, 1, d1, ...): broadcasts along the classes
        if probabilities:
            dlogp = -w_c * q * dl
            dtarget = -(1 - label_smoothing) * w_c * logp * dl
            dtarget = dtarget[0] if unbatched else dtarget
        else:
            dnll = np.where(onehot, -w_t[:, None] * dl, 0)
            dsmooth = np.where(keep[:, None], -w_c * dl, 0)  # ignored elements get no gradient
            dlogp = (1 - label_smoothing) * dnll + eps_c * dsmooth
            dtarget = None
        (dx,) = log_softmax_backward(dlogp.astype(input.dtype, copy=False))
        return dx[0] if unbatched else dx, dtarget, None

    return y, backward


# Distributions -----------------------------------------------------------------------------------------------------


def kl_div(input: np.ndarray, target: np.ndarray, *, reduction: str = "mean", log_target: bool = False):
    """Kullback-Leibler divergence ``KL(target || model)`` with ``input`` the model's LOG-probabilities::

        l = target * (log target - input)             (0 where target == 0: 0 log 0 = 0)
        l = exp(target) * (target - input)            with log_target=True (target holds log-probabilities)

    Note the argument order: unlike ``mse_loss``, ``input`` must already be a log (``log_softmax``'s output).

    Args:
        input: model log-probabilities, float.
        target: probabilities (``>= 0``; torch returns nan for negative ones, we raise), or log-probabilities with
            ``log_target=True``. Same shape and dtype as the input.
        reduction: ``'none'``, ``'sum'``, ``'batchmean'`` (sum / input.shape[0]: the true KL divergence averaged over
            the batch, the one to use), or ``'mean'`` (default; sum / number of elements, which also divides by C;
            torch warns about it and keeps it for compatibility).
        log_target: whether ``target`` holds log-probabilities.

    Shape:
        input, target: ``(*)``, batch first for ``'batchmean'``; y: ``()``, or ``(*)`` for ``reduction='none'``.

    Backward:
        With ``dl`` the per-element upstream gradient::

            dinput  = -target dl                              (log_target: -exp(target) dl)
            dtarget = (log target + 1 - input) dl             (log_target: exp(target) (target - input + 1) dl)

        ``d/dt (t log t)`` is unbounded at ``t = 0``: ``dtarget`` is nan there, as in torch.
        ``backward(dy)`` returns ``(dinput, dtarget)``.

    Examples:
        >>> logq = np.log(np.full((2, 4), 0.25)); p = np.array([[1.0, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]])
        >>> y, backward = kl_div(logq, p, reduction="batchmean")
        >>> round(float(y), 4), backward(1.0)[0].shape
        (0.6931, (2, 4))
    """
    layer = "kl_div"
    _check_pointwise(layer, input, target, reduction, ("none", "mean", "sum", "batchmean"))
    if log_target:
        p = np.exp(target)
        loss = p * (target - input)
    else:
        if target.size and target.min() < 0:
            raise ValueError(f"{layer} expected target >= 0 (probabilities; pass log_target=True for "
                             f"log-probabilities), got a minimum of {target.min()}")
        loss = xlogy(target, target) - target * input  # xlogy(0, 0) = 0
    batch = input.shape[0] if input.ndim else 1
    y, reduce_backward = _reduce(loss, reduction, batch if reduction == "batchmean" else None)

    def backward(dy):
        dy = check_grad(layer, dy, y)
        dl = reduce_backward(dy)
        if log_target:
            return -p * dl, p * (target - input + 1) * dl
        log_t = np.log(np.where(target > 0, target, np.nan))  # nan at t == 0: the slope of t log t is unbounded
        return -target * dl, (log_t + 1 - input) * dl

    return y, backward
