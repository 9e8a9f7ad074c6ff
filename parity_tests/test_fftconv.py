"""fft_conv1d and FFTConv1d: parity with the torch.fft twin, equality with a direct convolution (F.conv1d with
groups=C on a left-padded input and a flipped kernel), gradcheck, state_dict, causality, bad input."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TorchF
from hypothesis import given
from hypothesis import strategies as st

import scratch.functional as F
import scratch.nn as nn
import torch_impl.functional as TF
import torch_impl.nn as tnn
from parity_tests.harness import check_function, check_gradcheck, check_module, check_state_dict_layout, torch_dtype
from parity_tests.strategies import GRADCHECK_KINDS, KINDS, float_arrays, optional, seeds

DTYPES = [np.float64, np.float32]


@st.composite
def fft_conv1d_case(draw, dtype, kinds=KINDS, max_side=8):
    """(x, kernel, bias-or-None): x (N, C, L) with N 1-3, C 1-3, L 1-max_side; kernel (C, K), K from 1 to L (a
    long convolution's K = L is drawn about one time in three)."""
    n, c, length = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, max_side))
    k = draw(st.one_of(st.just(length), st.integers(1, length)))
    x = draw(float_arrays((n, c, length), dtype, kinds))
    kernel = draw(float_arrays((c, k), dtype, kinds))
    bias = draw(optional(float_arrays((c,), dtype, kinds)))
    return x, kernel, bias


def direct_conv(x, kernel, bias=None):
    """The same causal depthwise convolution without an FFT: conv1d is a correlation, so the kernel is flipped to
    make kernel[c, 0] weight the present, and K - 1 zeros on the left keep the output causal and of length L."""
    C, K = kernel.shape
    return TorchF.conv1d(TorchF.pad(x, (K - 1, 0)), kernel.flip(-1).unsqueeze(1), bias, groups=C)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_fft_conv1d_matches_torch(dtype, data):
    x, kernel, bias = data.draw(fft_conv1d_case(dtype))
    check_function("fft_conv1d", F.fft_conv1d, TF.fft_conv1d, [x, kernel, bias], seed=data.draw(seeds))


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_fft_conv1d_matches_direct_convolution(dtype, data):
    """The NumPy FFT path and the torch twin, forward and every gradient, against a plain convolution."""
    x, kernel, bias = data.draw(fft_conv1d_case(dtype))
    seed = data.draw(seeds)
    check_function("fft_conv1d (direct)", F.fft_conv1d, direct_conv, [x, kernel, bias], seed=seed)
    tensors = [None if a is None else torch.from_numpy(a.copy()).requires_grad_(True) for a in (x, kernel, bias)]
    y_t, y_d = TF.fft_conv1d(*tensors), direct_conv(*tensors)
    tol = 1e-10 if dtype == np.float64 else 1e-4
    dy = torch.from_numpy(np.random.default_rng(seed).standard_normal(y_t.shape).astype(dtype))
    scale = max(1.0, float(y_d.detach().abs().max()))
    torch.testing.assert_close(y_t, y_d, rtol=tol, atol=tol * scale)
    live = [t for t in tensors if t is not None]
    for g_t, g_d in zip(torch.autograd.grad(y_t, live, dy), torch.autograd.grad(y_d, live, dy)):
        torch.testing.assert_close(g_t, g_d, rtol=tol, atol=tol * max(1.0, float(g_d.abs().max())))


