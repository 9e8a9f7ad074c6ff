"""Deep Learning Specialization, courses 1 and 2 (``lessons.reference.dls.c1``, ``...c2``): the course's published
examples, and the course's equations written out here.

The examples' inputs are the current notebooks' and their ``public_tests.py`` / ``testCases.py`` (seeded
``np.random.randn`` draws and literal arrays); the expected numbers are the ones they print or assert, compared to
the digits published (``_published``). Public copies: e.g. the W2A2, W3A1, W4A1 (course 1) and W1A1-3, W2A1
(course 2) ``public_tests.py`` files in the many GitHub mirrors of the assignments.
"""
from __future__ import annotations

import numpy as np
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


def test_c1w2_model_reproduces_the_course_example():
    np.random.seed(0)
    Y, X = np.array([1, 0, 0, 1, 0, 0, 1]).reshape(1, 7), np.random.randn(4, 7)
    x_test, y_test = np.random.randn(4, 3), np.array([0, 1, 0])
    d = c1.model(X, Y, x_test, y_test, num_iterations=50, learning_rate=0.01)
    _published(d["costs"], [0.69314718])
    _published(d["w"], [[0.08639757], [-0.08231268], [-0.11798927], [0.12866053]])
    _exactly(d["b"], -0.03983236094816321)
    np.testing.assert_array_equal(d["Y_prediction_test"], [[1., 1., 0.]])
    np.testing.assert_array_equal(d["Y_prediction_train"], [[1., 1., 0., 1., 0., 0., 1.]])
    assert d["learning_rate"] == 0.01 and d["num_iterations"] == 50


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


def test_c1w3_sizes_initialization_model_and_predict_reproduce_the_course_examples():
    w3 = c1.week3
    np.random.seed(1)
    assert w3.layer_sizes(np.random.randn(5, 3), np.random.randn(2, 3)) == (5, 4, 2)
    assert w3.layer_sizes(np.random.randn(7, 5), np.random.randn(5, 5)) == (7, 4, 5)
    np.random.seed(2)
    p = w3.initialize_parameters(3, 5, 2)
    _published(p["W1"], [[-0.00416758, -0.00056267, -0.02136196], [0.01640271, -0.01793436, -0.00841747],
                         [0.00502881, -0.01245288, -0.01057952], [-0.00909008, 0.00551454, 0.02292208],
                         [0.00041539, -0.01117925, 0.00539058]])
    _published(p["W2"], [[-5.96159700e-03, -1.91304965e-04, 1.17500122e-02, -7.47870949e-03, 9.02525097e-05],
                         [-8.78107893e-03, -1.56434170e-03, 2.56570452e-03, -9.88779049e-03, -3.38821966e-03]])
    assert p["b1"].shape == (5, 1) and p["b2"].shape == (2, 1) and not p["b1"].any()
    np.random.seed(1)
    X, Y = np.random.randn(2, 3), np.random.randn(1, 3) > 0
    np.random.seed(3)
    p = w3.nn_model(X, Y, 4, print_cost=False)  # 10000 iterations at the rate 1.2
    _published(p["W1"], [[0.56305445, -1.03925886], [0.7345426, -1.36286875], [-0.72533346, 1.33753027],
                         [0.74757629, -1.38274074]])
    _published(p["b1"], [[-0.22240654], [-0.34662093], [0.33663708], [-0.35296113]])
    _published(p["W2"], [[1.82196893, 3.09657075, -2.98193564, 3.19946508]])
    _published(p["b2"], [[0.21344644]])
    np.random.seed(1)
    X = np.random.randn(2, 3)
    p = {"W1": np.array([[-0.00615039, 0.0169021], [-0.02311792, 0.03137121], [-0.0169217, -0.01752545],
                         [0.00935436, -0.05018221]]),
         "W2": np.array([[-0.0104319, -0.04019007, 0.01607211, 0.04440255]]),
         "b1": np.array([[-8.97523455e-07], [8.15562092e-06], [6.04810633e-07], [-2.54560700e-06]]),
         "b2": np.array([[9.14954378e-05]])}
    np.testing.assert_array_equal(w3.predict(p, X), [[True, False, True]])
    assert w3.forward_propagation is c1.forward_propagation and c1.predict is not w3.predict


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


