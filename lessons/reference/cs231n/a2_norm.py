"""CS231n assignment 2, the normalisation layers of ``layers.py``: batch norm and layer norm (BatchNormalization.ipynb),
spatial batch norm and spatial group norm (ConvolutionalNetworks.ipynb).

The course's conventions, which are not torch's:

- ``bn_param`` is a dict the forward reads and WRITES: ``mode`` ('train' or 'test'), ``eps`` (default 1e-5),
  ``momentum`` (default 0.9) and the running statistics, which start as zeros (both of them) when absent and are
  stored back into the dict after every call, in either mode.
- The running averages weight the OLD value by ``momentum``::

      running_mean = momentum * running_mean + (1 - momentum) * sample_mean
      running_var  = momentum * running_var  + (1 - momentum) * sample_var

  with the BIASED batch variance (divided by N). torch's (and ``scratch``'s) momentum is the weight of the NEW batch
  (0.1 there is the course's 0.9) and torch tracks the UNBIASED variance (divided by N - 1). ``_train_forward``
  translates: it asks ``scratch.functional.batch_norm`` for the batch's statistics with torch's ``momentum=1``
  (which writes the batch's own mean and unbiased variance into fresh buffers), undoes Bessel's factor, and applies
  the course's average. The output itself is ``scratch``'s, normalised with the biased variance as in both.
- Parameter shapes: batch and layer norm ``gamma, beta (D,)``; spatial batch norm ``(C,)``; spatial group norm
  ``(1, C, 1, 1)`` in the current release (2020 onwards; the 2018-2019 release had ``(C,)``). Group norm's gradients
  come back in gamma's own shape, so both releases' shapes work.

Each backward rebuilds the ``scratch`` layer's closure from the cache and calls it. ``batchnorm_backward`` and
``batchnorm_backward_alt`` are the same function here: the course asks for two derivations of one gradient (through
the computation graph, then simplified on paper), and ``scratch``'s batch_norm backward is the simplified one.
"""
from __future__ import annotations

import numpy as np

import scratch.functional as F

__all__ = ["batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt", "layernorm_forward",
           "layernorm_backward", "spatial_batchnorm_forward", "spatial_batchnorm_backward",
           "spatial_groupnorm_forward", "spatial_groupnorm_backward"]


def _train_forward(x, gamma, beta, eps):
    """``scratch`` batch norm in training on ``x`` ``(N, C, *)``: ``(out, sample_mean, sample_var)``, biased var."""
    C = x.shape[1]
    n = x.size // C  # values per channel
    batch_mean, batch_var = np.zeros(C, x.dtype), np.zeros(C, x.dtype)
    # torch's momentum=1 keeps none of the (zero) buffers: they receive the batch's mean and n/(n-1) * its variance
    out, _ = F.batch_norm(x, batch_mean, batch_var, gamma, beta, training=True, momentum=1.0, eps=eps)
    return out, batch_mean, batch_var * ((n - 1) / n)


def _params(x, gamma, beta):
    """gamma and beta as arrays of x's dtype: the notebooks pass integer lists (``np.asarray([3, 4, 5])``)."""
    return np.asarray(gamma, dtype=x.dtype), np.asarray(beta, dtype=x.dtype)


def _batchnorm(x, gamma, beta, bn_param):
    """The course's batch norm on ``x`` ``(N, C, *)``, statistics per channel: ``(out, cache)``, ``bn_param``
    updated."""
    gamma, beta = _params(x, gamma, beta)
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    C = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(C, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(C, dtype=x.dtype))
    if mode == "train":
        out, sample_mean, sample_var = _train_forward(x, gamma, beta, eps)
        # The course's running average: the weight momentum on the old value (torch's 1 - momentum), biased var.
        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        running_var = momentum * running_var + (1 - momentum) * sample_var
        cache = (x, gamma, beta, eps)
    elif mode == "test":
        # scratch updates nothing out of training; copies, so that even a bug there could not write into bn_param
        out, _ = F.batch_norm(x, np.array(running_mean, dtype=x.dtype), np.array(running_var, dtype=x.dtype), gamma,
                              beta, training=False, eps=eps)
        cache = None  # the course has no test-time backward
    else:
        raise ValueError(f'Invalid forward batchnorm mode "{mode}"')
    bn_param["running_mean"] = running_mean  # stored back in either mode, as the course does
    bn_param["running_var"] = running_var
    return out, cache


