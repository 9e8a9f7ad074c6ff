"""Deep Learning Specialization, course 1 week 2: logistic regression written as a one-neuron network."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.dls import c1 as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## 1. The sigmoid

Logistic regression squeezes a score `z` into a probability with

    sigmoid(z) = 1 / (1 + e^(-z))

It must work elementwise on an array of any shape, and on a plain number. Its outputs lie strictly between 0 and 1,
and `sigmoid(0) = 0.5`. (Watch the parentheses: `1/1+np.exp(-z)` is not the sigmoid.)
"""),
    Code('''
def sigmoid(z):
    """sigmoid(z) = 1 / (1 + exp(-z)), elementwise.

    z: a number or an array of any shape. Returns s of the same shape.
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. Starting from zero

The weights of logistic regression form ONE column, `w` of shape `(dim, 1)`, and the bias is a single number `b`.
Start both at zero: a column of zeros, and the float `0.0` (not the integer `0`).

(Zero is a fine start here, unlike in a network with hidden layers: with a single unit there is no symmetry to
break.)
"""),
    Code('''
def initialize_with_zeros(dim):
    """Returns (w, b): w zeros of shape (dim, 1), b the float 0.0."""
    raise NotImplementedError
'''),
    Markdown("""
## 3. One forward and backward pass: `propagate`

The examples are the COLUMNS of `X`, of shape `(n_x, m)`; the labels `Y`, of shape `(1, m)`, are 0 or 1.

    A = sigmoid(w^T X + b)                                   (1, m): one probability per example
    J = -(1/m) * sum_i [ Y_i log A_i + (1 - Y_i) log(1 - A_i) ]  the mean cross-entropy

Return the gradients `dw = dJ/dw` (shape of `w`) and `db = dJ/db` (a number) in a dict, and the cost.

**Derivation to complete.** Write `z_i = w^T x_i + b` for one example and `L_i` for its loss.

- Show that `dL_i/dA_i = -Y_i / A_i + (1 - Y_i) / (1 - A_i)` and that `dA_i/dz_i = A_i (1 - A_i)`. What does their
  product `dL_i/dz_i` simplify to? (It is remarkably short.)
- `z_i` depends on `w[k]` through `x_i[k]` and on `b` with slope 1. The cost `J` is the MEAN of the `L_i`: where
  does the `1/m` go?
- Write `dw` for all examples at once as one matrix product of `X` and the row `(A - Y)`. Which of the two needs a
  transpose so that the result has the shape `(n_x, 1)` of `w`?
"""),
    Code('''
def propagate(w, b, X, Y):
    """Cost and gradients of logistic regression.

    w: (n_x, 1) weights; b: a number; X: (n_x, m) examples in columns; Y: (1, m) labels 0/1.
    Returns (grads, cost): grads = {"dw": (n_x, 1) array, "db": a number}; cost: the mean cross-entropy.
    """
    raise NotImplementedError
'''),
    Markdown("""
## 4. Gradient descent: `optimize`

Repeat `num_iterations` times: call `propagate`, then step downhill,

    w = w - learning_rate * dw          b = b - learning_rate * db

Keep the cost of every 100th iteration (iterations 0, 100, 200, ...) in a list `costs`, to plot the learning curve
later. Return `params = {"w": w, "b": b}`, the gradients of the last iteration in `grads = {"dw", "db"}`, and
`costs`. Work on copies of `w` and `b`: the caller's arrays should not change under them.
"""),
    Code('''
def optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):
    """Gradient descent on the logistic-regression cost.

    Returns (params, grads, costs): params = {"w", "b"} after the last step, grads = {"dw", "db"} of the last
    step, costs = the cost at iterations 0, 100, 200, ... (a list).
    """
    raise NotImplementedError
'''),
    Markdown("""
## 5. Predicting labels

With trained `w` and `b`, the model says "1" for an example whose probability `sigmoid(w^T x + b)` is above `0.5`,
and "0" otherwise (exactly `0.5` counts as 0). Return the labels as a `(1, m)` array of floats.
"""),
    Code('''
def predict(w, b, X):
    """Returns Y_prediction, a (1, m) array of 0.0 / 1.0."""
    raise NotImplementedError
'''),
    Markdown("""
## 6. The whole model

Put the pieces together: start from zeros (as many weights as `X_train` has rows), run `optimize` on the training
set, and predict the labels of both sets with the trained `w`, `b`. Return the dict

    {"costs": costs, "Y_prediction_test": ..., "Y_prediction_train": ..., "w": w, "b": b,
     "learning_rate": learning_rate, "num_iterations": num_iterations}
"""),
    Code('''
def model(X_train, Y_train, X_test, Y_test, num_iterations=2000, learning_rate=0.5, print_cost=False):
    """Trains logistic regression on (X_train, Y_train) and predicts both sets. Returns the dict above."""
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases


