"""Weight initialisers with torch.nn.init's names and formulas, drawing from a numpy Generator.

The draws differ from torch's (different generators), the distributions are the same; parity tests copy weights
across rather than relying on equal draws.
"""
from __future__ import annotations

import math

import numpy as np

from scratch import random as _random


def calculate_fan_in_and_fan_out(shape) -> tuple[int, int]:
    """fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field (torch's convention)."""
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need at least 2 dims, got shape {tuple(shape)}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def uniform_(array: np.ndarray, a: float = 0.0, b: float = 1.0, rng=None) -> np.ndarray:
    array[...] = _random.resolve(rng).uniform(a, b, size=array.shape)
    return array


def kaiming_uniform_(array: np.ndarray, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     rng=None) -> np.ndarray:
    """U(-bound, bound), bound = gain * sqrt(3 / fan); gain = sqrt(2 / (1 + a^2)) for leaky_relu."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(array.shape)
    fan = fan_in if mode == "fan_in" else fan_out
    if nonlinearity == "leaky_relu":
        gain = math.sqrt(2.0 / (1 + a * a))
    elif nonlinearity == "relu":
        gain = math.sqrt(2.0)
    elif nonlinearity in ("linear", "sigmoid") or nonlinearity.startswith("conv"):
        gain = 1.0
    elif nonlinearity == "tanh":
        gain = 5.0 / 3
    else:
        raise ValueError(f"kaiming_uniform_ does not know the gain of {nonlinearity!r}")
    bound = gain * math.sqrt(3.0 / fan) if fan > 0 else 0.0
    return uniform_(array, -bound, bound, rng)


def default_linear_init_(weight: np.ndarray, bias: np.ndarray | None, rng=None) -> None:
    """What torch's Linear and Conv layers do in reset_parameters.

    weight: kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias: U(-1/sqrt(fan_in), ...).
    ``fan_in`` is computed from ``weight.shape`` as torch does (for a transposed conv that is C_out/groups * k).
    """
    kaiming_uniform_(weight, a=math.sqrt(5), rng=rng)
    if bias is not None:
        fan_in, _ = calculate_fan_in_and_fan_out(weight.shape)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound, rng)
