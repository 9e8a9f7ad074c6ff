"""CS231n assignment 3's recurrent layers (``lessons.reference.cs231n.a3``): the course's published examples, and the
course's forward equations written out here.

The examples' inputs are the notebooks' (``np.linspace`` grids, ``np.random.seed(231)`` draws) from
RNN_Captioning.ipynb and LSTM_Captioning.ipynb, as public copies of the assignment and its test helpers build them;
the expected numbers are the ``expected_*`` arrays printed there, to the digits printed.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.core import values
from lessons.reference.cs231n import a3
from parity_tests.strategies import seeds

PRINTED = {"rtol": 0, "atol": 5e-9}  # numbers printed with 8 decimals: equal to half a unit of the last digit
FEW = settings(max_examples=15, deadline=None)


def numeric_gradient(f, x, dout, h=1e-5):
    """Central differences of ``sum(f(x) * dout)`` with respect to ``x``, as the notebooks' gradient check does."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = np.array(f(x), dtype=np.float64, copy=True)
        x[i] = old - h
        minus = np.array(f(x), dtype=np.float64, copy=True)
        x[i] = old
        grad[i] = np.sum((plus - minus) * dout) / (2 * h)
    return grad


def rel_error(x, y):
    return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ----------------------------------------------------------------------------------------------------------------
# The vanilla RNN: the course's examples (RNN_Captioning.ipynb)


def test_rnn_step_forward_reproduces_the_course_example():
    N, D, H = 3, 10, 4
    x = np.linspace(-0.4, 0.7, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.2, 0.5, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.1, 0.9, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.3, 0.7, num=H * H).reshape(H, H)
    b = np.linspace(-0.2, 0.4, num=H)
    next_h, _ = a3.rnn_step_forward(x, prev_h, Wx, Wh, b)
    expected_next_h = np.asarray([
        [-0.58172089, -0.50182032, -0.41232771, -0.31410098],
        [0.66854692, 0.79562378, 0.87755553, 0.92795967],
        [0.97934501, 0.99144213, 0.99646691, 0.99854353]])
    np.testing.assert_allclose(next_h, expected_next_h, **PRINTED)


def test_rnn_forward_reproduces_the_course_example():
    N, T, D, H = 2, 3, 4, 5
    x = np.linspace(-0.1, 0.3, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.3, 0.1, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.2, 0.4, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.4, 0.1, num=H * H).reshape(H, H)
    b = np.linspace(-0.7, 0.1, num=H)
    h, _ = a3.rnn_forward(x, h0, Wx, Wh, b)
    expected_h = np.asarray([
        [[-0.42070749, -0.27279261, -0.11074945, 0.05740409, 0.22236251],
         [-0.39525808, -0.22554661, -0.0409454, 0.14649412, 0.32397316],
         [-0.42305111, -0.24223728, -0.04287027, 0.15997045, 0.35014525]],
        [[-0.55857474, -0.39065825, -0.19198182, 0.02378408, 0.23735671],
         [-0.27150199, -0.07088804, 0.13562939, 0.33099728, 0.50158768],
         [-0.51014825, -0.30524429, -0.06755202, 0.17806392, 0.40333043]]])
    np.testing.assert_allclose(h, expected_h, **PRINTED)


def test_rnn_step_backward_passes_the_course_gradient_check():
    np.random.seed(231)
    N, D, H = 4, 5, 6
    x, h = np.random.randn(N, D), np.random.randn(N, H)
    Wx, Wh, b = np.random.randn(D, H), np.random.randn(H, H), np.random.randn(H)
    out, cache = a3.rnn_step_forward(x, h, Wx, Wh, b)
    dnext_h = np.random.randn(*out.shape)
    grads = a3.rnn_step_backward(dnext_h, cache)
    args = [x, h, Wx, Wh, b]
    assert len(grads) == len(args)  # one gradient per input: the loop below would skip a missing one
    for k, g in enumerate(grads):
        def f(v, k=k):
            return a3.rnn_step_forward(*(v if j == k else a for j, a in enumerate(args)))[0]
        assert rel_error(g, numeric_gradient(f, args[k].copy(), dnext_h)) < 1e-8


def test_rnn_backward_passes_the_course_gradient_check():
    np.random.seed(231)
    N, D, T, H = 2, 3, 10, 5
    x, h0 = np.random.randn(N, T, D), np.random.randn(N, H)
    Wx, Wh, b = np.random.randn(D, H), np.random.randn(H, H), np.random.randn(H)
    out, cache = a3.rnn_forward(x, h0, Wx, Wh, b)
    dout = np.random.randn(*out.shape)
    grads = a3.rnn_backward(dout, cache)
    args = [x, h0, Wx, Wh, b]
    assert len(grads) == len(args)  # one gradient per input: the loop below would skip a missing one
    for k, g in enumerate(grads):
        def f(v, k=k):
            return a3.rnn_forward(*(v if j == k else a for j, a in enumerate(args)))[0]
        assert rel_error(g, numeric_gradient(f, args[k].copy(), dout)) < 1e-6  # the notebook: "e-6 or less"


