"""Normalisation shells: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``, ``GroupNorm``.

The math lives in ``scratch.functional.normalization``; these classes hold the parameters and buffers under torch's
names and decide, as torch.nn does, which statistics the function uses (batch or running) and which it updates.
"""
from __future__ import annotations

import contextlib
import threading

import numpy as np

from scratch import functional as F
from scratch._checks import check_float, fmt_shape
from scratch.functional.normalization import normalized_shape_tuple
from scratch.nn.module import Module, Parameter, accumulate_grad


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share: everything but the accepted input ranks (one level, as in torch).

    Args:
        num_features: C, the channel count.
        eps: added to the variance.
        momentum: weight of each new batch in the running averages; None for a cumulative average
            (``1 / num_batches_tracked``, so after k batches the running mean is the plain mean of their means).
        affine: learn ``weight`` (init 1) and ``bias`` (init 0).
        track_running_stats: keep running averages and use them in evaluation; if False there are no buffers
            and batch statistics are used in training and evaluation alike.
        dtype: parameter and buffer dtype, float32 by default as in torch.
        rng: accepted for a uniform signature; the initial values are constants.
        bias: (keyword) with ``affine``, learn ``bias`` too (torch 2.13's keyword).

    Attributes:
        weight, bias: ``(C,)`` or None.
        running_mean, running_var: ``(C,)`` buffers, init 0 and 1, or None.
        num_batches_tracked: int64 0-d buffer counting training batches, or None.

    Threads: a training forward that updates the running statistics holds the layer's lock from the count's
    increment to the end of the update, so that calls from several threads each count once and each weigh their
    batch by their own count (``momentum=None``); without it two threads can read the same count and interleave
    their read-modify-writes of ``running_mean``. Other forwards, and every backward, take no lock here.

    Backward:
        See ``scratch.functional.batch_norm``. ``backward(dy)`` accumulates ``weight.grad`` and ``bias.grad``
        and returns ``dx``.
    """

    _ranks: tuple = ()  # the input ranks a subclass accepts
    _layout: str = ""  # how its error messages draw the input, with C filled in

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, dtype=np.float32, rng=None, *, bias: bool = True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.weight = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=dtype)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self._stats_lock = threading.Lock()

    # A lock cannot be copied or pickled: a copy of the layer gets a lock of its own.
    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_stats_lock"}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__["_stats_lock"] = threading.Lock()

    def _check_input(self, x, use_batch_stats: bool):
        name = type(self).__name__
        check_float(name, "input", x)
        layout = self._layout.format(C=self.num_features)
        if x.ndim not in self._ranks or x.shape[1] != self.num_features:
            hint = ": channels-last?" if x.ndim in self._ranks and x.shape[-1] == self.num_features else ""
            raise ValueError(f"{name} expected input {layout}, got {fmt_shape(x.shape)}{hint}")
        if use_batch_stats and x.size // self.num_features == 1:
            raise ValueError(f"{name} expected more than 1 value per channel when training, "
                             f"got input of shape {fmt_shape(x.shape)}")

    def forward(self, x):
        # Batch statistics in training, and in evaluation when there are no running ones to use.
        use_batch_stats = self.training or self.running_mean is None
        self._check_input(x, use_batch_stats)
        updates = self.training and self.track_running_stats
        with self._stats_lock if updates else contextlib.nullcontext():
            momentum = self.momentum
            if updates:
                self.num_batches_tracked += 1  # in place: state_dict() views keep seeing it
                if self.momentum is None:  # cumulative moving average
                    momentum = 1.0 / float(self.num_batches_tracked)
            # The running statistics go to the function to be used (evaluation) or updated (training, if
            # tracked). As in torch, this also covers a layer whose track_running_stats was switched off after it
            # was built.
            pass_running = not self.training or self.track_running_stats
            running_mean = self.running_mean if pass_running else None
            running_var = self.running_var if pass_running else None
            y, backward = F.batch_norm(x, running_mean, running_var, self.weight, self.bias, use_batch_stats,
                                       0.0 if momentum is None else momentum, self.eps)

        def batch_norm_backward(dy):
            dx, _, _, dweight, dbias = backward(dy)
            accumulate_grad(self.weight, dweight)
            accumulate_grad(self.bias, dbias)
            return dx

        return y, batch_norm_backward

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` input, statistics per channel over N (and L).

    See ``_BatchNorm`` for the arguments and attributes, ``scratch.functional.batch_norm`` for the math.

    Examples:
        >>> layer = BatchNorm1d(3)
        >>> y, backward = layer(np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32))
        >>> y.shape, backward(np.ones_like(y)).shape, int(layer.num_batches_tracked)
        ((8, 3), (8, 3), 1)
    """

    _ranks = (2, 3)
    _layout = "(N, {C}) or (N, {C}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` input, statistics per channel over N, H and W.

    See ``_BatchNorm`` for the arguments and attributes, ``scratch.functional.batch_norm`` for the math.

    Examples:
        >>> layer = BatchNorm2d(3)
        >>> y, backward = layer(np.ones((2, 3, 4, 4), dtype=np.float32))
        >>> y.shape, layer.running_var.shape
        ((2, 3, 4, 4), (3,))
    """

    _ranks = (4,)
    _layout = "(N, {C}, H, W)"


class LayerNorm(Module):
    """Layer normalisation over the trailing ``normalized_shape`` dims of each sample.

    Args:
        normalized_shape: an int or a tuple: the trailing shape of the input to normalise over.
        eps: added to the variance.
        elementwise_affine: learn ``weight`` (init 1) and, with ``bias``, ``bias`` (init 0).
        bias: learn ``bias`` when ``elementwise_affine``.
        dtype: parameter dtype, float32 by default as in torch.
        rng: accepted for a uniform signature; the initial values are constants.

    Attributes:
        weight, bias: of shape ``normalized_shape``, or None.

    Backward:
        See ``scratch.functional.layer_norm``. ``backward(dy)`` accumulates ``weight.grad`` and ``bias.grad``
        and returns ``dx``.

    Examples:
        >>> layer = LayerNorm(8)
        >>> y, backward = layer(np.ones((2, 5, 8), dtype=np.float32))
        >>> y.shape, backward(np.ones_like(y)).shape
        ((2, 5, 8), (2, 5, 8))
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 dtype=np.float32, rng=None):
        super().__init__()
        self.normalized_shape = normalized_shape_tuple("LayerNorm", normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype)) if elementwise_affine and bias else None

    def forward(self, x):
        check_float("LayerNorm", "input", x)
        k = len(self.normalized_shape)
        if x.ndim < k or x.shape[x.ndim - k:] != self.normalized_shape:
            raise ValueError(f"LayerNorm expected input of shape (*, {', '.join(map(str, self.normalized_shape))}), "
                             f"got {fmt_shape(x.shape)}")
        y, backward = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

        def layer_norm_backward(dy):
            dx, dweight, dbias = backward(dy)
            accumulate_grad(self.weight, dweight)
            accumulate_grad(self.bias, dbias)
            return dx

        return y, layer_norm_backward

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Group normalisation: ``num_channels`` split into ``num_groups`` groups of consecutive channels.

    Args:
        num_groups: G, which must divide ``num_channels``.
        num_channels: C.
        eps: added to the variance.
        affine: learn per-channel ``weight`` (init 1) and ``bias`` (init 0).
        dtype: parameter dtype, float32 by default as in torch.
        rng: accepted for a uniform signature; the initial values are constants.
        bias: (keyword) with ``affine``, learn ``bias`` too (torch 2.13's keyword).

    Attributes:
        weight, bias: ``(C,)`` or None.

    Backward:
        See ``scratch.functional.group_norm``. ``backward(dy)`` accumulates ``weight.grad`` and ``bias.grad``
        and returns ``dx``.

    Examples:
        >>> layer = GroupNorm(2, 6)
        >>> y, backward = layer(np.ones((4, 6, 5), dtype=np.float32))
        >>> y.shape, backward(np.ones_like(y)).shape
        ((4, 6, 5), (4, 6, 5))
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 dtype=np.float32, rng=None, *, bias: bool = True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm expected num_channels ({num_channels}) to be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        self.weight = Parameter(np.ones(num_channels, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_channels, dtype=dtype)) if affine and bias else None

    def forward(self, x):
        check_float("GroupNorm", "input", x)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            hint = ": channels-last?" if x.ndim > 2 and x.shape[-1] == self.num_channels else ""
            raise ValueError(f"GroupNorm expected input (N, {self.num_channels}, *), got {fmt_shape(x.shape)}{hint}")
        y, backward = F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

        def group_norm_backward(dy):
            dx, dweight, dbias = backward(dy)
            accumulate_grad(self.weight, dweight)
            accumulate_grad(self.bias, dbias)
            return dx

        return y, group_norm_backward

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
