"""scaled_dot_product_attention, MultiheadAttention and the positional encoding: parity with torch, gradcheck,
state_dict layout, bad input.

What parity covers. ``scaled_dot_product_attention`` against torch's (on the CPU torch picks its math or flash
kernel; both agree with ours within the float64 table) with every mask kind torch takes: none, boolean and float,
broadcast over the leading dims, causal, and rows with every key masked out (output and gradients 0, as torch).
Dropout is compared with torch's own composition ``softmax -> dropout -> @ V`` under one shared keep-mask
(``test_sdpa_dropout_matches_manual_torch``): torch's SDPA draws its mask from torch's generator, which NumPy cannot
reproduce, but under one seed it equals exactly that composition (checked when this was written).

``MultiheadAttention`` against torch's in training mode (dropout 0), both of torch's paths: need_weights=True (its
explicit softmax) and False (its SDPA call). torch's inference fast path (eval mode, no gradients) is never taken
because the inputs require gradients. Fully masked rows: torch's need_weights=True path gives NaN there, ours 0 on
every path, so those draws keep one key per row when need_weights is True; ``test_mha_fully_masked_row`` pins our
choice against torch's SDPA path.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import scratch.functional as F
import scratch.nn as nn
import torch_impl.functional as TF
import torch_impl.nn as tnn
from parity_tests.harness import (
    assert_close,
    check_function,
    check_gradcheck,
    check_module,
    check_state_dict_layout,
    torch_dtype,
)
from parity_tests.strategies import GRADCHECK_KINDS, KINDS, WELL_CONDITIONED, fill, float_arrays, seeds

DTYPES = [np.float64, np.float32]
# torch deprecates a boolean attn_mask with a float key_padding_mask (or the reverse) but still supports it; so do we.
pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
# float32 parity is restricted to values of order 1: scores of wide inputs reach 1e6, where float32's rounding of
# the scores alone (~0.1) moves the softmax by a visible amount in either implementation.
KINDS_FOR = {np.float64: KINDS, np.float32: WELL_CONDITIONED}
small = st.integers(min_value=1, max_value=4)


@st.composite
def broadcast_shape(draw, full):
    """A shape that broadcasts to ``full``: each dim kept or 1, leading dims possibly dropped (at least 2 kept)."""
    drop = draw(st.integers(0, len(full) - 2))
    return tuple(draw(st.sampled_from([n, 1])) for n in full[drop:])


@st.composite
def bool_mask(draw, shape):
    """A boolean mask of ``shape`` with a drawn density of True (all True and all False included)."""
    rng = np.random.default_rng(draw(seeds))
    return rng.random(shape) < draw(st.sampled_from([0.0, 0.3, 0.7, 1.0]))


@st.composite
def float_mask(draw, shape, dtype):
    """A float mask: normal values with some -inf (blocked) entries."""
    rng = np.random.default_rng(draw(seeds))
    m = rng.standard_normal(shape)
    m[rng.random(shape) < draw(st.sampled_from([0.0, 0.3]))] = -np.inf
    return m.astype(dtype)


@st.composite
def sdpa_case(draw, dtype, kinds=KINDS):
    """(query, key, value, attn_mask, is_causal, scale): leading dims 0-2, masks of every kind torch takes."""
    batch = tuple(draw(st.lists(small, min_size=0, max_size=2)))
    L, S, E, Ev = draw(small), draw(small), draw(small), draw(small)
    q = draw(float_arrays(batch + (L, E), dtype, kinds))
    k = draw(float_arrays(batch + (S, E), dtype, kinds))
    v = draw(float_arrays(batch + (S, Ev), dtype, kinds))
    mask_kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    mask = None
    if mask_kind in ("bool", "float"):
        shape = draw(broadcast_shape(batch + (L, S)))
        mask = draw(bool_mask(shape)) if mask_kind == "bool" else draw(float_mask(shape, dtype))
    scale = draw(st.one_of(st.none(), st.floats(0.1, 2.0)))
    return q, k, v, mask, mask_kind == "causal", scale


def sdpa_pair(is_causal, scale):
    """The NumPy function and torch's, with the keyword-only scale bound."""
    return (lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, m, 0.0, is_causal, scale=scale),
            lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, m, 0.0, is_causal, scale=scale))


