"""Train the same model on both sides: ``python -m torch_impl.train --model lenet5 --data mnist_sample``.

The NumPy side (``scratch.train.NumpyTrainer``) and the PyTorch side (``TorchTrainer``, CPU or CUDA) start from
the same weights (the NumPy initialisation is copied into torch) and see the same batches (the order is a function of
seed and epoch). Each epoch, each side writes an atomic checkpoint (``OUT/<side>/last.npz``, readable by both sides),
and the run writes ``metrics.json``, ``metrics.csv`` and ``curves.png`` (both sides' curves overlaid).

The run folder: ``OUT/run.json`` records the run's settings and an id that every checkpoint carries. A run holds a
lock on the folder (``OUT/.lock``) while it works, so a second run into the same folder stops at once and names the
process holding it. A new run (without --resume) into a folder holding a previous run removes that run's
checkpoints, metrics and plots first (and says so), so the two never mix; pass --out to keep both. ``--resume``
continues from the last checkpoints to the same result as an uninterrupted run, and refuses (unless
--force-resume) when the settings differ from run.json's or a checkpoint belongs to another run.

Regularisers: --augment crops (and flips) the training images, drawn identically for both sides; --patience K
stops a side when its held-out loss has not improved for K epochs and keeps its best epoch in OUT/<side>/best.npz.
Flips suit natural images, not digits: for MNIST use --augment crop.

A non-finite loss, in training or on the held-out data, stops the run, names the step, and leaves the last good
checkpoint in place. Ctrl-C stops it too, keeping the last whole checkpoint (exit code 130): rerun with --resume.
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys

import numpy as np

import scratch.fast
from scratch.checkpoint import CheckpointError, load_checkpoint
from scratch.train import IGNORE
from torch_impl import tasks
from torch_impl.train.diagnostics import DiagnosticsLog
from torch_impl.train.loop import Diverged, Interrupted, since_best, train_side
from torch_impl.train.metrics import print_summary, side_summary, unigram_loss, write_metrics
from torch_impl.train.plots import DIAGNOSTICS_PLOT, plot_curves, plot_diagnostics, plot_images
from torch_impl.train.runs import SIDES, RunFolderError, locked_run_folder, prepare_run_folder, run_settings
from torch_impl.train.sampling import reconstruct, show_samples
from torch_impl.train.sides import build_side, check_device

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "lion")
SCHEDULES = ("none", "step", "cosine", "warmup_cosine")

# Per-model defaults a user can override; chosen so that the default run reaches the targets.
DEFAULTS = {
    "mlp": dict(epochs=20, batch_size=64, optimizer="adam", lr=1e-3),
    "lenet5": dict(epochs=10, batch_size=32, optimizer="adam", lr=1e-3),
    "resnet": dict(epochs=5, batch_size=64, optimizer="adam", lr=2e-3),
    "char_rnn": dict(epochs=10, batch_size=64, optimizer="adam", lr=3e-3),
    "char_lstm": dict(epochs=10, batch_size=64, optimizer="adam", lr=3e-3),
    "char_gru": dict(epochs=10, batch_size=64, optimizer="adam", lr=3e-3),
    "transformer": dict(epochs=20, batch_size=64, optimizer="adam", lr=3e-3),
    "char_transformer": dict(epochs=10, batch_size=64, optimizer="adam", lr=3e-3),
    "gcn": dict(epochs=200, batch_size=1, optimizer="adam", lr=1e-2, weight_decay=5e-4),
    "autoencoder": dict(epochs=10, batch_size=64, optimizer="adam", lr=1e-3),
}


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _augmentations(text):
    """An argparse type for --augment: ``crop``, ``crop:PAD``, ``flip``, comma-separated; returned canonical
    (``crop:2,flip``), the form run.json records."""
    pad, flip = 0, False
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition(":")
        if name == "crop":
            try:
                pad = int(value) if value else 2
            except ValueError:
                pad = 0
            if pad < 1:
                raise argparse.ArgumentTypeError(f"crop:PAD expected a whole number of pixels, at least 1, got "
                                                 f"{value!r}")
        elif name == "flip" and not value:
            flip = True
        else:
            raise argparse.ArgumentTypeError(f"expected crop, crop:PAD or flip (comma-separated), got {item!r}")
    if not pad and not flip:
        raise argparse.ArgumentTypeError(f"expected crop, crop:PAD or flip (comma-separated), got {text!r}")
    return ",".join(([f"crop:{pad}"] if pad else []) + (["flip"] if flip else []))


def augment_options(args) -> dict | None:
    """--augment as ``scratch.data.augment``'s keyword arguments (``{"pad": P, "flip": bool}``), or None."""
    text = getattr(args, "augment", None)
    if not text:
        return None
    items = dict(item.partition(":")[::2] for item in text.split(","))
    return {"pad": int(items["crop"]) if "crop" in items else 0, "flip": "flip" in items}


