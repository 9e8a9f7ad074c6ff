"""Deep Learning Specialization, course 5 (``lessons.reference.dls.c5``): the course's published examples, and the
course's forward equations written out here.

The examples' inputs are the notebooks' (``np.random.seed(1)`` draws in the order the notebook makes them, the
Dinosaurus test's ``np.random.seed(3)`` and ``np.random.seed(24)`` draws, the Transformer tests' small integer
matrices); the expected numbers are the ones the notebooks and their ``public_tests.py`` print, to the digits
printed. Sources: the current "Building your Recurrent Neural Network - Step by Step" notebook (DLSC5W1-A1, its
expected-output cells), "Dinosaurus Island" (``clip_test``, ``sample_test``) and the Transformer assignment's
``public_tests.py`` (``get_angles_test``, ``positional_encoding_test``, ``scaled_dot_product_attention_test``).
"""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from lessons.core import values
from lessons.reference.dls import c5 as ref
from parity_tests.strategies import seeds


def close(got, printed, digits=8):
    """``got`` equals the printed numbers to the printed digits (half a unit in the last place, and a hair)."""
    np.testing.assert_allclose(got, printed, rtol=0, atol=0.5 * 10.0 ** -digits + 1e-12)


def close32(got, printed):
    """For numbers TensorFlow printed from float32 tensors: equal to float32's precision (two units in its last
    place, 2^-22 relative), since TensorFlow orders its float32 operations differently from NumPy."""
    np.testing.assert_allclose(got, printed, rtol=2.0 ** -22, atol=1e-9)


# ---------------------------------------------------------------------------------------------------------------
# The basic RNN


def _rnn_parameters(order):
    """The notebook draws the five parameters in a different order in the forward and the backward examples."""
    shapes = {"Waa": (5, 5), "Wax": (5, 3), "Wya": (2, 5), "ba": (5, 1), "by": (2, 1)}
    return {k: np.random.randn(*shapes[k]) for k in order}


def test_rnn_cell_forward_reproduces_the_course_example():
    np.random.seed(1)
    xt, a_prev = np.random.randn(3, 10), np.random.randn(5, 10)
    parameters = _rnn_parameters(["Waa", "Wax", "Wya", "ba", "by"])
    a_next, yt_pred, cache = ref.rnn_cell_forward(xt, a_prev, parameters)
    close(a_next[4], [0.59584544, 0.18141802, 0.61311866, 0.99808218, 0.85016201, 0.99980978, -0.18887155,
                      0.99815551, 0.6531151, 0.82872037])
    close(yt_pred[1], [0.9888161, 0.01682021, 0.21140899, 0.36817467, 0.98988387, 0.88945212, 0.36920224,
                       0.9966312, 0.9982559, 0.17746526])
    assert a_next.shape == (5, 10) and yt_pred.shape == (2, 10)
    assert cache[1] is a_prev and cache[2] is xt and cache[3] is parameters
    np.testing.assert_array_equal(cache[0], a_next)


def test_rnn_forward_reproduces_the_course_example():
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 4), np.random.randn(5, 10)
    parameters = _rnn_parameters(["Waa", "Wax", "Wya", "ba", "by"])
    a, y_pred, caches = ref.rnn_forward(x, a0, parameters)
    close(a[4][1], [-0.99999375, 0.77911235, -0.99861469, -0.99833267])
    close(y_pred[1][3], [0.79560373, 0.86224861, 0.11118257, 0.81515947])
    close(caches[1][1][3], [-1.1425182, -0.34934272, -0.20889423, 0.58662319])
    assert a.shape == (5, 10, 4) and y_pred.shape == (2, 10, 4) and len(caches) == 2 and len(caches[0]) == 4


