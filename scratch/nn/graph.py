"""Graph layer shells with PyTorch Geometric's class names, constructor arguments and state-dict keys.

``GCNConv`` holds ``lin.weight`` and ``bias``; ``GATConv`` holds ``att_src``, ``att_dst``, ``bias`` and
``lin.weight``: the keys, order and shapes of PyG's own modules (recent versions), so a PyG state dict loads as is.
Calling either with ``(x, edge_index)`` returns ``(y, backward)``; ``backward(dy)`` accumulates the parameters'
gradients and returns ``dx``. The formulas and their derivatives are written out in ``scratch.functional.graph``.
"""
from __future__ import annotations

import math

import numpy as np

from scratch import functional as F
from scratch._checks import check_positive_int
from scratch.functional.graph import check_edge_index, check_node_features
from scratch.nn import init
from scratch.nn.linear import Linear
from scratch.nn.module import Module, Parameter, accumulate_grad


def _glorot_(array: np.ndarray, rng=None) -> np.ndarray:
    """PyG's ``glorot``: U(-a, a), ``a = sqrt(6 / (size(-2) + size(-1)))`` (for a 2-D weight, Xavier's uniform)."""
    bound = math.sqrt(6.0 / (array.shape[-2] + array.shape[-1]))
    return init.uniform_(array, -bound, bound, rng)


class GCNConv(Module):
    """Graph convolution ``Y = D^-1/2 (A + I) D^-1/2 X W^T + b``; see ``scratch.functional.gcn_conv``.

    Args:
        in_channels, out_channels: feature sizes of the input and output nodes.
        improved: self-loops of weight 2 (``A + 2I``).
        cached: accepted for PyG's signature and ignored: the normalisation is recomputed on every call, which
            gives the same answer (caching only saves time on a fixed graph).
        add_self_loops, normalize: as PyG's (see the function).
        bias: learn an additive bias (default True).
        dtype, rng: parameter dtype and the generator for the initial weights.

    Attributes:
        lin.weight: ``(out_channels, in_channels)``, glorot-uniform U(-a, a), ``a = sqrt(6 / (in + out))``, as PyG.
        bias: ``(out_channels,)``, zeros, as PyG.

    Examples:
        >>> conv = GCNConv(4, 2)
        >>> y, backward = conv(np.ones((3, 4), np.float32), np.array([[0, 1], [1, 2]]))
        >>> y.shape, backward(np.ones((3, 2), np.float32)).shape, conv.lin.weight.grad.shape
        ((3, 2), (3, 4), (2, 4))
    """

    def __init__(self, in_channels: int, out_channels: int, improved: bool = False, cached: bool = False,
                 add_self_loops: bool = True, normalize: bool = True, bias: bool = True, dtype=np.float32, rng=None):
        super().__init__()
        self.in_channels = check_positive_int("GCNConv", "in_channels", in_channels)
        self.out_channels = check_positive_int("GCNConv", "out_channels", out_channels)
        self.improved, self.cached = improved, cached
        self.add_self_loops, self.normalize = add_self_loops, normalize
        self.lin = Linear(in_channels, out_channels, bias=False, dtype=dtype, rng=rng)
        _glorot_(self.lin.weight, rng)
        self.bias = Parameter(np.zeros(out_channels, dtype=dtype)) if bias else None

    def forward(self, x, edge_index, edge_weight=None):
        check_node_features("GCNConv", x, self.in_channels)
        check_edge_index("GCNConv", edge_index, x.shape[0])
        y, backward = F.gcn_conv(x, edge_index, self.lin.weight, self.bias, edge_weight, improved=self.improved,
                                 add_self_loops=self.add_self_loops, normalize=self.normalize)

        def gcn_backward(dy):
            dx, _, dweight, dbias, _ = backward(dy)
            accumulate_grad(self.lin.weight, dweight)
            accumulate_grad(self.bias, dbias)
            return dx

        return y, gcn_backward

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}"


