"""Planted bugs in the model zoo's composed backward passes."""
from parity_tests.mutants import Mutant

MUTANTS = [
    Mutant(
        name="resnet-shortcut-gradient-dropped",
        file="scratch/models/resnet.py",
        old="return dmain + dshortcut",
        new="return dmain",
        tests=("parity_tests/test_models.py", "-k", "follow and SmallResNet"),
        why="the residual sum sends its gradient down both paths; forgetting the shortcut starves the earlier layers",
    ),
    Mutant(
        name="lenet-backward-skips-pool",
        file="scratch/models/lenet.py",
        old="d = act2_back(pool2_back(d))",
        new="d = act2_back(np.repeat(np.repeat(d, 2, axis=2), 2, axis=3) / 4)",
        tests=("parity_tests/test_models.py", "-k", "follow and LeNet5 and not classic"),
        why="spreading a max-pool's gradient evenly, as for average pooling, is wrong: only the max receives it",
    ),
]
