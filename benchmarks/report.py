"""Writing the results: the printed table, ``results.json`` and ``results.md``, each saved atomically.

The JSON file is the record (and what ``--resume`` reads back); the markdown and the printed table are views of it.
Rows are plain dicts; the keys are listed in benchmarks/README.md.
"""
from __future__ import annotations

import json
import os

COLUMNS = [  # (heading, row -> text)
    ("layer", lambda r: r["layer"]),
    ("shape", lambda r: r["shape"]),
    ("numpy ms", lambda r: _ms(r.get("numpy_s"))),
    ("numba ms", lambda r: _ms(r.get("numba_s"))),
    ("torch ms", lambda r: _ms(r.get("torch_s"))),
    ("numpy/torch", lambda r: _num(r.get("ratio"), "{:.2f}x")),
    ("numba/torch", lambda r: _num(r.get("numba_ratio"), "{:.2f}x")),
    ("target", lambda r: _num(r.get("target"), "<= {:.1f}x")),
    ("numpy GFLOP/s", lambda r: _num(r.get("numpy_gflops"), "{:.1f}")),
    ("numpy % peak", lambda r: _num(r.get("numpy_peak_fraction"), "{:.0%}")),
    ("numba % peak", lambda r: _num(r.get("numba_peak_fraction"), "{:.0%}")),
    ("torch % peak", lambda r: _num(r.get("torch_peak_fraction"), "{:.0%}")),
    ("status", lambda r: r["status"]),
]


def _ms(seconds):
    return "-" if seconds is None else f"{seconds * 1e3:.3g}" if seconds < 1e-2 else f"{seconds * 1e3:.1f}"


def _num(value, fmt):
    return "-" if value is None else fmt.format(value)


def row_key(row: dict) -> tuple:
    """What makes two rows the same measurement for ``--resume``: layer, shapes, threads, mode, dtype."""
    return (row["family"], row["layer"], row["shape"], row["threads"], row["quick"], row["dtype"])


def status(row: dict) -> str:
    """'ok', 'no target', or what was missed, e.g. 'MISSED ratio 1.31x > 1.0x; MISSED 41% of peak < 60%'.

    A layer with a numba variant meets its ratio target when either scratch side (NumPy or numba) does.
    """
    if row.get("error"):
        return "ERROR " + row["error"]
    missed = ["OUTPUTS DIFFER (the benchmark is miswired)"] if row.get("agree") is False else []
    ratios = [r for r in (row.get("ratio"), row.get("numba_ratio")) if r is not None]
    if row.get("target") is not None and min(ratios) > row["target"]:
        missed.append(f"MISSED ratio {min(ratios):.2f}x > {row['target']:.1f}x")
    frac, want = row.get("numpy_peak_fraction"), row.get("peak_target")
    if row.get("numba_peak_fraction") is not None:
        frac = max(frac, row["numba_peak_fraction"])
    if want is not None and frac is not None and frac < want:
        shown = f"{frac:.0%}" if f"{frac:.0%}" != f"{want:.0%}" else f"{frac:.1%}"  # never '60% < 60%'
        missed.append(f"MISSED {shown} of peak < {want:.0%}")
    if missed:
        return "; ".join(missed)
    return "ok" if row.get("target") is not None else "no target"