def test_word_embedding_forward_reproduces_the_course_example():
    V, D = 5, 3
    x = np.asarray([[0, 3, 1, 2], [2, 1, 0, 3]])
    W = np.linspace(0, 1, num=V * D).reshape(V, D)
    out, _ = a3.word_embedding_forward(x, W)
    expected_out = np.asarray([
        [[0., 0.07142857, 0.14285714],
         [0.64285714, 0.71428571, 0.78571429],
         [0.21428571, 0.28571429, 0.35714286],
         [0.42857143, 0.5, 0.57142857]],
        [[0.42857143, 0.5, 0.57142857],
         [0.21428571, 0.28571429, 0.35714286],
         [0., 0.07142857, 0.14285714],
         [0.64285714, 0.71428571, 0.78571429]]])
    np.testing.assert_allclose(out, expected_out, **PRINTED)


def test_word_embedding_backward_passes_the_course_gradient_check():
    np.random.seed(231)
    N, T, V, D = 50, 3, 5, 6
    x = np.random.randint(V, size=(N, T))
    W = np.random.randn(V, D)
    out, cache = a3.word_embedding_forward(x, W)
    dout = np.random.randn(*out.shape)
    dW = a3.word_embedding_backward(dout, cache)
    dW_num = numeric_gradient(lambda W: a3.word_embedding_forward(x, W)[0], W.copy(), dout)
    assert rel_error(dW, dW_num) < 1e-10


def test_temporal_softmax_loss_matches_the_course_sanity_check():
    """The notebook's three calls: about 2.3 (= log 10, one step), about 23 (ten steps summed, not averaged), and
    about 2.3 again when one step in ten is kept (divided by N, not by the number of kept steps)."""
    np.random.seed(231)

    def check_loss(N, T, V, p):
        x = 0.001 * np.random.randn(N, T, V)
        y = np.random.randint(V, size=(N, T))
        mask = np.random.rand(N, T) <= p
        return a3.temporal_softmax_loss(x, y, mask)[0]

    assert abs(check_loss(100, 1, 10, 1.0) - 2.3) < 0.05
    assert abs(check_loss(100, 10, 10, 1.0) - 23) < 0.05
    assert abs(check_loss(5000, 10, 10, 0.1) - 2.3) < 0.05

    N, T, V = 7, 8, 9
    x = np.random.randn(N, T, V)
    y = np.random.randint(V, size=(N, T))
    mask = np.random.rand(N, T) > 0.5
    _, dx = a3.temporal_softmax_loss(x, y, mask, verbose=False)
    dx_num = numeric_gradient(lambda x: a3.temporal_softmax_loss(x, y, mask)[0], x.copy(), 1.0)
    assert rel_error(dx, dx_num) < 1e-7


def test_temporal_affine_backward_passes_the_course_gradient_check():
    np.random.seed(231)
    N, T, D, M = 2, 3, 4, 5
    x, w, b = np.random.randn(N, T, D), np.random.randn(D, M), np.random.randn(M)
    out, cache = a3.temporal_affine_forward(x, w, b)
    assert cache[3] is out and cache[:3] == (x, w, b)  # the course's cache (x, w, b, out)
    dout = np.random.randn(*out.shape)
    grads = a3.temporal_affine_backward(dout, cache)
    args = [x, w, b]
    assert len(grads) == len(args)  # one gradient per input: the loop below would skip a missing one
    for k, g in enumerate(grads):
        def f(v, k=k):
            return a3.temporal_affine_forward(*(v if j == k else a for j, a in enumerate(args)))[0]
        assert rel_error(g, numeric_gradient(f, args[k].copy(), dout)) < 1e-8


def _captioning_loss(cell_type, features, captions, params, null=0):
    """CaptioningRNN.loss of the assignment, composed from the reference layers: project the image features to h0,
    embed ``captions[:, :-1]``, run the RNN or LSTM, score every step, and the masked loss against
    ``captions[:, 1:]``."""
    captions_in, captions_out = captions[:, :-1], captions[:, 1:]
    mask = captions_out != null
    h0 = features @ params["W_proj"] + params["b_proj"]
    x, _ = a3.word_embedding_forward(captions_in, params["W_embed"])
    forward = a3.rnn_forward if cell_type == "rnn" else a3.lstm_forward
    h, _ = forward(x, h0, params["Wx"], params["Wh"], params["b"])
    scores, _ = a3.temporal_affine_forward(h, params["W_vocab"], params["b_vocab"])
    loss, _ = a3.temporal_softmax_loss(scores, captions_out, mask)
    return loss


