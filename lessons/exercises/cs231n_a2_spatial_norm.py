"""CS231n assignment 2, spatial batch normalisation and group normalisation (ConvolutionalNetworks.ipynb,
``layers.py``)."""
from __future__ import annotations

import copy

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.cs231n import a2_norm as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## 1. Spatial batch normalisation

After a convolution, `x` is `(N, C, H, W)`. Every channel was made by one filter sliding over the whole image, so
its values at all positions are alike: spatial batch norm keeps **one** mean, variance, `gamma` and `beta` per
channel, and takes the statistics over the batch **and** every position,

    mu[c]  = mean of x[:, c, :, :]                  over N * H * W values
    var[c] = mean of (x[:, c, :, :] - mu[c])^2      biased, as before
    out[:, c] = gamma[c] * (x[:, c] - mu[c]) / sqrt(var[c] + eps) + beta[c]       gamma, beta (C,)

with `bn_param` exactly as in batch norm (`mode`, `eps`, `momentum`, and running averages of shape `(C,)` written
back into it).

Two ways to write it:

- reuse batch norm: make each pixel a row of `C` features, `(N*H*W, C)`, call `batchnorm_forward`, and turn the
  result back into `(N, C, H, W)`. The channels must end up in the last axis before the reshape: which transpose
  puts them there, and which one undoes it afterwards? (A plain `x.reshape(-1, C)` runs but mixes channels.)
- or compute the statistics directly with `axis=(0, 2, 3), keepdims=True`.

**Backward.** The same choice: transpose and reshape `dout` the same way, call your batch-norm backward, and undo
the transpose on `dx`; or redo the simplified formula of the last lesson with the sums over `(0, 2, 3)` and
`N * H * W` values per channel. `dgamma` and `dbeta` are `(C,)`.

If you reuse batch norm, paste your `batchnorm_forward` and `batchnorm_backward` from lesson `cs231n/a2-batchnorm`
in the next cell.
"""),
    Code('''
# Your batchnorm_forward and batchnorm_backward from lesson cs231n/a2-batchnorm, if you reuse them.
def batchnorm_forward(x, gamma, beta, bn_param):
    raise NotImplementedError


def batchnorm_backward(dout, cache):
    raise NotImplementedError
'''),
    Code('''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Spatial batch normalisation.

    Inputs:
    - x: (N, C, H, W) data
    - gamma, beta: (C,) scale and shift
    - bn_param: as for batchnorm_forward ('mode', and optionally 'eps', 'momentum', 'running_mean',
      'running_var'); running averages of shape (C,) are stored back

    Returns (out, cache): out (N, C, H, W)
    """
    raise NotImplementedError


