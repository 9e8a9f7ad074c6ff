"""Recurrent layer shells: ``RNNCell``, ``LSTMCell``, ``GRUCell``, ``RNN``, ``LSTM``, ``GRU``.

torch.nn's class names, constructor signatures, parameter names, shapes and initialisation (every weight and bias
U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))), so state dicts move both ways unchanged. The arithmetic, and the
derivation of every gradient, live in ``scratch.functional.recurrent``.

Calling a module returns ``(y, backward)`` with ``y`` exactly torch's structure: ``h'`` (RNNCell, GRUCell),
``(h', c')`` (LSTMCell), ``(output, h_n)`` (RNN, GRU), ``(output, (h_n, c_n))`` (LSTM). ``backward(dy)`` takes ``dy``
with the same nested structure, accumulates every parameter's ``.grad`` and returns ``dx`` when the module was called
without an initial state, or ``(dx, dhx)`` when it was given one (``dhx`` mirrors ``hx``: an array, or ``(dh0, dc0)``
for the LSTMs), so that an encoder's final state can receive its gradient from a decoder.

Variable-length batches: the sequence modules take ``lengths`` (one int per sequence) where torch takes a
``PackedSequence``; outputs, states and gradients equal torch's ``pack_padded_sequence(..., enforce_sorted=False)``
path unpacked with ``pad_packed_sequence``.
"""
from __future__ import annotations

import math

import numpy as np

from scratch import functional as F
from scratch.functional.dropout import check_dropout_p
from scratch.functional.recurrent import check_sequence_args, param_names
from scratch.nn import init
from scratch.nn.module import Module, Parameter, accumulate_grad


