"""The training command when things go wrong: damaged checkpoints."""
from __future__ import annotations

import numpy as np
import pytest

from scratch.checkpoint import CheckpointError, load_checkpoint, save_checkpoint


# Damaged checkpoints ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def good_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "good.npz"
    save_checkpoint(str(path), {"w": np.arange(2000.0)}, None, {"epoch": 0})
    return path.read_bytes()


def _damaged(data: bytes, how: str) -> bytes:
    middle = len(data) // 2  # inside w's 16,000 bytes
    return {"truncated": data[:middle],
            "random bytes": np.random.default_rng(0).bytes(len(data)),
            "empty": b"",
            "a flipped byte": data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]}[how]


@pytest.mark.parametrize("how, says", [("truncated", "is truncated"), ("random bytes", "is not a checkpoint"),
                                       ("empty", "is empty"), ("a flipped byte", "is corrupt (Bad CRC-32")])
def test_damaged_checkpoint_is_one_clear_error(tmp_path, good_checkpoint, how, says):
    path = tmp_path / "last.npz"
    path.write_bytes(_damaged(good_checkpoint, how))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(str(path))
    message = str(info.value)
    assert message.startswith(f"load_checkpoint: {path} {says}") and "\n" not in message, message
