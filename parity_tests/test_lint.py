"""The tree is ruff clean under pyproject.toml's [tool.ruff], so the test command checks the lint too."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ruff_command() -> list[str]:
    """Ruff from this interpreter's environment (the test extra installs it), so the version is the one installed with
    the project, not whatever another ``ruff`` on PATH happens to be."""
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    beside = Path(sys.executable).with_name("ruff.exe" if sys.platform == "win32" else "ruff")
    if beside.is_file():
        return [str(beside)]
    pytest.skip("ruff is not installed in this environment: pip install -e '.[test]'")


def test_ruff_check_is_clean():
    # --no-cache: a test run leaves nothing behind in the tree. Run from the root so pyproject.toml is the config.
    proc = subprocess.run([*_ruff_command(), "check", "--no-cache", "--output-format", "concise", "."], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"ruff check found problems (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}", pytrace=False)
