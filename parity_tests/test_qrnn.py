"""fo_pool and QRNNLayer (Bradbury et al. 2017): parity with the torch twins (loops of tensor ops under autograd),
gradcheck, state_dict, causality, bad input."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import scratch.functional as F
import scratch.nn as nn
import torch_impl.functional as TF
import torch_impl.nn as tnn
from parity_tests.harness import check_function, check_gradcheck, check_module, check_state_dict_layout, torch_dtype
from parity_tests.strategies import GRADCHECK_KINDS, KINDS, float_arrays, layout_of, optional, seeds, with_layout
from scratch.functional.activation import stable_sigmoid

DTYPES = [np.float64, np.float32]


@st.composite
def fo_pool_case(draw, dtype, kinds=KINDS, max_side=6):
    """(z, f, o, c0-or-None): activated gates as the layer hands them over, z = tanh(.), f and o = sigmoid(.) of
    drawn pre-activations (wide ones saturate the gates at 0 and 1, the scan's edge cases), in the drawn layout."""
    T, N, H = draw(st.integers(1, max_side)), draw(st.integers(1, 3)), draw(st.integers(1, 4))

    def gate(fn):
        a = draw(float_arrays((T, N, H), dtype, kinds))
        return with_layout(fn(a).astype(dtype, copy=False), layout_of(a))

    z, f, o = gate(np.tanh), gate(stable_sigmoid), gate(stable_sigmoid)
    c0 = draw(optional(float_arrays((N, H), dtype, kinds)))
    return z, f, o, c0


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_fo_pool_matches_torch(dtype, data):
    """h and c_T, and dz, df, do, dc0 for random upstream gradients of both h and c_T."""
    check_function("fo_pool", F.fo_pool, TF.fo_pool, list(data.draw(fo_pool_case(dtype))), seed=data.draw(seeds))


@given(case=fo_pool_case(np.float64, GRADCHECK_KINDS, max_side=5), seed=seeds)
def test_fo_pool_gradcheck(case, seed):
    # no kinks: fo_pool is a polynomial in its inputs, so central differences need no nudging
    check_gradcheck("fo_pool", F.fo_pool, *case, seed=seed)


def test_fo_pool_backward_takes_none_for_either_gradient():
    rng = np.random.default_rng(0)
    z, f, o = (rng.uniform(0.1, 0.9, (4, 2, 3)) for _ in range(3))
    c0 = rng.standard_normal((2, 3))
    (h, c), backward = F.fo_pool(z, f, o, c0)
    dh, dc = rng.standard_normal(h.shape), rng.standard_normal(c.shape)
    for got, zeros in ((backward((dh, None)), (dh, np.zeros_like(c))), (backward((None, dc)), (np.zeros_like(h), dc))):
        for g, g0 in zip(got, backward(zeros)):
            np.testing.assert_array_equal(g, g0)
    assert all(not np.any(g) for g in backward((None, None)))


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_qrnn_layer_matches_torch(dtype, data):
    """h, c_T, dx, dc0 and linear.weight.grad, linear.bias.grad, for windows 1 and 2, with and without c0."""
    T, N, I, H = (data.draw(st.integers(1, 5)) for _ in range(4))
    window = data.draw(st.sampled_from([2, 1]))
    x = data.draw(float_arrays((T, N, I), dtype, ("normal", "ties", "tiny")))
    c0 = data.draw(optional(float_arrays((N, H), dtype, ("normal", "ties", "tiny"))))
    rng = np.random.default_rng(data.draw(seeds))
    layer = nn.QRNNLayer(I, H, window=window, dtype=dtype, rng=rng)
    twin = tnn.QRNNLayer(I, H, window=window, dtype=torch_dtype(dtype))
    inputs, grads = ((x,), [0]) if c0 is None else ((x, c0), [0, 1])
    check_module("QRNNLayer", layer, twin, *inputs, seed=data.draw(seeds), input_grads=grads)


@given(window=st.sampled_from([1, 2]), seed=seeds)
def test_qrnn_layer_gradcheck(window, seed):
    """The module's whole chain (concatenation, Linear, activations, fo_pool, the shifted dx) by central
    differences: in x, c0 and the weights, through the functional form the module composes."""
    rng = np.random.default_rng(seed)
    layer = nn.QRNNLayer(3, 2, window=window, dtype=np.float64, rng=rng)
    x, c0 = rng.uniform(-1, 1, (4, 2, 3)), rng.uniform(-1, 1, (2, 2))

    def fn(x, c0, weight, bias):
        layer.linear.weight[...], layer.linear.bias[...] = weight, bias
        layer.zero_grad()
        y, backward = layer(x, c0)

        def grads(dy):
            dx, dc0 = backward(dy)
            return dx, dc0, layer.linear.weight.grad.copy(), layer.linear.bias.grad.copy()
        return y, grads

    check_gradcheck("QRNNLayer", fn, x, c0, layer.linear.weight.copy(), layer.linear.bias.copy(), seed=seed)


@pytest.mark.parametrize("window", [1, 2])
def test_qrnn_layer_state_dict(window):
    layer, twin = nn.QRNNLayer(3, 5, window=window), tnn.QRNNLayer(3, 5, window=window)
    check_state_dict_layout("QRNNLayer", layer, twin)
    assert {k: v.shape for k, v in layer.state_dict().items()} == {
        "linear.weight": (15, window * 3), "linear.bias": (15,)}
    bound = 1 / np.sqrt(window * 3)  # torch's Linear init, fan_in = window * input_size
    assert np.all(np.abs(nn.QRNNLayer(3, 5, window, rng=np.random.default_rng(0)).linear.weight) <= bound)


@pytest.mark.parametrize("window", [1, 2])
@pytest.mark.parametrize("t", [0, 2, 5])
def test_qrnn_layer_is_causal(window, t):
    """Changing x at time t changes no output before t, on both sides, and does change the output at t; the
    gradient of the output at t reaches no input after t."""
    rng = np.random.default_rng(t + 10 * window)
    layer = nn.QRNNLayer(3, 4, window=window, dtype=np.float64, rng=rng)
    twin = tnn.QRNNLayer(3, 4, window=window, dtype=torch.float64)
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    x = rng.standard_normal((6, 2, 3))
    x2 = x.copy()
    x2[t] += 1.0 + rng.standard_normal((2, 3))
    (h, _), backward = layer(x)
    (h2, _), _ = layer(x2)
    np.testing.assert_array_equal(h[:t], h2[:t])
    assert np.all(h[t] != h2[t])
    with torch.no_grad():
        ht, ht2 = (twin(torch.from_numpy(a))[0].numpy() for a in (x, x2))
    np.testing.assert_array_equal(ht[:t], ht2[:t])
    assert np.all(ht[t] != ht2[t])
    dh = np.zeros_like(h)
    dh[t] = 1.0
    dx, _ = backward((dh, None))
    assert not np.any(dx[t + 1:])
    assert np.any(dx[t])


def test_qrnn_bad_input():
    g = np.full((3, 2, 4), 0.5)
    with pytest.raises(TypeError, match="fo_pool expected z to be float32 or float64, got int64"):
        F.fo_pool(np.zeros((3, 2, 4), np.int64), g, g)
    with pytest.raises(ValueError, match=r"fo_pool expected f of shape \(T, N, H\) \(3 dims\), got shape \(3, 8\)"):
        F.fo_pool(g, np.zeros((3, 8)), g)
    with pytest.raises(ValueError, match=r"fo_pool expected o of shape \(3, 2, 4\) like z, got \(3, 2, 5\)"):
        F.fo_pool(g, g, np.zeros((3, 2, 5)))
    with pytest.raises(TypeError, match="fo_pool expected f to have dtype float64 like z, got float32"):
        F.fo_pool(g, g.astype(np.float32), g)
    with pytest.raises(ValueError, match=r"fo_pool expected c0 of shape \(2, 4\), got \(3, 4\)"):
        F.fo_pool(g, g, g, np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"fo_pool expected at least one time step \(T >= 1\), got z of shape"):
        F.fo_pool(g[:0], g[:0], g[:0])
    (h, c), backward = F.fo_pool(g, g, g)
    with pytest.raises(ValueError, match=r"fo_pool.backward expected dh of shape \(3, 2, 4\) \(the output's\)"):
        backward((np.zeros((3, 2)), None))
    with pytest.raises(TypeError, match="fo_pool.backward expected dc_T of dtype float64"):
        backward((None, c.astype(np.float32)))
    with pytest.raises(ValueError, match="QRNNLayer expected window to be 1 or 2, got 3"):
        nn.QRNNLayer(3, 4, window=3)
    with pytest.raises(ValueError, match="QRNNLayer expected hidden_size to be an integer >= 1, got 0"):
        nn.QRNNLayer(3, 0)
    with pytest.raises(ValueError, match=r"QRNNLayer expected input of shape \(T, N, 3\), got \(5, 2, 4\)"):
        nn.QRNNLayer(3, 4)(np.zeros((5, 2, 4), np.float32))
    with pytest.raises(TypeError, match="QRNNLayer expected input to be float32 or float64, got int64"):
        nn.QRNNLayer(3, 4)(np.zeros((5, 2, 3), np.int64))
