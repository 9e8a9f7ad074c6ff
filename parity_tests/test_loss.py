"""Losses: parity with torch (values, input and target gradients), gradcheck, module shells, buffers, bad input."""
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

# Regression losses and how each one's hyperparameter is drawn (0 and 1 sit on the kinks of "ties" differences).
REGRESSION = ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss")
REGRESSION_OPTIONS = {
    "mse_loss": st.just({}),
    "l1_loss": st.just({}),
    "smooth_l1_loss": st.fixed_dictionaries({"beta": st.sampled_from([0.0, 0.5, 1.0, 2.5])}),
    "huber_loss": st.fixed_dictionaries({"delta": st.sampled_from([0.5, 1.0, 2.5])}),
}
REGRESSION_MODULES = {"mse_loss": "MSELoss", "l1_loss": "L1Loss", "smooth_l1_loss": "SmoothL1Loss",
                      "huber_loss": "HuberLoss"}


def as_dtype(a, dtype):
    """Float arrays cast to ``dtype``; integer targets and None unchanged."""
    return cast(a, dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a


# Strategies --------------------------------------------------------------------------------------------------------


@st.composite
def regression_case(draw, name, kinds=KINDS, max_dims=4, max_side=8):
    """(input, target, options) for one of REGRESSION: one shape of 0 to 4 dims, reduction and beta/delta drawn."""
    shape = draw(shapes(min_dims=0, max_dims=max_dims, max_side=max_side))
    x = draw(float_arrays(shape, np.float64, kinds))
    t = draw(float_arrays(shape, np.float64, kinds))
    options = dict(draw(REGRESSION_OPTIONS[name]), reduction=draw(st.sampled_from(REDUCTIONS)))
    return x, t, options


@st.composite
def broadcastable_shape(draw, shape):
    """A shape that broadcasts to ``shape`` without growing it: a suffix of it with some sides set to 1."""
    k = draw(st.integers(0, len(shape)))
    return tuple(1 if draw(st.booleans()) else s for s in shape[k:])


@st.composite
def bce_case(draw, kinds=KINDS, max_dims=4, max_side=8):
    """(logits, target, weight-or-None, pos_weight-or-None, reduction); hard or soft labels; weights positive."""
    shape = draw(shapes(min_dims=0, max_dims=max_dims, max_side=max_side))
    x = draw(float_arrays(shape, np.float64, kinds))
    rng = np.random.default_rng(draw(seeds))
    hard = draw(st.booleans())
    t = np.asarray(rng.integers(0, 2, size=shape) if hard else rng.uniform(0, 1, size=shape), dtype=np.float64)
    weight = draw(st.one_of(st.none(), broadcastable_shape(shape).map(lambda s: rng.uniform(0.1, 3.0, s))))
    pos_weight = draw(st.one_of(st.none(), broadcastable_shape(shape).map(lambda s: rng.uniform(0.1, 3.0, s))))
    weight, pos_weight = (None if w is None else np.asarray(w) for w in (weight, pos_weight))
    return x, t, weight, pos_weight, draw(st.sampled_from(REDUCTIONS))


@st.composite
def class_case(draw, kinds=KINDS, probabilities=st.booleans(), side=sides):
    """(input, target, weight-or-None, options) for cross_entropy / nll_loss.

    input ``(C,)``, ``(N, C)`` or ``(N, C, d1[, d2])``; target class indices (a drawn fraction, up to all, set to a
    drawn ignore_index, which may be a real class) or class probabilities; weight, reduction, label smoothing drawn.
    """
    layout = draw(st.sampled_from(["unbatched", "batched", "spatial"]))
    C = draw(side)
    if layout == "unbatched":
        shape = (C,)
    elif layout == "batched":
        shape = (draw(side), C)
    else:
        shape = (draw(side), C) + draw(shapes(min_dims=1, max_dims=2, max_side=4))
    x = draw(float_arrays(shape, np.float64, kinds))
    rng = np.random.default_rng(draw(seeds))
    options = dict(reduction=draw(st.sampled_from(REDUCTIONS)),
                   label_smoothing=draw(st.sampled_from([0.0, 0.1, 0.45, 1.0])))
    if draw(probabilities):
        p = rng.uniform(0, 1, size=shape)
        target = p / p.sum(axis=0 if layout == "unbatched" else 1, keepdims=True)
    else:
        index_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
        ignore_index = draw(st.sampled_from([-100, 0, C + 1]))
        ignored = rng.uniform(size=index_shape) < draw(st.sampled_from([0.0, 0.3, 1.0]))
        target = np.where(ignored, ignore_index, rng.integers(0, C, size=index_shape)).astype(np.int64)
        options["ignore_index"] = ignore_index
    weight = rng.uniform(0.1, 2.0, size=C) if draw(st.booleans()) else None
    return x, target, weight, options


@st.composite
def kl_case(draw, kinds=KINDS, max_dims=4, max_side=8):
    """(input log-probabilities, target, options): probabilities >= 0 with zeros, or log-probabilities."""
    shape = draw(shapes(min_dims=0, max_dims=max_dims, max_side=max_side))
    x = draw(float_arrays(shape, np.float64, kinds))
    log_target = draw(st.booleans())
    # exp of a "wide" log-target (1e3) overflows, in torch too
    target_kinds = [k for k in kinds if k != "wide"] if log_target else kinds
    t = draw(float_arrays(shape, np.float64, target_kinds))
    t = t if log_target else np.asarray(np.abs(t))  # "ties" leaves exact zeros: 0 log 0 = 0
    return x, t, dict(reduction=draw(st.sampled_from(REDUCTIONS + ("batchmean",))), log_target=log_target)


# Regression losses -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", REGRESSION)
@given(data=st.data(), seed=seeds)
def test_regression_loss_matches_torch(name, dtype, data, seed):
    x, t, opts = data.draw(regression_case(name))
    check_function(name, lambda x, t: getattr(F, name)(x, t, **opts), lambda x, t: getattr(TF, name)(x, t, **opts),
                   [cast(x, dtype), cast(t, dtype)], seed=seed)


@pytest.mark.parametrize("name", REGRESSION)
@given(data=st.data(), seed=seeds)
def test_regression_loss_gradcheck(name, data, seed):
    x, t, opts = data.draw(regression_case(name, GRADCHECK_KINDS, max_dims=3, max_side=4))
    kinks = (0.0,) + tuple(s * opts[k] for k in ("beta", "delta") if k in opts for s in (-1, 1))
    x = np.asarray(t + nudge_away(x - t, kinks))  # the difference input - target, off every kink of the loss
    check_gradcheck(name, lambda x, t: getattr(F, name)(x, t, **opts), x, t, seed=seed)


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_kinks_match_torch(name):
    # input == target (l1's kink) and |d| == beta / delta exactly: torch's subgradients, both gradients compared.
    x = np.array([0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 3.0])
    t = np.zeros_like(x)
    hyperparameters = {"smooth_l1_loss": [{"beta": b} for b in (0.0, 0.5, 1.0, 2.5)],
                       "huber_loss": [{"delta": d} for d in (0.5, 1.0, 2.5)]}
    for opts in hyperparameters.get(name, [{}]):
        for reduction in REDUCTIONS:
            kw = dict(opts, reduction=reduction)
            check_function(name, lambda x, t, kw=kw: getattr(F, name)(x, t, **kw),
                           lambda x, t, kw=kw: getattr(TF, name)(x, t, **kw), [x, t], seed=1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", REGRESSION)
@given(data=st.data(), seed=seeds)
def test_regression_loss_module_matches_torch(name, dtype, data, seed):
    x, t, opts = data.draw(regression_case(name))
    cls = REGRESSION_MODULES[name]
    check_module(cls, getattr(nn, cls)(**opts), getattr(tnn, cls)(**opts), cast(x, dtype), cast(t, dtype),
                 seed=seed)


# Binary cross-entropy ----------------------------------------------------------------------------------------------

BCE = "binary_cross_entropy_with_logits"


def bce_pair(reduction):
    def np_fn(x, t, w, pw):
        return F.binary_cross_entropy_with_logits(x, t, w, reduction=reduction, pos_weight=pw)

    def torch_fn(x, t, w, pw):
        return TF.binary_cross_entropy_with_logits(x, t, w, reduction=reduction, pos_weight=pw)

    return np_fn, torch_fn


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=bce_case(), seed=seeds)
@example(case=(np.array([[100.0, -100.0, 100.0, -100.0]]), np.array([[0.0, 1.0, 1.0, 0.0]]), None,
               np.array([3.0, 0.5, 2.0, 1.0]), "none"), seed=0)  # logits of +-100: finite and right
@example(case=(np.array([[0.3, -2.0]]), np.array([[1.0, 0.0]]), np.array([2.0]), None, "mean"), seed=0)  # batch 1
def test_bce_with_logits_matches_torch(dtype, case, seed):
    x, t, w, pw, reduction = (as_dtype(a, dtype) for a in case)
    np_fn, torch_fn = bce_pair(reduction)
    # torch refuses to differentiate weight and pos_weight: compare input and target gradients
    check_function(BCE, np_fn, torch_fn, [x, t, w, pw], wrt=[0, 1], seed=seed)


@given(case=bce_case(GRADCHECK_KINDS, max_dims=3, max_side=4), seed=seeds)
def test_bce_with_logits_gradcheck(case, seed):
    x, t, w, pw, reduction = case
    check_gradcheck(BCE, bce_pair(reduction)[0], x, t, w, pw, wrt=[0, 1], seed=seed)


def test_bce_with_logits_is_stable_at_100():
    x = np.array([100.0, -100.0, 100.0, -100.0])
    t = np.array([0.0, 1.0, 1.0, 0.0])
    y, backward = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    # The wrong answers: -log(1 - sigmoid(100)) = 100 + log1p(e^-100), exactly 100 in float64, not -log(0) = inf.
    # The right ones: e^-100 (or 0, as torch gets for x = -100 from -100 + 100), never nan.
    np.testing.assert_allclose(y, [100.0, 100.0, np.exp(-100.0), np.exp(-100.0)], rtol=1e-15, atol=1e-43)
    dx, dt, dw, dpw = backward(np.ones(4))
    np.testing.assert_allclose(dx, [1.0, -1.0, -np.exp(-100.0), np.exp(-100.0)], rtol=1e-15, atol=1e-43)
    assert dw is None and dpw is None


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=bce_case(), seed=seeds)
def test_bce_with_logits_module_matches_torch(dtype, case, seed):
    x, t, w, pw, reduction = (as_dtype(a, dtype) for a in case)
    tw, tpw = (None if a is None else torch.from_numpy(a.copy()) for a in (w, pw))
    check_module("BCEWithLogitsLoss", nn.BCEWithLogitsLoss(w, reduction=reduction, pos_weight=pw),
                 tnn.BCEWithLogitsLoss(tw, reduction=reduction, pos_weight=tpw), x, t, seed=seed)


