"""Deep Learning Specialization, course 5 (Sequence Models): the RNN and LSTM step by step, Dinosaurus Island's
``clip`` and ``sample``, and the Transformer's positional encoding, masks and attention.

Course versions followed (the current releases, checked against public copies of the notebooks and their
``public_tests.py``):

- week 1, "Building your Recurrent Neural Network - Step by Step" (schema DLSC5W1-A1): columns are examples and time
  is the last axis, ``x (n_x, m, T_x)``; the LSTM's gate weights act on ``concat = [a_prev; xt]`` (hidden state
  first); the caches are the notebook's tuples, ``(a_next, a_prev, xt, parameters)`` for the RNN cell and
  ``(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)`` for the LSTM cell, and a sequence's cache
  is ``(list of cell caches, x)``. The backward functions take the gradient of the hidden states only (the output
  layer's backward is "calculated elsewhere") and read ``T_x`` from ``da``, so they run over the first
  ``da.shape[2]`` steps of the cached sequence, as the notebook's loops do.
- week 1, "Dinosaurus Island": ``clip`` deep-copies the gradients before clipping (the current release; an older
  one clipped the caller's arrays in place) and returns a new dict of the five keys ``dWaa, dWax, dWya, db, dby``;
  ``sample`` reseeds NumPy's global generator with ``seed + counter`` before every draw and then adds 1 to both
  (so successive draws use seeds ``seed, seed + 2, seed + 4, ...``), draws with
  ``np.random.choice(range(vocab_size), p=y.ravel())``, and stops at the newline or after 50 characters, appending
  a newline then.
- week 4, "Transformer Network" (C5_W4_A1_Transformer_Subclass_v1): TensorFlow in the course, NumPy here with the
  same names, shapes and conventions. ``get_angles(pos, k, d)`` uses ``i = k // 2``; ``positional_encoding`` returns
  ``(1, positions, d)`` in float32; a mask holds 1 where a position may be attended to and 0 where not (the current
  release; an older one used the opposite and added ``mask * -1e9``): ``create_padding_mask`` is
  ``(batch, 1, seq_len)``, ``create_look_ahead_mask`` is ``(1, L, L)`` lower triangular, both float32, and
  attention adds ``(1 - mask) * -1e9`` to the scaled scores. The course leaves the backward to TensorFlow;
  ``scaled_dot_product_attention_backward`` is ours.

Each function converts the course's layout to torch's around a ``scratch`` layer (``lessons.dls_layout`` holds the
recurrent conversions) and back; a backward rebuilds the layer's closure from the course's cache and calls it.
"""
from __future__ import annotations

import math

import numpy as np

import scratch.functional as F
from lessons import dls_layout
from scratch.functional.attention import attention as _attention

__all__ = ["rnn_cell_forward", "rnn_forward", "rnn_cell_backward", "rnn_backward",
           "lstm_cell_forward", "lstm_forward", "lstm_cell_backward", "lstm_backward",
           "clip", "sample",
           "get_angles", "positional_encoding", "create_padding_mask", "create_look_ahead_mask",
           "scaled_dot_product_attention", "scaled_dot_product_attention_backward"]


def _softmax_columns(Wy, by, a):
    """``softmax(Wy a + by)`` over each column: the course's output layer, ``(n_y, m)``."""
    z, _ = F.linear(a.T, Wy, by[:, 0])  # (m, n_y)
    p, _ = F.softmax(z, 1)
    return p.T


# ---------------------------------------------------------------------------------------------------------------
# The basic RNN


def _rnn_cell(xt, a_prev, parameters):
    rnn, _ = dls_layout.rnn_to_torch(parameters)
    return F.rnn_tanh_cell(xt.T, a_prev.T, rnn["weight_ih_l0"], rnn["weight_hh_l0"], rnn["bias_ih_l0"], None)


def rnn_cell_forward(xt, a_prev, parameters):
    """One RNN step: ``a_next = tanh(Wax xt + Waa a_prev + ba)``, ``yt_pred = softmax(Wya a_next + by)``.

    xt ``(n_x, m)``, a_prev ``(n_a, m)``; returns ``(a_next (n_a, m), yt_pred (n_y, m), cache)`` with
    ``cache = (a_next, a_prev, xt, parameters)``.
    """
    h, _ = _rnn_cell(xt, a_prev, parameters)
    a_next = h.T
    yt_pred = _softmax_columns(parameters["Wya"], parameters["by"], a_next)
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def rnn_forward(x, a0, parameters):
    """The RNN over ``x (n_x, m, T_x)`` from ``a0 (n_a, m)``: ``(a (n_a, m, T_x), y_pred (n_y, m, T_x), caches)``
    with ``caches = ([cache of each step], x)``."""
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape
    a = np.zeros((n_a, m, T_x))
    y_pred = np.zeros((n_y, m, T_x))
    caches = []
    a_next = a0
    for t in range(T_x):
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        y_pred[:, :, t] = yt_pred
        caches.append(cache)
    return a, y_pred, (caches, x)


