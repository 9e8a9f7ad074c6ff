"""GCNConv and GATConv: parity with the torch twins, gradcheck, textbook references, state_dict layout, bad input.

The torch twins are written by hand (torch.nn has no graph layers), so agreeing with them proves the backward, not
the semantics. The semantics are pinned separately against references written the textbook way, with dense
matrices and per-node loops: D^-1/2 (A + I) D^-1/2 X W^T for GCN, a softmax per node over its in-neighbours for GAT.
Where torch_geometric is installed, one more test compares with PyG's own layers.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import scratch.functional as F
import scratch.nn as nn
import torch_impl.functional as TF
import torch_impl.nn as tnn
from parity_tests.harness import check_function, check_gradcheck, check_module, check_state_dict_layout, torch_dtype
from parity_tests.strategies import GRADCHECK_KINDS, KINDS, WELL_CONDITIONED, cast, float_arrays, optional, seeds, sides

DTYPES = [np.float64, np.float32]


def edges(pairs) -> np.ndarray:
    """``[(source, target), ...]`` as PyG's ``(2, E)`` int64 edge_index."""
    return np.array(pairs, dtype=np.int64).reshape(-1, 2).T.copy()


@st.composite
def graph_case(draw):
    """``(num_nodes, edge_index)``: 1-8 nodes, 0-12 drawn (source, target) pairs, made symmetric half the time.

    At these sizes self-loops, repeated edges and isolated nodes turn up in most examples.
    """
    n = draw(sides)
    node = st.integers(0, n - 1)
    pairs = draw(st.lists(st.tuples(node, node), max_size=12))
    if draw(st.booleans()):
        pairs = pairs + [(t, s) for s, t in pairs]
    return n, edges(pairs)


# Graphs pinned with @example: a single node; an isolated node; a self-loop already present plus a repeated edge.
SINGLE_NODE = (1, edges([]))
ISOLATED = (3, edges([(0, 1), (1, 0)]))
LOOP_AND_DUPLICATE = (3, edges([(0, 0), (0, 1), (0, 1), (2, 1), (1, 1), (1, 1)]))


def positive_weights(n_edges: int, dtype, seed: int) -> np.ndarray:
    # Positive, as degrees must be (deg^-1/2); away from 0 so that no degree is tiny.
    return np.random.default_rng(seed).uniform(0.25, 2.0, n_edges).astype(dtype)


@st.composite
def gcn_case(draw, dtype, kinds=KINDS):
    """``(inputs, options)``: inputs ``[x, edge_index, weight, bias-or-None, edge_weight-or-None]`` for gcn_conv."""
    n, edge_index = draw(graph_case())
    f_in, f_out = draw(sides), draw(sides)
    x = draw(float_arrays((n, f_in), dtype, kinds))
    w = draw(float_arrays((f_out, f_in), dtype, kinds))
    b = draw(optional(float_arrays((f_out,), dtype, kinds)))
    ew = draw(optional(seeds.map(lambda s: positive_weights(edge_index.shape[1], dtype, s))))
    options = dict(improved=draw(st.booleans()), add_self_loops=draw(st.booleans()), normalize=draw(st.booleans()))
    return [x, edge_index, w, b, ew], options


@st.composite
def gat_case(draw, dtype, x_kinds=WELL_CONDITIONED, param_kinds=WELL_CONDITIONED):
    """``(inputs, options)``: inputs ``[x, edge_index, weight, att_src, att_dst, bias-or-None]`` for gat_conv."""
    n, edge_index = draw(graph_case())
    f_in, heads, c = draw(sides), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    concat = draw(st.booleans())
    x = draw(float_arrays((n, f_in), dtype, x_kinds))
    w = draw(float_arrays((heads * c, f_in), dtype, param_kinds))
    att_src = draw(float_arrays((1, heads, c), dtype, param_kinds))
    att_dst = draw(float_arrays((1, heads, c), dtype, param_kinds))
    b = draw(optional(float_arrays((heads * c if concat else c,), dtype, param_kinds)))
    options = dict(heads=heads, concat=concat, negative_slope=draw(st.sampled_from([0.2, 0.01, 0.5])),
                   add_self_loops=draw(st.booleans()))
    return [x, edge_index, w, att_src, att_dst, b], options


def gcn_fns(options):
    return (lambda *a: F.gcn_conv(*a, **options)), (lambda *a: TF.gcn_conv(*a, **options))


