"""Data-parallel training: ``torchrun --nproc_per_node=2 -m torch_impl.distributed --model lenet5 --data mnist_sample``.

The torch side of ``python -m torch_impl.train``, run by ``world_size`` processes under torchrun: one per GPU (backend
nccl), or any number on the CPU (backend gloo). Every rank builds the same global batches as the single-process
trainer (``scratch.data.batches``: the order depends only on seed and epoch) and keeps its shard, rows
``rank::world_size`` of each global batch (a stride, not a contiguous slice: shard sizes then differ by at most one
row, whatever the batch size). DistributedDataParallel averages the ranks' gradients during backward.

Why the averaged gradient equals the single-process one. With mean losses, DDP's average of the ranks' means is the
global mean only when every shard holds the same number of examples (or of non-ignored tokens). Each rank instead
computes ``loss_r = world_size * sum_{i in shard r} loss_i / count``, where ``count`` is the number of examples (or
non-ignored tokens) in the whole GLOBAL batch, which every rank can count locally because it holds the global batch.
DDP's average ``(1 / world_size) * sum_r grad(loss_r) = (1 / count) * sum_i grad(loss_i)`` is then exactly the
gradient of the single-process mean loss, for any split, the uneven last batch included. A global batch with fewer
rows than ranks (a last batch of 1 row on 2 ranks) is skipped, since some rank would hold nothing.

BatchNorm: under DDP each rank normalises with the mean and variance of ITS shard, and the running statistics saved
are rank 0's (DDP broadcasts rank 0's buffers each step). Results then differ from one process on the whole global
batch; exact equality needs a model without BatchNorm (mlp, lenet5) or ``--sync-bn`` (``torch.nn.SyncBatchNorm``:
statistics over the global batch; CUDA only, a limit of torch's SyncBatchNorm).

Every rank runs the single-process command's epoch loop (``torch_impl.train.loop.train_side``) with this module's
``DistributedTrainer``. Rank 0 prints the log and writes ``OUT/torch/last.npz`` (atomic, readable by both sides),
``metrics.json``, ``metrics.csv`` and ``curves.png``; the others only train. The run folder works as in the
single-process command: rank 0 locks it, records the settings (and the world size) in ``run.json``, starts a new
run clean, and checks a ``--resume`` against run.json; its verdict goes to every rank, so all stop together. A
non-finite training or held-out loss stops the run, and Ctrl-C stops it keeping the last whole checkpoint (exit
code 130).
Each epoch reseeds torch's generator from (seed, epoch, rank): each rank draws its own dropout masks, and a resumed
run draws the same ones as an uninterrupted run.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from datetime import timedelta

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from scratch.checkpoint import CheckpointError, load_checkpoint
from scratch.train import IGNORE
from torch_impl import tasks
from torch_impl.train import cli
from torch_impl.train.loop import Diverged, train_side
from torch_impl.train.metrics import side_summary, write_metrics
from torch_impl.train.plots import plot_curves
from torch_impl.train.runs import RunFolderError, checkpoint_path, locked_run_folder, prepare_run_folder
from torch_impl.train.sides import build_side
from torch_impl.train.trainer import TorchTrainer

ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
LAUNCH = "torchrun --nproc_per_node=2 -m torch_impl.distributed --model lenet5 --data mnist_sample"


def shard(batch, rank: int, world_size: int) -> tuple:
    """Rank ``rank``'s rows of a global batch: ``rank::world_size`` of every array (sizes differ by at most one)."""
    return tuple(a[rank::world_size] for a in batch)


def global_count(kind: str, batch) -> int:
    """What the single-process mean loss divides by, over the GLOBAL batch: examples, non-ignored tokens or pixels."""
    if kind == "reconstruct":
        return int(batch[0].size)
    return int(np.count_nonzero(batch[-1] != IGNORE))


def summed_loss(kind: str, logits, batch):
    """The training loss with ``reduction="sum"``: the caller divides by the global count, not the shard's."""
    tf = torch.nn.functional
    if kind == "reconstruct":
        return tf.binary_cross_entropy_with_logits(logits, batch[0], reduction="sum")
    scores = logits.transpose(1, 2) if kind == "sequence" else logits
    return tf.cross_entropy(scores, batch[-1], ignore_index=IGNORE, reduction="sum")


