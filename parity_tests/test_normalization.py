"""BatchNorm, LayerNorm and GroupNorm: parity with torch (running statistics included), gradcheck, state_dict
layout, bad input."""
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
    KERNELS_FORBIDDEN,
    NUMBA_PATHS,
    assert_close,
    check_function,
    check_gradcheck,
    check_module,
    check_state_dict_layout,
    numba_path,
    torch_dtype,
)
from parity_tests.strategies import (
    GRADCHECK_KINDS,
    KINDS,
    cast,
    distinct,
    fill,
    float_arrays,
    optional,
    seeds,
    with_layout,
)
from parity_tests.tolerances import parity

DTYPES = [np.float64, np.float32]

# torch's float32 CPU kernels normalise as ``x * (w * rstd) + (b - mean * w * rstd)``: two large, nearly equal terms
# when a channel (or row, or group) is (near) constant and large compared with its spread, or, in evaluation, when
# x is close to a large running mean with a tiny running variance. Then torch's own float32 answer is off by
# ~1e-4 (ties: a channel [3, 3] in a batch of 2 is common). The "tiny" kind keeps |x| * rstd of order 1 whatever
# the spread, so float32 checks the dtype handling without testing torch's rounding; float64 covers every kind.
KINDS_FOR = {np.float64: KINDS, np.float32: ("tiny",)}
# SINGLE_VALUE_FLOAT32: a row (layer_norm) or group (group_norm) of a single value normalises to 0 and has dx = 0
# exactly; torch's float32 backward returns rounding noise of size ulp(dy * weight / sqrt(eps)), up to ~1e-4. So
# float32 cases normalise at least 2 values; float64 keeps single values (torch is exact enough there).
MOMENTA = st.one_of(st.sampled_from([0.1, 0.0, 1.0]), st.floats(0.0, 1.0))
EPSILONS = st.sampled_from([1e-5, 1e-3, 0.1])
small = st.integers(1, 4)


def positive_var(a: np.ndarray) -> np.ndarray:
    """A running variance from any array: |a|, zero allowed (eps keeps 1/sqrt(var + eps) finite)."""
    return np.abs(a)


# Strategies ------------------------------------------------------------------------------------------------------
@st.composite
def batch_norm_case(draw, dtype, kinds=KINDS, max_side=8, max_spatial_dims=2):
    """(x, running_mean, running_var, weight, bias, training, momentum, eps) for F.batch_norm.

    x is (N, C), (N, C, L) or (N, C, H, W); running statistics are None only in training (torch's
    track_running_stats=False); in training there are at least 2 values per channel.
    """
    side = st.integers(1, max_side)
    spatial = tuple(draw(side) for _ in range(draw(st.integers(0, max_spatial_dims))))
    N, C = draw(side), draw(side)
    training = draw(st.booleans())
    if training and N * math.prod(spatial) == 1:
        N = 2
    x = draw(float_arrays((N, C) + spatial, dtype, kinds))
    track = not training or draw(st.booleans())
    running_mean = draw(float_arrays((C,), dtype, kinds)) if track else None
    running_var = positive_var(draw(float_arrays((C,), dtype, kinds))) if track else None
    weight = draw(optional(float_arrays((C,), dtype, kinds)))
    bias = draw(optional(float_arrays((C,), dtype, kinds)))
    return x, running_mean, running_var, weight, bias, training, draw(MOMENTA), draw(EPSILONS)


@st.composite
def layer_norm_case(draw, dtype, kinds=KINDS, max_side=6):
    """(x, normalized_shape, weight, bias, eps): 0 to 2 leading dims, 1 or 2 normalised dims (at least 2 values
    in float32, see SINGLE_VALUE_FLOAT32).

    A single normalised dim comes as an int or a 1-tuple, as torch accepts both.
    """
    side = st.integers(1, max_side)
    lead = tuple(draw(side) for _ in range(draw(st.integers(0, 2))))
    shape = tuple(draw(side) for _ in range(draw(st.integers(1, 2))))
    if dtype == np.float32 and math.prod(shape) == 1:
        shape = shape[:-1] + (2,)  # see SINGLE_VALUE_FLOAT32
    x = draw(float_arrays(lead + shape, dtype, kinds))
    weight = draw(optional(float_arrays(shape, dtype, kinds)))
    bias = draw(optional(float_arrays(shape, dtype, kinds)))
    normalized_shape = shape[0] if len(shape) == 1 and draw(st.booleans()) else shape
    return x, normalized_shape, weight, bias, draw(EPSILONS)


