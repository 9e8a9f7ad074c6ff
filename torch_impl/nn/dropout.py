"""Twin of ``scratch.nn.dropout``: torch.nn's own module, plus a Dropout that replays a given mask."""
import torch
from torch.nn import Dropout

__all__ = ["Dropout", "SharedMaskDropout"]


class SharedMaskDropout(torch.nn.Dropout):
    """``torch.nn.Dropout`` that can replay a given keep-mask, for training twins on identical dropout.

    Set ``.mask`` (a boolean tensor shaped like the input, True keeps) before a training forward; it is used once,
    ``y = x * mask / (1 - p)``, then cleared. With no mask set it is plain ``torch.nn.Dropout``. Its state_dict is
    Dropout's (empty), so models using it keep torch's keys.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__(p, inplace)
        self.mask = None

    def forward(self, x):
        if not self.training or self.mask is None:
            return super().forward(x)
        mask, self.mask = self.mask, None
        if tuple(mask.shape) != tuple(x.shape):
            raise ValueError(f"SharedMaskDropout expected a mask of shape {tuple(x.shape)}, got {tuple(mask.shape)}")
        if self.p == 1.0:
            return x * 0.0
        return x * mask.to(x.dtype) / (1.0 - self.p)
