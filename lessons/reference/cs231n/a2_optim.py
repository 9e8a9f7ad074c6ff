"""CS231n assignment 2, ``optim.py``: the update rules ``sgd``, ``sgd_momentum``, ``rmsprop`` and ``adam``.

The course's interface: ``update(w, dw, config=None) -> (next_w, config)``. ``config`` holds the hyperparameters
(filled with the course's defaults when absent) and the rule's state between calls (``velocity``, ``cache``, ``m``,
``v``, ``t``); the returned config is the same dict, updated. Defaults, as in the current release:

    sgd            learning_rate 1e-2
    sgd_momentum   learning_rate 1e-2, momentum 0.9, velocity zeros
    rmsprop        learning_rate 1e-2, decay_rate 0.99, epsilon 1e-8, cache zeros
    adam           learning_rate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-8, m zeros, v zeros, t 0
                   (t is incremented before it is used: the first step uses t = 1)

Each rule runs one step of the ``scratch.optim`` optimizer it is, on a ``Parameter`` copy of ``w`` whose state is
loaded from ``config`` and read back into it:

- ``sgd``: ``SGD`` without momentum. As in the course, ``w`` itself is updated in place and returned.
- ``sgd_momentum``: CS231n keeps the velocity with the learning rate inside and the opposite sign,
  ``v <- mu v - lr dw; w <- w + v``, where torch's ``SGD`` keeps ``b <- mu b + g; w <- w - lr b``. The two are the
  same rule with ``v = -lr b`` (for a constant lr). To get the course's numbers to the last bit, the adapter runs
  ``SGD(lr=1, momentum=mu)`` on the gradient ``lr dw`` with the buffer ``b = -v``: then ``b`` is exactly ``-v`` at
  every step (negation is exact in floating point) and ``w - 1 * b`` is exactly ``w + v``.
- ``rmsprop``: ``RMSprop(alpha=decay_rate)``, whose ``square_avg`` is the course's ``cache``.
- ``adam``: ``Adam(betas=(beta1, beta2))``, whose ``exp_avg``, ``exp_avg_sq`` and ``step`` are ``m``, ``v``, ``t``.
  torch adds ``eps`` to ``sqrt(v) / sqrt(1 - beta2^t)``, the course to ``sqrt(v / (1 - beta2^t))``: the same number
  up to rounding.
"""
from __future__ import annotations

import numpy as np

from scratch.nn import Parameter
from scratch.optim import SGD, Adam, RMSprop

__all__ = ["sgd", "sgd_momentum", "rmsprop", "adam"]


def _step(optimizer, w, dw, state: dict):
    """One ``optimizer`` step on a copy of ``w`` with gradient ``dw``, from ``state``; ``(next_w, new state)``."""
    param = Parameter(w)  # a copy: the course's rules (but sgd) leave w as it was
    param.grad = np.asarray(dw)
    opt = optimizer([param])
    saved = opt.state_dict()
    saved["state"] = {0: state}
    opt.load_state_dict(saved)  # copies the buffers: config's arrays are never changed in place
    opt.step()
    return param.view(np.ndarray), opt.state_dict()["state"].get(0, {})


def sgd(w, dw, config=None):
    """Vanilla gradient descent, ``w <- w - learning_rate * dw``, in place (as the course's given code does)."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    next_w, _ = _step(lambda params: SGD(params, lr=config["learning_rate"]), w, dw, {})
    w[...] = next_w
    return w, config


def sgd_momentum(w, dw, config=None):
    """``v <- momentum * v - learning_rate * dw``; ``next_w = w + v``. ``config['velocity']`` starts at zeros."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    # torch's buffer is -v when the learning rate is folded into the gradient (module docstring)
    next_w, state = _step(lambda params: SGD(params, lr=1.0, momentum=config["momentum"]), w,
                          config["learning_rate"] * dw, {"momentum_buffer": -v})
    config["velocity"] = -state["momentum_buffer"]
    return next_w, config


def rmsprop(w, dw, config=None):
    """``cache <- decay_rate * cache + (1 - decay_rate) * dw**2``; ``next_w = w - lr * dw / (sqrt(cache) + eps)``."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    next_w, state = _step(lambda params: RMSprop(params, lr=config["learning_rate"], alpha=config["decay_rate"],
                                                 eps=config["epsilon"]),
                          w, dw, {"step": np.zeros((), np.float32), "square_avg": config["cache"]})
    config["cache"] = state["square_avg"]
    return next_w, config


def adam(w, dw, config=None):
    """Adam with bias correction; ``t`` is incremented first, so the first step uses ``t = 1``.

    ``m <- beta1 m + (1 - beta1) dw``, ``v <- beta2 v + (1 - beta2) dw**2``,
    ``next_w = w - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)``.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    state = {"step": np.array(config["t"], dtype=np.float32), "exp_avg": config["m"], "exp_avg_sq": config["v"]}
    next_w, state = _step(lambda params: Adam(params, lr=config["learning_rate"],
                                              betas=(config["beta1"], config["beta2"]), eps=config["epsilon"]),
                          w, dw, state)
    config["m"], config["v"] = state["exp_avg"], state["exp_avg_sq"]
    config["t"] = config["t"] + 1  # an int, as the course keeps it (scratch's step is a float32 array)
    return next_w, config
