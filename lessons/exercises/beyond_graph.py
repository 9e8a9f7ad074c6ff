"""Beyond the courses: graph neural network layers, a GCN layer and a one-head GAT layer, forward and backward, on a
dense adjacency matrix."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference import beyond as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## Graphs as matrices

A graph of `N` nodes, each with `F_in` features, is a feature matrix `X (N, F_in)` and an adjacency matrix
`A (N, N)`: `A[i, j] = 1` when node `j` is a neighbour of node `i`, else 0. Here `A` is symmetric (edges go both
ways) and has a zero diagonal: the layers add each node to its own neighbourhood themselves. A dense `A` keeps the
algebra visible; libraries (PyTorch Geometric, this project's `scratch.functional.gcn_conv`) store an edge list
instead so that the cost grows with the number of edges, but the numbers are the same.

## 1. A GCN layer (Kipf and Welling)

Each node averages its neighbours' features and its own, with weights that shrink for well-connected nodes:

    At   = A + I                                   every node is its own neighbour
    deg  = At.sum(axis=1)                          (N,), at least 1
    Ahat = D^-1/2 At D^-1/2,  Ahat[i, j] = At[i, j] / sqrt(deg[i] * deg[j])
    out  = Ahat @ X @ W + b                        W (F_in, F_out), b (F_out,), out (N, F_out)

Return `(out, cache)`.

**Backward.** `Ahat` is a constant (it depends on the graph only). So `out` is a product of three matrices plus a
bias: for `out = Ahat @ H + b` with `H = X @ W`, what is `dH` (which side does `Ahat` go, transposed or not)? From
`dH`, `dX` and `dW` as in an affine layer. Is `dW = X^T @ dout` enough, or does `Ahat` appear in it? `Ahat` is
symmetric here: write the transpose anyway, so your code stays right for a directed graph.
"""),
    Code('''
def gcn_forward(X, A, W, b):
    """One GCN layer with the symmetric normalisation of A + I.

    Inputs: X (N, F_in), A (N, N) 0/1, symmetric, zero diagonal, W (F_in, F_out), b (F_out,)
    Returns (out, cache): out (N, F_out)
    """
    raise NotImplementedError


def gcn_backward(dout, cache):
    """Inputs: dout (N, F_out); cache from gcn_forward. Returns (dX (N, F_in), dW (F_in, F_out), db (F_out,))."""
    raise NotImplementedError
'''),
    Markdown("""
## 2. A GAT layer, one head (Velickovic et al.)

Instead of fixed weights, each node learns how much to listen to each neighbour:

    h     = X @ W                                   (N, F)       F = F_out
    s_dst = h @ a[:F]      s_src = h @ a[F:]        (N,) each: a (2F,) scores the node itself, then its neighbour
    Z[i, j] = s_dst[i] + s_src[j]                   (N, N)
    E     = LeakyReLU(Z) with slope 0.2 below 0     (PyTorch's default slope is 0.01: pass 0.2)
    E[i, j] = -inf where At[i, j] == 0              only neighbours and the node itself compete
    alpha = softmax of each row of E                (N, N), each row sums to 1
    out   = alpha @ h + b

Return `(out, cache)`.

**Backward.** `h` reaches the output in two ways: as the messages (`alpha @ h`) and through the scores.

1. The messages: from `out = alpha @ h + b`, the gradients on `alpha` and (the first part of) `h`, and `db`.
2. The row softmax: the same as attention's, `dE = alpha * (dalpha - sum(dalpha * alpha, axis=1, keepdims=True))`.
   What do the blocked entries receive?
3. The LeakyReLU: which slope multiplies `dE` where `Z > 0`, and which where `Z <= 0`?
4. `Z[i, j] = s_dst[i] + s_src[j]`: `ds_dst` sums `dZ` over which axis, `ds_src` over which?
5. `s_dst = h @ a[:F]`: the second part of `dh` and the first half of `da`; the same for `s_src`.
6. `h = X @ W`: `dX`, `dW` from the total `dh`. Return `(dX, dW, da, db)`.
"""),
    Code('''
def gat_forward(X, A, W, a, b):
    """One-head graph attention.

    Inputs: X (N, F_in), A (N, N) 0/1, symmetric, zero diagonal, W (F_in, F), a (2F,), b (F,)
    Returns (out, cache): out (N, F)
    """
    raise NotImplementedError


def gat_backward(dout, cache):
    """Inputs: dout (N, F); cache from gat_forward. Returns (dX, dW, da, db) shaped like X, W, a, b."""
    raise NotImplementedError
'''),
]

# --------------------------------------------------------------------------------------------------------------
# Cases


def _adjacency(seed, N):
    """A random symmetric 0/1 matrix with a zero diagonal (isolated nodes included)."""
    upper = np.triu(np.random.default_rng(seed).random((N, N)) < 0.5, 1)
    return (upper | upper.T).astype(np.float64)


