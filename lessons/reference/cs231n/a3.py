"""CS231n assignment 3, ``rnn_layers.py``: the vanilla RNN, word embeddings, the temporal affine layer and the
temporal softmax loss (RNN_Captioning.ipynb), and the LSTM (LSTM_Captioning.ipynb).

The course's conventions (the current release, 2021 onwards, checked against public copies of ``rnn_layers.py``,
the notebooks and ``test_utils``-style checkers):

- examples in rows and time second: sequences ``x (N, T, D)``, hidden states ``h (N, T, H)`` (torch's
  ``batch_first=True``), one step ``x (N, D)``, ``prev_h (N, H)``;
- weights multiply on the right and are stored ``(in, out)``: ``Wx (D, H)``, ``Wh (H, H)``, ``b (H,)``; the LSTM's
  ``Wx (D, 4H)``, ``Wh (H, 4H)``, ``b (4H,)`` hold the gate blocks in the order **i, f, o, g** (torch: i, f, g, o);
- a forward returns ``(out, cache)``, a step backward returns the gradients in argument order, a sequence backward
  ``(dx, dh0, dWx, dWh, db)``; the LSTM's initial cell state is zero and is no argument;
- ``temporal_affine_forward``'s cache is ``(x, w, b, out)`` (the course gives it); ``temporal_softmax_loss`` sums the
  masked cross-entropy over time and divides by ``N`` only (not by ``N * T``, nor by the number of kept steps).

The learner chooses the other caches; these are ``(x, prev_h, Wx, Wh, b)`` and the like: the forward's inputs. Each
backward rebuilds the ``scratch`` closure from them (``lessons.cs231n_layout`` converts the weights to torch's
layout and gate order) and calls it.
"""
from __future__ import annotations

import numpy as np

import scratch.functional as F
from lessons import cs231n_layout

__all__ = ["rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
           "word_embedding_forward", "word_embedding_backward",
           "temporal_affine_forward", "temporal_affine_backward", "temporal_softmax_loss",
           "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward"]


# ---------------------------------------------------------------------------------------------------------------
# The vanilla RNN


def _rnn_params(Wx, Wh, b):
    p = cs231n_layout.rnn_to_torch(Wx, Wh, b)
    return p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"]


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One step, ``next_h = tanh(x Wx + prev_h Wh + b)``: ``(next_h (N, H), cache)``,
    ``cache = (x, prev_h, Wx, Wh, b)``."""
    w_ih, w_hh, b_ih = _rnn_params(Wx, Wh, b)
    next_h, _ = F.rnn_tanh_cell(x, prev_h, w_ih, w_hh, b_ih, None)
    return next_h, (x, prev_h, Wx, Wh, b)


def rnn_step_backward(dnext_h, cache):
    """``(dx, dprev_h, dWx, dWh, db)`` of one step; with ``da = dnext_h * (1 - next_h^2)``::

        dx = da Wx^T    dprev_h = da Wh^T    dWx = x^T da    dWh = prev_h^T da    db = sum over N of da
    """
    x, prev_h, Wx, Wh, b = cache
    w_ih, w_hh, b_ih = _rnn_params(Wx, Wh, b)
    _, backward = F.rnn_tanh_cell(x, prev_h, w_ih, w_hh, b_ih, None)
    dx, dprev_h, dw_ih, dw_hh, db, _ = backward(dnext_h)
    return dx, dprev_h, dw_ih.T, dw_hh.T, db  # torch's (H, D) gradients back to the course's (D, H)


def _rnn_sequence(x, h0, Wx, Wh, b):
    w_ih, w_hh, b_ih = _rnn_params(Wx, Wh, b)
    return F.rnn_tanh(x, h0[None], [w_ih, w_hh, b_ih, np.zeros_like(b_ih)], batch_first=True)


def rnn_forward(x, h0, Wx, Wh, b):
    """The RNN over ``x (N, T, D)`` from ``h0 (N, H)``: ``(h (N, T, H), cache)``, ``cache = (x, h0, Wx, Wh, b)``.

    ``scratch``'s ``rnn_tanh`` runs the same step at every time (one layer, ``batch_first``)."""
    (h, _), _ = _rnn_sequence(x, h0, Wx, Wh, b)
    return h, (x, h0, Wx, Wh, b)


