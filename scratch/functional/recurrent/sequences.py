"""Whole sequences: ``rnn_tanh``, ``rnn_relu``, ``lstm``, ``gru``, stacked, bidirectional, with dropout between
layers and variable lengths (torch.rnn_tanh, ..., torch.lstm; the layers of nn.RNN, nn.LSTM, nn.GRU).

Each step is the matching cell's gate arithmetic (``cells.py``); what a sequence adds is the scan. Per layer and
direction (``_direction``): the input's part of every gate, ``gx = x W_ih^T + b_ih (+ b_hh)``, is one matmul for all
time steps at once; then a Python loop over time does only what truly is sequential, ``gh = h W_hh^T`` and the
step; backward walks the steps in reverse and again leaves the matmuls that do not depend on the previous step
(``dx``, ``dW_ih``, ``dW_hh``) to one product each over all steps. ``_layers`` stacks layers and directions.

A step is ``step(gx, gh, h, c) -> (h', c', step_back)``. ``step_back(dh', dc', dgx)`` writes the gradient of ``gx``
into ``dgx`` (its row of the scan's ``(T, N, G*H)`` array, which the input projection's backward reads whole) and
returns ``(dgh, dh_direct, dc_prev)``: the gradient of ``gh`` where it differs from ``dgx`` (only the GRU's, where r
multiplies ``gh_n``; None otherwise), and the parts of ``dh``, ``dc`` that do not go through ``W_hh`` (None where
there is none).
"""
from __future__ import annotations

import numpy as np

from scratch import fast
from scratch._checks import check_grad
from scratch.functional import _recurrent_kernels
from scratch.functional.activation import stable_sigmoid as sigmoid
from scratch.functional.dropout import check_dropout_p, dropout
from scratch.functional.linear import linear
from scratch.functional.recurrent.checks import check_dropout_masks, check_sequence_args

# ---------------------------------------------------------------------------------------------------------------
# One step of each kind: the cell's arithmetic on gx (already projected, biases folded in) and gh = h W_hh^T.
# ---------------------------------------------------------------------------------------------------------------

def _rnn_tanh_step(gx, gh, h, c):
    h_new = np.tanh(gx + gh)

    def step_back(dh_new, dc_new, dgx):
        dgx[...] = dh_new * (1 - h_new * h_new)  # da
        return None, None, None

    return h_new, None, step_back


def _rnn_relu_step(gx, gh, h, c):
    h_new = np.maximum(gx + gh, 0)

    def step_back(dh_new, dc_new, dgx):
        dgx[...] = dh_new * (h_new > 0)  # da
        return None, None, None

    return h_new, None, step_back


def _lstm_step(gx, gh, h, c):
    H = h.shape[1]
    a = gx + gh  # (N, 4H) pre-activations of the gates i, f, g, o
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:])
    c_new = f * c + i * g
    tc = np.tanh(c_new)
    h_new = o * tc

    def step_back(dh_new, dc_new, dgx):
        dc = dc_new + dh_new * o * (1 - tc * tc)  # c' reaches the loss directly and through h' = o tanh(c')
        dgx[:, :H] = dc * g * (i * (1 - i))  # da_i
        dgx[:, H:2 * H] = dc * c * (f * (1 - f))  # da_f
        dgx[:, 2 * H:3 * H] = dc * i * (1 - g * g)  # da_g
        dgx[:, 3 * H:] = dh_new * tc * (o * (1 - o))  # da_o
        return None, None, dc * f  # c' = f c + ...: dc_prev = dc * f (the forget-gate path)

    return h_new, c_new, step_back


def _gru_step(gx, gh, h, c):
    H = h.shape[1]
    r = sigmoid(gx[:, :H] + gh[:, :H])
    z = sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])
    gh_n = gh[:, 2 * H:]  # W_hn h + b_hn: b_hn stays inside r * (...), torch's choice
    n = np.tanh(gx[:, 2 * H:] + r * gh_n)
    h_new = n + z * (h - n)

    def step_back(dh_new, dc_new, dgx):
        da_n = dh_new * (1 - z) * (1 - n * n)
        da_z = dh_new * (h - n) * (z * (1 - z))
        da_r = da_n * gh_n * (r * (1 - r))
        dgx[:, :H], dgx[:, H:2 * H], dgx[:, 2 * H:] = da_r, da_z, da_n
        dgh = np.concatenate([da_r, da_z, da_n * r], axis=1)  # W_hn h enters n multiplied by r
        return dgh, dh_new * z, None  # h' = ... + z h: the direct path to h

    return h_new, None, step_back


# ---------------------------------------------------------------------------------------------------------------
# The scan: one layer in one direction, then layers x directions.
# ---------------------------------------------------------------------------------------------------------------

