"""Planted bugs in the causal convolution."""
from parity_tests.mutants import Mutant

_TESTS = ("parity_tests/test_causal.py",)

MUTANTS = [
    Mutant(
        name="causal-pad-not-dilated",
        file="scratch/functional/causal.py",
        old="pad = (k - 1) * dilation  # the receptive field minus the present",
        new="pad = k - 1  # the receptive field minus the present",
        tests=_TESTS,
        why="a dilated kernel reaches (k - 1) * dilation steps back: padding k - 1 shortens the output and shifts it",
    ),
    Mutant(
        name="causal-pad-both-sides",
        file="scratch/functional/causal.py",
        old="xpad = np.concatenate([zeros, input], axis=-1)",
        new="xpad = np.concatenate([zeros[..., :pad // 2], input, zeros[..., pad // 2:]], axis=-1)",
        tests=_TESTS,
        why="padding='same' splits the zeros around the sequence: the length is kept but the output reads the future",
    ),
    Mutant(
        name="causal-dx-cropped-at-the-wrong-end",
        file="scratch/functional/causal.py",
        old="return dxpad[..., pad:], dweight, dbias",
        new="return dxpad[..., :dxpad.shape[-1] - pad], dweight, dbias",
        tests=(*_TESTS, "-k", "matches_torch or gradcheck"),
        why="the padding was added before the input, so its gradient is the first P columns of dxpad, not the last",
    ),
]
