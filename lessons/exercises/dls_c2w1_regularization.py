"""Deep Learning Specialization, course 2 week 1: L2 regularisation and (inverted) dropout on a three-layer net."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.dls import c2 as ref
from lessons.reference.dls.c1 import compute_cost as _cross_entropy

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## The network

The course's three-layer classifier, examples in the columns of `X` `(n_x, m)`:

    Z1 = W1 X + b1,  A1 = relu(Z1)      Z2 = W2 A1 + b2,  A2 = relu(Z2)      Z3 = W3 A2 + b3,  A3 = sigmoid(Z3)

Its forward pass keeps everything in one tuple, `cache = (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)`. The
helpers below are given (the course has them in `reg_utils`).
"""),
    Code('''
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def compute_cost(a3, Y):
    """The mean cross-entropy of the output probabilities a3 (1, m) against the labels Y (1, m) (given)."""
    m = Y.shape[1]
    logprobs = np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y)
    return 1.0 / m * np.nansum(logprobs)


def forward_propagation(X, parameters):
    """The three-layer forward pass: returns (A3, cache) (given)."""
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = np.dot(W1, X) + b1
    A1 = relu(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = relu(Z2)
    Z3 = np.dot(W3, A2) + b3
    A3 = sigmoid(Z3)
    return A3, (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)
'''),
    Markdown("""
## 1. The L2-regularised cost

Add to the cross-entropy a penalty on the size of every weight matrix (not the biases):

    J = cross_entropy + (lambd / (2 m)) * (sum(W1^2) + sum(W2^2) + sum(W3^2))

(`lambda` is a Python keyword, hence `lambd`.)
"""),
    Code('''
def compute_cost_with_regularization(A3, Y, parameters, lambd):
    """A3: (1, m) output probabilities; Y: (1, m) labels; parameters: {"W1", ..., "b3"}; lambd: the L2 strength.

    Returns the regularised cost, a number.
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. Its backward pass

Everything is as without regularisation, except that each `dW[l]` gains the derivative of the penalty. Work it
out: what is `d/dW[l]` of `(lambd / (2 m)) * sum(W[l]^2)`? (The 2 of the square meets the 2 of `2m`.) The biases
and the `dZ`, `dA` are unchanged.

Return the dict with the course's keys, in the order of the pass:
`"dZ3", "dW3", "db3", "dA2", "dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1"`. Reminders: `dZ3 = A3 - Y`;
`dW = dZ A_prev^T / m`; `db` sums over the examples, keeping a column; `dA_prev = W^T dZ`; through a relu,
`dZ = dA * (A > 0)`.
"""),
    Code('''
def backward_propagation_with_regularization(X, Y, cache, lambd):
    """cache: (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) from forward_propagation.

    Returns gradients {"dZ3", "dW3", "db3", "dA2", "dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1"}.
    """
    raise NotImplementedError
'''),
    Markdown("""
## 3. Forward with dropout

After each of the two hidden relus, switch each unit off with probability `1 - keep_prob`, independently for each
example, and scale the survivors by `1 / keep_prob` so that the expected activation is unchanged ("inverted"
dropout: nothing to undo at test time). For `A1` (and the same for `A2`):

1. `D1 = np.random.rand(A1.shape[0], A1.shape[1])`: uniform numbers in [0, 1);
2. `D1 = (D1 < keep_prob).astype(int)`: 1 keeps a unit, with probability `keep_prob`;
3. `A1 = A1 * D1`, then `A1 = A1 / keep_prob`.

The output layer has no dropout. Start the function with `np.random.seed(1)` and draw `D1` before `D2`, as the
course does, so that your masks are the course's. The cache holds the masks too:
`(Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)`.
"""),
    Code('''
def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
    """Returns (A3, cache), cache = (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)."""
    raise NotImplementedError
'''),
    Markdown("""
## 4. Backward with dropout

The masks and the scale are constants of the forward pass, so the backward pass treats them like any constant
factor: a unit switched off in the forward pass passes no gradient back, and a surviving one passes it scaled by
`1 / keep_prob`. Where exactly does `D2` enter: on `dA2`, before or after the relu's step? (Either order gives the
same numbers here; convince yourself why.) Return the same keys as in part 2.
"""),
    Code('''
def backward_propagation_with_dropout(X, Y, cache, keep_prob):
    """cache from forward_propagation_with_dropout.

    Returns the gradients, with the keys of backward_propagation_with_regularization.
    """
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases

OFF_GRID = 0.00005  # biases off the 0.01 grid: the first layer's Z is never exactly 0, relu's kink
GRAD_KEYS = ("dZ3", "dW3", "db3", "dA2", "dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1")
PARAM_KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")


@st.composite
def network_case(draw, dropout=False):
    n = [draw(st.integers(1, 4)) for _ in range(3)] + [1]
    m = draw(st.integers(1, 4))
    seed = draw(seeds)
    p = {}
    for l in (1, 2, 3):
        p[f"W{l}"] = values(seed + l, (n[l], n[l - 1]))
        p[f"b{l}"] = values(seed + 10 + l, (n[l], 1)) + OFF_GRID
    case = {"X": values(seed, (n[0], m)), "Y": (values(seed + 20, (1, m)) > 0).astype(np.int64), "parameters": p}
    if dropout:
        case["keep_prob"] = draw(st.sampled_from([0.5, 0.7, 0.86]))
    else:
        case["lambd"] = draw(st.sampled_from([0.1, 0.7]))
    case["seed"] = seed
    return case


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences


def run_compute_cost_with_regularization(f, c):
    A3, _ = ref.three_layer_forward(c["X"], c["parameters"])
    return {"cost": f.compute_cost_with_regularization(A3, c["Y"], c["parameters"], c["lambd"])}


def run_backward_propagation_with_regularization(f, c):
    _, cache = ref.three_layer_forward(c["X"], c["parameters"])
    grads = f.backward_propagation_with_regularization(c["X"], c["Y"], cache, c["lambd"])
    return {k: grads.get(k) for k in GRAD_KEYS}


def grad_backward_propagation_with_regularization(f, c):
    def fn(*arrays):
        p = dict(zip(PARAM_KEYS, arrays))
        A3, cache = ref.three_layer_forward(c["X"], p)
        cost = np.asarray(ref.compute_cost_with_regularization(A3, c["Y"], p, c["lambd"]))
        grads = f.backward_propagation_with_regularization(c["X"], c["Y"], cache, c["lambd"])
        return cost, lambda dJ: tuple(dJ * grads["d" + k] for k in PARAM_KEYS)
    return fn, tuple(c["parameters"][k] for k in PARAM_KEYS), PARAM_KEYS


def run_forward_propagation_with_dropout(f, c):
    np.random.seed(c["seed"])  # a learner who forgets the course's np.random.seed(1) draws from here
    A3, cache = f.forward_propagation_with_dropout(c["X"], c["parameters"], c["keep_prob"])
    return {"A3": A3, "D1": cache[1], "D2": cache[6]}


def run_backward_propagation_with_dropout(f, c):
    np.random.seed(c["seed"])
    _, cache = f.forward_propagation_with_dropout(c["X"], c["parameters"], c["keep_prob"])
    grads = f.backward_propagation_with_dropout(c["X"], c["Y"], cache, c["keep_prob"])
    return {k: grads.get(k) for k in GRAD_KEYS}


def grad_backward_propagation_with_dropout(f, c):
    # The forward reseeds itself, so every evaluation draws the same masks: a smooth function of the weights.
    def fn(*arrays):
        p = dict(zip(PARAM_KEYS, arrays))
        A3, cache = f.forward_propagation_with_dropout(c["X"], p, c["keep_prob"])
        cost = np.asarray(_cross_entropy(A3, c["Y"]))
        grads = f.backward_propagation_with_dropout(c["X"], c["Y"], cache, c["keep_prob"])
        return cost, lambda dJ: tuple(dJ * grads["d" + k] for k in PARAM_KEYS)
    return fn, tuple(c["parameters"][k] for k in PARAM_KEYS), PARAM_KEYS


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def _cost(penalty):
    def compute_cost_with_regularization(A3, Y, parameters, lambd):
        m = Y.shape[1]
        return _cross_entropy(A3, Y) + penalty(parameters, lambd, m)
    return compute_cost_with_regularization


def _sum_sq(parameters, keys=("W1", "W2", "W3")):
    return sum(np.sum(np.square(parameters[k])) for k in keys)


cost_no_m = _cost(lambda p, lambd, m: lambd / 2 * _sum_sq(p))
cost_no_half = _cost(lambda p, lambd, m: lambd / m * _sum_sq(p))
cost_biases_too = _cost(lambda p, lambd, m: lambd / (2 * m) * _sum_sq(p, PARAM_KEYS))


def cost_penalty_only(A3, Y, parameters, lambd):
    return lambd / (2 * Y.shape[1]) * _sum_sq(parameters)


def _reg_backward(l2=lambda lambd, m, W: lambd / m * W, on_bias=False, layers=(1, 2, 3)):
    def backward_propagation_with_regularization(X, Y, cache, lambd):
        m = X.shape[1]
        grads = ref.backward_propagation_with_regularization(X, Y, cache, 0.0)
        W = {1: cache[2], 2: cache[6], 3: cache[10]}
        for l in layers:
            grads["dW" + str(l)] = grads["dW" + str(l)] + l2(lambd, m, W[l])
            if on_bias:
                grads["db" + str(l)] = grads["db" + str(l)] + lambd / m * {1: cache[3], 2: cache[7], 3: cache[11]}[l]
        return grads
    return backward_propagation_with_regularization


reg_backward_no_m = _reg_backward(l2=lambda lambd, m, W: lambd * W)
reg_backward_half = _reg_backward(l2=lambda lambd, m, W: lambd / (2 * m) * W)
reg_backward_biases_too = _reg_backward(on_bias=True)
reg_backward_last_layer_only = _reg_backward(layers=(3,))


def _dropout_forward(draw=np.random.rand, keep=lambda D, kp: (D < kp).astype(int), scale=True):
    def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
        np.random.seed(1)
        W1, b1, W2, b2, W3, b3 = (parameters[k] for k in PARAM_KEYS)
        Z1 = np.dot(W1, X) + b1
        A1 = np.maximum(0, Z1)
        D1 = keep(draw(A1.shape[0], A1.shape[1]), keep_prob)
        A1 = A1 * D1 / (keep_prob if scale else 1)
        Z2 = np.dot(W2, A1) + b2
        A2 = np.maximum(0, Z2)
        D2 = keep(draw(A2.shape[0], A2.shape[1]), keep_prob)
        A2 = A2 * D2 / (keep_prob if scale else 1)
        Z3 = np.dot(W3, A2) + b3
        A3 = 1 / (1 + np.exp(-Z3))
        return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)
    return forward_propagation_with_dropout


