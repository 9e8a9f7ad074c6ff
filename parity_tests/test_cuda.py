"""The GPU path: twin parity on CUDA, a short training run (bf16 autocast, torch.compile), throughput, DDP on NCCL.

Every test is marked ``cuda`` and skips with "no CUDA device" where torch sees no GPU (conftest.py). The parity
tests run the NumPy layer on the host and torch's layer on the GPU in float64 (cuDNN and cuBLAS kernels, not the CPU
ones), through the same ``check_function`` as the CPU suite: each torch function here moves its CPU inputs to the GPU
with ``.to(DEVICE)``, which autograd differentiates (the gradient comes back to the CPU leaf), and returns its
outputs moved back to the host. Results are filed in the report as ``<layer>[cuda]``.

Throughput for the report: ``python -m parity_tests.test_cuda`` prints samples/s of LeNet-5 training steps in
float32 and bf16 autocast, eager and compiled.
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np
import pytest
import torch

import scratch.functional as F
import scratch.nn as nn
import torch_impl.functional as TF
from parity_tests.harness import check_function
from torch_impl import tasks
from torch_impl import train as T

DEVICE = "cuda"  # the tests' device; the helpers take it as an argument, so they can be tried on the CPU too

pytestmark = pytest.mark.cuda


def to_host(y):
    """Tensors (possibly nested in tuples, possibly None) moved back to the CPU, differentiably."""
    if isinstance(y, (tuple, list)):
        return type(y)(to_host(t) for t in y)
    return y.cpu() if isinstance(y, torch.Tensor) else y


def on_device(fn, device):
    """``fn`` run on ``device``: tensor arguments moved there (``.to`` is differentiable), results moved back."""
    def run(*args):
        moved = [a.to(device) if isinstance(a, torch.Tensor) else a for a in args]
        return to_host(fn(*moved))
    return run


def _rng(seed):
    return np.random.default_rng(seed)


# conv2d ------------------------------------------------------------------------------------------------------------
CONV_CASES = [dict(stride=1, padding=0, dilation=1, groups=1),
              dict(stride=2, padding=1, dilation=1, groups=1),
              dict(stride=1, padding=2, dilation=2, groups=2),
              dict(stride=(2, 1), padding=(0, 1), dilation=1, groups=4)]


def check_conv2d(kwargs, device, seed):
    rng = _rng(seed)
    C_in, C_out, g = 4, 8, kwargs["groups"]
    x = rng.standard_normal((3, C_in, 9, 7))
    w = rng.standard_normal((C_out, C_in // g, 3, 3))
    b = rng.standard_normal(C_out)
    check_function(f"conv2d[{device}]", lambda x, w, b: F.conv2d(x, w, b, **kwargs),
                   on_device(lambda x, w, b: TF.conv2d(x, w, b, **kwargs), device), [x, w, b], seed=seed)


@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv2d_on_cuda_matches_numpy(case):
    check_conv2d(CONV_CASES[case], DEVICE, seed=case)


# batch_norm --------------------------------------------------------------------------------------------------------
def check_batch_norm(training, device, seed):
    rng = _rng(seed)
    C = 5
    x = rng.standard_normal((4, C, 3, 2)) * 2 + 1
    rm, rv = rng.standard_normal(C), rng.uniform(0.5, 2.0, C)
    w, b = rng.standard_normal(C), rng.standard_normal(C)
    momentum, eps = 0.1, 1e-5

    def twin(x, rm, rv, w, b):
        # torch updates the running statistics in place: update the GPU copies, then write them back to the
        # caller's CPU tensors, which check_function compares with the NumPy side's.
        rm_d, rv_d = rm.to(device), rv.to(device)
        y = TF.batch_norm(x.to(device), rm_d, rv_d, w.to(device), b.to(device), training, momentum, eps)
        if rm_d is not rm:  # on the CPU, .to() returns the same tensor, already updated
            with torch.no_grad():
                rm.copy_(rm_d.cpu())
                rv.copy_(rv_d.cpu())
        return y.cpu()

    check_function(f"batch_norm[{device}]",
                   lambda x, rm, rv, w, b: F.batch_norm(x, rm, rv, w, b, training, momentum, eps), twin,
                   [x, rm, rv, w, b], wrt=[0, 3, 4], mutable=(1, 2) if training else (), seed=seed)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_on_cuda_matches_numpy(training):
    check_batch_norm(training, DEVICE, seed=int(training))


# lstm --------------------------------------------------------------------------------------------------------------
def check_lstm(num_layers, bidirectional, device, seed):
    rng = _rng(seed)
    T_, N, I, H = 5, 3, 4, 6
    D = 2 if bidirectional else 1
    params = []
    for layer in range(num_layers):
        for _ in range(D):
            width = I if layer == 0 else D * H
            params += [rng.standard_normal((4 * H, width)) * 0.4, rng.standard_normal((4 * H, H)) * 0.4,
                       rng.standard_normal(4 * H) * 0.1, rng.standard_normal(4 * H) * 0.1]
    x = rng.standard_normal((T_, N, I))
    h0, c0 = rng.standard_normal((num_layers * D, N, H)), rng.standard_normal((num_layers * D, N, H))
    options = dict(num_layers=num_layers, bidirectional=bidirectional)

    def np_side(x, h0, c0, *params):
        y, backward = F.lstm(x, h0, c0, list(params), **options)

        def flat_backward(dy):
            dx, dh0, dc0, dparams = backward(dy)
            return (dx, dh0, dc0, *dparams)

        return y, flat_backward

    def torch_side(x, h0, c0, *params):
        return TF.lstm(x, h0, c0, list(params), **options)

    check_function(f"lstm[{device}]", np_side, on_device(torch_side, device), [x, h0, c0, *params], seed=seed)


@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, True)])
def test_lstm_on_cuda_matches_numpy(num_layers, bidirectional):
    check_lstm(num_layers, bidirectional, DEVICE, seed=num_layers)


# multi-head attention ----------------------------------------------------------------------------------------------
def check_mha(num_heads, causal, device, seed):
    rng = _rng(seed)
    E, L, S, N = 6, 4, 5, 2
    query, key, value = rng.standard_normal((L, N, E)), rng.standard_normal((S, N, E)), rng.standard_normal((S, N, E))
    in_w, in_b = rng.standard_normal((3 * E, E)) * 0.4, rng.standard_normal(3 * E) * 0.1
    out_w, out_b = rng.standard_normal((E, E)) * 0.4, rng.standard_normal(E) * 0.1
    attn_mask = np.triu(np.ones((L, S), dtype=bool), k=1) if causal else None  # True: not allowed (torch's MHA)

    def np_side(query, key, value, in_w, in_b, out_w, out_b):
        layer = nn.MultiheadAttention(E, num_heads, dtype=np.float64)
        layer.load_state_dict({"in_proj_weight": in_w, "in_proj_bias": in_b, "out_proj.weight": out_w,
                               "out_proj.bias": out_b})
        y, backward = layer(query, key, value, attn_mask=attn_mask)

        def flat_backward(dy):
            dq, dk, dv = backward(dy)
            return (dq, dk, dv, layer.in_proj_weight.grad, layer.in_proj_bias.grad, layer.out_proj.weight.grad,
                    layer.out_proj.bias.grad)

        return y, flat_backward

    def torch_side(query, key, value, in_w, in_b, out_w, out_b):
        mask = None if attn_mask is None else torch.from_numpy(attn_mask).to(query.device)
        return torch.nn.functional.multi_head_attention_forward(
            query, key, value, E, num_heads, in_w, in_b, None, None, False, 0.0, out_w, out_b, training=True,
            need_weights=True, attn_mask=mask)

    check_function(f"MultiheadAttention[{device}]", np_side, on_device(torch_side, device),
                   [query, key, value, in_w, in_b, out_w, out_b], seed=seed)


@pytest.mark.parametrize("num_heads, causal", [(1, False), (2, True), (3, False)])
def test_multihead_attention_on_cuda_matches_numpy(num_heads, causal):
    check_mha(num_heads, causal, DEVICE, seed=num_heads)


# training through the command --------------------------------------------------------------------------------------
def train_run(tmp_path, device, *extra):
    """Two epochs of LeNet-5 on the MNIST sample through ``torch_impl.train.main``; returns the torch history."""
    code = T.main(["--model", "lenet5", "--data", "mnist_sample", "--side", "torch", "--device", device,
                   "--epochs", "2", "--out", str(tmp_path), "--no-progress", *extra])
    assert code == 0
    return json.loads((tmp_path / "metrics.json").read_text())["history"]["torch"]


@pytest.mark.parametrize("extra", [[], ["--amp", "bf16"], ["--amp", "bf16", "--compile"], ["--channels-last"]],
                         ids=["fp32", "bf16", "bf16-compile", "channels-last"])
def test_training_on_cuda_finishes_and_the_loss_falls(tmp_path, extra):
    history = train_run(tmp_path, DEVICE, *extra)
    assert len(history) == 2
    losses = [h["train_loss"] for h in history]
    assert all(np.isfinite(losses)), losses
    assert losses[1] < losses[0] < np.log(10), losses  # below chance in the first epoch, lower in the second
    assert history[-1]["test_acc"] > 0.8, history[-1]


# throughput --------------------------------------------------------------------------------------------------------
def throughput(model_name="lenet5", data="mnist_sample", batch_size=256, steps=50, warmup=10, device=DEVICE,
               amp=None, compile=False, channels_last=False) -> float:
    """Training samples per second of ``TorchTrainer.step`` on one GPU; the data loading is excluded."""
    args = T.resolve(T.build_parser().parse_args(["--model", model_name, "--data", data, "--side", "torch",
                                                  "--device", device, "--batch-size", str(batch_size)]))
    args.amp, args.compile, args.channels_last = amp, compile, channels_last
    spec = tasks.model_spec(model_name)
    ds = tasks.cast(tasks.load_dataset(data, normalize=spec.kind == "classify"), np.float32)
    trainer, _ = T.build_side("torch", spec, ds, args)
    batch = next(iter(T.train_batches(ds, spec.kind, batch_size, seed=0, epoch=0)))
    for _ in range(warmup):  # compilation, cuDNN autotuning, allocator warm-up
        trainer.step(batch)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        trainer.step(batch)  # .item() inside step synchronises every step, as the training loop does
    sync()
    return steps * batch_size / (time.perf_counter() - t0)


THROUGHPUT_CONFIGS = {"fp32": {}, "bf16": {"amp": "bf16"}, "bf16+compile": {"amp": "bf16", "compile": True},
                      "fp32+channels_last": {"channels_last": True}}


def print_throughput(device=DEVICE, **kwargs):
    name = torch.cuda.get_device_name() if device.startswith("cuda") else "cpu"
    print(f"LeNet-5 training throughput on {name} (batch {kwargs.get('batch_size', 256)}):")
    results = {}
    for label, config in THROUGHPUT_CONFIGS.items():
        results[label] = throughput(device=device, **config, **kwargs)
        print(f"  {label:20s} {results[label]:12.0f} samples/s", flush=True)
    return results


def test_throughput_is_measured():
    results = print_throughput(steps=20, warmup=5)
    assert all(v > 0 for v in results.values())


# DDP on NCCL, when there are two GPUs ------------------------------------------------------------------------------
@pytest.mark.skipif(torch.cuda.is_available() and torch.cuda.device_count() < 2, reason="needs 2 CUDA devices")
def test_ddp_on_nccl_trains(tmp_path):
    from parity_tests.test_distributed import torchrun

    code, log = torchrun(tmp_path, "--model", "lenet5", "--data", "mnist_sample", "--device", "cuda", "--epochs", "1",
                         "--batch-size", "64", "--no-progress")
    assert code == 0, log
    assert "(nccl, cuda)" in log, log
    history = json.loads((tmp_path / "metrics.json").read_text())["history"]["torch"]
    assert history[0]["test_acc"] > 0.8, history


if __name__ == "__main__":
    if not torch.cuda.is_available():
        sys.exit("no CUDA device: the throughput table needs a GPU")
    print_throughput()