def save_atomic(path: str, text: str) -> None:
    """Write to ``path + '.tmp'`` then rename over ``path``: a reader never sees half a file, a crash loses nothing."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load(path: str) -> dict | None:
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def text_table(rows: list[dict]) -> str:
    cells = [[h for h, _ in COLUMNS]] + [[get(r) for _, get in COLUMNS] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(results: dict) -> str:
    meta = results["meta"]
    out = ["# Benchmarks: NumPy (scratch) against PyTorch, CPU, float32, forward + backward", ""]
    out.append(f"- mode: {'quick (small shapes: a smoke run, not a measurement)' if meta['quick'] else 'full'}; "
               f"threads: {meta['threads']} on both sides (BLAS: {meta.get('blas_threads', '?')}, torch: "
               f"{meta.get('torch_threads', '?')}); {meta['cpu_count']} CPUs")
    out.append(f"- matrix-multiply peak (float32, {meta['peak_n']}^3 matmul, this run; the faster of NumPy's "
               f"{meta['numpy_matmul_gflops']:.1f} and torch's {meta['torch_matmul_gflops']:.1f}): "
               f"{meta['matmul_peak_gflops']:.1f} GFLOP/s")
    out.append(f"- load average (1, 5, 15 min) at start {_load(meta.get('load_start'))}, "
               f"at end {_load(meta.get('load_end'))}")
    if meta.get("warning"):
        out.append(f"- **warning: {meta['warning']}**")
    out.append(f"- numpy {meta['numpy']}, torch {meta['torch']}, numba {meta.get('numba', '-')}, "
               f"python {meta['python']}, {meta['platform']}")
    out.append(f"- started {meta['started']}, finished {meta.get('finished') or '(running)'}")
    if meta.get("resumed_from"):
        earlier = meta["resumed_from"]
        out.append(f"- resumed (--resume): rows and curves kept from the run started {earlier['started']} "
                   f"(load average {_load(earlier.get('load_start'))} at its start; matmul peak then "
                   f"{earlier['matmul_peak_gflops']:.1f} GFLOP/s); each row has its own peak and load average in the "
                   f"JSON")
    out.append("- times are the median of several repeats (best of the interleaved rounds); ratio = numpy / torch; "
               "GFLOP/s and % of peak only for layers dominated by matrix products")
    out += ["", "| " + " | ".join(h for h, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in results["rows"]:
        out.append("| " + " | ".join(get(r).replace("|", "/") for _, get in COLUMNS) + " |")
    noted = [r for r in results["rows"] if r.get("note")]
    if noted:
        out += ["", "## Notes", ""] + [f"- {r['layer']}: {r['note']}" for r in noted]
    compile_rows = [r for r in results["rows"] if r.get("numba_first_call_s") is not None]
    out += ["", "## numba first call (compiles, or loads numba's on-disk cache), apart from the timings", ""]
    if compile_rows:
        out += [f"- {r['layer']} {r['shape']}: {r['numba_first_call_s']:.2f} s" for r in compile_rows]
    else:
        out.append("No row has a numba variant.")
    out += ["", "## Not measured in this run", ""]
    out += [f"- **{u['name']}**: {u['reason']}" for u in results.get("unavailable", [])] or ["(nothing)"]
    if results.get("throughput"):
        out += ["", "## GPU training throughput (PyTorch trainer, samples per second)", "",
                "| model | data | device | precision | torch.compile | batch | samples/s | warm-up s |",
                "|" + "---|" * 8]
        for r in results["throughput"]:
            speed = f"ERROR {r['error']}" if r.get("error") else f"{r['samples_per_s']:,.0f}"
            warm = "" if r.get("error") else f"{r['warmup_s']:.1f}"
            out.append(f"| {r['model']} | {r['data']} | {r.get('gpu') or r['device']} | {r['amp']} | "
                       f"{'yes' if r['compile'] else 'no'} | {r.get('batch_size', '')} | {speed} | {warm} |")
    out += ["", "## Scaling curves", ""]
    curves = results.get("curves", [])
    if curves:
        out.append("Log-log slopes: 1 is linear, 2 quadratic; the growth is read off the last three points "
                   "(fixed costs flatten the small end), the slope over all points is given next to it.")
        out += ["", "| curve | side | quantity | slope | slope, all points | growth | expected |", "|" + "---|" * 7]
    for c in curves:
        if c.get("error"):
            out.append(f"| {c['name']} | | | | | ERROR {c['error']} | |")
            continue
        for i, f in enumerate(c["fits"]):
            slope = "-" if f["slope"] is None else f"{f['slope']:.2f}"
            slope_all = "-" if f["slope_all_points"] is None else f"{f['slope_all_points']:.2f}"
            expected = c.get("expected", "") if i == 0 else ""  # once per curve
            out.append(f"| {c['name'] if i == 0 else ''} | {f['side']} | {f['quantity']} | {slope} | {slope_all} | "
                       f"{f['growth']} | {expected} |")
    for c in curves:
        if c.get("png"):
            out += ["", f"{c['title']}:", "", f"![{c['name']}]({os.path.basename(c['png'])})"]
    if not curves:
        out.append("(not run)")
    return "\n".join(out) + "\n"


def _load(load):
    return "-" if not load else ", ".join(f"{v:.2f}" for v in load)


def save(results: dict, out_dir: str, stem: str) -> None:
    save_atomic(os.path.join(out_dir, stem + ".json"), json.dumps(results, indent=1, allow_nan=False) + "\n")
    save_atomic(os.path.join(out_dir, stem + ".md"), markdown(results))


def main(argv=None) -> int:
    """``python -m benchmarks.report results.json``: rewrite the markdown (and print the table) from the JSON."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=main.__doc__)
    parser.add_argument("json", help="a results.json written by python -m benchmarks")
    args = parser.parse_args(argv)
    results = load(args.json)
    if results is None:
        parser.error(f"no such file: {args.json}")
    save_atomic(os.path.splitext(args.json)[0] + ".md", markdown(results))
    print(text_table(results["rows"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
