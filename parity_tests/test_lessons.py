"""The course companion: every lesson's checker, its CLI, its progress file and its notebooks.

For every lesson: the reference passes its own check; every catalogued mistake, planted in place of the reference
function, fails the check and is named; the untouched exercise reports every function "not attempted". Each
course's reference functions are tested against the course's own equations and published examples in
``test_lessons_<course>.py``.
"""
from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest

import lessons
from lessons import catalogue, progress, render
from lessons.__main__ import main
from lessons.checker import check_task, learner_functions

LESSONS = catalogue.available()


def _ids(lesson):
    return lesson.filename


def _reference(lesson) -> dict:
    return learner_functions(lesson.reference)


def _check(lesson, namespace):
    return lessons.check(lesson, namespace, quiet=True, progress=False)


@pytest.mark.parametrize("lesson", LESSONS, ids=_ids)
def test_reference_passes_its_own_check(lesson):
    report = _check(lesson, _reference(lesson))
    assert report.ok, str(report)
    assert all(r.examples > 0 for r in report.results)


MISTAKES = [(lesson, task, mistake) for lesson in LESSONS for task in lesson.tasks for mistake in task.mistakes]


@pytest.mark.parametrize("lesson, task, mistake", MISTAKES,
                         ids=[f"{lesson.filename}-{task.name}-{i}" for i, (lesson, task, _) in enumerate(MISTAKES)])
def test_planted_mistake_is_caught_and_named(lesson, task, mistake):
    namespace = _reference(lesson)
    namespace[mistake.replaces or task.name] = mistake.fn
    # Only the task the mistake is planted in: the lesson's other functions are the reference's, and pass.
    passing = {t.name for t in lesson.tasks} - {task.name, mistake.replaces}
    result = check_task(lesson, task, namespace, passing)
    assert result.status == "FAIL", f"{mistake.says!r} passed the check"
    assert "smallest failing input:" in result.lines
    assert any(mistake.says in d for d in result.diagnosis), (result.lines, result.diagnosis)


@pytest.mark.parametrize("lesson", LESSONS, ids=_ids)
def test_every_lesson_catalogues_mistakes(lesson):
    assert sum(len(t.mistakes) for t in lesson.tasks) >= 1
    assert len({t.name for t in lesson.tasks}) == len(lesson.tasks), "a function checked twice"


@pytest.mark.parametrize("lesson", LESSONS, ids=_ids)
def test_untouched_exercise_reports_not_attempted(lesson, tmp_path):
    namespace, _ = render.load_exercise(render.write(lesson, str(tmp_path)))
    report = _check(lesson, namespace)
    assert [r.status for r in report.results] == ["not attempted"] * len(lesson.tasks), str(report)
    assert set(lesson.functions) <= set(namespace), "an exercise lacks the stub of a checked function"


def test_catalogue_lists_every_lesson_in_course_order():
    assert [lesson.name for lesson in LESSONS] == list(catalogue.ORDER)
    with pytest.raises(KeyError, match="no lesson called"):
        catalogue.get("dls/nope")


# ----------------------------------------------------------------------------------------------------------------
# The learner's loop through the CLI, on the first CS231n layers lesson

NAME = "cs231n/a2-layers"


def _fill_with_reference(path: str, extra: str = "") -> None:
    """Put the reference functions (and ``extra`` code) in the exercise, just before its check cell."""
    lesson = catalogue.get(NAME)
    with open(path) as f:
        source = f.read()
    cell = f"# %%\nfrom {lesson.reference.__name__} import *  # noqa: F403\n{extra}\n\n\n"
    i = source.rindex("# %%\n# Check every function")
    with open(path, "w") as f:
        f.write(source[:i] + cell + source[i:])


def test_start_check_and_progress(tmp_path, capsys):
    folder = str(tmp_path)
    assert main(["start", NAME, "--folder", folder]) == 0
    path = os.path.join(folder, "cs231n_a2_layers.py")
    assert progress.status(progress.load(folder), NAME) == "not started"

    assert main(["check", path]) == 1
    out = capsys.readouterr().out
    assert "affine_forward        not attempted" in out
    assert progress.status(progress.load(folder), NAME) == "not started"

    _fill_with_reference(path, "def svm_loss(x, y):\n    return 0.0, np.zeros_like(x)\n")
    assert main(["check", path]) == 1
    assert progress.status(progress.load(folder), NAME) == "attempted"
    assert progress.load(folder)[NAME]["functions"]["svm_loss"] == "FAIL"

    _fill_with_reference(path)
    capsys.readouterr()
    assert main(["check", path]) == 0
    out = capsys.readouterr().out
    assert "8 of 8 functions pass." in out and "Lesson cs231n/a2-layers passes." in out
    assert progress.status(progress.load(folder), NAME) == "passing"

    assert main(["list", "--folder", folder]) == 0
    listed = capsys.readouterr().out
    assert re.search(r"cs231n/a2-layers\s+passing", listed)
    assert re.search(r"dls/c1w2-logistic\s+not started", listed) or "dls/c1w2-logistic" not in listed


