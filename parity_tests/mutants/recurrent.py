"""Planted bugs in the recurrent layers and the embedding."""
from parity_tests.mutants import Mutant

CELLS = "scratch/functional/recurrent/cells.py"
SEQ = "scratch/functional/recurrent/sequences.py"
T = "parity_tests/test_recurrent.py"
LSTM_CELL = (T, "-k", "test_lstm_cell_matches_torch or test_cells_gradcheck")
FAST_SEQ = (T, "-k", "test_sequence_matches_torch and float64")
K = "scratch/functional/_recurrent_kernels.py"
# each kernel against the NumPy code it replaces, and the LSTM through the kernels against torch
KERNEL_TESTS = ("parity_tests/test_recurrent_kernels.py", T, "-k", "kernel or fused or numba")

MUTANTS = [
    Mutant(
        name="recurrent-lstm-gates-course-order",
        file=CELLS,
        old="""    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:])""",
        new="""    g = np.tanh(a[:, 3 * H:])
    o = sigmoid(a[:, 2 * H:3 * H])""",
        tests=LSTM_CELL,
        why="CS231n's gate order i, f, o, g inside torch-layout weights: g and o swap roles",
    ),
    Mutant(
        name="recurrent-lstm-step-gates-course-order",
        file=SEQ,
        old="""    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:])""",
        new="""    g = np.tanh(a[:, 3 * H:])
    o = sigmoid(a[:, 2 * H:3 * H])""",
        tests=FAST_SEQ,
        why="the same slip in the whole-sequence LSTM's step: g and o swap roles",
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
        file=CELLS,
        old="        dcx = dc * f\n",
        new="        dcx = dc\n",
        tests=LSTM_CELL,
        why="c' = f * c + i * g, so dc_prev = dc * f; passing dc through unscaled forgets the forget gate",
    ),
    Mutant(
        name="recurrent-lstm-step-dc-missing-forget-gate",
        file=SEQ,
        old="return None, None, dc * f  # c' = f c + ...: dc_prev = dc * f (the forget-gate path)",
        new="return None, None, dc",
        tests=FAST_SEQ,
        why="the same slip in the whole-sequence LSTM's step, where the cell gradient flows back through every step",
    ),
    Mutant(
        name="recurrent-bptt-no-carry-through-h",
        file=SEQ,
        old="dh_total = dh + dout[t]  # h_t feeds both the output at t and the next step",
        new="dh_total = dout[t] + 0 * dh",
        tests=FAST_SEQ,
        why="truncating BPTT to one step: h_t's gradient from step t+1 (and from h_n) is dropped",
    ),
    Mutant(
        name="recurrent-lstm-sigmoid-slope-missing",
        file=CELLS,
        old="da_i = dc * g * (i * (1 - i))",
        new="da_i = dc * g * (1 - i)",
        tests=LSTM_CELL,
        why="sigmoid'(a) = s (1 - s); using (1 - s) alone is a half-remembered derivative",
    ),
    Mutant(
        name="recurrent-gru-dgh-n-without-r",
        file=CELLS,
        old="dgh = np.concatenate([da_r, da_z, da_n * r], axis=1)",
        new="dgh = np.concatenate([da_r, da_z, da_n], axis=1)",
        tests=(T, "-k", "test_rnn_and_gru_cell_match_torch and gru and float64"),
        why="in torch's GRU, r multiplies (W_hn h + b_hn), so that term's gradient carries the factor r",
    ),
    Mutant(
        name="recurrent-gru-step-dgh-n-without-r",
        file=SEQ,
        old="dgh = np.concatenate([da_r, da_z, da_n * r], axis=1)",
        new="dgh = np.concatenate([da_r, da_z, da_n], axis=1)",
        tests=FAST_SEQ,
        why="the same slip in the whole-sequence GRU's step",
    ),
    Mutant(
        name="recurrent-gru-bias-hn-outside-r",
        file=SEQ,
        old="return _layers(_gru_step, 2, False,",
        new="return _layers(_gru_step, 3, False,",
        tests=FAST_SEQ,
        why="folding all of b_hh into the input projection puts b_hn outside r (the paper's GRU, not torch's)",
    ),
    Mutant(
        name="recurrent-rnn-bias-hh-overwrites-ih",
        file=SEQ,
        old="b_x[:fold] += b_hh[:fold]",
        new="b_x[:fold] = b_hh[:fold]",
        tests=FAST_SEQ,
        why="the two biases add; keeping only one of them is a slip when merging them",
    ),
    Mutant(
        name="recurrent-bidirectional-reverse-runs-forward",
        file=SEQ,
        old="valid, reverse=d == 1)",
        new="valid, reverse=False)",
        tests=FAST_SEQ,
        why="the _reverse direction must read the sequence from its end",
    ),
    Mutant(
        name="recurrent-lengths-state-not-frozen-on-padding",
        file=SEQ,
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
