"""The NumPy side: every layer with a forward pass and a hand-derived backward pass.

- ``scratch.functional``: pure functions named and ordered like ``torch.nn.functional``; each returns
  ``(y, backward)``, and ``backward(dy)`` returns one gradient per array argument.
- ``scratch.nn``: stateful shells with torch.nn's class names, parameters and state_dict keys.
- ``scratch.gradcheck``: a numeric gradient checker for any ``(y, backward)`` function.

This package never imports torch.
"""
from scratch.random import manual_seed

__all__ = ["manual_seed"]
