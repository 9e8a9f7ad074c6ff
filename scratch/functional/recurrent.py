"""Recurrent layers: the cells ``rnn_tanh_cell``, ``rnn_relu_cell``, ``lstm_cell``, ``gru_cell`` and the whole-sequence
layers ``rnn_tanh``, ``rnn_relu``, ``lstm``, ``gru`` (stacked, bidirectional, variable lengths).

torch.nn.functional has no recurrent functions; the names are those of torch's own ``torch.lstm_cell``, ``torch.lstm``,
... and the layouts are torch's exactly: ``w_ih`` is ``(G*H, input_size)``, ``w_hh`` is ``(G*H, H)`` with the G gate
blocks stacked in torch's order (LSTM ``i, f, g, o``; GRU ``r, z, n``), so a state dict moves to torch unchanged.

How the code is organised. A cell kind is two small functions:

- ``step(gx, h, c, w_hh_t, b_step)``: one time step, given ``gx = x_t W_ih^T + b`` (the input's part of every gate,
  computed for all time steps at once) and the previous state; it does the one fused matmul ``h W_hh^T`` and the
  kind's gate arithmetic, and returns ``(h', c', saved)``;
- ``step_back(dh, dc, saved, h)``: that step's derivative. It returns ``dgx`` (the gradient of ``gx``), ``dgh`` (of
  ``gh = h W_hh^T``; equal to ``dgx`` except for the GRU's n gate), and the parts of ``dh_prev``, ``dc_prev`` that do
  not go through ``W_hh``.

The LSTM has a second pair, ``_lstm_step_fused`` and ``_lstm_step_back_fused``, that do the same arithmetic in numba
kernels (``_recurrent_kernels.py``); ``_scan`` uses them while ``USE_NUMBA`` is true. The NumPy pair is the reference
they are tested against, and the one to read.

One driver, ``_scan``, runs any kind over time in either direction (with a mask for variable lengths), and
``_recurrent`` stacks layers and directions on top of it. Both matmuls that do not depend on the previous step (the
input projection, and in backward ``dW_ih``, ``dW_hh``, ``dx``) are done once for all time steps, so the Python loop
only holds what truly is sequential.
"""
from __future__ import annotations

import numbers
import os
from typing import Callable, NamedTuple

import numpy as np

from scratch._checks import check_float, check_grad, check_int_array, fmt_shape
from scratch.functional.dropout import check_dropout_p, dropout
from scratch.functional.linear import linear

try:
    from scratch.functional import _recurrent_kernels as _kernels
except ImportError:  # numba is optional: without it every kind runs its NumPy step
    _kernels = None

# Where numba is installed the LSTM step runs its elementwise arithmetic in numba kernels: the same values (bit for
# bit on x86-64) in about 40% of the NumPy step's elementwise time. SCRATCH_NO_NUMBA=1 in the environment, or
# setting this flag to False, runs the NumPy steps everywhere.
USE_NUMBA = _kernels is not None and os.environ.get("SCRATCH_NO_NUMBA", "") in ("", "0")


def _sigmoid_(a: np.ndarray) -> np.ndarray:
    """``a <- 1 / (1 + exp(-a))`` in place, without overflow and accurate in both tails.

    ``e = exp(-|a|)`` lies in (0, 1], so nothing overflows; then ``s = 1 / (1 + e)`` for ``a >= 0`` and
    ``s = e / (1 + e)`` for ``a < 0`` (``activation.sigmoid``'s formula, written in place because it runs at every
    step; ``np.maximum`` picks the numerator because ``np.where``/``copyto(where=)`` are several times slower on
    these small arrays). The shortcut ``(1 + tanh(a / 2)) / 2`` is faster but loses all relative precision where s is tiny: in
    float32 a saturated gate's derivative ``s (1 - s)`` would be off by percents.
    """
    positive = a >= 0
    e = np.abs(a)
    np.negative(e, out=e)
    np.exp(e, out=e)  # e = exp(-|a|), in (0, 1]
    np.add(e, 1, out=a)  # a <- 1 + e
    np.maximum(e, positive, out=e)  # the numerator: 1 where a >= 0, e where a < 0 (max(e, 0) = e)
    np.divide(e, a, out=a)
    return a


# ---------------------------------------------------------------------------------------------------------------
# One time step of each kind. ``gx`` (N, G*H) already holds x_t W_ih^T + b_ih (+ the foldable part of b_hh).
# ``step`` returns (h', c', saved); ``step_back(dh', dc', saved, h, dgx, dgh)`` writes the gradients of gx and of
# gh = h W_hh^T into the buffers dgx, dgh (the same buffer unless the kind has ``separate_dgh``) and returns the parts
# of (dh, dc) that bypass W_hh. Temporaries are updated in place (``a += gx``): each step runs for every time step
# of every layer, and fewer passes over memory are most of what separates a NumPy loop from torch's.
# ---------------------------------------------------------------------------------------------------------------

def _rnn_tanh_step(gx, h, c, w_hh_t, b_step):
    a = h @ w_hh_t  # (N, H)
    a += gx
    h_new = np.tanh(a, out=a)
    return h_new, None, h_new


