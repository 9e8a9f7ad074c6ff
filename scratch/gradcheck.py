"""A numeric gradient checker for any ``(y, backward)`` function: yours included.

Usage::

    from scratch.gradcheck import gradcheck
    report = gradcheck(my_layer, x, w, b)   # my_layer(x, w, b) returns (y, backward)
    print(report)                            # largest errors, where they occur, pass/fail
    assert report.ok

How it works. Pick a random upstream gradient ``dy`` (fixed by ``seed``) and define the scalar
``L(inputs) = sum(y(inputs) * dy)``. The analytic gradient of ``L`` with respect to each input is exactly what
``backward(dy)`` returns. The numeric one comes from central differences in float64, one element at a time::

    dL/dx[i] ~= (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)

whose error is O(eps^2) for a smooth function. A random ``dy`` rather than ``y.sum()`` matters: with an all-ones
``dy`` a backward that, say, forgets to transpose a square weight, or sums over the wrong axis, can still pass.

The criterion, per checked input, element by element (``torch.autograd.gradcheck``'s ``atol + rtol |n|``, with the
absolute part scaled to the gradient)::

    |analytic - numeric| <= atol * min(1, max|numeric|) + rtol * |numeric| + ROUNDING * eps_64 * sum|y * dy| / eps

``atol`` shrinks with the largest element of a gradient below 1: a fixed absolute tolerance would pass anything where
the whole gradient is small (a sigmoid saturated at x ~ 15 has slopes ~3e-7; a backward twice too large there stays
under an absolute 1e-6). It never grows with a large gradient: beside an element of 1e3, ``atol * max|numeric|``
would pass a small element 1e-4 off; the rounding of large terms is what the last term is for. The last term is
the rounding floor of central differences: each ``L`` carries a rounding error of a few units of its terms' size
``sum |y * dy|``, divided by the step ``eps``; below it the numeric gradient is noise (it bounds a gradient that
is exactly 0, where ``max|numeric|`` is that noise).

Inputs must be float64 (float32 differences are too coarse to be meaningful) and the function must be evaluated
away from kinks (relu at 0, ties in a max-pool window, |x| at 0): there the numeric derivative is an average of the
two one-sided slopes and will disagree with any valid choice of subgradient.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# The rounding floor in units of eps_64 * sum|y * dy| / eps. Over 400 hypothesis examples of every gradcheck in
# parity_tests (float64, values of order 1), correct backwards stayed within 1.0 of these units beyond the
# atol and rtol terms (the transformer layers, whose gradients with respect to some parameters are ~1e-8, that is
# noise); 16 leaves room for functions whose outputs round less well than those.
ROUNDING = 16.0


@dataclass
class InputReport:
    """Errors for one checked input."""

    index: int  # position among the function's arguments
    shape: tuple
    max_abs_error: float
    max_rel_error: float  # max of |a - n| / max(|a| + |n|, 1e-8)
    worst_index: tuple  # element where |analytic - numeric| is largest
    analytic: float  # the two values at worst_index
    numeric: float
    ok: bool


@dataclass
class GradcheckReport:
    ok: bool
    max_abs_error: float
    max_rel_error: float
    inputs: list = field(default_factory=list)
    atol: float = 0.0
    rtol: float = 0.0
    rounding: float = 0.0  # the rounding floor of the numeric gradient (see the module docstring)

    def __str__(self):
        lines = [f"gradcheck {'passed' if self.ok else 'FAILED'}: max abs error {self.max_abs_error:.3e}, "
                 f"max rel error {self.max_rel_error:.3e} (atol {self.atol:g} * min(1, max|numeric|), "
                 f"rtol {self.rtol:g}, rounding floor {self.rounding:.3g})"]
        for r in self.inputs:
            lines.append(
                f"  input {r.index} {r.shape}: max abs {r.max_abs_error:.3e}, max rel {r.max_rel_error:.3e} "
                f"at {r.worst_index}: analytic {r.analytic:.10g}, numeric {r.numeric:.10g}"
                + ("" if r.ok else "  <-- wrong")
            )
        return "\n".join(lines)

    def __bool__(self):
        return self.ok


def _flatten(y):
    """The arrays of a nested tuple output, in order (a layer may return ``(out, (h, c))``)."""
    if isinstance(y, (tuple, list)):
        return [a for item in y for a in _flatten(item)]
    return [] if y is None else [np.asarray(y)]


def _unflatten(template, flat):
    if isinstance(template, (tuple, list)):
        out = []
        for item in template:
            value, flat = _unflatten(item, flat)
            out.append(value)
        return tuple(out), flat
    if template is None:
        return None, flat
    return flat[0], flat[1:]


def random_like_output(y, rng: np.random.Generator):
    """A standard normal upstream gradient with the structure, shapes and dtypes of ``y``."""
    flat = [rng.standard_normal(a.shape).astype(a.dtype) for a in _flatten(y)]
    return _unflatten(y, flat)[0]


def gradcheck(fn, *inputs, dy=None, wrt=None, eps: float = 1e-6, atol: float = 1e-6, rtol: float = 1e-5,
              seed: int = 0) -> GradcheckReport:
    """Compare ``fn``'s analytic gradients with central differences.

    Args:
        fn: called as ``fn(*inputs)``; returns ``(y, backward)`` where ``backward(dy)`` returns one gradient per input
            (None for inputs that are not differentiable). ``y`` may be an array or a nested tuple of arrays.
        inputs: the arguments. float64 arrays listed in ``wrt`` are checked; anything else (ints, None, integer
            targets) is passed through unchanged.
        dy: the upstream gradient; by default standard normal, drawn with ``seed``.
        wrt: indices of the inputs to check; by default every float64 array.
        eps: the central-difference step.
        atol, rtol: an element passes when
            ``|analytic - numeric| <= atol * min(1, max|numeric|) + rtol * |numeric|``, plus the rounding floor
            of central differences (see the module docstring); ``max|numeric|`` is over the input's whole gradient.

    Returns:
        A ``GradcheckReport``: truthy when every element passes; ``print`` it to see the worst element of each input.
    """
    inputs = list(inputs)
    if wrt is None:
        wrt = [i for i, a in enumerate(inputs) if isinstance(a, np.ndarray) and a.dtype == np.float64]
    for i in wrt:
        a = inputs[i]
        if not isinstance(a, np.ndarray) or a.dtype != np.float64:
            got = a.dtype if isinstance(a, np.ndarray) else type(a).__name__
            raise TypeError(f"gradcheck checks float64 arrays only (float32 differences are too coarse); "
                            f"input {i} is {got}")
    if not wrt:
        raise ValueError("gradcheck found no float64 array among the inputs to check")
    originals = [a.copy() if isinstance(a, np.ndarray) else a for a in inputs]

    y, backward = fn(*inputs)
    if dy is None:
        dy = random_like_output(y, np.random.default_rng(seed))
    dy_flat = _flatten(dy)
    grads = backward(dy)
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    # L = sum(y * dy) is computed to a few units of rounding of its terms; the difference quotient divides that by eps
    terms = [np.abs(o.astype(np.float64) * d) for o, d in zip(_flatten(y), dy_flat)]
    size = float(sum(np.sum(t[np.isfinite(t)]) for t in terms))
    rounding = ROUNDING * np.finfo(np.float64).eps * size / eps

    def loss(args) -> float:
        out, _ = fn(*args)
        return float(sum(np.sum(o.astype(np.float64) * d) for o, d in zip(_flatten(out), dy_flat)))

    reports = []
    for i in wrt:
        analytic = grads[i] if i < len(grads) else None
        analytic = np.zeros_like(inputs[i]) if analytic is None else np.asarray(analytic, dtype=np.float64)
        if analytic.shape != inputs[i].shape:
            raise ValueError(f"gradcheck: backward returned a gradient of shape {analytic.shape} for input {i} "
                             f"of shape {inputs[i].shape}")
        numeric = np.zeros_like(inputs[i])
        for idx in np.ndindex(inputs[i].shape):
            args = list(originals)
            plus = originals[i].copy()
            plus[idx] += eps
            args[i] = plus
            f_plus = loss(args)
            minus = originals[i].copy()
            minus[idx] -= eps
            args[i] = minus
            f_minus = loss(args)
            numeric[idx] = (f_plus - f_minus) / (2 * eps)
        diff = np.abs(analytic - numeric)
        # CS231n's relative error, |a - n| / max(|a| + |n|, 1e-8): bounded by 1 and defined at zero.
        rel = diff / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-8)
        scale = float(np.max(np.abs(numeric), initial=0.0))  # the size of this gradient
        excess = diff - (atol * min(scale, 1.0) + rtol * np.abs(numeric) + rounding)
        worst = np.unravel_index(int(np.argmax(excess)), diff.shape) if diff.size else ()
        reports.append(InputReport(
            index=i, shape=inputs[i].shape,
            max_abs_error=float(diff.max(initial=0.0)),
            max_rel_error=float(rel.max(initial=0.0)),
            worst_index=tuple(int(k) for k in worst),
            analytic=float(analytic[worst]) if diff.size else 0.0,
            numeric=float(numeric[worst]) if diff.size else 0.0,
            ok=bool(np.all(excess <= 0)),
        ))
    return GradcheckReport(
        ok=all(r.ok for r in reports),
        max_abs_error=max(r.max_abs_error for r in reports),
        max_rel_error=max(r.max_rel_error for r in reports),
        inputs=reports, atol=atol, rtol=rtol, rounding=rounding,
    )
