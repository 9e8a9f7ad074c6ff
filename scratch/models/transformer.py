"""Two small pre-norm Transformers: an encoder classifier over a sequence of tokens (image rows, by default), and a
causal character-level language model (a decoder-only "GPT" built from encoder layers and a causal mask).

Both use torch's ``TransformerEncoderLayer`` with ``norm_first=True`` (pre-norm), the block of most current models::

    x = x + self_attn(norm1(x))      # multi-head self-attention sub-layer
    x = x + ff(norm2(x))             # feed-forward sub-layer, ff = linear2(gelu(linear1(.)))

A pre-norm stack leaves its output un-normalised (the residual stream only ever has sub-layer outputs added), so both
models put one more LayerNorm after the stack, before the read-out.
"""
from __future__ import annotations

import numpy as np

from scratch._checks import fmt_shape
from scratch.models.sampling import sample
from scratch.nn import (
    Dropout,
    Embedding,
    LayerNorm,
    Linear,
    Module,
    PositionalEncoding,
    TransformerEncoder,
    TransformerEncoderLayer,
)


def _encoder(d_model, nhead, num_layers, dim_feedforward, dropout, dtype, rng) -> TransformerEncoder:
    layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation="gelu", batch_first=True,
                                    norm_first=True, dtype=dtype, rng=rng)
    # enable_nested_tensor=False: torch's twin warns otherwise (its nested-tensor path does not take pre-norm layers).
    return TransformerEncoder(layer, num_layers, enable_nested_tensor=False)


def causal_mask(T: int) -> np.ndarray:
    """``(T, T)`` boolean, True above the diagonal: query ``i`` may not attend to key ``j > i``.

    True means *blocked*, MultiheadAttention's convention (the opposite of ``scaled_dot_product_attention``'s).

    Examples:
        >>> causal_mask(3).astype(int).tolist()
        [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
    """
    return np.triu(np.ones((T, T), dtype=bool), k=1)


class TransformerClassifier(Module):
    """``head(norm(mean_t encoder(pos(embedding(tokens)))[t]))``: a Transformer encoder that classifies a sequence.

    Token layout: an image ``(N, C, H, W)`` is read top to bottom, one token per pixel row: token ``h`` holds row
    ``h`` of every channel, channel after channel, so tokens are ``(N, H, C * W)`` and ``in_features = C * W``
    (an 8x8 digit is 8 tokens of 8 features). A batch that is already tokens, ``(N, T, in_features)``, is used as
    it is. Each token is embedded by a Linear layer, the sinusoidal position table is added (attention alone cannot
    tell row 2 from row 7), the pre-norm encoder mixes the tokens, and their mean feeds a LayerNorm and the head.

    Args:
        in_features: features per token (``C * W`` for images).
        num_classes: number of classes.
        d_model, nhead, num_layers, dim_feedforward: the encoder's width, heads, depth and feed-forward width.
        dropout: after the position encoding and everywhere inside the encoder layers (attention weights too).
        max_len: the most tokens a sequence may have (rows of the position table ``pos_encoder.pe``).
        dtype, rng: parameter dtype, and the generator for initial weights and dropout masks.

    Shape:
        x: ``(N, C, H, W)`` or ``(N, T, in_features)``; logits: ``(N, num_classes)``.

    Backward:
        The mean over ``T`` tokens hands each token ``1/T`` of the pooled gradient::

            dh[:, t] = dpooled / T                  for every t
            dx = embedding_backward(encoder_backward(dh)), reshaped back to the input's layout

    Examples:
        >>> model = TransformerClassifier(8, 10)
        >>> logits, backward = model(np.zeros((2, 1, 8, 8), np.float32))
        >>> logits.shape, backward(np.ones_like(logits)).shape
        ((2, 10), (2, 1, 8, 8))
    """

    def __init__(self, in_features: int, num_classes: int = 10, d_model: int = 32, nhead: int = 2,
                 num_layers: int = 2, dim_feedforward: int = 64, dropout: float = 0.0, max_len: int = 64,
                 dtype=np.float32, rng=None):
        super().__init__()
        self.in_features = in_features
        self.embedding = Linear(in_features, d_model, dtype=dtype, rng=rng)
        self.pos_encoder = PositionalEncoding(d_model, max_len, batch_first=True, dtype=dtype)
        self.dropout = Dropout(dropout, rng=rng)
        self.encoder = _encoder(d_model, nhead, num_layers, dim_feedforward, dropout, dtype, rng)
        self.norm = LayerNorm(d_model, dtype=dtype)
        self.head = Linear(d_model, num_classes, dtype=dtype, rng=rng)

    def _tokens(self, x):
        """Images ``(N, C, H, W)`` -> row tokens ``(N, H, C * W)``; tokens pass as they are. -> (tokens, backward)"""
        F_in = self.in_features
        if x.ndim == 3 and x.shape[2] == F_in:
            return x, lambda dtokens: dtokens
        if x.ndim == 4 and x.shape[1] * x.shape[3] == F_in:
            N, C, H, W = x.shape
            # Bring the row axis next to the batch, so a token gathers row h of every channel.
            tokens = x.transpose(0, 2, 1, 3).reshape(N, H, C * W)  # (N, H, C * W)
            return tokens, lambda dtokens: dtokens.reshape(N, H, C, W).transpose(0, 2, 1, 3)
        raise ValueError(f"TransformerClassifier expected tokens (N, T, {F_in}) or images (N, C, H, W) with "
                         f"C * W = in_features = {F_in}, got {fmt_shape(x.shape)}")

    def forward(self, x, *, input_grad: bool = True):
        # input_grad=False (x is data) is accepted, as by every zoo model, and skips nothing here: dx is computed.
        tokens, tokens_back = self._tokens(x)  # (N, T, in_features)
        T = tokens.shape[1]
        e, embedding_back = self.embedding(tokens)  # (N, T, d_model)
        e, pos_back = self.pos_encoder(e)
        e, dropout_back = self.dropout(e)
        h, encoder_back = self.encoder(e)  # (N, T, d_model)
        pooled = h.mean(axis=1)  # (N, d_model)
        z, norm_back = self.norm(pooled)
        logits, head_back = self.head(z)  # (N, num_classes)

        def backward(dlogits):
            dpooled = norm_back(head_back(dlogits))
            dh = np.repeat(dpooled[:, None, :] / T, T, axis=1)  # (N, T, d_model): every token shares the mean
            de = pos_back(dropout_back(encoder_back(dh)))
            return tokens_back(embedding_back(de))

        return logits, backward


