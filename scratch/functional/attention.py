"""Attention: ``scaled_dot_product_attention`` and the sinusoidal positional encoding.

The attention itself is three steps, each with a closure already written elsewhere or a one-line derivative:

1. scores: ``S = scale * Q K^T``, masked (``-inf`` where a query may not look, or a float mask added);
2. weights: ``P = softmax(S)`` along the keys (``scratch.functional.softmax``, whose backward is reused), then
   dropout on ``P`` in training (``scratch.functional.dropout``);
3. output: ``O = P V``.

``attention`` does the three steps for any mask, without checking its arguments, and also hands back ``P``, which
``MultiheadAttention`` returns as its attention weights (and the lessons show); ``scaled_dot_product_attention`` is
torch's function: it checks torch's arguments, builds the mask, and calls ``attention``.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from scratch._checks import check_float, check_grad, fmt_shape
from scratch.functional.activation import softmax
from scratch.functional.dropout import check_dropout_p, dropout
from scratch.functional.dropout import dropout_mask as draw_dropout_mask


def check_attention_mask(layer: str, name: str, mask, like: np.ndarray, shape) -> np.ndarray:
    """A boolean mask, or a float mask of ``like``'s dtype, that broadcasts to ``shape``; returned unchanged."""
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"{layer} expected {name} to be a numpy.ndarray, got {type(mask).__name__}")
    if mask.dtype != np.bool_ and mask.dtype != like.dtype:
        raise TypeError(f"{layer} expected {name} to be bool or {like.dtype} (the query's dtype), got {mask.dtype}")
    try:
        ok = mask.ndim <= len(shape) and np.broadcast_shapes(mask.shape, tuple(shape)) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{layer} expected {name} to broadcast to {fmt_shape(shape)}, got {fmt_shape(mask.shape)}")
    return mask


def attention(query, key, value, mask, scale: float, dropout_p: float = 0.0, keep=None):
    """``O = dropout(softmax(scale Q K^T + mask)) V``, returning ``(O, P, backward)`` with ``P`` after dropout: the
    core that ``scaled_dot_product_attention`` and ``MultiheadAttention`` share, for callers that need the weights.
    It checks nothing: pass arrays of one float dtype with ``query (..., L, E)``, ``key (..., S, E)``,
    ``value (..., S, Ev)``, or call ``scaled_dot_product_attention``, which checks torch's arguments first.

    ``mask`` is None, boolean (True: the query may attend to that key) or float (added to the scores), and
    broadcasts to ``(..., L, S)``. ``keep`` is the boolean dropout keep-mask of shape ``(..., L, S)`` (None: no
    dropout). A row whose keys are all masked out gets weights 0 and output 0 (torch's choice since 2.5; a plain
    softmax would give 0/0 = NaN there), and its gradients are 0.

    ``backward(dout, dweights=None)`` returns ``(dquery, dkey, dvalue)``; ``dweights`` is the gradient of the
    returned ``P`` (what MultiheadAttention returns as attention weights), if it was used.
    """
    scores = (query @ key.swapaxes(-1, -2)) * scale  # (..., L, S)
    dead = None  # rows with no key left to attend to
    if mask is not None:
        if mask.dtype == np.bool_:
            scores = np.where(mask, scores, -np.inf)
            allowed = mask
        else:
            scores = scores + mask
            allowed = ~np.isneginf(mask)
        dead = ~np.any(allowed, axis=-1, keepdims=True)  # (..., L, 1) in the mask's shape: cheap
        if dead.any():
            # softmax of a row of -inf is 0/0; give it any finite row and zero its weights afterwards.
            scores = np.where(dead, 0, scores)
        else:
            dead = None
    weights, softmax_backward = softmax(scores, -1)  # (..., L, S)
    if dead is not None:
        weights = np.where(dead, 0, weights)
    if keep is not None:
        weights, dropout_backward = dropout(weights, dropout_p, mask=keep)
    out = weights @ value  # (..., L, Ev)

    def backward(dout, dweights=None):
        dp = dout @ value.swapaxes(-1, -2)  # (..., L, S)
        if dweights is not None:
            dp = dp + dweights
        dvalue = weights.swapaxes(-1, -2) @ dout  # (..., S, Ev)
        if keep is not None:
            (dp,) = dropout_backward(dp)
        if dead is not None:
            dp = np.where(dead, 0, dp)
        (dscores,) = softmax_backward(dp)
        dquery = (dscores @ key) * scale  # (..., L, E)
        dkey = (dscores.swapaxes(-1, -2) @ query) * scale  # (..., S, E)
        return dquery, dkey, dvalue

    return out, weights, backward