dropout_forward_no_scale = _dropout_forward(scale=False)
dropout_forward_reversed_mask = _dropout_forward(keep=lambda D, kp: (D > kp).astype(int))
dropout_forward_randn = _dropout_forward(draw=np.random.randn)


def _dropout_backward(mask=True, scale=True):
    def backward_propagation_with_dropout(X, Y, cache, keep_prob):
        Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3 = cache
        m = X.shape[1]
        dZ3 = A3 - Y
        dW3 = 1. / m * np.dot(dZ3, A2.T)
        db3 = 1. / m * np.sum(dZ3, axis=1, keepdims=True)
        dA2 = np.dot(W3.T, dZ3) * (D2 if mask else 1) / (keep_prob if scale else 1)
        dZ2 = np.multiply(dA2, np.int64(Z2 > 0))
        dW2 = 1. / m * np.dot(dZ2, A1.T)
        db2 = 1. / m * np.sum(dZ2, axis=1, keepdims=True)
        dA1 = np.dot(W2.T, dZ2) * (D1 if mask else 1) / (keep_prob if scale else 1)
        dZ1 = np.multiply(dA1, np.int64(Z1 > 0))
        dW1 = 1. / m * np.dot(dZ1, X.T)
        db1 = 1. / m * np.sum(dZ1, axis=1, keepdims=True)
        return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1,
                "dZ1": dZ1, "dW1": dW1, "db1": db1}
    return backward_propagation_with_dropout


