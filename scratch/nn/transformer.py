"""Transformer blocks: ``TransformerEncoderLayer``, ``TransformerDecoderLayer`` and their stacks
``TransformerEncoder``, ``TransformerDecoder``, with torch's constructors, sub-layer names and state_dict keys.

Each block is residual sub-layers, ``x + sublayer(x)``, with a LayerNorm either after the sum (``norm_first=False``,
the original paper's "post-norm") or before the sub-layer (``norm_first=True``, "pre-norm"). A residual sum copies
its gradient to both branches, so each backward below reads: ``dx = dy + sublayer_backward(dy)``.
"""
from __future__ import annotations

import copy

import numpy as np

from scratch import functional as F
from scratch.nn.attention import MultiheadAttention
from scratch.nn.dropout import Dropout
from scratch.nn.linear import Linear
from scratch.nn.module import Module
from scratch.nn.normalization import LayerNorm

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _activation(layer: str, activation):
    if isinstance(activation, str) and activation in _ACTIVATIONS:
        return _ACTIVATIONS[activation]
    raise ValueError(f"{layer} expected activation 'relu' or 'gelu', got {activation!r}")


def _feed_forward(block, x, last_dropout):
    """``last_dropout(linear2(dropout(activation(linear1(x)))))``; returns ``(y, backward)``."""
    h, linear1_backward = block.linear1(x)  # (*, dim_feedforward)
    a, activation_backward = block.activation(h)
    d, dropout_backward = block.dropout(a)
    f, linear2_backward = block.linear2(d)  # (*, d_model)
    y, last_backward = last_dropout(f)

    def backward(dy):
        dd = linear2_backward(last_backward(dy))
        (dh,) = activation_backward(dropout_backward(dd))
        return linear1_backward(dh)

    return y, backward


def _attention_block(attn, dropout, x, mem, attn_mask, key_padding_mask, is_causal):
    """``dropout(attn(x, mem, mem))``; returns ``(y, backward)``, backward giving ``(dx, dmem)``.

    For self-attention (``mem is x``) the caller adds the two: the same array fed query, key and value.
    """
    (a, _), attn_backward = attn(x, mem, mem, key_padding_mask=key_padding_mask, need_weights=False,
                                 attn_mask=attn_mask, is_causal=is_causal)
    y, dropout_backward = dropout(a)

    def backward(dy):
        dquery, dkey, dvalue = attn_backward((dropout_backward(dy), None))
        return dquery, dkey + dvalue

    return y, backward


