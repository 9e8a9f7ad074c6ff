"""The training command's --diagnostics: the recorder's numbers against values computed by hand, a badly scaled
initialisation flagged and a kaiming one not, both sides' records equal in float64, and the files a run writes."""
from __future__ import annotations

import importlib.util
import json
import math

import numpy as np
import pytest

from scratch.models import MLP
from scratch.nn import Linear, Module, ReLU
from scratch.optim import SGD
from scratch.train import NumpyTrainer
from torch_impl import tasks
from torch_impl.train import cli, diagnostics, loop, sides
from torch_impl.train.diagnostics import BINS, GRAD_LOG10_RANGE, DiagnosticsLog


def recorder(tmp_path, side="numpy", every=1):
    return DiagnosticsLog(str(tmp_path), every).recorder(side)


def hist(values, lo, hi, log10_abs=False):
    nonzero = values[values != 0]
    x = np.log10(np.abs(nonzero)) if log10_abs else nonzero
    return np.histogram(np.clip(x, lo, hi), bins=BINS, range=(lo, hi))[0].tolist(), int(values.size - nonzero.size)


def softmax_grad(logits, y):
    """d(mean cross-entropy)/dlogits."""
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


def test_a_tanh_mlp_record_equals_the_values_computed_by_hand(tmp_path):
    rng = np.random.default_rng(0)
    model = MLP(3, (4,), 2, activation="tanh", dtype=np.float64, rng=rng)
    W1, b1 = np.array(model.net[1].weight), np.array(model.net[1].bias)
    W2, b2 = np.array(model.net[3].weight), np.array(model.net[3].bias)
    x = 3 * rng.standard_normal((6, 3))  # large enough that some units saturate
    y = np.array([0, 1, 1, 0, 1, 0])
    lr = 0.1
    rec = recorder(tmp_path)
    loss = rec.record(NumpyTrainer(model, SGD(model.parameters(), lr=lr), "classify"), (x, y), step=0, epoch=1)

    a = np.tanh(x @ W1.T + b1)
    logits = a @ W2.T + b2
    dlogits = softmax_grad(logits, y)
    da = dlogits @ W2
    dh = da * (1 - a**2)
    grads = {"net.1.weight": dh.T @ x, "net.1.bias": dh.sum(0), "net.3.weight": dlogits.T @ a,
             "net.3.bias": dlogits.sum(0)}
    data = {"net.1.weight": W1, "net.1.bias": b1, "net.3.weight": W2, "net.3.bias": b2}

    (record,) = rec.records
    assert record["step"] == 0 and record["epoch"] == 1 and math.isclose(record["loss"], loss)
    assert list(record["layers"]) == ["net.2"]
    layer = record["layers"]["net.2"]
    assert layer["module"] == "Tanh" and layer["shape"] == [6, 4] and layer["dead"] is None
    assert layer["mean"] == pytest.approx(a.mean(), rel=1e-12) and layer["std"] == pytest.approx(a.std(), rel=1e-12)
    saturated = np.mean(np.abs(a) > 0.97)
    assert 0 < saturated < 1 and layer["saturated"] == saturated
    assert (layer["hist"]["counts"], layer["hist"]["zeros"]) == hist(a, -1.0, 1.0)
    assert layer["hist"]["range"] == [-1.0, 1.0] and sum(layer["hist"]["counts"]) == a.size
    assert layer["grad_mean"] == pytest.approx(da.mean(), rel=1e-10)
    assert layer["grad_std"] == pytest.approx(da.std(), rel=1e-10)
    assert (layer["grad_hist"]["counts"], layer["grad_hist"]["zeros"]) == hist(da, *GRAD_LOG10_RANGE, log10_abs=True)
    for name, g in grads.items():
        stats = record["params"][name]
        w = data[name]
        assert stats["shape"] == list(w.shape)
        assert stats["grad_mean"] == pytest.approx(g.mean(), rel=1e-10, abs=1e-15)
        assert stats["grad_std"] == pytest.approx(g.std(), rel=1e-10)
        assert stats["data_std"] == pytest.approx(w.std(), rel=1e-12)
        assert stats["grad_to_data"] == pytest.approx(g.std() / w.std(), rel=1e-10)
        # Plain SGD: the update is -lr * grad.
        assert stats["update_to_data"] == pytest.approx(math.log10(lr * g.std() / w.std()), abs=1e-10)


class TwoLinear(Module):
    """Linear -> ReLU -> Linear, the first hidden unit held dead by a large negative bias."""

    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(1)
        self.fc1, self.act, self.fc2 = Linear(3, 4, dtype=np.float64, rng=rng), ReLU(), Linear(4, 2, dtype=np.float64,
                                                                                               rng=rng)
        self.fc1.bias[0] = -100.0

    def forward(self, x, *, input_grad: bool = True):
        h, fc1_back = self.fc1(x)
        a, act_back = self.act(h)
        logits, fc2_back = self.fc2(a)
        return logits, lambda d: fc1_back(act_back(fc2_back(d)))


