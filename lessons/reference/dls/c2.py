"""Deep Learning Specialization, course 2 (Improving Deep Neural Networks): the graded functions of weeks 1-2.

Course 1's conventions hold (examples in columns, ``W[l]`` ``(n_l, n_{l-1})``, bias columns, ``dW``/``db`` of the mean
cost, gradients in dicts with the course's keys); the affine steps are ``lessons.reference.dls.c1``'s adapter over
``scratch``'s ``linear``. The week 1 assignments work on the course's three-layer network
``LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID`` with the tuple cache
``(Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)`` (dropout's adds the masks: ``(Z1, D1, A1, W1, b1, Z2, D2, A2,
...)``).

Randomness: the course draws from NumPy's GLOBAL generator (``np.random.seed``, ``np.random.randn``,
``np.random.rand``, ``np.random.permutation``), in a fixed order, and its tests pin the numbers that come out. The
functions here make the same calls in the same order with the same shapes. ``scratch``'s initialisers and dropout
draw from a ``numpy.random.Generator`` instead, whose stream differs; so the draws are made here and handed to
``scratch`` where it takes them (dropout's ``mask=``), and written with the course's own calls where it cannot
(``randn * scale`` for the initialisations, the mini-batch permutation).

Versions: the current notebooks (2021 onwards, with ``public_tests.py``): W1A1 "Initialization", W1A2
"Regularization", W1A3 "Gradient Checking", W2A1 "Optimization Methods" (whose Adam test uses ``t = 2``,
``beta1 = 0.8``, ``beta2 = 0.888``, ``epsilon = 1e-2``).
"""
from __future__ import annotations

import math

import numpy as np

import scratch.functional as F
from lessons.reference.dls.c1 import _bce_cost, _float, _gradient_descent, _linear
from scratch.nn import init
from scratch.nn.module import Parameter
from scratch.optim import SGD, Adam

__all__ = [
    # week 1: initialization
    "initialize_parameters_zeros", "initialize_parameters_random", "initialize_parameters_he",
    # week 1: regularization
    "compute_cost_with_regularization", "backward_propagation_with_regularization",
    "forward_propagation_with_dropout", "backward_propagation_with_dropout",
    # week 1: gradient checking
    "forward_propagation", "backward_propagation", "gradient_check", "forward_propagation_n",
    "backward_propagation_n", "backward_propagation_n_with_course_bugs", "dictionary_to_vector",
    "vector_to_dictionary", "gradients_to_vector", "gradient_check_n",
    # week 2: optimization
    "update_parameters_with_gd", "random_mini_batches", "initialize_velocity", "update_parameters_with_momentum",
    "initialize_adam", "update_parameters_with_adam", "update_lr", "schedule_lr_decay",
]


# ---------------------------------------------------------------------------------------------------------------
# Week 1: initialization


def _initialize(layers_dims, weight):
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters["W" + str(l)] = weight(layers_dims[l], layers_dims[l - 1])
        parameters["b" + str(l)] = init.zeros_(np.empty((layers_dims[l], 1)))
    return parameters


def initialize_parameters_zeros(layers_dims):
    """Every ``W[l]`` ``(n_l, n_{l-1})`` and ``b[l]`` ``(n_l, 1)`` zeros (``scratch.nn.init.zeros_``)."""
    return _initialize(layers_dims, lambda n, n_prev: init.zeros_(np.empty((n, n_prev))))


def initialize_parameters_random(layers_dims):
    """``W[l] = randn(n_l, n_{l-1}) * 10`` after ``np.random.seed(3)``; biases zero.

    The course's deliberately too-large weights. ``scratch.nn.init.normal_`` draws from a ``Generator``, not
    NumPy's global stream the course seeds, so the draw is the course's own ``np.random.randn``.
    """
    np.random.seed(3)
    return _initialize(layers_dims, lambda n, n_prev: np.random.randn(n, n_prev) * 10)


