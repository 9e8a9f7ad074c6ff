"""Affine coupling (RealNVP): parity with the torch twin, gradcheck, the module's chain rule, inverse, log-det."""
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
from parity_tests.strategies import GRADCHECK_KINDS, WELL_CONDITIONED, cast, fill, float_arrays, seeds, shapes

DTYPES = [np.float64, np.float32]


@st.composite
def coupling_case(draw, dtype, kinds=None):
    """``(x, mask, log_scale, shift)``: x of 1-3 dims, a 0/1 mask of shape (D,) or x's own, log_scale of the
    well-conditioned kinds only (exp of a 1e3-wide value overflows, on both sides alike, to inf and NaN)."""
    shape = draw(shapes(min_dims=1, max_dims=3))
    x_kinds = kinds or ("normal", "ties", "wide", "tiny")
    x = draw(float_arrays(shape, dtype, x_kinds))
    mask_shape = draw(st.sampled_from([shape[-1:], shape]))
    mask = (np.random.default_rng(draw(seeds)).random(mask_shape) < 0.5).astype(dtype)
    log_scale = draw(float_arrays(shape, dtype, kinds or WELL_CONDITIONED))
    shift = draw(float_arrays(shape, dtype, x_kinds))
    return x, mask, log_scale, shift


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=coupling_case(DTYPES[0]), data=st.data())
@example(case=(np.array([[1.0, 2.0]]), np.array([1.0, 0.0]), np.log([[5.0, 3.0]]), np.ones((1, 2))), data=None)
def test_affine_coupling_matches_torch(dtype, case, data):
    # drawn in float64 and cast, so the float32 run sees the same values
    x, mask, log_scale, shift = (cast(a, dtype) for a in case)
    # wrt excludes the mask (index 1): a constant of the layer, whose gradient is None
    check_function("affine_coupling", F.affine_coupling, TF.affine_coupling, [x, mask, log_scale, shift],
                   wrt=[0, 2, 3], seed=0 if data is None else data.draw(seeds))


@given(case=coupling_case(np.float64, GRADCHECK_KINDS), seed=seeds)
def test_affine_coupling_gradcheck(case, seed):
    x, mask, log_scale, shift = case
    check_gradcheck("affine_coupling", F.affine_coupling, x, mask, log_scale, shift, wrt=[0, 2, 3], seed=seed)


def test_affine_coupling_backward_takes_none_for_an_unused_output():
    x, mask, s, t = (fill((3, 4), np.float64, "normal", k) for k in range(4))
    mask = (mask > 0).astype(np.float64)
    (y, log_det), backward = F.affine_coupling(x, mask, s, t)
    dy = fill(y.shape, np.float64, "normal", 9)
    only_y = backward((dy, None))
    both = backward((dy, np.zeros_like(log_det)))
    for a, b in zip(only_y, both):
        assert (a is None and b is None) or np.array_equal(a, b)
    dx, _, ds, dt = backward((None, np.ones_like(log_det)))
    np.testing.assert_array_equal(dx, 0)
    np.testing.assert_array_equal(ds, np.broadcast_to(1 - mask, x.shape))


@st.composite
def coupling_module_case(draw, dtype):
    """``(features, hidden, mask, x, rng seed)``; the mask holds at least one 0 and one 1 where D > 1."""
    features, hidden = draw(st.integers(1, 6)), draw(st.integers(1, 8))
    mask = draw(st.lists(st.sampled_from([0, 1]), min_size=features, max_size=features))
    batch = draw(shapes(min_dims=0, max_dims=2, max_side=5))
    x = draw(float_arrays(batch + (features,), dtype, WELL_CONDITIONED))
    return features, hidden, mask, x, draw(seeds)


def make_pair(features, hidden, mask, dtype, seed):
    np_layer = nn.AffineCoupling(features, hidden, mask, dtype=dtype, rng=np.random.default_rng(seed))
    torch_layer = tnn.AffineCoupling(features, hidden, mask, dtype=torch_dtype(dtype))
    return np_layer, torch_layer


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=coupling_module_case(np.float64), data=st.data())
def test_affine_coupling_module_matches_torch(dtype, case, data):
    features, hidden, mask, x, seed = case
    np_layer, torch_layer = make_pair(features, hidden, mask, dtype, seed)
    # dx (both roads: the coupling's own input and the network's) and every parameter's .grad, for random dy and
    # dlog_det; check_module copies the NumPy weights into the twin first
    check_module("AffineCoupling", np_layer, torch_layer, cast(x, dtype), seed=data.draw(seeds))


@given(case=coupling_module_case(np.float64), seed=seeds)
def test_affine_coupling_module_gradcheck(case, seed):
    features, hidden, mask, x, rng_seed = case
    layer = nn.AffineCoupling(features, hidden, mask, dtype=np.float64, rng=np.random.default_rng(rng_seed))

    def fn(x):
        y, backward = layer(x)
        return y, lambda grads: (backward(grads),)

    # ReLU's kink: a drawn pre-activation within eps of 0 is a measure-zero event, and the ci draws are fixed
    check_gradcheck("AffineCoupling", fn, x, seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=coupling_module_case(np.float64))
