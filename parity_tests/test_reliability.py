"""Non-finite values and empty inputs (issue 18): where torch gives an answer, ours is the same, in the same places;
where torch refuses, we refuse with a sentence naming the layer.

Pinned cases rather than drawn ones: each test puts one inf, one NaN or one empty dim exactly where a bug once
spread it (0 * inf in an unused term, a matrix product that multiplies every pixel by a zero weight, 0 / 0 in the
statistics of nothing) and compares with torch run here, gradients included, for a random upstream gradient.
``conftest`` turns floating-point warnings into errors: a test that feeds inf or NaN on purpose allows them around
that call only, and a layer given finite input must not raise them.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import scratch.functional as F
import scratch.nn as nn
import torch_impl.functional as TF
import torch_impl.nn as tnn
from parity_tests.harness import NUMBA_PATHS, assert_close, check_function, check_module, numba_path, switched
from scratch.functional import _winograd, _winograd_kernels, _winograd_reference

DTYPES = [np.float64, np.float32]


def torch_grads(torch_fn, inputs, dy, wrt):
    """``torch_fn(*inputs)`` and the gradients of the inputs at ``wrt`` for the upstream gradient ``dy``."""
    tensors = [torch.from_numpy(a.copy()).requires_grad_(i in wrt) if isinstance(a, np.ndarray) else a
               for i, a in enumerate(inputs)]
    y = torch_fn(*tensors)
    grads = torch.autograd.grad(y, [tensors[i] for i in wrt], torch.from_numpy(dy))
    return y.detach().numpy(), [g.numpy() for g in grads]


# 1. cross_entropy: no 0 * inf from a smoothing term that is not there --------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_with_a_minus_inf_logit_matches_torch(reduction, label_smoothing):
    # -inf is a class the model rules out: its probability is 0, the loss of the other targets is finite. With
    # smoothing the uniform target gives that class weight, and the loss is inf, as torch's.
    x = np.array([[0.0, -np.inf, 1.0], [2.0, 0.5, -1.0]])
    t = np.array([0, 1])
    options = dict(reduction=reduction, label_smoothing=label_smoothing)
    check_function("cross_entropy", lambda x, t, w: F.cross_entropy(x, t, w, **options),
                   lambda x, t, w: TF.cross_entropy(x, t, w, **options), [x, t, None])
    if label_smoothing == 0 and reduction == "mean":
        y, _ = F.cross_entropy(x, t)
        assert np.isclose(y, 1.5272864920876899, rtol=1e-14, atol=0)  # torch's value


def test_cross_entropy_of_huge_float32_logits_is_inf_not_nan():
    # The logits differ by 6e38, past float32's range: log p of the target is -inf, the loss inf (torch's answer),
    # and the gradient softmax - onehot stays finite. Finite input: no floating-point error may escape.
    x = np.array([[3e38, -3e38, 0.0], [1.0, 2.0, 3.0]], np.float32)
    t = np.array([1, 0])
    check_function("cross_entropy", F.cross_entropy, TF.cross_entropy, [x, t, None])
    check_function("softmax", lambda x: F.softmax(x, 1), lambda x: torch.softmax(x, 1), [x])
    check_function("log_softmax", lambda x: F.log_softmax(x, 1), lambda x: torch.log_softmax(x, 1), [x])
    y, backward = nn.CrossEntropyLoss()(x, t)
    assert np.isposinf(y) and np.isfinite(backward(np.float32(1.0))).all()


# 5. relu and l1_loss route NaN as torch does -----------------------------------------------------------------------

_X_SPECIAL = np.array([np.nan, -1.0, 0.0, 2.0, np.inf, -np.inf, np.nan, -1.0, 0.0, 2.0])


def _dy_with_nans(n: int) -> np.ndarray:
    dy = np.random.default_rng(0).standard_normal(n)
    dy[n // 2 + 1:] = np.nan  # NaN upstream at a NaN, a negative, a zero and a positive input
    return dy


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_passes_dy_at_nan_and_drops_nan_dy_at_inactive_units_like_torch(dtype):
    # torch's relu backward selects (threshold_backward: dy where not y <= 0, else 0): it passes dy where the input
    # is NaN, and gives an exact 0 wherever the unit is off, even for a NaN dy. A 0/1 mask times dy does neither.
    x, dy = _X_SPECIAL.astype(dtype), _dy_with_nans(len(_X_SPECIAL)).astype(dtype)
    y, backward = F.relu(x)
    (dx,) = backward(dy)
    y_t, (dx_t,) = torch_grads(torch.relu, [x], dy, [0])
    assert_close(y, y_t, "relu output")
    assert_close(dx, dx_t, "relu dx")
    assert dx.dtype == dtype and np.isnan(dx).sum() == 2  # NaN dy at the NaN input and at 2.0; 0 at -1.0 and 0.0
    y, backward = nn.ReLU()(x)
    assert_close(backward(dy), dx_t, "ReLU dx")


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_l1_loss_slope_at_a_nan_difference_is_zero_like_torch(reduction):
    # torch differentiates |d| as sgn(d), and sgn(NaN) = 0: a NaN input gets a zero gradient for a finite dy (np.sign
    # gives NaN), while a NaN dy still makes NaN (NaN * slope), as in torch.
    x, t = _X_SPECIAL, np.zeros_like(_X_SPECIAL)
    y, backward = F.l1_loss(x, t, reduction=reduction)
    finite_dy = np.random.default_rng(1).standard_normal(y.shape)
    for dy in (finite_dy, _dy_with_nans(len(x)) if reduction == "none" else np.array(np.nan)):
        dinput, dtarget = backward(dy)
        y_t, (dinput_t, dtarget_t) = torch_grads(lambda x, t: torch.nn.functional.l1_loss(x, t, reduction=reduction),
                                                 [x, t], dy, [0, 1])
        assert_close(y, y_t, "l1_loss output")
        assert_close(dinput, dinput_t, "l1_loss dinput")
        assert_close(dtarget, dtarget_t, "l1_loss dtarget")


# 2. batch_norm of an empty batch leaves the running statistics alone ---------------------------------------------

EMPTY_BATCHES = [(0, 3), (0, 3, 4), (0, 3, 2, 2), (2, 3, 0), (2, 3, 0, 4)]


@pytest.mark.parametrize("use_numba", NUMBA_PATHS)
@pytest.mark.parametrize("shape", EMPTY_BATCHES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_training_on_an_empty_batch_matches_torch(use_numba, shape, dtype):
    # No values, no statistics: torch returns an empty output, leaves running_mean and running_var as they were
    # (a mean of nothing, 0 / 0, would write NaN into them) and gives weight and bias zero gradients.
    rng = np.random.default_rng(0)
    x = np.zeros(shape, dtype)
    running_mean, running_var = rng.standard_normal(3).astype(dtype), rng.uniform(0.5, 2, 3).astype(dtype)
    weight, bias = rng.standard_normal(3).astype(dtype), rng.standard_normal(3).astype(dtype)
    before = running_mean.copy(), running_var.copy()
    with numba_path("batch_norm", use_numba):
        check_function("batch_norm", lambda *a: F.batch_norm(*a, training=True),
                       lambda *a: torch.nn.functional.batch_norm(*a, training=True),
                       [x, running_mean, running_var, weight, bias], wrt=[0, 3, 4], mutable=[1, 2])
        _, backward = F.batch_norm(x, running_mean, running_var, weight, bias, training=True)
        dx, _, _, dweight, dbias = backward(np.zeros(shape, dtype))
    np.testing.assert_array_equal(running_mean, before[0])
    np.testing.assert_array_equal(running_var, before[1])
    assert dweight.dtype == dbias.dtype == dtype and not dweight.any() and not dbias.any()


@pytest.mark.parametrize("use_numba", NUMBA_PATHS)
def test_batch_norm2d_after_an_empty_batch_still_matches_torch_in_eval(use_numba):
    layer, layer_t = nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    x = np.random.default_rng(1).standard_normal((4, 3, 5, 5)).astype(np.float32)
    with numba_path("batch_norm", use_numba):
        check_module("BatchNorm2d", layer, layer_t, x)  # copies the weights across; one real batch first
        check_module("BatchNorm2d", layer, layer_t, np.zeros((0, 3, 5, 5), np.float32))
        layer.eval(), layer_t.eval()
        check_module("BatchNorm2d", layer, layer_t, x)
    assert np.isfinite(layer.running_mean).all() and np.isfinite(layer.running_var).all()


# 3. conv2d's Winograd path keeps an inf or NaN where torch does ----------------------------------------------------

CONV_PATHS = {  # (the fast path on, the transforms): Winograd with numba's, with the NumPy definitions, and im2col
    "winograd-numba": (True, _winograd_kernels),
    "winograd-numpy": (True, _winograd_reference),
    "im2col": (False, _winograd_kernels),
}


def _conv_case(dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 2, 9, 10)).astype(dtype)  # 3 images: with one image a pass, passes differ
    return x, rng.standard_normal((4, 2, 3, 3)).astype(dtype), rng.standard_normal(4).astype(dtype)


def _check_conv2d(path, x, w, b, dy=None, padding=1):
    use, transforms = CONV_PATHS[path]
    with numba_path("conv2d", use), switched(_winograd, "transforms", transforms), \
            switched(_winograd, "TILES_PER_PASS", 1):
        if dy is None:
            check_function("conv2d", lambda *a: F.conv2d(*a, padding=padding),
                           lambda *a: TF.conv2d(*a, padding=padding), [x, w, b])
            return
        y, backward = F.conv2d(x, w, b, padding=padding)
        grads = backward(dy)
    y_t, grads_t = torch_grads(lambda *a: TF.conv2d(*a, padding=padding), [x, w, b], dy, [0, 1, 2])
    assert_close(y, y_t, "conv2d output")
    for name, g, g_t in zip(("dx", "dweight", "dbias"), grads, grads_t):
        assert g.dtype == x.dtype
        assert_close(g, g_t, f"conv2d {name}")


@pytest.mark.parametrize("path", list(CONV_PATHS))
@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_keeps_a_non_finite_pixel_in_its_windows_like_torch(path, value, dtype):
    # One inf pixel reaches the 9 outputs whose windows read it (6 at an edge), as +-inf: torch has no NaN there.
    # Winograd's transforms made it 16 NaN, a whole 4x4 tile, and a NaN pixel likewise.
    x, w, b = _conv_case(dtype)
    x[1, 0, 4, 0] = value  # image 1 of 3: the passes before and after it are finite
    with np.errstate(invalid="ignore"):  # the NaN case: the gradient check's products meet NaN * 0 in torch's way
        _check_conv2d(path, x, w, b)
    y, _ = F.conv2d(x, w, b, padding=1)
    assert np.count_nonzero(~np.isfinite(y)) == 4 * 6  # 4 output channels, 6 windows at the left edge
    assert np.isnan(y).any() == np.isnan(value)


@pytest.mark.parametrize("path", list(CONV_PATHS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_non_finite_weight_matches_torch(path, dtype):
    x, w, b = _conv_case(dtype, seed=1)
    # Every output of channel 2 is +-inf (and dx, summing inf * dy of both signs, NaN). No padding: there inf * 0 is
    # NaN in float64, where torch's float32 (oneDNN) skips the padding and has inf.
    w[2, 1, 0, 2] = np.inf
    with np.errstate(invalid="ignore"):
        _check_conv2d(path, x, w, b, padding=0)


@pytest.mark.parametrize("path", list(CONV_PATHS))
@pytest.mark.parametrize("value", [np.inf, np.nan])
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_keeps_a_non_finite_dy_in_its_window_of_dx_like_torch(path, value, dtype):
    # A NaN in dy at one output reaches the 9 pixels of dx that window read (Winograd's transforms: its whole
    # 6x6 window of the tile, and the tile's neighbours), dweight's row of that channel and its dbias, as in torch.
    x, w, b = _conv_case(dtype, seed=2)
    dy = np.random.default_rng(3).standard_normal((3, 4, 9, 10)).astype(dtype)
    dy[2, 1, 5, 5] = value
    with np.errstate(invalid="ignore"):
        _check_conv2d(path, x, w, b, dy)


# 4. adaptive_avg_pool2d keeps an inf or NaN in the windows that contain it ---------------------------------------


@pytest.mark.parametrize("value", [np.inf, np.nan])
@pytest.mark.parametrize("output_size", [(3, 2), 1, (7, 4)])  # overlapping windows, global, upsampling
@pytest.mark.parametrize("dtype", DTYPES)
def test_adaptive_avg_pool2d_keeps_non_finite_values_in_their_windows_like_torch(value, output_size, dtype):
    # Averaging matrices multiply every pixel by 0 outside its windows: one inf made the whole plane NaN, and one
    # NaN in dy every pixel's gradient. torch sums each window's own pixels.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 4)).astype(dtype)
    x[1, 2, 2, 1] = value  # row 2 sits in two overlapping windows for Ho = 3
    y, backward = F.adaptive_avg_pool2d(x, output_size)
    dy = rng.standard_normal(y.shape).astype(dtype)
    dy[0, 1, -1, 0] = value
    y_t, (dx_t,) = torch_grads(lambda x: torch.nn.functional.adaptive_avg_pool2d(x, output_size), [x], dy, [0])
    assert_close(y, y_t, "adaptive_avg_pool2d output")
    assert_close(backward(dy)[0], dx_t, "adaptive_avg_pool2d dx")
    assert np.isfinite(y[0]).all() and np.isfinite(y[1, :2]).all()  # other planes untouched


# Empty inputs: torch's empty answer where it gives one, a clear error where it refuses -------------------------------


@pytest.mark.parametrize("shape, dim", [((2, 0), 1), ((0, 3), 0), ((0, 3), 1), ((2, 0, 3), 1)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_over_nothing_is_empty_like_torch(name, shape, dim):
    # A max over zero classes has no value to subtract (numpy: "zero-size array to reduction operation").
    check_function(name, lambda x: getattr(F, name)(x, dim), lambda x: getattr(torch, name)(x, dim),
                   [np.zeros(shape)])


def _ce(name, **options):
    return (lambda x, t, w: getattr(F, name)(x, t, w, **options),
            lambda x, t, w: getattr(TF, name)(x, t, w, **options))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_with_zero_classes_matches_torch(reduction, label_smoothing):
    # Zero classes: probability targets of zero classes, no samples at all, or every sample ignored. torch's values,
    # NaN where it has them ('mean' of nothing; label smoothing's eps / C = eps / 0).
    options = dict(reduction=reduction, label_smoothing=label_smoothing)
    cases = [(np.zeros((2, 0)), np.zeros((2, 0))), (np.zeros((0, 0)), np.zeros(0, np.int64)),
             (np.zeros((2, 0)), np.full(2, -100))]
    for x, t in cases:
        check_function("cross_entropy", *_ce("cross_entropy", **options), [x, t, None])
    with pytest.raises(ValueError, match=r"cross_entropy got target class 0, out of range for C=0 classes"):
        F.cross_entropy(np.zeros((2, 0)), np.array([0, -100]), **options)
    for x, t in cases[1:3]:
        check_function("nll_loss", *_ce("nll_loss", reduction=reduction), [x, t, None])


def test_flatten_of_an_empty_batch_matches_torch():
    # reshape(N, -1) cannot infer -1 when N is 0: the merged size is written out.
    for shape, start, end in [((0, 3, 4), 1, -1), ((0, 3, 4), 0, -1), ((3, 0, 4), 0, 1), ((2, 3, 0, 5), 1, 2)]:
        check_function("flatten", lambda x, start=start, end=end: F.flatten(x, start, end),
                       lambda x, start=start, end=end: torch.flatten(x, start, end), [np.zeros(shape)])
        y, _ = nn.Flatten(start, end)(np.zeros(shape))
        assert y.shape == torch.flatten(torch.zeros(shape), start, end).shape


@pytest.mark.parametrize("shape", [(0, 4, 3), (0, 4), (0, 4, 2, 0)])
def test_group_norm_of_an_empty_batch_matches_torch(shape):
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal(4), rng.standard_normal(4)
    check_function("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b), lambda x, w, b: TF.group_norm(x, 2, w, b),
                   [np.zeros(shape), w, b])


@pytest.mark.parametrize("shape", [(2, 4, 0), (2, 4, 0, 3)])
def test_group_norm_of_a_zero_spatial_size_is_empty_with_zero_parameter_grads(shape):
    # Groups of no values. torch returns the empty output too, but its weight gradient is NaN (it forms the mean of
    # nothing, 0 / 0, and multiplies by it); a sum over no terms is 0, which is what we give, as its bias gradient
    # and batch_norm's both are.
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal(4), rng.standard_normal(4)
    y, backward = F.group_norm(np.zeros(shape), 2, w, b)
    dx, dw, db = backward(np.zeros(shape))
    y_t = TF.group_norm(torch.zeros(shape, dtype=torch.float64), 2, torch.from_numpy(w), torch.from_numpy(b))
    assert y.shape == dx.shape == tuple(y_t.shape) == shape
    np.testing.assert_array_equal(dw, np.zeros(4))
    np.testing.assert_array_equal(db, np.zeros(4))


def test_layer_norm_of_zero_features_matches_torch():
    check_function("layer_norm", lambda x, w, b: F.layer_norm(x, 0, w, b), lambda x, w, b: TF.layer_norm(x, (0,), w, b),
                   [np.zeros((2, 0)), np.ones(0), np.zeros(0)])


@pytest.mark.parametrize("path", list(CONV_PATHS))
def test_convolutions_of_an_empty_batch_match_torch(path):
    rng = np.random.default_rng(0)
    w1, w2, wt, b = (rng.standard_normal(s) for s in [(2, 3, 3), (2, 3, 3, 3), (3, 2, 3, 3), (2,)])
    use, transforms = CONV_PATHS[path]
    with numba_path("conv2d", use), numba_path("conv_transpose2d", use), \
            switched(_winograd, "transforms", transforms):
        check_function("conv1d", lambda *a: F.conv1d(*a, padding=1), lambda *a: TF.conv1d(*a, padding=1),
                       [np.zeros((0, 3, 5)), w1, b])
        check_function("conv2d", lambda *a: F.conv2d(*a, padding=1), lambda *a: TF.conv2d(*a, padding=1),
                       [np.zeros((0, 3, 5, 5)), w2, b])
        check_function("conv_transpose2d", lambda *a: F.conv_transpose2d(*a, stride=2),
                       lambda *a: TF.conv_transpose2d(*a, stride=2), [np.zeros((0, 3, 4, 4)), wt, b])


RECURRENT = {"RNN": (nn.RNN, tnn.RNN), "LSTM": (nn.LSTM, tnn.LSTM), "GRU": (nn.GRU, tnn.GRU)}


@pytest.mark.parametrize("use_numba", [True, False])  # the LSTM's numba step, and NumPy's
@pytest.mark.parametrize("name", list(RECURRENT))
def test_recurrent_layers_of_an_empty_batch_match_torch(name, use_numba):
    np_cls, torch_cls = RECURRENT[name]
    for batch_first in (False, True):
        layer = np_cls(3, 4, num_layers=2, bidirectional=True, batch_first=batch_first, dtype=np.float64,
                       rng=np.random.default_rng(0))
        twin = torch_cls(3, 4, num_layers=2, bidirectional=True, batch_first=batch_first, dtype=torch.float64)
        with numba_path("lstm", use_numba):
            check_module(name, layer, twin, np.zeros((0, 5, 3) if batch_first else (5, 0, 3)))


@pytest.mark.parametrize("name", list(RECURRENT))
def test_recurrent_layers_refuse_an_empty_sequence_like_torch(name):
    # torch: "Expected sequence length to be larger than 0 in RNN". Ours says so, naming the layer.
    np_cls, torch_cls = RECURRENT[name]
    for batch_first, shape in [(False, (0, 2, 3)), (True, (2, 0, 3))]:
        with pytest.raises(RuntimeError, match="sequence length"):
            torch_cls(3, 4, batch_first=batch_first)(torch.zeros(shape))
        with pytest.raises(ValueError, match=rf"{name} expected a sequence of at least 1 step, got input of shape "
                                             + re.escape(str(shape))):
            np_cls(3, 4, batch_first=batch_first, dtype=np.float64)(np.zeros(shape))
    fn = {"RNN": F.rnn_tanh, "LSTM": F.lstm, "GRU": F.gru}[name]
    params = list(nn.LSTM(3, 4, dtype=np.float64)._flat_weights if name == "LSTM" else
                  np_cls(3, 4, dtype=np.float64)._flat_weights)
    args = (np.zeros((0, 2, 3)), None, None, params) if name == "LSTM" else (np.zeros((0, 2, 3)), None, params)
    with pytest.raises(ValueError, match=rf"{fn.__name__} expected a sequence of at least 1 step"):
        fn(*args)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("L, S", [(0, 0), (0, 3), (3, 0)])
def test_multihead_attention_of_empty_sequences_matches_torch(batch_first, L, S):
    # S = 0: a softmax over no keys; torch's output is then the output projection's bias alone.
    rng = np.random.default_rng(0)
    shape = (lambda T: (2, T, 4)) if batch_first else (lambda T: (T, 2, 4))
    q, k, v = rng.standard_normal(shape(L)), rng.standard_normal(shape(S)), rng.standard_normal(shape(S))
    layer = nn.MultiheadAttention(4, 2, batch_first=batch_first, dtype=np.float64, rng=rng)
    twin = tnn.MultiheadAttention(4, 2, batch_first=batch_first, dtype=torch.float64)
    for need_weights in (True, False):
        check_module("MultiheadAttention", layer, twin, q, k, v, None, need_weights, input_grads=[0, 1, 2])


# Messages that say what was expected -------------------------------------------------------------------------------


def test_wrong_rank_messages_give_the_least_rank():
    # They listed every rank numpy allows: "(1 or 2 or 3 or ... or 63 dims)".
    cases = [(lambda: F.linear(np.zeros(()), np.ones((2, 3))),
              r"linear expected input of shape \(\*, in_features\) \(at least 1 dim\), got shape \(\)$"),
             (lambda: F.batch_norm(np.zeros(3), None, None, training=True),
              r"batch_norm expected input of shape \(N, C, \*\) \(at least 2 dims\), got shape \(3,\)$"),
             (lambda: F.group_norm(np.zeros(3), 1),
              r"group_norm expected input of shape \(N, C, \*\) \(at least 2 dims\), got shape \(3,\)$")]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()


def test_layer_norm_says_a_negative_size_is_invalid():
    for call in (lambda: F.layer_norm(np.zeros((2, 3)), -1), lambda: F.layer_norm(np.zeros((2, 3)), (3, -1))):
        with pytest.raises(ValueError, match="layer_norm expected normalized_shape to be one or more sizes >= 0, "
                                             r"got .*-1\)?: a negative size is invalid"):
            call()
    with pytest.raises(ValueError, match="LayerNorm expected normalized_shape .* a negative size is invalid"):
        nn.LayerNorm(-1)


def test_graph_twins_refuse_edge_indices_outside_the_nodes_like_the_numpy_side():
    # torch indexing read -1 as the last node, silently: both sides now name the layer and the bad index.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))
    for bad in (-1, 4):
        edge_index = np.array([[0, 1, bad], [1, 2, 3]])
        message = rf"expected edge_index entries in \[0, 4\) for 4 nodes, got {bad}$"
        layers = [("GCNConv", nn.GCNConv(3, 2, dtype=np.float64), tnn.GCNConv(3, 2, dtype=torch.float64)),
                  ("GATConv", nn.GATConv(3, 2, heads=2, dtype=np.float64), tnn.GATConv(3, 2, heads=2,
                                                                                       dtype=torch.float64))]
        for name, layer, twin in layers:
            with pytest.raises(ValueError, match=name + " " + message):
                layer(x, edge_index)
            with pytest.raises(ValueError, match=name + " " + message):
                twin(torch.from_numpy(x), torch.from_numpy(edge_index))
        w, att = rng.standard_normal((2, 3)), rng.standard_normal((1, 1, 2))
        for name, np_fn, torch_fn, args in [("gcn_conv", F.gcn_conv, TF.gcn_conv, (w,)),
                                            ("gat_conv", F.gat_conv, TF.gat_conv, (w, att, att))]:
            with pytest.raises(ValueError, match=name + " " + message):
                np_fn(x, edge_index, *args)
            with pytest.raises(ValueError, match=name + " " + message):
                torch_fn(torch.from_numpy(x), torch.from_numpy(edge_index), *map(torch.from_numpy, args))
