"""The learner's progress: a small JSON file in the learner's folder, ``.lessons-progress.json``.

One entry per lesson: its status (``not started``, ``attempted``, ``passing``), each function's last result, the
exercise file, and when it was last checked. Written atomically, so an interrupted check never leaves it half
written.
"""
from __future__ import annotations

import json
import os
import tempfile
import time

FILE = ".lessons-progress.json"
STATUSES = ("not started", "attempted", "passing")


def path(folder: str) -> str:
    return os.path.join(folder, FILE)


def load(folder: str) -> dict:
    """The progress recorded in ``folder`` ({} when there is none; an unreadable file is reported, not lost)."""
    p = path(folder)
    if not os.path.exists(p):
        return {}
    try:
        with open(p) as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"lessons: cannot read the progress file {p}: {exc}. Fix or delete it.") from exc
    return data if isinstance(data, dict) else {}


def status(progress: dict, lesson: str) -> str:
    return progress.get(lesson, {}).get("status", "not started")


def save(folder: str, progress: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".lessons-progress-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(progress, f, indent=1, sort_keys=True)
        os.replace(tmp, path(folder))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def record_start(folder: str, lesson: str, file: str) -> None:
    progress = load(folder)
    entry = progress.setdefault(lesson, {"status": "not started"})
    entry["file"] = os.path.basename(file)
    save(folder, progress)


def record_check(folder: str, report, file: str | None = None) -> dict:
    """Record a check's results; a lesson that passed once stays passing only while it still passes."""
    progress = load(folder)
    entry = progress.setdefault(report.lesson.name, {})
    entry["status"] = "passing" if report.ok else ("attempted" if report.attempted else "not started")
    entry["functions"] = {r.name: r.status for r in report.results}
    entry["checked"] = time.strftime("%Y-%m-%d %H:%M:%S")
    if file:
        entry["file"] = os.path.basename(file)
    save(folder, progress)
    return progress