def initialize_parameters_he(layers_dims):
    """He initialisation: ``W[l] = randn(n_l, n_{l-1}) * sqrt(2 / n_{l-1})`` after ``np.random.seed(3)``.

    The standard deviation is ``scratch.nn.init.kaiming_normal_``'s for a relu (``gain / sqrt(fan_in)``, gain
    ``sqrt 2``), written as the course writes it; the draw is NumPy's global ``randn`` (see the module docstring).
    """
    np.random.seed(3)
    return _initialize(layers_dims, lambda n, n_prev: np.random.randn(n, n_prev) * np.sqrt(2.0 / n_prev))


# ---------------------------------------------------------------------------------------------------------------
# Week 1: regularization, on the course's three-layer network


def three_layer_forward(X, parameters):
    """The course's given ``forward_propagation(X, parameters)`` of ``reg_utils``: ``(A3, cache)``.

    Not a learner function (the assignment provides it); the regularization lesson builds its caches with it.
    """
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1, _ = _linear(X, W1, b1)
    A1, _ = F.relu(Z1)
    Z2, _ = _linear(A1, W2, b2)
    A2, _ = F.relu(Z2)
    Z3, _ = _linear(A2, W3, b3)
    A3, _ = F.sigmoid(Z3)
    return A3, (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)


def compute_cost_with_regularization(A3, Y, parameters, lambd):
    """Cross-entropy plus the L2 penalty ``lambd / (2 m) * sum_l sum(W[l]^2)`` (biases are not penalised).

    The penalty is a formula no ``scratch`` layer has (``scratch.optim``'s ``weight_decay`` adds its gradient
    ``lambd * W`` only); the cross-entropy is course 1's, from probabilities.
    """
    m = Y.shape[1]
    cross_entropy_cost = _bce_cost(A3, Y)
    weights = [parameters[k] for k in sorted(parameters) if k.startswith("W")]
    L2_regularization_cost = lambd / (2 * m) * sum(np.sum(np.square(W)) for W in weights)
    return cross_entropy_cost + L2_regularization_cost


def _three_layer_backward(X, Y, A3, layers, lambd=0.0, masks=None, keep_prob=1.0):
    """Backward through the three layers; ``layers`` = ``[(A_prev, Z, W, b), ...]`` for layers 1 to 3.

    Each affine step is ``scratch``'s ``linear`` closure (``dW``, ``db`` then take the course's ``1/m``, plus the L2
    term ``lambd / m * W``); each relu is ``scratch``'s closure rebuilt from ``Z``; each dropout is ``scratch``'s
    closure rebuilt from the mask ``D`` and ``keep_prob``. ``dZ3 = A3 - Y`` is sigmoid-then-cross-entropy's gradient
    (what ``binary_cross_entropy_with_logits``'s backward gives), read from the cache's ``A3`` as the course does.
    """
    m = X.shape[1]
    grads = {}
    dZ = _float(A3) - _float(Y)
    for l in (3, 2, 1):
        A_prev, _, W, b = layers[l - 1]
        _, backward = _linear(A_prev, W, b)
        dA_prev, dW, db = backward(dZ)
        grads["dZ" + str(l)] = dZ
        grads["dW" + str(l)] = (1.0 / m) * dW + (lambd / m) * W
        grads["db" + str(l)] = (1.0 / m) * db
        if l == 1:
            break
        if masks is not None:
            D = np.asarray(masks[l - 2]).astype(bool)
            _, dropout_backward = F.dropout(np.zeros_like(dA_prev), p=1.0 - keep_prob, mask=D)
            (dA_prev,) = dropout_backward(dA_prev)
        grads["dA" + str(l - 1)] = dA_prev
        _, relu_backward = F.relu(_float(layers[l - 2][1]))  # the relu of layer l - 1, from its Z
        (dZ,) = relu_backward(dA_prev)
    return {k: grads[k] for k in ("dZ3", "dW3", "db3", "dA2", "dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1")}


def backward_propagation_with_regularization(X, Y, cache, lambd):
    """Gradients of the L2-regularised cost: ``{"dZ3", "dW3", "db3", "dA2", "dZ2", "dW2", "db2", "dA1", "dZ1",
    "dW1", "db1"}``; each ``dW[l]`` gains ``lambd / m * W[l]``."""
    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3 = cache
    return _three_layer_backward(X, Y, A3, [(X, Z1, W1, b1), (A1, Z2, W2, b2), (A2, Z3, W3, b3)], lambd=lambd)


