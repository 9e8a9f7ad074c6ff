"""The training command when things go wrong: Ctrl-C, resuming the wrong run, two runs in one folder, bad options,
a NaN on the held-out data, damaged checkpoints, an unwritable folder; and its output (help, header, plot).

Every run here is ``main([...])`` in this process on a tiny task (the MLP on scikit-learn's 8x8 digits, one or two
epochs, float64, the NumPy side alone unless the test needs both), so a test takes about a second.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

import scratch.train
from scratch.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from torch_impl import tasks
from torch_impl.train import cli, runs

ROOT = Path(__file__).resolve().parent.parent


def argv(out, *extra, epochs=2, side="numpy"):
    return ["--model", "mlp", "--data", "digits", "--dtype", "float64", "--epochs", str(epochs), "--side", side,
            "--out", str(out), "--no-progress", *extra]


def leftovers(out) -> list:
    """Temporary files anywhere under ``out``."""
    return [str(p) for p in Path(out).rglob("*") if p.name.startswith(".tmp-") or ".tmp" in p.name]


def epoch_of(path) -> int:
    """The epochs a checkpoint holds (its meta counts from 0)."""
    return load_checkpoint(str(path))[2]["epoch"] + 1


def interrupt_after(monkeypatch, steps):
    """Make the NumPy trainer's step raise KeyboardInterrupt (Ctrl-C) once it has run ``steps`` steps."""
    step = scratch.train.NumpyTrainer.step
    count = {"n": 0}

    def interrupted(self, batch):
        count["n"] += 1
        if count["n"] > steps:
            raise KeyboardInterrupt
        return step(self, batch)

    monkeypatch.setattr(scratch.train.NumpyTrainer, "step", interrupted)


STEPS_PER_EPOCH = 23  # 1,437 training digits in batches of 64