def _rnn_tanh_step_back(dh, dc, h_new, h, dgx, dgh):
    np.multiply(h_new, h_new, out=dgx)
    np.subtract(1, dgx, out=dgx)  # tanh'(a) = 1 - tanh(a)^2
    dgx *= dh
    return None, None


def _rnn_relu_step(gx, h, c, w_hh_t, b_step):
    a = h @ w_hh_t  # (N, H)
    a += gx
    h_new = np.maximum(a, 0, out=a)
    return h_new, None, h_new


def _rnn_relu_step_back(dh, dc, h_new, h, dgx, dgh):
    np.multiply(dh, h_new > 0, out=dgx)  # relu'(a) = [a > 0]; 0 at the kink, torch's choice
    return None, None


def _lstm_step(gx, h, c, w_hh_t, b_step):
    H = h.shape[1]
    a = h @ w_hh_t  # (N, 4H) pre-activations of the gates i, f, g, o
    a += gx
    g = np.tanh(a[:, 2 * H:3 * H])  # tanh for the candidate g ...
    act = _sigmoid_(a)  # ... sigmoid for i, f, o (a is overwritten: backward needs only the activations)
    act[:, 2 * H:3 * H] = g
    i, f, o = act[:, :H], act[:, H:2 * H], act[:, 3 * H:]
    c_new = f * c
    c_new += i * g
    tc = np.tanh(c_new)
    h_new = o * tc
    return h_new, c_new, (act, c, tc)


def _lstm_step_back(dh, dc, saved, h, dgx, dgh):
    act, c, tc = saved
    H = tc.shape[1]
    i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
    dc = dc + dh * o * (1 - tc * tc)  # c' reaches the loss directly (dc) and through h' = o tanh(c')
    np.multiply(dc, g, out=dgx[:, :H])  # d i
    np.multiply(dc, c, out=dgx[:, H:2 * H])  # d f
    np.multiply(dc, i, out=dgx[:, 2 * H:3 * H])  # d g
    np.multiply(dh, tc, out=dgx[:, 3 * H:])  # d o
    slope = 1 - act  # sigmoid'(a) = s (1 - s) for i, f, o ...
    slope *= act
    np.multiply(g, g, out=slope[:, 2 * H:3 * H])
    np.subtract(1, slope[:, 2 * H:3 * H], out=slope[:, 2 * H:3 * H])  # ... tanh'(a) = 1 - g^2 for g
    dgx *= slope
    return None, dc * f  # c' = f c + ...: dc = dc' * f (the forget-gate path)


def _lstm_step_fused(gx, h, c, w_hh_t, b_step):
    """``_lstm_step`` with its arithmetic fused in numba kernels (``_recurrent_kernels``): the same values, bit for
    bit. exp and tanh stay NumPy calls, whose SIMD loops beat numba's scalar libm calls several times over."""
    N, H = h.shape
    c = np.ascontiguousarray(c)  # a user's c0 may be a strided view: one array layout, one compiled kernel
    a = h @ w_hh_t  # (N, 4H)
    e = np.empty((N, 3 * H), a.dtype)  # -|a| for i, f, o
    g = np.empty_like(c)
    _kernels.lstm_preactivations(a, gx, e, g)  # a += gx; e = -|a_ifo|; g = a_g
    np.exp(e, out=e)
    np.tanh(g, out=g)
    c_new = np.empty_like(c)
    _kernels.lstm_cell(a, e, g, c, c_new)  # a <- activations i, f, g, o; c_new = f c + i g
    tc = np.tanh(c_new)
    h_new = a[:, 3 * H:] * tc
    return h_new, c_new, (a, c, tc)


def _lstm_step_back_fused(dh, dc, saved, h, dgx, dgh):
    """``_lstm_step_back`` as one numba kernel (no exp or tanh here, so all of it fuses)."""
    act, c, tc = saved
    dc_prev = np.empty_like(tc)
    _kernels.lstm_cell_back(dh, np.ascontiguousarray(dc), act, c, tc, dgx, dc_prev)
    return None, dc_prev


def _gru_step(gx, h, c, w_hh_t, b_hn):
    H = h.shape[1]
    gh = h @ w_hh_t  # (N, 3H): W_hr h, W_hz h, W_hn h
    ghn = gh[:, 2 * H:]
    if b_hn is not None:
        ghn += b_hn  # b_hn stays inside r * (...), torch's choice
    rz = gh[:, :2 * H]
    rz += gx[:, :2 * H]
    rz = _sigmoid_(rz)  # (N, 2H): r, z
    r, z = rz[:, :H], rz[:, H:]
    n = r * ghn
    n += gx[:, 2 * H:]
    np.tanh(n, out=n)
    h_new = h - n
    h_new *= z
    h_new += n  # (1 - z) n + z h
    return h_new, None, (gh, n)  # gh now holds [r, z, W_hn h + b_hn]


