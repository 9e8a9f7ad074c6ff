"""Max, average and adaptive average pooling: parity with torch, gradcheck, module shells, bad input.

Cases are drawn as an input plus torch's positional arguments, so one list feeds both twins. Torch itself decides
which drawn geometries are valid (``_torch_accepts``): a window that does not fit the padded input is an error there,
and a dilated window that reads only padding is one here (see ``test_max_pool2d_window_of_only_padding``).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, example, given
from hypothesis import strategies as st

import scratch.functional as F
import scratch.nn as nn
import torch_impl.functional as TF
import torch_impl.nn as tnn
from parity_tests.harness import (
    KERNELS_FORBIDDEN,
    NUMBA_PATHS,
    check_function,
    check_gradcheck,
    check_module,
    check_state_dict_layout,
    numba_path,
)
from parity_tests.strategies import KINDS, cast, distinct, fill, float_arrays, seeds, sides
from parity_tests.tolerances import parity
from scratch.functional import _pooling_kernels


# max_pool2d has two paths: the NumPy code, which is the definition (the default), and the numba kernels
# (scratch.fast on). Every max_pool2d parity test runs both.
def max_pool_path(use_numba: bool):
    return numba_path("max_pool2d", use_numba)


@pytest.fixture(params=NUMBA_PATHS)
def each_max_pool_path(request):
    """Runs a (non-hypothesis) test once on each max_pool2d path."""
    with max_pool_path(request.param):
        yield request.param


DTYPES = [np.float64, np.float32]


@st.composite
def int_or_pair(draw, values):
    """``k`` or ``(kH, kW)``, as torch accepts both."""
    pair = (draw(values), draw(values))
    return pair[0] if pair[0] == pair[1] and draw(st.booleans()) else pair


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


@st.composite
def input_shape(draw):
    """``(N, C, H, W)`` with N, C in 1..3, or unbatched ``(C, H, W)``."""
    chw = (draw(st.integers(1, 3)), draw(sides), draw(sides))
    return chw if draw(st.booleans()) else (draw(st.integers(1, 3)),) + chw


def _torch_accepts(fn, shape, args) -> bool:
    """torch runs this geometry, and every output window reads at least one input element (its output is finite)."""
    try:
        y = fn(torch.zeros(shape, dtype=torch.float64), *args)
    except RuntimeError:
        return False
    return bool(torch.isfinite(y).all())


@st.composite
def max_pool2d_args(draw, shape, large_windows=True):
    """``(kernel_size, stride, padding, dilation, ceil_mode, return_indices)`` that torch accepts for ``shape``.

    Kernel sides 1-4, and in about one draw in six (``large_windows``) 12-16: windows of 144 to 256 taps, past
    what an int8 tap index holds, padded enough to fit inputs of sides 1-8.
    """
    if large_windows and draw(st.sampled_from([False, False, False, False, False, True])):
        kernel = draw(int_or_pair(st.integers(12, 16)))
        # the window must fit the padded input: side + 2 padding >= kernel, with padding <= kernel // 2
        padding = tuple(draw(st.integers(max(0, -(-(k - n) // 2)), k // 2))
                        for k, n in zip(_pair(kernel), shape[-2:]))
        dilation = 1
    else:
        kernel = draw(int_or_pair(st.integers(1, 4)))
        padding = tuple(draw(st.integers(0, k // 2)) for k in _pair(kernel))  # torch: padding <= kernel // 2
        dilation = draw(int_or_pair(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), int_or_pair(st.integers(1, 4))))
    args = (kernel, stride, padding, dilation, draw(st.booleans()), draw(st.booleans()))
    assume(_torch_accepts(TF.max_pool2d, shape, args[:5]))
    return args


@st.composite
def max_pool2d_case(draw, kinds=KINDS, large_windows=True):
    """``[x, kernel_size, stride, padding, dilation, ceil_mode, return_indices]``, x float64 of a drawn kind."""
    shape = draw(input_shape())
    return [draw(float_arrays(shape, np.float64, kinds))] + list(draw(max_pool2d_args(shape, large_windows)))


@st.composite
def avg_pool2d_args(draw, shape):
    """``(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)`` torch accepts."""
    kernel = draw(int_or_pair(st.integers(1, 4)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in _pair(kernel))
    stride = draw(st.one_of(st.none(), int_or_pair(st.integers(1, 4))))
    divisor = draw(st.one_of(st.none(), st.none(), st.sampled_from([-2, 1, 3, 7])))
    args = (kernel, stride, padding, draw(st.booleans()), draw(st.booleans()), divisor)
    assume(_torch_accepts(TF.avg_pool2d, shape, args))
    return args


@st.composite
def avg_pool2d_case(draw, kinds=KINDS):
    """``[x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override]``, x float64."""
    shape = draw(input_shape())
    return [draw(float_arrays(shape, np.float64, kinds))] + list(draw(avg_pool2d_args(shape)))


@st.composite
def adaptive_output_size(draw):
    """``o`` or ``(Ho, Wo)`` in 1..9 (larger than the input too), an entry None keeping that input size."""
    entry = st.one_of(st.integers(1, 9), st.none())
    return draw(st.one_of(st.integers(1, 9), st.tuples(entry, entry)))


def _cast(case, dtype):
    return [cast(case[0], dtype)] + case[1:]


def _check_max_pool2d(x, args, seed=0):
    """check_function on values and gradients; torch's indices, when asked for, exactly and apart.

    The harness gives backward one gradient per input and compares outputs with the float tolerance table, which
    has no entry for integer indices: so the twins it sees take x alone and return the values alone.
    """
    geometry, return_indices = args[:5], args[5]
    if return_indices:
        (y, indices), backward = F.max_pool2d(x, *args)
        _, indices_t = TF.max_pool2d(torch.from_numpy(x.copy()), *args)  # a copy: x may be any view
        assert indices.dtype == np.int64, indices.dtype
        np.testing.assert_array_equal(indices, indices_t.numpy())
        dy = fill(y.shape, y.dtype, "normal", seed)
        np.testing.assert_array_equal(backward((dy, indices))[0], backward(dy)[0])  # (dy, dindices) mirrors the output
    check_function("max_pool2d", lambda x: F.max_pool2d(x, *geometry), lambda x: TF.max_pool2d(x, *geometry), [x],
                   seed=seed)


# Edges pinned for max pooling: (x, kernel_size, stride, padding, dilation, ceil_mode, return_indices).
_ALL_EQUAL = [np.zeros((1, 1, 4, 4)), 2, None, 0, 1, False, True]  # batch of 1, every window one tie
_KERNEL_IS_PADDED_INPUT = [np.arange(18.0).reshape(2, 1, 3, 3), 5, None, 1, 1, False, False]  # 3 + 2 = 5
_STRIDE_OVER_KERNEL = [np.arange(64.0).reshape(1, 1, 8, 8) % 5, 2, 3, 0, 1, False, False]  # skips pixels, with ties
_CEIL_LAST_WINDOW_DROPPED = [np.arange(25.0).reshape(1, 5, 5), 2, 2, 1, 1, True, True]  # it would start in padding
_CEIL_KERNEL_OVER_INPUT = [np.arange(16.0).reshape(1, 1, 4, 4), 5, 2, 0, 1, True, False]  # torch allows it: 1 x 1
_CEIL_EXACT = [np.arange(36.0).reshape(1, 1, 6, 6), 3, 1, 0, 1, True, False]  # windows fit exactly: ceil = floor


def _large_window_input():
    """(1, 2, 13, 12) for 12 x 11 windows at stride 1 (2 x 2 of them, overlapping): 132 taps a window, more than an
    int8 tap index holds, and every window's max at one of the taps past 127 (the last row's 128-131)."""
    x = np.random.default_rng(18).permutation(2 * 13 * 12).reshape(1, 2, 13, 12).astype(np.float64)
    x[:, :, 12, 9] = 1000.0  # the max of the lower windows, taps 130 and 129
    x[:, :, 11, 10] = 500.0  # the max of the upper windows, taps 131 and 130
    return x


_LARGE_WINDOW = [_large_window_input(), (12, 11), 1, 0, 1, False, True]

# 2x2 windows side by side (the numba path's own kernel), an odd size whose last row and column no window reads,
# with ties, -inf and NaN windows
_TILED_2X2 = [np.array([[1, 1, -np.inf, -np.inf, 7], [0, 1, -np.inf, -np.inf, 7], [np.nan, 2, 3, np.nan, 7],
                        [2, np.nan, np.nan, 3, 7], [9, 9, 9, 9, 9]], dtype=np.float64)[None, None],
              2, 2, 0, 1, False, True]


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=max_pool2d_case(), seed=seeds)
@example(case=_ALL_EQUAL, seed=0)
@example(case=_KERNEL_IS_PADDED_INPUT, seed=0)
@example(case=_STRIDE_OVER_KERNEL, seed=0)
@example(case=_CEIL_LAST_WINDOW_DROPPED, seed=0)
@example(case=_CEIL_KERNEL_OVER_INPUT, seed=0)
@example(case=_CEIL_EXACT, seed=0)
@example(case=_TILED_2X2, seed=0)
@example(case=_LARGE_WINDOW, seed=0)
@example(case=[np.ones((1, 2, 5, 5)), 3, 1, 1, 2, False, True], seed=0)  # dilated, padded, overlapping, all ties
@pytest.mark.parametrize("use_numba", NUMBA_PATHS)
def test_max_pool2d_matches_torch(use_numba, dtype, case, seed):
    x, *args = _cast(case, dtype)
    with max_pool_path(use_numba):
        _check_max_pool2d(x, args, seed)


@given(case=max_pool2d_case(large_windows=False), seed=seeds)  # large windows: in the parity tests (gradcheck's cost)
@example(case=_ALL_EQUAL, seed=0)
@example(case=_STRIDE_OVER_KERNEL, seed=0)
@pytest.mark.parametrize("use_numba", NUMBA_PATHS)
def test_max_pool2d_gradcheck(use_numba, case, seed):
    # distinct values: at a tie the max is not differentiable, central differences average the tied slopes
    case = [distinct(case[0].shape, seed)] + case[1:]
    with max_pool_path(use_numba):
        check_gradcheck("max_pool2d", F.max_pool2d, *case, wrt=[0], seed=seed)


def test_max_pool2d_ties_go_to_the_first_max(each_max_pool_path):
    # Every window is all ties: torch routes each window's gradient to its first real element in row-major order.
    x = np.ones((1, 1, 3, 3))
    (y, indices), backward = F.max_pool2d(x, 2, stride=1, return_indices=True)
    dy = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    np.testing.assert_array_equal(indices, [[[[0, 1], [3, 4]]]])  # each window's top-left
    np.testing.assert_array_equal(backward(dy)[0], [[[[1, 2, 0], [3, 4, 0], [0, 0, 0]]]])
    # With padding the first real element is the first tap inside the input, never the -inf padding.
    (y, indices), backward = F.max_pool2d(x, 3, stride=1, padding=1, return_indices=True)
    np.testing.assert_array_equal(indices, [[[[0, 0, 1], [0, 0, 1], [3, 3, 4]]]])
    np.testing.assert_array_equal(backward(np.ones((1, 1, 3, 3)))[0], [[[[4, 2, 0], [2, 1, 0], [0, 0, 0]]]])


@pytest.mark.parametrize("fill_value", [-np.inf, np.nan])
def test_max_pool2d_infinite_and_nan_windows_match_torch(each_max_pool_path, fill_value):
    # An all -inf window ties with its -inf padding, which torch never reads; a NaN wins every window it is in
    # (torch keeps the last NaN it meets).
    x = np.arange(32.0).reshape(2, 1, 4, 4)
    x[0, 0, :2, :2] = -np.inf
    x[1, 0, 1, 1:3] = fill_value
    x[1, 0, 2, 3] = fill_value
    _check_max_pool2d(x, (3, 1, 1, 1, False, True))


@pytest.mark.parametrize("stride", [2, 1])  # windows side by side, and overlapping
def test_max_pool2d_routes_infinite_and_nan_gradients_like_torch(each_max_pool_path, stride):
    # torch scatters each window's dy to its max alone: an inf or NaN upstream gradient reaches that one pixel and
    # no other (a 0/1 mask times inf would put NaN on the window's other pixels).
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5))
    y, backward = F.max_pool2d(x, 2, stride)
    dy = np.random.default_rng(1).standard_normal(y.shape)
    dy[0, 0, 0, 0], dy[0, 1, 1, 1], dy[1, 2, 0, 1] = np.inf, -np.inf, np.nan
    x_t = torch.from_numpy(x).requires_grad_(True)
    TF.max_pool2d(x_t, 2, stride).backward(torch.from_numpy(dy))
    tol = parity(np.float64)  # overlapping windows add their shares in another order than torch's
    np.testing.assert_allclose(backward(dy)[0], x_t.grad.numpy(), rtol=tol.rtol, atol=tol.atol)  # NaN == NaN


def test_max_pool2d_window_of_only_padding():
    # A dilated window can step over a small input entirely: taps at rows -1 and 1 of a 1-row input.
    # torch outputs -inf there with an index outside the input and its backward writes through it (into the next
    # channel's plane, or past the array): we refuse the geometry instead.
    x = np.zeros((1, 2, 1, 2))
    y_t, indices_t = TF.max_pool2d(torch.from_numpy(x), 2, 1, 1, 2, return_indices=True)
    assert torch.isinf(y_t).all() and (indices_t >= 2).all()
    with pytest.raises(ValueError, match=r"max_pool2d expected every window to read at least one input element.*"
                                         r"along H \(size 1\) reads only padding"):
        F.max_pool2d(x, 2, 1, 1, 2)
    with pytest.raises(ValueError, match="MaxPool2d expected every window to read at least one input element"):
        nn.MaxPool2d(2, 1, 1, 2)(x)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=avg_pool2d_case(), seed=seeds)
@example(case=[np.arange(16.0).reshape(1, 1, 4, 4), 3, 2, 1, True, False, None], seed=0)  # overhang, no pad count
@example(case=[np.arange(16.0).reshape(1, 1, 4, 4), 3, 2, 1, True, True, None], seed=0)  # overhang, pad counted
@example(case=[np.arange(16.0).reshape(1, 4, 4), 5, 2, 0, True, True, None], seed=0)  # kernel over the input
@example(case=[np.ones((1, 1, 3, 3)), 5, None, 1, False, True, 3], seed=0)  # kernel = padded input, override
def test_avg_pool2d_matches_torch(dtype, case, seed):
    x, *args = _cast(case, dtype)
    check_function("avg_pool2d", lambda x: F.avg_pool2d(x, *args), lambda x: TF.avg_pool2d(x, *args), [x], seed=seed)


@given(case=avg_pool2d_case(("normal", "uniform")), seed=seeds)
def test_avg_pool2d_gradcheck(case, seed):
    check_gradcheck("avg_pool2d", F.avg_pool2d, *case, wrt=[0], seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=input_shape(), output_size=adaptive_output_size(), data=st.data())
@example(shape=(1, 3, 7, 5), output_size=1, data=None)  # global average pooling, batch of 1
@example(shape=(2, 1, 5, 3), output_size=(3, None), data=None)  # overlapping windows along H, W kept
def test_adaptive_avg_pool2d_matches_torch(dtype, shape, output_size, data):
    x = fill(shape, dtype, "normal", 0) if data is None else data.draw(float_arrays(shape, dtype))
    check_function("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, output_size),
                   lambda x: TF.adaptive_avg_pool2d(x, output_size), [x], seed=0 if data is None else data.draw(seeds))


@given(shape=input_shape(), output_size=adaptive_output_size(), seed=seeds)
def test_adaptive_avg_pool2d_gradcheck(shape, output_size, seed):
    x = fill(shape, np.float64, "normal", seed)
    check_gradcheck("adaptive_avg_pool2d", F.adaptive_avg_pool2d, x, output_size, seed=seed)


def test_adaptive_avg_pool2d_empty_output_matches_torch():
    # torch allows an output size of 0 (an empty output); its backward refuses one, so forward only.
    x = fill((2, 3, 4, 5), np.float64, "normal", 0)
    check_function("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (0, 2)),
                   lambda x: TF.adaptive_avg_pool2d(x, (0, 2)), [x], check_grads=False)
    y, backward = F.adaptive_avg_pool2d(x, (0, 2))
    assert y.shape == (2, 3, 0, 2) and not backward(y)[0].any()


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_max_pool2d_module_matches_torch(dtype, data):
    shape = data.draw(input_shape())
    kernel, stride, padding, dilation, ceil_mode, return_indices = data.draw(max_pool2d_args(shape))
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode,
                  return_indices=return_indices)
    x = data.draw(float_arrays(shape, dtype))
    layer, twin = nn.MaxPool2d(**kwargs), tnn.MaxPool2d(**kwargs)
    if return_indices:  # integer indices compared exactly here, the values and dx by the harness below
        (y, indices), backward = layer(x)
        np.testing.assert_array_equal(indices, twin(torch.from_numpy(x.copy()))[1].numpy())
        assert backward((y, indices)).shape == x.shape
        layer.return_indices = twin.return_indices = False
    check_module("MaxPool2d", layer, twin, x, seed=data.draw(seeds))


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_avg_pool2d_module_matches_torch(dtype, data):
    shape = data.draw(input_shape())
    kernel, stride, padding, ceil_mode, count_include_pad, divisor = data.draw(avg_pool2d_args(shape))
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                  count_include_pad=count_include_pad, divisor_override=divisor)
    x = data.draw(float_arrays(shape, dtype))
    check_module("AvgPool2d", nn.AvgPool2d(**kwargs), tnn.AvgPool2d(**kwargs), x, seed=data.draw(seeds))


@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=input_shape(), output_size=adaptive_output_size(), data=st.data())
def test_adaptive_avg_pool2d_module_matches_torch(dtype, shape, output_size, data):
    x = data.draw(float_arrays(shape, dtype))
    check_module("AdaptiveAvgPool2d", nn.AdaptiveAvgPool2d(output_size), tnn.AdaptiveAvgPool2d(output_size), x,
                 seed=data.draw(seeds))


_CONSTRUCTIONS = [
    ("MaxPool2d", (3,), {}),
    ("MaxPool2d", ((2, 3), (1, 2), (1, 0), 2, True, True), {}),
    ("MaxPool2d", (2,), dict(stride=None, ceil_mode=True)),
    ("AvgPool2d", (3,), {}),
    ("AvgPool2d", ((3, 2), 1, (1, 0), True, False, 5), {}),
    ("AdaptiveAvgPool2d", ((None, 4),), {}),
]


@pytest.mark.parametrize("name, args, kwargs", _CONSTRUCTIONS)
def test_pooling_modules_have_torch_attributes(name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs)
    public = {k: v for k, v in vars(theirs).items() if not k.startswith("_") and k != "training"}
    assert {k: getattr(ours, k) for k in public} == public
    assert ours.extra_repr() == theirs.extra_repr()
    check_state_dict_layout(name, ours, theirs)  # no parameters, no buffers: both empty


_X = np.zeros((2, 3, 4, 4))


@pytest.mark.parametrize("layer, call", [
    ("max_pool2d", lambda x: F.max_pool2d(x, 2)),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, 2)),
    ("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, 1)),
    ("MaxPool2d", lambda x: nn.MaxPool2d(2)(x)),
    ("AvgPool2d", lambda x: nn.AvgPool2d(2)(x)),
    ("AdaptiveAvgPool2d", lambda x: nn.AdaptiveAvgPool2d(1)(x)),
])
def test_pooling_bad_input(layer, call):
    with pytest.raises(ValueError, match=rf"{layer} expected input of shape \(N, C, H, W\) or \(C, H, W\) "
                                         r"\(3 or 4 dims\), got shape \(4, 4\)"):
        call(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=rf"{layer} expected input .*got shape \(1, 1, 1, 4, 4\)"):
        call(np.zeros((1, 1, 1, 4, 4)))
    with pytest.raises(TypeError, match=f"{layer} expected input to be float32 or float64, got int64"):
        call(np.zeros((2, 3, 4, 4), dtype=np.int64))
    with pytest.raises(TypeError, match=f"{layer} expected input to be a numpy.ndarray, got list"):
        call([[[0.0]]])


@pytest.mark.parametrize("layer, make", [
    ("max_pool2d", lambda **kw: lambda x: F.max_pool2d(x, **kw)),
    ("avg_pool2d", lambda **kw: lambda x: F.avg_pool2d(x, **kw)),
    ("MaxPool2d", lambda **kw: nn.MaxPool2d(**kw)),
    ("AvgPool2d", lambda **kw: nn.AvgPool2d(**kw)),
])
def test_pooling_bad_geometry(layer, make):
    with pytest.raises(ValueError, match=rf"{layer} expected a window that fits the padded input: "
                                         r"kernel_size=\(5, 5\).*is 4 x 4 \(output size 0 x 0\)"):
        make(kernel_size=5)(_X)
    with pytest.raises(ValueError, match=rf"{layer} expected a window that fits the padded input: "
                                         r"kernel_size=\(2, 7\).*is 6 x 6"):
        make(kernel_size=(2, 7), padding=1)(_X)
    with pytest.raises(ValueError, match=rf"{layer} expected padding at most half the kernel size, "
                                         r"kernel_size // 2 = \(1, 1\), got padding=\(2, 2\)"):
        make(kernel_size=3, padding=2)(_X)
    with pytest.raises(ValueError, match=rf"{layer} expected padding at most half.*= \(1, 0\), got padding=\(1, 1\)"):
        make(kernel_size=(2, 1), padding=1)(_X)
    with pytest.raises(ValueError, match=rf"{layer} expected stride >= 1, got 0"):
        make(kernel_size=2, stride=0)(_X)
    with pytest.raises(ValueError, match=rf"{layer} expected kernel_size >= 1, got \(0, 2\)"):
        make(kernel_size=(0, 2))(_X)
    with pytest.raises(ValueError, match=rf"{layer} expected padding >= 0, got -1"):
        make(kernel_size=2, padding=-1)(_X)
    with pytest.raises(ValueError, match=rf"{layer} expected an input with non-empty C, H and W, "
                                         r"got shape \(2, 0, 4, 4\)"):
        make(kernel_size=2)(np.zeros((2, 0, 4, 4)))


def test_pooling_bad_arguments_and_gradients():
    with pytest.raises(ValueError, match="max_pool2d expected dilation >= 1, got 0"):
        F.max_pool2d(_X, 2, dilation=0)
    with pytest.raises(ValueError, match="avg_pool2d expected divisor_override to be None or a nonzero int, got 0"):
        F.avg_pool2d(_X, 2, divisor_override=0)
    with pytest.raises(ValueError, match="AvgPool2d expected divisor_override to be None or a nonzero int, got 0"):
        nn.AvgPool2d(2, divisor_override=0)(_X)
    for layer, call in [("adaptive_avg_pool2d", F.adaptive_avg_pool2d),
                        ("AdaptiveAvgPool2d", lambda x, size: nn.AdaptiveAvgPool2d(size)(x))]:
        with pytest.raises(TypeError, match=rf"{layer} expected output_size to be an int or a pair .*got \(2,\)"):
            call(_X, (2,))
        with pytest.raises(ValueError, match=rf"{layer} expected output_size entries to be ints >= 0 or None, got -1"):
            call(_X, -1)
        with pytest.raises(ValueError, match=rf"{layer} expected an input with non-empty H and W"):
            call(np.zeros((1, 1, 0, 3)), 1)
    for name, (_, backward) in [("max_pool2d", F.max_pool2d(_X, 2)), ("avg_pool2d", F.avg_pool2d(_X, 2)),
                                ("adaptive_avg_pool2d", F.adaptive_avg_pool2d(_X, 2))]:
        with pytest.raises(ValueError, match=rf"{name}.backward expected dy of shape \(2, 3, 2, 2\)"
                                             r".*got \(2, 3, 4, 4\)"):
            backward(_X)
        with pytest.raises(TypeError, match=rf"{name}.backward expected dy of dtype float64.*got float32"):
            backward(np.zeros((2, 3, 2, 2), np.float32))


@KERNELS_FORBIDDEN
@given(case=max_pool2d_case(), seed=seeds)
@example(case=[np.ones((1, 2, 5, 5)), 3, 1, 1, 2, False, True], seed=0)  # dilated, padded, overlapping, all ties
@example(case=_TILED_2X2, seed=0)
@example(case=_LARGE_WINDOW, seed=0)
def test_max_pool2d_paths_agree(case, seed):
    # The numba kernels and the NumPy code pick the same tap in every window (ties, -inf, NaN included), so the
    # outputs and indices are equal; the gradients add overlapping windows' shares in another order.
    x, *args = case
    dy = np.random.default_rng(seed).standard_normal(TF.max_pool2d(torch.from_numpy(x.copy()), *args[:5]).shape)
    results = []
    for use_numba in (True, False):
        with max_pool_path(use_numba):
            out, backward = F.max_pool2d(x, *args[:5], return_indices=True)
            results.append((*out, backward(dy)[0]))
    (y1, i1, dx1), (y2, i2, dx2) = results
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(i1, i2)
    tol = parity(np.float64)
    np.testing.assert_allclose(dx1, dx2, rtol=tol.rtol, atol=tol.atol)


@pytest.mark.parametrize("dtype", DTYPES)
@given(n=st.integers(0, 2), c=st.integers(1, 3), h=st.integers(2, 9), w=st.integers(2, 9), seed=seeds)
@example(n=1, c=1, h=4, w=4, seed=0)
def test_max_pool2d_2x2_kernels_equal_the_general_ones(dtype, n, c, h, w, seed):
    # The 2x2 side-by-side kernels are a faster layout of the general ones: the same picks and the same dx, bit for
    # bit (signed zeros included: both give 0 + dy), with ties, -inf, NaN and odd sizes whose last row or column no
    # window covers.
    K = _pooling_kernels
    rng = np.random.default_rng(seed)
    x = rng.choice(np.array([0.0, 1.0, -1.0, -np.inf, np.nan, 2.5]), (n, c, h, w)).astype(dtype)
    x += rng.random(x.shape).astype(dtype) * (rng.random(x.shape) < 0.5)  # some distinct values, some ties
    shape = (n, c, h // 2, w // 2)
    y1, a1, y2, a2 = np.empty(shape, dtype), np.empty(shape, np.int8), np.empty(shape, dtype), np.empty(shape, np.int8)
    K.max_pool_forward_2x2(x, y1, a1)
    K.max_pool_forward(x, 2, 2, 2, 2, 0, 0, 1, 1, y2, a2)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(a1, a2)
    dy = rng.choice(np.array([1.5, -0.0, 0.0, np.inf, np.nan, -2.0]), shape).astype(dtype)
    dx1, dx2 = np.zeros(x.shape, dtype), np.zeros(x.shape, dtype)
    K.max_pool_backward_2x2(dy, a1, dx1)
    K.max_pool_backward(dy, a1, 2, 2, 2, 0, 0, 1, 1, dx2)
    np.testing.assert_array_equal(dx1, dx2)
    np.testing.assert_array_equal(np.signbit(dx1), np.signbit(dx2))


def test_max_pool2d_empty_batch(each_max_pool_path):
    x = np.zeros((0, 3, 4, 4), np.float32)
    y, backward = F.max_pool2d(x, 2)
    assert y.shape == (0, 3, 2, 2) and backward(np.zeros_like(y))[0].shape == x.shape
