"""Deep Learning Specialization, course 5 week 1 (Dinosaurus Island): clipping gradients, and sampling characters
from a trained character-level RNN."""
from __future__ import annotations

import copy

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.dls import c5 as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## The model

A character-level language model reads one character at a time, as a one-hot column `x` of size `vocab_size`, and
predicts the next one. Its parameters, in a dictionary (the bias of the hidden state is called `b` here):

    Wax (n_a, vocab_size)   Waa (n_a, n_a)   b (n_a, 1)      a = tanh(Wax x + Waa a_prev + b)
    Wya (vocab_size, n_a)   by (vocab_size, 1)               y = softmax(Wya a + by)

`char_to_ix` maps each character to its index; the newline `"\\n"` ends a name. The cell below gives you `softmax`.
"""),
    Code('''
def softmax(z):
    """Softmax down each column of z (n, m)."""
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)
'''),
    Markdown("""
## 1. Clipping the gradients

Before each update, every element of the five gradients `dWaa, dWax, dWya, db, dby` is forced into
`[-maxValue, maxValue]`: larger ones become `maxValue`, smaller ones `-maxValue`, the rest stay as they are. This
keeps one exploding step from throwing the parameters far away.

Return a **new** dictionary with those five keys, and leave the caller's dictionary and arrays unchanged (start
from a deep copy, `copy.deepcopy`, or build new arrays). `np.clip(a, lo, hi)` returns a clipped copy; with
`out=a` it writes into `a` instead. Think about which of the two your loop needs: does assigning to the loop
variable change the array stored in the dictionary?
"""),
    Code('''
import copy


def clip(gradients, maxValue):
    """Clip every element of the gradients to [-maxValue, maxValue].

    Inputs:
    - gradients: dict with dWaa, dWax, dWya, db, dby (numpy arrays)
    - maxValue: a positive number

    Returns a new dict with the five clipped gradients; the caller's arrays are not changed.
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. Sampling a name

Generate characters one at a time until the model writes a newline:

1. Start from a zero input `x (vocab_size, 1)` (no character yet) and a zero hidden state `a_prev (n_a, 1)`.
2. Run one step: `a = tanh(Wax x + Waa a_prev + b)`, `y = softmax(Wya a + by)`. `y` is a probability for each
   character.
3. Draw the next index from `y`: `np.random.choice(range(vocab_size), p=y.ravel())` (`p` must be 1-D).
4. Append the index to the list, make `x` the one-hot column of that index (all zeros but one), and carry `a` on
   as the next `a_prev`.

Stop when the drawn index is the newline's, or after 50 characters; in that second case append the newline's
index yourself, so every name ends with one.