def rnn_cell_backward(da_next, cache):
    """The gradients of one RNN step from ``da_next (n_a, m)``, the gradient of its hidden state.

    Returns ``{"dxt" (n_x, m), "da_prev" (n_a, m), "dWax" (n_a, n_x), "dWaa" (n_a, n_a), "dba" (n_a, 1)}``::

        dz = da_next * (1 - a_next^2)      dxt = Wax^T dz     da_prev = Waa^T dz
        dWax = dz xt^T     dWaa = dz a_prev^T     dba = sum over the examples of dz, kept as a column
    """
    a_next, a_prev, xt, parameters = cache
    _, backward = _rnn_cell(xt, a_prev, parameters)
    dx, dh, dw_ih, dw_hh, db_ih, _ = backward(da_next.T)
    return {"dxt": dx.T, "da_prev": dh.T, "dWax": dw_ih, "dWaa": dw_hh, "dba": db_ih[:, None]}


def rnn_backward(da, caches):
    """Backpropagation through time from ``da (n_a, m, T_x)``, the gradient reaching each hidden state from
    outside the recurrence (the output layers). Returns ``{"dx", "da0", "dWax", "dWaa", "dba"}``.

    At each step the cell's ``da_next`` is ``da[:, :, t]`` plus the ``da_prev`` the step after it sent back;
    ``scratch``'s ``rnn_tanh`` runs the same recursion over the whole sequence.
    """
    cell_caches, x = caches
    _, a0, _, parameters = cell_caches[0]
    T_x = da.shape[2]
    rnn, _ = dls_layout.rnn_to_torch(parameters)
    params = [rnn["weight_ih_l0"], rnn["weight_hh_l0"], rnn["bias_ih_l0"], rnn["bias_hh_l0"]]
    (_, h_n), backward = F.rnn_tanh(dls_layout.sequence_to_torch(x[:, :, :T_x]), a0.T[None], params)
    dinput, dh0, (dw_ih, dw_hh, db_ih, _) = backward((dls_layout.sequence_to_torch(da), np.zeros_like(h_n)))
    return {"dx": dls_layout.sequence_from_torch(dinput), "da0": dh0[0].T, "dWax": dw_ih, "dWaa": dw_hh,
            "dba": db_ih[:, None]}


# ---------------------------------------------------------------------------------------------------------------
# The LSTM

_GATES = ("f", "i", "c", "o")  # the course's letters: forget, update (input), candidate, output


def _lstm_params(parameters):
    lstm, _ = dls_layout.lstm_to_torch(parameters)
    return lstm["weight_ih_l0"], lstm["weight_hh_l0"], lstm["bias_ih_l0"]


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    """One LSTM step over ``concat = [a_prev; xt]``::

        ft = sigmoid(Wf concat + bf)    it = sigmoid(Wi concat + bi)    cct = tanh(Wc concat + bc)
        ot = sigmoid(Wo concat + bo)    c_next = ft * c_prev + it * cct    a_next = ot * tanh(c_next)
        yt_pred = softmax(Wy a_next + by)

    Returns ``(a_next, c_next, yt_pred, cache)``, ``cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt,
    parameters)``.
    """
    w_ih, w_hh, b = _lstm_params(parameters)
    (h, c), _ = F.lstm_cell(xt.T, a_prev.T, c_prev.T, w_ih, w_hh, b, None)
    a_next, c_next = h.T, c.T
    yt_pred = _softmax_columns(parameters["Wy"], parameters["by"], a_next)
    # The course's cache exposes the four gates; scratch's lstm_cell keeps them inside its closure, so they are
    # recomputed here from the same pre-activations (one linear layer over concat per gate, then its activation).
    concat = np.concatenate([a_prev, xt], axis=0)  # (n_a + n_x, m)
    gates = {}
    for g in _GATES:
        z, _ = F.linear(concat.T, parameters[f"W{g}"], parameters[f"b{g}"][:, 0])  # (m, n_a)
        gates[g], _ = (F.tanh(z) if g == "c" else F.sigmoid(z))
    ft, it, cct, ot = (gates[g].T for g in _GATES)
    return a_next, c_next, yt_pred, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)