def rnn_backward(dh, cache):
    """Backpropagation through time from ``dh (N, T, H)``, the gradient reaching every hidden state from above.

    Returns ``(dx (N, T, D), dh0 (N, H), dWx, dWh, db)``. At step t the gradient on ``h_t`` is ``dh[:, t]`` plus what
    step t + 1 sent back through ``Wh``; the weights are shared, so their gradients add up over the steps.
    """
    x, h0, Wx, Wh, b = cache
    (_, h_n), backward = _rnn_sequence(x, h0, Wx, Wh, b)
    dx, dh0, (dw_ih, dw_hh, db, _) = backward((dh, np.zeros_like(h_n)))
    return dx, dh0[0], dw_ih.T, dw_hh.T, db


# ---------------------------------------------------------------------------------------------------------------
# Word embeddings


def word_embedding_forward(x, W):
    """``out[n, t] = W[x[n, t]]``: x ``(N, T)`` integer word indices, W ``(V, D)``; ``(out (N, T, D), cache)``,
    ``cache = (x, W)``."""
    out, _ = F.embedding(np.asarray(x), W)
    return out, (x, W)


def word_embedding_backward(dout, cache):
    """``dW (V, D)``: row ``v`` sums ``dout[n, t]`` over every position where ``x[n, t] == v`` (repeats add up)."""
    x, W = cache
    _, backward = F.embedding(np.asarray(x), W)
    _, dW = backward(dout)
    return dW


# ---------------------------------------------------------------------------------------------------------------
# The temporal affine layer and the temporal softmax loss (given ready-made by the course)


def _temporal_affine(x, w, b):
    N, T, D = x.shape
    out, backward = F.linear(x.reshape(N * T, D), w.T, b)  # torch's layout: weight (M, D)
    return out.reshape(N, T, -1), backward


def temporal_affine_forward(x, w, b):
    """The affine map at every step: ``out[n, t] = x[n, t] w + b``, x ``(N, T, D)``, w ``(D, M)``, b ``(M,)``.

    Returns ``(out (N, T, M), cache)`` with the course's ``cache = (x, w, b, out)``."""
    out, _ = _temporal_affine(x, w, b)
    return out, (x, w, b, out)


def temporal_affine_backward(dout, cache):
    """``(dx (N, T, D), dw (D, M), db (M,))``: every step's contribution to ``dw`` and ``db`` summed."""
    x, w, b, _ = cache
    N, T, D = x.shape
    _, backward = _temporal_affine(x, w, b)
    dx, dweight, db = backward(dout.reshape(N * T, -1))
    return dx.reshape(N, T, D), dweight.T, db


def temporal_softmax_loss(x, y, mask, verbose=False):
    """Softmax cross-entropy at every kept step, summed over time and averaged over the minibatch only.

    ``loss = -1/N sum_{n, t} mask[n, t] log softmax(x[n, t])[y[n, t]]``, x ``(N, T, V)``, y ``(N, T)``, mask ``(N, T)``
    boolean. Returns ``(loss, dx)``, ``dx[n, t] = mask[n, t] (softmax(x[n, t]) - onehot(y[n, t])) / N``.

    ``scratch``'s ``cross_entropy`` with ``reduction='none'`` gives each step's loss; the mask and the ``1/N`` are
    the upstream gradient of those per-step losses.
    """
    N, T, V = x.shape
    x_flat = x.reshape(N * T, V)
    y_flat = np.asarray(y, dtype=np.int64).reshape(N * T)
    weights = np.asarray(mask).reshape(N * T).astype(x.dtype) / N  # (N*T,): d loss / d (loss of each step)
    losses, backward = F.cross_entropy(x_flat, y_flat, reduction="none")
    loss = float(np.sum(weights * losses))
    dx_flat, _, _ = backward(weights)
    if verbose:
        print("dx_flat: ", dx_flat.shape)
    return loss, dx_flat.reshape(N, T, V)


