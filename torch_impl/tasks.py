"""What the training command can run: datasets prepared as batches, and each zoo model built on both sides.

Two plain tables, ``DATASETS`` and ``MODELS``: the names the command line accepts, and what each one builds. A model
names the data it can take, so a mismatch (LeNet-5 on 8x8 digits) fails with a sentence rather than a shape error.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np

import scratch.data as data
import scratch.models as np_models
import torch_impl.models as torch_models
from scratch.train import IGNORE


@dataclass
class Dataset:
    name: str
    shape: str  # 'images', 'vectors', 'text' or 'graph'
    train: tuple  # arrays, aligned on their first dim (for 'graph': the whole graph)
    test: tuple
    info: dict = field(default_factory=dict)  # input_shape, num_classes, vocab, ...


def _images(name: str, split, num_classes: int = 10) -> Dataset:
    return Dataset(name, "images", (split.x_train, split.y_train), (split.x_test, split.y_test),
                   {"input_shape": split.x_train.shape[1:], "num_classes": num_classes})


def _vectors(name: str, split, num_classes: int) -> Dataset:
    return Dataset(name, "vectors", (split.x_train, split.y_train), (split.x_test, split.y_test),
                   {"input_shape": split.x_train.shape[1:], "num_classes": num_classes})


def _text(split) -> Dataset:
    vocab = split.vocab

    def encode(words):
        ids, _ = vocab.pad_batch(words)  # (N, T+1) with <s> ... </s> and <pad>
        target = ids[:, 1:].copy()
        target[target == vocab.pad] = IGNORE
        return ids[:, :-1], target

    train, test = encode(split.train), encode(split.test)
    return Dataset("names", "text", train, test, {"vocab": vocab, "vocab_size": len(vocab)})


def _graph(g) -> Dataset:
    train_target = np.where(g.train_mask, g.y, IGNORE)
    test_target = np.where(g.test_mask, g.y, IGNORE)
    return Dataset("karate_club", "graph", (g.x, g.edge_index, train_target), (g.x, g.edge_index, test_target),
                   {"input_shape": g.x.shape[1:], "num_classes": int(g.y.max()) + 1})


DATASETS = {
    "digits": lambda seed, path, norm: _images("digits", data.load_digits(seed=seed, normalize=norm)),
    "moons": lambda seed, path, norm: _vectors("moons", data.load_moons(seed=seed), num_classes=2),
    "mnist_sample": lambda seed, path, norm: _images("mnist_sample", data.load_mnist_sample(seed=seed, normalize=norm)),
    "mnist_idx": lambda seed, path, norm: _images("mnist_idx", data.load_mnist_idx(_need_path(path), normalize=norm)),
    "names": lambda seed, path, norm: _text(data.load_names(seed=seed)),
    "karate_club": lambda seed, path, norm: _graph(data.load_karate_club(seed=seed)),
}


# What each dataset is, known before loading it: the command checks that model and data fit before any work.
SHAPES = {"digits": "images", "moons": "vectors", "mnist_sample": "images", "mnist_idx": "images", "names": "text",
          "karate_club": "graph"}


def _need_path(path):
    if not path:
        raise ValueError("dataset mnist_idx reads IDX files from a folder: pass --data-path FOLDER")
    return path


def _unknown(kind: str, name: str, valid) -> ValueError:
    close = difflib.get_close_matches(str(name), list(valid), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ValueError(f"unknown {kind} {name!r}{hint}; valid {kind}s: {', '.join(valid)}")


def load_dataset(name: str, seed: int = 0, path: str | None = None, normalize: bool = False) -> Dataset:
    """``normalize`` standardises images with the training split's mean and std (for classifiers; an autoencoder
    reconstructs pixels in [0, 1] and wants them raw)."""
    if name not in DATASETS:
        raise _unknown("dataset", name, DATASETS)
    return DATASETS[name](seed, path, normalize)


@dataclass(frozen=True)
class ModelSpec:
    kind: str  # the trainer's kind of task
    accepts: tuple  # dataset shapes it takes
    build_numpy: object  # (dataset, dtype, rng) -> scratch model
    build_torch: object  # dataset -> torch model
    needs: str = ""  # an extra requirement, checked by check_fits


def _flat(ds) -> int:
    return int(np.prod(ds.info["input_shape"]))


def _channels(ds) -> int:
    return int(ds.info["input_shape"][0])


MODELS = {
    "mlp": ModelSpec("classify", ("images", "vectors"),
                     lambda ds, dt, rng: np_models.MLP(_flat(ds), (128,), ds.info["num_classes"], dtype=dt, rng=rng),
                     lambda ds: torch_models.MLP(_flat(ds), (128,), ds.info["num_classes"])),
    "lenet5": ModelSpec("classify", ("images",),
                        lambda ds, dt, rng: np_models.LeNet5(ds.info["num_classes"], _channels(ds), dtype=dt, rng=rng),
                        lambda ds: torch_models.LeNet5(ds.info["num_classes"], _channels(ds)), needs="28x28"),
    "resnet": ModelSpec("classify", ("images",),
                        lambda ds, dt, rng: np_models.SmallResNet(ds.info["num_classes"], _channels(ds), dtype=dt,
                                                                  rng=rng),
                        lambda ds: torch_models.SmallResNet(ds.info["num_classes"], _channels(ds))),
    "char_rnn": ModelSpec("sequence", ("text",),
                          lambda ds, dt, rng: np_models.CharRNN(ds.info["vocab_size"], 32, 128, cell="rnn", dtype=dt,
                                                                rng=rng),
                          lambda ds: torch_models.CharRNN(ds.info["vocab_size"], 32, 128, cell="rnn")),
    "char_lstm": ModelSpec("sequence", ("text",),
                           lambda ds, dt, rng: np_models.CharRNN(ds.info["vocab_size"], 32, 128, cell="lstm",
                                                                 dtype=dt, rng=rng),
                           lambda ds: torch_models.CharRNN(ds.info["vocab_size"], 32, 128, cell="lstm")),
    "char_gru": ModelSpec("sequence", ("text",),
                          lambda ds, dt, rng: np_models.CharRNN(ds.info["vocab_size"], 32, 128, cell="gru", dtype=dt,
                                                                rng=rng),
                          lambda ds: torch_models.CharRNN(ds.info["vocab_size"], 32, 128, cell="gru")),
    "transformer": ModelSpec("classify", ("images",),
                             lambda ds, dt, rng: np_models.TransformerClassifier(
                                 _channels(ds) * ds.info["input_shape"][-1], ds.info["num_classes"], dtype=dt, rng=rng),
                             lambda ds: torch_models.TransformerClassifier(
                                 _channels(ds) * ds.info["input_shape"][-1], ds.info["num_classes"])),
    "char_transformer": ModelSpec("sequence", ("text",),
                                  lambda ds, dt, rng: np_models.CausalTransformerLM(ds.info["vocab_size"], 64, 4, 2,
                                                                                    128, dtype=dt, rng=rng),
                                  lambda ds: torch_models.CausalTransformerLM(ds.info["vocab_size"], 64, 4, 2, 128)),
    "gcn": ModelSpec("graph", ("graph",),
                     lambda ds, dt, rng: np_models.GCN(_flat(ds), 16, ds.info["num_classes"], dropout=0.5, dtype=dt,
                                                       rng=rng),
                     lambda ds: torch_models.GCN(_flat(ds), 16, ds.info["num_classes"], dropout=0.5)),
    "autoencoder": ModelSpec("reconstruct", ("images",),
                             lambda ds, dt, rng: np_models.Autoencoder(_flat(ds), 128, 32, dtype=dt, rng=rng),
                             lambda ds: torch_models.Autoencoder(_flat(ds), 128, 32)),
}


def model_spec(name: str) -> ModelSpec:
    if name not in MODELS:
        raise _unknown("model", name, MODELS)
    return MODELS[name]


def fitting_datasets(model: str) -> list:
    """The datasets ``model`` can train on, in DATASETS order."""
    spec = model_spec(model)
    return [name for name in DATASETS if SHAPES[name] in spec.accepts
            and (spec.needs != "28x28" or name in ("mnist_sample", "mnist_idx"))]


def _misfit(model: str, data: str, what: str) -> ValueError:
    return ValueError(f"model {model} {what}; datasets it takes: {', '.join(fitting_datasets(model))}")


def check_names(model: str, data: str) -> None:
    """ValueError unless ``model`` and ``data`` are known names and the model takes that kind of data: checked from
    the names alone, before anything is loaded."""
    spec = model_spec(model)
    if data not in DATASETS:
        raise _unknown("dataset", data, DATASETS)
    if SHAPES[data] not in spec.accepts:
        raise _misfit(model, data, f"takes {' or '.join(spec.accepts)} data, and dataset {data} is {SHAPES[data]}")


def check_fits(model: str, ds: Dataset) -> None:
    spec = model_spec(model)
    if ds.shape not in spec.accepts:
        raise _misfit(model, ds.name, f"takes {' or '.join(spec.accepts)} data, and dataset {ds.name} is {ds.shape}")
    if spec.needs == "28x28" and tuple(ds.info["input_shape"][1:]) != (28, 28):
        raise ValueError(f"model {model} needs 28x28 images (mnist_sample, mnist_idx); dataset {ds.name} has "
                         f"{tuple(ds.info['input_shape'])}")
