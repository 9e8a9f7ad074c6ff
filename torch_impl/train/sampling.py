"""What the trained models make, shown at the end of a run: words sampled from a character model, and an
autoencoder's reconstructions of held-out images.

Sampling has one implementation, ``scratch.models.sampling.sample``: the NumPy models call it through their
``sample`` method, and ``torch_sample`` here calls it with the torch twin's logits, so that the same generator draws
the same words from both sides when their weights agree.
"""
from __future__ import annotations

import numpy as np
import torch

from scratch.models.sampling import sample


def torch_sample(model, prefix, steps: int, rng: np.random.Generator, temperature: float = 1.0, stop=None):
    """``CharRNN.sample`` for a torch model: ``scratch.models.sampling.sample`` over its last-step logits, in eval
    mode."""
    device = next(model.parameters()).device

    @torch.no_grad()
    def next_logits(seq):
        return model(torch.from_numpy(seq).to(device))[:, -1].double().cpu().numpy()

    was_training = model.training
    model.eval()
    try:
        return sample(next_logits, prefix, steps, rng, temperature, stop)
    finally:
        model.train(was_training)


def show_samples(models: dict, ds, seed: int, n: int = 8) -> None:
    """Print ``n`` words from each side's model, each side drawing with a generator seeded with ``seed``."""
    vocab = ds.info["vocab"]
    prefix = np.full((n, 1), vocab.bos)
    for side, model in models.items():
        rng = np.random.default_rng(seed)
        if side == "numpy":
            seq = model.sample(prefix, steps=20, rng=rng, stop=vocab.eos)
        else:
            seq = torch_sample(model, prefix, steps=20, rng=rng, stop=vocab.eos)
        words = [vocab.decode(row) for row in seq]
        print(f"{side} samples: {', '.join(words)}")


def reconstruct(side: str, model, x: np.ndarray) -> np.ndarray:
    """The images ``side``'s autoencoder reconstructs from ``x``: the sigmoid of its logits, in eval mode."""
    model.eval()
    if side == "numpy":
        logits, _ = model(x)
    else:
        with torch.no_grad():
            device = next(model.parameters()).device
            logits = model(torch.from_numpy(x).to(device)).float().cpu().numpy()
    return 1 / (1 + np.exp(-logits))
