"""Deep Learning Specialization, courses 1 and 2 (``lessons.reference.dls.c1``, ``...c2``): the course's published
examples, and the course's equations written out here.

The examples' inputs are the current notebooks' and their ``public_tests.py`` / ``testCases.py`` (seeded
``np.random.randn`` draws and literal arrays); the expected numbers are the ones they print or assert, compared to
the digits published (``_published``). Public copies: e.g. the W2A2, W3A1, W4A1 (course 1) and W1A1-3, W2A1
(course 2) ``public_tests.py`` files in the many GitHub mirrors of the assignments.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.core import values
from lessons.reference.dls import c1

seeds = st.integers(0, 2**16 - 1)
few = settings(max_examples=15, deadline=None)


def _published(got, expected, decimals: int = 8):
    """``got`` equals the course's printed ``expected`` to the printed digits (8 decimals unless told).

    One unit of the last printed digit: the notebooks sometimes truncate rather than round (0.7310585 for
    sigmoid(1) = 0.73105858...).
    """
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    tol = 1.01 * 10.0 ** -decimals * np.maximum(1.0, np.abs(expected))
    assert np.all(np.abs(got - expected) <= tol), (got, expected)


def _exactly(got, expected):
    """A number the course prints to all 16-17 significant digits."""
    assert abs(float(got) - expected) <= 4e-16 * max(1.0, abs(expected)), (float(got), expected)


def _cost(A, Y):
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)


# ================================================================================================================
# Course 1 week 2: logistic regression


def test_c1w2_sigmoid_and_zeros_reproduce_the_course_examples():
    _published(c1.sigmoid(np.array([0, 2])), [0.5, 0.88079708])
    _published(c1.sigmoid(np.array([0.5, 0, 2.0])), [0.62245933, 0.5, 0.88079708])
    assert isinstance(c1.sigmoid(1), float)
    _published(c1.sigmoid(1), 0.7310585, decimals=7)
    w, b = c1.initialize_with_zeros(3)
    assert w.shape == (3, 1) and not w.any() and type(b) is float and b == 0.0


def test_c1w2_propagate_reproduces_the_course_examples():
    w, b = np.array([[1.], [2]]), 1.5
    X, Y = np.array([[1., -2., -1.], [3., 0.5, -3.2]]), np.array([[1, 1, 0]])
    grads, cost = c1.propagate(w, b, X, Y)
    _published(grads["dw"], [[0.25071532], [-0.06604096]])
    assert type(grads["db"]) is np.float64
    _exactly(grads["db"], -0.1250040450043965)
    _exactly(cost, 0.15900537707692405)
    # public_tests.py's case
    w, b = np.array([[1.], [2.], [-1]]), 2.5
    X = np.array([[1., 2., -1., 0], [3., 4., -3.2, 1], [3., 4., -3.2, -3.5]])
    grads, cost = c1.propagate(w, b, X, np.array([[1, 1, 0, 0]]))
    _published(grads["dw"], [[-0.03909333], [0.12501464], [-0.99960809]])
    _exactly(grads["db"], 0.288106326429569)
    _exactly(cost, 2.0424567983978403)


def test_c1w2_optimize_and_predict_reproduce_the_course_examples():
    w, b = np.array([[1.], [2]]), 1.5
    X, Y = np.array([[1., -2., -1.], [3., 0.5, -3.2]]), np.array([[1, 1, 0]])
    params, grads, costs = c1.optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False)
    _published(params["w"], [[0.80956046], [2.0508202]])
    _exactly(params["b"], 1.5948713189708588)
    _published(grads["dw"], [[0.17860505], [-0.04840656]])
    _exactly(grads["db"], -0.08888460336847771)
    _published(costs, [0.15900538])
    assert w[0, 0] == 1.0  # the caller's w is untouched
    params, grads, costs = c1.optimize(np.array([[1.], [2.]]), 2., np.array([[1., 2., -1.], [3., 4., -3.2]]),
                                       np.array([[1, 0, 1]]), num_iterations=101, learning_rate=0.1)
    _published(params["w"], [[-0.70916784], [-0.42390859]])
    _published(params["b"], 2.26891346)
    _published(grads["dw"], [[0.06188603], [-0.01407361]])
    _published(grads["db"], -0.04709353)
    _published(costs, [5.80154532, 0.31057104])
    assert isinstance(costs, list) and len(costs) == 2
    pred = c1.predict(np.array([[0.1124579], [0.23106775]]), -0.3, np.array([[1., -1.1, -3.2], [1.2, 2., 0.1]]))
    np.testing.assert_array_equal(pred, [[1., 1., 0.]])
    pred = c1.predict(np.array([[0.3], [0.5], [-0.2]]), -0.33333,
                      np.array([[1., -0.3, 1.5], [2, 0, 1], [0, -1.5, 2]]))
    np.testing.assert_array_equal(pred, [[1., 0., 1.]])


@few
@given(seed=seeds, n=st.integers(1, 4), m=st.integers(1, 4))
def test_c1w2_adapters_follow_the_course_equations(seed, n, m):
    w, X, b = values(seed, (n, 1), -1, 1), values(seed + 1, (n, m)), float(values(seed + 2, ()))
    Y = (values(seed + 3, (1, m)) > 0).astype(np.int64)
    A = 1 / (1 + np.exp(-(w.T @ X + b)))
    grads, cost = c1.propagate(w, b, X, Y)
    np.testing.assert_allclose(cost, _cost(A, Y), rtol=1e-12)
    np.testing.assert_allclose(grads["dw"], X @ (A - Y).T / m, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads["db"], np.sum(A - Y) / m, rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(c1.predict(w, b, X), (A > 0.5).astype(float))


# ================================================================================================================
# Course 1 week 3: one hidden layer


def test_c1w3_forward_and_cost_reproduce_the_course_examples():
    np.random.seed(1)
    X = np.random.randn(2, 3)
    b1 = np.random.randn(4, 1)
    parameters = {"W1": np.array([[-0.00416758, -0.00056267], [-0.02136196, 0.01640271],
                                  [-0.01793436, -0.00841747], [0.00502881, -0.01245288]]),
                  "W2": np.array([[-0.01057952, -0.00909008, 0.00551454, 0.02292208]]),
                  "b1": b1, "b2": np.array([[-1.3]])}
    A2, cache = c1.forward_propagation(X, parameters)
    _published(A2, [[0.21292656, 0.21274673, 0.21295976]])
    _published(cache["Z1"], [[1.7386459, 1.74687437, 1.74830797], [-0.81350569, -0.73394355, -0.78767559],
                             [0.29893918, 0.32272601, 0.34788465], [-0.2278403, -0.2632236, -0.22336567]])
    _published(cache["A1"], [[0.9400694, 0.94101876, 0.94118266], [-0.67151964, -0.62547205, -0.65709025],
                             [0.29034152, 0.31196971, 0.33449821], [-0.22397799, -0.25730819, -0.2197236]])
    _published(cache["Z2"], [[-1.30737426, -1.30844761, -1.30717618]])
    np.random.seed(1)
    Y = np.random.randn(1, 5) > 0
    cost = c1.compute_cost(np.array([[0.5002307, 0.49985831, 0.50023963, 0.25, 0.7]]), Y)
    assert type(cost) is float
    _exactly(cost, 0.5447066599017815)


def test_c1w3_backward_and_update_reproduce_the_course_examples():
    np.random.seed(1)
    X = np.random.randn(3, 7)
    Y = np.random.randn(1, 7) > 0
    parameters = {"W1": np.random.randn(9, 3), "W2": np.random.randn(1, 9), "b1": np.zeros((9, 1)),
                  "b2": np.zeros((1, 1))}
    cache = {"A1": np.random.randn(9, 7), "A2": np.random.randn(1, 7), "Z1": np.random.randn(9, 7),
             "Z2": np.random.randn(1, 7)}
    grads = c1.backward_propagation(parameters, cache, X, Y)
    _published(grads["dW1"], [[-0.24468458, -0.24371232, 0.15959609], [0.7370069, -0.64785999, 0.23669823],
                              [0.47936123, -0.01516428, 0.01566728], [0.03361075, -0.0930929, 0.05581073],
                              [0.52445178, -0.03895358, 0.09180612], [-0.17043596, 0.13406378, -0.20952062],
                              [0.76144791, -0.41766018, 0.02544078], [0.22164791, -0.33081645, 0.19526915],
                              [0.25619969, -0.09561825, 0.05679075]])
    _published(grads["db1"], [[0.1463639], [-0.33647992], [-0.51738006], [-0.07780329], [-0.57889514],
                              [0.28357278], [-0.39756864], [-0.10510329], [-0.13443244]])
    _published(grads["dW2"], [[-0.35768529, 0.22046323, -0.29551566, -0.12202786, 0.18809552, 0.13700323,
                               0.35892872, -0.02220353, -0.03976687]])
    _published(grads["db2"], [[-0.78032466]])

    parameters = {"W1": np.array([[-0.00615039, 0.0169021], [-0.02311792, 0.03137121],
                                  [-0.0169217, -0.01752545], [0.00935436, -0.05018221]]),
                  "W2": np.array([[-0.0104319, -0.04019007, 0.01607211, 0.04440255]]),
                  "b1": np.array([[-8.97523455e-07], [8.15562092e-06], [6.04810633e-07], [-2.54560700e-06]]),
                  "b2": np.array([[9.14954378e-05]])}
    grads = {"dW1": np.array([[0.00023322, -0.00205423], [0.00082222, -0.00700776],
                              [-0.00031831, 0.0028636], [-0.00092857, 0.00809933]]),
             "dW2": np.array([[-1.75740039e-05, 3.70231337e-03, -1.25683095e-03, -2.55715317e-03]]),
             "db1": np.array([[1.05570087e-07], [-3.81814487e-06], [-1.90155145e-07], [5.46467802e-07]]),
             "db2": np.array([[-1.08923140e-05]])}
    new = c1.update_parameters(parameters, grads)  # the course's default learning rate, 1.2
    _published(new["W1"], [[-0.00643025, 0.01936718], [-0.02410458, 0.03978052],
                           [-0.01653973, -0.02096177], [0.01046864, -0.05990141]])
    _published(new["b1"] * 1e6, np.array([[-1.02420756e-06], [1.27373948e-05], [8.32996807e-07],
                                          [-3.20136836e-06]]) * 1e6)
    _published(new["W2"], [[-0.01041081, -0.04463285, 0.01758031, 0.04747113]])
    _published(new["b2"], [[0.00010457]])
    assert parameters["W1"][0, 0] == -0.00615039  # on copies


@few
@given(seed=seeds, n_x=st.integers(1, 4), n_h=st.integers(1, 4), m=st.integers(1, 4))
def test_c1w3_adapters_follow_the_course_equations(seed, n_x, n_h, m):
    X = values(seed, (n_x, m))
    p = {"W1": values(seed + 1, (n_h, n_x)), "b1": values(seed + 2, (n_h, 1)), "W2": values(seed + 3, (1, n_h)),
         "b2": values(seed + 4, (1, 1))}
    Y = (values(seed + 5, (1, m)) > 0).astype(np.int64)
    Z1 = p["W1"] @ X + p["b1"]
    A1 = np.tanh(Z1)
    Z2 = p["W2"] @ A1 + p["b2"]
    A2 = 1 / (1 + np.exp(-Z2))
    got, cache = c1.forward_propagation(X, p)
    np.testing.assert_allclose(got, A2, rtol=1e-12)
    np.testing.assert_allclose(cache["Z1"], Z1, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c1.compute_cost(A2, Y), _cost(A2, Y), rtol=1e-12)
    dZ2 = A2 - Y
    dZ1 = p["W2"].T @ dZ2 * (1 - A1**2)
    grads = c1.backward_propagation(p, cache, X, Y)
    for k, v in {"dW2": dZ2 @ A1.T / m, "db2": dZ2.sum(1, keepdims=True) / m, "dW1": dZ1 @ X.T / m,
                 "db1": dZ1.sum(1, keepdims=True) / m}.items():
        assert grads[k].shape == v.shape
        np.testing.assert_allclose(grads[k], v, rtol=1e-10, atol=1e-14)


# ================================================================================================================
# Course 1 week 4: L layers


def test_c1w4_forwards_reproduce_the_course_examples():
    np.random.seed(1)
    A_prev, W, b = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1)
    Z, cache = c1.linear_forward(A_prev, W, b)
    _published(Z, [[3.26295337, -1.23429987]])
    assert cache[0] is A_prev and cache[1] is W and cache[2] is b
    np.random.seed(2)
    A_prev, W, b = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1)
    A, ((a, w, bb), Z) = c1.linear_activation_forward(A_prev, W, b, "sigmoid")
    _published(A, [[0.96890023, 0.11013289]])
    _published(Z, [[3.43896131, -2.08938436]])
    A, _ = c1.linear_activation_forward(A_prev, W, b, "relu")
    _published(A, [[3.43896131, 0.]])

    np.random.seed(6)
    X = np.random.randn(5, 4)
    p = {k: np.random.randn(*s) for k, s in [("W1", (4, 5)), ("b1", (4, 1)), ("W2", (3, 4)), ("b2", (3, 1)),
                                              ("W3", (1, 3)), ("b3", (1, 1))]}
    AL, caches = c1.L_model_forward(X, p)
    _published(AL, [[0.03921668, 0.70498921, 0.19734387, 0.04728177]])
    assert len(caches) == 3
    _published(caches[1][1], [[2.2644603, 1.09971298, -2.90298027, 1.54036335],
                              [6.33722569, -2.38116246, -4.11228806, 4.48582383],
                              [10.37508342, -0.66591468, 1.63635185, 8.17870169]])
    _published(caches[2][0][0], [[2.2644603, 1.09971298, 0., 1.54036335], [6.33722569, 0., 0., 4.48582383],
                                 [10.37508342, 0., 1.63635185, 8.17870169]])
    _published(caches[2][1], [[-3.19864676, 0.87117055, -1.40297864, -3.00319435]])
    _published(c1.compute_cost(np.array([[.8, .9, 0.4]]), np.asarray([[1, 1, 0]])), 0.27977656)


def test_c1w4_backwards_reproduce_the_course_examples():
    np.random.seed(1)
    dZ, A, W, b = np.random.randn(3, 4), np.random.randn(5, 4), np.random.randn(3, 5), np.random.randn(3, 1)
    dA_prev, dW, db = c1.linear_backward(dZ, (A, W, b))
    _published(dA_prev, [[-1.15171336, 0.06718465, -0.3204696, 2.09812712],
                         [0.60345879, -3.72508701, 5.81700741, -3.84326836],
                         [-0.4319552, -1.30987417, 1.72354705, 0.05070578],
                         [-0.38981415, 0.60811244, -1.25938424, 1.47191593],
                         [-2.52214926, 2.67882552, -0.67947465, 1.48119548]])
    _published(dW, [[0.07313866, -0.0976715, -0.87585828, 0.73763362, 0.00785716],
                    [0.85508818, 0.37530413, -0.59912655, 0.71278189, -0.58931808],
                    [0.97913304, -0.24376494, -0.08839671, 0.55151192, -0.10290907]])
    _published(db, [[-0.14713786], [-0.11313155], [-0.13209101]])

    np.random.seed(2)
    dA, A, W, b, Z = (np.random.randn(1, 2), np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1),
                      np.random.randn(1, 2))
    dA_prev, dW, db = c1.linear_activation_backward(dA, ((A, W, b), Z), "sigmoid")
    _published(dA_prev, [[0.11017994, 0.01105339], [0.09466817, 0.00949723], [-0.05743092, -0.00576154]])
    _published(dW, [[0.10266786, 0.09778551, -0.01968084]])
    _published(db, [[-0.05729622]])
    dA_prev, dW, db = c1.linear_activation_backward(dA, ((A, W, b), Z), "relu")
    _published(dA_prev, [[0.44090989, 0.], [0.37883606, 0.], [-0.2298228, 0.]])
    _published(dW, [[0.44513824, 0.37371418, -0.10478989]])
    _published(db, [[-0.20837892]])

    np.random.seed(3)
    AL, Y = np.random.randn(1, 2), np.array([[1, 0]])
    A1, W1, b1, Z1 = np.random.randn(4, 2), np.random.randn(3, 4), np.random.randn(3, 1), np.random.randn(3, 2)
    A2, W2, b2, Z2 = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1), np.random.randn(1, 2)
    grads = c1.L_model_backward(AL, Y, (((A1, W1, b1), Z1), ((A2, W2, b2), Z2)))
    assert set(grads) == {"dA0", "dA1", "dW1", "dW2", "db1", "db2"}
    _published(grads["dA1"], [[0.12913162, -0.44014127], [-0.14175655, 0.48317296], [0.01663708, -0.05670698]])
    _published(grads["dW2"], [[-0.39202432, -0.13325855, -0.04601089]])
    _published(grads["db2"], [[0.15187861]])
    _published(grads["dA0"], [[0., 0.52257901], [0., -0.3269206], [0., -0.32070404], [0., -0.74079187]])
    _published(grads["dW1"], [[0.41010002, 0.07807203, 0.13798444, 0.10502167], [0., 0., 0., 0.],
                              [0.05283652, 0.01005865, 0.01777766, 0.0135308]])
    _published(grads["db1"], [[-0.22007063], [0.], [-0.02835349]])


def test_c1w4_update_parameters_reproduces_the_course_example():
    np.random.seed(2)
    p = {k: np.random.randn(*s) for k, s in [("W1", (3, 4)), ("b1", (3, 1)), ("W2", (1, 3)), ("b2", (1, 1))]}
    np.random.seed(3)
    g = {k: np.random.randn(*s) for k, s in [("dW1", (3, 4)), ("db1", (3, 1)), ("dW2", (1, 3)), ("db2", (1, 1))]}
    new = c1.update_parameters(p, g, 0.1)
    _published(new["W1"], [[-0.59562069, -0.09991781, -2.14584584, 1.82662008],
                           [-1.76569676, -0.80627147, 0.51115557, -1.18258802],
                           [-1.0535704, -0.86128581, 0.68284052, 2.20374577]])
    _published(new["b1"], [[-0.04659241], [-1.28888275], [0.53405496]])
    _published(new["W2"], [[-0.55569196, 0.0354055, 1.32964895]])
    _published(new["b2"], [[-0.84610769]])


@few
@given(seed=seeds, dims=st.lists(st.integers(1, 4), min_size=1, max_size=3), m=st.integers(1, 4))
def test_c1w4_adapters_follow_the_course_equations(seed, dims, m):
    dims = [*dims, 1]  # one sigmoid output unit, as the course's networks
    X = values(seed, (dims[0], m))
    L = len(dims) - 1
    p = {}
    for l in range(1, L + 1):
        p[f"W{l}"] = values(seed + 2 * l, (dims[l], dims[l - 1]))
        p[f"b{l}"] = values(seed + 2 * l + 1, (dims[l], 1)) + 0.00005
    Y = (values(seed + 99, (1, m)) > 0).astype(np.int64)
    A, As, Zs = X, [X], []
    for l in range(1, L + 1):
        Z = p[f"W{l}"] @ A + p[f"b{l}"]
        A = np.maximum(Z, 0) if l < L else 1 / (1 + np.exp(-Z))
        Zs.append(Z)
        As.append(A)
    AL, caches = c1.L_model_forward(X, p)
    np.testing.assert_allclose(AL, A, rtol=1e-10)
    grads = c1.L_model_backward(AL, Y, caches)
    dA = -(Y / AL - (1 - Y) / (1 - AL))
    for l in range(L, 0, -1):
        s = 1 / (1 + np.exp(-Zs[l - 1]))
        dZ = dA * s * (1 - s) if l == L else dA * (Zs[l - 1] > 0)
        np.testing.assert_allclose(grads[f"dW{l}"], dZ @ As[l - 1].T / m, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(grads[f"db{l}"], dZ.sum(1, keepdims=True) / m, rtol=1e-8, atol=1e-12)
        dA = p[f"W{l}"].T @ dZ
        np.testing.assert_allclose(grads[f"dA{l - 1}"], dA, rtol=1e-8, atol=1e-12)
