"""Name lists for character-level language models, and a character vocabulary to encode them.

The ``names`` package ships the 1990 US Census name lists (5,163 distinct first names, 88,799 last names) as text
files inside the package, so they load offline. :func:`load_names` lowercases them and splits them by seed;
:class:`CharVocab` turns words into int64 arrays in the two layouts character-level models train on: fixed-length
context windows (a bigram/MLP model, as in Bengio et al. 2003) and padded batches with lengths (an RNN).
"""
from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np

from scratch.data._common import require
from scratch.data.loader import check_test_size, split_indices

_SOURCES = {
    "male": ("dist.male.first",),
    "female": ("dist.female.first",),
    "first": ("dist.male.first", "dist.female.first"),
    "last": ("dist.all.last",),
    "all": ("dist.male.first", "dist.female.first", "dist.all.last"),
}


class CharVocab:
    """Characters <-> ints, with three special tokens in front: ``<pad>`` = 0, ``<s>`` = 1, ``</s>`` = 2.

    ``<s>`` (``bos``) starts a word and ``</s>`` (``eos``) ends it, so a model learns both which letter opens a name
    and when to stop. ``<pad>`` fills padded batches only; a model never needs to predict it (pass
    ``ignore_index=vocab.pad`` to the cross-entropy loss). Characters follow in sorted order.

    Args:
        chars: the characters of the vocabulary (any iterable of 1-character strings; duplicates are fine).

    Attributes:
        itos: list of tokens, index -> token; ``stoi``: dict, character -> index.
        pad, bos, eos: the special tokens' indices (0, 1, 2).

    Examples:
        >>> vocab = CharVocab("abc")
        >>> len(vocab), vocab.encode("cab")
        (6, array([1, 5, 3, 4, 2]))
        >>> vocab.decode(vocab.encode("cab"))
        'cab'
    """

    pad, bos, eos = 0, 1, 2
    specials = ("<pad>", "<s>", "</s>")

    def __init__(self, chars):
        chars = sorted(set(chars))
        bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
        if bad:
            raise ValueError(f"CharVocab expected single characters, got {bad[:5]!r}")
        self.itos = [*self.specials, *chars]
        self.stoi = {c: i for i, c in enumerate(self.itos) if i >= len(self.specials)}

    def __len__(self) -> int:
        return len(self.itos)

    def __repr__(self) -> str:
        return f"CharVocab({''.join(self.itos[len(self.specials):])!r})"

    def _ids(self, fn: str, words) -> tuple[np.ndarray, np.ndarray]:
        """All characters of ``words``, concatenated, as ids ``(sum of lengths,)``; and the lengths ``(N,)``."""
        if isinstance(words, str):
            raise TypeError(f"CharVocab.{fn} expected a list of words, got the string {words!r}: wrap it in a list")
        words = list(words)
        try:
            flat = np.array([self.stoi[c] for c in "".join(words)], dtype=np.int64)
        except KeyError as err:
            word = next(w for w in words if err.args[0] in w)
            raise ValueError(f"CharVocab.{fn} got {err.args[0]!r} in {word!r}, which is not in the vocabulary "
                             f"{''.join(self.itos[len(self.specials):])!r}") from None
        except TypeError:
            raise TypeError(f"CharVocab.{fn} expected words as strings, got "
                            f"{sorted({type(w).__name__ for w in words})}") from None
        return flat, np.array([len(w) for w in words], dtype=np.int64)

    def encode(self, word: str, bos: bool = True, eos: bool = True) -> np.ndarray:
        """One word -> int64 ids ``(len(word) + bos + eos,)``, framed by ``<s>`` and ``</s>``."""
        if not isinstance(word, str):
            raise TypeError(f"CharVocab.encode expected a str, got {type(word).__name__}")
        ids, _ = self._ids("encode", [word])
        return np.concatenate([[self.bos] * bos, ids, [self.eos] * eos]).astype(np.int64)

    def decode(self, ids) -> str:
        """Ids -> the word: ``<s>`` and ``<pad>`` are skipped and decoding stops at the first ``</s>``.

        So a model's sampled sequence, or a padded row, decodes to its word.
        """
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise ValueError(f"CharVocab.decode expected a 1-dim array of integer ids, got {ids.dtype} of "
                             f"shape {ids.shape}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"CharVocab.decode expected ids in [0, {len(self)}), got {ids.min()}..{ids.max()}")
        ends = np.flatnonzero(ids == self.eos)
        ids = ids[:ends[0]] if ends.size else ids
        return "".join(self.itos[i] for i in ids if i >= len(self.specials))

    def pad_batch(self, words, bos: bool = True, eos: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Words -> a padded batch for a recurrent model.

        Returns:
            ``(ids, lengths)``: ``ids`` int64 ``(N, T)``, row ``n`` the encoding of ``words[n]`` followed by
            ``<pad>``; ``lengths`` int64 ``(N,)``, each ``len(word) + bos + eos``; ``T = max(lengths)``.

        For next-character prediction, the inputs are ``ids[:, :-1]``, the targets ``ids[:, 1:]`` and the valid
        steps ``lengths - 1``; targets past a word's end are ``<pad>``, which
        ``cross_entropy(..., ignore_index=vocab.pad)`` skips.

        Examples:
            >>> ids, lengths = CharVocab("ab").pad_batch(["ab", "b"])
            >>> ids
            array([[1, 3, 4, 2],
                   [1, 4, 2, 0]])
            >>> lengths
            array([4, 3])
        """
        flat, lengths = self._ids("pad_batch", words)
        lengths = lengths + bos + eos
        N, T = len(lengths), int(lengths.max(initial=0))
        ids = np.full((N, T), self.pad, dtype=np.int64)
        t = np.arange(T)[None, :]  # (1, T)
        ids[:, t[0] < bos] = self.bos  # column 0 when bos (a mask, so that an empty batch works too)
        if eos:
            ids[t == (lengths - 1)[:, None]] = self.eos
        # The character slots of all rows, taken in row-major order, line up with the concatenated words.
        ids[(t >= bos) & (t < (lengths - eos)[:, None])] = flat
        return ids, lengths

    def windows(self, words, block_size: int) -> tuple[np.ndarray, np.ndarray]:
        """Words -> fixed-length contexts and next characters, for a model that sees ``block_size`` characters.

        Each word ``w`` is framed as ``<s> * block_size, w, </s>``; every character of ``w`` and the final ``</s>``
        becomes one target, with the ``block_size`` tokens before it as its context. A word of length ``L`` gives
        ``L + 1`` rows, in word order then position order.

        Returns:
            ``(x, y)``: contexts int64 ``(M, block_size)`` and targets int64 ``(M,)``, ``M = sum(len(w) + 1)``.

        Examples:
            >>> x, y = CharVocab("ab").windows(["ab"], block_size=2)
            >>> x
            array([[1, 1],
                   [1, 3],
                   [3, 4]])
            >>> y
            array([3, 4, 2])
        """
        if not isinstance(block_size, (int, np.integer)) or isinstance(block_size, bool) or block_size < 1:
            raise ValueError(f"CharVocab.windows expected block_size to be an int >= 1, got {block_size!r}")
        flat, lengths = self._ids("windows", words)
        N, L = len(lengths), int(lengths.max(initial=0))
        framed = np.full((N, block_size + L + 1), self.pad, dtype=np.int64)  # <s>*block, word, </s>, <pad>...
        framed[:, :block_size] = self.bos
        cols = np.arange(L + 1)[None, :]  # position of the target within the word
        framed[:, block_size:block_size + L][cols[:, :L] < lengths[:, None]] = flat
        framed[np.arange(N), block_size + lengths] = self.eos
        # (N, L + 1, block_size + 1): the window ending at each target position
        view = np.lib.stride_tricks.sliding_window_view(framed, block_size + 1, axis=1)
        valid = cols <= lengths[:, None]  # (N, L + 1): targets up to and including </s>
        rows = view[valid]  # (M, block_size + 1)
        return rows[:, :-1].copy(), rows[:, -1].copy()


class Names(NamedTuple):
    """Lowercase words split into train and test lists, and the vocabulary of all their characters."""

    train: list
    test: list
    vocab: CharVocab


def read_names(which: str = "first") -> list[str]:
    """The ``names`` package's list ``which``, lowercased, deduplicated and sorted (no split)."""
    if which not in _SOURCES:
        raise ValueError(f"load_names expected which to be one of {', '.join(map(repr, _SOURCES))}, got {which!r}")
    package = require("load_names", "names", "names")
    folder = os.path.dirname(package.__file__)
    words = set()
    for filename in _SOURCES[which]:
        # Each line: NAME, frequency %, cumulative %, rank. Only the name is needed.
        with open(os.path.join(folder, filename), encoding="ascii") as f:
            words.update(line.split()[0].lower() for line in f if line.strip())
    return sorted(words)


def load_names(which: str = "first", test_size: float = 0.1, seed: int = 0) -> Names:
    """Name lists from the ``names`` package, lowercase, for character-level language models.

    Args:
        which: ``"first"`` (male and female first names, 5,163 distinct), ``"male"`` (1,219), ``"female"``
            (4,275), ``"last"`` (88,799) or ``"all"`` (every distinct name in the three lists).
        test_size: fraction of the words held out, in ``[0, 1)``.
        seed: the same seed gives the same split.

    Returns:
        ``Names(train, test, vocab)``: two disjoint lists of lowercase words (their union is the whole list, each
        in a seeded random order) and a :class:`CharVocab` over every character of the list (``a`` to ``z``), which
        does not depend on the split or the seed.

    Examples:
        >>> data = load_names(seed=0)
        >>> len(data.train) + len(data.test), len(data.vocab)
        (5163, 29)
        >>> x, y = data.vocab.windows(data.train[:2], block_size=3)
        >>> x.shape[1], x.dtype, y.dtype
        (3, dtype('int64'), dtype('int64'))
    """
    check_test_size("load_names", test_size)
    words = read_names(which)
    train_idx, test_idx = split_indices(len(words), test_size, seed)
    vocab = CharVocab("".join(words))
    return Names([words[i] for i in train_idx], [words[i] for i in test_idx], vocab)
