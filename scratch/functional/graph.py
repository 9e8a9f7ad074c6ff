"""Graph convolutions on an edge list: ``gcn_conv`` (Kipf and Welling) and ``gat_conv`` (Velickovic et al.).

Both follow PyTorch Geometric's conventions, so a PyG state dict and a PyG ``edge_index`` work unchanged:

- ``x`` is ``(N, F)``: one row of features per node;
- ``edge_index`` is an integer ``(2, E)`` array; column ``e`` is an edge from ``edge_index[0, e]`` (the source ``j``)
  to ``edge_index[1, e]`` (the target ``i``). Messages flow source -> target, and node ``i`` aggregates over its
  *incoming* edges. An undirected graph lists each edge twice, once each way;
- a repeated column is a second, parallel edge: it counts twice (in degrees, sums and softmaxes).

Costs grow with the number of edges, never with ``N^2``: GCN multiplies by a sparse ``(N, N)`` CSR matrix (scipy),
GAT works on per-edge arrays of length ``E`` and sums them into their nodes (``_scatter_sum``: ``np.add.at``'s sums,
as a sparse product).
"""
from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from scratch._checks import check_float, check_grad, check_ndim, check_optional_float, check_positive_int, fmt_shape
from scratch.functional.linear import linear


# Validation -------------------------------------------------------------------------------------------------------
def check_edge_index(layer: str, edge_index, num_nodes: int) -> np.ndarray:
    """``edge_index`` must be an integer ``(2, E)`` array with every entry in ``[0, num_nodes)``."""
    if not isinstance(edge_index, np.ndarray):
        raise TypeError(f"{layer} expected edge_index to be a numpy.ndarray of integers, "
                        f"got {type(edge_index).__name__}")
    if edge_index.dtype.kind not in "iu":
        raise TypeError(f"{layer} expected edge_index to hold integer node indices, got dtype {edge_index.dtype}")
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        hint = ": transposed? pass edge_index.T" if edge_index.ndim == 2 and edge_index.shape[1] == 2 else ""
        raise ValueError(f"{layer} expected edge_index of shape (2, E), got {fmt_shape(edge_index.shape)}{hint}")
    if edge_index.size and (edge_index.min() < 0 or edge_index.max() >= num_nodes):
        bad = edge_index[(edge_index < 0) | (edge_index >= num_nodes)]
        raise ValueError(f"{layer} expected edge_index entries in [0, {num_nodes}) for {num_nodes} nodes, "
                         f"got {int(bad[0])}")
    return edge_index.astype(np.int64, copy=False)


def check_node_features(layer: str, x, in_features: int) -> None:
    """``x`` must be a float ``(N, in_features)`` array: one row of features per node."""
    check_float(layer, "x", x)
    if x.ndim != 2 or x.shape[1] != in_features:
        raise ValueError(f"{layer} expected x of shape (N, {in_features}) (nodes, features), got {fmt_shape(x.shape)}")


# Self-loops -------------------------------------------------------------------------------------------------------
def add_remaining_self_loops(src, dst, edge_weight, num_nodes: int, fill_value: float):
    """Drop every self-loop ``(i, i)`` from the edge list, then append exactly one per node, as PyG does.

    The appended loop of node ``i`` carries ``fill_value``, unless the input already had a loop ``(i, i)``: then it
    keeps that loop's weight (the last one, if ``(i, i)`` was listed several times). Without edge weights every
    weight is 1, so a graph that lists its own self-loops gives the same answer as one that does not.

    Returns ``(src, dst, weight, keep, loop_from)``: the new ``E' = (number of non-loop edges) + N`` edges; ``keep``
    masks the input edges that survive (in order, first in the new list); ``loop_from[i]`` is the input edge whose
    weight node ``i``'s loop took, or -1. Backward uses the last two to route edge-weight gradients home.
    """
    keep = src != dst
    loop_from = np.full(num_nodes, -1, dtype=np.int64)
    # "The last listed loop wins", written so it does not depend on the order numpy applies a repeated assignment.
    np.maximum.at(loop_from, src[~keep], np.flatnonzero(~keep))
    loop_weight = np.full(num_nodes, fill_value, dtype=edge_weight.dtype)
    has_loop = loop_from >= 0
    loop_weight[has_loop] = edge_weight[loop_from[has_loop]]
    nodes = np.arange(num_nodes, dtype=np.int64)
    new_src = np.concatenate([src[keep], nodes])
    new_dst = np.concatenate([dst[keep], nodes])
    new_weight = np.concatenate([edge_weight[keep], loop_weight])
    return new_src, new_dst, new_weight, keep, loop_from


