"""The "beyond the courses" lessons' reference (``lessons.reference.beyond``) against PyTorch, on drawn cases.

No course publishes these functions, so there are no course examples to reproduce: each adapter is held against
the torch function or module it claims to match (values and every gradient, float64), with torch's own
conventions (``nn.MultiheadAttention``'s mask, where True blocks; ``conv_transpose2d``'s weight layout).
"""
from __future__ import annotations

import numpy as np
import pytest
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
    for got, t in zip(beyond.attention_backward(dout, cache), (tq, tk, tv), strict=True):
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


# ----------------------------------------------------------------------------------------------------------------
# Graph layers: the dense formulas written in torch, differentiated by autograd


def _adjacency(seed, N):
    upper = np.triu(np.random.default_rng(seed).random((N, N)) < 0.5, 1)
    return (upper | upper.T).astype(np.float64)


@FEW
@given(st.integers(1, 5), st.integers(1, 3), st.integers(1, 3), seeds)
def test_gcn_matches_the_dense_formula_in_torch(N, F_in, F_out, seed):
    X, A = values(seed, (N, F_in)), _adjacency(seed + 1, N)
    W, b = values(seed + 2, (F_in, F_out), -1, 1), values(seed + 3, (F_out,), -1, 1)
    out, cache = beyond.gcn_forward(X, A, W, b)
    At = torch.from_numpy(A) + torch.eye(N, dtype=torch.float64)
    d = At.sum(dim=1).rsqrt()
    tX, tW, tb = _t(X), _t(W), _t(b)
    expected = (d[:, None] * At * d[None, :]) @ tX @ tW + tb
    np.testing.assert_allclose(out, expected.detach().numpy(), **CLOSE)
    dout = values(seed + 4, out.shape)
    expected.backward(torch.from_numpy(dout))
    for got, t in zip(beyond.gcn_backward(dout, cache), (tX, tW, tb), strict=True):
        np.testing.assert_allclose(got, t.grad.numpy(), **CLOSE)


@FEW
@given(st.integers(1, 5), st.integers(1, 3), st.integers(1, 3), seeds)
def test_gat_matches_the_dense_formula_in_torch(N, F_in, F_out, seed):
    X, A = values(seed, (N, F_in)), _adjacency(seed + 1, N)
    W, b = values(seed + 2, (F_in, F_out), -1, 1), values(seed + 3, (F_out,), -1, 1)
    a = values(seed + 5, (2 * F_out,), -1, 1)
    out, cache = beyond.gat_forward(X, A, W, a, b)
    tX, tW, ta, tb = _t(X), _t(W), _t(a), _t(b)
    h = tX @ tW
    Z = (h @ ta[:F_out])[:, None] + (h @ ta[F_out:])[None, :]
    E = torch.nn.functional.leaky_relu(Z, 0.2)
    E = E.masked_fill(torch.from_numpy(A + np.eye(N)) == 0, float("-inf"))
    expected = torch.softmax(E, dim=1) @ h + tb
    np.testing.assert_allclose(out, expected.detach().numpy(), **CLOSE)
    dout = values(seed + 4, out.shape)
    expected.backward(torch.from_numpy(dout))
    for got, t in zip(beyond.gat_backward(dout, cache), (tX, tW, ta, tb), strict=True):
        np.testing.assert_allclose(got, t.grad.numpy(), **CLOSE)


def test_graph_layers_refuse_an_adjacency_with_self_loops():
    A = np.eye(2)
    with pytest.raises(ValueError, match="without self-loops"):
        beyond.gcn_forward(np.ones((2, 1)), A, np.ones((1, 1)), np.zeros(1))


# ----------------------------------------------------------------------------------------------------------------
# The transposed convolution


@st.composite
def conv_transpose_case(draw):
    N, C_in, C_out = (draw(st.integers(1, 3)) for _ in range(3))
    H, W, HH, WW = (draw(st.integers(1, 4)) for _ in range(4))
    stride = draw(st.integers(1, 3))
    pad = draw(st.integers(0, (min(HH, WW) - 1) // 2))
    seed = draw(seeds)
    return (values(seed, (N, C_in, H, W)), values(seed + 1, (C_in, C_out, HH, WW), -1, 1),
            values(seed + 2, (C_out,), -1, 1), {"stride": stride, "pad": pad}, seed)


@FEW
@given(conv_transpose_case())
def test_conv_transpose_matches_torch(case):
    x, w, b, conv_param, seed = case
    out, cache = beyond.conv_transpose_forward(x, w, b, conv_param)
    tx, tw, tb = _t(x), _t(w), _t(b)
    expected = torch.nn.functional.conv_transpose2d(tx, tw, tb, stride=conv_param["stride"],
                                                    padding=conv_param["pad"])
    np.testing.assert_allclose(out, expected.detach().numpy(), **CLOSE)
    dout = values(seed + 3, out.shape)
    expected.backward(torch.from_numpy(dout))
    for got, t in zip(beyond.conv_transpose_backward(dout, cache), (tx, tw, tb), strict=True):
        np.testing.assert_allclose(got, t.grad.numpy(), **CLOSE)


@FEW
@given(conv_transpose_case())
def test_conv_transpose_is_the_adjoint_of_conv2d(case):
    """What the lesson teaches: sum(conv2d(y) * x) == sum(y * conv_transpose(x)) for the conv2d from C_out to C_in
    channels with the same weight, stride and pad; and the backward's dx is that conv2d of dout."""
    x, w, _, conv_param, seed = case
    s, p = conv_param["stride"], conv_param["pad"]
    out, cache = beyond.conv_transpose_forward(x, w, np.zeros(w.shape[1]), conv_param)
    y = values(seed + 3, out.shape)
    conv_y = torch.nn.functional.conv2d(torch.from_numpy(y), torch.from_numpy(w), stride=s, padding=p).numpy()
    assert conv_y.shape == x.shape
    np.testing.assert_allclose(np.sum(conv_y * x), np.sum(y * out), rtol=1e-10, atol=1e-12)
    dx, _, _ = beyond.conv_transpose_backward(y, cache)
    np.testing.assert_allclose(dx, conv_y, **CLOSE)
