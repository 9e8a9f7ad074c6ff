"""Sampling from a language model, token by token: the one implementation both sides use.

``sample`` asks a ``next_logits(seq)`` function for the scores of the next token; the NumPy models
(``CharRNN.sample``, ``CausalTransformerLM.sample``) and their torch twins (``torch_impl.train.sampling``) each pass
their own, and share the drawing, so that the same generator gives the same words on both sides.
"""
from __future__ import annotations

import numpy as np


def sample(next_logits, prefix, steps: int, rng: np.random.Generator, temperature: float = 1.0, stop=None):
    """Continue each row of ``prefix`` (N, T0) by up to ``steps`` tokens drawn from ``softmax(logits / temperature)``.

    Args:
        next_logits: ``seq (N, T) int64 -> (N, V)`` scores of the token after each row's last one.
        stop: a token that ends a row; the row is then filled with ``stop`` and sampling ends when every row has
            stopped.

    Reruns the growing sequence each step (quadratic in length, fine for names and short words). One uniform number
    per row and step: the draw is the inverse CDF, which picks what ``rng.choice(V, p=row)`` would.
    """
    seq = np.asarray(prefix, dtype=np.int64)
    done = np.zeros(len(seq), dtype=bool)
    for _ in range(steps):
        z = np.asarray(next_logits(seq), dtype=np.float64) / temperature  # (N, V)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        # The clip guards against cdf[-1] rounding below u.
        nxt = np.minimum((cdf < rng.random((len(seq), 1))).sum(axis=1), z.shape[1] - 1)
        if stop is not None:
            nxt = np.where(done, stop, nxt)
            done |= nxt == stop
        seq = np.concatenate([seq, nxt[:, None]], axis=1)
        if stop is not None and done.all():
            break
    return seq
