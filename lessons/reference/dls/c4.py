"""Deep Learning Specialization, course 4 (convolutional networks), over ``scratch`` layers.

Week 1, "Convolutional Neural Networks: Step by Step" (the current, TF2-era release of the notebook, whose
``conv_single_step`` returns a ``np.float64`` and whose ``pool_forward`` tests use ``A_prev (2, 5, 5, 3)``):
``zero_pad``, ``conv_single_step``, ``conv_forward``, ``conv_backward``, ``pool_forward``,
``create_mask_from_window``, ``distribute_value``, ``pool_backward``.

The course's conventions: images in NHWC, ``A_prev (m, n_H_prev, n_W_prev, n_C_prev)``; a convolution's filters
``W (f, f, n_C_prev, n_C)`` and biases ``b (1, 1, 1, n_C)``; ``hparameters`` dicts (``{"stride", "pad"}`` for a
convolution, ``{"f", "stride"}`` for pooling, which never pads); a forward returns ``(out, cache)`` with
``cache = (A_prev, W, b, hparameters)`` or ``(A_prev, hparameters)``; a backward takes ``(dout, cache)``.
Output sizes are ``floor((n_prev + 2 pad - f) / stride) + 1``, torch's formula.

torch (and ``scratch``) keep NCHW and ``weight (n_C, n_C_prev, f, f)``: each adapter transposes in, calls the
``scratch`` layer, and transposes back. Each backward rebuilds the layer's closure from the course's cache (a
closure cannot live in the course's cache tuple) and calls it: the gradient is the layer's, not a second derivation.

Week 4, "Face Recognition" (the TF2 release): ``triplet_loss`` in NumPy, with the course's name and arguments, and
``triplet_loss_backward``, its gradient, which the course leaves to TensorFlow.

Week 4, "Art Generation with Neural Style Transfer" (the TF2 release, whose ``compute_content_cost`` takes the
lists of layer outputs ``content_output, generated_output`` and reads the content layer as their last element):
``compute_content_cost``, ``gram_matrix``, ``compute_layer_style_cost``, ``total_cost`` in NumPy, and the gradients
the course leaves to TensorFlow, with respect to the generated image's activations: ``compute_content_cost_backward``,
``gram_matrix_backward``, ``compute_layer_style_cost_backward``. Each backward takes the upstream gradient of its
cost (a number) first.
"""
from __future__ import annotations

import numpy as np

import scratch.functional as F

__all__ = ["zero_pad", "conv_single_step", "conv_forward", "conv_backward", "pool_forward", "create_mask_from_window",
           "distribute_value", "pool_backward", "triplet_loss", "triplet_loss_backward", "compute_content_cost",
           "compute_content_cost_backward", "gram_matrix", "gram_matrix_backward", "compute_layer_style_cost",
           "compute_layer_style_cost_backward", "total_cost"]


# ---------------------------------------------------------------------------------------------------------------
# Week 1: convolution


def _nchw(a: np.ndarray) -> np.ndarray:
    return a.transpose(0, 3, 1, 2)


def _nhwc(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1))


def zero_pad(X, pad):
    """``X (m, n_H, n_W, n_C)`` with ``pad`` zero rows and columns on each side: ``(m, n_H + 2 pad, n_W + 2 pad, n_C)``.

    Padding is a layout operation, not a layer: ``scratch``'s convolution pads inside itself, so there is nothing to
    wrap and this is ``np.pad`` on the two spatial axes, as the course writes it.
    """
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)


def conv_single_step(a_slice_prev, W, b):
    """One output of a convolution: ``Z = sum(a_slice_prev * W) + b``, a ``np.float64`` (the course asserts the type).

    ``a_slice_prev`` and ``W`` are ``(f, f, n_C_prev)``, ``b`` is ``(1, 1, 1)``: ``scratch``'s ``conv2d`` on one
    window (a ``(1, n_C_prev, f, f)`` image and one filter) gives that one number.
    """
    x = np.asarray(a_slice_prev).transpose(2, 0, 1)[None]  # (1, n_C_prev, f, f)
    weight = np.asarray(W).transpose(2, 0, 1)[None]  # (1, n_C_prev, f, f)
    z, _ = F.conv2d(x, weight, np.reshape(b, (1,)).astype(x.dtype))
    return z.reshape(())[()]


