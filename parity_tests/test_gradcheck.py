"""The public gradient checker must pass right backwards and catch wrong ones, saying where."""
from __future__ import annotations

import numpy as np
import pytest

import scratch.functional as F
from scratch.gradcheck import gradcheck


def test_passes_a_correct_backward():
    rng = np.random.default_rng(0)
    report = gradcheck(F.linear, rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2))
    assert report.ok and bool(report)
    assert len(report.inputs) == 3 and report.max_abs_error < 1e-8
    assert "gradcheck passed" in str(report)


def test_catches_a_wrong_backward_and_names_the_element():
    def wrong_square(x):
        y = x * x
        def backward(dy):
            dx = 2 * x * dy
            dx[1, 2] *= 1.5  # one wrong element
            return (dx,)
        return y, backward

    report = gradcheck(wrong_square, np.random.default_rng(1).standard_normal((3, 4)) + 3.0)
    assert not report.ok
    assert report.inputs[0].worst_index == (1, 2)
    assert "FAILED" in str(report) and "<-- wrong" in str(report)


def _sigmoid_with_backward_times(factor):
    """A sigmoid whose backward is ``factor`` times too large where it saturates (|x| > 10)."""
    def sigmoid(x):
        y = 1 / (1 + np.exp(-x))
        return y, lambda dy: (dy * y * (1 - y) * np.where(np.abs(x) > 10, factor, 1.0),)
    return sigmoid


def test_catches_a_wrong_backward_where_every_slope_is_small():
    # Saturated at |x| ~ 15, sigmoid's slopes are ~3e-7: a backward twice too large there is wrong by less than
    # 1e-6 everywhere, so the absolute criterion this checker had (|a - n| <= 1e-6 + 1e-5 |n|) passed it. The
    # absolute part now scales with the gradient's own size, down to the rounding floor of central differences.
    rng = np.random.default_rng(0)
    x = rng.uniform(14, 16, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
    report = gradcheck(_sigmoid_with_backward_times(2.0), x)
    assert not report.ok, str(report)
    assert report.max_abs_error < 1e-6  # what the absolute criterion allowed
    assert report.inputs[0].analytic == pytest.approx(2 * report.inputs[0].numeric, rel=1e-3)
    correct = gradcheck(_sigmoid_with_backward_times(1.0), x)  # the right backward, on the same saturated inputs
    assert correct.ok, str(correct)


def test_a_large_element_does_not_widen_the_bound_on_the_small_ones():
    # y = s * x with s = (1e3, 1e-2): the backward's slope for the second element is 1e-4 off (1%). A bound scaled
    # up by max|numeric| = 1e3 (1e-3) would pass it; the rounding floor here is ~4e-6.
    s = np.array([1e3, 1e-2])
    x = np.array([0.7, -1.3])
    wrong = gradcheck(lambda x: (s * x, lambda dy: (dy * (s + [0.0, 1e-4]),)), x)
    assert not wrong.ok, str(wrong)
    right = gradcheck(lambda x: (s * x, lambda dy: (dy * s,)), x)
    assert right.ok, str(right)


def test_gradient_that_is_zero_passes_within_the_rounding_floor():
    # y = x - mean(x) + c with dy constant: the gradient is exactly 0, its central differences are rounding noise
    # of the loss's terms (~1e3 here), and the criterion's rounding floor must cover them.
    x = np.random.default_rng(4).standard_normal((4, 6))
    report = gradcheck(lambda x: (x - x.mean() + 1e3, lambda dy: (dy - dy.mean(),)), x, dy=np.ones((4, 6)))
    assert report.ok, str(report)
    assert report.rounding > 0 and "rounding floor" in str(report)


def test_a_sum_loss_would_hide_what_a_random_dy_finds():
    # A backward that averages dy over the batch agrees with the truth when dy is constant (as for y.sum()),
    # and is caught by gradcheck's random dy.
    def mean_dy_linear(x, w):
        y = x @ w.T
        def backward(dy):
            dy_bad = np.broadcast_to(dy.mean(axis=0), dy.shape)
            return dy_bad @ w, dy.T @ x
        return y, backward

    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    assert gradcheck(mean_dy_linear, x, w, dy=np.ones((5, 4))).ok
    assert not gradcheck(mean_dy_linear, x, w).ok


def test_nested_outputs_and_non_differentiable_inputs():
    def two_outputs(x, k):
        y1, y2 = x * k, np.sin(x)
        return (y1, (y2,)), lambda dys: (dys[0] * k + dys[1][0] * np.cos(x), None)

    report = gradcheck(two_outputs, np.linspace(-1, 1, 6).reshape(2, 3), 3)
    assert report.ok and [r.index for r in report.inputs] == [0]


def test_rejects_float32_and_missing_inputs():
    with pytest.raises(TypeError, match="float64 arrays only"):
        gradcheck(F.relu, np.ones(3, np.float32), wrt=[0])
    with pytest.raises(ValueError, match="no float64 array"):
        gradcheck(lambda k: (np.ones(1), lambda dy: (None,)), 3)
