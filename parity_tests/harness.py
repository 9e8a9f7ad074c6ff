"""The one explicit helper that compares a NumPy layer with its PyTorch twin, and the gradcheck wrapper.

``check_function``: run a ``scratch.functional`` function and its torch twin on the same inputs; compare output
shape, dtype and values; draw a random upstream gradient ``dy`` (never all ones: ``y.sum()`` hides transposes and
wrong reduction axes); compare every gradient; check that neither the inputs nor ``dy`` were modified.

``check_module``: the same for a ``scratch.nn`` module and a ``torch.nn`` module holding the same weights, comparing
``dx``, every parameter's ``.grad`` and every buffer (running statistics) after the forward pass.

``check_gradcheck``: the NumPy backward against central differences alone, independent of torch: it catches a twin
that is wrong in the same way as ours.

Every call records its errors under the layer's name in ``RECORDS``; the verification report
(``python -m parity_tests.report``) prints them, one row per layer.
"""
from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field

import numpy as np
import pytest
import torch

from parity_tests.tolerances import GRADCHECK, GRADCHECK_EPS, parity
from scratch import fast
from scratch.gradcheck import _flatten, gradcheck, random_like_output
from torch_impl.state import copy_weights

torch.set_num_threads(1)  # the suite runs one process per core; threads inside each would only contend


@dataclass
class LayerRecord:
    examples: int = 0
    forward_error: dict = field(default_factory=dict)  # dtype name -> max normalised error
    gradient_error: dict = field(default_factory=dict)
    gradcheck_examples: int = 0
    gradcheck_error: float = 0.0  # max |analytic - numeric| (the check: scratch.gradcheck's criterion)
    failures: int = 0


RECORDS: dict[str, LayerRecord] = {}


def record(layer: str) -> LayerRecord:
    return RECORDS.setdefault(layer, LayerRecord())


