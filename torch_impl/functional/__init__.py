"""Twins of ``scratch.functional``: torch.nn.functional itself, name for name."""
from torch_impl.functional.activation import (
    elu,
    gelu,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    mish,
    prelu,
    relu,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from torch_impl.functional.attention import scaled_dot_product_attention, sinusoidal_positional_encoding
from torch_impl.functional.causal import causal_conv1d
from torch_impl.functional.conv import conv1d, conv2d, conv_transpose2d
from torch_impl.functional.dropout import dropout
from torch_impl.functional.embedding import embedding, embedding_bag
from torch_impl.functional.fftconv import fft_conv1d
from torch_impl.functional.flow import affine_coupling
from torch_impl.functional.graph import gat_conv, gcn_conv
from torch_impl.functional.linear import linear
from torch_impl.functional.loss import (
    binary_cross_entropy_with_logits,
    contrastive_loss,
    cosine_embedding_loss,
    cosine_similarity,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    multi_margin_loss,
    nll_loss,
    pairwise_distance,
    smooth_l1_loss,
    triplet_margin_loss,
)
from torch_impl.functional.normalization import batch_norm, group_norm, layer_norm
from torch_impl.functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from torch_impl.functional.qrnn import fo_pool
from torch_impl.functional.recurrent import (
    gru,
    gru_cell,
    lstm,
    lstm_cell,
    rnn_relu,
    rnn_relu_cell,
    rnn_tanh,
    rnn_tanh_cell,
)
from torch_impl.functional.reparam import weight_norm
from torch_impl.functional.sampling import interpolate, pixel_shuffle, pixel_unshuffle
from torch_impl.functional.shape import flatten
from torch_impl.functional.timestep import sinusoidal_time_embedding

__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy_with_logits", "contrastive_loss",
           "causal_conv1d", "sinusoidal_time_embedding",
           "fo_pool",
           "conv1d", "conv2d", "conv_transpose2d", "cosine_embedding_loss", "cosine_similarity", "cross_entropy",
           "dropout", "elu", "embedding", "embedding_bag", "flatten", "gat_conv", "gcn_conv", "gelu", "group_norm",
           "gru", "gru_cell", "hardswish", "hardtanh", "huber_loss", "interpolate", "kl_div", "l1_loss", "layer_norm",
           "leaky_relu", "linear", "log_softmax", "lstm", "lstm_cell", "margin_ranking_loss", "max_pool2d", "mish",
           "mse_loss", "multi_margin_loss", "nll_loss", "pairwise_distance", "pixel_shuffle", "pixel_unshuffle",
           "prelu", "relu", "rnn_relu", "rnn_relu_cell", "rnn_tanh", "rnn_tanh_cell", "scaled_dot_product_attention",
           "selu", "sigmoid", "silu", "sinusoidal_positional_encoding", "smooth_l1_loss", "softmax", "softplus", "tanh",
           "triplet_margin_loss", "weight_norm", "affine_coupling",
           "fft_conv1d"]
