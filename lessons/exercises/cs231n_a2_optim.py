"""CS231n assignment 2, the update rules of ``optim.py``: SGD with momentum, RMSProp and Adam."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.cs231n import a2_optim as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## The interface

Every update rule here has the same shape:

    next_w, config = rule(w, dw, config=None)

`w` is a parameter array and `dw` the gradient of the loss with respect to it (same shape). `config` is a dict
with the hyperparameters, filled with defaults by `config.setdefault(...)` when they are missing, and with whatever
the rule must remember from one step to the next. Return the new weights and the config with its memory updated;
the training loop passes that config back in at the next step. Do not change `dw`; updating `w` itself in place is
allowed.

Plain gradient descent is given:
"""),
    Code('''
def sgd(w, dw, config=None):
    """One step of gradient descent: w - learning_rate * dw (default learning_rate 1e-2)."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config
'''),
    Markdown("""
## 1. Momentum

Keep a velocity `v` (zeros before the first step; stored in `config['velocity']`) and let each gradient nudge it:

    v      = momentum * v - learning_rate * dw
    next_w = w + v

Defaults: `learning_rate` 1e-2, `momentum` 0.9. Note the sign and where the learning rate sits: the velocity here
already points downhill and already includes the step size, so the weights *add* it. (PyTorch keeps
`b = momentum * b + dw` and subtracts `learning_rate * b`: the same rule with `v = -learning_rate * b`, but not the
same numbers in `config`.) Which velocity moves `w`, the old one or the new one?
"""),
    Code('''
def sgd_momentum(w, dw, config=None):
    """SGD with momentum.

    config: learning_rate (1e-2), momentum (0.9), velocity (array like w; zeros when absent).
    Returns (next_w, config) with config['velocity'] the new velocity.
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. RMSProp

Divide each coordinate's step by a running estimate of that coordinate's gradient size:

    cache  = decay_rate * cache + (1 - decay_rate) * dw**2
    next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)

Defaults: `learning_rate` 1e-2, `decay_rate` 0.99, `epsilon` 1e-8, `cache` zeros. All operations are elementwise.
Which weighting goes with the old cache, and which with the new squared gradient? Is `epsilon` inside or outside
the square root? Does the step use the cache before or after this update?
"""),
    Code('''
def rmsprop(w, dw, config=None):
    """RMSProp.

    config: learning_rate (1e-2), decay_rate (0.99), epsilon (1e-8), cache (array like w; zeros).
    Returns (next_w, config) with config['cache'] updated.
    """
    raise NotImplementedError
'''),
    Markdown("""
## 3. Adam

Momentum and RMSProp together, with a correction for their zero start. With `t` the number of steps taken
(count this step first, so the first step has `t = 1`):

    t      = t + 1
    m      = beta1 * m + (1 - beta1) * dw              running mean of the gradient
    v      = beta2 * v + (1 - beta2) * dw**2           running mean of its square
    m_hat  = m / (1 - beta1**t)                        both start at 0, so early averages are too small
    v_hat  = v / (1 - beta2**t)                        by exactly these factors
    next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

Defaults: `learning_rate` 1e-3, `beta1` 0.9, `beta2` 0.999, `epsilon` 1e-8, `m` and `v` zeros, `t` 0. Store the
new `m`, `v` and `t` in `config`. What happens at `t = 0` if you increment after using it?
"""),
    Code('''
def adam(w, dw, config=None):
    """Adam, with bias correction.

    config: learning_rate (1e-3), beta1 (0.9), beta2 (0.999), epsilon (1e-8), m, v (arrays like w; zeros),
    t (0). Returns (next_w, config) with m, v and t updated.
    """
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases: a small parameter, its gradient, and a config that may omit anything (defaults) or be None


@st.composite
def _shape(draw):
    return tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)))


def _config(draw, seed, shape, hyper: dict, state: dict):
    """None (all defaults), or a dict with each hyperparameter and each state array present or not."""
    if draw(st.integers(0, 5)) == 0:
        return None
    config = {}
    for k, choices in hyper.items():
        if draw(st.booleans()):
            config[k] = draw(st.sampled_from(choices))
    for i, (k, make) in enumerate(state.items()):
        if draw(st.booleans()):
            config[k] = make(seed + 10 + i, shape)
    return config


def _case(hyper: dict, state: dict):
    @st.composite
    def case(draw):
        shape = draw(_shape())
        seed = draw(seeds)
        return {"w": values(seed, shape), "dw": values(seed + 1, shape),
                "config": _config(draw, seed, shape, hyper, state), "seed": seed}
    return case()


def _positive(seed, shape):
    return values(seed, shape, low=0.01, high=2.0)


def _steps(seed, shape):
    return int(np.random.default_rng(seed).integers(0, 8))


momentum_case = _case({"learning_rate": [1e-2, 0.5], "momentum": [0.9, 0.5]}, {"velocity": values})
rmsprop_case = _case({"learning_rate": [1e-2, 0.5], "decay_rate": [0.99, 0.5], "epsilon": [1e-8, 0.25]},
                     {"cache": _positive})
adam_case = _case({"learning_rate": [1e-3, 0.5], "beta1": [0.9, 0.5], "beta2": [0.999, 0.75],
                   "epsilon": [1e-8, 0.25]}, {"m": values, "v": _positive, "t": _steps})


