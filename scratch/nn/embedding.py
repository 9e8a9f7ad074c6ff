"""Lookup-table shells: ``Embedding``, ``EmbeddingBag``."""
from __future__ import annotations

import numpy as np

from scratch import functional as F
from scratch import random as _random
from scratch.functional.embedding import check_indices, check_padding_idx
from scratch.nn.module import Module, Parameter, accumulate_grad


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, looked up by integer index (torch.nn.Embedding).

    Args:
        num_embeddings, embedding_dim: the table's shape.
        padding_idx: a row initialised to zeros that receives no gradient (negative counts from the end).
        max_norm, norm_type: not implemented (must be None / ignored).
        scale_grad_by_freq: divide each row's gradient by its index's count in the batch.
        sparse: accepted for torch's signature; gradients are dense.
        _weight: an initial table to copy instead of drawing one (torch's argument name).
        device: accepted for torch's signature; only None or ``'cpu'``.
        dtype: parameter dtype (float32 by default); rng: ``numpy.random.Generator`` for the initial weights.

    Attributes:
        weight: ``(num_embeddings, embedding_dim)``, initialised N(0, 1) as torch does, row padding_idx zeroed.

    Shape:
        input ``(*)`` integer; output ``(*, embedding_dim)``.

    Backward:
        See ``scratch.functional.embedding``. ``backward(dy)`` accumulates ``weight.grad`` and returns None (the
        input is integer indices: it has no gradient).

    Examples:
        >>> emb = Embedding(10, 3, padding_idx=0)
        >>> y, backward = emb(np.array([[1, 0, 4]]))
        >>> y.shape, bool((y[0, 1] == 0).all())
        ((1, 3, 3), True)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight=None, _freeze: bool = False, device=None, dtype=np.float32, rng=None):
        super().__init__()
        if device not in (None, "cpu"):
            raise ValueError(f"Embedding runs on NumPy arrays: device must be None or 'cpu', got {device!r}")
        if max_norm is not None:
            raise NotImplementedError("Embedding: max_norm is not implemented (torch renormalises weight in place)")
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = check_padding_idx("Embedding", padding_idx, num_embeddings)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            table = _random.resolve(rng).standard_normal((num_embeddings, embedding_dim)).astype(dtype)
            if self.padding_idx is not None:
                table[self.padding_idx] = 0
        else:
            table = np.asarray(_weight)
            if table.shape != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding expected _weight of shape ({num_embeddings}, {embedding_dim}), "
                                 f"got {tuple(table.shape)}")
        self.weight = Parameter(table)

    def forward(self, input):
        check_indices("Embedding", input, self.num_embeddings)  # errors under the module's own name
        y, backward = F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                                  self.scale_grad_by_freq, self.sparse)

        def embedding_backward(dy):
            accumulate_grad(self.weight, backward(dy)[1])
            return None

        return y, embedding_backward

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        return s


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embeddings (torch.nn.EmbeddingBag); see ``scratch.functional.embedding_bag``.

    Args:
        num_embeddings, embedding_dim: the table's shape.
        max_norm, norm_type: not implemented (max_norm must be None).
        scale_grad_by_freq: divide each entry's gradient by its index's count in the input (sum and mean).
        mode: ``'sum'``, ``'mean'`` (the default) or ``'max'``.
        sparse: accepted for torch's signature; gradients are dense.
        _weight: an initial table to copy instead of drawing one.
        include_last_offset: offsets carry the end of the last bag too (``B + 1`` entries).
        padding_idx: entries equal to it are left out of their bag; its row starts at zeros.
        device: None or ``'cpu'``; dtype: parameter dtype (float32 by default); rng: ``numpy.random.Generator``.

    Attributes:
        weight: ``(num_embeddings, embedding_dim)``, N(0, 1) as torch, row padding_idx zeroed.

    Shape:
        ``layer(input, offsets=None, per_sample_weights=None)``: input ``(B, N)``, or ``(L,)`` with offsets ``(B,)``;
        output ``(B, embedding_dim)``.

    Backward:
        ``backward(dy)`` accumulates ``weight.grad`` and returns None (integer input has no gradient), or, when
        per_sample_weights were given, ``(None, None, dper_sample_weights)``: one entry per positional argument.

    Examples:
        >>> bag = EmbeddingBag(10, 3, mode="sum")
        >>> y, backward = bag(np.array([1, 2, 4, 5, 4]), np.array([0, 2]))
        >>> y.shape, backward(np.ones_like(y)), bag.weight.grad.shape
        ((2, 3), None, (10, 3))
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                 _weight=None, include_last_offset: bool = False, padding_idx: int | None = None, device=None,
                 dtype=np.float32, rng=None):
        super().__init__()
        if device not in (None, "cpu"):
            raise ValueError(f"EmbeddingBag runs on NumPy arrays: device must be None or 'cpu', got {device!r}")
        if max_norm is not None:
            raise NotImplementedError("EmbeddingBag: max_norm is not implemented (torch renormalises weight in place)")
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag expected mode to be one of 'sum', 'mean', 'max', got {mode!r}")
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset
        self.padding_idx = check_padding_idx("EmbeddingBag", padding_idx, num_embeddings)
        if _weight is None:
            table = _random.resolve(rng).standard_normal((num_embeddings, embedding_dim)).astype(dtype)
            if self.padding_idx is not None:
                table[self.padding_idx] = 0
        else:
            table = np.asarray(_weight)
            if table.shape != (num_embeddings, embedding_dim):
                raise ValueError(f"EmbeddingBag expected _weight of shape ({num_embeddings}, {embedding_dim}), "
                                 f"got {tuple(table.shape)}")
        self.weight = Parameter(table)

    def forward(self, input, offsets=None, per_sample_weights=None):
        check_indices("EmbeddingBag", input, self.num_embeddings)  # errors under the module's own name
        y, backward = F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                                      self.scale_grad_by_freq, self.mode, self.sparse, per_sample_weights,
                                      self.include_last_offset, self.padding_idx)

        def embedding_bag_backward(dy):
            _, dweight, _, dper_sample_weights = backward(dy)
            accumulate_grad(self.weight, dweight)
            return None if per_sample_weights is None else (None, None, dper_sample_weights)

        return y, embedding_bag_backward

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
