"""causal_conv1d and CausalConv1d: parity with the torch twin (F.pad on the left + F.conv1d), gradcheck, state_dict,
causality on both sides, bad input."""
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
from parity_tests.strategies import GRADCHECK_KINDS, KINDS, float_arrays, optional, seeds

DTYPES = [np.float64, np.float32]


@st.composite
def causal_conv1d_case(draw, dtype, kinds=KINDS, max_side=8):
    """(x, weight, bias-or-None, dilation): kernel 1-4, dilation 1-3, any length 1-8 (the left padding makes every
    length valid, even one shorter than the dilated kernel), x unbatched about one time in four."""
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k, dilation = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    length = draw(st.integers(1, max_side))
    batch = draw(st.sampled_from([None, 1, 2, 3]))
    lead = (c_in,) if batch is None else (batch, c_in)
    x = draw(float_arrays(lead + (length,), dtype, kinds))
    w = draw(float_arrays((c_out, c_in, k), dtype, kinds))
    b = draw(optional(float_arrays((c_out,), dtype, kinds)))
    return x, w, b, dilation


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_causal_conv1d_matches_torch(dtype, data):
    x, w, b, dilation = data.draw(causal_conv1d_case(dtype))
    check_function("causal_conv1d", lambda x, w, b: F.causal_conv1d(x, w, b, dilation),
                   lambda x, w, b: TF.causal_conv1d(x, w, b, dilation), [x, w, b], seed=data.draw(seeds))


@given(case=causal_conv1d_case(np.float64, GRADCHECK_KINDS, max_side=6), seed=seeds)
def test_causal_conv1d_gradcheck(case, seed):
    x, w, b, dilation = case
    check_gradcheck("causal_conv1d", lambda x, w, b: F.causal_conv1d(x, w, b, dilation), x, w, b, seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_causal_conv1d_module_matches_torch(dtype, data):
    x, w, b, dilation = data.draw(causal_conv1d_case(dtype))
    c_out, c_in, k = w.shape
    layer = nn.CausalConv1d(c_in, c_out, k, dilation=dilation, bias=b is not None, dtype=dtype)
    twin = tnn.CausalConv1d(c_in, c_out, k, dilation=dilation, bias=b is not None, dtype=torch_dtype(dtype))
    check_module("CausalConv1d", layer, twin, x, seed=data.draw(seeds))


@pytest.mark.parametrize("bias", [True, False])
def test_causal_conv1d_state_dict_is_conv1ds(bias):
    layer, twin = nn.CausalConv1d(3, 5, 4, dilation=2, bias=bias), tnn.CausalConv1d(3, 5, 4, dilation=2, bias=bias)
    check_state_dict_layout("CausalConv1d", layer, twin)
    # the keys and shapes of torch's own Conv1d: weights trained in one load into the other
    conv = torch.nn.Conv1d(3, 5, 4, dilation=2, bias=bias)
    assert {k: tuple(v.shape) for k, v in layer.state_dict().items()} == {
        k: tuple(v.shape) for k, v in conv.state_dict().items()}
    bound = 1 / np.sqrt(3 * 4)  # torch's Conv1d init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert np.all(np.abs(nn.CausalConv1d(3, 5, 4, rng=np.random.default_rng(0)).weight) <= bound)


@pytest.mark.parametrize("dilation", [1, 2, 3])
@pytest.mark.parametrize("t", [0, 3, 7])
def test_causal_conv1d_is_causal(dilation, t):
    """Changing the input at time t changes no output before t, on both sides; and it does change the output at t."""
    rng = np.random.default_rng(t + 10 * dilation)
    x, w, b = rng.standard_normal((2, 3, 8)), rng.standard_normal((4, 3, 3)), rng.standard_normal(4)
    x2 = x.copy()
    x2[:, :, t] += 1.0 + rng.standard_normal((2, 3))
    y, _ = F.causal_conv1d(x, w, b, dilation)
    y2, _ = F.causal_conv1d(x2, w, b, dilation)
    np.testing.assert_array_equal(y[..., :t], y2[..., :t])
    assert np.all(y[..., t] != y2[..., t])
    yt = TF.causal_conv1d(*map(torch.from_numpy, (x, w, b)), dilation).numpy()
    yt2 = TF.causal_conv1d(*map(torch.from_numpy, (x2, w, b)), dilation).numpy()
    np.testing.assert_array_equal(yt[..., :t], yt2[..., :t])
    assert np.all(yt[..., t] != yt2[..., t])
    # and the gradient of the output at time t reaches no input after t
    dy = np.zeros_like(y)
    dy[..., t] = 1.0
    _, backward = F.causal_conv1d(x, w, b, dilation)
    assert not np.any(backward(dy)[0][..., t + 1:])


def test_causal_conv1d_bad_input():
    x, w = np.zeros((2, 3, 5)), np.zeros((4, 3, 2))
    with pytest.raises(TypeError, match="causal_conv1d expected input to be float32 or float64, got int64"):
        F.causal_conv1d(np.zeros((2, 3, 5), np.int64), w)
    with pytest.raises(ValueError, match=r"causal_conv1d expected input of shape \(N, C_in, L\) or \(C_in, L\) "
                                         r"\(2 or 3 dims\), got shape \(2, 3, 5, 1\)"):
        F.causal_conv1d(np.zeros((2, 3, 5, 1)), w)
    with pytest.raises(ValueError, match=r"causal_conv1d expected weight of shape \(C_out, 2, k\) for an input "
                                         r"with 2 channels, got weight \(4, 3, 2\)"):
        F.causal_conv1d(np.zeros((2, 2, 5)), w)
    with pytest.raises(ValueError, match=r"causal_conv1d expected weight of shape \(C_out, C_in, k\) \(3 dims\)"):
        F.causal_conv1d(x, np.zeros((4, 3)))
    with pytest.raises(TypeError, match="causal_conv1d expected weight to have dtype float64 like the input, "
                                        "got float32"):
        F.causal_conv1d(x, w.astype(np.float32))
    with pytest.raises(ValueError, match=r"causal_conv1d expected bias of shape \(4,\), got \(3,\)"):
        F.causal_conv1d(x, w, np.zeros(3))
    with pytest.raises(ValueError, match="causal_conv1d expected dilation to be an integer >= 1, got 0"):
        F.causal_conv1d(x, w, dilation=0)
    with pytest.raises(ValueError, match=r"CausalConv1d expected input \(N, 3, L\) or unbatched \(3, L\), "
                                         r"got \(2, 5, 3\)"):
        nn.CausalConv1d(3, 4, 2)(np.zeros((2, 5, 3), np.float32))
    with pytest.raises(ValueError, match="CausalConv1d expected kernel_size to be an integer >= 1, got 0"):
        nn.CausalConv1d(3, 4, 0)
    with pytest.raises(ValueError, match="CausalConv1d expected in_channels to be an integer >= 1, got 0"):
        nn.CausalConv1d(0, 4, 2)