def sdpa_term_sizes(q, k, v, scale):
    """``check_function``'s ``grad_scale`` for SDPA: the size of the terms dQ and dK are summed from.

    dS = P * (dP - rowsum(P * dP)) with dP = dO V^T, then dQ = c dS K and dK = c dS^T Q. Where the softmax
    saturates (one weight 1 up to 1e-79, wide inputs) dP - rowsum(P * dP) cancels exactly in exact arithmetic,
    and dQ, dK are ~1e-74 everywhere; torch's flash kernel takes the row sum as rowsum(dO * O) instead, in another
    summation order, and keeps a residue of one rounding of the dot products, eps * Ev max|dO| max|V|, times
    c max|K| (times L max|Q| for dK). Whether it shows depends on which BLAS kernel runs (memory alignment), so
    such a draw fails at random against a bound scaled by the result alone.
    """
    c = 1 / math.sqrt(q.shape[-1]) if scale is None else scale

    def size(a):
        return float(np.max(np.abs(a))) if a.size else 0.0

    def sizes(dys):
        dp = v.shape[-1] * size(dys[0]) * size(v)
        return {0: c * dp * size(k), 1: c * dp * q.shape[-2] * size(q)}
    return sizes


# A saturated softmax: the second key's score is 182 above the first's, its weight 1 - 2e-79. Found failing in CI
# (torch's dQ 1.5e-10 of rounding residue, ours and the exact one 2.1e-74) before the bound followed the term sizes.
_SATURATED_Q = np.array([[[[0.1257302210933933, -0.1321048632913019, 0.6404226504432821, 0.10490011715303971]]]])
_SATURATED_K = np.array([[[[125.7302210933933, -132.10486329130188, 640.422650443282, 104.9001171530397],
                           [-535.6693731611109, 361.59505490948476, 1304.0000451301373, 947.0809631292421]]]])


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), seed=seeds)
def test_sdpa_matches_torch(dtype, data, seed):
    q, k, v, mask, is_causal, scale = data.draw(sdpa_case(dtype, KINDS_FOR[dtype]))
    np_fn, torch_fn = sdpa_pair(is_causal, scale)
    check_function("scaled_dot_product_attention", np_fn, torch_fn, [q, k, v, mask], wrt=[0, 1, 2], seed=seed,
                   grad_scale=sdpa_term_sizes(q, k, v, scale))


def test_sdpa_saturated_softmax_matches_torch():
    q, k = _SATURATED_Q, _SATURATED_K
    out, backward = F.scaled_dot_product_attention(q, k, k)
    dq, dk, dv, _ = backward(np.random.default_rng(1632).standard_normal(out.shape))
    assert np.max(np.abs(dq)) < 1e-70 and np.max(np.abs(dk)) < 1e-70  # exact: the first key's weight is 2e-79
    check_function("scaled_dot_product_attention", *sdpa_pair(False, None), [q, k, k.copy(), None], wrt=[0, 1, 2],
                   seed=1632, grad_scale=sdpa_term_sizes(q, k, k, None))


@given(case=sdpa_case(np.float64, GRADCHECK_KINDS), seed=seeds)
@example(case=(np.ones((1, 1)), np.ones((1, 1)), np.ones((1, 1)), None, False, None), seed=0)  # one query, one key
def test_sdpa_gradcheck(case, seed):
    q, k, v, mask, is_causal, scale = case

    def fn(q, k, v):
        return _drop_mask_grad(F.scaled_dot_product_attention(q, k, v, mask, 0.0, is_causal, scale=scale))

    check_gradcheck("scaled_dot_product_attention", fn, q, k, v, seed=seed)


def _drop_mask_grad(result):
    y, backward = result
    return y, lambda dy: backward(dy)[:3]


