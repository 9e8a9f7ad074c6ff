"""Twins of ``scratch.nn.graph``: torch.nn has no graph layers, so these are small nn.Modules over
``torch_impl.functional.graph``, with PyTorch Geometric's parameter names (``lin.weight``, ``att_src``, ``att_dst``,
``bias``), in PyG's state-dict order.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from torch_impl.functional.graph import check_edge_index, gat_conv, gcn_conv

__all__ = ["GATConv", "GCNConv"]


def _glorot_(tensor: torch.Tensor) -> torch.Tensor:
    bound = math.sqrt(6.0 / (tensor.shape[-2] + tensor.shape[-1]))
    with torch.no_grad():
        return tensor.uniform_(-bound, bound)


class GCNConv(nn.Module):
    """See ``scratch.nn.GCNConv``."""

    def __init__(self, in_channels, out_channels, improved=False, cached=False, add_self_loops=True, normalize=True,
                 bias=True, device=None, dtype=None):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.improved, self.cached, self.add_self_loops, self.normalize = improved, cached, add_self_loops, normalize
        self.lin = nn.Linear(in_channels, out_channels, bias=False, device=device, dtype=dtype)
        _glorot_(self.lin.weight)
        self.bias = nn.Parameter(torch.zeros(out_channels, device=device, dtype=dtype)) if bias else None

    def forward(self, x, edge_index, edge_weight=None):
        check_edge_index("GCNConv", edge_index, x.shape[0])
        return gcn_conv(x, edge_index, self.lin.weight, self.bias, edge_weight, self.improved, self.add_self_loops,
                        self.normalize)


class GATConv(nn.Module):
    """See ``scratch.nn.GATConv``."""

    def __init__(self, in_channels, out_channels, heads=1, concat=True, negative_slope=0.2, dropout=0.0,
                 add_self_loops=True, edge_dim=None, fill_value="mean", bias=True, residual=False, device=None,
                 dtype=None):
        super().__init__()
        if dropout != 0 or edge_dim is not None or residual:
            raise ValueError("GATConv twin: dropout, edge_dim and residual are not implemented")
        self.in_channels, self.out_channels, self.heads, self.concat = in_channels, out_channels, heads, concat
        self.negative_slope, self.add_self_loops = negative_slope, add_self_loops
        factory = dict(device=device, dtype=dtype)
        self.lin = nn.Linear(in_channels, heads * out_channels, bias=False, **factory)
        _glorot_(self.lin.weight)
        self.att_src = nn.Parameter(_glorot_(torch.empty(1, heads, out_channels, **factory)))
        self.att_dst = nn.Parameter(_glorot_(torch.empty(1, heads, out_channels, **factory)))
        size = heads * out_channels if concat else out_channels
        self.bias = nn.Parameter(torch.zeros(size, **factory)) if bias else None

    def forward(self, x, edge_index):
        check_edge_index("GATConv", edge_index, x.shape[0])
        return gat_conv(x, edge_index, self.lin.weight, self.att_src, self.att_dst, self.bias, self.heads,
                        self.concat, self.negative_slope, self.add_self_loops)
