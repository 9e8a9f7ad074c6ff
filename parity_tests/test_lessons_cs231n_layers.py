"""CS231n assignment 2's first layers (``lessons.reference.cs231n.a2_layers``): the course's published examples, and
the course's forward equations written out here.

The examples' inputs are the assignment notebook's (linspace grids, and ``np.random.seed(231)`` draws); the
expected numbers are the ones it prints.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from lessons.core import labels, values
from lessons.reference.cs231n import a2_layers as ref
from parity_tests.strategies import seeds


def test_affine_forward_reproduces_the_course_example():
    num_inputs, input_shape, output_dim = 2, (4, 5, 6), 3
    input_size = num_inputs * np.prod(input_shape)
    weight_size = output_dim * np.prod(input_shape)
    x = np.linspace(-0.1, 0.5, num=input_size).reshape(num_inputs, *input_shape)
    w = np.linspace(-0.2, 0.3, num=weight_size).reshape(np.prod(input_shape), output_dim)
    b = np.linspace(-0.3, 0.1, num=output_dim)
    out, cache = ref.affine_forward(x, w, b)
    np.testing.assert_allclose(out, [[1.49834967, 1.70660132, 1.91485297],
                                     [3.25553199, 3.5141327, 3.77273342]], rtol=1e-8)
    assert cache[0] is x and cache[1] is w and cache[2] is b


def test_relu_forward_reproduces_the_course_example():
    x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
    out, _ = ref.relu_forward(x)
    np.testing.assert_allclose(out, [[0.0, 0.0, 0.0, 0.0],
                                     [0.0, 0.0, 0.04545455, 0.13636364],
                                     [0.22727273, 0.31818182, 0.40909091, 0.5]], rtol=1e-7, atol=1e-9)


def test_losses_reproduce_the_course_example():
    np.random.seed(231)
    num_classes, num_inputs = 10, 50
    x = 0.001 * np.random.randn(num_inputs, num_classes)
    y = np.random.randint(num_classes, size=num_inputs)
    assert abs(ref.svm_loss(x, y)[0] - 8.999602749096233) < 1e-12
    assert abs(ref.softmax_loss(x, y)[0] - 2.302545844500738) < 1e-12


@given(seed=seeds, N=st.integers(1, 4), C=st.integers(2, 5), dims=st.lists(st.integers(1, 3), min_size=1,
                                                                          max_size=3))
def test_adapters_follow_the_course_equations(seed, N, C, dims):
    x = values(seed, (N, *dims))
    D = int(np.prod(dims))
    w, b, dout = values(seed + 1, (D, C)), values(seed + 2, (C,)), values(seed + 3, (N, C))
    X = x.reshape(N, D)
    out, cache = ref.affine_forward(x, w, b)
    np.testing.assert_allclose(out, X @ w + b, rtol=1e-12)
    dx, dw, db = ref.affine_backward(dout, cache)
    np.testing.assert_allclose(dx, (dout @ w.T).reshape(x.shape), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, X.T @ dout, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, dout.sum(axis=0), rtol=1e-12, atol=1e-12)

    a = X @ w + b
    out, cache = ref.affine_relu_forward(x, w, b)
    np.testing.assert_allclose(out, np.maximum(a, 0), rtol=1e-12)
    dx, dw, db = ref.affine_relu_backward(dout, cache)
    da = dout * (a > 0)
    np.testing.assert_allclose(dw, X.T @ da, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, (da @ w.T).reshape(x.shape), rtol=1e-12, atol=1e-12)

    scores, y = values(seed + 4, (N, C)), labels(seed + 5, N, C)
    rows = np.arange(N)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    loss, dscores = ref.svm_loss(scores, y)
    assert abs(loss - margins.sum() / N) < 1e-12
    expected = (margins > 0).astype(float)
    expected[rows, y] = -expected.sum(axis=1)
    np.testing.assert_allclose(dscores, expected / N, atol=1e-12)

    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss, dscores = ref.softmax_loss(scores, y)
    assert abs(loss + np.log(p[rows, y]).mean()) < 1e-12
    onehot = np.zeros_like(p)
    onehot[rows, y] = 1
    np.testing.assert_allclose(dscores, (p - onehot) / N, atol=1e-12)
