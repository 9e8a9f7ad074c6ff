"""Issue 17's distances and embedding losses (cosine_similarity, pairwise_distance, triplet_margin_loss,
cosine_embedding_loss, margin_ranking_loss, multi_margin_loss, contrastive_loss): parity with torch (values and every
gradient), gradcheck, module shells, state_dict, kinks, bad input and the documented differences."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import assume, example, given
from hypothesis import strategies as st

import scratch.functional as F
import scratch.nn as nn
import torch_impl.functional as TF
import torch_impl.nn as tnn
from parity_tests.harness import check_function, check_gradcheck, check_module, check_state_dict_layout
from parity_tests.strategies import (
    GRADCHECK_KINDS,
    KINDS,
    WELL_CONDITIONED,
    cast,
    float_arrays,
    nudge_away,
    seeds,
    shapes,
    sides,
)

DTYPES = [np.float64, np.float32]
REDUCTIONS = ("none", "mean", "sum")
small_sides = st.integers(min_value=1, max_value=4)  # gradcheck costs two forward passes per element


def as_dtype(a, dtype):
    """Float arrays cast to ``dtype``; integer targets and None unchanged."""
    return cast(a, dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a


# Strategies --------------------------------------------------------------------------------------------------------


@st.composite
def partner_shape(draw, shape):
    """A shape that broadcasts against ``shape`` to ``shape``: itself mostly, else a suffix with sides set to 1."""
    if draw(st.booleans()):
        return shape
    k = draw(st.integers(0, len(shape)))
    return tuple(1 if draw(st.booleans()) else s for s in shape[k:])


@st.composite
def pair_case(draw, kinds=KINDS, min_dims=1, max_dims=4, max_side=8):
    """(x1, x2): x1 of a drawn shape, x2 of it or of a shape broadcasting to it (either way round)."""
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims, max_side=max_side))
    x1 = draw(float_arrays(shape, np.float64, kinds))
    x2 = draw(float_arrays(draw(partner_shape(shape)), np.float64, kinds))
    return (x1, x2) if draw(st.booleans()) else (x2, x1)


@st.composite
def embedding_case(draw, kinds=KINDS, max_side=8, n=2):
    """``n`` float arrays of one shape ``(N, D)`` or ``(D,)``."""
    shape = draw(shapes(min_dims=1, max_dims=2, max_side=max_side))
    return tuple(draw(float_arrays(shape, np.float64, kinds)) for _ in range(n))


def labels(shape, values, seed, dtype=None):
    rng = np.random.default_rng(seed)
    t = np.asarray(rng.choice(values, size=shape))
    return t if dtype is None else t.astype(dtype)


# cosine_similarity -------------------------------------------------------------------------------------------------

# A zero vector and one of norm 1.7e-10 < eps: torch's gradient keeps the norm's term there (see the docstring).
BELOW_EPS = (np.array([[0.0, 0.0, 0.0], [1e-10, 0.0, 1e-10], [1.0, -2.0, 0.5]]),
             np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=pair_case(), data=st.data(), seed=seeds)
@example(case=BELOW_EPS, data=None, seed=0)
def test_cosine_similarity_matches_torch(dtype, case, data, seed):
    x1, x2 = (cast(a, dtype) for a in case)
    ndim = max(x1.ndim, x2.ndim)
    dim, eps = (1, 1e-8) if data is None else (data.draw(st.integers(-ndim, ndim - 1)),
                                               data.draw(st.sampled_from([1e-8, 1e-2])))
    # Each gradient is the difference of terms of size |dy| / max(||x||, eps), which cancel to 0 for vectors of
    # one element; float32 rounding follows those terms, not the (vanishing) result.
    # (float64 needs no such allowance.)
    def term_sizes(dys):
        return {i: float(np.max(np.abs(dys[0]), initial=0.0)) / smallest_norm(x, dim, eps)
                for i, x in enumerate((x1, x2))}

    check_function("cosine_similarity", lambda a, b: F.cosine_similarity(a, b, dim, eps),
                   lambda a, b: TF.cosine_similarity(a, b, dim, eps), [x1, x2], seed=seed,
                   grad_scale=term_sizes if dtype == np.float32 else None)


def smallest_norm(x, dim, floor):
    """The smallest norm of ``x``'s vectors along ``dim`` (all of ``x`` if it has no such dim), at least ``floor``."""
    x = x.astype(np.float64)
    norms = np.linalg.norm(x, axis=dim) if x.ndim > (dim if dim >= 0 else -dim - 1) else np.linalg.norm(x)
    return max(float(np.min(norms, initial=np.inf)), floor)