def dump_records(path: str) -> None:
    """Write RECORDS as JSON atomically (the report merges one file per test process)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({k: asdict(v) for k, v in RECORDS.items()}, f)
    os.replace(tmp, path)


def _note(table: dict, key: str, value: float) -> None:
    table[key] = max(table.get(key, 0.0), value)


def assert_close(actual, expected, what: str, dtype=None, scale_floor: float = 1.0) -> float:
    """Assert ``actual`` (NumPy) matches ``expected`` (a NumPy copy of torch's) within the table's tolerance.

    ``scale_floor`` raises the floor of the atol scale (``max(scale_floor, max|e|)``) from 1 to the size of the terms
    the array is summed from, where a caller knows that every element can cancel far below them (see
    ``check_function``'s ``grad_scale``). Returns the normalised error ``max|a - e| / scale`` for the report. NaNs
    must sit in the same places.
    """
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, torch has {expected.shape}"
    if expected.dtype.kind in "iub":  # indices, counters, masks: exactly equal or wrong
        bad = np.argwhere(actual != expected)
        assert bad.size == 0, f"{what}: {len(bad)} integer elements differ, first at {bad[0].tolist()}"
        return 0.0
    tol = parity(dtype if dtype is not None else expected.dtype)
    a = actual.astype(np.float64)
    e = expected.astype(np.float64)
    nan_a, nan_e = np.isnan(a), np.isnan(e)
    assert np.array_equal(nan_a, nan_e), (
        f"{what}: NaN at {np.argwhere(nan_a != nan_e)[:5].tolist()} in one side only "
        f"(numpy has {int(nan_a.sum())} NaNs, torch {int(nan_e.sum())})")
    inf_a, inf_e = np.isinf(a), np.isinf(e)
    assert np.array_equal(a[inf_a | inf_e], e[inf_a | inf_e]), f"{what}: infinities differ"
    finite = ~(nan_e | inf_e)
    if not finite.any():
        return 0.0
    a, e = a[finite], e[finite]
    scale = max(1.0, scale_floor, float(np.max(np.abs(e))))
    diff = np.abs(a - e)
    bound = tol.atol * scale + tol.rtol * np.abs(e)
    if np.any(diff > bound):
        k = int(np.argmax(diff - bound))
        raise AssertionError(
            f"{what}: max |numpy - torch| = {diff.max():.3e} (bound at the worst element {bound[k]:.3e}); "
            f"at flat finite index {k}: numpy {a[k]!r}, torch {e[k]!r}; rtol={tol.rtol}, atol={tol.atol}*{scale:.3g}")
    return float(diff.max() / scale)


def _to_torch(value, requires_grad: bool):
    if isinstance(value, np.ndarray):
        t = torch.from_numpy(value.copy())
        return t.requires_grad_(True) if requires_grad else t
    return value


def _torch_flat(y):
    if isinstance(y, (tuple, list)):
        return [t for item in y for t in _torch_flat(item)]
    return [] if y is None else [y]


def check_function(layer: str, np_fn, torch_fn, inputs, *, wrt=None, mutable=(), seed: int = 0,
                   check_grads: bool = True, grad_scale=None, dtype_only=()) -> None:
    """Compare ``np_fn(*inputs)`` (returning ``(y, backward)``) with ``torch_fn(*tensors)``.

    Args:
        layer: the name the report files this comparison under.
        inputs: arrays (float or integer), None, or plain Python values, passed positionally to both sides;
            arrays become tensors (copies) for torch.
        wrt: indices of the inputs whose gradients are compared; default every float array. The NumPy backward
            must return exactly one entry per input, and None for every input not in ``wrt``.
        mutable: indices of inputs both sides update in place (batch norm's running statistics): compared with
            torch's after the forward pass instead of being required unchanged.
        seed: seeds the random upstream gradient.
        grad_scale: for a layer whose gradients can cancel to nothing as a whole array (a saturated softmax), a
            function of the flat list of upstream gradients returning ``{input index: size of the terms that
            gradient sums}``; each becomes that gradient's ``scale_floor`` in ``assert_close``, so that the bound
            follows the rounding error of the terms rather than of the (vanishing) result.
        dtype_only: indices in ``wrt`` whose gradient is compared in shape and dtype but not in value (say why
            at the call). Every gradient's dtype is compared with its input's, whatever else is skipped.
    """
    rec = record(layer)
    rec.examples += 1
    try:
        _check_function(layer, np_fn, torch_fn, list(inputs), wrt, tuple(mutable), seed, check_grads, grad_scale,
                        tuple(dtype_only), rec)
    except BaseException:
        rec.failures += 1
        raise


def _check_function(layer, np_fn, torch_fn, inputs, wrt, mutable, seed, check_grads, grad_scale, dtype_only, rec):
    if wrt is None:
        wrt = [i for i, a in enumerate(inputs) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    wrt = list(wrt)
    saved = [a.copy() if isinstance(a, np.ndarray) else a for a in inputs]
    tensors = [_to_torch(a, i in wrt) for i, a in enumerate(inputs)]

    y, backward = np_fn(*inputs)
    y_t = torch_fn(*tensors)
    ys, ys_t = _flatten(y), _torch_flat(y_t)
    assert len(ys) == len(ys_t), f"{layer}: numpy returned {len(ys)} outputs, torch {len(ys_t)}"
    for k, (a, t) in enumerate(zip(ys, ys_t)):
        expected = t.detach().numpy()
        assert a.dtype == expected.dtype, f"{layer} output {k}: dtype {a.dtype}, torch gives {expected.dtype}"
        _note(rec.forward_error, a.dtype.name, assert_close(a, expected, f"{layer} output {k}"))
    for i in mutable:
        assert_close(inputs[i], tensors[i].numpy(), f"{layer} input {i} (updated in place)")

    if check_grads:
        dy = random_like_output(y, np.random.default_rng(seed))
        dy_saved = [d.copy() for d in _flatten(dy)]
        grads = backward(dy)
        assert isinstance(grads, tuple), f"{layer}: backward must return a tuple, got {type(grads).__name__}"
        assert len(grads) == len(inputs), f"{layer}: backward returned {len(grads)} gradients for {len(inputs)} inputs"
        for d, d0 in zip(_flatten(dy), dy_saved):
            assert np.array_equal(d, d0, equal_nan=True), f"{layer}: backward modified the upstream gradient dy"
        for i, g in enumerate(grads):
            if i not in wrt:
                assert g is None, f"{layer}: gradient {i} should be None (not differentiable), got {type(g).__name__}"
        if wrt:
            outs = [(t, torch.from_numpy(d)) for t, d in zip(ys_t, _flatten(dy)) if t.requires_grad]
            torch_grads = torch.autograd.grad([t for t, _ in outs], [tensors[i] for i in wrt],
                                              [d for _, d in outs], allow_unused=True)
            floors = grad_scale(_flatten(dy)) if grad_scale is not None else {}
            for i, g_t in zip(wrt, torch_grads):
                g = grads[i]
                if g is not None:  # every gradient, compared in value or not, has its input's dtype
                    assert g.dtype == inputs[i].dtype, (
                        f"{layer}: gradient {i} has dtype {g.dtype}, input {inputs[i].dtype}")
                if g_t is None:
                    assert g is None or not np.any(g), f"{layer}: gradient {i} is nonzero where torch has none"
                    continue
                assert g is not None, f"{layer}: gradient {i} is None, torch computes one"
                if i in dtype_only:
                    assert g.shape == inputs[i].shape, (
                        f"{layer}: gradient {i} has shape {g.shape}, input {inputs[i].shape}")
                    continue
                _note(rec.gradient_error, g.dtype.name,
                      assert_close(g, g_t.numpy(), f"{layer} gradient {i}", scale_floor=floors.get(i, 1.0)))

    for i, (a, a0) in enumerate(zip(inputs, saved)):
        if isinstance(a, np.ndarray) and i not in mutable:
            assert np.array_equal(a, a0, equal_nan=True), f"{layer}: input {i} was modified in place"


def check_module(layer: str, np_module, torch_module, *inputs, seed: int = 0, input_grads=None) -> None:
    """Compare a ``scratch.nn`` module with a ``torch.nn`` module after copying the NumPy weights into torch.

    The NumPy module's ``backward(dy)`` returns ``dx`` (for ``inputs[0]``); compared too: every parameter's
    ``.grad`` by name, and every buffer after the forward pass. ``input_grads`` lists the inputs whose gradients
    are compared (default: the first, if it is a float array).
    """
    rec = record(layer)
    rec.examples += 1
    try:
        _check_module(layer, np_module, torch_module, list(inputs), seed, input_grads, rec)
    except BaseException:
        rec.failures += 1
        raise


def _check_module(layer, np_module, torch_module, inputs, seed, input_grads, rec):
    copy_weights(np_module, torch_module)
    np_module.zero_grad()
    torch_module.zero_grad(set_to_none=True)
    if input_grads is None:
        input_grads = [0] if isinstance(inputs[0], np.ndarray) and inputs[0].dtype.kind == "f" else []
    saved = [a.copy() if isinstance(a, np.ndarray) else a for a in inputs]
    tensors = [_to_torch(a, i in input_grads) for i, a in enumerate(inputs)]

    y, backward = np_module(*inputs)
    y_t = torch_module(*tensors)
    ys, ys_t = _flatten(y), _torch_flat(y_t)
    assert len(ys) == len(ys_t), f"{layer}: numpy returned {len(ys)} outputs, torch {len(ys_t)}"
    for k, (a, t) in enumerate(zip(ys, ys_t)):
        expected = t.detach().numpy()
        assert a.dtype == expected.dtype, f"{layer} output {k}: dtype {a.dtype}, torch gives {expected.dtype}"
        _note(rec.forward_error, a.dtype.name, assert_close(a, expected, f"{layer} output {k}"))
    torch_buffers = dict(torch_module.named_buffers())
    for name, b in np_module.named_buffers():
        assert_close(b, torch_buffers[name].numpy(), f"{layer} buffer {name} after forward")

    dy = random_like_output(y, np.random.default_rng(seed))
    dy_saved = [d.copy() for d in _flatten(dy)]
    dx = backward(dy)
    for d, d0 in zip(_flatten(dy), dy_saved):
        assert np.array_equal(d, d0, equal_nan=True), f"{layer}: backward modified the upstream gradient dy"
    outs = [(t, torch.from_numpy(d)) for t, d in zip(ys_t, _flatten(dy)) if t.requires_grad]
    if outs:
        torch.autograd.backward([t for t, _ in outs], [d for _, d in outs])
    dxs = dx if isinstance(dx, tuple) else (dx,)
    for k, i in enumerate(input_grads):
        g_t = tensors[i].grad
        assert dxs[k] is not None and g_t is not None, f"{layer}: input gradient {i} missing"
        assert dxs[k].dtype == inputs[i].dtype, (
            f"{layer}: input gradient {i} has dtype {dxs[k].dtype}, input {inputs[i].dtype}")
        _note(rec.gradient_error, dxs[k].dtype.name, assert_close(dxs[k], g_t.numpy(), f"{layer} input gradient {i}"))
    torch_params = dict(torch_module.named_parameters())
    assert [n for n, _ in np_module.named_parameters()] == list(torch_params), f"{layer}: parameter names differ"
    for name, p in np_module.named_parameters():
        g_t = torch_params[name].grad
        if g_t is None:
            assert p.grad is None or not np.any(p.grad), f"{layer}: {name}.grad is nonzero where torch has none"
            continue
        assert p.grad is not None, f"{layer}: {name}.grad is None, torch computes one"
        assert p.grad.dtype == p.dtype, f"{layer}: {name}.grad has dtype {p.grad.dtype}, parameter {p.dtype}"
        _note(rec.gradient_error, p.dtype.name, assert_close(p.grad, g_t.numpy(), f"{layer} {name}.grad"))
    for i, (a, a0) in enumerate(zip(inputs, saved)):
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, a0, equal_nan=True), f"{layer}: input {i} was modified in place"


def check_gradcheck(layer: str, fn, *inputs, wrt=None, seed: int = 0) -> None:
    """Central differences against ``fn``'s backward (float64 inputs), with the table's GRADCHECK tolerance."""
    rec = record(layer)
    rec.gradcheck_examples += 1
    try:
        report = gradcheck(fn, *inputs, wrt=wrt, eps=GRADCHECK_EPS, atol=GRADCHECK.atol, rtol=GRADCHECK.rtol,
                           seed=seed)
        rec.gradcheck_error = max(rec.gradcheck_error, report.max_abs_error)
        assert report.ok, f"{layer}: {report}"
    except BaseException:
        rec.failures += 1
        raise


def check_state_dict_layout(layer: str, np_module, torch_module) -> None:
    """Same keys in the same order, same shapes and dtypes; and weights survive a round trip both ways."""
    sd, sd_t = np_module.state_dict(), torch_module.state_dict()
    assert list(sd) == list(sd_t), f"{layer}: state_dict keys {list(sd)} != torch's {list(sd_t)}"
    for k in sd:
        assert tuple(sd[k].shape) == tuple(sd_t[k].shape), (
            f"{layer}: {k} shape {sd[k].shape} != torch's {tuple(sd_t[k].shape)}")
        assert sd[k].dtype == sd_t[k].numpy().dtype, f"{layer}: {k} dtype {sd[k].dtype} != torch's {sd_t[k].dtype}"
    before = {k: np.array(v, copy=True) for k, v in sd.items()}
    copy_weights(np_module, torch_module)  # numpy -> torch
    for k, v in torch_module.state_dict().items():
        assert np.array_equal(v.numpy(), before[k]), f"{layer}: {k} changed on the way to torch"
    for v in np_module.state_dict().values():
        v[...] = 0
    copy_weights(torch_module, np_module)  # and back
    for k, v in np_module.state_dict().items():
        assert np.array_equal(v, before[k]), f"{layer}: {k} changed on the way back from torch"


@contextlib.contextmanager
def switched(module, name: str, value):
    """Set a module attribute (``_winograd.TILES_PER_PASS``, ``_winograd.transforms``) for the block's duration.
    The fast kernels are switched through ``scratch.fast`` instead: ``numba_path``."""
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, saved)


# A layer with a fast path (numba kernels, Winograd) and its NumPy definition runs its parity tests on both:
# parametrize with NUMBA_PATHS and run the test's body inside ``numba_path(layer, use_numba)``.
# Under SCRATCH_NO_NUMBA=1 the fast side is skipped at collection (a skip raised inside a hypothesis test would be
# reported as a failing example).
KERNELS_FORBIDDEN = pytest.mark.skipif(fast.forbidden(), reason="SCRATCH_NO_NUMBA=1 forbids the fast kernels")
NUMBA_PATHS = [pytest.param(True, id="numba", marks=KERNELS_FORBIDDEN), pytest.param(False, id="numpy")]


def numba_path(layer: str, use_numba: bool):
    """``scratch.fast.kernels(use_numba, layer)``: ``layer``'s fast path on (or off) for the block's duration. The
    test is skipped when it asks for the kernels and ``SCRATCH_NO_NUMBA=1`` forbids them."""
    if use_numba and fast.forbidden():
        pytest.skip("SCRATCH_NO_NUMBA=1 forbids the fast kernels")
    return fast.kernels(use_numba, layer)


def torch_dtype(dtype):
    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[np.dtype(dtype)]
