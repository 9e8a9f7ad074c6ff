"""Independent passes over a batch, spread over threads: how ``_winograd.conv2d_3x3`` runs its passes in parallel."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

_pools: dict = {}


def run_passes(fn, passes: list, threads: int) -> list:
    """``[fn(n0, n1) for (n0, n1) in passes]``, the passes spread over ``threads`` threads; results in pass order.

    Each pass is independent (its own images, its own scratch arrays) and the numba kernels and BLAS release the GIL,
    so the passes run in parallel. Each thread takes one contiguous run of passes (one task per thread: handing the
    pool a task per pass cost 10-20% of the convolution at 2 threads). Results come back in pass order, so sums over
    them do not depend on the threads.
    """
    threads = min(threads, len(passes))
    if threads <= 1:
        return [fn(n0, n1) for n0, n1 in passes]
    key = (os.getpid(), threads)  # a forked child cannot use its parent's threads: it gets its own pool
    if key not in _pools:
        _pools[key] = ThreadPoolExecutor(threads, thread_name_prefix="winograd")
    bounds = [len(passes) * t // threads for t in range(threads + 1)]
    runs = [passes[lo:hi] for lo, hi in zip(bounds, bounds[1:])]
    return [r for results in _pools[key].map(lambda run: [fn(*p) for p in run], runs) for r in results]
