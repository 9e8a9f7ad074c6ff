"""Layer shells with torch.nn's class names, constructor signatures, parameter and buffer names."""
from scratch.nn import init, utils
from scratch.nn.activation import (
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
from scratch.nn.attention import MultiheadAttention, PositionalEncoding
from scratch.nn.causal import CausalConv1d
from scratch.nn.container import Sequential
from scratch.nn.conv import Conv1d, Conv2d, ConvTranspose2d
from scratch.nn.dropout import Dropout
from scratch.nn.embedding import Embedding, EmbeddingBag
from scratch.nn.fftconv import FFTConv1d
from scratch.nn.flow import AffineCoupling
from scratch.nn.graph import GATConv, GCNConv
from scratch.nn.linear import Identity, Linear
from scratch.nn.loss import (
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
from scratch.nn.module import Module, Parameter
from scratch.nn.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from scratch.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from scratch.nn.qrnn import QRNNLayer
from scratch.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from scratch.nn.sampling import PixelShuffle, PixelUnshuffle, Upsample
from scratch.nn.shape import Flatten
from scratch.nn.transformer import (
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
           "MarginRankingLoss", "MaxPool2d", "Mish", "Module", "MultiMarginLoss", "MultiheadAttention", "NLLLoss",
           "PReLU", "PairwiseDistance", "Parameter", "PixelShuffle", "PixelUnshuffle", "PositionalEncoding", "RNNCell",
           "ReLU", "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax", "Softplus", "Tanh", "TransformerDecoder",
           "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer", "TripletMarginLoss", "Upsample",
           "AffineCoupling", "FFTConv1d", "init", "utils"]
