"""The Deep Learning Specialization's functions, over ``scratch`` layers: ``from lessons.reference.dls import *``."""
from lessons.reference.dls.c1 import *  # noqa: F401,F403
from lessons.reference.dls.c1 import __all__ as _c1
from lessons.reference.dls.c2 import *  # noqa: F401,F403
from lessons.reference.dls.c2 import __all__ as _c2
from lessons.reference.dls.c4 import *  # noqa: F401,F403
from lessons.reference.dls.c4 import __all__ as _c4
from lessons.reference.dls.c5 import *  # noqa: F401,F403
from lessons.reference.dls.c5 import __all__ as _c5

__all__ = [*_c1, *_c2, *_c4, *_c5]
