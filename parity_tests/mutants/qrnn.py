"""Planted bugs in QRNN's fo-pooling and its layer."""
from parity_tests.mutants import Mutant

_TESTS = ("parity_tests/test_qrnn.py",)

MUTANTS = [
    Mutant(
        name="fo-pool-dc-not-carried-through-f",
        file="scratch/functional/qrnn.py",
        old="dc = dc * f[t]  # carried to step t - 1",
        new="dc = np.zeros_like(dc)  # carried to step t - 1",
        tests=(*_TESTS, "-k", "fo_pool_matches_torch or fo_pool_gradcheck"),
        why="c_{t-1} reaches c_t through f_t: a reverse scan that drops dc at each step truncates backprop to one step",
    ),
    Mutant(
        name="fo-pool-dc-carried-through-1-minus-f",
        file="scratch/functional/qrnn.py",
        old="dc = dc * f[t]  # carried to step t - 1",
        new="dc = dc * (1 - f[t])  # carried to step t - 1",
        tests=(*_TESTS, "-k", "fo_pool_matches_torch or fo_pool_gradcheck"),
        why="(1 - f) weighs the candidate z, not the old cell: the carried gradient takes the wrong gate",
    ),
    Mutant(
        name="fo-pool-df-missing-minus-z",
        file="scratch/functional/qrnn.py",
        old="df[t] = dc * (c_before - z[t])",
        new="df[t] = dc * c_before",
        tests=(*_TESTS, "-k", "fo_pool_matches_torch or fo_pool_gradcheck"),
        why="f appears twice, in f c_{t-1} and in (1 - f) z: forgetting the second drops the -z term of df",
    ),
    Mutant(
        name="fo-pool-df-wraps-to-last-cell-at-t0",
        file="scratch/functional/qrnn.py",
        old="c_before = c[t - 1] if t > 0 else c_prev0",
        new="c_before = c[t - 1]",
        tests=(*_TESTS, "-k", "fo_pool_matches_torch or fo_pool_gradcheck"),
        why="at t = 0 the previous cell is c0 (or zeros), but c[-1] is the last cell: df_0 reads the future",
    ),
    Mutant(
        name="qrnn-window-previous-wraps-at-t0",
        file="scratch/nn/qrnn.py",
        old="previous = np.concatenate([np.zeros_like(x[:1]), x[:-1]], axis=0)  # x_{t-1}, zero at t = 0",
        new="previous = np.roll(x, 1, axis=0)  # x_{t-1}, zero at t = 0",
        tests=(*_TESTS, "-k", "qrnn_layer"),
        why="rolling the sequence puts x_{T-1} at t = 0 instead of zeros: the first output sees the last input",
    ),
    Mutant(
        name="qrnn-window-dx-shifted-the-wrong-way",
        file="scratch/nn/qrnn.py",
        old="dx[:-1] += dxcat[1:, :, :I]  # x_t was x_{t-1} of step t + 1",
        new="dx[1:] += dxcat[:-1, :, :I]  # x_t was x_{t-1} of step t + 1",
        tests=(*_TESTS, "-k", "qrnn_layer_matches_torch or qrnn_layer_gradcheck"),
        why="x_t is the previous input of step t + 1, so that step's gradient flows back one step, not forward",
    ),
]
