"""Embedding: parity with torch (repeated indices, padding_idx, scale_grad_by_freq), gradcheck, layout, bad input."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import scratch.functional as F
import scratch.nn as nn
import torch_impl.functional as TF
import torch_impl.nn as tnn
from parity_tests.harness import check_function, check_gradcheck, check_module, check_state_dict_layout, torch_dtype
from parity_tests.strategies import GRADCHECK_KINDS, KINDS, cast, float_arrays, seeds, shapes

DTYPES = [np.float64, np.float32]


@st.composite
def embedding_case(draw, dtype, kinds=KINDS):
    """(indices, weight, padding_idx, scale_grad_by_freq): a small table, so indices repeat often."""
    V, E = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    lead = draw(shapes(min_dims=0, max_dims=3, max_side=5))
    idx = np.random.default_rng(draw(seeds)).integers(0, V, size=lead)
    weight = draw(float_arrays((V, E), dtype, kinds))
    padding_idx = draw(st.one_of(st.none(), st.integers(-V, V - 1)))
    return idx, weight, padding_idx, draw(st.booleans())


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=embedding_case(np.float64), seed=seeds)
@example(case=(np.array([1, 1, 1, 0]), np.arange(6.0).reshape(3, 2), 0, False), seed=0)  # repeats + padding
def test_embedding_matches_torch(dtype, case, seed):
    idx, weight, padding_idx, freq = case
    check_function("embedding", lambda i, w: F.embedding(i, w, padding_idx, scale_grad_by_freq=freq),
                   lambda i, w: TF.embedding(i, w, padding_idx, scale_grad_by_freq=freq),
                   [idx, cast(weight, dtype)], seed=seed)


@given(case=embedding_case(np.float64, GRADCHECK_KINDS), seed=seeds)
def test_embedding_gradcheck(case, seed):
    # Plain lookups only: padding_idx and scale_grad_by_freq change the gradient on purpose (the padding row's output
    # does depend on it; a frequent row's does not shrink), so central differences disagree with them by design.
    idx, weight, _, _ = case
    check_gradcheck("embedding", F.embedding, idx, weight, wrt=[1], seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=embedding_case(np.float64), seed=seeds)
def test_embedding_module_matches_torch(dtype, case, seed):
    idx, weight, padding_idx, freq = case
    V, E = weight.shape
    layer = nn.Embedding(V, E, padding_idx=padding_idx, scale_grad_by_freq=freq, dtype=dtype,
                         rng=np.random.default_rng(seed))
    twin = tnn.Embedding(V, E, padding_idx=padding_idx, scale_grad_by_freq=freq, dtype=torch_dtype(dtype))
    check_module("Embedding", layer, twin, idx, seed=seed)


def test_embedding_init_and_state_dict_layout():
    check_state_dict_layout("Embedding", nn.Embedding(7, 3, padding_idx=2), tnn.Embedding(7, 3, padding_idx=2))
    layer = nn.Embedding(1000, 4, padding_idx=-1, rng=np.random.default_rng(0))
    assert layer.padding_idx == 999 and not layer.weight[999].any() and layer.weight.dtype == np.float32
    assert abs(layer.weight[:999].std() - 1) < 0.05  # torch: N(0, 1)


def test_embedding_bad_input():
    w = np.zeros((5, 3))
    with pytest.raises(ValueError, match=r"embedding expected indices in \[0, 5\) \(num_embeddings=5\), got 5"):
        F.embedding(np.array([0, 5]), w)
    with pytest.raises(ValueError, match=r"embedding expected indices in \[0, 5\).*got -1"):
        F.embedding(np.array([-1, 2]), w)
    with pytest.raises(TypeError, match=r"embedding expected input to hold integer indices, got dtype float64"):
        F.embedding(np.array([1.0, 2.0]), w)
    with pytest.raises(TypeError, match=r"Embedding expected input to be a numpy.ndarray of integer indices"):
        nn.Embedding(5, 3)([1, 2])
    with pytest.raises(ValueError, match=r"Embedding expected padding_idx in \[-5, 5\)"):
        nn.Embedding(5, 3, padding_idx=5)
    with pytest.raises(ValueError, match=r"embedding expected weight of shape \(num_embeddings, embedding_dim\)"):
        F.embedding(np.array([0]), np.zeros(5))
