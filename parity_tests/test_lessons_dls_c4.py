"""Deep Learning Specialization course 4 (``lessons.reference.dls.c4``): the course's published examples, and the
course's forward equations written out here as loops.

The examples' inputs are the assignments' own (``np.random.seed(...)`` draws in the notebooks and their
``public_tests.py``); the expected numbers are the ones they print or assert, to the digits published.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.core import values
from lessons.reference.dls import c4 as ref
from parity_tests.strategies import seeds

# ---------------------------------------------------------------------------------------------------------------
# Week 1: convolution ("Convolutional Neural Networks: Step by Step", notebook and public_tests.py)


def test_zero_pad_reproduces_the_course_example():
    np.random.seed(1)
    x = np.random.randn(4, 3, 3, 2)
    x_pad = ref.zero_pad(x, 3)
    assert type(x_pad) is np.ndarray and x_pad.shape == (4, 9, 9, 2)
    np.testing.assert_allclose(x[1, 1], [[0.90085595, -0.68372786], [-0.12289023, -0.93576943],
                                         [-0.26788808, 0.53035547]], rtol=0, atol=5e-9)
    assert not x_pad[1, 1].any() and not x_pad[:, :3].any() and not x_pad[:, :, 6:].any()
    np.testing.assert_array_equal(x_pad[:, 3:6, 3:6, :], x)


def test_conv_single_step_reproduces_the_course_examples():
    np.random.seed(1)
    a_slice_prev, W, b = np.random.randn(4, 4, 3), np.random.randn(4, 4, 3), np.random.randn(1, 1, 1)
    Z = ref.conv_single_step(a_slice_prev, W, b)
    assert type(Z) is np.float64  # the notebook asserts the type
    assert abs(Z - -6.999089450680221) < 1e-12
    np.random.seed(3)  # public_tests.conv_single_step_test
    a_slice_prev, W, b = np.random.randn(5, 5, 3), np.random.randn(5, 5, 3), np.random.randn(1, 1, 1)
    assert abs(ref.conv_single_step(a_slice_prev, W, b) - -3.5443670581382474) < 1e-12


def test_conv_forward_reproduces_the_course_examples():
    np.random.seed(1)
    A_prev, W, b = np.random.randn(2, 5, 7, 4), np.random.randn(3, 3, 4, 8), np.random.randn(1, 1, 1, 8)
    hparameters = {"pad": 1, "stride": 2}
    Z, cache_conv = ref.conv_forward(A_prev, W, b, hparameters)
    assert Z.shape == (2, 3, 4, 8)
    assert abs(np.mean(Z) - 0.5511276474566768) < 1e-12
    np.testing.assert_allclose(Z[0, 2, 1], [-2.17796037, 8.07171329, -0.5772704, 3.36286738, 4.48113645,
                                            -2.89198428, 10.99288867, 3.03171932], rtol=0, atol=5e-9)
    np.testing.assert_allclose(cache_conv[0][1][2][3], [-1.1191154, 1.9560789, -0.3264995, -1.34267579],
                               rtol=0, atol=5e-9)
    assert cache_conv[0] is A_prev and cache_conv[1] is W and cache_conv[2] is b and cache_conv[3] is hparameters

    np.random.seed(3)  # public_tests.conv_forward_test_2
    A_prev, W, b = np.random.randn(2, 5, 7, 4), np.random.randn(3, 3, 4, 8), np.random.randn(1, 1, 1, 8)
    assert ref.conv_forward(A_prev, W, b, {"pad": 3, "stride": 1})[0].shape == (2, 9, 11, 8)
    assert ref.conv_forward(A_prev, W, b, {"pad": 0, "stride": 2})[0].shape == (2, 2, 3, 8)
    W, b = np.random.randn(5, 5, 4, 8), np.random.randn(1, 1, 1, 8)
    Z, cache_conv = ref.conv_forward(A_prev, W, b, {"pad": 6, "stride": 1})
    assert Z.shape == (2, 13, 15, 8)
    assert abs(np.mean(Z) - -0.5384027772160062) < 1e-12
    np.testing.assert_allclose(cache_conv[0][1, 2][0], [1.98848968, 1.19505834, -0.0952376, -0.52718778],
                               rtol=0, atol=5e-9)


def test_conv_backward_reproduces_the_course_example():
    np.random.seed(1)
    A_prev, W, b = np.random.randn(10, 4, 4, 3), np.random.randn(2, 2, 3, 8), np.random.randn(1, 1, 1, 8)
    Z, cache_conv = ref.conv_forward(A_prev, W, b, {"pad": 2, "stride": 2})
    dA, dW, db = ref.conv_backward(Z, cache_conv)
    assert dA.shape == (10, 4, 4, 3) and dW.shape == (2, 2, 3, 8) and db.shape == (1, 1, 1, 8)
    assert abs(np.mean(dA) - 1.45243777754) < 1e-11
    assert abs(np.mean(dW) - 1.72699145831) < 1e-11
    assert abs(np.mean(db) - 7.83923256462) < 1e-10


def _conv_loops(A_prev, W, b, stride, pad):
    """The course's forward equation, one window and one filter at a time."""
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    n_H, n_W = (n_H_prev + 2 * pad - f) // stride + 1, (n_W_prev + 2 * pad - f) // stride + 1
    A_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    Z = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                window = A_pad[i, h * stride:h * stride + f, w * stride:w * stride + f, :]
                for c in range(n_C):
                    Z[i, h, w, c] = np.sum(window * W[..., c]) + b[0, 0, 0, c]
    return Z