def test_c1w4_initializations_reproduce_the_course_examples():
    p = c1.initialize_parameters(3, 2, 1)
    _published(p["W1"], [[0.01624345, -0.00611756, -0.00528172], [-0.01072969, 0.00865408, -0.02301539]])
    _published(p["W2"], [[0.01744812, -0.00761207]])
    assert p["b1"].shape == (2, 1) and p["b2"].shape == (1, 1) and not p["b1"].any() and not p["b2"].any()
    p = c1.initialize_parameters_deep([5, 4, 3])
    _published(p["W1"], [[0.01788628, 0.0043651, 0.00096497, -0.01863493, -0.00277388],
                         [-0.00354759, -0.00082741, -0.00627001, -0.00043818, -0.00477218],
                         [-0.01313865, 0.00884622, 0.00881318, 0.01709573, 0.00050034],
                         [-0.00404677, -0.0054536, -0.01546477, 0.00982367, -0.01101068]])
    _published(p["W2"], [[-0.01185047, -0.0020565, 0.01486148, 0.00236716],
                         [-0.01023785, -0.00712993, 0.00625245, -0.00160513],
                         [-0.00768836, -0.00230031, 0.00745056, 0.01976111]])
    assert p["b2"].shape == (3, 1) and not p["b2"].any() and len(p) == 4


def test_c1w4_forwards_reproduce_the_course_examples():
    np.random.seed(1)
    A_prev, W, b = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1)
    Z, cache = c1.linear_forward(A_prev, W, b)
    _published(Z, [[3.26295337, -1.23429987]])
    assert cache[0] is A_prev and cache[1] is W and cache[2] is b
    np.random.seed(2)
    A_prev, W, b = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1)
    A, ((a, w, bb), Z) = c1.linear_activation_forward(A_prev, W, b, "sigmoid")
    assert a is A_prev and w is W and bb is b
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


# ================================================================================================================
# Course 2 week 1: initialization


def test_c2w1_initializations_reproduce_the_course_examples():
    from lessons.reference.dls import c2

    p = c2.initialize_parameters_zeros([3, 2, 1])
    assert {k: v.shape for k, v in p.items()} == {"W1": (2, 3), "b1": (2, 1), "W2": (1, 2), "b2": (1, 1)}
    assert not any(v.any() for v in p.values())
    p = c2.initialize_parameters_random([3, 2, 1])
    _published(p["W1"], [[17.88628473, 4.36509851, 0.96497468], [-18.63492703, -2.77388203, -3.54758979]])
    _published(p["W2"], [[-0.82741481, -6.27000677]])
    assert not p["b1"].any() and p["b2"].shape == (1, 1)
    p = c2.initialize_parameters_he([3, 1, 2])
    _published(p["W1"], [[1.46040903, 0.3564088, 0.07878985]])
    _published(p["W2"], [[-2.63537665], [-0.39228616]])
    assert p["b2"].shape == (2, 1) and not p["b2"].any()


@few
@given(dims=st.lists(st.integers(1, 5), min_size=2, max_size=4))
def test_c2w1_initializations_follow_the_course_equations(dims):
    from lessons.reference.dls import c2

    for fn, scale in ((c2.initialize_parameters_random, lambda n: 10.0),
                      (c2.initialize_parameters_he, lambda n: np.sqrt(2.0 / n))):
        p = fn(dims)
        np.random.seed(3)
        for l in range(1, len(dims)):
            np.testing.assert_allclose(p[f"W{l}"], np.random.randn(dims[l], dims[l - 1]) * scale(dims[l - 1]),
                                       rtol=1e-15)
            np.testing.assert_array_equal(p[f"b{l}"], np.zeros((dims[l], 1)))