def _captioning_params(D, W, H, V, gates):
    shapes = {"W_proj": (D, H), "b_proj": (H,), "W_embed": (V, W), "Wx": (W, gates * H), "Wh": (H, gates * H),
              "b": (gates * H,), "W_vocab": (H, V), "b_vocab": (V,)}
    return {k: np.linspace(-1.4, 1.3, num=int(np.prod(s))).reshape(s) for k, s in shapes.items()}


def test_captioning_rnn_loss_reproduces_the_course_example():
    """The notebook's CaptioningRNN sanity check: every parameter set to a linspace, expected loss 9.83235591003."""
    N, D, W, H = 10, 20, 30, 40
    V, T = 3, 13
    features = np.linspace(-1.5, 0.3, num=N * D).reshape(N, D)
    captions = (np.arange(N * T) % V).reshape(N, T)
    loss = _captioning_loss("rnn", features, captions, _captioning_params(D, W, H, V, 1))
    np.testing.assert_allclose(loss, 9.83235591003, rtol=0, atol=5e-12)


# ----------------------------------------------------------------------------------------------------------------
# The course's forward equations, written out, against the adapters on drawn cases


@FEW
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), seeds)
def test_rnn_adapters_follow_the_course_equations(N, D, H, T, seed):
    x = values(seed, (N, T, D))
    h0, Wx = values(seed + 1, (N, H), -1, 1), values(seed + 2, (D, H), -1, 1)
    Wh, b = values(seed + 3, (H, H), -1, 1), values(seed + 4, (H,), -1, 1)
    h, prev = [], h0
    for t in range(T):
        prev = np.tanh(x[:, t] @ Wx + prev @ Wh + b)
        step, _ = a3.rnn_step_forward(x[:, t], h[-1] if h else h0, Wx, Wh, b)
        np.testing.assert_allclose(step, prev, rtol=1e-12, atol=1e-14)
        h.append(prev)
    np.testing.assert_allclose(a3.rnn_forward(x, h0, Wx, Wh, b)[0], np.stack(h, axis=1), rtol=1e-12, atol=1e-14)