class DistributedTrainer(TorchTrainer):
    """``TorchTrainer`` whose ``step`` takes a GLOBAL batch, trains on this rank's shard and lets DDP average.

    ``self.model`` stays the plain module (evaluation runs on it, on every rank, with no collective); ``self.ddp``
    is the DistributedDataParallel wrapper (compiled with ``compile``) that training steps go through. Each epoch
    starts with every rank together and torch's generator reseeded from (seed, epoch, rank), so no checkpoint holds
    a generator state.
    """

    def __init__(self, model, optimizer, kind, scheduler=None, clip_grad_norm=None, device="cpu", amp=None,
                 compile=False, channels_last=False, dtype=torch.float32, *, rank: int, world_size: int,
                 seed: int = 0):
        super().__init__(model, optimizer, kind, scheduler, clip_grad_norm, device, amp, False, channels_last, dtype)
        self.rank, self.world_size, self.seed = rank, world_size, seed
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        self.ddp = DistributedDataParallel(model, device_ids=device_ids)
        if compile:
            self.ddp = torch.compile(self.ddp)

    def step(self, batch) -> float:
        count = global_count(self.kind, batch)
        self.ddp.train()
        local = self._tensors(shard(batch, self.rank, self.world_size))
        self.optimizer.zero_grad(set_to_none=True)
        with self._autocast():
            logits = self.ddp(*self._inputs(local))
        loss_sum = summed_loss(self.kind, logits.float() if self.amp else logits, local)
        # Every rank needs the same verdict on a NaN (a rank stopping alone would leave the others waiting in the
        # next allreduce), and the log shows the global mean: one small allreduce of the summed loss.
        total = loss_sum.detach().clone()
        dist.all_reduce(total)
        value = total.item() / max(count, 1)
        if not math.isfinite(value):
            return value
        (loss_sum * (self.world_size / max(count, 1))).backward()  # DDP divides the allreduced sum by world_size
        if self.clip_grad_norm:
            torch.nn.utils.clip_grad_norm_(self.module.parameters(), self.clip_grad_norm)  # grads equal on all ranks
        self.optimizer.step()
        return value

    def start_epoch(self, epoch: int) -> None:
        # No rank runs ahead into an epoch whose predecessor's checkpoint rank 0 has not written yet (a resume would
        # not find it).
        dist.barrier()
        torch.manual_seed(_epoch_seed(self.seed, epoch, self.rank))

    def state(self) -> dict:
        return dict(super().state(), rng=None)  # reseeded every epoch: nothing to restore


def environment() -> tuple[int, int, int]:
    """``(rank, world_size, local_rank)`` from torchrun's variables, or a RuntimeError saying how to launch."""
    missing = [k for k in ENV if k not in os.environ]
    if missing:
        raise RuntimeError(f"torch_impl.distributed runs under torchrun, which sets {', '.join(ENV)} "
                           f"(missing here: {', '.join(missing)}). Launch it with\n    {LAUNCH}\n"
                           f"(one process per GPU with --device cuda; any number of CPU processes with --device cpu). "
                           f"For one process, use python -m torch_impl.train --side torch.")
    return int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ["LOCAL_RANK"])


def build_parser() -> argparse.ArgumentParser:
    """The single-process command's options (``--side`` aside: only the torch side runs here), plus the DDP ones."""
    p = cli.build_parser()
    p.prog = "torchrun --nproc_per_node=N -m torch_impl.distributed"
    p.description = __doc__.split("\n\n")[0]
    p.epilog = __doc__.split("\n\n", 1)[1]
    p.set_defaults(side="torch")
    p.add_argument("--sync-bn", action="store_true",
                   help="convert BatchNorm layers to SyncBatchNorm (statistics over the global batch; CUDA only)")
    p.add_argument("--backend", default=None, choices=["gloo", "nccl"],
                   help="process-group backend (default: nccl with --device cuda, gloo with --device cpu)")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="seconds a collective waits for the other ranks before failing")
    return p


def check_args(args, world_size: int) -> None:
    """Raise ValueError for options the data-parallel run cannot honour, each saying what to do instead."""
    if args.side != "torch":
        raise ValueError(f"--side {args.side}: the distributed command trains the torch side only; "
                         f"for the NumPy side use python -m torch_impl.train")
    if tasks.model_spec(args.model).kind == "graph":
        raise ValueError(f"model {args.model} trains on one whole graph per step, which cannot be split into "
                         f"per-rank shards; use python -m torch_impl.train")
    if getattr(args, "diagnostics", None):
        raise ValueError("--diagnostics records one process's layers; use python -m torch_impl.train")
    for flag, value in (("--augment", getattr(args, "augment", None)), ("--patience", getattr(args, "patience", None))):
        if value:  # refused by name rather than accepted and ignored
            raise ValueError(f"{flag} is not wired into the data-parallel loop yet; use python -m torch_impl.train")
    if args.batch_size < world_size:
        raise ValueError(f"--batch-size {args.batch_size} is the GLOBAL batch, split over {world_size} ranks: it "
                         f"must be at least {world_size} so that every rank gets a row")
    if args.device.startswith("cuda:") and world_size > 1:
        raise ValueError(f"--device {args.device}: with several ranks pass --device cuda; rank r uses cuda:LOCAL_RANK")
    if args.sync_bn and not args.device.startswith("cuda"):
        raise ValueError("--sync-bn: torch's SyncBatchNorm runs on CUDA only; use --device cuda, or drop --sync-bn "
                         "(each rank then normalises with its own shard's statistics)")
    if args.backend == "nccl" and not args.device.startswith("cuda"):
        raise ValueError("--backend nccl needs --device cuda; on the CPU use gloo")


