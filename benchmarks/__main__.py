"""Every layer family, forward + backward: NumPy (scratch), any numba variant, and PyTorch on the CPU, side by side.

    python -m benchmarks                  # full run: the issue's shapes, then the scaling curves (minutes)
    python -m benchmarks --quick          # small shapes, few repeats: checks that the harness works
    python -m benchmarks --only conv2d --only lstm --threads 1
    python -m benchmarks --resume         # continue an interrupted run, skipping the rows already measured

Prints a line per case as it completes and a table at the end; writes results.json and results.md (results_quick.*
in quick mode) and the scaling curves' PNGs under --out. Benchmarks never fail on a slow machine: a missed target is
a row that says so, and the exit status is 0. It is 1 only when a case raised (the harness or a layer is broken).
"""
from __future__ import annotations

# Nothing that loads numpy may be imported at the top of this file: --threads has to reach the BLAS through the
# environment before numpy loads (benchmarks.harness reads it at import). The imports are inside the functions.
import argparse
import os
import sys
import time

OUT_DEFAULT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
LAYER_FAMILIES = ["linear", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "batch_norm", "layer_norm",
                  "activations", "cross_entropy", "embedding"]
# from benchmarks/recurrent (lstm, gru), attention, graph (gcn, gat), training (lenet5)
MODULE_FAMILIES = ["lstm", "gru", "attention", "gcn", "gat", "lenet5"]
FAMILIES = LAYER_FAMILIES + MODULE_FAMILIES + ["gpu_throughput"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Targets (numpy / torch, one run, float32, CPU, same threads): conv2d <= 1.0x and >= 60% of the\n"
               "matmul peak; max_pool2d, batch_norm, lstm, gcn <= 1.5x; attention <= 1.2x; LeNet-5 epoch <= 1.5x.\n"
               "gpu_throughput runs only where torch sees CUDA. See benchmarks/README.md.")
    parser.add_argument("--quick", action="store_true",
                        help="small shapes, fewer repeats, short curves: a smoke run (about a minute with the "
                             "curves, seconds with --no-scaling), not a measurement")
    parser.add_argument("--only", action="append", metavar="FAMILY", default=None,
                        help=f"run only this family (repeat the flag, or give a comma list); one of: "
                             f"{', '.join(FAMILIES)}. Its scaling curve, if it has one, comes with it")
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="threads for both sides (BLAS, numba and torch); default $BENCH_THREADS or all CPUs")
    parser.add_argument("--out", default=OUT_DEFAULT, metavar="DIR",
                        help="where results(.json, .md) and the PNGs go (default benchmarks/results/)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the rows and curves already in DIR's results file for the same shapes, threads "
                             "and mode, and measure only the missing ones (without it the file starts afresh)")
    parser.add_argument("--no-plots", action="store_true",
                        help="measure the scaling curves but draw no PNGs (PNGs also need matplotlib: "
                             "pip install -e '.[data]'; without it they are skipped with a message)")
    parser.add_argument("--no-scaling", action="store_true", help="skip the scaling curves altogether")
    parser.add_argument("--memory-child", nargs=3, metavar=("CURVE", "SIDE", "X"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    only = [f for item in (args.only or []) for f in item.split(",") if f]
    unknown = sorted(set(only) - set(FAMILIES))
    if unknown:
        parser.error(f"--only expected one of {', '.join(FAMILIES)}, got {', '.join(unknown)}")
    args.only = only or FAMILIES
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads expected a positive count, got {args.threads}")
    return args


def pin_threads(threads: int) -> None:
    """Set every thread-count variable (before numpy loads), overriding any already set to something else, so that
    the BLAS, numba and torch (through ``harness.THREADS``) all get the same count."""
    os.environ["BENCH_THREADS"] = str(threads)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(threads)


# ---- thin adapters over the benchmark modules that other people own (recurrent, attention, graph) ---------------
# Each module is asked first for ``cases(quick) -> list[Case]`` (the common interface, see README); until it has
# one, the adapter builds the case from the functions the module exposes (graph), or, where its steps are closures
# inside main()/run() (attention, recurrent), from the same public layer API those modules time.

def _recurrent_setup(cls_name: str, n_states: int, T: int, N: int, I: int, H: int):
    """What the LSTM and GRU rows share: torch's module (its weights are the scratch side's too), the input, the
    upstream gradients (of the output and of each final state) and their tensors."""
    import numpy as np

    from benchmarks import harness

    torch = harness.set_torch_threads()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, N, I)).astype(np.float32)
    twin = getattr(torch.nn, cls_name)(I, H)
    params = [p.detach().numpy().copy() for p in twin.parameters()]  # torch's order: w_ih, w_hh, b_ih, b_hh
    dout = rng.standard_normal((T, N, H)).astype(np.float32)
    dstates = [rng.standard_normal((1, N, H)).astype(np.float32) for _ in range(n_states)]
    x_t = torch.from_numpy(x).requires_grad_(True)
    grads_t = [torch.from_numpy(a) for a in (dout, *dstates)]
    return torch, twin, x, params, dout, dstates, x_t, grads_t


