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

from scratch._checks import check_dim, check_float, check_grad, check_int_array, check_reduction, fmt_shape
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
            if label_smoothing:
                dsmooth = np.where(keep[:, None], -w_c * dl, 0)  # ignored elements get no gradient
                dlogp = (1 - label_smoothing) * dnll + eps_c * dsmooth
            else:  # as in the forward: no smoothing term at all, not 0 times it (an (N, C, ...) pass saved)
                dlogp = dnll
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


# Issue 17: distances and embedding losses --------------------------------------------------------------------------
#
# cosine_similarity and pairwise_distance are torch.nn.functional's distance functions (no reduction); the margin
# and embedding losses below are built on them, composing their closures.


def _sum_to(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """The gradient of an input that was broadcast to ``grad.shape``: summed over the axes broadcasting added
    (leading) or stretched (size 1 in ``shape``), back to ``shape``."""
    lead = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(lead))) if lead > 0 else grad
    stretched = tuple(a for a, n in enumerate(shape) if n == 1 and grad.shape[a] != 1)
    return (grad.sum(axis=stretched, keepdims=True) if stretched else grad).reshape(shape)


def _check_pair(layer: str, x1, x2, names=("x1", "x2")) -> tuple:
    """Two float arrays of one dtype that broadcast together; returns the broadcast shape."""
    check_float(layer, names[0], x1)
    check_float(layer, names[1], x2)
    if x1.dtype != x2.dtype:
        raise TypeError(f"{layer} expected {names[0]} and {names[1]} of one dtype, got {x1.dtype} and {x2.dtype}")
    try:
        return np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(f"{layer} expected {names[0]} and {names[1]} to broadcast to one shape, got "
                         f"{fmt_shape(x1.shape)} and {fmt_shape(x2.shape)}") from None


def _check_same_shape(layer: str, names: tuple, *arrays) -> None:
    """Float arrays of one dtype and one shape (no broadcasting), named in order by ``names``."""
    _check_pair(layer, arrays[0], arrays[1], names[:2])
    for name, a in zip(names[2:], arrays[2:]):
        _check_pair(layer, arrays[0], a, (names[0], name))
    if len({a.shape for a in arrays}) > 1:
        got = ", ".join(f"{n} {fmt_shape(a.shape)}" for n, a in zip(names, arrays))
        raise ValueError(f"{layer} expected {' and '.join(names)} of one shape (no broadcasting), got {got}")


