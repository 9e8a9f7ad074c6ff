"""``python -m torch_impl.train``: the training command (``torch_impl.train.cli``)."""
import sys

from torch_impl.train.cli import main

sys.exit(main())