def lstm_forward(x, a0, parameters):
    """The LSTM over ``x (n_x, m, T_x)`` from ``a0`` and a zero cell state: ``(a, y, c, caches)``, with
    ``a, c (n_a, m, T_x)``, ``y (n_y, m, T_x)`` and ``caches = ([cache of each step], x)``."""
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wy"].shape
    a = np.zeros((n_a, m, T_x))
    c = np.zeros((n_a, m, T_x))
    y = np.zeros((n_y, m, T_x))
    caches = []
    a_next, c_next = a0, np.zeros((n_a, m))
    for t in range(T_x):
        a_next, c_next, yt, cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        a[:, :, t] = a_next
        c[:, :, t] = c_next
        y[:, :, t] = yt
        caches.append(cache)
    return a, y, c, (caches, x)


def _lstm_gradients(n_a, dw_ih, dw_hh, db):
    """torch-layout weight gradients -> the course's ``dWf, dbf, dWi, ...`` (``dls_layout.lstm_from_torch``)."""
    course = dls_layout.lstm_from_torch(
        {"weight_ih_l0": dw_ih, "weight_hh_l0": dw_hh, "bias_ih_l0": db, "bias_hh_l0": np.zeros_like(db)},
        {"weight": np.zeros((0, n_a)), "bias": np.zeros(0)})
    out = {}
    for g in _GATES:
        out[f"dW{g}"] = course[f"W{g}"]
        out[f"db{g}"] = course[f"b{g}"]
    return out


def lstm_cell_backward(da_next, dc_next, cache):
    """The gradients of one LSTM step from ``da_next`` and ``dc_next`` (both ``(n_a, m)``).

    Returns ``{"dxt", "da_prev", "dc_prev", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"}``; the weight
    gradients are ``(n_a, n_a + n_x)``, split back into ``da_prev`` (first ``n_a`` columns) and ``dxt`` (the rest).
    """
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_prev.shape[0]
    w_ih, w_hh, b = _lstm_params(parameters)
    _, backward = F.lstm_cell(xt.T, a_prev.T, c_prev.T, w_ih, w_hh, b, None)
    dx, dh, dc, dw_ih, dw_hh, db, _ = backward((da_next.T, dc_next.T))
    return {"dxt": dx.T, "da_prev": dh.T, "dc_prev": dc.T, **_lstm_gradients(n_a, dw_ih, dw_hh, db)}


def lstm_backward(da, caches):
    """Backpropagation through time for the LSTM from ``da (n_a, m, T_x)``.

    Returns ``{"dx", "da0", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"}``. The cell state carries its
    own gradient back (``dc_prev``), starting from zero after the last step.
    """
    cell_caches, x = caches
    _, _, a0, c0, _, _, _, _, _, parameters = cell_caches[0]
    n_a, m, T_x = da.shape
    w_ih, w_hh, b = _lstm_params(parameters)
    params = [w_ih, w_hh, b, np.zeros_like(b)]
    (_, (h_n, c_n)), backward = F.lstm(dls_layout.sequence_to_torch(x[:, :, :T_x]), a0.T[None], c0.T[None],
                                       params)
    dinput, dh0, _, (dw_ih, dw_hh, db, _) = backward((dls_layout.sequence_to_torch(da),
                                                      (np.zeros_like(h_n), np.zeros_like(c_n))))
    return {"dx": dls_layout.sequence_from_torch(dinput), "da0": dh0[0].T, **_lstm_gradients(n_a, dw_ih, dw_hh, db)}


# ---------------------------------------------------------------------------------------------------------------
# Dinosaurus Island: clipping and sampling


def clip(gradients, maxValue):
    """Clip each of ``dWaa, dWax, dWya, db, dby`` elementwise to ``[-maxValue, maxValue]``; returns a new dict.

    The caller's arrays are left as they were (the course deep-copies them and clips the copies; ``np.clip`` without
    ``out=`` returns new arrays, to the same effect). scratch has no elementwise clipping utility (only
    ``clip_grad_norm_``, which rescales all gradients together), so this is ``np.clip`` itself.
    """
    return {key: np.clip(gradients[key], -maxValue, maxValue) for key in ("dWaa", "dWax", "dWya", "db", "dby")}


def sample(parameters, char_to_ix, seed):
    """Sample character indices from the character-level RNN, starting from a zero input and a zero state.

    Each step runs one RNN cell (``a = tanh(Wax x + Waa a_prev + b)``, ``y = softmax(Wya a + by)``), reseeds NumPy's
    global generator with ``seed + counter`` and draws the next index from ``y``; the drawn character becomes the
    next one-hot input. Stops after the newline or after 50 characters (then appends the newline's index).
    """
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
    x = np.zeros((vocab_size, 1))
    a_prev = np.zeros((n_a, 1))
    indices = []
    idx = -1
    counter = 0
    newline_character = char_to_ix["\n"]
    while idx != newline_character and counter != 50:
        h, _ = F.rnn_tanh_cell(x.T, a_prev.T, Wax, Waa, b[:, 0], None)
        a = h.T  # (n_a, 1)
        y = _softmax_columns(Wya, by, a)  # (vocab_size, 1)
        np.random.seed(counter + seed)
        idx = np.random.choice(range(vocab_size), p=y.ravel())
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1
        a_prev = a
        seed += 1  # as the course does: with counter also growing, the seeds go seed, seed + 2, seed + 4, ...
        counter += 1
    if counter == 50:
        indices.append(char_to_ix["\n"])
    return indices