@st.composite
def group_norm_case(draw, dtype, kinds=KINDS, max_side=6):
    """(x, num_groups, weight, bias, eps): x (N, C, *) with 0 to 2 spatial dims, C a multiple of num_groups (at
    least 2 values a group in float32, see SINGLE_VALUE_FLOAT32)."""
    side = st.integers(1, max_side)
    groups, per_group = draw(small), draw(small)
    spatial = tuple(draw(side) for _ in range(draw(st.integers(0, 2))))
    if dtype == np.float32 and per_group * math.prod(spatial) == 1:
        per_group = 2  # see SINGLE_VALUE_FLOAT32
    N = draw(small)
    if N * per_group * math.prod(spatial) == 1:  # torch refuses a single value to normalise (tested below)
        N = 2
    C = groups * per_group
    if per_group * math.prod(spatial) == 1:
        # A group of one value normalises to exactly 0; torch gets there as x * rstd - mean * rstd with
        # rstd = 1/sqrt(eps) ~ 316, so for |x| ~ 1e3 its float64 answer is off by ~1e-9, above the table.
        kinds = tuple(k for k in kinds if k != "wide") or kinds
    x = draw(float_arrays((N, C) + spatial, dtype, kinds))
    weight = draw(optional(float_arrays((C,), dtype, kinds)))
    bias = draw(optional(float_arrays((C,), dtype, kinds)))
    return x, groups, weight, bias, draw(EPSILONS)


def for_gradcheck(case, seed):
    """The case with x replaced by well-separated values (spacing 0.05), float64.

    Normalisation is smooth, but a channel whose values nearly coincide has a spread near sqrt(eps) and a third
    derivative large enough to spoil central differences; distinct values keep every spread >= 0.025.
    """
    x = case[0]
    return (distinct(x.shape, seed, spacing=0.05),) + tuple(case[1:])


def present(*indices_and_arrays):
    """The indices whose array is not None: the gradients compared with torch's."""
    return [i for i, a in indices_and_arrays if a is not None]


# batch_norm --------------------------------------------------------------------------------------------------------
# Two paths in training (inputs with spatial dims): the NumPy code, which is the definition (the default), and the
# numba kernels (scratch.fast on). Every batch_norm parity test runs both.
def batch_norm_path(use_numba: bool):
    return numba_path("batch_norm", use_numba)


def _pinned_batch_norm_case(shape, training, layout="contiguous"):
    """A batch_norm case with every optional array given (weight and bias away from 1 and 0), x of the "tiny" kind
    (float32-safe, see KINDS_FOR) in ``layout``; running variances in [0.5, 2]."""
    C = shape[1]
    rng = np.random.default_rng(sum(shape))
    x = with_layout(fill(shape, np.float64, "tiny", C), layout)
    rm, rv = rng.standard_normal(C) * 1e-3, rng.uniform(0.5, 2.0, C)
    return x, rm, rv, rng.uniform(0.5, 2.0, C), rng.standard_normal(C), training, 0.1, 1e-5


_BN_EVAL_WITH_WEIGHT = _pinned_batch_norm_case((3, 4, 5), training=False)  # the running statistics' path
# the kernels' path (training, spatial dims) on a transposed view: outputs must not take the input's layout
_BN_TRAINING_TRANSPOSED = _pinned_batch_norm_case((2, 3, 4, 5), training=True, layout="transposed")