class CausalTransformerLM(Module):
    """``logits[:, t] = head(norm(encoder(pos(embedding(tokens)), causal mask)))[:, t]``: next-token scores.

    A decoder-only Transformer (GPT's layout, pre-norm): every position attends to itself and the positions before
    it, never after, so ``logits[:, t]`` depends on ``tokens[:, :t + 1]`` only and predicts ``tokens[:, t + 1]``.
    Because of that, padding after a sequence's end cannot change its earlier outputs: no padding mask is needed,
    only ``ignore_index`` on the padded targets of the loss (as for ``CharRNN``).

    Args:
        vocab_size: number of distinct tokens (characters plus start/end/padding tokens).
        d_model, nhead, num_layers, dim_feedforward: the encoder's width, heads, depth and feed-forward width.
        dropout: after the position encoding and everywhere inside the encoder layers (attention weights too).
        max_len: the longest sequence (rows of the position table ``pos_encoder.pe``); ``sample`` keeps only the
            last ``max_len`` tokens as context.
        dtype, rng: parameter dtype, and the generator for initial weights and dropout masks.

    Shape:
        tokens: ``(N, T)`` integer ids, ``T <= max_len``; logits: ``(N, T, vocab_size)``. Train with
        ``cross_entropy`` on ``logits.transpose(0, 2, 1)`` against the tokens shifted by one, padding set to -100.

    Backward:
        ``backward(dlogits)`` runs head, norm, encoder (every layer's mask applied again in its backward: a blocked
        score has weight 0 and passes no gradient), position encoding (``dx = dy``) and embedding in reverse, and
        returns None: integer tokens have no gradient.

    Examples:
        >>> model = CausalTransformerLM(vocab_size=30, d_model=16, nhead=2, num_layers=1, dim_feedforward=32)
        >>> logits, backward = model(np.zeros((4, 7), np.int64))
        >>> logits.shape, backward(np.ones_like(logits)) is None
        ((4, 7, 30), True)
    """

    def __init__(self, vocab_size: int, d_model: int = 64, nhead: int = 4, num_layers: int = 2,
                 dim_feedforward: int = 128, dropout: float = 0.0, max_len: int = 64, dtype=np.float32, rng=None):
        super().__init__()
        self.max_len = max_len
        self.embedding = Embedding(vocab_size, d_model, dtype=dtype, rng=rng)
        self.pos_encoder = PositionalEncoding(d_model, max_len, batch_first=True, dtype=dtype)
        self.dropout = Dropout(dropout, rng=rng)
        self.encoder = _encoder(d_model, nhead, num_layers, dim_feedforward, dropout, dtype, rng)
        self.norm = LayerNorm(d_model, dtype=dtype)
        self.head = Linear(d_model, vocab_size, dtype=dtype, rng=rng)

    def forward(self, tokens, *, input_grad: bool = True):
        # input_grad is accepted, as by every zoo model; integer tokens never have a gradient.
        if np.ndim(tokens) != 2:
            raise ValueError(f"CausalTransformerLM expected tokens (N, T), got {fmt_shape(np.shape(tokens))}")
        T = tokens.shape[1]
        e, embedding_back = self.embedding(tokens)  # (N, T, d_model)
        e, pos_back = self.pos_encoder(e)
        e, dropout_back = self.dropout(e)
        # is_causal=True is only a hint (torch may then use a fused causal kernel); the mask is what is applied.
        h, encoder_back = self.encoder(e, mask=causal_mask(T), is_causal=True)  # (N, T, d_model)
        h, norm_back = self.norm(h)
        logits, head_back = self.head(h)  # (N, T, vocab_size)

        def backward(dlogits):
            dh = encoder_back(norm_back(head_back(dlogits)))
            return embedding_back(pos_back(dropout_back(dh)))  # None: integer tokens have no gradient

        return logits, backward

    def sample(self, prefix, steps: int, rng: np.random.Generator, temperature: float = 1.0, stop=None):
        """Continue each row of ``prefix`` (N, T0) by sampling up to ``steps`` tokens; stop a row at token ``stop``.

        ``scratch.models.sampling.sample`` over this model's last-step logits, in eval mode, feeding at most the last
        ``max_len`` tokens. Rows that have stopped are filled with ``stop``.
        """
        was_training = self.training
        self.eval()
        try:
            return sample(lambda seq: self(seq[:, -self.max_len:])[0][:, -1], prefix, steps, rng, temperature, stop)
        finally:
            self.train(was_training)