@st.composite
def scores_case(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    seed = draw(seeds)
    return {"z": values(seed, shape, -5, 5), "seed": seed}


@st.composite
def dim_case(draw):
    return {"dim": draw(st.integers(1, 6)), "seed": draw(seeds)}


def _logistic(draw, *, labels=True):
    n, m = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    seed = draw(seeds)
    case = {"w": values(seed, (n, 1), -1, 1), "b": float(values(seed + 1, ())), "X": values(seed + 2, (n, m))}
    if labels:
        case["Y"] = (values(seed + 3, (1, m)) > 0).astype(np.int64)
    case["seed"] = seed
    return case


@st.composite
def logistic_case(draw):
    return _logistic(draw)


@st.composite
def optimize_case(draw):
    case = _logistic(draw)
    case["num_iterations"] = draw(st.sampled_from([1, 2, 3, 101]))
    case["learning_rate"] = draw(st.sampled_from([0.009, 0.1, 0.5]))
    return case


@st.composite
def predict_case(draw):
    return _logistic(draw, labels=False)


@st.composite
def model_case(draw):
    n, m, m_test = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 3))
    seed = draw(seeds)
    return {"X_train": values(seed, (n, m)), "Y_train": (values(seed + 1, (1, m)) > 0).astype(np.int64),
            "X_test": values(seed + 2, (n, m_test)), "Y_test": (values(seed + 3, (1, m_test)) > 0).astype(np.int64),
            "num_iterations": draw(st.sampled_from([1, 3, 50])), "learning_rate": draw(st.sampled_from([0.01, 0.5])),
            "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences


def run_sigmoid(f, c):
    return {"s": f.sigmoid(c["z"])}


def run_initialize_with_zeros(f, c):
    w, b = f.initialize_with_zeros(c["dim"])
    return {"w": w, "b": b, "type of b": type(b).__name__}


def run_propagate(f, c):
    grads, cost = f.propagate(c["w"], c["b"], c["X"], c["Y"])
    return {"dw": grads["dw"], "db": grads["db"], "cost": cost}


def grad_propagate(f, c):
    def fn(w, b):
        grads, cost = f.propagate(w, float(b), c["X"], c["Y"])
        return np.asarray(cost, dtype=np.float64), lambda dcost: (dcost * grads["dw"], dcost * np.asarray(grads["db"]))
    return fn, (c["w"], np.asarray(c["b"])), ("w", "b")


def run_optimize(f, c):
    params, grads, costs = f.optimize(c["w"], c["b"], c["X"], c["Y"], num_iterations=c["num_iterations"],
                                      learning_rate=c["learning_rate"], print_cost=False)
    return {"w": params["w"], "b": params["b"], "dw": grads["dw"], "db": grads["db"],
            "costs": np.array([float(np.squeeze(k)) for k in costs])}


def run_predict(f, c):
    return {"Y_prediction": f.predict(c["w"], c["b"], c["X"])}


def run_model(f, c):
    d = f.model(c["X_train"], c["Y_train"], c["X_test"], c["Y_test"], num_iterations=c["num_iterations"],
                learning_rate=c["learning_rate"], print_cost=False)
    return {"w": d.get("w"), "b": d.get("b"), "costs": np.array([float(np.squeeze(k)) for k in d.get("costs", [])]),
            "Y_prediction_train": d.get("Y_prediction_train"), "Y_prediction_test": d.get("Y_prediction_test"),
            "learning_rate": d.get("learning_rate"), "num_iterations": d.get("num_iterations")}


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def sigmoid_no_parentheses(z):
    return 1 / 1 + np.exp(-z)


def sigmoid_wrong_sign(z):
    return 1 / (1 + np.exp(z))


def initialize_with_zeros_flat(dim):
    return np.zeros(dim), 0.0


def initialize_with_zeros_int_bias(dim):
    return np.zeros((dim, 1)), 0


def _forward(w, b, X):
    return 1 / (1 + np.exp(-(np.dot(w.T, X) + b)))


def _cost(A, Y):
    m = Y.shape[1]
    return np.squeeze(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)


def propagate_no_mean(w, b, X, Y):
    A = _forward(w, b, X)
    return {"dw": np.dot(X, (A - Y).T), "db": np.sum(A - Y)}, _cost(A, Y)


def propagate_dw_transposed(w, b, X, Y):
    m = X.shape[1]
    A = _forward(w, b, X)
    return {"dw": np.dot(A - Y, X.T) / m, "db": np.sum(A - Y) / m}, _cost(A, Y)


def propagate_cost_sign(w, b, X, Y):
    m = X.shape[1]
    A = _forward(w, b, X)
    cost = np.squeeze(np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)
    return {"dw": np.dot(X, (A - Y).T) / m, "db": np.sum(A - Y) / m}, cost


def propagate_y_minus_a(w, b, X, Y):
    m = X.shape[1]
    A = _forward(w, b, X)
    return {"dw": np.dot(X, (Y - A).T) / m, "db": np.sum(Y - A) / m}, _cost(A, Y)


def propagate_no_bias(w, b, X, Y):
    m = X.shape[1]
    A = 1 / (1 + np.exp(-np.dot(w.T, X)))
    return {"dw": np.dot(X, (A - Y).T) / m, "db": np.sum(A - Y) / m}, _cost(A, Y)


def _optimize(update_b=True, sign=1.0, every=100):
    def optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):
        w = w.copy()
        costs = []
        for i in range(num_iterations):
            grads, cost = ref.propagate(w, b, X, Y)
            w = w - sign * learning_rate * grads["dw"]
            if update_b:
                b = b - sign * learning_rate * grads["db"]
            if i % every == 0:
                costs.append(cost)
        return {"w": w, "b": b}, grads, costs
    return optimize


