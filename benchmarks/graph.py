"""GCN forward + backward: ``scratch.functional.gcn_conv`` (scipy CSR) against torch sparse matrices, on the CPU.

Usage::

    python -m benchmarks.graph            # 100,000 nodes, 1,000,000 random directed edges, 64 -> 64 features, float32
    python -m benchmarks.graph --quick    # 10,000 nodes, 100,000 edges

Both sides compute the same thing per call: the normalisation (self-loops, target-side degrees, D^-1/2 A D^-1/2,
recomputed every call as PyG does without ``cached=True``), the sparse product, the bias, and the backward pass to
``x``, ``weight`` and ``bias``. The torch side builds a coalesced sparse COO matrix and lets autograd run
``torch.sparse.mm`` backwards (a CSR matrix is faster forwards but its autograd transpose is several times slower
backwards). The hand-written twin ``torch_impl.functional.gcn_conv`` (gather + ``index_add_``) is timed as well.

Peak memory is measured in a fresh subprocess per side and size (the peak resident set size during one forward +
backward, minus the resident set size once the inputs exist), for edge counts 1/4, 1/2 and 1 times the main size, to
show it grows linearly with the number of edges, not with N^2.
"""
from __future__ import annotations

from benchmarks import harness  # before numpy: it pins the BLAS threads

# isort: split

import argparse
import json
import subprocess
import sys
import warnings

import numpy as np

F_IN = F_OUT = 64


def make_inputs(n_nodes: int, n_edges: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    edge_index = rng.integers(0, n_nodes, size=(2, n_edges), dtype=np.int64)
    x = rng.standard_normal((n_nodes, F_IN)).astype(np.float32)
    w = (rng.standard_normal((F_OUT, F_IN)) / 8).astype(np.float32)
    b = rng.standard_normal(F_OUT).astype(np.float32)
    dy = rng.standard_normal((n_nodes, F_OUT)).astype(np.float32)
    return x, edge_index, w, b, dy


def numpy_step(x, edge_index, w, b, dy):
    from scratch.functional import gcn_conv

    y, backward = gcn_conv(x, edge_index, w, b)
    return y, backward(dy)


def torch_sparse_gcn(torch, x, edge_index, w, b):
    """GCN with a torch sparse matrix: the same normalisation as PyG's gcn_norm (no input self-loops assumed away)."""
    n = x.shape[0]
    src, dst = edge_index[0], edge_index[1]
    keep = src != dst  # PyG's add_remaining_self_loops, unweighted: drop the input's loops, add one per node
    nodes = torch.arange(n)
    src, dst = torch.cat([src[keep], nodes]), torch.cat([dst[keep], nodes])
    deg = torch.bincount(dst, minlength=n).to(x.dtype)
    dinv = deg.pow(-0.5)
    adj = torch.sparse_coo_tensor(torch.stack([dst, src]), dinv[src] * dinv[dst], (n, n)).coalesce()
    return torch.sparse.mm(adj, x @ w.T) + b


def torch_step(torch, fn, tensors, dy):
    x, edge_index, w, b = tensors
    for t in (x, w, b):
        t.grad = None
    y = fn(x, edge_index, w, b)
    y.backward(dy)
    return y


def torch_tensors(torch, x, edge_index, w, b):
    return (torch.from_numpy(x).requires_grad_(True), torch.from_numpy(edge_index),
            torch.from_numpy(w).requires_grad_(True), torch.from_numpy(b).requires_grad_(True))


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def memory_child(side: str, n_nodes: int, n_edges: int) -> None:
    """Run once in this (fresh) process; print the peak RSS growth of one step, in MiB, as JSON.

    Imports and input creation come first; then the peak-RSS counter (VmHWM) is reset through
    ``/proc/self/clear_refs`` so that their own peaks do not hide the step's. Linux only.
    """
    from scratch.functional import gcn_conv  # noqa: F401  (imported before the measurement)

    x, edge_index, w, b, dy = make_inputs(n_nodes, n_edges)
    torch = harness.set_torch_threads() if side == "torch" else None
    if torch is not None:
        tensors = torch_tensors(torch, x, edge_index, w, b)
        dy_t = torch.from_numpy(dy)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS
    before = _rss_kib("VmRSS")
    if torch is None:
        numpy_step(x, edge_index, w, b, dy)
    else:
        torch_step(torch, lambda *a: torch_sparse_gcn(torch, *a), tensors, dy_t)
    print(json.dumps({"peak_mib": (_rss_kib("VmHWM") - before) / 1024}))


def measure_memory(side: str, n_nodes: int, n_edges: int) -> float:
    out = subprocess.run([sys.executable, "-m", "benchmarks.graph", "--memory-child", side, str(n_nodes),
                          str(n_edges)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.graph", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 nodes and 100,000 edges")
    parser.add_argument("--memory-child", nargs=3, metavar=("SIDE", "NODES", "EDGES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        side, n_nodes, n_edges = args.memory_child
        memory_child(side, int(n_nodes), int(n_edges))
        return 0

    warnings.filterwarnings("ignore", message="Sparse")  # torch's beta-state notices
    torch = harness.set_torch_threads()
    from torch_impl.functional import gcn_conv as twin_gcn_conv

    n_nodes, n_edges = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    repeat = 3 if args.quick else 5
    x, edge_index, w, b, dy = make_inputs(n_nodes, n_edges)
    tensors = torch_tensors(torch, x, edge_index, w, b)
    dy_t = torch.from_numpy(dy)

    # The two sides agree before they are timed.
    y_np, (dx_np, _, dw_np, _, _) = numpy_step(x, edge_index, w, b, dy)
    y_t = torch_step(torch, lambda *a: torch_sparse_gcn(torch, *a), tensors, dy_t)
    for a, t in ((y_np, y_t), (dx_np, tensors[0].grad), (dw_np, tensors[2].grad)):
        np.testing.assert_allclose(a, t.detach().numpy(), rtol=1e-3, atol=1e-3 * float(np.abs(a).max()))

    print(f"GCN 64 -> 64, float32, {n_nodes:,} nodes, {n_edges:,} random directed edges, "
          f"forward + backward, {harness.THREADS} threads")
    t_np = harness.measure(lambda: numpy_step(x, edge_index, w, b, dy), warmup=1, repeat=repeat)
    t_sp = harness.measure(lambda: torch_step(torch, lambda *a: torch_sparse_gcn(torch, *a), tensors, dy_t),
                           warmup=1, repeat=repeat)
    t_tw = harness.measure(lambda: torch_step(torch, twin_gcn_conv, tensors, dy_t), warmup=1, repeat=repeat)
    rows = [("numpy (scipy CSR)", t_np), ("torch sparse COO mm", t_sp), ("torch twin (index_add_)", t_tw)]
    for name, t in rows:
        print(f"  {name:26s} {t.median * 1e3:9.1f} ms  (spread {t.spread:.0%})")
    ratio = t_np.median / t_sp.median
    print(f"  numpy / torch sparse = {ratio:.2f}x (target <= 1.5x): {'ok' if ratio <= 1.5 else 'MISSED'}")

    print("Peak memory growth over one forward + backward (VmHWM in a fresh process per run):")
    print(f"  {'edges':>12s} {'numpy MiB':>10s} {'torch MiB':>10s}")
    for frac in (0.25, 0.5, 1.0):
        e = int(n_edges * frac)
        print(f"  {e:12,d} {measure_memory('numpy', n_nodes, e):10.1f} {measure_memory('torch', n_nodes, e):10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