def _conv(A_prev, W, b, hparameters):
    n_C = W.shape[3]
    weight = W.transpose(3, 2, 0, 1)  # (n_C, n_C_prev, f, f): torch's layout
    return F.conv2d(_nchw(A_prev), weight, np.reshape(b, (n_C,)), stride=hparameters["stride"],
                    padding=hparameters["pad"])


def conv_forward(A_prev, W, b, hparameters):
    """Convolution of ``A_prev (m, n_H_prev, n_W_prev, n_C_prev)`` with ``W (f, f, n_C_prev, n_C)``, plus ``b``.

    ``Z[i, h, w, c] = sum(A_prev_pad[i, h s : h s + f, w s : w s + f, :] * W[..., c]) + b[..., c]`` with ``s`` the
    stride and ``A_prev_pad`` zero-padded by ``pad``. Returns ``(Z, cache)``: ``Z (m, n_H, n_W, n_C)``,
    ``n_H = floor((n_H_prev + 2 pad - f) / stride) + 1``, and ``cache = (A_prev, W, b, hparameters)``.
    """
    Z, _ = _conv(A_prev, W, b, hparameters)
    return _nhwc(Z), (A_prev, W, b, hparameters)


def conv_backward(dZ, cache):
    """``(dA_prev, dW, db)`` for ``dZ (m, n_H, n_W, n_C)``, in the shapes of ``A_prev``, ``W`` and ``b (1, 1, 1, n_C)``.

    ``scratch``'s ``conv2d`` backward, transposed back to the course's layout. Unlike the course's loop (which
    crops the padding with ``[pad:-pad]``), it is right for ``pad = 0`` too.
    """
    A_prev, W, b, hparameters = cache
    _, backward = _conv(A_prev, W, b, hparameters)
    dx, dweight, dbias = backward(_nchw(dZ))
    return _nhwc(dx), np.ascontiguousarray(dweight.transpose(2, 3, 1, 0)), dbias.reshape(np.shape(b))


# ---------------------------------------------------------------------------------------------------------------
# Week 1: pooling


def _pool(A_prev, hparameters, mode):
    f, stride = hparameters["f"], hparameters["stride"]
    if mode == "max":
        return F.max_pool2d(_nchw(A_prev), f, stride)
    if mode == "average":
        return F.avg_pool2d(_nchw(A_prev), f, stride)
    # The course prints a message and returns zeros; an error says more.
    raise ValueError(f"pool_forward: mode must be 'max' or 'average', got {mode!r}")


def pool_forward(A_prev, hparameters, mode="max"):
    """Max or average pooling of ``A_prev (m, n_H_prev, n_W_prev, n_C)`` over ``f x f`` windows, no padding.

    ``A[i, h, w, c] = max (or mean) of A_prev[i, h s : h s + f, w s : w s + f, c]``; returns ``(A, cache)`` with
    ``A (m, n_H, n_W, n_C)``, ``n_H = floor((n_H_prev - f) / stride) + 1``, ``cache = (A_prev, hparameters)``.
    """
    A, _ = _pool(A_prev, hparameters, mode)
    return _nhwc(A), (A_prev, hparameters)


def create_mask_from_window(x):
    """``x == max(x)``: a boolean array of ``x``'s shape, True where ``x`` equals its maximum.

    A mask is not a layer. The course's marks EVERY element equal to the maximum; ``scratch``'s (and torch's)
    ``max_pool2d`` sends a tie's gradient to the first of them only, so the two agree on windows without ties,
    the only ones the lessons draw. This is the course's one line.
    """
    return x == np.max(x)


def distribute_value(dz, shape):
    """``dz`` spread evenly over an array of ``shape = (n_H, n_W)``: every element ``dz / (n_H n_W)``.

    It is the gradient of a mean over a window: ``scratch``'s ``avg_pool2d`` backward on one window of that size.
    """
    n_H, n_W = shape
    _, backward = F.avg_pool2d(np.zeros((1, 1, n_H, n_W)), (n_H, n_W))
    (dx,) = backward(np.full((1, 1, 1, 1), dz, dtype=np.float64))
    return dx[0, 0]


