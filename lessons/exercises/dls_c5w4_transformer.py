"""Deep Learning Specialization, course 5 week 4: the Transformer's positional encoding, its two masks, and scaled
dot-product attention, forward and (beyond the course) backward. NumPy versions of the course's TensorFlow
functions, with the same names, shapes and mask convention."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, labels, seeds, values
from lessons.reference.dls import c5 as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## NumPy for TensorFlow

The course writes these functions with TensorFlow; here they are NumPy, with the same names, arguments and
shapes. `tf.matmul(q, k, transpose_b=True)` is `q @ np.swapaxes(k, -1, -2)`; `tf.cast(x, tf.float32)` is
`x.astype(np.float32)`; `tf.linalg.band_part(ones, -1, 0)` keeps the lower triangle, as `np.tril` does. The cell
below gives you a softmax along any axis (the course uses `tf.keras.activations.softmax`).
"""),
    Code('''
def softmax(x, axis=-1):
    """Softmax along one axis (the last by default)."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))  # the shift cancels in the ratio and keeps exp from overflowing
    return e / np.sum(e, axis=axis, keepdims=True)
'''),
    Markdown("""
## 1. The angles of the positional encoding

Attention by itself does not know the order of the words. The Transformer adds to each embedding a vector that
depends only on its position. Dimension `k` of that vector turns at its own frequency: columns `2i` and `2i + 1`
share the angle

    angle(pos, k) = pos / 10000^(2 i / d)        with i = k // 2

`pos` is a column of positions `(P, 1)` and `k` a row of dimension indices `(1, d)`; broadcasting gives the
`(P, d)` table of angles. Which columns get the same angle? Check with `k = [0, 1, 2, 3]`: `i = [0, 0, 1, 1]`.
"""),
    Code('''
def get_angles(pos, k, d):
    """The angles of the positional encoding.

    Inputs:
    - pos: (P, 1) column of positions, e.g. np.arange(P)[:, np.newaxis]
    - k: (1, d) row of dimension indices, np.arange(d)[np.newaxis, :]
    - d: int, the encoding's size

    Returns angles (P, d): pos / 10000^(2 (k // 2) / d)
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. The positional encoding

Take the sine of the angles in the **even** columns (0, 2, 4, ...) and the cosine in the **odd** ones (1, 3, ...),
keeping the columns interleaved: `angles[:, 0::2]` selects the even columns, `angles[:, 1::2]` the odd ones.
Return the table with a leading batch axis, `(1, positions, d)`, in float32 (the course casts to `tf.float32`).
"""),
    Code('''
def positional_encoding(positions, d):
    """The sinusoidal positional encoding.

    Inputs:
    - positions: int, how many positions; d: int, the encoding's size

    Returns pos_encoding (1, positions, d), float32: sin of the angles in even columns, cos in odd ones
    """
    raise NotImplementedError
'''),
    Markdown("""
## 3. Two masks

A mask says, for each query and key, whether the query may attend to that key: **1 means attend, 0 means
ignore**. Attention turns it into something to add to the scores, `(1 - mask) * -1e9`: 0 where the mask is 1,
and minus a billion where it is 0, so that the softmax gives those keys a weight of (numerically) zero.

- **Padding mask.** Sentences of different lengths are padded with the token id 0. From the ids `(n, m)`, the mask
  is 1 at real tokens and 0 at padding, shaped `(n, 1, m)`: the middle axis of size 1 broadcasts over the
  queries, since no query should look at padding.
- **Look-ahead mask.** While decoding, position `i` may only look at positions `0 .. i`. That is a lower
  triangular matrix of ones, shaped `(1, L, L)`: row = query, column = key.

Both in float32.
"""),
    Code('''
def create_padding_mask(decoder_token_ids):
    """Inputs: decoder_token_ids (n, m), with 0 for padding.

    Returns mask (n, 1, m) float32: 1 at real tokens, 0 at padding
    """
    raise NotImplementedError


def create_look_ahead_mask(sequence_length):
    """Inputs: sequence_length, an int L.

    Returns mask (1, L, L) float32: ones on and below the diagonal, zeros above
    """
    raise NotImplementedError
'''),
    Markdown("""
## 4. Scaled dot-product attention

    scores  = q k^T / sqrt(d_k)                    (..., seq_len_q, seq_len_k)
    scores += (1 - mask) * -1e9                    only when a mask is given
    attention_weights = softmax(scores) over the keys (the last axis)
    output  = attention_weights v                  (..., seq_len_q, d_v)

`q (..., seq_len_q, d_k)`, `k (..., seq_len_k, d_k)`, `v (..., seq_len_k, d_v)`; the leading axes (batch,
heads) ride along, and the mask broadcasts against the scores. `d_k` is the size of the keys' **last** axis.
Why divide by `sqrt(d_k)`: a dot product of `d_k` terms of unit size grows like `sqrt(d_k)`, and large scores push
the softmax into saturation, where its gradients vanish.

Return `(output, attention_weights)`.
"""),
    Code('''
def scaled_dot_product_attention(q, k, v, mask):
    """Attention of each query over the keys.

    Inputs:
    - q: (..., seq_len_q, d_k); k: (..., seq_len_k, d_k); v: (..., seq_len_k, d_v)
    - mask: None, or broadcastable to (..., seq_len_q, seq_len_k), 1 where attending is allowed

    Returns (output, attention_weights): output (..., seq_len_q, d_v), attention_weights (..., seq_len_q, seq_len_k)
    """
    raise NotImplementedError
'''),
    Markdown("""
## 5. Its backward (beyond the course: TensorFlow differentiates it for you there)

Given `doutput`, the gradient of the loss with respect to `output`, find `dq`, `dk`, `dv`. Name the steps of the
forward `S` (masked, scaled scores), `P` (the weights), `O = P v`, and go back through them:

1. `O = P v` is a matrix product: which products of `doutput` with `P` and `v` give `dv` (shape of `v`) and `dP`
   (shape of `P`)? Remember to transpose only the last two axes (`np.swapaxes(a, -1, -2)`).
2. The softmax of one row, `p = softmax(s)`: its Jacobian is `diag(p) - p p^T`, not just `diag(p (1 - p))`. So
   `ds_j = p_j (dp_j - sum_l dp_l p_l)`. Write that for all rows at once (a sum over the last axis with
   `keepdims=True`).
3. The mask added a constant to `S`: what does it contribute to the gradient? And the positions it hid, whose
   weights are 0: what is their `dS`?
4. `S = q k^T / sqrt(d_k)`: `dq = ?` and `dk = ?` (mind the scale, and which one needs a transpose).

Return `(dq, dk, dv)`, each shaped like its input. You may call your forward to get the weights again.
"""),
    Code('''
def scaled_dot_product_attention_backward(doutput, q, k, v, mask):
    """The gradients of scaled_dot_product_attention's output with respect to q, k and v.

    Inputs:
    - doutput: (..., seq_len_q, d_v), gradient of the loss with respect to output
    - q, k, v, mask: as for scaled_dot_product_attention

    Returns (dq, dk, dv), shaped like q, k, v
    """
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases


@st.composite
def angles_case(draw):
    P, d, start = draw(st.integers(1, 6)), draw(st.integers(1, 8)), draw(st.integers(0, 3))
    return {"pos": np.arange(start, start + P)[:, np.newaxis], "k": np.arange(d)[np.newaxis, :], "d": d, "seed": 0}


@st.composite
def encoding_case(draw):
    return {"positions": draw(st.integers(1, 6)), "d": draw(st.integers(1, 8)), "seed": 0}


@st.composite
def token_case(draw):
    n, m = draw(st.integers(1, 3)), draw(st.integers(1, 5))
    seed = draw(seeds)
    return {"decoder_token_ids": labels(seed, n * m, 4).reshape(n, m), "seed": seed}


@st.composite
def length_case(draw):
    return {"sequence_length": draw(st.integers(1, 6)), "seed": 0}


@st.composite
def attention_case(draw):
    B, Lq, d_k, d_v = draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["none", "padding", "look-ahead"]))
    Lk = Lq if kind == "look-ahead" else draw(st.integers(1, 4))
    seed = draw(seeds)
    if kind == "padding":
        keep = labels(seed + 3, B * Lk, 2).reshape(B, 1, Lk)
        keep[:, :, 0] = 1  # at least one key left to attend to in every row
        mask = keep.astype(np.float32)
    else:
        mask = None if kind == "none" else np.tril(np.ones((1, Lq, Lq), dtype=np.float32))
    return {"q": values(seed, (B, Lq, d_k)), "k": values(seed + 1, (B, Lk, d_k)), "v": values(seed + 2, (B, Lk, d_v)),
            "mask": mask, "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences


def run_get_angles(f, c):
    return {"angles": f.get_angles(c["pos"], c["k"], c["d"])}


def run_positional_encoding(f, c):
    return {"pos_encoding": f.positional_encoding(c["positions"], c["d"])}


def run_padding_mask(f, c):
    return {"mask": f.create_padding_mask(c["decoder_token_ids"])}


def run_look_ahead_mask(f, c):
    return {"mask": f.create_look_ahead_mask(c["sequence_length"])}


def run_attention(f, c):
    output, attention_weights = f.scaled_dot_product_attention(c["q"], c["k"], c["v"], c["mask"])
    return {"output": output, "attention_weights": attention_weights}


def run_attention_backward(f, c):
    output, _ = f.scaled_dot_product_attention(c["q"], c["k"], c["v"], c["mask"])
    dq, dk, dv = f.scaled_dot_product_attention_backward(f.upstream(output, "doutput"), c["q"], c["k"], c["v"],
                                                         c["mask"])
    return {"dq": dq, "dk": dk, "dv": dv}


def grad_attention(f, c):
    def fn(q, k, v):
        output, _ = f.scaled_dot_product_attention(q, k, v, c["mask"])
        return output, lambda doutput: f.scaled_dot_product_attention_backward(doutput, q, k, v, c["mask"])
    return fn, (c["q"], c["k"], c["v"]), ("q", "k", "v")


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def get_angles_no_pairs(pos, k, d):
    return pos / np.power(10000, 2 * k / d)


def get_angles_no_two(pos, k, d):
    return pos / np.power(10000, (k // 2) / d)


def get_angles_multiplied(pos, k, d):
    return pos * np.power(10000, 2 * (k // 2) / d)


def _angles(positions, d):
    return ref.get_angles(np.arange(positions)[:, np.newaxis], np.arange(d)[np.newaxis, :], d)


def positional_encoding_swapped(positions, d):
    angle_rads = _angles(positions, d)
    angle_rads[:, 0::2], angle_rads[:, 1::2] = np.cos(angle_rads[:, 0::2]), np.sin(angle_rads[:, 1::2])
    return angle_rads[np.newaxis, ...].astype(np.float32)


def positional_encoding_halves(positions, d):
    angle_rads = _angles(positions, d)
    pos_encoding = np.concatenate([np.sin(angle_rads[:, 0::2]), np.cos(angle_rads[:, 1::2])], axis=-1)
    return pos_encoding[np.newaxis, ...].astype(np.float32)


def positional_encoding_no_batch_axis(positions, d):
    angle_rads = _angles(positions, d)
    angle_rads[:, 0::2], angle_rads[:, 1::2] = np.sin(angle_rads[:, 0::2]), np.cos(angle_rads[:, 1::2])
    return angle_rads.astype(np.float32)


def positional_encoding_float64(positions, d):
    angle_rads = _angles(positions, d)
    angle_rads[:, 0::2], angle_rads[:, 1::2] = np.sin(angle_rads[:, 0::2]), np.cos(angle_rads[:, 1::2])
    return angle_rads[np.newaxis, ...]


def padding_mask_marks_padding(decoder_token_ids):
    return np.equal(decoder_token_ids, 0).astype(np.float32)[:, np.newaxis, :]


def padding_mask_no_middle_axis(decoder_token_ids):
    return 1 - np.equal(decoder_token_ids, 0).astype(np.float32)


def padding_mask_four_axes(decoder_token_ids):
    return (1 - np.equal(decoder_token_ids, 0).astype(np.float32))[:, np.newaxis, np.newaxis, :]


def look_ahead_mask_upper(sequence_length):
    return np.triu(np.ones((1, sequence_length, sequence_length), dtype=np.float32))


def look_ahead_mask_marks_future(sequence_length):
    return 1 - np.tril(np.ones((1, sequence_length, sequence_length), dtype=np.float32))


def look_ahead_mask_without_self(sequence_length):
    return np.tril(np.ones((1, sequence_length, sequence_length), dtype=np.float32), -1)


def look_ahead_mask_two_axes(sequence_length):
    return np.tril(np.ones((sequence_length, sequence_length), dtype=np.float32))


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _attention(q, k, v, mask, *, scale="sqrt", mask_sign="keep", axis=-1, mask_after=False):
    d_k = {"sqrt": math.sqrt(k.shape[-1]), "d_k": k.shape[-1], "shape1": math.sqrt(k.shape[1])}[scale]
    scores = np.matmul(q, np.swapaxes(k, -1, -2)) / d_k
    if mask is not None and not mask_after:
        scores = scores + ((1.0 - mask) * -1e9 if mask_sign == "keep" else mask * -1e9)
    weights = _softmax(scores, axis=axis)
    if mask is not None and mask_after:
        weights = weights * mask
    return np.matmul(weights, v), weights


def attention_scaled_by_d_k(q, k, v, mask):
    return _attention(q, k, v, mask, scale="d_k")


def attention_d_k_from_axis_1(q, k, v, mask):
    return _attention(q, k, v, mask, scale="shape1")


def attention_mask_inverted(q, k, v, mask):
    return _attention(q, k, v, mask, mask_sign="inverted")


def attention_softmax_over_queries(q, k, v, mask):
    return _attention(q, k, v, mask, axis=-2)


def attention_mask_after_softmax(q, k, v, mask):
    return _attention(q, k, v, mask, mask_after=True)


def _attention_backward(doutput, q, k, v, mask, *, softmax="full", scaled=True, dk_layout="right", use_mask=True):
    d_k = k.shape[-1]
    _, P = ref.scaled_dot_product_attention(q, k, v, mask if use_mask else None)
    dv = np.matmul(np.swapaxes(P, -1, -2), doutput)
    dP = np.matmul(doutput, np.swapaxes(v, -1, -2))
    if softmax == "full":
        dS = P * (dP - np.sum(dP * P, axis=-1, keepdims=True))
    else:
        dS = P * (1 - P) * dP
    scale = 1 / math.sqrt(d_k) if scaled else 1.0
    dq = np.matmul(dS, k) * scale
    if dk_layout == "right":
        dk = np.matmul(np.swapaxes(dS, -1, -2), q) * scale
    else:
        dk = np.matmul(np.swapaxes(q, -1, -2), dS) * scale
    return dq, dk, dv


def attention_backward_diagonal_softmax(doutput, q, k, v, mask):
    return _attention_backward(doutput, q, k, v, mask, softmax="diagonal")


def attention_backward_unscaled(doutput, q, k, v, mask):
    return _attention_backward(doutput, q, k, v, mask, scaled=False)


def attention_backward_dk_transposed(doutput, q, k, v, mask):
    return _attention_backward(doutput, q, k, v, mask, dk_layout="transposed")


def attention_backward_mask_forgotten(doutput, q, k, v, mask):
    return _attention_backward(doutput, q, k, v, mask, use_mask=False)


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("get_angles", angles_case(), run_get_angles, mistakes=[
        Mistake("every column gets its own frequency: columns 2i and 2i + 1 share one, so use i = k // 2 in the "
                "exponent", get_angles_no_pairs),
        Mistake("the exponent misses its factor 2: pos / 10000^(2 i / d) with i = k // 2", get_angles_no_two),
        Mistake("the positions are multiplied by 10000^(2 i / d); divide them: pos / 10000^(2 i / d)",
                get_angles_multiplied),
    ]),
    Task("positional_encoding", encoding_case(), run_positional_encoding, rtol=1e-6, atol=1e-7, mistakes=[
        Mistake("sin and cos are swapped: the even columns (0::2) take the sine, the odd ones (1::2) the cosine",
                positional_encoding_swapped),
        Mistake("the sines fill the first half and the cosines the second; keep them interleaved: write sin into "
                "angles[:, 0::2] and cos into angles[:, 1::2]", positional_encoding_halves),
        Mistake("the batch axis is missing: return the table as (1, positions, d), e.g. angles[np.newaxis, ...]",
                positional_encoding_no_batch_axis),
        Mistake("the encoding is float64; the course casts it to float32: .astype(np.float32)",
                positional_encoding_float64),
    ]),
    Task("create_padding_mask", token_case(), run_padding_mask, exact=True, mistakes=[
        Mistake("the mask is 1 at the padding; in this convention 1 means attend: 1 at real tokens, 0 at padding "
                "(1 - (ids == 0))", padding_mask_marks_padding),
        Mistake("the middle axis is missing: the mask is (n, 1, m), so that it broadcasts over the queries: "
                "seq[:, np.newaxis, :]", padding_mask_no_middle_axis),
        Mistake("the mask is (n, 1, 1, m), the older release's shape; this one is (n, 1, m)",
                padding_mask_four_axes),
    ]),
    Task("create_look_ahead_mask", length_case(), run_look_ahead_mask, exact=True, mistakes=[
        Mistake("the ones are above the diagonal: query i (row) may see keys 0..i (columns), so ones on and below "
                "the diagonal (np.tril)", look_ahead_mask_upper),
        Mistake("the mask marks the future with 1; in this convention 1 means attend: ones on and below the "
                "diagonal, zeros above", look_ahead_mask_marks_future),
        Mistake("the diagonal is 0: each position may attend to itself, so keep the diagonal (np.tril with its "
                "default k=0)", look_ahead_mask_without_self),
        Mistake("the leading axis is missing: the mask is (1, L, L)", look_ahead_mask_two_axes),
    ]),
    Task("scaled_dot_product_attention", attention_case(), run_attention, mistakes=[
        Mistake("the scores are divided by d_k; divide by its square root, np.sqrt(d_k)", attention_scaled_by_d_k),
        Mistake("d_k is read from k.shape[1], which is the keys' sequence length once there is a batch axis; "
                "use the last axis, k.shape[-1]", attention_d_k_from_axis_1),
        Mistake("the mask is added as mask * -1e9, which hides the positions to keep; with 1 meaning attend, add "
                "(1 - mask) * -1e9", attention_mask_inverted),
        Mistake("the softmax runs over the queries (axis -2); each query's weights over the keys must sum to 1: "
                "softmax along the last axis", attention_softmax_over_queries),
        Mistake("the mask multiplies the weights after the softmax, so the rows no longer sum to 1; add "
                "(1 - mask) * -1e9 to the scores before the softmax", attention_mask_after_softmax),
    ]),
    Task("scaled_dot_product_attention_backward", attention_case(), run_attention_backward, grad=grad_attention,
         mistakes=[
             Mistake("the softmax's backward keeps only the diagonal, P * (1 - P) * dP; every weight of a row depends "
                     "on every score: dS = P * (dP - sum(dP * P, axis=-1, keepdims=True))",
                     attention_backward_diagonal_softmax),
             Mistake("dq and dk miss the 1 / sqrt(d_k) that scaled the scores", attention_backward_unscaled),
             Mistake("dk is transposed: it must be shaped like k (..., seq_len_k, d_k): dk = dS^T q / sqrt(d_k)",
                     attention_backward_dk_transposed),
             Mistake("the weights used in the backward ignore the mask; recompute them with the same mask as the "
                     "forward (masked weights are 0)", attention_backward_mask_forgotten),
         ]),
]

LESSON = Lesson(
    name="dls/c5w4-transformer",
    title="The Transformer's positional encoding, masks and attention",
    course="Deep Learning Specialization, course 5 week 4 (Transformer Network), in NumPy",
    covers="get_angles, positional_encoding, create_padding_mask, create_look_ahead_mask, "
           "scaled_dot_product_attention and its backward",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
