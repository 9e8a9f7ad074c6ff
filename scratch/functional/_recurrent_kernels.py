"""numba kernels for the LSTM step: the elementwise arithmetic of ``recurrent.sequences._lstm_step`` and its
``step_back``, fused into single passes over memory, and ``lstm_step``, the step built on them that ``lstm`` runs
when the fast kernels are on (``scratch.fast``).

Why they exist: per time step the LSTM does one small matmul and then about fifteen NumPy calls on (N, 4H) arrays,
each a full pass over memory plus a microsecond of call overhead; at T=50, N=32, H=128 that elementwise tail was about
a third of the LSTM's forward plus backward time. These kernels do the arithmetic in one loop each. They are an
accelerated equivalent, not the definition: the NumPy step in ``recurrent/sequences.py`` is the readable reference, and
``parity_tests/test_recurrent_kernels.py`` checks every kernel against the NumPy expression it replaces.

What stays in NumPy: the matmuls (BLAS) and the transcendentals. numba calls the scalar libm ``exp``/``tanh`` (it
vectorises them only with Intel's SVML library, which is not installed here), measured 5-30x slower than NumPy's SIMD
loops, so ``exp`` and ``tanh`` run as NumPy calls between the kernels. Every operation is written in the same order
as in the NumPy reference and ``fastmath`` is off, so the results are the same bit for bit (checked on x86-64).

Each kernel takes its outputs as arguments (preallocated by the caller) and compiles once per dtype: float32 stays
float32 (``one`` is cast to the arrays' dtype, because a bare ``1`` would promote float32 arithmetic to float64).
Gates are stacked ``i, f, g, o`` along the last axis, as in torch's weights. The callers pass C-contiguous arrays:
another layout would still be correct, but compiles a second version of the kernel.
"""
from __future__ import annotations

import numba
import numpy as np


def lstm_step(gx, gh, h, c):
    """``sequences._lstm_step`` with its arithmetic fused in the kernels below: the same values, bit for bit.

    Same contract: returns ``(h', c', step_back)``; ``step_back(dh', dc', dgx)`` fills dgx and returns
    ``(None, None, dc_prev)``. ``gh``
    (the scan's fresh ``h W_hh^T``) is overwritten: it becomes the pre-activations, then the activations. exp and
    tanh stay NumPy calls, whose SIMD loops beat numba's scalar libm calls several times over.
    """
    N, H = h.shape
    c = np.ascontiguousarray(c)  # a user's c0 may be a strided view: one array layout, one compiled kernel
    act = gh
    e = np.empty((N, 3 * H), act.dtype)  # -|a| for i, f, o
    g = np.empty_like(c)
    lstm_preactivations(act, gx, e, g)  # act = gh + gx; e = -|a_ifo|; g = a_g
    np.exp(e, out=e)
    np.tanh(g, out=g)
    c_new = np.empty_like(c)
    lstm_cell(act, e, g, c, c_new)  # act <- activations i, f, g, o; c_new = f c + i g
    tc = np.tanh(c_new)
    h_new = act[:, 3 * H:] * tc

    def step_back(dh_new, dc_new, dgx):
        dc_prev = np.empty_like(tc)
        lstm_cell_back(dh_new, np.ascontiguousarray(dc_new), act, c, tc, dgx, dc_prev)
        return None, None, dc_prev

    return h_new, c_new, step_back


@numba.njit(cache=True, error_model="numpy")
def lstm_preactivations(a, gx, e, g):
    """``a += gx``, then split the pre-activations for NumPy's exp and tanh: ``e = -|a|`` for the sigmoid gates
    i, f, o (the argument of the overflow-free sigmoid's exp) and ``g = a``'s g block.

    a: (N, 4H) holding ``h W_hh^T``, becomes the pre-activations; gx: (N, 4H) the input's part. Outputs
    e: (N, 3H), blocks i, f, o; g: (N, H). exp and tanh run faster on these contiguous arrays than on column
    blocks of a, and exp skips the g block.
    """
    N, H = g.shape
    for n in range(N):
        an, gxn, en = a[n], gx[n], e[n]
        for j in range(4 * H):
            an[j] += gxn[j]
        ai, af, ag, ao = an[:H], an[H:2 * H], an[2 * H:3 * H], an[3 * H:]
        ei, ef, eo, gn = en[:H], en[H:2 * H], en[2 * H:], g[n]
        for j in range(H):
            ei[j], ef[j], eo[j], gn[j] = -abs(ai[j]), -abs(af[j]), -abs(ao[j]), ag[j]


