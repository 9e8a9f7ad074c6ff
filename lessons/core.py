"""What a lesson is made of: text cells, stub code, and one ``Task`` per function the learner writes.

A lesson module in ``lessons/exercises/`` builds one ``Lesson``:

- ``cells``: the exercise as the learner reads it, in order: ``Markdown`` (formulas with shapes, the outline of
  the derivation) and ``Code`` (stub functions in the course's names and signatures, raising
  ``NotImplementedError``). ``lessons.render`` writes them as a percent-cell ``.py`` or an ``.ipynb``.
- ``tasks``: how each learner function is checked. ``Task.run(f, case)`` calls the function under test through the
  namespace ``f`` on one drawn ``case`` and returns the named results to compare with the reference's. Inside
  ``run``, ``f.conv_backward`` is the learner's function when it is the one under test, the learner's own version of
  a helper (``f.conv_forward``) once that helper passes its own check, and the reference otherwise; so a backward is
  checked with the cache the learner's own forward made, as the courses intend.
- ``Mistake``: a known wrong variant of one function, with what the learner most likely did. The checker names it
  only when the learner's results equal the variant's on the failing input and on the other failing inputs it saw.

Case strategies draw shapes and a seed with hypothesis and fill arrays with ``values``: numbers on a 0.01 grid,
never exactly 0 unless asked, so a printed failing input is exact to the last digit and can be pasted back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st

seeds = st.integers(min_value=0, max_value=2**16 - 1)


def values(seed: int, shape, low: float = -2.0, high: float = 2.0, *, distinct: bool = False,
           nonzero: bool = True, step: float = 0.01) -> np.ndarray:
    """A float64 array of ``shape`` with elements on the grid ``low, low + step, ..., high``.

    ``nonzero`` leaves 0 off the grid (relu's kink, a division by a zero column); ``distinct`` draws without
    replacement (no ties in a max-pool window). Grid values print exactly, so a failing input can be pasted back.
    """
    rng = np.random.default_rng(seed)
    grid = np.round(np.arange(round((high - low) / step) + 1) * step + low, 10)
    if nonzero:
        grid = grid[grid != 0]
    n = int(np.prod(shape, dtype=np.int64))
    if distinct and n > grid.size:
        raise ValueError(f"values: {n} distinct elements asked for, the grid has {grid.size}")
    return rng.choice(grid, size=n, replace=not distinct).reshape(shape).astype(np.float64)


def labels(seed: int, n: int, classes: int) -> np.ndarray:
    """``n`` integer class labels in ``[0, classes)``, int64."""
    return np.random.default_rng(seed).integers(0, classes, size=n).astype(np.int64)


@dataclass
class Markdown:
    text: str


@dataclass
class Code:
    source: str


@dataclass
class Mistake:
    """A wrong variant of one function, and what it says about the learner's code.

    ``fn`` has the signature of the function it replaces (``replaces``, by default the task's own function). It
    should compute the mistake the way a learner would make it, so that its results equal theirs exactly.
    """

    says: str  # "your dW is the reference dW transposed"
    fn: Callable
    replaces: str | None = None


@dataclass
class Task:
    """How one learner function is checked.

    Args:
        name: the function's name, exactly the course's (``conv_forward``).
        cases: a hypothesis strategy drawing one case: a dict of inputs and hyperparameters.
        run: ``run(f, case) -> dict`` calls ``f.<name>`` (and the helpers it needs) and returns the results to
            compare: arrays, numbers, or dicts / tuples of them. Caches are left out: their layout is the learner's.
        mistakes: known wrong variants, tried in order on a failing input.
        grad: for a backward, ``grad(f, case) -> (fn, inputs, names)``: ``fn(*inputs)`` returns ``(y, backward)``
            built from ``f``'s forward and backward, ``backward(dy)`` one gradient per input (None to skip), and
            ``names`` the gradients' names. The checker compares them with central differences of the forward.
        examples: how many drawn cases a passing function must get right.
        rtol, atol: an element passes when ``|got - expected| <= atol * max(1, max|expected|) + rtol * |expected|``.
        exact: compare without tolerance (masks, integer outputs, shuffles).
    """

    name: str
    cases: st.SearchStrategy
    run: Callable[[Any, dict], dict]
    mistakes: list[Mistake] = field(default_factory=list)
    grad: Callable | None = None
    examples: int = 30
    rtol: float = 1e-7
    atol: float = 1e-9
    exact: bool = False


@dataclass
class Lesson:
    name: str  # "dls/c4w1-conv": course / short id, stable
    title: str  # "Convolution, step by step"
    course: str  # "Deep Learning Specialization, course 4 week 1"
    covers: str  # one line for `python -m lessons list`
    reference: ModuleType  # where the reference functions live, under the course's names
    cells: list = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)

    @property
    def functions(self) -> list[str]:
        return [t.name for t in self.tasks]

    def task(self, name: str) -> Task:
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(f"lesson {self.name} has no function {name!r}; it has {self.functions}")

    @property
    def filename(self) -> str:
        """The exercise's file name: ``dls/c4w1-conv`` -> ``dls_c4w1_conv``."""
        return self.name.replace("/", "_").replace("-", "_")
