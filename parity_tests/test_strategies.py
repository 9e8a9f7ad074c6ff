"""The memory layouts float_arrays draws hold the same values as the C-contiguous array, and cast keeps them."""
from __future__ import annotations

import numpy as np
import pytest

from parity_tests.strategies import LAYOUTS, cast, fill, layout_of, with_layout


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_layouts_hold_the_same_values(layout, dtype):
    x = fill((2, 3, 4), dtype, "normal", 0)
    view = with_layout(x, layout)
    assert view.shape == x.shape and view.dtype == x.dtype and np.array_equal(view, x)
    assert layout_of(view) == layout
    assert view.flags.c_contiguous == (layout == "contiguous")
    if layout == "strided":
        assert np.isnan(view.base).sum() == view.base.size - view.size  # the gaps between the elements
    as32 = cast(view, np.float32)
    assert layout_of(as32) == layout and as32.dtype == np.float32 and np.array_equal(as32, x.astype(np.float32))
    assert with_layout(np.float64(1.5), layout).shape == ()  # a 0-d array stays 0-d