def _gru_step_back(dh, dc, saved, h, dgx, dgh):
    gh, n = saved
    H = n.shape[1]
    rz, ghn = gh[:, :2 * H], gh[:, 2 * H:]
    r, z = rz[:, :H], rz[:, H:]
    dan = dgx[:, 2 * H:]
    np.multiply(n, n, out=dan)
    np.subtract(1, dan, out=dan)  # tanh'
    dan *= dh * (1 - z)  # through n = (1 - z) n + ...
    np.multiply(dan, ghn, out=dgx[:, :H])  # d r
    np.subtract(h, n, out=dgx[:, H:2 * H])
    dgx[:, H:2 * H] *= dh  # d z
    slope = 1 - rz
    slope *= rz  # sigmoid'
    dgx[:, :2 * H] *= slope
    dgh[:, :2 * H] = dgx[:, :2 * H]
    np.multiply(dan, r, out=dgh[:, 2 * H:])  # W_hn h enters n multiplied by r
    return dh * z, None  # h' = ... + z h: the direct path to h


class _Kind(NamedTuple):
    name: str
    gates: int  # G: gate blocks in w_ih / w_hh
    has_cell: bool  # an LSTM also carries c
    folded_hh: int  # gate blocks of b_hh that simply add to the gates, so can join b_ih in the input projection
    separate_dgh: bool  # the gradient of h W_hh^T differs from that of x W_ih^T (only the GRU's)
    step: Callable
    step_back: Callable
    fused: tuple | None = None  # (step, step_back) with numba kernels, used when USE_NUMBA


RNN_TANH = _Kind("rnn_tanh", 1, False, 1, False, _rnn_tanh_step, _rnn_tanh_step_back)
RNN_RELU = _Kind("rnn_relu", 1, False, 1, False, _rnn_relu_step, _rnn_relu_step_back)
LSTM = _Kind("lstm", 4, True, 4, False, _lstm_step, _lstm_step_back, (_lstm_step_fused, _lstm_step_back_fused))
GRU = _Kind("gru", 3, False, 2, True, _gru_step, _gru_step_back)  # b_hn multiplies by r: it stays in the step


def _biases(kind: _Kind, b_ih, b_hh, H: int):
    """(bias of the input projection, bias left for the step): b_hh's foldable blocks join b_ih."""
    if b_hh is None:
        return b_ih, None
    fold = kind.folded_hh * H
    b_x = np.zeros_like(b_hh) if b_ih is None else b_ih.copy()
    b_x[:fold] += b_hh[:fold]
    return b_x, (b_hh[fold:] if fold < b_hh.shape[0] else None)


# ---------------------------------------------------------------------------------------------------------------
# The time loop, shared by every kind.
# ---------------------------------------------------------------------------------------------------------------

def _scan(kind: _Kind, gx, h0, c0, w_hh, b_step, valid, reverse: bool):
    """Run one layer in one direction over time.

    gx: (T, N, G*H) input projections; h0, c0: (N, H) (c0 None unless LSTM); valid: (T, N, 1) bool or None.
    Returns ``(out (T, N, H), h_n, c_n, h_prev (T, N, H), backward)``; ``backward(dout, dh_n, dc_n)`` returns
    ``(dgx, dgh, dh0, dc0)`` with dgx, dgh of shape (T, N, G*H).

    Where ``valid[t]`` is False for a sequence, its state passes through unchanged and its output is 0: the reverse
    direction then starts each sequence at its own last valid step, and h_n is the state there, as torch's packed path.
    """
    T, N, _ = gx.shape
    step, step_back = kind.fused if USE_NUMBA and kind.fused is not None else (kind.step, kind.step_back)
    w_hh_t = np.ascontiguousarray(w_hh.T)  # (H, G*H): once per layer; BLAS is ~20% faster on it than on the view
    out = np.empty((T,) + h0.shape, dtype=h0.dtype)  # (T, N, H)
    h_prev = np.empty_like(out)  # the h each step read, for dW_hh = sum_t dgh_t^T h_prev_t
    saved = [None] * T
    order = range(T - 1, -1, -1) if reverse else range(T)
    h, c = h0, c0
    for t in order:
        h_prev[t] = h
        h_new, c_new, saved[t] = step(gx[t], h, c, w_hh_t, b_step)
        if valid is None:
            out[t] = h_new
            h, c = h_new, c_new
        else:
            m = valid[t]  # (N, 1)
            out[t] = h_new * m
            h = np.where(m, h_new, h)
            c = None if c is None else np.where(m, c_new, c)

    def backward(dout, dh_n, dc_n):
        dgx = np.empty_like(gx)
        dgh = np.empty_like(gx) if kind.separate_dgh else dgx  # equal but for the GRU's n gate
        dh = dh_n
        dc = dc_n if kind.has_cell else None
        for t in reversed(order):
            dh_total = dh + dout[t]  # h_t feeds both the output at t and the next step
            if valid is not None:
                m = valid[t]
                dh_carry = dh * ~m  # a padded step passed h through unchanged
                dh_total = dh_total * m
                if dc is not None:
                    dc_carry, dc = dc * ~m, dc * m
            dh_direct, dc_prev = step_back(dh_total, dc, saved[t], h_prev[t], dgx[t], dgh[t])
            dh = dgh[t] @ w_hh  # gh = h W_hh^T, so dh_prev = dgh W_hh      (N, H)
            if dh_direct is not None:
                dh += dh_direct
            if valid is not None:
                dh += dh_carry
                if dc is not None:
                    dc_prev = dc_prev + dc_carry
            dc = dc_prev
        return dgx, dgh, dh, dc

    return out, h, c, h_prev, backward