def test_a_relu_unit_zero_for_the_whole_batch_is_dead_and_its_zeros_are_counted_apart(tmp_path):
    model = TwoLinear()
    x = np.random.default_rng(2).standard_normal((8, 3))
    a = np.maximum(x @ np.array(model.fc1.weight).T + np.array(model.fc1.bias), 0)  # before the step changes them
    rec = recorder(tmp_path)
    rec.record(NumpyTrainer(model, SGD(model.parameters(), lr=0.1), "classify"), (x, np.arange(8) % 2), step=0,
               epoch=1)
    layer = rec.records[0]["layers"]["act"]
    expected_dead = np.mean(np.all(a == 0, axis=0))
    assert layer["module"] == "ReLU" and layer["saturated"] is None
    assert layer["dead"] == expected_dead >= 0.25  # unit 0 at least
    assert layer["hist"]["zeros"] == np.count_nonzero(a == 0) and sum(layer["hist"]["counts"]) == np.count_nonzero(a)
    assert layer["hist"]["range"][0] == 0.0 and layer["hist"]["range"][1] >= a.max()


def test_parameter_stats_are_undefined_where_the_ratio_is():
    zeros = np.zeros(4)
    stats = diagnostics.parameter_stats(zeros, zeros + 0.1, np.ones(4))
    assert stats["grad_to_data"] is None and stats["update_to_data"] is None  # weights all equal: std 0
    w, update = np.arange(4.0), np.array([0.0, 0.0, 0.0, 0.01])
    assert diagnostics.parameter_stats(w, w, None)["update_to_data"] is None  # no step taken
    stats = diagnostics.parameter_stats(w, w + update, None)
    assert stats["update_to_data"] == pytest.approx(math.log10(update.std() / w.std()), abs=1e-12)
    assert stats["grad_std"] is None and stats["grad_to_data"] is None  # a parameter the loss did not reach


def first_record(tmp_path, side, init, hidden=(64, 64, 64), activation="tanh", dtype="float64", steps=1):
    args = cli.resolve(cli.build_parser().parse_args(
        ["--model", "mlp", "--data", "digits", "--out", str(tmp_path), "--dtype", dtype, "--init", init,
         "--activation", activation, "--hidden", *map(str, hidden), "--optimizer", "adam"]))
    ds = tasks.cast(tasks.load_dataset("digits", seed=0, normalize=True), np.dtype(dtype))
    trainer, _ = sides.build_side(side, cli.model_spec(args), ds, args)
    rec = recorder(tmp_path, side)
    for step, batch in enumerate(loop.train_batches(ds, "classify", 64, 0, 0)[:steps]):
        rec.record(trainer, batch, step=step, epoch=1)
    return rec


def test_a_badly_scaled_init_is_flagged_saturated_and_a_kaiming_init_is_not(tmp_path):
    bad = first_record(tmp_path, "numpy", "bad")
    kaiming = first_record(tmp_path, "numpy", "kaiming")
    bad_layers, kaiming_layers = bad.records[0]["layers"], kaiming.records[0]["layers"]
    assert list(bad_layers) == list(kaiming_layers) == ["net.2", "net.4", "net.6"]
    assert all(layer["saturated"] > 0.5 for layer in bad_layers.values())
    assert all(layer["saturated"] < diagnostics.FLAG_SATURATED for layer in kaiming_layers.values())
    assert {name for _, name, _, what, _ in bad.flags() if what == "saturated"} == set(bad_layers)
    assert kaiming.flags() == []


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_both_sides_record_the_same_numbers_in_float64(tmp_path, activation):
    numpy_rec = first_record(tmp_path, "numpy", "default", hidden=(32, 16), activation=activation, steps=3)
    torch_rec = first_record(tmp_path, "torch", "default", hidden=(32, 16), activation=activation, steps=3)
    assert len(numpy_rec.records) == len(torch_rec.records) == 3
    assert_same(numpy_rec.records, torch_rec.records, "records")


@pytest.mark.parametrize("model", ["lenet5", "resnet", "char_lstm", "transformer", "autoencoder"])
def test_zoo_models_record_the_same_layers_and_numbers_on_both_sides(tmp_path, model):
    """Convolutions (ReLU channels), a ReLU module called in several blocks, and models without activation modules
    (their leaf layers with parameters are watched: an LSTM's tuple output, a transformer's linears and norms)."""
    data = tasks.fitting_datasets(model)[0]
    args = cli.resolve(cli.build_parser().parse_args(
        ["--model", model, "--data", data, "--out", str(tmp_path), "--dtype", "float64", "--batch-size", "8"]))
    spec = cli.model_spec(args)
    ds = tasks.cast(tasks.load_dataset(data, seed=0, normalize=spec.kind == "classify"), np.float64)
    records = {}
    for side in ("numpy", "torch"):
        trainer, _ = sides.build_side(side, spec, ds, args)
        rec = recorder(tmp_path, side)
        for step, batch in enumerate(loop.train_batches(ds, spec.kind, 8, 0, 0)[:2]):
            rec.record(trainer, batch, step=step, epoch=1)
        records[side] = rec.records
    assert len(records["numpy"][0]["layers"]) >= 2
    assert all(layer["grad_hist"] is not None for layer in records["numpy"][0]["layers"].values())
    assert_same(records["numpy"], records["torch"], model)