def _residual(x, sublayer, norm, norm_first: bool):
    """One residual sub-layer: ``x + sublayer(norm(x))`` (pre-norm) or ``norm(x + sublayer(x))`` (post-norm).

    ``sublayer(h)`` returns ``(s, backward)`` with ``backward(ds) -> (dh, *extra)``, ``extra`` being gradients of
    other inputs (the decoder's memory). Returns ``(y, backward)``, ``backward(dy) -> (dx, *extra)``.
    """
    if norm_first:
        h, norm_backward = norm(x)
        s, sub_backward = sublayer(h)
        y = x + s

        def backward(dy):
            dh, *extra = sub_backward(dy)
            return (dy + norm_backward(dh), *extra)  # the skip path, plus the path through the sub-layer
    else:
        s, sub_backward = sublayer(x)
        y, norm_backward = norm(x + s)

        def backward(dy):
            dz = norm_backward(dy)
            dx, *extra = sub_backward(dz)
            return (dz + dx, *extra)

    return y, backward


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward network, each a residual sub-layer with LayerNorm (torch's layer)::

        post-norm: x = norm1(x + sa(x));        x = norm2(x + ff(x))
        pre-norm:  x = x + sa(norm1(x));        x = x + ff(norm2(x))
        sa(x) = dropout1(self_attn(x, x, x)),   ff(x) = dropout2(linear2(dropout(activation(linear1(x)))))

    Args:
        d_model: model width E; nhead: attention heads (E divisible by nhead).
        dim_feedforward: hidden width of the feed-forward network.
        dropout: the rate of every dropout, including the attention weights'.
        activation: ``'relu'`` or ``'gelu'`` (torch also takes a callable; here only the two names).
        layer_norm_eps: the LayerNorms' eps.
        batch_first: ``(N, T, E)`` instead of ``(T, N, E)``.
        norm_first: pre-norm instead of post-norm.
        bias: learn the biases of every Linear, LayerNorm and the attention.
        device: ignored; dtype: parameter dtype (float32 default); rng: for initial weights and dropout masks.

    Attributes:
        self_attn (MultiheadAttention), linear1 ``(dim_feedforward, E)``, linear2 ``(E, dim_feedforward)``,
        norm1, norm2 (LayerNorm), dropout, dropout1, dropout2 (Dropout): torch's names, so state_dict keys match.

    Forward:
        ``layer(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``; the masks are
        MultiheadAttention's ``attn_mask`` and ``key_padding_mask`` (True = blocked); ``is_causal`` is the same
        hint (src_mask must be given). Returns ``(y, backward)``, y like src.

    Backward:
        ``backward(dy)`` returns ``dsrc`` (the three gradients of the self-attention's inputs summed, as src feeds
        all three) and accumulates every parameter's ``.grad``.

    Examples:
        >>> layer = TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0, batch_first=True)
        >>> y, backward = layer(np.ones((2, 5, 16), dtype=np.float32))
        >>> y.shape, backward(np.ones_like(y)).shape
        ((2, 5, 16), (2, 5, 16))
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False,
                 bias: bool = True, device=None, dtype=np.float32, rng=None):
        super().__init__()
        act = _activation("TransformerEncoderLayer", activation)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype, rng=rng)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype, rng=rng)
        self.dropout = Dropout(dropout, rng=rng)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype, rng=rng)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout, rng=rng)
        self.dropout2 = Dropout(dropout, rng=rng)
        self.activation = act  # a function (no parameters), as torch stores it
        self.batch_first = batch_first

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        def self_attention(x):
            y, backward = _attention_block(self.self_attn, self.dropout1, x, x, src_mask, src_key_padding_mask,
                                           is_causal)
            return y, lambda dy: (sum(backward(dy)),)  # x fed query, key and value

        def feed_forward(x):
            y, backward = _feed_forward(self, x, self.dropout2)
            return y, lambda dy: (backward(dy),)

        x, sa_backward = _residual(src, self_attention, self.norm1, self.norm_first)
        y, ff_backward = _residual(x, feed_forward, self.norm2, self.norm_first)

        def backward(dy):
            (dx,) = ff_backward(dy)
            (dsrc,) = sa_backward(dx)
            return dsrc

        return y, backward


