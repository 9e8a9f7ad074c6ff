"""CS231n assignment 3, the vanilla RNN for image captioning: one step, a whole sequence, word embeddings, the
temporal affine layer and the masked temporal softmax loss (``rnn_layers.py``)."""
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

Examples are rows and time is the **second** axis: a minibatch of `N` sequences of `T` steps, each step a vector
of `D` numbers, is `x (N, T, D)`; the hidden states are `h (N, T, H)`. Weights multiply on the right and are stored
`(in, out)`:

    Wx (D, H)      input to hidden
    Wh (H, H)      hidden to hidden
    b  (H,)

Every forward returns `(out, cache)`; what goes in the cache is your choice, as long as your backward can read it.

## 1. One step

    next_h = tanh(x @ Wx + prev_h @ Wh + b)        x (N, D), prev_h (N, H), next_h (N, H)

**Backward.** You get `dnext_h (N, H)`. Name the pre-activation `a = x @ Wx + prev_h @ Wh + b`.

1. `next_h = tanh(a)` elementwise, and `tanh'(a) = 1 - tanh(a)^2`. Which array that you already have holds
   `tanh(a)`? Write `da` from `dnext_h` with it.
2. `a` is two affine maps added together. For `x @ Wx`: `dWx[d, h] = sum_n x[n, d] da[n, h]`: which product is that,
   and is its shape `(D, H)`? `dx` must be `(N, D)`: which product of `da` and `Wx` gives it?
3. The same for `prev_h @ Wh` gives `dprev_h` and `dWh`. `Wh` is square, so a missing transpose will not raise an
   error here: check each product against the element-wise sum, not only its shape.
4. `b` is added to every row: `db` sums `da` over which axis?
"""),
    Code('''
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One step of a vanilla RNN with tanh.

    Inputs: x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H,)
    Returns (next_h, cache): next_h (N, H)
    """
    raise NotImplementedError


def rnn_step_backward(dnext_h, cache):
    """Backward of one step.

    Inputs: dnext_h (N, H); cache from rnn_step_forward
    Returns (dx, dprev_h, dWx, dWh, db), each shaped like the forward input it belongs to
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. A whole sequence

Run the step `T` times: step `t` reads `x[:, t, :]` and the hidden state the previous step produced (`h0` for the
first step), and writes `h[:, t, :]`. Return `(h (N, T, H), cache)`.

**Backpropagation through time.** `dh (N, T, H)` is the gradient reaching each hidden state **from above** (the
output layer at that step). But `h[:, t]` is also the `prev_h` of step `t + 1`. So:

- Walk `t` from `T - 1` down to `0`. What is the total gradient on `h[:, t]`: `dh[:, t]` plus what?
- Call the step's backward with that total; keep its `dx` in `dx[:, t]` and carry its `dprev_h` to the next
  iteration. After the loop, which step's `dprev_h` is `dh0`?
- `Wx`, `Wh` and `b` are used at every step. How do their per-step gradients combine?
"""),
    Code('''
def rnn_forward(x, h0, Wx, Wh, b):
    """The RNN over a whole sequence.

    Inputs: x (N, T, D), h0 (N, H), Wx (D, H), Wh (H, H), b (H,)
    Returns (h, cache): h (N, T, H)
    """
    raise NotImplementedError


def rnn_backward(dh, cache):
    """Backpropagation through time.

    Inputs: dh (N, T, H), the upstream gradient of every hidden state; cache from rnn_forward
    Returns (dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,))
    """
    raise NotImplementedError
'''),
    Markdown("""
## 3. Word embeddings

Each word is an integer in `[0, V)`; the embedding is a table `W (V, D)` whose row `v` is word `v`'s vector:

    out[n, t, :] = W[x[n, t], :]            x (N, T) integers, out (N, T, D)

**Backward.** Only rows that were looked up get a gradient, and a word that occurs several times in the batch
collects the gradient of **every** occurrence. Start from `dW = zeros like W` and add `dout[n, t]` into row
`x[n, t]`. Careful: `dW[x] += dout` does not do that when `x` repeats a word (NumPy's fancy-index assignment writes
each repeated row once). Which NumPy function adds at repeated indices without buffering?
"""),
    Code('''
def word_embedding_forward(x, W):
    """Inputs: x (N, T) integer indices in [0, V), W (V, D). Returns (out (N, T, D), cache)."""
    raise NotImplementedError


def word_embedding_backward(dout, cache):
    """Inputs: dout (N, T, D); cache from word_embedding_forward. Returns dW (V, D)."""
    raise NotImplementedError
'''),
    Markdown("""
## 4. Scores at every step, and the loss

The course hands you these three; write them yourself here, because the loss's normalisation and its mask are
where captioning models quietly go wrong.

**Temporal affine.** The affine layer applied to each step's vector: `out[n, t] = x[n, t] @ w + b`, with
`x (N, T, D)`, `w (D, M)`, `b (M,)`, `out (N, T, M)`. Use the course's cache `(x, w, b, out)`. Reshape to
`(N*T, D)` and it is the affine layer of assignment 2: every step of every sequence is one more row.

**Temporal softmax loss.** `x (N, T, V)` holds the scores of every word at every step, `y (N, T)` the right word,
and `mask (N, T)` says which steps count (captions of different lengths are padded with a `<NULL>` word that must
not be scored):

    p[n, t] = softmax(x[n, t])                                    over the V words
    loss    = -(1/N) * sum over n, t of mask[n, t] * log p[n, t, y[n, t]]

The sum runs over time and the average over the **minibatch only**: divide by `N`, not by `N * T`, nor by the
number of kept steps. Return `(loss, dx)`. For one kept step, `d(-log p_y)/dx = p - onehot(y)`; what does a masked
step contribute to `dx`, and where does the `1/N` go?
"""),
    Code('''
def temporal_affine_forward(x, w, b):
    """Inputs: x (N, T, D), w (D, M), b (M,). Returns (out (N, T, M), cache), cache = (x, w, b, out)."""
    raise NotImplementedError


def temporal_affine_backward(dout, cache):
    """Inputs: dout (N, T, M); cache = (x, w, b, out). Returns (dx (N, T, D), dw (D, M), db (M,))."""
    raise NotImplementedError


def temporal_softmax_loss(x, y, mask, verbose=False):
    """Inputs: x (N, T, V) scores, y (N, T) integers in [0, V), mask (N, T) booleans.

    Returns (loss, dx): loss a float (summed over time, averaged over N), dx (N, T, V).
    """
    raise NotImplementedError
'''),
]

