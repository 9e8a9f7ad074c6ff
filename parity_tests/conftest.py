"""Hypothesis profiles and the record dump for the verification report.

Profiles, chosen with ``HYPOTHESIS_PROFILE`` (default ``ci``: the README's test command and CI run the same thing):

- ``ci``: 25 examples a test, derandomized: the same draws on every run and every machine, so a test passes or
  fails for the code, never for the luck of a draw (the whole suite in a few minutes on 2 cores);
- ``dev``: 10 examples a test, for quick local loops;
- ``thorough``: 400 random examples a test, for a long run that looks for new failures (run it before a release
  and after changing a strategy or a tolerance);
- ``mutation``: 25 examples, no shrinking: the mutation check only needs to know that a planted bug fails.

``deadline=None`` everywhere: the first example of a test pays for imports and caches, and a test must never fail
because the machine was busy.
"""
from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, Phase, settings

_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
               print_blob=True)
settings.register_profile("dev", max_examples=10, **_common)
settings.register_profile("ci", max_examples=25, derandomize=True, **_common)
settings.register_profile("thorough", max_examples=400, **_common)
settings.register_profile("mutation", max_examples=25, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                          **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

if os.environ.get("MUTANT_ROOT"):
    # Under the mutation check the patched copy must be what is imported, never the original tree.
    import scratch

    assert os.path.realpath(scratch.__file__).startswith(os.path.realpath(os.environ["MUTANT_ROOT"])), scratch.__file__

np.seterr(all="raise", under="ignore")  # an overflow or invalid op in a layer is a bug, not a warning


def pytest_sessionfinish(session, exitstatus):
    out_dir = os.environ.get("PARITY_RECORD_DIR")
    if out_dir:
        from parity_tests import harness

        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        harness.dump_records(os.path.join(out_dir, f"records-{worker}-{os.getpid()}.json"))


def pytest_collection_modifyitems(config, items):
    """Tests marked ``cuda`` skip with the reason "no CUDA device" where torch sees no GPU (CI, laptops)."""
    import pytest
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA device")
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)
