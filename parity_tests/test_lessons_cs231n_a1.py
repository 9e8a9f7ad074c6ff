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
from lessons.reference.cs231n import a1, a2_dropout, a2_optim

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
    model, (_, D, H, C), std = _two_layer_example()
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


# ----------------------------------------------------------------------------------------------------------------
# Assignment 2's update rules (optim.py): the FullyConnectedNets notebook's linspace examples


def _optim_example():
    N, D = 4, 5
    w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
    dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
    return N, D, w, dw


def test_sgd_momentum_reproduces_the_course_example():
    N, D, w, dw = _optim_example()
    v = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    config = {"learning_rate": 1e-3, "velocity": v}
    next_w, config_out = a2_optim.sgd_momentum(w, dw, config=config)
    expected_next_w = np.asarray([
        [0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
        [0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526],
        [0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263],
        [1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096]])
    expected_velocity = np.asarray([
        [0.5406, 0.55475789, 0.56891579, 0.58307368, 0.59723158],
        [0.61138947, 0.62554737, 0.63970526, 0.65386316, 0.66802105],
        [0.68217895, 0.69633684, 0.71049474, 0.72465263, 0.73881053],
        [0.75296842, 0.76712632, 0.78128421, 0.79544211, 0.8096]])
    assert config_out is config  # the course returns the same dict, updated
    np.testing.assert_allclose(next_w, expected_next_w, rtol=0, atol=5e-9)  # to the 8 decimals printed
    np.testing.assert_allclose(config["velocity"], expected_velocity, rtol=0, atol=5e-9)


def test_rmsprop_reproduces_the_course_example():
    N, D, w, dw = _optim_example()
    cache = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    config = {"learning_rate": 1e-2, "cache": cache}
    next_w, _ = a2_optim.rmsprop(w, dw, config=config)
    expected_next_w = np.asarray([
        [-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247],
        [-0.132737, -0.08078555, -0.02881884, 0.02316247, 0.07515774],
        [0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447],
        [0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619]])
    expected_cache = np.asarray([
        [0.5976, 0.6126277, 0.6277108, 0.64284931, 0.65804321],
        [0.67329252, 0.68859723, 0.70395734, 0.71937285, 0.73484377],
        [0.75037008, 0.7659518, 0.78158892, 0.79728144, 0.81302936],
        [0.82883269, 0.84469141, 0.86060554, 0.87657507, 0.8926]])
    np.testing.assert_allclose(next_w, expected_next_w, rtol=0, atol=5e-9)
    np.testing.assert_allclose(config["cache"], expected_cache, rtol=0, atol=5e-9)


def test_adam_reproduces_the_course_example():
    N, D, w, dw = _optim_example()
    m = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    v = np.linspace(0.7, 0.5, num=N * D).reshape(N, D)
    config = {"learning_rate": 1e-2, "m": m, "v": v, "t": 5}
    next_w, _ = a2_optim.adam(w, dw, config=config)
    expected_next_w = np.asarray([
        [-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
        [-0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929],
        [0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969],
        [0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459]])
    expected_v = np.asarray([
        [0.69966, 0.68908382, 0.67851319, 0.66794809, 0.65738853],
        [0.64683452, 0.63628604, 0.6257431, 0.61520571, 0.60467385],
        [0.59414753, 0.58362676, 0.57311152, 0.56260183, 0.55209767],
        [0.54159906, 0.53110598, 0.52061845, 0.51013645, 0.49966]])
    expected_m = np.asarray([
        [0.48, 0.49947368, 0.51894737, 0.53842105, 0.55789474],
        [0.57736842, 0.59684211, 0.61631579, 0.63578947, 0.65526316],
        [0.67473684, 0.69421053, 0.71368421, 0.73315789, 0.75263158],
        [0.77210526, 0.79157895, 0.81105263, 0.83052632, 0.85]])
    np.testing.assert_allclose(next_w, expected_next_w, rtol=0, atol=5e-9)
    np.testing.assert_allclose(config["v"], expected_v, rtol=0, atol=5e-9)
    np.testing.assert_allclose(config["m"], expected_m, rtol=0, atol=5e-9)
    assert config["t"] == 6 and isinstance(config["t"], int)


def test_update_rules_fill_the_course_defaults():
    w, dw = np.array([0.5, -1.0]), np.array([0.25, 2.0])
    _, c = a2_optim.sgd(w.copy(), dw)
    assert c == {"learning_rate": 1e-2}
    _, c = a2_optim.sgd_momentum(w, dw)
    assert (c["learning_rate"], c["momentum"]) == (1e-2, 0.9)
    _, c = a2_optim.rmsprop(w, dw)
    assert (c["learning_rate"], c["decay_rate"], c["epsilon"]) == (1e-2, 0.99, 1e-8)
    _, c = a2_optim.adam(w, dw)
    assert (c["learning_rate"], c["beta1"], c["beta2"], c["epsilon"], c["t"]) == (1e-3, 0.9, 0.999, 1e-8, 1)


@FEW
@given(seed=seeds, shape=st.lists(st.integers(1, 4), min_size=1, max_size=2).map(tuple),
       lr=st.sampled_from([1e-3, 0.5]), t=st.integers(0, 6))
def test_update_rules_follow_the_course_equations(seed, shape, lr, t):
    w, dw, s1 = values(seed, shape), values(seed + 1, shape), values(seed + 2, shape)
    s2 = values(seed + 3, shape, low=0.01, high=2.0)
    dw_before = dw.copy()

    w_in = w.copy()
    next_w, c = a2_optim.sgd(w_in, dw, {"learning_rate": lr})
    assert next_w is w_in and np.array_equal(next_w, w - lr * dw)  # in place, as the course's sgd

    next_w, c = a2_optim.sgd_momentum(w, dw, {"learning_rate": lr, "momentum": 0.5, "velocity": s1})
    v = 0.5 * s1 - lr * dw
    assert np.array_equal(c["velocity"], v) and np.array_equal(next_w, w + v)  # bit for bit

    next_w, c = a2_optim.rmsprop(w, dw, {"learning_rate": lr, "decay_rate": 0.9, "epsilon": 0.1, "cache": s2})
    cache = 0.9 * s2 + 0.1 * dw**2
    np.testing.assert_allclose(c["cache"], cache, rtol=1e-14)
    np.testing.assert_allclose(next_w, w - lr * dw / (np.sqrt(cache) + 0.1), rtol=1e-13, atol=1e-15)

    next_w, c = a2_optim.adam(w, dw, {"learning_rate": lr, "beta1": 0.5, "beta2": 0.75, "epsilon": 0.1, "m": s1,
                                      "v": s2, "t": t})
    m, v = 0.5 * s1 + 0.5 * dw, 0.75 * s2 + 0.25 * dw**2
    mt, vt = m / (1 - 0.5 ** (t + 1)), v / (1 - 0.75 ** (t + 1))
    np.testing.assert_allclose(c["m"], m, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(c["v"], v, rtol=1e-14)
    np.testing.assert_allclose(next_w, w - lr * mt / (np.sqrt(vt) + 0.1), rtol=1e-13, atol=1e-15)
    assert c["t"] == t + 1
    assert np.array_equal(w, values(seed, shape)) and np.array_equal(dw, dw_before)  # only sgd changes w


# ----------------------------------------------------------------------------------------------------------------
# Assignment 2's inverted dropout: the Dropout notebook's printed statistics and its gradient check


def test_dropout_forward_reproduces_the_course_example():
    np.random.seed(231)
    x = np.random.randn(500, 500) + 10
    # mean of the train-time output and fraction of zeros, as the notebook prints them, for each p (keep prob.)
    printed = {0.25: (10.014059116977283, 0.749784), 0.4: (9.977917658761159, 0.600796),
               0.7: (9.987811912159426, 0.30074)}
    assert abs(x.mean() - 10.000207878477502) < 1e-12
    for p, (train_mean, zeros) in printed.items():
        out, _ = a2_dropout.dropout_forward(x, {"mode": "train", "p": p})
        out_test, _ = a2_dropout.dropout_forward(x, {"mode": "test", "p": p})
        assert abs(out.mean() - train_mean) < 1e-12  # the last digits depend on NumPy's summation order
        assert (out == 0).mean() == zeros
        assert out_test.mean() == x.mean() and (out_test == 0).mean() == 0.0


def _eval_numerical_gradient_array(f, x, df, h=1e-5):
    """The course's gradient_check.eval_numerical_gradient_array: central differences of sum(f(x) * df)."""
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        pos = f(x).copy()
        x[ix] = old - h
        neg = f(x).copy()
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
    return grad


def test_dropout_backward_passes_the_course_gradient_check():
    np.random.seed(231)
    x = np.random.randn(10, 10) + 10
    dout = np.random.randn(*x.shape)
    dropout_param = {"mode": "train", "p": 0.2, "seed": 123}
    _, cache = a2_dropout.dropout_forward(x, dropout_param)
    dx = a2_dropout.dropout_backward(dout, cache)
    dx_num = _eval_numerical_gradient_array(lambda xx: a2_dropout.dropout_forward(xx, dropout_param)[0], x, dout)
    rel_error = np.max(np.abs(dx - dx_num) / np.maximum(1e-8, np.abs(dx) + np.abs(dx_num)))
    assert rel_error < 1e-9  # the notebook: "around e-10 or less" (it prints 5.4e-11)


@FEW
@given(seed=seeds, shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
       p=st.sampled_from([0.25, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8]), with_seed=st.booleans())
def test_dropout_follows_the_course_equations(seed, shape, p, with_seed):
    x, dout = values(seed, shape), values(seed + 1, shape)
    param = {"mode": "train", "p": p, **({"seed": seed % 1000} if with_seed else {})}
    np.random.seed(seed + 2)
    out, cache = a2_dropout.dropout_forward(x, param)
    np.random.seed(seed % 1000 if with_seed else seed + 2)
    mask = (np.random.rand(*x.shape) < p) / p  # the course's mask, from the same draw
    assert np.array_equal(out, x * mask)  # bit for bit at these p
    assert cache[0] is param and np.array_equal(cache[1], mask)
    assert np.array_equal(a2_dropout.dropout_backward(dout, cache), dout * mask)
    out, cache = a2_dropout.dropout_forward(x, {"mode": "test", "p": p})
    assert np.array_equal(out, x) and cache[1] is None
    assert np.array_equal(a2_dropout.dropout_backward(dout, cache), dout)