def test_start_never_overwrites_a_learners_file(tmp_path, capsys):
    folder = str(tmp_path)
    assert main(["start", NAME, "--folder", folder]) == 0
    path = os.path.join(folder, "cs231n_a2_layers.py")
    with open(path, "a") as f:
        f.write("# my work\n")
    assert main(["start", NAME, "--folder", folder]) == 1
    assert "exists" in capsys.readouterr().err
    assert open(path).read().endswith("# my work\n")
    assert main(["start", NAME, "--folder", folder, "--force"]) == 0
    assert not open(path).read().endswith("# my work\n")


def test_unknown_lesson_and_broken_file_get_clear_errors(tmp_path, capsys):
    assert main(["start", "cs231n/a2-layer", "--folder", str(tmp_path)]) == 2
    assert "Did you mean cs231n/a2-layers" in capsys.readouterr().err
    broken = tmp_path / "broken.py"
    broken.write_text('LESSON = "cs231n/a2-layers"\ndef affine_forward(x, w, b)\n    return x\n')
    assert main(["check", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "does not run (line 2)" in err and "SyntaxError" in err


def test_failing_check_shows_the_smallest_input_and_names_the_mistake(tmp_path, capsys):
    folder = str(tmp_path)
    main(["start", NAME, "--folder", folder])
    path = os.path.join(folder, "cs231n_a2_layers.py")
    _fill_with_reference(path, (
        "def affine_backward(dout, cache):\n"
        "    x, w, b = cache\n"
        "    dx = (dout @ w.T).reshape(x.shape)\n"
        "    dw = x.reshape(x.shape[0], -1).T @ dout\n"
        "    return dx, dw, dout.mean(axis=0)\n"))
    capsys.readouterr()
    assert main(["check", path]) == 1
    out = capsys.readouterr().out
    block = out[out.index("affine_backward       FAIL"):out.index("relu_forward")]
    # hypothesis shrinks to one example with one feature
    assert "x = np.array([[" in block and "dout = np.array([[" in block
    assert "the upstream gradient, drawn for you" in block
    assert "db: wrong in" in block
    assert "diagnosis: db averages dout over the batch" in block
    # the same report every time: the search is derandomized
    main(["check", path])
    again = capsys.readouterr().out
    assert again[again.index("affine_backward"):again.index("relu_forward")] == block


def test_printed_failing_input_pastes_back(tmp_path, capsys):
    """The values printed are exactly the values used: rerunning them reproduces the reported error."""
    report = lessons.check(NAME, {**_reference(catalogue.get(NAME)),
                                  "softmax_loss": lambda x, y: (0.0, np.zeros_like(x))}, quiet=True, progress=False)
    lines = report.result("softmax_loss").lines
    env = {"np": np}
    for line in lines[1:3]:
        exec(line.strip(), env)  # noqa: S102 -- the report's own lines
    loss, dx = catalogue.get(NAME).reference.softmax_loss(env["x"], env["y"])
    expected = next(s for s in lines if s.strip().startswith("expected dx"))
    assert np.allclose(eval(expected.split("=", 1)[1]), dx)  # noqa: S307


def test_in_place_changes_are_reported(tmp_path):
    def relu_backward(dout, cache):
        dout[cache <= 0] = 0
        return dout

    report = lessons.check(NAME, {**_reference(catalogue.get(NAME)), "relu_backward": relu_backward}, quiet=True,
                           progress=False)
    assert any("modified the upstream gradient dout in place" in s for s in report.result("relu_backward").lines)


def test_helper_stub_is_named(tmp_path):
    """A function that calls the learner's unfinished helper is 'not attempted', and says which helper."""
    def affine_relu_forward(x, w, b):
        return helper(x)  # noqa: F821 -- defined below, as in a learner's file

    def helper(x):
        raise NotImplementedError

    result = lessons.check(NAME, {"affine_relu_forward": affine_relu_forward, "helper": helper}, quiet=True,
                           progress=False).result("affine_relu_forward")
    assert result.status == "not attempted"
    assert "it calls helper" in result.lines[0]


def test_progress_file_is_json_and_survives_a_corrupt_one(tmp_path):
    folder = str(tmp_path)
    lessons.check(NAME, {}, quiet=True, folder=folder)
    data = json.loads((tmp_path / progress.FILE).read_text())
    assert data[NAME]["status"] == "not started"
    (tmp_path / progress.FILE).write_text("{not json")
    with pytest.raises(SystemExit, match="cannot read the progress file"):
        progress.load(folder)


# ----------------------------------------------------------------------------------------------------------------
# Notebooks, run in a real Jupyter kernel


def _run_notebook(path: str, extra: str) -> str:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    lesson = catalogue.get(NAME)
    cell = nbformat.v4.new_code_cell(f"from {lesson.reference.__name__} import *\n{extra}")
    nb.cells.insert(len(nb.cells) - 1, cell)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": os.path.dirname(path)}}
                   ).execute()
    outputs = nb.cells[-1].outputs
    return "".join(o.get("text", "") for o in outputs)


def test_notebook_check_cell_runs_in_a_kernel(tmp_path):
    folder = str(tmp_path)
    assert main(["start", NAME, "--notebook", "--folder", folder]) == 0
    path = os.path.join(folder, "cs231n_a2_layers.ipynb")
    passed = _run_notebook(path, "")
    assert "8 of 8 functions pass." in passed
    planted = _run_notebook(path, (
        "def relu_backward(dout, cache):\n"
        "    return (cache > 0).astype(dout.dtype)\n"))
    assert "relu_backward         FAIL" in planted
    assert "diagnosis: dx is the mask [x > 0] alone: multiply it by dout" in planted
    # the CLI reads notebooks too
    assert main(["check", path]) == 1


# ----------------------------------------------------------------------------------------------------------------
# The README's worked example is the checker's real output

_LEARNER_CONV_BACKWARD = '''
from lessons.reference.dls.c4 import zero_pad, conv_single_step, conv_forward


def conv_backward(dZ, cache):
    A_prev, W, b, hparameters = cache
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f, f, n_C_prev, n_C = W.shape
    stride, pad = hparameters["stride"], hparameters["pad"]
    m, n_H, n_W, n_C = dZ.shape
    dA_prev_pad = zero_pad(np.zeros(A_prev.shape), pad)
    A_prev_pad = zero_pad(A_prev, pad)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    for i in range(m):
        dW = np.zeros(W.shape)
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vs, hs = h * stride, w * stride
                    a_slice = A_prev_pad[i, vs:vs + f, hs:hs + f, :]
                    dA_prev_pad[i, vs:vs + f, hs:hs + f, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
    dA_prev = dA_prev_pad[:, pad:n_H_prev + pad, pad:n_W_prev + pad, :] if pad else dA_prev_pad
    return dA_prev, dW, db
'''


def test_readme_worked_example_is_real_output(tmp_path, capsys):
    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read()
    section = readme[readme.index("**A failing check.**"):]
    shown = section[section.index("```\ndls/c4w1-conv"):].split("```")[1].strip("\n")
    main(["start", "dls/c4w1-conv", "--folder", str(tmp_path)])
    path = tmp_path / "dls_c4w1_conv.py"
    source = path.read_text()
    i = source.rindex("# %%\n# Check every function")
    path.write_text(source[:i] + "# %%" + _LEARNER_CONV_BACKWARD + "\n\n" + source[i:])
    capsys.readouterr()
    main(["check", str(path)])
    out = capsys.readouterr().out
    timing = re.compile(r"\(checked in [0-9.]+ s\)")
    assert timing.sub("", out).strip() == timing.sub("", shown).strip()


def test_an_uncatalogued_mistake_gets_a_computed_hint():
    """A sign slip no Mistake describes: the hint is found on a failing input large enough to show it, even when
    the smallest failing input is a single element."""
    reference = _reference(catalogue.get(NAME))

    def affine_backward(dout, cache):
        dx, dw, db = reference["affine_backward"](dout, cache)
        return dx, -dw, db

    result = lessons.check(NAME, {**reference, "affine_backward": affine_backward}, quiet=True,
                           progress=False).result("affine_backward")
    assert result.status == "FAIL"
    assert any(d.startswith("hint: your dw has the wrong sign everywhere") for d in result.diagnosis), result.diagnosis
