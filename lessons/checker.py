"""The checker: a learner's functions against the reference, over drawn inputs, with a computed diagnosis.

For each function of a lesson, in order:

1. A function that is missing, or still raises ``NotImplementedError``, is "not attempted" (never a crash).
2. hypothesis draws cases (shapes, hyperparameters, a seed for the values) and looks for one where the learner's
   results differ from the reference's: a shape, a dtype, a value beyond the tolerance, an exception, or an input
   modified in place. When it finds one it shrinks it to the smallest failing input it can.
3. On that input the report shows expected against got, where the largest error sits, and a diagnosis, computed:
   the lesson's known mistakes are rerun on the same input, and one is named only if the learner's results equal
   the mistake's there and on the other failing inputs the search met. Failing that, simple relations are tested
   (the transpose, the opposite sign, a constant factor).
4. A backward that agrees with the reference is also compared with central differences of the forward in float64
   (``scratch.gradcheck``), on the smallest case drawn.

The search is derandomized: the same code gets the same report every time it is checked.
"""
from __future__ import annotations

import copy
import re
import sys
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import NoSuchExample

from lessons.core import Lesson, Task, values
from scratch.gradcheck import gradcheck

_LEARNER_FILE_MARK = "<learner>"


class _NotAttempted(Exception):
    """The function under test (or a helper it calls) still raises NotImplementedError."""


@dataclass
class FunctionResult:
    name: str
    status: str  # "pass", "FAIL", "not attempted"
    lines: list[str] = field(default_factory=list)
    diagnosis: list[str] = field(default_factory=list)
    examples: int = 0


@dataclass
class Report:
    lesson: Lesson
    results: list[FunctionResult]

    @property
    def ok(self) -> bool:
        return all(r.status == "pass" for r in self.results)

    @property
    def attempted(self) -> bool:
        return any(r.status != "not attempted" for r in self.results)

    def result(self, name: str) -> FunctionResult:
        return next(r for r in self.results if r.name == name)

    def __str__(self) -> str:
        width = max(len(r.name) for r in self.results)
        out = [f"{self.lesson.name}: {self.lesson.title}"]
        for r in self.results:
            note = f"({r.examples} inputs)" if r.status == "pass" else ""
            out.append(f"  {r.name:<{width}}  {r.status} {note}".rstrip())
            out.extend("      " + line for line in r.lines)
            out.extend("      " + line for line in r.diagnosis)
        passed = sum(r.status == "pass" for r in self.results)
        out.append(f"{passed} of {len(self.results)} functions pass.")
        return "\n".join(out)

    def __repr__(self) -> str:  # a notebook cell shows the report as text
        return str(self)


class Fns:
    """The namespace a task's ``run`` calls through: which version of each function it gets (module docstring)."""

    def __init__(self, reference, learner=None, passing=(), under_test=None, overrides=None, seed=0):
        self._reference = reference
        self._learner = learner or {}
        self._passing = set(passing)
        self._under_test = under_test
        self._overrides = overrides or {}
        self._seed = int(seed)
        self.upstream_drawn: list[tuple[str, np.ndarray, np.ndarray]] = []
        self.substituted: set[str] = set()  # the learner's helpers that do not pass yet, replaced by the reference's

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._overrides:
            return self._overrides[name]
        if name == self._under_test or (name in self._passing and name in self._learner):
            return self._learner[name]
        if name in self._learner:
            self.substituted.add(name)
        return getattr(self._reference, name)

    def upstream(self, like, name: str = "dout") -> np.ndarray:
        """The upstream gradient for an output shaped like ``like``: drawn from the case's seed, never all ones.

        Every run on the same case (learner, reference, mistakes) gets the same arrays in the same order.
        """
        k = len(self.upstream_drawn)
        dy = values(self._seed + 7919 * (k + 1), np.shape(like))  # apart from the case's own seed, seed + 1, ...
        self.upstream_drawn.append((name, dy, dy.copy()))
        return dy


# ---------------------------------------------------------------------------------------------------------------
# Flattening and comparing results


def _flat(results, prefix: str = ""):
    """``[(label, value)]`` for a nested dict / tuple of arrays and numbers."""
    if isinstance(results, dict):
        out = []
        for k, v in results.items():
            label = f"{prefix}[{k!r}]" if prefix else str(k)
            out.extend(_flat(v, label))
        return out
    if isinstance(results, (tuple, list)) and not _is_numeric_list(results):
        out = []
        for i, v in enumerate(results):
            out.extend(_flat(v, f"{prefix}[{i}]"))
        return out
    return [(prefix, results)]


