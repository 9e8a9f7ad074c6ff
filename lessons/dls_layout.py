"""The Deep Learning Specialization's layouts for recurrent networks, converted to and from torch's.

The course (Course 5, week 1) keeps examples in columns and time last, and names each weight by what it multiplies:

- a sequence ``x`` is ``(n_x, m, T_x)``; hidden states ``a`` are ``(n_a, m, T_x)``;
- the RNN's parameters are ``Wax (n_a, n_x)``, ``Waa (n_a, n_a)``, ``ba (n_a, 1)`` and the output layer's
  ``Wya (n_y, n_a)``, ``by (n_y, 1)``: ``a_next = tanh(Waa a_prev + Wax x_t + ba)``, ``y_t = softmax(Wya a_next + by)``;
- the LSTM's gates each have one weight over the stacked ``concat = [a_prev; x_t]`` (hidden state FIRST):
  ``Wf, Wi, Wc, Wo`` of shape ``(n_a, n_a + n_x)`` and biases ``bf, bi, bc, bo`` of shape ``(n_a, 1)``, with
  ``c_next = f * c_prev + i * tanh(Wc concat + bc)`` and ``a_next = o * tanh(c_next)``; output ``Wy (n_y, n_a)``,
  ``by``.

torch keeps rows as examples and time first (``(T, N, features)``), splits each gate's weight into the part that
multiplies the input (``weight_ih``) and the part that multiplies the hidden state (``weight_hh``), stacks the LSTM's
gates in the order ``i, f, g, o`` (the course's ``c`` candidate is torch's ``g``), and has two biases per layer,
``bias_ih`` and ``bias_hh``, which only ever appear summed.

Converting to torch puts the course's bias in ``bias_ih`` and zeros in ``bias_hh``. Converting back sums them: the
split between the two is not recoverable, and never matters, since the network computes with the sum.
"""
from __future__ import annotations

import numpy as np

_LSTM_GATES = ("i", "f", "c", "o")  # torch's order i, f, g, o in the course's letters


def _need(layer: str, params: dict, shapes: dict) -> None:
    missing = [k for k in shapes if k not in params]
    if missing:
        raise KeyError(f"{layer} expected course parameters {sorted(shapes)}, missing {missing}")
    for k, shape in shapes.items():
        if np.shape(params[k]) != shape:
            raise ValueError(f"{layer} expected {k} of shape {shape}, got {np.shape(params[k])}")


def sequence_to_torch(x: np.ndarray) -> np.ndarray:
    """``(n_x, m, T_x)`` -> torch's ``(T_x, m, n_x)`` (a transposed view; copy it if you will write to it)."""
    if x.ndim != 3:
        raise ValueError(f"sequence_to_torch expected x of shape (n_x, m, T_x), got {x.shape}")
    return x.transpose(2, 1, 0)


def sequence_from_torch(x: np.ndarray) -> np.ndarray:
    """torch's ``(T, m, n)`` -> the course's ``(n, m, T)``."""
    if x.ndim != 3:
        raise ValueError(f"sequence_from_torch expected an array of shape (T, m, n), got {x.shape}")
    return x.transpose(2, 1, 0)


def rnn_to_torch(parameters: dict) -> tuple[dict, dict]:
    """Course RNN parameters -> (state dict of ``nn.RNN(n_x, n_a)``, state dict of the head ``nn.Linear(n_a, n_y)``)."""
    n_a, n_x = np.shape(parameters.get("Wax", np.empty((0, 0))))
    n_y = np.shape(parameters.get("Wya", np.empty((0, 0))))[0]
    _need("dls rnn_to_torch", parameters, {"Wax": (n_a, n_x), "Waa": (n_a, n_a), "ba": (n_a, 1),
                                           "Wya": (n_y, n_a), "by": (n_y, 1)})
    ba = parameters["ba"][:, 0]
    rnn = {"weight_ih_l0": parameters["Wax"].copy(), "weight_hh_l0": parameters["Waa"].copy(),
           "bias_ih_l0": ba.copy(), "bias_hh_l0": np.zeros_like(ba)}
    head = {"weight": parameters["Wya"].copy(), "bias": parameters["by"][:, 0].copy()}
    return rnn, head


def rnn_from_torch(rnn_state: dict, head_state: dict) -> dict:
    """Inverse of ``rnn_to_torch`` (one layer, one direction); ``ba`` is ``bias_ih + bias_hh``."""
    return {"Wax": np.array(rnn_state["weight_ih_l0"]), "Waa": np.array(rnn_state["weight_hh_l0"]),
            "ba": (np.asarray(rnn_state["bias_ih_l0"]) + np.asarray(rnn_state["bias_hh_l0"]))[:, None],
            "Wya": np.array(head_state["weight"]), "by": np.asarray(head_state["bias"])[:, None].copy()}


def lstm_to_torch(parameters: dict) -> tuple[dict, dict]:
    """Course LSTM parameters -> (state dict of ``nn.LSTM(n_x, n_a)``, state dict of ``nn.Linear(n_a, n_y)``).

    Each course gate weight ``W (n_a, n_a + n_x)`` acts on ``[a_prev; x_t]``: its first ``n_a`` columns become the
    gate's block of ``weight_hh``, the rest its block of ``weight_ih``; blocks are stacked i, f, g(=c), o.
    """
    n_a, n_ax = np.shape(parameters.get("Wf", np.empty((0, 0))))
    n_x = n_ax - n_a
    n_y = np.shape(parameters.get("Wy", np.empty((0, 0))))[0]
    shapes = {f"W{g}": (n_a, n_a + n_x) for g in _LSTM_GATES}
    shapes.update({f"b{g}": (n_a, 1) for g in _LSTM_GATES})
    shapes.update({"Wy": (n_y, n_a), "by": (n_y, 1)})
    _need("dls lstm_to_torch", parameters, shapes)
    W = [parameters[f"W{g}"] for g in _LSTM_GATES]
    b = np.concatenate([parameters[f"b{g}"][:, 0] for g in _LSTM_GATES])
    lstm = {"weight_ih_l0": np.concatenate([w[:, n_a:] for w in W]),  # (4 n_a, n_x)
            "weight_hh_l0": np.concatenate([w[:, :n_a] for w in W]),  # (4 n_a, n_a)
            "bias_ih_l0": b, "bias_hh_l0": np.zeros_like(b)}
    head = {"weight": parameters["Wy"].copy(), "bias": parameters["by"][:, 0].copy()}
    return lstm, head


def lstm_from_torch(lstm_state: dict, head_state: dict) -> dict:
    """Inverse of ``lstm_to_torch`` (one layer, one direction)."""
    w_ih, w_hh = np.asarray(lstm_state["weight_ih_l0"]), np.asarray(lstm_state["weight_hh_l0"])
    n_a = w_hh.shape[1]
    b = np.asarray(lstm_state["bias_ih_l0"]) + np.asarray(lstm_state["bias_hh_l0"])
    out = {}
    for k, g in enumerate(_LSTM_GATES):
        rows = slice(k * n_a, (k + 1) * n_a)
        out[f"W{g}"] = np.concatenate([w_hh[rows], w_ih[rows]], axis=1)
        out[f"b{g}"] = b[rows][:, None].copy()
    out["Wy"] = np.array(head_state["weight"])
    out["by"] = np.asarray(head_state["bias"])[:, None].copy()
    return out
