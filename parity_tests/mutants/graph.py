"""Planted bugs in the graph layers."""
from parity_tests.mutants import Mutant

_GCN_TESTS = ("parity_tests/test_graph.py", "-k", "gcn_conv_matches_torch or gcn_conv_matches_textbook")
_GAT_TESTS = ("parity_tests/test_graph.py", "-k", "gat_conv_matches_torch or gat_conv_matches_per_node")

MUTANTS = [
    Mutant(
        name="gcn-norm-d-inverse",
        file="scratch/functional/graph.py",
        old="np.power(deg, -0.5, out=dinv, where=deg > 0)",
        new="np.power(deg, -1.0, out=dinv, where=deg > 0)",
        tests=_GCN_TESTS,
        why="D^-1 on both sides of A (instead of D^-1/2) shrinks every message by a further sqrt of both degrees",
    ),
    Mutant(
        name="gcn-self-loops-not-added",
        file="scratch/functional/graph.py",
        old="src, dst, w, keep, loop_from = add_remaining_self_loops(src, dst, w_in, N, fill)",
        new="w, keep, loop_from = w_in, np.ones(E, dtype=bool), np.full(N, -1, dtype=np.int64)",
        tests=_GCN_TESTS,
        why="A instead of A + I: a node forgets its own features and an isolated node outputs only the bias",
    ),
    Mutant(
        name="gcn-degree-backward-sign",
        file="scratch/functional/graph.py",
        old="ddeg = -0.5 * ddinv * dinv ** 3",
        new="ddeg = 0.5 * ddinv * dinv ** 3",
        tests=("parity_tests/test_graph.py", "-k", "gcn_conv_matches_torch or gcn_conv_gradcheck"),
        why="d(deg^-1/2)/d(deg) = -1/2 deg^-3/2: dropping the minus sign is the classic slip in the edge-weight path",
    ),
    Mutant(
        name="gcn-edge-weight-gradient-float64",
        file="scratch/functional/graph.py",
        old="dedge_weight = np.zeros(E, dtype=x.dtype)",
        new="dedge_weight = np.zeros(E)",
        tests=("parity_tests/test_graph.py", "-k", "gcn_conv_matches_torch and float32"),
        why="np.zeros defaults to float64: a float32 layer would hand its optimizer a float64 edge-weight gradient "
            "(the float32 test compares that gradient's dtype, not its values)",
    ),
    Mutant(
        name="gat-softmax-over-source",
        file="scratch/functional/graph.py",
        old="alpha = exp_e / _scatter_sum(exp_e, dst, N)[dst]  # (E', H)",
        new="alpha = exp_e / _scatter_sum(exp_e, src, N)[src]  # (E', H)",
        tests=_GAT_TESTS,
        why="the softmax must normalise over each target's incoming edges; over the source's outgoing edges it "
            "gives coefficients that do not sum to 1 at the node that aggregates them",
    ),
    Mutant(
        name="gat-leaky-relu-backward-slope",
        file="scratch/functional/graph.py",
        old="dz = np.where(positive, de, negative_slope * de)  # LeakyReLU backward",
        new="dz = de",
        tests=("parity_tests/test_graph.py", "-k", "gat_conv_matches_torch or gat_conv_gradcheck"),
        why="LeakyReLU's backward scales negative scores' gradients by negative_slope; passing them through unchanged "
            "is an easy omission",
    ),
]
