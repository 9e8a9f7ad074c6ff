"""RNN, LSTM and GRU, cells and whole sequences: parity with torch, gradcheck, state_dict layout, bad input.

What parity covers: every output (output, h_n, c_n) and every gradient (input, initial states, every weight) for
random upstream gradients on all outputs together; stacked, bidirectional, batch_first, with and without bias and
initial states; variable lengths against torch's packed path (pack_padded_sequence(enforce_sorted=False), unpacked
with pad_packed_sequence). Dropout between layers: in eval mode against torch's module; in training, with given
masks, against a stack of one-layer torch modules with the same masks applied between them (torch cannot take a
mask, and its own draws cannot be reproduced in NumPy).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import scratch.functional as F
import scratch.nn as nn
import torch_impl.functional as TF
import torch_impl.nn as tnn
from parity_tests.harness import (
    assert_close,
    check_function,
    check_gradcheck,
    check_module,
    check_state_dict_layout,
    torch_dtype,
)
from parity_tests.strategies import GRADCHECK_KINDS, KINDS, WELL_CONDITIONED, cast, float_arrays, seeds
from scratch import fast
from scratch.functional.recurrent import param_names
from scratch.gradcheck import _flatten, random_like_output
from torch_impl.state import copy_weights

DTYPES = [np.float64, np.float32]
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}
small = st.integers(1, 5)
steps = st.integers(1, 6)


# ---------------------------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------------------------

@st.composite
def cell_case(draw, kind, dtype, kinds=KINDS, max_side=5):
    """(x, hx, [cx,] w_ih, w_hh, b_ih, b_hh) for one cell step. Weights are well-conditioned (a recurrent layer
    with 1e3-wide weights is saturated everywhere, which tests nothing); x, states and biases of any kind."""
    N, I, H = (draw(st.integers(1, max_side)) for _ in range(3))
    G = GATES[kind]
    x = draw(float_arrays((N, I), dtype, kinds))
    states = [draw(float_arrays((N, H), dtype, kinds)) for _ in range(2 if kind == "lstm" else 1)]
    wkinds = tuple(k for k in kinds if k in WELL_CONDITIONED + GRADCHECK_KINDS)
    w_ih = draw(float_arrays((G * H, I), dtype, wkinds))
    w_hh = draw(float_arrays((G * H, H), dtype, wkinds))
    bias = draw(st.booleans())
    b_ih = draw(float_arrays((G * H,), dtype, kinds)) if bias else None
    b_hh = draw(float_arrays((G * H,), dtype, kinds)) if bias else None
    return (x, *states, w_ih, w_hh, b_ih, b_hh)


@st.composite
def sequence_case(draw, kind, dtype, kinds=KINDS, max_side=5, max_steps=6, max_layers=2):
    """A whole-sequence call: (x, h0, c0, params, options) with options the keyword arguments."""
    T = draw(st.integers(1, max_steps))
    N, I, H = (draw(st.integers(1, max_side)) for _ in range(3))
    L = draw(st.integers(1, max_layers))
    bidirectional, batch_first, bias = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    D = 2 if bidirectional else 1
    G = GATES[kind]
    x = draw(float_arrays((N, T, I) if batch_first else (T, N, I), dtype, kinds))
    given_state = draw(st.booleans())
    h0 = draw(float_arrays((L * D, N, H), dtype, kinds)) if given_state else None
    c0 = draw(float_arrays((L * D, N, H), dtype, kinds)) if given_state and kind == "lstm" else None
    wkinds = tuple(k for k in kinds if k in WELL_CONDITIONED + GRADCHECK_KINDS)
    if kind == "rnn_relu":
        # Small-integer weights carry a step's non-integer bias into the next step and cancel it there to a
        # pre-activation of exactly 0 or one rounding away (relu's kink): in float32 that rounding then decides,
        # differently on each side, whether a whole gradient path is open.
        wkinds = tuple(k for k in wkinds if k != "ties")
    params = []
    for name in param_names(L, bias, bidirectional):
        layer_in = I if "_l0" in name else D * H
        shape = {"weight_ih": (G * H, layer_in), "weight_hh": (G * H, H)}.get(name.split("_l")[0], (G * H,))
        params.append(draw(float_arrays(shape, dtype, wkinds)) * dtype(0.5))  # 0.5: keep deep stacks unsaturated
    lengths = draw(st.one_of(st.none(), st.lists(st.integers(1, T), min_size=N, max_size=N).map(np.array)))
    options = dict(bias=bias, num_layers=L, bidirectional=bidirectional, batch_first=batch_first, lengths=lengths)
    return x, h0, c0, params, options


def _astype(a, dtype):
    return None if a is None else cast(a, dtype)


def parity_kinds(dtype):
    """float64 parity draws every kind. float32 draws only well-conditioned ones: a 1e3-wide input or state drives
    the gates deep into saturation, where sigmoid'(a) ~ 1e-5 rests on the last bits of a pre-activation rounded
    at 1e3 scale, and two correct implementations differ by more than float32's row of the table allows."""
    return KINDS if dtype == np.float64 else WELL_CONDITIONED