# --------------------------------------------------------------------------------------------------------------
# Cases


def _weights(seed, D, H):
    return {"Wx": values(seed + 2, (D, H), -1, 1), "Wh": values(seed + 3, (H, H), -1, 1),
            "b": values(seed + 4, (H,), -1, 1)}


@st.composite
def step_case(draw):
    N, D, H = (draw(st.integers(1, 3)) for _ in range(3))
    seed = draw(seeds)
    return {"x": values(seed, (N, D)), "prev_h": values(seed + 1, (N, H), -1, 1), **_weights(seed, D, H),
            "seed": seed}


@st.composite
def sequence_case(draw):
    N, D, H = (draw(st.integers(1, 3)) for _ in range(3))
    T = draw(st.integers(1, 4))
    seed = draw(seeds)
    return {"x": values(seed, (N, T, D)), "h0": values(seed + 1, (N, H), -1, 1), **_weights(seed, D, H),
            "seed": seed}


def _words(seed, shape, V):
    return np.random.default_rng(seed).integers(0, V, size=shape).astype(np.int64)


@st.composite
def embedding_case(draw):
    N, T, V, D = (draw(st.integers(1, 4)) for _ in range(4))
    seed = draw(seeds)
    return {"x": _words(seed, (N, T), V), "W": values(seed + 1, (V, D)), "seed": seed}


@st.composite
def temporal_affine_case(draw):
    N, T, D, M = (draw(st.integers(1, 3)) for _ in range(4))
    seed = draw(seeds)
    return {"x": values(seed, (N, T, D)), "w": values(seed + 1, (D, M)), "b": values(seed + 2, (M,)), "seed": seed}


