"""Deep Learning Specialization, course 1 week 3: a network with one hidden tanh layer and a sigmoid output."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.dls import c1

ref = c1.week3  # week 3's own initialize_parameters and predict (see lessons.reference.dls.c1)

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## The network

Two layers, examples in the COLUMNS of `X` `(n_x, m)`, labels `Y` `(1, m)` of 0 and 1:

    Z1 = W1 X + b1        W1 (n_h, n_x), b1 (n_h, 1)      Z1, A1: (n_h, m)
    A1 = tanh(Z1)
    Z2 = W2 A1 + b2       W2 (1, n_h),   b2 (1, 1)        Z2, A2: (1, m)
    A2 = sigmoid(Z2)

The bias columns are added to every column of the product (NumPy broadcasts them). The parameters arrive in a dict
`parameters` with keys `"W1", "b1", "W2", "b2"`. `sigmoid` is given below; `np.tanh` is NumPy's.
"""),
    Code('''
def sigmoid(x):
    """1 / (1 + exp(-x)), elementwise (given)."""
    return 1 / (1 + np.exp(-x))
'''),
    Markdown("""
## 0. Sizes and initialisation

`layer_sizes(X, Y)` reads the sizes off the data: `n_x` input features (rows of `X`), `n_y` outputs (rows of `Y`),
and this assignment's hidden size `n_h = 4`. `initialize_parameters(n_x, n_h, n_y)` draws the two weight matrices
small and random, `np.random.randn(rows, columns) * 0.01` (`W1` first), with zero bias columns. Do not seed the
generator here: the caller does (the course's tests seed before they call it).
"""),
    Code('''
def layer_sizes(X, Y):
    """Returns (n_x, n_h, n_y) with n_h = 4."""
    raise NotImplementedError


def initialize_parameters(n_x, n_h, n_y):
    """Returns {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}."""
    raise NotImplementedError
'''),
    Markdown("""
## 1. Forward propagation

Compute the four arrays above and return `A2` together with `cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}`:
the backward pass will read `A1` and `A2` from it.
"""),
    Code('''
def forward_propagation(X, parameters):
    """X: (n_x, m); parameters: {"W1", "b1", "W2", "b2"}.

    Returns (A2, cache): A2 (1, m), the output probabilities; cache = {"Z1", "A1", "Z2", "A2"}.
    """
    raise NotImplementedError
'''),
    Markdown("""
## 2. The cost

The mean cross-entropy over the `m` examples, returned as a Python `float`:

    J = -(1/m) * sum_i [ Y_i log A2_i + (1 - Y_i) log(1 - A2_i) ]

Both terms matter: for a label 0 only the second one is non-zero.
"""),
    Code('''
def compute_cost(A2, Y):
    """A2: (1, m) probabilities; Y: (1, m) labels. Returns the cost, a float."""
    raise NotImplementedError
'''),
    Markdown("""
## 3. Backward propagation

Return the gradients of `J` in a dict `grads = {"dW1", "db1", "dW2", "db2"}`, each of the shape of its parameter
(so `db1` is a column `(n_h, 1)`: sum with `keepdims=True`).

**Derivation to complete**, from the top down:

- Sigmoid followed by cross-entropy: `dJ/dZ2 = (A2 - Y) / m` (you showed this for logistic regression). Call
  `dZ2 = A2 - Y` and keep the `1/m` for the parameter gradients.
- `Z2 = W2 A1 + b2`: write `dW2` as a product of `dZ2` and `A1`. Which one is transposed to get `(1, n_h)`? What
  does `db2` sum over?
- Going down through `W2`: `dA1 = W2^T dZ2`, `(n_h, m)`.
- Through the tanh: `d tanh(z)/dz = 1 - tanh(z)^2`, and `tanh(Z1)` is already in the cache. So `dZ1 = ?`
  (an elementwise product, not a matrix product).
- Then `dW1` and `db1` exactly as for the second layer, with `X` in place of `A1`.
"""),
    Code('''
def backward_propagation(parameters, cache, X, Y):
    """parameters: {"W1", "b1", "W2", "b2"}; cache: {"Z1", "A1", "Z2", "A2"} from forward_propagation.

    Returns grads = {"dW1", "db1", "dW2", "db2"}, each shaped like its parameter.
    """
    raise NotImplementedError
'''),
    Markdown("""
## 4. One step of gradient descent

For every parameter `theta` in `W1, b1, W2, b2`: `theta = theta - learning_rate * dtheta`. Return a new dict; do
not change the caller's arrays in place (`W1 -= ...` would), as the caller may still need the old values.
"""),
    Code('''
def update_parameters(parameters, grads, learning_rate=1.2):
    """Returns the updated parameters {"W1", "b1", "W2", "b2"}."""
    raise NotImplementedError
'''),
    Markdown("""
## 5. The model, and its predictions

`nn_model` trains the network: sizes from `layer_sizes` (but the hidden size is the argument `n_h`), parameters
from `initialize_parameters`, then `num_iterations` rounds of forward, cost, backward and `update_parameters` (at
its default rate). `predict` answers `True` for the examples whose output probability is above 0.5.
"""),
    Code('''
def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
    """Returns the trained parameters {"W1", "b1", "W2", "b2"}."""
    raise NotImplementedError


def predict(parameters, X):
    """Returns predictions, a (1, m) boolean array: A2 > 0.5."""
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases


def _parameters(seed, n_x, n_h):
    return {"W1": values(seed + 1, (n_h, n_x)), "b1": values(seed + 2, (n_h, 1)),
            "W2": values(seed + 3, (1, n_h)), "b2": values(seed + 4, (1, 1))}


@st.composite
def network_case(draw):
    n_x, n_h, m = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    seed = draw(seeds)
    return {"X": values(seed, (n_x, m)), "Y": (values(seed + 5, (1, m)) > 0).astype(np.int64),
            "parameters": _parameters(seed, n_x, n_h), "seed": seed}


@st.composite
def cost_case(draw):
    m = draw(st.integers(1, 5))
    seed = draw(seeds)
    return {"A2": values(seed, (1, m), 0.01, 0.99), "Y": (values(seed + 1, (1, m)) > 0).astype(np.int64),
            "seed": seed}


@st.composite
def update_case(draw):
    n_x, n_h = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    seed = draw(seeds)
    p = _parameters(seed, n_x, n_h)
    grads = {"d" + k: values(seed + 10 + i, v.shape) for i, (k, v) in enumerate(p.items())}
    return {"parameters": p, "grads": grads, "learning_rate": draw(st.sampled_from([0.01, 0.5, 1.2])),
            "seed": seed}


@st.composite
def sizes_case(draw):
    n_x, n_y, m = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    seed = draw(seeds)
    return {"X": values(seed, (n_x, m)), "Y": values(seed + 1, (n_y, m)), "n_h": draw(st.integers(1, 5)),
            "seed": seed}


@st.composite
def model_case(draw):
    case = draw(network_case())
    case["n_h"] = case["parameters"]["W1"].shape[0]
    case["num_iterations"] = draw(st.sampled_from([1, 2, 20]))
    return case


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences

CACHE_KEYS = ("Z1", "A1", "Z2", "A2")


def run_layer_sizes(f, c):
    return {"(n_x, n_h, n_y)": list(f.layer_sizes(c["X"], c["Y"]))}


def run_initialize_parameters(f, c):
    np.random.seed(c["seed"])  # the caller's seed, as in the course's tests
    p = f.initialize_parameters(c["X"].shape[0], c["n_h"], c["Y"].shape[0])
    return {k: p.get(k) for k in ("W1", "b1", "W2", "b2")}


def run_nn_model(f, c):
    np.random.seed(c["seed"])
    p = f.nn_model(c["X"], c["Y"], c["n_h"], num_iterations=c["num_iterations"], print_cost=False)
    return {k: p.get(k) for k in ("W1", "b1", "W2", "b2")}


def run_predict(f, c):
    return {"predictions": f.predict(c["parameters"], c["X"])}


def run_forward_propagation(f, c):
    A2, cache = f.forward_propagation(c["X"], c["parameters"])
    return {"A2": A2, "cache": {k: cache.get(k) for k in CACHE_KEYS}}


def run_compute_cost(f, c):
    return {"cost": f.compute_cost(c["A2"], c["Y"])}


def run_backward_propagation(f, c):
    _, cache = f.forward_propagation(c["X"], c["parameters"])
    grads = f.backward_propagation(c["parameters"], cache, c["X"], c["Y"])
    return {k: grads.get(k) for k in ("dW1", "db1", "dW2", "db2")}


def grad_backward_propagation(f, c):
    def fn(W1, b1, W2, b2):
        p = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
        A2, cache = f.forward_propagation(c["X"], p)
        cost = np.asarray(ref.compute_cost(A2, c["Y"]))
        grads = f.backward_propagation(p, cache, c["X"], c["Y"])
        return cost, lambda dJ: tuple(dJ * grads[k] for k in ("dW1", "db1", "dW2", "db2"))
    p = c["parameters"]
    return fn, (p["W1"], p["b1"], p["W2"], p["b2"]), ("W1", "b1", "W2", "b2")


def run_update_parameters(f, c):
    # a new dict: replacing its entries is the learner's business, changing its arrays in place is not
    new = f.update_parameters(dict(c["parameters"]), c["grads"], learning_rate=c["learning_rate"])
    return {k: new.get(k) for k in ("W1", "b1", "W2", "b2")}


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def layer_sizes_examples(X, Y):
    return (X.shape[1], 4, Y.shape[0])


def layer_sizes_hidden_from_data(X, Y):
    return (X.shape[0], X.shape[0], Y.shape[0])


def _init(scale=0.01, seed=None):
    def initialize_parameters(n_x, n_h, n_y):
        if seed is not None:
            np.random.seed(seed)
        return {"W1": np.random.randn(n_h, n_x) * scale, "b1": np.zeros((n_h, 1)),
                "W2": np.random.randn(n_y, n_h) * scale, "b2": np.zeros((n_y, 1))}
    return initialize_parameters


initialize_unscaled = _init(scale=1.0)
initialize_seeds_itself = _init(seed=2)


def _nn_model(fixed_hidden=False, keep_updates=True):
    def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
        n_x, hidden, n_y = ref.layer_sizes(X, Y)
        parameters = ref.initialize_parameters(n_x, hidden if fixed_hidden else n_h, n_y)
        for _ in range(num_iterations):
            A2, cache = ref.forward_propagation(X, parameters)
            grads = ref.backward_propagation(parameters, cache, X, Y)
            updated = ref.update_parameters(parameters, grads)
            if keep_updates:
                parameters = updated
        return parameters
    return nn_model


nn_model_fixed_hidden = _nn_model(fixed_hidden=True)
nn_model_updates_dropped = _nn_model(keep_updates=False)


def predict_probabilities(parameters, X):
    A2, _ = ref.forward_propagation(X, parameters)
    return A2


def forward_sigmoid_hidden(X, parameters):
    Z1 = np.dot(parameters["W1"], X) + parameters["b1"]
    A1 = sigmoid(Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def forward_tanh_output(X, parameters):
    Z1 = np.dot(parameters["W1"], X) + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = np.tanh(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def forward_no_bias(X, parameters):
    Z1 = np.dot(parameters["W1"], X)
    A1 = np.tanh(Z1)
    Z2 = np.dot(parameters["W2"], A1)
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def cost_positive_term_only(A2, Y):
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(A2)) / m)


def cost_no_mean(A2, Y):
    return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))


def cost_no_minus(A2, Y):
    m = Y.shape[1]
    return float(np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)


def _backward(dtanh=lambda A1, Z1: 1 - np.power(A1, 2), mean=True, keepdims=True, dW2_transposed=False):
    def backward_propagation(parameters, cache, X, Y):
        m = X.shape[1] if mean else 1
        W2, A1, A2 = parameters["W2"], cache["A1"], cache["A2"]
        dZ2 = A2 - Y
        dW2 = np.dot(A1, dZ2.T) / m if dW2_transposed else np.dot(dZ2, A1.T) / m
        db2 = np.sum(dZ2, axis=1, keepdims=keepdims) / m
        dZ1 = np.dot(W2.T, dZ2) * dtanh(A1, cache["Z1"])
        dW1 = np.dot(dZ1, X.T) / m
        db1 = np.sum(dZ1, axis=1, keepdims=keepdims) / m
        return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
    return backward_propagation


backward_no_mean = _backward(mean=False)
backward_db_flat = _backward(keepdims=False)
backward_sigmoid_derivative = _backward(dtanh=lambda A1, Z1: A1 * (1 - A1))
backward_tanh_twice = _backward(dtanh=lambda A1, Z1: 1 - np.tanh(A1) ** 2)
backward_dW2_transposed = _backward(dW2_transposed=True)


def update_ascent(parameters, grads, learning_rate=1.2):
    return {k: v + learning_rate * grads["d" + k] for k, v in parameters.items()}


def update_fixed_rate(parameters, grads, learning_rate=1.2):
    return {k: v - 1.2 * grads["d" + k] for k, v in parameters.items()}


def update_in_place(parameters, grads, learning_rate=1.2):
    for k in parameters:
        parameters[k] -= learning_rate * grads["d" + k]
    return parameters


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("layer_sizes", sizes_case(), run_layer_sizes, exact=True, examples=10, mistakes=[
        Mistake("n_x counts the examples (columns of X); it is the number of features, the rows: X.shape[0]",
                layer_sizes_examples),
        Mistake("n_h is taken from the data; this assignment fixes the hidden size at 4", layer_sizes_hidden_from_data),
    ]),
    Task("initialize_parameters", sizes_case(), run_initialize_parameters, examples=10, mistakes=[
        Mistake("the weights are not multiplied by 0.01: np.random.randn(n_h, n_x) * 0.01", initialize_unscaled),
        Mistake("initialize_parameters seeds the generator itself; in this assignment the caller seeds it (the "
                "course's test of nn_model seeds 3 before calling), so remove the np.random.seed line",
                initialize_seeds_itself),
    ]),
    Task("forward_propagation", network_case(), run_forward_propagation, mistakes=[
        Mistake("the hidden layer uses the sigmoid; this network's hidden activation is tanh: A1 = np.tanh(Z1)",
                forward_sigmoid_hidden),
        Mistake("the output layer uses tanh; it needs the sigmoid, to give a probability: A2 = sigmoid(Z2)",
                forward_tanh_output),
        Mistake("the biases are never added: Z1 = W1 X + b1 and Z2 = W2 A1 + b2", forward_no_bias),
    ]),
    Task("compute_cost", cost_case(), run_compute_cost, mistakes=[
        Mistake("only the Y log A2 term is summed; the examples labelled 0 need (1 - Y) log(1 - A2) too",
                cost_positive_term_only),
        Mistake("the cost is summed over the examples, not averaged: multiply by 1/m", cost_no_mean),
        Mistake("the cost is missing its minus sign (logs of probabilities are negative)", cost_no_minus),
    ]),
    Task("backward_propagation", network_case(), run_backward_propagation, grad=grad_backward_propagation,
         mistakes=[
             Mistake("the 1/m is missing: the cost is a mean over the m examples, so every dW and db is divided "
                     "by m", backward_no_mean),
             Mistake("db1 and db2 lost their column shape: np.sum(dZ, axis=1, keepdims=True)", backward_db_flat),
             Mistake("dZ1 uses the sigmoid's derivative A1 (1 - A1); the hidden layer is tanh, whose derivative "
                     "is 1 - A1^2", backward_sigmoid_derivative),
             Mistake("dZ1 applies tanh to A1 again: A1 is already tanh(Z1), so the derivative is 1 - A1^2, "
                     "not 1 - tanh(A1)^2", backward_tanh_twice),
             Mistake("dW2 is A1 dZ2^T / m, the transpose; dW2 = dZ2 A1^T / m has W2's shape (1, n_h)",
                     backward_dW2_transposed),
         ]),
    Task("update_parameters", update_case(), run_update_parameters, mistakes=[
        Mistake("the step goes uphill: subtract, theta = theta - learning_rate * dtheta", update_ascent),
        Mistake("the learning rate is fixed at 1.2; use the learning_rate argument", update_fixed_rate),
        Mistake("the parameters are changed in place (W1 -= ...): build new arrays, W1 = W1 - learning_rate * dW1",
                update_in_place),
    ]),
    Task("nn_model", model_case(), run_nn_model, examples=15, mistakes=[
        Mistake("the hidden size comes from layer_sizes (always 4); use the argument n_h", nn_model_fixed_hidden),
        Mistake("update_parameters' result is thrown away, so the parameters never change: "
                "parameters = update_parameters(parameters, grads)", nn_model_updates_dropped),
    ]),
    Task("predict", network_case(), run_predict, exact=True, mistakes=[
        Mistake("these are the probabilities A2; the predictions are A2 > 0.5", predict_probabilities),
    ]),
]

LESSON = Lesson(
    name="dls/c1w3-shallow",
    title="A network with one hidden layer",
    course="Deep Learning Specialization, course 1 week 3 (Planar data classification with one hidden layer)",
    covers="layer_sizes, initialize_parameters, forward/backward_propagation, cost, update, nn_model, predict",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
