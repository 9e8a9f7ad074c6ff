"""The verification report: run the parity suite and print one row per layer.

Usage::

    python -m parity_tests.report                      # the ci profile, both cores
    python -m parity_tests.report --profile thorough   # 400 examples per test
    python -m parity_tests.report -k conv --json out.json

Columns: examples compared with torch; the largest forward and gradient errors in float64 and float32, each
``max|numpy - torch| / max(1, max|torch|)`` over all examples; gradcheck examples and the largest absolute error of
the NumPy backward against float64 central differences (the check allows ``1e-6 + 1e-5 |numeric|``); pass or FAIL.
The exit status is non-zero if any test failed. The planted-bug check is separate: ``python -m parity_tests.mutation``.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def merge(paths) -> dict:
    rows: dict = {}
    for path in paths:
        for layer, r in json.loads(Path(path).read_text()).items():
            row = rows.setdefault(layer, {"examples": 0, "forward_error": {}, "gradient_error": {},
                                          "gradcheck_examples": 0, "gradcheck_error": 0.0, "failures": 0})
            for key in ("examples", "gradcheck_examples", "failures"):
                row[key] += r[key]
            row["gradcheck_error"] = max(row["gradcheck_error"], r["gradcheck_error"])
            for key in ("forward_error", "gradient_error"):
                for dtype, err in r[key].items():
                    row[key][dtype] = max(row[key].get(dtype, 0.0), err)
    return rows


def _e(value) -> str:
    return "-" if value is None else f"{value:.1e}"


def format_table(rows: dict) -> str:
    head = (f"{'layer':34s} {'examples':>8s} {'fwd f64':>8s} {'grad f64':>8s} {'fwd f32':>8s} {'grad f32':>8s} "
            f"{'gradchk':>7s} {'gc abs':>8s}  status")
    lines = [head, "-" * len(head)]
    for layer in sorted(rows, key=lambda k: (k[0].isupper(), k.lower())):
        r = rows[layer]
        fe, ge = r["forward_error"], r["gradient_error"]
        status = "pass" if r["failures"] == 0 else f"FAIL ({r['failures']})"
        lines.append(
            f"{layer:34s} {r['examples']:8d} {_e(fe.get('float64')):>8s} {_e(ge.get('float64')):>8s} "
            f"{_e(fe.get('float32')):>8s} {_e(ge.get('float32')):>8s} {r['gradcheck_examples']:7d} "
            f"{_e(r['gradcheck_error'] if r['gradcheck_examples'] else None):>8s}  {status}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m parity_tests.report", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="ci", choices=["dev", "ci", "thorough"],
                        help="hypothesis profile: examples per test (default: ci)")
    parser.add_argument("-k", dest="select", default=None, help="pytest -k expression selecting tests")
    parser.add_argument("--jobs", "-n", type=int, default=os.cpu_count() or 1,
                        help="test processes (pytest-xdist; default: one per core)")
    parser.add_argument("--json", dest="json_path", default=None, help="also write the rows as JSON to this path")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="parity-records-") as tmp:
        env = dict(os.environ, HYPOTHESIS_PROFILE=args.profile, PARITY_RECORD_DIR=tmp)
        cmd = [sys.executable, "-m", "pytest", str(ROOT / "parity_tests"), "-q", "-m", "not mutation",
               "-p", "no:cacheprovider"]
        if args.jobs > 1 and importlib.util.find_spec("xdist") is not None:
            cmd += ["-n", str(args.jobs)]
        if args.select:
            cmd += ["-k", args.select]
        print("running:", " ".join(cmd[2:]), flush=True)
        status = subprocess.call(cmd, cwd=ROOT, env=env)
        rows = merge(sorted(Path(tmp).glob("records-*.json")))

    print()
    print(f"Verification report ({args.profile} profile): NumPy layers against PyTorch and central differences")
    print(format_table(rows))
    failed = [k for k, r in rows.items() if r["failures"]]
    print(f"\n{len(rows)} layers, {len(rows) - len(failed)} pass, {len(failed)} fail; pytest exit status {status}")
    if args.json_path:
        tmp_path = args.json_path + ".tmp"
        with open(tmp_path, "w") as f:
            json.dump({"profile": args.profile, "pytest_status": status, "layers": rows}, f, indent=1, sort_keys=True)
        os.replace(tmp_path, args.json_path)
    return 1 if (status != 0 or failed) else 0


if __name__ == "__main__":
    sys.exit(main())
