"""Weight norm: the functional reparametrisation against torch._weight_norm, gradcheck, and scratch.nn.utils'
weight_norm on a Linear and a Conv1d against torch.nn.utils' (old API: weight_g, weight_v) and parametrizations'."""
from __future__ import annotations

import copy

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
from parity_tests.strategies import GRADCHECK_KINDS, cast, float_arrays, seeds, shapes

DTYPES = [np.float64, np.float32]
# No "ties": small integers make all-zero slices of v, which have no direction (||v|| = 0).
NONZERO_KINDS = ("normal", "wide", "tiny")


def _g_shape(shape, dim):
    if dim is None or dim == -1:
        return ()
    d = dim % len(shape)
    return tuple(n if a == d else 1 for a, n in enumerate(shape))


@st.composite
def weight_norm_case(draw, dtype, kinds=NONZERO_KINDS):
    """(v, g, dim): dim drawn from None, -1 (both: one norm over everything, torch's rule), every axis, and the
    other negative values."""
    shape = draw(shapes(min_dims=1, max_dims=4, max_side=5))
    dim = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    v = draw(float_arrays(shape, dtype, kinds))
    g = draw(float_arrays(_g_shape(shape, dim), dtype, kinds))
    return v, g, dim


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=weight_norm_case(np.float64), seed=seeds)
@example(case=(np.array([0.12573022, -0.13210486, 0.64042265]), np.array(345.58419206), None), seed=0)  # cancels
def test_weight_norm_matches_torch(dtype, case, seed):
    v, g, dim = case
    # dv = (g/n) dy - (g s/n^3) v is the difference of two terms of size |g|/n |dy|, which cancel wherever dy is
    # nearly parallel to v (every element of a short v): its rounding error follows those terms, not dv.
    axes = tuple(range(v.ndim)) if g.ndim == 0 else tuple(a for a in range(v.ndim) if g.shape[a] == 1)
    terms = np.max(np.abs(g / np.sqrt(np.sum(v * v, axis=axes, keepdims=g.ndim > 0))))
    check_function("weight_norm", lambda v, g: F.weight_norm(v, g, dim), lambda v, g: TF.weight_norm(v, g, dim),
                   [cast(v, dtype), cast(g, dtype)], seed=seed,
                   grad_scale=lambda dys: {0: float(terms * np.max(np.abs(dys[0]), initial=0))})


@given(case=weight_norm_case(np.float64, GRADCHECK_KINDS), seed=seeds)
def test_weight_norm_gradcheck(case, seed):
    v, g, dim = case
    check_gradcheck("weight_norm", lambda v, g: F.weight_norm(v, g, dim), v, g, seed=seed)


