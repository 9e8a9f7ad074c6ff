"""conv2d's Winograd path (its fast path for 3x3 stride-1 kernels, ``scratch.fast`` on): the matrices, each numba
tile transform against its NumPy definition (``_winograd_reference``), and the whole convolution (numba transforms,
NumPy transforms, and im2col for the same cases) against torch and gradcheck.

The general conv2d tests (test_conv.py) draw kernels, strides, dilations and groups, so only a few of their cases are
3x3 stride-1 convolutions; these tests draw nothing else, with sides up to 13 so that outputs span several 4x4 tiles
and end in partial ones, and with the batch split into passes of any size.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import scratch.functional as F
import torch_impl.functional as TF
from parity_tests.harness import KERNELS_FORBIDDEN, assert_close, check_function, check_gradcheck, numba_path, switched
from parity_tests.strategies import GRADCHECK_KINDS, KINDS, cast, fill, float_arrays, optional, seeds
from scratch.functional import _winograd as W
from scratch.functional import _winograd_kernels as K
from scratch.functional import _winograd_reference as R

DTYPES = [np.float64, np.float32]


# ---------------------------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------------------------

@st.composite
def geometry(draw, max_side=13):
    """(N, C, K, H, W, pad_top, pad_left, Ho, Wo): a 3x3 stride-1 convolution's sizes, padding 0-2 on each side."""
    N, C, K = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    pads = [draw(st.integers(0, 2)) for _ in range(4)]  # top, bottom, left, right
    H = draw(st.integers(max(1, 3 - pads[0] - pads[1]), max_side))
    W = draw(st.integers(max(1, 3 - pads[2] - pads[3]), max_side))
    return N, C, K, H, W, pads[0], pads[2], H + pads[0] + pads[1] - 2, W + pads[2] + pads[3] - 2


@st.composite
def conv2d_3x3_case(draw, dtype, kinds=KINDS, max_side=13):
    """(x, weight (C_out, C_in, 3, 3), bias-or-None, kwargs) with stride 1, dilation 1, one group; padding an int,
    a tuple, 'same' or 'valid'; x unbatched about one time in four."""
    padding = draw(st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, 2),
                             st.tuples(st.integers(0, 2), st.integers(0, 2))))
    pad = {"same": (1, 1), "valid": (0, 0)}.get(padding, padding) if not isinstance(padding, int) else (padding,) * 2
    H, W = (draw(st.integers(max(1, 3 - 2 * p), max_side)) for p in pad)
    c_in, c_out = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = draw(st.sampled_from([None, 1, 2, 3]))
    x = draw(float_arrays(((c_in,) if batch is None else (batch, c_in)) + (H, W), dtype, kinds))
    w = draw(float_arrays((c_out, c_in, 3, 3), dtype, kinds))
    b = draw(optional(float_arrays((c_out,), dtype, kinds)))
    return x, w, b, dict(padding=padding)


def _check_same(actual, expected, what):
    for a, e, name in zip(actual, expected, what.split()):
        assert a.dtype == e.dtype, f"{name}: dtype {a.dtype}, NumPy gives {e.dtype}"
        assert_close(a, e, name)


# ---------------------------------------------------------------------------------------------------------------
# The matrices: one tile is a 3x3 correlation, whatever the data
# ---------------------------------------------------------------------------------------------------------------

@given(seed=seeds)
def test_winograd_tile_is_a_correlation(seed):
    rng = np.random.default_rng(seed)
    d, g = rng.standard_normal((6, 6)), rng.standard_normal((3, 3))
    tile = W.AT @ ((W.G @ g @ W.G.T) * (W.BT @ d @ W.BT.T)) @ W.AT.T
    direct = np.array([[np.sum(d[u:u + 3, q:q + 3] * g) for q in range(4)] for u in range(4)])
    np.testing.assert_allclose(tile, direct, rtol=1e-12, atol=1e-12 * np.abs(d).max() * np.abs(g).max())


# ---------------------------------------------------------------------------------------------------------------
# Each numba kernel against the NumPy function it replaces
# ---------------------------------------------------------------------------------------------------------------

def _tiles(geo):
    *_, Ho, Wo = geo
    return W.tiles(Ho), W.tiles(Wo)


