"""Planted bugs in the recurrent layers and the embedding."""
from parity_tests.mutants import Mutant

R = "scratch/functional/recurrent.py"
T = "parity_tests/test_recurrent.py"
FAST_LSTM = (T, "-k", "test_lstm_cell_matches_torch or test_cells_gradcheck")
FAST_SEQ = (T, "-k", "test_sequence_matches_torch and float64")
K = "scratch/functional/_recurrent_kernels.py"
# each kernel against the NumPy code it replaces, and the LSTM cell through the kernels against torch
KERNEL_TESTS = ("parity_tests/test_recurrent_kernels.py", T, "-k", "kernel or fused or test_lstm_cell_matches_torch")

MUTANTS = [
    Mutant(
        name="recurrent-lstm-gates-course-order",
        file=R,
        old="""    g = np.tanh(a[:, 2 * H:3 * H])  # tanh for the candidate g ...
    act = _sigmoid_(a)  # ... sigmoid for i, f, o (a is overwritten: backward needs only the activations)
    act[:, 2 * H:3 * H] = g
    i, f, o = act[:, :H], act[:, H:2 * H], act[:, 3 * H:]""",
        new="""    g = np.tanh(a[:, 3 * H:])
    act = _sigmoid_(a)
    act[:, 3 * H:] = g
    i, f, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H]""",
        tests=FAST_LSTM,
        why="CS231n's gate order i, f, o, g inside torch-layout weights: g and o swap roles",
    ),
    Mutant(
        name="recurrent-kernel-gates-course-order",
        file=K,
        old="ai, af, ag, ao = an[:H], an[H:2 * H], an[2 * H:3 * H], an[3 * H:]",
        new="ai, af, ag, ao = an[:H], an[H:2 * H], an[3 * H:], an[2 * H:3 * H]",
        tests=KERNEL_TESTS,
        why="the numba kernel reading gates i, f, o, g (CS231n's order) from torch's i, f, g, o blocks: tanh goes to "
            "the output gate's pre-activation and sigmoid to the candidate's",
    ),
    Mutant(
        name="recurrent-kernel-dc-missing-forget-gate",
        file=K,
        old="dc_prevn[j] = d * f[j]",
        new="dc_prevn[j] = d",
        tests=KERNEL_TESTS,
        why="the numba backward must scale the cell gradient by f on its way to c_prev, as the NumPy step does",
    ),
    Mutant(
        name="recurrent-kernel-dc-missing-tanh-slope",
        file=K,
        old="d = dcn[j] + dhn[j] * o[j] * (one - tcn[j] * tcn[j])",
        new="d = dcn[j] + dhn[j] * o[j]",
        tests=KERNEL_TESTS,
        why="h = o tanh(c): dh reaches c through tanh's slope 1 - tanh(c)^2, which the fused backward must keep",
    ),
    Mutant(
        name="recurrent-lstm-dc-missing-forget-gate",
        file=R,
        old="return None, dc * f  # c' = f c + ...: dc = dc' * f (the forget-gate path)",
        new="return None, dc",
        tests=FAST_LSTM,
        why="c' = f * c + i * g, so dc_prev = dc * f; passing dc through unscaled forgets the forget gate",
    ),
    Mutant(
        name="recurrent-bptt-no-carry-through-h",
        file=R,
        old="dh_total = dh + dout[t]  # h_t feeds both the output at t and the next step",
        new="dh_total = dout[t] + 0 * dh",
        tests=FAST_SEQ,
        why="truncating BPTT to one step: h_t's gradient from step t+1 (and from h_n) is dropped",
    ),
    Mutant(
        name="recurrent-lstm-sigmoid-slope-missing",
        file=R,
        old="    slope *= act\n    np.multiply(g, g",
        new="    np.multiply(g, g",
        tests=FAST_LSTM,
        why="sigmoid'(a) = s (1 - s); using (1 - s) alone is a half-remembered derivative",
    ),
    Mutant(
        name="recurrent-gru-dgh-n-without-r",
        file=R,
        old="np.multiply(dan, r, out=dgh[:, 2 * H:])  # W_hn h enters n multiplied by r",
        new="dgh[:, 2 * H:] = dan",
        tests=(T, "-k", "test_rnn_and_gru_cell_match_torch and gru and float64"),
        why="in torch's GRU, r multiplies (W_hn h + b_hn), so that term's gradient carries the factor r",
    ),
    Mutant(
        name="recurrent-gru-bias-hn-outside-r",
        file=R,
        old="GRU = _Kind(\"gru\", 3, False, 2, True,",
        new="GRU = _Kind(\"gru\", 3, False, 3, True,",
        tests=(T, "-k", "test_rnn_and_gru_cell_match_torch and gru and float64"),
        why="folding all of b_hh into the input projection puts b_hn outside r (the paper's GRU, not torch's)",
    ),
    Mutant(
        name="recurrent-rnn-bias-hh-overwrites-ih",
        file=R,
        old="b_x[:fold] += b_hh[:fold]",
        new="b_x[:fold] = b_hh[:fold]",
        tests=(T, "-k", "test_rnn_and_gru_cell_match_torch and tanh and float64"),
        why="the two biases add; keeping only one of them is a slip when merging them",
    ),
    Mutant(
        name="recurrent-bidirectional-reverse-runs-forward",
        file=R,
        old="valid, reverse=d == 1)",
        new="valid, reverse=False)",
        tests=FAST_SEQ,
        why="the _reverse direction must read the sequence from its end",
    ),
    Mutant(
        name="recurrent-lengths-state-not-frozen-on-padding",
        file=R,
        old="            h = np.where(m, h_new, h)\n",
        new="            h = h_new\n",
        tests=FAST_SEQ,
        why="past a sequence's end its state must stop changing, so h_n is the state at its last valid step",
    ),
    Mutant(
        name="embedding-repeated-index-overwrites",
        file="scratch/functional/embedding.py",
        old="np.add.at(dweight, flat, dy2)",
        new="dweight[flat] += dy2",
        tests=("parity_tests/test_embedding.py", "-k", "test_embedding_matches_torch"),
        why="fancy-index += is buffered: a row looked up twice gets one of its two gradients",
    ),
    Mutant(
        name="embedding-padding-row-gets-gradient",
        file="scratch/functional/embedding.py",
        old="            dweight[padding_idx] = 0\n        return None, dweight",
        new="            pass\n        return None, dweight",
        tests=("parity_tests/test_embedding.py", "-k", "test_embedding_matches_torch"),
        why="padding_idx's row must receive no gradient",
    ),
]