def cosine_similarity(x1: np.ndarray, x2: np.ndarray, dim: int = 1, eps: float = 1e-8):
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim``, each normalised first (torch's order)::

        y = sum_dim( x1 / max(||x1||, eps) * x2 / max(||x2||, eps) )

    Each vector is divided by its own clamped norm before the product (not ``<x1, x2> / max(||x1|| ||x2||, eps)``,
    torch's formula before 1.12): no product of norms to overflow, and ``|y| <= 1`` up to rounding.

    Args:
        x1, x2: float arrays of one dtype that broadcast together; ``dim`` counts in the broadcast shape.
        dim: the dim the vectors lie along (default 1: rows of features in ``(N, D)``).
        eps: floor of each norm, so a zero vector gives 0 instead of 0 / 0.

    Shape:
        x1, x2: ``(*, D, *)`` broadcastable; y: the broadcast shape without ``dim``.

    Backward:
        With ``n1 = ||x1||``, ``c1 = max(n1, eps)``, ``u = x1 / c1``, ``v = x2 / c2`` and ``g`` = dy broadcast along
        ``dim``::

            du  = g v
            dx1 = du / c1 - sum_dim(du * x1) / c1^2 * x1 / n1        (the last factor 0 where n1 == 0)

        and symmetrically for ``dx2``, then summed back to each input's shape where it was broadcast. torch clamps
        the norm in place without autograd seeing it, so its backward keeps the norm's term ``x1 / n1`` even where
        the clamp is active (``0 < n1 < eps``), where the clamped forward's true derivative has none; we match
        torch there. ``backward(dy)`` returns ``(dx1, dx2)``.

    Examples:
        >>> y, backward = cosine_similarity(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[2.0, 0.0], [-1.0, 0.0]]))
        >>> y.round(4), [g.shape for g in backward(np.ones(2))]
        (array([ 1.    , -0.7071]), [(2, 2), (2, 2)])
    """
    layer = "cosine_similarity"
    shape = _check_pair(layer, x1, x2)
    dim = check_dim(layer, dim, len(shape))
    a = np.broadcast_to(x1, shape).reshape(shape or (1,))  # a 0-d pair is a vector of one element
    b = np.broadcast_to(x2, shape).reshape(shape or (1,))
    n1 = np.sqrt(np.sum(a * a, axis=dim, keepdims=True))
    n2 = np.sqrt(np.sum(b * b, axis=dim, keepdims=True))
    c1, c2 = np.maximum(n1, eps), np.maximum(n2, eps)
    u, v = a / c1, b / c2
    y = np.sum(u * v, axis=dim).reshape(shape[:dim] + shape[dim + 1:])

    def through_norm(du, x, n, c):
        # x / c, c = max(n, eps): the clamp is invisible to torch's autograd, so n's derivative x / n stays in
        dc = -np.sum(du * x, axis=dim, keepdims=True) / (c * c)
        return du / c + dc * np.where(n > 0, x / np.where(n > 0, n, 1), 0)

    def backward(dy):
        dy = check_grad(layer, dy, y)
        g = np.expand_dims(dy, dim) if shape else dy.reshape(1)
        dx1 = through_norm(g * v, a, n1, c1)
        dx2 = through_norm(g * u, b, n2, c2)
        return _sum_to(dx1.reshape(shape), x1.shape), _sum_to(dx2.reshape(shape), x2.shape)

    return y, backward


def pairwise_distance(x1: np.ndarray, x2: np.ndarray, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """The p-norm of ``x1 - x2 + eps`` along the last dim (torch adds ``eps`` to every difference, not to the norm)::

        y = ( sum_last |x1 - x2 + eps|^p )^(1/p)

    ``p = 1`` is the Manhattan distance, 2 the Euclidean (default), ``inf`` the largest ``|difference|``, ``-inf``
    the smallest, and ``p = 0`` counts the nonzero differences (no gradient); any other p, negative too, is the
    formula above.

    Args:
        x1, x2: float arrays of one dtype that broadcast together.
        p: the norm's order.
        eps: added to each difference, so two equal vectors are ``eps * D^(1/p)`` apart, not at the (non
            differentiable) zero of the norm.
        keepdim: keep the last dim, of size 1.

    Shape:
        x1, x2: ``(*, D)`` broadcastable; y: ``(*)``, or ``(*, 1)`` with keepdim.

    Backward:
        With ``d = x1 - x2 + eps``, ``n = ||d||_p`` and ``g`` = dy along the last dim, torch's norm gradients::

            p = 2:       dd = g d / n                              (0 where n == 0)
            p = 1:       dd = g sign(d)
            p = +-inf:   dd = g sign(d) [|d| == n] / (number of ties)   (ties share the gradient)
            p = 0:       dd = 0
            otherwise:   dd = g sign(d) |d|^(p-1) n^(1-p)          (0 where d == 0 or n == 0)

        ``dx1 = dd``, ``dx2 = -dd``, summed back to each input's shape where it was broadcast.
        ``backward(dy)`` returns ``(dx1, dx2)``.

    Examples:
        >>> y, backward = pairwise_distance(np.array([[3.0, 4.0]]), np.zeros((1, 2)), eps=0.0)
        >>> y, backward(np.ones(1))
        (array([5.]), (array([[0.6, 0.8]]), array([[-0.6, -0.8]])))
    """
    layer = "pairwise_distance"
    shape = _check_pair(layer, x1, x2)
    d = (x1 - x2 + eps).reshape(shape or (1,))  # (*, D)
    absd = np.abs(d)
    if p == 0:
        n = np.count_nonzero(d, axis=-1, keepdims=True).astype(d.dtype)
    elif p == math.inf:
        n = np.max(absd, axis=-1, keepdims=True)
    elif p == -math.inf:
        n = np.min(absd, axis=-1, keepdims=True)
    elif p == 1:
        n = np.sum(absd, axis=-1, keepdims=True)
    elif p == 2:
        n = np.sqrt(np.sum(d * d, axis=-1, keepdims=True))
    else:
        with np.errstate(divide="ignore"):  # p < 0: |0|^p = inf, and the norm (sum of them)^(1/p) is 0, as in torch
            n = np.sum(absd ** p, axis=-1, keepdims=True) ** (1 / p)
    y = n if keepdim else n[..., 0]
    y = y.reshape(()) if not shape else y

    def backward(dy):
        dy = check_grad(layer, dy, y)
        g = dy.reshape(n.shape)
        sign = np.sign(d)
        if p == 0:
            dd = np.zeros_like(d)
        elif p == 1:
            dd = sign * g
        elif p == 2:
            dd = g * np.where(n > 0, d / np.where(n > 0, n, 1), 0)
        elif math.isinf(p):
            tie = (absd == n) | np.isnan(absd)
            dd = sign * (g / tie.sum(axis=-1, keepdims=True)) * tie
        else:
            safe_d, safe_n = np.where(d == 0, 1, absd), np.where(n == 0, 1, n)
            dd = np.where(d == 0, 0, sign * safe_d ** (p - 1)) * np.where(n == 0, 0, g * safe_n ** (1 - p))
        dd = dd.astype(d.dtype, copy=False)
        dd = dd.reshape(shape)  # (*, D), or () for a 0-d pair
        return _sum_to(dd, x1.shape), -_sum_to(dd, x2.shape)

    return y, backward


def triplet_margin_loss(anchor: np.ndarray, positive: np.ndarray, negative: np.ndarray, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, *, reduction: str = "mean"):
    """Triplet loss (Schroff et al. 2015, FaceNet): the anchor must be nearer its positive than its negative by
    ``margin``. With ``d`` = ``pairwise_distance(., ., p, eps)``::

        l = max(0, margin + d(a, p) - d(a, n))

    With ``swap`` (Balntas et al. 2016), ``d(a, n)`` becomes ``min(d(a, n), d(p, n))``: the harder of the two
    negatives' distances.

    Args:
        anchor, positive, negative: float arrays of one dtype and the same number of dims (broadcast like
            ``pairwise_distance``), features along the last dim.
        margin: ``> 0`` (torch refuses 0 and below too).
        p, eps: ``pairwise_distance``'s.
        swap: use the distance swap.
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.

    Shape:
        anchor, positive, negative: ``(N, D)`` or ``(D,)``; y: ``()``, or ``(N,)`` for ``reduction='none'``.

    Backward:
        With ``dl`` the upstream gradient of each ``l``, passed where ``margin + d(a, p) - d(a, n) >= 0`` (at exactly
        0 too, torch's ``clamp_min`` choice), through ``pairwise_distance``'s backward::

            d(a, p) gets  dl              (-> danchor, dpositive)
            d(a, n) gets -dl              (-> danchor, dnegative)

        With swap, ``-dl`` goes to the smaller of ``d(a, n)`` and ``d(p, n)`` (-> dpositive, dnegative), split in
        halves on a tie, as torch's ``min`` does. ``backward(dy)`` returns ``(danchor, dpositive, dnegative)``.

    Examples:
        >>> a, pos, neg = np.zeros((1, 2)), np.array([[1.0, 0.0]]), np.array([[0.0, 1.5]])
        >>> y, backward = triplet_margin_loss(a, pos, neg, eps=0.0)
        >>> float(y), backward(1.0)[0]
        (0.5, array([[-1.,  1.]]))
    """
    layer = "triplet_margin_loss"
    _check_pair(layer, anchor, positive, ("anchor", "positive"))
    _check_pair(layer, anchor, negative, ("anchor", "negative"))
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ValueError(f"{layer} expected anchor, positive and negative with one number of dims, got "
                         f"{anchor.ndim}, {positive.ndim} and {negative.ndim}")
    if not margin > 0:
        raise ValueError(f"{layer} expected margin > 0, got {margin}")
    check_reduction(layer, reduction)
    d_pos, back_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg, back_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_swap, back_swap = pairwise_distance(positive, negative, p, eps)
        # torch's minimum: the gradient goes to the smaller one, half to each on a tie
        share_neg = np.where(d_neg < d_swap, 1.0, np.where(d_neg == d_swap, 0.5, 0.0)).astype(anchor.dtype)
        d_neg = np.minimum(d_neg, d_swap)
    z = margin + d_pos - d_neg
    active = z >= 0
    y, reduce_backward = _reduce(np.maximum(z, 0), reduction)

    def backward(dy):
        dy = check_grad(layer, dy, y)
        dl = np.where(active, reduce_backward(dy), 0).astype(anchor.dtype, copy=False)
        da, dp = back_pos(dl)
        if not swap:
            da_n, dn = back_neg(-dl)
            return da + da_n, dp, dn
        da_n, dn = back_neg(-dl * share_neg)
        dp_s, dn_s = back_swap(-dl * (1 - share_neg))
        return da + da_n, dp + dp_s, dn + dn_s

    return y, backward


def _check_sign_target(layer: str, target, shape: tuple, allowed=(1, -1)) -> np.ndarray:
    """An int or float array of ``shape`` holding only the ``allowed`` labels."""
    if not isinstance(target, np.ndarray):
        raise TypeError(f"{layer} expected target to be a numpy.ndarray, got {type(target).__name__}")
    if target.dtype.kind not in "iuf":
        raise TypeError(f"{layer} expected target of integer or float labels, got dtype {target.dtype}")
    if target.shape != shape:
        raise ValueError(f"{layer} expected target of shape {fmt_shape(shape)}, got {fmt_shape(target.shape)}")
    bad = ~np.isin(target, allowed)
    if bad.any():
        raise ValueError(f"{layer} expected target values in {{{', '.join(map(str, allowed))}}}, got "
                         f"{target[bad].flat[0].item()!r}")
    return target


# torch's constant is the C++ float 1e-12f, 9.99999996e-13 as a double: the float64 result depends on which.
_COSINE_EMBEDDING_EPS = float(np.float32(1e-12))


def cosine_embedding_loss(input1: np.ndarray, input2: np.ndarray, target: np.ndarray, margin: float = 0, *,
                          reduction: str = "mean"):
    """Pulls pairs labelled 1 together and pushes pairs labelled -1 apart, by their cosine::

        cos = <x1, x2> / sqrt((||x1||^2 + 1e-12) (||x2||^2 + 1e-12))
        l   = 1 - cos                 if target ==  1
              max(0, cos - margin)    if target == -1

    The 1e-12 is torch's: added to each squared norm (not the ``eps`` of ``cosine_similarity``, which clamps the
    norms), so a pair of equal vectors has a loss of about ``1e-12 / ||x||^2``, not 0. It is torch's float constant
    ``1e-12f`` exactly (``9.99999996e-13``), which a zero vector's gradient, of size ``1 / sqrt(1e-12)``, shows.

    Args:
        input1, input2: float arrays of one shape and dtype (no broadcasting).
        target: 1 or -1 per pair, integer or float. torch gives other values a loss of 0; we raise.
        margin: in [-1, 1]; 0 to 0.5 is the usual range.
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.

    Shape:
        input1, input2: ``(N, D)`` or ``(D,)``; target: ``(N,)`` or ``()``; y: ``()``, or the target's shape for
        ``reduction='none'``.

    Backward:
        With ``m1 = ||x1||^2 + 1e-12``, ``denom = sqrt(m1 m2)`` and ``dl`` each pair's upstream gradient::

            dcos = -dl                 where target == 1
                    dl                 where target == -1 and cos - margin >= 0 (torch passes it at 0 too)
            dx1  = dcos (x2 / denom - cos x1 / m1)
            dx2  = dcos (x1 / denom - cos x2 / m2)

        ``backward(dy)`` returns ``(dinput1, dinput2, None)``: labels get no gradient.

    Examples:
        >>> x1 = np.array([[1.0, 0.0], [1.0, 0.0]]); x2 = np.array([[0.0, 1.0], [1.0, 1.0]])
        >>> y, backward = cosine_embedding_loss(x1, x2, np.array([1, -1]), reduction="none")
        >>> y.round(4), backward(np.ones(2))[0][1].round(4)
        (array([1.    , 0.7071]), array([0.    , 0.7071]))
    """
    layer = "cosine_embedding_loss"
    _check_same_shape(layer, ("input1", "input2"), input1, input2)
    check_reduction(layer, reduction)
    if input1.ndim not in (1, 2):
        raise ValueError(f"{layer} expected inputs of shape (N, D) or (D,), got {fmt_shape(input1.shape)}")
    t = _check_sign_target(layer, target, input1.shape[:-1])
    x1, x2 = input1, input2
    m1 = np.sum(x1 * x1, axis=-1) + _COSINE_EMBEDDING_EPS
    m2 = np.sum(x2 * x2, axis=-1) + _COSINE_EMBEDDING_EPS
    denom = np.sqrt(m1 * m2)
    cos = np.sum(x1 * x2, axis=-1) / denom
    similar, dissimilar = t == 1, t == -1
    hinge_active = dissimilar & (cos - margin >= 0)
    loss = np.where(similar, 1 - cos, 0) + np.where(dissimilar, np.maximum(cos - margin, 0), 0)
    y, reduce_backward = _reduce(loss.astype(x1.dtype, copy=False), reduction)

    def backward(dy):
        dy = check_grad(layer, dy, y)
        dl = reduce_backward(dy)
        dcos = (np.where(similar, -dl, 0) + np.where(hinge_active, dl, 0))[..., None]
        dx1 = dcos * (x2 / denom[..., None] - cos[..., None] * x1 / m1[..., None])
        dx2 = dcos * (x1 / denom[..., None] - cos[..., None] * x2 / m2[..., None])
        return dx1.astype(x1.dtype, copy=False), dx2.astype(x1.dtype, copy=False), None

    return y, backward


def margin_ranking_loss(input1: np.ndarray, input2: np.ndarray, target: np.ndarray, margin: float = 0, *,
                        reduction: str = "mean"):
    """Ranking hinge: ``input1`` should rank above ``input2`` where ``target`` is 1, below where it is -1::

        l = max(0, -target * (input1 - input2) + margin)

    Args:
        input1, input2, target: float arrays of one shape and dtype (no broadcasting, unlike torch: as the other
            pointwise losses here, a shape mismatch is an error). ``target`` is normally 1 or -1; like torch we
            accept any value, as a weight on the difference, and differentiate it.
        margin: the gap required between the two scores.
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.

    Shape:
        input1, input2, target: ``(*)``; y: ``()``, or ``(*)`` for ``reduction='none'``.

    Backward:
        With ``dl`` each element's upstream gradient, passed where ``-target (input1 - input2) + margin >= 0`` (at 0
        too, torch's ``clamp_min`` choice)::

            dinput1 = -target dl,   dinput2 = target dl,   dtarget = -(input1 - input2) dl

        ``backward(dy)`` returns ``(dinput1, dinput2, dtarget)``.

    Examples:
        >>> y, backward = margin_ranking_loss(np.array([2.0, 0.0]), np.array([1.0, 1.0]), np.array([1.0, 1.0]),
        ...                                   margin=1.5, reduction="none")
        >>> y, backward(np.ones(2))[0]
        (array([0.5, 2.5]), array([-1., -1.]))
    """
    layer = "margin_ranking_loss"
    _check_same_shape(layer, ("input1", "input2", "target"), input1, input2, target)
    check_reduction(layer, reduction)
    diff = input1 - input2
    z = -target * diff + margin
    active = z >= 0
    y, reduce_backward = _reduce(np.maximum(z, 0).astype(input1.dtype, copy=False), reduction)

    def backward(dy):
        dy = check_grad(layer, dy, y)
        dl = np.where(active, reduce_backward(dy), 0).astype(input1.dtype, copy=False)
        return -target * dl, target * dl, -diff * dl

    return y, backward


def multi_margin_loss(input: np.ndarray, target: np.ndarray, p: int = 1, margin: float = 1, weight=None, *,
                      reduction: str = "mean"):
    """Multi-class hinge loss (the SVM loss of CS231n; Weston and Watkins 1999, summed over the wrong classes)::

        l_n = sum_{c != y_n} w[y_n] max(0, margin - x[n, y_n] + x[n, c])^p / C

    The weight multiplies after the power, as torch's kernel computes it (its documentation writes it inside).

    Args:
        input: scores ``(N, C)`` or ``(C,)``.
        target: integer class indices in ``[0, C)``.
        p: 1 (hinge) or 2 (squared hinge).
        margin: the gap by which the true class must beat every other.
        weight: ``(C,)`` per-class weights (of the true class), or None.
        reduction: ``'none'``, ``'sum'``, or ``'mean'`` (default), which divides by N (not by the weights' sum).

    Shape:
        input: ``(N, C)`` or ``(C,)``; target: ``(N,)`` or ``()``; y: ``()``, or the target's shape for
        ``reduction='none'``.

    Backward:
        With ``z[n, c] = margin - x[n, y_n] + x[n, c]``, the active terms ``z > 0`` (strictly: 0 at ``z == 0``, as
        torch) for ``c != y_n``, and ``g_n = dl_n w[y_n] / C``::

            dx[n, c]   = g_n (1 or 2 z[n, c])         for each active c != y_n
            dx[n, y_n] = -sum_c dx[n, c]

        ``backward(dy)`` returns ``(dinput, None, None)``: indices and weights get no gradient.

    Examples:
        >>> y, backward = multi_margin_loss(np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([3]))
        >>> round(float(y), 4), backward(1.0)[0].round(4)
        (0.325, array([[ 0.25,  0.25,  0.25, -0.75]]))
    """
    layer = "multi_margin_loss"
    check_float(layer, "input", input)
    if input.ndim > 2 or input.size == 0:
        raise ValueError(f"{layer} expected input of shape (N, C) or (C,) with C > 0, got {fmt_shape(input.shape)}")
    check_int_array(layer, "target", target)
    target_shape = input.shape[:1] if input.ndim == 2 else ()
    if target.shape != target_shape:
        raise ValueError(f"{layer} expected target of class indices of shape {fmt_shape(target_shape)} for input "
                         f"{fmt_shape(input.shape)}, got {fmt_shape(target.shape)}")
    if p not in (1, 2):
        raise ValueError(f"{layer} expected p to be 1 or 2, got {p!r}")
    check_reduction(layer, reduction)
    x = input.reshape(-1, input.shape[-1]) if input.ndim else input.reshape(1, 1)  # (N, C)
    N, C = x.shape
    t = target.reshape(N)
    if np.any((t < 0) | (t >= C)):
        raise ValueError(f"{layer} got target class {int(t[(t < 0) | (t >= C)][0])}, out of range for C={C} "
                         f"classes (expected 0 <= target < {C})")
    w = _check_class_weight(layer, weight, x, C)  # (C,)
    w_t = w[t]  # (N,)
    x_t = x[np.arange(N), t]  # (N,)
    z = margin - x_t[:, None] + x  # (N, C)
    wrong = np.arange(C) != t[:, None]  # (N, C)
    active = wrong & (z > 0)
    h = np.where(active, z if p == 1 else z * z, 0)
    loss = (w_t * h.sum(axis=1) / C).astype(x.dtype, copy=False)  # (N,)
    y, reduce_backward = _reduce(loss.reshape(target_shape), reduction)

    def backward(dy):
        dy = check_grad(layer, dy, y)
        g = (reduce_backward(dy).reshape(N) * w_t / C)[:, None]  # (N, 1)
        dz = np.where(active, g if p == 1 else 2 * g * z, 0)  # (N, C)
        dx = dz - np.where(wrong, 0, dz.sum(axis=1, keepdims=True))  # the true class's score enters every z
        return dx.astype(x.dtype, copy=False).reshape(input.shape), None, None

    return y, backward


def contrastive_loss(x1: np.ndarray, x2: np.ndarray, target: np.ndarray, margin: float = 1.0,
                     reduction: str = "mean"):
    """Contrastive loss for pairs (Hadsell, Chopra and LeCun 2006), which torch lacks. With ``d = ||x1 - x2||_2``::

        l = d^2                     if target == 1 (a similar pair: pulled together)
            max(0, margin - d)^2    if target == 0 (a dissimilar pair: pushed apart until margin)

    Conventions, stated because implementations differ: the target is 1 for similar pairs and 0 for dissimilar
    ones (the paper's ``Y`` is the opposite, ``Y = 1 - target``); and there is no factor 1/2, where the paper writes
    ``(1 - Y) 1/2 d^2 + Y 1/2 max(0, m - d)^2``: this loss and its gradient are twice the paper's. ``d`` is the
    plain Euclidean distance, without ``pairwise_distance``'s ``eps``.

    Args:
        x1, x2: float arrays of one shape and dtype, features along the last dim.
        target: 1 (similar) or 0 (dissimilar) per pair, integer or float; other values raise.
        margin: the distance beyond which a dissimilar pair costs nothing.
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.

    Shape:
        x1, x2: ``(N, D)`` or ``(D,)``; target: ``(N,)`` or ``()``; y: ``()``, or the target's shape for
        ``reduction='none'``.

    Backward:
        With ``diff = x1 - x2`` and ``dl`` each pair's upstream gradient::

            similar:     dx1 = 2 diff dl
            dissimilar:  dx1 = -2 max(0, margin - d) diff / d dl      (0 where d == 0: no direction to push along)
            dx2 = -dx1

        ``backward(dy)`` returns ``(dx1, dx2, None)``.

    Examples:
        >>> x1 = np.array([[0.0, 0.0], [0.0, 0.0]]); x2 = np.array([[3.0, 4.0], [0.6, 0.8]])
        >>> y, backward = contrastive_loss(x1, x2, np.array([1, 0]), reduction="none")
        >>> y, backward(np.ones(2))[0]
        (array([25.,  0.]), array([[-6., -8.],
               [ 0.,  0.]]))
    """
    layer = "contrastive_loss"
    _check_same_shape(layer, ("x1", "x2"), x1, x2)
    check_reduction(layer, reduction)
    if x1.ndim not in (1, 2):
        raise ValueError(f"{layer} expected x1 and x2 of shape (N, D) or (D,), got {fmt_shape(x1.shape)}")
    t = _check_sign_target(layer, target, x1.shape[:-1], allowed=(1, 0))
    diff = x1 - x2
    sq = np.sum(diff * diff, axis=-1)
    d = np.sqrt(sq)
    hinge = np.maximum(margin - d, 0)
    similar = t == 1
    loss = np.where(similar, sq, hinge * hinge).astype(x1.dtype, copy=False)
    y, reduce_backward = _reduce(loss, reduction)

    def backward(dy):
        dy = check_grad(layer, dy, y)
        dl = reduce_backward(dy)
        # d(d^2)/d diff = 2 diff; d(hinge^2)/d diff = -2 hinge * diff / d
        coef = np.where(similar, 2 * dl, -2 * hinge * dl / np.where(d > 0, d, 1) * (d > 0))[..., None]
        dx1 = (coef * diff).astype(x1.dtype, copy=False)
        return dx1, -dx1, None

    return y, backward
