"""EmbeddingBag: sum, mean and max bags over 2-d input and 1-d input with offsets (empty bags, include_last_offset,
padding_idx, per_sample_weights, scale_grad_by_freq); parity with torch, gradcheck, layout, bad input."""
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
from parity_tests.strategies import GRADCHECK_KINDS, KINDS, cast, distinct, float_arrays, seeds

DTYPES = [np.float64, np.float32]


@st.composite
def embedding_bag_case(draw, dtype, kinds=KINDS):
    """(input, weight, offsets, per_sample_weights, options): a small table, so indices repeat, and bags of 0 to 4
    entries, so 1-d input has empty bags often. per_sample_weights only with mode 'sum', as torch requires."""
    V, E = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(seeds))
    mode = draw(st.sampled_from(["sum", "mean", "max"]))
    options = {"mode": mode, "padding_idx": draw(st.one_of(st.none(), st.integers(-V, V - 1))),
               "scale_grad_by_freq": mode != "max" and draw(st.booleans())}
    if draw(st.booleans()):  # 2-d: fixed bags
        idx, offsets = rng.integers(0, V, size=(draw(st.integers(1, 4)), draw(st.integers(1, 4)))), None
    else:  # 1-d with offsets
        lengths = [draw(st.integers(0, 4)) for _ in range(draw(st.integers(1, 4)))]
        idx = rng.integers(0, V, size=sum(lengths))
        offsets = np.cumsum([0] + lengths)
        options["include_last_offset"] = draw(st.booleans())
        if not options["include_last_offset"]:
            offsets = offsets[:-1]
    weight = draw(float_arrays((V, E), dtype, kinds))
    psw = draw(float_arrays(idx.shape, dtype, kinds)) if mode == "sum" and draw(st.booleans()) else None
    return idx, weight, offsets, psw, options


def _call(fn, options):
    return lambda i, w, o, p: fn(i, w, o, per_sample_weights=p, **options)


TIES = np.array([[1.0, 5.0], [1.0, 5.0], [0.0, 7.0]])


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=embedding_bag_case(np.float64), seed=seeds)
@example(case=(np.array([[1, 0, 2]]), TIES, None, None, {"mode": "max"}), seed=0)  # ties: the first entry wins
@example(case=(np.array([[0, 1, 1]]), TIES, None, None, {"mode": "max"}), seed=0)
@example(case=(np.array([[1, 1, 3]]), np.arange(8.0).reshape(4, 2), None, None,  # torch 2.13's CPU bug:
               {"mode": "sum", "scale_grad_by_freq": True}), seed=0)  # see _torch_ops_embedding_bag
@example(case=(np.array([[1, 0, 0], [0, 0, 0], [2, 3, 0]]), np.arange(12.0).reshape(4, 3), None, None,
               {"mode": "mean", "padding_idx": 0}), seed=0)  # the mean leaves padding out; all-padding bag: zeros
@example(case=(np.array([1, 2, 2, 3, 0, 1]), np.arange(12.0).reshape(4, 3), np.array([0, 2, 2, 5]),
               np.array([0.5, 2.0, 1.0, 1.0, 3.0, 1.0]), {"mode": "sum", "padding_idx": 1}), seed=0)
def test_embedding_bag_matches_torch(dtype, case, seed):
    idx, weight, offsets, psw, options = case
    psw = None if psw is None else cast(psw, dtype)
    twin = _torch_ops_embedding_bag if options.get("scale_grad_by_freq") else TF.embedding_bag
    check_function("embedding_bag", _call(F.embedding_bag, options), _call(twin, options),
                   [idx, cast(weight, dtype), offsets, psw], seed=seed)


