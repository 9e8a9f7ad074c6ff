"""Initialisers: torch.nn.init's names and formulas. The draws cannot match torch's, so the distributions are tested.

Every random initialiser is checked on both sides, ours and torch's own function on the same shape, against the
formula's bound or standard deviation, with tolerances that cannot fail by chance:

- A uniform U(-b, b) over n draws: every |x| <= b, and max |x| >= (1 - 1e-3) b. The second fails with probability
  (1 - 1e-3)^n, below 1e-14 for n >= 32768.
- The second moment ``mean(x^2)`` (mean known to be 0) estimates the variance: relative standard error
  sqrt(2 / n) for a normal, sqrt(4/5 / n) for a uniform (Var(x^2) / E[x^2]^2 = (b^4/5 - b^4/9) / (b^4/9) = 4/5).
  We allow 6 of those standard errors (two-sided probability 2e-9 per check; a few thousand checks in a thorough
  run stay below 1e-5 in all), about 3% on the variance at n = 32768: a wrong fan (fan_in for fan_in + fan_out)
  or a missing gain (sqrt(2)) moves it by 25% or more.
- orthogonal_: orthonormal rows or columns to 1e-10 in float64.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import scratch.nn.init as init
import torch_impl.nn.init as tinit
from parity_tests.harness import record

# Non-square shapes, so that fan_in, fan_out and their mean all differ (a wrong fan changes the scale).
LARGE_SHAPES = [(256, 128), (96, 32, 3, 3), (128, 512), (64, 24, 5)]
SIGMAS = 6.0
NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                  "sigmoid", "tanh", "relu", "leaky_relu", "selu"]


def fans(shape):
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def check_uniform(name, x, bound, slack=0.0):
    """``slack``: the absolute rounding of the stored values (float32 draws around a nonzero mean)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    assert np.abs(x).max() <= bound * (1 + 1e-6) + slack, f"{name}: max |x| = {np.abs(x).max()} > bound {bound}"
    assert np.abs(x).max() >= bound * (1 - 1e-3), f"{name}: max |x| = {np.abs(x).max()}, far below bound {bound}"
    check_variance(name, x, bound**2 / 3, relative_se=math.sqrt(0.8 / x.size))


def check_normal(name, x, std):
    x = np.asarray(x, dtype=np.float64).ravel()
    check_variance(name, x, std**2, relative_se=math.sqrt(2.0 / x.size))


def check_variance(name, x, variance, relative_se):
    estimate = np.mean(x**2)
    assert abs(estimate / variance - 1) <= SIGMAS * relative_se, (
        f"{name}: mean(x^2) = {estimate:.6g}, expected variance {variance:.6g} within {SIGMAS} standard errors "
        f"({SIGMAS * relative_se:.2%})")


def on_both_sides(name, np_fn, torch_fn, shape, dtype, seed, check):
    """Apply our initialiser and torch's to the same shape; both must pass ``check``; our dtype is kept."""
    rec = record(name)
    rec.examples += 1
    try:
        x = np.full(shape, np.nan, dtype=dtype)
        out = np_fn(x, np.random.default_rng(seed))
        assert out is x and x.dtype == dtype, f"{name} must fill the array in place and keep its dtype"
        check(f"{name} (numpy)", x)
        t = torch.empty(shape, dtype=torch.float64)
        torch_fn(t, torch.Generator().manual_seed(seed))
        check(f"{name} (torch)", t.numpy())
    except BaseException:
        rec.failures += 1
        raise


shapes_and_seeds = dict(shape=st.sampled_from(LARGE_SHAPES), seed=st.integers(0, 2**32 - 1),
                        dtype=st.sampled_from([np.float64, np.float32]))


@given(gain=st.sampled_from([1.0, 5 / 3]) | st.floats(0.1, 3.0), **shapes_and_seeds)
def test_xavier_uniform(gain, shape, seed, dtype):
    fan_in, fan_out = fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    on_both_sides("xavier_uniform_", lambda x, rng: init.xavier_uniform_(x, gain, rng=rng),
                  lambda t, g: tinit.xavier_uniform_(t, gain, generator=g), shape, dtype, seed,
                  lambda name, x: check_uniform(name, x, bound))


