"""Twin of ``scratch.models.gcn``."""
from torch import nn

from torch_impl.nn.dropout import SharedMaskDropout
from torch_impl.nn.graph import GCNConv


class GCN(nn.Module):
    def __init__(self, in_features: int, hidden: int = 16, num_classes: int = 2, dropout: float = 0.5):
        super().__init__()
        self.conv1 = GCNConv(in_features, hidden)
        self.relu = nn.ReLU()
        self.dropout = SharedMaskDropout(dropout)
        self.conv2 = GCNConv(hidden, num_classes)

    def forward(self, x, edge_index):
        return self.conv2(self.dropout(self.relu(self.conv1(x, edge_index))), edge_index)
