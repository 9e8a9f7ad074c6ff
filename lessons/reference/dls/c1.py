"""Deep Learning Specialization, course 1 (Neural Networks and Deep Learning): the graded functions of weeks 2-4.

The course's conventions, kept here exactly:

- examples are COLUMNS: ``X`` is ``(n_x, m)``, labels ``Y`` are ``(1, m)``, activations ``A[l]`` are ``(n_l, m)``;
- a layer's weight ``W[l]`` is ``(n_l, n_{l-1})`` and multiplies on the left, ``Z = W A_prev + b``, with the bias a
  COLUMN ``b[l]`` of shape ``(n_l, 1)``; logistic regression's ``w`` is ``(n_x, 1)`` and its ``b`` a Python scalar;
- costs are the mean binary cross-entropy over the ``m`` examples, and every ``dW``, ``db`` is the gradient of
  that MEAN (the ``1/m`` lives in the backward), while the ``dA`` a backward hands to the layer below is not divided;
- caches: week 3 keeps a dict ``{"Z1", "A1", "Z2", "A2"}``; week 4 keeps ``linear_cache = (A_prev, W, b)`` and
  ``activation_cache = Z``, a layer's cache being ``(linear_cache, activation_cache)``;
- gradients come back in dicts with the course's keys (``"dw"``, ``"db"``; ``"dW1"``, ``"db1"``, ...; week 4 also
  ``"dA0"``, ``"dA1"``, ...).

torch's ``linear`` keeps examples in rows with ``weight (out, in)``, which is the course's ``W`` itself: the adapter
``_linear`` only transposes the activations and flattens the bias column, and its backward transposes back. Each
backward rebuilds the ``scratch`` closures from the course's cache and calls them.

Versions: the current notebooks (2021 onwards, with ``public_tests.py``): W2A2 "Logistic Regression with a Neural
Network mindset", W3A1 "Planar data classification with one hidden layer", W4A1 "Building your Deep Neural Network:
Step by Step". Where a function appears in two weeks (``compute_cost``, ``update_parameters``) the two versions
compute the same thing and one function serves both (week 3's ``update_parameters`` defaults to
``learning_rate=1.2``; week 4 always passes it).
"""
from __future__ import annotations

import sys
import types

import numpy as np

import scratch.functional as F
from scratch.nn import init
from scratch.nn.module import Parameter
from scratch.optim import SGD

__all__ = [
    # week 2: logistic regression
    "sigmoid", "initialize_with_zeros", "propagate", "optimize", "predict", "model",
    # week 3: one hidden layer (its initialize_parameters and predict are in ``week3``, see below)
    "layer_sizes", "forward_propagation", "compute_cost", "backward_propagation", "update_parameters", "nn_model",
    # week 4: L layers
    "initialize_parameters", "initialize_parameters_deep", "linear_forward", "linear_activation_forward",
    "L_model_forward", "linear_backward", "linear_activation_backward", "L_model_backward",
]


# ---------------------------------------------------------------------------------------------------------------
# Shared adapters


def _float(a) -> np.ndarray:
    """The course passes ints and bools too (``np.array([0, 2])``, ``Y > 0``); scratch's layers take floats."""
    a = np.asarray(a)
    return a if a.dtype.kind == "f" else a.astype(np.float64)


def _linear(A_prev, W, b):
    """``Z = W A_prev + b`` in columns, over ``scratch``'s ``linear`` (rows): ``(Z, backward)``.

    ``backward(dZ)`` returns ``(dA_prev, dW, db)`` in the course's shapes, ``db`` a column. No ``1/m`` here: it is
    the plain chain rule of the sum ``sum(Z * dZ)``.
    """
    A_prev, W = _float(A_prev), _float(W)
    bias = np.broadcast_to(_float(b), (W.shape[0], 1))[:, 0].astype(W.dtype)  # (n, 1) column, or a scalar -> (n,)
    Zt, backward_rows = F.linear(A_prev.T, W, bias)  # (m, n): torch's weight layout is the course's W

    def backward(dZ):
        dAt, dW, db = backward_rows(np.ascontiguousarray(_float(dZ).T))
        return dAt.T, dW, db[:, None]

    return Zt.T, backward