def spatial_batchnorm_backward(dout, cache):
    """Backward pass of spatial batch normalisation.

    Returns (dx, dgamma, dbeta): dx (N, C, H, W), dgamma (C,), dbeta (C,)
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. Group normalisation

Layer norm standardises each example over all its features; on images that mixes channels with very different
statistics. Group norm splits each example's `C` channels into `G` groups of `C // G` **consecutive** channels
(channels `0 .. C/G - 1` form group 0, and so on) and standardises each group of each example on its own:

    xg     = x.reshape(N, G, C // G, H, W)
    mu     = mean of xg over its axes (2, 3, 4)         (N, G, 1, 1, 1): one per example and group
    var    = biased variance over the same axes
    xhat   = ((xg - mu) / sqrt(var + eps)).reshape(N, C, H, W)
    out    = gamma * xhat + beta                        gamma, beta (1, C, 1, 1): still one per channel

No batch statistics, no running averages, the same in training and testing; `gn_param` may hold `eps`.

**Backward.** It is layer norm's backward inside each group: with `dxhat = dout * gamma` viewed as
`(N, G, C//G, H, W)`, the sums for `dx` run over axes `(2, 3, 4)`, and `n = C // G * H * W` values share each
mean and variance. `dgamma` and `dbeta` sum over the batch and the positions, `(0, 2, 3)`, and keep `gamma`'s shape
`(1, C, 1, 1)` (`keepdims=True`). Which two terms does `dx` get from the group's mean and variance, and why are
they the same as in layer norm?
"""),
    Code('''
def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """Spatial group normalisation.

    Inputs:
    - x: (N, C, H, W) data
    - gamma, beta: (1, C, 1, 1) scale and shift
    - G: the number of groups, a divisor of C
    - gn_param: dict, optionally with 'eps' (1e-5)

    Returns (out, cache): out (N, C, H, W)
    """
    raise NotImplementedError


def spatial_groupnorm_backward(dout, cache):
    """Backward pass of spatial group normalisation.

    Returns (dx, dgamma, dbeta): dx (N, C, H, W), dgamma (1, C, 1, 1), dbeta (1, C, 1, 1)
    """
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases


def _spatial_shape(draw, values_min=2):
    """``(N, H, W)`` with at least ``values_min`` values per channel: one has no variance to normalise with, and
    with two every xhat is +-1, so a backward's true dx is ~0 (3 for backwards)."""
    while True:
        N, H, W = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
        if N * H * W >= values_min:
            return N, H, W


@st.composite
def sbn_forward_case(draw):
    N, H, W = _spatial_shape(draw)
    C = draw(st.integers(1, 3))
    seed = draw(seeds)
    bn_param = {"mode": draw(st.sampled_from(["train", "train", "test"]))}
    if draw(st.booleans()):
        bn_param["momentum"] = draw(st.sampled_from([0.9, 0.8, 0.95]))
    if draw(st.booleans()):
        bn_param["eps"] = draw(st.sampled_from([1e-5, 0.01]))
    if bn_param["mode"] == "test" or draw(st.booleans()):
        bn_param["running_mean"] = values(seed + 3, (C,))
        bn_param["running_var"] = values(seed + 4, (C,), 0.1, 2.0)
    return {"x": values(seed, (N, C, H, W)), "gamma": values(seed + 1, (C,)), "beta": values(seed + 2, (C,)),
            "bn_param": bn_param, "seed": seed}


@st.composite
def sbn_backward_case(draw):
    N, H, W = _spatial_shape(draw, 3)
    C = draw(st.integers(1, 3))
    seed = draw(seeds)
    return {"x": values(seed, (N, C, H, W)), "gamma": values(seed + 1, (C,)), "beta": values(seed + 2, (C,)),
            "seed": seed}


@st.composite
def gn_case(draw, group_min=2):
    """Groups of at least ``group_min`` values (one has no variance, and PyTorch refuses N * C/G * H * W = 1; with
    two every xhat is +-1 and a backward's true dx is ~0, so backwards take 3)."""
    G, per_group = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    C = G * per_group
    while True:
        N, H, W = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
        if per_group * H * W >= group_min:
            break
    seed = draw(seeds)
    gn_param = {"eps": draw(st.sampled_from([1e-5, 0.01]))} if draw(st.booleans()) else {}
    return {"x": values(seed, (N, C, H, W)), "gamma": values(seed + 1, (1, C, 1, 1)),
            "beta": values(seed + 2, (1, C, 1, 1)), "G": G, "gn_param": gn_param, "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences


def run_sbn_forward(f, c):
    bn_param = copy.deepcopy(c["bn_param"])  # the function writes into it; the case stays as drawn
    out, _ = f.spatial_batchnorm_forward(c["x"], c["gamma"], c["beta"], bn_param)
    return {"out": out, "running_mean": bn_param.get("running_mean"), "running_var": bn_param.get("running_var")}


def run_sbn_backward(f, c):
    out, cache = f.spatial_batchnorm_forward(c["x"], c["gamma"], c["beta"], {"mode": "train"})
    dx, dgamma, dbeta = f.spatial_batchnorm_backward(f.upstream(out), cache)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


def grad_sbn(f, c):
    def fn(x, gamma, beta):
        out, cache = f.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
        return out, lambda dout: f.spatial_batchnorm_backward(dout, cache)
    return fn, (c["x"], c["gamma"], c["beta"]), ("x", "gamma", "beta")


def run_gn_forward(f, c):
    out, _ = f.spatial_groupnorm_forward(c["x"], c["gamma"], c["beta"], c["G"], dict(c["gn_param"]))
    return {"out": out}


def run_gn_backward(f, c):
    out, cache = f.spatial_groupnorm_forward(c["x"], c["gamma"], c["beta"], c["G"], dict(c["gn_param"]))
    dx, dgamma, dbeta = f.spatial_groupnorm_backward(f.upstream(out), cache)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


def grad_gn(f, c):
    def fn(x, gamma, beta):
        out, cache = f.spatial_groupnorm_forward(x, gamma, beta, c["G"], dict(c["gn_param"]))
        return out, lambda dout: f.spatial_groupnorm_backward(dout, cache)
    return fn, (c["x"], c["gamma"], c["beta"]), ("x", "gamma", "beta")


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it (backwards read the reference's caches:
# (x, gamma, beta, eps) for spatial batch norm, (x, gamma, beta, G, eps) for group norm)


def _flat_bn_forward(x2, gamma, beta, bn_param, torch_momentum=False):
    """Batch norm of ``(M, C)`` rows, as a learner's batchnorm_forward from the last lesson."""
    mode, eps, m = bn_param["mode"], bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    C = x2.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(C))
    running_var = bn_param.get("running_var", np.zeros(C))
    if mode == "train":
        mu, var = x2.mean(axis=0), x2.var(axis=0)
        out = gamma * (x2 - mu) / np.sqrt(var + eps) + beta
        if torch_momentum:
            running_mean, running_var = (1 - m) * running_mean + m * mu, (1 - m) * running_var + m * var
        else:
            running_mean, running_var = m * running_mean + (1 - m) * mu, m * running_var + (1 - m) * var
    else:
        out = gamma * (x2 - running_mean) / np.sqrt(running_var + eps) + beta
    bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    return out


def sbn_forward_plain_reshape(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    out = _flat_bn_forward(x.reshape(-1, C), gamma, beta, bn_param)
    return out.reshape(N, C, H, W), None


def sbn_forward_batch_axis_only(x, gamma, beta, bn_param):
    C = x.shape[1]
    eps = bn_param.get("eps", 1e-5)
    if bn_param["mode"] != "train":
        return ref.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    mu, var = x.mean(axis=0), x.var(axis=0)  # (C, H, W): per channel AND pixel
    out = gamma.reshape(1, C, 1, 1) * (x - mu) / np.sqrt(var + eps) + beta.reshape(1, C, 1, 1)
    ref.spatial_batchnorm_forward(x, gamma, beta, bn_param)  # the running averages as they should be
    return out, None


def sbn_forward_torch_momentum(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    out = _flat_bn_forward(x.transpose(0, 2, 3, 1).reshape(-1, C), gamma, beta, bn_param, torch_momentum=True)
    return out.reshape(N, H, W, C).transpose(0, 3, 1, 2), None


def sbn_forward_not_stored(x, gamma, beta, bn_param):
    kept = copy.deepcopy(bn_param)
    out, cache = ref.spatial_batchnorm_forward(x, gamma, beta, kept)
    return out, cache


def _flat_bn_backward(dout2, x2, gamma, eps, mean_term=True):
    n = x2.shape[0]
    mu, var = x2.mean(axis=0), x2.var(axis=0)
    s = 1.0 / np.sqrt(var + eps)
    xhat = (x2 - mu) * s
    dxhat = dout2 * gamma
    dx = s / n * (n * dxhat - (np.sum(dxhat, axis=0) if mean_term else 0.0) - xhat * np.sum(dxhat * xhat, axis=0))
    return dx, np.sum(dout2 * xhat, axis=0), np.sum(dout2, axis=0)


def sbn_backward_plain_reshape(dout, cache):
    x, gamma, _, eps = cache
    N, C, H, W = x.shape
    x2 = x.transpose(0, 2, 3, 1).reshape(-1, C)  # the forward flattened correctly ...
    dx2, dgamma, dbeta = _flat_bn_backward(dout.reshape(-1, C), x2, gamma, eps)  # ... the backward does not
    return dx2.reshape(N, C, H, W), dgamma, dbeta


def sbn_backward_no_mean_term(dout, cache):
    x, gamma, _, eps = cache
    N, C, H, W = x.shape
    dx2, dgamma, dbeta = _flat_bn_backward(dout.transpose(0, 2, 3, 1).reshape(-1, C),
                                           x.transpose(0, 2, 3, 1).reshape(-1, C), gamma, eps, mean_term=False)
    return dx2.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma, dbeta


def sbn_backward_params_over_batch(dout, cache):
    x, _, _, eps = cache
    dx, _, _ = ref.spatial_batchnorm_backward(dout, cache)
    xhat = (x - x.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + eps)
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def _gn_stats(x, G, eps, interleaved=False, per_channel=False, with_batch=False):
    N, C, H, W = x.shape
    if interleaved:
        xg = x.reshape(N, C // G, G, H, W)
        axes = (1, 3, 4)
    elif per_channel:
        xg = x.reshape(N, C, 1, H, W)
        axes = (2, 3, 4)
    else:
        xg = x.reshape(N, G, C // G, H, W)
        axes = (0, 2, 3, 4) if with_batch else (2, 3, 4)
    mu, var = xg.mean(axis=axes, keepdims=True), xg.var(axis=axes, keepdims=True)
    return ((xg - mu) / np.sqrt(var + eps)).reshape(N, C, H, W)


def _gn_forward_with(**how):
    def forward(x, gamma, beta, G, gn_param):
        eps = gn_param.get("eps", 1e-5)
        return gamma * _gn_stats(x, G, eps, **how) + beta, (x, gamma, beta, G, eps)
    return forward


gn_forward_interleaved = _gn_forward_with(interleaved=True)
gn_forward_per_channel = _gn_forward_with(per_channel=True)
gn_forward_with_batch = _gn_forward_with(with_batch=True)


def _gn_backward(dout, cache, mean_term=True, variance_term=True, keepdims=True):
    x, gamma, _, G, eps = cache
    N, C, H, W = x.shape
    xhat = _gn_stats(x, G, eps)
    xg = x.reshape(N, G, -1)
    s = 1.0 / np.sqrt(xg.var(axis=2, keepdims=True) + eps)
    n = xg.shape[2]
    dxhat = (dout * gamma).reshape(N, G, -1)
    xhat_g = xhat.reshape(N, G, -1)
    dx = n * dxhat
    if mean_term:
        dx = dx - np.sum(dxhat, axis=2, keepdims=True)
    if variance_term:
        dx = dx - xhat_g * np.sum(dxhat * xhat_g, axis=2, keepdims=True)
    dx = (s / n * dx).reshape(N, C, H, W)
    dgamma = np.sum(dout * xhat, axis=(0, 2, 3), keepdims=keepdims)
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=keepdims)
    return dx, dgamma, dbeta


def gn_backward_flat_params(dout, cache):
    return _gn_backward(dout, cache, keepdims=False)


def gn_backward_no_mean_term(dout, cache):
    return _gn_backward(dout, cache, mean_term=False)


def gn_backward_no_variance_term(dout, cache):
    return _gn_backward(dout, cache, variance_term=False)


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("spatial_batchnorm_forward", sbn_forward_case(), run_sbn_forward, mistakes=[
        Mistake("x.reshape(-1, C) without a transpose mixes the channels: move them last first, "
                "x.transpose(0, 2, 3, 1).reshape(-1, C), and undo both afterwards", sbn_forward_plain_reshape),
        Mistake("the statistics are taken over the batch only, one per channel and pixel; spatial batch norm "
                "averages each channel over the batch and all positions: axis=(0, 2, 3)",
                sbn_forward_batch_axis_only),
        Mistake("the running averages use PyTorch's convention, momentum weighting the new batch; here momentum "
                "weights the OLD value: running = momentum * running + (1 - momentum) * batch",
                sbn_forward_torch_momentum),
        Mistake("the updated running averages are not stored back into bn_param (does your batchnorm_forward "
                "get bn_param itself, or a copy?)", sbn_forward_not_stored),
    ]),
    Task("spatial_batchnorm_backward", sbn_backward_case(), run_sbn_backward, grad=grad_sbn, mistakes=[
        Mistake("dout.reshape(-1, C) without the transpose of the forward mixes the channels: "
                "dout.transpose(0, 2, 3, 1).reshape(-1, C), then dx.reshape(N, H, W, C).transpose(0, 3, 1, 2)",
                sbn_backward_plain_reshape),
        Mistake("dx is missing the path through the mean: each channel's mean depends on all its N * H * W "
                "values, which adds -(1/n) sum(dxhat) (times 1/sqrt(var + eps))", sbn_backward_no_mean_term),
        Mistake("dgamma and dbeta are summed over the batch only; gamma[c] scales every position of channel c, "
                "so sum over axes (0, 2, 3)", sbn_backward_params_over_batch),
    ]),
    Task("spatial_groupnorm_forward", gn_case(), run_gn_forward, mistakes=[
        Mistake("the groups take every G-th channel (reshape(N, C // G, G, ...)); a group is C // G CONSECUTIVE "
                "channels: x.reshape(N, G, C // G, H, W)", gn_forward_interleaved),
        Mistake("each channel is standardised on its own (instance norm); group norm pools the C // G channels "
                "of a group: statistics over axes (2, 3, 4) of x.reshape(N, G, C // G, H, W)",
                gn_forward_per_channel),
        Mistake("the statistics include the batch axis; group norm standardises each example's groups on their "
                "own, without batch statistics", gn_forward_with_batch),
    ]),
    Task("spatial_groupnorm_backward", gn_case(group_min=3), run_gn_backward, grad=grad_gn, mistakes=[
        Mistake("dgamma and dbeta are (C,); they must keep gamma's shape (1, C, 1, 1): sum over (0, 2, 3) with "
                "keepdims=True", gn_backward_flat_params),
        Mistake("dx is missing the path through the group's mean, -(1/n) sum(dxhat) over the group (times "
                "1/sqrt(var + eps))", gn_backward_no_mean_term),
        Mistake("dx is missing the path through the group's variance, -(1/n) xhat sum(dxhat * xhat) over the "
                "group (times 1/sqrt(var + eps))", gn_backward_no_variance_term),
    ]),
]

LESSON = Lesson(
    name="cs231n/a2-spatial-norm",
    title="Spatial batch normalisation and group normalisation",
    course="CS231n, assignment 2 (ConvolutionalNetworks.ipynb, layers.py)",
    covers="spatial_batchnorm_forward/backward (per channel over N, H, W), spatial_groupnorm_forward/backward",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
