"""One module called from several threads at once keeps every gradient and every running-statistics update.

torch's autograd accumulates into ``.grad`` under a lock per parameter; the NumPy shells must too, or a thread's
whole gradient can vanish (two threads both see ``grad is None`` and the second assignment wins) and ``+=`` on a
large array can interleave element by element (NumPy releases the GIL inside big ufunc loops). BatchNorm with
``momentum=None`` reads ``num_batches_tracked`` to weight each batch, so its counter and running averages must
change together.

Each test makes the race likely rather than certain: a GIL switch interval of a microsecond (restored afterwards),
threads released together by a barrier, and many rounds. Values are float64; where the threads add in another
order than a sequential run, the comparison allows rounding and nothing near a whole missing term.
"""
from __future__ import annotations

import contextlib
import copy
import pickle
import sys
import threading

import numpy as np
import pytest

import scratch.nn as nn
from scratch.nn.module import Parameter, accumulate_grad

THREADS = 4
ROUNDS = 300


@contextlib.contextmanager
def frequent_switches():
    """Hand the GIL over every microsecond (the default is 5 ms), so threads interleave between any two bytecodes."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def run_together(work, n=THREADS):
    """Call ``work(k)`` for k = 1..n, each in its own thread, all released at once; re-raise the first error."""
    barrier = threading.Barrier(n)
    errors = []

    def target(k):
        try:
            barrier.wait()
            work(k)
        except BaseException as err:  # noqa: BLE001 - handed to the main thread below
            errors.append(err)

    threads = [threading.Thread(target=target, args=(k,)) for k in range(1, n + 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_accumulate_grad_from_threads_loses_nothing():
    # A large array (NumPy drops the GIL inside the add) and a fresh .grad each round (the None check).
    p = Parameter(np.zeros(1 << 15))
    g = np.ones(1 << 15)
    bad = 0
    with frequent_switches():
        for _ in range(100):
            p.grad = None

            def work(k):
                for _ in range(5):
                    accumulate_grad(p, g)

            run_together(work)
            bad += not np.array_equal(p.grad, np.full_like(g, THREADS * 5))
    assert bad == 0, f"accumulate_grad from {THREADS} threads: {bad} of 100 rounds ended with a wrong .grad"


def lost_rounds(module, call, rounds):
    """Run ``call(module, k)`` (a forward and a backward) for k = 1..THREADS, one after another, then ``rounds``
    times in threads; return how many threaded rounds ended with gradients other than the sequential ones.

    The sums are compared to float64 rounding (the threads add in another order); a lost thread's gradient is
    off by a whole term, ``k * g``, far outside it.
    """
    module.zero_grad()
    for k in range(1, THREADS + 1):
        call(module, k)
    expected = {name: p.grad.copy() for name, p in module.named_parameters()}
    bad = 0
    with frequent_switches():
        for _ in range(rounds):
            module.zero_grad()
            run_together(lambda k: call(module, k))
            bad += any(p.grad is None or not np.allclose(p.grad, expected[name], rtol=1e-12, atol=1e-12)
                       for name, p in module.named_parameters())
    return bad


def test_linear_from_threads_keeps_every_gradient():
    layer = nn.Linear(6, 3, dtype=np.float64, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((2, 6))

    def call(module, k):
        _, backward = module(x)
        backward(np.full((2, 3), float(k)))

    bad = lost_rounds(layer, call, rounds=ROUNDS)
    assert bad == 0, f"Linear from {THREADS} threads: {bad} of {ROUNDS} rounds lost gradients"


RNG = np.random.default_rng(2)
X = RNG.standard_normal((3, 2, 4))  # (T, N, features)
DY, DH = RNG.standard_normal((3, 2, 5)), np.zeros((1, 2, 5))  # the final states get no gradient
LONGER = {  # (module, its forward on X, thread k's upstream gradient)
    "LSTM": (lambda: nn.LSTM(4, 5, dtype=np.float64, rng=np.random.default_rng(3)), lambda m: m(X),
             lambda k: (k * DY, (DH, DH))),
    "GRU": (lambda: nn.GRU(4, 5, dtype=np.float64, rng=np.random.default_rng(4)), lambda m: m(X),
            lambda k: (k * DY, DH)),
    "MultiheadAttention": (lambda: nn.MultiheadAttention(4, 2, dtype=np.float64, rng=np.random.default_rng(5)),
                           lambda m: m(X, X, X, need_weights=False), lambda k: k * DY[..., :4]),
}


@pytest.mark.parametrize("name", list(LONGER))
def test_recurrent_and_attention_from_threads_keep_every_gradient(name):
    make, forward, upstream = LONGER[name]

    def call(module, k):
        _, backward = forward(module)
        backward(upstream(k))

    bad = lost_rounds(make(), call, rounds=ROUNDS)
    assert bad == 0, f"{name} from {THREADS} threads: {bad} of {ROUNDS} rounds lost gradients"


def test_batch_norm_momentum_none_from_threads_is_the_plain_average():
    # After n training batches, momentum=None's running mean is the plain mean of the n batch means, in any order.
    # Thread k's batch is the rows k - 1 and k + 1: mean k, unbiased variance 2.
    layer = nn.BatchNorm1d(3, momentum=None, dtype=np.float64)
    per_thread = 100
    batches = {k: np.array([[k - 1.0] * 3, [k + 1.0] * 3]) for k in range(1, THREADS + 1)}
    with frequent_switches():
        run_together(lambda k: [layer(batches[k]) for _ in range(per_thread)])
    total = THREADS * per_thread
    assert int(layer.num_batches_tracked) == total, (
        f"BatchNorm1d(momentum=None) from {THREADS} threads: num_batches_tracked {int(layer.num_batches_tracked)}, "
        f"expected {total}")
    mean_of_means = np.mean(list(batches))  # every k equally often
    np.testing.assert_allclose(layer.running_mean, np.full(3, mean_of_means), rtol=1e-12,
                               err_msg="running_mean after threaded batches is not the plain mean of batch means")
    np.testing.assert_allclose(layer.running_var, np.full(3, 2.0), rtol=1e-12,
                               err_msg="running_var after threaded batches is not the plain mean of batch variances")


def test_copies_of_locked_modules_get_locks_of_their_own():
    layer = nn.BatchNorm1d(2, dtype=np.float64)
    layer(np.array([[0.0, 1.0], [2.0, 3.0]]))
    layer.weight.grad = np.ones(2)
    for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        assert clone._stats_lock is not layer._stats_lock and clone.weight._grad_lock is not layer.weight._grad_lock
        np.testing.assert_array_equal(clone.running_mean, layer.running_mean)
        assert int(clone.num_batches_tracked) == 1 and np.array_equal(clone.weight.grad, [1.0, 1.0])
        clone(np.array([[0.0, 1.0], [2.0, 3.0]]))  # its lock works
        accumulate_grad(clone.weight, np.ones(2))
        assert int(clone.num_batches_tracked) == 2 and np.array_equal(clone.weight.grad, [2.0, 2.0])
    assert layer.weight[:1]._grad_lock is layer.weight._grad_lock  # a view shares its parameter's lock