def away_from_zero(x):
    """``x`` with every element at least 0.5 from 0 (zeros become 0.5): vectors of well-conditioned norms."""
    return np.asarray(x + np.copysign(0.5, x))


def test_cosine_similarity_below_eps_keeps_torchs_norm_term():
    # The documented choice: for 0 < ||x1|| < eps torch's gradient is not the clamped forward's derivative.
    x1, x2 = np.array([[1e-10, 0.0, 1e-10]]), np.array([[1.0, 2.0, 3.0]])
    _, backward = F.cosine_similarity(x1, x2)
    dx1 = backward(np.ones(1))[0]
    t1 = torch.from_numpy(x1).requires_grad_()
    TF.cosine_similarity(t1, torch.from_numpy(x2)).backward(torch.ones(1, dtype=torch.float64))
    np.testing.assert_allclose(dx1, t1.grad.numpy(), rtol=1e-12)
    clamped_derivative = x2 / np.linalg.norm(x2) / 1e-8  # x1 / eps * u2: no norm term
    assert not np.allclose(dx1, clamped_derivative, rtol=1e-3)


# pairwise_distance -------------------------------------------------------------------------------------------------

NORMS = [2.0, 1.0, 3.0, 1.5, 0.5, math.inf, -math.inf, 0.0, -1.0]


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=pair_case(), p=st.sampled_from(NORMS), eps=st.sampled_from([1e-6, 0.0]), keepdim=st.booleans(),
       seed=seeds)
@example(case=(np.array([[1.0, -2.0, 2.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), np.zeros(3)), p=math.inf, eps=0.0,
         keepdim=False, seed=0)  # a tie for the largest |difference| shares the gradient; a zero row gets none
def test_pairwise_distance_matches_torch(dtype, case, p, eps, keepdim, seed):
    x1, x2 = (cast(a, dtype) for a in case)
    check_function("pairwise_distance", lambda a, b: F.pairwise_distance(a, b, p, eps, keepdim),
                   lambda a, b: TF.pairwise_distance(a, b, p, eps, keepdim), [x1, x2], seed=seed)


# triplet_margin_loss -----------------------------------------------------------------------------------------------


@st.composite
def triplet_case(draw, kinds=KINDS, max_side=8):
    a, pos, neg = draw(embedding_case(kinds, max_side, n=3))
    if a.ndim == 2 and draw(st.booleans()):
        pos = pos[:1]  # one positive for the whole batch: broadcast like pairwise_distance
    opts = dict(margin=draw(st.sampled_from([1.0, 0.5, 2.0])), p=draw(st.sampled_from([2, 1, 3])),
                eps=draw(st.sampled_from([1e-6, 0.0])), swap=draw(st.booleans()),
                reduction=draw(st.sampled_from(REDUCTIONS)))
    return a, pos, neg, opts


def triplet_pair(opts):
    margin, p, eps, swap, reduction = (opts[k] for k in ("margin", "p", "eps", "swap", "reduction"))
    return (lambda a, b, c: F.triplet_margin_loss(a, b, c, margin, p, eps, swap, reduction=reduction),
            lambda a, b, c: TF.triplet_margin_loss(a, b, c, margin, p, eps, swap, reduction=reduction))


KINK_OPTS = dict(margin=1.0, p=2, eps=0.0, swap=False, reduction="none")


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), seed=seeds)
@example(data=(np.zeros((1, 2)), np.array([[1.0, 0.0]]), np.array([[0.0, 2.0]]), KINK_OPTS), seed=0)  # 1 + 1 - 2 = 0
@example(data=(np.zeros((1, 2)), np.zeros((1, 2)), np.array([[1.0, 0.0]]), dict(KINK_OPTS, margin=2.0, swap=True)),
         seed=0)  # d(a, n) == d(p, n): the swap's min splits the gradient in halves
