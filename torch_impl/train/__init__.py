"""The training command, ``python -m torch_impl.train`` (``twins-train``): one model, trained on both sides.

One file per job:

- ``cli``: the options, their checks and per-model defaults, and ``main``, which runs the sides one after the other;
- ``sides``: each side's model, optimizer, schedule and trainer (``build_side``: torch starts from NumPy's weights);
- ``trainer``: ``TorchTrainer``, the PyTorch twin of ``scratch.train.NumpyTrainer``;
- ``loop``: the epoch loop (``train_side``), the one both sides and the data-parallel command
  (``torch_impl.distributed``) run;
- ``runs``: the run folder: its lock, run.json, checkpoint paths, atomic writes, cleaning for a new run, --resume's
  checks;
- ``metrics``: metrics.json, metrics.csv and the printed summary;
- ``diagnostics``: the --diagnostics recorder (per layer and parameter, both sides), diagnostics.json;
- ``plots``: curves.png, reconstructions.png and diagnostics.png (the only module that imports matplotlib, when it
  draws);
- ``sampling``: words sampled from both sides' character models, an autoencoder's reconstructions.

The names below are the ones scripts use (``benchmarks``, the tests): build a side as the command does and step it.
"""
from torch_impl.train.cli import build_parser, main, resolve
from torch_impl.train.loop import train_batches, train_side
from torch_impl.train.sides import build_side
from torch_impl.train.trainer import TorchTrainer

__all__ = ["TorchTrainer", "build_parser", "build_side", "main", "resolve", "train_batches", "train_side"]