def _direction(step, folded: int, x, h0, c0, w_ih, w_hh, b_ih, b_hh, valid, reverse: bool):
    """Run one layer in one direction over time.

    x: (T, N, I); h0, c0: (N, H) (c0 None but for the LSTM); valid: (T, N, 1) bool or None. ``folded`` gate blocks
    of b_hh simply add to their gates, so they join b_ih in the input projection; the rest (the GRU's b_hn) is added
    to ``gh`` at every step. Returns ``(out (T, N, H), h_n, c_n, backward)``; ``backward(dout, dh_n, dc_n)`` returns
    ``(dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh)``.

    Where ``valid[t]`` is False for a sequence, its state passes through unchanged and its output is 0: the reverse
    direction then starts each sequence at its own last valid step, and h_n is the state there, as torch's packed path.
    """
    T, N, I = x.shape
    GH, H = w_hh.shape  # sizes written out below: reshape cannot infer a -1 beside a 0 (an empty batch)
    fold = folded * H
    b_x, b_step = b_ih, None
    if b_hh is not None:
        b_x = np.zeros_like(b_hh) if b_ih is None else b_ih.copy()
        b_x[:fold] += b_hh[:fold]
        if fold < GH:
            b_step = np.concatenate([np.zeros_like(b_hh[:fold]), b_hh[fold:]])  # adds 0 to the folded blocks
    gx, project_back = linear(x.reshape(T * N, I), w_ih, b_x)  # one matmul for every time step
    gx = gx.reshape(T, N, GH)
    w_hh_t = np.ascontiguousarray(w_hh.T)  # (H, G*H): once per layer; BLAS is ~20% faster on it than on the view
    out = np.empty((T, N, H), dtype=x.dtype)
    h_prev = np.empty_like(out)  # the h each step read, for dW_hh = sum_t dgh_t^T h_prev_t
    step_backs = [None] * T
    order = range(T - 1, -1, -1) if reverse else range(T)
    h, c = h0, c0
    for t in order:
        h_prev[t] = h
        gh = h @ w_hh_t if b_step is None else h @ w_hh_t + b_step  # (N, G*H)
        h_new, c_new, step_backs[t] = step(gx[t], gh, h, c)
        if valid is None:
            out[t] = h_new
            h, c = h_new, c_new
        else:
            m = valid[t]  # (N, 1)
            out[t] = h_new * m
            h = np.where(m, h_new, h)
            c = None if c is None else np.where(m, c_new, c)

    def backward(dout, dh_n, dc_n):
        dgx = np.empty_like(gx)  # (T, N, G*H)
        dgh = None  # the GRU's own gradient of gh, allocated at its first step; dgx's for the other kinds
        dh, dc = dh_n, dc_n
        for t in reversed(order):
            dh_total = dh + dout[t]  # h_t feeds both the output at t and the next step
            if valid is not None:
                m = valid[t]
                dh_carry = dh * ~m  # a padded step passed h through unchanged
                dh_total = dh_total * m
                if dc is not None:
                    dc_carry, dc = dc * ~m, dc * m
            dgh_t, dh_direct, dc_prev = step_backs[t](dh_total, dc, dgx[t])
            if dgh_t is None:
                dgh_t = dgx[t]
            else:
                dgh = np.empty_like(gx) if dgh is None else dgh
                dgh[t] = dgh_t
            dh = dgh_t @ w_hh  # gh = h W_hh^T, so dh_prev = dgh W_hh      (N, H)
            if dh_direct is not None:
                dh = dh + dh_direct
            if valid is not None:
                dh = dh + dh_carry
                if dc is not None:
                    dc_prev = dc_prev + dc_carry
            dc = dc_prev
        dgx = dgx.reshape(T * N, GH)
        dgh = dgx if dgh is None else dgh.reshape(T * N, GH)
        dx, dw_ih, db_x = project_back(dgx)
        dw_hh = dgh.T @ h_prev.reshape(T * N, H)  # (G*H, H)
        db_ih = db_x if b_ih is not None else None
        db_hh = dgh.sum(axis=0) if b_hh is not None else None
        return dx.reshape(T, N, I), dh, dc, dw_ih, dw_hh, db_ih, db_hh

    return out, h, c, backward


