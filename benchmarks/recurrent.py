"""LSTM forward + backward, NumPy (scratch) against torch on the CPU, same thread count on both sides.

    python -m benchmarks.recurrent            # T=50, batch 32, input 64, hidden 128, float32
    python -m benchmarks.recurrent --quick    # fewer repeats

The target is a ratio numpy / torch of at most 1.5 for forward plus backward; it is NOT met yet (about 2.2 with
one thread on a loaded 2-core machine). No numba kernel has been tried: per step the work is one (N, H) @ (H, 4H)
matmul plus a dozen elementwise passes over (N, 4H) arrays, and the three whole-sequence matmuls (input projection,
dx, dW_ih, dW_hh) cost about as much as torch's entire run here; where the rest goes is still to be profiled.
"""
from __future__ import annotations

import argparse

from benchmarks import harness  # first: pins BLAS threads before numpy loads

import numpy as np  # noqa: E402

import scratch.functional as F  # noqa: E402


def run(T=50, N=32, I=64, H=128, quick=False):
    torch = harness.set_torch_threads()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, N, I)).astype(np.float32)
    lstm_t = torch.nn.LSTM(I, H)
    params = [p.detach().numpy().copy() for p in lstm_t.parameters()]  # torch's order: w_ih, w_hh, b_ih, b_hh
    dout = rng.standard_normal((T, N, H)).astype(np.float32)
    dh = rng.standard_normal((1, N, H)).astype(np.float32)
    dc = rng.standard_normal((1, N, H)).astype(np.float32)

    def numpy_step():
        (out, (h_n, c_n)), backward = F.lstm(x, None, None, params)
        backward((dout, (dh, dc)))

    x_t = torch.from_numpy(x).requires_grad_(True)
    grads_t = [torch.from_numpy(a) for a in (dout, dh, dc)]

    def torch_step():
        out, (h_n, c_n) = lstm_t(x_t)
        torch.autograd.backward([out, h_n, c_n], grads_t)

    kw = dict(repeat=3, min_seconds=0.1) if quick else dict(repeat=9, min_seconds=0.5)
    # interleave the two sides so that load from other processes hits both alike; keep each side's best median
    t_np, t_t = [], []
    for _ in range(1 if quick else 3):
        t_np.append(harness.measure(numpy_step, **kw))
        t_t.append(harness.measure(torch_step, **kw))
    best_np = min(t_np, key=lambda t: t.median)
    best_t = min(t_t, key=lambda t: t.median)
    return best_np, best_t


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.recurrent", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    args = parser.parse_args(argv)
    t_np, t_t = run(quick=args.quick)
    print(f"LSTM forward+backward, T=50, N=32, input 64, hidden 128, float32, {harness.THREADS} thread(s)")
    print(f"{'side':8s} {'ms':>9s} {'spread':>7s}")
    print(f"{'numpy':8s} {t_np.median * 1e3:9.2f} {t_np.spread:7.2f}")
    print(f"{'numba':8s} {'-':>9s} {'':>7s}  (not tried yet)")
    print(f"{'torch':8s} {t_t.median * 1e3:9.2f} {t_t.spread:7.2f}")
    print(f"ratio numpy / torch: {t_np.median / t_t.median:.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
