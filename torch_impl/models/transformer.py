"""Twin of ``scratch.models.transformer``."""
import torch
from torch import nn

from torch_impl.nn.attention import PositionalEncoding
from torch_impl.nn.dropout import SharedMaskDropout


def _encoder(d_model, nhead, num_layers, dim_feedforward, dropout) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation="gelu", batch_first=True,
                                       norm_first=True)
    return nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)


def causal_mask(T: int, device=None) -> torch.Tensor:
    """``(T, T)`` boolean, True above the diagonal (blocked), MultiheadAttention's convention."""
    return torch.triu(torch.ones(T, T, dtype=torch.bool, device=device), diagonal=1)


class TransformerClassifier(nn.Module):
    def __init__(self, in_features: int, num_classes: int = 10, d_model: int = 32, nhead: int = 2,
                 num_layers: int = 2, dim_feedforward: int = 64, dropout: float = 0.0, max_len: int = 64):
        super().__init__()
        self.in_features = in_features
        self.embedding = nn.Linear(in_features, d_model)
        self.pos_encoder = PositionalEncoding(d_model, max_len, batch_first=True)
        self.dropout = SharedMaskDropout(dropout)
        self.encoder = _encoder(d_model, nhead, num_layers, dim_feedforward, dropout)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, num_classes)

    def forward(self, x):
        if x.dim() == 4:  # images (N, C, H, W) -> one token per row, (N, H, C * W)
            N, C, H, W = x.shape
            x = x.permute(0, 2, 1, 3).reshape(N, H, C * W)
        h = self.encoder(self.dropout(self.pos_encoder(self.embedding(x))))
        return self.head(self.norm(h.mean(dim=1)))


class CausalTransformerLM(nn.Module):
    def __init__(self, vocab_size: int, d_model: int = 64, nhead: int = 4, num_layers: int = 2,
                 dim_feedforward: int = 128, dropout: float = 0.0, max_len: int = 64):
        super().__init__()
        self.max_len = max_len
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.pos_encoder = PositionalEncoding(d_model, max_len, batch_first=True)
        self.dropout = SharedMaskDropout(dropout)
        self.encoder = _encoder(d_model, nhead, num_layers, dim_feedforward, dropout)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, tokens):
        T = tokens.shape[1]
        h = self.dropout(self.pos_encoder(self.embedding(tokens)))
        h = self.encoder(h, mask=causal_mask(T, tokens.device), is_causal=True)
        return self.head(self.norm(h))
