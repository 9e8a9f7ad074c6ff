"""Beyond the courses: the backward passes both courses drop or leave to autodiff, in NumPy, under names of our own.

- attention: scaled dot-product attention and multi-head attention, forward and backward, in the layout and
  conventions of ``torch.nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)``: inputs ``(N, L, E)``, one
  packed ``in_proj_weight (3E, E)`` with rows ``[W_q; W_k; W_v]``, ``out_proj`` a Linear(E, E), and a boolean
  ``mask (L, S)`` with **True where a query may not look** (torch's ``attn_mask``; note that
  ``torch.nn.functional.scaled_dot_product_attention`` uses the opposite convention);
- graph: a GCN layer on a dense adjacency matrix with the symmetric normalisation ``D^-1/2 (A + I) D^-1/2``, and a
  one-head GAT layer (LeakyReLU 0.2 scores, softmax over each node's neighbours, itself included);
- conv-transpose: the transposed convolution in CS231n's style (``(out, cache)``, NCHW, ``conv_param`` with
  ``stride`` and ``pad``) with torch's weight layout ``(C_in, C_out, kH, kW)``.

Each function converts its layout to the one of a ``scratch`` layer and calls it; a backward rebuilds the layer's
closure from the cache. The caches are the forward's inputs.
"""
from __future__ import annotations

import numpy as np

import scratch.functional as F

__all__ = ["attention_forward", "attention_backward", "multi_head_attention_forward",
           "multi_head_attention_backward",
           "gcn_forward", "gcn_backward", "gat_forward", "gat_backward",
           "conv_transpose_forward", "conv_transpose_backward"]


# ---------------------------------------------------------------------------------------------------------------
# Attention


def _sdpa(q, k, v, mask):
    """scratch's scaled_dot_product_attention, whose boolean mask means "may attend": ours means "blocked"."""
    return F.scaled_dot_product_attention(q, k, v, attn_mask=None if mask is None else ~np.asarray(mask, bool))


def attention_forward(q, k, v, mask=None):
    """``out = softmax(q k^T / sqrt(d) + mask) v``, along the keys; ``(out, cache)``, ``cache = (q, k, v, mask)``.

    q ``(..., L, d)``, k ``(..., S, d)``, v ``(..., S, d_v)``; mask None or boolean ``(L, S)`` (or anything that
    broadcasts to ``(..., L, S)``), True where query ``l`` may not look at key ``s``. out ``(..., L, d_v)``.
    """
    out, _ = _sdpa(q, k, v, mask)
    return out, (q, k, v, mask)


def attention_backward(dout, cache):
    """``(dq, dk, dv)``. With ``P`` the attention weights and ``dP = dout v^T``::

        dv = P^T dout      dS = P * (dP - sum_s dP P)      dq = dS k / sqrt(d)      dk = dS^T q / sqrt(d)
    """
    q, k, v, mask = cache
    _, backward = _sdpa(q, k, v, mask)
    dq, dk, dv, _ = backward(dout)
    return dq, dk, dv


def _split_heads(x, num_heads):
    N, T, E = x.shape
    return x.reshape(N, T, num_heads, E // num_heads).transpose(0, 2, 1, 3)  # (N, heads, T, head_dim)


def _merge_heads(x):
    N, H, T, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, T, H * d)


def _multi_head(query, key, value, params, num_heads, mask):
    """The forward as ``scratch`` closures: three projections, the heads' attention, the output projection."""
    E = query.shape[-1]
    W, b = params["in_proj_weight"], params["in_proj_bias"]
    q, q_back = F.linear(query, W[:E], b[:E])  # (N, L, E)
    k, k_back = F.linear(key, W[E:2 * E], b[E:2 * E])  # (N, S, E)
    v, v_back = F.linear(value, W[2 * E:], b[2 * E:])
    heads, attend_back = _sdpa(_split_heads(q, num_heads), _split_heads(k, num_heads), _split_heads(v, num_heads),
                               mask)  # (N, H, L, head_dim): scale 1/sqrt(head_dim)
    out, out_back = F.linear(_merge_heads(heads), params["out_proj.weight"], params["out_proj.bias"])

    def backward(dout):
        dmerged, dW_out, db_out = out_back(dout)
        dqh, dkh, dvh, _ = attend_back(_split_heads(dmerged, num_heads))
        dquery, dWq, dbq = q_back(_merge_heads(dqh))
        dkey, dWk, dbk = k_back(_merge_heads(dkh))
        dvalue, dWv, dbv = v_back(_merge_heads(dvh))
        return {"query": dquery, "key": dkey, "value": dvalue,
                "in_proj_weight": np.concatenate([dWq, dWk, dWv]), "in_proj_bias": np.concatenate([dbq, dbk, dbv]),
                "out_proj.weight": dW_out, "out_proj.bias": db_out}

    return out, backward


def multi_head_attention_forward(query, key, value, params, num_heads, mask=None):
    """Multi-head attention as ``torch.nn.MultiheadAttention(E, num_heads, batch_first=True)`` computes it.

    query ``(N, L, E)``, key and value ``(N, S, E)``; ``params`` holds torch's state-dict entries
    ``in_proj_weight (3E, E)``, ``in_proj_bias (3E,)``, ``out_proj.weight (E, E)``, ``out_proj.bias (E,)``; mask
    None or boolean ``(L, S)``, True = blocked. Returns ``(out (N, L, E), cache)``,
    ``cache = (query, key, value, params, num_heads, mask)``.
    """
    out, _ = _multi_head(query, key, value, params, num_heads, mask)
    return out, (query, key, value, params, num_heads, mask)