@FEW
@given(st.integers(1, 3), st.integers(1, 3), st.integers(2, 4), seeds)
def test_temporal_layers_follow_the_course_equations(N, T, V, seed):
    x = values(seed, (N, T, V))
    y = np.random.default_rng(seed).integers(0, V, size=(N, T))
    mask = np.random.default_rng(seed + 1).random((N, T)) < 0.6
    p = np.exp(x - x.max(axis=2, keepdims=True))
    p /= p.sum(axis=2, keepdims=True)
    onehot = np.eye(V)[y]
    loss, dx = a3.temporal_softmax_loss(x, y, mask)
    np.testing.assert_allclose(loss, -np.sum(mask * np.log(np.sum(p * onehot, axis=2))) / N, rtol=1e-12)
    np.testing.assert_allclose(dx, mask[:, :, None] * (p - onehot) / N, rtol=1e-12, atol=1e-15)

    w, b = values(seed + 2, (V, 2)), values(seed + 3, (2,))
    out, _ = a3.temporal_affine_forward(x, w, b)
    np.testing.assert_allclose(out, np.einsum("ntd,dm->ntm", x, w) + b, rtol=1e-12, atol=1e-14)
    W = values(seed + 4, (V, 3))
    emb, cache = a3.word_embedding_forward(y, W)
    np.testing.assert_array_equal(emb, W[y])
    dout = values(seed + 5, emb.shape)
    dW = np.zeros_like(W)
    for n, t in np.ndindex(y.shape):
        dW[y[n, t]] += dout[n, t]
    np.testing.assert_allclose(a3.word_embedding_backward(dout, cache), dW, rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------------------------------------------
# The LSTM: the course's examples (LSTM_Captioning.ipynb)


def test_lstm_step_forward_reproduces_the_course_example():
    N, D, H = 3, 4, 5
    x = np.linspace(-0.4, 1.2, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.3, 0.7, num=N * H).reshape(N, H)
    prev_c = np.linspace(-0.4, 0.9, num=N * H).reshape(N, H)
    Wx = np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.7, 2.2, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.3, 0.7, num=4 * H)
    next_h, next_c, _ = a3.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    expected_next_h = np.asarray([
        [0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
        [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
        [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299]])
    expected_next_c = np.asarray([
        [0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
        [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
        [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676]])
    np.testing.assert_allclose(next_h, expected_next_h, **PRINTED)
    np.testing.assert_allclose(next_c, expected_next_c, **PRINTED)


def test_lstm_forward_reproduces_the_course_example():
    N, D, H, T = 2, 5, 4, 3
    x = np.linspace(-0.4, 0.6, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.4, 0.8, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.2, 0.9, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.3, 0.6, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.2, 0.7, num=4 * H)
    h, _ = a3.lstm_forward(x, h0, Wx, Wh, b)
    expected_h = np.asarray([
        [[0.01764008, 0.01823233, 0.01882671, 0.0194232],
         [0.11287491, 0.12146228, 0.13018446, 0.13902939],
         [0.31358768, 0.33338627, 0.35304453, 0.37250975]],
        [[0.45767879, 0.4761092, 0.4936887, 0.51041945],
         [0.6704845, 0.69350089, 0.71486014, 0.7346449],
         [0.81733511, 0.83677871, 0.85403753, 0.86935314]]])
    np.testing.assert_allclose(h, expected_h, **PRINTED)


def test_lstm_step_backward_passes_the_course_gradient_check():
    np.random.seed(231)
    N, D, H = 4, 5, 6
    x, prev_h, prev_c = np.random.randn(N, D), np.random.randn(N, H), np.random.randn(N, H)
    Wx, Wh, b = np.random.randn(D, 4 * H), np.random.randn(H, 4 * H), np.random.randn(4 * H)
    next_h, next_c, cache = a3.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    dnext_h, dnext_c = np.random.randn(*next_h.shape), np.random.randn(*next_c.shape)
    grads = a3.lstm_step_backward(dnext_h, dnext_c, cache)
    args = [x, prev_h, prev_c, Wx, Wh, b]
    assert len(grads) == len(args)  # one gradient per input: the loop below would skip a missing one
    for k, g in enumerate(grads):
        def fh(v, k=k):
            return a3.lstm_step_forward(*(v if j == k else a for j, a in enumerate(args)))[0]

        def fc(v, k=k):
            return a3.lstm_step_forward(*(v if j == k else a for j, a in enumerate(args)))[1]
        num = numeric_gradient(fh, args[k].copy(), dnext_h) + numeric_gradient(fc, args[k].copy(), dnext_c)
        assert rel_error(g, num) < 1e-6


def test_lstm_backward_passes_the_course_gradient_check():
    np.random.seed(231)
    N, D, T, H = 2, 3, 10, 6
    x, h0 = np.random.randn(N, T, D), np.random.randn(N, H)
    Wx, Wh, b = np.random.randn(D, 4 * H), np.random.randn(H, 4 * H), np.random.randn(4 * H)
    out, cache = a3.lstm_forward(x, h0, Wx, Wh, b)
    dout = np.random.randn(*out.shape)
    grads = a3.lstm_backward(dout, cache)
    args = [x, h0, Wx, Wh, b]
    assert len(grads) == len(args)  # one gradient per input: the loop below would skip a missing one
    for k, g in enumerate(grads):
        def f(v, k=k):
            return a3.lstm_forward(*(v if j == k else a for j, a in enumerate(args)))[0]
        assert rel_error(g, numeric_gradient(f, args[k].copy(), dout)) < 1e-6  # central differences with h = 1e-5


def test_captioning_lstm_loss_reproduces_the_course_example():
    """The notebook's CaptioningRNN sanity check with cell_type='lstm': expected loss 9.82445935443."""
    N, D, W, H = 10, 20, 30, 40
    V, T = 3, 13
    features = np.linspace(-0.5, 1.7, num=N * D).reshape(N, D)
    captions = (np.arange(N * T) % V).reshape(N, T)
    loss = _captioning_loss("lstm", features, captions, _captioning_params(D, W, H, V, 4))
    np.testing.assert_allclose(loss, 9.82445935443, rtol=0, atol=5e-12)


@FEW
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), seeds)
def test_lstm_adapters_follow_the_course_equations(N, D, H, T, seed):
    """The gates cut i, f, o, g from one affine map, the cell state starting at zero."""
    x = values(seed, (N, T, D))
    h0, Wx = values(seed + 1, (N, H), -1, 1), values(seed + 2, (D, 4 * H), -1, 1)
    Wh, b = values(seed + 3, (H, 4 * H), -1, 1), values(seed + 4, (4 * H,), -1, 1)
    h, c, hs = h0, np.zeros_like(h0), []
    for t in range(T):
        a = x[:, t] @ Wx + h @ Wh + b
        i, f, o, g = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
        step_h, step_c, _ = a3.lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        c = f * c + i * g
        h = o * np.tanh(c)
        np.testing.assert_allclose(step_h, h, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(step_c, c, rtol=1e-12, atol=1e-14)
        hs.append(h)
    np.testing.assert_allclose(a3.lstm_forward(x, h0, Wx, Wh, b)[0], np.stack(hs, axis=1), rtol=1e-12, atol=1e-14)
