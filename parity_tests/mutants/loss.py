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

# Issue 17's distances and embedding losses (tests in parity_tests/test_loss_more.py)
MORE = "parity_tests/test_loss_more.py"

MUTANTS += [
    Mutant(
        name="loss-cosine-similarity-norm-as-constant",
        file=FILE,
        old="return du / c + dc * np.where(n > 0, x / np.where(n > 0, n, 1), 0)",
        new="return du / c",
        tests=(MORE, "-k", "cosine_similarity or distances_gradcheck"),
        why="x / ||x|| depends on x through the norm too: dropping the norm's term leaves only the diagonal",
    ),
    Mutant(
        name="loss-pairwise-distance-without-eps",
        file=FILE,
        old="d = (x1 - x2 + eps).reshape(shape or (1,))",
        new="d = (x1 - x2).reshape(shape or (1,))",
        tests=(MORE, "-k", "pairwise_distance"),
        why="torch adds eps to every difference before the norm; leaving it out moves every distance",
    ),
    Mutant(
        name="loss-pairwise-distance-inf-ties-not-shared",
        file=FILE,
        old="dd = sign * (g / tie.sum(axis=-1, keepdims=True)) * tie",
        new="dd = sign * g * tie",
        tests=(MORE, "-k", "pairwise_distance"),
        why="with ties for the largest |difference|, torch splits the max-norm's gradient among them",
    ),
    Mutant(
        name="loss-triplet-hinge-open-at-zero",
        file=FILE,
        old="    active = z >= 0\n    y, reduce_backward = _reduce(np.maximum(z, 0), reduction)",
        new="    active = z > 0\n    y, reduce_backward = _reduce(np.maximum(z, 0), reduction)",
        tests=(MORE, "-k", "triplet"),
        why="torch's clamp_min passes the gradient where margin + d(a, p) - d(a, n) is exactly 0",
    ),
    Mutant(
        name="loss-triplet-swap-tie-not-split",
        file=FILE,
        old="np.where(d_neg == d_swap, 0.5, 0.0)",
        new="np.where(d_neg == d_swap, 1.0, 0.0)",
        tests=(MORE, "-k", "triplet"),
        why="torch's min sends half the gradient to each of two equal distances",
    ),
    Mutant(
        name="loss-cosine-embedding-wrong-norm",
        file=FILE,
        old="dx2 = dcos * (x1 / denom[..., None] - cos[..., None] * x2 / m2[..., None])",
        new="dx2 = dcos * (x1 / denom[..., None] - cos[..., None] * x2 / m1[..., None])",
        tests=(MORE, "-k", "cosine_embedding or pair_losses_gradcheck"),
        why="d cos / d x2 = x1 / denom - cos x2 / ||x2||^2: copying dx1's formula keeps x1's squared norm",
    ),
    Mutant(
        name="loss-margin-ranking-target-sign",
        file=FILE,
        old="return -target * dl, target * dl, -diff * dl",
        new="return target * dl, -target * dl, -diff * dl",
        tests=(MORE, "-k", "margin_ranking or pair_losses_gradcheck"),
        why="l = max(0, -t (x1 - x2) + margin): dx1 carries the minus sign of -t",
    ),
    Mutant(
        name="loss-multi-margin-true-class-gradient",
        file=FILE,
        old="dx = dz - np.where(wrong, 0, dz.sum(axis=1, keepdims=True))",
        new="dx = dz",
        tests=(MORE, "-k", "multi_margin"),
        why="the true class's score enters every active margin term, so it collects minus their sum",
    ),
    Mutant(
        name="loss-multi-margin-closed-at-zero",
        file=FILE,
        old="active = wrong & (z > 0)",
        new="active = wrong & (z >= 0)",
        tests=(MORE, "-k", "multi_margin"),
        why="torch's kernel counts a term only where margin - x[y] + x[c] > 0: no gradient at exactly 0",
    ),
    Mutant(
        name="loss-contrastive-hinge-pushes-inward",
        file=FILE,
        old="-2 * hinge * dl / np.where(d > 0, d, 1) * (d > 0)",
        new="2 * hinge * dl / np.where(d > 0, d, 1) * (d > 0)",
        tests=(MORE, "-k", "contrastive or pair_losses_gradcheck"),
        why="d max(0, m - d)^2 / dd = -2 max(0, m - d): descending it pushes a dissimilar pair apart, not together",
    ),
]
