"""Issue 17's activations (prelu, selu, mish, softplus, hardtanh, hardswish): parity with torch, gradcheck, module
shells, state_dict, the gradient at each kink, bad input."""
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
from parity_tests.strategies import GRADCHECK_KINDS, float_arrays, nudge_away, seeds, shapes

DTYPES = [np.float64, np.float32]

# Every kink and every point where torch picks a one-sided slope: hardtanh's edges, hardswish's -3 and 3, 0 (prelu).
KINKS = np.array([-4.0, -3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 2.9, 3.0, 4.0])

ELEMENTWISE = {
    "selu": (F.selu, TF.selu),
    "mish": (F.mish, TF.mish),
    "hardswish": (F.hardswish, TF.hardswish),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ELEMENTWISE))
@given(shape=shapes(min_dims=0, max_dims=4), data=st.data())
@example(shape=None, data=None)  # the kinks exactly
def test_elementwise_more_matches_torch(name, dtype, shape, data):
    np_fn, torch_fn = ELEMENTWISE[name]
    x = KINKS.astype(dtype) if data is None else data.draw(float_arrays(shape, dtype))
    check_function(name, np_fn, torch_fn, [x], seed=0 if data is None else data.draw(seeds))


softplus_options = st.fixed_dictionaries({"beta": st.sampled_from([1.0, 0.5, 2.0, -1.5]),
                                          "threshold": st.sampled_from([20.0, 2.0, 0.5])})


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=shapes(min_dims=0, max_dims=4), opts=softplus_options, data=st.data())
@example(shape=None, opts={"beta": 2.0, "threshold": 4.0}, data=None)  # beta * x at, just under, over threshold
def test_softplus_matches_torch(dtype, shape, opts, data):
    x = np.array([1.9, 2.0, 2.1, -30.0], dtype) if data is None else data.draw(float_arrays(shape, dtype))
    check_function("softplus", lambda x: F.softplus(x, **opts), lambda x: TF.softplus(x, **opts), [x],
                   seed=0 if data is None else data.draw(seeds))


hardtanh_range = st.tuples(st.sampled_from([-1.0, -2.0, -0.5, 0.0]), st.sampled_from([0.0, 0.5, 2.0, 3.0]))


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=shapes(min_dims=0, max_dims=4), bounds=hardtanh_range, data=st.data())
@example(shape=None, bounds=(-1.0, 2.0), data=None)  # both edges exactly: torch's gradient there is 0
@example(shape=None, bounds=(0.5, 0.5), data=None)  # min_val == max_val: a constant, no gradient anywhere
def test_hardtanh_matches_torch(dtype, shape, bounds, data):
    lo, hi = bounds[0], bounds[0] + bounds[1]
    x = KINKS.astype(dtype) if data is None else data.draw(float_arrays(shape, dtype))
    check_function("hardtanh", lambda x: F.hardtanh(x, lo, hi), lambda x: TF.hardtanh(x, lo, hi), [x],
                   seed=0 if data is None else data.draw(seeds))


@st.composite
def prelu_case(draw, dtype, kinds=("normal", "ties", "wide", "tiny")):
    """(input, weight): any rank 0-4; one slope per channel (dim 1) or one shared, as (1,) or ()."""
    shape = draw(shapes(min_dims=0, max_dims=4))
    C = shape[1] if len(shape) >= 2 else 1
    wshape = draw(st.sampled_from([(C,), (1,), ()]))
    x = draw(float_arrays(shape, dtype, kinds))
    weight = draw(float_arrays(wshape, dtype, ("normal", "ties")))
    return x, weight


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=st.data(), seed=seeds)
@example(case=None, seed=0)  # x == 0 exactly: torch's slope there is the weight's, its weight gradient 0
def test_prelu_matches_torch(dtype, case, seed):
    if case is None:
        x, weight = np.array([[0.0, -1.0, 2.0], [0.0, 0.0, -3.0]], dtype), np.array([0.25, -0.5, 2.0], dtype)
    else:
        x, weight = case.draw(prelu_case(dtype))
    check_function("prelu", F.prelu, TF.prelu, [x, weight], seed=seed)


