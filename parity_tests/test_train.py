"""The training command: same start and batches on both sides, resume, NaN stop, checkpoints, errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import scratch.functional as F
import scratch.models as np_models
import torch_impl.models as torch_models
from scratch.checkpoint import load_checkpoint, save_checkpoint
from scratch.models import LeNet5, SmallResNet
from scratch.optim import SGD
from scratch.train import NumpyTrainer, loss_and_grad
from torch_impl import tasks
from torch_impl.state import to_torch
from torch_impl.train import cli, loop, sampling, sides

ROOT = Path(__file__).resolve().parent.parent


def args_for(tmp_path, *extra):
    return cli.resolve(cli.build_parser().parse_args(["--model", "mlp", "--data", "digits", "--out", str(tmp_path),
                                                      "--no-progress", "--epochs", "2", "--dtype", "float64", *extra]))


def setup(args, side):
    ds = tasks.cast(tasks.load_dataset(args.data, seed=args.seed), np.dtype(args.dtype))
    trainer, _ = sides.build_side(side, tasks.model_spec(args.model), ds, args)
    return trainer, ds


def run(args, side, out, resume=False, trainer=None):
    if trainer is None:
        trainer, ds = setup(args, side)
    else:
        ds = tasks.cast(tasks.load_dataset(args.data, seed=args.seed), np.dtype(args.dtype))
    return loop.train_side(trainer, ds, "classify", epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                           out=str(out), resume=resume, meta={}, progress=False, log=lambda *a: None), trainer


class Crash(Exception):
    pass


class CrashingTrainer:
    """Wraps a trainer and raises after ``after`` steps, like a run killed mid-epoch."""

    def __init__(self, inner, after):
        self.inner, self.after, self.side = inner, after, inner.side

    def step(self, batch):
        self.after -= 1
        if self.after < 0:
            raise Crash()
        return self.inner.step(batch)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.mark.parametrize("side", ["numpy", "torch"])
def test_resume_gives_the_uninterrupted_result(tmp_path, side):
    args = args_for(tmp_path)
    run(args, side, tmp_path / "straight")
    straight, _, meta_a = load_checkpoint(str(tmp_path / "straight" / side / "last.npz"))

    trainer, _ = setup(args, side)
    steps_per_epoch = meta_a["history"][0]["steps"]
    with pytest.raises(Crash):  # killed halfway through the second epoch
        run(args, side, tmp_path / "resumed", trainer=CrashingTrainer(trainer, steps_per_epoch + 5))
    run(args, side, tmp_path / "resumed", resume=True)  # a fresh process: new model, new optimizer
    resumed, _, meta_b = load_checkpoint(str(tmp_path / "resumed" / side / "last.npz"))
    assert list(straight) == list(resumed)
    for k in straight:
        np.testing.assert_array_equal(resumed[k], straight[k], err_msg=k)
    assert [h["train_loss"] for h in meta_a["history"]] == [h["train_loss"] for h in meta_b["history"]]


def test_both_sides_start_equal_and_stay_close(tmp_path):
    args = args_for(tmp_path, "--epochs", "1")
    numpy_trainer, ds = setup(args, "numpy")
    torch_trainer, _ = setup(args, "torch")
    for k, v in torch_trainer.module.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), numpy_trainer.model.state_dict()[k])
    h_np, _ = run(args, "numpy", tmp_path, trainer=numpy_trainer)
    h_t, _ = run(args, "torch", tmp_path, trainer=torch_trainer)
    assert abs(h_np[0]["train_loss"] - h_t[0]["train_loss"]) < 1e-9  # float64: same batches, same updates


def test_nan_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    args = args_for(tmp_path)
    trainer, _ = setup(args, "numpy")

    class NanAfter(CrashingTrainer):
        def step(self, batch):
            self.after -= 1
            return float("nan") if self.after < 0 else self.inner.step(batch)

    steps = -(-len(tasks.load_dataset("digits").train[0]) // args.batch_size)
    with pytest.raises(loop.Diverged, match=rf"loss became nan at epoch 2, batch 4 \(step {steps + 4}\); the last "
                                            r"good checkpoint is .*last.npz \(epoch 1\)"):
        run(args, "numpy", tmp_path, trainer=NanAfter(trainer, steps + 3))
    _, _, meta = load_checkpoint(str(tmp_path / "numpy" / "last.npz"))
    assert meta["epoch"] == 0 and len(meta["history"]) == 1


def test_checkpoints_move_between_sides(tmp_path):
    args = args_for(tmp_path, "--epochs", "1")
    run(args, "torch", tmp_path)
    state, optim_state, _ = load_checkpoint(str(tmp_path / "torch" / "last.npz"))
    numpy_trainer, _ = setup(args, "numpy")
    numpy_trainer.load_state(state, optim_state, None, None)  # a torch checkpoint, loaded by the NumPy side
    for k, v in numpy_trainer.model.state_dict().items():
        np.testing.assert_array_equal(v, state[k])
    assert numpy_trainer.optimizer.state_dict()["state"][0]["exp_avg"].shape == state["net.1.weight"].shape


def test_checkpoint_of_another_architecture_names_the_keys(tmp_path):
    path = str(tmp_path / "mlp.npz")
    args = args_for(tmp_path)
    trainer, _ = setup(args, "numpy")
    save_checkpoint(path, trainer.model.state_dict())
    lenet_args = cli.resolve(cli.build_parser().parse_args(["--model", "lenet5", "--init-from", path]))
    ds = tasks.load_dataset("mnist_sample")
    with pytest.raises(KeyError, match=r"missing keys \['conv1.weight'.*unexpected keys \['net.1.weight'"):
        sides.build_side("numpy", tasks.model_spec("lenet5"), ds, lenet_args)


def test_unknown_names_list_the_valid_ones(capsys):
    assert cli.main(["--model", "lenet"]) == 2
    assert "unknown model 'lenet' (did you mean 'lenet5'?); valid models: mlp, lenet5" in capsys.readouterr().err
    assert cli.main(["--model", "mlp", "--data", "cifar10"]) == 2
    assert "valid datasets: digits, moons, mnist_sample" in capsys.readouterr().err
    assert cli.main(["--model", "lenet5", "--data", "digits"]) == 2
    assert "lenet5 needs 28x28 images" in capsys.readouterr().err


def test_command_writes_metrics_curves_and_checkpoints(tmp_path, capsys):
    out = tmp_path / "gcn"
    assert cli.main(["--model", "gcn", "--data", "karate_club", "--epochs", "5", "--out", str(out),
                     "--no-progress"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["history"]) == {"numpy", "torch"} and len(metrics["history"]["numpy"]) == 5
    assert (out / "metrics.csv").read_text().count("\n") == 11
    assert (out / "numpy" / "last.npz").exists() and (out / "torch" / "last.npz").exists()
    assert (out / "curves.png").exists() or "matplotlib" not in globals()
    assert "largest per-epoch train-loss gap" in capsys.readouterr().out
    assert not [f for f in os.listdir(out) if ".tmp" in f]  # every write was atomic: nothing left half-written


def test_bf16_autocast_and_channels_last_run_on_cpu(tmp_path):
    args = cli.resolve(cli.build_parser().parse_args(["--model", "lenet5", "--amp", "bf16", "--channels-last",
                                                      "--epochs", "1", "--out", str(tmp_path)]))
    ds = tasks.load_dataset("mnist_sample")
    trainer, model = sides.build_side("torch", tasks.model_spec("lenet5"), ds, args)
    loss = trainer.step((ds.train[0][:16], ds.train[1][:16]))
    assert np.isfinite(loss) and model.conv1.weight.grad is not None and model.conv1.weight.dtype == torch.float32


@pytest.mark.parametrize("make", [lambda: LeNet5(dtype=np.float64, rng=np.random.default_rng(0)),
                                  lambda: SmallResNet(widths=(4, 8), dtype=np.float64, rng=np.random.default_rng(0))],
                         ids=["lenet5", "resnet"])
def test_numpy_trainer_skips_the_gradient_of_the_images(make, monkeypatch):
    # As torch skips it for data that does not require a gradient: the trainer calls model(x, input_grad=False), the
    # first convolution skips dx, and the step's update is exactly the one with dx computed and thrown away.
    rng = np.random.default_rng(1)
    batch = (rng.standard_normal((4, 1, 28, 28)), rng.integers(0, 10, 4))
    skipping, computing = make(), make()
    trainer = NumpyTrainer(skipping, SGD(skipping.parameters(), lr=0.1), "classify")
    calls = []
    conv2d = F.conv2d
    monkeypatch.setattr(F, "conv2d", lambda *args, **kw: calls.append(kw.get("input_grad")) or conv2d(*args, **kw))
    trainer.step(batch)
    assert calls[0] is False and all(calls[1:]), calls
    assert all(m.input_grad for _, m in skipping.named_modules() if hasattr(m, "input_grad"))  # no layer was flipped

    # The plain step, by hand: every layer's dx, the first's discarded.
    calls.clear()
    optimizer = SGD(computing.parameters(), lr=0.1)
    computing.train()
    optimizer.zero_grad()
    logits, backward = computing(batch[0])
    _, dlogits, _, _ = loss_and_grad("classify", logits, batch)
    assert backward(dlogits) is not None and all(calls), calls
    optimizer.step()
    for (name, p), (_, q) in zip(skipping.named_parameters(), computing.named_parameters()):
        np.testing.assert_array_equal(p, q, err_msg=name)


@pytest.mark.parametrize("name", ["CharRNN", "CausalTransformerLM"])
def test_both_sides_sample_the_same_words_from_the_same_weights(name):
    # One sampler (scratch.models.sampling.sample) behind NumpyModel.sample and the command's torch_sample.
    numpy_model = getattr(np_models, name)(20, dtype=np.float64, rng=np.random.default_rng(0))
    torch_model = getattr(torch_models, name)(20).double()
    torch_model.load_state_dict(to_torch(numpy_model.state_dict()))
    prefix = np.zeros((6, 1), np.int64)
    words = numpy_model.sample(prefix, 15, np.random.default_rng(3), stop=1)
    np.testing.assert_array_equal(sampling.torch_sample(torch_model, prefix, 15, np.random.default_rng(3), stop=1),
                                  words)
    assert words.shape[1] > 2 and numpy_model.training and torch_model.training  # sampled, and back in training mode


def test_a_numpy_run_imports_matplotlib_only_to_draw_and_never_asks_about_cuda(tmp_path):
    script = f"""
