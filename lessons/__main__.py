"""``python -m lessons``: list the lessons, start one, check your work.

    python -m lessons list                       every lesson in course order, with your progress
    python -m lessons start dls/c4w1-conv        write the exercise into the current folder (--notebook: .ipynb)
    python -m lessons check dls_c4w1_conv.py     check your functions; shows the smallest failing input
"""
from __future__ import annotations

import argparse
import os
import sys
import time


def cmd_list(args) -> int:
    from lessons import catalogue, progress

    done = progress.load(args.folder)
    lessons = catalogue.available()
    width = max(len(lesson.name) for lesson in lessons)
    course = None
    for i, lesson in enumerate(lessons, 1):
        group = lesson.name.split("/")[0]
        if group != course:
            course = group
            print({"dls": "Deep Learning Specialization", "cs231n": "CS231n",
                   "beyond": "Beyond the courses"}.get(group, group))
        state = progress.status(done, lesson.name)
        print(f"  {i:>2}  {lesson.name:<{width}}  {state:<11}  {lesson.title}")
        print(f"      {'':<{width}}  {'':<11}  {lesson.covers}")
    passing = sum(progress.status(done, lesson.name) == "passing" for lesson in lessons)
    print(f"{passing} of {len(lessons)} passing. Start one with: python -m lessons start NAME")
    return 0


def cmd_start(args) -> int:
    from lessons import catalogue, progress, render

    try:
        lesson = catalogue.get(args.name)
    except KeyError as exc:
        print(f"lessons: {exc.args[0]}", file=sys.stderr)
        return 2
    try:
        path = render.write(lesson, args.folder, as_notebook=args.notebook, force=args.force)
    except FileExistsError as exc:
        print(f"lessons: {exc}", file=sys.stderr)
        return 1
    progress.record_start(args.folder, lesson.name, path)
    print(f"Wrote {path}: {lesson.title} ({', '.join(lesson.functions)}).")
    print(f"Fill in the functions, then: python -m lessons check {path}")
    return 0


def cmd_check(args) -> int:
    import lessons
    from lessons import render

    if not os.path.exists(args.file):
        print(f"lessons: no file {args.file}", file=sys.stderr)
        return 2
    try:
        namespace, filename = render.load_exercise(args.file)
    except Exception as exc:  # noqa: BLE001 -- the learner's file may fail to run in any way; say where
        import traceback

        tb = traceback.extract_tb(exc.__traceback__)
        where = next((f"line {f.lineno}" for f in reversed(tb) if f.filename == os.path.abspath(args.file)), "")
        line = getattr(exc, "lineno", None)
        where = where or (f"line {line}" if line else "")
        print(f"lessons: {args.file} does not run ({where}): {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    name = args.lesson or namespace.get("LESSON")
    if not name:
        print(f"lessons: {args.file} has no LESSON = \"...\" line; pass --lesson NAME", file=sys.stderr)
        return 2
    start = time.perf_counter()
    report = lessons.check(name, namespace, examples=args.examples, folder=os.path.dirname(
        os.path.abspath(args.file)), learner_file=filename, quiet=False)
    print(f"(checked in {time.perf_counter() - start:.1f} s)")
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lessons", description="The course companion: list the lessons, "
                                "start one, check your work.",
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.splitlines()[2:]))
    sub = p.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="every lesson, in course order, with your progress")
    ls.add_argument("--folder", default=".", help="where your progress file is (default: the current folder)")
    ls.set_defaults(run=cmd_list)
    st = sub.add_parser("start", help="write a lesson's exercise into a folder")
    st.add_argument("name", help="the lesson, as `list` names it (e.g. dls/c4w1-conv)")
    st.add_argument("--notebook", action="store_true", help="write a Jupyter notebook instead of a .py file")
    st.add_argument("--folder", default=".", help="where to write it (default: the current folder)")
    st.add_argument("--force", action="store_true", help="overwrite an existing exercise file (loses your work)")
    st.set_defaults(run=cmd_start)
    ck = sub.add_parser("check", help="check the functions in an exercise file (.py or .ipynb)")
    ck.add_argument("file")
    ck.add_argument("--lesson", help="the lesson to check against (default: the file's LESSON)")
    ck.add_argument("--examples", type=int, default=None,
                    help="drawn inputs each function must get right (default: the lesson's, about 30)")
    ck.set_defaults(run=cmd_check)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
