"""Dropout: parity with torch on torch's own mask, gradcheck, the mask's statistics, the module, bad input.

torch and NumPy draw from different generators, so the tests take torch's mask from F.dropout's output on an input
of ones (nonzero, so zeros in the output are exactly the dropped elements), reseed torch, and hand that mask to the
NumPy side: the comparison is then exact, not statistical.
"""
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
from parity_tests.strategies import GRADCHECK_KINDS, float_arrays, seeds, shapes
from scratch.functional.dropout import dropout_mask

DTYPES = [np.float64, np.float32]
probabilities = st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0.0, 1.0))


def torch_mask(shape, p: float, seed: int, dtype) -> np.ndarray:
    """The keep-mask torch's F.dropout draws after ``torch.manual_seed(seed)`` for this shape and dtype."""
    torch.manual_seed(seed)
    return (TF.dropout(torch.ones(shape, dtype=torch_dtype(dtype)), p) != 0).numpy()


def seeded_dropout(p: float, seed: int):
    """torch's F.dropout, reseeded before each call so that it draws the mask ``torch_mask`` saw."""
    def fn(x):
        torch.manual_seed(seed)
        return TF.dropout(x, p)
    return fn


class SeededDropout(torch.nn.Dropout):
    """torch.nn.Dropout reseeded before each call; takes (and ignores) the mask the NumPy module is given."""

    def __init__(self, p: float, seed: int):
        super().__init__(p)
        self.seed = seed

    def forward(self, x, mask=None):
        torch.manual_seed(self.seed)
        return super().forward(x)


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=shapes(min_dims=0, max_dims=4), p=probabilities, data=st.data(), seed=seeds)
@example(shape=(3, 4), p=1.0, data=None, seed=0).via("p=1 drops everything: zeros, not nan")
def test_dropout_matches_torch(dtype, shape, p, data, seed):
    x = (data.draw(float_arrays(shape, dtype)) if data is not None
         else np.arange(12, dtype=dtype).reshape(shape))
    torch_seed = seed % 2**31
    mask = torch_mask(shape, p, torch_seed, dtype)
    check_function("dropout", lambda x: F.dropout(x, p, mask=mask), seeded_dropout(p, torch_seed), [x], seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=shapes(min_dims=0, max_dims=4), p=probabilities, data=st.data())
def test_dropout_eval_is_identity(dtype, shape, p, data):
    x = data.draw(float_arrays(shape, dtype))
    check_function("dropout", lambda x: F.dropout(x, p, training=False), lambda x: TF.dropout(x, p, training=False),
                   [x], seed=data.draw(seeds))
    assert F.dropout(x, p, training=False)[0] is x  # torch returns its input itself too


@given(shape=shapes(max_dims=3), p=st.floats(0.0, 0.95), data=st.data(), seed=seeds)
def test_dropout_gradcheck(shape, p, data, seed):
    x = data.draw(float_arrays(shape, np.float64, GRADCHECK_KINDS))
    mask = dropout_mask(shape, p, np.random.default_rng(seed))
    check_gradcheck("dropout", lambda x: F.dropout(x, p, mask=mask), x, seed=seed)


def test_dropout_mask_statistics():
    # Fixed seeds, so deterministic: the keep rate is 1 - p within 4 standard deviations of a binomial proportion.
    n = 200_000
    for k, p in enumerate([0.0, 0.1, 0.5, 0.9, 1.0]):
        mask = dropout_mask((n,), p, np.random.default_rng(k))
        assert mask.dtype == np.bool_
        assert abs(mask.mean() - (1 - p)) <= 4 * np.sqrt(p * (1 - p) / n)
    x = np.ones((400, 500))
    y, _ = F.dropout(x, 0.3, rng=np.random.default_rng(7))
    assert set(np.unique(y)) == {0.0, 1 / 0.7}
    assert abs(y.mean() - 1.0) < 4 * np.sqrt(0.3 / 0.7 / x.size)  # inverted dropout: E[y] = x


def test_dropout_draws_from_the_given_rng_or_scratch_random():
    x = np.ones((6, 7), np.float32)
    y1, _ = F.dropout(x, 0.5, rng=np.random.default_rng(3))
    y2, _ = F.dropout(x, 0.5, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(y1, y2)
    import scratch

    scratch.manual_seed(11)
    y3, _ = F.dropout(x)
    scratch.manual_seed(11)
    np.testing.assert_array_equal(y3, F.dropout(x)[0])
    assert y3.dtype == np.float32


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=shapes(min_dims=1, max_dims=4), p=probabilities, data=st.data(), seed=seeds)
def test_dropout_module_matches_torch(dtype, shape, p, data, seed):
    x = data.draw(float_arrays(shape, dtype))
    torch_seed = seed % 2**31
    layer, twin = nn.Dropout(p), SeededDropout(p, torch_seed)
    mask = torch_mask(shape, p, torch_seed, dtype)
    check_module("Dropout", layer, twin, x, mask, seed=seed, input_grads=[0])  # training, torch's mask
    assert layer.last_mask is mask
    layer.eval()
    twin.eval()
    check_module("Dropout", layer, twin, x, mask, seed=seed, input_grads=[0])  # evaluation: identity
    assert layer.last_mask is None


def test_dropout_module_draws_and_remembers_its_mask():
    layer = nn.Dropout(0.4, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((5, 6))
    y, backward = layer(x)
    mask = layer.last_mask
    assert mask.dtype == np.bool_ and mask.shape == x.shape
    np.testing.assert_allclose(y, np.where(mask, x / 0.6, 0.0), rtol=1e-15)
    dy = np.random.default_rng(2).standard_normal(x.shape)
    np.testing.assert_allclose(backward(dy), np.where(mask, dy / 0.6, 0.0), rtol=1e-15)
    layer(x)
    assert not np.array_equal(layer.last_mask, mask)  # a fresh mask each call


def test_dropout_state_dict_layout():
    check_state_dict_layout("Dropout", nn.Dropout(0.3), tnn.Dropout(0.3))


def test_dropout_bad_input():
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {p}"):
            TF.dropout(torch.zeros(3), p)
        with pytest.raises(ValueError, match=f"dropout expected a dropout probability between 0 and 1, got {p}"):
            F.dropout(np.zeros(3), p)
        with pytest.raises(ValueError, match=f"Dropout expected a dropout probability between 0 and 1, got {p}"):
            nn.Dropout(p)
    with pytest.raises(ValueError, match=r"dropout expected mask of the input's shape \(2, 3\), got \(3, 2\)"):
        F.dropout(np.zeros((2, 3)), 0.5, mask=np.ones((3, 2), bool))
    with pytest.raises(TypeError, match="dropout expected mask to be a boolean numpy.ndarray .*got float64"):
        F.dropout(np.zeros((2, 3)), 0.5, mask=np.ones((2, 3)))
    with pytest.raises(TypeError, match="dropout expected input to be float32 or float64, got int64"):
        F.dropout(np.zeros(3, np.int64))
    y, backward = F.dropout(np.zeros((2, 3)), 0.5)
    with pytest.raises(TypeError, match=r"dropout.backward expected dy of dtype float64"):
        backward(np.zeros((2, 3), np.float32))