# ---------------------------------------------------------------------------------------------------------------
# Cells (functional)
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["rnn_tanh_cell", "rnn_relu_cell", "gru_cell"])
@given(data=st.data(), seed=seeds)
def test_rnn_and_gru_cell_match_torch(dtype, name, data, seed):
    case = data.draw(cell_case(name.replace("_cell", ""), np.float64, parity_kinds(dtype)))
    check_function(name, getattr(F, name), getattr(TF, name), [_astype(a, dtype) for a in case], seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), seed=seeds)
def test_lstm_cell_matches_torch(dtype, data, seed):
    case = data.draw(cell_case("lstm", np.float64, parity_kinds(dtype)))
    check_function("lstm_cell", F.lstm_cell, TF.lstm_cell, [_astype(a, dtype) for a in case], seed=seed)


@pytest.mark.parametrize("name", ["rnn_tanh_cell", "gru_cell", "lstm_cell"])
@given(data=st.data(), seed=seeds)
def test_cells_gradcheck(name, data, seed):
    case = data.draw(cell_case(name.replace("_cell", ""), np.float64, GRADCHECK_KINDS))
    check_gradcheck(name, getattr(F, name), *case, seed=seed)


@given(N=small, I=small, H=small, seed=seeds)
def test_rnn_relu_cell_gradcheck(N, I, H, seed):
    # relu has a kink at 0: positive inputs, states and weights keep every pre-activation >= 0.1 * 0.1 away from it
    rng = np.random.default_rng(seed)
    case = [rng.uniform(0.1, 1.0, s) for s in ((N, I), (N, H), (H, I), (H, H), (H,), (H,))]
    check_gradcheck("rnn_relu_cell", F.rnn_relu_cell, *case, seed=seed)


# ---------------------------------------------------------------------------------------------------------------
# Whole sequences (functional)
# ---------------------------------------------------------------------------------------------------------------

def _flat_fn(fn, kind, options):
    """``fn`` with the params list splatted, so that every array is a positional argument with its own gradient."""
    def np_side(x, h0, c0, *params):
        args = (x, h0, c0, list(params)) if kind == "lstm" else (x, h0, list(params))
        y, backward = fn(*args, **options)

        def flat_backward(dy):
            grads = backward(dy)
            dx, dstates, dparams = grads[0], grads[1:-1], grads[-1]
            return (dx, *dstates, *((None,) if kind != "lstm" else ()), *dparams)

        return y, flat_backward
    return np_side


def _flat_twin(fn, kind, options):
    def torch_side(x, h0, c0, *params):
        args = (x, h0, c0, list(params)) if kind == "lstm" else (x, h0, list(params))
        return fn(*args, **options)
    return torch_side


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", list(GATES))
@given(data=st.data(), seed=seeds)
def test_sequence_matches_torch(dtype, kind, data, seed):
    x, h0, c0, params, options = data.draw(sequence_case(kind, np.float64, parity_kinds(dtype)))
    inputs = [_astype(a, dtype) for a in (x, h0, c0, *params)]
    check_function(kind, _flat_fn(getattr(F, kind), kind, options), _flat_twin(getattr(TF, kind), kind, options),
                   inputs, seed=seed)


def _edge(kind, T=1, N=1, I=1, H=1, state=None):
    """Sequence length 1, batch 1, hidden 1 (defaults); state 'zeros' passes an all-zero h0 (and c0) explicitly."""
    G = GATES[kind]
    params = [np.full((G * H, I), 0.5), np.full((G * H, H), -0.4), np.full(G * H, 0.1), np.full(G * H, 0.2)]
    h0 = None if state is None else np.zeros((1, N, H))
    c0 = h0 if kind == "lstm" else None
    options = dict(bias=True, num_layers=1, bidirectional=False, batch_first=False, lengths=None)
    return np.linspace(-1, 1, T * N * I).reshape(T, N, I), h0, c0, params, options


