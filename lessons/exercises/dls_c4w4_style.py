"""Deep Learning Specialization, course 4 week 4: the costs of neural style transfer, and their gradients."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lessons.core import Code, Lesson, Markdown, Mistake, Task, seeds, values
from lessons.reference.dls import c4 as ref

# --------------------------------------------------------------------------------------------------------------
# The exercise text, in the order the learner reads it

CELLS = [
    Markdown("""
## Setting

Style transfer changes the pixels of a generated image `G` so that a pretrained network (VGG-19 in the course)
sees in it the content of an image `C` and the style of an image `S`. The costs compare activations: the output
of one layer for one image, `(1, n_H, n_W, n_C)` (one image, channels last). The model returns a list with one
output per chosen layer; in the course the content layer is the LAST of them, `content_output[-1]`.

The course writes these costs with TensorFlow and lets it compute their gradients with respect to the generated
image. Here you write them with NumPy, and the gradients too: each `..._backward` returns the gradient with
respect to the generated image's activation `a_G`, shaped like `a_G`, given the upstream gradient of the cost (a
number).

## 1. Content cost

    J_content = 1 / (4 n_H n_W n_C) * sum over all elements of (a_C - a_G)^2
    a_C = content_output[-1],  a_G = generated_output[-1],  both (1, n_H, n_W, n_C)

(The course unrolls both to `(1, n_H n_W, n_C)` first; a sum over every element does not care.)

**Gradient.** Each element of `a_G` appears in exactly one square. What is the derivative of `(a_C - a_G)^2`
with respect to `a_G`? Mind the sign, the 2 from the square, the constant, and the upstream `dJ_content`.
"""),
    Code('''
def compute_content_cost(content_output, generated_output):
    """content_output, generated_output: lists of layer outputs; the last of each, a_C and a_G, is
    (1, n_H, n_W, n_C). Returns J_content, a number."""
    raise NotImplementedError


def compute_content_cost_backward(dJ_content, content_output, generated_output):
    """dJ_content: a number. Returns da_G, shaped like a_G = generated_output[-1]."""
    raise NotImplementedError
'''),
    Markdown("""
## 2. The Gram matrix

Unroll one layer's activation to a matrix `A (n_C, n_H n_W)`: one row per channel, listing that channel's values
over every position. The Gram matrix holds the inner product of every pair of channels, how much two features
fire together, whatever the position:

    GA = A A^T          GA (n_C, n_C),   GA[i, j] = sum over k of A[i, k] A[j, k]

**Gradient.** You get `dGA`, any `(n_C, n_C)` array (not necessarily symmetric). `A[i, k]` appears in row `i`
of `GA` AND in column `i`. Add up the two contributions: which two matrix products are they? Only when `dGA` is
symmetric do they become one product times 2.
"""),
    Code('''
def gram_matrix(A):
    """A: (n_C, n_H * n_W). Returns GA = A A^T: (n_C, n_C)."""
    raise NotImplementedError


def gram_matrix_backward(dGA, A):
    """dGA: (n_C, n_C); A: (n_C, n_H * n_W). Returns dA, shaped like A."""
    raise NotImplementedError
'''),
    Markdown("""
## 3. Style cost of one layer

Unroll `a_S` and `a_G` (each `(1, n_H, n_W, n_C)`) to `(n_C, n_H n_W)` and compare their Gram matrices:

    J_style_layer = 1 / (4 n_C^2 (n_H n_W)^2) * sum over all elements of (GS - GG)^2

Unrolling matters here: each ROW must be one channel. `a.reshape(n_C, n_H * n_W)` keeps the memory order and
mixes positions and channels (the channels are the last axis); reshape to `(n_H * n_W, n_C)` first, then
transpose.

**Gradient** with respect to `a_G`, by the chain rule backwards through the three steps: the squared difference
gives `dGG` (mind the sign and the 2); the Gram matrix gives the unrolled gradient (`dGG` is symmetric here, so
the two products of section 2 are equal); then undo the unrolling (transpose back, then reshape to `a_G`'s
shape).
"""),
    Code('''
def compute_layer_style_cost(a_S, a_G):
    """a_S, a_G: (1, n_H, n_W, n_C). Returns J_style_layer, a number."""
    raise NotImplementedError


def compute_layer_style_cost_backward(dJ_style_layer, a_S, a_G):
    """dJ_style_layer: a number. Returns da_G, shaped like a_G."""
    raise NotImplementedError
'''),
    Markdown("""