# Cross-entropy and NLL ---------------------------------------------------------------------------------------------

LOGITS_1E4 = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [0.0, 1e4, -1e4]])


def nan_free(x, t, w, opts):
    """The case with 'sum' in place of a 'mean' over nothing (every target ignored: nan, which gradcheck can't use)."""
    if t.dtype.kind != "f" and opts["reduction"] == "mean" and np.all(t == opts["ignore_index"]):
        opts = dict(opts, reduction="sum")
    return x, t, w, opts


def cross_entropy_pair(opts):
    return (lambda x, t, w: F.cross_entropy(x, t, w, **opts)), (lambda x, t, w: TF.cross_entropy(x, t, w, **opts))


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=class_case(), seed=seeds)
@example(case=(LOGITS_1E4, np.array([1, 2, 0]), None, dict(reduction="none", label_smoothing=0.1)), seed=0)
@example(case=(LOGITS_1E4, np.array([[0.2, 0.3, 0.5]] * 3), np.array([1.0, 2.0, 0.5]),
               dict(reduction="mean", label_smoothing=0.45)), seed=0)  # +-1e4 against probability targets
@example(case=(np.ones((3, 4)), np.array([-100, -100, -100]), np.ones(4),
               dict(reduction="mean", label_smoothing=0.1, ignore_index=-100)), seed=0)  # all ignored: nan
