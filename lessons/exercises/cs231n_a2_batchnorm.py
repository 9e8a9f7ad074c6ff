"""CS231n assignment 2, batch normalisation and layer normalisation (BatchNormalization.ipynb, ``layers.py``)."""
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
## 1. Batch normalisation, forward

A batch of `N` examples with `D` features each, `x` of shape `(N, D)`. In training, each feature (each column) is
standardised with the statistics of the batch, then scaled and shifted by two learned vectors:

    mu    = 1/N sum_i x[i, :]                    (D,)
    var   = 1/N sum_i (x[i, :] - mu)^2           (D,)   divided by N: the biased variance
    xhat  = (x - mu) / sqrt(var + eps)           (N, D)
    out   = gamma * xhat + beta                  (N, D)  gamma, beta (D,)

`eps` (default `1e-5`) keeps the division finite for a feature whose values are all equal.

At test time there may be a single example, so there is no batch to take statistics from. Training therefore keeps
running averages in the dict `bn_param`, and test mode normalises with them instead:

    running_mean = momentum * running_mean + (1 - momentum) * mu
    running_var  = momentum * running_var  + (1 - momentum) * var

`bn_param` holds `mode` (`'train'` or `'test'`), and may hold `eps`, `momentum` (default `0.9`), `running_mean` and
`running_var` (both default to zeros of shape `(D,)`). Write the running averages back into `bn_param` at the end,
in either mode: the next call reads them from there.

Two conventions to watch, because PyTorch uses the other ones:

- here `momentum` is the weight of the **old** running value; PyTorch's `momentum=0.1` is the weight of the new
  batch (the same average, the other way round);
- here the running variance averages the same biased `var` that normalises the batch; PyTorch averages the unbiased
  one, `N / (N - 1)` times larger.