def scaled_dot_product_attention(query: np.ndarray, key: np.ndarray, value: np.ndarray,
                                 attn_mask: np.ndarray | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, *, scale: float | None = None, enable_gqa: bool = False,
                                 dropout_mask: np.ndarray | None = None, rng: np.random.Generator | None = None):
    """``softmax(Q K^T / sqrt(E) + mask) V``: every query takes a weighted average of the values, weighted by how
    well it matches each key.

    Args:
        query: ``(..., L, E)``; key: ``(..., S, E)``; value: ``(..., S, Ev)``, all of one float dtype and the same
            leading dims (torch also broadcasts the leading dims; here they must be equal).
        attn_mask: None; boolean, True where the query may attend to the key (torch's SDPA convention; note that
            ``MultiheadAttention`` uses the opposite one); or float of the query's dtype, added to the scores
            (``-inf`` blocks). Broadcasts to ``(..., L, S)`` and has at least 2 dims, as in torch.
        dropout_p: probability of dropping an attention weight (applied after the softmax, survivors scaled by
            ``1 / (1 - p)``, exactly torch's ``softmax -> dropout -> @ V``).
        is_causal: query ``i`` attends only to keys ``j <= i`` (top-left aligned when ``L != S``, as torch).
            Passing an ``attn_mask`` as well is an error, as in torch.
        scale: multiplies ``Q K^T``; default ``1 / sqrt(E)``.
        enable_gqa: torch's grouped-query option; only False is supported.
        dropout_mask: a boolean keep-mask of shape ``(..., L, S)`` (True keeps) used instead of drawing one, so a
            test can apply torch's reference with the same mask. Only with ``dropout_p > 0``.
        rng: ``numpy.random.Generator`` the dropout mask is drawn from (default: ``scratch.random``'s).

    Shape:
        output: ``(..., L, Ev)``.

    A query row whose keys are all masked out has output 0 and gradient 0. That is what torch 2.13 returns on
    every CPU path of this function (a plain softmax would give NaN; torch's math path uses a "safe" softmax).

    Backward:
        With ``P = softmax(S)`` (after dropout: ``P' = P * keep / (1 - p)``), ``S = scale Q K^T + mask``::

            dV = P'^T dO                       (..., S, L) @ (..., L, Ev)
            dP' = dO V^T                       (..., L, Ev) @ (..., Ev, S)
            dP = dP' * keep / (1 - p)          (dropout's backward)
            dS = P * (dP - sum_j(dP_j P_j))    (softmax's backward, along the keys; 0 in fully masked rows)
            dQ = scale dS K                    dK = scale dS^T Q

        ``backward(dout)`` returns ``(dquery, dkey, dvalue, None)``: no gradient for the mask.

    Examples:
        >>> q = np.ones((2, 4, 3, 8)); k = np.ones((2, 4, 5, 8)); v = np.ones((2, 4, 5, 6))
        >>> out, backward = scaled_dot_product_attention(q, k, v, is_causal=True)
        >>> out.shape
        (2, 4, 3, 6)
        >>> [None if g is None else g.shape for g in backward(np.ones_like(out))]
        [(2, 4, 3, 8), (2, 4, 5, 8), (2, 4, 5, 6), None]
    """
    layer = "scaled_dot_product_attention"
    for name, a in (("query", query), ("key", key), ("value", value)):
        check_float(layer, name, a)
        if a.ndim < 2:
            raise ValueError(f"{layer} expected {name} with at least 2 dims (..., length, features), "
                             f"got shape {fmt_shape(a.shape)}")
    if key.dtype != query.dtype or value.dtype != query.dtype:
        raise TypeError(f"{layer} expected query, key and value of one dtype, got {query.dtype}, {key.dtype}, "
                        f"{value.dtype}")
    *batch, L, E = query.shape
    S = key.shape[-2]
    if key.shape[:-2] != tuple(batch) or value.shape[:-2] != tuple(batch) or key.shape[-1] != E \
            or value.shape[-2] != S:
        raise ValueError(f"{layer} expected query (..., L, E), key (..., S, E) and value (..., S, Ev) with the "
                         f"same leading dims, got {fmt_shape(query.shape)}, {fmt_shape(key.shape)}, "
                         f"{fmt_shape(value.shape)}")
    if enable_gqa:
        raise ValueError(f"{layer}: enable_gqa=True is not supported; repeat the key and value heads first, "
                         f"e.g. np.repeat(key, num_query_heads // num_kv_heads, axis=-3)")
    dropout_p = check_dropout_p(layer, dropout_p)
    if scale is None:
        scale = 1.0 / math.sqrt(E)
    elif not isinstance(scale, numbers.Real):
        raise TypeError(f"{layer} expected scale to be a number, got {type(scale).__name__}")
    scores_shape = (*batch, L, S)
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"{layer} got both attn_mask and is_causal=True; pass one (torch raises too)")
        attn_mask = np.tril(np.ones((L, S), dtype=bool))  # query i sees keys 0..i
    elif attn_mask is not None:
        check_attention_mask(layer, "attn_mask", attn_mask, query, scores_shape)
        if attn_mask.ndim < 2:
            raise ValueError(f"{layer} expected attn_mask of shape (..., L, S) with at least 2 dims, "
                             f"got {fmt_shape(attn_mask.shape)}")
    keep = None
    if dropout_mask is not None:
        if dropout_p == 0.0:
            raise ValueError(f"{layer} got a dropout_mask with dropout_p=0; set dropout_p to the rate it was drawn at")
        if not isinstance(dropout_mask, np.ndarray) or dropout_mask.dtype != np.bool_:
            raise TypeError(f"{layer} expected dropout_mask to be a boolean numpy.ndarray (True keeps)")
        if dropout_mask.shape != scores_shape:
            raise ValueError(f"{layer} expected dropout_mask of shape {fmt_shape(scores_shape)} (..., L, S), "
                             f"got {fmt_shape(dropout_mask.shape)}")
        keep = dropout_mask
    elif dropout_p > 0.0:
        keep = draw_dropout_mask(scores_shape, dropout_p, rng)

    out, _, attend_backward = attention(query, key, value, attn_mask, scale, dropout_p, keep)

    def backward(dout):
        dout = check_grad(layer, dout, out)
        return (*attend_backward(dout), None)

    return out, backward