def forward_propagation_with_dropout(X, parameters, keep_prob=0.5):
    """The three-layer forward with inverted dropout after each relu: ``(A3, cache)``.

    As the course: ``np.random.seed(1)`` first, then after each hidden relu ``D = np.random.rand(*A.shape)``,
    ``D = (D < keep_prob)`` (kept as 0/1 ints), ``A = A * D / keep_prob`` (``scratch``'s ``dropout`` with that mask
    and ``p = 1 - keep_prob``). ``cache = (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)``.
    """
    np.random.seed(1)
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1, _ = _linear(X, W1, b1)
    A1, _ = F.relu(Z1)
    D1 = (np.random.rand(A1.shape[0], A1.shape[1]) < keep_prob).astype(int)
    A1, _ = F.dropout(A1, p=1.0 - keep_prob, mask=D1.astype(bool))
    Z2, _ = _linear(A1, W2, b2)
    A2, _ = F.relu(Z2)
    D2 = (np.random.rand(A2.shape[0], A2.shape[1]) < keep_prob).astype(int)
    A2, _ = F.dropout(A2, p=1.0 - keep_prob, mask=D2.astype(bool))
    Z3, _ = _linear(A2, W3, b3)
    A3, _ = F.sigmoid(Z3)
    return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)


def backward_propagation_with_dropout(X, Y, cache, keep_prob):
    """Gradients through the same masks, scaled by ``1 / keep_prob``: the keys of
    ``backward_propagation_with_regularization``'s (``dA1``, ``dA2`` after their dropout backward)."""
    Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3 = cache
    return _three_layer_backward(X, Y, A3, [(X, Z1, W1, b1), (A1, Z2, W2, b2), (A2, Z3, W3, b3)],
                                 masks=(D1, D2), keep_prob=keep_prob)


# ---------------------------------------------------------------------------------------------------------------
# Week 1: gradient checking


def forward_propagation(x, theta):
    """The one-dimensional example ``J(theta) = theta * x``."""
    return theta * x


def backward_propagation(x, theta):
    """``dJ/dtheta = x``."""
    return x


def _relative_difference(grad, gradapprox) -> float:
    """The course's ``||grad - gradapprox|| / (||grad|| + ||gradapprox||)``.

    ``scratch.gradcheck`` makes the same central differences but judges them element by element against a
    tolerance; the course's function returns this one number, so it is written here.
    """
    numerator = np.linalg.norm(grad - gradapprox)
    denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)
    return numerator / denominator


def gradient_check(x, theta, epsilon=1e-7, print_msg=False):
    """Central difference of ``forward_propagation`` against ``backward_propagation``: the relative difference."""
    theta_plus, theta_minus = theta + epsilon, theta - epsilon
    J_plus, J_minus = forward_propagation(x, theta_plus), forward_propagation(x, theta_minus)
    gradapprox = (J_plus - J_minus) / (2 * epsilon)
    difference = _relative_difference(backward_propagation(x, theta), gradapprox)
    if print_msg:
        _say(difference)
    return difference


def _say(difference):
    if difference > 2e-7:
        print("\033[93m" + "There is a mistake in the backward propagation! difference = " + str(difference)
              + "\033[0m")
    else:
        print("\033[92m" + "Your backward propagation works perfectly fine! difference = " + str(difference)
              + "\033[0m")


def forward_propagation_n(X, Y, parameters):
    """The three-layer network's cost (the course gives this function): ``(cost, cache)``.

    ``cache = (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)``; the cost is the mean cross-entropy.
    """
    A3, cache = three_layer_forward(X, parameters)
    return _bce_cost(A3, Y), cache


def backward_propagation_n(X, Y, cache):
    """The CORRECT gradients of ``forward_propagation_n`` (the course's version has two planted bugs, see
    ``backward_propagation_n_with_course_bugs``): the keys of ``backward_propagation_with_regularization``."""
    Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3 = cache
    return _three_layer_backward(X, Y, A3, [(X, Z1, W1, b1), (A1, Z2, W2, b2), (A2, Z3, W3, b3)])


