"""End to end: one training epoch of LeNet-5 on the MNIST sample, the NumPy trainer against the PyTorch trainer.

Both sides are built exactly as ``python -m torch_impl.train --model lenet5`` builds them (the same initial weights,
Adam at lr 1e-3, batch 32, the same shuffled batches) and each timed call is one whole epoch: every batch's forward,
loss, backward and optimizer step, on the CPU in float32. Evaluation, checkpoints and progress bars are left out:
they are the same loop on both sides and would only blur the comparison.

The NumPy side runs with ``scratch.fast`` on, its numba kernels and Winograd's convolution, as the NumPy trainer
trains (the layers' defaults are their NumPy definitions, for reading).

The state carries over from one call to the next (the models keep training), which changes nothing in the cost of an
epoch. The first call on each side is the check that the two compute the same thing: after one epoch from the same
weights, the mean training losses agree.

An epoch takes seconds, so this case is timed with fewer repeats than the layer rows (``Case.repeat``).

``throughput`` measures the PyTorch trainer alone on a GPU (``python -m benchmarks`` runs it when torch sees CUDA):
training samples per second for LeNet-5, the small ResNet and the small Transformer, eager and ``torch.compile``,
float32 and bf16 autocast.
"""
from __future__ import annotations

from benchmarks import harness  # before numpy: it pins the BLAS threads

# isort: split

import time

import numpy as np

from benchmarks.layers import Case
from scratch import fast


def _prepare(argv: list[str]):
    """``(args, spec, ds)`` as ``python -m torch_impl.train ARGV`` resolves its options, model and data."""
    from torch_impl import tasks
    from torch_impl.train import build_parser, resolve

    args = resolve(build_parser().parse_args(argv + ["--no-progress"]))
    spec = tasks.model_spec(args.model)
    ds = tasks.load_dataset(args.data, seed=args.seed, normalize=spec.kind == "classify")
    return args, spec, tasks.cast(ds, np.dtype(args.dtype))


def lenet5_epoch_case(quick: bool) -> Case:
    torch = harness.set_torch_threads()
    from torch_impl.train import build_side, train_batches

    args, spec, ds = _prepare(["--model", "lenet5", "--data", "mnist_sample"])
    if quick:  # a few batches: checks the wiring, measures nothing
        ds.train = tuple(a[:8 * args.batch_size] for a in ds.train)
    batches = train_batches(ds, spec.kind, args.batch_size, args.seed, epoch=0)
    trainers = {side: build_side(side, spec, ds, args)[0] for side in ("numpy", "torch")}

    def epoch(side):
        """One epoch of ``side``'s trainer; returns its mean training loss, as an array (the runner compares)."""
        with fast.kernels():  # the NumPy trainer's layers take their fast paths, as in training (torch's: no effect)
            return np.array([np.mean([trainers[side].step(batch) for batch in batches])])

    n = len(ds.train[0])
    return Case("lenet5", "lenet5_epoch",
                f"MNIST sample, {n} train images, batch {args.batch_size}, {args.optimizer} lr {args.lr}",
                lambda: epoch("numpy"), lambda: torch.from_numpy(epoch("torch")), target=1.5, repeat=3, rounds=1,
                note=f"{len(batches)} steps an epoch, forward + loss + backward + optimizer step; "
                     f"torch_impl.train's trainers")


def cases(quick: bool) -> list[Case]:
    return [lenet5_epoch_case(quick)]


# (model, dataset): the models the issue names for GPU throughput, on data that ships with the packages
THROUGHPUT_MODELS = [("lenet5", "mnist_sample"), ("resnet", "mnist_sample"), ("transformer", "mnist_sample")]
THROUGHPUT_MODES = [(None, False), ("bf16", False), (None, True), ("bf16", True)]  # (amp, compile)


def throughput(model: str, data: str, device: str, amp: str | None = None, compile: bool = False,
               batch_size: int = 256, steps: int = 50, warmup: int = 10) -> dict:
    """Training samples per second of the PyTorch trainer (forward, loss, backward, Adam step) on ``device``.

    The steps are ``TorchTrainer.step`` itself, loss read back every step as in training. Warm-up steps come
    first (``torch.compile`` compiles during them; its compile time is reported apart). CUDA work is
    synchronised before the clock reads.
    """
    torch = harness.set_torch_threads()
    from torch_impl.train import build_side, train_batches

    args, spec, ds = _prepare(["--model", model, "--data", data, "--device", device, "--side", "torch",
                               "--batch-size", str(batch_size)]
                              + (["--amp", amp] if amp else []) + (["--compile"] if compile else []))
    batches = train_batches(ds, spec.kind, batch_size, args.seed, epoch=0)
    batches = [b for b in batches if len(b[0]) == batch_size] or batches  # full batches only: one shape to compile
    trainer = build_side("torch", spec, ds, args)[0]

    def sync():
        if device.startswith("cuda"):
            torch.cuda.synchronize(device)

    start = time.perf_counter()
    for i in range(warmup):
        trainer.step(batches[i % len(batches)])
    sync()
    warmup_s = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(steps):
        trainer.step(batches[i % len(batches)])
    sync()
    seconds = time.perf_counter() - start
    n = sum(len(batches[i % len(batches)][0]) for i in range(steps))
    return {"model": model, "data": data, "device": device, "amp": amp or "float32", "compile": compile,
            "batch_size": batch_size, "steps": steps, "samples_per_s": n / seconds, "warmup_s": warmup_s,
            "gpu": torch.cuda.get_device_name(device) if device.startswith("cuda") else None}


def throughput_rows(device: str, quick: bool, log=print) -> list[dict]:
    """``throughput`` for every model and mode; a mode that fails (no Triton for compile, say) is a row with an
    error, not the end of the run."""
    rows = []
    for model, data in THROUGHPUT_MODELS:
        for amp, compile in THROUGHPUT_MODES:
            try:
                row = throughput(model, data, device, amp, compile, steps=5 if quick else 50,
                                 warmup=2 if quick else 10, batch_size=32 if quick else 256)
            except Exception as exc:  # noqa: BLE001
                row = {"model": model, "data": data, "device": device, "amp": amp or "float32", "compile": compile,
                       "error": f"{type(exc).__name__}: {exc}".splitlines()[0][:200]}
            rows.append(row)
            log(throughput_line(row))
    return rows


def throughput_line(row: dict) -> str:
    mode = f"{row['amp']}{', compiled' if row['compile'] else ''}"
    if row.get("error"):
        return f"[throughput] {row['model']} ({mode}) on {row['device']}: ERROR {row['error']}"
    return (f"[throughput] {row['model']} ({mode}) on {row['device']}: {row['samples_per_s']:,.0f} samples/s "
            f"(batch {row['batch_size']}, warm-up {row['warmup_s']:.1f} s)")