def _layer(kind: _Kind, layer: str, x, h0, c0, w_ih, w_hh, b_ih, b_hh, valid, reverse: bool):
    """One layer, one direction: input projection for all steps at once, the scan, and the weight gradients.

    Returns ``(out, h_n, c_n, backward)``; ``backward(dout, dh_n, dc_n)`` returns
    ``(dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh)``.
    """
    T, N, I = x.shape
    GH, H = w_hh.shape  # sizes written out below: reshape cannot infer a -1 beside a 0 (an empty batch)
    b_x, b_step = _biases(kind, b_ih, b_hh, H)
    gx, project_back = linear(x.reshape(T * N, I), w_ih, b_x)  # one matmul for every time step
    out, h_n, c_n, h_prev, scan_back = _scan(kind, gx.reshape(T, N, GH), h0, c0, w_hh, b_step, valid, reverse)

    def backward(dout, dh_n, dc_n):
        dgx, dgh, dh0, dc0 = scan_back(dout, dh_n, dc_n)
        dx, dw_ih, db_x = project_back(dgx.reshape(T * N, GH))
        dgh2 = dgh.reshape(T * N, GH)
        dw_hh = dgh2.T @ h_prev.reshape(T * N, H)  # (G*H, H)
        db_ih = db_x if b_ih is not None else None
        db_hh = dgh2.sum(axis=0) if b_hh is not None else None
        return dx.reshape(T, N, I), dh0, dc0, dw_ih, dw_hh, db_ih, db_hh

    return out, h_n, c_n, backward


# ---------------------------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------------------------

def _check_cell(layer: str, kind: _Kind, x, hx, cx, w_ih, w_hh, b_ih, b_hh):
    check_float(layer, "input", x)
    if x.ndim != 2:
        raise ValueError(f"{layer} expected input of shape (N, input_size) (2 dims), got {fmt_shape(x.shape)}")
    for name, w in (("w_ih", w_ih), ("w_hh", w_hh)):
        check_float(layer, name, w)
        if w.dtype != x.dtype:
            raise TypeError(f"{layer} expected {name} of dtype {x.dtype} like the input, got {w.dtype}")
        if w.ndim != 2:
            raise ValueError(f"{layer} expected {name} with 2 dims, got {fmt_shape(w.shape)}")
    GH, H = w_hh.shape
    if GH != kind.gates * H:
        raise ValueError(f"{layer} expected w_hh of shape ({kind.gates} * hidden_size, hidden_size), "
                         f"got {fmt_shape(w_hh.shape)}")
    N, I = x.shape
    if w_ih.shape != (GH, I):
        raise ValueError(f"{layer} expected w_ih of shape {fmt_shape((GH, I))} (input of shape (N, {I}) and "
                         f"hidden_size {H}), got {fmt_shape(w_ih.shape)}")
    states = (("hx", hx), ("cx", cx)) if kind.has_cell else (("hx", hx),)
    for name, s in states:
        check_float(layer, name, s)
        if s.dtype != x.dtype:
            raise TypeError(f"{layer} expected {name} of dtype {x.dtype} like the input, got {s.dtype}")
        if s.shape != (N, H):
            raise ValueError(f"{layer} expected {name} of shape {fmt_shape((N, H))}, got {fmt_shape(s.shape)}")
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None:
            check_float(layer, name, b)
            if b.dtype != x.dtype:
                raise TypeError(f"{layer} expected {name} of dtype {x.dtype} like the input, got {b.dtype}")
            if b.shape != (GH,):
                raise ValueError(f"{layer} expected {name} of shape {fmt_shape((GH,))}, got {fmt_shape(b.shape)}")


def _cell(kind: _Kind, layer: str, x, hx, cx, w_ih, w_hh, b_ih, b_hh):
    """A cell is the one-step, one-layer case of the sequence driver."""
    _check_cell(layer, kind, x, hx, cx, w_ih, w_hh, b_ih, b_hh)
    out, h, c, layer_back = _layer(kind, layer, x[None], hx, cx, w_ih, w_hh, b_ih, b_hh, None, False)
    y = (h, c) if kind.has_cell else h

    def backward(dy):
        if kind.has_cell:
            dh = check_grad(layer, dy[0], h, "dh")
            dc = check_grad(layer, dy[1], c, "dc")
        else:
            dh, dc = check_grad(layer, dy, h), None
        # h is out[0]: its whole gradient arrives as the output's; the state after the step gets none of its own
        dx, dhx, dcx, dw_ih, dw_hh, db_ih, db_hh = layer_back(dh[None], np.zeros_like(dh), dc)
        grads = (dx[0], dhx, dcx) if kind.has_cell else (dx[0], dhx)
        return grads + (dw_ih, dw_hh, db_ih, db_hh)

    return y, backward