@pytest.mark.parametrize("use_numba", NUMBA_PATHS)
@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), seed=seeds, pinned=st.none())
@example(data=None, seed=0, pinned=_BN_EVAL_WITH_WEIGHT)
@example(data=None, seed=1, pinned=_BN_TRAINING_TRANSPOSED)
def test_batch_norm_matches_torch(use_numba, dtype, data, seed, pinned):
    if pinned is None:
        x, rm, rv, w, b, training, momentum, eps = data.draw(batch_norm_case(dtype, KINDS_FOR[dtype]))
    else:  # running statistics are updated in place: each run takes copies
        x, rm, rv, w, b = (cast(a, dtype) for a in pinned[:5])
        training, momentum, eps = pinned[5:]
    tracked = training and rm is not None  # torch updates the running statistics in place: compare them after
    with batch_norm_path(use_numba):
        check_function("batch_norm",
                       lambda x, rm, rv, w, b: F.batch_norm(x, rm, rv, w, b, training, momentum, eps),
                       lambda x, rm, rv, w, b: TF.batch_norm(x, rm, rv, w, b, training, momentum, eps),
                       [x, rm, rv, w, b], wrt=present((0, x), (3, w), (4, b)), mutable=(1, 2) if tracked else (),
                       seed=seed)


@pytest.mark.parametrize("use_numba", NUMBA_PATHS)
@given(case=batch_norm_case(np.float64, GRADCHECK_KINDS, max_side=4), seed=seeds)
@example(case=(np.array([[1.0, 2.0], [3.0, 5.0]]), None, None, np.array([1.5, -0.5]), None, True, 0.1, 1e-5),
         seed=0)  # two values per channel, the fewest training allows
@example(case=(np.array([[[1.0, 2.0]], [[3.0, 5.0]]]), None, None, np.array([1.5]), np.array([0.5]), True, 0.1,
               1e-5), seed=0)  # the same with a spatial dim: the kernels' path
def test_batch_norm_gradcheck(use_numba, case, seed):
    x, rm, rv, w, b, training, momentum, eps = for_gradcheck(case, seed)
    with batch_norm_path(use_numba):
        check_gradcheck("batch_norm",
                        lambda x, rm, rv, w, b: F.batch_norm(x, rm, rv, w, b, training, momentum, eps),
                        x, rm, rv, w, b, wrt=present((0, x), (3, w), (4, b)), seed=seed)


@KERNELS_FORBIDDEN
@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=st.tuples(st.integers(1, 9), st.integers(1, 5), st.integers(1, 40), st.integers(1, 3)),
       affine=st.booleans(), kind=st.sampled_from(KINDS), seed=seeds)
def test_batch_norm_kernels_match_numpy_path(dtype, shape, affine, kind, seed):
    # The kernels regroup batch_norm's formulas per channel; on the same arrays both paths agree to rounding,
    # outputs, running statistics and every gradient, at sizes well past the torch tests' (up to 360 values a channel).
    if shape[0] * shape[2] * shape[3] == 1:
        shape = (2,) + shape[1:]
    rng = np.random.default_rng(seed)
    x = fill(shape, dtype, kind, seed)
    C = shape[1]
    w, b = (rng.standard_normal(C).astype(dtype) if affine else None for _ in range(2))
    dy = rng.standard_normal(shape).astype(dtype)
    results = {}
    for use_numba in (True, False):
        rm, rv = np.zeros(C, dtype), np.ones(C, dtype)
        with batch_norm_path(use_numba):
            y, backward = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.3)
            results[use_numba] = (y, rm, rv, *(g for g in backward(dy) if g is not None))
    for name, got, want in zip(("y", "running_mean", "running_var", "dx", "dweight", "dbias"), *results.values()):
        assert got.dtype == want.dtype, f"{name}: dtype {got.dtype}, the NumPy path gives {want.dtype}"
        assert_close(got, want, name)


