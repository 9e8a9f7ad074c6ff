"""sinusoidal_time_embedding: parity with the torch twin, the improved-DDPM reference formula, gradcheck, bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import scratch.functional as F
import torch_impl.functional as TF
from parity_tests.harness import check_function, check_gradcheck
from parity_tests.strategies import GRADCHECK_KINDS, float_arrays, seeds

DTYPES = [np.float64, np.float32]
dims = st.integers(1, 9)  # odd and even, 1 (a single zero column) and 2 (one frequency) included
periods = st.sampled_from([10000, 10, 1.5])


@pytest.mark.parametrize("dtype", DTYPES)
@given(n=st.integers(1, 6), dim=dims, max_period=periods, data=st.data())
def test_time_embedding_matches_torch(dtype, n, dim, max_period, data):
    t = data.draw(float_arrays((n,), dtype))
    check_function("sinusoidal_time_embedding", lambda t: F.sinusoidal_time_embedding(t, dim, max_period),
                   lambda t: TF.sinusoidal_time_embedding(t, dim, max_period), [t], seed=data.draw(seeds))


@given(t=st.lists(st.integers(0, 1000), min_size=1, max_size=6), dim=dims, seed=seeds)
@example(t=[0, 1, 999], dim=8, seed=0)
def test_time_embedding_integer_t_matches_torch(t, dim, seed):
    t = np.array(t, dtype=np.int64)  # integer timesteps: float32 output, backward returns (None,)
    check_function("sinusoidal_time_embedding", lambda t: F.sinusoidal_time_embedding(t, dim),
                   lambda t: TF.sinusoidal_time_embedding(t, dim), [t], seed=seed)


@given(n=st.integers(1, 5), dim=dims, max_period=periods, data=st.data())
def test_time_embedding_gradcheck(n, dim, max_period, data):
    t = data.draw(float_arrays((n,), np.float64, GRADCHECK_KINDS)) * 10
    check_gradcheck("sinusoidal_time_embedding", lambda t: F.sinusoidal_time_embedding(t, dim, max_period), t,
                    seed=data.draw(seeds))


@pytest.mark.parametrize("dim", [1, 2, 7, 8])
def test_time_embedding_is_the_reference_formula(dim):
    """improved-DDPM's timestep_embedding written out: cos half, sin half, a zero column for odd dim."""
    t = np.array([0.0, 1.0, 17.0, 999.0])
    half = dim // 2
    y, _ = F.sinusoidal_time_embedding(t, dim)
    for n in range(len(t)):
        for i in range(half):
            freq = math.exp(-math.log(10000) * i / half)
            assert y[n, i] == pytest.approx(math.cos(t[n] * freq), abs=1e-12)
            assert y[n, half + i] == pytest.approx(math.sin(t[n] * freq), abs=1e-12)
        if dim % 2:
            assert y[n, -1] == 0.0
    ref = TF.sinusoidal_time_embedding(torch.from_numpy(t), dim).numpy()
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-12)


def test_time_embedding_bad_input():
    with pytest.raises(ValueError, match=r"sinusoidal_time_embedding expected t of shape \(N,\) \(1 dim\), "
                                         r"got shape \(2, 1\)"):
        F.sinusoidal_time_embedding(np.zeros((2, 1)), 4)
    with pytest.raises(TypeError, match="sinusoidal_time_embedding expected t to be a numpy.ndarray, got list"):
        F.sinusoidal_time_embedding([1, 2], 4)
    with pytest.raises(TypeError, match="sinusoidal_time_embedding expected t to hold integers, float32 or "
                                        "float64, got bool"):
        F.sinusoidal_time_embedding(np.array([True]), 4)
    with pytest.raises(ValueError, match="sinusoidal_time_embedding expected dim to be an integer >= 1, got 0"):
        F.sinusoidal_time_embedding(np.zeros(2), 0)
    with pytest.raises(ValueError, match="sinusoidal_time_embedding expected max_period > 0, got -1"):
        F.sinusoidal_time_embedding(np.zeros(2), 4, -1)
    y, backward = F.sinusoidal_time_embedding(np.zeros(2, np.float32), 4)
    with pytest.raises(TypeError, match=r"sinusoidal_time_embedding.backward expected dy of dtype float32"):
        backward(np.zeros((2, 4)))
