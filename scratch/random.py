"""The NumPy side's default random generator, seeded like ``torch.manual_seed``.

Layers that draw random numbers (weight initialisation, dropout) take an optional ``rng`` (a
``numpy.random.Generator``); when it is omitted they use this module's default generator.
"""
from __future__ import annotations

import numpy as np

_default = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the default generator and return it."""
    global _default
    _default = np.random.default_rng(seed)
    return _default


def default_generator() -> np.random.Generator:
    return _default


def resolve(rng: np.random.Generator | None) -> np.random.Generator:
    return _default if rng is None else rng
