"""The run folder: its lock, its settings record (run.json), its checkpoints' paths, and cleaning it for a new run.

``OUT/run.json`` records the run's settings and an id that every checkpoint carries. A run holds a lock on the folder
(``OUT/.lock``) while it works, so a second run into the same folder stops at once and names the process holding it.
A new run (without --resume) into a folder holding a previous run removes that run's checkpoints, metrics and plots
first (and says so), so the two never mix. ``--resume`` is refused (unless --force-resume) when the settings differ
from run.json's or a checkpoint belongs to another run. Every file the run writes is written atomically
(``atomic_file``): a temporary file beside it, of a unique name, replaces it only once whole.
"""
from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
import uuid

from scratch.checkpoint import TMP_PREFIX, load_checkpoint

SIDES = ("numpy", "torch")  # each side writes into OUT/<side>/
RUN_FILE = "run.json"  # {"run_id": ..., "settings": {...}}: what --resume checks against
LOCK_FILE = ".lock"  # flock'ed by the run working in the folder; holds its process id
# What a run writes; a new run removes the previous run's before it starts, so that the two never mix.
RUN_OUTPUTS = (RUN_FILE, "metrics.json", "metrics.csv", "curves.png", "reconstructions.png", "diagnostics.json",
               "diagnostics.png", *(os.path.join(side, name) for side in SIDES for name in ("last.npz", "best.npz")))
# Names older versions of this command gave their temporary files.
_LEGACY_TMP = ("metrics.json.tmp", "metrics.csv.tmp", "curves.png.tmp.png", "reconstructions.png.tmp.png")
# Options that say how a run is carried out or logged, never what it computes: --resume may change them freely.
EXECUTION_OPTIONS = frozenset({"out", "resume", "force_resume", "no_progress", "timeout"})


class RunFolderError(RuntimeError):
    """The run folder cannot be used: not writable, locked by another run, or not resumable as asked."""


def checkpoint_path(out: str, side: str) -> str:
    """Where ``side`` keeps its last checkpoint: rewritten (atomically) after every epoch."""
    return os.path.join(out, side, "last.npz")


def best_checkpoint_path(out: str, side: str) -> str:
    """Where ``side`` keeps the checkpoint of its lowest held-out loss, with --patience (written atomically)."""
    return os.path.join(out, side, "best.npz")