def _is_numeric_list(x) -> bool:
    return isinstance(x, list) and all(isinstance(v, (int, float, np.number)) for v in x)


def fmt_array(a, name: str | None = None) -> str:
    """An array as a line of Python that recreates it (or its shape, when large)."""
    a = np.asarray(a)
    if a.size > 120:
        body = f"<array of shape {a.shape}, dtype {a.dtype}: too large to print>"
    elif a.ndim == 0:
        body = repr(a.item())
    else:
        text = np.array2string(a, separator=", ", max_line_width=10**6, threshold=10**6, floatmode="maxprec",
                               precision=10)
        text = re.sub(r"\s*\n\s*", " ", text)  # one line, so the printed case pastes back as it is
        body = f"np.array({text})"
        if a.dtype.kind == "f" and a.dtype != np.float64:
            body = f"np.array({text}, dtype=np.{a.dtype})"
    return f"{name} = {body}" if name else body


def fmt_value(v) -> str:
    if isinstance(v, np.ndarray):
        return fmt_array(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {fmt_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)) and not _is_numeric_list(v):
        inner = ", ".join(fmt_value(x) for x in v)
        return f"({inner},)" if isinstance(v, tuple) and len(v) == 1 else (f"({inner})" if isinstance(v, tuple)
                                                                          else f"[{inner}]")
    if isinstance(v, np.generic):
        return repr(v.item())
    return repr(v)


def _as_array(v):
    if isinstance(v, np.ndarray):
        return v
    try:
        return np.asarray(v)
    except Exception:  # noqa: BLE001 -- anything not array-like is reported as a wrong type
        return None


def compare(expected, got, task: Task) -> list[str]:
    """The problems with ``got`` against ``expected`` (both results of ``task.run``), one line each; [] if none."""
    exp, gt = dict(_flat(expected)), dict(_flat(got))
    problems = [f"missing {label} in your results" for label in exp if label not in gt]
    for label, e in exp.items():
        if label not in gt:
            continue
        problems.extend(_compare_one(label, e, gt[label], task))
    return problems


def _compare_one(label: str, e, g, task: Task) -> list[str]:
    if e is None:
        return [] if g is None else [f"{label}: expected None, got {type(g).__name__}"]
    if isinstance(e, str):
        return [] if e == g else [f"{label}: expected {e!r}, got {g!r}"]
    ea, ga = np.asarray(e), _as_array(g)
    if g is None or ga is None or ga.dtype == object:
        return [f"{label}: expected an array of shape {ea.shape}, got {type(g).__name__}"]
    if ea.shape != ga.shape:
        hint = ""
        if ga.shape == ea.shape[::-1] and ea.ndim == 2:
            hint = " (the transpose's shape)"
        elif ga.size == ea.size:
            hint = " (the right number of elements in another layout)"
        elif ga.ndim < ea.ndim:
            hint = " (a dimension summed away: keepdims?)"
        return [f"{label}: expected shape {ea.shape}, got {ga.shape}{hint}"]
    if ea.dtype.kind == "f" and ga.dtype.kind == "f" and ea.dtype != ga.dtype and isinstance(e, np.ndarray):
        return [f"{label}: expected dtype {ea.dtype}, got {ga.dtype}"]
    if ea.dtype.kind == "f" and ga.dtype.kind not in "fiub":
        return [f"{label}: expected numbers, got dtype {ga.dtype}"]
    if task.exact or ea.dtype.kind in "iub":
        differ = np.atleast_1d(ga != ea)
        if differ.any():
            first = np.unravel_index(int(np.argmax(differ)), differ.shape)
            at = f"; the first at {[int(i) for i in first]}" if ea.ndim else ""
            return [f"{label}: {int(differ.sum())} of {max(ea.size, 1)} elements differ{at}: "
                    f"expected {np.atleast_1d(ea)[first]!r}, got {np.atleast_1d(ga)[first]!r}"] + _show(label, ea, ga)
        return []
    ef, gf = ea.astype(np.float64), ga.astype(np.float64)
    finite = np.isfinite(ef)
    nan_mismatch = np.isnan(ef) != np.isnan(gf)
    scale = max(1.0, float(np.abs(ef[finite]).max(initial=0.0)))
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(gf - ef)
        bad = (err > task.atol * scale + task.rtol * np.abs(ef)) | nan_mismatch
        bad |= ~finite & ~np.isnan(ef) & (gf != ef)
    bad &= ~(np.isnan(ef) & np.isnan(gf))
    if not bad.any():
        return []
    err = np.where(np.isnan(err), np.inf, err)
    worst = np.unravel_index(int(np.argmax(np.where(bad, err, -1))), ef.shape) if ef.ndim else ()
    at = f" at {[int(i) for i in worst]}" if ef.ndim else ""
    n_bad = int(bad.sum())
    return [f"{label}: wrong in {n_bad} of {max(ef.size, 1)} elements; the largest error{at}: "
            f"expected {ef[worst]:.10g}, got {gf[worst]:.10g}"] + _show(label, ea, ga)


