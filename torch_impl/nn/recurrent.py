"""Twins of ``scratch.nn.recurrent``: torch.nn's own modules.

torch's sequence modules take a ``PackedSequence`` where the NumPy side takes ``lengths``; the parity tests pack
and unpack around them (``pack_padded_sequence(..., enforce_sorted=False)``, ``pad_packed_sequence``).
"""
from torch.nn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell"]
