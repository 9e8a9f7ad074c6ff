"""Data-parallel training (torch_impl.distributed) gives the single-process result.

Tested here on the CPU with the gloo backend and 2 processes: after k steps the weights equal a single-process run
with the same global batches. The run is the real command under torchrun, on 127.0.0.1 only, with a free port, a
time limit, and its process group killed if it hangs. DDP's allreduce sums the two ranks' gradients in a different
order than one process sums the whole batch, so the weights agree to float64 rounding, not bit for bit.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from parity_tests.harness import assert_close
from scratch.checkpoint import load_checkpoint
from scratch.train import IGNORE
from torch_impl import distributed as D
from torch_impl import tasks
from torch_impl.state import to_numpy
from torch_impl.train import cli, loop, sides

ROOT = Path(__file__).resolve().parent.parent
WORLD = 2
# A global batch of 63 splits 32/31 on 2 ranks: every step checks that uneven shards still average to the global
# gradient (a mean loss per rank would weight the 31-row shard's examples more). One epoch of digits: 23 steps.
OPTIONS = ["--model", "mlp", "--data", "digits", "--dtype", "float64", "--optimizer", "sgd", "--lr", "0.05",
           "--momentum", "0.9", "--batch-size", "63", "--epochs", "1", "--schedule", "none", "--seed", "3",
           "--no-progress"]
TIME_LIMIT = 180  # seconds; a healthy run takes about 10 on an idle 2-core machine


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env() -> dict:
    """This process's environment without torchrun's variables, one thread per process, gloo on loopback."""
    env = {k: v for k, v in os.environ.items() if k not in D.ENV and k not in ("LOCAL_WORLD_SIZE", "GROUP_RANK")}
    env["OMP_NUM_THREADS"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    if os.path.exists("/sys/class/net/lo"):
        env["GLOO_SOCKET_IFNAME"] = "lo"
    return env


def run_command(cmd, timeout=TIME_LIMIT):
    """Run ``cmd`` in its own process group; on a timeout kill the whole group (torchrun and its workers)."""
    proc = subprocess.Popen(cmd, cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"{' '.join(cmd)} did not finish in {timeout}s; output:\n{out}")
    return proc.returncode, out


def torchrun(out_dir, *options):
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={WORLD}", "--nnodes=1",
           "--master_addr=127.0.0.1", f"--master_port={free_port()}", "-m", "torch_impl.distributed",
           *options, "--out", str(out_dir), "--timeout", "120"]
    return run_command(cmd)


def single_process(options):
    """The reference: TorchTrainer, one process, the same global batches (those with at least WORLD rows)."""
    args = cli.resolve(D.build_parser().parse_args(options))
    spec = tasks.model_spec(args.model)
    ds = tasks.cast(tasks.load_dataset(args.data, seed=args.seed, normalize=True), np.dtype(args.dtype))
    trainer, model = sides.build_side("torch", spec, ds, args)
    losses = []
    for epoch in range(args.epochs):
        for batch in loop.train_batches(ds, spec.kind, args.batch_size, args.seed, epoch):
            if len(batch[0]) >= WORLD:
                losses.append(trainer.step(batch))
        trainer.end_epoch()
    return model, losses


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    code, log = torchrun(out, *OPTIONS)
    assert code == 0, f"torchrun exited with {code}:\n{log}"
    return out, log


def test_ddp_weights_equal_single_process(ddp_run):
    out, _ = ddp_run
    weights, _, meta = load_checkpoint(str(out / "torch" / "last.npz"))
    model, losses = single_process(OPTIONS)
    assert meta["world_size"] == WORLD and meta["history"][0]["steps"] == len(losses) == 23
    expected = to_numpy(model.state_dict())
    assert list(weights) == list(expected)
    for k in expected:
        assert weights[k].dtype == np.float64
        assert_close(weights[k], expected[k], f"{k} after {len(losses)} DDP steps")
    assert_close(meta["history"][0]["train_loss"], np.mean(losses), "mean train loss")


def test_ddp_rank0_writes_metrics_and_logs_once(ddp_run):
    out, log = ddp_run
    assert (out / "metrics.json").exists() and (out / "metrics.csv").exists()
    assert log.count("epoch 1/1") == 1, log  # rank 1 stays quiet
    assert not list((out / "torch").glob(".tmp-*")), "a temporary checkpoint file was left behind"


def test_without_torchrun_says_how_to_launch():
    code, log = run_command([sys.executable, "-m", "torch_impl.distributed", "--model", "mlp", "--data", "digits"],
                            timeout=60)
    assert code == 2
    assert "torchrun --nproc_per_node" in log and "missing here: RANK, WORLD_SIZE" in log, log


def test_help_shows_the_launch_line_and_ddp_options():
    text = D.build_parser().format_help()
    assert "torchrun --nproc_per_node" in text and "--sync-bn" in text and "rank::world_size" in text


def _args(*extra):
    return cli.resolve(D.build_parser().parse_args(["--model", "mlp", "--data", "digits", *extra]))


@pytest.mark.parametrize("extra, match", [
    (["--batch-size", "1"], "--batch-size 1 is the GLOBAL batch, split over 2 ranks"),
    (["--sync-bn"], "SyncBatchNorm runs on CUDA only"),
    (["--side", "numpy"], "trains the torch side only"),
    (["--device", "cuda:1"], "pass --device cuda; rank r uses cuda:LOCAL_RANK"),
    (["--backend", "nccl"], "--backend nccl needs --device cuda"),
    (["--augment", "crop"], "--augment is not wired into the data-parallel loop yet"),
    (["--patience", "2"], "--patience is not wired into the data-parallel loop yet"),
])
def test_bad_options_say_what_to_do(extra, match):
    with pytest.raises(ValueError, match=match):
        D.check_args(_args(*extra), WORLD)


def test_graph_model_is_refused():
    with pytest.raises(ValueError, match="cannot be split into per-rank shards"):
        D.check_args(cli.resolve(D.build_parser().parse_args(["--model", "gcn", "--data", "karate_club"])), WORLD)


def test_shard_weighting_averages_to_the_global_mean():
    """The arithmetic DDP relies on, without processes: world * sum_r / count, averaged over ranks, is the mean."""
    rng = np.random.default_rng(0)
    logits, target = rng.standard_normal((7, 4)), rng.integers(0, 4, 7)
    target[2] = IGNORE  # an ignored row counts for nothing, on every rank
    full = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(target), ignore_index=IGNORE)
    count, world = D.global_count("classify", (logits, target)), 3
    assert count == 6
    per_rank = []
    for rank in range(world):
        part = [torch.from_numpy(a) for a in D.shard((logits, target), rank, world)]
        assert len(part[0]) == len(range(rank, 7, world))
        per_rank.append(D.summed_loss("classify", part[0], part) * world / count)
    assert_close(float(sum(per_rank) / world), float(full), "averaged shard losses")