def _bce_cost(A, Y) -> float:
    """``-1/m sum(Y log A + (1 - Y) log(1 - A))`` from probabilities ``A``, both ``(1, m)``.

    ``scratch`` has binary cross-entropy on logits only; on probabilities it is the negative log-likelihood of two
    classes whose log-probabilities are ``log(1 - A)`` and ``log A``: ``nll_loss`` over that ``(m, 2)`` stack.
    """
    A = _float(A)
    logp = np.log(np.stack([1.0 - A.ravel(), A.ravel()], axis=1))  # (m, 2): class 0, class 1
    cost, _ = F.nll_loss(logp, np.asarray(Y).ravel().astype(np.int64))
    return float(cost)


def _gradient_descent(parameters: dict, grads: dict, learning_rate: float, grad_key=lambda k: "d" + k) -> dict:
    """One step of ``scratch.optim.SGD`` on copies of the course's parameters: ``p - learning_rate * dp``."""
    params = {k: Parameter(_float(v)) for k, v in parameters.items()}
    for k, p in params.items():
        p.grad = np.asarray(grads[grad_key(k)], dtype=p.dtype).reshape(p.shape)
    SGD(list(params.values()), lr=learning_rate).step()
    return {k: p.view(np.ndarray) for k, p in params.items()}


# ---------------------------------------------------------------------------------------------------------------
# Week 2: logistic regression as a one-neuron network


def sigmoid(z):
    """``1 / (1 + exp(-z))`` for a scalar or an array of any shape (``scratch``'s overflow-free sigmoid)."""
    s, _ = F.sigmoid(_float(z))
    return s if np.ndim(s) else s[()]


def initialize_with_zeros(dim):
    """``(w, b)``: ``w`` zeros of shape ``(dim, 1)``, ``b`` the Python float ``0.0``."""
    w = init.zeros_(np.empty((dim, 1)))
    return w, 0.0


def propagate(w, b, X, Y):
    """Cost and gradients of logistic regression: ``(grads, cost)``, ``grads = {"dw": (n_x, 1), "db": float}``.

    ``A = sigmoid(w^T X + b)``, ``cost = -1/m sum(Y log A + (1 - Y) log(1 - A))`` (a 0-d array, as the course's
    ``np.squeeze``), ``dw = X (A - Y)^T / m``, ``db = sum(A - Y) / m``. Composed from ``scratch``: ``linear`` (weight
    ``w^T``) then ``binary_cross_entropy_with_logits``, whose backward is ``(A - Y) / m``. The cost's value is
    taken from the probabilities ``A``, as the course computes it (on logits it is more accurate for large ``|Z|``,
    and leaves the course's published digits in the 14th).
    """
    Z, linear_backward_ = _linear(X, np.asarray(w).T, b)  # (1, m)
    A, _ = F.sigmoid(Z)
    _, bce_backward = F.binary_cross_entropy_with_logits(Z, _float(Y).reshape(Z.shape).astype(Z.dtype))
    dZ, _, _, _ = bce_backward(np.ones((), dtype=Z.dtype))  # (A - Y) / m
    _, dW, db = linear_backward_(dZ)
    return {"dw": dW.T, "db": db[0, 0]}, np.squeeze(np.array(_bce_cost(A, Y)))


def optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):
    """Gradient descent on ``propagate``: ``(params, grads, costs)``.

    ``params = {"w", "b"}`` after ``num_iterations`` steps; ``grads`` the last step's; ``costs`` the cost before
    every 100th step (iterations 0, 100, ...). The caller's ``w`` is not changed.
    """
    params = {"w": np.array(w, dtype=np.float64), "b": np.array(b, dtype=np.float64)}
    costs = []
    grads = {}
    for i in range(num_iterations):
        grads, cost = propagate(params["w"], params["b"][()], X, Y)
        params = _gradient_descent(params, grads, learning_rate)
        if i % 100 == 0:
            costs.append(cost)
            if print_cost:
                print(f"Cost after iteration {i}: {float(cost):f}")
    return {"w": params["w"], "b": params["b"][()]}, grads, costs