import builtins, json, sys
import torch

def no_cuda(*args, **kwargs):
    raise AssertionError("a NumPy run asked torch about CUDA")

torch.cuda.is_available = torch.cuda.device_count = no_cuda
importers, real_import = [], builtins.__import__

def watching(name, globals=None, locals=None, fromlist=(), level=0):
    if name.partition(".")[0] == "matplotlib" and "matplotlib" not in sys.modules:
        importers.append((globals or {{}}).get("__name__"))
    return real_import(name, globals, locals, fromlist, level)

builtins.__import__ = watching
import torch_impl.distributed
from torch_impl.train import cli
at_import = "matplotlib" in sys.modules
before_drawing, plot_curves = [], cli.plot_curves
cli.plot_curves = lambda *args: before_drawing.append("matplotlib" in sys.modules) or plot_curves(*args)
code = cli.main(["--model", "mlp", "--data", "digits", "--side", "numpy", "--epochs", "1", "--dtype", "float64",
                 "--out", {str(tmp_path)!r}, "--no-progress"])
print(json.dumps({{"code": code, "at_import": at_import, "before_drawing": before_drawing[0], "importers": importers}}))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result == {"code": 0, "at_import": False, "before_drawing": False, "importers": ["torch_impl.train.plots"]}
    assert (tmp_path / "curves.png").exists()


def test_training_runs_the_fast_kernels_unless_told_not_to(tmp_path, monkeypatch):
    """Training turns scratch.fast on for its run only (--no-fast keeps the NumPy definitions); a library call
    afterwards runs the definitions again."""
    import scratch.fast
    import torch_impl.train.cli as cli

    seen = []
    real_train = cli._train

    def spy(*args, **kwargs):
        seen.append(scratch.fast.enabled("conv2d"))
        return real_train(*args, **kwargs)

    monkeypatch.setattr(cli, "_train", spy)
    argv = ["--model", "mlp", "--data", "digits", "--epochs", "1", "--side", "numpy", "--no-progress"]
    assert cli.main(argv + ["--out", str(tmp_path / "fast")]) == 0
    assert cli.main(argv + ["--out", str(tmp_path / "definitions"), "--no-fast"]) == 0
    assert seen == [not scratch.fast.forbidden(), False]
    assert not scratch.fast.enabled("conv2d")
