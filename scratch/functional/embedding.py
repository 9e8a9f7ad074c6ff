"""Lookup tables: ``embedding``, and ``embedding_bag`` (a lookup reduced over bags of indices)."""
from __future__ import annotations

import numbers

import numpy as np

from scratch._checks import check_float, check_grad, fmt_shape


def check_padding_idx(layer: str, padding_idx, num_embeddings: int):
    """torch's rule: None, or an int in [-num_embeddings, num_embeddings), negative counted from the end."""
    if padding_idx is None:
        return None
    if not isinstance(padding_idx, numbers.Integral) or isinstance(padding_idx, bool):
        raise TypeError(f"{layer} expected padding_idx to be an int or None, got {padding_idx!r}")
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{layer} expected padding_idx in [-{num_embeddings}, {num_embeddings}) "
                         f"(num_embeddings={num_embeddings}), got {padding_idx}")
    return int(padding_idx) % num_embeddings


def check_indices(layer: str, input, num_embeddings: int) -> np.ndarray:
    """Integer indices, each in [0, num_embeddings)."""
    if not isinstance(input, np.ndarray):
        raise TypeError(f"{layer} expected input to be a numpy.ndarray of integer indices, got {type(input).__name__}")
    if input.dtype.kind not in "iu":
        raise TypeError(f"{layer} expected input to hold integer indices, got dtype {input.dtype}"
                        + (": cast it first, e.g. input.astype(np.int64)" if input.dtype.kind in "fb" else ""))
    if input.size and (input.min() < 0 or input.max() >= num_embeddings):
        bad = input.min() if input.min() < 0 else input.max()
        raise ValueError(f"{layer} expected indices in [0, {num_embeddings}) (num_embeddings={num_embeddings}), "
                         f"got {int(bad)}")
    return input


def embedding(input: np.ndarray, weight: np.ndarray, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False):
    """Row lookup, ``y[..., :] = weight[input[...], :]``.

    Args:
        input: integer indices of any shape, each in ``[0, num_embeddings)``.
        weight: ``(num_embeddings, embedding_dim)``, float32 or float64.
        padding_idx: a row that receives no gradient (its output is whatever the row holds; nn.Embedding starts it
            at zeros). Negative values count from the end, as in torch.
        max_norm, norm_type: not implemented (torch renormalises rows of ``weight`` in place); must be None.
        scale_grad_by_freq: divide each row's gradient by how often its index occurs in ``input``.
        sparse: accepted for torch's signature; the gradient is always a dense array.

    Shape:
        input ``(*)``; y ``(*, embedding_dim)``.

    Backward:
        The lookup copies row ``input[k]`` to output position ``k``, so each row's gradient is the sum of ``dy`` over
        every position that looked it up (repeated indices accumulate)::

            dweight[v] = sum over k with input[k] == v of dy[k]      (np.add.at: unbuffered, so repeats add up)
            dweight[padding_idx] = 0

        With ``scale_grad_by_freq`` each ``dy[k]`` is first divided by the count of ``input[k]``. ``backward(dy)``
        returns ``(None, dweight)``: integer indices have no gradient.

    Examples:
        >>> w = np.arange(6.0).reshape(3, 2)
        >>> y, backward = embedding(np.array([[0, 2, 2]]), w)
        >>> y.shape
        (1, 3, 2)
        >>> backward(np.ones_like(y))[1]
        array([[1., 1.],
               [0., 0.],
               [2., 2.]])
    """
    check_float("embedding", "weight", weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding expected weight of shape (num_embeddings, embedding_dim), "
                         f"got {fmt_shape(weight.shape)}")
    V, E = weight.shape
    check_indices("embedding", input, V)
    padding_idx = check_padding_idx("embedding", padding_idx, V)
    if max_norm is not None:
        raise NotImplementedError("embedding: max_norm is not implemented (torch renormalises weight in place)")
    y = weight[input]  # (*, E), a copy (fancy indexing)

    def backward(dy):
        dy = check_grad("embedding", dy, y)
        flat = input.reshape(-1)
        dy2 = dy.reshape(-1, E)
        if scale_grad_by_freq:
            counts = np.bincount(flat, minlength=V)  # (V,)
            dy2 = dy2 / counts[flat][:, None].astype(dy.dtype)
        dweight = np.zeros_like(weight)
        np.add.at(dweight, flat, dy2)  # dweight[flat] += dy2 would keep only one of each repeated index
        if padding_idx is not None:
            dweight[padding_idx] = 0
        return None, dweight

    return y, backward


_BAG_MODES = ("sum", "mean", "max")