def predict(w, b, X):
    """Labels ``(1, m)`` of floats: 1.0 where ``sigmoid(w^T X + b) > 0.5``, else 0.0."""
    Z, _ = _linear(X, np.asarray(w).reshape(1, -1), b)
    A, _ = F.sigmoid(Z)
    return (A > 0.5).astype(np.float64)


def model(X_train, Y_train, X_test, Y_test, num_iterations=2000, learning_rate=0.5, print_cost=False):
    """The whole of week 2: zeros, ``optimize``, then ``predict`` on both sets. Returns the course's dict ``{"costs",
    "Y_prediction_test", "Y_prediction_train", "w", "b", "learning_rate", "num_iterations"}``."""
    w, b = initialize_with_zeros(X_train.shape[0])
    params, _, costs = optimize(w, b, X_train, Y_train, num_iterations, learning_rate, print_cost)
    w, b = params["w"], params["b"]
    Y_prediction_test = predict(w, b, X_test)
    Y_prediction_train = predict(w, b, X_train)
    if print_cost:
        print(f"train accuracy: {100 - np.mean(np.abs(Y_prediction_train - Y_train)) * 100} %")
        print(f"test accuracy: {100 - np.mean(np.abs(Y_prediction_test - Y_test)) * 100} %")
    return {"costs": costs, "Y_prediction_test": Y_prediction_test, "Y_prediction_train": Y_prediction_train,
            "w": w, "b": b, "learning_rate": learning_rate, "num_iterations": num_iterations}


# ---------------------------------------------------------------------------------------------------------------
# Week 3: one hidden tanh layer, a sigmoid output


def layer_sizes(X, Y):
    """``(n_x, n_h, n_y)``: the input and output sizes from the data, and the course's hidden size 4."""
    return (X.shape[0], 4, Y.shape[0])


def _initialize_parameters_week3(n_x, n_h, n_y):
    """Week 3's ``initialize_parameters``: ``W1 = randn(n_h, n_x) * 0.01``, ``W2 = randn(n_y, n_h) * 0.01``, biases
    zero, drawn from NumPy's global stream as it stands (week 3's does not seed itself; the caller does)."""
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = init.zeros_(np.empty((n_h, 1)))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = init.zeros_(np.empty((n_y, 1)))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
    """Week 3's training loop: initialise (unseeded), then ``num_iterations`` steps of forward, cost, backward and
    ``update_parameters`` at its default rate 1.2. Returns the parameters."""
    n_x, _, n_y = layer_sizes(X, Y)
    parameters = _initialize_parameters_week3(n_x, n_h, n_y)
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads)
        if print_cost and i % 1000 == 0:
            print(f"Cost after iteration {i}: {float(cost):f}")
    return parameters


def _predict_week3(parameters, X):
    """Week 3's ``predict(parameters, X)``: ``A2 > 0.5``, a ``(1, m)`` boolean array."""
    A2, _ = forward_propagation(X, parameters)
    return A2 > 0.5


def forward_propagation(X, parameters):
    """``Z1 = W1 X + b1``, ``A1 = tanh(Z1)``, ``Z2 = W2 A1 + b2``, ``A2 = sigmoid(Z2)``: ``(A2, cache)``.

    ``cache = {"Z1", "A1", "Z2", "A2"}``.
    """
    Z1, _ = _linear(X, parameters["W1"], parameters["b1"])
    A1, _ = F.tanh(Z1)
    Z2, _ = _linear(A1, parameters["W2"], parameters["b2"])
    A2, _ = F.sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def compute_cost(A2, Y):
    """Mean binary cross-entropy of probabilities ``A2`` (1, m) against labels ``Y`` (1, m), a Python float.

    Week 4's ``compute_cost(AL, Y)`` is the same function (it returns the course's ``np.squeeze``'d 0-d value; the
    number is equal).
    """
    return _bce_cost(A2, Y)


