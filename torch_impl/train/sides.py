"""Building each side of a run: its model, optimizer, learning-rate schedule and trainer, from the command's options.

The NumPy model is always built first, from ``--seed``; the torch side copies its initial weights, so that both
sides start equal (``build_side``).
"""
from __future__ import annotations

import numpy as np
import torch

import scratch.optim as np_optim
import torch_impl.optim as torch_optim
from scratch.checkpoint import load_checkpoint
from scratch.train import NumpyTrainer
from torch_impl.state import to_torch
from torch_impl.train.trainer import TorchTrainer


def param_groups(named_params, weight_decay: float):
    """Weight decay on weight matrices and kernels only: biases and norm scales (1-d parameters) get none."""
    decay = [p for _, p in named_params if p.ndim > 1]
    no_decay = [p for _, p in named_params if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return groups


def make_optimizer(lib, name: str, groups, args):
    cls = {"sgd": lib.SGD, "adam": lib.Adam, "adamw": lib.AdamW, "rmsprop": lib.RMSprop, "lion": lib.Lion}[name]
    kwargs = {"lr": args.lr}
    if name in ("sgd", "rmsprop"):
        kwargs["momentum"] = args.momentum
    return cls(groups, **kwargs)


def make_scheduler(lib, name: str, optimizer, epochs: int):
    if name == "none":
        return None
    if name == "step":
        return lib.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    if name == "cosine":
        return lib.CosineAnnealingLR(optimizer, T_max=epochs)
    return lib.WarmupCosineLR(optimizer, warmup_epochs=max(1, epochs // 10), total_epochs=epochs)


def check_device(device: str) -> None:
    """ValueError unless ``device`` names a device this machine has. Only the torch side calls it: a NumPy run never
    asks torch about CUDA."""
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(f"--device {device}: expected cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"--device {device}: torch.cuda.is_available() is False on this machine; "
                             f"use --device cpu")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise ValueError(f"--device {device}: this machine has {count} CUDA device{'' if count == 1 else 's'} "
                             f"(cuda:0 to cuda:{count - 1})")
    elif dev.type != "cpu":
        raise ValueError(f"--device {device}: expected cpu, cuda or cuda:N")


def build_side(side, spec, ds, args):
    """(trainer, model) for one side. The NumPy model is built first; torch copies its initial weights."""
    dtype = np.dtype(args.dtype)
    rng = np.random.default_rng(args.seed)
    np_model = spec.build_numpy(ds, dtype, rng)
    if args.init_from:
        np_model.load_state_dict(load_checkpoint(args.init_from)[0])
    if side == "numpy":
        groups = param_groups(list(np_model.named_parameters()), args.weight_decay)
        opt = make_optimizer(np_optim, args.optimizer, groups, args)
        sched = make_scheduler(np_optim.lr_scheduler, args.schedule, opt, args.epochs)
        return NumpyTrainer(np_model, opt, spec.kind, sched, args.clip_grad_norm, rng), np_model
    check_device(args.device)
    torch.manual_seed(args.seed)
    t_dtype = {"float32": torch.float32, "float64": torch.float64}[args.dtype]
    model = spec.build_torch(ds).to(t_dtype)
    model.load_state_dict(to_torch(np_model.state_dict()))  # the same initial weights as the NumPy side
    model = model.to(args.device)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    groups = param_groups(list(model.named_parameters()), args.weight_decay)
    opt = make_optimizer(torch_optim, args.optimizer, groups, args)
    sched = make_scheduler(torch_optim.lr_scheduler, args.schedule, opt, args.epochs)
    trainer = TorchTrainer(model, opt, spec.kind, sched, args.clip_grad_norm, args.device, args.amp, args.compile,
                           args.channels_last, t_dtype)
    return trainer, model
