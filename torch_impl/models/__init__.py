"""The model zoo, PyTorch side: the same class names, constructor arguments and state_dict keys as
``scratch.models``, built from torch.nn (and ``torch_impl.nn`` where torch.nn has no layer)."""
from torch_impl.models.autoencoder import Autoencoder
from torch_impl.models.char_rnn import CharRNN
from torch_impl.models.gcn import GCN
from torch_impl.models.lenet import LeNet5
from torch_impl.models.mlp import MLP
from torch_impl.models.resnet import BasicBlock, SmallResNet
from torch_impl.models.transformer import CausalTransformerLM, TransformerClassifier

__all__ = ["GCN", "MLP", "Autoencoder", "BasicBlock", "CausalTransformerLM", "CharRNN", "LeNet5", "SmallResNet",
           "TransformerClassifier"]