def _epoch_seed(seed: int, epoch: int, rank: int) -> int:
    return int(np.random.SeedSequence([seed, epoch, rank]).generate_state(1)[0])


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)  # --help works without torchrun
    try:
        rank, world_size, local_rank = environment()
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    log = print if rank == 0 else (lambda *a, **k: None)
    try:
        spec = cli.model_spec(args)  # --init, and the mlp's --hidden and --activation
        args = cli.resolve(args)
        check_args(args, world_size)
        cli.check_options(args, ("torch",))  # every option before any work: names, device, --init-from
        ds = tasks.cast(tasks.load_dataset(args.data, seed=args.seed, path=args.data_path,
                                           normalize=spec.kind == "classify"), np.dtype(args.dtype))
        tasks.check_fits(args.model, ds)
    except (ValueError, FileNotFoundError) as err:
        if rank == 0:
            print(f"error: {err}", file=sys.stderr)
        return 2
    if args.device.startswith("cuda"):
        args.device = f"cuda:{local_rank}"
        torch.cuda.set_device(local_rank)
    backend = args.backend or ("nccl" if args.device.startswith("cuda") else "gloo")
    dist.init_process_group(backend, timeout=timedelta(seconds=args.timeout))
    try:
        with contextlib.ExitStack() as stack:
            verdict = [None, None]  # (error, run id): rank 0 prepares the folder, every rank follows its verdict
            if rank == 0:
                try:
                    stack.enter_context(locked_run_folder(args.out))  # held until the run ends
                    verdict[1] = prepare_run_folder(args.out, ("torch",), cli.settings_of(args, world_size=world_size),
                                                    resume=args.resume, force=args.force_resume)
                except (RunFolderError, CheckpointError) as err:
                    verdict[0] = str(err)
            dist.broadcast_object_list(verdict, src=0)
            if verdict[0] is not None:
                if rank == 0:
                    print(f"error: {verdict[0]}", file=sys.stderr)
                return 2
            return _run(args, spec, ds, rank, world_size, backend, verdict[1], log)
    finally:
        dist.destroy_process_group()


def _run(args, spec, ds, rank, world_size, backend, run_id, log) -> int:
    compile = args.compile
    args.compile = False  # build_side would compile the bare module; here the DDP wrapper is compiled instead
    base, model = build_side("torch", spec, ds, args)
    args.compile = compile
    if args.sync_bn:
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)  # keeps the Parameter objects the optimizer holds
    trainer = DistributedTrainer(model, base.optimizer, spec.kind, base.scheduler, args.clip_grad_norm, args.device,
                                 args.amp, args.compile, args.channels_last, base.dtype, rank=rank,
                                 world_size=world_size, seed=args.seed)
    meta = {"args": dict(vars(args)), "world_size": world_size, "backend": backend, "run_id": run_id}
    log(f"training {args.model} on {args.data} ({cli.plural(len(ds.train[0]), 'train example')}) on {world_size} "
        f"ranks ({backend}, {args.device if world_size == 1 else args.device.split(':')[0]}); "
        f"{cli.plural(args.epochs, 'epoch')}, global batch {args.batch_size} (about {args.batch_size // world_size} "
        f"per rank), {args.optimizer} lr {args.lr}, {args.schedule} schedule; output in {args.out}", flush=True)
    ckpt = checkpoint_path(args.out, "torch")
    try:
        history = train_side(trainer, ds, spec.kind, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                             out=args.out, resume=args.resume, meta=meta, progress=False, log=log, rank=rank,
                             world_size=world_size)
        dist.barrier()  # rank 0 has written the last checkpoint
    except Diverged as err:
        if rank == 0:
            print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if rank == 0:  # save_checkpoint replaces the file only once it is whole
            epoch = load_checkpoint(ckpt)[2]["epoch"] + 1 if os.path.exists(ckpt) else 0
            print(f"interrupted after epoch {epoch} of {args.epochs}; the checkpoint on disk is whole: rerun with "
                  f"--resume to continue", file=sys.stderr)
        return 130
    if rank == 0:
        summary = {"torch": side_summary(history), "world_size": world_size, "backend": backend,
                   "global_batch_size": args.batch_size}
        write_metrics(args.out, {"torch": history}, summary)
        plot_curves(os.path.join(args.out, "curves.png"), {"torch": history},
                    f"{args.model} on {args.data}, {world_size} ranks")
        log(f"metrics: {os.path.join(args.out, 'metrics.json')}; checkpoint: {ckpt}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
