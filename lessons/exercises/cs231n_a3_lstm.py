"""CS231n assignment 3, the LSTM for image captioning: one step and a whole sequence, forward and backward
(``rnn_layers.py``, LSTM_Captioning.ipynb)."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.cs231n import a3 as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## The layout

As in the RNN lesson: examples in rows, time second, `x (N, T, D)`, `h (N, T, H)`. All four gates come out of
**one** affine map, so the weights are stacked side by side:

    Wx (D, 4H)    Wh (H, 4H)    b (4H,)
    a = x @ Wx + prev_h @ Wh + b                 (N, 4H)

and `a` is cut into four blocks of `H` columns, **in this order**: `a_i = a[:, :H]`, `a_f = a[:, H:2H]`,
`a_o = a[:, 2H:3H]`, `a_g = a[:, 3H:]` (input, forget, output gates, then the candidate `g`). PyTorch stacks the
same four blocks in the order i, f, g, o: a weight copied from `torch.nn.LSTM` needs its blocks reordered.

The cell below gives you a `sigmoid` that does not overflow for large negative inputs.
"""),
    Code('''
def sigmoid(x):
    """The logistic function, elementwise, computed from exp(-|x|) so that it never overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
'''),
    Markdown("""
## 1. One step

    i = sigmoid(a_i)    f = sigmoid(a_f)    o = sigmoid(a_o)    g = tanh(a_g)          (N, H) each
    next_c = f * prev_c + i * g
    next_h = o * tanh(next_c)

Return `(next_h, next_c, cache)`.

**Backward.** Two gradients arrive: `dnext_h` and `dnext_c` (the next step's use of the cell state). An outline to
complete:

1. `next_c` reaches the loss directly (`dnext_c`) and through `next_h = o * tanh(next_c)`. Write the **total**
   gradient on `next_c`, using `tanh'(u) = 1 - tanh(u)^2`.
2. `next_h = o * tanh(next_c)`: the gradient on `o`?
3. `next_c = f * prev_c + i * g`: with the total from step 1, the gradients on `f`, `i`, `g`, and on `prev_c`.
   Every gradient that reaches `prev_c` passes through one factor: which?
4. Through each activation: `sigmoid'(u) = s (1 - s)` with `s` the gate's own value, `tanh'(u) = 1 - g^2`. That
   gives `da_i, da_f, da_o, da_g`.
5. Put them side by side **in the forward's order**, `da = [da_i, da_f, da_o, da_g]`, `(N, 4H)`. From here it is
   the affine layer again: `dx`, `dprev_h`, `dWx`, `dWh`, `db` from `da`.
"""),
    Code('''
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step.

    Inputs: x (N, D), prev_h (N, H), prev_c (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,); gate blocks i, f, o, g
    Returns (next_h, next_c, cache): next_h, next_c (N, H)
    """
    raise NotImplementedError


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward of one LSTM step.

    Inputs: dnext_h, dnext_c (N, H); cache from lstm_step_forward
    Returns (dx (N, D), dprev_h (N, H), dprev_c (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,))
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. A whole sequence

The hidden state starts at `h0`; the cell state starts at **zeros** (it is not an argument). Carry both from each
step to the next; return only the hidden states, `h (N, T, H)`, and a cache.

**Backward.** `dh (N, T, H)` is the gradient reaching each hidden state from above. Walk back from the last step:

- the gradient on `h[:, t]` is `dh[:, t]` plus the `dprev_h` of step `t + 1`, as in the RNN;
- the cell state is no output, so nothing reaches it from above: what `dnext_c` does the last step get, and what
  does every earlier step get?
- the weights are shared by all steps. Return `(dx, dh0, dWx, dWh, db)`.
"""),
    Code('''
def lstm_forward(x, h0, Wx, Wh, b):
    """The LSTM over a whole sequence, from h0 and a zero cell state.

    Inputs: x (N, T, D), h0 (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,)
    Returns (h, cache): h (N, T, H)
    """
    raise NotImplementedError


def lstm_backward(dh, cache):
    """Backpropagation through time for the LSTM.

    Inputs: dh (N, T, H); cache from lstm_forward
    Returns (dx (N, T, D), dh0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,))
    """
    raise NotImplementedError
'''),
]

# --------------------------------------------------------------------------------------------------------------
# Cases


def _weights(seed, D, H):
    return {"Wx": values(seed + 3, (D, 4 * H), -1, 1), "Wh": values(seed + 4, (H, 4 * H), -1, 1),
            "b": values(seed + 5, (4 * H,), -1, 1)}


@st.composite
def step_case(draw):
    N, D, H = (draw(st.integers(1, 3)) for _ in range(3))
    seed = draw(seeds)
    return {"x": values(seed, (N, D)), "prev_h": values(seed + 1, (N, H), -1, 1),
            "prev_c": values(seed + 2, (N, H)), **_weights(seed, D, H), "seed": seed}


@st.composite
def sequence_case(draw):
    N, D, H = (draw(st.integers(1, 3)) for _ in range(3))
    T = draw(st.integers(1, 4))
    seed = draw(seeds)
    return {"x": values(seed, (N, T, D)), "h0": values(seed + 1, (N, H), -1, 1), **_weights(seed, D, H),
            "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences

_W = ("Wx", "Wh", "b")


def run_lstm_step_forward(f, c):
    next_h, next_c, _ = f.lstm_step_forward(c["x"], c["prev_h"], c["prev_c"], c["Wx"], c["Wh"], c["b"])
    return {"next_h": next_h, "next_c": next_c}


def run_lstm_step_backward(f, c):
    next_h, next_c, cache = f.lstm_step_forward(c["x"], c["prev_h"], c["prev_c"], c["Wx"], c["Wh"], c["b"])
    dnext_h, dnext_c = f.upstream(next_h, "dnext_h"), f.upstream(next_c, "dnext_c")
    dx, dprev_h, dprev_c, dWx, dWh, db = f.lstm_step_backward(dnext_h, dnext_c, cache)
    return {"dx": dx, "dprev_h": dprev_h, "dprev_c": dprev_c, "dWx": dWx, "dWh": dWh, "db": db}


def grad_lstm_step(f, c):
    def fn(x, prev_h, prev_c, Wx, Wh, b):
        next_h, next_c, cache = f.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
        return (next_h, next_c), lambda dy: f.lstm_step_backward(dy[0], dy[1], cache)
    return fn, (c["x"], c["prev_h"], c["prev_c"], *(c[k] for k in _W)), ("x", "prev_h", "prev_c", *_W)


def run_lstm_forward(f, c):
    h, _ = f.lstm_forward(c["x"], c["h0"], c["Wx"], c["Wh"], c["b"])
    return {"h": h}


def run_lstm_backward(f, c):
    h, cache = f.lstm_forward(c["x"], c["h0"], c["Wx"], c["Wh"], c["b"])
    dx, dh0, dWx, dWh, db = f.lstm_backward(f.upstream(h, "dh"), cache)
    return {"dx": dx, "dh0": dh0, "dWx": dWx, "dWh": dWh, "db": db}


def grad_lstm(f, c):
    def fn(x, h0, Wx, Wh, b):
        h, cache = f.lstm_forward(x, h0, Wx, Wh, b)
        return h, lambda dh: f.lstm_backward(dh, cache)
    return fn, (c["x"], c["h0"], *(c[k] for k in _W)), ("x", "h0", *_W)


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _gates(x, prev_h, Wx, Wh, b, order):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    blocks = dict(zip(order, (a[:, k * H:(k + 1) * H] for k in range(4))))
    return (_sigmoid(blocks["i"]), _sigmoid(blocks["f"]), _sigmoid(blocks["o"]), np.tanh(blocks["g"]))


def _step_forward(x, prev_h, prev_c, Wx, Wh, b, *, order="ifog", tanh_c=True, swap_if=False):
    i, f, o, g = _gates(x, prev_h, Wx, Wh, b, order)
    if swap_if:
        i, f = f, i
    next_c = f * prev_c + i * g
    next_h = o * (np.tanh(next_c) if tanh_c else next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, b)


def lstm_step_forward_torch_order(x, prev_h, prev_c, Wx, Wh, b):
    return _step_forward(x, prev_h, prev_c, Wx, Wh, b, order="ifgo")


def lstm_step_forward_no_tanh_on_c(x, prev_h, prev_c, Wx, Wh, b):
    return _step_forward(x, prev_h, prev_c, Wx, Wh, b, tanh_c=False)


def lstm_step_forward_gates_swapped(x, prev_h, prev_c, Wx, Wh, b):
    return _step_forward(x, prev_h, prev_c, Wx, Wh, b, swap_if=True)


def _step_backward(dnext_h, dnext_c, cache, *, forget_path=True, h_path=True, order="ifog", o_slope=True):
    x, prev_h, prev_c, Wx, Wh, b = cache
    i, f, o, g = _gates(x, prev_h, Wx, Wh, b, "ifog")
    next_c = f * prev_c + i * g
    tc = np.tanh(next_c)
    dc = dnext_c + (dnext_h * o * (1 - tc ** 2) if h_path else 0)
    da = {"i": dc * g * i * (1 - i), "f": dc * prev_c * f * (1 - f),
          "o": dnext_h * tc * (o * (1 - o) if o_slope else 1), "g": dc * i * (1 - g ** 2)}
    da = np.concatenate([da[k] for k in order], axis=1)
    dprev_c = dc * f if forget_path else dc
    return da @ Wx.T, da @ Wh.T, dprev_c, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def lstm_step_backward_no_forget_path(dnext_h, dnext_c, cache):
    return _step_backward(dnext_h, dnext_c, cache, forget_path=False)


def lstm_step_backward_no_h_path(dnext_h, dnext_c, cache):
    return _step_backward(dnext_h, dnext_c, cache, h_path=False)


def lstm_step_backward_torch_order(dnext_h, dnext_c, cache):
    return _step_backward(dnext_h, dnext_c, cache, order="ifgo")


def lstm_step_backward_no_output_slope(dnext_h, dnext_c, cache):
    return _step_backward(dnext_h, dnext_c, cache, o_slope=False)


def _lstm_forward(x, h0, Wx, Wh, b, *, carry_c=True, c0_is_h0=False):
    N, T, _ = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h, prev_c = h0, (h0 if c0_is_h0 else np.zeros_like(h0))
    for t in range(T):
        prev_h, next_c, _ = ref.lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        prev_c = next_c if carry_c else np.zeros_like(h0)
        h[:, t] = prev_h
    return h, (x, h0, Wx, Wh, b)


def lstm_forward_c_restarts(x, h0, Wx, Wh, b):
    return _lstm_forward(x, h0, Wx, Wh, b, carry_c=False)


def lstm_forward_c0_is_h0(x, h0, Wx, Wh, b):
    return _lstm_forward(x, h0, Wx, Wh, b, c0_is_h0=True)


def _lstm_backward(dh, cache, *, carry_h=True, carry_c=True):
    x, h0, Wx, Wh, b = cache
    T = x.shape[1]
    caches, prev_h, prev_c = [], h0, np.zeros_like(h0)
    for t in range(T):
        prev_h, prev_c, step_cache = ref.lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        caches.append(step_cache)
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dprev_h, dprev_c = np.zeros_like(h0), np.zeros_like(h0)
    for t in reversed(range(T)):
        upstream_h = dh[:, t] + dprev_h if carry_h else dh[:, t]
        upstream_c = dprev_c if carry_c else np.zeros_like(h0)
        dx[:, t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = ref.lstm_step_backward(upstream_h, upstream_c, caches[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dprev_h, dWx, dWh, db


def lstm_backward_no_h_carry(dh, cache):
    return _lstm_backward(dh, cache, carry_h=False)


def lstm_backward_no_c_carry(dh, cache):
    return _lstm_backward(dh, cache, carry_c=False)


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("lstm_step_forward", step_case(), run_lstm_step_forward, mistakes=[
        Mistake("the gate blocks are read in PyTorch's order i, f, g, o; this course's a is cut i, f, o, g "
                "(a_o = a[:, 2H:3H], a_g = a[:, 3H:])", lstm_step_forward_torch_order),
        Mistake("next_h = o * next_c misses the tanh: next_h = o * np.tanh(next_c)", lstm_step_forward_no_tanh_on_c),
        Mistake("the input and forget gates are swapped: f multiplies prev_c, i multiplies g",
                lstm_step_forward_gates_swapped),
    ]),
    Task("lstm_step_backward", step_case(), run_lstm_step_backward, grad=grad_lstm_step, mistakes=[
        Mistake("dprev_c misses the forget gate: next_c = f * prev_c + i * g, so dprev_c = (total gradient on "
                "next_c) * f", lstm_step_backward_no_forget_path),
        Mistake("the gradient on next_c misses the path through next_h: add dnext_h * o * (1 - tanh(next_c)**2) "
                "to dnext_c before using it", lstm_step_backward_no_h_path),
        Mistake("da is stacked in PyTorch's order i, f, g, o; stack it as the forward cut a: i, f, o, g",
                lstm_step_backward_torch_order),
        Mistake("the output gate's gradient misses the sigmoid's slope: da_o = dnext_h * tanh(next_c) * o * (1 - o)",
                lstm_step_backward_no_output_slope),
    ]),
    Task("lstm_forward", sequence_case(), run_lstm_forward, mistakes=[
        Mistake("the cell state restarts from zeros at every step: carry the next_c each step returns",
                lstm_forward_c_restarts),
        Mistake("the cell state starts at h0; it starts at zeros (h0 is the hidden state only)",
                lstm_forward_c0_is_h0),
    ]),
    Task("lstm_backward", sequence_case(), run_lstm_backward, grad=grad_lstm, mistakes=[
        Mistake("each step gets only dh[:, t]; give it dh[:, t] + the dprev_h the later step returned",
                lstm_backward_no_h_carry),
        Mistake("the cell state's gradient is not carried: each step's dnext_c is the dprev_c the later step "
                "returned (zeros only after the last step)", lstm_backward_no_c_carry),
    ]),
]

LESSON = Lesson(
    name="cs231n/a3-lstm",
    title="An LSTM for captioning, step by step",
    course="CS231n, assignment 3 (rnn_layers.py, LSTM_Captioning.ipynb)",
    covers="lstm_step, lstm (BPTT), gates in the course's order i, f, o, g",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
