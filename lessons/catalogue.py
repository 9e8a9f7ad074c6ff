"""Every lesson, in the order to take them: the Deep Learning Specialization, CS231n, then what both leave out.

A lesson named ``dls/c4w1-conv`` lives in ``lessons/exercises/dls_c4w1_conv.py`` as its ``LESSON``.
"""
from __future__ import annotations

import importlib

from lessons.core import Lesson

ORDER = (
    # Deep Learning Specialization
    "dls/c1w2-logistic",
    "dls/c1w3-shallow",
    "dls/c1w4-deep",
    "dls/c2w1-init",
    "dls/c2w1-regularization",
    "dls/c2w1-gradcheck",
    "dls/c2w2-optimization",
    "dls/c4w1-conv",
    "dls/c4w1-pool",
    "dls/c4w4-triplet",
    "dls/c4w4-style",
    "dls/c5w1-rnn",
    "dls/c5w1-lstm",
    "dls/c5w1-sampling",
    "dls/c5w4-transformer",
    # CS231n
    "cs231n/a1-svm",
    "cs231n/a1-softmax",
    "cs231n/a1-two-layer",
    "cs231n/a2-layers",
    "cs231n/a2-optim",
    "cs231n/a2-batchnorm",
    "cs231n/a2-dropout",
    "cs231n/a2-conv",
    "cs231n/a2-spatial-norm",
    "cs231n/a3-rnn",
    "cs231n/a3-lstm",
    # Beyond the courses: what they drop or leave to autodiff
    "beyond/attention",
    "beyond/graph",
    "beyond/conv-transpose",
)


def module_name(name: str) -> str:
    return "lessons.exercises." + name.replace("/", "_").replace("-", "_")


def get(name: str) -> Lesson:
    """The lesson called ``name`` (``dls/c4w1-conv``); a clear error listing the names otherwise."""
    if name not in ORDER:
        close = [n for n in ORDER if name.split("/")[-1] in n]
        hint = f" Did you mean {', '.join(close)}?" if close else " `python -m lessons list` shows them all."
        raise KeyError(f"no lesson called {name!r}.{hint}")
    return importlib.import_module(module_name(name)).LESSON


def available() -> list[Lesson]:
    """The lessons written so far, in course order."""
    out = []
    for name in ORDER:
        try:
            out.append(get(name))
        except ModuleNotFoundError as exc:
            if exc.name != module_name(name):
                raise
    return out


def next_after(name: str) -> str | None:
    names = [lesson.name for lesson in available()]
    i = names.index(name) if name in names else -1
    return names[i + 1] if 0 <= i < len(names) - 1 else None