def _init_uniform(module: Module, hidden_size: int, rng) -> None:
    """torch's reset_parameters for every recurrent layer: all parameters U(-1/sqrt(H), 1/sqrt(H))."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for p in module.parameters():
        init.uniform_(p, -bound, bound, rng)


def _check_device(layer: str, device) -> None:
    if device not in (None, "cpu"):
        raise ValueError(f"{layer} runs on NumPy arrays: device must be None or 'cpu', got {device!r}")


class _CellBase(Module):
    """Shared by the three cells (torch's RNNCellBase): parameters, initial state, the backward wrapper."""

    _gates = 1  # gate blocks stacked in the weights: 1 (RNNCell), 3 (GRUCell), 4 (LSTMCell)

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=np.float32, rng=None):
        super().__init__()
        _check_device(type(self).__name__, device)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        G = self._gates
        self.weight_ih = Parameter(np.empty((G * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((G * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(np.empty(G * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(np.empty(G * hidden_size, dtype=dtype))
        else:
            self.bias_ih = self.bias_hh = None
        _init_uniform(self, hidden_size, rng)

    def _run(self, fn, x, states, given: bool):
        layer = type(self).__name__
        if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != self.input_size:
            got = tuple(x.shape) if isinstance(x, np.ndarray) else type(x).__name__
            raise ValueError(f"{layer} expected input of shape (N, {self.input_size}), got {got}"
                             + (": unbatched input is not supported, add a batch dim"
                                if isinstance(x, np.ndarray) and x.ndim == 1 else ""))
        N = x.shape[0]
        names = ("hx", "cx") if len(states) == 2 else ("hx",)
        for name, s in zip(names, states):
            if s is not None and (not isinstance(s, np.ndarray) or s.shape != (N, self.hidden_size)):
                got = tuple(s.shape) if isinstance(s, np.ndarray) else type(s).__name__
                raise ValueError(f"{layer} expected {name} of shape ({N}, {self.hidden_size}), got {got}")
        states = [np.zeros((N, self.hidden_size), x.dtype) if s is None else s for s in states]
        y, backward = fn(x, *states, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        k = len(states)

        def cell_backward(dy):
            grads = backward(dy)
            for p, g in zip((self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh), grads[1 + k:]):
                accumulate_grad(p, g)
            if not given:
                return grads[0]
            return grads[0], (grads[1] if k == 1 else tuple(grads[1:1 + k]))

        return y, cell_backward

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(_CellBase):
    """Elman RNN cell, ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu), torch.nn.RNNCell.

    Args:
        input_size, hidden_size: feature sizes of x and h.
        bias: learn ``bias_ih`` and ``bias_hh`` (default True).
        nonlinearity: ``'tanh'`` or ``'relu'``.
        device: accepted for torch's signature; only None or ``'cpu'``.
        dtype: parameter dtype (float32 by default); rng: ``numpy.random.Generator`` for the initial weights.

    Attributes:
        weight_ih: ``(H, input_size)``; weight_hh: ``(H, H)``; bias_ih, bias_hh: ``(H,)`` or None.
        All U(-1/sqrt(H), 1/sqrt(H)).

    Shape:
        input ``(N, input_size)``; hx ``(N, H)`` or None (zeros); output h' ``(N, H)``.

    Backward:
        See ``scratch.functional.rnn_tanh_cell``. ``backward(dh')`` returns dx, or ``(dx, dhx)`` if hx was given.

    Examples:
        >>> cell = RNNCell(3, 4)
        >>> h, backward = cell(np.ones((2, 3), dtype=np.float32))
        >>> h.shape, backward(np.ones_like(h)).shape, cell.weight_hh.grad.shape
        ((2, 4), (2, 3), (4, 4))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=np.float32, rng=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell expected nonlinearity 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, device, dtype, rng)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        fn = F.rnn_tanh_cell if self.nonlinearity == "tanh" else F.rnn_relu_cell
        return self._run(fn, input, [hx], hx is not None)


class GRUCell(_CellBase):
    """Gated recurrent unit cell, torch.nn.GRUCell (gates r, z, n; see ``scratch.functional.gru_cell``).

    Args, Shape, Backward: as ``RNNCell`` (no nonlinearity); weights ``(3H, input_size)``, ``(3H, H)``.
    """

    _gates = 3

    def forward(self, input, hx=None):
        return self._run(F.gru_cell, input, [hx], hx is not None)


class LSTMCell(_CellBase):
    """Long short-term memory cell, torch.nn.LSTMCell (gates i, f, g, o; see ``scratch.functional.lstm_cell``).

    Args: as ``RNNCell`` (no nonlinearity); weights ``(4H, input_size)``, ``(4H, H)``, biases ``(4H,)``.

    Shape:
        input ``(N, input_size)``; hx ``(h, c)`` each ``(N, H)``, or None (zeros); returns ``(h', c')``.

    Backward:
        ``backward((dh', dc'))`` returns dx, or ``(dx, (dh, dc))`` if hx was given.
    """

    _gates = 4

    def forward(self, input, hx=None):
        if hx is None:
            return self._run(F.lstm_cell, input, [None, None], False)
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"LSTMCell expected hx to be a tuple (h, c), got {type(hx).__name__}")
        return self._run(F.lstm_cell, input, list(hx), True)


class _RNNBase(Module):
    """Shared by RNN, LSTM and GRU (torch's RNNBase): the flat parameters in torch's order, and the call."""

    _gates = None  # gate blocks stacked in the weights: 1 (RNN), 4 (LSTM), 3 (GRU)
    _has_cell = False  # the LSTM also carries c
    _fn = None  # the scratch.functional sequence function

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=np.float32, rng=None):
        super().__init__()
        layer = type(self).__name__
        _check_device(layer, device)
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(f"{layer} expected num_layers >= 1, got {num_layers!r}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = check_dropout_p(layer, dropout)
        self.bidirectional = bidirectional
        G = self._gates
        D = 2 if bidirectional else 1
        self._flat_weights_names = param_names(num_layers, bias, bidirectional)  # torch's attribute name
        for name in self._flat_weights_names:
            kind, rest = name.split("_l")
            layer_in = input_size if rest.split("_")[0] == "0" else D * hidden_size
            shape = {"weight_ih": (G * hidden_size, layer_in), "weight_hh": (G * hidden_size, hidden_size),
                     "bias_ih": (G * hidden_size,), "bias_hh": (G * hidden_size,)}[kind]
            setattr(self, name, Parameter(np.empty(shape, dtype=dtype)))
        _init_uniform(self, hidden_size, rng)

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    def forward(self, input, hx=None, lengths=None, dropout_masks=None, rng=None):
        """Run the whole sequence; ``lengths`` for a padded batch, ``dropout_masks``/``rng`` for the dropout between
        layers (training only)."""
        layer = type(self).__name__
        has_cell = self._has_cell
        if has_cell and hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"{layer} expected hx to be a tuple (h0, c0), got {type(hx).__name__}")
        h0, c0 = (hx if hx is not None else (None, None)) if has_cell else (hx, None)
        params = self._flat_weights
        check_sequence_args(layer, self._gates, input, h0, c0, params, self.bias, self.num_layers,
                            self.bidirectional, self.batch_first, lengths)
        args = (input, h0, c0, params) if has_cell else (input, h0, params)
        y, backward = self._fn(*args, bias=self.bias, num_layers=self.num_layers, dropout=self.dropout,
                                     training=self.training, bidirectional=self.bidirectional,
                                     batch_first=self.batch_first, lengths=lengths, dropout_masks=dropout_masks,
                                     rng=rng)

        def rnn_backward(dy):
            grads = backward(dy)
            for p, g in zip(params, grads[-1]):
                accumulate_grad(p, g)
            if hx is None:
                return grads[0]
            return grads[0], (tuple(grads[1:3]) if has_cell else grads[1])

        return y, rnn_backward

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(_RNNBase):
    """Elman RNN over a sequence, ``h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh)`` (or relu), torch.nn.RNN.

    Args:
        input_size, hidden_size: feature sizes of x and h.
        num_layers: stacked layers; layer l > 0 reads layer l - 1's output.
        nonlinearity: ``'tanh'`` or ``'relu'``.
        bias: learn ``bias_ih_l*`` and ``bias_hh_l*`` (default True).
        batch_first: input and output are ``(N, T, *)`` instead of ``(T, N, *)`` (states stay ``(L*D, N, H)``).
        dropout: dropout on the output of every layer but the last, in training only.
        bidirectional: add a reverse-time direction per layer (``*_reverse`` parameters); outputs concatenated.
        device: accepted for torch's signature; only None or ``'cpu'``.
        dtype: parameter dtype (float32 by default); rng: ``numpy.random.Generator`` for the initial weights.

    Attributes:
        weight_ih_l[k]: ``(H, input_size)`` for k = 0, ``(H, num_directions * H)`` above;
        weight_hh_l[k]: ``(H, H)``; bias_ih_l[k], bias_hh_l[k]: ``(H,)``; the same with ``_reverse`` for the
        reverse direction. All U(-1/sqrt(H), 1/sqrt(H)), torch's init.

    Shape:
        input ``(T, N, input_size)``; hx ``(num_layers * num_directions, N, H)`` or None; returns
        ``(output, h_n)``, output ``(T, N, num_directions * H)``;
        lengths: None or ``(N,)`` ints in [1, T] (padded steps give 0 output and no gradient).

    Backward:
        See ``scratch.functional.rnn_tanh`` (backpropagation through time). ``backward(dy)``, ``dy`` shaped like the
        output structure, accumulates every parameter's ``.grad`` and returns dx, or ``(dx, dhx)`` if hx was given.

    Examples:
        >>> rnn = RNN(3, 4, num_layers=2)
        >>> (out, h_n), backward = rnn(np.ones((5, 2, 3), dtype=np.float32))
        >>> out.shape, h_n.shape, backward((np.ones_like(out), np.ones_like(h_n))).shape
        ((5, 2, 4), (2, 2, 4), (5, 2, 3))
    """

    _gates = 1
    _fn = staticmethod(F.rnn_tanh)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=np.float32, rng=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN expected nonlinearity 'tanh' or 'relu', got {nonlinearity!r}")
        if nonlinearity == "relu":
            # A per-instance choice of function: set before the base's Module.__init__ (same parameters either way).
            object.__setattr__(self, "_fn", F.rnn_relu)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device,
                         dtype, rng)
        self.nonlinearity = nonlinearity


class LSTM(_RNNBase):
    """LSTM over a sequence, torch.nn.LSTM; each step ``scratch.functional.lstm_cell``.

    Args: as ``RNN`` (no nonlinearity); ``proj_size`` is not implemented (only 0).

    Attributes:
        As ``RNN``'s with four gate blocks in torch's order i, f, g, o: weight_ih_l[k] ``(4H, input_size)`` for
        k = 0, ``(4H, num_directions * H)`` above; weight_hh_l[k] ``(4H, H)``; bias_ih_l[k], bias_hh_l[k] ``(4H,)``.

    Shape:
        As ``RNN``'s, with hx ``(h0, c0)`` each ``(num_layers * num_directions, N, H)``, or None; returns
        ``(output, (h_n, c_n))``.

    Backward:
        See ``scratch.functional.lstm``. ``backward(dy)``, ``dy`` shaped like the output structure, accumulates every
        parameter's ``.grad`` and returns dx, or ``(dx, (dh0, dc0))`` if hx was given.

    Examples:
        >>> lstm = LSTM(3, 4, bidirectional=True, batch_first=True)
        >>> (out, (h_n, c_n)), backward = lstm(np.ones((2, 5, 3), dtype=np.float32), lengths=[5, 2])
        >>> out.shape, h_n.shape, backward((np.ones_like(out), (np.ones_like(h_n), np.ones_like(c_n)))).shape
        ((2, 5, 8), (2, 2, 4), (2, 5, 3))
    """

    _gates = 4
    _has_cell = True
    _fn = staticmethod(F.lstm)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=np.float32, rng=None):
        if proj_size != 0:
            raise NotImplementedError(f"LSTM: proj_size={proj_size} is not implemented here (only 0)")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device,
                         dtype, rng)
        self.proj_size = 0


class GRU(_RNNBase):
    """GRU over a sequence, torch.nn.GRU; each step ``scratch.functional.gru_cell``.

    Args, Shape: as ``RNN`` (no nonlinearity). Attributes: as ``RNN``'s with three gate blocks in torch's order
    r, z, n: weight_ih_l[k] ``(3H, input_size)`` (``(3H, num_directions * H)`` above), weight_hh_l[k] ``(3H, H)``,
    biases ``(3H,)``.

    Backward:
        See ``scratch.functional.gru``. ``backward(dy)`` accumulates every parameter's ``.grad`` and returns dx, or
        ``(dx, dhx)`` if hx was given.
    """

    _gates = 3
    _fn = staticmethod(F.gru)
