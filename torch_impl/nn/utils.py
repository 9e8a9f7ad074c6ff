"""Twin of ``scratch.nn.utils``: torch's own clip_grad_norm_, weight_norm and remove_weight_norm."""
import warnings

import torch
from torch.nn.utils import clip_grad_norm_, remove_weight_norm


def weight_norm(module, name="weight", dim=0):
    """``torch.nn.utils.weight_norm`` itself, without its FutureWarning: the scratch side keeps its state_dict names
    (``weight_g``, ``weight_v``); ``torch.nn.utils.parametrizations.weight_norm`` loads them too."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, message=".*weight_norm.* is deprecated")
        return torch.nn.utils.weight_norm(module, name, dim)


__all__ = ["clip_grad_norm_", "remove_weight_norm", "weight_norm"]