def _layers(step, folded: int, has_cell: bool, layer: str, input, hx, cx, params, bias, num_layers, dropout_p,
            training, bidirectional, batch_first, valid, dropout_masks, rng, N: int, H: int):
    """Layers x directions over ``_direction``, with dropout between layers (arguments already checked).

    ``has_cell``: the LSTM, whose ``cx`` (None for zeros) and ``c_n`` go along with ``hx`` and ``h_n``.
    Returns ``(y, backward)`` as the public functions.
    """
    D = 2 if bidirectional else 1
    per = 4 if bias else 2  # arrays per (layer, direction)
    use_dropout = training and dropout_p > 0 and num_layers > 1
    dtype = input.dtype
    x = input.swapaxes(0, 1) if batch_first else input  # (T, N, I): time-major inside
    h0 = np.zeros((num_layers * D, N, H), dtype) if hx is None else hx
    c0 = None if not has_cell else (np.zeros((num_layers * D, N, H), dtype) if cx is None else cx)
    h_n = np.empty((num_layers * D, N, H), dtype)
    c_n = np.empty_like(h_n) if has_cell else None

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
            out, h_n[k], c_last, back = _direction(step, folded, x, h0[k], None if c0 is None else c0[k], w_ih, w_hh,
                                                   b_ih, b_hh, valid, reverse=d == 1)
            if c_n is not None:
                c_n[k] = c_last
            outs.append(out)
            dir_backs.append(back)
        x = outs[0] if D == 1 else np.concatenate(outs, axis=2)  # (T, N, D*H)
        backs.append((drop_back, dir_backs))
    output = x.swapaxes(0, 1) if batch_first else x
    y = (output, (h_n, c_n)) if has_cell else (output, h_n)

    def backward(dy):
        doutput = check_grad(layer, dy[0], output, "doutput")
        if has_cell:
            dh_n = check_grad(layer, dy[1][0], h_n, "dh_n")
            dc_n = check_grad(layer, dy[1][1], c_n, "dc_n")
        else:
            dh_n, dc_n = check_grad(layer, dy[1], h_n, "dh_n"), None
        dout = doutput.swapaxes(0, 1) if batch_first else doutput  # (T, N, D*H)
        dh0 = np.empty_like(h0)
        dc0 = np.empty_like(h0) if has_cell else None
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
        if has_cell:
            return dinput, dhx, (dc0 if cx is not None else None), dparams
        return dinput, dhx, dparams

    return y, backward


def _valid(lengths, T: int):
    """(T, N, 1) bool, True where step t is inside sequence n; None when every sequence is whole."""
    return None if lengths is None else (np.arange(T)[:, None] < lengths[None, :])[:, :, None]


# ---------------------------------------------------------------------------------------------------------------
# The public functions
# ---------------------------------------------------------------------------------------------------------------

def rnn_tanh(input, hx, params, bias=True, num_layers=1, dropout=0.0, training=True, bidirectional=False,
             batch_first=False, lengths=None, dropout_masks=None, rng=None):
    """Elman RNN over a whole sequence, ``h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh)``, stacked and
    optionally bidirectional (torch.rnn_tanh; nn.RNN).

    Args:
        input: ``(T, N, input_size)``, or ``(N, T, input_size)`` with ``batch_first``.
        hx: ``(num_layers * num_directions, N, H)`` initial hidden states, or None for zeros.
        params: the flat list of weights in torch's order and layout (``param_names`` lists them): for each layer,
            for each direction (forward, then ``_reverse``): ``weight_ih (G*H, in)``, ``weight_hh (G*H, H)``, then
            ``bias_ih (G*H,)``, ``bias_hh (G*H,)`` if ``bias``. G is 1 here (4 for the LSTM, 3 for the GRU);
            ``in`` is input_size for layer 0 and ``num_directions * H`` above it.
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
        directions concatenated; h_n: ``(num_layers * num_directions, N, H)``, index ``layer * num_directions +
        direction``.

    Backward:
        Backpropagation through time. Walking the steps backwards, the gradient reaching h_t is the output's
        ``doutput_t`` plus what step t+1 sends back through ``h_t W_hh^T`` (and the cell's own direct paths), which is
        then pushed through one step's derivative (see the matching cell, here ``rnn_tanh_cell``). The input-side
        products are summed over time in one matmul each::

            dx = dgx W_ih        dW_ih = sum_t dgx_t^T x_t       dW_hh = sum_t dgh_t^T h_(t-1)

        ``backward((doutput, dh_n))`` returns ``(dinput, dhx, dparams)``; dhx is None where no initial state was
        given, and dparams is a list aligned with ``params``.
    """
    T, N, H, lengths = check_sequence_args("rnn_tanh", 1, input, hx, None, params, bias, num_layers, bidirectional,
                                           batch_first, lengths)
    dropout = check_dropout_p("rnn_tanh", dropout)
    check_dropout_masks("rnn_tanh", dropout_masks, num_layers)
    return _layers(_rnn_tanh_step, 1, False, "rnn_tanh", input, hx, None, params, bias, num_layers, dropout,
                   training, bidirectional, batch_first, _valid(lengths, T), dropout_masks, rng, N, H)