@given(case=fft_conv1d_case(np.float64, GRADCHECK_KINDS, max_side=6), seed=seeds)
def test_fft_conv1d_gradcheck(case, seed):
    check_gradcheck("fft_conv1d", F.fft_conv1d, *case, seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_fft_conv1d_module_matches_torch(dtype, data):
    x, kernel, bias = data.draw(fft_conv1d_case(dtype))
    c, k = kernel.shape
    layer = nn.FFTConv1d(c, k, bias=bias is not None, dtype=dtype, rng=np.random.default_rng(data.draw(seeds)))
    twin = tnn.FFTConv1d(c, k, bias=bias is not None, dtype=torch_dtype(dtype))
    check_module("FFTConv1d", layer, twin, x, seed=data.draw(seeds))


@pytest.mark.parametrize("bias", [True, False])
def test_fft_conv1d_state_dict(bias):
    layer, twin = nn.FFTConv1d(3, 7, bias=bias), tnn.FFTConv1d(3, 7, bias=bias)
    check_state_dict_layout("FFTConv1d", layer, twin)
    assert {k: tuple(v.shape) for k, v in layer.state_dict().items()} == (
        {"weight": (3, 7), "bias": (3,)} if bias else {"weight": (3, 7)})
    bound = 1 / np.sqrt(7)  # U(-1/sqrt(K), 1/sqrt(K)) on both sides, Linear's init with fan_in = K
    assert np.all(np.abs(nn.FFTConv1d(3, 7, rng=np.random.default_rng(0)).weight) <= bound)
    assert float(twin.weight.detach().abs().max()) <= bound


@pytest.mark.parametrize("k", [1, 3, 8])
@pytest.mark.parametrize("t", [0, 4, 7])
def test_fft_conv1d_is_causal_and_does_not_wrap(k, t):
    """Changing the input at time t changes no output before t (on both sides), and does change it at t; the
    gradient of the output at t reaches no input after t. With K = L = 8 a wrapped-around FFT (length L) would
    carry the last inputs into the first outputs."""
    rng = np.random.default_rng(t + 10 * k)
    x, kernel, bias = rng.standard_normal((2, 3, 8)), rng.standard_normal((3, k)), rng.standard_normal(3)
    kernel[:, 0] += np.sign(kernel[:, 0])  # kernel[c, 0] weights the present: keep it off zero
    x2 = x.copy()
    x2[:, :, t] += 1.0 + rng.random((2, 3))
    y, backward = F.fft_conv1d(x, kernel, bias)
    y2, _ = F.fft_conv1d(x2, kernel, bias)
    np.testing.assert_allclose(y[..., :t], y2[..., :t], rtol=0, atol=1e-13)
    assert np.all(np.abs(y[..., t] - y2[..., t]) > 1e-3)
    yt = TF.fft_conv1d(*map(torch.from_numpy, (x, kernel, bias))).numpy()
    yt2 = TF.fft_conv1d(*map(torch.from_numpy, (x2, kernel, bias))).numpy()
    np.testing.assert_allclose(yt[..., :t], yt2[..., :t], rtol=0, atol=1e-13)
    dy = np.zeros_like(y)
    dy[..., t] = 1.0
    dx, dkernel, _ = backward(dy)
    np.testing.assert_allclose(dx[..., t + 1:], 0.0, rtol=0, atol=1e-13)
    np.testing.assert_allclose(dx[..., max(0, t - k + 1):t + 1],
                               np.broadcast_to(kernel[:, min(t, k - 1)::-1], (2, 3, min(t, k - 1) + 1)), atol=1e-13)
    # the impulse response is the kernel itself
    impulse = np.zeros((1, 3, 8))
    impulse[..., 0] = 1.0
    np.testing.assert_allclose(F.fft_conv1d(impulse, kernel)[0][0, :, :k], kernel, atol=1e-13)
    np.testing.assert_allclose(F.fft_conv1d(impulse, kernel)[0][0, :, k:], 0.0, atol=1e-13)


def test_fft_conv1d_bad_input():
    x, kernel = np.zeros((2, 3, 5)), np.zeros((3, 4))
    with pytest.raises(TypeError, match="fft_conv1d expected input to be float32 or float64, got int64"):
        F.fft_conv1d(np.zeros((2, 3, 5), np.int64), kernel)
    with pytest.raises(TypeError, match="fft_conv1d expected kernel to be float32 or float64, got int64"):
        F.fft_conv1d(x, np.zeros((3, 4), np.int64))
    with pytest.raises(ValueError, match=r"fft_conv1d expected input of shape \(N, C, L\) \(3 dims\), "
                                         r"got shape \(3, 5\)"):
        F.fft_conv1d(np.zeros((3, 5)), kernel)
    with pytest.raises(ValueError, match=r"fft_conv1d expected kernel of shape \(C, K\) \(2 dims\), "
                                         r"got shape \(3, 1, 4\)"):
        F.fft_conv1d(x, np.zeros((3, 1, 4)))
    with pytest.raises(ValueError, match=r"fft_conv1d expected kernel of shape \(C, K\) = \(3, K\) with "
                                         r"1 <= K <= L = 5 for input \(2, 3, 5\), got kernel \(3, 6\)"):
        F.fft_conv1d(x, np.zeros((3, 6)))
    with pytest.raises(ValueError, match=r"got kernel \(2, 4\)"):
        F.fft_conv1d(x, np.zeros((2, 4)))
    with pytest.raises(TypeError, match="fft_conv1d expected kernel to have dtype float64 like the input, "
                                        "got float32"):
        F.fft_conv1d(x, kernel.astype(np.float32))
    with pytest.raises(ValueError, match=r"fft_conv1d expected bias of shape \(3,\), got \(4,\)"):
        F.fft_conv1d(x, kernel, np.zeros(4))
    _, backward = F.fft_conv1d(x, kernel)
    with pytest.raises(ValueError, match=r"fft_conv1d.backward expected dy of shape \(2, 3, 5\) \(the output's\), "
                                         r"got \(2, 3, 4\)"):
        backward(np.zeros((2, 3, 4)))
    with pytest.raises(TypeError, match=r"fft_conv1d.backward expected dy of dtype float64 \(the output's\), "
                                        r"got float32"):
        backward(np.zeros((2, 3, 5), np.float32))
    with pytest.raises(ValueError, match=r"FFTConv1d expected input \(N, 3, L\), got \(2, 4, 5\)"):
        nn.FFTConv1d(3, 4)(np.zeros((2, 4, 5), np.float32))
    with pytest.raises(ValueError, match="FFTConv1d expected kernel_size to be an integer >= 1, got 0"):
        nn.FFTConv1d(3, 0)
    with pytest.raises(ValueError, match="FFTConv1d expected channels to be an integer >= 1, got 0"):
        nn.FFTConv1d(0, 4)