@example(case=(np.array([[0.5, -1.0, 2.0]]), np.array([2]), np.array([0.5, 1.0, 3.0]),
               dict(reduction="mean", label_smoothing=0.0, ignore_index=-100)), seed=0)  # batch of 1
def test_cross_entropy_matches_torch(dtype, case, seed):
    x, t, w, opts = (as_dtype(a, dtype) for a in case)
    np_fn, torch_fn = cross_entropy_pair(opts)
    # the target's gradient for probability targets; the class weight is a constant (see cross_entropy's docstring)
    check_function("cross_entropy", np_fn, torch_fn, [x, t, w], wrt=[0, 1] if t.dtype.kind == "f" else [0],
                   seed=seed)


@given(case=class_case(GRADCHECK_KINDS, side=small_sides), seed=seeds)
def test_cross_entropy_gradcheck(case, seed):
    x, t, w, opts = nan_free(*case)
    check_gradcheck("cross_entropy", cross_entropy_pair(opts)[0], x, t, w,
                    wrt=[0, 1] if t.dtype.kind == "f" else [0], seed=seed)


def test_cross_entropy_extreme_logits_finite_and_right():
    y, backward = F.cross_entropy(LOGITS_1E4, np.array([1, 2, 0]), reduction="none")
    np.testing.assert_array_equal(y, [2e4, 0.0, 1e4])  # logp = x - max: exact, no log(0)
    (dx, dt, dw) = backward(np.ones(3))
    onehot = np.eye(3)[[1, 2, 0]]
    softmax = np.array([[1.0, 0, 0], [0, 0, 1.0], [0, 1.0, 0]])
    np.testing.assert_array_equal(dx, softmax - onehot)
    assert dt is None and dw is None


