"""Planted bugs in the optimizers, clip_grad_norm_, the schedulers and the initialisers."""
from parity_tests.mutants import Mutant

_T = "parity_tests/test_optim.py"

MUTANTS = [
    Mutant(
        name="optim-adam-no-bias-correction",
        file="scratch/optim/adam.py",
        old="step_size = lr / bias_correction1\n        denom = np.sqrt(second) / math.sqrt(bias_correction2) + eps",
        new="step_size = lr\n        denom = np.sqrt(second) + eps",
        tests=(_T, "-k", "test_adam_matches_torch"),
        why="m and v start at 0, so without dividing by 1 - beta^t the early steps are far too small (or large)",
    ),
    Mutant(
        name="optim-adamw-decays-the-gradient",
        file="scratch/optim/adam.py",
        old="param *= 1 - lr * weight_decay",
        new="g = g + weight_decay * param",
        tests=(_T, "-k", "test_adamw_matches_torch"),
        why="AdamW's decay is decoupled: it shrinks the weights directly; adding it to the gradient is Adam's L2",
    ),
    Mutant(
        name="optim-sgd-nesterov-wrong-buffer",
        file="scratch/optim/sgd.py",
        old="g = g + momentum * buf if group[\"nesterov\"] else buf",
        new="g = buf + momentum * g if group[\"nesterov\"] else buf",
        tests=(_T, "-k", "test_sgd_matches_torch"),
        why="Nesterov looks ahead along the buffer, g + momentum * buf; swapping the roles of g and buf is a slip",
    ),
    Mutant(
        name="optim-rmsprop-centered-missing-mean",
        file="scratch/optim/rmsprop.py",
        old="rms = np.sqrt(square_avg - grad_avg * grad_avg) + eps",
        new="rms = np.sqrt(square_avg) + eps",
        tests=(_T, "-k", "test_rmsprop_matches_torch"),
        why="centred RMSprop divides by the running standard deviation, sqrt(E[g^2] - E[g]^2), not the RMS",
    ),
    Mutant(
        name="optim-lion-wrong-beta",
        file="scratch/optim/lion.py",
        old="direction = beta1 * exp_avg + (1 - beta1) * g",
        new="direction = beta2 * exp_avg + (1 - beta2) * g",
        tests=(_T, "-k", "test_lion_matches_torch_twin"),
        why="Lion blends with beta1 for the update and keeps the momentum with beta2; using beta2 for both is a mixup",
    ),
    Mutant(
        name="optim-sgd-dampening-on-first-step",
        file="scratch/optim/sgd.py",
        old="buf = state[\"momentum_buffer\"] = g.copy()",
        new="buf = state[\"momentum_buffer\"] = (1 - dampening) * g",
        tests=(_T, "-k", "test_sgd_matches_torch"),
        why="torch starts the momentum buffer at the first gradient itself, undamped",
    ),
    Mutant(
        name="optim-clip-grad-norm-sum-of-norms",
        file="scratch/nn/utils.py",
        old="total_norm = (np.sum(norms**norm_type) ** (1 / norm_type)).astype(dtype)",
        new="total_norm = np.sum(norms).astype(dtype)",
        tests=(_T, "-k", "test_clip_grad_norm_matches_torch"),
        why="the total norm is the norm of the per-parameter norms, not their sum",
    ),
    Mutant(
        name="optim-cosine-closed-form-from-current-lr",
        file="scratch/optim/lr_scheduler.py",
        old="return [group[\"lr\"] + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2",
        new="return [group[\"lr\"] + (base_lr - eta_min) * (1 + math.cos(math.pi / T)) / 2",
        tests=("parity_tests/test_lr_scheduler.py", "-k", "test_cosine_annealing_lr_matches_torch"),
        why="just past the cosine's minimum the step back up is (1 - cos(pi / T_max)) / 2 of the range",
    ),
    Mutant(
        name="optim-xavier-fan-in-only",
        file="scratch/nn/init.py",
        old="std = gain * math.sqrt(2.0 / float(fan_in + fan_out))\n    bound",
        new="std = gain * math.sqrt(1.0 / float(fan_in))\n    bound",
        tests=("parity_tests/test_init.py", "-k", "test_xavier_uniform"),
        why="Glorot's variance averages the fans, 2 / (fan_in + fan_out); 1 / fan_in is LeCun's",
    ),
    Mutant(
        name="optim-orthogonal-no-sign-fix",
        file="scratch/nn/init.py",
        old="q = q * np.sign(np.diag(r))",
        new="q = q * 1.0",
        tests=("parity_tests/test_init.py", "-k", "test_orthogonal_is_haar_distributed"),
        why="without R's diagonal signs Q inherits QR's sign convention and is not uniformly distributed",
    ),
]