Return `(out, cache)`; in training, keep in `cache` whatever your backward will need.
"""),
    Code('''
def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalisation of x (N, D), per feature.

    Inputs:
    - x: (N, D) data
    - gamma, beta: (D,) scale and shift
    - bn_param: dict with 'mode' ('train' or 'test') and optionally 'eps' (1e-5), 'momentum' (0.9),
      'running_mean' and 'running_var' ((D,), zeros when absent); the updated running averages are stored back

    Returns (out, cache): out (N, D)
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. Batch normalisation, backward: through the graph

You get `dout`, shape `(N, D)`, and return `(dx, dgamma, dbeta)`. The last step is the easy one:
`out = gamma * xhat + beta` gives `dbeta` and `dgamma` by summing over the batch (each of `gamma[j]`, `beta[j]`
touches every row of column `j`), and `dxhat = dout * gamma`.

The hard part is `dx`, because `x[i, j]` reaches the output along **three** paths: directly through `x - mu`,
through `mu` (which every `x[k, j]` of the column feeds), and through `var` (likewise). Draw the graph
`x -> mu -> (x - mu) -> var -> sqrt(var + eps) -> xhat` and walk it backwards, one node at a time:

- `dvar`: how does `xhat` change with `var`? Sum the contributions over the rows.
- `dmu`: `mu` enters `xhat` directly and also through `var`. Two terms.
- `dx`: the direct term, plus `dvar` times the derivative of `var` with respect to `x[i, j]`, plus `dmu` times
  the derivative of `mu` with respect to `x[i, j]`. What are those two derivatives? (Each has a `1/N` in it.)

Every node with two outgoing edges adds up two gradients. Forgetting the path through `mu` is the most common
mistake, and a numeric gradient check does catch it.
"""),
    Code('''
def batchnorm_backward(dout, cache):
    """Backward pass of training-mode batch normalisation.

    Inputs:
    - dout: (N, D) upstream derivative
    - cache: from batchnorm_forward

    Returns (dx, dgamma, dbeta): dx (N, D), dgamma (D,), dbeta (D,)
    """
    raise NotImplementedError
'''),
    Markdown("""
## 3. The same gradient, simplified on paper

Put your three paths together by hand and simplify. Write `s = 1 / sqrt(var + eps)` and sums over the batch.
Two facts make it collapse:

- the deviations `x - mu` of a column sum to zero (so one of your terms vanishes entirely);
- `(x - mu) * s` is `xhat`, so everything can be written with `xhat`, `dxhat` and two sums per column.

You should reach one line for `dx` of the form `(s / N) * (N * dxhat - [a sum] - xhat * [another sum])`. Which two
sums? Reading the result: `dx` is `dxhat` with its mean removed and its component along `xhat` removed. Why must
it be, given that shifting or scaling a whole column of `x` leaves `xhat` unchanged?

`batchnorm_backward_alt` returns exactly what `batchnorm_backward` returns, computed this way.
"""),
    Code('''
def batchnorm_backward_alt(dout, cache):
    """Simplified backward pass of batch normalisation: the same (dx, dgamma, dbeta) as batchnorm_backward."""
    raise NotImplementedError
'''),
    Markdown("""
## 4. Layer normalisation

Batch norm needs a batch. Layer norm standardises each **example** over its own `D` features instead: the same
formulas with the sums taken along the other axis,

    mu[i]  = 1/D sum_j x[i, j]          var[i] = 1/D sum_j (x[i, j] - mu[i])^2       (N, 1) with keepdims
    xhat   = (x - mu) / sqrt(var + eps)
    out    = gamma * xhat + beta         gamma, beta (D,): still one per feature

so training and test time compute the same thing, and there are no running averages. `ln_param` may hold `eps`.

**Backward.** Which sums move to the other axis, and which do not? The statistics are now per row, so the
`dx` formula's sums run over the features of each example. But `gamma` and `beta` are still shared by every
example: `dgamma` and `dbeta` still sum over the batch. (One way to reuse your batch-norm code is to transpose;
mind where `gamma` is applied if you do.)
"""),
    Code('''
def layernorm_forward(x, gamma, beta, ln_param):
    """Layer normalisation of x (N, D), per example.

    Inputs:
    - x: (N, D) data
    - gamma, beta: (D,) scale and shift
    - ln_param: dict, optionally with 'eps' (1e-5)

    Returns (out, cache): out (N, D)
    """
    raise NotImplementedError


def layernorm_backward(dout, cache):
    """Backward pass of layer normalisation.

    Returns (dx, dgamma, dbeta): dx (N, D), dgamma (D,), dbeta (D,)
    """
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases


@st.composite
def bn_forward_case(draw):
    N, D = draw(st.integers(2, 4)), draw(st.integers(1, 4))
    seed = draw(seeds)
    bn_param = {"mode": draw(st.sampled_from(["train", "train", "test"]))}
    if draw(st.booleans()):
        bn_param["momentum"] = draw(st.sampled_from([0.9, 0.8, 0.95]))
    if draw(st.booleans()):
        bn_param["eps"] = draw(st.sampled_from([1e-5, 0.01, 0.5]))
    if bn_param["mode"] == "test" or draw(st.booleans()):
        bn_param["running_mean"] = values(seed + 3, (D,))
        bn_param["running_var"] = values(seed + 4, (D,), 0.1, 2.0)
    return {"x": values(seed, (N, D)), "gamma": values(seed + 1, (D,)), "beta": values(seed + 2, (D,)),
            "bn_param": bn_param, "seed": seed}


@st.composite
def bn_backward_case(draw):
    # N >= 3: with two examples every xhat is +-1 whatever x is, and the true dx is ~0 (only eps keeps it off 0)
    N, D = draw(st.integers(3, 4)), draw(st.integers(1, 4))
    seed = draw(seeds)
    return {"x": values(seed, (N, D)), "gamma": values(seed + 1, (D,)), "beta": values(seed + 2, (D,)),
            "seed": seed}


@st.composite
def ln_case(draw, D_min=2):
    N, D = draw(st.integers(1, 4)), draw(st.integers(D_min, 4))
    seed = draw(seeds)
    ln_param = {"eps": draw(st.sampled_from([1e-5, 0.01]))} if draw(st.booleans()) else {}
    return {"x": values(seed, (N, D)), "gamma": values(seed + 1, (D,)), "beta": values(seed + 2, (D,)),
            "ln_param": ln_param, "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences


def run_batchnorm_forward(f, c):
    bn_param = copy.deepcopy(c["bn_param"])  # the function writes into it; the case stays as drawn
    out, _ = f.batchnorm_forward(c["x"], c["gamma"], c["beta"], bn_param)
    return {"out": out, "running_mean": bn_param.get("running_mean"), "running_var": bn_param.get("running_var")}


def run_bn_backward(name):
    def run(f, c):
        out, cache = f.batchnorm_forward(c["x"], c["gamma"], c["beta"], {"mode": "train"})
        dx, dgamma, dbeta = getattr(f, name)(f.upstream(out), cache)
        return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}
    return run


def grad_bn(name):
    def grad(f, c):
        def fn(x, gamma, beta):
            out, cache = f.batchnorm_forward(x, gamma, beta, {"mode": "train"})
            return out, lambda dout: getattr(f, name)(dout, cache)
        return fn, (c["x"], c["gamma"], c["beta"]), ("x", "gamma", "beta")
    return grad


def run_layernorm_forward(f, c):
    out, _ = f.layernorm_forward(c["x"], c["gamma"], c["beta"], dict(c["ln_param"]))
    return {"out": out}


def run_layernorm_backward(f, c):
    out, cache = f.layernorm_forward(c["x"], c["gamma"], c["beta"], dict(c["ln_param"]))
    dx, dgamma, dbeta = f.layernorm_backward(f.upstream(out), cache)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


def grad_layernorm(f, c):
    def fn(x, gamma, beta):
        out, cache = f.layernorm_forward(x, gamma, beta, dict(c["ln_param"]))
        return out, lambda dout: f.layernorm_backward(dout, cache)
    return fn, (c["x"], c["gamma"], c["beta"]), ("x", "gamma", "beta")


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it (backwards read the reference's cache,
# (x, gamma, beta, eps))


def _bn_forward_with(torch_momentum=False, running_ddof=0, eps_on_std=False, store=True, ignore_mode=False):
    """A batch-norm forward with one thing changed."""
    def forward(x, gamma, beta, bn_param):
        mode = "train" if ignore_mode else bn_param["mode"]
        eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
        D = x.shape[1]
        running_mean = bn_param.get("running_mean", np.zeros(D))
        running_var = bn_param.get("running_var", np.zeros(D))
        if mode == "train":
            mu, var = x.mean(axis=0), x.var(axis=0)
            std = np.sqrt(var) + eps if eps_on_std else np.sqrt(var + eps)
            out = gamma * (x - mu) / std + beta
            tracked = x.var(axis=0, ddof=running_ddof)
            if torch_momentum:
                running_mean = (1 - momentum) * running_mean + momentum * mu
                running_var = (1 - momentum) * running_var + momentum * tracked
            else:
                running_mean = momentum * running_mean + (1 - momentum) * mu
                running_var = momentum * running_var + (1 - momentum) * tracked
        else:
            out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        if store:
            bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
        return out, (x, gamma, beta, eps)
    return forward


bn_forward_torch_momentum = _bn_forward_with(torch_momentum=True)
bn_forward_unbiased_running_var = _bn_forward_with(running_ddof=1)
bn_forward_eps_on_std = _bn_forward_with(eps_on_std=True)
bn_forward_not_stored = _bn_forward_with(store=False)
bn_forward_ignores_mode = _bn_forward_with(ignore_mode=True)


def _bn_parts(cache, axis=0):
    """``(gamma, xhat, s, n)`` from the reference's cache, statistics along ``axis``."""
    x, gamma, _, eps = cache
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True)
    s = 1.0 / np.sqrt(var + eps)
    return gamma, (x - mu) * s, s, x.shape[axis]


def bn_backward_no_mean_term(dout, cache):
    gamma, xhat, s, N = _bn_parts(cache)
    dxhat = dout * gamma
    dx = s / N * (N * dxhat - xhat * np.sum(dxhat * xhat, axis=0))
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def bn_backward_no_variance_term(dout, cache):
    gamma, xhat, s, N = _bn_parts(cache)
    dxhat = dout * gamma
    dx = s / N * (N * dxhat - np.sum(dxhat, axis=0))
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def bn_backward_constant_statistics(dout, cache):
    gamma, xhat, s, _ = _bn_parts(cache)
    return dout * gamma * s, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def bn_backward_no_1_over_n(dout, cache):
    gamma, xhat, s, N = _bn_parts(cache)
    dxhat = dout * gamma
    dx = s * (N * dxhat - np.sum(dxhat, axis=0) - xhat * np.sum(dxhat * xhat, axis=0))
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def bn_backward_dgamma_raw_x(dout, cache):
    dx, _, dbeta = ref.batchnorm_backward(dout, cache)
    return dx, np.sum(dout * cache[0], axis=0), dbeta


def bn_backward_params_wrong_axis(dout, cache):
    _, xhat, _, _ = _bn_parts(cache)
    dx, _, _ = ref.batchnorm_backward(dout, cache)
    return dx, np.sum(dout * xhat, axis=1), np.sum(dout, axis=1)


def ln_forward_over_batch(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu, var = x.mean(axis=0), x.var(axis=0)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta, (x, gamma, beta, eps)


def ln_forward_unbiased(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, ddof=1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta, (x, gamma, beta, eps)


def ln_forward_no_beta(x, gamma, beta, ln_param):
    out, cache = ref.layernorm_forward(x, gamma, beta, ln_param)
    return out - beta, cache


def ln_backward_params_over_features(dout, cache):
    _, xhat, _, _ = _bn_parts(cache, axis=1)
    dx, _, _ = ref.layernorm_backward(dout, cache)
    return dx, np.sum(dout * xhat, axis=1), np.sum(dout, axis=1)


def ln_backward_no_mean_term(dout, cache):
    gamma, xhat, s, D = _bn_parts(cache, axis=1)
    dxhat = dout * gamma
    dx = s / D * (D * dxhat - xhat * np.sum(dxhat * xhat, axis=1, keepdims=True))
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def ln_backward_batch_axis(dout, cache):
    gamma, xhat, s, _ = _bn_parts(cache, axis=1)
    dxhat = dout * gamma
    N = dout.shape[0]
    dx = s / N * (N * dxhat - np.sum(dxhat, axis=0) - xhat * np.sum(dxhat * xhat, axis=0))
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


# --------------------------------------------------------------------------------------------------------------

_MEAN_TERM = ("dx is missing the path through the mean: mu depends on every x in its column, which adds "
              "-(1/N) sum(dxhat) (times 1/sqrt(var + eps)) to every element of dx")
_VAR_TERM = ("dx is missing the path through the variance: var depends on every x in its column too, which adds "
             "-(1/N) xhat sum(dxhat * xhat) (times 1/sqrt(var + eps))")
_CONSTANT = ("dx = dout * gamma / sqrt(var + eps) treats the batch's mean and variance as constants; in training "
             "they depend on x, and both of their paths belong in dx")
_BN_BACKWARD_MISTAKES = [
    Mistake(_MEAN_TERM, bn_backward_no_mean_term),
    Mistake(_VAR_TERM, bn_backward_no_variance_term),
    Mistake(_CONSTANT, bn_backward_constant_statistics),
    Mistake("dx is N times too large: the mean and the variance each carry a 1/N into their derivatives",
            bn_backward_no_1_over_n),
    Mistake("dgamma sums dout * x; gamma multiplies the normalised xhat, so dgamma = sum(dout * xhat, axis=0)",
            bn_backward_dgamma_raw_x),
    Mistake("dgamma and dbeta are summed over the features (axis 1); each gamma[j] is used by every example, so "
            "sum over the batch: axis=0", bn_backward_params_wrong_axis),
]

TASKS = [
    Task("batchnorm_forward", bn_forward_case(), run_batchnorm_forward, mistakes=[
        Mistake("the running averages use PyTorch's convention, momentum weighting the new batch; here momentum "
                "weights the OLD value: running = momentum * running + (1 - momentum) * batch",
                bn_forward_torch_momentum),
        Mistake("running_var averages the unbiased variance (divided by N - 1, as PyTorch tracks it); the course "
                "averages the same biased variance (divided by N) that normalises the batch",
                bn_forward_unbiased_running_var),
        Mistake("eps is added to the standard deviation; it belongs under the square root: sqrt(var + eps)",
                bn_forward_eps_on_std),
        Mistake("the updated running averages are not stored back: bn_param['running_mean'] = running_mean (and "
                "running_var), or the next call and test mode never see them", bn_forward_not_stored),
        Mistake("test mode uses the batch's own statistics (and updates the averages); in 'test' mode normalise "
                "with bn_param's running_mean and running_var", bn_forward_ignores_mode),
    ]),
    Task("batchnorm_backward", bn_backward_case(), run_bn_backward("batchnorm_backward"),
         grad=grad_bn("batchnorm_backward"), mistakes=list(_BN_BACKWARD_MISTAKES)),
    Task("batchnorm_backward_alt", bn_backward_case(), run_bn_backward("batchnorm_backward_alt"),
         grad=grad_bn("batchnorm_backward_alt"), mistakes=list(_BN_BACKWARD_MISTAKES)),
    Task("layernorm_forward", ln_case(), run_layernorm_forward, mistakes=[
        Mistake("the statistics are taken over the batch (axis 0), which is batch norm; layer norm standardises "
                "each example over its own features: axis=1, keepdims=True", ln_forward_over_batch),
        Mistake("the variance is divided by D - 1 (ddof=1); layer norm uses the biased variance, divided by D",
                ln_forward_unbiased),
        Mistake("beta is never added: out = gamma * xhat + beta", ln_forward_no_beta),
    ]),
    Task("layernorm_backward", ln_case(D_min=3), run_layernorm_backward, grad=grad_layernorm, mistakes=[
        Mistake("dgamma and dbeta are summed over the features (axis 1); gamma and beta are shared by every "
                "example, so they still sum over the batch: axis=0", ln_backward_params_over_features),
        Mistake("dx is missing the path through the mean: each example's mean depends on all its features, which "
                "adds -(1/D) sum_j dxhat[i, j] (times 1/sqrt(var + eps)) to row i", ln_backward_no_mean_term),
        Mistake("dx sums over the batch (axis 0), as in batch norm; layer norm's statistics are per example, so "
                "dx's sums run over each row's features (axis 1) and divide by D", ln_backward_batch_axis),
    ]),
]

LESSON = Lesson(
    name="cs231n/a2-batchnorm",
    title="Batch normalisation and layer normalisation",
    course="CS231n, assignment 2 (BatchNormalization.ipynb, layers.py)",
    covers="batchnorm_forward/backward/backward_alt (running averages in bn_param), layernorm_forward/backward",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