# ---------------------------------------------------------------------------------------------------------------
# The LSTM


def _lstm_params(Wx, Wh, b):
    p = cs231n_layout.lstm_to_torch(Wx, Wh, b)  # gates i, f, o, g -> torch's i, f, g, o
    return p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"]


def _lstm_gradients(dw_ih, dw_hh, db):
    """torch-layout gradients (i, f, g, o) -> the course's ``dWx (D, 4H)``, ``dWh (H, 4H)``, ``db (4H,)``."""
    return cs231n_layout.lstm_from_torch({"weight_ih_l0": dw_ih, "weight_hh_l0": dw_hh, "bias_ih_l0": db,
                                          "bias_hh_l0": np.zeros_like(db)})


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step::

        a = x Wx + prev_h Wh + b                      (N, 4H), blocks a_i, a_f, a_o, a_g
        i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)      g = tanh(a_g)
        next_c = f * prev_c + i * g                   next_h = o * tanh(next_c)

    Returns ``(next_h, next_c, cache)`` with ``cache = (x, prev_h, prev_c, Wx, Wh, b)``.
    """
    w_ih, w_hh, b_ih = _lstm_params(Wx, Wh, b)
    (next_h, next_c), _ = F.lstm_cell(x, prev_h, prev_c, w_ih, w_hh, b_ih, None)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, b)


def lstm_step_backward(dnext_h, dnext_c, cache):
    """``(dx, dprev_h, dprev_c, dWx, dWh, db)`` of one step (``scratch.functional.lstm_cell``'s derivation)."""
    x, prev_h, prev_c, Wx, Wh, b = cache
    w_ih, w_hh, b_ih = _lstm_params(Wx, Wh, b)
    _, backward = F.lstm_cell(x, prev_h, prev_c, w_ih, w_hh, b_ih, None)
    dx, dprev_h, dprev_c, dw_ih, dw_hh, db, _ = backward((dnext_h, dnext_c))
    return (dx, dprev_h, dprev_c, *_lstm_gradients(dw_ih, dw_hh, db))


def _lstm_sequence(x, h0, Wx, Wh, b):
    w_ih, w_hh, b_ih = _lstm_params(Wx, Wh, b)
    return F.lstm(x, h0[None], None, [w_ih, w_hh, b_ih, np.zeros_like(b_ih)], batch_first=True)  # c0 = 0


def lstm_forward(x, h0, Wx, Wh, b):
    """The LSTM over ``x (N, T, D)`` from ``h0 (N, H)`` and a zero cell state: ``(h (N, T, H), cache)``,
    ``cache = (x, h0, Wx, Wh, b)``."""
    (h, _), _ = _lstm_sequence(x, h0, Wx, Wh, b)
    return h, (x, h0, Wx, Wh, b)


def lstm_backward(dh, cache):
    """Backpropagation through time from ``dh (N, T, H)``: ``(dx, dh0, dWx, dWh, db)``. The cell state carries its
    own gradient back from step to step, starting from zero after the last step (``c`` is no output)."""
    x, h0, Wx, Wh, b = cache
    (_, (h_n, c_n)), backward = _lstm_sequence(x, h0, Wx, Wh, b)
    dx, dh0, _, (dw_ih, dw_hh, db, _) = backward((dh, (np.zeros_like(h_n), np.zeros_like(c_n))))
    return (dx, dh0[0], *_lstm_gradients(dw_ih, dw_hh, db))
