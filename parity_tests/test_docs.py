"""Every ``Examples:`` doctest in the NumPy side runs and prints what its docstring says."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import scratch

MODULES = sorted(m.name for m in pkgutil.walk_packages(scratch.__path__, "scratch."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"np": np}, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples in {name} failed"