def _scatter_sum(values: np.ndarray, index: np.ndarray, num_nodes: int) -> np.ndarray:
    """``out[n] = sum of values[e] over the edges e with index[e] == n``; rows of nodes with no edge stay 0.

    That is ``np.add.at(out, index, values)`` on zeros, computed as the product with the ``(num_nodes, E)``
    incidence matrix, ``S[n, e] = 1`` where ``index[e] == n``: scipy's CSR product adds each row's entries in edge
    order, as ``np.add.at`` does (the same sums, bit for bit), 4-9x faster at GAT's (E, H) and (E, H, C) arrays
    (measured at 220,000 edges).
    """
    E = len(index)
    S = sp.csr_matrix((np.ones(E, values.dtype), (index, np.arange(E))), shape=(num_nodes, E))
    width = math.prod(values.shape[1:])
    return np.asarray(S @ values.reshape(E, width)).reshape((num_nodes,) + values.shape[1:])


def _scatter_max(values: np.ndarray, index: np.ndarray, num_nodes: int) -> np.ndarray:
    """``out[n] = max of values[e] over the edges e with index[e] == n``; -inf for a node with no edge."""
    out = np.full((num_nodes,) + values.shape[1:], -np.inf, dtype=values.dtype)
    np.maximum.at(out, index, values)
    return out