@numba.njit(cache=True, error_model="numpy")
def lstm_cell(a, e, g, c, c_new):
    """Gate activations and the new cell state.

    a: (N, 4H) pre-activations; on return it holds the activations ``[sigmoid(i), sigmoid(f), tanh(g),
    sigmoid(o)]``. e: (N, 3H) ``exp(-|a|)`` for i, f, o; g: (N, H) ``tanh(g)``; c: (N, H) the previous cell state;
    c_new: (N, H) output, ``f c + i g``. The sigmoid is ``1 / (1 + e)`` for a >= 0 and ``e / (1 + e)`` below, as
    ``activation.stable_sigmoid``. (``error_model="numpy"``: without it numba checks every division for a zero divisor,
    and the check keeps LLVM from vectorising the loop.)
    """
    N, H = c.shape
    one = c.dtype.type(1)
    for n in range(N):
        # one row, gate by gate: 1-D views indexed by the loop counter alone let LLVM vectorise the loop
        ai, af, ag, ao = a[n, :H], a[n, H:2 * H], a[n, 2 * H:3 * H], a[n, 3 * H:]
        ei, ef, eo = e[n, :H], e[n, H:2 * H], e[n, 2 * H:]
        gn, cn, c_newn = g[n], c[n], c_new[n]
        for j in range(H):
            i = (one if ai[j] >= 0 else ei[j]) / (one + ei[j])
            f = (one if af[j] >= 0 else ef[j]) / (one + ef[j])
            o = (one if ao[j] >= 0 else eo[j]) / (one + eo[j])
            ai[j], af[j], ag[j], ao[j] = i, f, gn[j], o
            c_newn[j] = f * cn[j] + i * gn[j]


@numba.njit(cache=True, error_model="numpy")
def lstm_cell_back(dh, dc, act, c, tc, dgx, dc_prev):
    """One step's derivative, ``_lstm_step``'s ``step_back`` in one pass.

    dh, dc: (N, H) gradients reaching h', c'; act: (N, 4H) the activations i, f, g, o; c: (N, H) the previous cell
    state; tc: (N, H) ``tanh(c')``. Writes dgx: (N, 4H) the gradient of the pre-activations, and dc_prev: (N, H)::

        dc_total = dc + dh o (1 - tc^2)
        dgx = [dc_total g i (1 - i),  dc_total c f (1 - f),  dc_total i (1 - g^2),  dh tc o (1 - o)]
        dc_prev = dc_total f
    """
    N, H = tc.shape
    one = tc.dtype.type(1)
    for n in range(N):
        i, f, g, o = act[n, :H], act[n, H:2 * H], act[n, 2 * H:3 * H], act[n, 3 * H:]
        di, df, dg, do = dgx[n, :H], dgx[n, H:2 * H], dgx[n, 2 * H:3 * H], dgx[n, 3 * H:]
        dhn, dcn, cn, tcn, dc_prevn = dh[n], dc[n], c[n], tc[n], dc_prev[n]
        for j in range(H):
            d = dcn[j] + dhn[j] * o[j] * (one - tcn[j] * tcn[j])
            di[j] = d * g[j] * ((one - i[j]) * i[j])
            df[j] = d * cn[j] * ((one - f[j]) * f[j])
            dg[j] = d * i[j] * (one - g[j] * g[j])
            do[j] = dhn[j] * tcn[j] * ((one - o[j]) * o[j])
            dc_prevn[j] = d * f[j]
