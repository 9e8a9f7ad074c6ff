"""Twins of ``scratch.functional.graph``: torch.nn has no graph layers, so these are written with tensor ops.

Message passing is ``index_select`` (gather each edge's source row) then ``index_add_`` (sum the messages into their
targets); autograd differentiates it. The semantics (edge direction, PyG's self-loop rules, degrees on the target
side) are documented on the NumPy side.
"""
from __future__ import annotations

import torch

__all__ = ["add_remaining_self_loops", "check_edge_index", "gat_conv", "gcn_conv"]


def check_edge_index(layer: str, edge_index: torch.Tensor, num_nodes: int) -> None:
    """``edge_index`` must be an integer ``(2, E)`` tensor with every entry in ``[0, num_nodes)``, as on the NumPy
    side (``scratch.functional.graph.check_edge_index``, the same messages). Tensor indexing would take a -1 for the
    last node without a word, and report an index past the end as an IndexError from deep inside."""
    if edge_index.dtype.is_floating_point or edge_index.dtype.is_complex or edge_index.dtype == torch.bool:
        raise TypeError(f"{layer} expected edge_index to hold integer node indices, got dtype {edge_index.dtype}")
    if edge_index.dim() != 2 or edge_index.shape[0] != 2:
        hint = ": transposed? pass edge_index.T" if edge_index.dim() == 2 and edge_index.shape[1] == 2 else ""
        raise ValueError(f"{layer} expected edge_index of shape (2, E), got {tuple(edge_index.shape)}{hint}")
    if edge_index.numel():
        bad = edge_index[(edge_index < 0) | (edge_index >= num_nodes)]
        if bad.numel():
            raise ValueError(f"{layer} expected edge_index entries in [0, {num_nodes}) for {num_nodes} nodes, "
                             f"got {int(bad[0])}")


def _scatter_sum(values: torch.Tensor, index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    out = values.new_zeros((num_nodes,) + tuple(values.shape[1:]))
    return out.index_add_(0, index, values)


def add_remaining_self_loops(src, dst, edge_weight, num_nodes: int, fill_value: float):
    """PyG's rule: drop the input's self-loops, add one per node; a node that had a loop keeps its (last) weight."""
    keep = src != dst
    positions = torch.arange(src.numel(), device=src.device)
    loop_from = torch.full((num_nodes,), -1, dtype=torch.long, device=src.device)
    loop_from = loop_from.scatter_reduce(0, src[~keep], positions[~keep], reduce="amax", include_self=True)
    has_loop = loop_from >= 0
    nodes = torch.arange(num_nodes, dtype=torch.long, device=src.device)
    loop_weight = edge_weight.new_full((num_nodes,), fill_value)
    loop_weight = loop_weight.index_put((nodes[has_loop],), edge_weight[loop_from[has_loop]])  # no repeated index
    return (torch.cat([src[keep], nodes]), torch.cat([dst[keep], nodes]),
            torch.cat([edge_weight[keep], loop_weight]))


def gcn_conv(x, edge_index, weight, bias=None, edge_weight=None, improved=False, add_self_loops=True,
             normalize=True):
    """See ``scratch.functional.gcn_conv``."""
    N = x.shape[0]
    check_edge_index("gcn_conv", edge_index, N)
    src, dst = edge_index[0].long(), edge_index[1].long()
    w = torch.ones(src.numel(), dtype=x.dtype) if edge_weight is None else edge_weight
    if normalize:
        if add_self_loops:
            src, dst, w = add_remaining_self_loops(src, dst, w, N, 2.0 if improved else 1.0)
        deg = _scatter_sum(w, dst, N)
        dinv = deg.pow(-0.5).masked_fill(deg <= 0, 0.0)
        norm = dinv[src] * w * dinv[dst]
    else:
        norm = w
    h = torch.nn.functional.linear(x, weight)
    y = _scatter_sum(norm[:, None] * h[src], dst, N)
    return y if bias is None else y + bias


def gat_conv(x, edge_index, weight, att_src, att_dst, bias=None, heads=1, concat=True, negative_slope=0.2,
             add_self_loops=True):
    """See ``scratch.functional.gat_conv``."""
    N = x.shape[0]
    check_edge_index("gat_conv", edge_index, N)
    H = heads
    C = weight.shape[0] // H
    src, dst = edge_index[0].long(), edge_index[1].long()
    if add_self_loops:
        keep = src != dst
        nodes = torch.arange(N, dtype=torch.long)
        src, dst = torch.cat([src[keep], nodes]), torch.cat([dst[keep], nodes])
    h = torch.nn.functional.linear(x, weight).view(N, H, C)
    score_src = (h * att_src).sum(-1)  # (N, H)
    score_dst = (h * att_dst).sum(-1)
    z = torch.nn.functional.leaky_relu(score_src[src] + score_dst[dst], negative_slope)  # (E', H)
    # The shift cancels in the softmax, so it carries no gradient: detach it.
    zmax = z.new_full((N, H), float("-inf")).scatter_reduce(0, dst[:, None].expand(-1, H), z.detach(), "amax")
    ez = torch.exp(z - zmax[dst])
    alpha = ez / _scatter_sum(ez, dst, N)[dst]
    out = _scatter_sum(alpha[:, :, None] * h[src], dst, N)  # (N, H, C)
    y = out.reshape(N, H * C) if concat else out.mean(dim=1)
    return y if bias is None else y + bias
