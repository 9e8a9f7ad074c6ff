"""Twin of ``scratch.functional.reparam``: torch's own ``torch._weight_norm``, the function both of torch's
weight-norm APIs compute with, under the scratch name and signature."""
import torch


def weight_norm(v, g, dim=0):
    return torch._weight_norm(v, g, -1 if dim is None else dim)  # torch's WeightNorm turns dim=None into -1 too


__all__ = ["weight_norm"]