def _torch_ops_embedding_bag(input, weight, offsets=None, per_sample_weights=None, mode="mean",
                             scale_grad_by_freq=False, include_last_offset=False, padding_idx=None):
    """embedding_bag (sum and mean) from torch's F.embedding and index_add, for scale_grad_by_freq: torch 2.13's CPU
    embedding_bag divides a once-occurring index that sorts after a repeated one by the repeated index's count
    (pytorch#190063: with indices [1, 1, 3], row 3's gradient is halved), while F.embedding divides each row by its
    own count, the documented rule the NumPy side follows."""
    if input.dim() == 2:
        B, n = input.shape
        bag = torch.arange(B).repeat_interleave(n)
    else:
        starts = offsets[:-1] if include_last_offset else offsets
        B = len(starts)
        ends = torch.cat([starts[1:], torch.tensor([len(input)])])
        bag = torch.arange(B).repeat_interleave(ends - starts)
    idx = input.reshape(-1)
    keep = torch.ones(idx.shape, dtype=weight.dtype)
    if padding_idx is not None:
        keep = (idx != padding_idx % len(weight)).to(weight.dtype)
    scale = keep if per_sample_weights is None else keep * per_sample_weights.reshape(-1)
    if mode == "mean":
        count = torch.zeros(B, dtype=weight.dtype).index_add(0, bag, keep)
        scale = scale / count[bag].clamp(min=1)
    rows = torch.nn.functional.embedding(idx, weight, scale_grad_by_freq=scale_grad_by_freq)
    return torch.zeros(B, weight.shape[1], dtype=weight.dtype).index_add(0, bag, rows * scale[:, None])


@given(case=embedding_bag_case(np.float64, GRADCHECK_KINDS), seed=seeds)
def test_embedding_bag_gradcheck(case, seed):
    # scale_grad_by_freq changes the gradient on purpose (central differences disagree by design); max needs values
    # that differ within each column (a tie is a kink).
    idx, weight, offsets, psw, options = case
    options = {**options, "scale_grad_by_freq": False}
    if options["mode"] == "max":
        weight = distinct(weight.shape, seed)
    wrt = [1] if psw is None else [1, 3]
    check_gradcheck("embedding_bag", _call(F.embedding_bag, options), idx, weight, offsets, psw, wrt=wrt, seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=embedding_bag_case(np.float64), seed=seeds)
def test_embedding_bag_module_matches_torch(dtype, case, seed):
    idx, weight, offsets, psw, options = case
    options = {**options, "scale_grad_by_freq": False}  # torch 2.13's CPU module has _torch_ops_embedding_bag's bug
    V, E = weight.shape
    layer = nn.EmbeddingBag(V, E, dtype=dtype, rng=np.random.default_rng(seed), **options)
    twin = tnn.EmbeddingBag(V, E, dtype=torch_dtype(dtype), **options)
    psw = None if psw is None else cast(psw, dtype)
    check_module("EmbeddingBag", layer, twin, idx, offsets, psw, seed=seed)