@settings(max_examples=25)
@given(seed=seeds, m=st.integers(1, 2), n_H=st.integers(1, 5), n_W=st.integers(1, 5), n_C_prev=st.integers(1, 3),
       n_C=st.integers(1, 3), pad=st.integers(0, 2), stride=st.integers(1, 3), f=st.integers(1, 3))
def test_conv_adapters_follow_the_course_equations(seed, m, n_H, n_W, n_C_prev, n_C, pad, stride, f):
    f = min(f, min(n_H, n_W) + 2 * pad)
    A_prev, W = values(seed, (m, n_H, n_W, n_C_prev)), values(seed + 1, (f, f, n_C_prev, n_C))
    b, hp = values(seed + 2, (1, 1, 1, n_C)), {"stride": stride, "pad": pad}
    Z, cache = ref.conv_forward(A_prev, W, b, hp)
    np.testing.assert_allclose(Z, _conv_loops(A_prev, W, b, stride, pad), rtol=1e-12, atol=1e-12)
    if f <= min(n_H, n_W):
        np.testing.assert_allclose(ref.conv_single_step(A_prev[0, :f, :f], W[..., 0], b[..., 0]),
                                   np.sum(A_prev[0, :f, :f] * W[..., 0]) + b[0, 0, 0, 0], rtol=1e-12, atol=1e-12)
    # the backward is the adjoint of the forward: <dZ, Z(A, W, b) - b> = <dA, A> + <dW, W>, and db sums dZ
    dZ = values(seed + 3, Z.shape)
    dA, dW, db = ref.conv_backward(dZ, cache)
    linear_part = np.sum(dZ * (Z - b))
    np.testing.assert_allclose(np.sum(dA * A_prev), linear_part, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(np.sum(dW * W), linear_part, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(db, dZ.sum(axis=(0, 1, 2), keepdims=True), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# Week 1: pooling


def test_pool_forward_reproduces_the_course_examples():
    np.random.seed(1)
    A_prev = np.random.randn(2, 5, 5, 3)
    A, cache = ref.pool_forward(A_prev, {"stride": 1, "f": 3}, mode="max")
    assert A.shape == (2, 3, 3, 3) and cache[0] is A_prev
    np.testing.assert_allclose(A[1, 1], [[1.96710175, 0.84616065, 1.27375593], [1.96710175, 0.84616065, 1.23616403],
                                         [1.62765075, 1.12141771, 1.2245077]], rtol=0, atol=5e-9)
    A, _ = ref.pool_forward(A_prev, {"stride": 1, "f": 3}, mode="average")
    np.testing.assert_allclose(A[1, 1], [[0.44497696, -0.00261695, -0.31040307], [0.50811474, -0.23493734, -0.23961183],
                                         [0.11872677, 0.17255229, -0.22112197]], rtol=0, atol=5e-9)
    A, _ = ref.pool_forward(A_prev, {"stride": 2, "f": 3})  # mode="max" by default
    assert A.shape == (2, 2, 2, 3)
    np.testing.assert_allclose(A[0], [[[1.74481176, 0.90159072, 1.65980218], [1.74481176, 1.6924546, 1.65980218]],
                                      [[1.13162939, 1.51981682, 2.18557541], [1.13162939, 1.6924546, 2.18557541]]],
                               rtol=0, atol=5e-9)
    A, _ = ref.pool_forward(A_prev, {"stride": 2, "f": 3}, mode="average")
    np.testing.assert_allclose(A[1], [[[-0.17313416, 0.32377198, -0.34317572], [0.02030094, 0.14141479, -0.01231585]],
                                      [[0.42944926, 0.08446996, -0.27290905], [0.15077452, 0.28911175, 0.00123239]]],
                               rtol=0, atol=5e-9)
    # public_tests.pool_forward_test, test 3
    A, cache = ref.pool_forward(A_prev, {"stride": 1, "f": 2}, mode="max")
    np.testing.assert_allclose(A[1, 1], [[1.19891788, 0.74055645, 0.07734007], [0.31515939, 0.84616065, 0.07734007],
                                         [0.69803203, 0.84616065, 1.2245077], [0.69803203, 1.12141771, 1.2245077]],
                               rtol=0, atol=5e-9)
    A, _ = ref.pool_forward(A_prev, {"stride": 1, "f": 2}, mode="average")
    np.testing.assert_allclose(A[1, 1], [[0.11583785, 0.34545544, -0.6561907], [-0.2334108, 0.3364666, -0.69382351],
                                         [0.25497093, -0.21741362, -0.07342615],
                                         [-0.04092568, -0.01110394, 0.12495022]],
                               rtol=0, atol=5e-9)
    assert ref.pool_forward(np.zeros((2, 5, 7, 3)), {"stride": 2, "f": 2}, mode="average")[0].shape == (2, 2, 3, 3)
    assert ref.pool_forward(np.zeros((4, 5, 7, 4)), {"stride": 1, "f": 5}, mode="max")[0].shape == (4, 1, 3, 4)


def test_mask_and_distribute_value_reproduce_the_course_examples():
    np.random.seed(1)
    x = np.random.randn(2, 3)
    np.testing.assert_array_equal(ref.create_mask_from_window(x), [[True, False, False], [False, False, False]])
    x = np.array([[-1, 2, 3], [2, -3, 2], [1, 5, -2]])
    np.testing.assert_array_equal(ref.create_mask_from_window(x), [[False, False, False], [False, False, False],
                                                                   [False, True, False]])
    a = ref.distribute_value(2, (2, 2))
    assert type(a) is np.ndarray and a.shape == (2, 2) and np.sum(a) == 2
    np.testing.assert_array_equal(a, [[0.5, 0.5], [0.5, 0.5]])
    a = ref.distribute_value(100, (10, 10))
    assert a.shape == (10, 10) and np.sum(a) == 100


def test_pool_backward_reproduces_the_course_example():
    np.random.seed(1)
    A_prev = np.random.randn(5, 5, 3, 2)
    A, cache = ref.pool_forward(A_prev, {"stride": 1, "f": 2})
    assert A.shape == (5, 4, 2, 2)
    dA = np.random.randn(5, 4, 2, 2)
    assert abs(np.mean(dA) - 0.145713902729) < 1e-12
    dA_prev1 = ref.pool_backward(dA, cache, mode="max")
    assert dA_prev1.shape == (5, 5, 3, 2)
    np.testing.assert_allclose(dA_prev1[1, 1], [[0, 0], [5.05844394, -1.68282702], [0, 0]], rtol=0, atol=5e-9)
    dA_prev2 = ref.pool_backward(dA, cache, mode="average")
    np.testing.assert_allclose(dA_prev2[1, 1], [[0.08485462, 0.2787552], [1.26461098, -0.25749373],
                                                [1.17975636, -0.53624893]], rtol=0, atol=5e-9)


@settings(max_examples=25)
@given(seed=seeds, m=st.integers(1, 2), n_H=st.integers(1, 5), n_W=st.integers(1, 5), n_C=st.integers(1, 3),
       f=st.integers(1, 3), stride=st.integers(1, 3), mode=st.sampled_from(["max", "average"]))
def test_pool_adapters_follow_the_course_equations(seed, m, n_H, n_W, n_C, f, stride, mode):
    f = min(f, n_H, n_W)
    A_prev = values(seed, (m, n_H, n_W, n_C), distinct=True)
    hp = {"f": f, "stride": stride}
    A, cache = ref.pool_forward(A_prev, hp, mode=mode)
    n_Ho, n_Wo = (n_H - f) // stride + 1, (n_W - f) // stride + 1
    reduce = np.max if mode == "max" else np.mean
    expected = np.zeros((m, n_Ho, n_Wo, n_C))
    dA = values(seed + 1, expected.shape)
    dA_prev = np.zeros_like(A_prev)
    for i in range(m):
        for h in range(n_Ho):
            for w in range(n_Wo):
                for c in range(n_C):
                    rows, cols = slice(h * stride, h * stride + f), slice(w * stride, w * stride + f)
                    window = A_prev[i, rows, cols, c]
                    expected[i, h, w, c] = reduce(window)
                    share = (window == window.max()) if mode == "max" else np.full((f, f), 1.0 / (f * f))
                    dA_prev[i, rows, cols, c] += share * dA[i, h, w, c]
    np.testing.assert_allclose(A, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ref.pool_backward(dA, cache, mode=mode), dA_prev, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# Week 4: the triplet loss (Face Recognition notebook's unit test and public_tests.triplet_loss_test, whose
# deterministic cases are these; its first case draws TensorFlow random normals, which NumPy cannot reproduce)


def test_triplet_loss_reproduces_the_course_examples():
    y_true = (None, None, None)
    for y_pred, alpha, loss in [
        (([1., 1.], [1., 1.], [1., 1.]), 5, 5.0),
        (([1., 1.], [1., 1.], [0., 0.]), 3, 1.0),
        (([1., 1.], [0., 0.], [1., 1.]), 0, 2.0),
        (([0., 0.], [0., 0.], [0., 0.]), -2, 0.0),
        (([[1., 1.]], [[1., 1.]], [[1., 1.]]), 5, 5.0),
        (([[1., 0.], [1., 0.]], [[1., 0.], [1., 0.]], [[0., 1.], [0., 1.]]), 3, 2.0),
        (([[1., 1.], [2., 0.]], [[0., 3.], [1., 1.]], [[1., 0.], [0., 1.]]), 1, 5.0),  # 4.0 without axis=-1
    ]:
        assert ref.triplet_loss(y_true, y_pred, alpha) == loss, (y_pred, alpha)


@settings(max_examples=25)
@given(seed=seeds, m=st.integers(1, 4), d=st.integers(1, 6), alpha=st.sampled_from([0.0, 0.2, 1.0]))
def test_triplet_adapters_follow_the_course_equations(seed, m, d, alpha):
    a, p, n = values(seed, (m, d), -1, 1), values(seed + 1, (m, d), -1, 1), values(seed + 2, (m, d), -1, 1)
    basic = np.sum(np.square(a - p), axis=-1) - np.sum(np.square(a - n), axis=-1) + alpha
    np.testing.assert_allclose(ref.triplet_loss(None, (a, p, n), alpha), np.sum(np.maximum(basic, 0.0)),
                               rtol=1e-12, atol=1e-12)
    dloss = float(values(seed + 3, ()))
    active = (basic > 0)[:, None] * dloss
    da, dp, dn = ref.triplet_loss_backward(dloss, None, (a, p, n), alpha)
    np.testing.assert_allclose(da, 2 * (n - p) * active, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dp, -2 * (a - p) * active, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dn, 2 * (a - n) * active, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# Week 4: neural style transfer (Art Generation notebook and public_tests.py). The content, Gram and style tests
# draw their inputs with TensorFlow's random generator, which NumPy cannot reproduce: their shapes and the
# properties they assert (a cost of 0 between equal activations) are reproduced; total_cost's numbers exactly.


def test_style_costs_reproduce_the_course_examples():
    np.random.seed(1)
    a_C, a_G = np.random.randn(1, 1, 4, 4, 3) * 4 + 1, np.random.randn(1, 1, 4, 4, 3) * 4 + 1  # the tests' shapes
    assert ref.compute_content_cost(a_C, a_C) == 0.0 and ref.compute_content_cost(a_C, a_G) > 0
    assert np.shape(ref.compute_content_cost(a_C, a_G)) == ()
    assert ref.compute_content_cost(a_C[0], a_G[0]) == ref.compute_content_cost(list(a_C), list(a_G))
    assert ref.gram_matrix(np.random.randn(3, 2 * 1)).shape == (3, 3)
    a_S, a_G = np.random.randn(1, 4, 4, 3), np.random.randn(1, 4, 4, 3)
    assert ref.compute_layer_style_cost(a_G, a_G) == 0.0 and ref.compute_layer_style_cost(a_S, a_G) > 0

    assert ref.total_cost(0.2, 0.8) == 34
    assert abs(ref.total_cost(0.3, 0.5, 3, 8) - 4.9) < 1e-12
    np.random.seed(3)  # the earlier release's example, printed as J = 35.34667875478276
    assert ref.total_cost(np.random.randn(), np.random.randn()) == 35.34667875478276


def _unroll(a):
    _, n_H, n_W, n_C = a.shape
    return np.array([[a[0, h, w, c] for h in range(n_H) for w in range(n_W)] for c in range(n_C)])


@settings(max_examples=25)
@given(seed=seeds, n_H=st.integers(1, 3), n_W=st.integers(1, 3), n_C=st.integers(1, 4))
def test_style_adapters_follow_the_course_equations(seed, n_H, n_W, n_C):
    a_C, a_G, a_S = (values(seed + k, (1, n_H, n_W, n_C)) for k in range(3))
    dJ = float(values(seed + 3, ()))
    J = ref.compute_content_cost([a_S, a_C], [a_S, a_G])
    np.testing.assert_allclose(J, np.sum((a_C - a_G) ** 2) / (4 * n_H * n_W * n_C), rtol=1e-12)
    np.testing.assert_allclose(ref.compute_content_cost_backward(dJ, [a_C], [a_G]),
                               dJ * (a_G - a_C) / (2 * n_H * n_W * n_C), rtol=1e-12, atol=1e-15)

    S, G = _unroll(a_S), _unroll(a_G)  # (n_C, n_H n_W): row c lists channel c over every position
    GS, GG = ref.gram_matrix(S), ref.gram_matrix(G)
    np.testing.assert_allclose(GG, [[np.dot(G[i], G[j]) for j in range(n_C)] for i in range(n_C)], rtol=1e-12)
    dGA = values(seed + 4, (n_C, n_C))
    np.testing.assert_allclose(ref.gram_matrix_backward(dGA, G), (dGA + dGA.T) @ G, rtol=1e-12, atol=1e-12)

    scale = 1.0 / (4 * n_C ** 2 * (n_H * n_W) ** 2)
    np.testing.assert_allclose(ref.compute_layer_style_cost(a_S, a_G), scale * np.sum((GS - GG) ** 2), rtol=1e-12)
    dG = 2 * (dJ * scale * 2 * (GG - GS)) @ G
    expected = np.zeros_like(a_G)
    for c in range(n_C):
        for h in range(n_H):
            for w in range(n_W):
                expected[0, h, w, c] = dG[c, h * n_W + w]
    np.testing.assert_allclose(ref.compute_layer_style_cost_backward(dJ, a_S, a_G), expected, rtol=1e-10,
                               atol=1e-14)
