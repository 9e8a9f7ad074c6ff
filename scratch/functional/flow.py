"""Normalizing-flow layers: the affine coupling of RealNVP (Dinh, Sohl-Dickstein and Bengio, 2017).

torch.nn.functional has no flow layers; the name and argument order here are this project's (input first, as in
torch's functions), and the twin in ``torch_impl.functional.flow`` is written with torch ops.
"""
from __future__ import annotations

import numpy as np

from scratch._checks import check_float, check_grad, check_min_ndim, fmt_shape


def affine_coupling(input: np.ndarray, mask: np.ndarray, log_scale: np.ndarray, shift: np.ndarray):
    """Affine coupling, ``y = mask * x + (1 - mask) * (x * exp(log_scale) + shift)``, with its log-determinant
    ``log_det = sum over the last (feature) dim of (1 - mask) * log_scale``.

    The features where ``mask`` is 1 pass through unchanged; the others are scaled and shifted. In RealNVP
    ``log_scale`` and ``shift`` are computed by networks from ``mask * x`` (the part that passes through), so the
    Jacobian ``dy/dx`` is triangular and its log-determinant is the sum above (``scratch.nn.AffineCoupling`` does
    that). Here they are plain inputs: the function is pure, and its backward gives their gradients, which the
    module sends back through its network. With a mask of 0s and 1s, ``log_det = log|det dy/dx|`` for fixed
    ``log_scale`` and ``shift``.

    Args:
        input: ``x``, float32 or float64, features along the last dim.
        mask: of the input's dtype, broadcastable to its shape (``(D,)``, one mask for every example, or the
            input's own shape); 1 keeps a feature, 0 transforms it. Not differentiated.
        log_scale: ``s``, the input's shape and dtype.
        shift: ``t``, the input's shape and dtype.

    Shape:
        input, log_scale, shift: ``(*, D)``; mask: broadcastable to ``(*, D)``; y: ``(*, D)``; log_det: ``(*)``.
        The function returns ``((y, log_det), backward)``.

    Backward:
        ``backward((dy, dlog_det))`` (either may be None, meaning zeros: a caller that uses only ``y``) returns
        ``(dx, None, dlog_scale, dshift)``; with ``m = mask``, ``e = exp(s)`` and ``dlog_det`` broadcast over the
        last dim::

            dx         = dy * (m + (1 - m) * e)
            dlog_scale = (1 - m) * (dy * x * e + dlog_det)
            dshift     = (1 - m) * dy

    Examples:
        >>> x = np.array([[1.0, 2.0]])
        >>> (y, log_det), backward = affine_coupling(x, np.array([1.0, 0.0]), np.log([[5.0, 3.0]]), np.ones((1, 2)))
        >>> y, log_det.round(4)
        (array([[1., 7.]]), array([1.0986]))
        >>> dx, _, dlog_scale, dshift = backward((np.ones((1, 2)), np.ones(1)))
        >>> dx, dlog_scale, dshift
        (array([[1., 3.]]), array([[0., 7.]]), array([[0., 1.]]))
    """
    layer = "affine_coupling"
    x = check_float(layer, "input", input)
    check_min_ndim(layer, "input", x, 1, "(*, D)")
    for name, a in (("mask", mask), ("log_scale", log_scale), ("shift", shift)):
        check_float(layer, name, a)
        if a.dtype != x.dtype:
            raise TypeError(f"{layer} expected {name} of dtype {x.dtype} like the input, got {a.dtype}")
    for name, a in (("log_scale", log_scale), ("shift", shift)):
        if a.shape != x.shape:
            raise ValueError(f"{layer} expected {name} of the input's shape {fmt_shape(x.shape)}, "
                             f"got {fmt_shape(a.shape)}")
    try:
        broadcast = np.broadcast_shapes(mask.shape, x.shape)
    except ValueError:
        broadcast = None
    if broadcast != x.shape:
        raise ValueError(f"{layer} expected mask broadcastable to the input's shape {fmt_shape(x.shape)} "
                         f"(e.g. ({x.shape[-1]},)), got {fmt_shape(mask.shape)}")

    keep = mask
    change = 1 - mask  # the features that are scaled and shifted
    scale = np.exp(log_scale)
    y = keep * x + change * (x * scale + shift)
    log_det = np.sum(change * log_scale, axis=-1)  # (*): the triangular Jacobian's log-diagonal, summed

    def backward(grads):
        dy, dlog_det = grads
        dy = np.zeros_like(y) if dy is None else check_grad(layer, dy, y)
        dlog_det = np.zeros_like(log_det) if dlog_det is None else check_grad(layer, dlog_det, log_det, "dlog_det")
        dx = dy * (keep + change * scale)
        dlog_scale = change * (dy * x * scale + dlog_det[..., None])
        dshift = change * dy
        return dx, None, dlog_scale, dshift

    return (y, log_det), backward
