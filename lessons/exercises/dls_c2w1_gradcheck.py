"""Deep Learning Specialization, course 2 week 1: gradient checking, in one dimension and then for a whole network.

The course hands the learner a three-layer network's ``forward_propagation_n`` and a ``backward_propagation_n``
with two bugs planted in it (``dW2`` twice too large, ``db1`` four times), for the learner's ``gradient_check_n``
to find. Here the exercise gives both the same way (written anew), while the reference's ``backward_propagation_n``
is the correct one; the check runs the learner's ``gradient_check_n`` on the correct gradients AND on the course's
buggy ones, so it must report a small difference for the first and a large one for the second.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.dls import c2 as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## 1. One dimension first

Take `J(theta) = theta * x`. Write its forward pass (`J`) and its backward pass (`dJ/dtheta`).
"""),
    Code('''
def forward_propagation(x, theta):
    """Returns J = theta * x."""
    raise NotImplementedError


def backward_propagation(x, theta):
    """Returns dtheta = dJ/dtheta."""
    raise NotImplementedError
'''),
    Markdown("""
## 2. The check

A derivative is a limit of difference quotients; the CENTRED one is the most accurate for its step:

    gradapprox = (J(theta + epsilon) - J(theta - epsilon)) / (2 epsilon)

Why centred? Expand `J(theta +- epsilon)` to third order in `epsilon`: which terms cancel in the difference, and
what is the size of the error left, compared with the one-sided `(J(theta + epsilon) - J(theta)) / epsilon`?

Compare it with the backward pass by a RELATIVE difference, so that the verdict does not depend on the gradient's
scale:

    difference = ||grad - gradapprox|| / (||grad|| + ||gradapprox||)          (np.linalg.norm)

The course's verdict: below about `1e-7` (for `epsilon = 1e-7`) the backward pass is right. With `print_msg=True`,
print which.
"""),
    Code('''
def gradient_check(x, theta, epsilon=1e-7, print_msg=False):
    """Returns the relative difference between backward_propagation(x, theta) and the centred difference."""
    raise NotImplementedError
'''),
    Markdown("""
## 3. A whole network

The network is the course's three layers `LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID` on 4 input
features (`W1` `(5, 4)`, `W2` `(3, 5)`, `W3` `(1, 3)`), given below with its cost (`forward_propagation_n`) and a
backward pass (`backward_propagation_n`). **The backward pass has two bugs in it, on purpose**: your
`gradient_check_n` should find them. (Once it does, find and fix them, and check again.)

To perturb one parameter at a time, all the parameters are laid out in one column vector. The helpers do that:
`dictionary_to_vector(parameters)` returns `(theta, keys)` with `theta` of shape `(47, 1)`,
`vector_to_dictionary(theta)` turns such a vector back into the dict, and `gradients_to_vector(gradients)` lays the
gradients `dW1, db1, ..., db3` out in the same order.

For each `i` of the `47` parameters: copy the vector (`np.copy`: do not move the original), move element `i` up by
`epsilon`, evaluate the cost with `forward_propagation_n(X, Y, vector_to_dictionary(theta_plus))`; the same down; and
the centred difference gives `gradapprox[i]`. Then the relative difference of the whole vectors.
"""),
    Code('''
def relu(x):
    return np.maximum(0, x)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")
SHAPES = {"W1": (5, 4), "b1": (5, 1), "W2": (3, 5), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)}


def dictionary_to_vector(parameters):
    """(theta, keys): the parameters W1, b1, ..., b3 flattened into one (47, 1) column (given)."""
    columns, keys = [], []
    for key in KEYS:
        column = np.reshape(parameters[key], (-1, 1))
        keys += [key] * column.shape[0]
        columns.append(column)
    return np.concatenate(columns, axis=0), keys


def vector_to_dictionary(theta):
    """The inverse of dictionary_to_vector (given)."""
    parameters, start = {}, 0
    for key in KEYS:
        size = int(np.prod(SHAPES[key]))
        parameters[key] = theta[start:start + size].reshape(SHAPES[key])
        start += size
    return parameters


def gradients_to_vector(gradients):
    """dW1, db1, ..., db3 flattened into one column, in dictionary_to_vector's order (given)."""
    return np.concatenate([np.reshape(gradients["d" + key], (-1, 1)) for key in KEYS], axis=0)


def forward_propagation_n(X, Y, parameters):
    """The network's cost: returns (cost, cache) (given)."""
    m = X.shape[1]
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in KEYS)
    Z1 = np.dot(W1, X) + b1
    A1 = relu(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = relu(Z2)
    Z3 = np.dot(W3, A2) + b3
    A3 = sigmoid(Z3)
    log_probs = np.multiply(-np.log(A3), Y) + np.multiply(-np.log(1 - A3), 1 - Y)
    cost = 1.0 / m * np.sum(log_probs)
    return cost, (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)


def backward_propagation_n(X, Y, cache):
    """The network's gradients (given, WITH TWO BUGS for your gradient check to find)."""
    m = X.shape[1]
    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3 = cache
    dZ3 = A3 - Y
    dW3 = 1.0 / m * np.dot(dZ3, A2.T)
    db3 = 1.0 / m * np.sum(dZ3, axis=1, keepdims=True)
    dA2 = np.dot(W3.T, dZ3)
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dW2 = 1.0 / m * np.dot(dZ2, A1.T) * 2
    db2 = 1.0 / m * np.sum(dZ2, axis=1, keepdims=True)
    dA1 = np.dot(W2.T, dZ2)
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    dW1 = 1.0 / m * np.dot(dZ1, X.T)
    db1 = 4.0 / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
            "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}
'''),
    Code('''
def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
    """parameters: {"W1", ..., "b3"}; gradients: {"dW1", ..., "db3"} from a backward pass.

    Returns the relative difference between gradients and the centred differences of forward_propagation_n's cost.
    """
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases


@st.composite
def scalar_case(draw):
    seed = draw(seeds)
    # multiples of 1/4 and a power-of-two step: theta +- epsilon, J and the difference quotient are all exact in
    # floating point, so a right gradient_check returns exactly 0, whatever the order of its operations
    return {"x": float(values(seed, (), -3, 3, step=0.25)), "theta": float(values(seed + 1, (), -3, 3, step=0.25)),
            "epsilon": draw(st.sampled_from([2.0**-10, 2.0**-7])), "seed": seed}


@st.composite
def network_case(draw):
    m = draw(st.integers(1, 3))
    seed = draw(seeds)
    p = {}
    for i, key in enumerate(ref._KEYS):
        p[key] = values(seed + 1 + i, ref.COURSE_SHAPES[key])
        if key.startswith("b"):
            p[key] = p[key] + 0.00005  # off the 0.01 grid: the first layer's Z is never exactly 0, relu's kink
    # A step of 0.01: the truncation error of the centred difference (~1e-4 relative) decides the difference, not
    # rounding, so the learner's forward and the reference's (over scratch's layers) give the same number.
    return {"X": values(seed, (4, m)), "Y": (values(seed + 9, (1, m)) > 0).astype(np.int64), "parameters": p,
            "epsilon": draw(st.sampled_from([0.01, 0.02])), "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case


def run_forward_propagation(f, c):
    return {"J": f.forward_propagation(c["x"], c["theta"])}


def run_backward_propagation(f, c):
    return {"dtheta": f.backward_propagation(c["x"], c["theta"])}


def grad_backward_propagation(f, c):
    def fn(theta):
        J = np.asarray(f.forward_propagation(c["x"], theta), dtype=np.float64)
        return J, lambda dJ: (dJ * np.asarray(f.backward_propagation(c["x"], theta), dtype=np.float64),)
    return fn, (np.asarray(c["theta"]),), ("theta",)


def run_gradient_check(f, c):
    return {"difference": f.gradient_check(c["x"], c["theta"], c["epsilon"], False)}


def run_gradient_check_n(f, c):
    X, Y, p = c["X"], c["Y"], c["parameters"]
    _, cache = ref.forward_propagation_n(X, Y, p)
    right = ref.backward_propagation_n(X, Y, cache)
    buggy = ref.backward_propagation_n_with_course_bugs(X, Y, cache)
    return {"difference for right gradients": f.gradient_check_n(p, right, X, Y, c["epsilon"], False),
            "difference for the course's buggy ones": f.gradient_check_n(p, buggy, X, Y, c["epsilon"], False)}


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def forward_propagation_sum(x, theta):
    return theta + x


def backward_propagation_theta(x, theta):
    return theta


def _gradient_check(step=2.0, reversed_difference=False, compare_with_forward=False):
    def gradient_check(x, theta, epsilon=1e-7, print_msg=False):
        J_plus = ref.forward_propagation(x, theta + epsilon)
        J_minus = ref.forward_propagation(x, theta - epsilon)
        gradapprox = (J_minus - J_plus if reversed_difference else J_plus - J_minus) / (step * epsilon)
        grad = ref.forward_propagation(x, theta) if compare_with_forward else ref.backward_propagation(x, theta)
        return np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))
    return gradient_check


gradient_check_one_epsilon = _gradient_check(step=1.0)
gradient_check_reversed = _gradient_check(reversed_difference=True)
gradient_check_with_forward = _gradient_check(compare_with_forward=True)


def _gradient_check_n(one_sided=False, copy=True, step=2.0, denominator="sum of norms"):
    def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
        shapes = {k: np.shape(parameters[k]) for k in ref._KEYS}
        values_, _ = ref.dictionary_to_vector(parameters)
        grad = ref.gradients_to_vector(gradients)
        J0, _ = ref.forward_propagation_n(X, Y, parameters)
        gradapprox = np.zeros((values_.shape[0], 1))
        for i in range(values_.shape[0]):
            theta_plus = np.copy(values_) if copy else values_
            theta_plus[i] = theta_plus[i] + epsilon
            J_plus, _ = ref.forward_propagation_n(X, Y, ref.vector_to_dictionary(theta_plus, shapes))
            if one_sided:
                gradapprox[i] = (J_plus - J0) / epsilon
                continue
            theta_minus = np.copy(values_) if copy else values_
            theta_minus[i] = theta_minus[i] - epsilon
            J_minus, _ = ref.forward_propagation_n(X, Y, ref.vector_to_dictionary(theta_minus, shapes))
            gradapprox[i] = (J_plus - J_minus) / (step * epsilon)
        numerator = np.linalg.norm(grad - gradapprox)
        if denominator == "norm of the sum":
            return numerator / np.linalg.norm(grad + gradapprox)
        return numerator / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))
    return gradient_check_n


gradient_check_n_one_sided = _gradient_check_n(one_sided=True)
gradient_check_n_no_copy = _gradient_check_n(copy=False)
gradient_check_n_one_epsilon = _gradient_check_n(step=1.0)
gradient_check_n_norm_of_sum = _gradient_check_n(denominator="norm of the sum")


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("forward_propagation", scalar_case(), run_forward_propagation, examples=10, mistakes=[
        Mistake("J adds theta and x; this example's J multiplies them: J = theta * x", forward_propagation_sum),
    ]),
    Task("backward_propagation", scalar_case(), run_backward_propagation, grad=grad_backward_propagation,
         examples=10, mistakes=[
             Mistake("dtheta is theta; the derivative of theta * x with respect to theta is x",
                     backward_propagation_theta),
         ]),
    Task("gradient_check", scalar_case(), run_gradient_check, examples=15, atol=1e-12, mistakes=[
        Mistake("the difference quotient divides by epsilon; the two evaluations are 2 epsilon apart: "
                "(J_plus - J_minus) / (2 * epsilon)", gradient_check_one_epsilon),
        Mistake("the difference is J_minus - J_plus, which gives the gradient's opposite: J_plus - J_minus",
                gradient_check_reversed),
        Mistake("grad is the cost J itself; compare gradapprox with the backward pass, "
                "grad = backward_propagation(x, theta)", gradient_check_with_forward),
    ]),
    Task("gradient_check_n", network_case(), run_gradient_check_n, examples=8, rtol=1e-6, atol=1e-12, mistakes=[
        Mistake("the difference is one-sided, (J_plus - J) / epsilon, whose error is of order epsilon; the centred "
                "(J_plus - J_minus) / (2 epsilon) errs by epsilon^2 only", gradient_check_n_one_sided),
        Mistake("theta_plus and theta_minus are the parameter vector itself, not copies, so every step moves the "
                "original and the moves pile up: theta_plus = np.copy(parameters_values)", gradient_check_n_no_copy),
        Mistake("the difference quotient divides by epsilon; the two evaluations are 2 epsilon apart",
                gradient_check_n_one_epsilon),
        Mistake("the denominator is the norm of the sum, ||grad + gradapprox||; it is the sum of the norms, "
                "||grad|| + ||gradapprox||", gradient_check_n_norm_of_sum),
    ]),
]

LESSON = Lesson(
    name="dls/c2w1-gradcheck",
    title="Gradient checking",
    course="Deep Learning Specialization, course 2 week 1 (Gradient Checking)",
    covers="forward/backward_propagation (1-D), gradient_check, gradient_check_n over the course's buggy backward",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