# Ctrl-C --------------------------------------------------------------------------------------------------------------
def test_ctrl_c_says_how_to_resume_and_exits_130(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    interrupt_after(monkeypatch, STEPS_PER_EPOCH + 5)  # halfway through epoch 2
    assert cli.main(argv(out)) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert "interrupted after epoch 1 of 2 (numpy side)" in err and "rerun with --resume" in err, err
    assert err.strip().endswith(" --resume"), err  # the command to rerun, ready to paste
    assert epoch_of(out / "numpy" / "last.npz") == 1 and not leftovers(out)
    monkeypatch.undo()
    assert cli.main(argv(out, "--resume")) == 0
    assert epoch_of(out / "numpy" / "last.npz") == 2


def test_ctrl_c_in_the_first_epoch_says_nothing_was_saved_yet(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    interrupt_after(monkeypatch, 5)
    assert cli.main(argv(out)) == 130
    assert "interrupted in epoch 1 of 2, before the first checkpoint (numpy side)" in capsys.readouterr().err
    assert not (out / "numpy" / "last.npz").exists() and not leftovers(out)
    monkeypatch.undo()
    assert cli.main(argv(out, "--resume", epochs=1)) == 2  # the run's settings say 2 epochs
    assert cli.main(argv(out, "--resume")) == 0 and epoch_of(out / "numpy" / "last.npz") == 2


def test_ctrl_c_during_a_save_keeps_the_last_whole_checkpoint(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    savez, calls = np.savez, []

    def interrupted_savez(file, **arrays):
        calls.append(1)
        if len(calls) == 2:  # epoch 2's checkpoint: half written, then Ctrl-C
            file.write(b"PK\x03\x04 half an archive")
            raise KeyboardInterrupt
        return savez(file, **arrays)

    monkeypatch.setattr(np, "savez", interrupted_savez)
    assert cli.main(argv(out)) == 130
    assert "interrupted after epoch 1 of 2" in capsys.readouterr().err
    assert epoch_of(out / "numpy" / "last.npz") == 1 and not leftovers(out)


def test_temporaries_of_a_killed_save_are_removed_at_start(tmp_path, capsys):
    out = tmp_path / "run"
    (out / "numpy").mkdir(parents=True)
    killed = [out / "numpy" / ".tmp-k1ll3d.npz", out / ".tmp-0ld.metrics.json", out / "curves.png.tmp.png"]
    for path in killed:
        path.write_bytes(b"half")
    assert cli.main(argv(out, epochs=1)) == 0
    assert not leftovers(out)
    logged = capsys.readouterr().out
    assert all(f"removed {path}, left by a run killed while saving" in logged for path in killed), logged


# A new run over an old one, and --resume ------------------------------------------------------------------------------
def test_new_run_over_a_previous_one_starts_clean(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(argv(out, epochs=1, side="numpy")) == 0
    first = json.loads((out / "run.json").read_text())["run_id"]
    assert cli.main(argv(out, epochs=1, side="torch")) == 0
    logged = capsys.readouterr().out
    assert f"new run in {out}: removed the previous run's run.json, metrics.json, metrics.csv" in logged, logged
    assert not (out / "numpy" / "last.npz").exists()  # never one side of each run
    run = json.loads((out / "run.json").read_text())
    assert run["run_id"] != first and run["settings"]["side"] == "torch"
    assert load_checkpoint(str(out / "torch" / "last.npz"))[2]["run_id"] == run["run_id"]
    assert set(json.loads((out / "metrics.json").read_text())["history"]) == {"torch"}


def test_resume_with_changed_settings_is_refused_unless_forced(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(argv(out, "--lr", "0.001", epochs=1)) == 0
    capsys.readouterr()
    assert cli.main(argv(out, "--resume", "--lr", "0.01", "--seed", "3", epochs=1)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--resume refused" in err, err
    assert "--lr 0.01 (the run used 0.001); --seed 3 (the run used 0)" in err and "--force-resume" in err, err
    assert cli.main(argv(out, "--resume", "--force-resume", "--lr", "0.01", "--seed", "3", epochs=2)) == 0
    assert "--force-resume: continuing" in capsys.readouterr().out
    assert json.loads((out / "run.json").read_text())["settings"]["lr"] == 0.01  # the next --resume checks these
    assert epoch_of(out / "numpy" / "last.npz") == 2


def test_resume_with_a_checkpoint_of_another_run_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(argv(out, epochs=1)) == 0
    path = str(out / "numpy" / "last.npz")
    model, optimizer, meta = load_checkpoint(path)
    save_checkpoint(path, model, optimizer, dict(meta, run_id="0123abcd"))  # as an older run's file would be
    assert cli.main(argv(out, "--resume", epochs=1)) == 2
    err = capsys.readouterr().err
    assert f"{path} is from another run (run id 0123abcd, this run's is " in err, err


def test_resume_without_a_run_is_refused(tmp_path, capsys):
    assert cli.main(argv(tmp_path / "empty", "--resume")) == 2
    assert "nothing to resume" in capsys.readouterr().err
    assert cli.main(argv(tmp_path / "x", "--force-resume")) == 2
    assert "--force-resume goes with --resume" in capsys.readouterr().err


# Damaged checkpoints --------------------------------------------------------------------------------------------------
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


def test_resume_from_a_damaged_checkpoint_names_it(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(argv(out, epochs=1)) == 0
    path = out / "numpy" / "last.npz"
    path.write_bytes(path.read_bytes()[:100])
    assert cli.main(argv(out, "--resume", "--force-resume", epochs=2)) == 2  # no flag continues from a damaged file
    err = capsys.readouterr().err
    assert err == f"error: load_checkpoint: {path} is truncated (the archive's directory, at its end, is missing)\n"


# Two runs, one folder -------------------------------------------------------------------------------------------------
def test_a_second_run_into_a_busy_folder_names_the_process(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen(  # another process, holding the folder's lock as a run does
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         f"fd = os.open({str(out / '.lock')!r}, os.O_RDWR | os.O_CREAT)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, f'{os.getpid()}\\n'.encode())\n"
         "print('locked', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        assert cli.main(argv(out, epochs=1)) == 2
        err = capsys.readouterr().err
        assert f"the run folder {out} is in use by another run (process {holder.pid})" in err, err
        assert not (out / "run.json").exists()
    finally:
        holder.kill()
        holder.wait()
    assert cli.main(argv(out, epochs=1)) == 0  # the kernel dropped the lock with its holder


def test_atomic_writes_from_threads_never_share_a_temporary_file(tmp_path):
    # Two runs used to write curves.png.tmp.png (and metrics.json.tmp): whoever replaced second found it gone.
    path, errors = str(tmp_path / "metrics.json"), []
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)

    def write(k):
        try:
            for i in range(100):
                runs.atomic_write(path, f"writer {k}, write {i}\n" * 50)
        except OSError as err:
            errors.append(err)

    try:
        threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(before)
    assert not errors, errors[0]
    assert len(set(Path(path).read_text().splitlines())) == 1 and os.listdir(tmp_path) == ["metrics.json"]


# Options, checked before any work -------------------------------------------------------------------------------------
def _no_work(monkeypatch):
    """Fail the test if the command loads data or trains."""
    def forbidden(*args, **kwargs):
        raise AssertionError("did work before refusing the options")

    monkeypatch.setattr(tasks, "load_dataset", forbidden)
    monkeypatch.setattr(scratch.train.NumpyTrainer, "step", forbidden)


def test_cuda_without_cuda_fails_before_the_numpy_side_trains(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # also where the tests run on a GPU
    _no_work(monkeypatch)
    assert cli.main(argv(tmp_path / "run", "--device", "cuda", side="both")) == 2
    assert "--device cuda: torch.cuda.is_available() is False" in capsys.readouterr().err
    assert cli.main(argv(tmp_path / "run", "--device", "gpu", side="both")) == 2
    assert "--device gpu: expected cpu, cuda or cuda:N" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("option, value, says", [("--epochs", "0", "expected at least 1, got 0"),
                                                 ("--batch-size", "-4", "expected at least 1, got -4"),
                                                 ("--lr", "0", "expected a number above 0, got 0"),
                                                 ("--epochs", "two", "expected a whole number, got 'two'")])
def test_impossible_numbers_are_refused_at_parsing(tmp_path, capsys, option, value, says):
    with pytest.raises(SystemExit) as info:
        cli.main(argv(tmp_path / "run", option, value))
    assert info.value.code == 2
    assert f"argument {option}: {says}" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_unwritable_run_folder_fails_before_an_epoch(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(scratch.train.NumpyTrainer, "step", lambda *a: pytest.fail("trained in an unwritable folder"))
    (tmp_path / "file").write_text("a file where the run folder would go")
    assert cli.main(argv(tmp_path / "file" / "run")) == 2
    assert f"error: cannot write to the run folder {tmp_path / 'file' / 'run'}: " in capsys.readouterr().err
    # Permissions do not stop root, who may run these tests: the refusal a read-only folder gives, simulated.
    mkstemp = tempfile.mkstemp

    def read_only(*args, dir=None, **kwargs):
        if dir is not None and str(dir).startswith(str(tmp_path / "ro")):
            raise PermissionError(13, "Permission denied")
        return mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    assert cli.main(argv(tmp_path / "ro")) == 2
    assert capsys.readouterr().err == f"error: cannot write to the run folder {tmp_path / 'ro'}: Permission denied\n"


def test_model_without_its_data_lists_the_datasets_that_fit(capsys):
    assert cli.main(["--model", "char_lstm"]) == 2
    err = capsys.readouterr().err
    assert err == ("error: model char_lstm takes text data, and dataset mnist_sample is images; datasets it takes: "
                   "names\n"), err


# A NaN on the held-out data -------------------------------------------------------------------------------------------
def test_non_finite_test_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    evaluate, calls = scratch.train.NumpyTrainer.evaluate, []

    def nan_in_epoch_2(self, batches):
        calls.append(1)
        loss, acc = evaluate(self, batches)
        return (float("nan"), acc) if len(calls) == 2 else (loss, acc)

    monkeypatch.setattr(scratch.train.NumpyTrainer, "evaluate", nan_in_epoch_2)
    assert cli.main(argv(out, epochs=3)) == 1
    err = capsys.readouterr().err
    assert f"held-out loss became nan after epoch 2 (step {2 * STEPS_PER_EPOCH}); the last good checkpoint is " \
           f"{out / 'numpy' / 'last.npz'} (epoch 1)" in err, err
    assert epoch_of(out / "numpy" / "last.npz") == 1


# What the command prints and draws ------------------------------------------------------------------------------------
def test_one_epoch_is_drawn_with_markers_and_said_in_the_singular(tmp_path, monkeypatch, capsys):
    import matplotlib.figure

    figures, savefig = [], matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig",
                        lambda self, *a, **k: figures.append(self) or savefig(self, *a, **k))
    assert cli.main(argv(tmp_path / "run", epochs=1)) == 0
    assert "; 1 epoch, batch 64," in capsys.readouterr().out
    lines = [line for ax in figures[-1].axes for line in ax.lines]
    assert lines and all(line.get_marker() == "o" for line in lines)


def test_gcn_header_counts_labelled_nodes_and_the_log_stays_short(tmp_path, capsys):
    assert cli.main(["--model", "gcn", "--data", "karate_club", "--epochs", "40", "--out", str(tmp_path),
                     "--side", "numpy"]) == 0  # progress bars on: a one-step epoch gets none
    out, err = capsys.readouterr()
    assert "(34 nodes, 2 labelled for training)" in out and "the whole graph each step" in out, out
    epochs = [line.split(":")[0] for line in out.splitlines() if line.startswith("[numpy] epoch")]
    assert epochs == ["[numpy] epoch 1/40"] + [f"[numpy] epoch {k}/40" for k in range(4, 41, 4)], epochs
    assert "epoch" not in err  # no bars


def test_help_shows_defaults_and_the_per_model_ones():
    text = " ".join(cli.build_parser().format_help().split())
    for default in ("(default: lenet5)", "(default: cosine)", "(default: 0.9)", "(default: 0)", "(default: cpu)",
                    "(default: per model, below)", "(default: runs/<model>-<data>)"):
        assert default in text, default
    assert "(default: None)" not in text and "(default: False)" not in text
    assert "gcn 200 epochs batch 1 adam lr 0.01, weight decay 0.0005; data: karate_club" in text
    assert "A new run into a folder holding a previous run removes that run's checkpoints" in text


def test_runs_folder_is_ignored_by_git():
    assert "runs/" in (ROOT / ".gitignore").read_text().split()