@st.composite
def graph_case(draw):
    N = draw(st.integers(1, 4))
    F_in, F_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    seed = draw(seeds)
    return {"X": values(seed, (N, F_in)), "A": _adjacency(seed + 1, N), "W": values(seed + 2, (F_in, F_out), -1, 1),
            "b": values(seed + 3, (F_out,), -1, 1), "seed": seed}


@st.composite
def gat_case(draw):
    c = draw(graph_case())
    c["a"] = values(c["seed"] + 4, (2 * c["W"].shape[1],), -1, 1)
    return {k: c[k] for k in ("X", "A", "W", "a", "b", "seed")}


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences


def run_gcn_forward(f, c):
    out, _ = f.gcn_forward(c["X"], c["A"], c["W"], c["b"])
    return {"out": out}


def run_gcn_backward(f, c):
    out, cache = f.gcn_forward(c["X"], c["A"], c["W"], c["b"])
    dX, dW, db = f.gcn_backward(f.upstream(out), cache)
    return {"dX": dX, "dW": dW, "db": db}


def grad_gcn(f, c):
    def fn(X, W, b):
        out, cache = f.gcn_forward(X, c["A"], W, b)
        return out, lambda dout: f.gcn_backward(dout, cache)
    return fn, (c["X"], c["W"], c["b"]), ("X", "W", "b")


def run_gat_forward(f, c):
    out, _ = f.gat_forward(c["X"], c["A"], c["W"], c["a"], c["b"])
    return {"out": out}


def run_gat_backward(f, c):
    out, cache = f.gat_forward(c["X"], c["A"], c["W"], c["a"], c["b"])
    dX, dW, da, db = f.gat_backward(f.upstream(out), cache)
    return {"dX": dX, "dW": dW, "da": da, "db": db}


def grad_gat(f, c):
    def fn(X, W, a, b):
        out, cache = f.gat_forward(X, c["A"], W, a, b)
        return out, lambda dout: f.gat_backward(dout, cache)
    return fn, (c["X"], c["W"], c["a"], c["b"]), ("X", "W", "a", "b")


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def _ahat(A, *, norm="sym", loops=True):
    At = A + np.eye(A.shape[0]) if loops else A
    deg = At.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):  # a learner's 1/sqrt(0) is inf, and inf * 0 is nan
        if norm == "sym":
            d = 1 / np.sqrt(deg)
            return d[:, None] * At * d[None, :]
        return At / deg[:, None]


def gcn_forward_row_normalised(X, A, W, b):
    return _ahat(A, norm="row") @ X @ W + b, (X, A, W, b)


def gcn_forward_no_self_loops(X, A, W, b):
    with np.errstate(invalid="ignore"):
        return _ahat(A, loops=False) @ X @ W + b, (X, A, W, b)


def gcn_forward_bias_inside(X, A, W, b):
    return _ahat(A) @ (X @ W + b), (X, A, W, b)


def _gcn_backward(dout, cache, *, dW_through_ahat=True, dX_through_ahat=True, db="sum"):
    X, A, W, _ = cache
    Ahat = _ahat(A)
    dH = Ahat.T @ dout
    dX = (dH if dX_through_ahat else dout) @ W.T
    dW = X.T @ (dH if dW_through_ahat else dout)
    return dX, dW, dout.sum(axis=0) if db == "sum" else dout.mean(axis=0)


def gcn_backward_dW_without_ahat(dout, cache):
    return _gcn_backward(dout, cache, dW_through_ahat=False)


def gcn_backward_dX_without_ahat(dout, cache):
    return _gcn_backward(dout, cache, dX_through_ahat=False)


def gcn_backward_db_mean(dout, cache):
    return _gcn_backward(dout, cache, db="mean")


def _gat_parts(X, A, W, a, *, slope=0.2, neighbours="graph", halves="dst_src"):
    N = X.shape[0]
    F = W.shape[1]
    h = X @ W
    first, second = (a[:F], a[F:]) if halves == "dst_src" else (a[F:], a[:F])
    s_dst, s_src = h @ first, h @ second
    Z = s_dst[:, None] + s_src[None, :]
    E = np.where(Z > 0, Z, slope * Z)
    At = {"graph": A + np.eye(N), "all": np.ones((N, N)), "no_loops": A}[neighbours]
    E = np.where(At > 0, E, -np.inf)
    with np.errstate(invalid="ignore"):  # a row with no neighbour at all: a learner's softmax gives nan there
        E = E - E.max(axis=1, keepdims=True)
        P = np.exp(E)
        P = P / P.sum(axis=1, keepdims=True)
    return h, Z, P


