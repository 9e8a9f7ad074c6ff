"""The training command's regularisers: --augment (crops and flips drawn from the seeded order, the same arrays on
both sides) and --patience (early stopping on the held-out loss, the best epoch kept, surviving --resume)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from scratch.checkpoint import load_checkpoint
from scratch.data import augment, augment_draws
from scratch.train import NumpyTrainer
from torch_impl import tasks
from torch_impl.train import cli, loop
from torch_impl.train.trainer import TorchTrainer


def argv(out, *extra, epochs=2, side="numpy"):
    return ["--model", "mlp", "--data", "digits", "--hidden", "16", "--epochs", str(epochs), "--side", side,
            "--out", str(out), "--no-progress", *extra]


def images(n=6, c=2, h=5, w=7):
    return np.random.default_rng(1).standard_normal((n, c, h, w)).astype(np.float32)


# augment_draws and augment -------------------------------------------------------------------------------------------
def test_draws_have_their_shapes_and_ranges_and_repeat_for_the_same_seed_epoch_and_batch():
    shifts, flips = augment_draws(200, seed=3, epoch=1, batch=4, pad=4, flip=True)
    assert shifts.shape == (200, 2) and shifts.dtype == np.int64 and flips.shape == (200,) and flips.dtype == bool
    assert shifts.min() == -4 and shifts.max() == 4 and 0 < flips.sum() < 200
    again = augment_draws(200, seed=3, epoch=1, batch=4, pad=4, flip=True)
    assert np.array_equal(shifts, again[0]) and np.array_equal(flips, again[1])
    for other in (dict(seed=4, epoch=1, batch=4), dict(seed=3, epoch=2, batch=4), dict(seed=3, epoch=1, batch=5)):
        assert not np.array_equal(shifts, augment_draws(200, pad=4, flip=True, **other)[0]), other
    assert not augment_draws(50, 0, 0, 0, pad=0, flip=False)[0].any()
    assert not augment_draws(50, 0, 0, 0, pad=2, flip=False)[1].any()
    # Turning flips on leaves the crops' draws as they were, and the other way round.
    assert np.array_equal(augment_draws(50, 0, 0, 0, pad=2)[0], augment_draws(50, 0, 0, 0, pad=2, flip=True)[0])
    assert np.array_equal(augment_draws(50, 0, 0, 0, flip=True)[1], augment_draws(50, 0, 0, 0, pad=2, flip=True)[1])


def test_a_flip_mirrors_left_to_right_and_nothing_else():
    x = images()
    y = augment(x, seed=0, epoch=0, batch=0, flip=True)
    flips = augment_draws(len(x), 0, 0, 0, flip=True)[1]
    assert 0 < flips.sum() < len(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert np.array_equal(y[flips], x[flips][..., ::-1]) and np.array_equal(y[~flips], x[~flips])


def test_a_crop_shifts_each_image_and_fills_what_came_from_the_padding():
    x = images(n=20)
    y = augment(x, seed=2, epoch=1, batch=3, pad=2, fill=-9.0)
    shifts, _ = augment_draws(len(x), 2, 1, 3, pad=2)
    assert shifts.any() and y.shape == x.shape and y.dtype == x.dtype
    N, C, H, W = x.shape
    for n, (dy, dx) in enumerate(shifts):  # the definition, pixel by pixel
        for i in range(H):
            for j in range(W):
                inside = 0 <= i + dy < H and 0 <= j + dx < W
                want = x[n, :, i + dy, j + dx] if inside else np.full(C, -9.0, np.float32)
                assert np.array_equal(y[n, :, i, j], want), (n, i, j)


def test_crop_then_flip_and_the_input_is_left_alone():
    x = images(n=30)
    before = x.copy()
    y = augment(x, seed=0, epoch=0, batch=0, pad=1, flip=True)
    shifts, flips = augment_draws(len(x), 0, 0, 0, pad=1, flip=True)
    cropped = augment(x, seed=0, epoch=0, batch=0, pad=1)
    assert np.array_equal(x, before)
    assert np.array_equal(y[flips], cropped[flips][..., ::-1]) and np.array_equal(y[~flips], cropped[~flips])


def test_augment_refuses_what_it_cannot_crop():
    with pytest.raises(ValueError, match=r"images \(N, C, H, W\)"):
        augment(np.zeros((2, 8, 8)), 0, 0, 0, pad=2)
    with pytest.raises(ValueError, match="pad below the image's size 5x7"):
        augment(images(), 0, 0, 0, pad=5)


# --augment in the command ---------------------------------------------------------------------------------------------
def record_batches(monkeypatch):
    seen = {"numpy": [], "torch": []}
    for cls in (NumpyTrainer, TorchTrainer):
        step = cls.step

        def recording(self, batch, step=step):
            seen[self.side].append([np.array(a, copy=True) for a in batch])
            return step(self, batch)

        monkeypatch.setattr(cls, "step", recording)
    return seen


def test_both_sides_get_the_same_augmented_batches(tmp_path, monkeypatch):
    seen = record_batches(monkeypatch)
    assert cli.main(argv(tmp_path / "run", "--augment", "crop:2,flip", epochs=1, side="both")) == 0
    assert seen["numpy"] and len(seen["numpy"]) == len(seen["torch"])
    for a, b in zip(seen["numpy"], seen["torch"]):
        assert all(np.array_equal(u, v) for u, v in zip(a, b))
    ds = tasks.cast(tasks.load_dataset("digits", normalize=True), np.float32)
    plain = loop.train_batches(ds, "classify", 64, 0, 0)
    fill = float(ds.train[0].min())
    for i, (got, orig) in enumerate(zip(seen["numpy"], plain)):
        assert np.array_equal(got[0], augment(orig[0], 0, 0, i, pad=2, flip=True, fill=fill))
        assert np.array_equal(got[1], orig[1])  # labels untouched
    assert not np.array_equal(seen["numpy"][0][0], plain[0][0])


@pytest.mark.parametrize("given, canonical", [("crop", "crop:2"), ("flip,crop:4", "crop:4,flip"), ("flip", "flip")])
def test_augment_option_is_recorded_canonically_and_only_when_given(tmp_path, given, canonical):
    assert cli.main(argv(tmp_path / "a", "--augment", given, "--patience", "3", epochs=1)) == 0
    settings = json.loads((tmp_path / "a" / "run.json").read_text())["settings"]
    assert settings["augment"] == canonical and settings["patience"] == 3
    assert cli.main(argv(tmp_path / "b", epochs=1)) == 0
    settings = json.loads((tmp_path / "b" / "run.json").read_text())["settings"]
    assert "augment" not in settings and "patience" not in settings  # a run from before they existed still resumes


def test_bad_augment_options_are_refused_before_any_work(tmp_path, capsys):
    for bad in ("rotate", "crop:0", "crop:x", ""):
        with pytest.raises(SystemExit):
            cli.main(argv(tmp_path / "run", "--augment", bad))
    assert cli.main(["--model", "mlp", "--data", "moons", "--augment", "crop", "--out", str(tmp_path / "m")]) == 2
    assert "--augment crops and flips images, and dataset moons is vectors" in capsys.readouterr().err
    assert cli.main(argv(tmp_path / "d", "--augment", "crop:8")) == 2
    assert "the padding must be below the images' size 8x8" in capsys.readouterr().err
    assert not (tmp_path / "m").exists() and not (tmp_path / "d").exists()


def test_help_warns_that_flips_are_wrong_for_digits():
    text = " ".join(cli.build_parser().format_help().split())
    assert "Flips are wrong for digits (a mirrored 2 is not a 2): for MNIST use crop alone" in text
    assert "OUT/<side>/best.npz" in text


# --patience -----------------------------------------------------------------------------------------------------------
def scripted_losses(monkeypatch, losses):
    """The NumPy side's held-out losses, one an epoch, from ``losses``; a KeyboardInterrupt there is Ctrl-C."""
    it = iter(losses)

    def evaluate(self, batches):
        loss = next(it)
        if loss is KeyboardInterrupt:
            raise KeyboardInterrupt
        return loss, 0.5

    monkeypatch.setattr(NumpyTrainer, "evaluate", evaluate)


