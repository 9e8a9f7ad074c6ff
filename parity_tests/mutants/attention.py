"""Planted bugs in attention, multi-head attention and the transformer blocks.

Attention reuses ``scratch.functional.softmax``'s closure, so the softmax-backward mutant of activation.py already
covers a softmax Jacobian without its subtraction term; the bugs here are the ones attention code itself can have.
"""
from parity_tests.mutants import Mutant

_ATTENTION = "scratch/functional/attention.py"
_MHA = "scratch/nn/attention.py"
_TRANSFORMER = "scratch/nn/transformer.py"
_SDPA_TESTS = ("parity_tests/test_attention.py", "-k", "test_sdpa_matches_torch or test_sdpa_gradcheck")
_MHA_TESTS = ("parity_tests/test_attention.py", "-k", "test_mha_matches_torch or test_mha_pinned_case")
_LAYER_TESTS = ("parity_tests/test_transformer.py", "-k", "encoder_layer_matches or decoder_layer_matches")

_MASK_BEFORE_SOFTMAX = """\
        if mask.dtype == np.bool_:
            scores = np.where(mask, scores, -np.inf)
            allowed = mask
        else:
            scores = scores + mask
            allowed = ~np.isneginf(mask)
        dead = ~np.any(allowed, axis=-1, keepdims=True)  # (..., L, 1) in the mask's shape: cheap
        if dead.any():
            # softmax of a row of -inf is 0/0; give it any finite row and zero its weights afterwards.
            scores = np.where(dead, 0, scores)
        else:
            dead = None
    weights, softmax_backward = softmax(scores, -1)  # (..., L, S)
"""
_MASK_AFTER_SOFTMAX = """\
        if mask.dtype == np.bool_:
            allowed = mask
        else:
            scores = scores + mask
            allowed = ~np.isneginf(mask)
        dead = ~np.any(allowed, axis=-1, keepdims=True)  # (..., L, 1) in the mask's shape: cheap
        if dead.any():
            # softmax of a row of -inf is 0/0; give it any finite row and zero its weights afterwards.
            scores = np.where(dead, 0, scores)
        else:
            dead = None
    weights, softmax_backward = softmax(scores, -1)  # (..., L, S)
    if mask is not None and mask.dtype == np.bool_:
        weights = np.where(mask, weights, 0)
"""

