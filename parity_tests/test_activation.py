"""Activations and the softmax family: parity with torch, gradcheck, module shells, bad input."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import scratch.functional as F
import scratch.nn as nn
import torch_impl.functional as TF
import torch_impl.nn as tnn
from parity_tests.harness import check_function, check_gradcheck, check_module
from parity_tests.strategies import GRADCHECK_KINDS, float_arrays, nudge_away, seeds, shapes

DTYPES = [np.float64, np.float32]

# name -> (numpy function, torch twin, points where the derivative jumps) for the parameter-free elementwise ones.
ELEMENTWISE = {
    "relu": (F.relu, TF.relu, (0.0,)),
    "sigmoid": (F.sigmoid, TF.sigmoid, ()),
    "tanh": (F.tanh, TF.tanh, ()),
    "silu": (F.silu, TF.silu, ()),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ELEMENTWISE))
@given(shape=shapes(min_dims=0, max_dims=4), data=st.data())
def test_elementwise_matches_torch(name, dtype, shape, data):
    np_fn, torch_fn, _ = ELEMENTWISE[name]
    check_function(name, np_fn, torch_fn, [data.draw(float_arrays(shape, dtype))], seed=data.draw(seeds))


@pytest.mark.parametrize("name", list(ELEMENTWISE))
@given(shape=shapes(max_dims=3), data=st.data())
def test_elementwise_gradcheck(name, shape, data):
    np_fn, _, kinks = ELEMENTWISE[name]
    x = nudge_away(data.draw(float_arrays(shape, np.float64, GRADCHECK_KINDS)), kinks)
    check_gradcheck(name, np_fn, x, seed=data.draw(seeds))


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=shapes(min_dims=0, max_dims=4), slope=st.floats(-2, 2), data=st.data())
@example(shape=(3,), slope=0.01, data=None)
def test_leaky_relu_matches_torch(dtype, shape, slope, data):
    x = np.array([-1.0, 0.0, 2.0], dtype) if data is None else data.draw(float_arrays(shape, dtype))
    check_function("leaky_relu", lambda x: F.leaky_relu(x, slope), lambda x: TF.leaky_relu(x, slope), [x],
                   seed=0 if data is None else data.draw(seeds))


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=shapes(min_dims=0, max_dims=4), alpha=st.floats(0.0, 3.0), data=st.data())
def test_elu_matches_torch(dtype, shape, alpha, data):
    x = data.draw(float_arrays(shape, dtype))
    check_function("elu", lambda x: F.elu(x, alpha), lambda x: TF.elu(x, alpha), [x], seed=data.draw(seeds))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("approximate", ["none", "tanh"])
@given(shape=shapes(min_dims=0, max_dims=4), data=st.data())
def test_gelu_matches_torch(dtype, approximate, shape, data):
    x = data.draw(float_arrays(shape, dtype))
    check_function("gelu", lambda x: F.gelu(x, approximate), lambda x: TF.gelu(x, approximate=approximate), [x],
                   seed=data.draw(seeds))


@given(shape=shapes(max_dims=3), slope=st.floats(-2, 2), alpha=st.floats(0.1, 3.0), data=st.data())
def test_parametrised_activations_gradcheck(shape, slope, alpha, data):
    x = nudge_away(data.draw(float_arrays(shape, np.float64, GRADCHECK_KINDS)), (0.0,))
    seed = data.draw(seeds)
    check_gradcheck("leaky_relu", lambda x: F.leaky_relu(x, slope), x, seed=seed)
    check_gradcheck("elu", lambda x: F.elu(x, alpha), x, seed=seed)
    check_gradcheck("gelu", lambda x: F.gelu(x, "none"), x, seed=seed)
    check_gradcheck("gelu", lambda x: F.gelu(x, "tanh"), x, seed=seed)


LOGITS_1E4 = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(shape=shapes(min_dims=1, max_dims=4), data=st.data())
@example(shape=(3, 3), data=None)  # logits of +-1e4: finite and right, not inf/inf
def test_softmax_family_matches_torch(name, dtype, shape, data):
    if data is None:
        x, dim, seed = LOGITS_1E4.astype(dtype), 1, 0
    else:
        x = data.draw(float_arrays(shape, dtype))
        dim, seed = data.draw(st.integers(-len(shape), len(shape) - 1)), data.draw(seeds)
    np_fn, torch_fn = getattr(F, name), getattr(TF, name)
    check_function(name, lambda x: np_fn(x, dim), lambda x: torch_fn(x, dim), [x], seed=seed)


def test_softmax_of_huge_logits_is_finite():
    y, backward = F.softmax(LOGITS_1E4, 1)
    np.testing.assert_array_equal(y[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(y[1], [1 / 3] * 3, rtol=1e-15)
    logp, _ = F.log_softmax(LOGITS_1E4, 1)
    np.testing.assert_allclose(logp[0], [0.0, -2e4, -1e4], rtol=1e-15)
    assert np.all(np.isfinite(backward(np.ones_like(y))[0]))


@given(shape=shapes(min_dims=1, max_dims=3), data=st.data())
def test_softmax_family_gradcheck(shape, data):
    x = data.draw(float_arrays(shape, np.float64, GRADCHECK_KINDS))
    dim, seed = data.draw(st.integers(0, len(shape) - 1)), data.draw(seeds)
    check_gradcheck("softmax", lambda x: F.softmax(x, dim), x, seed=seed)
    check_gradcheck("log_softmax", lambda x: F.log_softmax(x, dim), x, seed=seed)


MODULES = {
    "ReLU": (lambda: nn.ReLU(), lambda: tnn.ReLU()),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.2), lambda: tnn.LeakyReLU(0.2)),
    "ELU": (lambda: nn.ELU(0.7), lambda: tnn.ELU(0.7)),
    "GELU": (lambda: nn.GELU("tanh"), lambda: tnn.GELU("tanh")),
    "Sigmoid": (lambda: nn.Sigmoid(), lambda: tnn.Sigmoid()),
    "Tanh": (lambda: nn.Tanh(), lambda: tnn.Tanh()),
    "SiLU": (lambda: nn.SiLU(), lambda: tnn.SiLU()),
    "Softmax": (lambda: nn.Softmax(dim=-1), lambda: tnn.Softmax(dim=-1)),
    "LogSoftmax": (lambda: nn.LogSoftmax(dim=1), lambda: tnn.LogSoftmax(dim=1)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(MODULES))
@given(shape=shapes(min_dims=2, max_dims=4), data=st.data())
def test_activation_modules_match_torch(name, dtype, shape, data):
    make_np, make_torch = MODULES[name]
    x = data.draw(float_arrays(shape, dtype))
    check_module(name, make_np(), make_torch(), x, seed=data.draw(seeds))
    assert make_np().state_dict() == {} and len(make_torch().state_dict()) == 0


def test_activation_bad_input():
    with pytest.raises(TypeError, match="relu expected input to be float32 or float64, got int64"):
        F.relu(np.arange(3))
    with pytest.raises(TypeError, match="sigmoid expected input to be a numpy.ndarray, got list"):
        F.sigmoid([1.0, 2.0])
    with pytest.raises(TypeError, match="softmax needs an explicit dim"):
        nn.Softmax()(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="log_softmax got dim=2 for an input with 2 dims"):
        F.log_softmax(np.zeros((2, 3)), 2)
    with pytest.raises(ValueError, match="gelu expected approximate to be 'none' or 'tanh', got 'erf'"):
        F.gelu(np.zeros(3), "erf")
    y, backward = F.tanh(np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match=r"tanh.backward expected dy of dtype float32 \(the output's\), got float64"):
        backward(np.zeros((2, 3)))


def test_relu_gradient_at_zero_is_torchs():
    x = np.zeros(4)
    _, backward = F.relu(x)
    xt = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    torch.relu(xt).backward(torch.ones(4, dtype=torch.float64))
    np.testing.assert_array_equal(backward(np.ones(4))[0], xt.grad.numpy())
