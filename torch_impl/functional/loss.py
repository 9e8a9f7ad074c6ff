"""Twins of ``scratch.functional.loss``: torch's own functions."""
from torch.nn.functional import (binary_cross_entropy_with_logits, cross_entropy, huber_loss, kl_div, l1_loss,
                                 mse_loss, nll_loss, smooth_l1_loss)

__all__ = ["binary_cross_entropy_with_logits", "cross_entropy", "huber_loss", "kl_div", "l1_loss", "mse_loss",
           "nll_loss", "smooth_l1_loss"]
