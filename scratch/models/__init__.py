"""The model zoo, NumPy side. Each model's ``forward`` returns ``(y, backward)`` and composes its children's
backward closures in reverse order, so the chain rule of the whole network is visible in one place.

The PyTorch twins in ``torch_impl.models`` have the same class names, constructor arguments and state_dict keys.
Every model's forward takes ``input_grad=False`` for data that needs no gradient (the trainer's call). The language
models' ``sample`` draws tokens through ``scratch.models.sampling.sample``, which the torch side uses too.
"""
from scratch.models.autoencoder import Autoencoder
from scratch.models.char_rnn import CharRNN
from scratch.models.gcn import GCN
from scratch.models.lenet import LeNet5
from scratch.models.mlp import MLP
from scratch.models.resnet import BasicBlock, SmallResNet
from scratch.models.transformer import CausalTransformerLM, TransformerClassifier

__all__ = ["GCN", "MLP", "Autoencoder", "BasicBlock", "CausalTransformerLM", "CharRNN", "LeNet5", "SmallResNet",
           "TransformerClassifier"]
