"""The recurrent cells, one time step each: ``rnn_tanh_cell``, ``rnn_relu_cell``, ``lstm_cell``, ``gru_cell``.

Each cell is its own definition, top to bottom: the two projections ``gx = x W_ih^T + b_ih`` and
``gh = h W_hh^T + b_hh`` (``functional.linear``, whose closures do the weight gradients), the kind's gate
arithmetic on them, and a backward that walks the same lines in reverse and hands ``dgx``, ``dgh`` to the two
linear closures. The whole-sequence layers (``sequences.py``) run the same gate arithmetic at every step, with the
input projection done once for all steps.

torch.nn.functional has no recurrent functions; the names are those of torch's own ``torch.lstm_cell``, ... and the
layouts are torch's: ``w_ih`` is ``(G*H, input_size)``, ``w_hh`` is ``(G*H, H)`` with the G gate blocks stacked in
torch's order (LSTM ``i, f, g, o``; GRU ``r, z, n``), so a state dict moves to torch unchanged.
"""
from __future__ import annotations

import numpy as np

from scratch._checks import check_grad
from scratch.functional.activation import stable_sigmoid as sigmoid
from scratch.functional.linear import linear
from scratch.functional.recurrent.checks import check_cell_args


def rnn_tanh_cell(input: np.ndarray, hx: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                  b_ih: np.ndarray | None = None, b_hh: np.ndarray | None = None):
    """Elman RNN cell, ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (torch.rnn_tanh_cell).

    Args:
        input: ``(N, input_size)``; hx: ``(N, H)``, the previous hidden state.
        w_ih: ``(H, input_size)``; w_hh: ``(H, H)``; b_ih, b_hh: ``(H,)`` or None.

    Shape:
        h': ``(N, H)``.

    Backward:
        With ``a = gx + gh`` the pre-activation::

            da = dh' * (1 - h'^2)                                   tanh'(a) = 1 - tanh(a)^2
            dx = da W_ih      dw_ih = da^T x      db_ih = sum_N da  (gx's linear)
            dhx = da W_hh     dw_hh = da^T h      db_hh = sum_N da  (gh's linear)

        ``backward(dh')`` returns ``(dx, dhx, dw_ih, dw_hh, db_ih, db_hh)``.

    Examples:
        >>> x, h = np.ones((2, 3)), np.zeros((2, 4))
        >>> y, backward = rnn_tanh_cell(x, h, np.ones((4, 3)), np.ones((4, 4)))
        >>> y.shape, [None if g is None else g.shape for g in backward(np.ones_like(y))]
        ((2, 4), [(2, 3), (2, 4), (4, 3), (4, 4), None, None])
    """
    check_cell_args("rnn_tanh_cell", 1, input, hx, None, w_ih, w_hh, b_ih, b_hh)
    gx, x_backward = linear(input, w_ih, b_ih)  # (N, H)
    gh, h_backward = linear(hx, w_hh, b_hh)  # (N, H)
    h_new = np.tanh(gx + gh)

    def backward(dh_new):
        dh_new = check_grad("rnn_tanh_cell", dh_new, h_new)
        da = dh_new * (1 - h_new * h_new)
        dx, dw_ih, db_ih = x_backward(da)
        dhx, dw_hh, db_hh = h_backward(da)
        return dx, dhx, dw_ih, dw_hh, db_ih, db_hh

    return h_new, backward


