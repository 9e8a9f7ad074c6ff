"""A two-layer graph convolutional network for semi-supervised node classification (Kipf and Welling, 2017)."""
from __future__ import annotations

import numpy as np

from scratch.nn import Dropout, GCNConv, Module, ReLU


class GCN(Module):
    """``logits = GCNConv2(dropout(relu(GCNConv1(x, A))), A)``.

    Shape:
        x: ``(num_nodes, in_features)``; edge_index: ``(2, E)`` int64; logits: ``(num_nodes, num_classes)``. Train with
        ``cross_entropy`` whose target is ``-100`` (the ignore_index) on unlabelled nodes.

    Examples:
        >>> model = GCN(in_features=4, hidden=8, num_classes=2)
        >>> logits, backward = model(np.eye(5, 4, dtype=np.float32), np.array([[0, 1, 2], [1, 2, 3]]))
        >>> logits.shape, backward(np.ones_like(logits)).shape
        ((5, 2), (5, 4))
    """

    def __init__(self, in_features: int, hidden: int = 16, num_classes: int = 2, dropout: float = 0.5,
                 dtype=np.float32, rng=None):
        super().__init__()
        self.conv1 = GCNConv(in_features, hidden, dtype=dtype, rng=rng)
        self.relu = ReLU()
        self.dropout = Dropout(dropout, rng=rng)
        self.conv2 = GCNConv(hidden, num_classes, dtype=dtype, rng=rng)

    def forward(self, x, edge_index, *, input_grad: bool = True):
        # input_grad=False (x is data) is accepted, as by every zoo model, and skips nothing here: dx is computed.
        h, conv1_back = self.conv1(x, edge_index)
        h, relu_back = self.relu(h)
        h, dropout_back = self.dropout(h)
        logits, conv2_back = self.conv2(h, edge_index)

        def backward(dlogits):
            return conv1_back(relu_back(dropout_back(conv2_back(dlogits))))

        return logits, backward