@given(case=st.sampled_from(["rnn_tanh", "lstm", "gru"]).flatmap(
    # tiny sides: central differences cost two forward passes per element of every input
    lambda kind: st.tuples(st.just(kind), sequence_case(kind, np.float64, GRADCHECK_KINDS, max_side=2, max_steps=4))),
    seed=seeds)
@example(case=("lstm", _edge("lstm", state="zeros")), seed=0)  # T = N = I = H = 1, explicit all-zero state
@example(case=("gru", _edge("gru", T=3, N=2)), seed=0)
@example(case=("rnn_tanh", _edge("rnn_tanh", H=2, state="zeros")), seed=0)
def test_sequence_gradcheck(case, seed):
    kind, (x, h0, c0, params, options) = case
    check_gradcheck(kind, _flat_fn(getattr(F, kind), kind, options), x, h0, c0, *params, seed=seed)


@pytest.mark.parametrize("kind", list(GATES))
@pytest.mark.parametrize("state", [None, "zeros"])
def test_sequence_edges_match_torch(kind, state):
    # length 1, batch 1, hidden 1; no initial state vs an explicit all-zero one (torch treats both the same)
    x, h0, c0, params, options = _edge(kind, state=state)
    check_function(kind, _flat_fn(getattr(F, kind), kind, options), _flat_twin(getattr(TF, kind), kind, options),
                   [x, h0, c0, *params], seed=1)


def test_padded_steps_get_no_gradient_and_h_n_is_last_valid_state():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3, 2))
    params = [rng.standard_normal(s) for s in ((16, 2), (16, 4), (16,), (16,))]
    lengths = np.array([5, 2, 3])
    (out, (h_n, c_n)), backward = F.lstm(x, None, None, params, lengths=lengths)
    (out_short, (h_short, _)), _ = F.lstm(x[:2, 1:2], None, None, params)
    np.testing.assert_allclose(h_n[0, 1], h_short[0, 0], rtol=1e-12)
    assert not out[2:, 1].any() and not out[3:, 2].any()
    dout = rng.standard_normal(out.shape)
    dx = backward((dout, (np.zeros_like(h_n), np.zeros_like(c_n))))[0]
    assert not dx[2:, 1].any() and not dx[3:, 2].any() and dx[:2, 1].all()


# ---------------------------------------------------------------------------------------------------------------
# Modules
# ---------------------------------------------------------------------------------------------------------------

class FlatLSTM(nn.LSTM):
    """nn.LSTM taking (x, h0, c0, lengths) flat, backward returning (dx, dh0, dc0): the layout check_module uses."""

    def forward(self, x, h0=None, c0=None, lengths=None):
        y, backward = super().forward(x, None if h0 is None else (h0, c0), lengths)

        def flat_backward(dy):
            grads = backward(dy)
            return grads if h0 is None else (grads[0], *grads[1])

        return y, flat_backward


def _torch_packed(module, base_forward, x, hx, lengths):
    """torch's variable-length path: pack (unsorted), run, unpack back to the padded length."""
    if lengths is None:
        return base_forward(x, hx)
    T = x.shape[1] if module.batch_first else x.shape[0]
    packed = pack_padded_sequence(x, lengths, batch_first=module.batch_first, enforce_sorted=False)
    out, state = base_forward(packed, hx)
    out, _ = pad_packed_sequence(out, batch_first=module.batch_first, total_length=T)
    return out, state


class TorchRNN(tnn.RNN):
    def forward(self, x, hx=None, lengths=None):
        return _torch_packed(self, super().forward, x, hx, lengths)


class TorchGRU(tnn.GRU):
    def forward(self, x, hx=None, lengths=None):
        return _torch_packed(self, super().forward, x, hx, lengths)


class TorchLSTM(tnn.LSTM):
    def forward(self, x, h0=None, c0=None, lengths=None):
        return _torch_packed(self, super().forward, x, None if h0 is None else (h0, c0), lengths)


