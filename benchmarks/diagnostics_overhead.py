"""What ``--diagnostics EVERY`` costs: ``python -m benchmarks.diagnostics_overhead [training options]``.

Each side is built as ``python -m torch_impl.train`` builds it (the same options, default ``--model lenet5 --data
mnist_sample``), then steps through the first epoch's batches alternately plain (``trainer.step``) and recorded
(``Recorder.record``: hooks in place, copies, statistics), on the same trainer. On a machine shared with other work,
whole runs with and without diagnostics differ by more than the diagnostics cost, and so do the medians of steps
when the other work comes and goes; the fastest of many interleaved steps, as ``timeit`` takes, is what the steps
cost when nothing else runs. A run with ``--diagnostics EVERY`` records one step in EVERY, so it costs

    overhead(EVERY) = (fastest recorded step - fastest plain step) / (EVERY * fastest plain step)

of its training time (evaluation and checkpoints left out, which only makes the share larger).
"""
from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np


def measure(argv: list[str], pairs: int) -> dict:
    from torch_impl import tasks
    from torch_impl.train import cli, loop, sides
    from torch_impl.train.diagnostics import DiagnosticsLog

    args = cli.resolve(cli.build_parser().parse_args([*argv, "--no-progress"]))
    spec = cli.model_spec(args)
    ds = tasks.cast(tasks.load_dataset(args.data, seed=args.seed, normalize=spec.kind == "classify"),
                    np.dtype(args.dtype))
    batches = loop.train_batches(ds, spec.kind, args.batch_size, args.seed, 0)
    result = {"args": " ".join(argv), "pairs": pairs}
    with tempfile.TemporaryDirectory() as out:
        for side in ("numpy", "torch"):
            trainer, _ = sides.build_side(side, spec, ds, args)
            recorder = DiagnosticsLog(out, 1).recorder(side)
            plain, recorded = [], []
            for i in range(pairs):
                batch = batches[(2 * i) % len(batches)]
                t0 = time.perf_counter()
                trainer.step(batch)
                t1 = time.perf_counter()
                recorder.record(trainer, batches[(2 * i + 1) % len(batches)], step=i, epoch=1)
                t2 = time.perf_counter()
                plain.append(t1 - t0)
                recorded.append(t2 - t1)
            p, r = min(plain), min(recorded)
            result[side] = {"plain_step_s": p, "recorded_step_s": r,
                            "overhead": {every: (r - p) / (every * p) for every in (1, 10, 50)}}
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.diagnostics_overhead",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=40, help="plain and recorded steps, alternating, per side")
    known, rest = parser.parse_known_args(argv)
    rest = rest or ["--model", "lenet5", "--data", "mnist_sample"]
    result = measure(rest, known.pairs)
    print(f"{result['args']}: {known.pairs} plain and {known.pairs} recorded steps per side, the fastest of each")
    print(f"{'side':6s} {'plain step':>11s} {'recorded':>10s} {'EVERY=1':>8s} {'EVERY=10':>9s} {'EVERY=50':>9s}")
    for side in ("numpy", "torch"):
        s = result[side]
        o = s["overhead"]
        print(f"{side:6s} {1e3 * s['plain_step_s']:9.2f}ms {1e3 * s['recorded_step_s']:8.2f}ms "
              f"{100 * o[1]:7.1f}% {100 * o[10]:8.2f}% {100 * o[50]:8.2f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