def run_rule(name, keys):
    def run(f, c):
        config = None if c["config"] is None else {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                                   for k, v in c["config"].items()}
        # w is a copy: the course lets a rule update w in place; dw is the case's own, never to be changed
        next_w, config = getattr(f, name)(c["w"].copy(), c["dw"], config)
        got = {"next_w": next_w}
        for k in keys:
            got[f"config[{k!r}]"] = config.get(k) if isinstance(config, dict) else None
        return got
    return run


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def _momentum_config(w, config):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    return config, config.get("velocity", np.zeros_like(w))


def momentum_torch_convention(w, dw, config=None):
    config, v = _momentum_config(w, config)
    v = config["momentum"] * v + dw
    config["velocity"] = v
    return w - config["learning_rate"] * v, config


def momentum_old_velocity(w, dw, config=None):
    config, v = _momentum_config(w, config)
    next_w = w + v
    config["velocity"] = config["momentum"] * v - config["learning_rate"] * dw
    return next_w, config


def momentum_velocity_not_stored(w, dw, config=None):
    config, v = _momentum_config(w, config)
    next_v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + next_v, config


def momentum_no_learning_rate(w, dw, config=None):
    config, v = _momentum_config(w, config)
    v = config["momentum"] * v - dw
    config["velocity"] = v
    return w + v, config


def _rmsprop_config(w, config):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    return config


def rmsprop_eps_inside_sqrt(w, dw, config=None):
    config = _rmsprop_config(w, config)
    cache = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw**2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / np.sqrt(cache + config["epsilon"]), config


def rmsprop_old_cache(w, dw, config=None):
    config = _rmsprop_config(w, config)
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    config["cache"] = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw**2
    return next_w, config


def rmsprop_weights_swapped(w, dw, config=None):
    config = _rmsprop_config(w, config)
    cache = (1 - config["decay_rate"]) * config["cache"] + config["decay_rate"] * dw**2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def rmsprop_no_sqrt(w, dw, config=None):
    config = _rmsprop_config(w, config)
    cache = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw**2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (cache + config["epsilon"]), config


def _adam(w, dw, config=None, *, correct=True, increment_first=True, store_t=True, v_with_beta1=False,
          eps_inside=False):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2, eps = config["beta1"], config["beta2"], config["epsilon"]
    t = config["t"] + 1 if increment_first else config["t"]
    m = b1 * config["m"] + (1 - b1) * dw
    v = b2 * config["v"] + (1 - b2) * dw**2
    m_hat, v_hat = (m / (1 - b1**t), v / (1 - (b1 if v_with_beta1 else b2)**t)) if correct else (m, v)
    denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
    next_w = w - config["learning_rate"] * m_hat / denom
    config["m"], config["v"] = m, v
    if store_t:
        config["t"] = t if increment_first else t + 1
    return next_w, config


def adam_no_bias_correction(w, dw, config=None):
    return _adam(w, dw, config, correct=False)


def adam_t_incremented_after(w, dw, config=None):
    return _adam(w, dw, config, increment_first=False)


def adam_t_not_stored(w, dw, config=None):
    return _adam(w, dw, config, store_t=False)


def adam_v_corrected_with_beta1(w, dw, config=None):
    return _adam(w, dw, config, v_with_beta1=True)


def adam_eps_inside_sqrt(w, dw, config=None):
    return _adam(w, dw, config, eps_inside=True)


# --------------------------------------------------------------------------------------------------------------

EPS_INSIDE = "epsilon is added inside the square root; it belongs outside: sqrt(...) + epsilon"

TASKS = [
    Task("sgd_momentum", momentum_case, run_rule("sgd_momentum", ["velocity"]), mistakes=[
        Mistake("the velocity follows PyTorch's convention, v = momentum * v + dw and w - learning_rate * v; this "
                "course keeps v = momentum * v - learning_rate * dw and adds it: next_w = w + v",
                momentum_torch_convention),
        Mistake("w moves by the old velocity: update v first, then next_w = w + v with the new v",
                momentum_old_velocity),
        Mistake("the new velocity is not stored: config['velocity'] must hold the updated v for the next step",
                momentum_velocity_not_stored),
        Mistake("the learning rate is missing: v = momentum * v - learning_rate * dw", momentum_no_learning_rate),
    ]),
    Task("rmsprop", rmsprop_case, run_rule("rmsprop", ["cache"]), mistakes=[
        Mistake(EPS_INSIDE, rmsprop_eps_inside_sqrt),
        Mistake("the step uses the cache from before this update: update the cache with dw**2 first, then divide "
                "by its square root", rmsprop_old_cache),
        Mistake("the weights are swapped: decay_rate multiplies the old cache and (1 - decay_rate) the new dw**2",
                rmsprop_weights_swapped),
        Mistake("the step divides by the cache itself: divide by its square root, sqrt(cache) + epsilon, which "
                "has the units of the gradient", rmsprop_no_sqrt),
    ]),
    Task("adam", adam_case, run_rule("adam", ["m", "v", "t"]), mistakes=[
        Mistake("there is no bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t) before the step",
                adam_no_bias_correction),
        Mistake("t is incremented after it is used: count this step first (t = t + 1), so the first step "
                "corrects with t = 1", adam_t_incremented_after),
        Mistake("the new t is not stored: config['t'] must count the steps taken", adam_t_not_stored),
        Mistake("v is corrected with beta1: v_hat = v / (1 - beta2**t), each average with its own decay rate",
                adam_v_corrected_with_beta1),
        Mistake(EPS_INSIDE, adam_eps_inside_sqrt),
    ]),
]

LESSON = Lesson(
    name="cs231n/a2-optim",
    title="Update rules: SGD with momentum, RMSProp, Adam",
    course="CS231n, assignment 2 (optim.py)",
    covers="sgd_momentum, rmsprop, adam",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
