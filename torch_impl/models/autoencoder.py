"""Twin of ``scratch.models.autoencoder``."""
from torch import nn


class Autoencoder(nn.Module):
    def __init__(self, in_features: int = 784, hidden: int = 128, latent: int = 32):
        super().__init__()
        self.flatten = nn.Flatten()
        self.encoder = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, in_features))

    def encode(self, x):
        return self.encoder(self.flatten(x))

    def forward(self, x):
        return self.decoder(self.encoder(self.flatten(x))).reshape(x.shape)
