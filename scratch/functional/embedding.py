"""Lookup tables: ``embedding``."""
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
