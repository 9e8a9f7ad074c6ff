"""What every loader shares: the ``Split`` it returns, the optional-package import, image scaling."""
from __future__ import annotations

import importlib
from typing import NamedTuple

import numpy as np

EXTRA_HINT = "pip install -e '.[data]'"


class Split(NamedTuple):
    """A supervised dataset split into train and test parts; unpacks as ``x_train, y_train, x_test, y_test``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def require(fn: str, module: str, package: str):
    """Import an optional dependency of the ``data`` extra, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"{fn} needs the package {package!r}, which is not installed: "
                          f"install the data extra with {EXTRA_HINT}") from err


def check_float_dtype(fn: str, dtype) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise TypeError(f"{fn} expected dtype float32 or float64, got {dt}")
    return dt


def image_split(fn: str, x_train, y_train, x_test, y_test, max_value: float, flatten: bool, normalize: bool,
                dtype) -> Split:
    """Raw ``(N, H, W)`` images in ``[0, max_value]`` -> a ``Split`` of NCHW (or flat) floats and int64 labels.

    Pixels are divided by ``max_value`` into ``[0, 1]``. With ``normalize``, they are then standardised with one
    mean and one standard deviation, both measured on the training split only (measuring them on the test split too
    would leak it into training), as torchvision's ``Normalize((0.1307,), (0.3081,))`` does for MNIST. One scalar
    pair rather than one per pixel: border pixels are always 0, and their standard deviation would be 0.
    """
    dt = check_float_dtype(fn, dtype)
    scale = dt.type(max_value)
    x_train = x_train.astype(dt) / scale
    x_test = x_test.astype(dt) / scale
    if normalize:
        # Statistics accumulated in float64, then applied in the output dtype (no float64 copy of the images).
        mean, std = dt.type(x_train.mean(dtype=np.float64)), dt.type(x_train.std(dtype=np.float64))
        x_train = (x_train - mean) / std
        x_test = (x_test - mean) / std
    N, H, W = x_train.shape
    shape = (-1, H * W) if flatten else (-1, 1, H, W)  # (N, H*W) or NCHW with one channel
    return Split(x_train.reshape(shape), np.asarray(y_train, dtype=np.int64),
                 x_test.reshape(shape), np.asarray(y_test, dtype=np.int64))
