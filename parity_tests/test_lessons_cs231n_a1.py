"""CS231n assignment 1 (linear SVM, softmax, two-layer net) and assignment 2's optimizers and dropout: the
reference adapters in ``lessons.reference.cs231n`` against the course's published examples, and against the
course's equations written out here.

The examples' inputs are the assignment notebooks' (``np.linspace`` grids, ``np.random.seed(231)`` draws); the
expected numbers are the ones the notebooks print or assert (found in public copies of the current release:
``two_layer_net`` / ``FullyConnectedNets`` / ``Dropout`` notebooks and their tests).
"""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.core import labels, seeds, values
from lessons.reference.cs231n import a1

FEW = settings(max_examples=15, deadline=None)


# ----------------------------------------------------------------------------------------------------------------
# The course's equations, written out with its loops (linear_svm.py's given loss, softmax.py's given loss)


def course_svm_loss(W, X, y, reg):
    num_classes, num_train = W.shape[1], X.shape[0]
    loss = 0.0
    dW = np.zeros(W.shape)
    for i in range(num_train):
        scores = X[i].dot(W)
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    return loss / num_train + reg * np.sum(W * W), dW / num_train + 2 * reg * W


def course_softmax_loss(W, X, y, reg):
    num_train = X.shape[0]
    loss = 0.0
    dW = np.zeros(W.shape)
    for i in range(num_train):
        scores = X[i].dot(W)
        scores = scores - np.max(scores)
        p = np.exp(scores) / np.exp(scores).sum()
        loss -= np.log(p[y[i]])
        p[y[i]] -= 1
        dW += np.outer(X[i], p)
    return loss / num_train + reg * np.sum(W * W), dW / num_train + 2 * reg * W


@st.composite
def linear_classifier(draw):
    N, D, C = draw(st.integers(1, 5)), draw(st.integers(1, 5)), draw(st.integers(2, 5))
    seed = draw(seeds)
    reg = draw(st.sampled_from([0.0, 0.1, 2.5]))
    return values(seed, (D, C)), values(seed + 1, (N, D)), labels(seed + 2, N, C), reg


@FEW
@given(linear_classifier())
def test_linear_losses_follow_the_course_equations(case):
    W, X, y, reg = case
    for fn in (a1.svm_loss_naive, a1.svm_loss_vectorized):
        loss, dW = fn(W, X, y, reg)
        want_loss, want_dW = course_svm_loss(W, X, y, reg)
        assert isinstance(loss, float) and dW.shape == W.shape
        np.testing.assert_allclose(loss, want_loss, rtol=1e-12)
        np.testing.assert_allclose(dW, want_dW, rtol=1e-10, atol=1e-12)
    for fn in (a1.softmax_loss_naive, a1.softmax_loss_vectorized):
        loss, dW = fn(W, X, y, reg)
        want_loss, want_dW = course_softmax_loss(W, X, y, reg)
        np.testing.assert_allclose(loss, want_loss, rtol=1e-12)
        np.testing.assert_allclose(dW, want_dW, rtol=1e-10, atol=1e-12)


def _course_scores_example():
    # assignment 2's loss example (layers.py's svm_loss / softmax_loss on these scores print the numbers below);
    # with X the identity, a linear classifier's scores are W itself, so the assignment 1 losses must print them too
    np.random.seed(231)
    num_classes, num_inputs = 10, 50
    x = 0.001 * np.random.randn(num_inputs, num_classes)
    y = np.random.randint(num_classes, size=num_inputs)
    return x, np.eye(num_inputs), y


def test_svm_loss_reproduces_the_course_number_through_the_identity():
    W, X, y = _course_scores_example()
    for fn in (a1.svm_loss_naive, a1.svm_loss_vectorized):
        assert abs(fn(W, X, y, 0.0)[0] - 8.999602749096233) < 1e-12
        # the current release's penalty: reg * sum(W * W), no 1/2
        assert abs(fn(W, X, y, 3.0)[0] - (8.999602749096233 + 3.0 * np.sum(W * W))) < 1e-12


def test_softmax_loss_reproduces_the_course_number_through_the_identity():
    W, X, y = _course_scores_example()
    for fn in (a1.softmax_loss_naive, a1.softmax_loss_vectorized):
        assert abs(fn(W, X, y, 0.0)[0] - 2.302545844500738) < 1e-12


def test_softmax_loss_is_close_to_log_c_for_tiny_weights():
    # the softmax notebook's sanity check: W = 1e-4 * randn, 10 classes, no regularisation: loss ~ -log(0.1)
    np.random.seed(0)
    W = np.random.randn(3073, 10) * 0.0001
    X = np.random.randn(20, 3073)
    y = np.random.randint(10, size=20)
    assert abs(a1.softmax_loss_vectorized(W, X, y, 0.0)[0] - (-np.log(0.1))) < 0.05


