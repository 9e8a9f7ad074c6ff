"""Pooling shells: ``MaxPool2d``, ``AvgPool2d`` and ``AdaptiveAvgPool2d``, torch.nn's constructors and attributes.

They hold no parameters. Each checks its input under its own name (so an error says ``MaxPool2d``, the layer the
user wrote), then calls its function in ``scratch.functional.pooling``, where the formulas and their derivatives
are written out. Calling returns ``(y, backward)`` with ``backward(dy) -> dx``.
"""
from __future__ import annotations

from scratch import functional as F
from scratch.functional.pooling import check_adaptive_output_size, check_divisor_override, check_pool2d_args
from scratch.nn.module import Module


class MaxPool2d(Module):
    """See ``scratch.functional.max_pool2d``.

    Attributes:
        kernel_size, stride, padding, dilation, return_indices, ceil_mode: as given; ``stride`` defaults to
        ``kernel_size`` as in torch.

    Examples:
        >>> import numpy as np
        >>> y, backward = MaxPool2d(3, stride=2, padding=1)(np.ones((2, 4, 9, 9), dtype=np.float32))
        >>> y.shape, backward(np.ones_like(y)).shape
        ((2, 4, 5, 5), (2, 4, 9, 9))
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, x):
        check_pool2d_args("MaxPool2d", x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)
        y, backward = F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                                   self.return_indices)
        return y, lambda dy: backward(dy)[0]

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """See ``scratch.functional.avg_pool2d``.

    Attributes:
        kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override: as given; ``stride``
        defaults to ``kernel_size`` as in torch.

    Examples:
        >>> import numpy as np
        >>> y, backward = AvgPool2d(2)(np.ones((2, 4, 8, 8), dtype=np.float32))
        >>> y.shape, backward(np.ones_like(y)).shape
        ((2, 4, 4, 4), (2, 4, 8, 8))
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x):
        check_pool2d_args("AvgPool2d", x, self.kernel_size, self.stride, self.padding, 1, self.ceil_mode)
        check_divisor_override("AvgPool2d", self.divisor_override)
        y, backward = F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                   self.count_include_pad, self.divisor_override)
        return y, lambda dy: backward(dy)[0]

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """See ``scratch.functional.adaptive_avg_pool2d``. ``AdaptiveAvgPool2d(1)`` is global average pooling.

    Attributes:
        output_size: ``o``, ``(Ho, Wo)``, an entry None keeping that input size.

    Examples:
        >>> import numpy as np
        >>> y, backward = AdaptiveAvgPool2d((1, None))(np.ones((2, 4, 7, 5), dtype=np.float32))
        >>> y.shape, backward(np.ones_like(y)).shape
        ((2, 4, 1, 5), (2, 4, 7, 5))
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        check_adaptive_output_size("AdaptiveAvgPool2d", x, self.output_size)
        y, backward = F.adaptive_avg_pool2d(x, self.output_size)
        return y, lambda dy: backward(dy)[0]

    def extra_repr(self):
        return f"output_size={self.output_size}"