def gat_fns(options):
    return (lambda *a: F.gat_conv(*a, **options)), (lambda *a: TF.gat_conv(*a, **options))


def weighted_gcn_case(normalize: bool, add_self_loops: bool = True):
    """A pinned gcn_conv case with edge weights: degrees of 1 to 3 weighted edges, a loop given with its own weight,
    an isolated node; every input gradient (the edge weights' through the degrees too) is nonzero."""
    rng = np.random.default_rng(18)
    edge_index = edges([(0, 1), (1, 0), (1, 2), (2, 2), (0, 2), (3, 1)])
    inputs = [rng.standard_normal((5, 3)), edge_index, rng.standard_normal((2, 3)), rng.standard_normal(2),
              positive_weights(edge_index.shape[1], np.float64, 18)]
    return inputs, dict(improved=False, add_self_loops=add_self_loops, normalize=normalize)


# GCN ----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@given(case=gcn_case(np.float64), seed=seeds)
@example(case=weighted_gcn_case(normalize=True), seed=0)  # the edge weights' path through the degrees
@example(case=weighted_gcn_case(normalize=True, add_self_loops=False), seed=1)
def test_gcn_conv_matches_torch(dtype, case, seed):
    inputs, options = case
    inputs = [cast(a, dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in inputs]
    np_fn, torch_fn = gcn_fns(options)
    # In float32 the edge-weight gradient's values are not compared: it is a difference of two terms of size
    # |dy_i . h_j| / deg (the direct path and the degrees' path) that cancel exactly where a node's only in-edge is
    # its own loop, and float32 rounding of those terms then exceeds the absolute tolerance on a gradient that is 0.
    # It is compared in float64; in float32 its shape and dtype are.
    dtype_only = (4,) if dtype == np.float32 else ()
    check_function("gcn_conv", np_fn, torch_fn, inputs, seed=seed, dtype_only=dtype_only)


@given(case=gcn_case(np.float64, GRADCHECK_KINDS), seed=seeds)
@example(case=([np.ones((1, 1)), SINGLE_NODE[1], np.ones((1, 1)), None, None], {}), seed=0)
@example(case=weighted_gcn_case(normalize=True), seed=0)
def test_gcn_conv_gradcheck(case, seed):
    inputs, options = case
    check_gradcheck("gcn_conv", lambda *a: F.gcn_conv(*a, **options), *inputs, seed=seed)


def dense_gcn_reference(x, edge_index, w, b, loops):
    """Kipf and Welling's formula with dense matrices, for a graph without self-loops in its edge list."""
    n = x.shape[0]
    a = np.zeros((n, n))
    np.add.at(a, (edge_index[1], edge_index[0]), 1.0)  # row = target i, column = source j; repeats count twice
    a_hat = a + np.diag(loops)
    d = np.diag(a_hat.sum(axis=1) ** -0.5)
    return d @ a_hat @ d @ x @ w.T + (0 if b is None else b)


@given(graph=graph_case(), f_in=sides, f_out=sides, improved=st.booleans(), seed=seeds)
@example(graph=SINGLE_NODE, f_in=1, f_out=1, improved=False, seed=0)
@example(graph=ISOLATED, f_in=2, f_out=3, improved=False, seed=0)
@example(graph=LOOP_AND_DUPLICATE, f_in=2, f_out=2, improved=True, seed=0)
def test_gcn_conv_matches_textbook_formula(graph, f_in, f_out, improved, seed):
    # PyG replaces the self-loops an edge list already has by one loop per node, so the answer is that of the
    # graph with its loops dropped; a repeated edge counts twice. The loops weigh 1, or 2 with improved=True,
    # except (PyG's add_remaining_self_loops) where the node had a loop: that one keeps its weight, 1.
    n, edge_index = graph
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((n, f_in)), rng.standard_normal((f_out, f_in)), rng.standard_normal(f_out)
    y, _ = F.gcn_conv(x, edge_index, w, b, improved=improved)
    is_loop = edge_index[0] == edge_index[1]
    loops = np.full(n, 2.0 if improved else 1.0)
    loops[edge_index[0, is_loop]] = 1.0
    expected = dense_gcn_reference(x, edge_index[:, ~is_loop], w, b, loops)
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)


