"""Deep Learning Specialization, course 5 week 1: the LSTM step by step, forward and backward through time."""
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

As in the RNN lesson, one example per **column** and time **last**: `x (n_x, m, T_x)`, hidden states
`a (n_a, m, T_x)`. An LSTM also carries a **cell state** `c`, the same shape as `a`: a memory that each step can
keep, erase or add to.

Each of the four gates reads the same stacked vector, the previous hidden state **on top of** the input:

    concat = [a_prev; xt]              (n_a + n_x, m)

so every gate weight `Wf, Wi, Wc, Wo` is `(n_a, n_a + n_x)` and every gate bias `bf, bi, bc, bo` is `(n_a, 1)`.
The output layer is `Wy (n_y, n_a)`, `by (n_y, 1)`. The cell below gives you `sigmoid` and a column-wise `softmax`.
"""),
    Code('''
def sigmoid(z):
    """The logistic function, elementwise."""
    return 1 / (1 + np.exp(-z))


def softmax(z):
    """Softmax down each column of z (n, m)."""
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)
'''),
    Markdown("""
## 1. One LSTM step

    ft  = sigmoid(Wf concat + bf)        forget gate: how much of each unit of c_prev to keep
    it  = sigmoid(Wi concat + bi)        update gate: how much of the candidate to write
    cct = tanh(Wc concat + bc)           candidate values
    c_next = ft * c_prev + it * cct      (elementwise products)
    ot  = sigmoid(Wo concat + bo)        output gate
    a_next = ot * tanh(c_next)
    yt_pred = softmax(Wy a_next + by)

All of `ft, it, cct, ot, c_next, a_next` are `(n_a, m)`. Return `(a_next, c_next, yt_pred, cache)` with
`cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)`: the backward step reads the gates
from it.
"""),
    Code('''
def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    """One LSTM step.

    Inputs:
    - xt: (n_x, m); a_prev, c_prev: (n_a, m)
    - parameters: dict with Wf, Wi, Wc, Wo (n_a, n_a + n_x), bf, bi, bc, bo (n_a, 1), Wy (n_y, n_a), by (n_y, 1)

    Returns (a_next, c_next, yt_pred, cache): a_next, c_next (n_a, m), yt_pred (n_y, m),
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. The whole sequence

Run the cell over the `T_x` steps. The hidden state starts at `a0`; the cell state starts at **zeros** (it is not
an argument). Both are carried from each step to the next. Store `a[:, :, t]`, `c[:, :, t]` and `y[:, :, t]`
(zeros to begin with) and collect the caches. Return `(a, y, c, caches)` with `caches = (list_of_caches, x)`:
mind the order, `y` before `c`.
"""),
    Code('''
def lstm_forward(x, a0, parameters):
    """The LSTM over a whole sequence.

    Inputs:
    - x: (n_x, m, T_x); a0: (n_a, m); parameters: as for lstm_cell_forward

    Returns (a, y, c, caches): a, c (n_a, m, T_x), y (n_y, m, T_x), caches = (list of cell caches, x)
    """
    raise NotImplementedError
'''),
    Markdown("""
## 3. Backward through one step