def pool_backward(dA, cache, mode="max"):
    """``dA_prev``, shaped like ``A_prev``, for ``dA (m, n_H, n_W, n_C)``: ``scratch``'s pooling backward.

    Max: each output's gradient goes to the element of its window that was the maximum (windows that overlap,
    ``stride < f``, add their shares). Average: each output's gradient is spread evenly over its window.
    """
    A_prev, hparameters = cache
    _, backward = _pool(A_prev, hparameters, mode)
    (dx,) = backward(_nchw(dA))
    return _nhwc(dx)


# ---------------------------------------------------------------------------------------------------------------
# Week 4: the triplet loss (Face Recognition)


def _encodings(y_pred):
    """``anchor, positive, negative`` as float arrays (the course's tests pass lists of numbers too)."""
    out = []
    for v in (y_pred[0], y_pred[1], y_pred[2]):
        a = np.asarray(v)
        out.append(a if a.dtype.kind == "f" else a.astype(np.float64))
    return out


def _triplet(anchor, positive, negative, alpha):
    """``(loss, backward)``, ``backward(dloss)`` giving ``(danchor, dpositive, dnegative)``.

    Composed from ``scratch`` pieces: two per-element ``mse_loss`` (the squared differences), a sum over the
    encoding axis, ``relu`` for ``max(., 0)``, and a sum over the batch.
    """
    sq_pos, pos_backward = F.mse_loss(anchor, positive, reduction="none")  # (m, d)
    sq_neg, neg_backward = F.mse_loss(anchor, negative, reduction="none")
    basic_loss = np.asarray(sq_pos.sum(axis=-1) - sq_neg.sum(axis=-1) + alpha)  # (m,), or () for one triplet
    hinge, hinge_backward = F.relu(basic_loss)
    loss = hinge.sum()

    def backward(dloss):
        (dbasic,) = hinge_backward(np.full(hinge.shape, dloss, dtype=hinge.dtype))
        dsq = np.broadcast_to(np.expand_dims(dbasic, -1), sq_pos.shape).copy()  # each row's share, on every element
        danchor_pos, dpositive = pos_backward(dsq)
        danchor_neg, dnegative = neg_backward(-dsq)
        return danchor_pos + danchor_neg, dpositive, dnegative

    return loss, backward


def triplet_loss(y_true, y_pred, alpha=0.2):
    """``sum_i max(||a_i - p_i||^2 - ||a_i - n_i||^2 + alpha, 0)``, the course's triplet loss, in NumPy.

    ``y_true`` is unused (Keras' loss signature); ``y_pred = (anchor, positive, negative)``, each ``(m, d)`` (the
    course's encodings are ``(m, 128)``), or ``(d,)`` for one triplet. The squared distances sum over the last
    axis, the hinge is per triplet, and the loss SUMS over the batch, as the course's ``tf.reduce_sum`` does.
    Returns a number.
    """
    anchor, positive, negative = _encodings(y_pred)
    loss, _ = _triplet(anchor, positive, negative, alpha)
    return loss


def triplet_loss_backward(dloss, y_true, y_pred, alpha=0.2):
    """``(danchor, dpositive, dnegative)``: the gradient of ``dloss * triplet_loss(y_true, y_pred, alpha)``.

    For a triplet whose hinge is active (``basic_loss > 0``)::

        danchor = 2 (n - p) dloss,   dpositive = -2 (a - p) dloss,   dnegative = 2 (a - n) dloss

    and zeros for the others. The course differentiates with TensorFlow; at ``basic_loss == 0`` exactly,
    TensorFlow's ``maximum`` passes the gradient and ``relu`` does not: the lessons draw no triplet there.
    """
    anchor, positive, negative = _encodings(y_pred)
    _, backward = _triplet(anchor, positive, negative, alpha)
    return backward(dloss)


# ---------------------------------------------------------------------------------------------------------------
# Week 4: neural style transfer (Art Generation)


def _content_layer(output):
    """The content layer's activation ``(1, n_H, n_W, n_C)``: the last of the model's outputs, ``output[-1]``.

    The current course passes the list of layer outputs (its test, a ``(1, 1, n_H, n_W, n_C)`` array, which
    ``[-1]`` reads the same way); the earlier release passed the activation itself, accepted here too.
    """
    if isinstance(output, np.ndarray) and output.ndim == 4:
        return output
    return np.asarray(output[-1])