def test_gcn_conv_self_loop_weight_and_duplicates():
    # With edge weights, a node that already has a loop keeps that loop's weight (PyG's add_remaining_self_loops);
    # the others get 1. A repeated edge is the same as one edge of twice the weight.
    x, w = np.random.default_rng(0).standard_normal((3, 2)), np.eye(2)
    with_loop, _ = F.gcn_conv(x, edges([(0, 1), (1, 1), (2, 1)]), w, edge_weight=np.array([1.0, 3.0, 1.0]))
    a_hat = np.array([[1.0, 0, 0], [1, 3, 1], [0, 0, 1]])  # node 1's loop weighs 3, not 3 + 1
    d = np.diag(a_hat.sum(axis=1) ** -0.5)
    np.testing.assert_allclose(with_loop, d @ a_hat @ d @ x, rtol=1e-12)
    repeated, _ = F.gcn_conv(x, edges([(0, 1), (0, 1), (2, 1)]), w)
    doubled, _ = F.gcn_conv(x, edges([(0, 1), (2, 1)]), w, edge_weight=np.array([2.0, 1.0]))
    np.testing.assert_allclose(repeated, doubled, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@given(graph=graph_case(), f_in=sides, f_out=sides, bias=st.booleans(), weighted=st.booleans(), seed=seeds)
def test_gcn_module_matches_torch(dtype, graph, f_in, f_out, bias, weighted, seed):
    n, edge_index = graph
    layer = nn.GCNConv(f_in, f_out, bias=bias, dtype=dtype, rng=np.random.default_rng(seed))
    if bias:  # PyG initialises it to zeros, which would hide a bias added twice or not at all
        layer.bias[...] = np.random.default_rng(seed).standard_normal(f_out)
    twin = tnn.GCNConv(f_in, f_out, bias=bias, dtype=torch_dtype(dtype))
    x = np.random.default_rng(seed + 1).standard_normal((n, f_in)).astype(dtype)
    extra = [positive_weights(edge_index.shape[1], dtype, seed)] if weighted else []
    check_module("GCNConv", layer, twin, x, edge_index, *extra, seed=seed)


# GAT ----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_gat_conv_matches_torch(dtype, data):
    # Attention scores are products of x, W and att: with 1e3-scale values everywhere they reach ~1e9, and an
    # absolute rounding error of 1e-7 then moves exp by as much, so parameters are drawn well-conditioned. And the
    # softmax backward, alpha * (dalpha - sum(alpha * dalpha)), is exactly 0 where a node's in-edges all repeat one
    # source, computed as a difference of terms of size |dy . h|: with 1e3-scale x (or with float32 and more than
    # unit-scale values) its rounding exceeds the absolute tolerance on a gradient that is all zeros.
    x_kinds = ("normal", "ties", "tiny") if dtype == np.float64 else ("normal", "tiny")
    param_kinds = WELL_CONDITIONED if dtype == np.float64 else ("normal",)
    inputs, options = data.draw(gat_case(dtype, x_kinds, param_kinds))
    np_fn, torch_fn = gat_fns(options)
    check_function("gat_conv", np_fn, torch_fn, inputs, seed=data.draw(seeds))


@given(case=gat_case(np.float64, GRADCHECK_KINDS, GRADCHECK_KINDS), seed=seeds)
@example(case=([np.ones((1, 1)), SINGLE_NODE[1], np.ones((1, 1)), np.ones((1, 1, 1)), np.ones((1, 1, 1)), None],
               {}), seed=0)
def test_gat_conv_gradcheck(case, seed):
    inputs, options = case
    check_gradcheck("gat_conv", lambda *a: F.gat_conv(*a, **options), *inputs, seed=seed)


def loop_gat_reference(x, edge_index, w, att_src, att_dst, b, heads, concat, negative_slope):
    """Velickovic et al. node by node: each target's softmax over its in-edges, one self-loop per node."""
    n = x.shape[0]
    c = w.shape[0] // heads
    h = (x @ w.T).reshape(n, heads, c)
    pairs = [(s, t) for s, t in edge_index.T.tolist() if s != t] + [(i, i) for i in range(n)]
    out = np.zeros((n, heads, c))
    for i in range(n):
        sources = [s for s, t in pairs if t == i]  # a repeated edge appears twice
        for k in range(heads):
            scores = np.array([att_src[0, k] @ h[j, k] + att_dst[0, k] @ h[i, k] for j in sources])
            scores = np.where(scores > 0, scores, negative_slope * scores)
            alpha = np.exp(scores - scores.max())
            alpha /= alpha.sum()
            out[i, k] = sum(a * h[j, k] for a, j in zip(alpha, sources))
    y = out.reshape(n, heads * c) if concat else out.mean(axis=1)
    return y + (0 if b is None else b)


@given(case=gat_case(np.float64, ("normal",), ("normal",)))
@example(case=([np.ones((1, 1)), SINGLE_NODE[1], np.ones((2, 1)), np.ones((1, 2, 1)), np.ones((1, 2, 1)), None],
               dict(heads=2, concat=False, negative_slope=0.2, add_self_loops=True)))
def test_gat_conv_matches_per_node_reference(case):
    inputs, options = case
    options = dict(options, add_self_loops=True)
    y, _ = F.gat_conv(*inputs, **options)
    expected = loop_gat_reference(*inputs, **{k: v for k, v in options.items() if k != "add_self_loops"})
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)