def rnn_tanh_cell(input: np.ndarray, hx: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                  b_ih: np.ndarray | None = None, b_hh: np.ndarray | None = None):
    """Elman RNN cell, ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (torch.rnn_tanh_cell).

    Args:
        input: ``(N, input_size)``; hx: ``(N, H)``, the previous hidden state.
        w_ih: ``(H, input_size)``; w_hh: ``(H, H)``; b_ih, b_hh: ``(H,)`` or None.

    Shape:
        h': ``(N, H)``.

    Backward:
        With ``a`` the pre-activation and ``da = dh' * (1 - h'^2)``::

            dx = da W_ih      dhx = da W_hh      dw_ih = da^T x      dw_hh = da^T h      db_ih = db_hh = sum_N da

        ``backward(dh')`` returns ``(dx, dhx, dw_ih, dw_hh, db_ih, db_hh)``.

    Examples:
        >>> x, h = np.ones((2, 3)), np.zeros((2, 4))
        >>> y, backward = rnn_tanh_cell(x, h, np.ones((4, 3)), np.ones((4, 4)))
        >>> y.shape, [None if g is None else g.shape for g in backward(np.ones_like(y))]
        ((2, 4), [(2, 3), (2, 4), (4, 3), (4, 4), None, None])
    """
    return _cell(RNN_TANH, "rnn_tanh_cell", input, hx, None, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input: np.ndarray, hx: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                  b_ih: np.ndarray | None = None, b_hh: np.ndarray | None = None):
    """Elman RNN cell with relu, ``h' = max(0, x W_ih^T + b_ih + h W_hh^T + b_hh)`` (torch.rnn_relu_cell).

    Args and Shape as ``rnn_tanh_cell``.

    Backward:
        As ``rnn_tanh_cell`` with ``da = dh' * [h' > 0]`` (0 at the kink, torch's choice).
    """
    return _cell(RNN_RELU, "rnn_relu_cell", input, hx, None, w_ih, w_hh, b_ih, b_hh)


def lstm_cell(input: np.ndarray, hx: np.ndarray, cx: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
              b_ih: np.ndarray | None = None, b_hh: np.ndarray | None = None):
    """Long short-term memory cell (torch.lstm_cell, which takes ``(hx, cx)`` as one tuple; here they are two
    arguments so that each gets its own gradient)::

        [a_i, a_f, a_g, a_o] = x W_ih^T + b_ih + h W_hh^T + b_hh        (gate blocks in torch's order i, f, g, o)
        i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
        c' = f * c + i * g
        h' = o * tanh(c')

    Args:
        input: ``(N, input_size)``; hx, cx: ``(N, H)``, the previous hidden and cell state.
        w_ih: ``(4H, input_size)``; w_hh: ``(4H, H)``; b_ih, b_hh: ``(4H,)`` or None.

    Shape:
        h', c': ``(N, H)``; the function returns ``((h', c'), backward)``.

    Backward:
        Given ``dh'`` and ``dc'`` (the cell state also reaches the loss through the next step)::

            dc   = dc' + dh' * o * (1 - tanh(c')^2)      the total gradient on c'
            do   = dh' * tanh(c')
            di   = dc * g      df = dc * c      dg = dc * i
            da_i = di * i (1 - i)   da_f = df * f (1 - f)   da_g = dg * (1 - g^2)   da_o = do * o (1 - o)
            da   = [da_i, da_f, da_g, da_o]                                         (N, 4H)
            dcx  = dc * f                the forget-gate path: without it the memory cannot carry gradient back
            dhx  = da W_hh     dx = da W_ih     dw_ih = da^T x     dw_hh = da^T h     db_ih = db_hh = sum_N da

        ``backward((dh', dc'))`` returns ``(dx, dhx, dcx, dw_ih, dw_hh, db_ih, db_hh)``.

    Examples:
        >>> x, h, c = np.ones((2, 3)), np.zeros((2, 4)), np.zeros((2, 4))
        >>> (h1, c1), backward = lstm_cell(x, h, c, np.ones((16, 3)), np.ones((16, 4)))
        >>> h1.shape, c1.shape, len(backward((np.ones_like(h1), np.ones_like(c1))))
        ((2, 4), (2, 4), 7)
    """
    return _cell(LSTM, "lstm_cell", input, hx, cx, w_ih, w_hh, b_ih, b_hh)


def gru_cell(input: np.ndarray, hx: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
             b_ih: np.ndarray | None = None, b_hh: np.ndarray | None = None):
    """Gated recurrent unit cell, torch's formulation (torch.gru_cell)::

        [gx_r, gx_z, gx_n] = x W_ih^T + b_ih        [gh_r, gh_z, gh_n] = h W_hh^T + b_hh     (blocks r, z, n)
        r  = sigmoid(gx_r + gh_r)      z = sigmoid(gx_z + gh_z)
        n  = tanh(gx_n + r * gh_n)     r multiplies (W_hn h + b_hn), bias included: torch's (and cuDNN's) choice
        h' = (1 - z) * n + z * h

    Args:
        input: ``(N, input_size)``; hx: ``(N, H)``; w_ih: ``(3H, input_size)``; w_hh: ``(3H, H)``;
        b_ih, b_hh: ``(3H,)`` or None.

    Shape:
        h': ``(N, H)``.

    Backward::

        da_n = dh' * (1 - z) * (1 - n^2)
        da_z = dh' * (h - n) * z (1 - z)
        da_r = da_n * gh_n * r (1 - r)
        dgx  = [da_r, da_z, da_n]        dgh = [da_r, da_z, da_n * r]           (N, 3H) each
        dhx  = dh' * z + dgh W_hh        dx = dgx W_ih
        dw_ih = dgx^T x    dw_hh = dgh^T h    db_ih = sum_N dgx    db_hh = sum_N dgh

        ``backward(dh')`` returns ``(dx, dhx, dw_ih, dw_hh, db_ih, db_hh)``.
    """
    return _cell(GRU, "gru_cell", input, hx, None, w_ih, w_hh, b_ih, b_hh)