def lstm_case(T: int, N: int = 32, I: int = 64, H: int = 128):
    """torch.nn.LSTM's shapes as benchmarks/recurrent.py times them; a numba side when the scratch LSTM has one."""
    import scratch.functional as F
    from benchmarks.layers import Case
    from scratch import fast

    torch, lstm_t, x, params, dout, (dh, dc), x_t, grads_t = _recurrent_setup("LSTM", 2, T, N, I, H)
    default = not fast.forbidden()  # a numba side unless SCRATCH_NO_NUMBA=1 forbids the kernels

    def scratch_step(use_numba):
        def step():
            with fast.kernels(use_numba, "lstm"):  # numpy: the definition's NumPy step; numba: the fast path
                (out, _), backward = F.lstm(x, None, None, params)
                backward((dout, (dh, dc)))
            return out
        return step

    def torch_step():
        x_t.grad = None
        lstm_t.zero_grad(set_to_none=True)
        out, (h_n, c_n) = lstm_t(x_t)
        torch.autograd.backward([out, h_n, c_n], grads_t)
        return out

    flops = 3 * 2 * T * N * (I + H) * 4 * H  # input and recurrent products per step: forward, dx, dweight
    return Case("lstm", "lstm", f"x ({T}, {N}, {I}), hidden {H}, 1 layer", scratch_step(False), torch_step,
                numba_fn=scratch_step(True) if default else None, flops=flops, target=1.5)


def gru_case(T: int, N: int = 32, I: int = 64, H: int = 128):
    """torch.nn.GRU at the LSTM row's shapes: the other gated cell, whose reset gate multiplies the recurrent
    product's candidate part (torch's b_hn inside r * (...)), so its step cannot fold every bias into one product."""
    import scratch.functional as F
    from benchmarks.layers import Case

    torch, gru_t, x, params, dout, (dh,), x_t, grads_t = _recurrent_setup("GRU", 1, T, N, I, H)

    def numpy_step():
        (out, _), backward = F.gru(x, None, params)
        backward((dout, dh))
        return out

    def torch_step():
        x_t.grad = None
        gru_t.zero_grad(set_to_none=True)
        out, h_n = gru_t(x_t)
        torch.autograd.backward([out, h_n], grads_t)
        return out

    flops = 3 * 2 * T * N * (I + H) * 3 * H  # three gates' input and recurrent products: forward, dx, dweight
    return Case("gru", "gru", f"x ({T}, {N}, {I}), hidden {H}, 1 layer", numpy_step, torch_step, flops=flops)


def gru_cases(quick: bool):
    return [gru_case(10 if quick else 50)]


def lstm_cases(quick: bool):
    from benchmarks import recurrent

    if hasattr(recurrent, "cases"):
        return recurrent.cases(quick)
    return [lstm_case(10 if quick else 50)]


