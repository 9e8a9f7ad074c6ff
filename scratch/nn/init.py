"""Weight initialisers with torch.nn.init's names and formulas, drawing from a numpy Generator.

Each fills an existing array in place (keeping its dtype) and returns it; the random ones take ``rng``, a
``numpy.random.Generator`` (default: ``scratch.random``'s generator). The draws differ from torch's (different
generators), the distributions are the same; parity tests copy weights across rather than relying on equal draws.

Fans follow torch's convention for a weight of shape ``(out, in, *kernel)``:
``fan_in = in * prod(kernel)``, ``fan_out = out * prod(kernel)``.

Why the scales: for ``y = W x`` with independent zero-mean entries, ``Var(y_i) = fan_in * Var(W) * Var(x)``, so
``Var(W) = 1 / fan_in`` keeps activations' variance constant through a layer (and ``1 / fan_out`` keeps the
gradients'). Xavier/Glorot compromises with ``2 / (fan_in + fan_out)``; He/Kaiming multiplies by ``gain^2`` to undo
what the nonlinearity removes (a ReLU zeroes half its inputs: gain^2 = 2).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from scratch import random as _random

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_fan_in_and_fan_out(shape) -> tuple[int, int]:
    """fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field (torch's convention)."""
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need at least 2 dims, got shape {tuple(shape)}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _correct_fan(shape, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    return fan_in if mode == "fan_in" else fan_out


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The factor by which to scale a unit-variance init so a nonlinearity keeps the signal's scale.

    linear, conv*, sigmoid: 1;  tanh: 5/3;  relu: sqrt(2);  leaky_relu: sqrt(2 / (1 + negative_slope^2)), with
    ``negative_slope = param`` (default 0.01);  selu: 3/4.
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4  # found empirically by torch's authors
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def uniform_(array: np.ndarray, a: float = 0.0, b: float = 1.0, rng=None) -> np.ndarray:
    """Fill with U(a, b)."""
    array[...] = _random.resolve(rng).uniform(a, b, size=array.shape)
    return array


def normal_(array: np.ndarray, mean: float = 0.0, std: float = 1.0, rng=None) -> np.ndarray:
    """Fill with N(mean, std^2)."""
    array[...] = _random.resolve(rng).normal(mean, std, size=array.shape)
    return array


def constant_(array: np.ndarray, val: float) -> np.ndarray:
    array[...] = val
    return array


def zeros_(array: np.ndarray) -> np.ndarray:
    return constant_(array, 0.0)


def ones_(array: np.ndarray) -> np.ndarray:
    return constant_(array, 1.0)


def xavier_uniform_(array: np.ndarray, gain: float = 1.0, rng=None) -> np.ndarray:
    """Glorot & Bengio (2010): U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)).

    That is std = gain * sqrt(2 / (fan_in + fan_out)), since U(-b, b) has std b / sqrt(3).
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(array.shape)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(array, -bound, bound, rng)


def xavier_normal_(array: np.ndarray, gain: float = 1.0, rng=None) -> np.ndarray:
    """Glorot & Bengio (2010): N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(array.shape)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(array, 0.0, std, rng)


def kaiming_uniform_(array: np.ndarray, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     rng=None) -> np.ndarray:
    """He et al. (2015): U(-bound, bound), bound = gain * sqrt(3 / fan); gain = calculate_gain(nonlinearity, a).

    ``mode="fan_in"`` preserves the activations' variance in the forward pass, ``"fan_out"`` the gradients' in the
    backward pass. ``a`` is the negative slope of a leaky ReLU (0: a ReLU, so gain = sqrt(2)).
    """
    fan = _correct_fan(array.shape, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / fan) if fan > 0 else 0.0
    return uniform_(array, -bound, bound, rng)


def kaiming_normal_(array: np.ndarray, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    rng=None) -> np.ndarray:
    """He et al. (2015): N(0, std^2), std = gain / sqrt(fan); arguments as ``kaiming_uniform_``."""
    fan = _correct_fan(array.shape, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan) if fan > 0 else 0.0
    return normal_(array, 0.0, std, rng)


def orthogonal_(array: np.ndarray, gain: float = 1.0, rng=None) -> np.ndarray:
    """Saxe et al. (2013): a (semi-)orthogonal matrix times ``gain``; trailing dims are flattened.

    With ``rows = shape[0]`` and ``cols = size / rows``: draw a Gaussian ``(rows, cols)`` matrix, take the QR
    factorisation of it (or of its transpose when rows < cols, so Q is tall), and multiply Q's columns by the signs
    of R's diagonal, which makes Q uniformly (Haar) distributed over orthogonal matrices rather than biased by
    the QR's sign convention. The result has orthonormal rows (rows <= cols) or orthonormal columns (rows >= cols).
    """
    if array.ndim < 2:
        raise ValueError(f"orthogonal_: only arrays with 2 or more dimensions are supported, got shape "
                         f"{tuple(array.shape)}")
    if array.size == 0:
        return array
    rows = array.shape[0]
    cols = array.size // rows
    flat = _random.resolve(rng).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)  # q: (max, min), orthonormal columns
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    array[...] = (gain * q).reshape(array.shape)
    return array


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