def test_cross_entropy_all_ignored_is_nan_with_zero_gradient():
    x = np.random.default_rng(0).standard_normal((3, 4))
    t = np.full(3, -100)
    for smoothing in (0.0, 0.3):
        y, backward = F.cross_entropy(x, t, label_smoothing=smoothing)
        assert np.isnan(y)
        np.testing.assert_array_equal(backward(1.0)[0], np.zeros_like(x))  # torch: nan loss, zero gradient
        y, backward = F.cross_entropy(x, t, reduction="sum", label_smoothing=smoothing)
        assert y == 0.0
    # Kept targets whose class weights are all 0: a nan loss too; torch's gradient is nan, ours 0 (documented choice).
    y, backward = F.cross_entropy(x, np.array([1, 1, -100]), np.array([1.0, 0.0, 1.0, 1.0]))
    assert np.isnan(y) and np.array_equal(backward(1.0)[0], np.zeros_like(x))


def test_cross_entropy_weight_is_not_differentiated_unlike_torch_with_probabilities():
    # The documented choice: torch's probability-target path is built from tensor ops and so differentiates the
    # weight; we treat weights as constants on both paths, as torch's class-index path does.
    x = np.random.default_rng(0).standard_normal((2, 3))
    p = np.full((2, 3), 1 / 3)
    w = np.array([1.0, 2.0, 3.0])
    tw = torch.from_numpy(w).requires_grad_()
    TF.cross_entropy(torch.from_numpy(x), torch.from_numpy(p), tw).backward()
    assert tw.grad is not None
    assert F.cross_entropy(x, p, w)[1](1.0)[2] is None


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=class_case(probabilities=st.just(False)), seed=seeds)
@example(case=(np.zeros((2, 3)), np.array([-100, -100]), None, dict(reduction="mean", ignore_index=-100)), seed=0)
def test_nll_loss_matches_torch(dtype, case, seed):
    x, t, w, opts = (as_dtype(a, dtype) for a in case)
    opts = {k: v for k, v in opts.items() if k != "label_smoothing"}
    check_function("nll_loss", lambda x, t, w: F.nll_loss(x, t, w, **opts),
                   lambda x, t, w: TF.nll_loss(x, t, w, **opts), [x, t, w], wrt=[0], seed=seed)


@given(case=class_case(GRADCHECK_KINDS, probabilities=st.just(False), side=small_sides), seed=seeds)
def test_nll_loss_gradcheck(case, seed):
    x, t, w, opts = nan_free(*case)
    opts = {k: v for k, v in opts.items() if k != "label_smoothing"}
    check_gradcheck("nll_loss", lambda x, t, w: F.nll_loss(x, t, w, **opts), x, t, w, wrt=[0], seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=class_case(), seed=seeds)
@example(case=(LOGITS_1E4, np.array([1, -100, 0]), np.array([1.0, 2.0, 0.5]),
               dict(reduction="mean", label_smoothing=0.1, ignore_index=-100)), seed=0)
def test_cross_entropy_module_matches_torch(dtype, case, seed):
    x, t, w, opts = (as_dtype(a, dtype) for a in case)
    tw = None if w is None else torch.from_numpy(w.copy())
    check_module("CrossEntropyLoss", nn.CrossEntropyLoss(w, **opts), tnn.CrossEntropyLoss(tw, **opts), x, t,
                 seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=class_case(probabilities=st.just(False)), seed=seeds)
