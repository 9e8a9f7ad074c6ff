"""The course companion: exercises for the Deep Learning Specialization and CS231n, and their checker.

``python -m lessons list`` shows the lessons in course order with your progress; ``python -m lessons start NAME``
writes an exercise into the current folder; ``python -m lessons check FILE`` (or ``lessons.check(LESSON,
globals())`` in a notebook) checks it against ``lessons.reference``, the course functions built on this project's
layers. ``lessons.dls_layout`` and ``lessons.cs231n_layout`` convert the courses' weight layouts to torch's.
"""
from __future__ import annotations

import os

__all__ = ["check"]


def check(lesson, namespace=None, *, examples: int | None = None, folder: str | None = None, quiet: bool = False,
          progress: bool = True, learner_file: str | None = None, **functions):
    """Check a learner's functions for ``lesson`` (a name such as ``"dls/c4w1-conv"``) and print the report.

    Args:
        lesson: the lesson's name.
        namespace: where the functions are: ``globals()`` in a notebook, a module, or a dict.
        functions: or pass them by name: ``check("cs231n/a2-layers", affine_forward=my_affine_forward)``.
        examples: how many drawn inputs each function must get right (default: the lesson's choice).
        folder: where the progress file is kept (default: the current folder).
        quiet: return the report without printing it.
        progress: record the result in the progress file.

    Returns:
        The ``Report``: ``report.ok`` is True when every function passes.
    """
    from lessons import catalogue, checker
    from lessons import progress as progress_file

    lesson = catalogue.get(lesson) if isinstance(lesson, str) else lesson
    learner = checker.learner_functions(namespace) if namespace is not None else {}
    learner.update(functions)
    report = checker.check_lesson(lesson, learner, examples=examples, learner_file=learner_file)
    if progress:
        progress_file.record_check(folder or os.getcwd(), report, learner_file)
    if not quiet:
        print(report)
        if report.ok:
            nxt = catalogue.next_after(lesson.name)
            print(f"Lesson {lesson.name} passes." + (f" Next: python -m lessons start {nxt}" if nxt else
                                                    " That was the last lesson: well done."))
    return report