def test_rnn_cell_backward_reproduces_the_course_example():
    np.random.seed(1)
    xt, a_prev = np.random.randn(3, 10), np.random.randn(5, 10)
    parameters = _rnn_parameters(["Wax", "Waa", "Wya", "ba", "by"])
    _, _, cache = ref.rnn_cell_forward(xt, a_prev, parameters)
    g = ref.rnn_cell_backward(np.random.randn(5, 10), cache)
    close(g["dxt"][1][2], -1.3872130506, 10)
    close(g["da_prev"][2][3], -0.152399493774, 12)
    close(g["dWax"][3][1], 0.410772824935, 12)
    close(g["dWaa"][1][2], 1.15034506685, 11)
    close(g["dba"][4], [0.20023491])
    assert {k: v.shape for k, v in g.items()} == {"dxt": (3, 10), "da_prev": (5, 10), "dWax": (5, 3),
                                                  "dWaa": (5, 5), "dba": (5, 1)}


def test_rnn_backward_reproduces_the_course_example():
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 4), np.random.randn(5, 10)
    parameters = _rnn_parameters(["Wax", "Waa", "Wya", "ba", "by"])
    _, _, caches = ref.rnn_forward(x, a0, parameters)
    g = ref.rnn_backward(np.random.randn(5, 10, 4), caches)
    close(g["dx"][1][2], [-2.07101689, -0.59255627, 0.02466855, 0.01483317])
    close(g["da0"][2][3], -0.314942375127, 12)
    close(g["dWax"][3][1], 11.2641044965, 10)
    close(g["dWaa"][1][2], 2.30333312658, 11)
    close(g["dba"][4], [-0.74747722])
    assert {k: v.shape for k, v in g.items()} == {"dx": (3, 10, 4), "da0": (5, 10), "dWax": (5, 3), "dWaa": (5, 5),
                                                  "dba": (5, 1)}


def _softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


@given(seed=seeds, n_x=st.integers(1, 3), n_a=st.integers(1, 3), n_y=st.integers(1, 3), m=st.integers(1, 3),
       T_x=st.integers(1, 3))
