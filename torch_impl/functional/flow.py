"""Twin of ``scratch.functional.flow``: torch has no flow layers, so the affine coupling is written with tensor ops
and autograd differentiates it."""
import torch


def affine_coupling(input, mask, log_scale, shift):
    """See ``scratch.functional.affine_coupling``: returns ``(y, log_det)``."""
    change = 1 - mask
    y = mask * input + change * (input * torch.exp(log_scale) + shift)
    log_det = torch.sum(change * log_scale, dim=-1)
    return y, log_det


__all__ = ["affine_coupling"]