**Reproducible draws.** So that your samples match the course's, reseed NumPy's generator before every draw with
`np.random.seed(counter + seed)`, where `counter` counts the characters drawn so far, and at the end of each step
add 1 to `seed` as well as to `counter`. (Yes, both: the seeds used are `seed, seed + 2, seed + 4, ...`.)
"""),
    Code('''
def sample(parameters, char_to_ix, seed):
    """Sample a sequence of character indices from the RNN.

    Inputs:
    - parameters: dict with Waa (n_a, n_a), Wax (n_a, vocab_size), Wya (vocab_size, n_a), b (n_a, 1), by (vocab_size, 1)
    - char_to_ix: dict from each character to its index (the newline "\\n" included)
    - seed: an int, for the reproducible draws described above

    Returns the list of sampled indices, ending with the newline's index (at most 51 entries).
    """
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases


@st.composite
def clip_case(draw):
    n_x, n_a, n_y = (draw(st.integers(1, 3)) for _ in range(3))
    seed = draw(seeds)
    shapes = {"dWaa": (n_a, n_a), "dWax": (n_a, n_x), "dWya": (n_y, n_a), "db": (n_a, 1), "dby": (n_y, 1)}
    gradients = {k: values(seed + i, shape, -3, 3) for i, (k, shape) in enumerate(shapes.items())}
    # One element beyond each bound in every case, so both bounds are always exercised.
    gradients["db"][-1, 0], gradients["dby"][-1, 0] = -2.75, 2.75
    maxValue = draw(st.sampled_from([0.5, 1.0, 2.0, 2.5]))
    return {"gradients": gradients, "maxValue": maxValue, "seed": seed}


@st.composite
def sample_case(draw):
    vocab_size = draw(st.integers(2, 5))
    n_a = draw(st.integers(1, 4))
    newline = draw(st.integers(0, vocab_size - 1))
    seed = draw(seeds)
    chars = [chr(ord("a") + i) for i in range(vocab_size - 1)]
    chars.insert(newline, "\n")
    by = values(seed + 4, (vocab_size, 1))
    if draw(st.booleans()):
        by[newline] -= 6.0  # a model that rarely ends a name: these run into the 50-character limit
    parameters = {"Wax": values(seed, (n_a, vocab_size)), "Waa": values(seed + 1, (n_a, n_a)),
                  "Wya": values(seed + 2, (vocab_size, n_a)), "b": values(seed + 3, (n_a, 1)), "by": by}
    return {"parameters": parameters, "char_to_ix": {ch: i for i, ch in enumerate(chars)},
            "sample_seed": draw(st.integers(0, 100)), "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case


def run_clip(f, c):
    return {"gradients": f.clip(c["gradients"], c["maxValue"])}


def run_sample(f, c):
    np.random.seed(c["seed"])  # sample reseeds itself; this only keeps a draw before its first reseed reproducible
    return {"indices": np.asarray(f.sample(c["parameters"], c["char_to_ix"], c["sample_seed"]), dtype=np.int64)}


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it

_KEYS = ("dWaa", "dWax", "dWya", "db", "dby")


def clip_in_place(gradients, maxValue):
    for gradient in gradients.values():
        np.clip(gradient, -maxValue, maxValue, out=gradient)
    return {k: gradients[k] for k in _KEYS}


def clip_result_discarded(gradients, maxValue):
    gradients = copy.deepcopy(gradients)
    dWaa, dWax, dWya, db, dby = (gradients[k] for k in _KEYS)
    for gradient in [dWax, dWaa, dWya, db, dby]:
        gradient = np.clip(gradient, -maxValue, maxValue)  # the mistake: the clipped copy is dropped
    return {"dWaa": dWaa, "dWax": dWax, "dWya": dWya, "db": db, "dby": dby}


def clip_upper_only(gradients, maxValue):
    return {k: np.minimum(gradients[k], maxValue) for k in _KEYS}


def _softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def _sample(parameters, char_to_ix, seed, *, step_seed=1, reseed=True, pick="choice", carry_a=True,
            reset_x=True, close=True, newline=None):
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size, n_a = by.shape[0], Waa.shape[1]
    x, a_prev = np.zeros((vocab_size, 1)), np.zeros((n_a, 1))
    indices, idx, counter = [], -1, 0
    newline_character = char_to_ix["\n"] if newline is None else newline
    if not reseed:
        np.random.seed(seed)
    while idx != newline_character and counter != 50:
        a = np.tanh(np.dot(Wax, x) + np.dot(Waa, a_prev) + b)
        y = _softmax(np.dot(Wya, a) + by)
        if reseed:
            np.random.seed(counter + seed)
        idx = int(np.argmax(y)) if pick == "argmax" else np.random.choice(range(vocab_size), p=y.ravel())
        indices.append(idx)
        if reset_x:
            x = np.zeros((vocab_size, 1))
        x[idx] = 1
        if carry_a:
            a_prev = a
        seed += step_seed
        counter += 1
    if counter == 50 and close:
        indices.append(newline_character)
    return indices


def sample_seed_not_stepped(parameters, char_to_ix, seed):
    return _sample(parameters, char_to_ix, seed, step_seed=0)


def sample_seeded_once(parameters, char_to_ix, seed):
    return _sample(parameters, char_to_ix, seed, reseed=False)


def sample_argmax(parameters, char_to_ix, seed):
    return _sample(parameters, char_to_ix, seed, pick="argmax")


def sample_state_not_carried(parameters, char_to_ix, seed):
    return _sample(parameters, char_to_ix, seed, carry_a=False)


def sample_x_not_reset(parameters, char_to_ix, seed):
    return _sample(parameters, char_to_ix, seed, reset_x=False)


def sample_no_closing_newline(parameters, char_to_ix, seed):
    return _sample(parameters, char_to_ix, seed, close=False)


def sample_newline_is_zero(parameters, char_to_ix, seed):
    return _sample(parameters, char_to_ix, seed, newline=0)


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("clip", clip_case(), run_clip, exact=True, mistakes=[
        Mistake("clip changes the caller's arrays: np.clip(..., out=gradient) on the original arrays writes into "
                "them; deep-copy the dictionary first (copy.deepcopy) or build new arrays", clip_in_place),
        Mistake("the clipped arrays are thrown away: `gradient = np.clip(gradient, ...)` only rebinds the loop "
                "variable; write into the array (out=gradient) or store the result in the dictionary",
                clip_result_discarded),
        Mistake("only the upper bound is applied: values below -maxValue must become -maxValue too "
                "(np.clip(g, -maxValue, maxValue))", clip_upper_only),
    ]),
    Task("sample", sample_case(), run_sample, exact=True, mistakes=[
        Mistake("seed is not increased at the end of each step: after counter += 1, also add 1 to seed, so that "
                "the draws reseed with seed, seed + 2, seed + 4, ... as the course does", sample_seed_not_stepped),
        Mistake("NumPy is seeded once, before the loop; reseed before every draw with "
                "np.random.seed(counter + seed)", sample_seeded_once),
        Mistake("the most likely character is taken (argmax); sample it instead: "
                "np.random.choice(range(vocab_size), p=y.ravel())", sample_argmax),
        Mistake("the hidden state is not carried: set a_prev = a at the end of each step", sample_state_not_carried),
        Mistake("x is not reset before setting the new character: it keeps the 1s of earlier characters; start "
                "each step's x from zeros", sample_x_not_reset),
        Mistake("a name cut off at 50 characters does not end with the newline: append char_to_ix['\\n'] when "
                "counter reaches 50", sample_no_closing_newline),
        Mistake("the newline's index is taken to be 0; read it from char_to_ix['\\n']", sample_newline_is_zero),
    ]),
]

LESSON = Lesson(
    name="dls/c5w1-sampling",
    title="Dinosaurus Island: clipping and sampling",
    course="Deep Learning Specialization, course 5 week 1 (Dinosaurus Island, character-level language model)",
    covers="clip, sample",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