def rnn_relu(input, hx, params, bias=True, num_layers=1, dropout=0.0, training=True, bidirectional=False,
             batch_first=False, lengths=None, dropout_masks=None, rng=None):
    """Elman RNN with relu over a whole sequence, ``h_t = max(0, x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh)``
    (torch.rnn_relu; nn.RNN(nonlinearity='relu')).

    Args, Shape and Backward as ``rnn_tanh``; each step's derivative is ``rnn_relu_cell``'s.
    """
    T, N, H, lengths = check_sequence_args("rnn_relu", 1, input, hx, None, params, bias, num_layers, bidirectional,
                                           batch_first, lengths)
    dropout = check_dropout_p("rnn_relu", dropout)
    check_dropout_masks("rnn_relu", dropout_masks, num_layers)
    return _layers(_rnn_relu_step, 1, False, "rnn_relu", input, hx, None, params, bias, num_layers, dropout,
                   training, bidirectional, batch_first, _valid(lengths, T), dropout_masks, rng, N, H)


def gru(input, hx, params, bias=True, num_layers=1, dropout=0.0, training=True, bidirectional=False,
        batch_first=False, lengths=None, dropout_masks=None, rng=None):
    """GRU over a whole sequence, each step ``gru_cell`` (torch.gru; nn.GRU).

    Args, Shape and Backward as ``rnn_tanh``, with G = 3 gate blocks (r, z, n) in the weights. b_hh's r and z blocks
    join the input projection; its n block stays in the step, inside ``r * (W_hn h + b_hn)``.
    """
    T, N, H, lengths = check_sequence_args("gru", 3, input, hx, None, params, bias, num_layers, bidirectional,
                                           batch_first, lengths)
    dropout = check_dropout_p("gru", dropout)
    check_dropout_masks("gru", dropout_masks, num_layers)
    return _layers(_gru_step, 2, False, "gru", input, hx, None, params, bias, num_layers, dropout, training,
                   bidirectional, batch_first, _valid(lengths, T), dropout_masks, rng, N, H)


def lstm(input, hx, cx, params, bias=True, num_layers=1, dropout=0.0, training=True, bidirectional=False,
         batch_first=False, lengths=None, dropout_masks=None, rng=None):
    """LSTM over a whole sequence, each step ``lstm_cell`` (torch.lstm, which takes ``(hx, cx)`` as one tuple;
    nn.LSTM). Returns ``((output, (h_n, c_n)), backward)``.

    Args:
        As ``rnn_tanh``, with G = 4 gate blocks (i, f, g, o) in the weights, and
        cx: like hx, the initial cell states, or None for zeros.

    Shape:
        output as ``rnn_tanh``; h_n, c_n: ``(num_layers * num_directions, N, H)``.

    Backward:
        As ``rnn_tanh``, each step's derivative ``lstm_cell``'s. ``backward((doutput, (dh_n, dc_n)))`` returns
        ``(dinput, dhx, dcx, dparams)``; dhx (dcx) is None where no initial state was given.

    With the fast kernels on (``scratch.fast``), each step's arithmetic runs in numba kernels
    (``_recurrent_kernels.lstm_step``): the same values, in fewer passes over memory.

    Examples:
        >>> x = np.ones((5, 2, 3)); H = 4
        >>> params = [np.full((4 * H, 3), 0.1), np.full((4 * H, H), 0.1)]
        >>> (out, (h_n, c_n)), backward = lstm(x, None, None, params, bias=False)
        >>> out.shape, h_n.shape, c_n.shape
        ((5, 2, 4), (1, 2, 4), (1, 2, 4))
        >>> dx, dhx, dcx, dparams = backward((np.ones_like(out), (np.ones_like(h_n), np.ones_like(c_n))))
        >>> dx.shape, dhx, [g.shape for g in dparams]
        ((5, 2, 3), None, [(16, 3), (16, 4)])
    """
    T, N, H, lengths = check_sequence_args("lstm", 4, input, hx, cx, params, bias, num_layers, bidirectional,
                                           batch_first, lengths)
    dropout = check_dropout_p("lstm", dropout)
    check_dropout_masks("lstm", dropout_masks, num_layers)
    if fast.enabled("lstm"):
        return _layers(_recurrent_kernels.lstm_step, 4, True, "lstm", input, hx, cx, params, bias, num_layers,
                       dropout, training, bidirectional, batch_first, _valid(lengths, T), dropout_masks, rng, N, H)
    return _layers(_lstm_step, 4, True, "lstm", input, hx, cx, params, bias, num_layers, dropout, training,
                   bidirectional, batch_first, _valid(lengths, T), dropout_masks, rng, N, H)