def test_sdpa_fully_masked_row_is_zero_like_torch():
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 6))
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False  # query 1 may attend to nothing
    out, backward = F.scaled_dot_product_attention(q, k, v, mask)
    assert np.all(out[:, 1] == 0)
    assert np.all(backward(rng.standard_normal(out.shape))[0][:, 1] == 0)
    float_mask = np.where(mask, 0.0, -np.inf)
    for m in (mask, float_mask):
        check_function("scaled_dot_product_attention", *sdpa_pair(False, None), [q, k, v, m], wrt=[0, 1, 2])


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), p=st.sampled_from([0.1, 0.5, 0.9]), seed=seeds)
def test_sdpa_dropout_matches_manual_torch(dtype, data, p, seed):
    q, k, v, mask, is_causal, scale = data.draw(sdpa_case(dtype, WELL_CONDITIONED))
    L, S = q.shape[-2], k.shape[-2]
    keep = np.random.default_rng(seed).random(q.shape[:-2] + (L, S)) >= p

    def torch_reference(q, k, v, m):  # torch's math path, written out, with our keep-mask
        scores = q @ k.transpose(-1, -2) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
        if is_causal:
            m = torch.ones(L, S, dtype=torch.bool).tril()
        if m is not None:
            scores = scores.masked_fill(~m, -math.inf) if m.dtype == torch.bool else scores + m
        dead = (scores == -math.inf).all(-1, keepdim=True)  # rows with no key: weights 0, as torch's SDPA
        weights = torch.softmax(scores.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)
        return (weights * torch.from_numpy(keep) / (1 - p)) @ v

    check_function("scaled_dot_product_attention",
                   lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, m, p, is_causal, scale=scale,
                                                                     dropout_mask=keep),
                   torch_reference, [q, k, v, mask], wrt=[0, 1, 2], seed=seed)


def test_sdpa_dropout_draws_from_rng():
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 4))
    a, _ = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, rng=np.random.default_rng(7))
    keep = np.random.default_rng(7).random((2, 3, 5)) >= 0.5
    b, _ = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, dropout_mask=keep)
    np.testing.assert_array_equal(a, b)
    c, _ = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0, rng=rng)
    assert np.all(c == 0)


