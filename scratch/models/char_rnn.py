"""A character-level language model: embedding, a recurrent stack, and a linear read-out per step."""
from __future__ import annotations

import numpy as np

from scratch.models.sampling import sample
from scratch.nn import GRU, LSTM, RNN, Embedding, Linear, Module

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


class CharRNN(Module):
    """``logits[:, t] = W_out h_t + b``, ``h_t = cell(embedding(tokens[:, t]), h_(t-1))``: next-character scores.

    Args:
        vocab_size: number of distinct tokens (characters plus any start/end/padding tokens).
        embedding_dim, hidden_size, num_layers: sizes of the embedding and of the recurrent stack.
        cell: ``'rnn'``, ``'lstm'`` or ``'gru'``.
        dropout: dropout between recurrent layers (num_layers > 1).

    Shape:
        tokens: ``(N, T)`` integer ids; logits: ``(N, T, vocab_size)``. Train with ``cross_entropy`` on
        ``logits.transpose(0, 2, 1)`` against the tokens shifted by one, with ``ignore_index`` on padding: the net is
        causal, so padding after a sequence's end never changes its earlier outputs.

    Examples:
        >>> model = CharRNN(vocab_size=30, embedding_dim=8, hidden_size=16, cell="gru")
        >>> logits, backward = model(np.zeros((4, 7), np.int64))
        >>> logits.shape, backward(np.ones_like(logits)) is None
        ((4, 7, 30), True)
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 32, hidden_size: int = 128, num_layers: int = 1,
                 cell: str = "lstm", dropout: float = 0.0, dtype=np.float32, rng=None):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"CharRNN expected cell to be one of {sorted(CELLS)}, got {cell!r}")
        self.cell = cell
        self.embedding = Embedding(vocab_size, embedding_dim, dtype=dtype, rng=rng)
        self.rnn = CELLS[cell](embedding_dim, hidden_size, num_layers, batch_first=True, dropout=dropout,
                               dtype=dtype, rng=rng)
        self.head = Linear(hidden_size, vocab_size, dtype=dtype, rng=rng)

    def forward(self, tokens, *, input_grad: bool = True):
        # input_grad is accepted, as by every zoo model; integer tokens never have a gradient.
        e, embedding_back = self.embedding(tokens)  # (N, T, E)
        (out, h_n), rnn_back = self.rnn(e)  # out (N, T, H); h_n is h_n or (h_n, c_n)
        logits, head_back = self.head(out)  # (N, T, V)

        def backward(dlogits):
            dout = head_back(dlogits)
            # The loss reads the outputs only: the final states get a zero upstream gradient.
            dstate = (np.zeros_like(h_n[0]), np.zeros_like(h_n[1])) if self.cell == "lstm" else np.zeros_like(h_n)
            return embedding_back(rnn_back((dout, dstate)))  # None: integer tokens have no gradient

        return logits, backward

    def sample(self, prefix, steps: int, rng: np.random.Generator, temperature: float = 1.0, stop=None):
        """Continue each row of ``prefix`` (N, T0) by sampling up to ``steps`` tokens; stop a row at token ``stop``.

        ``scratch.models.sampling.sample`` over this model's last-step logits, in eval mode.
        """
        was_training = self.training
        self.eval()
        try:
            return sample(lambda seq: self(seq)[0][:, -1], prefix, steps, rng, temperature, stop)
        finally:
            self.train(was_training)