def sinusoidal_positional_encoding(num_positions: int, d_model: int, dtype=np.float32) -> np.ndarray:
    """The fixed position table of "Attention Is All You Need", a constant (no backward)::

        PE[pos, 2i]     = sin(pos / 10000^(2i / d_model))
        PE[pos, 2i + 1] = cos(pos / 10000^(2i / d_model))

    Each pair of columns is a rotation at its own frequency, from one turn per 2 pi positions (i = 0) down to one
    per 10000 * 2 pi, so ``PE[pos + k]`` is a linear function of ``PE[pos]`` for every offset ``k``. This is the
    formula of the Deep Learning Specialization's Transformer assignment (angle ``pos / 10000^(2 (j // 2) / d)``
    for column ``j``); an odd ``d_model`` ends on a sine column.

    Shape:
        ``(num_positions, d_model)``.

    Examples:
        >>> pe = sinusoidal_positional_encoding(50, 16)
        >>> pe.shape, pe.dtype, pe[0, :4].tolist()
        ((50, 16), dtype('float32'), [0.0, 1.0, 0.0, 1.0])
    """
    for name, n in (("num_positions", num_positions), ("d_model", d_model)):
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
            raise ValueError(f"sinusoidal_positional_encoding expected {name} to be a positive int, got {n!r}")
    pos = np.arange(num_positions, dtype=np.float64)[:, None]  # (P, 1)
    j = np.arange(d_model)
    inv_freq = 1.0 / 10000.0 ** ((2 * (j // 2)) / d_model)  # (D,): the pair (2i, 2i + 1) shares a frequency
    angles = pos * inv_freq  # (P, D)
    pe = np.where(j % 2 == 0, np.sin(angles), np.cos(angles))  # computed in float64, then cast once
    return pe.astype(dtype)