def test_gat_softmax_is_stable_for_large_scores():
    # Scores of 1e4: exp would overflow without subtracting each target's max.
    x = np.array([[100.0], [-100.0], [50.0]])
    y, _ = F.gat_conv(x, edges([(0, 2), (1, 2)]), np.ones((1, 1)), np.full((1, 1, 1), 100.0), np.ones((1, 1, 1)))
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y[2], [100.0])  # node 2 attends all but entirely to node 0 (score 1e4 + 50)


@pytest.mark.parametrize("dtype", DTYPES)
@given(graph=graph_case(), f_in=sides, c=st.integers(1, 4), heads=st.integers(1, 3), concat=st.booleans(),
       bias=st.booleans(), seed=seeds)
def test_gat_module_matches_torch(dtype, graph, f_in, c, heads, concat, bias, seed):
    n, edge_index = graph
    layer = nn.GATConv(f_in, c, heads=heads, concat=concat, bias=bias, dtype=dtype, rng=np.random.default_rng(seed))
    if bias:  # PyG initialises it to zeros, which would hide a bias added twice or not at all
        layer.bias[...] = np.random.default_rng(seed).standard_normal(layer.bias.shape)
    twin = tnn.GATConv(f_in, c, heads=heads, concat=concat, bias=bias, dtype=torch_dtype(dtype))
    x = np.random.default_rng(seed + 1).standard_normal((n, f_in)).astype(dtype)
    check_module("GATConv", layer, twin, x, edge_index, seed=seed)


# Layout, initialisation, PyG -------------------------------------------------------------------------------------
def test_graph_state_dict_layout():
    # PyG's keys (recent versions): GCNConv holds bias and lin.weight; GATConv att_src, att_dst, bias, lin.weight.
    assert list(nn.GCNConv(5, 3).state_dict()) == ["bias", "lin.weight"]
    assert {k: v.shape for k, v in nn.GATConv(5, 3, heads=2).state_dict().items()} == {
        "att_src": (1, 2, 3), "att_dst": (1, 2, 3), "bias": (6,), "lin.weight": (6, 5)}
    assert list(nn.GATConv(5, 3, heads=2).state_dict()) == ["att_src", "att_dst", "bias", "lin.weight"]
    assert nn.GATConv(5, 3, heads=2, concat=False).bias.shape == (3,)
    check_state_dict_layout("GCNConv", nn.GCNConv(5, 3), tnn.GCNConv(5, 3))
    check_state_dict_layout("GCNConv", nn.GCNConv(5, 3, bias=False), tnn.GCNConv(5, 3, bias=False))
    check_state_dict_layout("GATConv", nn.GATConv(5, 3, heads=2), tnn.GATConv(5, 3, heads=2))
    check_state_dict_layout("GATConv", nn.GATConv(5, 3, heads=2, concat=False, bias=False),
                            tnn.GATConv(5, 3, heads=2, concat=False, bias=False))


def test_graph_init_is_glorot_with_zero_bias():
    gcn = nn.GCNConv(300, 100, rng=np.random.default_rng(0))
    bound = np.sqrt(6 / 400)
    assert 0.97 * bound < np.abs(gcn.lin.weight).max() <= bound and not np.any(gcn.bias)
    gat = nn.GATConv(300, 20, heads=5, rng=np.random.default_rng(0))
    assert 0.9 * np.sqrt(6 / 25) < np.abs(gat.att_src).max() <= np.sqrt(6 / 25) and not np.any(gat.bias)
    assert gat.lin.weight.dtype == np.float32


