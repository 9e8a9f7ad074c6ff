"""Deep Learning Specialization, course 1 week 4: an L-layer network, built one step at a time."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.dls import c1 as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## The plan

An L-layer network: `L - 1` layers `LINEAR -> RELU`, then one `LINEAR -> SIGMOID` giving a probability per example.
Examples are the COLUMNS: `A[0] = X` is `(n_0, m)`, layer `l` has `W[l]` `(n_l, n_{l-1})` and a bias column `b[l]`
`(n_l, 1)`, stored in `parameters["W" + str(l)]`, `parameters["b" + str(l)]`.

Every forward step returns its output and a cache of what its backward step will need; every backward step takes
the gradient of its output and that cache. The caches here are tuples:

    linear_cache = (A_prev, W, b)          activation_cache = Z          cache = (linear_cache, activation_cache)

The activations and their backward steps are given below (the course gives them in `dnn_utils`).
"""),
    Code('''
def sigmoid(Z):
    """Returns (A, cache): A = 1 / (1 + exp(-Z)), cache = Z (given)."""
    return 1 / (1 + np.exp(-Z)), Z


def relu(Z):
    """Returns (A, cache): A = max(Z, 0), cache = Z (given)."""
    return np.maximum(0, Z), Z


def relu_backward(dA, cache):
    """dZ = dA where Z > 0, else 0 (given)."""
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA, cache):
    """dZ = dA * s * (1 - s) with s = sigmoid(Z) (given)."""
    s = 1 / (1 + np.exp(-cache))
    return dA * s * (1 - s)
'''),
    Markdown("""
## 0. Initialisation

Small random weights break the symmetry between the units of a layer; zero biases are fine. First for a two-layer
network, then for any list `layer_dims = [n_0, n_1, ..., n_L]`:

    W[l] = np.random.randn(n_l, n_{l-1}) * 0.01          b[l] = np.zeros((n_l, 1))

Seed NumPy's generator as the course does, so that your numbers are the course's: `np.random.seed(1)` at the start
of `initialize_parameters`, `np.random.seed(3)` at the start of `initialize_parameters_deep`, then draw the weights
in layer order.
"""),
    Code('''
def initialize_parameters(n_x, n_h, n_y):
    """Returns {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}."""
    raise NotImplementedError


def initialize_parameters_deep(layer_dims):
    """Returns {"W1", "b1", ..., "WL", "bL"}: W[l] (n_l, n_{l-1}) small random, b[l] (n_l, 1) zeros."""
    raise NotImplementedError
'''),
    Markdown("""
## 1. Forward, one layer at a time

    Z = W A_prev + b                (n_l, m)
    A = g(Z)                         g = relu for the hidden layers, sigmoid for the last

`linear_forward` returns `(Z, (A_prev, W, b))`; `linear_activation_forward` returns `(A, (linear_cache, Z))`, with
`activation` the string `"relu"` or `"sigmoid"`. `L_model_forward` runs them all, layer 1 to L, and returns the last
`A` (call it `AL`, shape `(1, m)`) with the list of the L caches, in order. The number of layers is
`len(parameters) // 2`.
"""),
    Code('''
def linear_forward(A, W, b):
    """Returns (Z, cache): Z = W A + b, cache = (A, W, b)."""
    raise NotImplementedError


def linear_activation_forward(A_prev, W, b, activation):
    """Returns (A, cache): A = g(W A_prev + b) for activation "sigmoid" or "relu"; cache = (linear_cache, Z)."""
    raise NotImplementedError


def L_model_forward(X, parameters):
    """[LINEAR -> RELU] x (L - 1) -> LINEAR -> SIGMOID. Returns (AL, caches), caches a list of L caches."""
    raise NotImplementedError
'''),
    Markdown("""
## 2. The cost

    J = -(1/m) * sum_i [ Y_i log AL_i + (1 - Y_i) log(1 - AL_i) ]

(Return it squeezed to a single number: `np.squeeze(cost)`.)
"""),
    Code('''
def compute_cost(AL, Y):
    """AL: (1, m) probabilities; Y: (1, m) labels 0/1. Returns the cross-entropy cost."""
    raise NotImplementedError
'''),
    Markdown("""
## 3. Backward, one layer at a time

**The linear step.** You get `dZ = dJ/dZ` of shape `(n_l, m)` and `cache = (A_prev, W, b)`. The cost is a mean over
the `m` examples; by the course's convention the `1/m` is applied here, to `dW` and `db`:

- `Z[j, i] = sum_k W[j, k] A_prev[k, i] + b[j]`: which `Z` entries does `W[j, k]` touch, and with what slope? Write
  `dW` as one matrix product (and the `1/m`), of the shape of `W`.
- `db` sums `dZ` over ... which axis? Keep it a column.
- `dA_prev = ?` (a product with `W`; no `1/m` here: the layer below divides its own `dW`).

**With the activation.** First `dZ = relu_backward(dA, Z)` or `sigmoid_backward(dA, Z)`, then the linear step.

**The whole network.** The chain starts at the output with the derivative of the cross-entropy with respect to
`AL` (work it out from the cost: `dAL = -(Y / AL - (1 - Y) / (1 - AL))`, without the `1/m`). Then go down from layer
`L` (sigmoid) to layer 1 (relu), feeding each layer the `dA_prev` of the one above. Store the results in a dict
with the course's keys: layer `l`'s gradients are `grads["dW" + str(l)]`, `grads["db" + str(l)]`, and the gradient
of its INPUT `A[l-1]` is `grads["dA" + str(l - 1)]` (so the dict has `dA0`, ..., `dA{L-1}`).
"""),
    Code('''
def linear_backward(dZ, cache):
    """dZ: (n_l, m); cache = (A_prev, W, b). Returns (dA_prev, dW, db), shaped like A_prev, W, b."""
    raise NotImplementedError


def linear_activation_backward(dA, cache, activation):
    """cache = (linear_cache, activation_cache); activation "relu" or "sigmoid". Returns (dA_prev, dW, db)."""
    raise NotImplementedError


def L_model_backward(AL, Y, caches):
    """Returns grads with keys "dA{l-1}", "dW{l}", "db{l}" for l = 1, ..., L."""
    raise NotImplementedError
'''),
    Markdown("""
## 4. Gradient descent

`W[l] = W[l] - learning_rate * dW[l]` and `b[l] = b[l] - learning_rate * db[l]` for every layer. Return a new dict
and leave the caller's arrays unchanged (copy first, or build new arrays).
"""),
    Code('''
def update_parameters(params, grads, learning_rate):
    """Returns the updated parameters {"W1", "b1", ..., "WL", "bL"}."""
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases

# Biases sit half a grid step (0.00005) off the 0.01 grid: W A_prev is a multiple of 0.0001 in exact arithmetic, so
# the first layer's Z can never be exactly 0, relu's kink, where central differences cannot check a gradient.
OFF_GRID = 0.00005


@st.composite
def linear_case(draw, activation=False):
    n_prev, n, m = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    seed = draw(seeds)
    case = {"A_prev": values(seed, (n_prev, m)), "W": values(seed + 1, (n, n_prev)),
            "b": values(seed + 2, (n, 1)) + OFF_GRID}
    if activation:
        case["activation"] = draw(st.sampled_from(["sigmoid", "relu"]))
    case["seed"] = seed
    return case


@st.composite
def sizes_case(draw):
    return {"n_x": draw(st.integers(1, 4)), "n_h": draw(st.integers(1, 4)), "n_y": draw(st.integers(1, 3)),
            "seed": draw(seeds)}


@st.composite
def dims_case(draw):
    return {"layer_dims": draw(st.lists(st.integers(1, 5), min_size=2, max_size=4)), "seed": draw(seeds)}


def _network(seed, dims):
    p = {}
    for l in range(1, len(dims)):
        p[f"W{l}"] = values(seed + 2 * l, (dims[l], dims[l - 1]))
        p[f"b{l}"] = values(seed + 2 * l + 1, (dims[l], 1)) + OFF_GRID
    return p


@st.composite
def network_case(draw):
    dims = [*draw(st.lists(st.integers(1, 4), min_size=2, max_size=4)), 1]
    m = draw(st.integers(1, 4))
    seed = draw(seeds)
    return {"X": values(seed, (dims[0], m)), "Y": (values(seed + 1, (1, m)) > 0).astype(np.int64),
            "parameters": _network(seed, dims), "seed": seed}


@st.composite
def cost_case(draw):
    m = draw(st.integers(1, 5))
    seed = draw(seeds)
    return {"AL": values(seed, (1, m), 0.01, 0.99), "Y": (values(seed + 1, (1, m)) > 0).astype(np.int64),
            "seed": seed}


@st.composite
def update_case(draw):
    dims = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    seed = draw(seeds)
    p = _network(seed, dims)
    grads = {"d" + k: values(seed + 50 + i, v.shape) for i, (k, v) in enumerate(p.items())}
    return {"params": p, "grads": grads, "learning_rate": draw(st.sampled_from([0.01, 0.1, 0.75])), "seed": seed}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences
#
# The course's dW, db are gradients of the MEAN over the m examples, while the checker's central differences are of
# sum(Z * dZ): the single-layer gradchecks compare m * dW and m * db.


def run_initialize_parameters(f, c):
    np.random.seed(c["seed"])  # a learner who forgets the course's own seed draws from here
    p = f.initialize_parameters(c["n_x"], c["n_h"], c["n_y"])
    return {k: p.get(k) for k in ("W1", "b1", "W2", "b2")}


def run_initialize_parameters_deep(f, c):
    np.random.seed(c["seed"])
    p = f.initialize_parameters_deep(list(c["layer_dims"]))
    return {k: p.get(k) for l in range(1, len(c["layer_dims"])) for k in (f"W{l}", f"b{l}")}


def run_linear_forward(f, c):
    Z, _ = f.linear_forward(c["A_prev"], c["W"], c["b"])
    return {"Z": Z}


def run_linear_activation_forward(f, c):
    A, _ = f.linear_activation_forward(c["A_prev"], c["W"], c["b"], c["activation"])
    return {"A": A}


def run_L_model_forward(f, c):
    AL, caches = f.L_model_forward(c["X"], c["parameters"])
    return {"AL": AL, "number of caches": len(caches)}


def run_compute_cost(f, c):
    return {"cost": f.compute_cost(c["AL"], c["Y"])}


def run_linear_backward(f, c):
    Z, cache = f.linear_forward(c["A_prev"], c["W"], c["b"])
    dA_prev, dW, db = f.linear_backward(f.upstream(Z, "dZ"), cache)
    return {"dA_prev": dA_prev, "dW": dW, "db": db}


def grad_linear_backward(f, c):
    m = c["A_prev"].shape[1]

    def fn(A_prev, W, b):
        Z, cache = f.linear_forward(A_prev, W, b)

        def backward(dZ):
            dA_prev, dW, db = f.linear_backward(dZ, cache)
            return dA_prev, m * dW, m * db
        return Z, backward
    return fn, (c["A_prev"], c["W"], c["b"]), ("A_prev", "W", "b")


def run_linear_activation_backward(f, c):
    A, cache = f.linear_activation_forward(c["A_prev"], c["W"], c["b"], c["activation"])
    dA_prev, dW, db = f.linear_activation_backward(f.upstream(A, "dA"), cache, c["activation"])
    return {"dA_prev": dA_prev, "dW": dW, "db": db}


def grad_linear_activation_backward(f, c):
    m = c["A_prev"].shape[1]

    def fn(A_prev, W, b):
        A, cache = f.linear_activation_forward(A_prev, W, b, c["activation"])

        def backward(dA):
            dA_prev, dW, db = f.linear_activation_backward(dA, cache, c["activation"])
            return dA_prev, m * dW, m * db
        return A, backward
    return fn, (c["A_prev"], c["W"], c["b"]), ("A_prev", "W", "b")


def _grad_keys(L):
    return [f"dA{l}" for l in range(L)] + [f"d{p}{l}" for l in range(1, L + 1) for p in "Wb"]


def run_L_model_backward(f, c):
    AL, caches = f.L_model_forward(c["X"], c["parameters"])
    grads = f.L_model_backward(AL, c["Y"], caches)
    return {k: grads.get(k) for k in _grad_keys(len(c["parameters"]) // 2)}


def grad_L_model_backward(f, c):
    names = list(c["parameters"])  # W1, b1, W2, b2, ...

    def fn(*arrays):
        p = dict(zip(names, arrays))
        AL, caches = f.L_model_forward(c["X"], p)
        grads = f.L_model_backward(AL, c["Y"], caches)
        cost = np.asarray(ref.compute_cost(AL, c["Y"]))
        return cost, lambda dJ: tuple(dJ * grads["d" + k] for k in names)
    return fn, tuple(c["parameters"].values()), tuple(names)


def run_update_parameters(f, c):
    # a new dict: replacing its entries is the learner's business, changing its arrays in place is not
    new = f.update_parameters(dict(c["params"]), c["grads"], c["learning_rate"])
    return {k: new.get(k) for k in c["params"]}


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def initialize_parameters_unscaled(n_x, n_h, n_y):
    np.random.seed(1)
    return {"W1": np.random.randn(n_h, n_x), "b1": np.zeros((n_h, 1)), "W2": np.random.randn(n_y, n_h),
            "b2": np.zeros((n_y, 1))}


def initialize_parameters_no_seed(n_x, n_h, n_y):
    return {"W1": np.random.randn(n_h, n_x) * 0.01, "b1": np.zeros((n_h, 1)),
            "W2": np.random.randn(n_y, n_h) * 0.01, "b2": np.zeros((n_y, 1))}


def initialize_parameters_deep_transposed(layer_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l - 1], layer_dims[l]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def initialize_parameters_deep_one_layer_short(layer_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layer_dims) - 1):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def linear_forward_no_bias(A, W, b):
    return np.dot(W, A), (A, W, b)


def linear_activation_forward_swapped(A_prev, W, b, activation):
    return ref.linear_activation_forward(A_prev, W, b, "relu" if activation == "sigmoid" else "sigmoid")


def linear_activation_forward_no_activation(A_prev, W, b, activation):
    Z, linear_cache = ref.linear_forward(A_prev, W, b)
    return Z, (linear_cache, Z)


def _L_model_forward(hidden="relu", last="sigmoid"):
    def L_model_forward(X, parameters):
        L = len(parameters) // 2
        caches, A = [], X
        for l in range(1, L):
            A, cache = ref.linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], hidden)
            caches.append(cache)
        AL, cache = ref.linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], last)
        caches.append(cache)
        return AL, caches
    return L_model_forward


L_model_forward_all_sigmoid = _L_model_forward(hidden="sigmoid")
L_model_forward_all_relu = _L_model_forward(last="relu")


def compute_cost_no_mean(AL, Y):
    return np.squeeze(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))


def compute_cost_positive_term_only(AL, Y):
    return np.squeeze(-np.sum(Y * np.log(AL)) / Y.shape[1])


def _linear_backward(mean_dW=True, mean_dA=False, keepdims=True, dW_transposed=False):
    def linear_backward(dZ, cache):
        A_prev, W, b = cache
        m = A_prev.shape[1]
        dW = np.dot(A_prev, dZ.T) if dW_transposed else np.dot(dZ, A_prev.T)
        db = np.sum(dZ, axis=1, keepdims=keepdims)
        dA_prev = np.dot(W.T, dZ)
        if mean_dW:
            dW, db = dW / m, db / m
        if mean_dA:
            dA_prev = dA_prev / m
        return dA_prev, dW, db
    return linear_backward


linear_backward_no_mean = _linear_backward(mean_dW=False)
linear_backward_dA_mean = _linear_backward(mean_dA=True)
linear_backward_db_flat = _linear_backward(keepdims=False)
linear_backward_dW_transposed = _linear_backward(dW_transposed=True)


def linear_activation_backward_swapped(dA, cache, activation):
    return ref.linear_activation_backward(dA, cache, "relu" if activation == "sigmoid" else "sigmoid")


def linear_activation_backward_skips_activation(dA, cache, activation):
    linear_cache, activation_cache = cache
    return ref.linear_backward(dA, linear_cache)


def L_model_backward_dAL_sign(AL, Y, caches):
    return ref.L_model_backward(1 - AL, 1 - Y.reshape(AL.shape), caches)  # dAL = Y/AL - (1-Y)/(1-AL)


def L_model_backward_all_relu(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dA = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    for l in reversed(range(L)):
        dA, grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = ref.linear_activation_backward(dA, caches[l], "relu")
        grads["dA" + str(l)] = dA
    return grads


def L_model_backward_shifted_keys(AL, Y, caches):
    grads = ref.L_model_backward(AL, Y, caches)
    L = len(caches)
    return {**{k: v for k, v in grads.items() if not k.startswith("dA")},
            **{"dA" + str(l + 1): grads["dA" + str(l)] for l in range(L)}}


def update_parameters_ascent(params, grads, learning_rate):
    return {k: v + learning_rate * grads["d" + k] for k, v in params.items()}


def update_parameters_weights_only(params, grads, learning_rate):
    return {k: v - learning_rate * grads["d" + k] if k.startswith("W") else v for k, v in params.items()}


def update_parameters_in_place(params, grads, learning_rate):
    for k in params:
        params[k] -= learning_rate * grads["d" + k]
    return params


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("initialize_parameters", sizes_case(), run_initialize_parameters, examples=10, mistakes=[
        Mistake("the weights are not multiplied by 0.01: the course starts them small, "
                "np.random.randn(n_h, n_x) * 0.01", initialize_parameters_unscaled),
        Mistake("the generator is not seeded: start with np.random.seed(1), as the course does",
                initialize_parameters_no_seed),
    ]),
    Task("initialize_parameters_deep", dims_case(), run_initialize_parameters_deep, examples=10, mistakes=[
        Mistake("W[l] has the shape (n_{l-1}, n_l), the transpose: it multiplies A[l-1] from the left, so "
                "np.random.randn(layer_dims[l], layer_dims[l - 1])", initialize_parameters_deep_transposed),
        Mistake("the last layer is missing: layer_dims has L + 1 entries for L layers, so the loop runs "
                "for l in range(1, len(layer_dims))", initialize_parameters_deep_one_layer_short),
    ]),
    Task("linear_forward", linear_case(), run_linear_forward, mistakes=[
        Mistake("the bias b is never added: Z = W A + b", linear_forward_no_bias),
    ]),
    Task("linear_activation_forward", linear_case(activation=True), run_linear_activation_forward, mistakes=[
        Mistake("the activations are swapped: \"sigmoid\" must apply the sigmoid, \"relu\" the relu",
                linear_activation_forward_swapped),
        Mistake("A is Z itself: apply the activation g to Z", linear_activation_forward_no_activation),
    ]),
    Task("L_model_forward", network_case(), run_L_model_forward, mistakes=[
        Mistake("the hidden layers use the sigmoid; they are relu, and only the last layer is sigmoid",
                L_model_forward_all_sigmoid),
        Mistake("the last layer uses relu; it must be the sigmoid, to give a probability",
                L_model_forward_all_relu),
    ]),
    Task("compute_cost", cost_case(), run_compute_cost, mistakes=[
        Mistake("the cost is summed over the examples, not averaged: multiply by 1/m", compute_cost_no_mean),
        Mistake("only the Y log AL term is summed; the examples labelled 0 need (1 - Y) log(1 - AL) too",
                compute_cost_positive_term_only),
    ]),
    Task("linear_backward", linear_case(), run_linear_backward, grad=grad_linear_backward, mistakes=[
        Mistake("dW and db lack the 1/m: the cost is a mean over the m examples (dW = dZ A_prev^T / m)",
                linear_backward_no_mean),
        Mistake("dA_prev is divided by m too; only dW and db take the 1/m (dA_prev = W^T dZ), or the layer "
                "below divides twice", linear_backward_dA_mean),
        Mistake("db lost its column shape: np.sum(dZ, axis=1, keepdims=True)", linear_backward_db_flat),
        Mistake("dW is A_prev dZ^T / m, the transpose; dW = dZ A_prev^T / m has W's shape",
                linear_backward_dW_transposed),
    ]),
    Task("linear_activation_backward", linear_case(activation=True), run_linear_activation_backward,
         grad=grad_linear_activation_backward, mistakes=[
             Mistake("the activations' backward steps are swapped: \"relu\" needs relu_backward, \"sigmoid\" "
                     "sigmoid_backward", linear_activation_backward_swapped),
             Mistake("the activation's backward step is skipped: first dZ = relu_backward(dA, activation_cache) "
                     "(or sigmoid_backward), then linear_backward(dZ, linear_cache)",
                     linear_activation_backward_skips_activation),
         ]),
    Task("L_model_backward", network_case(), run_L_model_backward, grad=grad_L_model_backward, mistakes=[
        Mistake("dAL has the wrong sign: dAL = -(Y / AL - (1 - Y) / (1 - AL))", L_model_backward_dAL_sign),
        Mistake("the last layer is taken back through relu_backward; it is the sigmoid layer: "
                "linear_activation_backward(dAL, caches[L - 1], \"sigmoid\")", L_model_backward_all_relu),
        Mistake("the dA keys are shifted by one: the gradient of layer l's input A[l-1] is grads[\"dA\" + "
                "str(l - 1)], so the keys run dA0 ... dA{L-1}", L_model_backward_shifted_keys),
    ]),
    Task("update_parameters", update_case(), run_update_parameters, mistakes=[
        Mistake("the step goes uphill: subtract, W = W - learning_rate * dW", update_parameters_ascent),
        Mistake("the biases are never updated: b[l] = b[l] - learning_rate * db[l] too",
                update_parameters_weights_only),
        Mistake("the caller's parameters are changed in place (W -= ...): copy them first "
                "(copy.deepcopy(params)) or build new arrays", update_parameters_in_place),
    ]),
]

LESSON = Lesson(
    name="dls/c1w4-deep",
    title="A deep network, step by step",
    course="Deep Learning Specialization, course 1 week 4 (Building your Deep Neural Network: Step by Step)",
    covers="initialisation, linear/activation forward and backward, L_model_forward/backward, cost, update",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
