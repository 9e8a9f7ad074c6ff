"""A dense autoencoder for small images."""
from __future__ import annotations

import numpy as np

from scratch.nn import Flatten, Linear, Module, ReLU, Sequential


class Autoencoder(Module):
    """``logits = decoder(encoder(flatten(x)))``, reconstruction ``sigmoid(logits)`` reshaped like ``x``.

    The decoder ends in logits rather than a sigmoid: train with ``binary_cross_entropy_with_logits`` against pixels in
    [0, 1], which is stable where a sigmoid followed by a log is not.

    Shape:
        x: ``(N, *image)`` with ``prod(image) == in_features``; logits: the same shape as x; ``encode(x)`` gives the
        latent code ``(N, latent)``.

    Examples:
        >>> model = Autoencoder(in_features=64, hidden=32, latent=8)
        >>> logits, backward = model(np.zeros((3, 1, 8, 8), np.float32))
        >>> logits.shape, backward(np.ones_like(logits)).shape
        ((3, 1, 8, 8), (3, 1, 8, 8))
    """

    def __init__(self, in_features: int = 784, hidden: int = 128, latent: int = 32, dtype=np.float32, rng=None):
        super().__init__()
        self.flatten = Flatten()
        self.encoder = Sequential(Linear(in_features, hidden, dtype=dtype, rng=rng), ReLU(),
                                  Linear(hidden, latent, dtype=dtype, rng=rng))
        self.decoder = Sequential(Linear(latent, hidden, dtype=dtype, rng=rng), ReLU(),
                                  Linear(hidden, in_features, dtype=dtype, rng=rng))

    def encode(self, x):
        h, _ = self.flatten(x)
        z, _ = self.encoder(h)
        return z

    def forward(self, x, *, input_grad: bool = True):
        # input_grad=False (x is data) is accepted, as by every zoo model, and skips nothing here: dx is computed.
        h, flatten_back = self.flatten(x)  # (N, in_features)
        z, encoder_back = self.encoder(h)  # (N, latent)
        out, decoder_back = self.decoder(z)  # (N, in_features)
        logits = out.reshape(x.shape)

        def backward(dlogits):
            return flatten_back(encoder_back(decoder_back(dlogits.reshape(out.shape))))

        return logits, backward