@contextlib.contextmanager
def atomic_file(path: str):
    """Yield a temporary path beside ``path`` (a unique name, starting with TMP_PREFIX) to write; when the block
    ends, the temporary file replaces ``path``, or is removed if the block raised."""
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=os.path.basename(path), dir=os.path.dirname(path) or ".")
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def atomic_write(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file (``atomic_file``)."""
    with atomic_file(path) as tmp, open(tmp, "w") as f:
        f.write(text)


def run_settings(args, **extra) -> dict:
    """What a resumed run must share with the run it continues: every option but EXECUTION_OPTIONS, plus ``extra``,
    as run.json holds them (through JSON, so that a comparison with a loaded run.json is exact)."""
    settings = {k: v for k, v in vars(args).items() if k not in EXECUTION_OPTIONS}
    settings.update(extra)
    return json.loads(json.dumps(dict(sorted(settings.items()))))


@contextlib.contextmanager
def locked_run_folder(out: str):
    """Create ``out`` and hold an exclusive lock on it (``flock`` on ``out/.lock``) until the block ends.

    A second run into the folder gets a RunFolderError naming the process that holds it. The lock file stays:
    removing it would let a third run lock a new file while the second still waits on the old one. The kernel
    releases the lock when the process ends, however it ends, so a killed run never leaves the folder locked.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no locking, the rest works
        fcntl = None
    try:
        os.makedirs(out, exist_ok=True)
        fd = os.open(os.path.join(out, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise RunFolderError(f"cannot write to the run folder {out}: {err.strerror or err}") from None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                raise RunFolderError(f"the run folder {out} is in use by another run (process {holder}); wait for "
                                     f"it to finish or stop it, or pass another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def remove_stale_temporaries(out: str) -> list:
    """Remove the temporary files a run killed mid-save left in ``out``; call it holding the folder's lock (no
    live run is then writing them). Returns the paths removed."""
    found = []
    for folder in (out, *(os.path.join(out, side) for side in SIDES)):
        found += glob.glob(os.path.join(glob.escape(folder), TMP_PREFIX + "*"))
    found += [os.path.join(out, name) for name in _LEGACY_TMP if os.path.exists(os.path.join(out, name))]
    for path in found:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
    return found


def _check_writable(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".probe", dir=folder)
        os.close(fd)
        os.remove(probe)
    except OSError as err:
        raise RunFolderError(f"cannot write to the run folder {folder}: {err.strerror or err}") from None


def _read_run_file(out: str) -> dict | None:
    path = os.path.join(out, RUN_FILE)
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            run = json.load(f)
        if not isinstance(run, dict) or not isinstance(run.get("settings"), dict) or "run_id" not in run:
            raise ValueError("expected an object with run_id and settings")
    except (OSError, ValueError) as err:
        raise RunFolderError(f"{path} cannot be read ({type(err).__name__}: {err}); without it the checkpoints "
                             f"cannot be checked: pass --force-resume to continue anyway, or start a new run") from None
    return run


def _setting_changes(old: dict, new: dict) -> list:
    changes = []
    for key in sorted(set(old) | set(new)):
        if old.get(key, "<unset>") != new.get(key, "<unset>"):
            changes.append(f"--{key.replace('_', '-')} {new.get(key, '<unset>')} "
                           f"(the run used {old.get(key, '<unset>')})")
    return changes


def prepare_run_folder(out: str, sides, settings: dict, *, resume: bool, force: bool = False, log=print) -> str:
    """Make ``out`` ready for a run of ``sides`` with ``settings``; returns the run id its checkpoints carry.

    Call it holding the folder's lock (``locked_run_folder``). It removes the temporary files of a killed save,
    checks that every folder the run writes into is writable, then:

    - a new run (not ``resume``): removes the previous run's files (RUN_OUTPUTS), if any, and writes a new run.json;
    - ``resume``: refuses, with a RunFolderError listing every reason, when there is nothing to resume, the settings
      differ from run.json's, or a checkpoint is not this run's (another run id, another side) or is damaged;
      ``force`` continues past all of these but a damaged checkpoint, and run.json then records the new settings.
    """
    for path in remove_stale_temporaries(out):
        log(f"removed {path}, left by a run killed while saving")
    for folder in (out, *(os.path.join(out, side) for side in sides)):
        _check_writable(folder)
    run_path = os.path.join(out, RUN_FILE)
    if not resume:
        previous = [name for name in RUN_OUTPUTS if os.path.exists(os.path.join(out, name))]
        for name in previous:
            os.remove(os.path.join(out, name))
        if previous:
            log(f"new run in {out}: removed the previous run's {', '.join(previous)} (--resume continues a run; "
                f"--out keeps both)")
        run_id = uuid.uuid4().hex
        atomic_write(run_path, json.dumps({"run_id": run_id, "settings": settings}, indent=1))
        return run_id

    checkpoints = {side: checkpoint_path(out, side) for side in sides}
    checkpoints = {side: path for side, path in checkpoints.items() if os.path.exists(path)}
    try:
        run = _read_run_file(out)
    except RunFolderError:
        if not force:
            raise
        run = None
    problems = []
    if run is None:
        if not checkpoints and not force:
            raise RunFolderError(f"--resume: nothing to resume in {out} (no {RUN_FILE}, no checkpoints); run "
                                 f"without --resume to start")
        problems.append(f"no readable {RUN_FILE} to check the checkpoints against")
        run = {"run_id": uuid.uuid4().hex, "settings": settings}
    else:
        changes = _setting_changes(run["settings"], settings)
        if changes:
            problems.append("settings differ from the run's: " + "; ".join(changes))
    for side, path in checkpoints.items():
        meta = load_checkpoint(path)[2]  # CheckpointError for a damaged file: no flag continues from it
        if meta.get("run_id") != run["run_id"]:
            problems.append(f"{path} is from another run (run id {meta.get('run_id', 'missing')}, this run's is "
                            f"{run['run_id']})")
        if meta.get("side", side) != side:
            problems.append(f"{path} is the {meta['side']} side's checkpoint, in the {side} side's folder")
    if problems and not force:
        raise RunFolderError(f"--resume refused in {out}: {'; '.join(problems)}. Pass --force-resume to continue "
                             f"anyway, or run without --resume to start over")
    if problems:
        log(f"--force-resume: continuing in {out} although {'; '.join(problems)}")
    atomic_write(run_path, json.dumps({"run_id": run["run_id"], "settings": settings}, indent=1))
    return run["run_id"]
