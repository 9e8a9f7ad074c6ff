"""A small residual network (He et al., 2016) for 28x28 or 32x32 images."""
from __future__ import annotations

import numpy as np

from scratch import functional as F
from scratch.nn import AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Identity, Linear, Module, ReLU, Sequential


class BasicBlock(Module):
    """``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``, BatchNorm after each conv and before the activation.

    The shortcut is the identity when shapes agree, else a projection: a 1x1 convolution with the block's stride
    followed by BatchNorm. Convolutions carry no bias: the BatchNorm after each one has its own.

    Backward: the sum splits the upstream gradient to both paths unchanged, and the two input gradients add::

        dsum = relu'(sum) * dy
        dx   = main_path_backward(dsum) + shortcut_backward(dsum)
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, dtype=np.float32, rng=None):
        super().__init__()
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False, dtype=dtype, rng=rng)
        self.bn1 = BatchNorm2d(out_channels, dtype=dtype)
        self.relu = ReLU()
        self.conv2 = Conv2d(out_channels, out_channels, 3, padding=1, bias=False, dtype=dtype, rng=rng)
        self.bn2 = BatchNorm2d(out_channels, dtype=dtype)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = Sequential(
                Conv2d(in_channels, out_channels, 1, stride=stride, bias=False, dtype=dtype, rng=rng),
                BatchNorm2d(out_channels, dtype=dtype))
        else:
            self.shortcut = Identity()

    def forward(self, x):
        h, conv1_back = self.conv1(x)
        h, bn1_back = self.bn1(h)
        h, relu1_back = self.relu(h)
        h, conv2_back = self.conv2(h)
        h, bn2_back = self.bn2(h)
        s, shortcut_back = self.shortcut(x)
        out, relu2_back = F.relu(h + s)

        def backward(dy):
            (dsum,) = relu2_back(dy)
            # The shortcut first: torch's autograd runs the branch made last in forward first, and hooks see the order
            dshortcut = shortcut_back(dsum)
            dmain = conv1_back(bn1_back(relu1_back(conv2_back(bn2_back(dsum)))))
            return dmain + dshortcut

        return out, backward


class SmallResNet(Module):
    """``stem conv3x3 -> BN -> ReLU -> BasicBlock stages -> global average pool -> Linear``.

    Args:
        widths: channels of each stage; every stage after the first halves the resolution (stride 2).
        blocks: BasicBlocks per stage.

    ``model(x, input_grad=False)``: x is data that needs no gradient, so the stem ``conv`` skips dx and ``backward``
    returns None (the trainer calls it so).

    Examples:
        >>> model = SmallResNet(num_classes=10, widths=(8, 16))
        >>> logits, backward = model(np.zeros((2, 1, 28, 28), np.float32))
        >>> logits.shape, backward(np.ones_like(logits)).shape
        ((2, 10), (2, 1, 28, 28))
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, widths=(16, 32, 64), blocks: int = 1,
                 dtype=np.float32, rng=None):
        super().__init__()
        self.conv = Conv2d(in_channels, widths[0], 3, padding=1, bias=False, dtype=dtype, rng=rng)
        self.bn = BatchNorm2d(widths[0], dtype=dtype)
        self.relu = ReLU()
        stages, c_in = [], widths[0]
        for i, width in enumerate(widths):
            for j in range(blocks):
                stride = 2 if (i > 0 and j == 0) else 1
                stages.append(BasicBlock(c_in, width, stride, dtype=dtype, rng=rng))
                c_in = width
        self.layers = Sequential(*stages)
        self.pool = AdaptiveAvgPool2d(1)
        self.flatten = Flatten()
        self.fc = Linear(c_in, num_classes, dtype=dtype, rng=rng)

    def forward(self, x, *, input_grad: bool = True):
        h, conv_back = self.conv(x, input_grad=input_grad)
        h, bn_back = self.bn(h)
        h, relu_back = self.relu(h)
        h, layers_back = self.layers(h)
        h, pool_back = self.pool(h)  # (N, C, 1, 1)
        h, flatten_back = self.flatten(h)  # (N, C)
        logits, fc_back = self.fc(h)

        def backward(dlogits):
            d = pool_back(flatten_back(fc_back(dlogits)))
            return conv_back(bn_back(relu_back(layers_back(d))))

        return logits, backward