def test_triplet_margin_loss_matches_torch(dtype, data, seed):
    # (an @example passes the case itself as data.) float32: margin + d(a, p) - d(a, n) cancels distances of 1e3
    # from wide values down to a loss of order 1, below float32's rounding of them: well-conditioned values there.
    case = data if isinstance(data, tuple) else data.draw(triplet_case(KINDS if dtype == np.float64
                                                                       else WELL_CONDITIONED))
    *arrays, opts = case
    check_function("triplet_margin_loss", *triplet_pair(opts), [cast(a, dtype) for a in arrays], seed=seed)


# cosine_embedding_loss, margin_ranking_loss, contrastive_loss --------------------------------------------------------


@st.composite
def labelled_pair_case(draw, values, kinds=KINDS, max_side=8, label_dtypes=(np.int64, np.float64)):
    x1, x2 = draw(embedding_case(kinds, max_side))
    t = labels(x1.shape[:-1], values, draw(seeds), draw(st.sampled_from(label_dtypes)))
    return x1, x2, t, draw(st.sampled_from(REDUCTIONS))


def target_as(t, dtype):
    return t.astype(dtype) if t.dtype.kind == "f" else t


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=labelled_pair_case([1, -1]), margin=st.sampled_from([0.0, 0.5, -0.3]), seed=seeds)
@example(case=(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([-1, 1]), "none"),
         margin=0.0, seed=0)  # cos == margin exactly for a dissimilar pair: torch passes the gradient
def test_cosine_embedding_loss_matches_torch(dtype, case, margin, seed):
    x1, x2, t, reduction = case
    # float32: as cosine_similarity's, each gradient is a difference of terms of size |dl| / ||x||
    def term_sizes(dys):
        return {i: float(np.max(np.abs(dys[0]), initial=0.0)) / smallest_norm(x, -1, 1e-6)
                for i, x in enumerate((x1, x2))}

    check_function("cosine_embedding_loss",
                   lambda a, b, t: F.cosine_embedding_loss(a, b, t, margin, reduction=reduction),
                   lambda a, b, t: TF.cosine_embedding_loss(a, b, t, margin, reduction=reduction),
                   [cast(x1, dtype), cast(x2, dtype), target_as(t, dtype)], wrt=[0, 1], seed=seed,
                   grad_scale=term_sizes if dtype == np.float32 else None)


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=shapes(min_dims=0, max_dims=4), data=st.data(), margin=st.sampled_from([0.0, 0.5, 1.0]),
       reduction=st.sampled_from(REDUCTIONS), seed=seeds)
@example(shape=None, data=None, margin=0.0, reduction="none", seed=0)  # -t (x1 - x2) + margin == 0: passed
def test_margin_ranking_loss_matches_torch(dtype, shape, data, margin, reduction, seed):
    if data is None:
        x1, x2, t = np.array([1.0, 2.0, 0.5]), np.array([1.0, 1.0, 0.5]), np.array([1.0, 1.0, -1.0])
    else:
        x1, x2 = (data.draw(float_arrays(shape, np.float64)) for _ in range(2))
        t = labels(shape, [1.0, -1.0], seed) if data.draw(st.booleans()) else data.draw(float_arrays(shape, np.float64))
    # the target is differentiated, as torch does
    check_function("margin_ranking_loss", lambda a, b, t: F.margin_ranking_loss(a, b, t, margin, reduction=reduction),
                   lambda a, b, t: TF.margin_ranking_loss(a, b, t, margin, reduction=reduction),
                   [cast(x1, dtype), cast(x2, dtype), cast(np.asarray(t), dtype)], seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=labelled_pair_case([1, 0]), margin=st.sampled_from([1.0, 0.5, 3.0]), seed=seeds)
