"""Checkpoints both sides read and write: one ``.npz`` file, saved atomically.

A checkpoint holds a model state dict (torch's keys, so a NumPy checkpoint loads into the PyTorch twin and back), an
optional optimizer state in torch's ``state_dict`` layout, and JSON metadata (epoch, metrics, RNG states, the command
line). Writes go to a temporary file (``.tmp-*.npz`` beside it) that replaces the old one only when complete, so a run
killed mid-save keeps its last good checkpoint; a kill can leave the temporary file behind, which the trainer removes
when it next starts on the folder. A file that cannot be read (empty, truncated, overwritten, a flipped byte caught by
the archive's checksums) raises ``CheckpointError``, naming the file and what is wrong with it.

Layout inside the archive::

    model/<key>                    every model array
    optim/<param index>/<name>     every optimizer state array (momentum_buffer, exp_avg, step, ...)
    __meta__                       a JSON string: metadata plus the optimizer's param_groups
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile

import numpy as np

_META = "__meta__"
_ZIP_MAGIC = b"PK\x03\x04"  # how every .npz (a zip archive) begins
TMP_PREFIX = ".tmp-"  # the temporary files of interrupted saves start with this


class CheckpointError(ValueError):
    """A checkpoint file exists but cannot be read: empty, truncated, corrupt, or not a checkpoint at all."""


def save_checkpoint(path: str, model_state: dict, optimizer_state: dict | None = None,
                    meta: dict | None = None) -> None:
    """Write ``model_state`` (``{key: array}``), ``optimizer_state`` (torch's layout) and ``meta`` to ``path``."""
    arrays = {f"model/{k}": np.asarray(v) for k, v in model_state.items()}
    meta = dict(meta or {})
    if optimizer_state is not None:
        meta["param_groups"] = optimizer_state["param_groups"]
        scalars = {}
        for idx, entries in optimizer_state["state"].items():
            for name, value in entries.items():
                if isinstance(value, np.ndarray):
                    arrays[f"optim/{idx}/{name}"] = value
                else:
                    scalars.setdefault(str(idx), {})[name] = value
        meta["optim_scalars"] = scalars
    arrays[_META] = np.array(json.dumps(meta))
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load_checkpoint(path: str) -> tuple[dict, dict | None, dict]:
    """``(model_state, optimizer_state or None, meta)`` as saved by ``save_checkpoint``.

    Raises FileNotFoundError if there is no file, and CheckpointError (one line: the file and what is wrong) if the
    file is not a whole checkpoint.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_checkpoint: no checkpoint at {path}")
    with open(path, "rb") as f:
        head = f.read(4)
    if not head:
        raise CheckpointError(f"load_checkpoint: {path} is empty (0 bytes)")
    if head != _ZIP_MAGIC:
        raise CheckpointError(f"load_checkpoint: {path} is not a checkpoint: an .npz archive starts with "
                              f"{_ZIP_MAGIC!r}, this file with {head!r}")
    try:
        # Every array is read inside the try: np.load opens the archive lazily, and compares a member's checksum
        # only when it reads the member.
        with np.load(path, allow_pickle=False) as archive:
            if _META not in archive.files:
                raise CheckpointError(f"load_checkpoint: {path} is not a checkpoint written by save_checkpoint "
                                      "(no metadata)")
            meta = json.loads(str(archive[_META]))
            model = {k[len("model/"):]: archive[k] for k in archive.files if k.startswith("model/")}
            optim_arrays = [(k.split("/", 2)[1:], archive[k]) for k in archive.files if k.startswith("optim/")]
    except CheckpointError:
        raise
    except zipfile.BadZipFile as err:
        what = "truncated (the archive's directory, at its end, is missing)" if "not a zip file" in str(err) else \
            f"corrupt ({err})"
        raise CheckpointError(f"load_checkpoint: {path} is {what}") from err
    except (EOFError, ValueError, OSError, KeyError, UnicodeDecodeError) as err:
        # A damaged array header or metadata (json's error is a ValueError), or a member cut short.
        what = " ".join(f"{type(err).__name__}: {err}".split())  # one line
        raise CheckpointError(f"load_checkpoint: {path} is corrupt ({what})") from err
    if not isinstance(meta, dict):
        raise CheckpointError(f"load_checkpoint: {path} has metadata of type {type(meta).__name__}, expected a dict")
    optimizer_state = None
    if "param_groups" in meta:
        state: dict = {}
        for (idx, name), value in optim_arrays:
            state.setdefault(int(idx), {})[name] = value
        for idx, entries in meta.pop("optim_scalars", {}).items():
            state.setdefault(int(idx), {}).update(entries)
        optimizer_state = {"state": dict(sorted(state.items())), "param_groups": meta.pop("param_groups")}
    return model, optimizer_state, meta
