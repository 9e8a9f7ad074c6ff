"""Deep Learning Specialization, course 5 week 1: a basic RNN step by step, forward and backward through time."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.dls import c5 as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## The layout

Everything here keeps one example per **column** and puts time **last**:

    x       (n_x, m, T_x)     the input sequence: T_x steps, each a batch of m column vectors of size n_x
    a0      (n_a, m)          the hidden state before the first step
    a       (n_a, m, T_x)     the hidden state after every step
    y_pred  (n_y, m, T_x)     the prediction at every step

One step's slice is `x[:, :, t]`, of shape `(n_x, m)`. The parameters live in a dictionary:

    Wax (n_a, n_x)   multiplies the input          Waa (n_a, n_a)   multiplies the previous hidden state
    ba  (n_a, 1)     the hidden state's bias       Wya (n_y, n_a), by (n_y, 1)   the output layer

Biases are columns, `(n, 1)`: adding one to an `(n, m)` matrix adds it to every example.
The cell below gives you `softmax`, which normalises each column of its input.
"""),
    Code('''
def softmax(z):
    """Softmax down each column of z (n, m): every column becomes a probability vector."""
    e = np.exp(z - np.max(z, axis=0, keepdims=True))  # the shift cancels in the ratio and keeps exp from overflowing
    return e / np.sum(e, axis=0, keepdims=True)
'''),
    Markdown("""
## 1. One step of the RNN

    a_next  = tanh(Waa a_prev + Wax xt + ba)        (n_a, m)
    yt_pred = softmax(Wya a_next + by)              (n_y, m)

Return `(a_next, yt_pred, cache)` with `cache = (a_next, a_prev, xt, parameters)`: everything the backward step
will need. Check the shapes of each product before you write it: `Waa a_prev` is `(n_a, n_a) @ (n_a, m)`.
"""),
    Code('''
def rnn_cell_forward(xt, a_prev, parameters):
    """One step of a basic RNN.

    Inputs:
    - xt: (n_x, m) the input at this step
    - a_prev: (n_a, m) the hidden state from the step before
    - parameters: dict with Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a), ba (n_a, 1), by (n_y, 1)

    Returns (a_next, yt_pred, cache): a_next (n_a, m), yt_pred (n_y, m),
    cache = (a_next, a_prev, xt, parameters)
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. The whole sequence

Run the cell `T_x` times. The hidden state one step returns is the `a_prev` of the next; the first step starts from
`a0`. Store each step's hidden state in `a[:, :, t]` and its prediction in `y_pred[:, :, t]` (start both as zeros),
and collect the caches in a list. Return `(a, y_pred, caches)` with `caches = (list_of_caches, x)`.

The same parameters serve every step: that sharing is what makes it a *recurrent* network.
"""),
    Code('''
def rnn_forward(x, a0, parameters):
    """The RNN over a whole sequence.

    Inputs:
    - x: (n_x, m, T_x) the input at every step
    - a0: (n_a, m) the initial hidden state
    - parameters: as for rnn_cell_forward

    Returns (a, y_pred, caches): a (n_a, m, T_x), y_pred (n_y, m, T_x),
    caches = (list of the T_x cell caches, x)
    """
    raise NotImplementedError
'''),
    Markdown("""
## 3. Backward through one step

`da_next` is the gradient of the loss with respect to `a_next`, shape `(n_a, m)`. (It already contains whatever
came through the output layer: the backward here stops at the hidden state.) Name the pre-activation
`z = Waa a_prev + Wax xt + ba`, so that `a_next = tanh(z)`.

Work through it in this order:

1. `dz = da_next * tanh'(z)`. What is the derivative of `tanh` in terms of its *output*? You already have that
   output in the cache: do you need to call `tanh` again?
2. `z` is `Wax xt` plus other terms. For a product `W v`, the gradient of `W` pairs the upstream gradient with
   `v` and the gradient of `v` pairs `W` with the upstream gradient. Which goes on the left, and which is
   transposed, so that `dWax` has the shape of `Wax`, `(n_a, n_x)`, and `dxt` the shape of `xt`, `(n_x, m)`?
3. The same for `Waa a_prev`: `dWaa (n_a, n_a)` and `da_prev (n_a, m)`.
4. `ba (n_a, 1)` is added to every column of `z`. Over which axis do you sum `dz`, and how do you keep the result
   a column?

Return a dictionary with the keys `"dxt"`, `"da_prev"`, `"dWax"`, `"dWaa"`, `"dba"`.
"""),
    Code('''
def rnn_cell_backward(da_next, cache):
    """The backward pass of one RNN step (without the output layer).

    Inputs:
    - da_next: (n_a, m) gradient of the loss with respect to a_next
    - cache: (a_next, a_prev, xt, parameters) from rnn_cell_forward

    Returns a dict: dxt (n_x, m), da_prev (n_a, m), dWax (n_a, n_x), dWaa (n_a, n_a), dba (n_a, 1)
    """
    raise NotImplementedError
'''),
    Markdown("""
## 4. Backpropagation through time

`da` is `(n_a, m, T_x)`: `da[:, :, t]` is the gradient reaching `a<t>` from *outside* the recurrence (from the
prediction at step t). But `a<t>` also fed step t+1, so its total gradient is `da[:, :, t]` plus the `da_prev`
that step t+1's backward returned.

Questions to settle before you write the loop:

- In which order must the steps be visited so that step t+1's `da_prev` exists when step t needs it?
- What is the gradient arriving from "step T_x + 1", i.e. what should the carried `da_prevt` start as?
- The weights are the same at every step. What do you do with each step's `dWax`, `dWaa`, `dba`: keep the last,
  or ...?
- `dx[:, :, t]` is step t's `dxt`. And `da0`: which step's `da_prev` is it?

Read `T_x` from `da.shape`. Return a dictionary with the keys `"dx"`, `"da0"`, `"dWax"`, `"dWaa"`, `"dba"`.
"""),
    Code('''
def rnn_backward(da, caches):
    """Backpropagation through time for the whole sequence.

    Inputs:
    - da: (n_a, m, T_x) gradient of the loss with respect to every hidden state, from outside the recurrence
    - caches: (list of cell caches, x) from rnn_forward

    Returns a dict: dx (n_x, m, T_x), da0 (n_a, m), dWax (n_a, n_x), dWaa (n_a, n_a), dba (n_a, 1)
    """
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases


def _parameters(seed, n_x, n_a, n_y):
    # Weights in [-1, 1] keep most tanh units out of saturation, where every gradient would be near 0.
    return {"Wax": values(seed + 1, (n_a, n_x), -1, 1), "Waa": values(seed + 2, (n_a, n_a), -1, 1),
            "Wya": values(seed + 3, (n_y, n_a), -1, 1), "ba": values(seed + 4, (n_a, 1), -1, 1),
            "by": values(seed + 5, (n_y, 1), -1, 1)}


@st.composite
def cell_case(draw):
    n_x, n_a, n_y, m = (draw(st.integers(1, 3)) for _ in range(4))
    seed = draw(seeds)
    return {"xt": values(seed, (n_x, m)), "a_prev": values(seed + 6, (n_a, m), -1, 1),
            "parameters": _parameters(seed, n_x, n_a, n_y), "seed": seed}


@st.composite
def sequence_case(draw):
    n_x, n_a, n_y, m = (draw(st.integers(1, 3)) for _ in range(4))
    T_x = draw(st.integers(1, 4))
    seed = draw(seeds)
    return {"x": values(seed, (n_x, m, T_x)), "a0": values(seed + 6, (n_a, m), -1, 1),
            "parameters": _parameters(seed, n_x, n_a, n_y), "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences


def run_rnn_cell_forward(f, c):
    a_next, yt_pred, _ = f.rnn_cell_forward(c["xt"], c["a_prev"], c["parameters"])
    return {"a_next": a_next, "yt_pred": yt_pred}


def run_rnn_forward(f, c):
    a, y_pred, _ = f.rnn_forward(c["x"], c["a0"], c["parameters"])
    return {"a": a, "y_pred": y_pred}


def run_rnn_cell_backward(f, c):
    a_next, _, cache = f.rnn_cell_forward(c["xt"], c["a_prev"], c["parameters"])
    return {"gradients": f.rnn_cell_backward(f.upstream(a_next, "da_next"), cache)}


def run_rnn_backward(f, c):
    a, _, caches = f.rnn_forward(c["x"], c["a0"], c["parameters"])
    return {"gradients": f.rnn_backward(f.upstream(a, "da"), caches)}


def _with(parameters, Wax, Waa, ba):
    return {**parameters, "Wax": Wax, "Waa": Waa, "ba": ba}


def grad_rnn_cell(f, c):
    def fn(xt, a_prev, Wax, Waa, ba):
        a_next, _, cache = f.rnn_cell_forward(xt, a_prev, _with(c["parameters"], Wax, Waa, ba))

        def backward(da_next):
            g = f.rnn_cell_backward(da_next, cache)
            return g["dxt"], g["da_prev"], g["dWax"], g["dWaa"], g["dba"]
        return a_next, backward
    p = c["parameters"]
    return fn, (c["xt"], c["a_prev"], p["Wax"], p["Waa"], p["ba"]), ("xt", "a_prev", "Wax", "Waa", "ba")


def grad_rnn(f, c):
    def fn(x, a0, Wax, Waa, ba):
        a, _, caches = f.rnn_forward(x, a0, _with(c["parameters"], Wax, Waa, ba))

        def backward(da):
            g = f.rnn_backward(da, caches)
            return g["dx"], g["da0"], g["dWax"], g["dWaa"], g["dba"]
        return a, backward
    p = c["parameters"]
    return fn, (c["x"], c["a0"], p["Wax"], p["Waa"], p["ba"]), ("x", "a0", "Wax", "Waa", "ba")


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def _softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def rnn_cell_forward_no_bias(xt, a_prev, parameters):
    p = parameters
    a_next = np.tanh(np.dot(p["Waa"], a_prev) + np.dot(p["Wax"], xt))
    return a_next, _softmax(np.dot(p["Wya"], a_next) + p["by"]), (a_next, a_prev, xt, parameters)


def rnn_cell_forward_predicts_from_a_prev(xt, a_prev, parameters):
    p = parameters
    a_next = np.tanh(np.dot(p["Waa"], a_prev) + np.dot(p["Wax"], xt) + p["ba"])
    return a_next, _softmax(np.dot(p["Wya"], a_prev) + p["by"]), (a_next, a_prev, xt, parameters)


def rnn_cell_forward_softmax_over_examples(xt, a_prev, parameters):
    p = parameters
    a_next = np.tanh(np.dot(p["Waa"], a_prev) + np.dot(p["Wax"], xt) + p["ba"])
    z = np.dot(p["Wya"], a_next) + p["by"]
    e = np.exp(z - np.max(z))
    return a_next, e / np.sum(e, axis=1, keepdims=True), (a_next, a_prev, xt, parameters)


def rnn_forward_always_from_a0(x, a0, parameters):
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape
    a, y_pred, caches = np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x)), []
    for t in range(T_x):
        a_next, yt_pred, cache = ref.rnn_cell_forward(x[:, :, t], a0, parameters)
        a[:, :, t], y_pred[:, :, t] = a_next, yt_pred
        caches.append(cache)
    return a, y_pred, (caches, x)