def _layers(kind, dtype, seed):
    """A scratch layer and its torch twin with torch.nn.utils.weight_norm applied to the twin only."""
    rng = np.random.default_rng(seed)
    if kind == "Linear":
        return nn.Linear(5, 4, dtype=dtype, rng=rng), tnn.Linear(5, 4, dtype=torch_dtype(dtype))
    return (nn.Conv1d(3, 4, 3, padding=1, dtype=dtype, rng=rng),
            tnn.Conv1d(3, 4, 3, padding=1, dtype=torch_dtype(dtype)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["Linear", "Conv1d"])
@given(dim=st.sampled_from([0, 1, None, -1, -2]), data=st.data())
def test_weight_norm_module_matches_torch(kind, dtype, dim, data):
    seed = data.draw(seeds)
    layer, twin = _layers(kind, dtype, seed)
    layer, twin = nn.utils.weight_norm(layer, dim=dim), tnn.utils.weight_norm(twin, dim=dim)
    shape = (data.draw(st.integers(1, 3)), 5) if kind == "Linear" else (data.draw(st.integers(1, 3)), 3, 6)
    x = data.draw(float_arrays(shape, dtype, NONZERO_KINDS))
    check_module(f"weight_norm({kind})", layer, twin, x, seed=seed)


@pytest.mark.parametrize("kind", ["Linear", "Conv1d"])
def test_weight_norm_matches_torch_parametrizations(kind):
    # torch's newer API: the same arrays as original0 (g) and original1 (v); it loads the old names too.
    layer = nn.utils.weight_norm(_layers(kind, np.float64, 0)[0])
    twin = torch.nn.utils.parametrizations.weight_norm(_layers(kind, np.float64, 0)[1])
    twin.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in layer.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 5) if kind == "Linear" else (2, 3, 6))
    y, backward = layer(x)
    dy = np.random.default_rng(2).standard_normal(y.shape)
    x_t = torch.from_numpy(x).requires_grad_()
    y_t = twin(x_t)
    y_t.backward(torch.from_numpy(dy))
    dx = backward(dy)
    original = twin.parametrizations.weight
    for ours, theirs in [(y, y_t.detach()), (dx, x_t.grad), (layer.weight_g.grad, original.original0.grad),
                         (layer.weight_v.grad, original.original1.grad), (layer.bias.grad, twin.bias.grad)]:
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_weight_norm_state_dict_layout():
    for dim in (0, None):
        check_state_dict_layout("weight_norm(Linear)", nn.utils.weight_norm(nn.Linear(5, 4), dim=dim),
                                tnn.utils.weight_norm(tnn.Linear(5, 4), dim=dim))
        check_state_dict_layout("weight_norm(Conv1d)", nn.utils.weight_norm(nn.Conv1d(3, 4, 3), dim=dim),
                                tnn.utils.weight_norm(tnn.Conv1d(3, 4, 3), dim=dim))
    layer = nn.Linear(5, 4, rng=np.random.default_rng(0))
    weight = layer.weight.copy()
    nn.utils.weight_norm(layer)
    assert list(layer.state_dict()) == ["bias", "weight_g", "weight_v"]
    np.testing.assert_allclose(layer.weight, weight, rtol=1e-6)  # starts at the same weight: g = ||v||
    np.testing.assert_array_equal(layer.weight_v, weight)
    nn.utils.remove_weight_norm(layer)
    twin = tnn.utils.remove_weight_norm(tnn.utils.weight_norm(tnn.Linear(5, 4)))
    assert list(layer.state_dict()) == list(twin.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(layer.weight, weight, rtol=1e-6)
    assert "forward" not in layer.__dict__


def test_weight_norm_shared_calls_and_copies():
    # Two calls before their backwards (shared weights): each differentiates its own w, and the gradients add up.
    layer = nn.utils.weight_norm(nn.Linear(5, 4, dtype=np.float64, rng=np.random.default_rng(0)))
    twin = tnn.utils.weight_norm(tnn.Linear(5, 4, dtype=torch.float64))
    twin.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in layer.state_dict().items()})
    rng = np.random.default_rng(1)
    x1, x2 = rng.standard_normal((2, 5)), rng.standard_normal((3, 5))
    (y1, back1), (y2, back2) = layer(x1), layer(x2)
    dy1, dy2 = rng.standard_normal(y1.shape), rng.standard_normal(y2.shape)
    back2(dy2)
    back1(dy1)
    loss = (twin(torch.from_numpy(x1)) * torch.from_numpy(dy1)).sum() + \
        (twin(torch.from_numpy(x2)) * torch.from_numpy(dy2)).sum()
    loss.backward()
    for name in ("weight_g", "weight_v", "bias"):
        np.testing.assert_allclose(getattr(layer, name).grad, getattr(twin, name).grad.numpy(), rtol=1e-10)
    clone = copy.deepcopy(layer)  # the hook travels with the copy and reads the copy's parameters
    clone.weight_g[...] *= 2
    np.testing.assert_allclose(clone(x1)[0] - clone.bias, 2 * (layer(x1)[0] - layer.bias), rtol=1e-12)


def test_weight_norm_on_two_parameters_and_removal():
    # An LSTMCell's weight_ih and weight_hh, each reparametrised (the hooks chain), then one removed again.
    layer = nn.LSTMCell(3, 4, dtype=np.float64, rng=np.random.default_rng(0))
    twin = tnn.LSTMCell(3, 4, dtype=torch.float64)
    for name in ("weight_ih", "weight_hh"):
        nn.utils.weight_norm(layer, name)
        tnn.utils.weight_norm(twin, name)
    x = np.random.default_rng(1).standard_normal((2, 3))
    check_module("weight_norm(LSTMCell)", layer, twin, x)
    nn.utils.remove_weight_norm(layer, "weight_ih")
    tnn.utils.remove_weight_norm(twin, "weight_ih")
    assert list(layer.state_dict()) == list(twin.state_dict())
    check_module("weight_norm(LSTMCell)", layer, twin, x)


def test_weight_norm_bad_input():
    with pytest.raises(ValueError, match=r"weight_norm expected g of shape \(4, 1\) for v of shape \(4, 3\) and "
                                         r"dim=0, got \(4,\)"):
        F.weight_norm(np.ones((4, 3)), np.ones(4))
    with pytest.raises(ValueError, match="weight_norm got dim=2 for a weight with 2 dims"):
        F.weight_norm(np.ones((4, 3)), np.ones((4, 1)), 2)
    with pytest.raises(TypeError, match="weight_norm expected arrays of one dtype, got v: float64, g: float32"):
        F.weight_norm(np.ones((4, 3)), np.ones((4, 1), np.float32))
    layer = nn.utils.weight_norm(nn.Linear(3, 4))
    with pytest.raises(RuntimeError, match="cannot register two weight_norm hooks on the same parameter weight"):
        nn.utils.weight_norm(layer)
    with pytest.raises(ValueError, match=r"weight_norm expected Linear to have a parameter 'kernel', got parameters "
                                         r"\['bias', 'weight_g', 'weight_v'\]"):
        nn.utils.weight_norm(layer, name="kernel")
    with pytest.raises(ValueError, match="remove_weight_norm: weight_norm of 'bias' not found in Linear"):
        nn.utils.remove_weight_norm(layer, "bias")
