"""CS231n's functions, over ``scratch`` layers: ``from lessons.reference.cs231n import *``."""
from lessons.reference.cs231n.a1 import *  # noqa: F401,F403
from lessons.reference.cs231n.a1 import __all__ as _a1
from lessons.reference.cs231n.a2_conv import *  # noqa: F401,F403
from lessons.reference.cs231n.a2_conv import __all__ as _a2_conv
from lessons.reference.cs231n.a2_dropout import *  # noqa: F401,F403
from lessons.reference.cs231n.a2_dropout import __all__ as _a2_dropout
from lessons.reference.cs231n.a2_layers import *  # noqa: F401,F403
from lessons.reference.cs231n.a2_layers import __all__ as _a2_layers
from lessons.reference.cs231n.a2_norm import *  # noqa: F401,F403
from lessons.reference.cs231n.a2_norm import __all__ as _a2_norm
from lessons.reference.cs231n.a2_optim import *  # noqa: F401,F403
from lessons.reference.cs231n.a2_optim import __all__ as _a2_optim
from lessons.reference.cs231n.a3 import *  # noqa: F401,F403
from lessons.reference.cs231n.a3 import __all__ as _a3

__all__ = [*_a1, *_a2_layers, *_a2_optim, *_a2_norm, *_a2_dropout, *_a2_conv, *_a3]