def test_embedding_bag_module_per_sample_weights_gradient():
    layer = nn.EmbeddingBag(5, 3, mode="sum", dtype=np.float64, rng=np.random.default_rng(0))
    twin = tnn.EmbeddingBag(5, 3, mode="sum", dtype=torch.float64)
    twin.load_state_dict({"weight": torch.from_numpy(layer.weight.copy())})
    idx, offsets = np.array([4, 1, 1, 0, 3]), np.array([0, 0, 3])
    psw = np.random.default_rng(1).standard_normal(5)
    dy = np.random.default_rng(2).standard_normal((3, 3))
    y, backward = layer(idx, offsets, psw)
    dinput, doffsets, dpsw = backward(dy)
    psw_t = torch.from_numpy(psw).requires_grad_()
    y_t = twin(torch.from_numpy(idx), torch.from_numpy(offsets), psw_t)
    y_t.backward(torch.from_numpy(dy))
    assert dinput is None and doffsets is None
    np.testing.assert_allclose(y, y_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dpsw, psw_t.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, twin.weight.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_embedding_bag_without_bags():
    # No offsets: no bags, a (0, E) output, as torch's forward gives without autograd (with a weight that requires a
    # gradient, torch 2.13's CPU forward crashes the process here, so this is not compared with torch).
    y, backward = F.embedding_bag(np.array([1, 2]), np.ones((4, 3)), np.array([], np.int64), mode="max")
    assert y.shape == (0, 3)
    assert not backward(y)[1].any()


def test_embedding_bag_init_and_state_dict_layout():
    check_state_dict_layout("EmbeddingBag", nn.EmbeddingBag(7, 3, padding_idx=2), tnn.EmbeddingBag(7, 3, padding_idx=2))
    layer = nn.EmbeddingBag(1000, 4, mode="max", padding_idx=-1, rng=np.random.default_rng(0))
    assert layer.padding_idx == 999 and not layer.weight[999].any() and layer.weight.dtype == np.float32
    assert abs(layer.weight[:999].std() - 1) < 0.05  # torch: N(0, 1)
    assert repr(layer) == repr(tnn.EmbeddingBag(1000, 4, mode="max", padding_idx=-1))


def test_embedding_bag_bad_input():
    w = np.zeros((5, 3))
    with pytest.raises(ValueError, match=r"embedding_bag expected indices in \[0, 5\) \(num_embeddings=5\), got 5"):
        F.embedding_bag(np.array([[0, 5]]), w)
    with pytest.raises(ValueError, match="embedding_bag expected offsets to be None for 2-d input"):
        F.embedding_bag(np.array([[0, 1]]), w, np.array([0]))
    with pytest.raises(ValueError, match=r"embedding_bag expected offsets \(the start of each bag\) with 1-d input"):
        F.embedding_bag(np.array([0, 1]), w)
    with pytest.raises(ValueError, match=r"embedding_bag expected offsets\[0\] to be 0 .*got 1"):
        F.embedding_bag(np.array([0, 1, 2]), w, np.array([1, 2]))
    with pytest.raises(ValueError, match=r"embedding_bag expected offsets at most len\(input\) = 3, got 4"):
        F.embedding_bag(np.array([0, 1, 2]), w, np.array([0, 4]))
    with pytest.raises(ValueError, match=r"embedding_bag expected the last offset to be len\(input\) = 3 with "
                                         r"include_last_offset=True, got 2"):
        F.embedding_bag(np.array([0, 1, 2]), w, np.array([0, 1, 2]), include_last_offset=True)
    with pytest.raises(ValueError, match=r"embedding_bag expected non-decreasing offsets, got \[0, 2, 1\]"):
        F.embedding_bag(np.array([0, 1, 2]), w, np.array([0, 2, 1]))
    with pytest.raises(ValueError, match="include_last_offset applies to 1-d input with offsets, got 2-d input"):
        F.embedding_bag(np.array([[0, 1]]), w, include_last_offset=True)
    with pytest.raises(ValueError, match="embedding_bag expected mode to be one of 'sum', 'mean', 'max', got 'min'"):
        F.embedding_bag(np.array([[0, 1]]), w, mode="min")
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum'"):
        F.embedding_bag(np.array([[0, 1]]), w, per_sample_weights=np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"embedding_bag expected per_sample_weights of the input's shape \(1, 2\) "
                                         r"and the weight's dtype float64, got \(2,\) float64"):
        F.embedding_bag(np.array([[0, 1]]), w, mode="sum", per_sample_weights=np.ones(2))
    with pytest.raises(ValueError, match="mode='max' does not support scale_grad_by_freq"):
        nn.EmbeddingBag(5, 3, mode="max", scale_grad_by_freq=True)(np.array([[0, 1]]))
    with pytest.raises(TypeError, match="EmbeddingBag expected input to hold integer indices, got dtype float64"):
        nn.EmbeddingBag(5, 3)(np.array([[0.0, 1.0]]))
    with pytest.raises(ValueError, match="EmbeddingBag expected mode to be one of 'sum', 'mean', 'max', got 'avg'"):
        nn.EmbeddingBag(5, 3, mode="avg")