def gat_forward_all_nodes(X, A, W, a, b):
    h, _, P = _gat_parts(X, A, W, a, neighbours="all")
    return P @ h + b, (X, A, W, a, b)


def gat_forward_no_self_loops(X, A, W, a, b):
    h, _, P = _gat_parts(X, A, W, a, neighbours="no_loops")
    return P @ h + b, (X, A, W, a, b)


def gat_forward_halves_swapped(X, A, W, a, b):
    h, _, P = _gat_parts(X, A, W, a, halves="src_dst")
    return P @ h + b, (X, A, W, a, b)


def gat_forward_torch_default_slope(X, A, W, a, b):
    h, _, P = _gat_parts(X, A, W, a, slope=0.01)
    return P @ h + b, (X, A, W, a, b)


def _gat_backward(dout, cache, *, softmax="full", leaky="slope", messages=True):
    X, A, W, a, _ = cache
    F = W.shape[1]
    h, Z, P = _gat_parts(X, A, W, a)
    dP = dout @ h.T
    dh = P.T @ dout if messages else np.zeros_like(h)
    if softmax == "full":
        dE = P * (dP - np.sum(dP * P, axis=1, keepdims=True))
    else:
        dE = dP * P * (1 - P)
    dZ = np.where(Z > 0, dE, 0.2 * dE) if leaky == "slope" else dE
    ds_dst, ds_src = dZ.sum(axis=1), dZ.sum(axis=0)
    dh = dh + np.outer(ds_dst, a[:F]) + np.outer(ds_src, a[F:])
    da = np.concatenate([h.T @ ds_dst, h.T @ ds_src])
    return dh @ W.T, X.T @ dh, da, dout.sum(axis=0)


def gat_backward_softmax_diagonal_only(dout, cache):
    return _gat_backward(dout, cache, softmax="diagonal")


def gat_backward_leaky_slope_missing(dout, cache):
    return _gat_backward(dout, cache, leaky="none")


def gat_backward_scores_path_only(dout, cache):
    return _gat_backward(dout, cache, messages=False)


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("gcn_forward", graph_case(), run_gcn_forward, mistakes=[
        Mistake("Ahat is normalised by rows, D^-1 (A + I); the GCN's is symmetric: At[i, j] / sqrt(deg[i] deg[j])",
                gcn_forward_row_normalised),
        Mistake("the self-loops are missing: add the identity to A before computing the degrees and Ahat",
                gcn_forward_no_self_loops),
        Mistake("b is added before the aggregation, Ahat @ (X W + b); add it after: Ahat @ X @ W + b",
                gcn_forward_bias_inside),
    ]),
    Task("gcn_backward", graph_case(), run_gcn_backward, grad=grad_gcn, mistakes=[
        Mistake("dW misses the aggregation: out = Ahat @ (X W), so dW = X^T @ (Ahat^T @ dout)",
                gcn_backward_dW_without_ahat),
        Mistake("dX misses the aggregation: dX = Ahat^T @ dout @ W^T", gcn_backward_dX_without_ahat),
        Mistake("db averages dout over the nodes; b is added to every node, so db sums them: dout.sum(axis=0)",
                gcn_backward_db_mean),
    ]),
    Task("gat_forward", gat_case(), run_gat_forward, mistakes=[
        Mistake("the softmax runs over every node; block the non-neighbours (At == 0) with -inf first",
                gat_forward_all_nodes),
        Mistake("the node itself is left out of its neighbourhood: use At = A + I for the mask",
                gat_forward_no_self_loops),
        Mistake("the halves of a are swapped: a[:F] scores the node i itself (the row), a[F:] its neighbour j",
                gat_forward_halves_swapped),
        Mistake("the LeakyReLU's slope is 0.01 (PyTorch's default); GAT uses 0.2", gat_forward_torch_default_slope),
    ]),
    Task("gat_backward", gat_case(), run_gat_backward, grad=grad_gat, mistakes=[
        Mistake("the softmax's backward keeps only the diagonal, dalpha * alpha * (1 - alpha); each score moves "
                "its whole row: dE = alpha * (dalpha - sum(dalpha * alpha, axis=1, keepdims=True))",
                gat_backward_softmax_diagonal_only),
        Mistake("the LeakyReLU's slope is missing in the backward: multiply dE by 0.2 where Z <= 0",
                gat_backward_leaky_slope_missing),
        Mistake("dh misses the messages' path: out = alpha @ h, so dh starts from alpha^T @ dout before the "
                "scores' part is added", gat_backward_scores_path_only),
    ]),
]

LESSON = Lesson(
    name="beyond/graph",
    title="Graph layers: GCN and GAT, forward and backward",
    course="Beyond the courses (neither course covers graph networks)",
    covers="gcn (symmetric normalisation of A + I) and one-head gat (LeakyReLU 0.2, neighbour softmax)",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