dropout_backward_no_scale = _dropout_backward(scale=False)
dropout_backward_no_mask = _dropout_backward(mask=False)


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("compute_cost_with_regularization", network_case(), run_compute_cost_with_regularization, mistakes=[
        Mistake("the penalty lacks the 1/m: it is lambd / (2 m) * sum of the squared weights", cost_no_m),
        Mistake("the penalty lacks the 1/2: it is lambd / (2 m), not lambd / m (the 2 cancels in the gradient)",
                cost_no_half),
        Mistake("the biases are penalised too; L2 regularisation here sums the squared weights W1, W2, W3 only",
                cost_biases_too),
        Mistake("the cross-entropy is missing: the regularised cost is compute_cost(A3, Y) plus the penalty",
                cost_penalty_only),
    ]),
    Task("backward_propagation_with_regularization", network_case(), run_backward_propagation_with_regularization,
         grad=grad_backward_propagation_with_regularization, mistakes=[
             Mistake("the penalty's gradient lacks the 1/m: each dW[l] gains lambd / m * W[l]", reg_backward_no_m),
             Mistake("the penalty's gradient kept the 1/2: the derivative of W^2 brings a 2, so it is lambd / m * W, "
                     "not lambd / (2 m) * W", reg_backward_half),
             Mistake("db gains a penalty term too; the biases are not regularised, only the dW change",
                     reg_backward_biases_too),
             Mistake("only dW3 gains the penalty's gradient; every layer's weights are penalised, so dW2 and dW1 "
                     "gain lambd / m * W2 and lambd / m * W1", reg_backward_last_layer_only),
         ]),
    Task("forward_propagation_with_dropout", network_case(dropout=True), run_forward_propagation_with_dropout,
         mistakes=[
             Mistake("the kept units are not scaled by 1 / keep_prob: after A1 = A1 * D1, divide by keep_prob",
                     dropout_forward_no_scale),
             Mistake("the mask keeps the units whose draw is ABOVE keep_prob (probability 1 - keep_prob); keep "
                     "those below: D1 = (D1 < keep_prob).astype(int)", dropout_forward_reversed_mask),
             Mistake("the mask is drawn with np.random.randn (normal); the course uses np.random.rand (uniform in "
                     "[0, 1)), so that D < keep_prob has probability keep_prob", dropout_forward_randn),
         ]),
    Task("backward_propagation_with_dropout", network_case(dropout=True), run_backward_propagation_with_dropout,
         grad=grad_backward_propagation_with_dropout, mistakes=[
             Mistake("dA2 and dA1 are masked but not scaled: the forward divided by keep_prob, so the backward "
                     "divides by it too", dropout_backward_no_scale),
             Mistake("dA2 and dA1 are scaled but not masked: a unit switched off in the forward pass passes no "
                     "gradient, dA2 = dA2 * D2 / keep_prob", dropout_backward_no_mask),
         ]),
]

LESSON = Lesson(
    name="dls/c2w1-regularization",
    title="L2 regularisation and dropout",
    course="Deep Learning Specialization, course 2 week 1 (Regularization)",
    covers="compute_cost_with_regularization, backward_propagation_with_regularization, dropout forward/backward",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
