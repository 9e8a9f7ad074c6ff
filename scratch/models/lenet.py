"""LeNet-5 (LeCun et al., 1998), in its common modern form for 28x28 digits."""
from __future__ import annotations

import numpy as np

from scratch.nn import AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Tanh


class LeNet5(Module):
    """``conv(6, 5x5, pad 2) -> act -> pool 2 -> conv(16, 5x5) -> act -> pool 2 -> 120 -> 84 -> classes``.

    The 1998 network used tanh-like squashing and trainable average subsampling; ``classic=True`` gives tanh and
    average pooling, the default gives ReLU and max pooling, as most modern courses teach it. Padding the first
    convolution by 2 lets 28x28 MNIST digits stand in for the paper's 32x32 inputs.

    Shape:
        x: ``(N, in_channels, 28, 28)``; logits: ``(N, num_classes)``. Sizes through the net: 28 -> 28 -> 14 -> 10 -> 5,
        so the first dense layer sees ``16 * 5 * 5 = 400`` features.

    ``model(x, input_grad=False)``: x is data that needs no gradient, so ``conv1`` skips dx and ``backward`` returns
    None, as torch computes nothing for an input that does not require a gradient (the trainer calls it so).

    Examples:
        >>> model = LeNet5()
        >>> logits, backward = model(np.zeros((2, 1, 28, 28), np.float32))
        >>> logits.shape, backward(np.ones_like(logits)).shape
        ((2, 10), (2, 1, 28, 28))
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, classic: bool = False, dtype=np.float32,
                 rng=None):
        super().__init__()
        Act, Pool = (Tanh, AvgPool2d) if classic else (ReLU, MaxPool2d)
        self.classic = classic
        self.conv1 = Conv2d(in_channels, 6, 5, padding=2, dtype=dtype, rng=rng)
        self.act1 = Act()
        self.pool1 = Pool(2)
        self.conv2 = Conv2d(6, 16, 5, dtype=dtype, rng=rng)
        self.act2 = Act()
        self.pool2 = Pool(2)
        self.flatten = Flatten()
        self.fc1 = Linear(16 * 5 * 5, 120, dtype=dtype, rng=rng)
        self.act3 = Act()
        self.fc2 = Linear(120, 84, dtype=dtype, rng=rng)
        self.act4 = Act()
        self.fc3 = Linear(84, num_classes, dtype=dtype, rng=rng)

    def forward(self, x, *, input_grad: bool = True):
        h, conv1_back = self.conv1(x, input_grad=input_grad)  # (N, 6, 28, 28)
        h, act1_back = self.act1(h)
        h, pool1_back = self.pool1(h)  # (N, 6, 14, 14)
        h, conv2_back = self.conv2(h)  # (N, 16, 10, 10)
        h, act2_back = self.act2(h)
        h, pool2_back = self.pool2(h)  # (N, 16, 5, 5)
        h, flatten_back = self.flatten(h)  # (N, 400)
        h, fc1_back = self.fc1(h)
        h, act3_back = self.act3(h)
        h, fc2_back = self.fc2(h)
        h, act4_back = self.act4(h)
        logits, fc3_back = self.fc3(h)

        def backward(dlogits):
            d = act4_back(fc3_back(dlogits))
            d = act3_back(fc2_back(d))
            d = flatten_back(fc1_back(d))
            d = act2_back(pool2_back(d))
            d = conv2_back(d)
            d = act1_back(pool1_back(d))
            return conv1_back(d)

        return logits, backward
