"""Planted bugs in the sinusoidal timestep embedding."""
from parity_tests.mutants import Mutant

MUTANTS = [
    Mutant(
        name="time-embedding-ddpm-frequencies",
        file="scratch/functional/timestep.py",
        old="freqs = np.exp(-math.log(max_period) * np.arange(half) / half)",
        new="freqs = np.exp(-math.log(max_period) * np.arange(half) / max(half - 1, 1))",
        tests=("parity_tests/test_timestep.py", "-k", "matches_torch"),
        why="the original DDPM code divides by half - 1: a different table from improved-DDPM's, which this follows",
    ),
    Mutant(
        name="time-embedding-cos-derivative-sign",
        file="scratch/functional/timestep.py",
        old="dt = ((dsin * cos - dcos * sin) * freqs).sum(axis=1)",
        new="dt = ((dsin * cos + dcos * sin) * freqs).sum(axis=1)",
        tests=("parity_tests/test_timestep.py", "-k", "matches_torch or gradcheck"),
        why="d cos(a)/da = -sin(a): the cosine half's gradient has a minus sign",
    ),
]