def attention_case(N: int, T: int, E: int, H: int, need_weights: bool = False):
    """Self-attention on (N, T, E), batch_first, as benchmarks/attention.py times it."""
    import numpy as np

    from benchmarks import harness
    from benchmarks.layers import Case
    from scratch.nn import MultiheadAttention
    from torch_impl.state import copy_weights

    torch = harness.set_torch_threads()
    rng = np.random.default_rng(0)
    layer = MultiheadAttention(E, H, batch_first=True, rng=rng)
    twin = torch.nn.MultiheadAttention(E, H, batch_first=True)
    copy_weights(layer, twin)
    x = rng.standard_normal((N, T, E)).astype(np.float32)
    dy = rng.standard_normal((N, T, E)).astype(np.float32)
    x_t, dy_t = torch.from_numpy(x), torch.from_numpy(dy)

    def numpy_step():
        layer.zero_grad()
        (out, _), backward = layer(x, x, x, need_weights=need_weights)
        backward((dy, None))
        return out

    def torch_step():
        twin.zero_grad(set_to_none=True)
        xt = x_t.clone().requires_grad_(True)
        out, _ = twin(xt, xt, xt, need_weights=need_weights)
        out.backward(dy_t)
        return out

    # 4 (E, E) projections and 2 (T, T, E) products (scores, weights @ values), each times 3 with the backward
    flops = 3 * (4 * 2 * N * T * E * E + 2 * 2 * N * T * T * E)
    path = "need_weights=True (explicit softmax)" if need_weights else "need_weights=False (torch: fused SDPA)"
    return Case("attention", "multihead_attention", f"self-attention x ({N}, {T}, {E}), {H} heads, {path}",
                numpy_step, torch_step, flops=flops, target=1.2)


def attention_cases(quick: bool):
    from benchmarks import attention

    if hasattr(attention, "cases"):
        return attention.cases(quick)
    N, T, E, H = (2, 16, 64, 4) if quick else (16, 128, 256, 8)  # the full shape is benchmarks/attention.py's
    return [attention_case(N, T, E, H, need_weights) for need_weights in (False, True)]


def gcn_case(n_nodes: int, n_edges: int, target: float | None = 1.5):
    import warnings

    from benchmarks import graph, harness
    from benchmarks.layers import Case

    warnings.filterwarnings("ignore", message="Sparse")  # torch's beta-state notices for sparse tensors
    torch = harness.set_torch_threads()
    x, edge_index, w, b, dy = graph.make_inputs(n_nodes, n_edges)
    tensors = graph.torch_tensors(torch, x, edge_index, w, b)
    dy_t = torch.from_numpy(dy)
    F_in, F_out = w.shape[1], w.shape[0]
    # the (N, F_in) @ (F_in, F_out) product three times, and the sparse product (E + N self-loops) forward and in dx
    flops = 3 * 2 * n_nodes * F_in * F_out + 2 * 2 * (n_edges + n_nodes) * F_out
    return Case("gcn", "gcn_conv", f"{n_nodes:,} nodes, {n_edges:,} edges, {F_in} -> {F_out}",
                lambda: graph.numpy_step(x, edge_index, w, b, dy)[0],
                lambda: graph.torch_step(torch, lambda *a: graph.torch_sparse_gcn(torch, *a), tensors, dy_t),
                flops=flops, target=target, note="torch side: sparse COO mm (benchmarks/graph.py)")


def gcn_cases(quick: bool):
    from benchmarks import graph

    if hasattr(graph, "cases"):
        return graph.cases(quick)
    return [gcn_case(2_000, 20_000) if quick else gcn_case(100_000, 1_000_000)]


