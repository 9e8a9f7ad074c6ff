"""Gradient utilities: ``clip_grad_norm_`` with torch.nn.utils' name, arguments and result."""
from __future__ import annotations

import math

import numpy as np


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> np.ndarray:
    """Scale all gradients together so that their joint norm is at most ``max_norm``; return the norm before.

    The gradients of all parameters are treated as one long vector ``g``:

        total_norm = ||g||_p = (sum_i ||g_i||_p^p)^(1/p)      (max_i ||g_i||_inf for p = inf)
        g_i <- g_i * min(1, max_norm / (total_norm + 1e-6))

    Scaling every gradient by one factor keeps the update's direction and only shortens it, unlike clipping each
    element. The ``1e-6`` keeps the division finite for all-zero gradients. As in torch every gradient is
    multiplied in place, by exactly 1.0 when the norm is already small enough. Parameters whose ``.grad`` is None
    are ignored.

    Args:
        parameters: a Parameter or an iterable of Parameters.
        max_norm: the largest allowed norm.
        norm_type: p of the p-norm: any p > 0, or ``inf`` (the largest absolute value) (default 2).
        error_if_nonfinite: raise a RuntimeError if the total norm is nan or inf, instead of scaling the
            gradients by a non-finite factor.
        foreach: accepted for torch compatibility and ignored.

    Returns:
        total_norm: the norm before clipping, a 0-d array of the gradients' dtype (torch returns a 0-d tensor).

    Examples:
        >>> from scratch.nn import Parameter
        >>> w = Parameter(np.zeros(2)); w.grad = np.array([3.0, 4.0])
        >>> clip_grad_norm_([w], max_norm=1.0)
        array(5.)
        >>> np.round(w.grad, 4)
        array([0.6, 0.8])
    """
    if isinstance(parameters, np.ndarray):
        parameters = [parameters]
    grads = [p.grad for p in parameters if getattr(p, "grad", None) is not None]
    norm_type = float(norm_type)
    if not (norm_type > 0):
        raise ValueError(f"clip_grad_norm_ supports norm_type > 0 or inf, got {norm_type}")
    if not grads:
        return np.zeros((), dtype=np.float32)  # torch returns tensor(0.) here
    dtype = np.result_type(*grads)
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite norm is reported (or raised) below
        if math.isinf(norm_type):
            norms = np.array([np.max(np.abs(g), initial=0) for g in grads])
            total_norm = np.max(norms).astype(dtype)
        else:
            norms = np.array([np.sum(np.abs(g) ** norm_type) ** (1 / norm_type) for g in grads])
            total_norm = (np.sum(norms**norm_type) ** (1 / norm_type)).astype(dtype)
        if error_if_nonfinite and not np.isfinite(total_norm):
            raise RuntimeError(
                f"clip_grad_norm_: the total norm of order {norm_type} for gradients from `parameters` is "
                "non-finite, so it cannot be clipped. To disable this error and scale the gradients by the "
                "non-finite norm anyway, set `error_if_nonfinite=False`")
        clip_coef = np.minimum(max_norm / (total_norm + 1e-6), 1.0)
        for g in grads:
            g *= clip_coef.astype(g.dtype)
    return np.asarray(total_norm)


__all__ = ["clip_grad_norm_"]