def assert_same(a, b, where):
    """Same keys, same structure, equal counts and numbers to float64 rounding."""
    assert type(a) is type(b) or {type(a), type(b)} <= {int, float}, where
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-13), where
    else:
        assert a == b, where


def test_the_command_writes_both_sides_diagnostics_and_the_picture(tmp_path, capsys):
    common = ["--model", "mlp", "--data", "digits", "--out", str(tmp_path), "--no-progress", "--epochs", "1",
              "--dtype", "float64", "--activation", "tanh", "--hidden", "16", "16"]
    assert cli.main([*common, "--diagnostics", "5", "--init", "bad"]) == 0
    out = capsys.readouterr().out
    assert "diagnostics [numpy]" in out and "diagnostics [torch]" in out and "saturated" in out
    with open(tmp_path / "diagnostics.json") as f:
        saved = json.load(f)
    assert saved["every"] == 5 and list(saved["sides"]) == ["numpy", "torch"]
    numpy_records, torch_records = (saved["sides"][s]["records"] for s in ("numpy", "torch"))
    assert [r["step"] for r in numpy_records] == list(range(0, 23, 5))  # 1,437 digits, batch 64: 23 steps
    assert_same(numpy_records, torch_records, "saved")
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "diagnostics.png").stat().st_size > 10_000
    # A new run without --diagnostics removes the old run's diagnostics, so the two never mix.
    assert cli.main(common) == 0
    assert not (tmp_path / "diagnostics.json").exists() and not (tmp_path / "diagnostics.png").exists()


def test_resume_keeps_the_records_of_the_epochs_done(tmp_path):
    common = ["--model", "mlp", "--data", "digits", "--out", str(tmp_path), "--no-progress", "--dtype", "float64",
              "--side", "numpy", "--hidden", "8", "--diagnostics", "10"]
    assert cli.main([*common, "--epochs", "1"]) == 0
    # --resume with more epochs is a settings change; --diagnostics alone is not one.
    assert cli.main([*common, "--epochs", "2", "--resume", "--force-resume"]) == 0
    with open(tmp_path / "diagnostics.json") as f:
        steps = [r["step"] for r in json.load(f)["sides"]["numpy"]["records"]]
    assert steps == list(range(0, 46, 10))


def test_resume_refuses_a_changed_init_and_takes_diagnostics_turned_on(tmp_path, capsys):
    common = ["--model", "mlp", "--data", "digits", "--out", str(tmp_path), "--no-progress", "--dtype", "float64",
              "--side", "numpy", "--hidden", "8", "--epochs", "1"]
    assert cli.main([*common, "--init", "bad"]) == 0
    with open(tmp_path / "run.json") as f:
        settings = json.load(f)["settings"]
    assert settings["init"] == "bad" and "diagnostics" not in settings and "activation" not in settings
    capsys.readouterr()
    assert cli.main([*common, "--resume"]) == 2  # --init default is another initialisation
    assert "--init" in capsys.readouterr().err
    assert cli.main([*common, "--init", "bad", "--resume", "--diagnostics"]) == 0  # it watches, changes nothing


def test_options_that_cannot_be_honoured_are_refused_before_any_work(tmp_path, capsys):
    base = ["--data", "mnist_sample", "--out", str(tmp_path), "--epochs", "1"]
    assert cli.main(["--model", "lenet5", *base, "--activation", "tanh"]) == 2
    assert "only --model mlp takes it" in capsys.readouterr().err
    assert cli.main(["--model", "mlp", *base, "--diagnostics", "--compile"]) == 2
    assert "drop --compile" in capsys.readouterr().err
    assert not (tmp_path / "run.json").exists()


def test_the_mlp_activation_changes_no_state_dict_key_and_relu_stays_the_default():
    relu = MLP(64, (32,), 10, rng=np.random.default_rng(0))
    tanh = MLP(64, (32,), 10, activation="tanh", rng=np.random.default_rng(0))
    assert type(relu.net[2]).__name__ == "ReLU" and type(tanh.net[2]).__name__ == "Tanh"
    assert relu.state_dict().keys() == tanh.state_dict().keys()
    for key, value in relu.state_dict().items():
        np.testing.assert_array_equal(value, tanh.state_dict()[key])
    with pytest.raises(ValueError, match="activation"):
        MLP(64, (32,), 10, activation="swish")


def test_the_overhead_benchmark_times_plain_and_recorded_steps_on_both_sides():
    from benchmarks.diagnostics_overhead import measure

    result = measure(["--model", "mlp", "--data", "digits", "--hidden", "8"], pairs=3)
    for side in ("numpy", "torch"):
        s = result[side]
        assert s["plain_step_s"] > 0 and s["recorded_step_s"] > 0
        assert s["overhead"][50] == pytest.approx(s["overhead"][1] / 50)