# ---------------------------------------------------------------------------------------------------------------
# Whole sequences: layers x directions, over the shared scan
# ---------------------------------------------------------------------------------------------------------------

def param_names(num_layers: int, bias: bool = True, bidirectional: bool = False) -> list[str]:
    """torch's flat parameter names in torch's order: for each layer, each direction: w_ih, w_hh, b_ih, b_hh."""
    names = []
    for layer in range(num_layers):
        for suffix in ("", "_reverse")[:2 if bidirectional else 1]:
            kinds = ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if bias else ("weight_ih", "weight_hh")
            names += [f"{k}_l{layer}{suffix}" for k in kinds]
    return names


def _as_lengths(layer: str, lengths, N: int, T: int) -> np.ndarray:
    if not isinstance(lengths, np.ndarray):
        try:
            lengths = np.asarray(lengths)
        except (TypeError, ValueError):
            raise TypeError(f"{layer} expected lengths to be a sequence of ints, got {type(lengths).__name__}") from None
        if lengths.size == 0 or lengths.dtype.kind not in "iu":
            raise TypeError(f"{layer} expected lengths to be a sequence of ints, got {lengths!r}")
    check_int_array(layer, "lengths", lengths)
    if lengths.shape != (N,):
        raise ValueError(f"{layer} expected lengths of shape ({N},), one per sequence, got {fmt_shape(lengths.shape)}")
    if lengths.max() > T:
        raise ValueError(f"{layer} got lengths up to {int(lengths.max())}, longer than the sequence ({T} steps)")
    if lengths.min() < 1:
        raise ValueError(f"{layer} expected every length >= 1 (as pack_padded_sequence), got {int(lengths.min())}")
    return lengths


def check_sequence_args(layer: str, kind: _Kind, input, hx, cx, params, bias: bool, num_layers: int,
                        bidirectional: bool, batch_first: bool, lengths):
    """Validate a whole-sequence call; return ``(T, N, H, lengths as an array or None)``.

    Public so that the ``scratch.nn`` shells can run the same checks under their own names.
    """
    check_float(layer, "input", input)
    if not isinstance(num_layers, numbers.Integral) or num_layers < 1:
        raise ValueError(f"{layer} expected num_layers >= 1, got {num_layers!r}")
    D = 2 if bidirectional else 1
    names = param_names(num_layers, bias, bidirectional)
    if len(params) != len(names):
        raise ValueError(f"{layer} expected {len(names)} parameter arrays ({', '.join(names)}), got {len(params)}")
    for name, p in zip(names, params):
        check_float(layer, name, p)
        if p.dtype != input.dtype:
            raise TypeError(f"{layer} expected {name} of dtype {input.dtype} like the input, got {p.dtype}")
    GH, H = params[1].shape if params[1].ndim == 2 else (0, -1)
    if params[1].ndim != 2 or GH != kind.gates * H:
        raise ValueError(f"{layer} expected weight_hh_l0 of shape ({kind.gates} * hidden_size, hidden_size), "
                         f"got {fmt_shape(params[1].shape)}")
    I = params[0].shape[-1]
    layout = "(N, T, input_size)" if batch_first else "(T, N, input_size)"
    if input.ndim != 3 or input.shape[-1] != I:
        got = fmt_shape(input.shape)
        hint = ": unbatched input is not supported, add a batch dim" if input.ndim == 2 else ""
        raise ValueError(f"{layer} expected input of shape {layout.replace('input_size', str(I))}, got {got}{hint}")
    T, N = (input.shape[1], input.shape[0]) if batch_first else input.shape[:2]
    if T == 0:  # torch refuses it too ("Expected sequence length to be larger than 0")
        raise ValueError(f"{layer} expected a sequence of at least 1 step, got input of shape "
                         f"{fmt_shape(input.shape)} ({'N, T' if batch_first else 'T, N'} = {input.shape[0]}, "
                         f"{input.shape[1]})")
    for name, p in zip(names, params):
        layer_in = I if name.split("_l")[1].startswith("0") else D * H
        expected = {"weight_ih": (GH, layer_in), "weight_hh": (GH, H), "bias_ih": (GH,), "bias_hh": (GH,)}
        if p.shape != expected[name.split("_l")[0]]:
            raise ValueError(f"{layer} expected {name} of shape {fmt_shape(expected[name.split('_l')[0]])}, "
                             f"got {fmt_shape(p.shape)}")
    states = (("h0", hx), ("c0", cx)) if kind.has_cell else (("h0", hx),)
    for name, s in states:
        if s is None:
            continue
        check_float(layer, name, s)
        if s.dtype != input.dtype:
            raise TypeError(f"{layer} expected {name} of dtype {input.dtype} like the input, got {s.dtype}")
        if s.shape != (num_layers * D, N, H):
            raise ValueError(f"{layer} expected {name} of shape {fmt_shape((num_layers * D, N, H))} "
                             f"(num_layers * num_directions, N, hidden_size), got {fmt_shape(s.shape)}")
    if lengths is not None:
        lengths = _as_lengths(layer, lengths, N, T)
    return T, N, H, lengths


