"""Twins of ``scratch.functional.recurrent``: torch's own recurrent functions.

The cells are ``torch.rnn_tanh_cell``, ``torch.rnn_relu_cell``, ``torch.gru_cell`` themselves. ``lstm_cell`` and the
sequence functions are thin adapters over ``torch.lstm_cell``, ``torch.rnn_tanh``, ``torch.lstm``, ... (the functions
nn.RNN/LSTM/GRU call): they only take the NumPy side's argument layout (``hx`` and ``cx`` as two arguments, None for a
zero state, ``lengths`` for a padded batch) and return torch's results; every number is computed by torch.
"""
from __future__ import annotations

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

rnn_tanh_cell = torch.rnn_tanh_cell
rnn_relu_cell = torch.rnn_relu_cell
gru_cell = torch.gru_cell


def lstm_cell(input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None):
    """``torch.lstm_cell`` with ``(hx, cx)`` as two arguments; returns ``(h', c')``."""
    return torch.lstm_cell(input, (hx, cx), w_ih, w_hh, b_ih, b_hh)


def _recurrent(fn, has_cell, input, hx, cx, params, bias, num_layers, dropout, training, bidirectional, batch_first,
               lengths):
    D = 2 if bidirectional else 1
    N = input.shape[0] if batch_first else input.shape[1]
    H = params[1].shape[1]
    zeros = input.new_zeros((num_layers * D, N, H))
    state = (hx if hx is not None else zeros, cx if cx is not None else zeros) if has_cell else \
        (hx if hx is not None else zeros)
    params = list(params)
    if lengths is None:
        out = fn(input, (list(state) if has_cell else state), params, bias, num_layers, dropout, training,
                 bidirectional, batch_first)
        return (out[0], (out[1], out[2])) if has_cell else (out[0], out[1])
    # What nn.LSTM does with a PackedSequence: sort the batch by length, run the packed kernel, unsort.
    T = input.shape[1] if batch_first else input.shape[0]
    packed = pack_padded_sequence(input, torch.as_tensor(lengths).cpu(), batch_first=batch_first,
                                  enforce_sorted=False)
    sort, unsort = packed.sorted_indices, packed.unsorted_indices
    state = [s.index_select(1, sort) for s in state] if has_cell else state.index_select(1, sort)
    out = fn(packed.data, packed.batch_sizes, state, params, bias, num_layers, dropout, training, bidirectional)
    output, _ = pad_packed_sequence(packed._replace(data=out[0]), batch_first=batch_first, total_length=T)
    if has_cell:
        return output, (out[1].index_select(1, unsort), out[2].index_select(1, unsort))
    return output, out[1].index_select(1, unsort)


def rnn_tanh(input, hx, params, bias=True, num_layers=1, dropout=0.0, training=True, bidirectional=False,
             batch_first=False, lengths=None):
    return _recurrent(torch.rnn_tanh, False, input, hx, None, params, bias, num_layers, dropout, training,
                      bidirectional, batch_first, lengths)


def rnn_relu(input, hx, params, bias=True, num_layers=1, dropout=0.0, training=True, bidirectional=False,
             batch_first=False, lengths=None):
    return _recurrent(torch.rnn_relu, False, input, hx, None, params, bias, num_layers, dropout, training,
                      bidirectional, batch_first, lengths)


def gru(input, hx, params, bias=True, num_layers=1, dropout=0.0, training=True, bidirectional=False,
        batch_first=False, lengths=None):
    return _recurrent(torch.gru, False, input, hx, None, params, bias, num_layers, dropout, training,
                      bidirectional, batch_first, lengths)


def lstm(input, hx, cx, params, bias=True, num_layers=1, dropout=0.0, training=True, bidirectional=False,
         batch_first=False, lengths=None):
    return _recurrent(torch.lstm, True, input, hx, cx, params, bias, num_layers, dropout, training, bidirectional,
                      batch_first, lengths)


__all__ = ["gru", "gru_cell", "lstm", "lstm_cell", "rnn_relu", "rnn_relu_cell", "rnn_tanh", "rnn_tanh_cell"]
