"""Timing both sides the same way: warm-up, repeats, median; threads pinned equal on both sides.

Import this module before numpy anywhere in a benchmark process: it fixes the BLAS thread count through the
environment (which only works before numpy loads) and torch's through ``torch.set_num_threads``, so the NumPy and
PyTorch sides always run with the same number of threads.
"""
from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass

THREADS = int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1))
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = str(THREADS)  # every library the same count, whatever was set before



def _cpu_flags() -> set:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


# OpenBLAS (NumPy's BLAS) does not recognise every AVX-512 CPU (AMD Zen 4 and 5 among them) and falls back to its
# AVX2 kernels, while torch's MKL/oneDNN use AVX-512 on the same CPU. Comparing the two sides on the same
# instruction set means telling OpenBLAS. A value already in the environment wins (some machines pin one on purpose);
# the benchmark prints which kernels ran. It must be set before numpy loads.
if "OPENBLAS_CORETYPE" not in os.environ and "avx512f" in _cpu_flags():
    os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
BLAS_CORETYPE = os.environ.get("OPENBLAS_CORETYPE", "OpenBLAS's own choice")

import numpy as np  # noqa: E402  (after the thread variables, on purpose)


def set_torch_threads():
    import torch

    torch.set_num_threads(THREADS)
    return torch


@dataclass
class Timing:
    median: float  # seconds per call
    spread: float  # interquartile range / median
    calls: int


def measure(fn, *, warmup: int = 2, repeat: int = 7, min_seconds: float = 0.2) -> Timing:
    """Median wall time of ``fn()`` over ``repeat`` rounds, each round long enough to time reliably."""
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-9)
    inner = max(1, int(min_seconds / repeat / once))
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        rounds.append((time.perf_counter() - start) / inner)
    q = statistics.quantiles(rounds, n=4) if len(rounds) > 1 else [rounds[0]] * 3
    med = statistics.median(rounds)
    return Timing(median=med, spread=(q[2] - q[0]) / med, calls=inner * repeat)


def matmul_peak_gflops(n: int = 2048, dtype=np.float32) -> float:
    """This machine's float32 matrix-multiply rate through NumPy's BLAS, in GFLOP/s (2 n^3 flops a product)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    t = measure(lambda: a @ b, warmup=1, repeat=5)
    return 2 * n**3 / t.median / 1e9