def gat_case(n_nodes: int, n_edges: int, heads: int = 8, channels: int = 8):
    """GATConv 64 -> heads x channels (concatenated), self-loops added, against its torch twin
    (``torch_impl.functional.gat_conv``: gathers, ``index_add_`` and autograd), on graph.py's random graph."""
    import numpy as np

    import scratch.functional as F
    import torch_impl.functional as TF
    from benchmarks import graph, harness
    from benchmarks.layers import Case

    torch = harness.set_torch_threads()
    x, edge_index, _, _, _ = graph.make_inputs(n_nodes, n_edges)
    rng = np.random.default_rng(1)
    HC = heads * channels
    w = (rng.standard_normal((HC, x.shape[1])) / 8).astype(np.float32)
    att_src, att_dst = (rng.standard_normal((1, heads, channels)).astype(np.float32) for _ in range(2))
    b = rng.standard_normal(HC).astype(np.float32)
    dy = rng.standard_normal((n_nodes, HC)).astype(np.float32)
    leaves = [torch.from_numpy(a).requires_grad_(True) for a in (x, w, att_src, att_dst, b)]
    edge_t, dy_t = torch.from_numpy(edge_index), torch.from_numpy(dy)

    def numpy_step():
        y, backward = F.gat_conv(x, edge_index, w, att_src, att_dst, b, heads=heads)
        backward(dy)
        return y

    def torch_step():
        for t in leaves:
            t.grad = None
        xt, wt, st, dt, bt = leaves
        y = TF.gat_conv(xt, edge_t, wt, st, dt, bt, heads=heads)
        y.backward(dy_t)
        return y

    return Case("gat", "gat_conv", f"{n_nodes:,} nodes, {n_edges:,} edges, {x.shape[1]} -> {heads} heads x {channels}",
                numpy_step, torch_step, note="torch side: torch_impl's twin (gathers and index_add_)")


def gat_cases(quick: bool):
    return [gat_case(2_000, 20_000) if quick else gat_case(20_000, 200_000)]


def family_cases(family: str, quick: bool):
    if family in LAYER_FAMILIES:
        from benchmarks import layers

        return layers.FAMILIES[family](quick)
    if family == "lenet5":
        from benchmarks import training

        return training.cases(quick)
    return {"lstm": lstm_cases, "gru": gru_cases, "attention": attention_cases, "gcn": gcn_cases,
            "gat": gat_cases}[family](quick)


def curves(quick: bool):
    from benchmarks import layers
    from benchmarks.scaling import Curve

    H = 16 if quick else 32
    return [
        Curve("conv2d_batch", "conv2d", f"Conv2d 16 -> 32 channels, {H}x{H}, 3x3, padding 1: time against batch size",
              "batch size N", [1, 2, 4] if quick else [8, 16, 32, 64], lambda n: layers.conv2d_case(n, H=H),
              expected="linear in N (every sample is the same work)"),
        Curve("lstm_seq", "lstm", "LSTM, batch 32, input 64, hidden 128: time against sequence length",
              "sequence length T", [4, 8, 16] if quick else [12, 25, 50, 100], lambda t: lstm_case(t),
              expected="linear in T (one step after another)"),
        Curve("attention_seq", "attention",
              "Self-attention, " + ("batch 2, E 64, 4 heads" if quick else "batch 4, E 256, 8 heads")
              + ": time and peak memory against sequence length", "sequence length T",
              [64, 128, 256] if quick else [64, 128, 256, 512, 1024],
              (lambda t: attention_case(2, t, 64, 4)) if quick else (lambda t: attention_case(4, t, 256, 8)),
              memory=True,
              expected="time: linear (projections) turning quadratic (T x T scores); memory: quadratic where the "
                       "(N, H, T, T) weights are stored, linear for a fused kernel that never stores them"),
        Curve("gcn_edges", "gcn", "GCNConv 64 -> 64, " + ("2,000" if quick else "20,000")
              + " nodes: time against the number of edges", "edges E",
              [5_000, 10_000, 20_000] if quick else [250_000, 500_000, 1_000_000, 2_000_000],
              (lambda e: gcn_case(2_000, e, None)) if quick else (lambda e: gcn_case(20_000, e, None)),
              expected="linear in E (plus a fixed per-node cost that flattens the small end)"),
    ]


# ---- running -----------------------------------------------------------------------------------------------

def unavailable(only) -> list[dict]:
    import torch

    if "gpu_throughput" in only and not torch.cuda.is_available():
        return [{"name": "GPU throughput", "reason": "this torch build sees no CUDA device (torch.cuda.is_available() "
                 "is False); on a machine with one, the same command measures it"}]
    return []