def _content_cost(a_C, a_G):
    """``(J, backward)`` with ``backward(dJ) = dJ/da_G``: ``scratch``'s summed ``mse_loss``, scaled."""
    _, n_H, n_W, n_C = a_G.shape
    scale = 1.0 / (4 * n_H * n_W * n_C)
    squares, backward = F.mse_loss(a_G, a_C, reduction="sum")

    def content_backward(dJ):
        da_G, _ = backward(np.asarray(dJ * scale, dtype=a_G.dtype))
        return da_G

    return (squares * scale)[()], content_backward


def compute_content_cost(content_output, generated_output):
    """``J_content = sum((a_C - a_G)^2) / (4 n_H n_W n_C)``, with ``a_C = content_output[-1]``, ``a_G`` likewise.

    The activations are ``(1, n_H, n_W, n_C)``; the course unrolls them to ``(1, n_H n_W, n_C)`` first, which
    changes nothing in a sum over every element. Returns a number.
    """
    J, _ = _content_cost(_content_layer(content_output), _content_layer(generated_output))
    return J


def compute_content_cost_backward(dJ_content, content_output, generated_output):
    """``da_G = dJ_content (a_G - a_C) / (2 n_H n_W n_C)``, shaped like ``a_G = generated_output[-1]``."""
    _, backward = _content_cost(_content_layer(content_output), _content_layer(generated_output))
    return backward(dJ_content)


def gram_matrix(A):
    """``GA = A A^T`` for ``A (n_C, n_H n_W)``: ``(n_C, n_C)``, the inner products of every pair of channels.

    ``scratch``'s ``linear(x, weight)`` is ``x weight^T``: with ``x = weight = A`` it is the Gram matrix.
    """
    GA, _ = F.linear(A, A)
    return GA


def gram_matrix_backward(dGA, A):
    """``dA = (dGA + dGA^T) A``: ``A`` is both of ``linear``'s arguments, so its gradient is the sum of the two."""
    _, backward = F.linear(A, A)
    dx, dweight, _ = backward(dGA)
    return dx + dweight


def _unroll(a):
    """``(1, n_H, n_W, n_C)`` -> ``(n_C, n_H n_W)``: one row per channel, as the course unrolls (reshape, transpose)."""
    n_C = a.shape[-1]
    return a.reshape(-1, n_C).T


def _layer_style_cost(a_S, a_G):
    _, n_H, n_W, n_C = a_G.shape
    scale = 1.0 / (4 * n_C ** 2 * (n_H * n_W) ** 2)
    GS = gram_matrix(_unroll(a_S))
    G = _unroll(a_G)
    GG, gram_backward = F.linear(G, G)
    squares, backward = F.mse_loss(GG, GS, reduction="sum")

    def style_backward(dJ):
        dGG, _ = backward(np.asarray(dJ * scale, dtype=a_G.dtype))
        dx, dweight, _ = gram_backward(dGG)
        return (dx + dweight).T.reshape(a_G.shape)  # roll back: (n_C, n_H n_W) -> (n_H n_W, n_C) -> a_G's shape

    return (squares * scale)[()], style_backward


def compute_layer_style_cost(a_S, a_G):
    """``J = sum((GS - GG)^2) / (4 n_C^2 (n_H n_W)^2)`` for one layer's activations ``a_S``, ``a_G (1, n_H, n_W, n_C)``.

    ``GS`` and ``GG`` are the Gram matrices of the activations unrolled to ``(n_C, n_H n_W)``. Returns a number.
    """
    J, _ = _layer_style_cost(a_S, a_G)
    return J


def compute_layer_style_cost_backward(dJ_style_layer, a_S, a_G):
    """``da_G``, shaped like ``a_G``: ``dGG = dJ (GG - GS) / (2 n_C^2 (n_H n_W)^2)``, ``dG = 2 dGG G``, rolled back."""
    _, backward = _layer_style_cost(a_S, a_G)
    return backward(dJ_style_layer)


def total_cost(J_content, J_style, alpha=10, beta=40):
    """``J = alpha J_content + beta J_style``: a weighted sum, no layer to wrap."""
    return alpha * J_content + beta * J_style