@given(gain=st.sampled_from([1.0, 5 / 3]) | st.floats(0.1, 3.0), **shapes_and_seeds)
def test_xavier_normal(gain, shape, seed, dtype):
    fan_in, fan_out = fans(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    on_both_sides("xavier_normal_", lambda x, rng: init.xavier_normal_(x, gain, rng=rng),
                  lambda t, g: tinit.xavier_normal_(t, gain, generator=g), shape, dtype, seed,
                  lambda name, x: check_normal(name, x, std))


kaiming_args = dict(a=st.sampled_from([0.0, math.sqrt(5)]) | st.floats(0.0, 3.0),
                    mode=st.sampled_from(["fan_in", "fan_out"]),
                    nonlinearity=st.sampled_from(["leaky_relu", "relu", "tanh", "linear", "selu"]))


def kaiming_gain(a, nonlinearity):
    # Written out independently of both implementations.
    return {"leaky_relu": math.sqrt(2 / (1 + a * a)), "relu": math.sqrt(2), "tanh": 5 / 3, "linear": 1.0,
            "selu": 0.75}[nonlinearity]


@given(**kaiming_args, **shapes_and_seeds)
def test_kaiming_uniform(a, mode, nonlinearity, shape, seed, dtype):
    fan = fans(shape)[0 if mode == "fan_in" else 1]
    bound = kaiming_gain(a, nonlinearity) * math.sqrt(3.0 / fan)
    on_both_sides("kaiming_uniform_", lambda x, rng: init.kaiming_uniform_(x, a, mode, nonlinearity, rng=rng),
                  lambda t, g: tinit.kaiming_uniform_(t, a, mode, nonlinearity, generator=g), shape, dtype, seed,
                  lambda name, x: check_uniform(name, x, bound))


@given(**kaiming_args, **shapes_and_seeds)
def test_kaiming_normal(a, mode, nonlinearity, shape, seed, dtype):
    fan = fans(shape)[0 if mode == "fan_in" else 1]
    std = kaiming_gain(a, nonlinearity) / math.sqrt(fan)
    on_both_sides("kaiming_normal_", lambda x, rng: init.kaiming_normal_(x, a, mode, nonlinearity, rng=rng),
                  lambda t, g: tinit.kaiming_normal_(t, a, mode, nonlinearity, generator=g), shape, dtype, seed,
                  lambda name, x: check_normal(name, x, std))


@given(mean=st.floats(-2.0, 2.0), std=st.floats(0.01, 3.0), **shapes_and_seeds)
def test_normal_and_uniform(mean, std, shape, seed, dtype):
    def check_normal_mean(name, x):
        check_normal(name, np.asarray(x, dtype=np.float64) - mean, std)
        # The mean: standard error std / sqrt(n).
        assert abs(np.mean(x, dtype=np.float64) - mean) <= SIGMAS * std / math.sqrt(x.size), f"{name}: mean"

    on_both_sides("normal_", lambda x, rng: init.normal_(x, mean, std, rng=rng),
                  lambda t, g: tinit.normal_(t, mean, std, generator=g), shape, dtype, seed, check_normal_mean)
    # Stored in float32, a draw near mean +- std is rounded by up to eps * (|mean| + std) / 2, beyond the bound.
    slack = np.finfo(dtype).eps * (abs(mean) + std)
    on_both_sides("uniform_", lambda x, rng: init.uniform_(x, mean - std, mean + std, rng=rng),
                  lambda t, g: tinit.uniform_(t, mean - std, mean + std, generator=g), shape, dtype, seed,
                  lambda name, x: check_uniform(name, np.asarray(x, dtype=np.float64) - mean, std, slack))


@given(shape=st.lists(st.integers(1, 8), min_size=2, max_size=4).map(tuple), gain=st.floats(0.1, 3.0),
       seed=st.integers(0, 2**32 - 1))
@example(shape=(5, 5), gain=1.0, seed=0)
@example(shape=(2, 9), gain=1.0, seed=0)  # wide: orthonormal rows
@example(shape=(9, 2), gain=1.0, seed=0)  # tall: orthonormal columns
def test_orthogonal(shape, gain, seed):
    rows, cols = shape[0], math.prod(shape[1:])
    rec = record("orthogonal_")
    rec.examples += 1
    try:
        x = init.orthogonal_(np.empty(shape), gain, rng=np.random.default_rng(seed))
        t = tinit.orthogonal_(torch.empty(shape, dtype=torch.float64), gain,
                              generator=torch.Generator().manual_seed(seed))
        for side, w in (("numpy", x), ("torch", t.numpy())):
            q = w.reshape(rows, cols) / gain
            gram = q @ q.T if rows <= cols else q.T @ q
            assert np.abs(gram - np.eye(min(rows, cols))).max() <= 1e-10, f"orthogonal_ ({side}): not orthonormal"
    except BaseException:
        rec.failures += 1
        raise


def test_orthogonal_is_haar_distributed():
    # The sign fix makes Q uniform over orthogonal matrices; without it, QR's convention (R's diagonal > 0 or a
    # fixed sign pattern) biases Q. For Haar Q (n x n), E[Q_00] = 0; each draw's Q_00 lies in [-1, 1] with
    # variance 1/n, so the mean of 2000 draws has standard error sqrt(1 / (n * 2000)).
    n, draws = 3, 2000
    rng = np.random.default_rng(0)
    q00 = np.array([init.orthogonal_(np.empty((n, n)), rng=rng)[0, 0] for _ in range(draws)])
    # (Without the fix, LAPACK's Householder QR makes R[0, 0] = -sign(A[0, 0]) |A[:, 0]|, so Q[0, 0] < 0 always.)
    assert abs(q00.mean()) <= SIGMAS * math.sqrt(1 / (n * draws)), f"mean Q[0, 0] = {q00.mean():.3f}, expected 0"


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
@pytest.mark.parametrize("param", [None, 0, 0.2, 3])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == tinit.calculate_gain(nonlinearity, param)


def test_constants():
    for dtype in (np.float32, np.float64):
        x = np.empty((3, 4), dtype=dtype)
        assert init.zeros_(x) is x and np.array_equal(x, torch.nn.init.zeros_(torch.empty(3, 4)).numpy())
        assert init.ones_(x) is x and np.array_equal(x, torch.nn.init.ones_(torch.empty(3, 4)).numpy())
        assert init.constant_(x, 0.25) is x and np.array_equal(x, tinit.constant_(torch.empty(3, 4), 0.25).numpy())
        assert x.dtype == dtype


def test_init_bad_input():
    with pytest.raises(ValueError, match="Unsupported nonlinearity softmax"):
        tinit.calculate_gain("softmax")
    with pytest.raises(ValueError, match="Unsupported nonlinearity softmax"):
        init.calculate_gain("softmax")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        tinit.kaiming_uniform_(torch.empty(3, 4), mode="fan_avg")
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        init.kaiming_uniform_(np.empty((3, 4)), mode="fan_avg")
    with pytest.raises(ValueError, match=r"fan in and fan out need at least 2 dims, got shape \(4,\)"):
        init.xavier_uniform_(np.empty(4))
    with pytest.raises(ValueError, match=r"orthogonal_: only arrays with 2 or more dimensions are supported"):
        init.orthogonal_(np.empty(4))