def test_sdpa_bad_input():
    q, k, v = np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), np.zeros((2, 5, 6))
    name = "scaled_dot_product_attention"
    with pytest.raises(ValueError, match=f"{name} got both attn_mask and is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, np.ones((3, 5), bool), is_causal=True)
    with pytest.raises(ValueError, match=rf"{name} expected attn_mask to broadcast to \(2, 3, 5\), got \(3, 4\)"):
        F.scaled_dot_product_attention(q, k, v, np.ones((3, 4), bool))
    with pytest.raises(ValueError, match=rf"{name} expected attn_mask of shape \(..., L, S\) with at least 2 dims"):
        F.scaled_dot_product_attention(q, k, v, np.ones(5, bool))
    with pytest.raises(TypeError, match=f"{name} expected attn_mask to be bool or float64 .* got int64"):
        F.scaled_dot_product_attention(q, k, v, np.ones((3, 5), np.int64))
    with pytest.raises(TypeError, match=f"{name} expected attn_mask to be bool or float64 .* got float32"):
        F.scaled_dot_product_attention(q, k, v, np.ones((3, 5), np.float32))
    with pytest.raises(ValueError, match=rf"{name} expected query \(..., L, E\), key \(..., S, E\)"):
        F.scaled_dot_product_attention(q, np.zeros((2, 5, 3)), v)
    with pytest.raises(TypeError, match=f"{name} expected query, key and value of one dtype"):
        F.scaled_dot_product_attention(q, k.astype(np.float32), v)
    with pytest.raises(ValueError, match=f"{name} expected a dropout probability between 0 and 1, got 1.5"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.5)
    with pytest.raises(ValueError, match=rf"{name} expected dropout_mask of shape \(2, 3, 5\)"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, dropout_mask=np.ones((3, 5), bool))
    with pytest.raises(ValueError, match=f"{name}: enable_gqa=True is not supported"):
        F.scaled_dot_product_attention(q, k, v, enable_gqa=True)


# MultiheadAttention ------------------------------------------------------------------------------------------------

@st.composite
def mha_case(draw, dtype):
    """Constructor arguments and forward inputs of MultiheadAttention, masks of every kind, batched or not."""
    H, head_dim = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    E = H * head_dim
    N, L = draw(st.integers(1, 3)), draw(small)
    self_attention = draw(st.booleans())
    S = L if self_attention else draw(small)
    batch_first, bias, batched = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    need_weights, average = draw(st.booleans()), draw(st.booleans())
    rng = np.random.default_rng(draw(seeds))
    n = N if batched else 1

    def arrays(T):
        shape = ((n, T, E) if batch_first else (T, n, E))
        return rng.standard_normal(shape if batched else (T, E)).astype(dtype)

    query = arrays(L)
    # One array passed as query, key and value (self-attention, which torch packs into one in-projection product)
    # or distinct arrays: each still gets its own gradient.
    key = query if self_attention else arrays(S)
    value = key if draw(st.booleans()) else arrays(S)
    attn_mask = kpm = None
    attn_kind = draw(st.sampled_from(["none", "bool", "float", "bool3d", "float3d"]))
    if attn_kind != "none":
        shape = (n * H, L, S) if attn_kind.endswith("3d") else (L, S)
        attn_mask = draw(bool_mask(shape)) if attn_kind.startswith("bool") else draw(float_mask(shape, dtype))
        if attn_kind.endswith("3d") and not batched and draw(st.booleans()):
            attn_mask = attn_mask[:H]
    kpm_kind = draw(st.sampled_from(["none", "bool", "float"]))
    if kpm_kind != "none":
        kpm = draw(bool_mask((n, S))) if kpm_kind == "bool" else draw(float_mask((n, S), dtype))
        if not batched:
            kpm = kpm[0]
    if need_weights:
        # torch's need_weights=True path gives NaN where every key is masked out (ours gives 0): keep key 0 open.
        if attn_mask is not None:
            attn_mask = attn_mask.copy()
            attn_mask[..., 0] = False if attn_mask.dtype == bool else 0.0
        if kpm is not None:
            kpm = kpm.copy()
            kpm[..., 0] = False if kpm.dtype == bool else 0.0
    ctor = dict(embed_dim=E, num_heads=H, bias=bias, batch_first=batch_first)
    return ctor, (query, key, value, kpm, need_weights, attn_mask, average)


def mha_3d_mask_case(mask_dtype, need_weights: bool):
    """A pinned mha_case: a per-head attn_mask (N * H, L, S) with N = 2 sequences and H = 2 heads (torch orders its
    rows n * H + h; only with both above 1 does another order show), every (sequence, head) masked differently,
    key 0 open to every query (see mha_case: need_weights' NaN rows)."""
    N, L, S, H, E = 2, 3, 4, 2, 4
    rng = np.random.default_rng(18)
    query, key, value = (rng.standard_normal((T, N, E)) for T in (L, S, S))
    mask = rng.random((N * H, L, S)) < 0.5
    mask[..., 0] = False
    if mask_dtype is not bool:
        mask = np.where(mask, -np.inf, rng.standard_normal(mask.shape))
    ctor = dict(embed_dim=E, num_heads=H, bias=True, batch_first=False)
    return ctor, (query, key, value, None, need_weights, mask, False)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=mha_case(np.float64), seed=seeds)
@example(case=mha_3d_mask_case(bool, need_weights=False), seed=0)  # torch's SDPA path
@example(case=mha_3d_mask_case(float, need_weights=True), seed=1)  # its explicit softmax
def test_mha_matches_torch(dtype, case, seed):
    ctor, inputs = case
    cast = {}  # one array passed twice stays one array (the packed path), cast once
    inputs = tuple(cast.setdefault(id(a), a.astype(dtype)) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
                   else a for a in inputs)
    layer = nn.MultiheadAttention(**ctor, dtype=dtype, rng=np.random.default_rng(seed))
    twin = tnn.MultiheadAttention(**ctor, dtype=torch_dtype(dtype))
    check_module("MultiheadAttention", layer, twin, *inputs, seed=seed, input_grads=[0, 1, 2])


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights, average", [(False, False), (True, False), (True, True)])
def test_mha_pinned_case_matches_torch(batch_first, need_weights, average):
    # Every dim distinct and above 1 (N=2, L=3, S=4, H=2, head_dim=3), so that a head split in the wrong order, or
    # batch and time swapped, cannot go unnoticed whatever hypothesis draws.
    N, L, S, E, H = 2, 3, 4, 6, 2
    rng = np.random.default_rng(0)
    shape = (lambda T: (N, T, E)) if batch_first else (lambda T: (T, N, E))
    q, k, v = (rng.standard_normal(shape(T)) for T in (L, S, S))
    kpm = np.array([[False, False, True, False], [False, True, True, False]])
    attn_mask = np.triu(np.ones((L, S), dtype=bool), 2)
    layer = nn.MultiheadAttention(E, H, batch_first=batch_first, dtype=np.float64, rng=rng)
    twin = tnn.MultiheadAttention(E, H, batch_first=batch_first, dtype=torch.float64)
    check_module("MultiheadAttention", layer, twin, q, k, v, kpm, need_weights, attn_mask, average,
                 input_grads=[0, 1, 2])


