"""What the training command can run: the datasets and the zoo's models, by name.

Two plain tables. ``DATASETS`` maps a name to a ``DataSource``: what kind of data it holds (known before loading, so
that a model and data that do not fit are refused before any work) and the function that loads it. ``MODELS`` maps a
name to a ``ModelSpec``: the trainer's kind of task, the data it takes, its class on each side (the twins share
names and constructor arguments) and those arguments, read off the dataset by a small function. A model names the
data it can take, so a mismatch (LeNet-5 on 8x8 digits) fails with a sentence rather than a shape error.
"""
from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import scratch.data as data
import scratch.models as np_models
import scratch.nn.init as np_init
import torch_impl.models as torch_models
from scratch.train import IGNORE


@dataclass
class Dataset:
    name: str
    shape: str  # 'images', 'vectors', 'text' or 'graph'
    train: tuple  # arrays, aligned on their first dim (for 'graph': the whole graph)
    test: tuple
    info: dict = field(default_factory=dict)  # input_shape, num_classes, vocab, ...


def cast(ds: Dataset, dtype) -> Dataset:
    """``ds`` with its floating-point arrays in ``dtype`` (both sides train in the command's --dtype)."""
    def cast_arrays(arrays):
        return tuple(a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays)

    ds.train, ds.test = cast_arrays(ds.train), cast_arrays(ds.test)
    return ds