def test_softmax_loss_does_not_overflow():
    W = np.array([[1.0, -1.0]])
    X = np.array([[2000.0]])
    loss, dW = a1.softmax_loss_vectorized(W, X, np.array([1]), 0.0)
    assert loss == 4000.0 and np.array_equal(dW, [[2000.0, -2000.0]])


# ----------------------------------------------------------------------------------------------------------------
# TwoLayerNet: the notebook's initialisation test and its linspace example


def _two_layer_example():
    np.random.seed(231)
    N, D, H, C = 3, 5, 50, 7
    np.random.randn(N, D)  # the notebook draws X and y first; the model's weights come after them
    np.random.randint(C, size=N)
    std = 1e-3
    model = a1.TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=std)
    return model, (N, D, H, C), std


def test_two_layer_net_initialisation_passes_the_course_test():
    model, (N, D, H, C), std = _two_layer_example()
    assert sorted(model.params) == ["W1", "W2", "b1", "b2"]
    assert model.params["W1"].shape == (D, H) and model.params["W2"].shape == (H, C)
    assert abs(model.params["W1"].std() - std) < std / 10
    assert abs(model.params["W2"].std() - std) < std / 10
    assert np.all(model.params["b1"] == 0) and np.all(model.params["b2"] == 0)
    # the course's code: weight_scale * randn, W1 then W2, from the global generator
    np.random.seed(5)
    net = a1.TwoLayerNet(input_dim=4, hidden_dim=3, num_classes=2, weight_scale=0.5)
    np.random.seed(5)
    np.testing.assert_array_equal(net.params["W1"], 0.5 * np.random.randn(4, 3))
    np.testing.assert_array_equal(net.params["W2"], 0.5 * np.random.randn(3, 2))


def test_two_layer_net_reproduces_the_course_example():
    model, (N, D, H, C), _ = _two_layer_example()
    model.params["W1"] = np.linspace(-0.7, 0.3, num=D * H).reshape(D, H)
    model.params["b1"] = np.linspace(-0.1, 0.9, num=H)
    model.params["W2"] = np.linspace(-0.3, 0.4, num=H * C).reshape(H, C)
    model.params["b2"] = np.linspace(-0.9, 0.1, num=C)
    X = np.linspace(-5.5, 4.5, num=N * D).reshape(D, N).T
    scores = model.loss(X)
    correct_scores = np.asarray(
        [[11.53165108, 12.2917344, 13.05181771, 13.81190102, 14.57198434, 15.33206765, 16.09215096],
         [12.05769098, 12.74614105, 13.43459113, 14.1230412, 14.81149128, 15.49994135, 16.18839143],
         [12.58373087, 13.20054771, 13.81736455, 14.43418138, 15.05099822, 15.66781506, 16.2846319]])
    assert np.abs(scores - correct_scores).sum() < 1e-6
    y = np.asarray([0, 5, 1])
    loss, grads = model.loss(X, y)
    assert abs(loss - 3.4702243556) < 1e-10
    model.reg = 1.0
    loss, grads = model.loss(X, y)
    assert abs(loss - 26.5948426952) < 1e-10
    assert {k: g.shape for k, g in grads.items()} == {k: p.shape for k, p in model.params.items()}


def course_two_layer_loss(params, X, y, reg):
    """affine - relu - affine - softmax with 0.5 * reg * sum(W**2), and its gradients, written out."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    Xf = X.reshape(X.shape[0], -1)
    a = Xf @ W1 + b1
    h = np.maximum(a, 0)
    s = h @ W2 + b2
    N = X.shape[0]
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean() + 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    ds = p.copy()
    ds[np.arange(N), y] -= 1
    ds /= N
    dh = ds @ W2.T
    da = dh * (a > 0)
    return s, loss, {"W1": Xf.T @ da + reg * W1, "b1": da.sum(axis=0), "W2": h.T @ ds + reg * W2,
                     "b2": ds.sum(axis=0)}


@FEW
@given(seed=seeds, N=st.integers(1, 4), D=st.integers(1, 4), H=st.integers(1, 4), C=st.integers(2, 4),
       reg=st.sampled_from([0.0, 0.7]))
def test_two_layer_net_follows_the_course_equations(seed, N, D, H, C, reg):
    model = a1.TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, reg=reg)
    model.params = {"W1": values(seed, (D, H)), "b1": values(seed + 1, (H,)), "W2": values(seed + 2, (H, C)),
                    "b2": values(seed + 3, (C,))}
    X, y = values(seed + 4, (N, D)), labels(seed + 5, N, C)
    scores, loss, grads = course_two_layer_loss(model.params, X, y, reg)
    np.testing.assert_allclose(model.loss(X), scores, rtol=1e-12, atol=1e-12)
    got_loss, got_grads = model.loss(X, y)
    np.testing.assert_allclose(got_loss, loss, rtol=1e-12)
    for k in grads:
        np.testing.assert_allclose(got_grads[k], grads[k], rtol=1e-10, atol=1e-12)
