"""Planted bugs in the zoo's Transformers (scratch/models/transformer.py)."""
from parity_tests.mutants import Mutant

FILE = "scratch/models/transformer.py"
TESTS = "parity_tests/test_models_transformer.py"

MUTANTS = [
    Mutant(
        name="transformer-classifier-mean-pool-backward-as-sum",
        file=FILE,
        old="dh = np.repeat(dpooled[:, None, :] / T, T, axis=1)",
        new="dh = np.repeat(dpooled[:, None, :], T, axis=1)",
        tests=(TESTS, "-k", "follow and images"),
        why="a mean over T tokens gives each token 1/T of the gradient; copying it whole differentiates a sum",
    ),
    Mutant(
        name="transformer-classifier-image-columns-as-tokens",
        file=FILE,
        old="tokens = x.transpose(0, 2, 1, 3).reshape(N, H, C * W)",
        new="tokens = x.reshape(N, H, C * W)",
        tests=(TESTS, "-k", "follow and images"),
        why="reshaping (N, C, H, W) straight to (N, H, C * W) mixes rows of different channels into one token",
    ),
    Mutant(
        name="transformer-lm-causal-mask-sees-next-token",
        file=FILE,
        old="return np.triu(np.ones((T, T), dtype=bool), k=1)",
        new="return np.triu(np.ones((T, T), dtype=bool), k=2)",
        tests=(TESTS, "-k", "causal"),
        why="an off-by-one causal mask lets position t read token t + 1, the very token it must predict",
    ),
    Mutant(
        name="transformer-lm-causal-mask-blocks-itself",
        file=FILE,
        old="return np.triu(np.ones((T, T), dtype=bool), k=1)",
        new="return np.triu(np.ones((T, T), dtype=bool), k=0)",
        tests=(TESTS, "-k", "follow and CausalTransformerLM and not dropout"),
        why="the other off-by-one: blocking the diagonal hides a token from itself (the first one sees nothing)",
    ),
    Mutant(
        name="transformer-lm-backward-skips-dropout",
        file=FILE,
        old="return embedding_back(pos_back(dropout_back(dh)))",
        new="return embedding_back(pos_back(dh))",
        tests=(TESTS, "-k", "follow and CausalTransformerLM-dropout"),
        why="the embedding dropout's backward must zero and rescale the gradient as the forward did the values",
    ),
]
