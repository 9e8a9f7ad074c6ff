"""Twins of ``scratch.nn.loss``: torch.nn's own modules, and ``ContrastiveLoss``, which torch lacks."""
import torch
from torch.nn import (
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CosineSimilarity,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    PairwiseDistance,
    SmoothL1Loss,
    TripletMarginLoss,
)

from torch_impl.functional.loss import contrastive_loss

__all__ = ["BCEWithLogitsLoss", "ContrastiveLoss", "CosineEmbeddingLoss", "CosineSimilarity", "CrossEntropyLoss",
           "HuberLoss", "KLDivLoss", "L1Loss", "MSELoss", "MarginRankingLoss", "MultiMarginLoss", "NLLLoss",
           "PairwiseDistance", "SmoothL1Loss", "TripletMarginLoss"]


class ContrastiveLoss(torch.nn.Module):
    """Twin of ``scratch.nn.ContrastiveLoss``: ``torch_impl.functional.contrastive_loss`` with its margin and
    reduction held."""

    def __init__(self, margin: float = 1.0, reduction: str = "mean"):
        super().__init__()
        self.margin = margin
        self.reduction = reduction

    def forward(self, x1, x2, target):
        return contrastive_loss(x1, x2, target, self.margin, self.reduction)