@pytest.mark.parametrize("use_numba", NUMBA_PATHS)
@pytest.mark.parametrize("shape", [(0, 3, 4), (2, 3, 0), (0, 3, 2, 2)])
def test_batch_norm_of_empty_input_matches_torch(use_numba, shape):
    # No values at all: torch returns empty outputs and gradients; so must both paths. The statistics are 0 / 0
    # (NaN, as torch's), which the suite's strict floating-point errors would otherwise turn into an exception.
    x = np.zeros(shape, np.float32)
    with batch_norm_path(use_numba), np.errstate(invalid="ignore", divide="ignore"):
        y, backward = F.batch_norm(x, None, None, np.ones(3, np.float32), np.zeros(3, np.float32), training=True)
        dx, _, _, dweight, dbias = backward(np.zeros_like(y))
    assert y.shape == dx.shape == shape and dweight.shape == dbias.shape == (3,)
    y_t = torch.nn.functional.batch_norm(torch.from_numpy(x), None, None, torch.ones(3), torch.zeros(3), training=True)
    assert tuple(y_t.shape) == shape


def test_batch_norm_running_stats_by_hand():
    # The update torch documents, written out: biased variance normalises, unbiased goes into running_var.
    x = np.array([[1.0, 10.0], [2.0, 20.0], [6.0, 30.0]])  # N=3, C=2
    rm, rv = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    y, _ = F.batch_norm(x, rm, rv, training=True, momentum=0.25, eps=0.0)
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var), rtol=1e-14)
    np.testing.assert_allclose(rm, 0.75 * np.array([0.5, -1.0]) + 0.25 * mean, rtol=1e-14)
    np.testing.assert_allclose(rv, 0.75 * np.array([2.0, 3.0]) + 0.25 * x.var(0, ddof=1), rtol=1e-14)


def test_batch_norm_of_more_dims_than_einsum_names():
    # The one-pass sums go through einsum, which names at most 52 dims; a deeper input takes numpy's own sums and
    # gives what the same values as (N, C, L) give.
    rng = np.random.default_rng(0)
    x, dy = rng.standard_normal((3, 2, 2)), rng.standard_normal((3, 2, 2))
    w, b = rng.standard_normal(2), rng.standard_normal(2)
    deep = (3, 2) + (1,) * 50 + (2,)  # 53 dims
    y, backward = F.batch_norm(x, None, None, w, b, True)
    y_deep, backward_deep = F.batch_norm(x.reshape(deep), None, None, w, b, True)
    tol = parity(np.float64)
    np.testing.assert_allclose(y_deep.reshape(x.shape), y, rtol=tol.rtol, atol=tol.atol)
    for g_deep, g in zip(backward_deep(dy.reshape(deep)), backward(dy), strict=True):
        if g is not None:
            np.testing.assert_allclose(g_deep.reshape(g.shape), g, rtol=tol.rtol, atol=tol.atol)


# layer_norm and group_norm -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), seed=seeds)
def test_layer_norm_matches_torch(dtype, data, seed):
    x, shape, w, b, eps = data.draw(layer_norm_case(dtype, KINDS_FOR[dtype]))
    torch_shape = (shape,) if isinstance(shape, int) else shape  # torch's function wants a sequence
    n = int(np.prod(torch_shape))
    inv_std = 1 / np.sqrt(x.astype(np.float64).reshape(-1, n).var(axis=1) + eps) if x.size else np.ones(1)

    def terms(dys):
        # dx sums terms w dy / std that cancel exactly where a row is constant (one element, say): there both sides
        # return rounding residue of the terms' size (weight 1412 over one element: 1e-10 from torch, 0 from us).
        w_max = float(np.abs(w).max(initial=1.0)) if w is not None else 1.0
        return {0: max(1.0, w_max * float(np.abs(dys[0]).max(initial=0.0)) * float(inv_std.max(initial=1.0)))}

    check_function("layer_norm", lambda x, w, b: F.layer_norm(x, shape, w, b, eps),
                   lambda x, w, b: TF.layer_norm(x, torch_shape, w, b, eps), [x, w, b], seed=seed, grad_scale=terms)


@given(case=layer_norm_case(np.float64, GRADCHECK_KINDS, max_side=4), seed=seeds)
def test_layer_norm_gradcheck(case, seed):
    x, shape, w, b, eps = for_gradcheck(case, seed)
    check_gradcheck("layer_norm", lambda x, w, b: F.layer_norm(x, shape, w, b, eps), x, w, b, seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), seed=seeds)
