"""Conv1d, Conv2d and ConvTranspose2d: parity with torch, gradcheck, state_dict layout, bad input."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
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
    switched,
    torch_dtype,
)
from parity_tests.strategies import GRADCHECK_KINDS, KINDS, cast, fill, float_arrays, optional, seeds
from scratch.functional import _winograd

DTYPES = [np.float64, np.float32]

# torch warns that padding='same' with an even kernel copies the input; the copy is its business, not a failure.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


@st.composite
def _dims(draw, d, max_value):
    """An int (torch broadcasts it to every spatial dim) or a d-tuple."""
    return draw(st.one_of(st.integers(1, max_value), st.tuples(*[st.integers(1, max_value)] * d)))


def _per_dim(value, d):
    return value if isinstance(value, tuple) else (value,) * d


@st.composite
def conv_case(draw, d, dtype, kinds=KINDS, max_batch=3, max_side=8):
    """(x, weight, bias-or-None, kwargs) for a d-dim conv: groups, stride, padding (int, tuple, 'same', 'valid'),
    dilation drawn; x unbatched about one time in four; every spatial side big enough for the dilated kernel."""
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(d))
    # dilation <= 3 and a dilated kernel of at most 7 pixels, so that sides 1-8 can hold it
    dilation = tuple(draw(st.integers(1, min(3, 6 // (k - 1)) if k > 1 else 3)) for k in kernel)
    padding = draw(st.one_of(st.sampled_from(["same", "valid"]), st.integers(0, 2),
                             st.tuples(*[st.integers(0, 2)] * d)))
    stride = 1 if padding == "same" else draw(_dims(d, 3))
    reach = [dl * (k - 1) + 1 for dl, k in zip(dilation, kernel)]
    if padding == "same":
        total_pad = [r - 1 for r in reach]
    elif padding == "valid":
        total_pad = [0] * d
    else:
        total_pad = [2 * p for p in _per_dim(padding, d)]
    smallest = [max(1, r - p) for r, p in zip(reach, total_pad)]
    size = tuple(draw(st.integers(lo, max(lo, max_side))) for lo in smallest)
    batch = draw(st.sampled_from([None] + list(range(1, max_batch + 1))))
    lead = (c_in,) if batch is None else (batch, c_in)
    x = draw(float_arrays(lead + size, dtype, kinds))
    w = draw(float_arrays((c_out, c_in // groups) + kernel, dtype, kinds))
    b = draw(optional(float_arrays((c_out,), dtype, kinds)))
    if len(set(dilation)) == 1 and draw(st.booleans()):
        dilation = dilation[0]  # an int means the same dilation in every dim
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return x, w, b, kwargs


def conv1d_case(dtype, kinds=KINDS, **limits):
    return conv_case(1, dtype, kinds, **limits)


def conv2d_case(dtype, kinds=KINDS, **limits):
    return conv_case(2, dtype, kinds, **limits)


@st.composite
def conv_transpose2d_case(draw, dtype, kinds=KINDS, max_batch=3, max_side=6):
    """(x, weight (C_in, C_out/G, kH, kW), bias-or-None, kwargs): output_padding below max(stride, dilation), and
    padding small enough that the output has at least one pixel."""
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(2))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(2))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(2))
    output_padding = tuple(draw(st.integers(0, max(s, dl) - 1)) for s, dl in zip(stride, dilation))
    size = tuple(draw(st.integers(1, max_side)) for _ in range(2))
    # out = (n - 1) s - 2p + dl (k - 1) + op + 1 >= 1
    padding = tuple(draw(st.integers(0, min(2, ((n - 1) * s + dl * (k - 1) + op) // 2)))
                    for n, s, dl, k, op in zip(size, stride, dilation, kernel, output_padding))
    batch = draw(st.sampled_from([None] + list(range(1, max_batch + 1))))
    lead = (c_in,) if batch is None else (batch, c_in)
    x = draw(float_arrays(lead + size, dtype, kinds))
    w = draw(float_arrays((c_in, c_out // groups) + kernel, dtype, kinds))
    b = draw(optional(float_arrays((c_out,), dtype, kinds)))
    return x, w, b, dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
                         dilation=dilation)


def edge(x_shape, w_shape, bias=True, seed=0, transposed=False, **kwargs):
    """A hand-picked float64 case for @example, filled with standard normals."""
    kwargs.setdefault("groups", 1)
    x = fill(x_shape, np.float64, "normal", seed)
    w = fill(w_shape, np.float64, "normal", seed + 1)
    c_out = w_shape[1] * kwargs["groups"] if transposed else w_shape[0]
    b = fill((c_out,), np.float64, "normal", seed + 2) if bias else None
    return x, w, b, kwargs


# Edges the issue pins: batch of 1, a kernel exactly as large as the padded input, a stride larger than the kernel,
# a depthwise convolution (groups == in_channels), and an even kernel under 'same' (torch pads more at the end).
EDGES_2D = [
    edge((1, 2, 5, 5), (3, 2, 3, 3), padding=1),
    edge((2, 1, 3, 3), (2, 1, 5, 5), padding=1),
    edge((2, 2, 7, 7), (2, 2, 2, 2), stride=3),
    edge((2, 3, 6, 5), (6, 1, 3, 3), padding=1, groups=3),
    edge((2, 2, 5, 6), (3, 2, 2, 4), bias=False, padding="same", dilation=(3, 1)),
]
EDGES_T = [
    edge((1, 2, 3, 3), (2, 3, 3, 3), transposed=True, stride=2, padding=1, output_padding=1),
    edge((2, 2, 4, 4), (2, 2, 2, 2), transposed=True, stride=3, output_padding=(2, 0)),
    edge((2, 3, 4, 3), (3, 1, 3, 3), transposed=True, padding=1, groups=3),
    edge((2, 2, 3, 3), (2, 2, 3, 2), transposed=True, bias=False, dilation=3, output_padding=(2, 1)),
]


def _cast(case, dtype):
    x, w, b, kwargs = case
    return cast(x, dtype), cast(w, dtype), None if b is None else cast(b, dtype), kwargs


def _bound(fn, kwargs):
    return lambda x, w, b: fn(x, w, b, **kwargs)


def with_examples(edges):
    """Pin each edge case as an @example of a test taking (case, seed)."""
    def decorate(test):
        for case in reversed(edges):
            test = example(case=case, seed=0)(test)
        return test
    return decorate


# Functional parity -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=conv1d_case(np.float64), seed=seeds)
@example(case=edge((1, 3, 6), (3, 1, 4), bias=False, padding="same", groups=3), seed=0)  # depthwise, even 'same'
def test_conv1d_matches_torch(dtype, case, seed):
    x, w, b, kwargs = _cast(case, dtype)
    check_function("conv1d", _bound(F.conv1d, kwargs), _bound(TF.conv1d, kwargs), [x, w, b], seed=seed)


# conv2d and conv_transpose2d have a fast path (scratch.fast on): Winograd for conv2d's 3x3 stride-1 kernels, a numba
# col2im for the rest. Their parity tests run it and the definition (the default).
@pytest.mark.parametrize("use_numba", NUMBA_PATHS)
@pytest.mark.parametrize("dtype", DTYPES)
@given(case=conv2d_case(np.float64), seed=seeds)
@with_examples(EDGES_2D)
def test_conv2d_matches_torch(use_numba, dtype, case, seed):
    x, w, b, kwargs = _cast(case, dtype)
    with numba_path("conv2d", use_numba):
        check_function("conv2d", _bound(F.conv2d, kwargs), _bound(TF.conv2d, kwargs), [x, w, b], seed=seed)


@pytest.mark.parametrize("use_numba", NUMBA_PATHS)
@pytest.mark.parametrize("dtype", DTYPES)
@given(case=conv_transpose2d_case(np.float64), seed=seeds)
@with_examples(EDGES_T)
def test_conv_transpose2d_matches_torch(use_numba, dtype, case, seed):
    x, w, b, kwargs = _cast(case, dtype)
    with numba_path("conv_transpose2d", use_numba):
        check_function("conv_transpose2d", _bound(F.conv_transpose2d, kwargs), _bound(TF.conv_transpose2d, kwargs),
                       [x, w, b], seed=seed)


def _winograd_declines(*args, **kwargs):
    return None


@KERNELS_FORBIDDEN
@given(data=st.data(), transposed=st.booleans(), seed=seeds)
def test_col2im_paths_agree(data, transposed, seed):
    # The fast path runs col2im (conv2d's dx, conv_transpose2d's forward) in a numba loop that adds in the NumPy
    # code's order: every output and gradient bit for bit the same. Winograd declines, so conv2d takes im2col.
    x, w, b, kwargs = data.draw(conv_transpose2d_case(np.float64) if transposed else conv2d_case(np.float64))
    fn = F.conv_transpose2d if transposed else F.conv2d
    results = []
    for use_numba in (True, False):
        with numba_path(fn.__name__, use_numba), switched(_winograd, "conv2d_3x3", _winograd_declines):
            y, backward = fn(x, w, b, **kwargs)
            results.append((y, *backward(np.random.default_rng(seed).standard_normal(y.shape))))
    for a, b_ in zip(*results):
        assert (a is None) == (b_ is None)
        if a is not None:
            np.testing.assert_array_equal(a, b_)


# Gradcheck (independent of torch) -----------------------------------------------------------------------------------
# conv is linear in x, in w and in b, so there are no kinks to avoid; smaller sides keep central differences cheap.


@given(case=conv1d_case(np.float64, GRADCHECK_KINDS, max_batch=2, max_side=6), seed=seeds)
def test_conv1d_gradcheck(case, seed):
    x, w, b, kwargs = case
    check_gradcheck("conv1d", _bound(F.conv1d, kwargs), x, w, b, seed=seed)


@given(case=conv2d_case(np.float64, GRADCHECK_KINDS, max_batch=2, max_side=5), seed=seeds)
@with_examples(EDGES_2D)
def test_conv2d_gradcheck(case, seed):
    x, w, b, kwargs = case
    check_gradcheck("conv2d", _bound(F.conv2d, kwargs), x, w, b, seed=seed)


@given(case=conv_transpose2d_case(np.float64, GRADCHECK_KINDS, max_batch=2, max_side=4), seed=seeds)
@with_examples(EDGES_T)
def test_conv_transpose2d_gradcheck(case, seed):
    x, w, b, kwargs = case
    check_gradcheck("conv_transpose2d", _bound(F.conv_transpose2d, kwargs), x, w, b, seed=seed)


@given(case=conv_transpose2d_case(np.float64, ("normal",)), seed=seeds)
def test_conv_transpose2d_is_the_adjoint_of_conv2d(case, seed):
    # <conv2d(z, w), x> == <z, conv_transpose2d(x, w)> for every z of the transposed output's shape: the defining
    # property, checked without torch and without finite differences.
    x, w, _, kw = case
    y, _ = F.conv_transpose2d(x, w, None, **kw)
    z = np.random.default_rng(seed).standard_normal(y.shape)
    conv_z, _ = F.conv2d(z, w, None, kw["stride"], kw["padding"], kw["dilation"], kw["groups"])
    # conv2d(z) may have more positions than x when output_padding >= stride; the extra ones meet no x
    crop = conv_z[(..., slice(0, x.shape[-2]), slice(0, x.shape[-1]))]
    assert np.isclose(np.sum(crop * x), np.sum(z * y), rtol=1e-10, atol=1e-10 * np.abs(z * y).sum())


# Modules --------------------------------------------------------------------------------------------------------------


def _module_args(case):
    x, w, b, kwargs = case
    return dict(in_channels=w.shape[1] * kwargs["groups"], out_channels=w.shape[0], kernel_size=w.shape[2:],
                bias=b is not None, **kwargs)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=conv1d_case(np.float64), seed=seeds)
def test_conv1d_module_matches_torch(dtype, case, seed):
    args = _module_args(case)
    layer = nn.Conv1d(**args, dtype=dtype, rng=np.random.default_rng(seed))
    twin = tnn.Conv1d(**args, dtype=torch_dtype(dtype))
    check_module("Conv1d", layer, twin, cast(case[0], dtype), seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=conv2d_case(np.float64), seed=seeds)
@with_examples(EDGES_2D)
def test_conv2d_module_matches_torch(dtype, case, seed):
    args = _module_args(case)
    layer = nn.Conv2d(**args, dtype=dtype, rng=np.random.default_rng(seed))
    twin = tnn.Conv2d(**args, dtype=torch_dtype(dtype))
    check_module("Conv2d", layer, twin, cast(case[0], dtype), seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=conv_transpose2d_case(np.float64), seed=seeds, data=st.data())
def test_conv_transpose2d_module_matches_torch(dtype, case, seed, data):
    x, w, b, kwargs = case
    args = dict(in_channels=w.shape[0], out_channels=w.shape[1] * kwargs["groups"], kernel_size=w.shape[2:],
                bias=b is not None, **kwargs)
    layer = nn.ConvTranspose2d(**args, dtype=dtype, rng=np.random.default_rng(seed))
    twin = tnn.ConvTranspose2d(**args, dtype=torch_dtype(dtype))
    inputs = [cast(x, dtype)]
    # output_size overrides output_padding: any size from the smallest to stride - 1 more
    smallest = [(n - 1) * s - 2 * p + dl * (k - 1) + 1 for n, s, p, dl, k in
                zip(x.shape[-2:], kwargs["stride"], kwargs["padding"], kwargs["dilation"], w.shape[2:])]
    if min(smallest) >= 1 and data.draw(st.booleans(), label="pass output_size"):
        inputs.append(tuple(data.draw(st.integers(m, m + s - 1), label="output_size")
                            for m, s in zip(smallest, kwargs["stride"])))
    check_module("ConvTranspose2d", layer, twin, *inputs, seed=seed)


def test_conv_state_dict_layout():
    check_state_dict_layout("Conv1d", nn.Conv1d(4, 6, 3, groups=2), tnn.Conv1d(4, 6, 3, groups=2))
    check_state_dict_layout("Conv2d", nn.Conv2d(3, 8, (3, 2)), tnn.Conv2d(3, 8, (3, 2)))
    check_state_dict_layout("Conv2d", nn.Conv2d(4, 4, 3, groups=4, bias=False), tnn.Conv2d(4, 4, 3, groups=4,
                                                                                             bias=False))
    check_state_dict_layout("ConvTranspose2d", nn.ConvTranspose2d(4, 6, (3, 2), groups=2),
                            tnn.ConvTranspose2d(4, 6, (3, 2), groups=2))
    check_state_dict_layout("ConvTranspose2d", nn.ConvTranspose2d(2, 3, 2, bias=False),
                            tnn.ConvTranspose2d(2, 3, 2, bias=False))


@pytest.mark.parametrize("make, fan_in", [
    (lambda lib: lib.Conv2d(64, 8, 3, groups=2), 32 * 9),
    (lambda lib: lib.Conv1d(50, 8, 5), 50 * 5),
    # torch computes a transposed conv's fan_in from weight.shape[1], i.e. out_channels / groups
    (lambda lib: lib.ConvTranspose2d(8, 60, 3, groups=2), 30 * 9),
])
def test_conv_init_matches_torch_bounds(make, fan_in):
    # weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)); thousands of draws come within 3% of the bound.
    layer, twin = make(nn), make(tnn)
    bound = 1 / np.sqrt(fan_in)
    assert twin.weight.detach().abs().max().item() <= bound  # the formula is torch's
    assert bound * 0.97 < np.abs(layer.weight).max() <= bound
    assert np.abs(layer.bias).max() <= bound and layer.weight.dtype == np.float32


# Bad input ----------------------------------------------------------------------------------------------------------


def test_conv_functional_bad_input():
    x, w = np.zeros((2, 4, 5, 5)), np.zeros((6, 2, 3, 3))
    with pytest.raises(ValueError, match=r"conv2d expected input of shape \(N, C_in, H, W\) or unbatched "
                                         r"\(C_in, H, W\) \(4 or 3 dims\), got shape \(4, 5\)"):
        F.conv2d(np.zeros((4, 5)), w, groups=2)
    with pytest.raises(ValueError, match=r"conv2d expected weight of shape \(C_out, C_in/groups, kH, kW\)"):
        F.conv2d(x, np.zeros((6, 2, 3)), groups=2)
    with pytest.raises(ValueError, match=r"conv2d expected input with 2 channels \(weight.shape\[1\] \* groups = "
                                         r"2 \* 1\), got 4 channels in input of shape \(2, 4, 5, 5\)"):
        F.conv2d(x, w)
    with pytest.raises(ValueError, match=r"conv2d expected weight.shape\[0\] \(C_out = 6\) to be divisible by "
                                         r"groups=4"):
        F.conv2d(x, np.zeros((6, 1, 3, 3)), groups=4)
    with pytest.raises(ValueError, match=r"conv2d expected input with 12 channels"):  # C_in not divisible by groups
        F.conv2d(np.zeros((2, 5, 5, 5)), w, groups=6)
    with pytest.raises(TypeError, match=r"conv2d expected input to be float32 or float64, got int64: cast it"):
        F.conv2d(np.zeros((2, 4, 5, 5), dtype=np.int64), w, groups=2)
    with pytest.raises(TypeError, match=r"conv2d expected weight of dtype float64 like the input, got float32"):
        F.conv2d(x, w.astype(np.float32), groups=2)
    with pytest.raises(ValueError, match=r"conv2d expected bias of shape \(6,\), got \(4,\)"):
        F.conv2d(x, w, np.zeros(4), groups=2)
    with pytest.raises(ValueError, match=r"conv2d: kernel \(dilated\) 5x5 larger than padded input 3x3"):
        F.conv2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"conv2d: kernel \(dilated\) 5x3 larger than padded input 5x2"):
        F.conv2d(np.zeros((1, 1, 3, 2)), np.zeros((1, 1, 3, 3)), padding=(1, 0), dilation=(2, 1))
    with pytest.raises(ValueError, match=r"conv2d expected stride >= 1, got 0"):
        F.conv2d(x, w, stride=0, groups=2)
    with pytest.raises(ValueError, match=r"conv2d expected dilation >= 1, got \(1, 0\)"):
        F.conv2d(x, w, dilation=(1, 0), groups=2)
    with pytest.raises(ValueError, match=r"conv2d expected padding >= 0, got -1"):
        F.conv2d(x, w, padding=-1, groups=2)
    with pytest.raises(ValueError, match=r"conv2d expected padding to be an int or a tuple of 2 ints, got \(1, 1, 1\)"):
        F.conv2d(x, w, padding=(1, 1, 1), groups=2)
    with pytest.raises(ValueError, match=r"conv2d expected padding to be an int, a tuple of 2 ints, 'same' or "
                                         r"'valid', got 'full'"):
        F.conv2d(x, w, padding="full", groups=2)
    with pytest.raises(ValueError, match=r"conv2d: padding='same' is not supported for strided convolutions"):
        F.conv2d(x, w, stride=2, padding="same", groups=2)
    with pytest.raises(ValueError, match=r"conv1d: padding='same' is not supported for strided convolutions"):
        F.conv1d(np.zeros((2, 3, 8)), np.zeros((1, 3, 3)), stride=(2,), padding="same")
    with pytest.raises(ValueError, match=r"conv2d expected groups to be a positive int, got 0"):
        F.conv2d(x, w, groups=0)
    with pytest.raises(ValueError, match=r"conv1d expected input of shape \(N, C_in, L\) or unbatched \(C_in, L\)"):
        F.conv1d(x, w)
    y, backward = F.conv2d(x, w, groups=2)
    with pytest.raises(ValueError, match=r"conv2d.backward expected dy of shape \(2, 6, 3, 3\)"):
        backward(np.zeros((2, 6, 5, 5)))


def test_conv_transpose2d_bad_input():
    x, w = np.zeros((2, 4, 3, 3)), np.zeros((4, 3, 3, 3))
    with pytest.raises(ValueError, match=r"conv_transpose2d expected output_padding smaller than either stride or "
                                         r"dilation in each dim, got output_padding=\(2, 2\), stride=\(2, 2\), "
                                         r"dilation=\(1, 1\)"):
        F.conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"conv_transpose2d expected output_padding smaller"):
        F.conv_transpose2d(x, w, output_padding=(0, 1))  # stride 1 and dilation 1 leave no room
    with pytest.raises(ValueError, match=r"conv_transpose2d: output size 0x0 is too small for input 1x1"):
        F.conv_transpose2d(np.zeros((1, 4, 1, 1)), np.zeros((4, 1, 2, 2)), padding=1)
    with pytest.raises(ValueError, match=r"conv_transpose2d expected input with 4 channels \(weight.shape\[0\]; the "
                                         r"transposed layout is \(C_in, C_out/groups, kH, kW\)\), got 3 channels"):
        F.conv_transpose2d(np.zeros((2, 3, 3, 3)), w)
    with pytest.raises(ValueError, match=r"conv_transpose2d expected weight.shape\[0\] \(C_in = 4\) to be "
                                         r"divisible by groups=3"):
        F.conv_transpose2d(x, w, groups=3)
    with pytest.raises(ValueError, match=r"conv_transpose2d expected padding to be an int or a tuple of 2 ints, "
                                         r"got 'same'"):
        F.conv_transpose2d(x, w, padding="same")
    with pytest.raises(ValueError, match=r"conv_transpose2d expected bias of shape \(6,\), got \(3,\)"):
        F.conv_transpose2d(x, np.zeros((4, 3, 3, 3)), np.zeros(3), groups=2)
    with pytest.raises(TypeError, match=r"conv_transpose2d expected weight to be float32 or float64, got int32"):
        F.conv_transpose2d(x, w.astype(np.int32))


def test_conv_modules_bad_input():
    layer = nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError, match=r"^Conv2d expected input \(N, 3, H, W\), got \(8, 32, 32, 3\): "
                                         r"channels-last\?$"):
        layer(np.zeros((8, 32, 32, 3), np.float32))
    with pytest.raises(ValueError, match=r"^Conv2d expected input \(N, 3, H, W\), got \(8, 4, 32, 32\)$"):
        layer(np.zeros((8, 4, 32, 32), np.float32))
    with pytest.raises(ValueError, match=r"^Conv2d expected input \(3, H, W\), got \(32, 32, 3\): channels-last\?$"):
        layer(np.zeros((32, 32, 3), np.float32))
    with pytest.raises(ValueError, match=r"Conv2d expected input \(N, 3, H, W\) or unbatched \(3, H, W\), "
                                         r"got \(8, 3\)"):
        layer(np.zeros((8, 3), np.float32))
    with pytest.raises(ValueError, match=r"Conv1d expected input \(N, 4, L\), got \(2, 10, 4\): channels-last\?"):
        nn.Conv1d(4, 2, 3)(np.zeros((2, 10, 4), np.float32))
    with pytest.raises(ValueError, match=r"ConvTranspose2d expected input \(N, 5, H, W\), got \(1, 3, 4, 4\)"):
        nn.ConvTranspose2d(5, 2, 3)(np.zeros((1, 3, 4, 4), np.float32))
    with pytest.raises(TypeError, match=r"Conv2d expected input to be float32 or float64, got uint8"):
        layer(np.zeros((1, 3, 8, 8), np.uint8))
    with pytest.raises(ValueError, match=r"Conv2d supports padding_mode='zeros' only, got 'reflect'"):
        nn.Conv2d(3, 8, 3, padding=1, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"ConvTranspose2d supports padding_mode='zeros' only, got 'circular'"):
        nn.ConvTranspose2d(3, 8, 3, padding_mode="circular")
    with pytest.raises(ValueError, match=r"Conv2d expected in_channels divisible by groups, got in_channels=3, "
                                         r"groups=2"):
        nn.Conv2d(3, 8, 3, groups=2)
    with pytest.raises(ValueError, match=r"Conv1d expected out_channels divisible by groups, got out_channels=3"):
        nn.Conv1d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match=r"Conv2d: padding='same' is not supported for strided convolutions"):
        nn.Conv2d(3, 8, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"Conv2d expected kernel_size >= 1, got 0"):
        nn.Conv2d(3, 8, 0)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: requested output_size \(9, 9\), but valid sizes for an "
                                         r"input of \(4, 4\) range from \(10, 10\) to \(10, 10\)"):
        nn.ConvTranspose2d(1, 1, 3, dilation=3)(np.zeros((1, 1, 4, 4), np.float32), output_size=(9, 9))


def test_unbatched_input_is_one_sample():
    # torch accepts (C, H, W); so do we, with the same numbers as a batch of one
    rng = np.random.default_rng(0)
    layer = nn.Conv2d(2, 3, 3, padding=1, dtype=np.float64, rng=rng)
    x = rng.standard_normal((2, 5, 4))
    y, backward = layer(x)
    y1, backward1 = layer(x[None])
    dy = rng.standard_normal(y.shape)
    np.testing.assert_array_equal(y, y1[0])
    np.testing.assert_array_equal(backward(dy), backward1(dy[None])[0])


@pytest.mark.parametrize("use_numba", NUMBA_PATHS)
@pytest.mark.parametrize("fn, x_shape, w_shape, kwargs", [
    (F.conv2d, (2, 3, 7, 6), (4, 3, 5, 5), dict(padding=2, stride=2)),  # im2col
    (F.conv2d, (3, 7, 6), (6, 1, 3, 2), dict(groups=3, dilation=2)),  # unbatched, grouped
    (F.conv1d, (2, 3, 9), (4, 3, 3), dict(padding="same")),
])
def test_without_input_grad_the_parameter_grads_are_the_same(use_numba, fn, x_shape, w_shape, kwargs):
    # input_grad=False, for a first layer whose input is data: backward skips dx and gives the same rest, bit for bit
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    with numba_path(fn.__name__, use_numba):
        y, backward = fn(x, w, b, **kwargs)
        y0, backward0 = fn(x, w, b, **kwargs, input_grad=False)
        dy = rng.standard_normal(y.shape)
        (dx, dw, db), (dx0, dw0, db0) = backward(dy), backward0(dy)
    assert dx0 is None and dx.shape == x.shape
    for a, a0 in ((y, y0), (dw, dw0), (db, db0)):
        np.testing.assert_array_equal(a, a0)


@pytest.mark.parametrize("layer", [nn.Conv1d(2, 3, 3), nn.Conv2d(2, 3, 3)])
def test_conv_module_input_grad_off_returns_none(layer):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2) + (5,) * layer._d).astype(np.float32)
    y, backward = layer(x)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    dx = backward(dy)
    grads = layer.weight.grad.copy(), layer.bias.grad.copy()
    layer.zero_grad()
    layer.input_grad = False
    y, backward = layer(x)
    assert backward(dy) is None
    np.testing.assert_array_equal(layer.weight.grad, grads[0])
    np.testing.assert_array_equal(layer.bias.grad, grads[1])
    assert dx.shape == x.shape
