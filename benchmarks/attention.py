"""Multi-head self-attention, forward plus backward: ``scratch.nn.MultiheadAttention`` against
``torch.nn.MultiheadAttention`` on the CPU, float32, the same number of threads on both sides.

Usage::

    python -m benchmarks.attention            # batch 16, T = 128, E = 256, 8 heads
    python -m benchmarks.attention --quick    # batch 4, T = 64: a smoke test of the script

Both of torch's paths are timed: need_weights=False (torch calls its fused scaled_dot_product_attention, the path
its Transformer layers take) and need_weights=True (torch's default: an explicit softmax, weights returned).
Target: the NumPy side within 1.2x of torch.
"""
from __future__ import annotations

from benchmarks.harness import THREADS, measure, set_torch_threads  # before numpy: it pins the BLAS threads

# isort: split

import argparse

import numpy as np

from scratch.nn import MultiheadAttention


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.attention", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small shapes, few repeats")
    args = parser.parse_args(argv)
    torch = set_torch_threads()
    from torch_impl.state import copy_weights

    N, T, E, H = (4, 64, 256, 8) if args.quick else (16, 128, 256, 8)
    rounds = 1 if args.quick else 5
    rng = np.random.default_rng(0)
    layer = MultiheadAttention(E, H, batch_first=True, rng=rng)
    twin = torch.nn.MultiheadAttention(E, H, batch_first=True)
    copy_weights(layer, twin)
    x = rng.standard_normal((N, T, E)).astype(np.float32)
    dy = rng.standard_normal((N, T, E)).astype(np.float32)
    x_t, dy_t = torch.from_numpy(x), torch.from_numpy(dy)

    print(f"MultiheadAttention self-attention, forward + backward: N={N}, T={T}, E={E}, H={H}, float32, "
          f"{THREADS} threads")
    print(f"{'need_weights':>12s} {'numpy ms':>10s} {'torch ms':>10s} {'ratio':>7s}")
    for need_weights in (False, True):
        def numpy_step(need_weights=need_weights):
            layer.zero_grad()
            (out, weights), backward = layer(x, x, x, need_weights=need_weights)
            backward((dy, None))

        def torch_step(need_weights=need_weights):
            twin.zero_grad(set_to_none=True)
            xt = x_t.clone().requires_grad_(True)
            out, _ = twin(xt, xt, xt, need_weights=need_weights)
            out.backward(dy_t)

        # Alternate the two sides, several rounds: on a shared machine the load drifts, and timing one side
        # after the other would hand the drift to one of them. Best of the rounds' medians is reported.
        t_np, t_torch = [], []
        for _ in range(rounds):
            t_np.append(measure(numpy_step, repeat=3).median)
            t_torch.append(measure(torch_step, repeat=3).median)
        best_np, best_torch = min(t_np), min(t_torch)
        print(f"{str(need_weights):>12s} {best_np * 1e3:10.2f} {best_torch * 1e3:10.2f} {best_np / best_torch:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