@pytest.mark.parametrize("dtype", DTYPES)
@given(geo=geometry(), kind=st.sampled_from(KINDS), seed=seeds)
@example(geo=(2, 3, 1, 1, 1, 2, 2, 3, 3), kind="ties", seed=0)  # one pixel, two of padding: every window mostly zeros
def test_input_tiles_kernel(dtype, geo, kind, seed):
    N, C, _, H, W, pad_top, pad_left, *_ = geo
    th, tw = _tiles(geo)
    x = fill((N, C, H, W), dtype, kind, seed)
    V, V_np = (np.full((36, C, N * th * (tw + 1)), np.nan, dtype) for _ in range(2))
    K.input_tiles(x, pad_top, pad_left, th, tw, V)
    R.input_tiles(x, pad_top, pad_left, th, tw, V_np)
    _check_same([V], [V_np], "V")


@pytest.mark.parametrize("dtype", DTYPES)
@given(geo=geometry(), kind=st.sampled_from(KINDS), seed=seeds)
def test_output_tiles_kernel(dtype, geo, kind, seed):
    N, _, C_out, *_, Ho, Wo = geo
    th, tw = _tiles(geo)
    M = fill((36, C_out, N * th * (tw + 1)), dtype, kind, seed)
    bias = fill((C_out,), dtype, kind, seed + 1)
    y, y_np = (np.full((N, C_out, Ho, Wo), np.nan, dtype) for _ in range(2))
    K.output_tiles(M, th, tw, bias, y)
    R.output_tiles(M, th, tw, bias, y_np)
    _check_same([y], [y_np], "y")


@pytest.mark.parametrize("dtype", DTYPES)
@given(geo=geometry(), kind=st.sampled_from(KINDS), seed=seeds)
def test_grad_output_tiles_kernel(dtype, geo, kind, seed):
    N, _, C_out, *_, Ho, Wo = geo
    th, tw = _tiles(geo)
    dy = fill((N, C_out, Ho, Wo), dtype, kind, seed)
    dM, dM_np = (np.full((36, C_out, N * th * (tw + 1)), np.nan, dtype) for _ in range(2))
    K.grad_output_tiles(dy, th, tw, dM)
    R.grad_output_tiles(dy, th, tw, dM_np)
    _check_same([dM], [dM_np], "dM")


@pytest.mark.parametrize("dtype", DTYPES)
@given(geo=geometry(), kind=st.sampled_from(KINDS), seed=seeds)
@example(geo=(1, 1, 1, 9, 9, 0, 0, 7, 7), kind="normal", seed=0)  # windows overlapping in both directions
def test_grad_input_tiles_kernel(dtype, geo, kind, seed):
    N, C, _, H, W, pad_top, pad_left, *_ = geo
    th, tw = _tiles(geo)
    dV = fill((36, C, N * th * (tw + 1)), dtype, kind, seed)
    dV.reshape(36, C, N * th, tw + 1)[..., tw] = 0  # the kernels' precondition: spare tiles zero, as U^T dM has them
    dx, dx_np = (np.full((N, C, H, W), np.nan, dtype) for _ in range(2))
    K.grad_input_tiles(dV, th, tw, pad_top, pad_left, dx)
    R.grad_input_tiles(dV, th, tw, pad_top, pad_left, dx_np)
    _check_same([dx], [dx_np], "dx")


# ---------------------------------------------------------------------------------------------------------------
# The whole convolution, through each path, against torch
# ---------------------------------------------------------------------------------------------------------------

PATHS = {  # conv2d's fast path on or off, and Winograd's tile transforms
    "winograd-numba": (True, K),
    "winograd-numpy": (True, R),  # the NumPy definitions as the transforms
    "im2col": (False, K),  # the definition
}


def _on_path(path, tiles_per_pass, fn):
    """Run ``fn()`` with conv2d switched to ``path`` and Winograd's passes cut at ``tiles_per_pass`` tiles."""
    on, transforms = PATHS[path]
    with numba_path("conv2d", on), switched(W, "transforms", transforms), switched(W, "TILES_PER_PASS", tiles_per_pass):
        return fn()