def multi_head_attention_backward(dout, cache):
    """The gradients, as a dict keyed like the inputs: ``query``, ``key``, ``value`` and the four parameters."""
    _, backward = _multi_head(*cache)
    return backward(dout)



# ---------------------------------------------------------------------------------------------------------------
# Graph layers on a dense adjacency matrix


def _edges(A):
    """The edge list of a dense adjacency matrix, PyG's way: ``A[i, j] != 0`` is an edge from ``j`` (source) to
    ``i`` (target), so row ``i`` of ``A`` lists the neighbours node ``i`` aggregates over."""
    A = np.asarray(A)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"expected a square adjacency matrix (N, N), got shape {A.shape}")
    if np.any(np.diag(A) != 0):
        raise ValueError("expected an adjacency matrix without self-loops (zero diagonal): the layer adds them")
    dst, src = np.nonzero(A)
    return np.stack([src, dst]).astype(np.int64)


def _gcn(X, A, W, b):
    return F.gcn_conv(X, _edges(A), W.T, b)  # scratch's weight is torch's Linear layout (out, in)


def gcn_forward(X, A, W, b):
    """Graph convolution, ``out = D^-1/2 (A + I) D^-1/2 X W + b`` with ``D`` the degrees of ``A + I``.

    X ``(N, F_in)`` node features, A ``(N, N)`` 0/1 adjacency without self-loops (row ``i``: the neighbours of
    ``i``), W ``(F_in, F_out)``, b ``(F_out,)``. Returns ``(out (N, F_out), cache)``, ``cache = (X, A, W, b)``.
    scratch's ``gcn_conv`` adds the self-loops and normalises by the target-side degrees, as PyG's GCNConv.
    """
    out, _ = _gcn(X, A, W, b)
    return out, (X, A, W, b)


def gcn_backward(dout, cache):
    """``(dX, dW, db)``; with ``Ahat`` the normalised matrix, ``dX = Ahat^T dout W^T``, ``dW = X^T Ahat^T dout``,
    ``db = sum over nodes of dout``."""
    _, backward = _gcn(*cache)
    dX, _, dweight, db, _ = backward(dout)
    return dX, dweight.T, db


def _gat(X, A, W, a, b):
    F_out = W.shape[1]
    att_dst, att_src = a[:F_out].reshape(1, 1, F_out), a[F_out:].reshape(1, 1, F_out)
    return F.gat_conv(X, _edges(A), W.T, att_src, att_dst, b, heads=1, negative_slope=0.2)


def gat_forward(X, A, W, a, b):
    """One-head graph attention (Velickovic et al.)::

        h = X W                                         (N, F_out)
        e_ij = LeakyReLU_0.2(a[:F_out] . h_i + a[F_out:] . h_j)    for j a neighbour of i, or i itself
        alpha_ij = softmax over those j of e_ij         out_i = sum_j alpha_ij h_j + b

    X ``(N, F_in)``, A ``(N, N)`` 0/1 without self-loops, W ``(F_in, F_out)``, a ``(2 F_out,)`` (the paper's
    ``a^T [W h_i || W h_j]``: the first half scores the node itself, the second its neighbour), b ``(F_out,)``.
    Returns ``(out (N, F_out), cache)``, ``cache = (X, A, W, a, b)``. Over scratch's ``gat_conv`` (PyG's GATConv
    layout: ``att_dst`` is ``a``'s first half, ``att_src`` its second).
    """
    out, _ = _gat(X, A, W, a, b)
    return out, (X, A, W, a, b)


def gat_backward(dout, cache):
    """``(dX, dW, da, db)``: the messages' path ``alpha^T dout`` and the scores' path through the softmax and the
    LeakyReLU into both halves of ``a`` and both ends of every edge."""
    _, _, W, _, _ = cache
    dX, _, dweight, datt_src, datt_dst, db = _gat(*cache)[1](dout)
    F_out = W.shape[1]
    return dX, dweight.T, np.concatenate([datt_dst.reshape(F_out), datt_src.reshape(F_out)]), db


# ---------------------------------------------------------------------------------------------------------------
# The transposed convolution, in CS231n's style


def _conv_transpose(x, w, b, conv_param):
    return F.conv_transpose2d(x, w, b, stride=conv_param["stride"], padding=conv_param["pad"])


def conv_transpose_forward(x, w, b, conv_param):
    """Transposed convolution: every input pixel scatters ``x[n, c, i, j] * w[c]`` into the output window at
    ``(i * stride, j * stride)``, overlaps add up, then ``pad`` rows and columns are cropped from each border.

    x ``(N, C_in, H, W)``, w ``(C_in, C_out, HH, WW)`` (torch's ``conv_transpose2d`` layout), b ``(C_out,)``,
    ``conv_param`` with ``stride`` and ``pad`` (CS231n's keys). Returns ``(out, cache)``, out
    ``(N, C_out, H', W')`` with ``H' = (H - 1) * stride - 2 * pad + HH`` (and W' alike); ``cache = (x, w, b,
    conv_param)``. It is the adjoint of the conv2d (from C_out to C_in channels, weight ``w``, the same stride and
    pad) that maps ``out``'s shape to ``x``'s: its forward is that conv's input gradient.
    """
    out, _ = _conv_transpose(x, w, b, conv_param)
    return out, (x, w, b, conv_param)


def conv_transpose_backward(dout, cache):
    """``(dx, dw, db)``: ``dx`` is the conv2d of ``dout`` with ``w`` (same stride and pad), ``dw`` correlates ``x``
    with ``dout``'s windows, ``db`` sums ``dout`` over N, H', W'."""
    _, backward = _conv_transpose(*cache)
    return backward(dout)