# ================================================================================================================
# Course 2 week 1: regularization


def _reg_parameters(seed_first_X=None):
    np.random.seed(1)
    X = np.random.randn(3, 5) if seed_first_X else None
    shapes = [("W1", (2, 3)), ("b1", (2, 1)), ("W2", (3, 2)), ("b2", (3, 1)), ("W3", (1, 3)), ("b3", (1, 1))]
    return X, {k: np.random.randn(*s) for k, s in shapes}


def test_c2w1_regularized_cost_reproduces_the_course_example():
    from lessons.reference.dls import c2

    _, p = _reg_parameters()
    A3 = np.array([[0.40682402, 0.01629284, 0.16722898, 0.10118111, 0.40682402]])
    cost = c2.compute_cost_with_regularization(A3, np.array([[1, 1, 0, 1, 0]]), p, 0.1)
    _exactly(cost, 1.7864859451590758)


def test_c2w1_regularized_backward_reproduces_the_course_example():
    from lessons.reference.dls import c2

    X, p = _reg_parameters(seed_first_X=True)
    _, cache = c2.three_layer_forward(X, p)
    _published(cache[0], [[-1.52855314, 3.32524635, 2.13994541, 2.60700654, -0.75942115],
                          [-1.98043538, 4.1600994, 0.79051021, 1.46493512, -0.45506242]])
    grads = c2.backward_propagation_with_regularization(X, np.array([[1, 1, 0, 1, 0]]), cache, 0.7)
    expected = {
        "dZ3": [[-0.59317598, -0.98370716, 0.16722898, -0.89881889, 0.40682402]],
        "dW3": [[-1.77691347, -0.11832879, -0.09397446]], "db3": [[-0.38032981]],
        "dA2": [[0.40761434, 0.67597671, -0.11491519, 0.6176438, -0.27955836],
                [0.50135568, 0.83143484, -0.14134288, 0.7596868, -0.34384996],
                [0.39816708, 0.66030962, -0.11225181, 0.6033287, -0.27307905]],
        "dZ2": [[0.40761434, 0.67597671, -0.11491519, 0.6176438, -0.27955836], [0.] * 5, [0.] * 5],
        "dW2": [[0.79276486, 0.85133918], [-0.0957219, -0.01720463], [-0.13100772, -0.03750433]],
        "db2": [[0.26135226], [0.], [0.]],
        "dA1": [[0.2048239, 0.33967447, -0.05774423, 0.31036252, -0.14047649],
                [0.3672018, 0.60895764, -0.10352203, 0.5564081, -0.25184181]],
        "dZ1": [[0., 0.33967447, -0.05774423, 0.31036252, 0.], [0., 0.60895764, -0.10352203, 0.5564081, 0.]],
        "dW1": [[-0.25604646, 0.12298827, -0.28297129], [-0.17706303, 0.34536094, -0.4410571]],
        "db1": [[0.11845855], [0.21236874]]}
    assert list(grads) == list(expected)
    for k, v in expected.items():
        _published(grads[k], v)


