"""``Sequential``: the chain rule in its plainest form."""
from __future__ import annotations

from scratch.nn.module import Module


class Sequential(Module):
    """Apply children in order; backward applies their closures in reverse order.

    Children are named ``"0"``, ``"1"``, ... as in torch, so state_dict keys match ``torch.nn.Sequential``'s.
    """

    def __init__(self, *layers: Module):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential expected Modules, got {type(layer).__name__} at position {i}")
            setattr(self, str(i), layer)

    def __getitem__(self, i):
        return list(self._modules.values())[i]

    def __len__(self):
        return len(self._modules)

    def forward(self, x):
        backwards = []
        for layer in self._modules.values():
            x, backward = layer(x)
            backwards.append(backward)

        def sequential_backward(dy):
            for backward in reversed(backwards):
                dy = backward(dy)
            return dy

        return x, sequential_backward