# ---------------------------------------------------------------------------------------------------------------
# The Transformer's pieces


def get_angles(pos, k, d):
    """The angle of position ``pos`` in dimension ``k`` of a ``d``-wide encoding: ``pos / 10000^(2 (k // 2) / d)``.

    pos ``(P, 1)``, k ``(1, d)`` broadcast to ``(P, d)``. scratch computes these angles inside
    ``sinusoidal_positional_encoding`` without returning them, so the course's formula is written here.
    """
    i = k // 2
    return pos / np.power(10000, 2 * i / d)


def positional_encoding(positions, d):
    """``(1, positions, d)`` float32: ``sin`` of the angles in the even columns, ``cos`` in the odd ones."""
    return F.sinusoidal_positional_encoding(positions, d, dtype=np.float32)[np.newaxis]


def create_padding_mask(decoder_token_ids):
    """``(n, 1, m)`` float32 from token ids ``(n, m)``: 1 for a real token (may be attended to), 0 for padding (id 0).

    A one-line comparison: scratch's attention takes boolean or additive masks, not token ids.
    """
    seq = 1 - np.equal(decoder_token_ids, 0).astype(np.float32)
    return seq[:, np.newaxis, :]


def create_look_ahead_mask(sequence_length):
    """``(1, L, L)`` float32, lower triangular ones: query ``i`` may look at keys ``0 .. i`` only."""
    return np.tril(np.ones((1, sequence_length, sequence_length), dtype=np.float32))


def _attention_inputs(q, k, v, mask):
    """q, k, v broadcast to one batch shape (with the mask's), and the additive mask ``(1 - mask) * -1e9``."""
    additive = None
    batch = [q.shape[:-2], k.shape[:-2], v.shape[:-2]]
    if mask is not None:
        additive = ((1.0 - np.asarray(mask)) * -1e9).astype(q.dtype)
        batch.append(additive.shape[:-2])
    shape = np.broadcast_shapes(*batch)
    qb, kb, vb = (np.broadcast_to(a, shape + a.shape[-2:]) for a in (q, k, v))
    return qb, kb, vb, additive


def _unbroadcast(grad, shape):
    """Sum ``grad`` over the leading dims that broadcasting added or stretched, back to ``shape``."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def scaled_dot_product_attention(q, k, v, mask):
    """``softmax(q k^T / sqrt(d_k) + (1 - mask) * -1e9) v`` over the last axis: ``(output, attention_weights)``.

    q ``(..., seq_len_q, d_k)``, k ``(..., seq_len_k, d_k)``, v ``(..., seq_len_k, d_v)``; mask None or broadcastable
    to ``(..., seq_len_q, seq_len_k)``, 1 where attending is allowed. output ``(..., seq_len_q, d_v)``,
    attention_weights ``(..., seq_len_q, seq_len_k)``. Over scratch's attention core, which also returns the weights
    (the public ``scaled_dot_product_attention`` returns the output only).
    """
    qb, kb, vb, additive = _attention_inputs(q, k, v, mask)
    output, weights, _ = _attention(qb, kb, vb, additive, 1.0 / math.sqrt(k.shape[-1]))
    return output, weights


def scaled_dot_product_attention_backward(doutput, q, k, v, mask):
    """The gradients ``(dq, dk, dv)`` of ``scaled_dot_product_attention``'s output, given ``doutput``.

    Not in the course (TensorFlow differentiates it there); with ``P`` the attention weights and ``S`` the masked,
    scaled scores::

        dv = P^T doutput      dP = doutput v^T      dS = P * (dP - sum_j dP_j P_j)  (row by row)
        dq = dS k / sqrt(d_k)      dk = dS^T q / sqrt(d_k)

    The mask is a constant: no gradient. Each gradient has its input's shape.
    """
    qb, kb, vb, additive = _attention_inputs(q, k, v, mask)
    _, _, backward = _attention(qb, kb, vb, additive, 1.0 / math.sqrt(k.shape[-1]))
    dq, dk, dv = backward(np.broadcast_to(doutput, qb.shape[:-1] + vb.shape[-1:]))
    return _unbroadcast(dq, q.shape), _unbroadcast(dk, k.shape), _unbroadcast(dv, v.shape)
