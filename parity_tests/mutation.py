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
import atexit
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
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


class _Zygote:
    """A warm ``mutant_zygote.py`` process (imports done once) that forks a pytest run per mutant. One per thread."""

    def __init__(self):
        script = Path(__file__).with_name("mutant_zygote.py")
        env = {k: v for k, v in os.environ.items() if k != "PARITY_RECORD_DIR"}
        self.proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, cwd=tempfile.gettempdir(), env=env)
        self._pending = b""  # bytes read from the zygote's stdout, not yet a whole line
        atexit.register(self.close)

    def run(self, root: Path, env: dict, args: list, log: Path, timeout: float) -> int:
        job = {"root": str(root), "env": env, "args": args, "log": str(log)}
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        pid = self._message()["pid"]
        try:
            return self._message(deadline=time.monotonic() + timeout)["code"]
        except subprocess.TimeoutExpired:
            os.kill(pid, signal.SIGKILL)  # the zygote reaps it and still reports its code: read that line away
            self._message()
            raise subprocess.TimeoutExpired(args, timeout) from None

    def _message(self, deadline: float | None = None) -> dict:
        """The zygote's next line, read from the raw pipe: select on a buffered stream would miss a line that
        arrived together with the previous one (a child that dies at once) and wait out the whole timeout."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._pending:
            if deadline is not None and not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise subprocess.TimeoutExpired("mutant", 0)
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError(f"the mutation zygote exited (status {self.proc.wait()})")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return json.loads(line)

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


_zygotes = threading.local()
# The zygote forks: POSIX only. MUTATION_NO_ZYGOTE=1 runs each mutant in a fresh interpreter instead (slower).
USE_ZYGOTE = hasattr(os, "fork") and not os.environ.get("MUTATION_NO_ZYGOTE")


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
        env = {"HYPOTHESIS_PROFILE": "mutation", "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1",
               "MUTANT_ROOT": str(root)}
        args = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--hypothesis-seed=0", *mutant.tests]
        if USE_ZYGOTE:
            if not hasattr(_zygotes, "zygote"):
                _zygotes.zygote = _Zygote()
            log = root / "pytest.log"
            code = _zygotes.zygote.run(root, env, args, log, timeout)
            output = log.read_text()
        else:
            full_env = dict(os.environ, **env)
            full_env.pop("PARITY_RECORD_DIR", None)
            proc = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=root, env=full_env,
                                  capture_output=True, text=True, timeout=timeout)
            code, output = proc.returncode, proc.stdout + proc.stderr
        tail = "\n".join(output.strip().splitlines()[-3:])
        return code == 1, tail, time.perf_counter() - start


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