def test_patience_stops_when_the_loss_has_not_improved_and_keeps_the_best_epoch(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    scripted_losses(monkeypatch, [1.0, 0.5, 0.6, 0.5, 0.4, 0.3])  # 0.5 again is no improvement
    assert cli.main(argv(out, "--patience", "2", epochs=6)) == 0
    logged = capsys.readouterr().out
    assert ("[numpy] stopped early after epoch 4 of 6: the held-out loss has not improved for 2 epochs "
            f"(--patience 2); best 0.5000 at epoch 2; the best epoch's weights are in {out / 'numpy' / 'best.npz'}"
            in logged), logged
    history = json.loads((out / "metrics.json").read_text())["history"]["numpy"]
    assert [h["epoch"] for h in history] == [1, 2, 3, 4]
    best, last = load_checkpoint(str(out / "numpy" / "best.npz")), load_checkpoint(str(out / "numpy" / "last.npz"))
    assert best[2]["epoch"] + 1 == 2 and last[2]["epoch"] + 1 == 4
    assert best[2]["run_id"] == last[2]["run_id"]
    assert any(not np.array_equal(best[0][k], last[0][k]) for k in best[0])  # epoch 2's weights, not epoch 4's
    # A new run into the folder removes the old run's best checkpoint with the rest.
    monkeypatch.undo()
    assert cli.main(argv(out, epochs=1)) == 0
    assert not (out / "numpy" / "best.npz").exists()


def test_without_an_early_stop_the_best_epoch_is_named(tmp_path, monkeypatch, capsys):
    scripted_losses(monkeypatch, [1.0, 0.5, 0.6])
    assert cli.main(argv(tmp_path, "--patience", "2", epochs=3)) == 0
    assert "[numpy] best held-out loss 0.5000 at epoch 2; the best epoch's weights are in" in capsys.readouterr().out


def test_the_patience_count_survives_a_resume(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    scripted_losses(monkeypatch, [1.0, 0.5, 0.6, KeyboardInterrupt])  # Ctrl-C in epoch 4, one epoch waited
    assert cli.main(argv(out, "--patience", "2", epochs=6)) == 130
    assert load_checkpoint(str(out / "numpy" / "last.npz"))[2]["epoch"] + 1 == 3
    scripted_losses(monkeypatch, [0.7])  # the second epoch without improvement: a count restarted at 0 would go on
    assert cli.main(argv(out, "--patience", "2", "--resume", epochs=6)) == 0
    assert "stopped early after epoch 4 of 6" in capsys.readouterr().out
    # A stopped run resumed stops again at once: no epoch is trained (no held-out loss is asked for).
    scripted_losses(monkeypatch, [])
    assert cli.main(argv(out, "--patience", "2", "--resume", epochs=6)) == 0
    assert "stopped early after epoch 4 of 6" in capsys.readouterr().out
    assert load_checkpoint(str(out / "numpy" / "best.npz"))[2]["epoch"] + 1 == 2


def test_both_sides_stop_by_their_own_held_out_loss_and_agree(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(argv(out, "--patience", "1", "--lr", "0.05", "--dtype", "float64", "--augment", "crop",
                         epochs=8, side="both")) == 0
    logged = capsys.readouterr().out
    history = json.loads((out / "metrics.json").read_text())["history"]
    assert len(history["numpy"]) == len(history["torch"]) < 8, logged  # both stopped early, at the same epoch
    assert "disagree" not in logged
    for side in ("numpy", "torch"):
        assert f"[{side}] stopped early after epoch {len(history[side])} of 8" in logged
        assert (out / side / "best.npz").exists()
    a, b = load_checkpoint(str(out / "numpy" / "best.npz")), load_checkpoint(str(out / "torch" / "best.npz"))
    assert a[2]["epoch"] == b[2]["epoch"]
    for k in a[0]:
        np.testing.assert_allclose(a[0][k], b[0][k], rtol=1e-9, atol=1e-12)


def test_sides_that_disagree_are_reported(capsys):
    cli._compare_stops({"numpy": [{"epoch": 1, "test_loss": 1.0}, {"epoch": 2, "test_loss": 0.9}],
                        "torch": [{"epoch": 1, "test_loss": 1.0}, {"epoch": 2, "test_loss": 1.1}]})
    assert ("note: the sides disagree on early stopping: numpy trained 2 epochs (best epoch 2), torch 2 (best "
            "epoch 1)") in capsys.readouterr().out


def test_since_best_counts_from_the_first_lowest_loss():
    assert loop.since_best([]) == (0, 0)
    history = [{"epoch": k + 1, "test_loss": v} for k, v in enumerate([3.0, 2.0, 2.0, 2.5])]
    assert loop.since_best(history) == (2, 2)