@st.composite
def loss_case(draw):
    N, T = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    V = draw(st.integers(2, 4))
    seed = draw(seeds)
    mask = np.random.default_rng(seed + 2).random((N, T)) < 0.7
    return {"x": values(seed, (N, T, V)), "y": _words(seed + 1, (N, T), V), "mask": mask, "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences

_W = ("Wx", "Wh", "b")


def run_rnn_step_forward(f, c):
    next_h, _ = f.rnn_step_forward(c["x"], c["prev_h"], c["Wx"], c["Wh"], c["b"])
    return {"next_h": next_h}


def run_rnn_step_backward(f, c):
    next_h, cache = f.rnn_step_forward(c["x"], c["prev_h"], c["Wx"], c["Wh"], c["b"])
    dx, dprev_h, dWx, dWh, db = f.rnn_step_backward(f.upstream(next_h, "dnext_h"), cache)
    return {"dx": dx, "dprev_h": dprev_h, "dWx": dWx, "dWh": dWh, "db": db}


def grad_rnn_step(f, c):
    def fn(x, prev_h, Wx, Wh, b):
        next_h, cache = f.rnn_step_forward(x, prev_h, Wx, Wh, b)
        return next_h, lambda dnext_h: f.rnn_step_backward(dnext_h, cache)
    return fn, (c["x"], c["prev_h"], *(c[k] for k in _W)), ("x", "prev_h", *_W)


def run_rnn_forward(f, c):
    h, _ = f.rnn_forward(c["x"], c["h0"], c["Wx"], c["Wh"], c["b"])
    return {"h": h}


def run_rnn_backward(f, c):
    h, cache = f.rnn_forward(c["x"], c["h0"], c["Wx"], c["Wh"], c["b"])
    dx, dh0, dWx, dWh, db = f.rnn_backward(f.upstream(h, "dh"), cache)
    return {"dx": dx, "dh0": dh0, "dWx": dWx, "dWh": dWh, "db": db}


def grad_rnn(f, c):
    def fn(x, h0, Wx, Wh, b):
        h, cache = f.rnn_forward(x, h0, Wx, Wh, b)
        return h, lambda dh: f.rnn_backward(dh, cache)
    return fn, (c["x"], c["h0"], *(c[k] for k in _W)), ("x", "h0", *_W)


def run_word_embedding_forward(f, c):
    out, _ = f.word_embedding_forward(c["x"], c["W"])
    return {"out": out}


def run_word_embedding_backward(f, c):
    out, cache = f.word_embedding_forward(c["x"], c["W"])
    return {"dW": f.word_embedding_backward(f.upstream(out), cache)}


def grad_word_embedding(f, c):
    def fn(W):
        out, cache = f.word_embedding_forward(c["x"], W)
        return out, lambda dout: (f.word_embedding_backward(dout, cache),)
    return fn, (c["W"],), ("W",)


def run_temporal_affine_forward(f, c):
    out, _ = f.temporal_affine_forward(c["x"], c["w"], c["b"])
    return {"out": out}


def run_temporal_affine_backward(f, c):
    out, cache = f.temporal_affine_forward(c["x"], c["w"], c["b"])
    dx, dw, db = f.temporal_affine_backward(f.upstream(out), cache)
    return {"dx": dx, "dw": dw, "db": db}


def grad_temporal_affine(f, c):
    def fn(x, w, b):
        out, cache = f.temporal_affine_forward(x, w, b)
        return out, lambda dout: f.temporal_affine_backward(dout, cache)
    return fn, (c["x"], c["w"], c["b"]), ("x", "w", "b")


def run_temporal_softmax_loss(f, c):
    loss, dx = f.temporal_softmax_loss(c["x"], c["y"], c["mask"])
    return {"loss": loss, "dx": dx}


def grad_temporal_softmax_loss(f, c):
    def fn(x):
        loss, dx = f.temporal_softmax_loss(x, c["y"], c["mask"])
        return np.asarray(loss), lambda dloss: (dloss * dx,)
    return fn, (c["x"],), ("x",)


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def rnn_step_forward_no_tanh(x, prev_h, Wx, Wh, b):
    return x @ Wx + prev_h @ Wh + b, (x, prev_h, Wx, Wh, b)


def rnn_step_forward_no_bias(x, prev_h, Wx, Wh, b):
    return np.tanh(x @ Wx + prev_h @ Wh), (x, prev_h, Wx, Wh, b)


def _step_backward(dnext_h, cache, *, slope="tanh", wh="T", dW="xT_da", db_axis=0):
    x, prev_h, Wx, Wh, b = cache
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    if slope == "tanh":
        da = dnext_h * (1 - next_h ** 2)
    elif slope == "tanh_twice":
        da = dnext_h * (1 - np.tanh(next_h) ** 2)
    else:
        da = dnext_h
    dx = da @ Wx.T
    dprev_h = da @ (Wh.T if wh == "T" else Wh)
    dWx = x.T @ da
    dWh = prev_h.T @ da if dW == "xT_da" else (da.T @ prev_h)
    db = da.sum(axis=db_axis)
    return dx, dprev_h, dWx, dWh, db


def rnn_step_backward_tanh_twice(dnext_h, cache):
    return _step_backward(dnext_h, cache, slope="tanh_twice")


def rnn_step_backward_no_slope(dnext_h, cache):
    return _step_backward(dnext_h, cache, slope="none")


def rnn_step_backward_dprev_h_untransposed(dnext_h, cache):
    return _step_backward(dnext_h, cache, wh="plain")


def rnn_step_backward_dWh_transposed(dnext_h, cache):
    return _step_backward(dnext_h, cache, dW="daT_h")


def rnn_step_backward_db_over_hidden(dnext_h, cache):
    return _step_backward(dnext_h, cache, db_axis=1)


def _rnn_forward(x, h0, Wx, Wh, b, *, carry=True):
    N, T = x.shape[:2]
    h = np.zeros((N, T, Wh.shape[0]))
    prev_h = h0
    for t in range(T):
        next_h, _ = ref.rnn_step_forward(x[:, t, :], prev_h if carry else h0, Wx, Wh, b)
        h[:, t, :] = next_h
        prev_h = next_h
    return h, (x, h0, Wx, Wh, b)


def rnn_forward_h0_every_step(x, h0, Wx, Wh, b):
    return _rnn_forward(x, h0, Wx, Wh, b, carry=False)


def rnn_forward_zero_start(x, h0, Wx, Wh, b):
    return _rnn_forward(x, np.zeros_like(h0), Wx, Wh, b)


def _rnn_backward(dh, cache, *, carry=True, accumulate=True, dh0_sum=False):
    x, h0, Wx, Wh, b = cache
    T = x.shape[1]
    h, _ = ref.rnn_forward(x, h0, Wx, Wh, b)
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dprev_h = np.zeros_like(h0)
    dh0_total = np.zeros_like(h0)
    for t in reversed(range(T)):
        prev_h = h[:, t - 1, :] if t > 0 else h0
        _, cache_t = ref.rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        upstream = dh[:, t, :] + dprev_h if carry else dh[:, t, :]
        dx[:, t, :], dprev_h, dWx_t, dWh_t, db_t = ref.rnn_step_backward(upstream, cache_t)
        dh0_total = dh0_total + dprev_h
        if accumulate:
            dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
        else:
            dWx, dWh, db = dWx_t, dWh_t, db_t
    return dx, (dh0_total if dh0_sum else dprev_h), dWx, dWh, db


def rnn_backward_no_carry(dh, cache):
    return _rnn_backward(dh, cache, carry=False)


def rnn_backward_weights_overwritten(dh, cache):
    return _rnn_backward(dh, cache, accumulate=False)


def rnn_backward_dh0_summed(dh, cache):
    return _rnn_backward(dh, cache, dh0_sum=True)


def word_embedding_forward_flat(x, W):
    return W[x.reshape(-1)], (x, W)


def word_embedding_backward_buffered(dout, cache):
    x, W = cache
    dW = np.zeros_like(W)
    dW[x] += dout
    return dW


def word_embedding_backward_mean(dout, cache):
    x, W = cache
    dW = np.zeros_like(W)
    np.add.at(dW, x, dout)
    return dW / x.shape[0]


def temporal_affine_backward_dw_transposed(dout, cache):
    x, w, b, _ = cache
    N, T, D = x.shape
    M = b.shape[0]
    dx = (dout.reshape(N * T, M) @ w.T).reshape(N, T, D)
    dw = dout.reshape(N * T, M).T @ x.reshape(N * T, D)
    return dx, dw, dout.sum(axis=(0, 1))


def temporal_affine_backward_db_over_batch_only(dout, cache):
    x, w, b, _ = cache
    N, T, D = x.shape
    M = b.shape[0]
    dx = (dout.reshape(N * T, M) @ w.T).reshape(N, T, D)
    dw = x.reshape(N * T, D).T @ dout.reshape(N * T, M)
    return dx, dw, dout.sum(axis=0)


def _loss(x, y, mask, *, divide="N", mask_loss=True, mask_dx=True):
    N, T, V = x.shape
    xf, yf, mf = x.reshape(N * T, V), y.reshape(N * T), mask.reshape(N * T)
    p = np.exp(xf - xf.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    n = {"N": N, "NT": N * T, "kept": max(int(mf.sum()), 1)}[divide]
    logp = np.log(p[np.arange(N * T), yf])
    loss = -np.sum((mf if mask_loss else 1) * logp) / n
    dx = p.copy()
    dx[np.arange(N * T), yf] -= 1
    dx /= n
    if mask_dx:
        dx *= mf[:, None]
    return loss, dx.reshape(N, T, V)


def temporal_softmax_loss_mean_over_steps(x, y, mask, verbose=False):
    return _loss(x, y, mask, divide="NT")


def temporal_softmax_loss_mean_over_kept(x, y, mask, verbose=False):
    return _loss(x, y, mask, divide="kept")


def temporal_softmax_loss_mask_ignored(x, y, mask, verbose=False):
    return _loss(x, y, mask, mask_loss=False, mask_dx=False)


def temporal_softmax_loss_dx_unmasked(x, y, mask, verbose=False):
    return _loss(x, y, mask, mask_dx=False)


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("rnn_step_forward", step_case(), run_rnn_step_forward, mistakes=[
        Mistake("next_h misses the tanh: next_h = np.tanh(x @ Wx + prev_h @ Wh + b)", rnn_step_forward_no_tanh),
        Mistake("the bias b is never added inside the tanh", rnn_step_forward_no_bias),
    ]),
    Task("rnn_step_backward", step_case(), run_rnn_step_backward, grad=grad_rnn_step, mistakes=[
        Mistake("tanh is applied twice in the slope: next_h already is tanh(a), so tanh'(a) = 1 - next_h**2",
                rnn_step_backward_tanh_twice),
        Mistake("the tanh's slope is missing: multiply dnext_h by (1 - next_h**2) before the matrix products",
                rnn_step_backward_no_slope),
        Mistake("dprev_h uses Wh where it needs Wh.T: dprev_h = da @ Wh.T (Wh is square, so the shapes hide it)",
                rnn_step_backward_dprev_h_untransposed),
        Mistake("dWh is transposed: da.T @ prev_h is (H, H) with the wrong orientation; dWh = prev_h.T @ da",
                rnn_step_backward_dWh_transposed),
        Mistake("db sums over the hidden units (axis=1); b is added to every example, so sum over axis=0",
                rnn_step_backward_db_over_hidden),
    ]),
    Task("rnn_forward", sequence_case(), run_rnn_forward, mistakes=[
        Mistake("every step starts from h0: carry the hidden state each step returns into the next step",
                rnn_forward_h0_every_step),
        Mistake("the first step starts from zeros; it starts from h0", rnn_forward_zero_start),
    ]),
    Task("rnn_backward", sequence_case(), run_rnn_backward, grad=grad_rnn, mistakes=[
        Mistake("each step gets only dh[:, t]; give it dh[:, t] + the dprev_h the later step returned",
                rnn_backward_no_carry),
        Mistake("dWx, dWh and db keep only one step's gradient: the weights are shared, so add every step's",
                rnn_backward_weights_overwritten),
        Mistake("dh0 adds up the dprev_h of every step; it is only the first step's dprev_h, after the loop",
                rnn_backward_dh0_summed),
    ]),
    Task("word_embedding_forward", embedding_case(), run_word_embedding_forward, mistakes=[
        Mistake("out is flattened to (N*T, D): index W with x itself, W[x] is already (N, T, D)",
                word_embedding_forward_flat),
    ]),
    Task("word_embedding_backward", embedding_case(), run_word_embedding_backward, grad=grad_word_embedding,
         mistakes=[
             Mistake("dW[x] += dout counts a repeated word once (buffered fancy indexing); np.add.at(dW, x, dout) "
                     "adds every occurrence", word_embedding_backward_buffered),
             Mistake("dW is divided by N: the embedding's gradient is a plain sum, the loss already averaged",
                     word_embedding_backward_mean),
         ]),
    Task("temporal_affine_forward", temporal_affine_case(), run_temporal_affine_forward),
    Task("temporal_affine_backward", temporal_affine_case(), run_temporal_affine_backward, grad=grad_temporal_affine,
         mistakes=[
             Mistake("dw is dout^T x, (M, D): transpose it, dw = x^T dout with both reshaped to N*T rows",
                     temporal_affine_backward_dw_transposed),
             Mistake("db sums dout over the batch only; b is added at every step too: sum over axes (0, 1)",
                     temporal_affine_backward_db_over_batch_only),
         ]),
    Task("temporal_softmax_loss", loss_case(), run_temporal_softmax_loss, grad=grad_temporal_softmax_loss,
         mistakes=[
             Mistake("the loss and dx are divided by N * T; the course sums over time and divides by N only",
                     temporal_softmax_loss_mean_over_steps),
             Mistake("the loss and dx are divided by the number of kept steps; divide by N, the minibatch size",
                     temporal_softmax_loss_mean_over_kept),
             Mistake("the mask is ignored: multiply each step's loss and its row of dx by mask[n, t]",
                     temporal_softmax_loss_mask_ignored),
             Mistake("the loss is masked but dx is not: a masked step contributes nothing, so its dx rows are 0",
                     temporal_softmax_loss_dx_unmasked),
         ]),
]

LESSON = Lesson(
    name="cs231n/a3-rnn",
    title="A vanilla RNN for captioning, step by step",
    course="CS231n, assignment 3 (rnn_layers.py, RNN_Captioning.ipynb)",
    covers="rnn_step, rnn (BPTT), word_embedding, temporal_affine, temporal_softmax_loss",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
