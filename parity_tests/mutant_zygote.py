"""A warm process for the mutation check: it imports the heavy libraries once and forks one child per mutant.

Every mutant runs pytest on its own patched copy of the project. Started fresh, each such run spends most of its time
importing torch, numba, scipy and hypothesis before its first test (about 1.5 s of CPU, more than the tests of a
caught mutant take). This process imports them once; for each job it forks, and the child, which has imported
none of the project's own packages, puts the copy first on ``sys.path`` and runs ``pytest.main`` there. So the
child imports ``scratch``, ``torch_impl`` and ``parity_tests`` from the copy, as a fresh ``python -m pytest`` in
the copy would, and nothing else is shared but already-imported third-party code.

It is run as a script (``python parity_tests/mutant_zygote.py``), so that not even ``parity_tests`` is imported in
the parent. The protocol, one JSON object a line: a job ``{"root", "env", "args", "log"}`` on stdin; on stdout
``{"pid": ...}`` when the child starts, then ``{"pid": ..., "code": ...}`` when it ends (the client may kill the
child in between, on a timeout).
"""
from __future__ import annotations

import json
import os
import sys

if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]  # a script's own folder comes first on sys.path; nothing is to be imported from it bare

# Imported here, once, before any fork: the project's packages are NOT (the children import them from each copy).
import hypothesis  # noqa: F401
import numba  # noqa: F401
import numpy  # noqa: F401
import pytest
import scipy.special  # noqa: F401
import torch  # noqa: F401


def _child(job: dict) -> int:
    os.chdir(job["root"])
    os.environ.update(job["env"])
    sys.path.insert(0, job["root"])
    sys.dont_write_bytecode = True
    log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdin.close()
    return int(pytest.main(job["args"]))


def main() -> None:
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 3
            try:
                code = _child(job)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"pid": pid, "code": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    main()
