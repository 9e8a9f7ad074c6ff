"""Resampling: interpolate (nearest, bilinear, align_corners, size / scale_factor / recompute_scale_factor),
pixel_shuffle and pixel_unshuffle; parity with torch, gradcheck, module shells, bad input."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import scratch.functional as F
import scratch.nn as nn
import torch_impl.functional as TF
import torch_impl.nn as tnn
from parity_tests.harness import check_function, check_gradcheck, check_module, check_state_dict_layout
from parity_tests.strategies import GRADCHECK_KINDS, KINDS, cast, float_arrays, seeds, sides

DTYPES = [np.float64, np.float32]

# Scale factors that are not integers or reciprocals of one (0.1 * 14 = 1.4000000000000001 sends one nearest index
# of a 6-row image elsewhere in float32 arithmetic, torch's, than in float64), and one that rounds to the input size.
SCALES = (0.5, 0.7, 1.0, 1.2, 1.4000000000000001, 1.5, 2.0, 2.1, 2.5, 3.0, 1 / 3)


@st.composite
def interpolate_case(draw, dtype, kinds=KINDS):
    """(x, kwargs): an image batch and interpolate's keyword arguments, the output at least 1 x 1."""
    N, C, H, W = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(sides), draw(sides)
    x = draw(float_arrays((N, C, H, W), dtype, kinds))
    mode = draw(st.sampled_from(["nearest", "bilinear"]))
    kwargs = {"mode": mode}
    if mode == "bilinear":
        kwargs["align_corners"] = draw(st.sampled_from([False, True, None]))
    if draw(st.booleans()):
        kwargs["size"] = draw(st.one_of(st.integers(1, 12), st.tuples(st.integers(1, 12), st.integers(1, 12))))
    else:
        scale = draw(st.one_of(st.sampled_from(SCALES), st.tuples(st.sampled_from(SCALES), st.sampled_from(SCALES))))
        sh, sw = scale if isinstance(scale, tuple) else (scale, scale)
        if int(H * sh) < 1 or int(W * sw) < 1:
            scale = 2.0
        kwargs["scale_factor"] = scale
        kwargs["recompute_scale_factor"] = draw(st.sampled_from([None, False, True]))
    return x, kwargs


def _image(H, W):
    return np.random.default_rng(0).standard_normal((1, 2, H, W))


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=interpolate_case(np.float64), seed=seeds)
@example(case=(_image(3, 3), {"mode": "nearest", "scale_factor": 1.2}), seed=0)  # same size: torch copies
@example(case=(_image(5, 2), {"mode": "nearest", "scale_factor": 2.1}), seed=0)  # twice the size: torch repeats
@example(case=(_image(6, 1), {"mode": "nearest", "scale_factor": 1.4000000000000001}), seed=0)  # float32 index
@example(case=(_image(3, 3), {"mode": "bilinear", "scale_factor": 1.2}), seed=0)  # same size: torch copies
@example(case=(_image(5, 4), {"mode": "bilinear", "scale_factor": 0.7}), seed=0)  # s = 1/0.7, not 5/3
@example(case=(_image(5, 4), {"mode": "bilinear", "size": (3, 7), "align_corners": True}), seed=0)
@example(case=(_image(4, 4), {"mode": "bilinear", "size": (1, 1), "align_corners": True}), seed=0)
def test_interpolate_matches_torch(dtype, case, seed):
    x, kwargs = case
    check_function("interpolate", lambda x: F.interpolate(x, **kwargs), lambda x: TF.interpolate(x, **kwargs),
                   [cast(x, dtype)], seed=seed)


@given(case=interpolate_case(np.float64, GRADCHECK_KINDS), seed=seeds)
def test_interpolate_gradcheck(case, seed):
    # Linear in x, so central differences are exact up to rounding: no kinks to keep away from.
    x, kwargs = case
    check_gradcheck("interpolate", lambda x: F.interpolate(x, **kwargs), x, seed=seed)


@st.composite
def pixel_shuffle_case(draw, dtype, kinds=KINDS):
    """(x, r, shuffle): an input for pixel_shuffle (channels a multiple of r^2) or pixel_unshuffle (H, W multiples
    of r), with 0 to 2 leading batch dims."""
    r = draw(st.integers(1, 3))
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    shuffle = draw(st.booleans())
    if shuffle:
        shape = lead + (draw(st.integers(1, 3)) * r * r, draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    else:
        shape = lead + (draw(st.integers(1, 3)), draw(st.integers(1, 3)) * r, draw(st.integers(1, 3)) * r)
    return draw(float_arrays(shape, dtype, kinds)), r, shuffle


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=pixel_shuffle_case(np.float64), seed=seeds)
@example(case=(np.arange(8.0).reshape(1, 4, 1, 2), 2, True), seed=0)
def test_pixel_shuffle_matches_torch(dtype, case, seed):
    x, r, shuffle = case
    name = "pixel_shuffle" if shuffle else "pixel_unshuffle"
    check_function(name, lambda x: getattr(F, name)(x, r), lambda x: getattr(TF, name)(x, r), [cast(x, dtype)],
                   seed=seed)