MODULES = {"RNN": (nn.RNN, TorchRNN), "LSTM": (FlatLSTM, TorchLSTM), "GRU": (nn.GRU, TorchGRU)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(MODULES))
@given(data=st.data(), seed=seeds, relu=st.booleans(), dropout=st.sampled_from([0.0, 0.5]))
def test_sequence_module_matches_torch(dtype, name, data, seed, relu, dropout):
    # dropout > 0 in eval mode: both sides skip it, and the argument must not change anything else
    kind = {"RNN": "rnn_relu" if relu else "rnn_tanh", "LSTM": "lstm", "GRU": "gru"}[name]
    x, h0, c0, _, o = data.draw(sequence_case(kind, dtype, WELL_CONDITIONED))
    dropout = dropout if o["num_layers"] > 1 else 0.0  # torch warns about dropout on a single layer
    kwargs = dict(num_layers=o["num_layers"], bias=o["bias"], batch_first=o["batch_first"], dropout=dropout,
                  bidirectional=o["bidirectional"])
    if name == "RNN":
        kwargs["nonlinearity"] = "relu" if relu else "tanh"
    I, H = x.shape[-1], (4 if h0 is None else h0.shape[-1])
    np_cls, torch_cls = MODULES[name]
    layer = np_cls(I, H, dtype=dtype, rng=np.random.default_rng(seed), **kwargs)
    twin = torch_cls(I, H, dtype=torch_dtype(dtype), **kwargs)
    if dropout:
        layer.eval(), twin.eval()
    states = [h0, c0] if name == "LSTM" else [h0]
    given_state = h0 is not None
    inputs = [x, *states, o["lengths"]]
    check_module(name, layer, twin, *inputs, seed=seed,
                 input_grads=list(range(1 + len(states))) if given_state else [0])


CELLS = {"RNNCell": (nn.RNNCell, tnn.RNNCell, 1), "GRUCell": (nn.GRUCell, tnn.GRUCell, 1)}


class FlatLSTMCell(nn.LSTMCell):
    def forward(self, x, h=None, c=None):
        y, backward = super().forward(x, None if h is None else (h, c))

        def flat_backward(dy):
            grads = backward(dy)
            return grads if h is None else (grads[0], *grads[1])

        return y, flat_backward


class TorchLSTMCell(tnn.LSTMCell):
    def forward(self, x, h=None, c=None):
        return super().forward(x, None if h is None else (h, c))


CELLS["LSTMCell"] = (FlatLSTMCell, TorchLSTMCell, 2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(CELLS))
@given(N=small, I=small, H=small, bias=st.booleans(), given_state=st.booleans(), seed=seeds)
@example(N=1, I=1, H=1, bias=False, given_state=False, seed=0)
def test_cell_module_matches_torch(dtype, name, N, I, H, bias, given_state, seed):
    np_cls, torch_cls, k = CELLS[name]
    layer = np_cls(I, H, bias=bias, dtype=dtype, rng=np.random.default_rng(seed))
    twin = torch_cls(I, H, bias=bias, dtype=torch_dtype(dtype))
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((N, I)).astype(dtype)
    states = [rng.standard_normal((N, H)).astype(dtype) for _ in range(k)] if given_state else []
    check_module(name, layer, twin, x, *states, seed=seed, input_grads=list(range(1 + len(states))))


def test_rnn_relu_cell_module_matches_torch():
    layer = nn.RNNCell(3, 4, nonlinearity="relu", dtype=np.float64, rng=np.random.default_rng(0))
    twin = tnn.RNNCell(3, 4, nonlinearity="relu", dtype=torch.float64)
    check_module("RNNCell", layer, twin, np.random.default_rng(1).standard_normal((2, 3)))


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
@given(seed=seeds, bidirectional=st.booleans(), p=st.sampled_from([0.25, 0.5]), batch_first=st.booleans())
def test_dropout_between_layers_with_masks_matches_torch_stack(name, seed, bidirectional, p, batch_first):
    """Training-mode dropout with given masks against one-layer torch modules with the masks applied between them."""
    rng = np.random.default_rng(seed)
    T, N, I, H, L = 4, 3, 2, 3, 3
    D = 2 if bidirectional else 1
    np_cls = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}[name]
    torch_cls = {"LSTM": tnn.LSTM, "GRU": tnn.GRU, "RNN": tnn.RNN}[name]
    layer = np_cls(I, H, num_layers=L, dropout=p, bidirectional=bidirectional, batch_first=batch_first,
                   dtype=np.float64, rng=rng)
    stack = [torch_cls(I if l == 0 else D * H, H, bidirectional=bidirectional, batch_first=batch_first,
                       dtype=torch.float64) for l in range(L)]
    sd = layer.state_dict()
    for l, m in enumerate(stack):
        m.load_state_dict({k.replace(f"_l{l}", "_l0"): torch.from_numpy(v.copy()) for k, v in sd.items()
                           if f"_l{l}" in k})
    x = rng.standard_normal((N, T, I) if batch_first else (T, N, I))
    out_shape = x.shape[:2] + (D * H,)
    masks = [rng.random(out_shape) >= p for _ in range(L - 1)]
    y, backward = layer(x, dropout_masks=masks)
    dy = random_like_output(y, rng)
    dx = backward(dy)

    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    out, finals = xt, []
    for l, m in enumerate(stack):
        if l > 0:
            out = out * torch.from_numpy(masks[l - 1] / (1 - p))
        out, state = m(out)
        finals.append(state)
    if name == "LSTM":
        y_t = (out, (torch.cat([s[0] for s in finals]), torch.cat([s[1] for s in finals])))
    else:
        y_t = (out, torch.cat(finals))
    ys_t = [y_t[0], *(y_t[1] if name == "LSTM" else (y_t[1],))]
    for a, t in zip(_flatten(y), ys_t):
        assert_close(a, t.detach().numpy(), f"{name} dropout output")
    torch.autograd.backward(ys_t, [torch.from_numpy(d) for d in _flatten(dy)])
    assert_close(dx, xt.grad.numpy(), f"{name} dropout dx")
    for l, m in enumerate(stack):
        for k, p_t in m.named_parameters():
            assert_close(getattr(layer, k.replace("_l0", f"_l{l}")).grad, p_t.grad.numpy(), f"{name} {k} l{l}")