def backward_propagation(parameters, cache, X, Y):
    """Gradients of week 3's cost: ``{"dW1", "db1", "dW2", "db2"}``, each shaped like its parameter.

    ``dZ2 = A2 - Y``; ``dW2 = dZ2 A1^T / m``; ``db2 = sum_columns(dZ2) / m``; ``dZ1 = W2^T dZ2 * (1 - A1^2)``;
    ``dW1 = dZ1 X^T / m``; ``db1 = sum_columns(dZ1) / m``.

    The course's backward reads the activations ``A1`` and ``A2`` from the cache, never ``Z1``, ``Z2`` (its
    published test passes a cache whose ``A1`` is not ``tanh(Z1)``), so the two nonlinear steps are written from
    them: ``A2 - Y`` is the gradient of sigmoid-then-cross-entropy with respect to ``Z2`` (what
    ``binary_cross_entropy_with_logits``'s backward gives), ``1 - A1^2`` is ``scratch``'s tanh backward written
    in its output. The two affine steps are ``scratch``'s ``linear`` closures, fed ``dZ / m``.
    """
    m = X.shape[1]
    A1, A2 = _float(cache["A1"]), _float(cache["A2"])
    dZ2 = A2 - _float(Y)  # (1, m)
    _, backward2 = _linear(A1, parameters["W2"], parameters["b2"])
    dA1, dW2, db2 = backward2(dZ2 / m)  # dA1 carries the 1/m on to the first layer
    dZ1 = dA1 * (1.0 - A1 * A1)  # tanh'(Z1) = 1 - A1^2
    _, backward1 = _linear(X, parameters["W1"], parameters["b1"])
    _, dW1, db1 = backward1(dZ1)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(parameters, grads, learning_rate=1.2):
    """One gradient-descent step ``W = W - learning_rate * dW`` for every ``W1, b1, ..., WL, bL``, on copies.

    Week 3's version (default rate 1.2) and week 4's (``update_parameters(params, grads, learning_rate)``), through
    ``scratch.optim.SGD``. Returns the new dict; the caller's arrays are not changed.
    """
    return _gradient_descent(parameters, grads, learning_rate)


# ---------------------------------------------------------------------------------------------------------------
# Week 4: an L-layer network, [LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID


def initialize_parameters(n_x, n_h, n_y):
    """Week 4's two-layer initialisation: ``np.random.seed(1)``, then ``W1 = randn(n_h, n_x) * 0.01``,
    ``W2 = randn(n_y, n_h) * 0.01``, biases zero.

    (Week 3 has a function of the same name that does not seed itself; week 3's lesson does not check it.)
    ``scratch.nn.init.normal_`` draws from a ``Generator``, not NumPy's global stream the course seeds, so the
    draws are the course's own ``np.random.randn``.
    """
    np.random.seed(1)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = init.zeros_(np.empty((n_h, 1)))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = init.zeros_(np.empty((n_y, 1)))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def initialize_parameters_deep(layer_dims):
    """``np.random.seed(3)``, then ``W[l] = randn(n_l, n_{l-1}) * 0.01`` for ``l = 1, ..., L``, biases zero."""
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = init.zeros_(np.empty((layer_dims[l], 1)))
    return parameters


def linear_forward(A, W, b):
    """``Z = W A + b``: ``(Z, cache)`` with ``cache = (A, W, b)``."""
    Z, _ = _linear(A, W, b)
    return Z, (A, W, b)


def linear_activation_forward(A_prev, W, b, activation):
    """``A = g(W A_prev + b)``, ``g`` ``"sigmoid"`` or ``"relu"``: ``(A, ((A_prev, W, b), Z))``."""
    Z, linear_cache = linear_forward(A_prev, W, b)
    A, _ = _activation(activation)(Z)
    return A, (linear_cache, Z)