def time_case(case, quick: bool, threads: int, peak: float) -> dict:
    import numpy as np

    from benchmarks import layers, report

    row = {"family": case.family, "layer": case.layer, "shape": case.shape, "threads": threads, "quick": quick,
           "dtype": "float32", "note": case.note,
           # quick mode's shapes are not the issue's: a target there would only mislead
           "target": None if quick else case.target, "peak_target": None if quick else case.peak_target,
           "peak_gflops": peak, "numpy_s": None, "numba_s": None, "torch_s": None, "ratio": None,
           "numba_first_call_s": None, "agree": None}
    if case.numba_fn is not None:
        start = time.perf_counter()
        case.numba_fn()  # the first call compiles (or loads numba's on-disk cache): reported apart from the timing
        row["numba_first_call_s"] = time.perf_counter() - start
    # the sides must compute the same thing before their times mean anything (this call is also a warm-up)
    y_np = np.asarray(case.numpy_fn())
    others = [case.torch_fn().detach().numpy()] + ([np.asarray(case.numba_fn())] if case.numba_fn else [])
    scale = max(1.0, float(np.abs(y_np).max(initial=0)))
    row["agree"] = all(y.shape == y_np.shape and np.allclose(y, y_np, rtol=1e-3, atol=1e-3 * scale) for y in others)
    timings = layers.time_sides(case, quick)
    for side, t in timings.items():
        row[side + "_s"] = t.median
        row[side + "_spread"] = t.spread
    row["ratio"] = row["numpy_s"] / row["torch_s"]
    row["numba_ratio"] = row["numba_s"] / row["torch_s"] if row["numba_s"] is not None else None
    for side in ("numpy", "numba", "torch"):
        if case.flops is not None and row[side + "_s"] is not None:
            row[side + "_gflops"] = case.flops / row[side + "_s"] / 1e9
            row[side + "_peak_fraction"] = row[side + "_gflops"] / peak
    row["status"] = report.status(row)
    row["load_avg"] = list(os.getloadavg())
    row["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    return row


def error_row(family, layer, shape, quick, threads, exc) -> dict:
    from benchmarks import report

    row = {"family": family, "layer": layer, "shape": shape, "threads": threads, "quick": quick, "dtype": "float32",
           "error": f"{type(exc).__name__}: {exc}".splitlines()[0][:200]}
    row["status"] = report.status(row)
    return row


def torch_matmul_gflops(n: int) -> float:
    """``harness.matmul_peak_gflops`` for torch: a float32 (n, n) @ (n, n) product, 2 n^3 flops."""
    from benchmarks import harness

    torch = harness.set_torch_threads()
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(n, n, generator=gen), torch.randn(n, n, generator=gen)
    return 2 * n ** 3 / harness.measure(lambda: a @ b, warmup=1, repeat=5).median / 1e9


def thread_info(threads: int) -> dict:
    """What the libraries actually run with (threadpoolctl, if installed, also enforces the count at run time)."""
    from benchmarks import harness

    torch = harness.set_torch_threads()
    info = {"torch_threads": torch.get_num_threads()}
    try:
        import threadpoolctl
    except ImportError:
        return info
    threadpoolctl.threadpool_limits(limits=threads, user_api="blas")  # numpy loaded early (in-process callers)
    info["blas_threads"] = ", ".join(f"{p['internal_api']} {p['num_threads']}"
                                     for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas")
    return info


def run(args, threads: int) -> int:
    import platform

    import numpy as np
    import torch

    from benchmarks import harness, report

    if harness.THREADS != threads:
        print(f"warning: benchmarks.harness was imported before --threads took effect: torch gets "
              f"{harness.THREADS} threads, not {threads}", file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    stem = "results_quick" if args.quick else "results"
    previous = report.load(os.path.join(args.out, stem + ".json")) if args.resume else None
    kept_rows = [r for r in (previous or {}).get("rows", []) if not r.get("error")]
    done = {report.row_key(r) for r in kept_rows}
    kept_curves = [c for c in (previous or {}).get("curves", []) if not c.get("error")]

    try:
        import numba
        numba_version = numba.__version__
    except ImportError:
        numba_version = "not installed"
    peak_n = 1024 if args.quick else 2048
    meta = {"quick": args.quick, "threads": threads, "cpu_count": os.cpu_count(), **thread_info(threads),
            "numpy": np.__version__, "torch": torch.__version__, "numba": numba_version,
            "python": platform.python_version(), "platform": platform.platform(), "load_start": list(os.getloadavg()),
            "openblas_coretype": harness.BLAS_CORETYPE,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "finished": None, "peak_n": peak_n,
            "command": "python -m benchmarks " + " ".join(sys.argv[1:] if args.argv is None else args.argv)}
    busy = meta["load_start"][0] + threads > (os.cpu_count() or 1) + 0.5
    if busy:  # a thread descheduled mid-kernel stalls its side at the next barrier: multi-threaded times jump
        meta["warning"] = (f"machine busy: load average {meta['load_start'][0]:.2f} on {os.cpu_count()} CPUs with "
                           f"{threads} benchmark thread(s); timings are noisy" + ("; --threads 1 is steadier"
                                                                                  if threads > 1 else ""))
        print("warning: " + meta["warning"], file=sys.stderr)
    print(f"threads {threads} (torch {meta['torch_threads']}, BLAS {meta.get('blas_threads', '?')}, OpenBLAS kernels: "
          f"{meta['openblas_coretype']}); "
          f"load average {meta['load_start'][0]:.2f}; measuring the float32 matmul peak ({peak_n}^3)...", flush=True)
    # The peak is the faster of the two libraries' matmuls: torch's BLAS (oneDNN/MKL) can beat NumPy's (OpenBLAS),
    # and a fraction of NumPy's own rate would then put torch above 100%.
    meta["numpy_matmul_gflops"] = harness.matmul_peak_gflops(peak_n)
    meta["torch_matmul_gflops"] = torch_matmul_gflops(peak_n)
    meta["matmul_peak_gflops"] = max(meta["numpy_matmul_gflops"], meta["torch_matmul_gflops"])
    print(f"matmul peak: {meta['matmul_peak_gflops']:.1f} GFLOP/s (numpy {meta['numpy_matmul_gflops']:.1f}, "
          f"torch {meta['torch_matmul_gflops']:.1f})", flush=True)
    if previous:
        meta["resumed_from"] = {k: previous["meta"].get(k) for k in ("started", "finished", "load_start", "load_end",
                                                                     "matmul_peak_gflops")}
    results = {"meta": meta, "rows": list(kept_rows), "unavailable": unavailable(args.only),
               "curves": list(kept_curves)}
    report.save(results, args.out, stem)

    families = [f for f in FAMILIES if f in args.only and f != "gpu_throughput"]
    failed = False
    for family in families:
        try:
            cases = family_cases(family, args.quick)
        except ImportError as exc:  # a benchmark module someone is still writing: listed, not fatal
            results["unavailable"].append({"name": family, "reason": f"benchmark module not importable yet "
                                                                     f"({type(exc).__name__}: {exc})"})
            print(f"[{family}] missing: {exc}", flush=True)
            report.save(results, args.out, stem)
            continue
        except Exception as exc:  # noqa: BLE001  (a broken case is reported, the run goes on)
            results["rows"].append(error_row(family, family, "-", args.quick, threads, exc))
            print(f"[{family}] ERROR building cases: {exc}", flush=True)
            failed = True
            report.save(results, args.out, stem)
            continue
        for case in cases:
            probe = {"family": case.family, "layer": case.layer, "shape": case.shape, "threads": threads,
                     "quick": args.quick, "dtype": "float32"}
            if report.row_key(probe) in done:
                print(f"[{family}] {case.layer} {case.shape}: kept from the previous run (--resume)", flush=True)
                continue
            try:
                row = time_case(case, args.quick, threads, meta["matmul_peak_gflops"])
            except Exception as exc:  # noqa: BLE001
                row = error_row(case.family, case.layer, case.shape, args.quick, threads, exc)
                failed = True
            results["rows"].append(row)
            report.save(results, args.out, stem)
            print(progress_line(row), flush=True)
        del cases

    if not args.no_scaling:
        failed |= run_curves(args, results, stem, {c["name"]: c for c in kept_curves})

    if "gpu_throughput" in args.only and torch.cuda.is_available():
        from benchmarks import training

        results["throughput"] = training.throughput_rows("cuda", args.quick, log=lambda line: print(line, flush=True))
        failed |= any(r.get("error") for r in results["throughput"] if not r["compile"])  # compile may lack Triton
        report.save(results, args.out, stem)

    if not any(r.get("numba_s") for r in results["rows"]):
        results["unavailable"].append({"name": "numba variants", "reason": "none among the families run (STYLE.md: "
                                       "only where a benchmark shows NumPy cannot reach its target)"})
    # --resume appends the new rows after the kept ones: put them back in the families' order (a stable sort)
    results["rows"].sort(key=lambda r: FAMILIES.index(r["family"]) if r["family"] in FAMILIES else len(FAMILIES))
    meta["load_end"] = list(os.getloadavg())
    meta["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    report.save(results, args.out, stem)
    print()
    print(report.text_table(results["rows"]))
    for item in results["unavailable"]:
        print(f"{item['name']}: {item['reason']}")
    if results.get("throughput"):
        from benchmarks import training

        print("\n".join(training.throughput_line(r) for r in results["throughput"]))
    for c in results["curves"]:
        print(curve_line(c))
    print(f"load average at end {meta['load_end'][0]:.2f}; written {os.path.join(args.out, stem)}.json and .md")
    return 1 if failed else 0


def run_curves(args, results, stem, kept) -> bool:
    from benchmarks import report, scaling

    failed = False
    for curve in curves(args.quick):
        if curve.family not in args.only:
            continue
        if curve.name in kept:  # its points are kept; the fit and the PNG are redone (cheap, and the code may be new)
            print(f"[curve] {curve.name}: kept from the previous run (--resume)", flush=True)
            record = kept[curve.name]
            record["fits"] = scaling.fit_points(record)
            results["curves"].remove(record)
        else:
            print(f"[curve] {curve.name}: {curve.title}", flush=True)
            try:
                record = scaling.run_curve(curve, args.quick, progress=lambda line: print(line, flush=True))
            except ImportError as exc:
                results["unavailable"].append({"name": f"curve {curve.name}",
                                               "reason": f"module not importable: {exc}"})
                continue
            except Exception as exc:  # noqa: BLE001
                record = {"name": curve.name, "title": curve.title, "error": f"{type(exc).__name__}: {exc}"[:200]}
                failed = True
        if not record.get("error") and not args.no_plots:
            png = os.path.join(args.out, curve.name + ("_quick" if args.quick else "") + ".png")
            record["png"] = scaling.plot(record, png)
            if record["png"] is None:
                print("  matplotlib is not installed: no PNG (pip install -e '.[data]')", flush=True)
        record["threads"], record["quick"] = results["meta"]["threads"], args.quick
        results["curves"].append(record)
        report.save(results, args.out, stem)
        print(curve_line(record), flush=True)
    return failed


def progress_line(row: dict) -> str:
    if row.get("error"):
        return f"[{row['family']}] {row['layer']} {row['shape']}: {row['status']}"
    numba = (f", numba {row['numba_s'] * 1e3:.2f} ms ({row['numba_ratio']:.2f}x)" if row.get("numba_s") is not None
             else "")
    return (f"[{row['family']}] {row['layer']} {row['shape']}: numpy {row['numpy_s'] * 1e3:.2f} ms{numba}, "
            f"torch {row['torch_s'] * 1e3:.2f} ms, ratio {row['ratio']:.2f}x: {row['status']}")


def curve_line(c: dict) -> str:
    if c.get("error"):
        return f"curve {c['name']}: ERROR {c['error']}"
    from benchmarks.scaling import describe

    fits = "; ".join(f"{f['side']} {f['quantity']}: {describe(f)}" for f in c["fits"])
    return f"curve {c['name']}: {fits}" + (f" -> {c['png']}" if c.get("png") else "")


def memory_child(args) -> int:
    name, side, x = args.memory_child
    from benchmarks import scaling

    curve = next(c for c in curves(args.quick) if c.name == name)
    scaling.memory_child(curve, side, int(x))
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    args.argv = argv
    threads = args.threads or int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1))
    pin_threads(threads)
    if args.memory_child:
        return memory_child(args)
    return run(args, threads)


if __name__ == "__main__":
    sys.exit(main())