def _bags(input: np.ndarray, offsets, include_last_offset: bool):
    """``(flat indices (L,), bag of each entry (L,), number of bags B)`` for a 2-d input or a 1-d input with offsets."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag expected offsets to be None for 2-d input (each row is one bag of fixed "
                             f"length), got offsets of shape {fmt_shape(np.shape(offsets))}")
        if include_last_offset:
            # Deliberate difference: torch turns the 2-d rows into offsets and then merges the last two rows.
            raise ValueError("embedding_bag: include_last_offset applies to 1-d input with offsets, got 2-d input")
        B, n = input.shape
        return input.reshape(-1), np.repeat(np.arange(B), n), B
    if input.ndim != 1:
        raise ValueError(f"embedding_bag expected input of shape (B, N) or (L,) with offsets, "
                         f"got shape {fmt_shape(input.shape)}")
    if offsets is None:
        raise ValueError("embedding_bag expected offsets (the start of each bag) with 1-d input, got None")
    if not isinstance(offsets, np.ndarray) or offsets.dtype.kind not in "iu" or offsets.ndim != 1:
        raise TypeError(f"embedding_bag expected offsets to be a 1-d numpy.ndarray of integers, got "
                        f"{type(offsets).__name__}" + (f" of dtype {offsets.dtype} and shape "
                                                       f"{fmt_shape(offsets.shape)}"
                                                       if isinstance(offsets, np.ndarray) else ""))
    L = input.shape[0]
    if offsets.size and offsets[0] != 0:
        raise ValueError(f"embedding_bag expected offsets[0] to be 0 (the first bag starts at the first index), "
                         f"got {int(offsets[0])}")
    if offsets.size and offsets[-1] > L:
        raise ValueError(f"embedding_bag expected offsets at most len(input) = {L}, got {int(offsets[-1])}")
    if np.any(np.diff(offsets) < 0):
        # Deliberate difference: torch does not check, and returns sums over garbage ranges.
        raise ValueError(f"embedding_bag expected non-decreasing offsets, got {offsets.tolist()}")
    if include_last_offset and (offsets.size == 0 or offsets[-1] != L):
        # Deliberate difference: torch 2.13's CPU kernel folds the entries after offsets[-1] into the last bag, and
        # its MPS fix (pytorch#190062) leaves them out of every bag; an input one cannot read both ways is an error.
        raise ValueError(f"embedding_bag expected the last offset to be len(input) = {L} with "
                         f"include_last_offset=True, got " + (str(int(offsets[-1])) if offsets.size else "no offsets"))
    starts = offsets[:-1] if include_last_offset else offsets
    B = starts.shape[0]
    if B == 0:  # no bags: the output is (0, E), and no entry belongs to a bag (torch's result too)
        return input[:0], np.zeros(0, dtype=np.int64), 0
    ends = np.append(starts[1:], L).astype(np.int64)  # each bag runs to the next start, the last to the input's end
    return input, np.repeat(np.arange(B), ends - starts), B


def embedding_bag(input: np.ndarray, weight: np.ndarray, offsets: np.ndarray | None = None,
                  max_norm: float | None = None, norm_type: float = 2, scale_grad_by_freq: bool = False,
                  mode: str = "mean", sparse: bool = False, per_sample_weights: np.ndarray | None = None,
                  include_last_offset: bool = False, padding_idx: int | None = None):
    """Sums, means or maxima of bags of embeddings, without building the ``(B, N, E)`` lookup in between.

    Bag ``b`` is a list of indices ``I_b`` (the entries equal to padding_idx left out); for each bag::

        sum:  y[b] = sum_{k in I_b} w_k weight[input[k]]        (w_k = per_sample_weights[k], else 1)
        mean: y[b] = sum_{k in I_b} weight[input[k]] / |I_b|
        max:  y[b, j] = max_{k in I_b} weight[input[k], j]      (each column on its own)

    and an empty bag (no entries, or padding only) gives zeros in every mode, as in torch.

    Args:
        input: integer indices in ``[0, num_embeddings)``: ``(B, N)``, B bags of N each, or ``(L,)`` with offsets.
        weight: ``(num_embeddings, embedding_dim)``, float32 or float64.
        offsets: with 1-d input, ``(B,)`` starts of the bags in ``input`` (``offsets[0] == 0``, non-decreasing; a
            repeated offset is an empty bag). Must be None for 2-d input.
        max_norm, norm_type: not implemented (torch renormalises weight in place); max_norm must be None.
        scale_grad_by_freq: divide each entry's gradient by how often its index occurs in the whole input (sum and
            mean only, as torch). This is torch's documented rule, and the one its ``embedding`` follows; torch
            2.13's CPU ``embedding_bag`` divides a once-occurring index that sorts after a repeated one by the
            repeated index's count (pytorch#190063, fixed by pytorch#190264), so it differs there.
        mode: ``'sum'``, ``'mean'`` or ``'max'``.
        sparse: accepted for torch's signature; gradients are dense.
        per_sample_weights: the input's shape, the weight's dtype: a weight per entry, for mode ``'sum'`` only (torch
            raises NotImplementedError for the others, and so does this).
        include_last_offset: offsets has ``B + 1`` entries, the last one ``len(input)`` (required here: torch's CPU
            kernel folds any entries after a smaller last offset into the last bag, its MPS kernel drops them).
        padding_idx: entries equal to it are left out of their bag (not counted by the mean). Negative counts from
            the end.

    Shape:
        input ``(B, N)`` or ``(L,)``; offsets ``(B,)`` (``(B + 1,)`` with include_last_offset); y ``(B, E)``.

    Backward:
        Each entry ``k`` of bag ``b`` sends its share of ``dy[b]`` back to its row (np.add.at, so repeats add up)::

            sum:  dweight[input[k]] += w_k dy[b],   dper_sample_weights[k] = dy[b] . weight[input[k]]
            mean: dweight[input[k]] += dy[b] / |I_b|
            max:  dweight[argmax_k, j] += dy[b, j],  argmax the first entry of the bag holding the maximum of
                  column j (torch's tie rule: a later equal value does not replace it)

        Padding entries and empty bags send nothing. With scale_grad_by_freq each entry's share is divided by the
        count of its index in ``input``. ``backward(dy)`` returns ``(None, dweight, None, dper_sample_weights)``, one
        entry per array argument (``input, weight, offsets, per_sample_weights``); integer arrays have no gradient,
        and ``dper_sample_weights`` is None when no weights were given.

    Examples:
        >>> weight = np.arange(8.0).reshape(4, 2)
        >>> y, backward = embedding_bag(np.array([1, 2, 2, 3]), weight, np.array([0, 1, 1]), mode="sum")
        >>> y   # bags [1], [], [2, 2, 3]
        array([[ 2.,  3.],
               [ 0.,  0.],
               [14., 17.]])
        >>> backward(np.ones_like(y))[1]
        array([[0., 0.],
               [1., 1.],
               [2., 2.],
               [1., 1.]])
    """
    check_float("embedding_bag", "weight", weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding_bag expected weight of shape (num_embeddings, embedding_dim), "
                         f"got {fmt_shape(weight.shape)}")
    V, E = weight.shape
    check_indices("embedding_bag", input, V)
    if mode not in _BAG_MODES:
        raise ValueError(f"embedding_bag expected mode to be one of 'sum', 'mean', 'max', got {mode!r}")
    if max_norm is not None:
        raise NotImplementedError("embedding_bag: max_norm is not implemented (torch renormalises weight in place)")
    if scale_grad_by_freq and mode == "max":
        raise ValueError("embedding_bag: mode='max' does not support scale_grad_by_freq (as in torch)")
    padding_idx = check_padding_idx("embedding_bag", padding_idx, V)
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights is only supported for mode='sum' (as in "
                                      f"torch), got mode={mode!r}")
        check_float("embedding_bag", "per_sample_weights", per_sample_weights)
        if per_sample_weights.shape != input.shape or per_sample_weights.dtype != weight.dtype:
            raise ValueError(f"embedding_bag expected per_sample_weights of the input's shape {fmt_shape(input.shape)} "
                             f"and the weight's dtype {weight.dtype}, got {fmt_shape(per_sample_weights.shape)} "
                             f"{per_sample_weights.dtype}")
    idx, bag, B = _bags(input, offsets, include_last_offset)  # (L,), (L,), number of bags
    keep = idx != padding_idx if padding_idx is not None else np.ones(idx.shape, dtype=bool)
    idx_k, bag_k = idx[keep], bag[keep]  # the entries that count, (K,)
    rows = weight[idx_k]  # (K, E)
    y = np.zeros((B, E), dtype=weight.dtype)

    if mode == "max":
        first = np.searchsorted(bag_k, np.arange(B + 1))  # entries are grouped by bag, in order
        argmax = np.zeros((B, E), dtype=np.int64)  # the row each output element came from
        nonempty = first[1:] > first[:-1]
        for b in np.flatnonzero(nonempty):
            block = rows[first[b]:first[b + 1]]  # (n_b, E)
            at = np.argmax(block, axis=0)  # the first maximum of each column: torch's tie rule
            y[b] = block[at, np.arange(E)]
            argmax[b] = idx_k[first[b] + at]

        def backward(dy):
            dy = check_grad("embedding_bag", dy, y)
            dweight = np.zeros_like(weight, order="C")
            cols = np.broadcast_to(np.arange(E), (B, E))
            np.add.at(dweight, (argmax[nonempty], cols[nonempty]), dy[nonempty])
            return None, dweight, None, None

        return y, backward

    w = np.ones(idx_k.shape, dtype=weight.dtype) if per_sample_weights is None \
        else per_sample_weights.reshape(-1)[keep]  # (K,)
    if mode == "mean":
        count = np.bincount(bag_k, minlength=B)  # (B,); an empty bag's 0 is never divided by
        w = (1 / count[bag_k]).astype(weight.dtype)
    np.add.at(y, bag_k, rows * w[:, None])

    def backward(dy):
        dy = check_grad("embedding_bag", dy, y)
        share = w
        if scale_grad_by_freq:
            share = share / np.bincount(idx, minlength=V)[idx_k].astype(weight.dtype)
        dweight = np.zeros_like(weight, order="C")
        np.add.at(dweight, idx_k, dy[bag_k] * share[:, None])
        dpsw = None
        if per_sample_weights is not None:
            dpsw = np.zeros(idx.shape, dtype=weight.dtype)
            dpsw[keep] = np.sum(dy[bag_k] * rows, axis=1)  # dy[b] . weight[input[k]]
            dpsw = dpsw.reshape(per_sample_weights.shape)
        return None, dweight, None, dpsw

    return y, backward