def rnn_relu_cell(input: np.ndarray, hx: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                  b_ih: np.ndarray | None = None, b_hh: np.ndarray | None = None):
    """Elman RNN cell with relu, ``h' = max(0, x W_ih^T + b_ih + h W_hh^T + b_hh)`` (torch.rnn_relu_cell).

    Args and Shape as ``rnn_tanh_cell``.

    Backward:
        As ``rnn_tanh_cell`` with ``da = dh' * [h' > 0]`` (0 at the kink, torch's choice).
    """
    check_cell_args("rnn_relu_cell", 1, input, hx, None, w_ih, w_hh, b_ih, b_hh)
    gx, x_backward = linear(input, w_ih, b_ih)  # (N, H)
    gh, h_backward = linear(hx, w_hh, b_hh)  # (N, H)
    h_new = np.maximum(gx + gh, 0)

    def backward(dh_new):
        dh_new = check_grad("rnn_relu_cell", dh_new, h_new)
        da = dh_new * (h_new > 0)
        dx, dw_ih, db_ih = x_backward(da)
        dhx, dw_hh, db_hh = h_backward(da)
        return dx, dhx, dw_ih, dw_hh, db_ih, db_hh

    return h_new, backward


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
            da_i = dc * g * i (1 - i)                    di = dc * g, through sigmoid' = i (1 - i)
            da_f = dc * c * f (1 - f)                    df = dc * c
            da_g = dc * i * (1 - g^2)                    dg = dc * i, through tanh' = 1 - g^2
            da_o = dh' * tanh(c') * o (1 - o)            do = dh' * tanh(c')
            da   = [da_i, da_f, da_g, da_o]                                         (N, 4H)
            dcx  = dc * f                the forget-gate path: without it the memory cannot carry gradient back
            dx = da W_ih     dw_ih = da^T x     db_ih = sum_N da
            dhx = da W_hh    dw_hh = da^T h     db_hh = sum_N da

        ``backward((dh', dc'))`` returns ``(dx, dhx, dcx, dw_ih, dw_hh, db_ih, db_hh)``.

    Examples:
        >>> x, h, c = np.ones((2, 3)), np.zeros((2, 4)), np.zeros((2, 4))
        >>> (h1, c1), backward = lstm_cell(x, h, c, np.ones((16, 3)), np.ones((16, 4)))
        >>> h1.shape, c1.shape, len(backward((np.ones_like(h1), np.ones_like(c1))))
        ((2, 4), (2, 4), 7)
    """
    check_cell_args("lstm_cell", 4, input, hx, cx, w_ih, w_hh, b_ih, b_hh)
    H = hx.shape[1]
    gx, x_backward = linear(input, w_ih, b_ih)  # (N, 4H)
    gh, h_backward = linear(hx, w_hh, b_hh)  # (N, 4H)
    a = gx + gh
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:])
    c_new = f * cx + i * g
    tc = np.tanh(c_new)
    h_new = o * tc

    def backward(dy):
        dh_new = check_grad("lstm_cell", dy[0], h_new, "dh")
        dc_new = check_grad("lstm_cell", dy[1], c_new, "dc")
        dc = dc_new + dh_new * o * (1 - tc * tc)
        da_i = dc * g * (i * (1 - i))
        da_f = dc * cx * (f * (1 - f))
        da_g = dc * i * (1 - g * g)
        da_o = dh_new * tc * (o * (1 - o))
        da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)  # (N, 4H)
        dcx = dc * f
        dx, dw_ih, db_ih = x_backward(da)
        dhx, dw_hh, db_hh = h_backward(da)
        return dx, dhx, dcx, dw_ih, dw_hh, db_ih, db_hh

    return (h_new, c_new), backward


def gru_cell(input: np.ndarray, hx: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
             b_ih: np.ndarray | None = None, b_hh: np.ndarray | None = None):
    """Gated recurrent unit cell, torch's formulation (torch.gru_cell)::

        [gx_r, gx_z, gx_n] = x W_ih^T + b_ih        [gh_r, gh_z, gh_n] = h W_hh^T + b_hh     (blocks r, z, n)
        r  = sigmoid(gx_r + gh_r)      z = sigmoid(gx_z + gh_z)
        n  = tanh(gx_n + r * gh_n)     r multiplies (W_hn h + b_hn), bias included: torch's (and cuDNN's) choice
        h' = (1 - z) * n + z * h,      computed as n + z * (h - n), as torch does

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
        dx = dgx W_ih     dw_ih = dgx^T x     db_ih = sum_N dgx
        dhx = dh' * z + dgh W_hh     dw_hh = dgh^T h     db_hh = sum_N dgh

        ``backward(dh')`` returns ``(dx, dhx, dw_ih, dw_hh, db_ih, db_hh)``.
    """
    check_cell_args("gru_cell", 3, input, hx, None, w_ih, w_hh, b_ih, b_hh)
    H = hx.shape[1]
    gx, x_backward = linear(input, w_ih, b_ih)  # (N, 3H)
    gh, h_backward = linear(hx, w_hh, b_hh)  # (N, 3H)
    r = sigmoid(gx[:, :H] + gh[:, :H])
    z = sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])
    gh_n = gh[:, 2 * H:]
    n = np.tanh(gx[:, 2 * H:] + r * gh_n)
    h_new = n + z * (hx - n)

    def backward(dh_new):
        dh_new = check_grad("gru_cell", dh_new, h_new)
        da_n = dh_new * (1 - z) * (1 - n * n)
        da_z = dh_new * (hx - n) * (z * (1 - z))
        da_r = da_n * gh_n * (r * (1 - r))
        dgx = np.concatenate([da_r, da_z, da_n], axis=1)  # (N, 3H)
        dgh = np.concatenate([da_r, da_z, da_n * r], axis=1)
        dx, dw_ih, db_ih = x_backward(dgx)
        dhx, dw_hh, db_hh = h_backward(dgh)
        return dx, dh_new * z + dhx, dw_ih, dw_hh, db_ih, db_hh

    return h_new, backward