def test_rnn_adapters_follow_the_course_equations(seed, n_x, n_a, n_y, m, T_x):
    p = {"Wax": values(seed, (n_a, n_x), -1, 1), "Waa": values(seed + 1, (n_a, n_a), -1, 1),
         "Wya": values(seed + 2, (n_y, n_a)), "ba": values(seed + 3, (n_a, 1)), "by": values(seed + 4, (n_y, 1))}
    x, a0, da = values(seed + 5, (n_x, m, T_x)), values(seed + 6, (n_a, m)), values(seed + 7, (n_a, m, T_x))
    a, y_pred, caches = ref.rnn_forward(x, a0, p)
    a_prev, states = a0, []
    for t in range(T_x):
        a_t = np.tanh(p["Waa"] @ a_prev + p["Wax"] @ x[:, :, t] + p["ba"])
        np.testing.assert_allclose(a[:, :, t], a_t, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(y_pred[:, :, t], _softmax(p["Wya"] @ a_t + p["by"]), rtol=1e-12, atol=1e-14)
        states.append((a_prev, a_t))
        a_prev = a_t
    # Backpropagation through time, as the notebook's equations (0)-(5) and its loop write it
    dWax, dWaa, dba, dx, carry = 0, 0, 0, np.zeros_like(x), np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        a_prev, a_t = states[t]
        dz = (da[:, :, t] + carry) * (1 - a_t ** 2)
        dx[:, :, t] = p["Wax"].T @ dz
        carry = p["Waa"].T @ dz
        dWax, dWaa, dba = dWax + dz @ x[:, :, t].T, dWaa + dz @ a_prev.T, dba + dz.sum(axis=1, keepdims=True)
    g = ref.rnn_backward(da, caches)
    for name, want in (("dx", dx), ("da0", carry), ("dWax", dWax), ("dWaa", dWaa), ("dba", dba)):
        np.testing.assert_allclose(g[name], want, rtol=1e-10, atol=1e-12, err_msg=name)


# ---------------------------------------------------------------------------------------------------------------
# The LSTM


def _lstm_parameters(zero_output=False):
    p = {}
    for g in "fioc":  # the notebook's order: Wf, bf, Wi, bi, Wo, bo, Wc, bc
        p["W" + g], p["b" + g] = np.random.randn(5, 5 + 3), np.random.randn(5, 1)
    if zero_output:
        p["Wy"], p["by"] = np.zeros((2, 5)), np.zeros((2, 1))
    else:
        p["Wy"], p["by"] = np.random.randn(2, 5), np.random.randn(2, 1)
    return p


def test_lstm_cell_forward_reproduces_the_course_example():
    np.random.seed(1)
    xt, a_prev, c_prev = np.random.randn(3, 10), np.random.randn(5, 10), np.random.randn(5, 10)
    a_next, c_next, yt, cache = ref.lstm_cell_forward(xt, a_prev, c_prev, _lstm_parameters())
    close(a_next[4], [-0.66408471, 0.0036921, 0.02088357, 0.22834167, -0.85575339, 0.00138482, 0.76566531,
                      0.34631421, -0.00215674, 0.43827275])
    close(c_next[2], [0.63267805, 1.00570849, 0.35504474, 0.20690913, -1.64566718, 0.11832942, 0.76449811,
                      -0.0981561, -0.74348425, -0.26810932])
    close(yt[1], [0.79913913, 0.15986619, 0.22412122, 0.15606108, 0.97057211, 0.31146381, 0.00943007, 0.12666353,
                  0.39380172, 0.07828381])
    close(cache[1][3], [-0.16263996, 1.03729328, 0.72938082, -0.54101719, 0.02752074, -0.30821874, 0.07651101,
                        -1.03752894, 1.41219977, -0.37647422])
    assert len(cache) == 10 and a_next.shape == c_next.shape == (5, 10) and yt.shape == (2, 10)


def test_lstm_forward_reproduces_the_course_example():
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 7), np.random.randn(5, 10)
    a, y, c, caches = ref.lstm_forward(x, a0, _lstm_parameters())
    close(a[4][3][6], 0.17211776753291672, 15)
    close(y[1][4][3], 0.9508734618501101, 15)
    close(caches[1][1][1], [0.82797464, 0.23009474, 0.76201118, -0.22232814, -0.20075807, 0.18656139, 0.41005165])
    close(c[1][2][1], -0.8555449167181981, 15)
    assert a.shape == c.shape == (5, 10, 7) and y.shape == (2, 10, 7) and len(caches) == 2


def test_lstm_cell_backward_reproduces_the_course_example():
    np.random.seed(1)
    xt, a_prev, c_prev = np.random.randn(3, 10), np.random.randn(5, 10), np.random.randn(5, 10)
    _, _, _, cache = ref.lstm_cell_forward(xt, a_prev, c_prev, _lstm_parameters())
    da_next, dc_next = np.random.randn(5, 10), np.random.randn(5, 10)
    g = ref.lstm_cell_backward(da_next, dc_next, cache)
    close(g["dxt"][1][2], 3.23055911511, 11)
    close(g["da_prev"][2][3], -0.0639621419711, 13)
    close(g["dc_prev"][2][3], 0.797522038797, 12)
    close(g["dWf"][3][1], -0.147954838164, 12)
    close(g["dWi"][1][2], 1.05749805523, 11)
    close(g["dWc"][3][1], 2.30456216369, 11)
    close(g["dWo"][1][2], 0.331311595289, 12)
    close(g["dbf"][4], [0.18864637])
    close(g["dbi"][4], [-0.40142491])
    close(g["dbc"][4], [0.25587763])
    close(g["dbo"][4], [0.13893342])
    shapes = {"dxt": (3, 10), "da_prev": (5, 10), "dc_prev": (5, 10)}
    shapes.update({f"dW{k}": (5, 8) for k in "fico"})
    shapes.update({f"db{k}": (5, 1) for k in "fico"})
    assert {k: v.shape for k, v in g.items()} == shapes