optimize_b_frozen = _optimize(update_b=False)
optimize_ascent = _optimize(sign=-1.0)
optimize_cost_every_step = _optimize(every=1)


def predict_no_bias(w, b, X):
    A = 1 / (1 + np.exp(-np.dot(w.T, X)))
    return (A > 0.5).astype(float)


def predict_probabilities(w, b, X):
    return _forward(w, b, X)


def predict_threshold_on_z(w, b, X):
    return ((np.dot(w.T, X) + b) > 0.5).astype(float)


def _model(swap_sets=False, fixed_rate=None):
    def model(X_train, Y_train, X_test, Y_test, num_iterations=2000, learning_rate=0.5, print_cost=False):
        w, b = ref.initialize_with_zeros(X_train.shape[0])
        params, grads, costs = ref.optimize(w, b, X_train, Y_train, num_iterations, fixed_rate or learning_rate)
        w, b = params["w"], params["b"]
        train, test = (X_test, X_train) if swap_sets else (X_train, X_test)
        return {"costs": costs, "Y_prediction_test": ref.predict(w, b, test),
                "Y_prediction_train": ref.predict(w, b, train), "w": w, "b": b, "learning_rate": learning_rate,
                "num_iterations": num_iterations}
    return model


model_sets_swapped = _model(swap_sets=True)
model_default_rate = _model(fixed_rate=0.5)


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("sigmoid", scores_case(), run_sigmoid, mistakes=[
        Mistake("1/1+np.exp(-z) is read as (1/1) + exp(-z): put the whole denominator in parentheses, "
                "1 / (1 + np.exp(-z))", sigmoid_no_parentheses),
        Mistake("the exponent has the wrong sign: sigmoid(z) = 1 / (1 + exp(-z)), so sigmoid(2) is above 0.5",
                sigmoid_wrong_sign),
    ]),
    Task("initialize_with_zeros", dim_case(), run_initialize_with_zeros, exact=True, examples=6, mistakes=[
        Mistake("w is a flat vector of shape (dim,); the course keeps it a column: np.zeros((dim, 1))",
                initialize_with_zeros_flat),
        Mistake("b is the integer 0; the course asks for the float 0.0", initialize_with_zeros_int_bias),
    ]),
    Task("propagate", logistic_case(), run_propagate, grad=grad_propagate, mistakes=[
        Mistake("dw and db are sums over the examples, but the cost is their mean: divide both by m",
                propagate_no_mean),
        Mistake("dw is (A - Y) X^T, a row (1, n_x): the transpose of the answer. dw = X (A - Y)^T / m has w's "
                "shape (n_x, 1)", propagate_dw_transposed),
        Mistake("the cost is missing its minus sign: the log of a probability is negative, and the cost "
                "-mean(Y log A + (1 - Y) log(1 - A)) is positive", propagate_cost_sign),
        Mistake("dw and db have the wrong sign: dL/dz = A - Y (prediction minus label), not Y - A",
                propagate_y_minus_a),
        Mistake("the bias b is never added: A = sigmoid(w^T X + b)", propagate_no_bias),
    ]),
    Task("optimize", optimize_case(), run_optimize, examples=20, mistakes=[
        Mistake("b is never updated: step it too, b = b - learning_rate * db", optimize_b_frozen),
        Mistake("the step goes uphill: subtract the gradient, w = w - learning_rate * dw", optimize_ascent),
        Mistake("the cost is recorded at every iteration; the course keeps one every 100 (if i % 100 == 0)",
                optimize_cost_every_step),
    ]),
    Task("predict", predict_case(), run_predict, exact=True, mistakes=[
        Mistake("the bias b is left out of the probability: A = sigmoid(w^T X + b)", predict_no_bias),
        Mistake("these are the probabilities A themselves; turn them into labels: 1.0 where A > 0.5, else 0.0",
                predict_probabilities),
        Mistake("the threshold 0.5 is applied to w^T X + b; it is for the probability sigmoid(w^T X + b) (the "
                "score's own threshold would be 0)", predict_threshold_on_z),
    ]),
    Task("model", model_case(), run_model, examples=15, mistakes=[
        Mistake("the two predictions are swapped: Y_prediction_test = predict(w, b, X_test) and "
                "Y_prediction_train = predict(w, b, X_train)", model_sets_swapped),
        Mistake("optimize runs with the learning rate 0.5 whatever model is given: pass learning_rate on",
                model_default_rate),
    ]),
]

LESSON = Lesson(
    name="dls/c1w2-logistic",
    title="Logistic regression as a neural network",
    course="Deep Learning Specialization, course 1 week 2 (Logistic Regression with a Neural Network mindset)",
    covers="sigmoid, initialize_with_zeros, propagate, optimize, predict, model",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