# GCN --------------------------------------------------------------------------------------------------------------
def gcn_conv(x: np.ndarray, edge_index: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
             edge_weight: np.ndarray | None = None, improved: bool = False, add_self_loops: bool = True,
             normalize: bool = True):
    """Graph convolution ``Y = D^-1/2 (A + I) D^-1/2 X W^T + b`` (Kipf and Welling), as PyG's ``GCNConv``.

    Node by node, with ``h = x W^T`` and the edge list after self-loops are added::

        y_i = b + sum over edges e = (j -> i) of  w_e / sqrt(deg_j deg_i) * h_j,     deg_i = sum over e into i of w_e

    ``w_e`` is the edge weight (1 without ``edge_weight``). The degree is counted on the *target* side, self-loop
    included, as PyG's ``gcn_norm`` does; for a directed edge list ``deg_j`` of a source is still its in-degree.

    Self-loops follow PyG's ``add_remaining_self_loops``: loops already in ``edge_index`` are removed and exactly
    one loop per node is added with weight ``fill = 2 if improved else 1``, except that a node that had a loop keeps
    that loop's weight (1 without ``edge_weight``, even with ``improved``: PyG's rule). Repeated (parallel) edges
    count once each. A node of degree 0 (only possible with
    ``add_self_loops=False``) gets ``deg^-1/2 = 0``, PyG's choice, instead of inf. Weights should be positive.

    Args:
        x: node features ``(N, in_features)``, float32 or float64.
        edge_index: integer ``(2, E)``, row 0 the sources ``j``, row 1 the targets ``i``.
        weight: ``(out_features, in_features)``: PyG's ``lin.weight`` (torch's Linear layout).
        bias: ``(out_features,)`` or None.
        edge_weight: ``(E,)`` positive weights, or None for all ones.
        improved: self-loops of weight 2 (``A + 2I``).
        add_self_loops: add the self-loops (default True). With False the input's own loops are used as given.
        normalize: apply the symmetric normalisation (default True). With False, PyG adds no self-loops either:
            ``y_i = b + sum over e into i of w_e h_j``.

    Shape:
        x: ``(N, F_in)``, edge_index: ``(2, E)``, y: ``(N, F_out)``.

    Backward:
        Let ``A`` be the ``(N, N)`` sparse matrix with ``A[t_e, s_e] += norm_e``, ``norm_e = dinv_s w_e dinv_t``,
        ``dinv = deg^-1/2``. Then ``y = A h + b`` and::

            dh      = A^T dy                   messages run backwards: target -> source
            dx      = dh W,    dweight = dh^T x,    dbias = sum over nodes of dy

        With ``edge_weight`` given, its gradient goes through ``norm_e`` directly and through both degrees::

            dnorm_e  = dy_{t_e} . h_{s_e}                          (a dot product over features)
            ddinv_n  = sum over e leaving n of dnorm_e w_e dinv_{t_e} + sum over e into n of dnorm_e w_e dinv_{s_e}
            ddeg_n   = ddinv_n * (-1/2) deg_n^-3/2 = -ddinv_n dinv_n^3 / 2
            dw_e     = dnorm_e dinv_{s_e} dinv_{t_e} + ddeg_{t_e}

        An input self-loop whose weight a node's loop took receives that loop's ``dw``; one that was dropped gets 0.

        ``backward(dy)`` returns ``(dx, None, dweight, dbias, dedge_weight)``.

    Examples:
        >>> x = np.ones((3, 4)); w = np.ones((2, 4)); edges = np.array([[0, 1], [1, 2]])
        >>> y, backward = gcn_conv(x, edges, w, np.zeros(2))
        >>> y.shape
        (3, 2)
        >>> [None if g is None else g.shape for g in backward(np.ones_like(y))]
        [(3, 4), None, (2, 4), (2,), None]
    """
    layer = "gcn_conv"
    check_float(layer, "weight", weight)
    check_ndim(layer, "weight", weight, 2, "(out_features, in_features)")
    out_features, in_features = weight.shape
    check_node_features(layer, x, in_features)
    if weight.dtype != x.dtype:
        raise TypeError(f"{layer} expected weight of dtype {x.dtype} like the input, got {weight.dtype}")
    N = x.shape[0]
    edge_index = check_edge_index(layer, edge_index, N)
    E = edge_index.shape[1]
    check_optional_float(layer, "bias", bias, x, (out_features,))
    check_optional_float(layer, "edge_weight", edge_weight, x, (E,))

    src, dst = edge_index[0], edge_index[1]
    w_in = np.ones(E, dtype=x.dtype) if edge_weight is None else edge_weight
    if normalize:
        if add_self_loops:
            fill = 2.0 if improved else 1.0
            src, dst, w, keep, loop_from = add_remaining_self_loops(src, dst, w_in, N, fill)
        else:
            w, keep, loop_from = w_in, np.ones(E, dtype=bool), np.full(N, -1, dtype=np.int64)
        deg = np.bincount(dst, weights=w, minlength=N).astype(x.dtype)  # (N,), counted on the target side
        dinv = np.zeros_like(deg)
        np.power(deg, -0.5, out=dinv, where=deg > 0)  # deg 0 -> 0, not inf
        norm = dinv[src] * w * dinv[dst]  # (E',)
    else:
        w, keep, loop_from = w_in, np.ones(E, dtype=bool), np.full(N, -1, dtype=np.int64)
        norm = w

    # Row i of A holds the coefficients of node i's incoming messages: y = A h sums them in one sparse product.
    A = sp.csr_array((norm, (dst, src)), shape=(N, N))
    h, linear_backward = linear(x, weight)  # (N, F_out)
    y = A @ h
    if bias is not None:
        y = y + bias

    def backward(dy):
        dy = check_grad(layer, dy, y)
        dh = A.T @ dy  # (N, F_out)
        dx, dweight, _ = linear_backward(dh)
        dbias = dy.sum(axis=0) if bias is not None else None
        dedge_weight = None
        if edge_weight is not None:
            dnorm = np.einsum("ef,ef->e", dy[dst], h[src])  # (E',)
            if normalize:
                ddinv = (np.bincount(src, weights=dnorm * w * dinv[dst], minlength=N)
                         + np.bincount(dst, weights=dnorm * w * dinv[src], minlength=N))
                ddeg = -0.5 * ddinv * dinv ** 3  # dinv 0 where deg was 0: no gradient there, as in PyG
                dw = dnorm * dinv[src] * dinv[dst] + ddeg[dst]
            else:
                dw = dnorm
            dedge_weight = np.zeros(E, dtype=x.dtype)
            n_kept = int(keep.sum())
            dedge_weight[keep] = dw[:n_kept]
            if normalize and add_self_loops:  # one loop per node was appended after the kept edges
                took = loop_from >= 0  # nodes whose loop took an input loop's weight
                dedge_weight[loop_from[took]] = dw[n_kept:][took]
        return dx, None, dweight, dbias, dedge_weight

    return y, backward