# Datasets --------------------------------------------------------------------------------------------------------
def _images(name: str, split, num_classes: int = 10) -> Dataset:
    return Dataset(name, "images", (split.x_train, split.y_train), (split.x_test, split.y_test),
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


# One loader per dataset, each (seed, path, normalize) -> Dataset. ``normalize`` standardises images with the training
# split's mean and std; the others ignore what they do not use.
def load_digits(seed: int, path: str | None, normalize: bool) -> Dataset:
    return _images("digits", data.load_digits(seed=seed, normalize=normalize))


def load_moons(seed: int, path: str | None, normalize: bool) -> Dataset:
    split = data.load_moons(seed=seed)
    return Dataset("moons", "vectors", (split.x_train, split.y_train), (split.x_test, split.y_test),
                   {"input_shape": split.x_train.shape[1:], "num_classes": 2})


def load_mnist_sample(seed: int, path: str | None, normalize: bool) -> Dataset:
    return _images("mnist_sample", data.load_mnist_sample(seed=seed, normalize=normalize))


def load_mnist_idx(seed: int, path: str | None, normalize: bool) -> Dataset:
    if not path:
        raise ValueError("dataset mnist_idx reads IDX files from a folder: pass --data-path FOLDER")
    return _images("mnist_idx", data.load_mnist_idx(path, normalize=normalize))


def load_names(seed: int, path: str | None, normalize: bool) -> Dataset:
    return _text(data.load_names(seed=seed))


def load_karate_club(seed: int, path: str | None, normalize: bool) -> Dataset:
    g = data.load_karate_club(seed=seed)
    train_target = np.where(g.train_mask, g.y, IGNORE)
    test_target = np.where(g.test_mask, g.y, IGNORE)
    return Dataset("karate_club", "graph", (g.x, g.edge_index, train_target), (g.x, g.edge_index, test_target),
                   {"input_shape": g.x.shape[1:], "num_classes": int(g.y.max()) + 1})


@dataclass(frozen=True)
class DataSource:
    shape: str  # 'images', 'vectors', 'text' or 'graph': known before loading
    load: Callable[[int, str | None, bool], Dataset]  # (seed, path, normalize) -> Dataset
    image_size: tuple | None = None  # (H, W) of its images


DATASETS = {
    "digits": DataSource("images", load_digits, image_size=(8, 8)),
    "moons": DataSource("vectors", load_moons),
    "mnist_sample": DataSource("images", load_mnist_sample, image_size=(28, 28)),
    "mnist_idx": DataSource("images", load_mnist_idx, image_size=(28, 28)),
    "names": DataSource("text", load_names),
    "karate_club": DataSource("graph", load_karate_club),
}


def _unknown(kind: str, name: str, valid) -> ValueError:
    close = difflib.get_close_matches(str(name), list(valid), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ValueError(f"unknown {kind} {name!r}{hint}; valid {kind}s: {', '.join(valid)}")


def load_dataset(name: str, seed: int = 0, path: str | None = None, normalize: bool = False) -> Dataset:
    """``normalize`` standardises images with the training split's mean and std (for classifiers; an autoencoder
    reconstructs pixels in [0, 1] and wants them raw)."""
    if name not in DATASETS:
        raise _unknown("dataset", name, DATASETS)
    return DATASETS[name].load(seed, path, normalize)


# Models ----------------------------------------------------------------------------------------------------------
# Constructor arguments read off a dataset, one small function per family of models; the sizes that do not depend
# on the data are in each ModelSpec's ``options``.
def _flat(ds) -> int:
    return int(np.prod(ds.info["input_shape"]))


def _mlp_sizes(ds) -> dict:
    return {"in_features": _flat(ds), "out_features": ds.info["num_classes"]}


def _image_classes(ds) -> dict:
    return {"num_classes": ds.info["num_classes"], "in_channels": int(ds.info["input_shape"][0])}


def _row_tokens(ds) -> dict:  # a token is one image row (C, H, W -> H tokens of C * W features)
    shape = ds.info["input_shape"]
    return {"in_features": int(shape[0]) * shape[-1], "num_classes": ds.info["num_classes"]}


def _vocabulary(ds) -> dict:
    return {"vocab_size": ds.info["vocab_size"]}


def _node_classes(ds) -> dict:
    return {"in_features": _flat(ds), "num_classes": ds.info["num_classes"]}


def _pixels(ds) -> dict:
    return {"in_features": _flat(ds)}


# Weight initialisations the command can impose on a model (--init), on top of the layers' own.
INITS = ("default", "kaiming", "bad")
_INIT_LAYERS = ("Linear", "Conv1d", "Conv2d")


def initialize(model, init: str, rng: np.random.Generator):
    """Redraw the weights of a NumPy model's Linear and Conv layers; biases and other layers keep theirs.

    - ``'default'``: nothing (each layer's own: torch's ``U(+-1/sqrt(fan_in))``);
    - ``'kaiming'``: ``N(0, gain^2 / fan_in)``, the gain of the model's ``activation`` (5/3 for tanh, sqrt(2) for
      relu, the default when the model names none), so each layer's pre-activations keep about the variance of its
      inputs;
    - ``'bad'``: ``N(0, 1)`` whatever the fan-in: a layer of 64 inputs multiplies the spread of its inputs by about
      8, enough to saturate tanh and sigmoid units (the failure ``--diagnostics`` shows).

    The torch side copies the NumPy side's weights, so both start from the same ones.
    """
    if init not in INITS:
        raise _unknown("init", init, INITS)
    if init == "default":
        return model
    nonlinearity = getattr(model, "activation", "relu")
    for _, module in model.named_modules():
        if type(module).__name__ in _INIT_LAYERS:
            if init == "kaiming":
                np_init.kaiming_normal_(module.weight, nonlinearity=nonlinearity, rng=rng)
            else:
                np_init.normal_(module.weight, 0.0, 1.0, rng=rng)
    return model


@dataclass(frozen=True)
class ModelSpec:
    kind: str  # the trainer's kind of task (scratch.train.KINDS)
    accepts: tuple  # the dataset shapes it takes
    numpy_class: type  # in scratch.models
    torch_class: type  # its twin in torch_impl.models: the same name and constructor arguments
    arguments: Callable[[Dataset], dict]  # the constructor arguments that depend on the data
    options: dict = field(default_factory=dict)  # the constructor arguments that do not
    image_size: tuple | None = None  # the (H, W) its images must have, if it needs one
    init: str = "default"  # INITS: applied to the NumPy model, whose weights the torch side copies

    def build_numpy(self, ds: Dataset, dtype, rng: np.random.Generator):
        model = self.numpy_class(**self.arguments(ds), **self.options, dtype=dtype, rng=rng)
        return initialize(model, self.init, rng)

    def build_torch(self, ds: Dataset):
        return self.torch_class(**self.arguments(ds), **self.options)


def _char_rnn(cell: str) -> ModelSpec:
    return ModelSpec("sequence", ("text",), np_models.CharRNN, torch_models.CharRNN, _vocabulary,
                     {"embedding_dim": 32, "hidden_size": 128, "cell": cell})


MODELS = {
    "mlp": ModelSpec("classify", ("images", "vectors"), np_models.MLP, torch_models.MLP, _mlp_sizes,
                     {"hidden": (128,), "activation": "relu"}),
    "lenet5": ModelSpec("classify", ("images",), np_models.LeNet5, torch_models.LeNet5, _image_classes,
                        image_size=(28, 28)),
    "resnet": ModelSpec("classify", ("images",), np_models.SmallResNet, torch_models.SmallResNet, _image_classes),
    "char_rnn": _char_rnn("rnn"),
    "char_lstm": _char_rnn("lstm"),
    "char_gru": _char_rnn("gru"),
    "transformer": ModelSpec("classify", ("images",), np_models.TransformerClassifier,
                             torch_models.TransformerClassifier, _row_tokens),
    "char_transformer": ModelSpec("sequence", ("text",), np_models.CausalTransformerLM,
                                  torch_models.CausalTransformerLM, _vocabulary,
                                  {"d_model": 64, "nhead": 4, "num_layers": 2, "dim_feedforward": 128}),
    "gcn": ModelSpec("graph", ("graph",), np_models.GCN, torch_models.GCN, _node_classes,
                     {"hidden": 16, "dropout": 0.5}),
    "autoencoder": ModelSpec("reconstruct", ("images",), np_models.Autoencoder, torch_models.Autoencoder, _pixels,
                             {"hidden": 128, "latent": 32}),
}


def model_spec(name: str, init: str = "default", **options) -> ModelSpec:
    """The spec of model ``name``, with an initialisation (INITS) and any of its fixed ``options`` replaced (the
    MLP's ``hidden`` and ``activation``); a ValueError names an option the model does not have."""
    if name not in MODELS:
        raise _unknown("model", name, MODELS)
    spec = MODELS[name]
    if init not in INITS:
        raise _unknown("init", init, INITS)
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        raise ValueError(f"model {name} has no option {', '.join(unknown)}"
                         + (f" (its options: {', '.join(spec.options)})" if spec.options else ""))
    if init == "default" and not options:
        return spec
    return dataclasses.replace(spec, init=init, options={**spec.options, **options})


def _fits(spec: ModelSpec, source: DataSource) -> bool:
    return source.shape in spec.accepts and spec.image_size in (None, source.image_size)


def fitting_datasets(model: str) -> list:
    """The datasets ``model`` can train on, in DATASETS order."""
    spec = model_spec(model)
    return [name for name, source in DATASETS.items() if _fits(spec, source)]


def _misfit(model: str, data: str, what: str) -> ValueError:
    return ValueError(f"model {model} {what}; datasets it takes: {', '.join(fitting_datasets(model))}")


def check_names(model: str, data: str) -> None:
    """ValueError unless ``model`` and ``data`` are known names and the model takes that kind of data: checked from
    the names alone, before anything is loaded."""
    spec = model_spec(model)
    if data not in DATASETS:
        raise _unknown("dataset", data, DATASETS)
    shape = DATASETS[data].shape
    if shape not in spec.accepts:
        raise _misfit(model, data, f"takes {' or '.join(spec.accepts)} data, and dataset {data} is {shape}")


def check_fits(model: str, ds: Dataset) -> None:
    spec = model_spec(model)
    if ds.shape not in spec.accepts:
        raise _misfit(model, ds.name, f"takes {' or '.join(spec.accepts)} data, and dataset {ds.name} is {ds.shape}")
    if spec.image_size is not None and tuple(ds.info["input_shape"][1:]) != spec.image_size:
        H, W = spec.image_size
        raise ValueError(f"model {model} needs {H}x{W} images ({', '.join(fitting_datasets(model))}); dataset "
                         f"{ds.name} has {tuple(ds.info['input_shape'])}")