def _show(label: str, e, g) -> list[str]:
    if np.size(e) > 60:
        return []
    return [f"  expected {fmt_array(e, label)}", f"  got      {fmt_array(g, label)}"]


def _relations(expected, got) -> list[str]:
    """Simple, computed relations between a wrong result and the right one, for when no catalogued mistake fits."""
    out = []
    exp, gt = dict(_flat(expected)), dict(_flat(got))
    for label, e in exp.items():
        g = gt.get(label)
        ea, ga = np.asarray(e) if e is not None else None, _as_array(g)
        if ea is None or ga is None or ea.dtype.kind != "f" or ga.dtype.kind not in "fi" or ea.size < 2:
            continue
        ef, gf = ea.astype(np.float64), ga.astype(np.float64)
        if not (np.isfinite(ef).all() and np.isfinite(gf).all()):
            continue
        tol = dict(rtol=1e-6, atol=1e-9 * max(1.0, float(np.abs(ef).max())))
        if ef.shape == gf.shape and np.allclose(gf, ef, **tol):
            continue
        swapped = _swapped_axes(ef, gf, tol)
        if ef.ndim == 2 and gf.shape == ef.shape[::-1] and np.allclose(gf, ef.T, **tol):
            out.append(f"your {label} is the expected {label} transposed")
        elif swapped:
            out.append(f"your {label} is the expected {label} with axes {swapped[0]} and {swapped[1]} swapped")
        elif ef.shape != gf.shape:
            continue
        elif np.allclose(gf, 0, **tol):
            out.append(f"your {label} is all zeros: is the gradient assigned, or only initialised?")
        elif np.allclose(gf, -ef, **tol):
            out.append(f"your {label} has the wrong sign everywhere")
        else:
            denom = float(np.sum(ef * ef))
            c = float(np.sum(gf * ef)) / denom if denom > 0 else 0.0
            if c != 0 and np.allclose(gf, c * ef, **tol):
                out.append(f"your {label} is {c:.6g} times the expected one: a factor missing or extra "
                           f"(1/m, a 2 from a square, the batch size?)")
    return out


def _swapped_axes(e: np.ndarray, g: np.ndarray, tol: dict) -> tuple | None:
    """The pair of axes whose swap turns ``e`` into ``g`` (a transposed gradient in any rank), if there is one."""
    for i in range(e.ndim):
        for j in range(i + 1, e.ndim):
            t = np.swapaxes(e, i, j)
            if t.shape == g.shape and not np.allclose(t, e, **tol) and np.allclose(g, t, **tol):
                return i, j
    return None


# ---------------------------------------------------------------------------------------------------------------
# Running one task


def _innermost_function(exc: BaseException) -> str | None:
    tb = exc.__traceback__
    name = None
    while tb is not None:
        name = tb.tb_frame.f_code.co_name
        tb = tb.tb_next
    return name