MUTANTS = [
    Mutant(
        name="attention-mask-after-softmax",
        file=_ATTENTION,
        old=_MASK_BEFORE_SOFTMAX,
        new=_MASK_AFTER_SOFTMAX,
        tests=_SDPA_TESTS,
        why="zeroing masked weights after the softmax leaves rows that no longer sum to 1 (mask the scores with -inf)",
    ),
    Mutant(
        name="attention-dquery-missing-scale",
        file=_ATTENTION,
        old="dquery = (dscores @ key) * scale  # (..., L, E)",
        new="dquery = dscores @ key  # (..., L, E)",
        tests=_SDPA_TESTS,
        why="the scores are scale * Q K^T, so the 1/sqrt(d) factor must reappear in dQ (and dK)",
    ),
    Mutant(
        name="attention-dkey-untransposed",
        file=_ATTENTION,
        old="dkey = (dscores.swapaxes(-1, -2) @ query) * scale  # (..., S, E)",
        new="dkey = (dscores @ query) * scale if dscores.shape[-1] == dscores.shape[-2] else "
            "(dscores.swapaxes(-1, -2) @ query) * scale",
        tests=_SDPA_TESTS,
        why="S = Q K^T gives dK = dS^T Q; without the transpose the shapes still fit whenever L == S",
    ),
    Mutant(
        name="attention-dead-row-gradient-leaks",
        file=_ATTENTION,
        old="            dp = np.where(dead, 0, dp)",
        new="            pass",
        tests=_SDPA_TESTS,
        why="a fully masked row's weights are forced to 0, a constant: no gradient may flow back through its "
            "(uniform) softmax",
    ),
    Mutant(
        name="attention-causal-off-by-one",
        file=_ATTENTION,
        old="attn_mask = np.tril(np.ones((L, S), dtype=bool))  # query i sees keys 0..i",
        new="attn_mask = np.tril(np.ones((L, S), dtype=bool), -1)  # query i sees keys 0..i",
        tests=_SDPA_TESTS,
        why="a causal mask hides the future, not the present: query i must see key i",
    ),
    Mutant(
        name="mha-heads-interleaved",
        file=_MHA,
        old="return x.reshape(N, T, num_heads, E // num_heads).transpose(0, 2, 1, 3)",
        new="return x.reshape(N, T, E // num_heads, num_heads).transpose(0, 3, 1, 2)",
        tests=_MHA_TESTS,
        why="torch's head h owns features h*d..(h+1)*d-1; splitting (d, H) gives head h every H-th feature instead",
    ),
    Mutant(
        name="mha-3d-mask-head-major",
        file=_MHA,
        old="masks.append(attn_mask.reshape(N, H, L, S))",
        new="masks.append(attn_mask.reshape(H, N, L, S).swapaxes(0, 1))",
        tests=_MHA_TESTS,
        why="torch's per-head attn_mask (N * H, L, S) is batch-major, row n * H + h; reading it head-major gives "
            "sequence n head h another pair's mask whenever N > 1 and H > 1",
    ),
    Mutant(
        name="mha-seq-first-reshaped-not-transposed",
        file=_MHA,
        old="return x.reshape(T, N, num_heads, E // num_heads).transpose(1, 2, 0, 3)",
        new="return x.reshape(N, T, num_heads, E // num_heads).transpose(0, 2, 1, 3)",
        tests=_MHA_TESTS,
        why="reshaping a (T, N, E) array as if it were (N, T, E) mixes time steps of different sequences",
    ),
    Mutant(
        name="mha-in-proj-weight-gradient-blocks-swapped",
        file=_MHA,
        old="accumulate_grad(self.in_proj_weight, np.concatenate([dWq, dWk, dWv]))",
        new="accumulate_grad(self.in_proj_weight, np.concatenate([dWk, dWq, dWv]))",
        tests=_MHA_TESTS,
        why="in_proj_weight stacks W_q, W_k, W_v in that order; each projection's gradient must go back to its own "
            "E rows, not the key's to the query's",
    ),
    Mutant(
        name="mha-averaged-weights-gradient-not-divided",
        file=_MHA,
        old="dweights = dweights[:, None] / H  # (N, 1, L, S), broadcast over heads",
        new="dweights = dweights[:, None]  # (N, 1, L, S), broadcast over heads",
        tests=_MHA_TESTS,
        why="the returned weights are the mean over heads, so each head receives 1/H of their gradient",
    ),
    Mutant(
        name="mha-key-padding-mask-inverted",
        file=_MHA,
        old="return ~blocked  # attention's convention: True attends",
        new="return blocked  # attention's convention: True attends",
        tests=_MHA_TESTS,
        why="MultiheadAttention's boolean masks mark what is blocked, the opposite of scaled_dot_product_attention's",
    ),
    Mutant(
        name="encoder-self-attention-gradient-from-query-only",
        file=_TRANSFORMER,
        old="return y, lambda dy: (sum(backward(dy)),)  # x fed query, key and value",
        new="return y, lambda dy: (backward(dy)[0],)  # x fed query, key and value",
        tests=_LAYER_TESTS,
        why="in self-attention x is the query, the key and the value: its gradient is the sum of all three",
    ),
    Mutant(
        name="post-norm-residual-skip-gradient-dropped",
        file=_TRANSFORMER,
        old="return (dz + dx, *extra)",
        new="return (dx, *extra)",
        tests=_LAYER_TESTS,
        why="y = norm(x + f(x)): the gradient reaches x along the skip connection as well as through f",
    ),
]