def rnn_forward_stores_a_prev(x, a0, parameters):
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape
    a, y_pred, caches = np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x)), []
    a_next = a0
    for t in range(T_x):
        a[:, :, t] = a_next
        a_next, yt_pred, cache = ref.rnn_cell_forward(x[:, :, t], a_next, parameters)
        y_pred[:, :, t] = yt_pred
        caches.append(cache)
    return a, y_pred, (caches, x)


def _cell_gradients(dtanh, a_prev, xt, p):
    return {"dxt": np.dot(p["Wax"].T, dtanh), "da_prev": np.dot(p["Waa"].T, dtanh),
            "dWax": np.dot(dtanh, xt.T), "dWaa": np.dot(dtanh, a_prev.T),
            "dba": np.sum(dtanh, axis=1, keepdims=True)}


def rnn_cell_backward_tanh_again(da_next, cache):
    a_next, a_prev, xt, p = cache
    return _cell_gradients(da_next * (1 - np.tanh(a_next) ** 2), a_prev, xt, p)


def rnn_cell_backward_no_tanh_slope(da_next, cache):
    a_next, a_prev, xt, p = cache
    return _cell_gradients(da_next, a_prev, xt, p)


def rnn_cell_backward_dba_flat(da_next, cache):
    a_next, a_prev, xt, p = cache
    g = _cell_gradients(da_next * (1 - a_next ** 2), a_prev, xt, p)
    g["dba"] = np.sum(da_next * (1 - a_next ** 2), axis=1)
    return g


