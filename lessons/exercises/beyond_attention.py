"""Beyond the courses: attention's backward pass, which both courses leave to autodiff. Scaled dot-product attention
first, then multi-head attention in the layout of ``torch.nn.MultiheadAttention(batch_first=True)``."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference import beyond as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## Why this lesson

Both courses build attention (DLS course 5 week 4 in TensorFlow, CS231n assignment 3 in PyTorch) and let the
framework differentiate it. Here you write the backward yourself, and check it against PyTorch's own
`torch.nn.MultiheadAttention`: same layout, same parameter names, same mask convention.

## 1. Scaled dot-product attention

Each query looks at every key, scores the match, and takes the average of the values weighted by the softmax of
the scores:

    S   = q @ k^T / sqrt(d)            q (..., L, d), k (..., S, d)      S (..., L, S)
    S[mask] = -inf                     mask (L, S) boolean: True where query l may NOT look at key s
    P   = softmax(S, over the keys)    each row of P sums to 1            P (..., L, S)
    out = P @ v                        v (..., S, d_v)                    out (..., L, d_v)

`...` is any number of leading axes (the batch; later the heads too): `np.swapaxes(k, -1, -2)` transposes the last
two, and `@` multiplies matrices over the leading axes. The mask's True means **blocked**, as in torch's
`nn.MultiheadAttention` (`torch.nn.functional.scaled_dot_product_attention` uses the opposite: read a library's
convention every time). Every row here keeps at least one key. Subtract each row's maximum before `exp`.

Return `(out, cache)`.

**Backward.** You get `dout (..., L, d_v)`. Go back through the three steps:

1. `out = P @ v`: this is a matrix product, so `dv` and `dP` follow as for an affine layer without bias. Which
   one needs `P` transposed, and which `v`?
2. `P = softmax(S)` row by row. For one row, `dS_j = sum_i dP_i dP_i/dS_j` with `dP_i/dS_j = P_i ([i == j] - P_j)`.
   Simplify that sum: you should get `P_j` times (`dP_j` minus one number per row). Which number? Write it for
   whole arrays with `keepdims=True`.
3. Blocked entries have `P = 0`: what gradient do they get, and do you need to mask anything again?
4. `S = q @ k^T / sqrt(d)`: `dq` and `dk`, and don't lose the `1 / sqrt(d)`.
"""),
    Code('''
def attention_forward(q, k, v, mask=None):
    """Scaled dot-product attention.

    Inputs: q (..., L, d), k (..., S, d), v (..., S, d_v); mask None or boolean (L, S), True = blocked
    Returns (out, cache): out (..., L, d_v)
    """
    raise NotImplementedError


def attention_backward(dout, cache):
    """Inputs: dout (..., L, d_v); cache from attention_forward. Returns (dq, dk, dv), shaped like q, k, v."""
    raise NotImplementedError
'''),
    Markdown("""
## 2. Multi-head attention

`torch.nn.MultiheadAttention(E, num_heads, batch_first=True)` in NumPy. The inputs are `query (N, L, E)`,
`key (N, S, E)`, `value (N, S, E)`; the parameters are torch's state dict, so
`params = {name: t.detach().numpy() for name, t in mha.state_dict().items()}` works:

    in_proj_weight (3E, E)     rows [W_q; W_k; W_v], each (E, E), torch's Linear layout (out, in)
    in_proj_bias   (3E,)       [b_q; b_k; b_v]
    out_proj.weight (E, E), out_proj.bias (E,)

With `h = num_heads` heads of `d = E / h` features each:

    q = query @ W_q^T + b_q     k = key @ W_k^T + b_k     v = value @ W_v^T + b_v          (N, T, E)
    split each into heads: (N, T, E) -> (N, T, h, d) -> (N, h, T, d)     head j owns features j*d .. (j+1)*d - 1
    heads = attention_forward(q_heads, k_heads, v_heads, mask)                               (N, h, L, d)
    merge: (N, h, L, d) -> (N, L, h, d) -> (N, L, E)
    out = merged @ W_out^T + b_out                                                           (N, L, E)

Note the scale: each head divides by `sqrt(d)`, the head's width, not `sqrt(E)`. Return `(out, cache)`.

**Backward.** Walk the same steps back: the output projection (a Linear: which gradient needs a transpose?), the
merge undone by a split (and the split undone by a merge), your `attention_backward`, then the three input
projections. `in_proj_weight`'s gradient is the three projections' gradients stacked in the same order; the biases
sum over every position of every example. Return a dict with the gradient of every input under its own name:
`"query", "key", "value", "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"` (what torch puts
in each tensor's `.grad`).
"""),
    Code('''
def multi_head_attention_forward(query, key, value, params, num_heads, mask=None):
    """Multi-head attention, torch's nn.MultiheadAttention with batch_first=True.

    Inputs: query (N, L, E), key (N, S, E), value (N, S, E); params: dict with in_proj_weight (3E, E),
    in_proj_bias (3E,), out_proj.weight (E, E), out_proj.bias (E,); num_heads divides E;
    mask None or boolean (L, S), True = blocked
    Returns (out, cache): out (N, L, E)
    """
    raise NotImplementedError


def multi_head_attention_backward(dout, cache):
    """Inputs: dout (N, L, E); cache from multi_head_attention_forward.

    Returns a dict: query, key, value, in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias, each the
    gradient of that input, in its shape
    """
    raise NotImplementedError
'''),
]