def test_dropout_in_training_draws_masks():
    layer = nn.GRU(2, 3, num_layers=2, dropout=0.5, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((4, 2, 2))
    (a, _), _ = layer(x, rng=np.random.default_rng(1))
    (b, _), _ = layer(x, rng=np.random.default_rng(2))
    (c, _), _ = layer.eval()(x)
    assert not np.allclose(a, b) and not np.allclose(a, c)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("bias", [True, False])
def test_state_dict_layout(name, bias):
    np_cls, torch_cls = getattr(nn, name), getattr(tnn, name)
    if name.endswith("Cell"):
        check_state_dict_layout(name, np_cls(3, 4, bias=bias), torch_cls(3, 4, bias=bias))
    else:
        check_state_dict_layout(name, np_cls(3, 4, num_layers=2, bias=bias, bidirectional=True),
                                torch_cls(3, 4, num_layers=2, bias=bias, bidirectional=True))


def test_torch_weights_load_unchanged_and_init_bounds():
    twin = tnn.LSTM(3, 100, num_layers=2, bidirectional=True)
    layer = nn.LSTM(3, 100, num_layers=2, bidirectional=True, rng=np.random.default_rng(0))
    copy_weights(twin, layer)
    x = np.random.default_rng(1).standard_normal((4, 2, 3)).astype(np.float32)
    (out, _), _ = layer(x)
    assert_close(out, twin(torch.from_numpy(x))[0].detach().numpy(), "LSTM loaded from torch")
    fresh = nn.GRU(3, 100, rng=np.random.default_rng(0))
    bound = 1 / np.sqrt(100)  # torch: every parameter U(-1/sqrt(H), 1/sqrt(H))
    for p in fresh.parameters():
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.9 * bound


def test_shared_cell_unrolled_accumulates_grad():
    # One cell applied at two steps: the weight gradients of both steps add up in .grad, as in torch
    cell = nn.GRUCell(2, 3, dtype=np.float64, rng=np.random.default_rng(0))
    twin = tnn.GRUCell(2, 3, dtype=torch.float64)
    copy_weights(cell, twin)
    rng = np.random.default_rng(1)
    x1, x2, dy = rng.standard_normal((4, 2)), rng.standard_normal((4, 2)), rng.standard_normal((4, 3))
    h1, b1 = cell(x1)
    h2, b2 = cell(x2, h1)
    dx2, dh1 = b2(dy)
    b1(dh1)
    twin(torch.from_numpy(x2), twin(torch.from_numpy(x1))).backward(torch.from_numpy(dy))
    for name, p in twin.named_parameters():
        assert_close(getattr(cell, name).grad, p.grad.numpy(), f"GRUCell shared {name}")


# ---------------------------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------------------------

def test_recurrent_bad_input():
    lstm = nn.LSTM(3, 4, num_layers=2)
    x = np.zeros((5, 2, 3), np.float32)
    with pytest.raises(ValueError, match=r"LSTM expected input of shape \(T, N, 3\), got \(5, 2, 6\)"):
        lstm(np.zeros((5, 2, 6), np.float32))
    with pytest.raises(ValueError, match=r"LSTM expected input of shape \(T, N, 3\), got \(5, 3\): unbatched"):
        lstm(np.zeros((5, 3), np.float32))
    with pytest.raises(ValueError, match=r"LSTM expected h0 of shape \(2, 2, 4\) \(num_layers \* num_directions"):
        lstm(x, (np.zeros((1, 2, 4), np.float32), np.zeros((2, 2, 4), np.float32)))
    with pytest.raises(ValueError, match=r"LSTM expected c0 of shape \(2, 2, 4\).*got \(2, 3, 4\)"):
        lstm(x, (np.zeros((2, 2, 4), np.float32), np.zeros((2, 3, 4), np.float32)))
    with pytest.raises(TypeError, match=r"LSTM expected hx to be a tuple \(h0, c0\)"):
        lstm(x, np.zeros((2, 2, 4), np.float32))
    with pytest.raises(ValueError, match=r"GRU got lengths up to 7, longer than the sequence \(5 steps\)"):
        nn.GRU(3, 4)(x, lengths=[7, 2])
    with pytest.raises(ValueError, match=r"RNN expected lengths of shape \(2,\), one per sequence"):
        nn.RNN(3, 4)(x, lengths=[5, 2, 1])
    with pytest.raises(ValueError, match=r"RNN expected every length >= 1"):
        nn.RNN(3, 4)(x, lengths=[5, 0])
    with pytest.raises(TypeError, match=r"RNN expected input to be float32 or float64, got int64"):
        nn.RNN(3, 4)(np.zeros((5, 2, 3), np.int64))
    with pytest.raises(TypeError, match=r"GRU expected h0 of dtype float32 like the input, got float64"):
        nn.GRU(3, 4)(x, np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match=r"GRUCell expected input of shape \(N, 3\), got \(2, 5\)"):
        nn.GRUCell(3, 4)(np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"LSTMCell expected cx of shape \(2, 4\), got \(2, 5\)"):
        nn.LSTMCell(3, 4)(np.zeros((2, 3), np.float32), (np.zeros((2, 4), np.float32), np.zeros((2, 5), np.float32)))
    with pytest.raises(ValueError, match=r"lstm_cell expected w_ih of shape \(8, 3\)"):
        F.lstm_cell(np.zeros((1, 3)), np.zeros((1, 2)), np.zeros((1, 2)), np.zeros((8, 4)), np.zeros((8, 2)))
    with pytest.raises(ValueError, match=r"gru expected 2 parameter arrays \(weight_ih_l0, weight_hh_l0\), got 4"):
        F.gru(np.zeros((2, 1, 3)), None, [np.zeros((12, 3))] * 4, bias=False)
    with pytest.raises(ValueError, match="RNN expected nonlinearity 'tanh' or 'relu', got 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    (out, h), backward = nn.RNN(3, 4)(x)
    with pytest.raises(ValueError, match=r"rnn_tanh.backward expected dh_n of shape \(1, 2, 4\)"):
        backward((np.zeros_like(out), np.zeros((2, 4), np.float32)))


# ---------------------------------------------------------------------------------------------------------------
# The LSTM's numba step
# ---------------------------------------------------------------------------------------------------------------
# With default settings the tests above run the NumPy definitions. These run ``lstm`` with its fast path on (numba
# kernels for each step's arithmetic, ``scratch.fast``), so both paths are proven against torch and by gradcheck.
# (The cells have no fast path.) Each name extends the name of the test it mirrors, so a -k selection of that test
# selects this one too.

def numba_steps():
    return fast.kernels(True, "lstm")


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), seed=seeds)
def test_sequence_matches_torch_numba_steps(dtype, data, seed):
    x, h0, c0, params, options = data.draw(sequence_case("lstm", np.float64, parity_kinds(dtype)))
    inputs = [_astype(a, dtype) for a in (x, h0, c0, *params)]
    with numba_steps():
        check_function("lstm", _flat_fn(F.lstm, "lstm", options), _flat_twin(TF.lstm, "lstm", options), inputs,
                       seed=seed)


@given(case=sequence_case("lstm", np.float64, GRADCHECK_KINDS, max_side=2, max_steps=4), seed=seeds)
def test_sequence_gradcheck_numba_steps(case, seed):
    x, h0, c0, params, options = case
    with numba_steps():
        check_gradcheck("lstm", _flat_fn(F.lstm, "lstm", options), x, h0, c0, *params, seed=seed)
