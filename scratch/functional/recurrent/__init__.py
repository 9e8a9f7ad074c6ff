"""Recurrent layers: the cells (one time step) and the whole-sequence layers (the scan over time).

- ``cells.py``: ``rnn_tanh_cell``, ``rnn_relu_cell``, ``lstm_cell``, ``gru_cell``, each its own definition, top to
  bottom: read these first;
- ``sequences.py``: ``rnn_tanh``, ``rnn_relu``, ``lstm``, ``gru``, stacked, bidirectional, with dropout between layers
  and variable lengths: the same step arithmetic, run over time;
- ``checks.py``: argument validation, and ``param_names`` (torch's flat parameter names), which the ``scratch.nn``
  shells share.

The LSTM's numba kernels (``../_recurrent_kernels.py``) are a faster equivalent of its step, taken by ``lstm`` only
when ``scratch.fast`` says so.
"""
from scratch.functional.recurrent.cells import gru_cell, lstm_cell, rnn_relu_cell, rnn_tanh_cell
from scratch.functional.recurrent.checks import check_sequence_args, param_names
from scratch.functional.recurrent.sequences import gru, lstm, rnn_relu, rnn_tanh

__all__ = ["check_sequence_args", "gru", "gru_cell", "lstm", "lstm_cell", "param_names", "rnn_relu", "rnn_relu_cell",
           "rnn_tanh", "rnn_tanh_cell"]