def test_graph_matches_torch_geometric():
    pyg = pytest.importorskip("torch_geometric.nn")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4))
    edge_index = edges([(0, 1), (1, 0), (1, 2), (2, 2), (3, 1), (3, 1), (4, 5)])
    for ours, theirs, args in [(nn.GCNConv(4, 3, dtype=np.float64, rng=rng), pyg.GCNConv(4, 3), ()),
                               (nn.GATConv(4, 3, heads=2, dtype=np.float64, rng=rng), pyg.GATConv(4, 3, heads=2), ())]:
        theirs = theirs.double()
        theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
        y, _ = ours(x, edge_index, *args)
        np.testing.assert_allclose(y, theirs(torch.from_numpy(x), torch.from_numpy(edge_index)).detach().numpy(),
                                   rtol=1e-10, atol=1e-10)


# Bad input ---------------------------------------------------------------------------------------------------------
def test_graph_bad_input():
    x, w = np.zeros((3, 4)), np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"gcn_conv expected edge_index entries in \[0, 3\) for 3 nodes, got 3"):
        F.gcn_conv(x, edges([(0, 3)]), w)
    with pytest.raises(ValueError, match=r"gcn_conv expected edge_index entries in \[0, 3\).*got -1"):
        F.gcn_conv(x, edges([(-1, 0)]), w)
    with pytest.raises(ValueError, match=r"gcn_conv expected edge_index of shape \(2, E\), got \(3, 2\): transposed"):
        F.gcn_conv(x, edges([(0, 1), (1, 2), (2, 0)]).T, w)
    with pytest.raises(ValueError, match=r"gcn_conv expected edge_index of shape \(2, E\), got \(4,\)"):
        F.gcn_conv(x, np.arange(4), w)
    with pytest.raises(TypeError, match="gcn_conv expected edge_index to hold integer node indices, got dtype float64"):
        F.gcn_conv(x, edges([(0, 1)]).astype(np.float64), w)
    with pytest.raises(ValueError, match=r"gcn_conv expected x of shape \(N, 4\) \(nodes, features\), got \(3, 5\)"):
        F.gcn_conv(np.zeros((3, 5)), edges([(0, 1)]), w)
    with pytest.raises(ValueError, match=r"gcn_conv expected edge_weight of shape \(2,\), got \(3,\)"):
        F.gcn_conv(x, edges([(0, 1), (1, 2)]), w, edge_weight=np.ones(3))
    with pytest.raises(TypeError, match="gcn_conv expected weight of dtype float64 like the input, got float32"):
        F.gcn_conv(x, edges([(0, 1)]), w.astype(np.float32))
    with pytest.raises(ValueError, match=r"GCNConv expected x of shape \(N, 4\) \(nodes, features\), got \(3, 5\)"):
        nn.GCNConv(4, 2)(np.zeros((3, 5), np.float32), edges([(0, 1)]))
    with pytest.raises(ValueError, match=r"GCNConv expected edge_index entries in \[0, 3\) for 3 nodes, got 7"):
        nn.GCNConv(4, 2)(np.zeros((3, 4), np.float32), edges([(0, 7)]))
    with pytest.raises(TypeError, match="GATConv expected edge_index to be a numpy.ndarray of integers, got list"):
        nn.GATConv(4, 2)(np.zeros((3, 4), np.float32), [[0], [1]])
    with pytest.raises(ValueError, match=r"GATConv expected x of shape \(N, 4\) \(nodes, features\), got \(4,\)"):
        nn.GATConv(4, 2)(np.zeros(4, np.float32), edges([(0, 1)]))
    with pytest.raises(ValueError, match="GATConv expected heads to be an integer >= 1, got 0"):
        nn.GATConv(4, 2, heads=0)
    with pytest.raises(ValueError, match="GATConv does not implement dropout on attention coefficients"):
        nn.GATConv(4, 2, dropout=0.5)
    a = np.zeros((1, 2, 1))
    with pytest.raises(ValueError, match="gat_conv expected heads to be an integer >= 1, got 0"):
        F.gat_conv(x, edges([(0, 1)]), w, a, a, heads=0)
    with pytest.raises(ValueError, match=r"gat_conv expected att_src of shape \(1, 1, 2\), got \(1, 2, 1\)"):
        F.gat_conv(x, edges([(0, 1)]), w, a, a, heads=1)
    y, backward = F.gcn_conv(x, edges([(0, 1)]), w)
    with pytest.raises(ValueError, match=r"gcn_conv.backward expected dy of shape \(3, 2\).*got \(2, 3\)"):
        backward(np.zeros((2, 3)))