def _learner_traceback(exc: BaseException, learner_file: str | None) -> list[str]:
    """The exception with the frames from the learner's own code (all frames when they are not from a file)."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if learner_file and f.filename == learner_file]
    if not mine:
        mine = [f for f in frames if "/lessons/" not in f.filename and "/hypothesis/" not in f.filename][-3:]
    lines = [f"{type(exc).__name__}: {exc}"]
    for f in mine[-3:]:
        where = f"line {f.lineno}" if learner_file and f.filename == learner_file else f"{f.filename}:{f.lineno}"
        lines.append(f"  {where}, in {f.name}: {f.line}")
    return lines


@dataclass
class _Outcome:
    problems: list[str]
    results: object = None
    expected: object = None  # the reference's results on the same case
    error: BaseException | None = None
    upstream: list = field(default_factory=list)
    substituted: set = field(default_factory=set)


class _TaskRunner:
    def __init__(self, lesson: Lesson, task: Task, learner: dict, passing: set, learner_file: str | None):
        self.lesson, self.task, self.learner, self.passing = lesson, task, learner, passing
        self.learner_file = learner_file
        self.failing: list[dict] = []
        self.passing_cases: list[dict] = []
        self.last_failure: _Outcome | None = None  # the outcome on failing[-1]: the case hypothesis' find returns

    def reference(self, case: dict, overrides=None):
        f = Fns(self.lesson.reference, overrides=overrides, seed=case.get("seed", 0))
        with _quiet():
            results = self.task.run(f, copy.deepcopy(case))
        return results, f.upstream_drawn

    def learner_outcome(self, case: dict) -> _Outcome:
        expected, _ = self.reference(case)
        mine = copy.deepcopy(case)
        f = Fns(self.lesson.reference, self.learner, self.passing, under_test=self.task.name,
                seed=case.get("seed", 0))
        try:
            with _quiet():
                got = self.task.run(f, mine)
        except NotImplementedError as exc:
            raise _NotAttempted(_innermost_function(exc)) from exc
        except Exception as exc:  # noqa: BLE001 -- the learner's code may raise anything; it is reported
            return _Outcome([f"raised {type(exc).__name__}: {exc}"], expected=expected, error=exc,
                            upstream=f.upstream_drawn, substituted=f.substituted)
        problems = compare(expected, got, self.task)
        problems += _mutations(case, mine)
        problems += [f"modified the upstream gradient {name} in place (compute a new array instead)"
                     for name, now, before in f.upstream_drawn if not np.array_equal(now, before)]
        return _Outcome(problems, got, expected, upstream=f.upstream_drawn, substituted=f.substituted)

    def fails(self, case: dict) -> bool:
        outcome = self.learner_outcome(case)
        if not outcome.problems:
            self.passing_cases.append(case)
            return False
        self.failing.append(case)
        self.last_failure = outcome
        return True

    def diagnose(self, case: dict, outcome: _Outcome) -> list[str]:
        if outcome.error is None and outcome.results is None:
            return []
        cases = [case, *[c for c in self.failing if c is not case][-3:]]
        # The learner's outcome on each case is the same for every mistake: run it once, and only when a mistake
        # gets that far (``all`` stops at the first case a mistake does not match).
        outcomes: list = [outcome] + [None] * (len(cases) - 1)

        def learner_on(i: int) -> _Outcome:
            if outcomes[i] is None:
                outcomes[i] = self.learner_outcome(cases[i])
            return outcomes[i]

        confirmed = [m.says for m in self.task.mistakes
                     if all(self._matches(c, learner_on(i), m) for i, c in enumerate(cases))]
        if confirmed:
            return ["diagnosis: " + s for s in confirmed]
        if outcome.error is not None:
            return []
        hints = _relations(outcome.expected, outcome.results)
        if not hints:
            # A relation (a sign, a transpose, a factor) needs two elements or more to be told apart from a wrong
            # value, and the smallest failing input is often 1x1: look at the largest failing input met instead.
            def shows_a_relation(c) -> bool:
                other = self.learner_outcome(c)
                return other.results is not None and bool(_relations(other.expected, other.results))

            cfg = settings(max_examples=20, database=None, derandomize=True, deadline=None,
                           suppress_health_check=list(HealthCheck), phases=[Phase.generate])
            try:
                larger = find(self.task.cases, lambda c: _case_size(c) > _case_size(case) and shows_a_relation(c),
                              settings=cfg)
            except NoSuchExample:
                larger = None
            if larger is not None:
                other = self.learner_outcome(larger)
                hints = [f"{h} (seen on a larger failing input)" for h in _relations(other.expected, other.results)]
        return ["hint: " + s for s in hints]

    def _matches(self, case: dict, outcome: _Outcome, mistake) -> bool:
        """Whether the learner's code, whose ``outcome`` on ``case`` this is, does what the reference does with
        ``mistake`` planted: the same results, or the same exception (type and message) where the mistake raises."""
        try:
            wrong, _ = self.reference(case, overrides={(mistake.replaces or self.task.name): mistake.fn})
        except Exception as exc:  # noqa: BLE001 -- a mistake may crash, as the learner's code may
            return outcome.error is not None and type(outcome.error) is type(exc) and str(outcome.error) == str(exc)
        return outcome.results is not None and not compare(wrong, outcome.results, self.task)


def _mutations(before: dict, after: dict) -> list[str]:
    out = []
    for k, v in before.items():
        w = after.get(k)
        if isinstance(v, np.ndarray) and isinstance(w, np.ndarray) and not np.array_equal(v, w, equal_nan=True):
            out.append(f"modified its input {k} in place (work on a copy: x = x.copy(), or build a new array)")
        elif isinstance(v, dict) and isinstance(w, dict):
            out.extend(_mutations(v, w))
    return out


class _quiet:
    """No NumPy floating-point warnings while drawn inputs run: results are compared, not warned about."""

    def __enter__(self):
        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)
        self._e = np.errstate(all="ignore")
        self._e.__enter__()

    def __exit__(self, *exc):
        self._e.__exit__(*exc)
        self._w.__exit__(*exc)


def fmt_case(case: dict, upstream=()) -> list[str]:
    lines = [fmt_array(v, k) if isinstance(v, np.ndarray) else f"{k} = {fmt_value(v)}"
             for k, v in case.items() if k != "seed"]
    lines += [f"{fmt_array(before, name)}  # the upstream gradient, drawn for you" for name, _, before in upstream]
    return lines


def check_task(lesson: Lesson, task: Task, learner: dict, passing: set, *, examples: int | None = None,
               learner_file: str | None = None) -> FunctionResult:
    fn = learner.get(task.name)
    if fn is None or not callable(fn):
        return FunctionResult(task.name, "not attempted", [f"no function {task.name} in your code"])
    runner = _TaskRunner(lesson, task, learner, passing, learner_file)
    n = examples or task.examples
    cfg = settings(max_examples=n, database=None, derandomize=True, deadline=None,
                   suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    try:
        case = find(task.cases, runner.fails, settings=cfg)
    except NoSuchExample:
        return _passed(task, runner)
    except _NotAttempted as stub:
        where = stub.args[0]
        if where in (task.name, None):
            return FunctionResult(task.name, "not attempted", ["still raises NotImplementedError"])
        return FunctionResult(task.name, "not attempted",
                              [f"it calls {where}, which still raises NotImplementedError"])
    outcome = runner.last_failure  # find returns the last case runner.fails said True to: no need to run it again
    lines = ["smallest failing input:"] + ["  " + s for s in fmt_case(case, outcome.upstream)]
    if outcome.error is not None:
        lines += _learner_traceback(outcome.error, learner_file)
    else:
        lines += outcome.problems
    if outcome.substituted:
        lines.append(f"(run with the reference {', '.join(sorted(outcome.substituted))}, as yours does not pass "
                     f"yet: a cache in another layout than the reference's can make this fail too)")
    return FunctionResult(task.name, "FAIL", lines, runner.diagnose(case, outcome), len(runner.passing_cases))


def _passed(task: Task, runner: _TaskRunner) -> FunctionResult:
    result = FunctionResult(task.name, "pass", examples=len(runner.passing_cases))
    if task.grad is None or not runner.passing_cases:
        return result
    case = min(runner.passing_cases, key=_case_size)
    f = Fns(runner.lesson.reference, runner.learner, runner.passing, under_test=task.name, seed=case.get("seed", 0))
    fn, inputs, names = task.grad(f, copy.deepcopy(case))
    wrt = [i for i, name in enumerate(names) if name is not None]
    with _quiet():
        report = gradcheck(fn, *inputs, wrt=wrt, seed=case.get("seed", 0))
    if not report.ok:
        result.status = "FAIL"
        result.lines = ["agrees with the reference, but not with central differences of the forward "
                        "(an input at a kink?):"] + ["  " + s for s in fmt_case(case)]
        result.lines += [f"  d{names[r.index]}: at {list(r.worst_index)} analytic {r.analytic:.10g}, "
                         f"numeric {r.numeric:.10g}" for r in report.inputs if not r.ok]
    return result


def _case_size(case: dict) -> int:
    return sum(np.size(v) for v in case.values() if isinstance(v, np.ndarray))


def check_lesson(lesson: Lesson, learner: dict, *, examples: int | None = None,
                 learner_file: str | None = None) -> Report:
    passing: set[str] = set()
    results = []
    for task in lesson.tasks:
        r = check_task(lesson, task, learner, passing, examples=examples, learner_file=learner_file)
        if r.status == "pass":
            passing.add(task.name)
        results.append(r)
    return Report(lesson, results)


def learner_functions(namespace) -> dict:
    """The callables of a namespace (a module, a dict such as ``globals()``)."""
    items = vars(namespace).items() if not isinstance(namespace, dict) else namespace.items()
    return {k: v for k, v in items if callable(v) and not k.startswith("_")}


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use python -m lessons check FILE")
