"""Benchmark cases for the layer families that have no benchmark module of their own, and the ``Case`` they share.

A case is one layer at one shape with two (or three) zero-argument callables, each running one forward plus backward
pass on prepared float32 inputs: the NumPy side (``scratch.functional``), an optional numba variant, and PyTorch on
the CPU. ``python -m benchmarks`` times them side by side; a module that wants its layer in the table exposes
``cases(quick) -> list[Case]`` (see benchmarks/README.md).

Forward plus backward on both sides means the same gradients: every float input the NumPy ``backward`` returns a
gradient for is a leaf with ``requires_grad`` on the torch side, and its ``.grad`` is reset to None before each call so
that nothing accumulates (``scratch.functional`` returns fresh gradients, it never adds into old ones).
"""
from __future__ import annotations

from benchmarks import harness  # before numpy: it pins the BLAS threads

# isort: split

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import scratch.functional as F
from scratch import fast


@dataclass
class Case:
    """One row of the table: a layer at one shape, each side a zero-argument forward + backward step.

    The steps return the forward output (an array or a tensor) so that the runner can check, once, that the sides
    compute the same thing before it times them.
    """
    family: str  # what --only selects: "conv2d", "activations", "lstm", ...
    layer: str  # the row's name: "conv2d", "relu", ...
    shape: str  # the shapes timed, in words; with the thread count and mode it identifies a row for --resume
    numpy_fn: Callable[[], object] | None = None
    torch_fn: Callable[[], object] | None = None
    numba_fn: Callable[[], object] | None = None  # njit(cache=True) kernels: a second run pays no compile
    flops: float | None = None  # forward + backward (2 per multiply-add), only where matrix products dominate
    target: float | None = None  # the bound on time(numpy) / time(torch)
    peak_target: float | None = None  # the lower bound on numpy's fraction of the matmul peak
    note: str = ""
    repeat: int | None = None  # timing repeats per round, for a case much slower than a layer (an epoch)
    rounds: int | None = None  # rounds of the sides taking turns, likewise


def numpy_step(fn, args, dy, **kwargs):
    """One ``fn(*args, **kwargs)`` forward and its ``backward(dy)``; returns the forward output."""
    def step():
        y, backward = fn(*args, **kwargs)
        backward(dy)
        return y
    return step


def torch_step(fn, args, dy, **kwargs):
    """The torch twin of ``numpy_step``: forward, ``y.backward(dy)``, leaves' ``.grad`` cleared first."""
    leaves = [a for a in args if getattr(a, "requires_grad", False)]

    def step():
        for a in leaves:
            a.grad = None
        y = fn(*args, **kwargs)
        y.backward(dy)
        return y
    return step


def _leaf(torch, a, grad=True):
    t = torch.from_numpy(a)
    return t.requires_grad_(True) if grad else t