def _recurrent(kind: _Kind, layer: str, input, hx, cx, params, bias, num_layers, dropout_p, training, bidirectional,
               batch_first, lengths, dropout_masks, rng):
    T, N, H, lengths = check_sequence_args(layer, kind, input, hx, cx, params, bias, num_layers, bidirectional,
                                           batch_first, lengths)
    dropout_p = check_dropout_p(layer, dropout_p)
    D = 2 if bidirectional else 1
    per = 4 if bias else 2  # arrays per (layer, direction)
    use_dropout = training and dropout_p > 0 and num_layers > 1
    if dropout_masks is not None and len(dropout_masks) != num_layers - 1:
        raise ValueError(f"{layer} expected {num_layers - 1} dropout masks (one between each pair of layers), "
                         f"got {len(dropout_masks)}")
    dtype = input.dtype
    x = input.swapaxes(0, 1) if batch_first else input  # (T, N, I): time-major inside
    valid = None if lengths is None else (np.arange(T)[:, None] < lengths[None, :])[:, :, None]  # (T, N, 1)
    h0 = np.zeros((num_layers * D, N, H), dtype) if hx is None else hx
    c0 = None if not kind.has_cell else (np.zeros((num_layers * D, N, H), dtype) if cx is None else cx)
    h_n = np.empty((num_layers * D, N, H), dtype)
    c_n = np.empty_like(h_n) if kind.has_cell else None

    backs = []  # per layer: (dropout backward or None, [direction backward, ...])
    for l in range(num_layers):
        drop_back = None
        if l > 0 and use_dropout:
            mask = None if dropout_masks is None else dropout_masks[l - 1]
            if mask is not None and batch_first:
                mask = mask.swapaxes(0, 1)
            x, drop_back = dropout(x, dropout_p, True, rng=rng, mask=mask)
        outs, dir_backs = [], []
        for d in range(D):
            k = l * D + d
            w_ih, w_hh = params[k * per], params[k * per + 1]
            b_ih, b_hh = (params[k * per + 2], params[k * per + 3]) if bias else (None, None)
            out, h_n[k], c_last, back = _layer(kind, layer, x, h0[k], None if c0 is None else c0[k], w_ih, w_hh,
                                               b_ih, b_hh, valid, reverse=d == 1)
            if c_n is not None:
                c_n[k] = c_last
            outs.append(out)
            dir_backs.append(back)
        x = outs[0] if D == 1 else np.concatenate(outs, axis=2)  # (T, N, D*H)
        backs.append((drop_back, dir_backs))
    output = x.swapaxes(0, 1) if batch_first else x
    y = (output, (h_n, c_n)) if kind.has_cell else (output, h_n)

    def backward(dy):
        doutput = check_grad(layer, dy[0], output, "doutput")
        if kind.has_cell:
            dh_n = check_grad(layer, dy[1][0], h_n, "dh_n")
            dc_n = check_grad(layer, dy[1][1], c_n, "dc_n")
        else:
            dh_n, dc_n = check_grad(layer, dy[1], h_n, "dh_n"), None
        dout = doutput.swapaxes(0, 1) if batch_first else doutput  # (T, N, D*H)
        dh0 = np.empty_like(h0)
        dc0 = np.empty_like(h0) if kind.has_cell else None
        dparams = [None] * len(params)
        for l in reversed(range(num_layers)):
            drop_back, dir_backs = backs[l]
            dx = None
            for d, back in enumerate(dir_backs):
                k = l * D + d
                dx_d, dh0[k], dc0_k, *dweights = back(dout[:, :, d * H:(d + 1) * H], dh_n[k],
                                                      None if dc_n is None else dc_n[k])
                if dc0 is not None:
                    dc0[k] = dc0_k
                dparams[k * per:(k + 1) * per] = dweights[:per]
                dx = dx_d if dx is None else dx + dx_d  # both directions read the same layer input
            dout = dx if drop_back is None else drop_back(dx)[0]
        dinput = dout.swapaxes(0, 1) if batch_first else dout
        dhx = dh0 if hx is not None else None
        if kind.has_cell:
            return dinput, dhx, (dc0 if cx is not None else None), dparams
        return dinput, dhx, dparams

    return y, backward


