"""The "beyond the courses" lessons' reference (``lessons.reference.beyond``) against PyTorch, on drawn cases.

No course publishes these functions, so there are no course examples to reproduce: each adapter is held against
the torch function or module it claims to match (values and every gradient, float64), with torch's own
conventions (``nn.MultiheadAttention``'s mask, where True blocks; ``conv_transpose2d``'s weight layout).
"""
from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.core import values
from lessons.reference import beyond
from parity_tests.strategies import seeds

FEW = settings(max_examples=12, deadline=None)
CLOSE = {"rtol": 1e-10, "atol": 1e-12}


def _t(a, grad=True):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def _mask(seed, L, S):
    rng = np.random.default_rng(seed)
    mask = rng.random((L, S)) < 0.4
    mask[np.arange(L), rng.integers(0, S, size=L)] = False  # no query loses every key
    return mask


# ----------------------------------------------------------------------------------------------------------------
# Attention


@FEW
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.booleans(), seeds)
def test_attention_matches_torch_sdpa(N, L, S, d, masked, seed):
    q, k, v = values(seed, (N, L, d)), values(seed + 1, (N, S, d)), values(seed + 2, (N, S, 3))
    mask = _mask(seed + 3, L, S) if masked else None
    out, cache = beyond.attention_forward(q, k, v, mask)
    tq, tk, tv = _t(q), _t(k), _t(v)
    # torch's functional SDPA reads a boolean mask as "may attend": the opposite of our (and nn.MHA's) convention
    expected = torch.nn.functional.scaled_dot_product_attention(
        tq, tk, tv, attn_mask=None if mask is None else torch.from_numpy(~mask))
    np.testing.assert_allclose(out, expected.detach().numpy(), **CLOSE)
    dout = values(seed + 4, out.shape)
    expected.backward(torch.from_numpy(dout))
    for got, t in zip(beyond.attention_backward(dout, cache), (tq, tk, tv)):
        np.testing.assert_allclose(got, t.grad.numpy(), **CLOSE)


@FEW
@given(st.integers(1, 2), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.booleans(),
       seeds)
def test_multi_head_attention_matches_torch_module(N, L, S, num_heads, d, masked, seed):
    E = num_heads * d
    mha = torch.nn.MultiheadAttention(E, num_heads, batch_first=True, dtype=torch.float64)
    with torch.no_grad():  # torch starts both biases at zero: draw them, so their gradients and roles are tested
        for name, p in mha.named_parameters():
            p.copy_(torch.from_numpy(values(seed + 10 + len(name), tuple(p.shape), -1, 1)))
    params = {name: t.detach().numpy().copy() for name, t in mha.state_dict().items()}
    assert set(params) == {"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"}
    query, key, value = values(seed, (N, L, E)), values(seed + 1, (N, S, E)), values(seed + 2, (N, S, E))
    mask = _mask(seed + 3, L, S) if masked else None

    out, cache = beyond.multi_head_attention_forward(query, key, value, params, num_heads, mask)
    tq, tk, tv = _t(query), _t(key), _t(value)
    expected, _ = mha(tq, tk, tv, attn_mask=None if mask is None else torch.from_numpy(mask), need_weights=False)
    np.testing.assert_allclose(out, expected.detach().numpy(), **CLOSE)

    dout = values(seed + 4, out.shape)
    expected.backward(torch.from_numpy(dout))
    grads = beyond.multi_head_attention_backward(dout, cache)
    for name, t in (("query", tq), ("key", tk), ("value", tv)):
        np.testing.assert_allclose(grads[name], t.grad.numpy(), **CLOSE)
    for name, p in mha.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad.numpy(), **CLOSE)
