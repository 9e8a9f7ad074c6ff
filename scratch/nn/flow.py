"""Normalizing-flow shells: ``AffineCoupling``, RealNVP's coupling layer with the network that conditions it.

torch.nn has no flow layers; the twin (``torch_impl.nn.flow``) is an ``nn.Module`` with the same state-dict keys.
"""
from __future__ import annotations

import numpy as np

from scratch import functional as F
from scratch._checks import check_float, check_positive_int, fmt_shape
from scratch.nn.activation import ReLU
from scratch.nn.container import Sequential
from scratch.nn.linear import Linear
from scratch.nn.module import Module


def check_coupling_mask(layer: str, mask, features: int) -> np.ndarray:
    """The mask as a float64 array of shape ``(features,)`` holding only 0s and 1s (a copy)."""
    m = np.array(mask, dtype=np.float64, copy=True)
    if m.shape != (features,):
        raise ValueError(f"{layer} expected mask of shape ({features},) (one 0 or 1 per feature), "
                         f"got {fmt_shape(m.shape)}")
    if not np.all((m == 0) | (m == 1)):
        raise ValueError(f"{layer} expected mask to hold only 0s and 1s, got {mask!r}")
    return m


class AffineCoupling(Module):
    """RealNVP's affine coupling layer (Dinh et al. 2017): ``y = m * x + (1 - m) * (x * exp(s) + t)``, with
    ``s, t`` computed from ``m * x`` by a small network::

        h    = net(m * x)                 net = Linear(D, hidden) -> ReLU -> Linear(hidden, 2D)
        s, t = tanh(h[..., :D]), h[..., D:]
        y, log_det = affine_coupling(x, m, s, t)

    The tanh bounds each log-scale to (-1, 1), so one layer scales a feature by at most e: an unbounded ``s``
    can grow until ``exp(s)`` overflows early in training. The features where ``m`` is 1 pass through, and ``s``
    and ``t`` depend on those alone, so the Jacobian ``dy/dx`` is triangular and ``log|det dy/dx| = log_det``, the
    sum of ``s`` over the transformed features; ``inverse`` undoes the layer exactly.

    Args:
        features: ``D``, the size of the last input dim.
        hidden: the network's hidden width.
        mask: ``(D,)`` of 0s and 1s (1: passed through and fed to the network; 0: transformed). Stacked layers
            alternate a mask and ``1 - mask`` so that every feature is transformed.
        dtype, rng: the parameters' dtype (float32 by default, as in torch) and the generator for their initial
            values (torch's Linear initialisation).

    Shape:
        input: ``(*, D)``; y: ``(*, D)``; log_det: ``(*)``. Calling the layer returns ``((y, log_det), backward)``.

    Attributes:
        net: ``Sequential(Linear(D, hidden), ReLU(), Linear(hidden, 2D))``; its parameters are the state dict
            (``net.0.weight``, ``net.0.bias``, ``net.2.weight``, ``net.2.bias``). The first D outputs are the raw
            log-scales, the last D the shifts.
        mask: the mask, kept out of the state dict (it is a constructor argument, like torch's non-persistent
            buffers).

    Backward:
        ``backward((dy, dlog_det))`` (either may be None) adds into the network's ``.grad`` and returns ``dx``. ``x``
        reaches the output by two roads, and ``dx`` is their sum::

            dx_direct, _, ds, dt = coupling_backward((dy, dlog_det))   # x as the coupling's own input
            dh = [ds * (1 - s^2), dt]                                  # through the tanh; (*, 2D)
            dxm = net_backward(dh)                                     # into net's input m * x
            dx = dx_direct + m * dxm                                   # d(m * x)/dx = m

    Examples:
        >>> layer = AffineCoupling(4, 8, mask=[1, 0, 1, 0])
        >>> x = np.ones((3, 4), np.float32)
        >>> (y, log_det), backward = layer(x)
        >>> y.shape, log_det.shape, backward((np.ones_like(y), np.ones_like(log_det))).shape
        ((3, 4), (3,), (3, 4))
        >>> bool(np.allclose(layer.inverse(y), x, atol=1e-6)), layer.net[0].weight.grad.shape
        (True, (8, 4))
    """

    def __init__(self, features: int, hidden: int, mask, dtype=np.float32, rng=None):
        super().__init__()
        self.features = check_positive_int("AffineCoupling", "features", features)
        self.hidden = check_positive_int("AffineCoupling", "hidden", hidden)
        self.mask = check_coupling_mask("AffineCoupling", mask, features).astype(dtype)
        self.net = Sequential(Linear(features, hidden, dtype=dtype, rng=rng), ReLU(),
                              Linear(hidden, 2 * features, dtype=dtype, rng=rng))

    def _check_input(self, name: str, x) -> None:
        check_float("AffineCoupling", name, x)
        if x.ndim == 0 or x.shape[-1] != self.features:
            raise ValueError(f"AffineCoupling expected {name} of shape (*, {self.features}), "
                             f"got {fmt_shape(x.shape)}")

    def _conditioner(self, xm):
        """``s, t`` from the passed-through part ``xm``, and the closure taking ``(ds, dt)`` back to ``dxm``."""
        D = self.features
        h, net_backward = self.net(xm)  # (*, 2D)
        s, tanh_backward = F.tanh(h[..., :D])
        t = h[..., D:]

        def conditioner_backward(ds, dt):
            dh = np.concatenate([tanh_backward(ds)[0], dt], axis=-1)  # (*, 2D)
            return net_backward(dh)

        return s, t, conditioner_backward

    def forward(self, x):
        self._check_input("input", x)
        m = self.mask.astype(x.dtype, copy=False)
        s, t, conditioner_backward = self._conditioner(m * x)
        (y, log_det), coupling_backward = F.affine_coupling(x, m, s, t)

        def affine_coupling_backward(grads):
            dx_direct, _, ds, dt = coupling_backward(grads)
            dxm = conditioner_backward(ds, dt)
            return dx_direct + m * dxm

        return (y, log_det), affine_coupling_backward

    def inverse(self, y):
        """``x`` from ``y = forward(x)[0]``: ``m * y`` equals ``m * x``, so the network gives the same ``s, t``, and
        ``x = m * y + (1 - m) * (y - t) * exp(-s)``. No backward."""
        self._check_input("y", y)
        m = self.mask.astype(y.dtype, copy=False)
        s, t, _ = self._conditioner(m * y)
        return m * y + (1 - m) * (y - t) * np.exp(-s)

    def extra_repr(self):
        return f"features={self.features}, hidden={self.hidden}, mask={self.mask.astype(int).tolist()}"