def test_nll_loss_module_matches_torch(dtype, case, seed):
    x, t, w, opts = (as_dtype(a, dtype) for a in case)
    opts = {k: v for k, v in opts.items() if k != "label_smoothing"}
    tw = None if w is None else torch.from_numpy(w.copy())
    check_module("NLLLoss", nn.NLLLoss(w, **opts), tnn.NLLLoss(tw, **opts), x, t, seed=seed)


# KL divergence -----------------------------------------------------------------------------------------------------

# torch warns on every kl_div(reduction='mean') that 'mean' also divides by the support size; that is what we test.
kl_mean_warning = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")


@kl_mean_warning
@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), seed=seeds)
def test_kl_div_matches_torch(dtype, data, seed):
    # float32: pointwise terms t log t - t x of either sign cancel in the sum when both are wide (1e3 * 1e3).
    x, t, opts = data.draw(kl_case(KINDS if dtype == np.float64 else WELL_CONDITIONED))
    check_function("kl_div", lambda x, t: F.kl_div(x, t, **opts), lambda x, t: TF.kl_div(x, t, **opts),
                   [cast(x, dtype), cast(t, dtype)], seed=seed)


@given(case=kl_case(GRADCHECK_KINDS, max_dims=3, max_side=4), seed=seeds)
def test_kl_div_gradcheck(case, seed):
    x, t, opts = case
    if not opts["log_target"]:
        t = np.asarray(np.abs(t) + 0.1)  # t log t has an unbounded slope at 0
    check_gradcheck("kl_div", lambda x, t: F.kl_div(x, t, **opts), x, t, seed=seed)


@kl_mean_warning
@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), seed=seeds)
def test_kl_div_module_matches_torch(dtype, data, seed):
    x, t, opts = data.draw(kl_case(KINDS if dtype == np.float64 else WELL_CONDITIONED))
    check_module("KLDivLoss", nn.KLDivLoss(**opts), tnn.KLDivLoss(**opts), cast(x, dtype), cast(t, dtype),
                 seed=seed)


# Modules: buffers, default upstream gradient -----------------------------------------------------------------------


