"""The Deep Learning Specialization's functions, over ``scratch`` layers: ``from lessons.reference.dls import *``.

One module per course (``c1``, ``c2``, ``c4``, ``c5``), each a lesson's reference. A few names recur in the course
with another meaning: ``forward_propagation`` and ``backward_propagation`` are week 3's two-layer network in
``c1`` and the one-parameter gradient-check example in ``c2`` (here, the later ``c2`` ones); week 3's own
``initialize_parameters`` and ``predict`` are in ``c1.week3``, as week 4 redefines them. Import from the course's
module when a name is ambiguous.
"""
from lessons.reference.dls.c1 import *  # noqa: F401,F403
from lessons.reference.dls.c1 import __all__ as _c1
from lessons.reference.dls.c2 import *  # noqa: F401,F403
from lessons.reference.dls.c2 import __all__ as _c2
from lessons.reference.dls.c4 import *  # noqa: F401,F403
from lessons.reference.dls.c4 import __all__ as _c4
from lessons.reference.dls.c5 import *  # noqa: F401,F403
from lessons.reference.dls.c5 import __all__ as _c5

__all__ = [*_c1, *_c2, *_c4, *_c5]