def module_gradcheck(name: str, module, *inputs, n_grads: int, seed: int = 0):
    """Numeric gradcheck of a module's input gradients and every parameter's ``.grad``, in float64.

    The module becomes a function of ``(*inputs, *parameters)``; ``n_grads`` is how many input gradients its
    backward returns (a tuple, or one array when 1); inputs past those are masks or flags.
    """
    names = [k for k, _ in module.named_parameters()]

    def fn(*args):
        params = dict(zip(names, args[len(inputs):]))
        for k, p in module.named_parameters():
            p[...] = params[k]
        module.zero_grad()
        y, backward = module(*args[:len(inputs)])

        def grads(dy):
            dx = backward(dy)
            dx = dx if isinstance(dx, tuple) else (dx,)
            return (*dx, *[None] * (len(inputs) - n_grads), *[p.grad.copy() for _, p in module.named_parameters()])

        return y, grads

    params = [np.array(p) for _, p in module.named_parameters()]
    wrt = list(range(n_grads)) + list(range(len(inputs), len(inputs) + len(params)))
    check_gradcheck(name, fn, *inputs, *params, wrt=wrt, seed=seed)


@given(case=mha_case(np.float64), seed=seeds)
def test_mha_gradcheck(case, seed):
    ctor, inputs = case
    layer = nn.MultiheadAttention(**ctor, dtype=np.float64, rng=np.random.default_rng(seed))
    module_gradcheck("MultiheadAttention", layer, *inputs, n_grads=3, seed=seed)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("packed", [True, False], ids=["one-array", "three-arrays"])
def test_mha_empty_batch_matches_torch(batch_first, packed):
    # A batch of no sequences: empty outputs and gradients, as torch gives, on both in-projection paths.
    shape = (0, 3, 6) if batch_first else (3, 0, 6)
    layer = nn.MultiheadAttention(6, 2, batch_first=batch_first)
    twin = tnn.MultiheadAttention(6, 2, batch_first=batch_first)
    x = np.zeros(shape, np.float32)
    kv = x if packed else np.ones(shape, np.float32)
    (out, _), backward = layer(x, kv, kv)
    grads = backward((np.zeros_like(out), None))
    assert out.shape == tuple(twin(torch.from_numpy(x), torch.from_numpy(kv), torch.from_numpy(kv))[0].shape)
    assert [g.shape for g in grads] == [shape] * 3