def test_loss_state_dict_layout():
    w = np.array([1.0, 2.0, 0.5], dtype=np.float32)
    pw = np.array([3.0, 1.0, 1.0], dtype=np.float32)
    tw, tpw = torch.from_numpy(w.copy()), torch.from_numpy(pw.copy())
    pairs = [
        ("MSELoss", nn.MSELoss(), tnn.MSELoss()),
        ("L1Loss", nn.L1Loss(), tnn.L1Loss()),
        ("SmoothL1Loss", nn.SmoothL1Loss(beta=0.5), tnn.SmoothL1Loss(beta=0.5)),
        ("HuberLoss", nn.HuberLoss(delta=2.0), tnn.HuberLoss(delta=2.0)),
        ("KLDivLoss", nn.KLDivLoss(), tnn.KLDivLoss()),
        ("CrossEntropyLoss", nn.CrossEntropyLoss(), tnn.CrossEntropyLoss()),
        ("CrossEntropyLoss", nn.CrossEntropyLoss(w.copy()), tnn.CrossEntropyLoss(tw.clone())),
        ("NLLLoss", nn.NLLLoss(), tnn.NLLLoss()),
        ("NLLLoss", nn.NLLLoss(w.copy()), tnn.NLLLoss(tw.clone())),
        ("BCEWithLogitsLoss", nn.BCEWithLogitsLoss(), tnn.BCEWithLogitsLoss()),
        ("BCEWithLogitsLoss", nn.BCEWithLogitsLoss(pos_weight=pw.copy()),
         tnn.BCEWithLogitsLoss(pos_weight=tpw.clone())),
        ("BCEWithLogitsLoss", nn.BCEWithLogitsLoss(w.copy(), pos_weight=pw.copy()),
         tnn.BCEWithLogitsLoss(tw.clone(), pos_weight=tpw.clone())),
    ]
    for name, module, twin in pairs:
        check_state_dict_layout(name, module, twin)
    assert list(nn.BCEWithLogitsLoss(w, pos_weight=pw).state_dict()) == ["weight", "pos_weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []


def test_loss_module_default_upstream_gradient_is_one():
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((4, 3)), np.array([0, 2, 1, 1])
    loss, backward = nn.CrossEntropyLoss(label_smoothing=0.1)(x, t)
    xt = torch.from_numpy(x).requires_grad_()
    tnn.CrossEntropyLoss(label_smoothing=0.1)(xt, torch.from_numpy(t)).backward()
    np.testing.assert_allclose(backward(), xt.grad.numpy(), rtol=1e-12)
    loss, backward = nn.MSELoss(reduction="none")(x, x + 1)
    assert backward(np.ones((4, 3))).shape == (4, 3)  # an array for reduction='none'
    with pytest.raises(TypeError, match=r"mse_loss.backward expected dy to be a numpy.ndarray, got float"):
        backward()


# Bad input ---------------------------------------------------------------------------------------------------------


def test_loss_bad_input():
    x, t = np.zeros((4, 3)), np.array([0, 1, 2, 0])
    with pytest.raises(ValueError, match=r"cross_entropy got target class 3, out of range for C=3 classes"):
        F.cross_entropy(x, np.array([0, 1, 3, 0]))
    with pytest.raises(ValueError, match=r"nll_loss got target class -1, out of range for C=3 classes"):
        F.nll_loss(x, np.array([0, -1, 2, 0]))
    F.cross_entropy(x, np.array([0, 7, 2, 0]), ignore_index=7)  # the ignore_index itself is never out of range
    with pytest.raises(ValueError, match=r"cross_entropy expected target of class indices \(integer, shape \(4,\)\) "
                                         r"or class probabilities \(float, shape \(4, 3\) like the input\), "
                                         r"got float64 of shape \(4,\)"):
        F.cross_entropy(x, t.astype(np.float64))
    with pytest.raises(ValueError, match=r"class indices \(integer, shape \(4,\)\).*got int64 of shape \(4, 3\)"):
        F.cross_entropy(x, np.zeros((4, 3), dtype=np.int64))
    with pytest.raises(TypeError, match="nll_loss expected target to hold integer class indices, got dtype float64"):
        F.nll_loss(x, t.astype(np.float64))
    with pytest.raises(ValueError, match=r"nll_loss expected target of class indices of shape \(4, 5\)"):
        F.nll_loss(np.zeros((4, 3, 5)), t)
    with pytest.raises(ValueError, match=r"cross_entropy does not support ignore_index with class-probability"):
        F.cross_entropy(x, np.full((4, 3), 1 / 3), ignore_index=0)
    with pytest.raises(ValueError, match=r"cross_entropy expected label_smoothing in \[0, 1\], got 1.5"):
        F.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"cross_entropy expected label_smoothing in \[0, 1\], got -0.1"):
        F.cross_entropy(x, t, label_smoothing=-0.1)
    with pytest.raises(ValueError, match=r"cross_entropy expected weight of shape \(3,\), one per class, got \(4,\)"):
        F.cross_entropy(x, t, np.ones(4))
    with pytest.raises(ValueError, match=r"cross_entropy expected reduction to be one of 'none', 'mean', 'sum', "
                                         r"got 'batchmean'"):
        F.cross_entropy(x, t, reduction="batchmean")
    with pytest.raises(ValueError, match=r"cross_entropy expected input of shape \(N, C\), \(C,\) or"):
        F.cross_entropy(np.zeros(()), np.zeros((), dtype=np.int64))
    with pytest.raises(ValueError, match=r"mse_loss expected target of the input's shape \(4, 3\), got \(3,\) "
                                         r"\(torch would broadcast"):
        F.mse_loss(x, np.zeros(3))
    with pytest.raises(TypeError, match=r"l1_loss expected target of dtype float64 like the input, got float32"):
        F.l1_loss(x, x.astype(np.float32))
    with pytest.raises(ValueError, match=r"huber_loss expected reduction to be one of 'none', 'mean', 'sum', "
                                         r"got 'avg'"):
        F.huber_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match=r"smooth_l1_loss expected beta >= 0, got -1.0"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(ValueError, match=r"huber_loss expected delta > 0, got 0.0"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits expected pos_weight to broadcast to the "
                                         r"input's shape \(4, 3\), got \(4,\)"):
        F.binary_cross_entropy_with_logits(x, x, pos_weight=np.ones(4))
    with pytest.raises(ValueError, match=r"kl_div expected target >= 0 \(probabilities; pass log_target=True"):
        F.kl_div(x, -np.ones((4, 3)))
    with pytest.raises(TypeError, match=r"mse_loss\(\) takes 2 positional arguments"):
        F.mse_loss(x, x, None, None, "sum")  # torch's deprecated positional slots fail loudly
    with pytest.raises(ValueError, match=r"CrossEntropyLoss|cross_entropy got target class 5, out of range for C=3"):
        nn.CrossEntropyLoss()(x, np.array([0, 5, 1, 1]))