_SEQUENCE_DOC = """

    Args:
        input: ``(T, N, input_size)``, or ``(N, T, input_size)`` with ``batch_first``.
        hx: ``(num_layers * num_directions, N, H)`` initial hidden states, or None for zeros.{cx}
        params: the flat list of weights in torch's order and layout (``param_names`` lists them): for each layer,
            for each direction (forward, then ``_reverse``): ``weight_ih (G*H, in)``, ``weight_hh (G*H, H)``, then
            ``bias_ih (G*H,)``, ``bias_hh (G*H,)`` if ``bias``. ``in`` is input_size for layer 0 and
            ``num_directions * H`` above it.
        bias, num_layers, bidirectional, batch_first: as the torch.nn module's constructor arguments.
        dropout, training: dropout on the output of every layer but the last, in training (torch's rule).
        lengths: ``(N,)`` ints in ``[1, T]``, or None: sequence n holds valid steps ``0 .. lengths[n] - 1`` only.
            Outputs at padded steps are 0, ``h_n`` is each sequence's state at its last valid step, and padded steps
            get zero gradient: torch's ``pack_padded_sequence(..., enforce_sorted=False)`` path, unpacked with
            ``pad_packed_sequence``.
        dropout_masks: ``num_layers - 1`` boolean keep-masks of the output's shape, to use instead of drawing.
        rng: ``numpy.random.Generator`` for the dropout masks.

    Shape:
        output: ``(T, N, num_directions * H)`` (batch_first: ``(N, T, ...)``), the last layer's h at every step,
        directions concatenated; h_n{cn}: ``(num_layers * num_directions, N, H)``, index ``layer * num_directions +
        direction``.

    Backward:
        Backpropagation through time. Walking the steps backwards, the gradient reaching h_t is the output's
        ``doutput_t`` plus what step t+1 sends back through ``h_t W_hh^T`` (and the cell's own direct paths), which is
        then pushed through one step's derivative (see the matching cell). The input-side products are summed over
        time in one matmul each::

            dx = dgx W_ih        dW_ih = sum_t dgx_t^T x_t       dW_hh = sum_t dgh_t^T h_(t-1)

        ``backward((doutput, {dstate}))`` returns ``(dinput, dhx, {dcx}dparams)``; dhx{dcx_none} is None where no
        initial state was given, and dparams is a list aligned with ``params``.
"""


def rnn_tanh(input, hx, params, bias=True, num_layers=1, dropout=0.0, training=True, bidirectional=False,
             batch_first=False, lengths=None, dropout_masks=None, rng=None):
    return _recurrent(RNN_TANH, "rnn_tanh", input, hx, None, params, bias, num_layers, dropout, training,
                      bidirectional, batch_first, lengths, dropout_masks, rng)


def rnn_relu(input, hx, params, bias=True, num_layers=1, dropout=0.0, training=True, bidirectional=False,
             batch_first=False, lengths=None, dropout_masks=None, rng=None):
    return _recurrent(RNN_RELU, "rnn_relu", input, hx, None, params, bias, num_layers, dropout, training,
                      bidirectional, batch_first, lengths, dropout_masks, rng)


def gru(input, hx, params, bias=True, num_layers=1, dropout=0.0, training=True, bidirectional=False,
        batch_first=False, lengths=None, dropout_masks=None, rng=None):
    return _recurrent(GRU, "gru", input, hx, None, params, bias, num_layers, dropout, training, bidirectional,
                      batch_first, lengths, dropout_masks, rng)


def lstm(input, hx, cx, params, bias=True, num_layers=1, dropout=0.0, training=True, bidirectional=False,
         batch_first=False, lengths=None, dropout_masks=None, rng=None):
    return _recurrent(LSTM, "lstm", input, hx, cx, params, bias, num_layers, dropout, training, bidirectional,
                      batch_first, lengths, dropout_masks, rng)


rnn_tanh.__doc__ = ("Elman RNN over a whole sequence, ``h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh)``, "
                    "stacked and optionally bidirectional (torch.rnn_tanh; nn.RNN)."
                    + _SEQUENCE_DOC.format(cx="", cn="", dstate="dh_n", dcx="", dcx_none=""))
rnn_relu.__doc__ = ("Elman RNN with relu over a whole sequence, ``h_t = max(0, x_t W_ih^T + b_ih + h_(t-1) W_hh^T + "
                    "b_hh)`` (torch.rnn_relu; nn.RNN(nonlinearity='relu'))."
                    + _SEQUENCE_DOC.format(cx="", cn="", dstate="dh_n", dcx="", dcx_none=""))
gru.__doc__ = ("GRU over a whole sequence, each step ``gru_cell`` (torch.gru; nn.GRU)."
               + _SEQUENCE_DOC.format(cx="", cn="", dstate="dh_n", dcx="", dcx_none=""))
lstm.__doc__ = ("LSTM over a whole sequence, each step ``lstm_cell`` (torch.lstm, which takes ``(hx, cx)`` as one "
                "tuple; nn.LSTM). Returns ``((output, (h_n, c_n)), backward)``."
                + _SEQUENCE_DOC.format(cx="\n        cx: like hx, the initial cell states, or None for zeros.",
                                       cn=", c_n", dstate="(dh_n, dc_n)", dcx="dcx, ", dcx_none=" (dcx)")
                + """
    Examples:
        >>> x = np.ones((5, 2, 3)); H = 4
        >>> params = [np.full((4 * H, 3), 0.1), np.full((4 * H, H), 0.1)]
        >>> (out, (h_n, c_n)), backward = lstm(x, None, None, params, bias=False)
        >>> out.shape, h_n.shape, c_n.shape
        ((5, 2, 4), (1, 2, 4), (1, 2, 4))
        >>> dx, dhx, dcx, dparams = backward((np.ones_like(out), (np.ones_like(h_n), np.ones_like(c_n))))
        >>> dx.shape, dhx, [g.shape for g in dparams]
        ((5, 2, 3), None, [(16, 3), (16, 4)])
""")