@example(case=(np.zeros((3, 2)), np.array([[3.0, 4.0], [0.0, 0.0], [0.6, 0.8]]), np.array([0, 0, 1]), "none"),
         margin=5.0, seed=0)  # d == margin (no push), d == 0 (no direction), a similar pair
def test_contrastive_loss_matches_its_torch_twin(dtype, case, margin, seed):
    x1, x2, t, reduction = case
    check_function("contrastive_loss", lambda a, b, t: F.contrastive_loss(a, b, t, margin, reduction),
                   lambda a, b, t: TF.contrastive_loss(a, b, t, margin, reduction),
                   [cast(x1, dtype), cast(x2, dtype), target_as(t, dtype)], wrt=[0, 1], seed=seed)


def test_contrastive_loss_is_twice_hadsells():
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    t = np.array([1, 0, 1, 0, 0, 1])
    d = np.linalg.norm(x1 - x2, axis=1)
    Y = 1 - t  # the paper's label: 1 for a dissimilar pair
    paper = (1 - Y) * 0.5 * d ** 2 + Y * 0.5 * np.maximum(0, 2.0 - d) ** 2
    y, _ = F.contrastive_loss(x1, x2, t, margin=2.0, reduction="none")
    np.testing.assert_allclose(y, 2 * paper, rtol=1e-14)


# multi_margin_loss -------------------------------------------------------------------------------------------------


@st.composite
def multi_margin_case(draw, kinds=KINDS, side=sides):
    C = draw(side)
    shape = (draw(side), C) if draw(st.booleans()) else (C,)
    x = draw(float_arrays(shape, np.float64, kinds))
    rng = np.random.default_rng(draw(seeds))
    t = np.asarray(rng.integers(0, C, size=shape[:-1]))
    weight = rng.uniform(0.1, 2.0, size=C) if draw(st.booleans()) else None
    opts = dict(p=draw(st.sampled_from([1, 2])), margin=draw(st.sampled_from([1.0, 0.5, 0.0])),
                reduction=draw(st.sampled_from(REDUCTIONS)))
    return x, t, weight, opts


def multi_margin_pair(opts):
    p, margin, reduction = opts["p"], opts["margin"], opts["reduction"]
    return (lambda x, t, w: F.multi_margin_loss(x, t, p, margin, w, reduction=reduction),
            lambda x, t, w: TF.multi_margin_loss(x, t, p, margin, w, reduction=reduction))


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=multi_margin_case(), seed=seeds)
@example(case=(np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 2.0]]), np.array([0, 1]), np.array([2.0, 0.5, 1.0]),
               dict(p=1, margin=1.0, reduction="mean")), seed=0)  # z == 0 exactly: no gradient; 'mean' over N
def test_multi_margin_loss_matches_torch(dtype, case, seed):
    x, t, w, opts = (as_dtype(a, dtype) for a in case)
    check_function("multi_margin_loss", *multi_margin_pair(opts), [x, t, w], wrt=[0], seed=seed)


# Gradcheck ---------------------------------------------------------------------------------------------------------


@given(data=st.data(), seed=seeds)
def test_distances_gradcheck(data, seed):
    x1, x2 = data.draw(pair_case(GRADCHECK_KINDS, max_dims=3))
    # Full-size copies (broadcasting is held against torch in the parity tests): a vector broadcast from one value, or
    # of one element, only scales, and cosine_similarity does not change with scale. Its gradient is then exactly 0,
    # and the central differences rounding noise, above gradcheck's floor where the cosine itself is small.
    a, b = (np.array(v) for v in np.broadcast_arrays(x1, x2))
    long_dims = [k for k in range(a.ndim) if a.shape[k] > 1]
    if long_dims:
        dim = data.draw(st.sampled_from(long_dims))
        check_gradcheck("cosine_similarity", lambda a, b: F.cosine_similarity(a, b, dim), a, b, seed=seed)
    p = data.draw(st.sampled_from([2.0, 1.0, 3.0, 1.5, 0.5, math.inf]))
    a = np.asarray(b + nudge_away(a - b, (0.0,), 1e-2))  # |difference| at 0 is a kink of every p-norm
    if math.isinf(p):  # and so is a tie for the largest |difference|
        gaps = np.diff(np.sort(np.abs(a - b), axis=-1), axis=-1)
        assume(gaps.size == 0 or gaps.min() > 1e-3)
    check_gradcheck("pairwise_distance", lambda a, b: F.pairwise_distance(a, b, p, 0.0), a, b, seed=seed)


