"""Linear, Identity, Flatten and Sequential: parity with torch, gradcheck, state_dict layout, bad input."""
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
from parity_tests.harness import check_function, check_gradcheck, check_module, check_state_dict_layout, torch_dtype
from parity_tests.strategies import GRADCHECK_KINDS, KINDS, cast, float_arrays, optional, seeds, shapes, sides

DTYPES = [np.float64, np.float32]


@st.composite
def linear_case(draw, dtype, kinds=KINDS):
    """(x, weight, bias-or-None): x with 0 to 3 leading dims."""
    lead = draw(shapes(min_dims=0, max_dims=3))
    n_in, n_out = draw(sides), draw(sides)
    x = draw(float_arrays(lead + (n_in,), dtype, kinds))
    w = draw(float_arrays((n_out, n_in), dtype, kinds))
    b = draw(optional(float_arrays((n_out,), dtype, kinds)))
    return x, w, b


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=linear_case(np.float64), seed=seeds)
def test_linear_matches_torch(dtype, case, seed):
    x, w, b = (None if a is None else cast(a, dtype) for a in case)
    check_function("linear", F.linear, TF.linear, [x, w, b], seed=seed)


@given(case=linear_case(np.float64, GRADCHECK_KINDS), seed=seeds)
@example(case=(np.ones((1, 1)), np.ones((1, 1)), None), seed=0)  # batch 1, one feature, no bias
def test_linear_gradcheck(case, seed):
    check_gradcheck("linear", F.linear, *case, seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(n_in=sides, n_out=sides, bias=st.booleans(), lead=shapes(min_dims=1, max_dims=3), seed=seeds)
def test_linear_module_matches_torch(dtype, n_in, n_out, bias, lead, seed):
    layer = nn.Linear(n_in, n_out, bias=bias, dtype=dtype, rng=np.random.default_rng(seed))
    twin = tnn.Linear(n_in, n_out, bias=bias, dtype=torch_dtype(dtype))
    x = np.random.default_rng(seed + 1).standard_normal(lead + (n_in,)).astype(dtype)
    check_module("Linear", layer, twin, x, seed=seed)


def test_linear_state_dict_layout():
    check_state_dict_layout("Linear", nn.Linear(5, 3), tnn.Linear(5, 3))
    check_state_dict_layout("Linear", nn.Linear(5, 3, bias=False), tnn.Linear(5, 3, bias=False))


def test_linear_init_matches_torch_bounds():
    # torch: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)). 2000 draws fill the interval to within a few percent.
    layer = nn.Linear(400, 5, rng=np.random.default_rng(0))
    bound = 1 / np.sqrt(400)
    assert np.abs(layer.weight).max() <= bound and np.abs(layer.weight).max() > 0.97 * bound
    assert layer.weight.dtype == np.float32 and np.abs(layer.bias).max() <= bound


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=shapes(min_dims=1, max_dims=5), data=st.data())
def test_flatten_matches_torch(dtype, shape, data):
    start = data.draw(st.integers(-len(shape), len(shape) - 1))
    end = data.draw(st.integers(start % len(shape), len(shape) - 1))
    x = data.draw(float_arrays(shape, dtype))
    check_function("flatten", lambda x: F.flatten(x, start, end), lambda x: TF.flatten(x, start, end), [x],
                   seed=data.draw(seeds))


@given(shape=shapes(min_dims=2, max_dims=4), seed=seeds)
def test_flatten_module_and_gradcheck(shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    check_module("Flatten", nn.Flatten(), tnn.Flatten(), x, seed=seed)
    check_gradcheck("flatten", lambda x: F.flatten(x, 1), x, seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(seed=seeds, n=sides)
def test_sequential_composes_closures_in_reverse(dtype, seed, n):
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(4, 6, dtype=dtype, rng=rng), nn.Tanh(), nn.Linear(6, 3, dtype=dtype, rng=rng))
    twin = tnn.Sequential(tnn.Linear(4, 6), tnn.Tanh(), tnn.Linear(6, 3)).to(torch_dtype(dtype))
    check_module("Sequential", model, twin, rng.standard_normal((n, 4)).astype(dtype), seed=seed)


def test_shared_weights_accumulate_grad():
    # The same layer applied twice: torch adds both contributions into .grad; so must we.
    layer = nn.Linear(3, 3, dtype=np.float64, rng=np.random.default_rng(0))
    twin = tnn.Linear(3, 3).double()
    twin.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in layer.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 3))
    h, b1 = layer(x)
    y, b2 = layer(h)
    dy = np.random.default_rng(2).standard_normal(y.shape)
    b1(b2(dy))
    xt = torch.from_numpy(x)
    twin(twin(xt)).backward(torch.from_numpy(dy))
    np.testing.assert_allclose(layer.weight.grad, twin.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, twin.bias.grad.numpy(), rtol=1e-12)


def test_linear_bad_input():
    w = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"linear expected input of shape \(\*, 4\).*got \(2, 5\)"):
        F.linear(np.zeros((2, 5)), w)
    with pytest.raises(TypeError, match="linear expected input to be float32 or float64, got int64"):
        F.linear(np.zeros((2, 4), dtype=np.int64), w)
    with pytest.raises(ValueError, match=r"linear expected bias of shape \(3,\), got \(4,\)"):
        F.linear(np.zeros((2, 4)), w, np.zeros(4))
    with pytest.raises(TypeError, match="linear expected weight of dtype float64 like the input, got float32"):
        F.linear(np.zeros((2, 4)), w.astype(np.float32))
    with pytest.raises(ValueError, match=r"Linear expected input of shape \(\*, 4\), got \(8, 3\)"):
        nn.Linear(4, 2)(np.zeros((8, 3), dtype=np.float32))
    y, backward = F.linear(np.zeros((2, 4)), w)
    with pytest.raises(ValueError, match=r"linear.backward expected dy of shape \(2, 3\).*got \(3, 2\)"):
        backward(np.zeros((3, 2)))


def test_load_state_dict_is_strict():
    layer = nn.Linear(4, 2)
    with pytest.raises(KeyError, match=r"missing keys \['bias'\]"):
        layer.load_state_dict({"weight": np.zeros((2, 4), np.float32)})
    with pytest.raises(ValueError, match=r"weight has shape \(4, 2\) in the state dict but \(2, 4\) in the module"):
        layer.load_state_dict({"weight": np.zeros((4, 2), np.float32), "bias": np.zeros(2, np.float32)})


def test_linear_without_input_grad():
    # input_grad=False, for a first layer whose input is data: no dx, the same parameter gradients
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)
    y, backward = F.linear(x, w, b)
    dy = rng.standard_normal(y.shape)
    dx, dw, db = backward(dy)
    none, dw0, db0 = F.linear(x, w, b, input_grad=False)[1](dy)
    assert none is None and dx.shape == x.shape
    np.testing.assert_array_equal(dw, dw0)
    np.testing.assert_array_equal(db, db0)
    layer = nn.Linear(4, 5, dtype=np.float64)
    layer.input_grad = False
    assert layer(x)[1](dy) is None and layer.weight.grad.shape == (5, 4)