def _positive(kind):
    """An argparse type: a number above 0 (``int`` or ``float``), refused at parsing with what was given."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'a whole number' if kind is int else 'a number'}, got {text!r}") from None
        if not value > 0:  # also refuses NaN
            raise argparse.ArgumentTypeError(
                f"expected {'at least 1' if kind is int else 'a number above 0'}, got {text}")
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's layout and appends every option's default, except where it is None (set per model, or
    off) or a flag's False: those help strings say what happens without the option."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if action.option_strings and "%(default)" not in text and not (
                default is None or default is False or default is argparse.SUPPRESS):
            text += " (default: %(default)s)"
        return text


def _defaults_table() -> str:
    lines = [("per-model defaults (for each of --epochs, --batch-size, --optimizer, --lr, --weight-decay not given) "
              "and data:")]
    for model, d in DEFAULTS.items():
        lines.append(f"  {model:17s} {plural(d['epochs'], 'epoch'):11s} batch {d['batch_size']:<3d} "
                     f"{d['optimizer']} lr {d['lr']:g}, weight decay {d.get('weight_decay', 0.0):g}; "
                     f"data: {', '.join(tasks.fitting_datasets(model))}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m torch_impl.train", description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 1)[1] + "\n" + _defaults_table(),
                                formatter_class=_HelpFormatter)
    positive_int, positive_float = _positive(int), _positive(float)
    p.add_argument("--model", default="lenet5", help=f"one of: {', '.join(tasks.MODELS)}")
    p.add_argument("--data", default="mnist_sample",
                   help=f"one of: {', '.join(tasks.DATASETS)} (the ones each model takes: see below)")
    p.add_argument("--data-path", default=None, help="folder of MNIST IDX files, for --data mnist_idx")
    p.add_argument("--side", default="both", choices=["numpy", "torch", "both"], help="which trainers run")
    p.add_argument("--device", default="cpu", help="torch side: cpu, cuda or cuda:N")
    p.add_argument("--epochs", type=positive_int, default=None, help="epochs to train (default: per model, below)")
    p.add_argument("--batch-size", type=positive_int, default=None, help="examples a step (default: per model)")
    p.add_argument("--optimizer", default=None, choices=OPTIMIZERS, help="(default: per model)")
    p.add_argument("--lr", type=positive_float, default=None, help="learning rate (default: per model)")
    p.add_argument("--momentum", type=float, default=0.9, help="for sgd and rmsprop")
    p.add_argument("--weight-decay", type=float, default=None,
                   help="on weights only, never on biases or norms (default: per model, 0 for most)")
    p.add_argument("--schedule", default="cosine", choices=SCHEDULES, help="per-epoch learning-rate schedule")
    p.add_argument("--clip-grad-norm", type=positive_float, default=None,
                   help="clip the gradients' global norm to this (default: no clipping)")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="both sides' dtype")
    p.add_argument("--amp", default=None, choices=["bf16"], help="torch side: bfloat16 autocast (default: off)")
    p.add_argument("--compile", action="store_true", help="torch side: torch.compile the model")
    p.add_argument("--channels-last", action="store_true", help="torch side: NHWC memory format for CNNs")
    p.add_argument("--seed", type=int, default=0, help="initial weights, batch order and dropout")
    p.add_argument("--out", default=None,
                   help="the run folder (default: runs/<model>-<data>). A new run into a folder holding a previous "
                        "run removes that run's checkpoints, metrics and plots first")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last checkpoints; refused if any setting differs from "
                        "the run's (recorded in OUT/run.json) or a checkpoint is from another run")
    p.add_argument("--force-resume", action="store_true",
                   help="with --resume: continue even with changed settings or checkpoints from another run")
    p.add_argument("--init-from", default=None, help="start both sides from this checkpoint's weights (either side's)")
    p.add_argument("--init", default="default", choices=tasks.INITS,
                   help="the Linear and Conv weights: default (each layer's own, U(+-1/sqrt(fan_in))), kaiming "
                        "(N(0, gain^2/fan_in), the activation's gain) or bad (N(0, 1) whatever the fan-in, which "
                        "saturates tanh and sigmoid units)")
    p.add_argument("--activation", default=None, choices=["relu", "tanh", "sigmoid"],
                   help="mlp only: the hidden layers' activation (default: relu)")
    p.add_argument("--hidden", type=positive_int, nargs="+", default=None, metavar="SIZE",
                   help="mlp only: the hidden layers' sizes (default: 128)")
    p.add_argument("--diagnostics", type=positive_int, nargs="?", const=50, default=None, metavar="EVERY",
                   help="every EVERY steps (50 if not given), record per layer the activations' and their "
                        "gradients' statistics, per parameter its gradient's and update's, into OUT/diagnostics.json, "
                        "and draw OUT/diagnostics.png (default: off)")
    p.add_argument("--augment", type=_augmentations, default=None, metavar="crop[:PAD],flip",
                   help="image data only: each training batch's images shifted by a random crop of the image padded "
                        "with PAD blank pixels (2 if not given; 4 is the other usual choice) and/or mirrored left to "
                        "right at random, the same draws on both sides (from --seed, the epoch and the batch). Flips "
                        "are wrong for digits (a mirrored 2 is not a 2): for MNIST use crop alone (default: off)")
    p.add_argument("--patience", type=positive_int, default=None, metavar="K",
                   help="early stopping: stop a side once its held-out loss has not improved for K epochs, keeping "
                        "the best epoch's checkpoint in OUT/<side>/best.npz (default: train every epoch)")
    p.add_argument("--no-fast", action="store_true",
                   help="NumPy side: run every layer's NumPy definition, without the numba and Winograd kernels that "
                        "training turns on (scratch.fast); the same math, slower, rounded differently")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def resolve(args) -> argparse.Namespace:
    for key, value in DEFAULTS[args.model].items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.weight_decay is None:
        args.weight_decay = 0.0
    if args.out is None:
        args.out = os.path.join("runs", f"{args.model}-{args.data}")
    return args


def model_options(args) -> dict:
    """The model's constructor options given on the command line (the MLP's --hidden and --activation)."""
    options = {}
    if getattr(args, "hidden", None):
        options["hidden"] = tuple(args.hidden)
    if getattr(args, "activation", None):
        options["activation"] = args.activation
    return options


def model_spec(args) -> tasks.ModelSpec:
    """``tasks.model_spec`` for the command's --model, --init and model options; ValueError for an option the
    model does not take."""
    try:
        return tasks.model_spec(args.model, init=getattr(args, "init", "default"), **model_options(args))
    except ValueError as err:
        given = model_options(args)
        if args.model in tasks.MODELS and given and args.model != "mlp":
            raise ValueError(f"{' and '.join('--' + k for k in given)}: only --model mlp takes "
                             f"{'it' if len(given) == 1 else 'them'}, not {args.model}") from err
        raise


def settings_of(args, **extra) -> dict:
    """run.json's settings: ``run_settings``, less --diagnostics (it watches a run, changes nothing it computes,
    so --resume may turn it on or off) and less the model options left at their defaults (a run recorded before
    they existed still resumes)."""
    settings = run_settings(args, **extra)
    settings.pop("diagnostics", None)
    for key, default in (("init", "default"), ("activation", None), ("hidden", None), ("no_fast", False),
                         ("augment", None), ("patience", None)):
        if settings.get(key, default) == default:
            settings.pop(key, None)
    return settings


def check_options(args, sides) -> None:
    """ValueError (or FileNotFoundError) for any option that cannot be honoured, before any data is loaded or any
    epoch computed: a run must not fail on its torch side after its NumPy side has trained."""
    tasks.check_names(args.model, args.data)
    model_spec(args)
    if getattr(args, "diagnostics", None) and getattr(args, "compile", False):
        raise ValueError("--diagnostics watches the layers through forward and backward hooks, which torch.compile "
                         "would trace into its graph: drop --compile for a diagnostics run")
    if getattr(args, "augment", None) and tasks.DATASETS[args.data].shape != "images":
        raise ValueError(f"--augment crops and flips images, and dataset {args.data} is "
                         f"{tasks.DATASETS[args.data].shape}")
    size = tasks.DATASETS[args.data].image_size
    pad = (augment_options(args) or {}).get("pad", 0)
    if size and pad >= min(size):
        raise ValueError(f"--augment crop:{pad}: the padding must be below the images' size {size[0]}x{size[1]}")
    if args.force_resume and not args.resume:
        raise ValueError("--force-resume goes with --resume: it continues a run whose settings or checkpoints "
                         "do not match")
    if "torch" in sides:
        check_device(args.device)
    if args.init_from:
        load_checkpoint(args.init_from)  # the whole file is read: a damaged one fails here, naming itself


def _describe_init(args) -> str:
    mlp = ""
    if args.model == "mlp":
        mlp = f"{args.activation or 'relu'}, hidden {', '.join(map(str, args.hidden or (128,)))}, "
    return f"{mlp}--init {args.init}"


def print_diagnostics(out: str, diagnostics, histories: dict) -> None:
    """The layers flagged saturated or dead at the first and last record, and the recorder's share of the time."""
    for side, rec in diagnostics.recorders.items():
        train = sum(h["seconds"] for h in histories.get(side, []))
        share = f" ({100 * rec.seconds / train:.1f}% of {train:.1f}s training)" if train > 0 else ""
        by_step = {}
        for step, name, module, what, value in rec.flags():
            by_step.setdefault(step, []).append(f"{name} ({module}) {100 * value:.0f}% {what}")
        flags = "; ".join(f"step {step}: {', '.join(found)}" for step, found in by_step.items())
        print(f"diagnostics [{side}]: {len(rec.records)} records, {rec.seconds:.2f}s recording{share}; "
              f"{'flagged: ' + flags if flags else 'no layer saturated or dead'}")
    print(f"diagnostics: {os.path.join(out, DIAGNOSTICS_PLOT)}; {diagnostics.path}")