@given(case=triplet_case(GRADCHECK_KINDS, max_side=4), seed=seeds)
def test_triplet_margin_loss_gradcheck(case, seed):
    a, pos, neg, opts = case
    opts = dict(opts, p=2)
    pos, neg = pos + 1.0, neg - 1.0  # no zero distance (the norm's kink), even when the draws are equal
    d_pos = F.pairwise_distance(a, pos, 2, opts["eps"])[0]
    d_neg = F.pairwise_distance(a, neg, 2, opts["eps"])[0]
    if opts["swap"]:
        d_swap = F.pairwise_distance(pos, neg, 2, opts["eps"])[0]
        assume(np.all(np.abs(d_neg - d_swap) > 1e-3))
        d_neg = np.minimum(d_neg, d_swap)
    assume(np.all(np.abs(opts["margin"] + d_pos - d_neg) > 1e-3))  # off the hinge's kink
    check_gradcheck("triplet_margin_loss", triplet_pair(opts)[0], a, pos, neg, seed=seed)


@given(case=labelled_pair_case([1, -1], GRADCHECK_KINDS, max_side=4), margin=st.sampled_from([0.0, 0.5, -0.3]),
       data=st.data(), seed=seeds)
def test_pair_losses_gradcheck(case, margin, data, seed):
    x1, x2, t, reduction = case
    # Not parallel: 1 - cos is flat at cos = 1, and its central differences are rounding noise there.
    x2 = np.asarray(x2 + np.linspace(-1.0, 1.0, x2.shape[-1]))
    cos = F.cosine_similarity(x1, x2, -1)[0]
    assume(x1.shape[-1] > 1 and np.all(np.abs(cos) < 0.999) and np.all(np.abs(cos - margin) > 1e-3))
    check_gradcheck("cosine_embedding_loss", lambda a, b: F.cosine_embedding_loss(a, b, t, margin,
                                                                                    reduction=reduction),
                    x1, x2, seed=seed)
    contrastive_t = np.asarray(t > 0).astype(np.int64)
    d = np.linalg.norm(x1 - x2, axis=-1)
    assume(np.all(np.abs(d - 1.5) > 1e-3))
    check_gradcheck("contrastive_loss", lambda a, b: F.contrastive_loss(a, b, contrastive_t, 1.5, reduction),
                    x1, x2, seed=seed)
    s1, s2 = x1.reshape(-1), x2.reshape(-1)  # margin_ranking_loss on the flattened scores
    st_ = data.draw(float_arrays(s1.shape, np.float64, GRADCHECK_KINDS))
    assume(np.all(np.abs(-st_ * (s1 - s2) + margin) > 1e-3))
    check_gradcheck("margin_ranking_loss", lambda a, b, c: F.margin_ranking_loss(a, b, c, margin, reduction=reduction),
                    s1, s2, st_, seed=seed)


@given(case=multi_margin_case(GRADCHECK_KINDS, side=small_sides), seed=seeds)
def test_multi_margin_loss_gradcheck(case, seed):
    x, t, w, opts = case
    x2 = x.reshape(-1, x.shape[-1])
    z = opts["margin"] - np.take_along_axis(x2, t.reshape(-1, 1), axis=1) + x2
    assume(np.all(np.abs(z) > 1e-3) or x.shape[-1] == 1)
    check_gradcheck("multi_margin_loss", multi_margin_pair(opts)[0], x, t, w, wrt=[0], seed=seed)


