"""Write a lesson as an exercise file: percent-cell Python (``# %%``) or, with ``notebook=True``, a Jupyter notebook.

Both hold the same cells: a header saying how to check, a setup cell (``LESSON = "..."``), the lesson's text and
stubs, and a last cell that runs the checker on the functions defined above it. The ``.py`` opens as a notebook in
VS Code, PyCharm and Jupytext, and runs as a plain script (``python dls_c4w1_conv.py`` checks it too).
"""
from __future__ import annotations

import os

from lessons.core import Code, Lesson, Markdown


def _cells(lesson: Lesson, filename: str) -> list:
    header = Markdown(
        f"# {lesson.title}\n\n"
        f"*{lesson.course}* -- lesson `{lesson.name}` of the backprop-twins course companion.\n\n"
        f"Write the functions below where they say `raise NotImplementedError`, in the course's names and "
        f"signatures. Check them as often as you like: run the last cell, or `python -m lessons check {filename}`. "
        f"The checker compares each function with a reference built on this project's NumPy layers (themselves "
        f"checked against PyTorch), over many small random inputs, and shows the smallest input on which yours "
        f"goes wrong, with a diagnosis when it recognises the mistake."
    )
    setup = Code(f'import numpy as np\n\nLESSON = "{lesson.name}"')
    check = Code(
        "# Check every function above against the reference (also: python -m lessons check " + filename + ").\n"
        'if __name__ == "__main__":\n'
        "    import lessons\n\n"
        "    lessons.check(LESSON, globals())"
    )
    return [header, setup, *lesson.cells, check]


def percent_source(lesson: Lesson, filename: str | None = None) -> str:
    filename = filename or lesson.filename + ".py"
    parts = []
    for cell in _cells(lesson, filename):
        if isinstance(cell, Markdown):
            body = "\n".join(("# " + line).rstrip() for line in cell.text.strip("\n").splitlines())
            parts.append("# %% [markdown]\n" + body)
        else:
            parts.append("# %%\n" + cell.source.strip("\n"))
    return "\n\n\n".join(parts) + "\n"


def notebook(lesson: Lesson, filename: str | None = None):
    import nbformat
    from nbformat import v4

    filename = filename or lesson.filename + ".ipynb"
    cells = [v4.new_markdown_cell(c.text.strip("\n")) if isinstance(c, Markdown) else v4.new_code_cell(
        c.source.strip("\n")) for c in _cells(lesson, filename)]
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    return nb


def write(lesson: Lesson, folder: str = ".", *, as_notebook: bool = False, force: bool = False) -> str:
    """Write the exercise into ``folder``; refuse to overwrite a learner's file unless ``force``."""
    filename = lesson.filename + (".ipynb" if as_notebook else ".py")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, filename)
    if os.path.exists(path) and not force:
        raise FileExistsError(f"{path} exists: it may hold your work. Check it with `python -m lessons check "
                              f"{path}`, or pass --force to start over.")
    if as_notebook:
        import nbformat

        text = nbformat.writes(notebook(lesson, filename))
    else:
        text = percent_source(lesson, filename)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def load_exercise(path: str) -> tuple[dict, str]:
    """Run a learner's exercise file (``.py`` or ``.ipynb``) and return ``(its namespace, the file name its
    functions report in tracebacks)``. The file's own check cell does not run (``__name__`` is not ``__main__``)."""
    if path.endswith(".ipynb"):
        import nbformat

        nb = nbformat.read(path, as_version=4)
        source = "\n\n".join(c.source for c in nb.cells if c.cell_type == "code")
        source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    else:
        with open(path) as f:
            source = f.read()
    filename = os.path.abspath(path)
    namespace = {"__name__": "lessons_exercise", "__file__": filename}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 -- running the learner's own exercise
    return namespace, filename
