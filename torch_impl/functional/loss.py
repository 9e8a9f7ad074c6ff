"""Twins of ``scratch.functional.loss``: torch's own functions, and ``contrastive_loss``, which torch lacks, written
with tensor ops."""
import torch
from torch.nn.functional import (
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cosine_similarity,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    multi_margin_loss,
    nll_loss,
    pairwise_distance,
    smooth_l1_loss,
    triplet_margin_loss,
)

__all__ = ["binary_cross_entropy_with_logits", "contrastive_loss", "cosine_embedding_loss", "cosine_similarity",
           "cross_entropy", "huber_loss", "kl_div", "l1_loss", "margin_ranking_loss", "mse_loss", "multi_margin_loss",
           "nll_loss", "pairwise_distance", "smooth_l1_loss", "triplet_margin_loss"]


def contrastive_loss(x1, x2, target, margin: float = 1.0, reduction: str = "mean"):
    """Twin of ``scratch.functional.contrastive_loss`` (Hadsell et al. 2006; target 1 similar, 0 dissimilar, no 1/2),
    written with tensor ops for autograd to differentiate. ``vector_norm``'s gradient is 0 at a zero distance."""
    d = torch.linalg.vector_norm(x1 - x2, dim=-1)
    loss = torch.where(target == 1, d.pow(2), torch.clamp_min(margin - d, 0).pow(2))
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    raise ValueError(f"contrastive_loss expected reduction to be one of 'none', 'mean', 'sum', got {reduction!r}")