## 4. The style cost over several layers (given)

The course weights the style cost of several layers; the content layer, last in the model's outputs, is left
out. This one is written for you:
"""),
    Code('''
def compute_style_cost(style_image_output, generated_image_output, STYLE_LAYERS):
    """Weighted sum of compute_layer_style_cost over the layers named in STYLE_LAYERS, a list of
    (layer name, weight); the outputs list one activation per layer, the content layer last (left out)."""
    J_style = 0.0
    for (_, weight), a_S, a_G in zip(STYLE_LAYERS, style_image_output[:-1], generated_image_output[:-1]):
        J_style += weight * compute_layer_style_cost(a_S, a_G)
    return J_style
'''),
    Markdown("""
## 5. Total cost

    J = alpha J_content + beta J_style          defaults alpha = 10, beta = 40

Use the arguments, not the defaults' values: a caller may pass other weights.
"""),
    Code('''
def total_cost(J_content, J_style, alpha=10, beta=40):
    """Returns J = alpha * J_content + beta * J_style."""
    raise NotImplementedError
'''),
]


# --------------------------------------------------------------------------------------------------------------
# Cases


@st.composite
def activation_shape(draw):
    return (1, draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3)))


@st.composite
def content_case(draw):
    seed = draw(seeds)
    shapes = [draw(activation_shape()) for _ in range(draw(st.integers(1, 2)))]  # earlier layers, content last
    return {"content_output": [values(seed + k, s) for k, s in enumerate(shapes)],
            "generated_output": [values(seed + 10 + k, s) for k, s in enumerate(shapes)], "seed": seed}


@st.composite
def gram_case(draw):
    seed = draw(seeds)
    return {"A": values(seed, (draw(st.integers(1, 4)), draw(st.integers(1, 5)))), "seed": seed}


@st.composite
def style_case(draw):
    seed, shape = draw(seeds), draw(activation_shape())
    return {"a_S": values(seed, shape), "a_G": values(seed + 1, shape), "seed": seed}


@st.composite
def total_case(draw):
    seed = draw(seeds)
    case = {"J_content": float(values(seed, (), 0, 5)), "J_style": float(values(seed + 1, (), 0, 5)), "seed": seed}
    if draw(st.booleans()):
        case["alpha"], case["beta"] = draw(st.integers(1, 50)), draw(st.integers(1, 50))
    return case


# --------------------------------------------------------------------------------------------------------------
# How each function is run on a case, and its gradient for central differences


def run_content(f, c):
    return {"J_content": f.compute_content_cost(c["content_output"], c["generated_output"])}


def run_content_backward(f, c):
    J = f.compute_content_cost(c["content_output"], c["generated_output"])
    return {"da_G": f.compute_content_cost_backward(f.upstream(J, "dJ_content"), c["content_output"],
                                                    c["generated_output"])}


def grad_content(f, c):
    earlier_C, earlier_G = c["content_output"][:-1], c["generated_output"][:-1]

    def fn(a_C, a_G):
        content_output, generated_output = [*earlier_C, a_C], [*earlier_G, a_G]
        J = np.asarray(f.compute_content_cost(content_output, generated_output), dtype=np.float64)
        return J, lambda dJ: (None, f.compute_content_cost_backward(dJ, content_output, generated_output))
    return fn, (c["content_output"][-1], c["generated_output"][-1]), (None, "a_G")


def run_gram(f, c):
    return {"GA": f.gram_matrix(c["A"])}


def run_gram_backward(f, c):
    GA = f.gram_matrix(c["A"])
    return {"dA": f.gram_matrix_backward(f.upstream(GA, "dGA"), c["A"])}


def grad_gram(f, c):
    def fn(A):
        return f.gram_matrix(A), lambda dGA: (f.gram_matrix_backward(dGA, A),)
    return fn, (c["A"],), ("A",)


def run_style(f, c):
    return {"J_style_layer": f.compute_layer_style_cost(c["a_S"], c["a_G"])}


def run_style_backward(f, c):
    J = f.compute_layer_style_cost(c["a_S"], c["a_G"])
    return {"da_G": f.compute_layer_style_cost_backward(f.upstream(J, "dJ_style_layer"), c["a_S"], c["a_G"])}


def grad_style(f, c):
    def fn(a_S, a_G):
        J = np.asarray(f.compute_layer_style_cost(a_S, a_G), dtype=np.float64)
        return J, lambda dJ: (None, f.compute_layer_style_cost_backward(dJ, a_S, a_G))
    return fn, (c["a_S"], c["a_G"]), (None, "a_G")


def run_total(f, c):
    weights = {k: c[k] for k in ("alpha", "beta") if k in c}
    return {"J": f.total_cost(c["J_content"], c["J_style"], **weights)}


# --------------------------------------------------------------------------------------------------------------
# Known mistakes, each written the way a learner would make it


def compute_content_cost_first_layer(content_output, generated_output):
    a_C, a_G = content_output[0], generated_output[0]
    _, n_H, n_W, n_C = a_G.shape
    return np.sum((a_C - a_G) ** 2) / (4 * n_H * n_W * n_C)


def compute_content_cost_without_4(content_output, generated_output):
    a_C, a_G = content_output[-1], generated_output[-1]
    _, n_H, n_W, n_C = a_G.shape
    return np.sum((a_C - a_G) ** 2) / (n_H * n_W * n_C)


def _content_backward(dJ, content_output, generated_output, *, sign=1.0, two=2.0, use_dJ=True):
    a_C, a_G = content_output[-1], generated_output[-1]
    _, n_H, n_W, n_C = a_G.shape
    return (dJ if use_dJ else 1.0) * sign * two * (a_G - a_C) / (4 * n_H * n_W * n_C)


def compute_content_cost_backward_sign(dJ_content, content_output, generated_output):
    return _content_backward(dJ_content, content_output, generated_output, sign=-1.0)


def compute_content_cost_backward_no_2(dJ_content, content_output, generated_output):
    return _content_backward(dJ_content, content_output, generated_output, two=1.0)


def compute_content_cost_backward_no_dJ(dJ_content, content_output, generated_output):
    return _content_backward(dJ_content, content_output, generated_output, use_dJ=False)


def gram_matrix_transposed_product(A):
    return A.T @ A


def gram_matrix_elementwise(A):
    return A * A


def gram_matrix_backward_twice(dGA, A):
    return 2 * dGA @ A


def gram_matrix_backward_one_use(dGA, A):
    return dGA @ A


def _style_cost(a_S, a_G, *, unroll="transpose", pixels_squared=True):
    _, n_H, n_W, n_C = a_G.shape
    if unroll == "transpose":
        S, G = a_S.reshape(n_H * n_W, n_C).T, a_G.reshape(n_H * n_W, n_C).T
    else:
        S, G = a_S.reshape(n_C, n_H * n_W), a_G.reshape(n_C, n_H * n_W)
    GS, GG = S @ S.T, G @ G.T
    pixels = (n_H * n_W) ** 2 if pixels_squared else n_H * n_W
    return np.sum((GS - GG) ** 2) / (4 * n_C ** 2 * pixels)


def compute_layer_style_cost_reshape_only(a_S, a_G):
    return _style_cost(a_S, a_G, unroll="reshape")


def compute_layer_style_cost_pixels_not_squared(a_S, a_G):
    return _style_cost(a_S, a_G, pixels_squared=False)


def _style_backward(dJ, a_S, a_G, *, roll_back="transpose", gram_factor=2.0, sign=1.0):
    _, n_H, n_W, n_C = a_G.shape
    S, G = a_S.reshape(n_H * n_W, n_C).T, a_G.reshape(n_H * n_W, n_C).T
    GS, GG = S @ S.T, G @ G.T
    dGG = dJ * sign * 2 * (GG - GS) / (4 * n_C ** 2 * (n_H * n_W) ** 2)
    dG = gram_factor * dGG @ G  # (n_C, n_H * n_W)
    return dG.T.reshape(a_G.shape) if roll_back == "transpose" else dG.reshape(a_G.shape)


def compute_layer_style_cost_backward_reshape_only(dJ_style_layer, a_S, a_G):
    return _style_backward(dJ_style_layer, a_S, a_G, roll_back="reshape")


def compute_layer_style_cost_backward_gram_once(dJ_style_layer, a_S, a_G):
    return _style_backward(dJ_style_layer, a_S, a_G, gram_factor=1.0)


def compute_layer_style_cost_backward_sign(dJ_style_layer, a_S, a_G):
    return _style_backward(dJ_style_layer, a_S, a_G, sign=-1.0)


def total_cost_swapped(J_content, J_style, alpha=10, beta=40):
    return alpha * J_style + beta * J_content


def total_cost_fixed_weights(J_content, J_style, alpha=10, beta=40):
    return 10 * J_content + 40 * J_style


# --------------------------------------------------------------------------------------------------------------

TASKS = [
    Task("compute_content_cost", content_case(), run_content, mistakes=[
        Mistake("the cost compares the FIRST layer's outputs; the content layer is the last: content_output[-1]",
                compute_content_cost_first_layer),
        Mistake("the 4 of the normalisation is missing: divide by 4 * n_H * n_W * n_C",
                compute_content_cost_without_4),
    ]),
    Task("compute_content_cost_backward", content_case(), run_content_backward, grad=grad_content, mistakes=[
        Mistake("da_G has the wrong sign: the derivative of (a_C - a_G)^2 with respect to a_G is 2 (a_G - a_C)",
                compute_content_cost_backward_sign),
        Mistake("the 2 from the square is missing: da_G = dJ * 2 (a_G - a_C) / (4 n_H n_W n_C)",
                compute_content_cost_backward_no_2),
        Mistake("dJ_content is ignored: multiply by the upstream gradient (the chain rule)",
                compute_content_cost_backward_no_dJ),
    ]),
    Task("gram_matrix", gram_case(), run_gram, mistakes=[
        Mistake("this is A^T A, (n_H n_W, n_H n_W); the Gram matrix of the channels is A A^T, (n_C, n_C)",
                gram_matrix_transposed_product),
        Mistake("A * A multiplies elementwise; the Gram matrix is the matrix product A @ A.T",
                gram_matrix_elementwise),
    ]),
    Task("gram_matrix_backward", gram_case(), run_gram_backward, grad=grad_gram, mistakes=[
        Mistake("dA = 2 dGA A holds only for a symmetric dGA: in general dA = (dGA + dGA^T) A",
                gram_matrix_backward_twice),
        Mistake("dA counts only one of A's two uses (dGA A): A is also the right factor, which adds dGA^T A",
                gram_matrix_backward_one_use),
    ]),
    Task("compute_layer_style_cost", style_case(), run_style, mistakes=[
        Mistake("a.reshape(n_C, n_H * n_W) mixes positions and channels: reshape to (n_H * n_W, n_C), then "
                "transpose", compute_layer_style_cost_reshape_only),
        Mistake("the normalisation's (n_H n_W) is not squared: divide by 4 n_C^2 (n_H n_W)^2",
                compute_layer_style_cost_pixels_not_squared),
    ]),
    Task("compute_layer_style_cost_backward", style_case(), run_style_backward, grad=grad_style, mistakes=[
        Mistake("the unrolled gradient (n_C, n_H n_W) is reshaped to a_G's shape directly: transpose it back to "
                "(n_H n_W, n_C) first, undoing the forward's unrolling",
                compute_layer_style_cost_backward_reshape_only),
        Mistake("the Gram matrix's gradient counts G once (dGG G): G is both factors of G G^T, so it is "
                "2 dGG G", compute_layer_style_cost_backward_gram_once),
        Mistake("dGG has the wrong sign: the derivative of (GS - GG)^2 with respect to GG is 2 (GG - GS)",
                compute_layer_style_cost_backward_sign),
    ]),
    Task("total_cost", total_case(), run_total, mistakes=[
        Mistake("alpha and beta are swapped: J = alpha * J_content + beta * J_style", total_cost_swapped),
        Mistake("the weights are fixed at 10 and 40: use the arguments alpha and beta", total_cost_fixed_weights),
    ]),
]

LESSON = Lesson(
    name="dls/c4w4-style",
    title="Neural style transfer: the costs and their gradients",
    course="Deep Learning Specialization, course 4 week 4 (Art Generation with Neural Style Transfer)",
    covers="compute_content_cost, gram_matrix, compute_layer_style_cost, total_cost, and the gradients "
           "the course leaves to TensorFlow",
    reference=ref,
    cells=CELLS,
    tasks=TASKS,
)