def backward_propagation_n_with_course_bugs(X, Y, cache):
    """``backward_propagation_n`` as the course hands it out, for the learner's gradient check to catch: its
    ``dW2`` is twice too large and its ``db1`` four times (the course's ``* 2`` and ``4./m``)."""
    gradients = backward_propagation_n(X, Y, cache)
    gradients["dW2"] = gradients["dW2"] * 2
    gradients["db1"] = gradients["db1"] * 4
    return gradients


_KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")
COURSE_SHAPES = {"W1": (5, 4), "b1": (5, 1), "W2": (3, 5), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)}


def dictionary_to_vector(parameters):
    """``(theta, keys)``: the parameters ``W1, b1, ..., b3`` flattened into one column, and which key each row
    came from (the course's ``gc_utils`` helper)."""
    columns, keys = [], []
    for key in _KEYS:
        new_vector = np.reshape(parameters[key], (-1, 1))
        keys += [key] * new_vector.shape[0]
        columns.append(new_vector)
    return np.concatenate(columns, axis=0), keys


def vector_to_dictionary(theta, shapes=None):
    """The inverse of ``dictionary_to_vector``; ``shapes`` defaults to the course's network (4 -> 5 -> 3 -> 1)."""
    shapes = shapes or COURSE_SHAPES
    parameters, start = {}, 0
    for key in _KEYS:
        size = math.prod(shapes[key])
        parameters[key] = theta[start:start + size].reshape(shapes[key])
        start += size
    return parameters


def gradients_to_vector(gradients):
    """``dW1, db1, ..., db3`` flattened into one column, in ``dictionary_to_vector``'s order."""
    return np.concatenate([np.reshape(gradients["d" + key], (-1, 1)) for key in _KEYS], axis=0)


def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
    """Central differences of ``forward_propagation_n``'s cost, one parameter at a time, against ``gradients``.

    Returns the relative difference ``||grad - gradapprox|| / (||grad|| + ||gradapprox||)``; above ``2e-7``
    (with the course's ``epsilon = 1e-7``) the backward propagation has a mistake.
    """
    parameters_values, _ = dictionary_to_vector(parameters)
    shapes = {k: np.shape(parameters[k]) for k in _KEYS}
    grad = gradients_to_vector(gradients)
    num_parameters = parameters_values.shape[0]
    gradapprox = np.zeros((num_parameters, 1))
    for i in range(num_parameters):
        theta_plus = np.copy(parameters_values)
        theta_plus[i] = theta_plus[i] + epsilon
        J_plus, _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_plus, shapes))
        theta_minus = np.copy(parameters_values)
        theta_minus[i] = theta_minus[i] - epsilon
        J_minus, _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_minus, shapes))
        gradapprox[i] = (J_plus - J_minus) / (2 * epsilon)
    difference = _relative_difference(grad, gradapprox)
    if print_msg:
        _say(difference)
    return difference


# ---------------------------------------------------------------------------------------------------------------
# Week 2: optimization


def update_parameters_with_gd(parameters, grads, learning_rate):
    """One plain gradient-descent step on every ``W[l]``, ``b[l]`` (``scratch.optim.SGD``); a new dict."""
    return _gradient_descent(parameters, grads, learning_rate)


def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    """Shuffle the columns of ``(X, Y)`` together and cut them into mini-batches: a list of ``(X_mb, Y_mb)``.

    ``np.random.seed(seed)`` then one ``np.random.permutation(m)``, as the course (``scratch.data``'s loaders draw
    their orders from a ``Generator``, whose permutation differs); every batch has ``mini_batch_size`` columns
    but the last, which holds the ``m % mini_batch_size`` left over when there are any.
    """
    np.random.seed(seed)
    m = X.shape[1]
    permutation = list(np.random.permutation(m))
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation].reshape((1, m))
    return [(shuffled_X[:, k:k + mini_batch_size], shuffled_Y[:, k:k + mini_batch_size])
            for k in range(0, m, mini_batch_size)]


def _zeros_like_grads(parameters):
    L = len(parameters) // 2
    out = {}
    for l in range(1, L + 1):
        out["dW" + str(l)] = init.zeros_(np.empty(np.shape(parameters["W" + str(l)])))
        out["db" + str(l)] = init.zeros_(np.empty(np.shape(parameters["b" + str(l)])))
    return out