def test_group_norm_matches_torch(dtype, data, seed):
    x, groups, w, b, eps = data.draw(group_norm_case(dtype, KINDS_FOR[dtype]))
    # torch 2.13's CPU group_norm backward fails ("tensor does not have a device") given a bias but no weight;
    # a constant weight of ones is the same function and lets its backward run.
    ones = torch.ones(x.shape[1], dtype=torch_dtype(dtype)) if w is None and b is not None else None
    check_function("group_norm", lambda x, w, b: F.group_norm(x, groups, w, b, eps),
                   lambda x, w, b: TF.group_norm(x, groups, ones if ones is not None else w, b, eps), [x, w, b],
                   seed=seed)


@given(case=group_norm_case(np.float64, GRADCHECK_KINDS, max_side=3), seed=seeds)
def test_group_norm_gradcheck(case, seed):
    x, groups, w, b, eps = for_gradcheck(case, seed)
    check_gradcheck("group_norm", lambda x, w, b: F.group_norm(x, groups, w, b, eps), x, w, b, seed=seed)


def test_group_norm_extremes_are_layer_and_instance_norm():
    x = np.random.default_rng(0).standard_normal((3, 4, 5))
    y1, _ = F.group_norm(x, 1)
    np.testing.assert_allclose(y1, F.layer_norm(x, (4, 5))[0], rtol=1e-12, atol=1e-12)
    y4, _ = F.group_norm(x, 4)
    np.testing.assert_allclose(y4, F.layer_norm(x, 5)[0], rtol=1e-12, atol=1e-12)


# Modules -----------------------------------------------------------------------------------------------------------
def randomize(layer, rng):
    """Parameters and running statistics away from torch's constant init (ones, zeros), so copies are tested."""
    for name, a in layer.state_dict().items():
        if a.dtype.kind == "f":
            a[...] = rng.standard_normal(a.shape)
            if name.endswith("running_var"):
                a[...] = np.abs(a)
    return layer


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cls", ["BatchNorm1d", "BatchNorm2d"])
@given(data=st.data(), seed=seeds)
def test_batchnorm_module_matches_torch(dtype, cls, data, seed):
    C = data.draw(st.integers(1, 6), label="C")
    momentum = data.draw(st.one_of(st.none(), MOMENTA), label="momentum")
    affine, bias, track = (data.draw(st.booleans(), label=k) for k in ("affine", "bias", "track"))
    eps = data.draw(EPSILONS, label="eps")
    rng = np.random.default_rng(seed)
    layer = randomize(getattr(nn, cls)(C, eps, momentum, affine, track, dtype=dtype, bias=bias), rng)
    twin = getattr(tnn, cls)(C, eps, momentum, affine, track, dtype=torch_dtype(dtype), bias=bias)
    # Several calls in a row: num_batches_tracked counts the training ones (momentum=None averages over them).
    for step, training in enumerate(data.draw(st.lists(st.booleans(), min_size=1, max_size=4), label="modes")):
        layer.train(training)
        twin.train(training)
        n_spatial = 2 if cls == "BatchNorm2d" else data.draw(st.integers(0, 1))  # (N, C, H, W); (N, C) or (N, C, L)
        spatial = tuple(data.draw(st.integers(1, 5)) for _ in range(n_spatial))
        N = data.draw(st.integers(1, 6))
        if (training or not track) and N * math.prod(spatial) == 1:
            N = 2
        x = data.draw(float_arrays((N, C) + spatial, dtype, KINDS_FOR[dtype]))
        check_module(cls, layer, twin, x, seed=seed + step)
    if track:
        assert int(layer.num_batches_tracked) == int(twin.num_batches_tracked)


