"""Course layouts (Deep Learning Specialization, CS231n) convert to torch's and back, tested both ways.

Each test runs the course's own forward equations, written out here in the course's layout, and checks that the
converted weights make ``scratch.nn`` (and so, by the parity suite, torch) compute the same thing.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import scratch.nn as nn
from lessons import cs231n_layout, dls_layout
from parity_tests.harness import assert_close
from parity_tests.strategies import seeds
from torch_impl.state import to_torch

small = st.integers(1, 5)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _softmax_columns(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def dls_rnn_forward(x, a0, p):
    """The course's rnn_forward: x (n_x, m, T), a0 (n_a, m) -> a (n_a, m, T), y (n_y, m, T)."""
    a_prev, a, y = a0, [], []
    for t in range(x.shape[2]):
        a_prev = np.tanh(p["Waa"] @ a_prev + p["Wax"] @ x[:, :, t] + p["ba"])
        a.append(a_prev)
        y.append(_softmax_columns(p["Wya"] @ a_prev + p["by"]))
    return np.stack(a, axis=2), np.stack(y, axis=2)


def dls_lstm_forward(x, a0, p):
    """The course's lstm_forward with c0 = 0: returns a (n_a, m, T), c (n_a, m, T), y (n_y, m, T)."""
    a_prev, c_prev, a, c, y = a0, np.zeros_like(a0), [], [], []
    for t in range(x.shape[2]):
        concat = np.concatenate([a_prev, x[:, :, t]], axis=0)
        f = _sigmoid(p["Wf"] @ concat + p["bf"])
        i = _sigmoid(p["Wi"] @ concat + p["bi"])
        cct = np.tanh(p["Wc"] @ concat + p["bc"])
        c_prev = f * c_prev + i * cct
        o = _sigmoid(p["Wo"] @ concat + p["bo"])
        a_prev = o * np.tanh(c_prev)
        a.append(a_prev)
        c.append(c_prev)
        y.append(_softmax_columns(p["Wy"] @ a_prev + p["by"]))
    return np.stack(a, axis=2), np.stack(c, axis=2), np.stack(y, axis=2)


def cs231n_rnn_forward(x, h0, Wx, Wh, b):
    """x (N, T, D) -> h (N, T, H)."""
    h, out = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
        out.append(h)
    return np.stack(out, axis=1)


def cs231n_lstm_forward(x, h0, Wx, Wh, b):
    """x (N, T, D) -> h (N, T, H), gates i, f, o, g; c0 = 0."""
    H = h0.shape[1]
    h, c, out = h0, np.zeros_like(h0), []
    for t in range(x.shape[1]):
        a = x[:, t] @ Wx + h @ Wh + b
        i, f, o, g = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        out.append(h)
    return np.stack(out, axis=1)


def _random(rng, shapes):
    return {k: rng.standard_normal(s) for k, s in shapes.items()}


@given(n_x=small, n_a=small, n_y=small, m=small, T=small, seed=seeds)
def test_dls_rnn_matches_the_course_equations(n_x, n_a, n_y, m, T, seed):
    rng = np.random.default_rng(seed)
    p = _random(rng, {"Wax": (n_a, n_x), "Waa": (n_a, n_a), "ba": (n_a, 1), "Wya": (n_y, n_a), "by": (n_y, 1)})
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    a_ref, y_ref = dls_rnn_forward(x, a0, p)

    rnn_state, head_state = dls_layout.rnn_to_torch(p)
    rnn, head = nn.RNN(n_x, n_a, dtype=np.float64), nn.Linear(n_a, n_y, dtype=np.float64)
    rnn.load_state_dict(rnn_state)
    head.load_state_dict(head_state)
    (out, _), _ = rnn(dls_layout.sequence_to_torch(x), a0.T[None])
    logits, _ = head(out)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    assert_close(dls_layout.sequence_from_torch(out), a_ref, "DLS rnn hidden states")
    assert_close(dls_layout.sequence_from_torch(probs), y_ref, "DLS rnn predictions")

    back = dls_layout.rnn_from_torch(rnn_state, head_state)
    assert sorted(back) == sorted(p) and all(np.array_equal(back[k], p[k]) for k in p)