def _fmt(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _normal(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def linear_cases(quick: bool) -> list[Case]:
    M, I, O = (64, 64, 64) if quick else (512, 1024, 1024)
    torch = harness.set_torch_threads()
    rng = np.random.default_rng(0)
    x, w, b = _normal(rng, M, I), _normal(rng, O, I, scale=I ** -0.5), _normal(rng, O)
    dy = _normal(rng, M, O)
    args_t = [_leaf(torch, a) for a in (x, w, b)]
    return [Case("linear", "linear", f"x {_fmt(x.shape)}, weight {_fmt(w.shape)}, bias",
                 numpy_step(F.linear, (x, w, b), dy),
                 torch_step(torch.nn.functional.linear, args_t, torch.from_numpy(dy)),
                 flops=3 * 2 * M * I * O)]


def _fast(layer: str, on: bool, step):
    """``step`` with ``layer``'s fast path on or off (``scratch.fast.kernels(on, layer)``) for its duration: one side
    of a row runs the NumPy definition, the other the numba kernels."""
    def run():
        with fast.kernels(on, layer):
            return step()
    return run


def has_kernels() -> bool:
    """Whether the rows get a numba side: not when ``SCRATCH_NO_NUMBA=1`` forbids the kernels."""
    return not fast.forbidden()


def conv2d_case(N: int, C_in: int = 16, C_out: int = 32, H: int = 32, k: int = 3, padding: int = 1,
                target: float | None = None) -> Case:
    """Conv2d with bias, stride 1; the issue's target shape is N=64, 16 -> 32 channels, 32x32, 3x3, padding 1.

    The numpy side is im2col, conv2d's definition (pure NumPy and BLAS: ``scratch.fast`` off for conv2d, so col2im
    is NumPy's too); the numba side is conv2d's fast path for 3x3 kernels (``scratch.fast`` on), Winograd's
    F(4x4, 3x3) with numba tile transforms and the same BLAS. GFLOP/s count the direct
    convolution's multiply-adds for both, so Winograd's figure is an effective rate: it does 4x fewer.
    """
    torch = harness.set_torch_threads()
    rng = np.random.default_rng(0)
    x = _normal(rng, N, C_in, H, H)
    w = _normal(rng, C_out, C_in, k, k, scale=(C_in * k * k) ** -0.5)
    b = _normal(rng, C_out)
    H_out = H + 2 * padding - k + 1
    dy = _normal(rng, N, C_out, H_out, H_out)
    args_t = [_leaf(torch, a) for a in (x, w, b)]
    # forward, dx and dweight are each one product of the same size: 2 N C_out H_out W_out C_in k k flops
    flops = 3 * 2 * N * C_out * H_out * H_out * C_in * k * k
    step = numpy_step(F.conv2d, (x, w, b), dy, padding=padding)
    winograd = has_kernels() and k == 3
    return Case("conv2d", "conv2d", f"x {_fmt(x.shape)}, weight {_fmt(w.shape)}, bias, padding {padding}",
                _fast("conv2d", False, step),
                torch_step(torch.nn.functional.conv2d, args_t, torch.from_numpy(dy), padding=padding),
                numba_fn=_fast("conv2d", True, step) if winograd else None,
                flops=flops, target=target, peak_target=0.6 if target is not None else None,
                note="numpy: im2col; numba: Winograd F(4x4, 3x3) with numba tile transforms (conv2d's fast path for "
                     "3x3 stride-1 kernels), whose GFLOP/s and % of peak are effective rates: the direct "
                     "convolution's flop count over the time, though Winograd does 4x fewer multiplications"
                if winograd else "")


def conv2d_cases(quick: bool) -> list[Case]:
    # The shape, with its targets; quick mode keeps the channels and shrinks batch and image.
    return [conv2d_case(4, H=16) if quick else conv2d_case(64, target=1.0)]


def conv_transpose2d_cases(quick: bool) -> list[Case]:
    # The usual decoder upsampling step: kernel 2, stride 2 doubles the image side.
    N, C_in, C_out, H, k, s = (4, 32, 16, 8, 2, 2) if quick else (64, 32, 16, 16, 2, 2)
    torch = harness.set_torch_threads()
    rng = np.random.default_rng(0)
    x = _normal(rng, N, C_in, H, H)
    w = _normal(rng, C_in, C_out, k, k, scale=(C_out * k * k) ** -0.5)  # (C_in, C_out, kH, kW): torch's layout
    b = _normal(rng, C_out)
    H_out = (H - 1) * s + k
    dy = _normal(rng, N, C_out, H_out, H_out)
    args_t = [_leaf(torch, a) for a in (x, w, b)]
    flops = 3 * 2 * N * C_in * H * H * C_out * k * k
    step = numpy_step(F.conv_transpose2d, (x, w, b), dy, stride=s)
    # Its forward is conv's col2im: NumPy's strided adds on the numpy side, the numba loop (the fast path) on the other
    return [Case("conv_transpose2d", "conv_transpose2d",
                 f"x {_fmt(x.shape)}, weight {_fmt(w.shape)}, bias, stride {s}",
                 _fast("conv_transpose2d", False, step),
                 torch_step(torch.nn.functional.conv_transpose2d, args_t, torch.from_numpy(dy), stride=s),
                 numba_fn=_fast("conv_transpose2d", True, step) if has_kernels() else None,
                 flops=flops, note="numpy: col2im by NumPy's strided adds; numba: col2im in a numba loop "
                                   "(conv_transpose2d's fast path)")]


def _pool_inputs(quick: bool):
    N, C, H = (4, 16, 16) if quick else (64, 32, 32)
    rng = np.random.default_rng(0)
    return _normal(rng, N, C, H, H), _normal(rng, N, C, H // 2, H // 2)


def max_pool2d_cases(quick: bool) -> list[Case]:
    """numpy: the definition, NumPy over the tap views (``scratch.fast`` off); numba: its fast path, the kernels of
    ``_pooling_kernels``."""
    torch = harness.set_torch_threads()
    x, dy = _pool_inputs(quick)
    step = numpy_step(F.max_pool2d, (x, 2), dy)
    fused = has_kernels()
    return [Case("max_pool2d", "max_pool2d", f"x {_fmt(x.shape)}, kernel 2, stride 2",
                 _fast("max_pool2d", False, step),
                 torch_step(torch.nn.functional.max_pool2d, (_leaf(torch, x), 2), torch.from_numpy(dy)),
                 numba_fn=_fast("max_pool2d", True, step) if fused else None,
                 target=1.5, note="numba: the kernels of _pooling_kernels (max_pool2d's fast path)" if fused else "")]


def avg_pool2d_cases(quick: bool) -> list[Case]:
    torch = harness.set_torch_threads()
    x, dy = _pool_inputs(quick)
    return [Case("avg_pool2d", "avg_pool2d", f"x {_fmt(x.shape)}, kernel 2, stride 2",
                 numpy_step(F.avg_pool2d, (x, 2), dy),
                 torch_step(torch.nn.functional.avg_pool2d, (_leaf(torch, x), 2), torch.from_numpy(dy)))]


def batch_norm_cases(quick: bool) -> list[Case]:
    """Training mode (batch statistics; the running ones are updated in place on both sides, as in training).

    numpy: ``batch_norm``'s definition (``scratch.fast`` off); numba: its fast path, the fused kernels of
    ``_normalization_kernels``.
    """
    N, C, H = (4, 16, 8) if quick else (64, 32, 32)
    torch = harness.set_torch_threads()
    rng = np.random.default_rng(0)
    x, dy = _normal(rng, N, C, H, H), _normal(rng, N, C, H, H)
    w, b = _normal(rng, C), _normal(rng, C)
    rm_np, rv_np = np.zeros(C, np.float32), np.ones(C, np.float32)
    rm_t, rv_t = torch.zeros(C), torch.ones(C)
    x_t, w_t, b_t = (_leaf(torch, a) for a in (x, w, b))
    step = numpy_step(F.batch_norm, (x, rm_np, rv_np, w, b, True), dy)
    fused = has_kernels()
    return [Case("batch_norm", "batch_norm", f"x {_fmt(x.shape)}, affine, training",
                 _fast("batch_norm", False, step),
                 torch_step(torch.nn.functional.batch_norm, (x_t, rm_t, rv_t, w_t, b_t, True), torch.from_numpy(dy)),
                 numba_fn=_fast("batch_norm", True, step) if fused else None,
                 target=1.5, note="numba: the fused kernels of _normalization_kernels (batch_norm's fast path)"
                 if fused else "")]


def layer_norm_cases(quick: bool) -> list[Case]:
    N, T, E = (4, 16, 64) if quick else (64, 128, 512)
    torch = harness.set_torch_threads()
    rng = np.random.default_rng(0)
    x, dy = _normal(rng, N, T, E), _normal(rng, N, T, E)
    w, b = _normal(rng, E), _normal(rng, E)
    args_t = [_leaf(torch, x), (E,), _leaf(torch, w), _leaf(torch, b)]
    return [Case("layer_norm", "layer_norm", f"x {_fmt(x.shape)}, normalized_shape ({E},), affine",
                 numpy_step(F.layer_norm, (x, (E,), w, b), dy),
                 torch_step(torch.nn.functional.layer_norm, args_t, torch.from_numpy(dy)))]


def activation_cases(quick: bool) -> list[Case]:
    M, D = (64, 64) if quick else (4096, 512)
    torch = harness.set_torch_threads()
    tf = torch.nn.functional
    rng = np.random.default_rng(0)
    x, dy = _normal(rng, M, D), _normal(rng, M, D)
    x_t, dy_t = _leaf(torch, x), torch.from_numpy(dy)
    pairs = [("relu", F.relu, tf.relu, {}), ("gelu", F.gelu, tf.gelu, {}), ("sigmoid", F.sigmoid, torch.sigmoid, {}),
             ("tanh", F.tanh, torch.tanh, {}), ("silu", F.silu, tf.silu, {}),
             ("softmax", F.softmax, tf.softmax, {"dim": -1}),
             ("log_softmax", F.log_softmax, tf.log_softmax, {"dim": -1})]
    return [Case("activations", name, f"x {_fmt(x.shape)}" + (", dim -1" if kw else ""),
                 numpy_step(fn, (x,), dy, **kw), torch_step(fn_t, (x_t,), dy_t, **kw))
            for name, fn, fn_t, kw in pairs]


def cross_entropy_cases(quick: bool) -> list[Case]:
    N, C = (64, 10) if quick else (4096, 1000)
    torch = harness.set_torch_threads()
    rng = np.random.default_rng(0)
    logits = _normal(rng, N, C)
    target = rng.integers(0, C, size=N)
    dy = np.float32(rng.standard_normal())  # a random scalar upstream gradient, not 1
    return [Case("cross_entropy", "cross_entropy", f"logits {_fmt(logits.shape)}, class targets, mean",
                 numpy_step(F.cross_entropy, (logits, target), np.asarray(dy)),
                 torch_step(torch.nn.functional.cross_entropy, (_leaf(torch, logits), torch.from_numpy(target)),
                            torch.tensor(dy)))]


def embedding_cases(quick: bool) -> list[Case]:
    # A language model's token lookup: the backward scatters each position's dy into its row (repeats add up).
    V, D, N, T = (100, 16, 4, 8) if quick else (10_000, 256, 64, 128)
    torch = harness.set_torch_threads()
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, V, size=(N, T))
    w, dy = _normal(rng, V, D), _normal(rng, N, T, D)
    return [Case("embedding", "embedding", f"tokens ({N}, {T}) of {V:,}, embedding_dim {D}",
                 numpy_step(F.embedding, (tokens, w), dy),
                 torch_step(torch.nn.functional.embedding, (torch.from_numpy(tokens), _leaf(torch, w)),
                            torch.from_numpy(dy)))]


# family -> cases(quick); the order is the table's
FAMILIES = {
    "linear": linear_cases,
    "conv2d": conv2d_cases,
    "conv_transpose2d": conv_transpose2d_cases,
    "max_pool2d": max_pool2d_cases,
    "avg_pool2d": avg_pool2d_cases,
    "batch_norm": batch_norm_cases,
    "layer_norm": layer_norm_cases,
    "activations": activation_cases,
    "cross_entropy": cross_entropy_cases,
    "embedding": embedding_cases,
}


def cases(quick: bool) -> list[Case]:
    return [case for make in FAMILIES.values() for case in make(quick)]


def time_sides(case: Case, quick: bool, rounds: int | None = None) -> dict:
    """``{side: harness.Timing}`` for each side the case has.

    The sides take turns, round after round, and each keeps its best median: on a shared machine the load drifts,
    and timing one side after the other would hand the whole drift to one of them.
    """
    kw = {"repeat": 3, "min_seconds": 0.05} if quick else {"repeat": 7, "min_seconds": 0.3}
    if case.repeat is not None:
        kw = {"repeat": case.repeat, "min_seconds": 0.0, "warmup": 0}  # warmed up already
    sides = {"numpy": case.numpy_fn, "numba": case.numba_fn, "torch": case.torch_fn}
    best = {}
    for _ in range(rounds or case.rounds or (1 if quick else 3)):
        for side, fn in sides.items():
            if fn is not None:
                t = harness.measure(fn, **kw)
                if side not in best or t.median < best[side].median:
                    best[side] = t
    return best