def test_batchnorm_momentum_none_is_cumulative_average():
    layer = nn.BatchNorm1d(2, momentum=None, dtype=np.float64)
    batches = [np.random.default_rng(k).standard_normal((5, 2)) * (k + 1) + k for k in range(4)]
    for x in batches:
        layer(x)
    assert layer.num_batches_tracked.dtype == np.int64 and layer.num_batches_tracked.shape == ()
    assert int(layer.num_batches_tracked) == 4
    np.testing.assert_allclose(layer.running_mean, np.mean([x.mean(0) for x in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, np.mean([x.var(0, ddof=1) for x in batches], axis=0), rtol=1e-12)


def test_batchnorm_eval_uses_running_stats_and_state_dict_sees_updates():
    layer = nn.BatchNorm2d(3, dtype=np.float64)
    sd = layer.state_dict()
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 2)) * 2 + 1
    layer(x)
    assert int(sd["num_batches_tracked"]) == 1 and np.all(sd["running_mean"] != 0)  # buffers updated in place
    layer.eval()
    y, backward = layer(x)
    inv_std = 1 / np.sqrt(layer.running_var + layer.eps)
    np.testing.assert_allclose(y, (x - layer.running_mean[:, None, None]) * inv_std[:, None, None], rtol=1e-12)
    np.testing.assert_allclose(backward(np.ones_like(x)), np.broadcast_to(inv_std[:, None, None], x.shape),
                               rtol=1e-12)
    assert int(layer.num_batches_tracked) == 1  # evaluation tracks nothing


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), seed=seeds)
def test_layernorm_module_matches_torch(dtype, data, seed):
    x, shape, _, _, eps = data.draw(layer_norm_case(dtype, KINDS_FOR[dtype]))
    affine, bias = data.draw(st.booleans()), data.draw(st.booleans())
    layer = randomize(nn.LayerNorm(shape, eps, affine, bias, dtype=dtype), np.random.default_rng(seed))
    twin = tnn.LayerNorm(shape, eps, affine, bias, dtype=torch_dtype(dtype))
    check_module("LayerNorm", layer, twin, x, seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), seed=seeds)