def _activation(name: str):
    if name == "sigmoid":
        return F.sigmoid
    if name == "relu":
        return F.relu
    raise ValueError(f"activation must be 'sigmoid' or 'relu', got {name!r}")


def L_model_forward(X, parameters):
    """``L - 1`` relu layers then a sigmoid layer: ``(AL, caches)``, ``caches`` a list of the ``L`` layer caches."""
    L = len(parameters) // 2
    caches = []
    A = X
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters[f"W{L}"], parameters[f"b{L}"], "sigmoid")
    caches.append(cache)
    return AL, caches


def linear_backward(dZ, cache):
    """``(dA_prev, dW, db)`` from ``dZ`` (n, m) and ``cache = (A_prev, W, b)``.

    ``dW = dZ A_prev^T / m``, ``db = sum_columns(dZ) / m`` (a column), ``dA_prev = W^T dZ`` (no 1/m: the layer
    below divides its own ``dW``).
    """
    A_prev, W, b = cache
    m = A_prev.shape[1]
    _, backward = _linear(A_prev, W, b)
    dA_prev, dW, db = backward(dZ)
    return dA_prev, (1.0 / m) * dW, (1.0 / m) * db


def linear_activation_backward(dA, cache, activation):
    """``(dA_prev, dW, db)`` through ``g`` then the affine step; ``cache = ((A_prev, W, b), Z)``.

    ``dZ = dA * g'(Z)``: the ``scratch`` activation's closure, rebuilt from ``Z`` (relu: ``dA`` where ``Z > 0``;
    sigmoid: ``dA s (1 - s)``).
    """
    linear_cache, Z = cache
    _, backward = _activation(activation)(_float(Z))
    (dZ,) = backward(_float(dA))
    return linear_backward(dZ, linear_cache)


def L_model_backward(AL, Y, caches):
    """Gradients of the cost for ``L_model_forward``: ``{"dA{l-1}", "dW{l}", "db{l}"}`` for ``l = L, ..., 1``.

    The chain starts from ``dAL = -(Y / AL - (1 - Y) / (1 - AL))``, the derivative of the summed cross-entropy
    with respect to the probabilities (a formula from ``AL`` alone: the course's backward never sees ``ZL`` other
    than through the sigmoid's cache, and its test passes an ``AL`` that is not ``sigmoid(ZL)``).
    """
    grads = {}
    L = len(caches)
    AL = _float(AL)
    Y = _float(Y).reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads[f"dA{L - 1}"], grads[f"dW{L}"], grads[f"db{L}"] = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads[f"dA{l + 1}"], caches[l], "relu")
        grads[f"dA{l}"], grads[f"dW{l + 1}"], grads[f"db{l + 1}"] = dA_prev, dW, db
    return grads


# ---------------------------------------------------------------------------------------------------------------
# Week 3's own namespace
#
# Two week-3 functions share their names with other weeks' and differ from them: ``initialize_parameters`` (week 4's
# seeds itself with 1, week 3's leaves the seed to its caller) and ``predict`` (week 2's is ``predict(w, b, X)``,
# week 3's ``predict(parameters, X)``). The week-3 lesson's reference is this module, where every name is week 3's;
# it is registered as ``lessons.reference.dls.c1.week3`` so that ``from lessons.reference.dls.c1.week3 import *``
# works once ``lessons.reference.dls.c1`` is imported.

week3 = types.ModuleType(__name__ + ".week3", "Course 1 week 3's functions under the course's names (see c1).")
week3.__all__ = ["layer_sizes", "initialize_parameters", "forward_propagation", "compute_cost", "backward_propagation",
                 "update_parameters", "nn_model", "predict", "sigmoid"]
week3.__dict__.update({name: globals()[name] for name in week3.__all__ if name in globals()})
week3.initialize_parameters = _initialize_parameters_week3
week3.predict = _predict_week3
sys.modules[week3.__name__] = week3