def rnn_cell_backward_dba_wrong_axis(da_next, cache):
    a_next, a_prev, xt, p = cache
    g = _cell_gradients(da_next * (1 - a_next ** 2), a_prev, xt, p)
    g["dba"] = np.sum(da_next * (1 - a_next ** 2), axis=0, keepdims=True)
    return g


def rnn_cell_backward_dWax_transposed(da_next, cache):
    a_next, a_prev, xt, p = cache
    g = _cell_gradients(da_next * (1 - a_next ** 2), a_prev, xt, p)
    g["dWax"] = np.dot(xt, (da_next * (1 - a_next ** 2)).T)
    return g


def _rnn_backward(da, caches, *, carry=True, reverse=True, accumulate=True):
    cell_caches, x = caches
    n_a, m, T_x = da.shape
    n_x = x.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax, dWaa, dba = np.zeros((n_a, n_x)), np.zeros((n_a, n_a)), np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in (reversed(range(T_x)) if reverse else range(T_x)):
        g = ref.rnn_cell_backward(da[:, :, t] + da_prevt if carry else da[:, :, t], cell_caches[t])
        da_prevt = g["da_prev"]
        dx[:, :, t] = g["dxt"]
        if accumulate:
            dWax, dWaa, dba = dWax + g["dWax"], dWaa + g["dWaa"], dba + g["dba"]
        else:
            dWax, dWaa, dba = g["dWax"], g["dWaa"], g["dba"]
    return {"dx": dx, "da0": da_prevt, "dWax": dWax, "dWaa": dWaa, "dba": dba}