def _batchnorm_backward(dout, cache):
    x, gamma, beta, eps = cache
    _, backward = F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
    dx, _, _, dgamma, dbeta = backward(dout)
    return dx, dgamma, dbeta


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch norm of ``x`` ``(N, D)``, statistics per feature: ``(out, cache)``.

    ``out = gamma * (x - mean) / sqrt(var + eps) + beta``, with the batch's mean and biased variance in 'train' mode
    (the running averages updated in ``bn_param``, see the module docstring) and the running ones in 'test' mode.
    ``cache = (x, gamma, beta, eps)`` in 'train' mode.
    """
    return _batchnorm(x, gamma, beta, bn_param)


def batchnorm_backward(dout, cache):
    """``(dx, dgamma, dbeta)`` of a training-mode batch norm: ``dx`` ``(N, D)``, ``dgamma`` and ``dbeta`` ``(D,)``."""
    return _batchnorm_backward(dout, cache)


def batchnorm_backward_alt(dout, cache):
    """The same gradients as ``batchnorm_backward`` (the course's simplified derivation; see the module docstring)."""
    return _batchnorm_backward(dout, cache)


def layernorm_forward(x, gamma, beta, ln_param):
    """Layer norm of ``x`` ``(N, D)``, statistics per example over its D features: ``(out, cache)``.

    ``ln_param`` may hold ``eps`` (default 1e-5); no mode, no running statistics. ``cache = (x, gamma, beta, eps)``.
    """
    eps = ln_param.get("eps", 1e-5)
    gamma, beta = _params(x, gamma, beta)
    out, _ = F.layer_norm(x, x.shape[-1], gamma, beta, eps=eps)
    return out, (x, gamma, beta, eps)


def layernorm_backward(dout, cache):
    """``(dx, dgamma, dbeta)``: ``dx`` ``(N, D)``, ``dgamma`` and ``dbeta`` ``(D,)``, summed over the examples."""
    x, gamma, beta, eps = cache
    _, backward = F.layer_norm(x, x.shape[-1], gamma, beta, eps=eps)
    return backward(dout)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Batch norm of ``x`` ``(N, C, H, W)``, statistics per channel over N, H and W: ``(out, cache)``.

    ``gamma, beta (C,)``; ``bn_param`` as in ``batchnorm_forward`` with running statistics ``(C,)``. ``scratch``'s
    batch_norm takes NCHW as it is, so no transpose to ``(N*H*W, C)`` is needed (the course suggests one).
    """
    return _batchnorm(x, gamma, beta, bn_param)


def spatial_batchnorm_backward(dout, cache):
    """``(dx, dgamma, dbeta)``: ``dx`` ``(N, C, H, W)``, ``dgamma`` and ``dbeta`` ``(C,)``."""
    return _batchnorm_backward(dout, cache)


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """Group norm of ``x`` ``(N, C, H, W)``: each example's channels split into ``G`` groups of ``C // G``
    consecutive channels, each group standardised on its own, then ``gamma * xhat + beta`` per channel.

    ``gamma, beta`` ``(1, C, 1, 1)`` (the current release; ``(C,)`` works too); ``gn_param`` may hold ``eps``
    (default 1e-5). ``cache = (x, gamma, beta, G, eps)``.
    """
    eps = gn_param.get("eps", 1e-5)
    gamma, beta = _params(x, gamma, beta)
    C = x.shape[1]
    out, _ = F.group_norm(x, G, np.reshape(gamma, C), np.reshape(beta, C), eps=eps)
    return out, (x, gamma, beta, G, eps)


def spatial_groupnorm_backward(dout, cache):
    """``(dx, dgamma, dbeta)``: ``dx`` ``(N, C, H, W)``, ``dgamma`` and ``dbeta`` in gamma's shape, ``(1, C, 1, 1)``."""
    x, gamma, beta, G, eps = cache
    C = x.shape[1]
    _, backward = F.group_norm(x, G, np.reshape(gamma, C), np.reshape(beta, C), eps=eps)
    dx, dgamma, dbeta = backward(dout)
    return dx, dgamma.reshape(np.shape(gamma)), dbeta.reshape(np.shape(beta))