def test_c2w1_dropout_reproduces_the_course_examples():
    from lessons.reference.dls import c2

    X, p = _reg_parameters(seed_first_X=True)
    A3, cache = c2.forward_propagation_with_dropout(X, p, keep_prob=0.7)
    _published(A3, [[0.36974721, 0.00305176, 0.04565099, 0.49683389, 0.36974721]])
    np.testing.assert_array_equal(cache[1], [[1, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
    np.testing.assert_array_equal(cache[6], [[1, 1, 1, 0, 1], [1, 1, 1, 1, 1], [0, 0, 1, 1, 0]])
    _published(cache[2], [[0., 0., 3.05706487, 3.72429505, 0.], [0., 5.94299915, 1.1293003, 2.09276446, 0.]])
    _published(cache[7], [[0.75765067, 8.40591658, 4.40550021, 0., 0.75765067], [0.] * 5, [0.] * 5])

    # the backward example's own cache, as public_tests.py writes it
    cache = (np.array([[-1.52855314, 3.32524635, 2.13994541, 2.60700654, -0.75942115],
                       [-1.98043538, 4.1600994, 0.79051021, 1.46493512, -0.45506242]]),
             np.array([[True, False, True, True, True], [True, True, True, True, False]]),
             np.array([[0., 0., 4.27989081, 5.21401307, 0.], [0., 8.32019881, 1.58102041, 2.92987024, 0.]]),
             np.array([[-1.09989127, -0.17242821, -0.87785842], [0.04221375, 0.58281521, -1.10061918]]),
             np.array([[1.14472371], [0.90159072]]),
             np.array([[0.53035547, 8.02565606, 4.10524802, 5.78975856, 0.53035547],
                       [-0.69166075, -1.71413186, -3.81223329, -4.61667916, -0.69166075],
                       [-0.39675353, -2.62563561, -4.82528105, -6.0607449, -0.39675353]]),
             np.array([[True, False, True, False, True], [False, True, False, True, True],
                       [False, False, True, False, False]]),
             np.array([[1.06071093, 0., 8.21049603, 0., 1.06071093], [0.] * 5, [0.] * 5]),
             np.array([[0.50249434, 0.90085595], [-0.68372786, -0.12289023], [-0.93576943, -0.26788808]]),
             np.array([[0.53035547], [-0.69166075], [-0.39675353]]),
             np.array([[-0.7415562, -0.0126646, -5.65469333, -0.0126646, -0.7415562]]),
             np.array([[0.32266394, 0.49683389, 0.00348883, 0.49683389, 0.32266394]]),
             np.array([[-0.6871727, -0.84520564, -0.67124613]]),
             np.array([[-0.0126646]]))
    grads = c2.backward_propagation_with_dropout(X, np.array([[1, 1, 0, 1, 0]]), cache, 0.8)
    expected = {
        "dZ3": [[-0.67733606, -0.50316611, 0.00348883, -0.50316611, 0.32266394]],
        "dW3": [[-0.06951191, 0., 0.]], "db3": [[-0.2715031]],
        "dA2": [[0.58180856, 0., -0.00299679, 0., -0.27715731], [0., 0.53159854, -0., 0.53159854, -0.34089673],
                [0., 0., -0.00292733, 0., -0.]],
        "dZ2": [[0.58180856, 0., -0.00299679, 0., -0.27715731], [0.] * 5, [0.] * 5],
        "dW2": [[-0.00256518, -0.0009476], [0., 0.], [0., 0.]], "db2": [[0.06033089], [0.], [0.]],
        "dA1": [[0.36544439, 0., -0.00188233, 0., -0.17408748], [0.65515713, 0., -0.00337459, 0., -0.]],
        "dZ1": [[0., 0., -0.00188233, 0., -0.], [0., 0., -0.00337459, 0., -0.]],
        "dW1": [[0.00019884, 0.00028657, 0.00012138], [0.00035647, 0.00051375, 0.00021761]],
        "db1": [[-0.00037647], [-0.00067492]]}
    for k, v in expected.items():
        _published(grads[k], v)


def _three_layers(seed, n, m):
    X = values(seed, (n[0], m))
    p = {}
    for l in (1, 2, 3):
        # A quarter of the grid's +-2: three layers of +-2 weights drive the sigmoid to exactly 0 or 1 (log(0)).
        # W1 X then lies on a lattice of 0.0025 * 0.01 = 2.5e-5, and the bias's 1e-5 keeps Z1 off relu's kink at 0.
        p[f"W{l}"] = values(seed + l, (n[l], n[l - 1])) / 4
        p[f"b{l}"] = values(seed + 10 + l, (n[l], 1)) + 0.00001
    Y = (values(seed + 20, (1, m)) > 0).astype(np.int64)
    return X, Y, p


def _course_three_layer_backward(X, Y, p, Z, A, lambd=0.0, D=None, keep_prob=1.0):
    """The course's backward, written out: ``dZ3 = A3 - Y``, ``dW = dZ A_prev^T / m + lambd / m W``, relu masks."""
    m = X.shape[1]
    A0 = [X, A[1], A[2]]
    out = {}
    dZ = A[3] - Y
    for l in (3, 2, 1):
        out[f"dZ{l}"] = dZ
        out[f"dW{l}"] = dZ @ A0[l - 1].T / m + lambd / m * p[f"W{l}"]
        out[f"db{l}"] = dZ.sum(1, keepdims=True) / m
        if l > 1:
            dA = p[f"W{l}"].T @ dZ
            if D is not None:
                dA = dA * D[l - 1] / keep_prob
            out[f"dA{l - 1}"] = dA
            dZ = dA * (A[l - 1] > 0)
    return out


@few
@given(seed=seeds, n=st.lists(st.integers(1, 4), min_size=3, max_size=3), m=st.integers(1, 4),
       lambd=st.sampled_from([0.0, 0.1, 0.7]), keep_prob=st.sampled_from([0.5, 0.8, 1.0]))
def test_c2w1_regularization_adapters_follow_the_course_equations(seed, n, m, lambd, keep_prob):
    from lessons.reference.dls import c2

    X, Y, p = _three_layers(seed, [*n, 1], m)

    def relu(z):
        return np.maximum(z, 0)

    Z1 = p["W1"] @ X + p["b1"]
    A1 = relu(Z1)
    Z2 = p["W2"] @ A1 + p["b2"]
    A2 = relu(Z2)
    A3 = 1 / (1 + np.exp(-(p["W3"] @ A2 + p["b3"])))
    _, cache = c2.three_layer_forward(X, p)
    np.testing.assert_allclose(cache[9], A3, rtol=1e-12)
    weights = sum(np.sum(p[f"W{l}"] ** 2) for l in (1, 2, 3))
    np.testing.assert_allclose(c2.compute_cost_with_regularization(A3, Y, p, lambd),
                               _cost(A3, Y) + lambd / (2 * m) * weights, rtol=1e-12)
    grads = c2.backward_propagation_with_regularization(X, Y, cache, lambd)
    for k, v in _course_three_layer_backward(X, Y, p, None, {1: A1, 2: A2, 3: A3}, lambd).items():
        np.testing.assert_allclose(grads[k], v, rtol=1e-9, atol=1e-12)

    np.random.seed(1)
    D1 = (np.random.rand(*A1.shape) < keep_prob).astype(int)
    A1d = A1 * D1 / keep_prob
    A2d = relu(p["W2"] @ A1d + p["b2"])
    D2 = (np.random.rand(*A2d.shape) < keep_prob).astype(int)
    A2d = A2d * D2 / keep_prob
    A3d = 1 / (1 + np.exp(-(p["W3"] @ A2d + p["b3"])))
    got, cache = c2.forward_propagation_with_dropout(X, p, keep_prob)
    np.testing.assert_allclose(got, A3d, rtol=1e-12)
    np.testing.assert_array_equal(cache[1], D1)
    np.testing.assert_array_equal(cache[6], D2)
    grads = c2.backward_propagation_with_dropout(X, Y, cache, keep_prob)
    for k, v in _course_three_layer_backward(X, Y, p, None, {1: A1d, 2: A2d, 3: A3d}, D={1: D1, 2: D2},
                                             keep_prob=keep_prob).items():
        np.testing.assert_allclose(grads[k], v, rtol=1e-9, atol=1e-12)


# ================================================================================================================
# Course 2 week 1: gradient checking


def _course_forward_propagation_n(X, Y, parameters):
    """The course's given forward, in its own NumPy arithmetic (np.dot, the cost as a sum of logs times 1/m)."""
    m = X.shape[1]

    def relu(z):
        return np.maximum(0, z)

    A1 = relu(np.dot(parameters["W1"], X) + parameters["b1"])
    A2 = relu(np.dot(parameters["W2"], A1) + parameters["b2"])
    A3 = 1 / (1 + np.exp(-(np.dot(parameters["W3"], A2) + parameters["b3"])))
    logprobs = np.multiply(-np.log(A3), Y) + np.multiply(-np.log(1 - A3), 1 - Y)
    return 1. / m * np.sum(logprobs), None


def _gradient_check_n_case():
    np.random.seed(1)
    x = np.random.randn(4, 3)
    y = np.array([1, 1, 0])
    shapes = [("W1", (5, 4)), ("b1", (5, 1)), ("W2", (3, 5)), ("b2", (3, 1)), ("W3", (1, 3)), ("b3", (1, 1))]
    return x, y, {k: np.random.randn(*s) for k, s in shapes}


def test_c2w1_gradient_check_reproduces_the_course_examples(monkeypatch):
    from lessons.reference.dls import c2

    assert c2.forward_propagation(2, 4) == 8 and c2.backward_propagation(2, 4) == 2
    _exactly(c2.gradient_check(2, 4), 2.919335883291695e-10)

    x, y, p = _gradient_check_n_case()
    _, cache = c2.forward_propagation_n(x, y, p)
    buggy = c2.backward_propagation_n_with_course_bugs(x, y, cache)
    right = c2.backward_propagation_n(x, y, cache)
    # The course's numbers come from its own forward's rounding (the fixed one, 1.19e-7, is pure rounding noise
    # of central differences with epsilon = 1e-7): with that forward, gradient_check_n gives them to the last digit.
    monkeypatch.setattr(c2, "forward_propagation_n", _course_forward_propagation_n)
    _exactly(c2.gradient_check_n(p, buggy, x, y, 1e-7, False), 0.2850931567761623)
    _exactly(c2.gradient_check_n(p, right, x, y, 1e-7, False), 1.1890913024229996e-07)
    monkeypatch.undo()
    # Over scratch's layers: the bug's size to 10 digits, and the fixed backward under the course's 2e-7.
    _published(c2.gradient_check_n(p, buggy, x, y), 0.2850931567761623, decimals=10)
    assert 1e-8 < c2.gradient_check_n(p, right, x, y) < 2e-7


@few
@given(seed=seeds, m=st.integers(1, 4))
def test_c2w1_gradient_check_n_follows_the_course_equations(seed, m):
    from lessons.reference.dls import c2

    X, Y, p = _three_layers(seed, [4, 5, 3, 1], m)
    cost, cache = c2.forward_propagation_n(X, Y, p)
    np.testing.assert_allclose(cost, _course_forward_propagation_n(X, Y, p)[0], rtol=1e-12)
    theta, keys = c2.dictionary_to_vector(p)
    assert theta.shape == (47, 1) and keys[:20] == ["W1"] * 20
    back = c2.vector_to_dictionary(theta)
    assert all(np.array_equal(back[k], p[k]) for k in p)
    grads = c2.backward_propagation_n(X, Y, cache)
    A = {1: cache[1], 2: cache[5], 3: cache[9]}
    for k, v in _course_three_layer_backward(X, Y, p, None, A).items():
        np.testing.assert_allclose(grads[k], v, rtol=1e-9, atol=1e-12)
    # central differences with a larger step: the difference is the step's truncation error (larger where a step
    # crosses a relu's kink), far from the size of a wrong gradient. Where the output has saturated on its label
    # (dZ3 ~ 1e-11) the whole gradient is rounding-sized and a relative difference measures only noise: skipped.
    # A pre-activation within reach of the step (|dZ| up to eps * sum|input|) puts a relu kink inside the difference.
    near_kink = min(float(np.abs(cache[0]).min()), float(np.abs(cache[4]).min())) < 1e-4 * 20
    gradient_norm = np.sqrt(sum(float(np.sum(grads[k] ** 2)) for k in grads if k.startswith(("dW", "db"))))
    if gradient_norm > 1e-6 and not near_kink:
        assert c2.gradient_check_n(p, grads, X, Y, epsilon=1e-4) < 1e-3


# ================================================================================================================
# Course 2 week 2: optimization


def _opt_case(adam=False):
    np.random.seed(1)
    shapes = [("W1", (2, 3)), ("b1", (2, 1)), ("W2", (3, 2)), ("b2", (3, 1))]
    p = {k: np.random.randn(*s) for k, s in shapes}
    g = {"d" + k: np.random.randn(*s) for k, s in shapes}
    return p, g


def test_c2w2_gd_and_mini_batches_reproduce_the_course_examples():
    from lessons.reference.dls import c2

    p, g = _opt_case()
    new = c2.update_parameters_with_gd(p, g, 0.01)
    _published(new["W1"], [[1.63312395, -0.61217855, -0.5339999], [-1.06196243, 0.85396039, -2.3105546]])
    _published(new["b1"], [[1.73978682], [-0.77021546]])
    _published(new["W2"], [[0.32587637, -0.24814147], [1.47146563, -2.05746183], [-0.32772076, -0.37713775]])
    _published(new["b2"], [[1.13773698], [-1.09301954], [-0.16397615]])

    np.random.seed(1)
    X, Y = np.random.randn(5, 7), np.random.randn(1, 7) < 0.5
    batches = c2.random_mini_batches(X, Y, 2)
    assert [b[0].shape for b in batches] == [(5, 2), (5, 2), (5, 2), (5, 1)]
    _published(batches[0][0], [[1.74481176, -0.52817175], [-0.38405435, -0.24937038], [-1.10061918, -0.17242821],
                               [-0.93576943, 0.50249434], [-0.67124613, -0.69166075]])
    _published(batches[2][0], [[1.62434536, -2.3015387], [-0.7612069, -0.3224172], [1.13376944, 0.58281521],
                               [1.14472371, -0.12289023], [-0.26788808, -0.84520564]])
    assert [b[1].tolist() for b in batches] == [[[True, True]], [[True, False]], [[True, True]], [[False]]]
    np.random.seed(1)
    X, Y = np.random.randn(12288, 148), np.random.randn(1, 148) < 0.5
    batches = c2.random_mini_batches(X, Y, 64)
    assert [b[0].shape[1] for b in batches] == [64, 64, 20] and batches[2][1].shape == (1, 20)
    _published(batches[0][0][0][0:3], [0.90085595, -0.7612069, 0.2344157])


def test_c2w2_momentum_and_adam_reproduce_the_course_examples():
    from lessons.reference.dls import c2

    p, g = _opt_case()
    v = c2.initialize_velocity(p)
    assert all(v["d" + k].shape == p[k].shape and not v["d" + k].any() for k in p)
    new, v = c2.update_parameters_with_momentum(p, g, v, beta=0.9, learning_rate=0.01)
    _published(new["W1"], [[1.62522322, -0.61179863, -0.52875457], [-1.071868, 0.86426291, -2.30244029]])
    _published(new["b1"], [[1.74430927], [-0.76210776]])
    _published(new["W2"], [[0.31972282, -0.24924749], [1.46304371, -2.05987282], [-0.32294756, -0.38336269]])
    _published(new["b2"], [[1.1341662], [-1.09920409], [-0.171583]])
    _published(v["dW1"], [[-0.08778584, 0.00422137, 0.05828152], [-0.11006192, 0.11447237, 0.09015907]])
    _published(v["dW2"], [[-0.06837279, -0.01228902], [-0.09357694, -0.02678881], [0.05303555, -0.06916608]])
    _published(v["db1"], [[0.05024943], [0.09008559]])
    _published(v["db2"], [[-0.03967535], [-0.06871727], [-0.08452056]])

    p, g = _opt_case()
    v, s = c2.initialize_adam(p)
    t, lr, beta1, beta2, eps = 2, 0.02, 0.8, 0.888, 1e-2
    new, v, s, vc, sc = c2.update_parameters_with_adam(p, g, v, s, t, lr, beta1, beta2, eps)
    c1_, c2_ = 1.0 / (1 - beta1**t), 1.0 / (1 - beta2**t)
    expected_v = {"dW1": [-0.17557168, 0.00844275, 0.11656304], "dW2": [-0.13674557, -0.02457805],
                  "db1": [0.10049887], "db2": [-0.07935071]}
    expected_s = {"dW1": [0.08631117, 0.00019958, 0.03804344], "dW2": [0.05235818, 0.00169142],
                  "db1": [0.02828006], "db2": [0.0176303]}
    expected_p = {"W1": [1.63937725, -0.62327448, -0.54308727], "W2": [0.33400549, -0.23563857],
                  "b1": [1.72995096], "b2": [1.14852557]}
    for k in expected_v:
        _published(v[k][0], expected_v[k])
        _published(s[k][0], expected_s[k])
        np.testing.assert_allclose(vc[k][0], np.array(expected_v[k]) * c1_, rtol=1e-5, atol=1e-8)  # np.allclose's
        np.testing.assert_allclose(sc[k][0], np.array(expected_s[k]) * c2_, rtol=1e-5, atol=1e-8)
    for k in expected_p:
        _published(new[k][0], expected_p[k])


def test_c2w2_learning_rate_decay_reproduces_the_course_examples():
    from lessons.reference.dls import c2

    _exactly(c2.update_lr(0.5, 2, 1), 0.16666666666666666)
    assert c2.schedule_lr_decay(0.5, 100, 1, 100) == 0.25 and c2.schedule_lr_decay(0.5, 10, 1, 100) == 0.5
    _published(c2.schedule_lr_decay(0.3, 1000, 0.25, 100), 0.085714285, decimals=9)
    _published(c2.schedule_lr_decay(0.3, 100, 0.25, 100), 0.24)


@few
@given(seed=seeds, dims=st.lists(st.integers(1, 4), min_size=2, max_size=3), t=st.integers(1, 5),
       beta=st.sampled_from([0.8, 0.9]), lr=st.sampled_from([0.01, 0.1]))
def test_c2w2_update_rules_follow_the_course_equations(seed, dims, t, beta, lr):
    from lessons.reference.dls import c2

    p, g, v, s = {}, {}, {}, {}
    for l in range(1, len(dims)):
        for name, shape in ((f"W{l}", (dims[l], dims[l - 1])), (f"b{l}", (dims[l], 1))):
            p[name] = values(seed + 4 * l, shape)
            g["d" + name] = values(seed + 4 * l + 1, shape)
            v["d" + name] = values(seed + 4 * l + 2, shape)
            s["d" + name] = values(seed + 4 * l + 3, shape, 0.01, 1.0)
    new, v_new = c2.update_parameters_with_momentum(p, g, v, beta, lr)
    for k in p:
        vk = beta * v["d" + k] + (1 - beta) * g["d" + k]
        np.testing.assert_allclose(v_new["d" + k], vk, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(new[k], p[k] - lr * vk, rtol=1e-13, atol=1e-15)
    new, _, _, vc, sc = c2.update_parameters_with_adam(p, g, v, s, t, lr, 0.9, 0.999, 1e-8)
    for k in p:
        vk = 0.9 * v["d" + k] + 0.1 * g["d" + k]
        sk = 0.999 * s["d" + k] + 0.001 * g["d" + k] ** 2
        vck, sck = vk / (1 - 0.9**t), sk / (1 - 0.999**t)
        np.testing.assert_allclose(vc["d" + k], vck, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(sc["d" + k], sck, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(new[k], p[k] - lr * vck / (np.sqrt(sck) + 1e-8), rtol=1e-12, atol=1e-14)
    m = dims[0] + 3
    X, Y = values(seed, (2, m)), (values(seed + 1, (1, m)) > 0)
    batches = c2.random_mini_batches(X, Y, 2, seed=seed)
    np.random.seed(seed)
    order = np.random.permutation(m)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches], axis=1), X[:, order])
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches], axis=1), Y[:, order])