class TransformerDecoderLayer(Module):
    """Masked self-attention, attention over the encoder's output (``memory``), then a feed-forward network::

        post-norm: x = norm1(x + sa(x));  x = norm2(x + mha(x, memory));  x = norm3(x + ff(x))
        pre-norm:  x = x + sa(norm1(x));  x = x + mha(norm2(x), memory);  x = x + ff(norm3(x))

    with ``sa`` ending in dropout1, ``mha`` (``multihead_attn(x, memory, memory)``) in dropout2 and ``ff`` in
    dropout3. Constructor arguments as ``TransformerEncoderLayer``; sub-layers ``self_attn``, ``multihead_attn``,
    ``linear1``, ``dropout``, ``linear2``, ``norm1``-``norm3``, ``dropout1``-``dropout3``.

    Forward:
        ``layer(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
        memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)``: the tgt masks go to the
        self-attention, the memory masks to the cross-attention (MultiheadAttention's conventions).

    Backward:
        ``backward(dy)`` returns ``(dtgt, dmemory)``; ``dmemory`` sums the cross-attention's key and value
        gradients (memory feeds both).

    Examples:
        >>> layer = TransformerDecoderLayer(16, 4, dim_feedforward=32, dropout=0.0)
        >>> tgt, memory = np.ones((5, 2, 16), np.float32), np.ones((7, 2, 16), np.float32)
        >>> y, backward = layer(tgt, memory)
        >>> y.shape, [g.shape for g in backward(np.ones_like(y))]
        ((5, 2, 16), [(5, 2, 16), (7, 2, 16)])
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False,
                 bias: bool = True, device=None, dtype=np.float32, rng=None):
        super().__init__()
        act = _activation("TransformerDecoderLayer", activation)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype, rng=rng)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, dtype=dtype, rng=rng)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype, rng=rng)
        self.dropout = Dropout(dropout, rng=rng)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype, rng=rng)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout, rng=rng)
        self.dropout2 = Dropout(dropout, rng=rng)
        self.dropout3 = Dropout(dropout, rng=rng)
        self.activation = act
        self.batch_first = batch_first

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False, memory_is_causal: bool = False):
        def self_attention(x):
            y, backward = _attention_block(self.self_attn, self.dropout1, x, x, tgt_mask, tgt_key_padding_mask,
                                           tgt_is_causal)
            return y, lambda dy: (sum(backward(dy)),)

        def cross_attention(x):
            return _attention_block(self.multihead_attn, self.dropout2, x, memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)  # backward: (dx, dmemory)

        def feed_forward(x):
            y, backward = _feed_forward(self, x, self.dropout3)
            return y, lambda dy: (backward(dy),)

        x1, sa_backward = _residual(tgt, self_attention, self.norm1, self.norm_first)
        x2, mha_backward = _residual(x1, cross_attention, self.norm2, self.norm_first)
        y, ff_backward = _residual(x2, feed_forward, self.norm3, self.norm_first)

        def backward(dy):
            (dx2,) = ff_backward(dy)
            dx1, dmemory = mha_backward(dx2)
            (dtgt,) = sa_backward(dx1)
            return dtgt, dmemory

        return y, backward


class _Layers(Module):
    """The children ``0``, ``1``, ... of a stack (torch's ModuleList, so keys read ``layers.0.linear1.weight``)."""

    def __init__(self, layers):
        super().__init__()
        for i, layer in enumerate(layers):
            setattr(self, str(i), layer)

    def __iter__(self):
        return iter(self._modules.values())

    def __len__(self):
        return len(self._modules)

    def __getitem__(self, i):
        return list(self._modules.values())[i]


def _clones(layer: Module, n: int) -> _Layers:
    """``n`` independent deep copies of ``layer``, as torch's stacks make.

    Random generators are shared, not copied: copies of one generator would draw the same dropout masks in
    every layer.
    """
    memo = {id(m.rng): m.rng for m in layer.modules() if getattr(m, "rng", None) is not None}
    return _Layers(copy.deepcopy(layer, dict(memo)) for _ in range(n))


class TransformerEncoder(Module):
    """``num_layers`` deep copies of ``encoder_layer`` applied in turn, then ``norm`` if given (torch's stack).

    Args:
        encoder_layer: a ``TransformerEncoderLayer``, copied (each copy has its own parameters).
        num_layers: how many.
        norm: an optional final module (usually ``LayerNorm(d_model)``, needed after pre-norm layers).
        enable_nested_tensor, mask_check: accepted for torch's signature and ignored. (torch's nested-tensor fast
            path, used in eval mode without gradients, returns 0 at padded positions; this stack computes them
            as in training, like torch's ordinary path.)

    Forward:
        ``stack(src, mask=None, src_key_padding_mask=None, is_causal=None)``, passed to every layer.

    Backward:
        The layers' closures in reverse order; ``backward(dy)`` returns ``dsrc``.

    Examples:
        >>> stack = TransformerEncoder(TransformerEncoderLayer(8, 2, 16, dropout=0.0), 3)
        >>> [k for k in stack.state_dict()][:2]
        ['layers.0.self_attn.in_proj_weight', 'layers.0.self_attn.in_proj_bias']
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal: bool | None = None):
        backwards = []
        x = src
        for layer in self.layers:
            x, backward = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                                is_causal=bool(is_causal))
            backwards.append(backward)
        if self.norm is not None:
            x, backward = self.norm(x)
            backwards.append(backward)

        def encoder_backward(dy):
            for backward in reversed(backwards):
                dy = backward(dy)
            return dy

        return x, encoder_backward


class TransformerDecoder(Module):
    """``num_layers`` deep copies of ``decoder_layer``, each attending to the same ``memory``, then ``norm``.

    Forward:
        ``stack(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
        memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False)``.

    Backward:
        ``backward(dy)`` returns ``(dtgt, dmemory)``; every layer reads memory, so ``dmemory`` is their sum.
    """

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool | None = None, memory_is_causal: bool = False):
        backwards = []
        x = tgt
        for layer in self.layers:
            x, backward = layer(x, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask,
                                bool(tgt_is_causal), memory_is_causal)
            backwards.append(backward)
        norm_backward = None
        if self.norm is not None:
            x, norm_backward = self.norm(x)

        def decoder_backward(dy):
            if norm_backward is not None:
                dy = norm_backward(dy)
            dmemory = 0
            for backward in reversed(backwards):
                dy, dmem = backward(dy)
                dmemory = dmemory + dmem
            return dy, dmemory

        return x, decoder_backward