def test_mha_self_attention_gradient_is_the_sum():
    # torch sees one tensor passed three times and sums its three gradients; our backward returns the three.
    rng = np.random.default_rng(0)
    layer = nn.MultiheadAttention(6, 2, dtype=np.float64, rng=rng)
    twin = tnn.MultiheadAttention(6, 2, dtype=torch.float64)
    twin.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in layer.state_dict().items()})
    x = rng.standard_normal((4, 3, 6))
    (out, _), backward = layer(x, x, x)
    dy = rng.standard_normal(out.shape)
    dq, dk, dv = backward((dy, None))
    xt = torch.from_numpy(x).requires_grad_(True)
    twin(xt, xt, xt)[0].backward(torch.from_numpy(dy))
    np.testing.assert_allclose(dq + dk + dv, xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_mha_fully_masked_row():
    # One sequence entirely padded: its queries attend to nothing. Ours: attention 0, so the output is
    # out_proj.bias, on every path; torch's SDPA path (need_weights=False) agrees, its need_weights=True path
    # gives NaN (a softmax of -inf row), which we do not copy.
    rng = np.random.default_rng(0)
    layer = nn.MultiheadAttention(4, 2, dtype=np.float64, rng=rng, batch_first=True)
    layer.out_proj.bias[...] = rng.standard_normal(4)
    twin = tnn.MultiheadAttention(4, 2, dtype=torch.float64, batch_first=True)
    x = rng.standard_normal((2, 3, 4))
    kpm = np.array([[False, True, False], [True, True, True]])
    check_module("MultiheadAttention", layer, twin, x, x, x, kpm, False, input_grads=[0, 1, 2])
    (out, weights), backward = layer(x, x, x, kpm)
    np.testing.assert_allclose(out[1], np.broadcast_to(layer.out_proj.bias, (3, 4)), rtol=1e-12)
    assert np.all(weights[1] == 0)
    dq, dk, dv = backward((rng.standard_normal(out.shape), rng.standard_normal(weights.shape)))
    assert np.all(dq[1] == 0) and np.all(dk[1] == 0) and np.all(dv[1] == 0)


@pytest.mark.parametrize("dtype", DTYPES)
@given(seed=seeds, p=st.sampled_from([0.2, 0.5]), batch_first=st.booleans())
def test_mha_dropout_matches_manual_torch(dtype, seed, p, batch_first):
    # In training, dropout acts on the attention weights; the mask comes from layer.rng, drawn first in forward.
    N, L, S, E, H = 2, 3, 4, 6, 3
    layer = nn.MultiheadAttention(E, H, dropout=p, batch_first=batch_first, dtype=dtype,
                                  rng=np.random.default_rng(seed))
    layer.rng = np.random.default_rng(seed + 1)
    keep = torch.from_numpy(np.random.default_rng(seed + 1).random((N, H, L, S)) >= p)
    rng = np.random.default_rng(seed + 2)
    shape = (lambda T: (N, T, E)) if batch_first else (lambda T: (T, N, E))
    q, k, v = (rng.standard_normal(shape(T)).astype(dtype) for T in (L, S, S))
    sd = {name: torch.from_numpy(np.array(a)) for name, a in layer.state_dict().items()}

    def heads(x):  # (N, T, E) -> (N, H, T, d)
        return x.reshape(N, -1, H, E // H).transpose(1, 2)

    def torch_reference(q, k, v):
        if not batch_first:
            q, k, v = (a.transpose(0, 1) for a in (q, k, v))
        wq, wk, wv = sd["in_proj_weight"].chunk(3)
        bq, bk, bv = sd["in_proj_bias"].chunk(3)
        qh, kh, vh = heads(q @ wq.T + bq), heads(k @ wk.T + bk), heads(v @ wv.T + bv)
        weights = torch.softmax(qh @ kh.transpose(-1, -2) / math.sqrt(E // H), -1) * keep / (1 - p)
        out = (weights @ vh).transpose(1, 2).reshape(N, L, E) @ sd["out_proj.weight"].T + sd["out_proj.bias"]
        return (out if batch_first else out.transpose(0, 1)), weights.mean(1)

    def ours(q, k, v):
        (out, weights), backward = layer(q, k, v)
        return (out, weights), lambda dy: backward(dy)

    check_function("MultiheadAttention", ours, torch_reference, [q, k, v], seed=seed)


def test_mha_state_dict_layout_and_init():
    check_state_dict_layout("MultiheadAttention", nn.MultiheadAttention(8, 2), tnn.MultiheadAttention(8, 2))
    check_state_dict_layout("MultiheadAttention", nn.MultiheadAttention(8, 2, bias=False),
                            tnn.MultiheadAttention(8, 2, bias=False))
    layer = nn.MultiheadAttention(64, 4, rng=np.random.default_rng(0))
    bound = math.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ on (3E, E)
    assert 0.97 * bound < np.abs(layer.in_proj_weight).max() <= bound
    assert np.all(layer.in_proj_bias == 0) and np.all(layer.out_proj.bias == 0)
    assert np.abs(layer.out_proj.weight).max() <= 1 / math.sqrt(64)  # Linear's init
    assert layer.in_proj_weight.dtype == np.float32


def test_mha_bad_input():
    with pytest.raises(ValueError, match="MultiheadAttention expected embed_dim divisible by num_heads, "
                                         "got embed_dim=10, num_heads=3"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="MultiheadAttention: add_bias_kv=True and add_zero_attn=True are not"):
        nn.MultiheadAttention(8, 2, add_bias_kv=True)
    with pytest.raises(ValueError, match="MultiheadAttention supports only kdim=vdim=embed_dim"):
        nn.MultiheadAttention(8, 2, kdim=5)
    layer = nn.MultiheadAttention(4, 2, dtype=np.float64)
    x = np.zeros((3, 2, 4))
    with pytest.raises(ValueError, match=r"MultiheadAttention expected attn_mask of shape \(L, S\) = \(3, 3\) or "
                                         r"\(N \* num_heads, L, S\) = \(4, 3, 3\), got \(3, 4\)"):
        layer(x, x, x, attn_mask=np.zeros((3, 4), bool))
    with pytest.raises(TypeError, match="MultiheadAttention expected attn_mask to be bool or float64 .* got int64"):
        layer(x, x, x, attn_mask=np.zeros((3, 3), np.int64))
    with pytest.raises(ValueError, match=r"MultiheadAttention expected key_padding_mask of shape \(N, S\) = "
                                         r"\(2, 3\), got \(3, 2\)"):
        layer(x, x, x, key_padding_mask=np.zeros((3, 2), bool))
    with pytest.raises(ValueError, match="MultiheadAttention: is_causal=True is a hint .* needs attn_mask"):
        layer(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match=r"MultiheadAttention expected query of shape \(L, N, E\) with E = "
                                         r"embed_dim = 4, got \(3, 2, 5\)"):
        layer(np.zeros((3, 2, 5)), x, x)
    with pytest.raises(TypeError, match="MultiheadAttention expected query of dtype float64 .* got float32"):
        layer(x.astype(np.float32), x, x)
    (out, _), backward = layer(x, x, x, need_weights=False)
    with pytest.raises(ValueError, match="MultiheadAttention.backward got d\\(attn_weights\\) but need_weights"):
        backward((np.zeros_like(out), np.zeros((2, 3, 3))))


# Positional encoding -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@given(positions=st.integers(1, 64), d_model=st.integers(1, 16))
def test_positional_encoding_formula_and_twin(dtype, positions, d_model):
    pe = F.sinusoidal_positional_encoding(positions, d_model, dtype)
    assert pe.shape == (positions, d_model) and pe.dtype == dtype
    for pos in (0, positions - 1):
        for i in range(0, d_model, 2):  # the formula as written, element by element
            angle = pos / 10000 ** (i / d_model)
            assert abs(pe[pos, i] - math.sin(angle)) < 1e-6
            if i + 1 < d_model:
                assert abs(pe[pos, i + 1] - math.cos(angle)) < 1e-6
    assert_close(pe, TF.sinusoidal_positional_encoding(positions, d_model, torch_dtype(dtype)).numpy(),
                 "sinusoidal_positional_encoding")


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=st.tuples(small, small, st.integers(1, 8)), batch_first=st.booleans(), batched=st.booleans(),
       seed=seeds)
def test_positional_encoding_module(dtype, shape, batch_first, batched, seed):
    x = fill(shape if batched else shape[1:], dtype, "normal", seed)
    E = x.shape[-1]
    check_module("PositionalEncoding", nn.PositionalEncoding(E, 16, batch_first, dtype),
                 tnn.PositionalEncoding(E, 16, batch_first, dtype=torch_dtype(dtype)), x, seed=seed)


def test_positional_encoding_layout_and_bad_input():
    check_state_dict_layout("PositionalEncoding", nn.PositionalEncoding(6, 10), tnn.PositionalEncoding(6, 10))
    assert nn.PositionalEncoding(6, 10).parameters() == []
    with pytest.raises(ValueError, match="PositionalEncoding got a sequence of length 11, longer than max_len=10"):
        nn.PositionalEncoding(6, 10)(np.zeros((11, 2, 6), np.float32))
    with pytest.raises(ValueError, match=r"PositionalEncoding expected input \(T, N, E\) or \(T, E\) with E = "
                                         r"d_model = 6, got \(4, 2, 5\)"):
        nn.PositionalEncoding(6, 10)(np.zeros((4, 2, 5), np.float32))
    with pytest.raises(TypeError, match="PositionalEncoding expected input of dtype float32"):
        nn.PositionalEncoding(6, 10)(np.zeros((4, 2, 6)))
    with pytest.raises(ValueError, match="sinusoidal_positional_encoding expected d_model to be a positive int"):
        F.sinusoidal_positional_encoding(4, 0)