class GATConv(Module):
    """Multi-head graph attention; see ``scratch.functional.gat_conv``.

    Args:
        in_channels: input feature size (an int; PyG's bipartite ``(src, dst)`` tuple is not supported).
        out_channels: ``C``, the channels of each head.
        heads: ``H`` (default 1). concat: concatenate the heads (``H*C`` outputs) or average them (``C``).
        negative_slope: the LeakyReLU's slope (0.2).
        dropout: dropout on the attention coefficients; only 0 (the default) is supported.
        add_self_loops: as PyG's (see the function). edge_dim, fill_value: edge features are not supported, so
            ``edge_dim`` must be None (``fill_value`` only matters with edge features and is ignored).
        bias: learn an additive bias. residual: PyG's residual connection; only False is supported.
        dtype, rng: parameter dtype and the generator for the initial weights.

    Attributes:
        att_src, att_dst: ``(1, H, C)``, glorot U(-a, a), ``a = sqrt(6 / (H + C))`` (PyG's glorot uses the last two
            dims).
        bias: ``(H*C,)`` if concat else ``(C,)``, zeros.
        lin.weight: ``(H*C, in_channels)``, glorot.

    Examples:
        >>> conv = GATConv(4, 3, heads=2)
        >>> y, backward = conv(np.ones((5, 4), np.float32), np.array([[0, 1], [1, 2]]))
        >>> y.shape, backward(np.ones((5, 6), np.float32)).shape, conv.att_src.grad.shape
        ((5, 6), (5, 4), (1, 2, 3))
    """

    def __init__(self, in_channels: int, out_channels: int, heads: int = 1, concat: bool = True,
                 negative_slope: float = 0.2, dropout: float = 0.0, add_self_loops: bool = True, edge_dim=None,
                 fill_value="mean", bias: bool = True, residual: bool = False, dtype=np.float32, rng=None):
        super().__init__()
        if isinstance(in_channels, tuple):
            raise ValueError(f"GATConv expected in_channels to be an int (bipartite graphs are not supported), "
                             f"got {in_channels!r}")
        self.in_channels = check_positive_int("GATConv", "in_channels", in_channels)
        self.out_channels = check_positive_int("GATConv", "out_channels", out_channels)
        self.heads = check_positive_int("GATConv", "heads", heads)
        if dropout != 0:
            raise ValueError(f"GATConv does not implement dropout on attention coefficients: expected dropout=0.0, "
                             f"got {dropout!r}")
        if edge_dim is not None:
            raise ValueError(f"GATConv does not implement edge features: expected edge_dim=None, got {edge_dim!r}")
        if residual:
            raise ValueError("GATConv does not implement the residual connection: expected residual=False")
        self.concat, self.negative_slope, self.dropout = concat, negative_slope, dropout
        self.add_self_loops, self.edge_dim = add_self_loops, edge_dim
        self.fill_value, self.residual = fill_value, residual
        H, C = self.heads, out_channels
        self.lin = Linear(in_channels, H * C, bias=False, dtype=dtype, rng=rng)
        _glorot_(self.lin.weight, rng)
        self.att_src = _glorot_(Parameter(np.empty((1, H, C), dtype=dtype)), rng)
        self.att_dst = _glorot_(Parameter(np.empty((1, H, C), dtype=dtype)), rng)
        self.bias = Parameter(np.zeros(H * C if concat else C, dtype=dtype)) if bias else None

    def forward(self, x, edge_index):
        check_node_features("GATConv", x, self.in_channels)
        check_edge_index("GATConv", edge_index, x.shape[0])
        y, backward = F.gat_conv(x, edge_index, self.lin.weight, self.att_src, self.att_dst, self.bias,
                                 heads=self.heads, concat=self.concat, negative_slope=self.negative_slope,
                                 add_self_loops=self.add_self_loops)

        def gat_backward(dy):
            dx, _, dweight, datt_src, datt_dst, dbias = backward(dy)
            accumulate_grad(self.lin.weight, dweight)
            accumulate_grad(self.att_src, datt_src)
            accumulate_grad(self.att_dst, datt_dst)
            accumulate_grad(self.bias, dbias)
            return dx

        return y, gat_backward

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, heads={self.heads}"
