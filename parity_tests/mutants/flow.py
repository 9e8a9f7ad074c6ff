"""Planted bugs in the affine coupling (RealNVP)."""
from parity_tests.mutants import Mutant

_TESTS = "parity_tests/test_flow.py"
_FUNCTION = "scratch/functional/flow.py"
_MODULE = "scratch/nn/flow.py"

MUTANTS = [
    Mutant(
        name="coupling-log-det-sums-masked-half",
        file=_FUNCTION,
        old="log_det = np.sum(change * log_scale, axis=-1)",
        new="log_det = np.sum(keep * log_scale, axis=-1)",
        tests=(_TESTS, "-k", "log_det_is_log_abs_det_jacobian"),
        why="the passed-through features have slope 1 (log 1 = 0): only the transformed half's log-scales enter "
            "log|det J|",
    ),
    Mutant(
        name="coupling-dshift-without-mask",
        file=_FUNCTION,
        old="dshift = change * dy",
        new="dshift = dy",
        tests=(_TESTS, "-k", "test_affine_coupling_gradcheck"),
        why="the shift only reaches the transformed features: dy/dt = (1 - mask), not 1",
    ),
    Mutant(
        name="coupling-dlog-scale-without-log-det",
        file=_FUNCTION,
        old="dlog_scale = change * (dy * x * scale + dlog_det[..., None])",
        new="dlog_scale = change * (dy * x * scale)",
        tests=(_TESTS, "-k", "test_affine_coupling_matches_torch"),
        why="log_scale feeds two outputs, y and log_det: its gradient needs both upstream gradients",
    ),
    Mutant(
        name="coupling-dx-without-scale",
        file=_FUNCTION,
        old="dx = dy * (keep + change * scale)",
        new="dx = dy",
        tests=(_TESTS, "-k", "test_affine_coupling_gradcheck"),
        why="the transformed features are x * exp(s) + t: their slope in x is exp(s), not 1",
    ),
    Mutant(
        name="coupling-module-forgets-network-path",
        file=_MODULE,
        old="return dx_direct + m * dxm",
        new="return dx_direct",
        tests=(_TESTS, "-k", "module_gradcheck"),
        why="x reaches y through the network too (s and t are functions of m * x): dx sums both roads",
    ),
    Mutant(
        name="coupling-module-network-path-without-mask",
        file=_MODULE,
        old="return dx_direct + m * dxm",
        new="return dx_direct + dxm",
        tests=(_TESTS, "-k", "module_matches_torch"),
        why="the network sees m * x, so its input gradient reaches x only where m is 1: d(m x)/dx = m",
    ),
    Mutant(
        name="coupling-module-skips-tanh-derivative",
        file=_MODULE,
        old="dh = np.concatenate([tanh_backward(ds)[0], dt], axis=-1)",
        new="dh = np.concatenate([ds, dt], axis=-1)",
        tests=(_TESTS, "-k", "module_matches_torch"),
        why="s = tanh(h[:D]): the chain rule multiplies ds by 1 - s^2 on the way into the network",
    ),
    Mutant(
        name="coupling-inverse-wrong-sign",
        file=_MODULE,
        old="(1 - m) * (y - t) * np.exp(-s)",
        new="(1 - m) * (y - t) * np.exp(s)",
        tests=(_TESTS, "-k", "inverse"),
        why="undoing x * exp(s) + t divides by exp(s) after subtracting t",
    ),
]
