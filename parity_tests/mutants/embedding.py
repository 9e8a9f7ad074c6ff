"""Planted bugs in the lookup tables (embedding_bag)."""
from parity_tests.mutants import Mutant

_F = "scratch/functional/embedding.py"
_BAG = ("parity_tests/test_embedding_bag.py", "-k", "matches_torch or gradcheck")

MUTANTS = [
    Mutant(
        name="embedding-bag-max-last-tie",
        file=_F,
        old="at = np.argmax(block, axis=0)",
        new="at = block.shape[0] - 1 - np.argmax(block[::-1], axis=0)",
        tests=_BAG,
        why="torch's max keeps the first entry holding the maximum; a later equal value must not take the gradient",
    ),
    Mutant(
        name="embedding-bag-mean-counts-padding",
        file=_F,
        old="count = np.bincount(bag_k, minlength=B)",
        new="count = np.bincount(bag, minlength=B)",
        tests=_BAG,
        why="padding entries are left out of a bag, so the mean divides by the entries that are not padding",
    ),
    Mutant(
        name="embedding-bag-per-sample-weights-grad-without-row",
        file=_F,
        old="dpsw[keep] = np.sum(dy[bag_k] * rows, axis=1)",
        new="dpsw[keep] = np.sum(dy[bag_k], axis=1)",
        tests=_BAG,
        why="y[b] = sum_k w_k weight[input[k]], so dL/dw_k = dy[b] . weight[input[k]], not the sum of dy[b]",
    ),
    Mutant(
        name="embedding-bag-freq-per-bag",
        file=_F,
        old="share = share / np.bincount(idx, minlength=V)[idx_k].astype(weight.dtype)",
        new="share = share / np.bincount(bag_k, minlength=B)[bag_k].astype(weight.dtype)",
        tests=_BAG,
        why="scale_grad_by_freq divides by how often the index occurs in the input, not by the size of its bag",
    ),
]