def test_groupnorm_module_matches_torch(dtype, data, seed):
    x, groups, _, _, eps = data.draw(group_norm_case(dtype, KINDS_FOR[dtype]))
    affine, bias = data.draw(st.booleans()), data.draw(st.booleans())
    C = x.shape[1]
    layer = randomize(nn.GroupNorm(groups, C, eps, affine, dtype=dtype, bias=bias), np.random.default_rng(seed))
    twin = tnn.GroupNorm(groups, C, eps, affine, dtype=torch_dtype(dtype), bias=bias)
    check_module("GroupNorm", layer, twin, x, seed=seed)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("track", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_normalization_state_dict_layout(affine, track, bias):
    for cls in ("BatchNorm1d", "BatchNorm2d"):
        check_state_dict_layout(cls, getattr(nn, cls)(4, affine=affine, track_running_stats=track, bias=bias),
                                getattr(tnn, cls)(4, affine=affine, track_running_stats=track, bias=bias))
    check_state_dict_layout("LayerNorm", nn.LayerNorm((3, 4), elementwise_affine=affine, bias=bias),
                            tnn.LayerNorm((3, 4), elementwise_affine=affine, bias=bias))
    check_state_dict_layout("GroupNorm", nn.GroupNorm(2, 4, affine=affine, bias=bias),
                            tnn.GroupNorm(2, 4, affine=affine, bias=bias))


def test_batchnorm_state_dict_keys():
    assert list(nn.BatchNorm1d(3).state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                                    "num_batches_tracked"]


# Bad input ---------------------------------------------------------------------------------------------------------
def test_one_value_per_channel_in_training_is_refused_as_in_torch():
    for shape in [(1, 3), (1, 3, 1), (1, 3, 1, 1)]:
        with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
            TF.batch_norm(torch.zeros(shape), torch.zeros(3), torch.ones(3), training=True)
        with pytest.raises(ValueError, match=r"batch_norm expected more than 1 value per channel when training, "
                                             rf"got input of shape \({', '.join(map(str, shape))},?\)"):
            F.batch_norm(np.zeros(shape), np.zeros(3), np.ones(3), training=True)
    with pytest.raises(ValueError, match=r"BatchNorm1d expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm2d expected more than 1 value per channel when training"):
        nn.BatchNorm2d(3, track_running_stats=False).eval()(np.zeros((1, 3, 1, 1), np.float32))  # batch stats
    nn.BatchNorm1d(3).eval()(np.zeros((1, 3), np.float32))  # running statistics: one sample is fine
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        TF.group_norm(torch.zeros(1, 4), 4)
    with pytest.raises(ValueError, match=r"group_norm expected more than 1 value per channel.*\(1, 4\)"):
        F.group_norm(np.zeros((1, 4)), 4)


def test_batch_norm_bad_input():
    with pytest.raises(ValueError, match=r"BatchNorm1d expected input \(N, 3\) or \(N, 3, L\), got \(8, 4\)"):
        nn.BatchNorm1d(3)(np.zeros((8, 4), np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm1d expected input \(N, 3\) or \(N, 3, L\), got \(2, 3, 4, 4\)"):
        nn.BatchNorm1d(3)(np.zeros((2, 3, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm2d expected input \(N, 3, H, W\), got \(8, 32, 32, 3\): "
                                         r"channels-last\?"):
        nn.BatchNorm2d(3)(np.zeros((8, 32, 32, 3), np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm2d expected input \(N, 3, H, W\), got \(8, 3, 5\)"):
        nn.BatchNorm2d(3)(np.zeros((8, 3, 5), np.float32))
    with pytest.raises(TypeError, match="BatchNorm1d expected input to be float32 or float64, got int64"):
        nn.BatchNorm1d(3)(np.zeros((8, 3), np.int64))
    with pytest.raises(TypeError, match="batch_norm expected running_mean to have dtype float64 like the input, "
                                        "got float32"):
        nn.BatchNorm1d(3)(np.zeros((8, 3)))  # float32 buffers, float64 input
    with pytest.raises(ValueError, match=r"batch_norm expected running_mean of shape \(3,\), got \(4,\)"):
        F.batch_norm(np.zeros((2, 3)), np.zeros(4), np.ones(4))
    with pytest.raises(ValueError, match=r"batch_norm expected input of shape \(N, C, \*\)"):
        F.batch_norm(np.zeros(3), np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="batch_norm needs running_mean and running_var in evaluation mode"):
        F.batch_norm(np.zeros((2, 3)), None, None, training=False)
    with pytest.raises(TypeError, match="batch_norm expected momentum to be a float, got None"):
        F.batch_norm(np.zeros((2, 3)), np.zeros(3), np.ones(3), training=True, momentum=None)
    y, backward = F.batch_norm(np.zeros((2, 3)), np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match=r"batch_norm.backward expected dy of shape \(2, 3\)"):
        backward(np.zeros((3, 2)))


def test_layer_and_group_norm_bad_input():
    with pytest.raises(ValueError, match=r"layer_norm expected input of shape \(\*, 4\) to match "
                                         r"normalized_shape=\(4,\), got \(2, 3\)"):
        F.layer_norm(np.zeros((2, 3)), 4)
    with pytest.raises(ValueError, match=r"layer_norm expected input of shape \(\*, 2, 3\).*got \(3,\)"):
        F.layer_norm(np.zeros(3), (2, 3))
    with pytest.raises(ValueError, match=r"layer_norm expected weight of shape \(3,\), got \(4,\)"):
        F.layer_norm(np.zeros((2, 3)), 3, np.ones(4))
    with pytest.raises(ValueError, match=r"LayerNorm expected input of shape \(\*, 8\), got \(4, 3\)"):
        nn.LayerNorm(8)(np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match=r"GroupNorm expected num_channels \(3\) to be divisible by num_groups \(2\)"):
        nn.GroupNorm(2, 3)
    with pytest.raises(ValueError, match=r"group_norm expected the number of channels to be divisible by "
                                         r"num_groups, got input of shape \(2, 3, 4\) \(C=3\) and num_groups=2"):
        F.group_norm(np.zeros((2, 3, 4)), 2)
    with pytest.raises(ValueError, match=r"GroupNorm expected input \(N, 4, \*\), got \(2, 5, 5, 4\): channels-last"):
        nn.GroupNorm(2, 4)(np.zeros((2, 5, 5, 4), np.float32))
    with pytest.raises(ValueError, match=r"group_norm expected input of shape \(N, C, \*\)"):
        F.group_norm(np.zeros(4), 2)