# Modules -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=pair_case(min_dims=2, max_dims=3), p=st.sampled_from([2.0, 1.0, 3.0]), keepdim=st.booleans(), seed=seeds)
def test_distance_modules_match_torch(dtype, case, p, keepdim, seed):
    # Norms of at least 0.5: small ones make cosine_similarity's gradient a cancellation (see the functional test).
    x1, x2 = (cast(away_from_zero(a), dtype) for a in case)
    check_module("CosineSimilarity", nn.CosineSimilarity(dim=-1, eps=1e-6), tnn.CosineSimilarity(dim=-1, eps=1e-6),
                 x1, x2, seed=seed, input_grads=[0, 1])
    check_module("PairwiseDistance", nn.PairwiseDistance(p, keepdim=keepdim), tnn.PairwiseDistance(p, keepdim=keepdim),
                 x1, x2, seed=seed, input_grads=[0, 1])


@pytest.mark.parametrize("dtype", DTYPES)
@given(triplet=triplet_case(WELL_CONDITIONED), pair=labelled_pair_case([1, -1], label_dtypes=(np.int64,)),
       mm=multi_margin_case(), seed=seeds)
def test_loss_more_modules_match_torch(dtype, triplet, pair, mm, seed):
    a, pos, neg, opts = triplet
    a, pos, neg = (cast(v, dtype) for v in (a, pos, neg))
    check_module("TripletMarginLoss", nn.TripletMarginLoss(**opts), tnn.TripletMarginLoss(**opts), a, pos, neg,
                 seed=seed, input_grads=[0, 1, 2])
    x1, x2, t, reduction = pair
    x1, x2 = cast(away_from_zero(x1), dtype), cast(away_from_zero(x2), dtype)  # see test_distance_modules...
    check_module("CosineEmbeddingLoss", nn.CosineEmbeddingLoss(0.2, reduction=reduction),
                 tnn.CosineEmbeddingLoss(0.2, reduction=reduction), x1, x2, t, seed=seed, input_grads=[0, 1])
    check_module("ContrastiveLoss", nn.ContrastiveLoss(2.0, reduction), tnn.ContrastiveLoss(2.0, reduction),
                 x1, x2, np.asarray(t > 0).astype(np.int64), seed=seed, input_grads=[0, 1])
    s1, s2 = x1.reshape(-1), x2.reshape(-1)
    check_module("MarginRankingLoss", nn.MarginRankingLoss(0.5, reduction=reduction),
                 tnn.MarginRankingLoss(0.5, reduction=reduction), s1, s2, np.sign(s1 + 0.5).astype(dtype),
                 seed=seed, input_grads=[0, 1])
    x, t, w, opts = (as_dtype(v, dtype) for v in mm)
    tw = None if w is None else torch.from_numpy(w.copy())
    check_module("MultiMarginLoss", nn.MultiMarginLoss(weight=w, **opts), tnn.MultiMarginLoss(weight=tw, **opts),
                 x, t, seed=seed)


def test_loss_more_state_dict_layout():
    w = np.array([1.0, 2.0, 0.5], dtype=np.float32)
    pairs = [
        ("CosineSimilarity", nn.CosineSimilarity(), tnn.CosineSimilarity()),
        ("PairwiseDistance", nn.PairwiseDistance(), tnn.PairwiseDistance()),
        ("TripletMarginLoss", nn.TripletMarginLoss(), tnn.TripletMarginLoss()),
        ("CosineEmbeddingLoss", nn.CosineEmbeddingLoss(), tnn.CosineEmbeddingLoss()),
        ("MarginRankingLoss", nn.MarginRankingLoss(), tnn.MarginRankingLoss()),
        ("MultiMarginLoss", nn.MultiMarginLoss(), tnn.MultiMarginLoss()),
        ("MultiMarginLoss", nn.MultiMarginLoss(weight=w.copy()),
         tnn.MultiMarginLoss(weight=torch.from_numpy(w.copy()))),
        ("ContrastiveLoss", nn.ContrastiveLoss(), tnn.ContrastiveLoss()),
    ]
    for name, module, twin in pairs:
        check_state_dict_layout(name, module, twin)
    assert list(nn.MultiMarginLoss(weight=w).state_dict()) == ["weight"]
    assert nn.TripletMarginLoss().state_dict() == {}