@pytest.mark.parametrize("path", [pytest.param(p, marks=KERNELS_FORBIDDEN if PATHS[p][0] else ()) for p in PATHS])
@pytest.mark.parametrize("dtype", DTYPES)
@given(case=conv2d_3x3_case(np.float64), tiles_per_pass=st.sampled_from([1, 4, W.TILES_PER_PASS]), seed=seeds)
@example(case=(fill((5, 3, 16, 16), np.float64, "normal", 0), fill((4, 3, 3, 3), np.float64, "normal", 1),
               fill((4,), np.float64, "normal", 2), dict(padding=1)), tiles_per_pass=32, seed=0)  # 3 passes: 2+2+1
def test_conv2d_3x3_matches_torch(path, dtype, case, tiles_per_pass, seed):
    x, w, b, kwargs = case
    x, w = cast(x, dtype), cast(w, dtype)
    b = None if b is None else cast(b, dtype)
    _on_path(path, tiles_per_pass, lambda: check_function(
        "conv2d", lambda x, w, b: F.conv2d(x, w, b, **kwargs), lambda x, w, b: TF.conv2d(x, w, b, **kwargs),
        [x, w, b], seed=seed))


@KERNELS_FORBIDDEN
@given(case=conv2d_3x3_case(np.float64, GRADCHECK_KINDS, max_side=6), seed=seeds)
def test_conv2d_3x3_gradcheck(case, seed):
    x, w, b, kwargs = case
    _on_path("winograd-numba", W.TILES_PER_PASS,
             lambda: check_gradcheck("conv2d", lambda x, w, b: F.conv2d(x, w, b, **kwargs), x, w, b, seed=seed))


# ---------------------------------------------------------------------------------------------------------------
# The switch
# ---------------------------------------------------------------------------------------------------------------

@KERNELS_FORBIDDEN
def test_winograd_runs_only_where_it_applies(monkeypatch):
    calls = []

    def spy(name):
        kernel = getattr(K, name)
        return lambda *args: calls.append(name) or kernel(*args)

    names = ("input_tiles", "output_tiles", "grad_output_tiles", "grad_input_tiles")
    spies = SimpleNamespace(num_threads=K.num_threads, **{name: spy(name) for name in names})
    monkeypatch.setattr(W, "transforms", spies)
    rng = np.random.default_rng(0)
    x, w3, w2 = rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal((4, 3, 2, 2))
    w3g = rng.standard_normal((3, 1, 3, 3))
    for use, weight, kwargs, expected in [
        # forward: V, then y; backward: V again (recomputed, not kept), dM, dx
        (True, w3, dict(padding=1), ["input_tiles", "output_tiles", "input_tiles", "grad_output_tiles",
                                     "grad_input_tiles"]),
        (False, w3, dict(padding=1), []),
        (True, w3, dict(padding=1, stride=2), []),
        (True, w3, dict(padding=2, dilation=2), []),
        (True, w3g, dict(padding=1, groups=3), []),
        (True, w2, dict(), []),
    ]:
        calls.clear()
        with numba_path("conv2d", use):
            y, backward = F.conv2d(x, weight, None, **kwargs)
            backward(y)
        assert calls == expected, f"fast path {use}, weight {weight.shape}, {kwargs}: kernels called {calls}"


def test_inputs_and_dy_are_not_changed():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 7, 9)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    x_t = x.transpose(0, 1, 3, 2)  # a non-contiguous input takes the same path
    for inp in (x, x_t):
        before = [a.copy() for a in (inp, w, b)]
        y, backward = F.conv2d(inp, w, b, padding=1)
        dy = rng.standard_normal(y.shape)
        dy_before = dy.copy()
        backward(dy)
        for a, a0 in zip((inp, w, b, dy), before + [dy_before]):
            np.testing.assert_array_equal(a, a0)


@pytest.mark.parametrize("path", list(PATHS))
def test_without_input_grad_the_parameter_grads_are_the_same(path):
    # input_grad=False (a first layer reading data) skips dx on every path and changes nothing else, bit for bit
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((5, 3, 9, 7)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)

    def both():
        y, backward = F.conv2d(x, w, b, padding=1)
        y0, backward0 = F.conv2d(x, w, b, padding=1, input_grad=False)
        dy = rng.standard_normal(y.shape)
        return y, y0, backward(dy), backward0(dy)

    y, y0, (dx, dw, db), (dx0, dw0, db0) = _on_path(path, W.TILES_PER_PASS, both)
    assert dx0 is None and dx.shape == x.shape
    for a, a0 in ((y, y0), (dw, dw0), (db, db0)):
        np.testing.assert_array_equal(a, a0)