Two gradients arrive: `da_next` for `a_next` and `dc_next` for `c_next` (from the next step's cell state).
Compute the gradient of each gate's **pre-activation** (the argument of its sigmoid or tanh); call them
`dot, dcct, dit, dft`. Then every weight and input gradient follows as in a linear layer.

An outline to complete:

1. `c_next` reaches the loss in two ways: directly (`dc_next`) and through `a_next = ot * tanh(c_next)`. What is
   the total gradient on `c_next`? (The derivative of `tanh(c)` is `1 - tanh(c)^2`.)
2. `a_next = ot * tanh(c_next)`: the gradient on `ot` is `da_next * tanh(c_next)`. Through the sigmoid,
   `sigmoid'(z) = s (1 - s)` with `s = ot`: so `dot = ?`
3. `c_next = ft * c_prev + it * cct`: with the total gradient on `c_next` from step 1, what multiplies it to give
   the gradient on `cct`? On `it`? On `ft`? Then through `tanh` (`1 - cct^2`) or `sigmoid` (`it (1 - it)`,
   `ft (1 - ft)`).
4. Each gate is `W concat + b`: `dW = d(pre-activation) concat^T` `(n_a, n_a + n_x)`, `db` the sum over the
   examples kept as a column.
5. `dconcat = Wf^T dft + Wi^T dit + Wc^T dcct + Wo^T dot`. Which rows of it are `da_prev`, which are `dxt`?
   (Recall the order of `concat`.)
6. `dc_prev`: `c_prev` appears once in the forward, inside `ft * c_prev`. Which factor must every gradient
   flowing back to it pass through?

Return a dictionary with the keys `"dxt", "da_prev", "dc_prev", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo",
"dbo"`.
"""),
    Code('''
def lstm_cell_backward(da_next, dc_next, cache):
    """The backward pass of one LSTM step (without the output layer).

    Inputs:
    - da_next, dc_next: (n_a, m) gradients of the loss with respect to a_next and c_next
    - cache: from lstm_cell_forward

    Returns a dict: dxt (n_x, m), da_prev (n_a, m), dc_prev (n_a, m),
    dWf, dWi, dWc, dWo (n_a, n_a + n_x), dbf, dbi, dbc, dbo (n_a, 1)
    """
    raise NotImplementedError
'''),
    Markdown("""
## 4. Backpropagation through time

As for the RNN: visit the steps from the last to the first, giving each step `da[:, :, t]` plus the `da_prev` that
the step after it returned. The cell state carries its own gradient back the same way: each step's `dc_next` is
the `dc_prev` of the step after it (zeros after the last step: `c` is not an output here). The weights are shared,
so their gradients are summed over the steps; `dx[:, :, t]` is step t's `dxt`, and `da0` is the first step's
`da_prev`.

Read `T_x` from `da.shape`. Return a dictionary with the keys `"dx", "da0", "dWf", "dbf", "dWi", "dbi", "dWc",
"dbc", "dWo", "dbo"`.
"""),
    Code('''
def lstm_backward(da, caches):
    """Backpropagation through time for the LSTM.

    Inputs:
    - da: (n_a, m, T_x) gradient of the loss with respect to every hidden state, from outside the recurrence
    - caches: (list of cell caches, x) from lstm_forward

    Returns a dict: dx (n_x, m, T_x), da0 (n_a, m), dWf, dWi, dWc, dWo (n_a, n_a + n_x), dbf, dbi, dbc, dbo (n_a, 1)
    """
    raise NotImplementedError
'''),
]

GATES = ("f", "i", "c", "o")

# --------------------------------------------------------------------------------------------------------------
# Cases


def _parameters(seed, n_x, n_a, n_y):
    p = {}
    for k, g in enumerate(GATES):
        p["W" + g] = values(seed + 1 + k, (n_a, n_a + n_x), -1, 1)
        p["b" + g] = values(seed + 5 + k, (n_a, 1), -1, 1)
    p["Wy"], p["by"] = values(seed + 9, (n_y, n_a), -1, 1), values(seed + 10, (n_y, 1), -1, 1)
    return p


@st.composite
def cell_case(draw):
    n_x, n_a, n_y, m = (draw(st.integers(1, 3)) for _ in range(4))
    seed = draw(seeds)
    return {"xt": values(seed, (n_x, m)), "a_prev": values(seed + 11, (n_a, m), -1, 1),
            "c_prev": values(seed + 12, (n_a, m)), "parameters": _parameters(seed, n_x, n_a, n_y), "seed": seed}


@st.composite
def sequence_case(draw):
    n_x, n_a, n_y, m = (draw(st.integers(1, 3)) for _ in range(4))
    T_x = draw(st.integers(1, 4))
    seed = draw(seeds)
    return {"x": values(seed, (n_x, m, T_x)), "a0": values(seed + 11, (n_a, m), -1, 1),
            "parameters": _parameters(seed, n_x, n_a, n_y), "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences


def run_lstm_cell_forward(f, c):
    a_next, c_next, yt_pred, _ = f.lstm_cell_forward(c["xt"], c["a_prev"], c["c_prev"], c["parameters"])
    return {"a_next": a_next, "c_next": c_next, "yt_pred": yt_pred}


def run_lstm_forward(f, c):
    a, y, cs, _ = f.lstm_forward(c["x"], c["a0"], c["parameters"])
    return {"a": a, "y": y, "c": cs}


def run_lstm_cell_backward(f, c):
    a_next, c_next, _, cache = f.lstm_cell_forward(c["xt"], c["a_prev"], c["c_prev"], c["parameters"])
    da_next, dc_next = f.upstream(a_next, "da_next"), f.upstream(c_next, "dc_next")
    return {"gradients": f.lstm_cell_backward(da_next, dc_next, cache)}


def run_lstm_backward(f, c):
    a, _, _, caches = f.lstm_forward(c["x"], c["a0"], c["parameters"])
    return {"gradients": f.lstm_backward(f.upstream(a, "da"), caches)}


_WEIGHTS = tuple(k for g in GATES for k in ("W" + g, "b" + g))  # Wf, bf, Wi, bi, Wc, bc, Wo, bo


def grad_lstm_cell(f, c):
    def fn(xt, a_prev, c_prev, *weights):
        parameters = {**c["parameters"], **dict(zip(_WEIGHTS, weights))}
        a_next, c_next, _, cache = f.lstm_cell_forward(xt, a_prev, c_prev, parameters)

        def backward(dy):
            g = f.lstm_cell_backward(dy[0], dy[1], cache)
            return (g["dxt"], g["da_prev"], g["dc_prev"], *(g["d" + k] for k in _WEIGHTS))
        return (a_next, c_next), backward
    inputs = (c["xt"], c["a_prev"], c["c_prev"], *(c["parameters"][k] for k in _WEIGHTS))
    return fn, inputs, ("xt", "a_prev", "c_prev", *_WEIGHTS)


def grad_lstm(f, c):
    def fn(x, a0, *weights):
        a, _, _, caches = f.lstm_forward(x, a0, {**c["parameters"], **dict(zip(_WEIGHTS, weights))})

        def backward(da):
            g = f.lstm_backward(da, caches)
            return (g["dx"], g["da0"], *(g["d" + k] for k in _WEIGHTS))
        return a, backward
    return fn, (c["x"], c["a0"], *(c["parameters"][k] for k in _WEIGHTS)), ("x", "a0", *_WEIGHTS)


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def _cell_forward(xt, a_prev, c_prev, p, *, concat_first="a", candidate_gated=True, tanh_on_c=True):
    concat = np.concatenate([a_prev, xt] if concat_first == "a" else [xt, a_prev], axis=0)
    ft = _sigmoid(np.dot(p["Wf"], concat) + p["bf"])
    it = _sigmoid(np.dot(p["Wi"], concat) + p["bi"])
    cct = np.tanh(np.dot(p["Wc"], concat) + p["bc"])
    c_next = ft * c_prev + (it * cct if candidate_gated else cct)
    ot = _sigmoid(np.dot(p["Wo"], concat) + p["bo"])
    a_next = ot * (np.tanh(c_next) if tanh_on_c else c_next)
    yt_pred = _softmax(np.dot(p["Wy"], a_next) + p["by"])
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p)


def lstm_cell_forward_concat_reversed(xt, a_prev, c_prev, parameters):
    return _cell_forward(xt, a_prev, c_prev, parameters, concat_first="x")


def lstm_cell_forward_candidate_ungated(xt, a_prev, c_prev, parameters):
    return _cell_forward(xt, a_prev, c_prev, parameters, candidate_gated=False)


def lstm_cell_forward_no_tanh_on_c(xt, a_prev, c_prev, parameters):
    return _cell_forward(xt, a_prev, c_prev, parameters, tanh_on_c=False)


def _lstm_forward(x, a0, parameters, *, carry_c=True, c0_from_a0=False):
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wy"].shape
    a, c, y, caches = np.zeros((n_a, m, T_x)), np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x)), []
    a_next, c_next = a0, (a0 if c0_from_a0 else np.zeros((n_a, m)))
    for t in range(T_x):
        a_next, c_t, yt, cache = ref.lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        c_next = c_t if carry_c else np.zeros((n_a, m))
        a[:, :, t], c[:, :, t], y[:, :, t] = a_next, c_t, yt
        caches.append(cache)
    return a, y, c, (caches, x)


def lstm_forward_c_restarts(x, a0, parameters):
    return _lstm_forward(x, a0, parameters, carry_c=False)


def lstm_forward_c0_is_a0(x, a0, parameters):
    return _lstm_forward(x, a0, parameters, c0_from_a0=True)


def _cell_backward(da_next, dc_next, cache, *, dc_prev_path="both", o_slope=True, cct_tanh_again=False,
                   keepdims=True):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p = cache
    n_a = a_next.shape[0]
    tc = np.tanh(c_next)
    dc = dc_next + ot * (1 - tc ** 2) * da_next  # the total gradient on c_next
    dot = da_next * tc * (ot * (1 - ot) if o_slope else 1)
    dcct = dc * it * (1 - (np.tanh(cct) if cct_tanh_again else cct) ** 2)
    dit = dc * cct * it * (1 - it)
    dft = dc * c_prev * ft * (1 - ft)
    concat = np.concatenate([a_prev, xt], axis=0)
    d = {"f": dft, "i": dit, "c": dcct, "o": dot}
    g = {}
    for k in GATES:
        g["dW" + k] = np.dot(d[k], concat.T)
        g["db" + k] = np.sum(d[k], axis=1, keepdims=keepdims)
    dconcat = sum(np.dot(p["W" + k].T, d[k]) for k in GATES)
    g["da_prev"], g["dxt"] = dconcat[:n_a], dconcat[n_a:]
    g["dc_prev"] = {"both": dc * ft, "no_forget": dc, "no_a_path": dc_next * ft,
                    "dc_next_unscaled": dc_next + ot * (1 - tc ** 2) * ft * da_next}[dc_prev_path]
    return g


def lstm_cell_backward_dc_prev_no_forget_gate(da_next, dc_next, cache):
    return _cell_backward(da_next, dc_next, cache, dc_prev_path="no_forget")


def lstm_cell_backward_dc_next_unscaled(da_next, dc_next, cache):
    return _cell_backward(da_next, dc_next, cache, dc_prev_path="dc_next_unscaled")


def lstm_cell_backward_dc_prev_no_a_path(da_next, dc_next, cache):
    return _cell_backward(da_next, dc_next, cache, dc_prev_path="no_a_path")


def lstm_cell_backward_no_output_slope(da_next, dc_next, cache):
    return _cell_backward(da_next, dc_next, cache, o_slope=False)


def lstm_cell_backward_tanh_again(da_next, dc_next, cache):
    return _cell_backward(da_next, dc_next, cache, cct_tanh_again=True)


def lstm_cell_backward_db_flat(da_next, dc_next, cache):
    return _cell_backward(da_next, dc_next, cache, keepdims=False)


def _lstm_backward(da, caches, *, carry_a=True, carry_c=True):
    cell_caches, x = caches
    n_a, m, T_x = da.shape
    n_x = x.shape[0]
    dx = np.zeros((n_x, m, T_x))
    totals = {f"dW{k}": np.zeros((n_a, n_a + n_x)) for k in GATES}
    totals.update({f"db{k}": np.zeros((n_a, 1)) for k in GATES})
    da_prevt, dc_prevt = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        g = ref.lstm_cell_backward(da[:, :, t] + da_prevt if carry_a else da[:, :, t],
                                   dc_prevt if carry_c else np.zeros((n_a, m)), cell_caches[t])
        da_prevt, dc_prevt = g["da_prev"], g["dc_prev"]
        dx[:, :, t] = g["dxt"]
        for k in totals:
            totals[k] = totals[k] + g[k]
    return {"dx": dx, "da0": da_prevt, **totals}


def lstm_backward_no_a_carry(da, caches):
    return _lstm_backward(da, caches, carry_a=False)


def lstm_backward_no_c_carry(da, caches):
    return _lstm_backward(da, caches, carry_c=False)


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("lstm_cell_forward", cell_case(), run_lstm_cell_forward, mistakes=[
        Mistake("concat is [xt; a_prev]; the gate weights expect the hidden state first: "
                "np.concatenate([a_prev, xt], axis=0)", lstm_cell_forward_concat_reversed),
        Mistake("the candidate enters the cell state ungated: c_next = ft * c_prev + it * cct",
                lstm_cell_forward_candidate_ungated),
        Mistake("a_next = ot * c_next misses the tanh: a_next = ot * np.tanh(c_next)",
                lstm_cell_forward_no_tanh_on_c),
    ]),
    Task("lstm_forward", sequence_case(), run_lstm_forward, mistakes=[
        Mistake("the cell state restarts from zeros at every step: carry the c_next each step returns into the "
                "next", lstm_forward_c_restarts),
        Mistake("the cell state starts at a0; it starts at zeros (a0 is the hidden state only)",
                lstm_forward_c0_is_a0),
    ]),
    Task("lstm_cell_backward", cell_case(), run_lstm_cell_backward, grad=grad_lstm_cell, mistakes=[
        Mistake("dc_prev misses the path through the forget gate: c_next = ft * c_prev + it * cct, so the whole "
                "gradient on c_next reaches c_prev multiplied by ft", lstm_cell_backward_dc_prev_no_forget_gate),
        Mistake("the dc_next term of dc_prev misses the forget gate: dc_next reaches c_prev through ft as well, "
                "so dc_prev = dc_next * ft + ot * (1 - tanh(c_next)**2) * ft * da_next",
                lstm_cell_backward_dc_next_unscaled),
        Mistake("dc_prev misses the path through a_next: c_next also reaches the loss via a_next = ot * "
                "tanh(c_next), so add ot * (1 - tanh(c_next)**2) * da_next to dc_next before multiplying by ft",
                lstm_cell_backward_dc_prev_no_a_path),
        Mistake("dot misses the sigmoid's derivative: multiply da_next * tanh(c_next) by ot * (1 - ot)",
                lstm_cell_backward_no_output_slope),
        Mistake("tanh is applied twice in dcct: cct already is tanh(...), so its derivative is 1 - cct**2",
                lstm_cell_backward_tanh_again),
        Mistake("the bias gradients lost their column shape: sum over axis=1 with keepdims=True, (n_a, 1)",
                lstm_cell_backward_db_flat),
    ]),
    Task("lstm_backward", sequence_case(), run_lstm_backward, grad=grad_lstm, mistakes=[
        Mistake("each step gets only da[:, :, t]; pass da[:, :, t] + da_prevt, adding the da_prev the later step "
                "returned", lstm_backward_no_a_carry),
        Mistake("the cell state's gradient is not carried: each step's dc_next is the dc_prev the later step "
                "returned (zeros only after the last step)", lstm_backward_no_c_carry),
    ]),
]

LESSON = Lesson(
    name="dls/c5w1-lstm",
    title="An LSTM, step by step",
    course="Deep Learning Specialization, course 5 week 1 (Building your Recurrent Neural Network - Step by Step)",
    covers="lstm_cell_forward, lstm_forward, lstm_cell_backward, lstm_backward",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
