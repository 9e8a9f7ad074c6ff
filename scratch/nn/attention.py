"""Attention shells: ``MultiheadAttention`` and ``PositionalEncoding``."""
from __future__ import annotations

import math
import numbers

import numpy as np

from scratch import functional as F
from scratch._checks import check_float, check_grad, fmt_shape
from scratch.functional.attention import attention, check_attention_mask
from scratch.functional.dropout import check_dropout_p, dropout_mask
from scratch.nn import init
from scratch.nn.linear import Linear
from scratch.nn.module import Module, Parameter, accumulate_grad


def _split_heads(x: np.ndarray, num_heads: int, batch_first: bool) -> np.ndarray:
    """``(N, T, E)`` (batch_first) or ``(T, N, E)`` -> ``(N, H, T, E/H)``: head h owns features h*d .. (h+1)*d - 1."""
    if batch_first:
        N, T, E = x.shape
        return x.reshape(N, T, num_heads, E // num_heads).transpose(0, 2, 1, 3)
    T, N, E = x.shape
    return x.reshape(T, N, num_heads, E // num_heads).transpose(1, 2, 0, 3)


def _merge_heads(x: np.ndarray, batch_first: bool) -> np.ndarray:
    """The inverse of ``_split_heads``: ``(N, H, T, d)`` -> ``(N, T, H*d)`` or ``(T, N, H*d)`` (a copy)."""
    y = x.transpose(0, 2, 1, 3) if batch_first else x.transpose(2, 0, 1, 3)  # (N, T, H, d) or (T, N, H, d)
    return y.reshape(y.shape[:2] + (x.shape[1] * x.shape[3],))  # H * d written out: -1 fails on an empty batch


class MultiheadAttention(Module):
    """Multi-head attention, ``out_proj(concat_h attention(Q W_q^h, K W_k^h, V W_v^h))``, torch's layer.

    Each of ``num_heads`` heads projects the inputs to ``head_dim = embed_dim / num_heads`` features, attends with
    ``softmax(q k^T / sqrt(head_dim) + mask) v``, and the heads' outputs are concatenated and projected back.

    Args:
        embed_dim: model width E; must be divisible by num_heads.
        num_heads: number of heads H.
        dropout: dropout on the attention weights, in training.
        bias: learn ``in_proj_bias`` and ``out_proj.bias`` (both initialised to 0, as torch does).
        add_bias_kv, add_zero_attn: torch's extra key/value rows; only False is supported.
        kdim, vdim: key and value widths; only None (or embed_dim) is supported: one packed ``in_proj_weight``.
        batch_first: inputs ``(N, T, E)`` instead of torch's default ``(T, N, E)``.
        device: accepted for torch's signature and ignored.
        dtype: parameter dtype, float32 by default as in torch.
        rng: ``numpy.random.Generator`` for the initial weights and the dropout masks.

    Attributes:
        in_proj_weight: ``(3E, E)``, rows ``[W_q; W_k; W_v]``, xavier-uniform U(-a, a), a = sqrt(6 / (E + 3E)).
        in_proj_bias: ``(3E,)`` or None.
        out_proj: a ``Linear(E, E)``: ``out_proj.weight`` keeps Linear's init, ``out_proj.bias`` starts at 0.

    Forward:
        ``layer(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
        average_attn_weights=True, is_causal=False)`` returns ``((attn_output, attn_weights), backward)``.

        - query ``(L, N, E)``, key and value ``(S, N, E)`` (``(N, L, E)``... with batch_first), or unbatched
          ``(L, E)``, ``(S, E)``.
        - key_padding_mask ``(N, S)`` (``(S,)`` unbatched): boolean, True where the key is padding and is ignored;
          or float, added to the scores.
        - attn_mask ``(L, S)`` or ``(N * H, L, S)``: boolean, True where attention is NOT allowed (the opposite of
          ``scaled_dot_product_attention``'s convention, as in torch); or float, added to the scores.
        - is_causal: only a hint that attn_mask is the causal mask; as in torch, attn_mask must then be given,
          and it is what is applied.
        - attn_output: like query. attn_weights: the softmax weights after dropout, ``(N, L, S)`` averaged over
          heads or ``(N, H, L, S)``; None when need_weights is False.

        A query whose keys are all masked out gets output ``out_proj.bias`` (its attention is 0) and gradient 0.
        torch gives that when need_weights=False (its SDPA path), but NaN when need_weights=True (a plain softmax
        of a row of -inf) and in its inference fast path; here it is the same on every path.

    Backward:
        ``backward(dy)`` with ``dy = (d_attn_output, d_attn_weights or None)`` (or just ``d_attn_output``) returns
        ``(dquery, dkey, dvalue)`` and accumulates every parameter's ``.grad``. For self-attention, where torch
        sees one tensor passed three times, the input's gradient is ``dquery + dkey + dvalue``: the caller sums.
        Per head, with ``P`` the weights: see ``scratch.functional.scaled_dot_product_attention``; the projections
        are ``scratch.functional.linear``, so ``dW_q = dq^T query`` and ``d in_proj_weight = [dW_q; dW_k; dW_v]``.

    Examples:
        >>> mha = MultiheadAttention(16, 4, batch_first=True)
        >>> x = np.ones((2, 5, 16), dtype=np.float32)
        >>> (out, weights), backward = mha(x, x, x)
        >>> out.shape, weights.shape
        ((2, 5, 16), (2, 5, 5))
        >>> [g.shape for g in backward((np.ones_like(out), None))]
        [(2, 5, 16), (2, 5, 16), (2, 5, 16)]
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None, dtype=np.float32, rng=None):
        super().__init__()
        for name, n in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
                raise ValueError(f"MultiheadAttention expected {name} to be a positive int, got {n!r}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention expected embed_dim divisible by num_heads, got embed_dim="
                             f"{embed_dim}, num_heads={num_heads}")
        if add_bias_kv or add_zero_attn:
            raise ValueError("MultiheadAttention: add_bias_kv=True and add_zero_attn=True are not supported")
        if kdim not in (None, embed_dim) or vdim not in (None, embed_dim):
            raise ValueError(f"MultiheadAttention supports only kdim=vdim=embed_dim (one packed in_proj_weight), "
                             f"got kdim={kdim}, vdim={vdim} for embed_dim={embed_dim}")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = check_dropout_p("MultiheadAttention", dropout)
        self.batch_first = batch_first
        self.rng = rng
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype=dtype))
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype=dtype)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, rng=rng)
        # torch's _reset_parameters: xavier_uniform_ on the packed weight (fan_in E, fan_out 3E), zero biases.
        bound = math.sqrt(6.0 / (embed_dim + 3 * embed_dim))
        init.uniform_(self.in_proj_weight, -bound, bound, rng)
        if bias:
            self.out_proj.bias[...] = 0

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True, attn_mask=None,
                average_attn_weights: bool = True, is_causal: bool = False):
        layer = "MultiheadAttention"
        E, H = self.embed_dim, self.num_heads
        dtype = self.in_proj_weight.dtype
        for name, a in (("query", query), ("key", key), ("value", value)):
            check_float(layer, name, a)
            if a.dtype != dtype:
                raise TypeError(f"{layer} expected {name} of dtype {dtype} (the parameters'), got {a.dtype}")
        batched = query.ndim == 3
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"{layer} expected query, key, value all (L, N, E) (batch_first: (N, L, E)) or all "
                             f"unbatched (L, E), got {fmt_shape(query.shape)}, {fmt_shape(key.shape)}, "
                             f"{fmt_shape(value.shape)}")
        if not batched:  # add a batch of one and take it away at the end
            axis = 0 if self.batch_first else 1
            query, key, value = (np.expand_dims(a, axis) for a in (query, key, value))
            if key_padding_mask is not None and getattr(key_padding_mask, "ndim", 0) == 1:
                key_padding_mask = key_padding_mask[None]
        t_axis, n_axis = (1, 0) if self.batch_first else (0, 1)
        L, N, S = query.shape[t_axis], query.shape[n_axis], key.shape[t_axis]
        layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
        if query.shape[2] != E:
            raise ValueError(f"{layer} expected query of shape {layout} with E = embed_dim = {E}, "
                             f"got {fmt_shape(query.shape)}")
        if key.shape != value.shape or key.shape[n_axis] != N or key.shape[2] != E:
            raise ValueError(f"{layer} expected key and value of one shape {layout.replace('L', 'S')} with the "
                             f"query's N = {N} and E = {E}, got {fmt_shape(key.shape)} and {fmt_shape(value.shape)}")
        mask = self._merge_masks(attn_mask, key_padding_mask, is_causal, query, N, L, S)
        p = self.dropout if self.training else 0.0
        keep = dropout_mask((N, H, L, S), p, self.rng) if p > 0 else None

        W = self.in_proj_weight.view(np.ndarray)
        bias = None if self.in_proj_bias is None else self.in_proj_bias.view(np.ndarray)
        # Three products with the three row blocks of in_proj_weight, also for self-attention (query is key is
        # value), where torch packs them into one (3E, E) product: each input keeps its own gradient and linear's
        # closure does the backward. Measured at the benchmark's shape ((16, 128, 256), 8 heads, one thread, forward
        # plus backward, 25 interleaved rounds): one packed product 66.7 / 67.4 ms (need_weights False / True), three
        # products 67.3 / 67.3 ms, within the noise.
        b = [None] * 3 if bias is None else np.split(bias, 3)
        q, q_backward = F.linear(query, W[:E], b[0])  # like query
        k, k_backward = F.linear(key, W[E:2 * E], b[1])
        v, v_backward = F.linear(value, W[2 * E:], b[2])
        qh, kh, vh = (_split_heads(a, H, self.batch_first) for a in (q, k, v))  # (N, H, T, head_dim)
        heads, weights, attend_backward = attention(qh, kh, vh, mask, 1.0 / math.sqrt(self.head_dim), p, keep)
        # .forward, not a call: torch's MultiheadAttention uses out_proj's weight and bias in a functional call,
        # so hooks registered on out_proj never fire there; calling forward keeps it so here.
        attn_output, out_backward = self.out_proj.forward(_merge_heads(heads, self.batch_first))  # like query

        attn_weights = None
        if need_weights:
            attn_weights = weights.mean(axis=1) if average_attn_weights else weights  # (N, L, S) or (N, H, L, S)
            if not batched:
                attn_weights = attn_weights[0]
        if not batched:
            attn_output = np.squeeze(attn_output, axis)
        y = (attn_output, attn_weights)

        def backward(dy):
            dout, dweights = dy if isinstance(dy, tuple) else (dy, None)
            dout = check_grad(layer, dout, attn_output, "d(attn_output)")
            if dweights is not None:
                if attn_weights is None:
                    raise ValueError(f"{layer}.backward got d(attn_weights) but need_weights was False")
                dweights = check_grad(layer, dweights, attn_weights, "d(attn_weights)")
                if not batched:
                    dweights = dweights[None]
                if average_attn_weights:  # the mean over heads hands each head 1/H of the gradient
                    dweights = dweights[:, None] / H  # (N, 1, L, S), broadcast over heads
            if not batched:
                dout = np.expand_dims(dout, axis)
            dheads = _split_heads(out_backward(dout), H, self.batch_first)
            dqh, dkh, dvh = attend_backward(dheads, dweights)
            dquery, dWq, dbq = q_backward(_merge_heads(dqh, self.batch_first))
            dkey, dWk, dbk = k_backward(_merge_heads(dkh, self.batch_first))
            dvalue, dWv, dbv = v_backward(_merge_heads(dvh, self.batch_first))
            accumulate_grad(self.in_proj_weight, np.concatenate([dWq, dWk, dWv]))
            if self.in_proj_bias is not None:
                accumulate_grad(self.in_proj_bias, np.concatenate([dbq, dbk, dbv]))
            if not batched:
                dquery, dkey, dvalue = (np.squeeze(g, axis) for g in (dquery, dkey, dvalue))
            return dquery, dkey, dvalue

        return y, backward

    def _merge_masks(self, attn_mask, key_padding_mask, is_causal, query, N, L, S):
        """torch's two masks as one for ``attention``: boolean (True attends) if both are boolean, else float."""
        layer, H = "MultiheadAttention", self.num_heads
        if is_causal and attn_mask is None:
            raise ValueError(f"{layer}: is_causal=True is a hint that attn_mask is the causal mask and needs attn_mask "
                             f"itself (torch raises too); pass e.g. np.triu(np.ones((L, L), bool), 1)")
        masks = []  # each broadcastable to (N, H, L, S), in its own convention: bool True = blocked
        if attn_mask is not None:
            check_attention_mask(layer, "attn_mask", attn_mask, query, attn_mask.shape)
            if attn_mask.shape == (L, S):
                masks.append(attn_mask)
            elif attn_mask.shape == (N * H, L, S):
                masks.append(attn_mask.reshape(N, H, L, S))  # torch's (N * H) is batch-major: n * H + h
            else:
                raise ValueError(f"{layer} expected attn_mask of shape (L, S) = {fmt_shape((L, S))} or "
                                 f"(N * num_heads, L, S) = {fmt_shape((N * H, L, S))}, "
                                 f"got {fmt_shape(attn_mask.shape)}")
        if key_padding_mask is not None:
            check_attention_mask(layer, "key_padding_mask", key_padding_mask, query, key_padding_mask.shape)
            if key_padding_mask.shape != (N, S):
                raise ValueError(f"{layer} expected key_padding_mask of shape (N, S) = {fmt_shape((N, S))}, "
                                 f"got {fmt_shape(key_padding_mask.shape)}")
            masks.append(key_padding_mask[:, None, None, :])  # (N, 1, 1, S)
        if not masks:
            return None
        if all(m.dtype == np.bool_ for m in masks):
            blocked = masks[0] if len(masks) == 1 else masks[0] | masks[1]
            return ~blocked  # attention's convention: True attends
        # At least one float mask: torch turns boolean ones into 0 / -inf and adds them up.
        total = 0
        for m in masks:
            total = total + (np.where(m, -np.inf, 0).astype(query.dtype) if m.dtype == np.bool_ else m)
        return total

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"


class PositionalEncoding(Module):
    """Adds the sinusoidal position table (``scratch.functional.sinusoidal_positional_encoding``) to its input.

    No parameters: the table is the buffer ``pe`` of shape ``(max_len, d_model)``. torch.nn has no such layer; its
    twin in ``torch_impl.nn`` is written with tensor ops and has the same buffer. Dropout, which the original
    Transformer applies after the sum, is a separate ``Dropout`` layer.

    Args:
        d_model: the feature size E.
        max_len: the longest sequence the table covers.
        batch_first: inputs ``(N, T, E)`` instead of ``(T, N, E)``; unbatched ``(T, E)`` works either way.
        dtype: the buffer's dtype; the input must have it too.

    Backward:
        ``y = x + PE[:T]`` and PE is a constant, so ``dx = dy``.

    Examples:
        >>> y, backward = PositionalEncoding(8, batch_first=True)(np.zeros((2, 5, 8), dtype=np.float32))
        >>> y.shape, y[0, 0, :4].tolist()
        ((2, 5, 8), [0.0, 1.0, 0.0, 1.0])
    """

    def __init__(self, d_model: int, max_len: int = 5000, batch_first: bool = False, dtype=np.float32):
        super().__init__()
        self.d_model = d_model
        self.max_len = max_len
        self.batch_first = batch_first
        self.register_buffer("pe", F.sinusoidal_positional_encoding(max_len, d_model, dtype))

    def forward(self, x):
        layer = "PositionalEncoding"
        check_float(layer, "input", x)
        if x.dtype != self.pe.dtype:
            raise TypeError(f"{layer} expected input of dtype {self.pe.dtype} (its pe buffer's), got {x.dtype}")
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            layout = "(N, T, E)" if self.batch_first else "(T, N, E)"
            raise ValueError(f"{layer} expected input {layout} or (T, E) with E = d_model = {self.d_model}, "
                             f"got {fmt_shape(x.shape)}")
        T = x.shape[1] if (self.batch_first and x.ndim == 3) else x.shape[0]
        if T > self.max_len:
            raise ValueError(f"{layer} got a sequence of length {T}, longer than max_len={self.max_len}")
        pe = self.pe[:T]  # (T, E)
        if x.ndim == 3 and not self.batch_first:
            pe = pe[:, None, :]  # (T, 1, E): the same position row for every sequence in the batch
        y = x + pe

        def backward(dy):
            return check_grad(layer, dy, y)

        return y, backward

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"