def initialize_velocity(parameters):
    """``v = {"dW1": zeros like W1, "db1": zeros like b1, ...}``."""
    return _zeros_like_grads(parameters)


def _optimizer_step(optimizer, parameters, grads, state, **hyper):
    """One ``scratch.optim`` step on copies of the course's parameters, each optimizer state preloaded from the
    course's dicts (``state(key) -> dict``); returns ``(new parameters, the optimizer's state per key)``."""
    params = {k: Parameter(_float(v)) for k, v in parameters.items()}
    for k, p in params.items():
        p.grad = np.asarray(grads["d" + k], dtype=p.dtype)
    opt = optimizer(list(params.values()), **hyper)
    for k, p in params.items():
        opt.state[id(p)] = state(k)
    opt.step()
    return {k: p.view(np.ndarray) for k, p in params.items()}, {k: opt.state[id(p)] for k, p in params.items()}


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    """``v = beta v + (1 - beta) dW``, ``W = W - learning_rate * v``: ``(parameters, v)``.

    ``scratch.optim.SGD`` with ``momentum = dampening = beta`` computes ``buf = beta buf + (1 - beta) g`` and
    ``p -= lr buf``: the course's rule, once its buffer starts from the course's ``v`` (torch's SGD would otherwise
    start the buffer at the first gradient itself, where the course starts ``v`` at zero).
    """
    new, state = _optimizer_step(SGD, parameters, grads,
                                 lambda k: {"momentum_buffer": np.array(v["d" + k], dtype=np.float64)},
                                 lr=learning_rate, momentum=beta, dampening=beta)
    v = {**v, **{"d" + k: s["momentum_buffer"] for k, s in state.items()}}
    return new, v


def initialize_adam(parameters):
    """``(v, s)``, both zeros like the gradients, keys ``dW1, db1, ...``."""
    return _zeros_like_grads(parameters), _zeros_like_grads(parameters)


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,
                                epsilon=1e-8):
    """One Adam step at step number ``t`` (from 1): ``(parameters, v, s, v_corrected, s_corrected)``.

    ``v = beta1 v + (1 - beta1) g``, ``s = beta2 s + (1 - beta2) g^2``, ``v_corrected = v / (1 - beta1^t)``,
    ``s_corrected = s / (1 - beta2^t)``, ``W = W - learning_rate * v_corrected / (sqrt(s_corrected) + epsilon)``.

    ``scratch.optim.Adam`` has the same rule with ``epsilon`` in the same place, added to the bias-corrected RMS (it
    computes ``lr / (1 - beta1^t) * v / (sqrt(s) / sqrt(1 - beta2^t) + eps)``, equal up to rounding); its state is
    preloaded with the course's ``v``, ``s`` and step ``t - 1``. The corrected moments, which Adam never stores, are
    the two divisions above.
    """
    def state(k):
        return {"step": np.array(t - 1, dtype=np.float32), "exp_avg": np.array(v["d" + k], dtype=np.float64),
                "exp_avg_sq": np.array(s["d" + k], dtype=np.float64)}

    new, states = _optimizer_step(Adam, parameters, grads, state, lr=learning_rate, betas=(beta1, beta2),
                                  eps=epsilon)
    v = {**v, **{"d" + k: st["exp_avg"] for k, st in states.items()}}
    s = {**s, **{"d" + k: st["exp_avg_sq"] for k, st in states.items()}}
    v_corrected = {k: v[k] / (1 - beta1**t) for k in v}
    s_corrected = {k: s[k] / (1 - beta2**t) for k in s}
    return new, v, s, v_corrected, s_corrected


def update_lr(learning_rate0, epoch_num, decay_rate):
    """Inverse-time decay, ``learning_rate0 / (1 + decay_rate * epoch_num)`` (no ``scratch`` scheduler has it)."""
    return learning_rate0 / (1 + decay_rate * epoch_num)


def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    """Inverse-time decay in steps: ``learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval))``."""
    return learning_rate0 / (1 + decay_rate * np.floor(epoch_num / time_interval))
