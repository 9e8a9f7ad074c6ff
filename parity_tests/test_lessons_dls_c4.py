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
                                         [-0.26788808, 0.53035547]], rtol=1e-7)
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
                                            -2.89198428, 10.99288867, 3.03171932], rtol=1e-7)
    np.testing.assert_allclose(cache_conv[0][1][2][3], [-1.1191154, 1.9560789, -0.3264995, -1.34267579], rtol=1e-7)
    assert cache_conv[0] is A_prev and cache_conv[1] is W and cache_conv[2] is b and cache_conv[3] is hparameters

    np.random.seed(3)  # public_tests.conv_forward_test_2
    A_prev, W, b = np.random.randn(2, 5, 7, 4), np.random.randn(3, 3, 4, 8), np.random.randn(1, 1, 1, 8)
    assert ref.conv_forward(A_prev, W, b, {"pad": 3, "stride": 1})[0].shape == (2, 9, 11, 8)
    assert ref.conv_forward(A_prev, W, b, {"pad": 0, "stride": 2})[0].shape == (2, 2, 3, 8)
    W, b = np.random.randn(5, 5, 4, 8), np.random.randn(1, 1, 1, 8)
    Z, cache_conv = ref.conv_forward(A_prev, W, b, {"pad": 6, "stride": 1})
    assert Z.shape == (2, 13, 15, 8)
    assert abs(np.mean(Z) - -0.5384027772160062) < 1e-12
    np.testing.assert_allclose(cache_conv[0][1, 2][0], [1.98848968, 1.19505834, -0.0952376, -0.52718778], rtol=1e-7)


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
