"""Planted bugs in the losses."""
from parity_tests.mutants import Mutant

FILE = "scratch/functional/loss.py"
TESTS = "parity_tests/test_loss.py"

MUTANTS = [
    Mutant(
        name="loss-label-smoothing-over-c-minus-1",
        file=FILE,
        old="eps_c = label_smoothing / C  # the uniform distribution's share of each class",
        new="eps_c = label_smoothing / max(C - 1, 1)",
        tests=(TESTS, "-k", "test_cross_entropy_matches_torch"),
        why="spreading eps over the C - 1 wrong classes is another smoothing convention; torch mixes in eps / C "
            "for every class, the true one included",
    ),
    Mutant(
        name="loss-cross-entropy-mean-over-n",
        file=FILE,
        old="return -w_t * logp_t, w_t.sum(), keep, onehot, w_t",
        new="return -w_t * logp_t, w_t.size, keep, onehot, w_t",
        tests=(TESTS, "-k", "test_cross_entropy_matches_torch"),
        why="'mean' with class weights (or ignored targets) divides by the sum of the kept targets' weights, "
            "not by the number of elements",
    ),
    Mutant(
        name="loss-ignored-targets-get-smoothing-gradient",
        file=FILE,
        old="dsmooth = np.where(keep[:, None], -w_c * dl, 0)  # ignored elements get no gradient",
        new="dsmooth = -w_c * dl",
        tests=(TESTS, "-k", "test_cross_entropy_matches_torch or test_cross_entropy_gradcheck"),
        why="the forward pass masks ignore_index out of the smoothing term, so the backward pass must mask it too; "
            "otherwise ignored (padding) positions still push on the logits",
    ),
    Mutant(
        name="loss-bce-pos-weight-on-negatives",
        file=FILE,
        old="pos_scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * t  # multiplies -log p, the positive term",
        new="pos_scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * (1 - t)",
        tests=(TESTS, "-k", "test_bce_with_logits_matches_torch or test_bce_with_logits_gradcheck"),
        why="pos_weight scales the t log p term of the positives; weighting by 1 - t scales the negatives instead",
    ),
    Mutant(
        name="loss-smooth-l1-slope-times-beta",
        file=FILE,
        old="dinput = np.where(inside, d / safe_beta, np.sign(d)) * reduce_backward(dy)",
        new="dinput = np.where(inside, d * safe_beta, np.sign(d)) * reduce_backward(dy)",
        tests=(TESTS, "-k", "test_regression_loss_matches_torch and smooth_l1 or test_regression_loss_gradcheck "
                            "and smooth_l1"),
        why="the derivative of 0.5 d^2 / beta is d / beta; multiplying by beta is right only for beta = 1, the default",
    ),
    Mutant(
        name="loss-kl-batchmean-over-all-elements",
        file=FILE,
        old="batch = input.shape[0] if input.ndim else 1",
        new="batch = input.size",
        tests=(TESTS, "-k", "test_kl_div_matches_torch"),
        why="'batchmean' divides by the batch size only (the KL per example); dividing by every element is 'mean'",
    ),
]