@given(case=pixel_shuffle_case(np.float64, GRADCHECK_KINDS), seed=seeds)
def test_pixel_shuffle_gradcheck(case, seed):
    x, r, shuffle = case
    name = "pixel_shuffle" if shuffle else "pixel_unshuffle"
    check_gradcheck(name, lambda x: getattr(F, name)(x, r), x, seed=seed)


def test_pixel_shuffle_round_trip_and_no_aliasing():
    x = np.random.default_rng(0).standard_normal((2, 8, 3, 5))
    y, _ = F.pixel_shuffle(x, 2)
    np.testing.assert_array_equal(F.pixel_unshuffle(y, 2)[0], x)
    y1, _ = F.pixel_shuffle(x, 1)  # r = 1 is a reshape to the same shape: still a new array, never the input
    assert not np.may_share_memory(y1, x)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=interpolate_case(np.float64), seed=seeds)
def test_upsample_module_matches_torch(dtype, case, seed):
    x, kwargs = case
    check_module("Upsample", nn.Upsample(**kwargs), tnn.Upsample(**kwargs), cast(x, dtype), seed=seed)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=pixel_shuffle_case(np.float64), seed=seeds)
def test_pixel_shuffle_modules_match_torch(dtype, case, seed):
    x, r, shuffle = case
    name = "PixelShuffle" if shuffle else "PixelUnshuffle"
    check_module(name, getattr(nn, name)(r), getattr(tnn, name)(r), cast(x, dtype), seed=seed)


def test_sampling_state_dict_and_repr():
    for make in (lambda m: m.Upsample(scale_factor=2), lambda m: m.Upsample(size=(3, 4), mode="bilinear"),
                 lambda m: m.PixelShuffle(2), lambda m: m.PixelUnshuffle(3)):
        layer, twin = make(nn), make(tnn)
        check_state_dict_layout(type(layer).__name__, layer, twin)
        assert repr(layer) == repr(twin)
    assert nn.Upsample(scale_factor=2).scale_factor == 2.0
    assert nn.Upsample(scale_factor=(1, 2)).scale_factor == (1.0, 2.0)


def test_sampling_bad_input():
    x = np.zeros((1, 1, 3, 3))
    with pytest.raises(ValueError, match=r"interpolate expected input of shape \(N, C, H, W\) \(4 dims\), "
                                         r"got shape \(3, 3\)"):
        F.interpolate(np.zeros((3, 3)), size=2)
    with pytest.raises(ValueError,
                       match="interpolate expected only one of size or scale_factor to be defined, got both"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="interpolate expected either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="interpolate: align_corners can only be set with mode='bilinear'"):
        F.interpolate(x, size=2, align_corners=False)
    with pytest.raises(ValueError, match="interpolate expected mode to be one of 'nearest', 'bilinear', got 'bicubic'"):
        F.interpolate(x, size=2, mode="bicubic")
    with pytest.raises(ValueError, match=r"interpolate expected output sizes greater than 0, got input \(H: 3, W: 3\) "
                                         r"and output \(H: 0, W: 0\)"):
        F.interpolate(x, scale_factor=0.2)
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful with an explicit size"):
        F.interpolate(x, size=2, recompute_scale_factor=True)
    with pytest.raises(TypeError, match=r"interpolate expected size to be an int or a pair of ints .*got \(2, 2, 2\)"):
        F.interpolate(x, size=(2, 2, 2))
    with pytest.raises(TypeError, match="interpolate expected input to be float32 or float64, got int64"):
        F.interpolate(np.zeros((1, 1, 2, 2), np.int64), size=3)
    with pytest.raises(ValueError, match=r"pixel_shuffle expected the channel dim \(-3\) divisible by "
                                         r"upscale_factor\^2 = 4, got input of shape \(1, 5, 2, 2\)"):
        F.pixel_shuffle(np.zeros((1, 5, 2, 2)), 2)
    with pytest.raises(ValueError, match=r"pixel_shuffle expected input of shape \(\*, C\*r\^2, H, W\) "
                                         r"\(at least 3 dims\)"):
        F.pixel_shuffle(np.zeros((4, 4)), 2)
    with pytest.raises(ValueError, match=r"pixel_unshuffle expected H and W divisible by downscale_factor = 2, "
                                         r"got input of shape \(1, 1, 3, 4\)"):
        nn.PixelUnshuffle(2)(np.zeros((1, 1, 3, 4)))
    with pytest.raises(ValueError, match="pixel_shuffle expected upscale_factor to be a positive int, got 0"):
        F.pixel_shuffle(np.zeros((1, 1, 2, 2)), 0)
    y, backward = F.interpolate(x.astype(np.float32), scale_factor=2)
    with pytest.raises(TypeError,
                       match=r"interpolate.backward expected dy of dtype float32 \(the output's\), got float64"):
        backward(np.zeros((1, 1, 6, 6)))
