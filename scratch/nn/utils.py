"""Gradient utilities: ``clip_grad_norm_`` with torch.nn.utils' name, arguments and result; ``weight_norm`` and
``remove_weight_norm``, which reparametrise a module's weight as torch.nn.utils' do."""
from __future__ import annotations

import math

import numpy as np

from scratch.functional.reparam import norm_axes
from scratch.functional.reparam import weight_norm as _weight_norm
from scratch.nn.module import Parameter, accumulate_grad


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


class _WeightNormForward:
    """A module's ``forward`` with weight norm in front, installed on the instance by ``weight_norm``.

    Each call computes ``w = g * v / ||v||`` into a fresh Parameter that the module's own forward and backward use as
    its ``name`` (torch recomputes the weight in a forward pre-hook the same way), and wraps the module's backward:
    that backward accumulates the weight's gradient into this call's Parameter, and ``weight_norm``'s backward turns
    it into ``dv`` and ``dg``, added into ``<name>_v.grad`` and ``<name>_g.grad``. Since a module's backward reads
    ``self.<name>`` when it runs, the call's weight is put back in place for it, so two calls before their backwards
    (shared weights) each differentiate their own ``w``. An object rather than a closure, so that ``copy.deepcopy``
    and pickle carry it with the module; ``inner`` chains a second reparametrised weight (an RNN's two).
    """

    def __init__(self, module, name: str, dim, inner):
        self.module, self.name, self.dim, self.inner = module, name, dim, inner

    def compute_weight(self):
        return _weight_norm(getattr(self.module, self.name + "_v"), getattr(self.module, self.name + "_g"), self.dim)

    def __call__(self, *args, **kwargs):
        module, name = self.module, self.name
        g, v = getattr(module, name + "_g"), getattr(module, name + "_v")
        w, backward_w = _weight_norm(v, g, self.dim)
        weight = Parameter(w)  # this call's weight: the module's backward accumulates dw into weight.grad
        object.__setattr__(module, name, weight)  # an attribute, not a registered parameter (as torch's)
        inner = self.inner if self.inner is not None else type(module).forward.__get__(module)
        y, backward = inner(*args, **kwargs)

        def weight_norm_backward(*dys):
            current = module.__dict__[name]
            object.__setattr__(module, name, weight)
            try:
                dx = backward(*dys)
            finally:
                object.__setattr__(module, name, current)
            if weight.grad is not None:
                dv, dg = backward_w(weight.grad)
                weight.grad = None
                accumulate_grad(v, dv)
                accumulate_grad(g, dg)
            return dx

        return y, weight_norm_backward


def weight_norm(module, name: str = "weight", dim: int | None = 0):
    """Reparametrise ``module.<name>`` as ``g * v / ||v||`` (``torch.nn.utils.weight_norm``); returns the module.

    The parameter ``name`` is replaced by two, ``<name>_g`` (the magnitudes, ``||weight||`` at the start) and
    ``<name>_v`` (the direction, the weight itself at the start), registered last, so the state_dict keys, order and
    shapes are those of torch's ``torch.nn.utils.weight_norm`` (a Linear's: ``bias``, ``weight_g (out, 1)``,
    ``weight_v (out, in)``). torch's newer ``torch.nn.utils.parametrizations.weight_norm`` stores the same two
    arrays as ``parametrizations.weight.original0`` and ``original1``; these flat names were chosen because a
    scratch Module has no parametrization container, and torch's newer API loads a state_dict with them (it
    converts ``weight_g``/``weight_v`` on load). Before every call the module's forward sees
    ``w = weight_norm(<name>_v, <name>_g, dim)`` as ``module.<name>`` (a plain attribute, as in torch), and its
    backward accumulates into ``<name>_g.grad`` and ``<name>_v.grad``; see ``scratch.functional.weight_norm`` for
    the formula and ``dim`` (None or -1: one norm for the whole tensor, as torch).

    Args:
        module: a scratch Module holding the parameter.
        name: the parameter's name (default ``'weight'``).
        dim: the dim with one magnitude per index (0: per output unit or channel).

    Examples:
        >>> from scratch.nn import Linear
        >>> layer = weight_norm(Linear(3, 4))
        >>> [(k, v.shape) for k, v in layer.state_dict().items()]
        [('bias', (4,)), ('weight_g', (4, 1)), ('weight_v', (4, 3))]
        >>> y, backward = layer(np.ones((2, 3), dtype=np.float32))
        >>> dx = backward(np.ones_like(y)); layer.weight_g.grad.shape, layer.weight_v.grad.shape
        ((4, 1), (4, 3))
    """
    forward = module.__dict__.get("forward")
    hook = forward
    while isinstance(hook, _WeightNormForward):
        if hook.name == name:
            raise RuntimeError(f"weight_norm: cannot register two weight_norm hooks on the same parameter {name}")
        hook = hook.inner
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"weight_norm expected {type(module).__name__} to have a parameter {name!r}, "
                         f"got parameters {list(module._parameters)}")
    axes, keepdims = norm_axes("weight_norm", weight.ndim, dim)
    g = np.sqrt(np.sum(weight * weight, axis=axes, keepdims=keepdims)).astype(weight.dtype)  # torch's norm_except_dim
    v = np.array(weight, copy=True)
    setattr(module, name, None)  # unregisters the parameter
    setattr(module, name + "_g", Parameter(g))
    setattr(module, name + "_v", Parameter(v))
    hook = _WeightNormForward(module, name, dim, forward)
    object.__setattr__(module, name, hook.compute_weight()[0])
    object.__setattr__(module, "forward", hook)
    return module


def remove_weight_norm(module, name: str = "weight"):
    """Undo ``weight_norm``: ``<name>`` is again one Parameter holding ``g * v / ||v||`` (torch's
    ``torch.nn.utils.remove_weight_norm``); returns the module."""
    outer, hook = None, module.__dict__.get("forward")
    while isinstance(hook, _WeightNormForward) and hook.name != name:
        outer, hook = hook, hook.inner
    if not isinstance(hook, _WeightNormForward):
        raise ValueError(f"remove_weight_norm: weight_norm of {name!r} not found in {type(module).__name__}")
    w = hook.compute_weight()[0]
    if outer is None:
        if hook.inner is None:
            del module.__dict__["forward"]
        else:
            object.__setattr__(module, "forward", hook.inner)
    else:
        outer.inner = hook.inner
    for suffix in ("_g", "_v"):
        setattr(module, name + suffix, None)  # unregisters the parameter
        object.__delattr__(module, name + suffix)
    setattr(module, name, Parameter(w))
    return module


__all__ = ["clip_grad_norm_", "remove_weight_norm", "weight_norm"]
