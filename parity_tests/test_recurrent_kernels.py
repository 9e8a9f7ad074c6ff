"""The numba kernels of the LSTM step against the NumPy code they replace.

``scratch/functional/_recurrent_kernels.py`` fuses the elementwise arithmetic of the LSTM's NumPy step
(``recurrent.sequences._lstm_step`` and its ``step_back``). Each test runs a kernel (or ``lstm_step``, the fused step
built on them) and the NumPy code it stands for on the same arrays, float32 and float64, with the parity table's
tolerances. (The kernels repeat NumPy's operations in NumPy's order, so on x86-64 the two agree bit for bit; the table
leaves room for a compiler that contracts a multiply and an add into one FMA.) Parity with torch and gradcheck are in
test_recurrent.py: its tests run the NumPy definition (the default), its ``*_numba_steps`` tests the fast path.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import scratch.functional as F
from parity_tests.harness import assert_close
from parity_tests.strategies import KINDS, fill, float_arrays, seeds
from scratch import fast
from scratch.functional import _recurrent_kernels as K
from scratch.functional.activation import stable_sigmoid as sigmoid
from scratch.functional.recurrent.sequences import _lstm_step

DTYPES = [np.float64, np.float32]
ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------------------------

@st.composite
def lstm_step_case(draw, dtype):
    """One step's arrays: gx (N, 4H), h, c (N, H), w_hh_t (H, 4H), and upstream gradients dh, dc (N, H).

    Any value kind: wide values saturate the gates (exp(-|a|) underflows to 0, sigmoid is exactly 0 or 1), tiny ones
    sit at the sigmoid's switch between its two formulas. c and dc are sometimes column slices of a wider array,
    the strided views a user's c0 or dc_n can be.
    """
    N, H = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    gx, h, w_hh_t, dh = (draw(float_arrays(shape, dtype)) for shape in ((N, 4 * H), (N, H), (H, 4 * H), (N, H)))
    c, dc = (draw(float_arrays((N, 2 * H), dtype))[:, ::2] if draw(st.booleans()) else draw(float_arrays((N, H), dtype))
             for _ in range(2))
    return gx, h, c, w_hh_t, dh, dc


def _check_same(actual, expected, what):
    for a, e, name in zip(actual, expected, what.split()):
        assert a.dtype == e.dtype, f"{name}: dtype {a.dtype}, NumPy gives {e.dtype}"
        assert_close(a, e, name)


# ---------------------------------------------------------------------------------------------------------------
# Each kernel against the NumPy expression it replaces
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@given(case=lstm_step_case(np.float64))
def test_lstm_preactivations_kernel(dtype, case):
    gx, h, _, w_hh_t, _, _ = (a.astype(dtype) for a in case)
    N, H = h.shape
    a = h @ w_hh_t
    e, g = np.empty((N, 3 * H), dtype), np.empty((N, H), dtype)
    expected = a + gx
    K.lstm_preactivations(a, gx, e, g)
    ifo = np.concatenate([expected[:, :2 * H], expected[:, 3 * H:]], axis=1)
    _check_same((a, e, g), (expected, -np.abs(ifo), expected[:, 2 * H:3 * H]), "a e g")


@pytest.mark.parametrize("dtype", DTYPES)
@given(N=st.integers(1, 8), H=st.integers(1, 8), kind=st.sampled_from(KINDS), seed=seeds)
@example(N=1, H=3, kind="ties", seed=0)  # exact zeros: the sigmoid's two formulas meet at a = 0
def test_lstm_cell_kernel(dtype, N, H, kind, seed):
    a = fill((N, 4 * H), dtype, kind, seed)
    c = fill((N, H), dtype, kind, seed + 1)
    expected, i, f, g = _activations(a)
    expected_c = f * c + i * g
    e = np.exp(-np.abs(np.concatenate([a[:, :2 * H], a[:, 3 * H:]], axis=1)))
    c_new = np.empty_like(c)
    K.lstm_cell(a, e, np.tanh(a[:, 2 * H:3 * H]), c, c_new)
    _check_same((a, c_new), (expected, expected_c), "act c_new")


def _activations(a):
    """[i, f, g, o] as the NumPy step computes them from the pre-activations a (N, 4H); also i, f, g."""
    H = a.shape[1] // 4
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    return np.concatenate([i, f, g, o], axis=1), i, f, g


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=lstm_step_case(np.float64))
def test_lstm_cell_back_kernel(dtype, case):
    gx, h, c, w_hh_t, dh, dc = (a.astype(dtype) for a in case)
    gh = h @ w_hh_t
    _, c_new, step_back = _lstm_step(gx, gh, h, c)
    expected = np.empty_like(gx)
    _, _, expected_dc = step_back(dh, dc, expected)
    act, _, _, _ = _activations(gx + gh)
    dgx, dc_prev = np.empty_like(gx), np.empty_like(c)
    K.lstm_cell_back(dh, np.ascontiguousarray(dc), act, np.ascontiguousarray(c), np.tanh(c_new), dgx, dc_prev)
    _check_same((dgx, dc_prev), (expected, expected_dc), "dgx dc_prev")


# ---------------------------------------------------------------------------------------------------------------
# The fused step and the switch between the paths
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@given(case=lstm_step_case(np.float64))
def test_fused_lstm_step_matches_numpy_step(dtype, case):
    gx, h, c, w_hh_t, dh, dc = (a.astype(dtype) for a in case)
    before = [a.copy() for a in (gx, h, c, dh, dc)]
    h_np, c_np, back_np = _lstm_step(gx, h @ w_hh_t, h, c)
    h_nb, c_nb, back_nb = K.lstm_step(gx, h @ w_hh_t, h, c)  # the fused step overwrites its gh: a fresh one each
    _check_same((h_nb, c_nb), (h_np, c_np), "h' c'")
    dgx_np, dgx_nb = np.empty_like(gx), np.empty_like(gx)
    dgh_np, _, dc_np = back_np(dh, dc, dgx_np)
    dgh_nb, _, dc_nb = back_nb(dh, dc, dgx_nb)
    assert dgh_np is None and dgh_nb is None  # the gradient of gh is dgx's
    _check_same((dgx_nb, dc_nb), (dgx_np, dc_np), "dgx dc")
    for a, b in zip((gx, h, c, dh, dc), before):
        np.testing.assert_array_equal(a, b)  # the fused step changes none of its inputs but gh


@st.composite
def lstm_sequence_case(draw, dtype):
    """A small stacked, maybe bidirectional LSTM call with maybe variable lengths: (x, h0, c0, params, options)."""
    T, N, I, H, L = (draw(st.integers(1, n)) for n in (5, 4, 4, 4, 2))
    D = 2 if draw(st.booleans()) else 1
    x = draw(float_arrays((T, N, I), dtype, ("normal", "ties")))
    h0, c0 = (draw(float_arrays((L * D, N, H), dtype, ("normal", "ties"))) for _ in range(2))
    params = [draw(float_arrays(p.shape, dtype, ("normal", "uniform"))) * dtype(0.5)
              for p in (np.empty(s) for s in _lstm_shapes(L, D, I, H))]
    lengths = draw(st.one_of(st.none(), st.lists(st.integers(1, T), min_size=N, max_size=N).map(np.array)))
    return x, h0, c0, params, dict(num_layers=L, bidirectional=D == 2, lengths=lengths)


def _lstm_shapes(L, D, I, H):
    return [s for layer in range(L) for _ in range(D)
            for s in ((4 * H, I if layer == 0 else D * H), (4 * H, H), (4 * H,), (4 * H,))]


def _lstm_both_paths(x, h0, c0, params, options, dy_seed):
    results = []
    for use_numba in (True, False):
        with fast.kernels(use_numba, "lstm"):
            (out, (h_n, c_n)), backward = F.lstm(x, h0, c0, params, **options)
        rng = np.random.default_rng(dy_seed)
        dy = [rng.standard_normal(a.shape).astype(a.dtype) for a in (out, h_n, c_n)]
        dx, dh0, dc0, dparams = backward((dy[0], (dy[1], dy[2])))
        results.append([out, h_n, c_n, dx, dh0, dc0, *dparams])
    return results


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=lstm_sequence_case(np.float64), seed=seeds)
def test_lstm_numba_path_matches_numpy_path(dtype, case, seed):
    x, h0, c0, params, options = case
    fused, plain = _lstm_both_paths(x.astype(dtype), h0.astype(dtype), c0.astype(dtype),
                                    [p.astype(dtype) for p in params], options, seed)
    _check_same(fused, plain, "out h_n c_n dx dh0 dc0 " + " ".join(f"dparam{k}" for k in range(len(params))))


def test_fast_switch_picks_the_path(monkeypatch):
    calls = []

    def spy(name):
        kernel = getattr(K, name)
        return lambda *args: calls.append(name) or kernel(*args)

    names = ("lstm_preactivations", "lstm_cell", "lstm_cell_back")
    for name in names:
        monkeypatch.setattr(K, name, spy(name))
    rng = np.random.default_rng(0)
    x, params = rng.standard_normal((3, 2, 2)), [rng.standard_normal(s) for s in ((8, 2), (8, 2), (8,), (8,))]
    kernels = 3 * ["lstm_preactivations", "lstm_cell"] + 3 * ["lstm_cell_back"]  # T = 3 steps
    default = kernels if fast.enabled("lstm") else []  # off, unless SCRATCH_FAST=1 turned them on
    on = [] if fast.forbidden() else kernels  # SCRATCH_NO_NUMBA=1 keeps them off whatever the switch says
    for use_numba, expected in ((None, default), (True, on), (False, [])):
        calls.clear()
        with fast.kernels(use_numba, "lstm") if use_numba is not None else contextlib.nullcontext():
            (out, (h_n, c_n)), backward = F.lstm(x, None, None, params)
            backward((out, (h_n, c_n)))
        assert calls == expected, f"kernels {use_numba or 'by default'}: kernels called {calls}"


@pytest.mark.parametrize("value, expected", [("", True), ("0", True), ("1", False)])
def test_scratch_no_numba_environment_variable(value, expected):
    env = dict(os.environ, SCRATCH_FAST="1", SCRATCH_NO_NUMBA=value, PYTHONPATH=str(ROOT))
    code = "from scratch import fast; print(fast.enabled('lstm'))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(expected), f"SCRATCH_NO_NUMBA={value!r}: the LSTM's kernels enabled: {out.strip()}"