def _describe_data(ds, kind) -> str:
    if kind == "graph":  # every node is in the graph; only the labelled ones train
        labelled = int(np.count_nonzero(ds.train[-1] != IGNORE))
        return f"{plural(len(ds.train[0]), 'node')}, {labelled} labelled for training"
    return plural(len(ds.train[0]), "train example")


def resume_hint(argv) -> str:
    argv = [a for a in argv if a != "--force-resume"]
    return "python -m torch_impl.train " + shlex.join(argv if "--resume" in argv else [*argv, "--resume"])


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    sides = SIDES if args.side == "both" else (args.side,)
    try:
        check_options(args, sides)
        spec = model_spec(args)
        args = resolve(args)
        ds = tasks.cast(tasks.load_dataset(args.data, seed=args.seed, path=args.data_path,
                                           normalize=spec.kind == "classify"), np.dtype(args.dtype))
        tasks.check_fits(args.model, ds)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted before training started; nothing was written", file=sys.stderr)
        return 130
    done = {}  # side -> epochs finished: what an interruption outside train_side reports
    try:
        with locked_run_folder(args.out):
            run_id = prepare_run_folder(args.out, sides, settings_of(args), resume=args.resume,
                                        force=args.force_resume)
            # The NumPy side trains with the fast kernels unless told not to; outside training (a library call, a
            # test in the same process) the layers run their definitions again.
            with scratch.fast.kernels(not args.no_fast):
                return _train(args, spec, ds, sides, run_id, done)
    except (RunFolderError, CheckpointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Diverged as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except Interrupted as err:
        when = (f"after epoch {err.epoch} of {args.epochs}" if err.epoch else
                f"in epoch 1 of {args.epochs}, before the first checkpoint")
        print(f"interrupted {when} ({err.side} side); the checkpoints on disk are whole: rerun with --resume to "
              f"continue: {resume_hint(argv)}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        where = "; ".join(f"{side} side after epoch {k}" for side, k in done.items()) or "before the first epoch"
        print(f"interrupted ({where}); the checkpoints on disk are whole: rerun with --resume to continue: "
              f"{resume_hint(argv)}", file=sys.stderr)
        return 130


def _compare_stops(histories: dict) -> None:
    """With --patience each side stops by its own held-out loss; they should stop together, and say so if not."""
    (a, ha), (b, hb) = histories.items()
    if len(ha) != len(hb) or since_best(ha)[0] != since_best(hb)[0]:
        print(f"note: the sides disagree on early stopping: {a} trained {len(ha)} epochs (best epoch "
              f"{since_best(ha)[0]}), {b} {len(hb)} (best epoch {since_best(hb)[0]}); their held-out losses differ "
              f"by rounding, enough to reorder two close epochs", flush=True)


def _train(args, spec, ds, sides, run_id, done) -> int:
    meta = {"args": dict(vars(args)), "run_id": run_id}
    batch = "the whole graph each step" if spec.kind == "graph" else f"batch {args.batch_size}"
    print(f"training {args.model} on {args.data} ({_describe_data(ds, spec.kind)}) with {', '.join(sides)}; "
          f"{plural(args.epochs, 'epoch')}, {batch}, {args.optimizer} lr {args.lr}, {args.schedule} schedule; "
          f"output in {args.out}", flush=True)
    histories, models, summary = {}, {}, {}
    diagnostics = DiagnosticsLog(args.out, args.diagnostics, args.resume) if args.diagnostics else None
    title = f"{args.model} on {args.data}"
    for side in sides:
        trainer, model = build_side(side, spec, ds, args)
        models[side] = model
        histories[side] = train_side(trainer, ds, spec.kind, epochs=args.epochs, batch_size=args.batch_size,
                                     seed=args.seed, out=args.out, resume=args.resume, meta=meta,
                                     progress=not args.no_progress,
                                     diagnostics=None if diagnostics is None else diagnostics.recorder(side),
                                     augment=augment_options(args), patience=args.patience)
        done[side] = len(histories[side])
        summary[side] = side_summary(histories[side])
        write_metrics(args.out, histories, summary)
        plot_curves(os.path.join(args.out, "curves.png"), histories, title)
        if diagnostics is not None:
            diagnostics.save()
            plot_diagnostics(os.path.join(args.out, DIAGNOSTICS_PLOT), diagnostics.as_dict(),
                             f"{title}, {_describe_init(args)}")
    if args.patience and len(histories) == 2:
        _compare_stops(histories)
    if spec.kind == "sequence":
        summary["unigram_baseline_loss"] = unigram_loss(ds)
    write_metrics(args.out, histories, summary)
    print_summary(args.out, summary, histories)
    if diagnostics is not None:
        print_diagnostics(args.out, diagnostics, histories)
    if spec.kind == "sequence":
        show_samples(models, ds, args.seed)
    if spec.kind == "reconstruct":
        path = os.path.join(args.out, "reconstructions.png")
        x = ds.test[0][:8]
        if plot_images(path, [("input", x)] + [(side, reconstruct(side, model, x)) for side, model in models.items()]):
            print(f"reconstructions: {path}")
    return 0
