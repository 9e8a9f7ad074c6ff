"""Twin of ``scratch.models.mlp``."""
from torch import nn

from torch_impl.nn.dropout import SharedMaskDropout

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


class MLP(nn.Module):
    def __init__(self, in_features: int, hidden=(128,), out_features: int = 10, dropout: float = 0.0,
                 activation: str = "relu"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        self.activation = activation
        layers = [nn.Flatten()]
        sizes = [in_features, *hidden]
        for a, b in zip(sizes, sizes[1:]):
            layers += [nn.Linear(a, b), ACTIVATIONS[activation]()]
            if dropout:
                layers.append(SharedMaskDropout(dropout))
        layers.append(nn.Linear(sizes[-1], out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)