def test_affine_coupling_inverse(dtype, case):
    features, hidden, mask, x, seed = case
    np_layer, torch_layer = make_pair(features, hidden, mask, dtype, seed)
    torch_layer.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in np_layer.state_dict().items()})
    x = cast(x, dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    (y, _), _ = np_layer(x)
    np.testing.assert_allclose(np_layer.inverse(y), x, rtol=tol, atol=tol)
    (x_again, _), _ = np_layer(np_layer.inverse(y))
    np.testing.assert_allclose(x_again, y, rtol=tol, atol=tol)
    with torch.no_grad():
        y_t, _ = torch_layer(torch.from_numpy(x.copy()))  # copy: torch takes no negative strides
        np.testing.assert_allclose(torch_layer.inverse(y_t).numpy(), x, rtol=tol, atol=tol)
        np.testing.assert_allclose(torch_layer.inverse(torch.from_numpy(y.copy())).numpy(), np_layer.inverse(y),
                                   rtol=tol * 10, atol=tol * 10)


def test_affine_coupling_log_det_is_log_abs_det_jacobian():
    D = 5
    layer = nn.AffineCoupling(D, 7, [1, 0, 0, 1, 0], dtype=np.float64, rng=np.random.default_rng(3))
    x = fill((4, D), np.float64, "normal", 11)
    (_, log_det), _ = layer(x)
    eps = 1e-6
    for n in range(x.shape[0]):
        jacobian = np.empty((D, D))
        for j in range(D):
            step = np.zeros_like(x)
            step[n, j] = eps
            (y_plus, _), _ = layer(x + step)
            (y_minus, _), _ = layer(x - step)
            jacobian[:, j] = (y_plus[n] - y_minus[n]) / (2 * eps)
        sign, logabsdet = np.linalg.slogdet(jacobian)
        assert sign != 0
        np.testing.assert_allclose(log_det[n], logabsdet, rtol=1e-7, atol=1e-8)


def test_affine_coupling_state_dict_matches_torch():
    np_layer, torch_layer = make_pair(3, 4, [0, 1, 0], np.float32, 0)
    assert list(np_layer.state_dict()) == ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"]
    check_state_dict_layout("AffineCoupling", np_layer, torch_layer)
    assert np_layer.state_dict()["net.2.weight"].shape == (6, 4)


def test_affine_coupling_bad_input():
    x = np.zeros((2, 3))
    mask = np.array([1.0, 0.0, 1.0])
    with pytest.raises(TypeError, match="affine_coupling expected input to be float32 or float64, got int64"):
        F.affine_coupling(np.zeros((2, 3), np.int64), mask, x, x)
    with pytest.raises(TypeError, match="affine_coupling expected log_scale of dtype float64 like the input, "
                                        "got float32"):
        F.affine_coupling(x, mask, x.astype(np.float32), x)
    with pytest.raises(ValueError, match=r"affine_coupling expected shift of the input's shape \(2, 3\), "
                                         r"got \(2, 2\)"):
        F.affine_coupling(x, mask, x, np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"affine_coupling expected mask broadcastable to the input's shape "
                                         r"\(2, 3\) \(e.g. \(3,\)\), got \(2,\)"):
        F.affine_coupling(x, mask[:2], x, x)
    with pytest.raises(ValueError, match=r"affine_coupling expected input of shape \(\*, D\)"):
        F.affine_coupling(np.zeros(()), np.zeros(()), np.zeros(()), np.zeros(()))
    (y, log_det), backward = F.affine_coupling(x, mask, x, x)
    with pytest.raises(ValueError, match=r"affine_coupling.backward expected dlog_det of shape \(2,\)"):
        backward((y, np.zeros(3)))
    with pytest.raises(ValueError, match=r"AffineCoupling expected mask of shape \(3,\)"):
        nn.AffineCoupling(3, 4, [1, 0])
    with pytest.raises(ValueError, match="AffineCoupling expected mask to hold only 0s and 1s"):
        nn.AffineCoupling(3, 4, [1, 0.5, 0])
    with pytest.raises(ValueError, match="AffineCoupling expected hidden to be an integer >= 1, got 0"):
        nn.AffineCoupling(3, 0, [1, 0, 1])
    with pytest.raises(ValueError, match=r"AffineCoupling expected input of shape \(\*, 3\), got \(2, 4\)"):
        nn.AffineCoupling(3, 4, [1, 0, 1])(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"AffineCoupling expected y of shape \(\*, 3\), got \(4,\)"):
        nn.AffineCoupling(3, 4, [1, 0, 1]).inverse(np.zeros(4, np.float32))
