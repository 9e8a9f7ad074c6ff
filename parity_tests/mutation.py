"""The mutation check: plant each bug of ``parity_tests/mutants`` in a copy of the project and prove the suite fails.

Usage::

    python -m parity_tests.mutation            # every mutant, two at a time
    python -m parity_tests.mutation --list     # names and the mistakes they plant
    python -m parity_tests.mutation -k maxpool # only the mutants whose name contains 'maxpool'

A mutant is caught when pytest exits with status 1 (tests ran and at least one failed). Any other status (a
collection error from a syntax slip, no tests selected) counts as not caught: a planted bug must be a real bug.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from parity_tests.mutants import Mutant, all_mutants

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("scratch", "torch_impl", "parity_tests", "pyproject.toml")


def apply(mutant: Mutant, root: Path) -> None:
    path = root / mutant.file
    text = path.read_text()
    count = text.count(mutant.old)
    if count != 1:
        raise ValueError(f"mutant {mutant.name}: expected its text exactly once in {mutant.file}, found {count}: "
                         f"{mutant.old!r}")
    path.write_text(text.replace(mutant.old, mutant.new))


def _not_copied(folder: str, names: list[str]) -> list[str]:
    """What the project's copy leaves out: hypothesis's database, and compiled Python, but not numba's on-disk
    cache (``*.nbi``, ``*.nbc`` in ``__pycache__``). Files are copied with their modification times, and numba
    keys its cache on a source file's time and size, so the copy reuses the kernels compiled for every file the
    mutant leaves alone and recompiles only the one it edits (which saves each mutant seconds of compiling).
    numba does not track calls between files, so this holds while each kernel module calls only its own kernels,
    as ``_winograd_kernels``, ``_recurrent_kernels``, ``_normalization_kernels``, ``_pooling_kernels`` and
    ``_im2col_kernels`` do."""
    if Path(folder).name == "__pycache__":
        return [n for n in names if not n.endswith((".nbi", ".nbc"))]
    return [n for n in names if n == ".hypothesis"]


def run_mutant(mutant: Mutant, timeout: float = 600.0) -> tuple[bool, str, float]:
    """(caught, pytest's tail, seconds)."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-") as tmp:
        root = Path(tmp)
        for name in COPIED:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, root / name, ignore=_not_copied)
            else:
                shutil.copy2(src, root / name)
        apply(mutant, root)
        env = dict(os.environ, HYPOTHESIS_PROFILE="mutation", PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1",
                   MUTANT_ROOT=str(root))
        env.pop("PARITY_RECORD_DIR", None)
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
               "--hypothesis-seed=0", *mutant.tests]
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
        return proc.returncode == 1, tail, time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m parity_tests.mutation", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", dest="select", default="", help="run only mutants whose name contains this text")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--jobs", type=int, default=max(1, min(2, os.cpu_count() or 1)),
                        help="mutants run at once (default: 2, or 1 on a single core)")
    args = parser.parse_args(argv)
    mutants = [m for m in all_mutants() if args.select in m.name]
    if args.list:
        for m in mutants:
            print(f"{m.name:40s} {m.file}\n    {m.why}")
        return 0
    if not mutants:
        print(f"no mutant matches {args.select!r}", file=sys.stderr)
        return 2
    print(f"planting {len(mutants)} bugs, {args.jobs} at a time", flush=True)
    missed = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for i, (m, (caught, tail, secs)) in enumerate(zip(mutants, pool.map(run_mutant, mutants)), 1):
            status = "caught" if caught else "MISSED"
            print(f"[{i:2d}/{len(mutants)}] {status:6s} {m.name:40s} {secs:5.1f}s", flush=True)
            if not caught:
                missed.append(m)
                print("    " + tail.replace("\n", "\n    "), flush=True)
    print(f"{len(mutants) - len(missed)} of {len(mutants)} planted bugs caught")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