def test_loss_more_module_default_upstream_gradient_is_one():
    rng = np.random.default_rng(0)
    a, pos, neg = (rng.standard_normal((4, 3)) for _ in range(3))
    _, backward = nn.TripletMarginLoss(margin=2.0)(a, pos, neg)
    ts = [torch.from_numpy(v).requires_grad_() for v in (a, pos, neg)]
    tnn.TripletMarginLoss(margin=2.0)(*ts).backward()
    for g, t in zip(backward(), ts):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)


# Bad input and the documented differences from torch ---------------------------------------------------------------


def test_loss_more_bad_input():
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"pairwise_distance expected x1 and x2 to broadcast to one shape, got "
                                         r"\(2, 3\) and \(4,\)"):
        F.pairwise_distance(x, np.zeros(4))
    with pytest.raises(TypeError, match="cosine_similarity expected x1 and x2 of one dtype, got float64 and float32"):
        F.cosine_similarity(x, x.astype(np.float32))
    with pytest.raises(ValueError, match="cosine_similarity got dim=2 for an input with 2 dims"):
        F.cosine_similarity(x, x, dim=2)
    with pytest.raises(ValueError, match="triplet_margin_loss expected margin > 0, got 0"):
        F.triplet_margin_loss(x, x, x, margin=0)
    with pytest.raises(ValueError, match="triplet_margin_loss expected anchor, positive and negative with one number "
                                         "of dims, got 2, 1 and 2"):
        F.triplet_margin_loss(x, np.zeros(3), x)
    with pytest.raises(ValueError, match=r"multi_margin_loss expected p to be 1 or 2, got 3"):
        F.multi_margin_loss(x, np.array([0, 1]), p=3)
    with pytest.raises(ValueError, match=r"multi_margin_loss got target class 3, out of range for C=3 classes"):
        F.multi_margin_loss(x, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"multi_margin_loss expected weight of shape \(3,\)"):
        F.multi_margin_loss(x, np.array([0, 1]), weight=np.ones(2))
    with pytest.raises(ValueError, match=r"cosine_embedding_loss expected target of shape \(2,\), got \(\)"):
        F.cosine_embedding_loss(x, x, np.array(1))
    with pytest.raises(ValueError, match=r"contrastive_loss expected target values in \{1, 0\}, got -1"):
        F.contrastive_loss(x, x, np.array([1, -1]))
    with pytest.raises(ValueError, match="contrastive_loss expected reduction to be one of"):
        F.contrastive_loss(x, x, np.array([1, 0]), reduction="batchmean")
    with pytest.raises(ValueError, match="MultiMarginLoss expected p to be 1 or 2"):
        nn.MultiMarginLoss(p=0)


def test_cosine_embedding_loss_refuses_labels_torch_ignores():
    # The documented difference: torch gives a target of 0 (or 2) a loss of 0 and counts it in the mean; we raise.
    x1, x2 = np.ones((2, 3)), np.ones((2, 3))
    assert float(TF.cosine_embedding_loss(torch.from_numpy(x1), torch.from_numpy(x2), torch.tensor([1, 0]))) < 1e-11
    with pytest.raises(ValueError, match=r"cosine_embedding_loss expected target values in \{1, -1\}, got 0"):
        F.cosine_embedding_loss(x1, x2, np.array([1, 0]))


def test_margin_ranking_loss_refuses_to_broadcast_unlike_torch():
    # The documented difference, as every pointwise loss here: torch broadcasts (3,) against (1,); we raise.
    x = np.zeros(3)
    assert TF.margin_ranking_loss(torch.zeros(3), torch.zeros(1), torch.ones(3)).shape == ()
    with pytest.raises(ValueError, match=r"margin_ranking_loss expected input1 and input2 and target of one shape "
                                         r"\(no broadcasting\), got input1 \(3,\), input2 \(1,\), target \(3,\)"):
        F.margin_ranking_loss(x, np.zeros(1), np.ones(3))