@given(shape=shapes(max_dims=3, max_side=4), opts=softplus_options, bounds=hardtanh_range, data=st.data())
def test_activations_more_gradcheck(shape, opts, bounds, data):
    x = data.draw(float_arrays(shape, np.float64, GRADCHECK_KINDS)) * 4  # reach past hardswish's +-3
    seed = data.draw(seeds)
    lo, hi = bounds[0], bounds[0] + bounds[1] + 0.01  # a range wider than the nudge, so some x fall inside
    check_gradcheck("selu", F.selu, nudge_away(x, (0.0,)), seed=seed)
    check_gradcheck("mish", F.mish, x, seed=seed)
    check_gradcheck("hardswish", F.hardswish, nudge_away(x, (-3.0, 3.0)), seed=seed)
    check_gradcheck("hardtanh", lambda x: F.hardtanh(x, lo, hi), nudge_away(x, (lo, hi)), seed=seed)
    check_gradcheck("softplus", lambda x: F.softplus(x, **opts), nudge_away(x, (opts["threshold"] / opts["beta"],)),
                    seed=seed)
    C = shape[1] if len(shape) >= 2 else 1
    weight = data.draw(float_arrays(data.draw(st.sampled_from([(C,), (1,)])), np.float64, GRADCHECK_KINDS))
    check_gradcheck("prelu", F.prelu, nudge_away(x, (0.0,)), weight, seed=seed)


MODULES = {
    "SELU": (lambda d: nn.SELU(), lambda d: tnn.SELU()),
    "Mish": (lambda d: nn.Mish(), lambda d: tnn.Mish()),
    "Softplus": (lambda d: nn.Softplus(0.5, 3.0), lambda d: tnn.Softplus(0.5, 3.0)),
    "Hardtanh": (lambda d: nn.Hardtanh(-2.0, 0.5), lambda d: tnn.Hardtanh(-2.0, 0.5)),
    "Hardswish": (lambda d: nn.Hardswish(), lambda d: tnn.Hardswish()),
    "PReLU": (lambda d: nn.PReLU(dtype=d), lambda d: tnn.PReLU(dtype=torch_dtype(d))),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(MODULES))
@given(shape=shapes(min_dims=2, max_dims=4), data=st.data())
def test_activation_more_modules_match_torch(name, dtype, shape, data):
    make_np, make_torch = MODULES[name]
    x = data.draw(float_arrays(shape, dtype))
    check_module(name, make_np(dtype), make_torch(dtype), x, seed=data.draw(seeds))


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=shapes(min_dims=2, max_dims=4), init=st.sampled_from([0.25, -0.5, 1.5]), data=st.data())
def test_prelu_per_channel_module_matches_torch(dtype, shape, init, data):
    # The weight gradient sums over every position of its channel: batch and every spatial dim.
    C = shape[1]
    layer = nn.PReLU(C, init, dtype=dtype)
    layer.weight[...] = data.draw(float_arrays((C,), dtype, ("normal",)))
    check_module("PReLU", layer, tnn.PReLU(C, init, dtype=torch_dtype(dtype)),
                 data.draw(float_arrays(shape, dtype)), seed=data.draw(seeds))


def test_activation_more_state_dict_layout():
    for num in (1, 5):
        check_state_dict_layout("PReLU", nn.PReLU(num, 0.1), tnn.PReLU(num, 0.1))
    np.testing.assert_array_equal(nn.PReLU(3).weight, np.full(3, 0.25, np.float32))
    for name in ("SELU", "Mish", "Softplus", "Hardtanh", "Hardswish"):
        assert getattr(nn, name)().state_dict() == {} and len(getattr(tnn, name)().state_dict()) == 0


@pytest.mark.parametrize("name", ["hardtanh", "hardswish", "prelu", "selu"])
def test_gradient_at_kinks_is_torchs_exactly(name):
    x = KINKS
    args = [x, np.array([0.3])] if name == "prelu" else [x]
    _, backward = getattr(F, name)(*args)
    grads = backward(np.ones_like(x))
    ts = [torch.from_numpy(a.copy()).requires_grad_() for a in args]
    getattr(TF, name)(*ts).backward(torch.ones(len(x), dtype=torch.float64))
    for g, t in zip(grads, ts):  # a kink's one-sided slope, not a rounding difference: 1e-14 tells them apart
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-14, atol=0)


def test_activation_more_bad_input():
    with pytest.raises(TypeError, match="mish expected input to be float32 or float64, got int64"):
        F.mish(np.arange(3))
    with pytest.raises(ValueError, match=r"prelu expected weight of shape \(3,\) \(one slope per channel, dim 1 of "
                                         r"input \(2, 3\)\), \(1,\) or \(\), got \(2,\)"):
        F.prelu(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(TypeError, match="prelu expected weight of dtype float64 like the input, got float32"):
        F.prelu(np.zeros((2, 3)), np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="prelu expected weight of shape"):
        nn.PReLU(4)(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="hardtanh expected min_val <= max_val, got min_val=1.0, max_val=-1.0"):
        F.hardtanh(np.zeros(3), 1.0, -1.0)
    with pytest.raises(ValueError, match="Hardtanh expected min_val <= max_val"):
        nn.Hardtanh(2.0, 1.0)
    _, backward = F.softplus(np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match=r"softplus.backward expected dy of dtype float32 \(the output's\)"):
        backward(np.zeros((2, 3)))
