"""Planted bugs in the data loaders and the batch iterator."""
from parity_tests.mutants import Mutant

TESTS = "parity_tests/test_data.py"

MUTANTS = [
    Mutant(
        name="data-normalize-leaks-test-split",
        file="scratch/data/_common.py",
        old="mean, std = dt.type(x_train.mean(dtype=np.float64)), dt.type(x_train.std(dtype=np.float64))",
        new="both = np.concatenate([x_train, x_test]); "
            "mean, std = dt.type(both.mean(dtype=np.float64)), dt.type(both.std(dtype=np.float64))",
        tests=(TESTS, "-k", "normalize"),
        why="standardising with statistics of the whole dataset lets the test split leak into training",
    ),
    Mutant(
        name="data-split-overlap",
        file="scratch/data/loader.py",
        old="train.append(members[n_test:])",
        new="train.append(members[max(n_test - 1, 0):])",
        tests=(TESTS, "-k", "split_indices or digits_split"),
        why="an off-by-one slice puts one test sample of each class in the training split too",
    ),
    Mutant(
        name="data-batches-ignore-epoch",
        file="scratch/data/loader.py",
        old="order = np.random.default_rng((seed, epoch)).permutation(n) if shuffle else None",
        new="order = np.random.default_rng(seed).permutation(n) if shuffle else None",
        tests=(TESTS, "-k", "batches"),
        why="seeding the shuffle without the epoch replays the same order every epoch",
    ),
    Mutant(
        name="data-karate-one-direction",
        file="scratch/data/datasets.py",
        old="both = np.concatenate([undirected, undirected[::-1]], axis=1)",
        new="both = undirected",
        tests=(TESTS, "-k", "karate"),
        why="an undirected graph needs both (i, j) and (j, i) in edge_index, or messages flow one way only",
    ),
    Mutant(
        name="data-idx-little-endian-sizes",
        file="scratch/data/mnist_idx.py",
        old='dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))',
        new='dims = tuple(int(d) for d in np.frombuffer(raw, dtype="<i4", count=ndim, offset=4))',
        tests=(TESTS, "-k", "idx_round_trip or mnist_idx_round_trip"),
        why="IDX sizes are big-endian; reading them in the machine's little-endian order gives huge sizes",
    ),
    Mutant(
        name="data-windows-no-end-token",
        file="scratch/data/text.py",
        old="valid = cols <= lengths[:, None]",
        new="valid = cols < lengths[:, None]",
        tests=(TESTS, "-k", "windows"),
        why="dropping the </s> target leaves a language model that never learns when a name ends",
    ),
]