def rnn_backward_no_carry(da, caches):
    return _rnn_backward(da, caches, carry=False)


def rnn_backward_forward_order(da, caches):
    return _rnn_backward(da, caches, reverse=False)


def rnn_backward_overwrites(da, caches):
    return _rnn_backward(da, caches, accumulate=False)


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("rnn_cell_forward", cell_case(), run_rnn_cell_forward, mistakes=[
        Mistake("the bias ba is missing from the hidden state: a_next = tanh(Waa a_prev + Wax xt + ba)",
                rnn_cell_forward_no_bias),
        Mistake("yt_pred is computed from a_prev; the prediction reads the new state: softmax(Wya a_next + by)",
                rnn_cell_forward_predicts_from_a_prev),
        Mistake("the softmax normalises along the examples (axis 1); each example is a column, so normalise "
                "down each column (axis 0)", rnn_cell_forward_softmax_over_examples),
    ]),
    Task("rnn_forward", sequence_case(), run_rnn_forward, mistakes=[
        Mistake("every step starts from a0: pass the a_next the previous step returned as the next a_prev",
                rnn_forward_always_from_a0),
        Mistake("a[:, :, t] holds the state before step t (a0 at t = 0); store the a_next that step t returns",
                rnn_forward_stores_a_prev),
    ]),
    Task("rnn_cell_backward", cell_case(), run_rnn_cell_backward, grad=grad_rnn_cell, mistakes=[
        Mistake("tanh is applied twice: a_next already is tanh(z), so tanh'(z) = 1 - a_next**2, not "
                "1 - tanh(a_next)**2", rnn_cell_backward_tanh_again),
        Mistake("the tanh derivative is missing: multiply da_next by (1 - a_next**2) before the products",
                rnn_cell_backward_no_tanh_slope),
        Mistake("dba lost its column shape: sum with keepdims=True so that it is (n_a, 1) like ba",
                rnn_cell_backward_dba_flat),
        Mistake("dba sums over the hidden units (axis 0); ba is added to every example, so sum over the "
                "examples: axis=1, keepdims=True", rnn_cell_backward_dba_wrong_axis),
        Mistake("dWax is transposed: it must have Wax's shape (n_a, n_x), so dWax = dz xt^T",
                rnn_cell_backward_dWax_transposed),
    ]),
    Task("rnn_backward", sequence_case(), run_rnn_backward, grad=grad_rnn, mistakes=[
        Mistake("each step gets only da[:, :, t]; a<t> also fed step t+1, so pass da[:, :, t] + da_prevt, the "
                "da_prev the later step returned", rnn_backward_no_carry),
        Mistake("the loop runs forwards in time; backpropagation through time starts at the last step: "
                "for t in reversed(range(T_x))", rnn_backward_forward_order),
        Mistake("the weight gradients keep only one step's value; the weights are shared by every step, so add "
                "each step's dWax, dWaa, dba to the totals (+=)", rnn_backward_overwrites),
    ]),
]

LESSON = Lesson(
    name="dls/c5w1-rnn",
    title="A recurrent network, step by step",
    course="Deep Learning Specialization, course 5 week 1 (Building your Recurrent Neural Network - Step by Step)",
    covers="rnn_cell_forward, rnn_forward, rnn_cell_backward, rnn_backward",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
