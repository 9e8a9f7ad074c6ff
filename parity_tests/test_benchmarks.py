"""The benchmark harness works: ``python -m benchmarks --quick`` runs, writes valid JSON and markdown, resumes.

Smoke tests only. Nothing here looks at a time or a ratio: benchmarks never fail on a slow machine.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import report, scaling

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--quick", "--only", "--threads", "--out", "--resume", "--no-plots", "--no-scaling"]


def run_benchmarks(*args):
    # A fresh interpreter, as a user runs it: --threads must reach the BLAS before numpy loads.
    return subprocess.run([sys.executable, "-m", "benchmarks", *args], check=False, cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    args = ["--quick", "--only", "linear,activations", "--only", "conv2d", "--threads", "1", "--no-plots",
            "--out", str(out)]
    proc = run_benchmarks(*args)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out, args, proc


def test_help_documents_every_flag():
    proc = run_benchmarks("--help")
    assert proc.returncode == 0
    for flag in FLAGS:
        assert flag in proc.stdout


def test_bad_family_is_rejected_with_the_choices():
    proc = run_benchmarks("--only", "convolution")
    assert proc.returncode == 2
    assert "--only expected one of" in proc.stderr and "conv2d" in proc.stderr


def test_quick_run_writes_valid_json(quick_run):
    out, _, proc = quick_run
    results = json.loads((out / "results_quick.json").read_text())
    assert not list(out.glob("*.tmp"))  # every save renamed its temporary file into place
    meta = results["meta"]
    assert meta["quick"] is True and meta["threads"] == 1 and meta["torch_threads"] == 1
    assert meta["matmul_peak_gflops"] > 0 and meta["finished"]
    layers = [r["layer"] for r in results["rows"]]
    assert layers[:2] == ["linear", "conv2d"]
    assert {"relu", "gelu", "softmax"} <= set(layers)
    for row in results["rows"]:
        assert "error" not in row, row
        assert row["agree"] is True, row  # both sides computed the same output
        assert row["numpy_s"] > 0 and row["torch_s"] > 0
        assert math.isclose(row["ratio"], row["numpy_s"] / row["torch_s"])
        assert not row["status"].startswith("ERROR")
    conv = results["rows"][1]
    assert conv["numpy_gflops"] > 0 and conv["numpy_peak_fraction"] > 0  # conv has a flop count; relu has none
    assert [c["name"] for c in results["curves"]] == ["conv2d_batch"]  # --only conv2d brings its curve
    # conv2d's numba side is its Winograd path (scratch.fast on; none under SCRATCH_NO_NUMBA=1): in the row and on
    # the curve
    from scratch import fast

    kernels = not fast.forbidden()
    sides = {"numpy", "numba", "torch"} if kernels else {"numpy", "torch"}
    assert {f["side"] for f in results["curves"][0]["fits"]} == sides
    assert (conv["numba_s"] is not None) == kernels
    assert "png" not in results["curves"][0]  # --no-plots
    assert not any("GPU" in u["name"] for u in results["unavailable"])  # gpu_throughput was not selected
    for row in results["rows"]:
        assert row["layer"] in proc.stdout  # a progress line per case and the table


def test_quick_run_writes_a_markdown_table(quick_run):
    out, _, _ = quick_run
    results = json.loads((out / "results_quick.json").read_text())
    text = (out / "results_quick.md").read_text()
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| layer |"))
    table = list(itertools.takewhile(lambda line: line.startswith("|"), lines[start:]))
    assert len(table) == 2 + len(results["rows"])  # heading, rule, one line per row
    assert len({line.count("|") for line in table}) == 1  # every line has the same number of cells
    assert "numpy/torch" in table[0] and "% peak" in table[0]
    assert "matrix-multiply peak" in text and "load average" in text
    assert "| conv2d_batch | numpy | time |" in text  # the scaling curve's fits


def test_markdown_is_rebuilt_from_the_json_alone(quick_run, capsys):
    out, _, _ = quick_run
    saved = (out / "results_quick.md").read_text()
    (out / "results_quick.md").unlink()
    assert report.main([str(out / "results_quick.json")]) == 0
    assert (out / "results_quick.md").read_text() == saved
    assert "numpy/torch" in capsys.readouterr().out


def test_resume_keeps_measured_rows(quick_run):
    out, args, _ = quick_run
    before = json.loads((out / "results_quick.json").read_text())
    proc = run_benchmarks(*args, "--resume")
    assert proc.returncode == 0, proc.stderr[-2000:]
    after = json.loads((out / "results_quick.json").read_text())
    assert proc.stdout.count("kept from the previous run") == len(before["rows"]) + len(before["curves"])
    assert after["rows"] == before["rows"] and after["curves"] == before["curves"]


def test_lenet5_epoch_is_measured_on_both_sides(tmp_path):
    proc = run_benchmarks("--quick", "--only", "lenet5,gpu_throughput", "--threads", "1", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((tmp_path / "results_quick.json").read_text())
    [row] = results["rows"]
    assert row["layer"] == "lenet5_epoch" and "error" not in row, row
    assert row["agree"] is True  # one epoch from the same weights: the same mean training loss on both sides
    assert row["numpy_s"] > 0 and row["torch_s"] > 0
    import torch

    if not torch.cuda.is_available():  # said, not silently skipped
        assert any(u["name"] == "GPU throughput" and "no CUDA device" in u["reason"] for u in results["unavailable"])


@pytest.mark.parametrize("amp", [None, "bf16"])
def test_throughput_measures_the_torch_trainer(amp):
    # The GPU throughput code path, run on the CPU with a few small steps: samples/s is positive and finite.
    from benchmarks import training

    row = training.throughput("lenet5", "mnist_sample", "cpu", amp=amp, batch_size=16, steps=2, warmup=1)
    assert row["samples_per_s"] > 0 and math.isfinite(row["samples_per_s"])
    assert row["amp"] == (amp or "float32") and row["compile"] is False and row["steps"] == 2
    assert "lenet5" in training.throughput_line(row)


def test_fit_reads_the_growth_off_a_log_log_slope():
    xs = [8, 16, 32, 64]
    assert scaling.fit(xs, [3.0 * x for x in xs])["growth"] == "linear"
    assert scaling.fit(xs, [0.5 * x * x for x in xs])["growth"] == "quadratic"
    affine = scaling.fit(xs, [100 + x for x in xs])  # a fixed cost flattens the start, not the end
    assert affine["slope_all_points"] < affine["slope"]
    assert math.isclose(scaling.fit(xs, [x ** 1.5 for x in xs])["slope"], 1.5)


def test_plot_writes_a_png_or_says_matplotlib_is_missing(tmp_path):
    xs = [1, 2, 4]
    record = {"name": "c", "title": "t", "xlabel": "x", "expected": "linear",
              "points": [{"x": x, "numpy_s": x * 1e-3, "torch_s": x * 2e-3} for x in xs],
              "fits": [{"side": s, "quantity": "time", "slope": 1.0, "slope_all_points": 1.0, "growth": "linear"}
                       for s in ("numpy", "torch")]}
    path = scaling.plot(record, str(tmp_path / "c.png"))
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # the `data` extra is not installed (CI): plot says so by returning None
        assert path is None
    else:
        assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_status_says_which_target_is_missed():
    row = {"target": 1.0, "peak_target": 0.6, "ratio": 1.3, "numpy_peak_fraction": 0.4}
    assert report.status(row) == "MISSED ratio 1.30x > 1.0x; MISSED 40% of peak < 60%"
    assert report.status({**row, "ratio": 0.9, "numpy_peak_fraction": 0.7}) == "ok"
    assert report.status({**row, "numba_ratio": 0.8, "numba_peak_fraction": 0.65}) == "ok"
    assert report.status({"target": None, "ratio": 3.0}) == "no target"
    assert report.status({"target": 1.5, "ratio": 1.0, "agree": False}).startswith("OUTPUTS DIFFER")


def test_gpu_check_script_runs_and_reports_without_cuda(tmp_path):
    # The prepared GPU run must work before a GPU is ever lent: here every CUDA test skips and the throughput says
    # it was not measured, with every log written to OUT and exit status 0.
    import torch

    proc = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "OUT": str(tmp_path), "BENCH_THREADS": "1"})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    for name in ("gpu_machine.txt", "cuda_tests.log", "gpu_throughput.log", "results.json", "results.md"):
        assert (tmp_path / name).is_file(), name
    results = json.loads((tmp_path / "results.json").read_text())
    if not torch.cuda.is_available():
        assert "skipped" in (tmp_path / "cuda_tests.log").read_text()
        assert any(u["name"] == "GPU throughput" for u in results["unavailable"]), results["unavailable"]