# GAT --------------------------------------------------------------------------------------------------------------
def gat_conv(x: np.ndarray, edge_index: np.ndarray, weight: np.ndarray, att_src: np.ndarray, att_dst: np.ndarray,
             bias: np.ndarray | None = None, heads: int = 1, concat: bool = True, negative_slope: float = 0.2,
             add_self_loops: bool = True):
    """Graph attention (Velickovic et al.), as PyG's ``GATConv``: each node averages its neighbours with learnt weights.

    Per head ``k`` (of ``H``), with ``h = x W^T`` split into heads of ``C`` channels, ``h_j^k`` of shape ``(C,)``::

        score_src_n^k = att_src^k . h_n^k,   score_dst_n^k = att_dst^k . h_n^k   once per node
        z_ij^k     = score_src_j^k + score_dst_i^k                              one score per edge j -> i
        e_ij^k     = LeakyReLU(z_ij^k)
        alpha_ij^k = exp(e_ij^k) / sum over edges (l -> i) of exp(e_il^k)      softmax over i's incoming edges
        y_i^k      = sum over edges (j -> i) of alpha_ij^k h_j^k

    then the heads are concatenated, ``(N, H*C)``, or averaged, ``(N, C)``, and ``bias`` is added. The softmax
    subtracts each target's largest score first (it cancels in the ratio; every exponent is then <= 0).

    Self-loops as PyG's GATConv: loops already present are removed and one per node is added, so every node attends
    to itself once (and no softmax is empty). A repeated edge is two entries in the softmax. Dropout on the
    attention coefficients (PyG's ``dropout``) is not implemented.

    Args:
        x: node features ``(N, in_features)``.
        edge_index: integer ``(2, E)``, row 0 the sources ``j``, row 1 the targets ``i``.
        weight: ``(H*C, in_features)``: PyG's ``lin.weight``.
        att_src, att_dst: ``(1, H, C)``: PyG's ``att_src`` and ``att_dst``.
        bias: ``(H*C,)`` if ``concat`` else ``(C,)``, or None.
        heads: ``H``. concat: concatenate (True) or average the heads.
        negative_slope: the LeakyReLU's slope below 0 (0.2, the paper's and PyG's default).
        add_self_loops: replace the input's self-loops with one per node (default True); False uses the edges as
            given (a node without incoming edges then outputs ``bias``).

    Shape:
        x: ``(N, F_in)``, edge_index: ``(2, E)``, y: ``(N, H*C)`` if ``concat`` else ``(N, C)``.

    Backward:
        Per head, on the edge list with its self-loops (``s``, ``t`` the source and target of edge ``e``)::

            dY        = dy split into heads, (N, H, C); or dy / H copied to every head when averaging
            dalpha_e  = dY_t . h_s                                       (dot product over channels)
            dh_n     += sum over e leaving n of alpha_e dY_t             (the messages' own path)
            de_e      = alpha_e (dalpha_e - sum over edges l into t of alpha_l dalpha_l)   (softmax backward)
            dz_e      = de_e * (1 if z_e > 0 else negative_slope)         (LeakyReLU; torch's slope at 0)
            dscore_src_n = sum over e leaving n of dz_e,   dscore_dst_n = sum over e into n of dz_e
            dh_n     += dscore_src_n att_src + dscore_dst_n att_dst      (the scores' path)
            datt_src  = sum over n of dscore_src_n h_n,   datt_dst = sum over n of dscore_dst_n h_n
            dx = dh W,  dweight = dh^T x,  dbias = sum over nodes of dy

        ``backward(dy)`` returns ``(dx, None, dweight, datt_src, datt_dst, dbias)``.

    Examples:
        >>> x = np.ones((3, 4)); w = np.ones((2 * 5, 4)); a = np.ones((1, 2, 5)); edges = np.array([[0, 1], [1, 2]])
        >>> y, backward = gat_conv(x, edges, w, a, a, np.zeros(10), heads=2)
        >>> y.shape
        (3, 10)
        >>> [None if g is None else g.shape for g in backward(np.ones_like(y))]
        [(3, 4), None, (10, 4), (1, 2, 5), (1, 2, 5), (10,)]
    """
    layer = "gat_conv"
    H = check_positive_int(layer, "heads", heads)
    check_float(layer, "weight", weight)
    check_ndim(layer, "weight", weight, 2, "(heads * out_channels, in_channels)")
    HC, in_features = weight.shape
    if HC % H:
        raise ValueError(f"{layer} expected weight of shape (heads * out_channels, in_channels) with heads={H}, "
                         f"got {fmt_shape(weight.shape)}")
    C = HC // H
    check_node_features(layer, x, in_features)
    if weight.dtype != x.dtype:
        raise TypeError(f"{layer} expected weight of dtype {x.dtype} like the input, got {weight.dtype}")
    for name, att in (("att_src", att_src), ("att_dst", att_dst)):
        check_float(layer, name, att)
        check_optional_float(layer, name, att, x, (1, H, C))
    check_optional_float(layer, "bias", bias, x, (H * C,) if concat else (C,))
    N = x.shape[0]
    edge_index = check_edge_index(layer, edge_index, N)

    src, dst = edge_index[0], edge_index[1]
    if add_self_loops:
        keep = src != dst
        nodes = np.arange(N, dtype=np.int64)
        src, dst = np.concatenate([src[keep], nodes]), np.concatenate([dst[keep], nodes])

    h2, linear_backward = linear(x, weight)  # (N, H*C)
    h = h2.reshape(N, H, C)
    score_src = np.einsum("nhc,hc->nh", h, att_src[0])  # (N, H): att_src . h_j, once per node, not per edge
    score_dst = np.einsum("nhc,hc->nh", h, att_dst[0])
    z = score_src[src] + score_dst[dst]  # (E', H)
    positive = z > 0
    e = np.where(positive, z, negative_slope * z)  # LeakyReLU
    # Segment softmax over each target's incoming edges, stabilised by the target's max score.
    emax = _scatter_max(e, dst, N)  # (N, H)
    exp_e = np.exp(e - emax[dst])
    alpha = exp_e / _scatter_sum(exp_e, dst, N)[dst]  # (E', H)
    out = _scatter_sum(alpha[:, :, None] * h[src], dst, N)  # (N, H, C)
    y = out.reshape(N, H * C) if concat else out.mean(axis=1)
    if bias is not None:
        y = y + bias

    def backward(dy):
        dy = check_grad(layer, dy, y)
        dout = dy.reshape(N, H, C) if concat else np.broadcast_to(dy[:, None, :] / H, (N, H, C))
        dalpha = np.einsum("ehc,ehc->eh", dout[dst], h[src])  # (E', H)
        dh = _scatter_sum(alpha[:, :, None] * dout[dst], src, N)  # (N, H, C)
        de = alpha * (dalpha - _scatter_sum(alpha * dalpha, dst, N)[dst])  # softmax backward
        dz = np.where(positive, de, negative_slope * de)  # LeakyReLU backward
        dscore_src = _scatter_sum(dz, src, N)  # (N, H)
        dscore_dst = _scatter_sum(dz, dst, N)
        dh = dh + dscore_src[:, :, None] * att_src + dscore_dst[:, :, None] * att_dst
        datt_src = np.einsum("nh,nhc->hc", dscore_src, h)[None]  # (1, H, C)
        datt_dst = np.einsum("nh,nhc->hc", dscore_dst, h)[None]
        dx, dweight, _ = linear_backward(dh.reshape(N, H * C))
        dbias = dy.sum(axis=0) if bias is not None else None
        return dx, None, dweight, datt_src, datt_dst, dbias

    return y, backward