@given(n_x=small, n_a=small, n_y=small, m=small, T=small, seed=seeds)
def test_dls_lstm_matches_the_course_equations(n_x, n_a, n_y, m, T, seed):
    rng = np.random.default_rng(seed)
    shapes = {f"W{g}": (n_a, n_a + n_x) for g in "fico"} | {f"b{g}": (n_a, 1) for g in "fico"}
    p = _random(rng, shapes | {"Wy": (n_y, n_a), "by": (n_y, 1)})
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    a_ref, c_ref, _ = dls_lstm_forward(x, a0, p)

    lstm_state, head_state = dls_layout.lstm_to_torch(p)
    lstm = nn.LSTM(n_x, n_a, dtype=np.float64)
    lstm.load_state_dict(lstm_state)
    (out, (h_n, c_n)), _ = lstm(dls_layout.sequence_to_torch(x), (a0.T[None], np.zeros((1, m, n_a))))
    assert_close(dls_layout.sequence_from_torch(out), a_ref, "DLS lstm hidden states")
    assert_close(c_n[0].T, c_ref[:, :, -1], "DLS lstm final cell state")

    back = dls_layout.lstm_from_torch(lstm_state, head_state)
    assert sorted(back) == sorted(p) and all(np.array_equal(back[k], p[k]) for k in p)


@given(D=small, H=small, N=small, T=small, seed=seeds)
def test_cs231n_rnn_and_lstm_match_the_course_equations(D, H, N, T, seed):
    rng = np.random.default_rng(seed)
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = rng.standard_normal((D, H)), rng.standard_normal((H, H)), rng.standard_normal(H)
    rnn = nn.RNN(D, H, batch_first=True, dtype=np.float64)
    rnn.load_state_dict(cs231n_layout.rnn_to_torch(Wx, Wh, b))
    (out, _), _ = rnn(x, h0[None])
    assert_close(out, cs231n_rnn_forward(x, h0, Wx, Wh, b), "CS231n rnn")
    for a, a0 in zip(cs231n_layout.rnn_from_torch(cs231n_layout.rnn_to_torch(Wx, Wh, b)), (Wx, Wh, b)):
        assert np.array_equal(a, a0)

    Wx4, Wh4, b4 = rng.standard_normal((D, 4 * H)), rng.standard_normal((H, 4 * H)), rng.standard_normal(4 * H)
    lstm = nn.LSTM(D, H, batch_first=True, dtype=np.float64)
    lstm.load_state_dict(cs231n_layout.lstm_to_torch(Wx4, Wh4, b4))
    (out, _), _ = lstm(x, (h0[None], np.zeros((1, N, H))))
    assert_close(out, cs231n_lstm_forward(x, h0, Wx4, Wh4, b4), "CS231n lstm")
    for a, a0 in zip(cs231n_layout.lstm_from_torch(cs231n_layout.lstm_to_torch(Wx4, Wh4, b4)), (Wx4, Wh4, b4)):
        assert np.array_equal(a, a0)


def test_torch_weights_survive_the_trip_through_course_layouts():
    # torch -> course -> torch computes the same function; only the bias_ih/bias_hh split is folded into one.
    torch.manual_seed(0)
    t_lstm = torch.nn.LSTM(3, 4, batch_first=True).double()
    state = {k: v.detach().numpy() for k, v in t_lstm.state_dict().items()}
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    expected = t_lstm(x)[0]
    t_lstm.load_state_dict(to_torch(cs231n_layout.lstm_to_torch(*cs231n_layout.lstm_from_torch(state))))
    assert_close(t_lstm(x)[0].detach().numpy(), expected.detach().numpy(), "torch -> CS231n -> torch")
    head = {"weight": np.zeros((2, 4)), "bias": np.zeros(2)}
    lstm_state, _ = dls_layout.lstm_to_torch(dls_layout.lstm_from_torch(state, head))
    t_lstm.load_state_dict(to_torch(lstm_state))
    assert_close(t_lstm(x)[0].detach().numpy(), expected.detach().numpy(), "torch -> DLS -> torch")


def test_course_adapters_bad_input():
    with pytest.raises(KeyError, match=r"missing \['ba', 'by'\]"):
        dls_layout.rnn_to_torch({"Wax": np.zeros((2, 3)), "Waa": np.zeros((2, 2)), "Wya": np.zeros((1, 2))})
    with pytest.raises(ValueError, match=r"expected Waa of shape \(2, 2\), got \(3, 3\)"):
        dls_layout.rnn_to_torch({"Wax": np.zeros((2, 3)), "Waa": np.zeros((3, 3)), "ba": np.zeros((2, 1)),
                                 "Wya": np.zeros((1, 2)), "by": np.zeros((1, 1))})
    with pytest.raises(ValueError, match=r"cs231n lstm_to_torch expected Wx \(D, 4H\)"):
        cs231n_layout.lstm_to_torch(np.zeros((3, 4)), np.zeros((4, 4)), np.zeros(4))
    with pytest.raises(ValueError, match=r"sequence_to_torch expected x of shape \(n_x, m, T_x\)"):
        dls_layout.sequence_to_torch(np.zeros((3, 4)))