# --------------------------------------------------------------------------------------------------------------
# Cases


def _mask(seed, L, S):
    """None about one time in three; otherwise a random (L, S) mask blocking some keys, never a whole row."""
    rng = np.random.default_rng(seed)
    if rng.random() < 0.3:
        return None
    mask = rng.random((L, S)) < 0.4
    mask[np.arange(L), rng.integers(0, S, size=L)] = False  # every query keeps at least one key
    return mask


@st.composite
def attention_case(draw):
    N, L, S, d, dv = (draw(st.integers(1, 3)) for _ in range(5))
    seed = draw(seeds)
    return {"q": values(seed, (N, L, d)), "k": values(seed + 1, (N, S, d)), "v": values(seed + 2, (N, S, dv)),
            "mask": _mask(seed + 3, L, S), "seed": seed}


@st.composite
def mha_case(draw):
    N, L, S = (draw(st.integers(1, 3)) for _ in range(3))
    num_heads, d = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    E = num_heads * d
    seed = draw(seeds)
    params = {"in_proj_weight": values(seed + 4, (3 * E, E), -1, 1), "in_proj_bias": values(seed + 5, (3 * E,), -1, 1),
              "out_proj.weight": values(seed + 6, (E, E), -1, 1), "out_proj.bias": values(seed + 7, (E,), -1, 1)}
    return {"query": values(seed, (N, L, E)), "key": values(seed + 1, (N, S, E)), "value": values(seed + 2, (N, S, E)),
            "params": params, "num_heads": num_heads, "mask": _mask(seed + 3, L, S), "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences

_PARAMS = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")


def run_attention_forward(f, c):
    out, _ = f.attention_forward(c["q"], c["k"], c["v"], c["mask"])
    return {"out": out}


def run_attention_backward(f, c):
    out, cache = f.attention_forward(c["q"], c["k"], c["v"], c["mask"])
    dq, dk, dv = f.attention_backward(f.upstream(out), cache)
    return {"dq": dq, "dk": dk, "dv": dv}


def grad_attention(f, c):
    def fn(q, k, v):
        out, cache = f.attention_forward(q, k, v, c["mask"])
        return out, lambda dout: f.attention_backward(dout, cache)
    return fn, (c["q"], c["k"], c["v"]), ("q", "k", "v")


def run_mha_forward(f, c):
    out, _ = f.multi_head_attention_forward(c["query"], c["key"], c["value"], c["params"], c["num_heads"], c["mask"])
    return {"out": out}


def run_mha_backward(f, c):
    out, cache = f.multi_head_attention_forward(c["query"], c["key"], c["value"], c["params"], c["num_heads"],
                                                c["mask"])
    grads = f.multi_head_attention_backward(f.upstream(out), cache)
    names = ("query", "key", "value", *_PARAMS)
    return {"grads": {k: grads.get(k) for k in names} if isinstance(grads, dict) else grads}


def grad_mha(f, c):
    def fn(query, key, value, *weights):
        params = dict(zip(_PARAMS, weights))
        out, cache = f.multi_head_attention_forward(query, key, value, params, c["num_heads"], c["mask"])

        def backward(dout):
            g = f.multi_head_attention_backward(dout, cache)
            return tuple(g[k] for k in ("query", "key", "value", *_PARAMS))
        return out, backward
    inputs = (c["query"], c["key"], c["value"], *(c["params"][k] for k in _PARAMS))
    return fn, inputs, ("query", "key", "value", *_PARAMS)


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it: a plain NumPy attention with switches


def _softmax(S, axis=-1):
    e = np.exp(S - S.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _attend(q, k, v, mask, *, scale="sqrt", axis=-1, blocked=True):
    d = q.shape[-1]
    c = {"sqrt": 1 / np.sqrt(d), "d": 1 / d, "none": 1.0}[scale]
    S = q @ np.swapaxes(k, -1, -2) * c
    if mask is not None:
        S = np.where(mask if blocked else ~mask, -np.inf, S)
    P = _softmax(S, axis)
    return P @ v, P, c


def attention_forward_no_scale(q, k, v, mask=None):
    return _attend(q, k, v, mask, scale="none")[0], (q, k, v, mask)


def attention_forward_scale_by_d(q, k, v, mask=None):
    return _attend(q, k, v, mask, scale="d")[0], (q, k, v, mask)


def attention_forward_softmax_over_queries(q, k, v, mask=None):
    return _attend(q, k, v, mask, axis=-2)[0], (q, k, v, mask)


def attention_forward_mask_inverted(q, k, v, mask=None):
    """A mask read the other way round can block whole rows: written as a learner's code runs, NaN there."""
    with np.errstate(invalid="ignore"):
        return _attend(q, k, v, mask, blocked=False)[0], (q, k, v, mask)


def _attention_backward(dout, cache, *, softmax="full", scale="both"):
    q, k, v, mask = cache
    _, P, c = _attend(q, k, v, mask)
    dP = dout @ np.swapaxes(v, -1, -2)
    dv = np.swapaxes(P, -1, -2) @ dout
    if softmax == "full":
        dS = P * (dP - np.sum(dP * P, axis=-1, keepdims=True))
    else:  # the softmax treated as an elementwise function with slope P (1 - P)
        dS = dP * P * (1 - P)
    cq = c if scale in ("both", "dq_only") else 1.0
    ck = c if scale == "both" else 1.0
    return dS @ k * cq, np.swapaxes(dS, -1, -2) @ q * ck, dv


def attention_backward_softmax_diagonal_only(dout, cache):
    return _attention_backward(dout, cache, softmax="diagonal")


def attention_backward_no_scale(dout, cache):
    return _attention_backward(dout, cache, scale="none")


def attention_backward_dk_no_scale(dout, cache):
    return _attention_backward(dout, cache, scale="dq_only")


def _mha(query, key, value, params, num_heads, mask, *, split="heads_then_T", scale_by="head", w_layout="torch"):
    N, L, E = query.shape
    d = E // num_heads
    W, b = params["in_proj_weight"], params["in_proj_bias"]
    Wq, Wk, Wv = W[:E], W[E:2 * E], W[2 * E:]
    if w_layout == "torch":
        q, k, v = query @ Wq.T + b[:E], key @ Wk.T + b[E:2 * E], value @ Wv.T + b[2 * E:]
    else:
        q, k, v = query @ Wq + b[:E], key @ Wk + b[E:2 * E], value @ Wv + b[2 * E:]

    def split_(x):
        n, t, _ = x.shape
        if split == "heads_then_T":
            return x.reshape(n, t, num_heads, d).transpose(0, 2, 1, 3)
        return x.reshape(n, num_heads, t, d)  # the reshape alone: mixes positions and features

    qh, kh, vh = split_(q), split_(k), split_(v)
    if scale_by == "E":
        qh = qh * np.sqrt(d) / np.sqrt(E)  # a learner's 1/sqrt(E) where each head needs 1/sqrt(d)
    heads = _attend(qh, kh, vh, mask)[0]
    merged = heads.transpose(0, 2, 1, 3).reshape(N, L, E) if split == "heads_then_T" else heads.reshape(N, L, E)
    return merged @ params["out_proj.weight"].T + params["out_proj.bias"]


def mha_forward_reshape_only(query, key, value, params, num_heads, mask=None):
    return _mha(query, key, value, params, num_heads, mask, split="reshape"), (query, key, value, params, num_heads,
                                                                                mask)


def mha_forward_scale_by_E(query, key, value, params, num_heads, mask=None):
    return _mha(query, key, value, params, num_heads, mask, scale_by="E"), (query, key, value, params, num_heads,
                                                                             mask)


def mha_forward_weight_untransposed(query, key, value, params, num_heads, mask=None):
    return _mha(query, key, value, params, num_heads, mask, w_layout="course"), (query, key, value, params,
                                                                                  num_heads, mask)


def _mha_backward_variant(dout, cache, *, dW_out="torch", db_in="all"):
    """The reference's gradients with one of them computed the way a learner gets it wrong."""
    query, key, value, params, num_heads, mask = cache
    grads = dict(ref.multi_head_attention_backward(dout, cache))
    if dW_out != "torch":
        grads["out_proj.weight"] = grads["out_proj.weight"].T
    if db_in != "all":
        # Only the first example's positions summed: the bias is shared by every example and every position.
        one = ref.multi_head_attention_backward(dout[:1], (query[:1], key[:1], value[:1], params, num_heads, mask))
        grads["in_proj_bias"] = one["in_proj_bias"]
    return grads


def mha_backward_out_weight_transposed(dout, cache):
    return _mha_backward_variant(dout, cache, dW_out="transposed")


def mha_backward_bias_first_example(dout, cache):
    return _mha_backward_variant(dout, cache, db_in="first")


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("attention_forward", attention_case(), run_attention_forward, mistakes=[
        Mistake("the scores are not scaled: divide q @ k^T by sqrt(d), d = q.shape[-1]", attention_forward_no_scale),
        Mistake("the scores are divided by d; divide by sqrt(d)", attention_forward_scale_by_d),
        Mistake("the softmax runs over the queries (axis -2); each query's weights over the keys (axis -1) sum to 1",
                attention_forward_softmax_over_queries),
        Mistake("the mask is read the other way round: True means blocked here (torch's nn.MultiheadAttention), so "
                "set the scores to -inf where mask is True", attention_forward_mask_inverted),
    ]),
    Task("attention_backward", attention_case(), run_attention_backward, grad=grad_attention, mistakes=[
        Mistake("the softmax's backward keeps only the diagonal, dS = dP * P * (1 - P); each score moves every "
                "weight of its row: dS = P * (dP - sum(dP * P, axis=-1, keepdims=True))",
                attention_backward_softmax_diagonal_only),
        Mistake("dq and dk miss the 1/sqrt(d) of the scores", attention_backward_no_scale),
        Mistake("dk misses the 1/sqrt(d) of the scores (dq has it): dk = dS^T @ q / sqrt(d)",
                attention_backward_dk_no_scale),
    ]),
    Task("multi_head_attention_forward", mha_case(), run_mha_forward, mistakes=[
        Mistake("the heads are split with a reshape alone, (N, T, E) -> (N, h, T, d); reshape to (N, T, h, d) "
                "first, then transpose to (N, h, T, d), and undo both when merging", mha_forward_reshape_only),
        Mistake("each head's scores are divided by sqrt(E); divide by sqrt(d), the head's width E / num_heads",
                mha_forward_scale_by_E),
        Mistake("the projection weights are used as (in, out): torch's Linear layout is (out, in), so "
                "q = query @ W_q.T + b_q", mha_forward_weight_untransposed),
    ]),
    Task("multi_head_attention_backward", mha_case(), run_mha_backward, grad=grad_mha, mistakes=[
        Mistake("the gradient of out_proj.weight is transposed: for out = merged @ W^T + b, "
                "dW = dout^T @ merged, summed over every example and position", mha_backward_out_weight_transposed),
        Mistake("in_proj_bias's gradient sums the first example only; the bias is shared by every example and "
                "position: sum over both axes", mha_backward_bias_first_example),
    ]),
]

LESSON = Lesson(
    name="beyond/attention",
    title="Attention's backward pass, and multi-head attention as torch computes it",
    course="Beyond the courses (DLS course 5 week 4 and CS231n assignment 3 leave this backward to autodiff)",
    covers="scaled dot-product attention and nn.MultiheadAttention, forward and backward, with torch's mask",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
