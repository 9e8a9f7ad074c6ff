"""Layer shells with torch.nn's class names, constructor signatures, parameter and buffer names."""
from scratch.nn import init
from scratch.nn.activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh
from scratch.nn.activation import SELU, Hardswish, Hardtanh, Mish, PReLU, Softplus
from scratch.nn.container import Sequential
from scratch.nn.linear import Identity, Linear
from scratch.nn.module import Module, Parameter
from scratch.nn.shape import Flatten
from scratch.nn.dropout import Dropout
from scratch.nn.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from scratch.nn.loss import (BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
                             SmoothL1Loss)
from scratch.nn.loss import (ContrastiveLoss, CosineEmbeddingLoss, CosineSimilarity, MarginRankingLoss, MultiMarginLoss,
                             PairwiseDistance, TripletMarginLoss)
from scratch.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from scratch.nn.conv import Conv1d, Conv2d, ConvTranspose2d
from scratch.nn.graph import GATConv, GCNConv
from scratch.nn.attention import MultiheadAttention, PositionalEncoding
from scratch.nn.transformer import (TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
                                    TransformerEncoderLayer)
from scratch.nn.embedding import Embedding
from scratch.nn.embedding import EmbeddingBag
from scratch.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from scratch.nn.sampling import PixelShuffle, PixelUnshuffle, Upsample
from scratch.nn import utils

__all__ = ["ELU", "GELU", "GRU", "LSTM", "RNN", "SELU", "AdaptiveAvgPool2d", "AvgPool2d", "BCEWithLogitsLoss",
           "BatchNorm1d", "BatchNorm2d", "ContrastiveLoss", "Conv1d", "Conv2d", "ConvTranspose2d",
           "CosineEmbeddingLoss", "CosineSimilarity", "CrossEntropyLoss", "Dropout", "Embedding", "EmbeddingBag",
           "Flatten", "GATConv", "GCNConv", "GRUCell", "GroupNorm", "Hardswish", "Hardtanh", "HuberLoss", "Identity",
           "KLDivLoss", "L1Loss", "LSTMCell", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss",
           "MarginRankingLoss", "MaxPool2d", "Mish", "Module", "MultiMarginLoss", "MultiheadAttention", "NLLLoss",
           "PReLU", "PairwiseDistance", "Parameter", "PixelShuffle", "PixelUnshuffle", "PositionalEncoding", "RNNCell",
           "ReLU", "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax", "Softplus", "Tanh", "TransformerDecoder",
           "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer", "TripletMarginLoss", "Upsample",
           "init", "utils"]