def test_lstm_backward_reproduces_the_course_example():
    """The notebook runs the forward over 7 steps and the backward from a ``da`` of 4 steps: the backward reads
    ``T_x`` from ``da`` and so covers the first 4 steps."""
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 7), np.random.randn(5, 10)
    _, _, _, caches = ref.lstm_forward(x, a0, _lstm_parameters(zero_output=True))
    g = ref.lstm_backward(np.random.randn(5, 10, 4), caches)
    close(g["dx"][1][2], [0.00218254, 0.28205375, -0.48292508, -0.43281115])
    close(g["da0"][2][3], 0.312770310257, 12)
    close(g["dWf"][3][1], -0.0809802310938, 13)
    close(g["dWi"][1][2], 0.40512433093, 11)
    close(g["dWc"][3][1], -0.0793746735512, 13)
    close(g["dWo"][1][2], 0.038948775763, 12)
    close(g["dbf"][4], [-0.15745657])
    close(g["dbi"][4], [-0.50848333])
    close(g["dbc"][4], [-0.42510818])
    close(g["dbo"][4], [-0.17958196])
    assert g["dx"].shape == (3, 10, 4) and g["da0"].shape == (5, 10)
    assert all(g[f"dW{k}"].shape == (5, 8) and g[f"db{k}"].shape == (5, 1) for k in "fico")


