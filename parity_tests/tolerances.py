"""The one tolerance table.

An element passes when ``|numpy - torch| <= atol * scale + rtol * |torch|``, where ``scale = max(1, max|torch|)`` over
the whole array. Scaling ``atol`` by the array's largest value makes the test about the layer, not about cancellation:
a gradient element that is the difference of two large, nearly equal sums carries the rounding error of the sums,
not of its own (small) value. A planted bug moves values by a fraction of ``scale``, orders of magnitude above these.
Where a whole array can cancel (a saturated softmax's dQ, all ~1e-74), its largest value no longer measures the terms;
there the test passes the size of the terms as a floor for ``scale`` (``assert_close``'s ``scale_floor``).

float64 is where correctness is proven: its bounds sit a few hundred units of rounding above what two correct
implementations summing in different orders can differ by. float32 only confirms the layer respects the dtype.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tol:
    rtol: float
    atol: float


PARITY = {
    np.dtype(np.float64): Tol(rtol=1e-10, atol=1e-10),
    np.dtype(np.float32): Tol(rtol=1e-4, atol=2e-5),
}

# Central differences in float64 with eps=1e-6: truncation error O(eps^2 f''') ~ 1e-12, rounding error
# O(1e-16 |L| / eps) ~ 1e-10 |L| for the scalar L = sum(y * dy). Elementwise check
# |a - n| <= atol * min(1, max|n|) + rtol |n| + the rounding floor (scratch.gradcheck: atol scales down with a small
# gradient, never up with a large one).
GRADCHECK_EPS = 1e-6
GRADCHECK = Tol(rtol=1e-5, atol=1e-6)


def parity(dtype) -> Tol:
    return PARITY[np.dtype(dtype)]
