"""Deep Learning Specialization, course 2 week 2: mini-batches, momentum, Adam and learning-rate decay."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.dls import c2 as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## Setting

`parameters` holds `"W1", "b1", ..., "WL", "bL"` and `grads` holds `"dW1", "db1", ...`, shaped alike. Each update
returns the new parameters (and the optimiser's state); replacing the dict's entries is fine, but do not change
the arrays you were given in place (`W -= ...`).

## 1. Plain gradient descent

    W[l] = W[l] - learning_rate * dW[l]          b[l] = b[l] - learning_rate * db[l]
"""),
    Code('''
def update_parameters_with_gd(parameters, grads, learning_rate):
    """Returns the updated parameters."""
    raise NotImplementedError
'''),
    Markdown("""
## 2. Mini-batches

Shuffle the examples (the columns of `X` `(n_x, m)` and, with the SAME order, of `Y` `(1, m)`), then cut them into
consecutive mini-batches of `mini_batch_size` columns; when `m` is not a multiple of it, the last mini-batch holds
the rest. Return the list of `(mini_batch_X, mini_batch_Y)` pairs.

Shuffle as the course does, so that your batches are the course's: `np.random.seed(seed)`, then ONE permutation
`permutation = list(np.random.permutation(m))`, used for both `X[:, permutation]` and `Y[:, permutation]`.
"""),
    Code('''
def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    """Returns a list of (mini_batch_X, mini_batch_Y), in the shuffled order."""
    raise NotImplementedError
'''),
    Markdown("""
## 3. Momentum

Keep a velocity for each gradient, an exponentially weighted average of the gradients so far, and step along it:

    v[dW] = beta * v[dW] + (1 - beta) * dW          W = W - learning_rate * v[dW]        (the same for b)

The velocities start at zero, with the keys of the gradients (`"dW1", "db1", ...`). Why does the average move the
parameters more steadily than the raw gradient, in a ravine where the gradient's sign flips at each step?
"""),
    Code('''
def initialize_velocity(parameters):
    """Returns v: {"dW1": zeros like W1, "db1": zeros like b1, ...}."""
    raise NotImplementedError


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    """Returns (parameters, v), both updated."""
    raise NotImplementedError
'''),
    Markdown("""
## 4. Adam

Two averages per gradient: of the gradient (`v`, momentum) and of its square (`s`, the scale), both starting at
zero. At step `t` (counting from 1):

    v = beta1 v + (1 - beta1) dW                   v_corrected = v / (1 - beta1^t)
    s = beta2 s + (1 - beta2) dW^2                 s_corrected = s / (1 - beta2^t)
    W = W - learning_rate * v_corrected / (sqrt(s_corrected) + epsilon)

Why the corrections? At `t = 1`, `v = (1 - beta1) dW`: how far is that from `dW` when `beta1 = 0.9`, and what does
dividing by `1 - beta1^t` do to it? (Note `epsilon` is added to the square root, outside it.)

Return `(parameters, v, s, v_corrected, s_corrected)`, the corrected ones with the same keys as `v` and `s`.
"""),
    Code('''
def initialize_adam(parameters):
    """Returns (v, s), both {"dW1": zeros like W1, "db1": zeros like b1, ...}."""
    raise NotImplementedError


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,
                                epsilon=1e-8):
    """Returns (parameters, v, s, v_corrected, s_corrected)."""
    raise NotImplementedError
'''),
    Markdown("""
## 5. Learning-rate decay

Shrink the learning rate as training goes on:

    learning_rate = learning_rate0 / (1 + decay_rate * epoch_num)

Decaying at every epoch soon makes it tiny; `schedule_lr_decay` lowers it in steps instead, once every
`time_interval` epochs: replace `epoch_num` by `floor(epoch_num / time_interval)`.
"""),
    Code('''
def update_lr(learning_rate0, epoch_num, decay_rate):
    """Returns the decayed learning rate."""
    raise NotImplementedError


def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    """Returns the learning rate, decayed once every time_interval epochs."""
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases


def _tensors(seed, dims):
    out = {}
    for l in range(1, len(dims)):
        out[f"W{l}"] = (dims[l], dims[l - 1])
        out[f"b{l}"] = (dims[l], 1)
    p = {k: values(seed + i, shape) for i, (k, shape) in enumerate(out.items())}
    g = {"d" + k: values(seed + 20 + i, shape) for i, (k, shape) in enumerate(out.items())}
    v = {"d" + k: values(seed + 40 + i, shape, -1, 1) for i, (k, shape) in enumerate(out.items())}
    s = {"d" + k: values(seed + 60 + i, shape, 0.01, 1) for i, (k, shape) in enumerate(out.items())}
    return p, g, v, s


@st.composite
def gd_case(draw):
    seed = draw(seeds)
    p, g, _, _ = _tensors(seed, draw(st.lists(st.integers(1, 4), min_size=2, max_size=3)))
    return {"parameters": p, "grads": g, "learning_rate": draw(st.sampled_from([0.01, 0.1])), "seed": seed}


@st.composite
def mini_batch_case(draw):
    n, m = draw(st.integers(1, 3)), draw(st.integers(1, 9))
    seed = draw(seeds)
    return {"X": values(seed, (n, m)), "Y": values(seed + 1, (1, m)) > 0,
            "mini_batch_size": draw(st.integers(1, 4)), "seed": seed}


@st.composite
def momentum_case(draw):
    seed = draw(seeds)
    p, g, v, _ = _tensors(seed, draw(st.lists(st.integers(1, 4), min_size=2, max_size=3)))
    return {"parameters": p, "grads": g, "v": v, "beta": draw(st.sampled_from([0.8, 0.9])),
            "learning_rate": draw(st.sampled_from([0.01, 0.1])), "seed": seed}


@st.composite
def adam_case(draw):
    seed = draw(seeds)
    p, g, v, s = _tensors(seed, draw(st.lists(st.integers(1, 4), min_size=2, max_size=3)))
    return {"parameters": p, "grads": g, "v": v, "s": s, "t": draw(st.integers(1, 4)),
            "learning_rate": draw(st.sampled_from([0.01, 0.02])), "beta1": draw(st.sampled_from([0.8, 0.9])),
            "beta2": draw(st.sampled_from([0.888, 0.999])), "epsilon": draw(st.sampled_from([1e-2, 1e-8])),
            "seed": seed}


@st.composite
def lr_case(draw, interval=False):
    seed = draw(seeds)
    case = {"learning_rate0": float(values(seed, (), 0.01, 1.0)), "epoch_num": draw(st.integers(0, 30)),
            "decay_rate": draw(st.sampled_from([0.25, 1.0]))}
    if interval:
        case["time_interval"] = draw(st.sampled_from([3, 10, 1000]))
        case["epoch_num"] = draw(st.integers(0, 3000))
    case["seed"] = seed
    return case


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case (dicts are passed as new dicts: replacing their entries is the learner's
# business, changing their arrays in place is reported)


def run_update_parameters_with_gd(f, c):
    return {"parameters": f.update_parameters_with_gd(dict(c["parameters"]), c["grads"], c["learning_rate"])}


def run_random_mini_batches(f, c):
    np.random.seed(c["seed"] + 1)  # a learner who forgets np.random.seed(seed) draws from here
    batches = f.random_mini_batches(c["X"], c["Y"], c["mini_batch_size"], c["seed"])
    return {"mini_batches": [tuple(b) for b in batches], "number of mini-batches": len(batches)}


def run_initialize_velocity(f, c):
    return {"v": f.initialize_velocity(c["parameters"])}


def run_update_parameters_with_momentum(f, c):
    parameters, v = f.update_parameters_with_momentum(dict(c["parameters"]), c["grads"], dict(c["v"]), c["beta"],
                                                      c["learning_rate"])
    return {"parameters": parameters, "v": v}


def run_initialize_adam(f, c):
    v, s = f.initialize_adam(c["parameters"])
    return {"v": v, "s": s}


def run_update_parameters_with_adam(f, c):
    parameters, v, s, v_corrected, s_corrected = f.update_parameters_with_adam(
        dict(c["parameters"]), c["grads"], dict(c["v"]), dict(c["s"]), c["t"], c["learning_rate"], c["beta1"],
        c["beta2"], c["epsilon"])
    return {"parameters": parameters, "v": v, "s": s, "v_corrected": v_corrected, "s_corrected": s_corrected}


def run_update_lr(f, c):
    return {"learning_rate": f.update_lr(c["learning_rate0"], c["epoch_num"], c["decay_rate"])}


def run_schedule_lr_decay(f, c):
    return {"learning_rate": f.schedule_lr_decay(c["learning_rate0"], c["epoch_num"], c["decay_rate"],
                                                 c["time_interval"])}


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def gd_ascent(parameters, grads, learning_rate):
    return {k: w + learning_rate * grads["d" + k] for k, w in parameters.items()}


def gd_weights_only(parameters, grads, learning_rate):
    return {k: w - learning_rate * grads["d" + k] if k.startswith("W") else w for k, w in parameters.items()}


def _mini_batches(drop_last=False, shuffle=True, separate=False, seed_it=True):
    def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
        if seed_it:
            np.random.seed(seed)
        m = X.shape[1]
        order = list(np.random.permutation(m)) if shuffle else list(range(m))
        order_Y = list(np.random.permutation(m)) if separate else order
        X, Y = X[:, order], Y[:, order_Y]
        stop = (m // mini_batch_size) * mini_batch_size if drop_last else m
        return [(X[:, k:k + mini_batch_size], Y[:, k:k + mini_batch_size]) for k in range(0, stop, mini_batch_size)]
    return random_mini_batches


mini_batches_drop_last = _mini_batches(drop_last=True)
mini_batches_no_shuffle = _mini_batches(shuffle=False)
mini_batches_two_permutations = _mini_batches(separate=True)
mini_batches_no_seed = _mini_batches(seed_it=False)


def velocity_parameter_keys(parameters):
    return {k: np.zeros(w.shape) for k, w in parameters.items()}


def velocity_flat(parameters):
    return {"d" + k: np.zeros(w.shape[0]) for k, w in parameters.items()}


def _momentum(average=lambda beta, v, g: beta * v + (1 - beta) * g, step_with_v=True):
    def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
        for k in list(parameters):
            v["d" + k] = average(beta, v["d" + k], grads["d" + k])
            parameters[k] = parameters[k] - learning_rate * (v["d" + k] if step_with_v else grads["d" + k])
        return parameters, v
    return update_parameters_with_momentum


momentum_no_damping = _momentum(average=lambda beta, v, g: beta * v + g)
momentum_swapped = _momentum(average=lambda beta, v, g: (1 - beta) * v + beta * g)
momentum_steps_with_gradient = _momentum(step_with_v=False)


def adam_parameter_keys(parameters):
    return velocity_parameter_keys(parameters), velocity_parameter_keys(parameters)


def _adam(correction=lambda beta, t: 1 - beta**t, epsilon_inside=False, step_uncorrected=False):
    def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,
                                    epsilon=1e-8):
        v_corrected, s_corrected = {}, {}
        for k in list(parameters):
            g = grads["d" + k]
            v["d" + k] = beta1 * v["d" + k] + (1 - beta1) * g
            s["d" + k] = beta2 * s["d" + k] + (1 - beta2) * np.square(g)
            v_corrected["d" + k] = v["d" + k] / correction(beta1, t)
            s_corrected["d" + k] = s["d" + k] / correction(beta2, t)
            vk, sk = (v, s) if step_uncorrected else (v_corrected, s_corrected)
            denom = np.sqrt(sk["d" + k] + epsilon) if epsilon_inside else np.sqrt(sk["d" + k]) + epsilon
            parameters[k] = parameters[k] - learning_rate * vk["d" + k] / denom
        return parameters, v, s, v_corrected, s_corrected
    return update_parameters_with_adam


adam_correction_without_t = _adam(correction=lambda beta, t: 1 - beta)
adam_epsilon_inside = _adam(epsilon_inside=True)
adam_steps_uncorrected = _adam(step_uncorrected=True)


def update_lr_precedence(learning_rate0, epoch_num, decay_rate):
    return learning_rate0 / 1 + decay_rate * epoch_num


def update_lr_exponential(learning_rate0, epoch_num, decay_rate):
    return learning_rate0 * math.exp(-decay_rate * epoch_num)


def schedule_no_floor(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return learning_rate0 / (1 + decay_rate * epoch_num / time_interval)


def schedule_round(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return learning_rate0 / (1 + decay_rate * round(epoch_num / time_interval))


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("update_parameters_with_gd", gd_case(), run_update_parameters_with_gd, mistakes=[
        Mistake("the step goes uphill: subtract, W = W - learning_rate * dW", gd_ascent),
        Mistake("the biases are never updated: b = b - learning_rate * db too", gd_weights_only),
    ]),
    Task("random_mini_batches", mini_batch_case(), run_random_mini_batches, exact=True, mistakes=[
        Mistake("the last, smaller mini-batch is missing: when m is not a multiple of mini_batch_size, the "
                "m % mini_batch_size examples left over make one more", mini_batches_drop_last),
        Mistake("the examples are not shuffled: take X[:, permutation] with permutation = "
                "list(np.random.permutation(m))", mini_batches_no_shuffle),
        Mistake("X and Y are shuffled with two different permutations, so examples lose their labels: draw one "
                "permutation and use it for both", mini_batches_two_permutations),
        Mistake("the generator is not seeded: start with np.random.seed(seed), so that the shuffle is the "
                "course's", mini_batches_no_seed),
    ]),
    Task("initialize_velocity", gd_case(), run_initialize_velocity, examples=10, mistakes=[
        Mistake("the velocities are keyed like the parameters (\"W1\"); the course keys them like the gradients: "
                "v[\"dW1\"], v[\"db1\"], ...", velocity_parameter_keys),
        Mistake("the velocities are flat vectors; give each the shape of its parameter: "
                "np.zeros(parameters[\"W1\"].shape)", velocity_flat),
    ]),
    Task("update_parameters_with_momentum", momentum_case(), run_update_parameters_with_momentum, mistakes=[
        Mistake("the new gradient enters the velocity without its weight (1 - beta): "
                "v = beta * v + (1 - beta) * dW", momentum_no_damping),
        Mistake("beta and 1 - beta are swapped: the old velocity keeps the large share, v = beta * v + "
                "(1 - beta) * dW", momentum_swapped),
        Mistake("the step uses the raw gradient; momentum steps along the velocity: W = W - learning_rate * v",
                momentum_steps_with_gradient),
    ]),
    Task("initialize_adam", gd_case(), run_initialize_adam, examples=10, mistakes=[
        Mistake("v and s are keyed like the parameters (\"W1\"); the course keys them like the gradients: "
                "v[\"dW1\"], s[\"dW1\"], ...", adam_parameter_keys),
    ]),
    Task("update_parameters_with_adam", adam_case(), run_update_parameters_with_adam, mistakes=[
        Mistake("the bias correction divides by 1 - beta; it is 1 - beta**t, which tends to 1 as the steps go on",
                adam_correction_without_t),
        Mistake("epsilon is inside the square root; it is added after it: sqrt(s_corrected) + epsilon",
                adam_epsilon_inside),
        Mistake("the step uses v and s before their bias correction; use v_corrected / (sqrt(s_corrected) + "
                "epsilon)", adam_steps_uncorrected),
    ]),
    Task("update_lr", lr_case(), run_update_lr, mistakes=[
        Mistake("learning_rate0 / 1 + decay_rate * epoch_num divides by 1 only: put the denominator in "
                "parentheses, learning_rate0 / (1 + decay_rate * epoch_num)", update_lr_precedence),
        Mistake("this is exponential decay; the course's is inverse-time, learning_rate0 / (1 + decay_rate * "
                "epoch_num)", update_lr_exponential),
    ]),
    Task("schedule_lr_decay", lr_case(interval=True), run_schedule_lr_decay, mistakes=[
        Mistake("epoch_num / time_interval is not floored, so the rate decays continuously; the schedule lowers "
                "it in steps: np.floor(epoch_num / time_interval)", schedule_no_floor),
        Mistake("epoch_num / time_interval is rounded to the nearest integer; the schedule floors it: "
                "np.floor(epoch_num / time_interval)", schedule_round),
    ]),
]

LESSON = Lesson(
    name="dls/c2w2-optimization",
    title="Mini-batches, momentum, Adam, learning-rate decay",
    course="Deep Learning Specialization, course 2 week 2 (Optimization Methods)",
    covers="update_parameters_with_gd, random_mini_batches, momentum, Adam, update_lr, schedule_lr_decay",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