@given(seed=seeds, n_x=st.integers(1, 3), n_a=st.integers(1, 3), m=st.integers(1, 3), T_x=st.integers(1, 3))
def test_lstm_adapters_follow_the_course_equations(seed, n_x, n_a, m, T_x):
    p = {}
    for k, g in enumerate("fico"):
        p["W" + g], p["b" + g] = values(seed + k, (n_a, n_a + n_x), -1, 1), values(seed + 10 + k, (n_a, 1), -1, 1)
    p["Wy"], p["by"] = values(seed + 20, (2, n_a)), values(seed + 21, (2, 1))
    x, a0, da = values(seed + 5, (n_x, m, T_x)), values(seed + 6, (n_a, m)), values(seed + 7, (n_a, m, T_x))
    a, y, c, caches = ref.lstm_forward(x, a0, p)
    a_prev, c_prev, steps = a0, np.zeros((n_a, m)), []
    for t in range(T_x):
        concat = np.concatenate([a_prev, x[:, :, t]])
        ft, it = _sigmoid(p["Wf"] @ concat + p["bf"]), _sigmoid(p["Wi"] @ concat + p["bi"])
        cct, ot = np.tanh(p["Wc"] @ concat + p["bc"]), _sigmoid(p["Wo"] @ concat + p["bo"])
        c_t = ft * c_prev + it * cct
        a_t = ot * np.tanh(c_t)
        np.testing.assert_allclose(a[:, :, t], a_t, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(c[:, :, t], c_t, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(y[:, :, t], _softmax(p["Wy"] @ a_t + p["by"]), rtol=1e-12, atol=1e-14)
        for got, want in zip(caches[0][t][4:8], (ft, it, cct, ot)):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
        steps.append((concat, c_prev, ft, it, cct, ot, c_t))
        a_prev, c_prev = a_t, c_t
    # The notebook's equations (7)-(21), in its lstm_backward loop
    dW = {g: 0 for g in "fico"}
    db = {g: 0 for g in "fico"}
    dx, da_next, dc_next = np.zeros_like(x), np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        concat, c_prev, ft, it, cct, ot, c_t = steps[t]
        dA = da[:, :, t] + da_next
        dtc = ot * (1 - np.tanh(c_t) ** 2) * dA
        d = {"o": dA * np.tanh(c_t) * ot * (1 - ot), "c": (dc_next * it + dtc * it) * (1 - cct ** 2),
             "i": (dc_next * cct + dtc * cct) * it * (1 - it), "f": (dc_next * c_prev + dtc * c_prev) * ft * (1 - ft)}
        dconcat = sum(p["W" + g].T @ d[g] for g in "fico")
        for g in "fico":
            dW[g], db[g] = dW[g] + d[g] @ concat.T, db[g] + d[g].sum(axis=1, keepdims=True)
        da_next, dc_next, dx[:, :, t] = dconcat[:n_a], dc_next * ft + dtc * ft, dconcat[n_a:]
    g = ref.lstm_backward(da, caches)
    np.testing.assert_allclose(g["dx"], dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g["da0"], da_next, rtol=1e-10, atol=1e-12)
    for k in "fico":
        np.testing.assert_allclose(g["dW" + k], dW[k], rtol=1e-10, atol=1e-12, err_msg="dW" + k)
        np.testing.assert_allclose(g["db" + k], db[k], rtol=1e-10, atol=1e-12, err_msg="db" + k)


# ---------------------------------------------------------------------------------------------------------------
# Dinosaurus Island


def _dinosaur_gradients():
    np.random.seed(3)
    shapes = {"dWax": (5, 3), "dWaa": (5, 5), "dWya": (2, 5), "db": (5, 1), "dby": (2, 1)}
    return {k: np.random.randn(*shape) * 10 for k, shape in shapes.items()}


def test_clip_reproduces_the_course_example_and_leaves_the_input_alone():
    for maxValue, expected in ((10, (10.0, -10.0, 0.2971381536101662, [10.0], [8.45833407])),
                               (5, (5.0, -5.0, 0.2971381536101662, [5.0], [5.0]))):
        gradients = _dinosaur_gradients()
        before = {k: v.copy() for k, v in gradients.items()}
        out = ref.clip(gradients, maxValue)
        got = (out["dWaa"][1][2], out["dWax"][3][1], out["dWya"][1][2], out["db"][4], out["dby"][1])
        for g, e in zip(got, expected):
            close(g, e)
        assert set(out) == {"dWaa", "dWax", "dWya", "db", "dby"}
        for k in gradients:
            np.testing.assert_array_equal(gradients[k], before[k])
            assert out[k].min() >= -maxValue and out[k].max() <= maxValue
            inside = np.abs(before[k]) <= maxValue
            np.testing.assert_array_equal(out[k][inside], before[k][inside])


def test_sample_reproduces_the_course_example():
    chars = ["\n"] + [chr(ord("a") + i) for i in range(26)]  # sorted(set(dinos.txt)): the newline, then a..z
    char_to_ix = {ch: i for i, ch in enumerate(chars)}
    vocab_size, n_a = 27, 100
    np.random.seed(24)
    Wax, Waa, Wya = np.random.randn(n_a, vocab_size), np.random.randn(n_a, n_a), np.random.randn(vocab_size, n_a)
    b, by = np.random.randn(n_a, 1), np.random.randn(vocab_size, 1)
    indices = ref.sample({"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": b, "by": by}, char_to_ix, 0)
    assert [int(i) for i in indices] == [23, 16, 26, 26, 24, 3, 21, 1, 7, 24, 15, 3, 25, 20, 6, 13, 10, 8, 20, 12,
                                         2, 0]
    assert "".join(chars[i] for i in indices) == "wpzzxcuagxocytfmjhtlb\n"


@given(seed=seeds, vocab_size=st.integers(2, 5), n_a=st.integers(1, 4), sample_seed=st.integers(0, 50),
       rare_newline=st.booleans())
def test_sample_follows_the_course_equations(seed, vocab_size, n_a, sample_seed, rare_newline):
    p = {"Wax": values(seed, (n_a, vocab_size)), "Waa": values(seed + 1, (n_a, n_a)),
         "Wya": values(seed + 2, (vocab_size, n_a)), "b": values(seed + 3, (n_a, 1)),
         "by": values(seed + 4, (vocab_size, 1)) - (6.0 if rare_newline else 0.0) * np.eye(vocab_size, 1)}
    char_to_ix = {"\n": 0, **{chr(ord("a") + i): i + 1 for i in range(vocab_size - 1)}}
    x, a, s, want = np.zeros((vocab_size, 1)), np.zeros((n_a, 1)), sample_seed, []
    while (not want or want[-1] != 0) and len(want) < 50:
        a = np.tanh(p["Wax"] @ x + p["Waa"] @ a + p["b"])
        np.random.seed(len(want) + s)
        want.append(int(np.random.choice(vocab_size, p=_softmax(p["Wya"] @ a + p["by"]).ravel())))
        x = np.eye(vocab_size)[:, [want[-1]]]
        s += 1
    if want[-1] != 0:
        want.append(0)
    assert [int(i) for i in ref.sample(p, char_to_ix, sample_seed)] == want


# ---------------------------------------------------------------------------------------------------------------
# The Transformer (the course's TensorFlow functions, in NumPy)


def test_get_angles_passes_the_course_test():
    position, d_model = 4, 16
    result = ref.get_angles(np.arange(position)[:, np.newaxis], np.arange(d_model)[np.newaxis, :], d_model)
    assert type(result) is np.ndarray and result.shape == (position, d_model)
    assert np.sum(result[0, :]) == 0
    assert np.isclose(np.sum(result[:, 0]), position * (position - 1) / 2)
    assert np.all(result[:, 0::2] == result[:, 1::2])
    assert np.isclose(result[position - 1, d_model - 1], (position - 1) / np.power(10000, 14.0 / 16.0))


def test_positional_encoding_passes_the_course_test():
    position, d_model = 8, 16
    pos_encoding = ref.positional_encoding(position, d_model)
    assert pos_encoding.shape == (1, position, d_model) and pos_encoding.dtype == np.float32
    sin_part, cos_part = pos_encoding[:, :, 0::2], pos_encoding[:, :, 1::2]
    assert np.allclose(sin_part ** 2 + cos_part ** 2, np.ones((1, position, d_model // 2)))
    angs = np.arctan(sin_part / cos_part)
    angs[angs < 0] += np.pi
    angs[sin_part < 0] += np.pi
    angs = angs % (2 * np.pi)
    true_angs = ref.get_angles(np.arange(position)[:, np.newaxis], np.arange(d_model)[np.newaxis, :],
                               d_model)[:, 0::2] % (2 * np.pi)
    assert np.allclose(angs[0], true_angs)


def test_masks_reproduce_the_course_examples():
    x = np.array([[7., 6., 0., 0., 1.], [1., 2., 3., 0., 0.], [0., 0., 0., 4., 5.]])
    mask = ref.create_padding_mask(x)
    assert mask.shape == (3, 1, 5) and mask.dtype == np.float32
    np.testing.assert_array_equal(mask, [[[1., 1., 0., 0., 1.]], [[1., 1., 1., 0., 0.]], [[0., 0., 0., 1., 1.]]])
    # The notebook then shows what the mask does to a softmax over x's rows, printed in float32
    e = np.exp(x + (1 - mask) * -1.0e9 - np.max(x + (1 - mask) * -1.0e9, axis=-1, keepdims=True))
    masked = e / e.sum(axis=-1, keepdims=True)
    close32(masked[0], [[7.2973627e-01, 2.6845497e-01, 0, 0, 1.8088354e-03],
                        [2.4472848e-01, 6.6524094e-01, 0, 0, 9.0030573e-02],
                        [6.6483547e-03, 6.6483547e-03, 0, 0, 9.8670328e-01]])
    close32(masked[1][2], [3.3333334e-01, 3.3333334e-01, 3.3333334e-01, 0, 0])
    look_ahead = ref.create_look_ahead_mask(3)
    assert look_ahead.shape == (1, 3, 3) and look_ahead.dtype == np.float32
    np.testing.assert_array_equal(look_ahead, [[[1., 0., 0.], [1., 1., 0.], [1., 1., 1.]]])


def test_scaled_dot_product_attention_passes_the_course_test():
    q = np.array([[1, 0, 1, 1], [0, 1, 1, 1], [1, 0, 0, 1]]).astype(np.float32)
    k = np.array([[1, 1, 0, 1], [1, 0, 1, 1], [0, 1, 1, 0], [0, 0, 0, 1]]).astype(np.float32)
    v = np.array([[0, 0], [1, 0], [1, 0], [1, 1]]).astype(np.float32)
    attention, weights = ref.scaled_dot_product_attention(q, k, v, None)
    assert weights.shape == (3, 4) and attention.shape == (3, 2) and weights.dtype == np.float32
    close32(weights, [[0.2589478, 0.42693272, 0.15705977, 0.15705977],
                      [0.2772748, 0.2772748, 0.2772748, 0.16817567],
                      [0.33620113, 0.33620113, 0.12368149, 0.2039163]])
    close32(attention, [[0.74105227, 0.15705977], [0.7227253, 0.16817567], [0.6637989, 0.2039163]])
    mask = np.array([[[1, 1, 0, 1], [1, 1, 0, 1], [1, 1, 0, 1]]])
    attention, weights = ref.scaled_dot_product_attention(q, k, v, mask)
    close32(weights, [[[0.30719590187072754, 0.5064803957939148, 0.0, 0.18632373213768005],
                       [0.3836517333984375, 0.3836517333984375, 0.0, 0.2326965481042862],
                       [0.3836517333984375, 0.3836517333984375, 0.0, 0.2326965481042862]]])
    close32(attention, [[[0.6928040981292725, 0.18632373213768005],
                         [0.6163482666015625, 0.2326965481042862],
                         [0.6163482666015625, 0.2326965481042862]]])


@given(seed=seeds, B=st.integers(1, 2), Lq=st.integers(1, 4), Lk=st.integers(1, 4), d_k=st.integers(1, 4),
       d_v=st.integers(1, 3), kind=st.sampled_from(["none", "padding", "look-ahead"]))
def test_attention_follows_the_course_equations_and_its_backward_the_chain_rule(seed, B, Lq, Lk, d_k, d_v, kind):
    Lk = Lq if kind == "look-ahead" else Lk
    q, k, v = values(seed, (B, Lq, d_k)), values(seed + 1, (B, Lk, d_k)), values(seed + 2, (B, Lk, d_v))
    ids = np.concatenate([np.ones((B, 1)), np.round(values(seed + 3, (B, Lk - 1), 0, 1, nonzero=False))], axis=1)
    mask = {"none": None, "padding": ref.create_padding_mask(ids), "look-ahead": ref.create_look_ahead_mask(Lq)}[kind]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(d_k)
    if mask is not None:
        scores = scores + (1.0 - mask) * -1e9
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    P = e / e.sum(axis=-1, keepdims=True)
    output, weights = ref.scaled_dot_product_attention(q, k, v, mask)
    np.testing.assert_allclose(weights, P, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(output, P @ v, rtol=1e-12, atol=1e-14)
    dout = values(seed + 4, output.shape)
    dP = dout @ np.swapaxes(v, -1, -2)
    dS = P * (dP - np.sum(dP * P, axis=-1, keepdims=True))
    dq, dk, dv = ref.scaled_dot_product_attention_backward(dout, q, k, v, mask)
    np.testing.assert_allclose(dv, np.swapaxes(P, -1, -2) @ dout, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dq, dS @ k / np.sqrt(d_k), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dk, np.swapaxes(dS, -1, -2) @ q / np.sqrt(d_k), rtol=1e-10, atol=1e-12)


def test_attention_backward_sums_over_broadcast_axes():
    """A 2-d query against a batched mask (as in the course's test): the gradients come back in the inputs' shapes."""
    q, k, v = values(1, (3, 4)), values(2, (4, 4)), values(3, (4, 2))
    mask = np.array([[[1, 1, 0, 1]] * 3, [[1, 0, 1, 1]] * 3])  # (2, 3, 4)
    output, _ = ref.scaled_dot_product_attention(q, k, v, mask)
    dout = values(4, output.shape)
    dq, dk, dv = ref.scaled_dot_product_attention_backward(dout, q, k, v, mask)
    assert dq.shape == q.shape and dk.shape == k.shape and dv.shape == v.shape
    parts = [ref.scaled_dot_product_attention_backward(dout[b], q, k, v, mask[b]) for b in range(2)]
    for got, *per_batch in zip((dq, dk, dv), *parts, strict=True):
        np.testing.assert_allclose(got, sum(per_batch), rtol=1e-12, atol=1e-14)
