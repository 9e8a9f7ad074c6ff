"""CS231n's layouts for recurrent networks (assignment 3), converted to and from torch's.

CS231n keeps examples in rows, as torch does, but stores weights as ``(in, out)`` and multiplies on the right:

- vanilla RNN: ``next_h = tanh(x Wx + prev_h Wh + b)`` with ``Wx (D, H)``, ``Wh (H, H)``, ``b (H,)``;
- LSTM: ``a = x Wx + prev_h Wh + b`` with ``Wx (D, 4H)``, ``Wh (H, 4H)``, ``b (4H,)``, and the four gate blocks
  of ``a`` in the order **i, f, o, g**; torch stacks them **i, f, g, o** and stores the transposes
  (``weight_ih (4H, D)``).
- Sequences are ``(N, T, D)``: torch's ``batch_first=True`` layout, so no data conversion is needed.

Converting to torch puts ``b`` in ``bias_ih`` and zeros in ``bias_hh``; converting back sums them.
"""
from __future__ import annotations

import numpy as np

_CS231N_TO_TORCH = (0, 1, 3, 2)  # torch block j comes from CS231n block _CS231N_TO_TORCH[j]


def _reorder_blocks(a: np.ndarray, order, axis: int) -> np.ndarray:
    blocks = np.split(a, 4, axis=axis)
    return np.concatenate([blocks[k] for k in order], axis=axis)


def _check(layer: str, Wx, Wh, b, gates: int):
    Wx, Wh, b = np.asarray(Wx), np.asarray(Wh), np.asarray(b)
    if Wx.ndim != 2 or Wh.ndim != 2 or b.ndim != 1:
        raise ValueError(f"{layer} expected Wx (D, {gates}H), Wh (H, {gates}H), b ({gates}H,), got "
                         f"{Wx.shape}, {Wh.shape}, {b.shape}")
    H = Wh.shape[0]
    if Wh.shape != (H, gates * H) or Wx.shape[1] != gates * H or b.shape != (gates * H,):
        raise ValueError(f"{layer} expected Wx (D, {gates}H), Wh (H, {gates}H), b ({gates}H,) with H={H}, got "
                         f"{Wx.shape}, {Wh.shape}, {b.shape}")
    return Wx, Wh, b


def rnn_to_torch(Wx, Wh, b) -> dict:
    """``(Wx (D, H), Wh (H, H), b (H,))`` -> state dict of ``nn.RNN(D, H, batch_first=True)``."""
    Wx, Wh, b = _check("cs231n rnn_to_torch", Wx, Wh, b, 1)
    return {"weight_ih_l0": Wx.T.copy(), "weight_hh_l0": Wh.T.copy(), "bias_ih_l0": b.copy(),
            "bias_hh_l0": np.zeros_like(b)}


def rnn_from_torch(state: dict) -> tuple:
    """State dict of a one-layer ``nn.RNN`` -> ``(Wx, Wh, b)``."""
    return (np.asarray(state["weight_ih_l0"]).T.copy(), np.asarray(state["weight_hh_l0"]).T.copy(),
            np.asarray(state["bias_ih_l0"]) + np.asarray(state["bias_hh_l0"]))


def lstm_to_torch(Wx, Wh, b) -> dict:
    """``(Wx (D, 4H), Wh (H, 4H), b (4H,))`` with gates i, f, o, g -> state dict of ``nn.LSTM(D, H)`` (i, f, g, o)."""
    Wx, Wh, b = _check("cs231n lstm_to_torch", Wx, Wh, b, 4)
    bias = _reorder_blocks(b, _CS231N_TO_TORCH, 0)
    return {"weight_ih_l0": _reorder_blocks(Wx.T, _CS231N_TO_TORCH, 0),
            "weight_hh_l0": _reorder_blocks(Wh.T, _CS231N_TO_TORCH, 0),
            "bias_ih_l0": bias, "bias_hh_l0": np.zeros_like(bias)}


def lstm_from_torch(state: dict) -> tuple:
    """State dict of a one-layer ``nn.LSTM`` -> ``(Wx, Wh, b)`` in CS231n's i, f, o, g order."""
    # The permutation swaps two blocks, so it is its own inverse.
    w_ih = _reorder_blocks(np.asarray(state["weight_ih_l0"]), _CS231N_TO_TORCH, 0)
    w_hh = _reorder_blocks(np.asarray(state["weight_hh_l0"]), _CS231N_TO_TORCH, 0)
    b = np.asarray(state["bias_ih_l0"]) + np.asarray(state["bias_hh_l0"])
    return w_ih.T.copy(), w_hh.T.copy(), _reorder_blocks(b, _CS231N_TO_TORCH, 0)
