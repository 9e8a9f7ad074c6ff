"""Twins of ``scratch.nn``: torch.nn's own modules, name for name."""
from torch_impl.nn import init, utils
from torch_impl.nn.activation import (
    ELU,
    GELU,
    SELU,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from torch_impl.nn.attention import MultiheadAttention, PositionalEncoding
from torch_impl.nn.causal import CausalConv1d
from torch_impl.nn.container import Sequential
from torch_impl.nn.conv import Conv1d, Conv2d, ConvTranspose2d
from torch_impl.nn.dropout import Dropout
from torch_impl.nn.embedding import Embedding, EmbeddingBag
from torch_impl.nn.fftconv import FFTConv1d
from torch_impl.nn.flow import AffineCoupling
from torch_impl.nn.graph import GATConv, GCNConv
from torch_impl.nn.linear import Identity, Linear
from torch_impl.nn.loss import (
    BCEWithLogitsLoss,
    ContrastiveLoss,
    CosineEmbeddingLoss,
    CosineSimilarity,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    PairwiseDistance,
    SmoothL1Loss,
    TripletMarginLoss,
)
from torch_impl.nn.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from torch_impl.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from torch_impl.nn.qrnn import QRNNLayer
from torch_impl.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from torch_impl.nn.sampling import PixelShuffle, PixelUnshuffle, Upsample
from torch_impl.nn.shape import Flatten
from torch_impl.nn.transformer import (
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ = ["ELU", "GELU", "GRU", "LSTM", "RNN", "SELU", "AdaptiveAvgPool2d", "AvgPool2d", "BCEWithLogitsLoss",
           "QRNNLayer",
           "BatchNorm1d", "BatchNorm2d", "CausalConv1d", "ContrastiveLoss", "Conv1d", "Conv2d", "ConvTranspose2d",
           "CosineEmbeddingLoss", "CosineSimilarity", "CrossEntropyLoss", "Dropout", "Embedding", "EmbeddingBag",
           "Flatten", "GATConv", "GCNConv", "GRUCell", "GroupNorm", "Hardswish", "Hardtanh", "HuberLoss", "Identity",
           "KLDivLoss", "L1Loss", "LSTMCell", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss",
           "MarginRankingLoss", "MaxPool2d", "Mish", "MultiMarginLoss", "MultiheadAttention", "NLLLoss", "PReLU",
           "PairwiseDistance", "PixelShuffle", "PixelUnshuffle", "PositionalEncoding", "RNNCell", "ReLU", "Sequential",
           "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax", "Softplus", "Tanh", "TransformerDecoder",
           "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer", "TripletMarginLoss", "Upsample",
           "AffineCoupling", "FFTConv1d", "init", "utils"]
