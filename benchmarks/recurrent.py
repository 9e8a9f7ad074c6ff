"""LSTM forward + backward, NumPy (scratch) against torch on the CPU, same thread count on both sides.

    python -m benchmarks.recurrent            # T=50, batch 32, input 64, hidden 128, float32
    python -m benchmarks.recurrent --quick    # fewer rounds

Four rows: ``numpy`` is the scratch LSTM with its NumPy step (its definition: ``scratch.fast`` off for "lstm"),
``numba`` the same with the step's elementwise arithmetic in the numba kernels (its fast path, the switch on),
``torch`` is ``torch.nn.LSTM``, and ``blas`` times only the matrix products the scratch LSTM does (input projection, one
``h W_hh^T`` and one ``dgh W_hh`` per step, dx, dW_ih, dW_hh): no implementation that calls NumPy's BLAS for them
can go below it. The sides are interleaved round by round, so that load from other processes hits all of them alike;
each row is the median over rounds (range in brackets), and the ratios are taken within each round, then the median.

The first call of the numba path, which compiles the kernels or loads them from numba's on-disk cache, is timed
separately (issue 6).

The target (issue 3) is numba / torch <= 1.5. Where it is not met, compare ``blas`` with ``torch``: OpenBLAS picks its
kernels by CPU model, and on CPUs it does not know (AMD Zen 5 with OpenBLAS 0.3.31) it falls back to AVX2 ones; then
``OPENBLAS_CORETYPE=SkylakeX`` (set before Python starts) selects the AVX-512 kernels, and the BLAS line shows which.
"""
from __future__ import annotations

import argparse
import statistics
import time

from benchmarks import harness  # first: pins BLAS threads before numpy loads

# isort: split

import numpy as np

import scratch.functional as F
from scratch import fast
from scratch.functional import _recurrent_kernels


def blas_core() -> str:
    try:
        import threadpoolctl
    except ImportError:
        return "unknown"
    info = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    return ", ".join(f"{i['internal_api']} {i.get('version')} ({i.get('architecture')})" for i in info) or "unknown"


def run(T=50, N=32, I=64, H=128, quick=False):
    torch = harness.set_torch_threads()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, N, I)).astype(np.float32)
    lstm_t = torch.nn.LSTM(I, H)
    params = [p.detach().numpy().copy() for p in lstm_t.parameters()]  # torch's order: w_ih, w_hh, b_ih, b_hh
    dout = rng.standard_normal((T, N, H)).astype(np.float32)
    dh = rng.standard_normal((1, N, H)).astype(np.float32)
    dc = rng.standard_normal((1, N, H)).astype(np.float32)

    default = not fast.forbidden()  # a numba side unless SCRATCH_NO_NUMBA=1 forbids the kernels

    def scratch_step(use_numba):
        def step():
            with fast.kernels(use_numba, "lstm"):
                (out, (h_n, c_n)), backward = F.lstm(x, None, None, params)
                backward((dout, (dh, dc)))
        return step

    x_t = torch.from_numpy(x).requires_grad_(True)
    grads_t = [torch.from_numpy(a) for a in (dout, dh, dc)]

    def torch_step():
        out, (h_n, c_n) = lstm_t(x_t)
        torch.autograd.backward([out, h_n, c_n], grads_t)

    w_ih, w_hh = params[0], params[1]
    w_hh_t = np.ascontiguousarray(w_hh.T)
    x2, g2, h2 = x.reshape(T * N, I), rng.standard_normal((T * N, 4 * H)).astype(np.float32), dout.reshape(T * N, H)

    def blas_step():
        x2 @ w_ih.T  # input projection
        for t in range(T):
            h2[t * N:(t + 1) * N] @ w_hh_t  # forward step
            g2[t * N:(t + 1) * N] @ w_hh  # backward step
        g2 @ w_ih  # dx
        g2.T @ x2  # dW_ih
        g2.T @ h2  # dW_hh

    compile_s = None
    if default:
        start = time.perf_counter()
        scratch_step(True)()
        compile_s = time.perf_counter() - start

    sides = {"numpy": scratch_step(False), "numba": scratch_step(True), "torch": torch_step, "blas": blas_step}
    if compile_s is None:
        del sides["numba"]
    kw = dict(repeat=3, min_seconds=0.1) if quick else dict(repeat=5, min_seconds=0.3)
    rounds = {name: [] for name in sides}
    for _ in range(2 if quick else 5):
        for name, fn in sides.items():
            rounds[name].append(harness.measure(fn, **kw).median)
    return rounds, compile_s


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.recurrent", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    args = parser.parse_args(argv)
    stats = _recurrent_kernels.lstm_cell.stats
    rounds, compile_s = run(quick=args.quick)
    print(f"LSTM forward+backward, T=50, N=32, input 64, hidden 128, float32, {harness.THREADS} thread(s), "
          f"{len(rounds['torch'])} interleaved rounds")
    print(f"BLAS: {blas_core()}")
    print(f"{'side':8s} {'ms':>8s}  {'range':>15s}  {'/ torch':>7s}")
    for name, times in rounds.items():
        ms = [t * 1e3 for t in times]
        ratio = statistics.median(a / b for a, b in zip(times, rounds["torch"]))
        print(f"{name:8s} {statistics.median(ms):8.2f}  [{min(ms):6.2f}, {max(ms):6.2f}]  {ratio:7.2f}")
    if compile_s is None:
        print("numba: SCRATCH_NO_NUMBA=1 forbids the kernels")
    else:
        source = "loaded from numba's cache" if stats.cache_hits else "compiled"
        print(f"numba first call: {compile_s * 1e3:.0f} ms (kernels {source}), steady state in the table")
    best = "numba" if "numba" in rounds else "numpy"
    ratio = statistics.median(a / b for a, b in zip(rounds[best], rounds["torch"]))
    print(f"ratio {best} / torch: {ratio:.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
