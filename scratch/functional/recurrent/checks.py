"""Validation of the recurrent functions' arguments, and torch's flat parameter names.

Every check raises with the layer's name first (``lstm_cell expected w_ih of shape (8, 3) ...``). The ``scratch.nn``
shells call ``check_sequence_args`` under their own names (``LSTM expected ...``) before the functional call.
"""
from __future__ import annotations

import numbers

import numpy as np

from scratch._checks import check_float, check_int_array, fmt_shape


def check_cell_args(layer: str, gates: int, x, hx, cx, w_ih, w_hh, b_ih, b_hh) -> None:
    """One step's arguments: ``x (N, I)``, ``hx`` (and ``cx``, for the LSTM) ``(N, H)``, ``w_ih (G*H, I)``,
    ``w_hh (G*H, H)``, ``b_ih``, ``b_hh`` ``(G*H,)`` or None, all of one float dtype. ``gates`` is G (1, 3 or 4)."""
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
    if GH != gates * H:
        raise ValueError(f"{layer} expected w_hh of shape ({gates} * hidden_size, hidden_size), "
                         f"got {fmt_shape(w_hh.shape)}")
    N, I = x.shape
    if w_ih.shape != (GH, I):
        raise ValueError(f"{layer} expected w_ih of shape {fmt_shape((GH, I))} (input of shape (N, {I}) and "
                         f"hidden_size {H}), got {fmt_shape(w_ih.shape)}")
    states = (("hx", hx), ("cx", cx)) if gates == 4 else (("hx", hx),)  # the LSTM (4 gates) also carries c
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


def param_names(num_layers: int, bias: bool = True, bidirectional: bool = False) -> list[str]:
    """torch's flat parameter names in torch's order: for each layer, each direction: w_ih, w_hh, b_ih, b_hh."""
    names = []
    for layer in range(num_layers):
        for suffix in ("", "_reverse")[:2 if bidirectional else 1]:
            kinds = ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if bias else ("weight_ih", "weight_hh")
            names += [f"{k}_l{layer}{suffix}" for k in kinds]
    return names


def check_lengths(layer: str, lengths, N: int, T: int) -> np.ndarray:
    """``lengths`` as an int array of shape ``(N,)`` with every value in ``[1, T]``."""
    if not isinstance(lengths, np.ndarray):
        try:
            lengths = np.asarray(lengths)
        except (TypeError, ValueError):
            raise TypeError(f"{layer} expected lengths to be a sequence of ints, "
                            f"got {type(lengths).__name__}") from None
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


def check_dropout_masks(layer: str, dropout_masks, num_layers: int) -> None:
    """None, or one dropout keep-mask between each pair of layers."""
    if dropout_masks is not None and len(dropout_masks) != num_layers - 1:
        raise ValueError(f"{layer} expected {num_layers - 1} dropout masks (one between each pair of layers), "
                         f"got {len(dropout_masks)}")


def check_sequence_args(layer: str, gates: int, input, hx, cx, params, bias: bool, num_layers: int,
                        bidirectional: bool, batch_first: bool, lengths):
    """Validate a whole-sequence call; return ``(T, N, H, lengths as an array or None)``.

    ``gates`` is G, the gate blocks stacked in ``weight_ih``/``weight_hh`` (1 for the Elman RNNs, 4 LSTM, 3 GRU);
    ``cx`` is the LSTM's initial cell state (None otherwise, or for zeros).
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
    if params[1].ndim != 2 or GH != gates * H:
        raise ValueError(f"{layer} expected weight_hh_l0 of shape ({gates} * hidden_size, hidden_size), "
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
    for name, s in (("h0", hx), ("c0", cx)):
        if s is None:
            continue
        check_float(layer, name, s)
        if s.dtype != input.dtype:
            raise TypeError(f"{layer} expected {name} of dtype {input.dtype} like the input, got {s.dtype}")
        if s.shape != (num_layers * D, N, H):
            raise ValueError(f"{layer} expected {name} of shape {fmt_shape((num_layers * D, N, H))} "
                             f"(num_layers * num_directions, N, hidden_size), got {fmt_shape(s.shape)}")
    if lengths is not None:
        lengths = check_lengths(layer, lengths, N, T)
    return T, N, H, lengths
