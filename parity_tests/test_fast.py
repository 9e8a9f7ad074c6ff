"""scratch.fast, the one switch for the fast kernels: off by default, so that every public layer runs the NumPy
definition its docstring derives; ``enable``, ``set``, ``kernels`` and the environment (``SCRATCH_FAST``,
``SCRATCH_NO_NUMBA``) do what ``scratch/fast.py`` says; and each layer's fast path is reached when it is on.

The kernels are the functions of the ``scratch/functional/_*_kernels.py`` modules, and Winograd's convolution
(``_winograd.conv2d_3x3``). "No kernel runs" is checked by replacing every one of them with a function that raises.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import scratch.functional
import scratch.functional as F
from scratch import fast
from scratch.functional import _winograd

ROOT = Path(__file__).resolve().parent.parent

KERNEL_MODULES = sorted(name for _, name, _ in pkgutil.iter_modules(scratch.functional.__path__)
                        if name.startswith("_") and name.endswith("_kernels"))


def _kernel_entry_points():
    """``[(module, name)]``: every public function of every kernels module, and Winograd's convolution."""
    points = [(_winograd, "conv2d_3x3")]
    for module_name in KERNEL_MODULES:
        module = importlib.import_module(f"scratch.functional.{module_name}")
        points += [(module, name) for name, value in vars(module).items() if not name.startswith("_")
                   and callable(value) and getattr(value, "__module__", None) == module.__name__]
    return points


@pytest.fixture
def switch(monkeypatch):
    """The switch as a fresh import leaves it without ``SCRATCH_FAST`` (off, no per-layer settings), whatever the
    environment the suite runs in (``SCRATCH_NO_NUMBA`` unset); the test's settings are undone after it."""
    monkeypatch.delenv("SCRATCH_NO_NUMBA", raising=False)
    saved_on, saved_layers = fast._on, dict(fast._layers)
    fast._on = False
    fast._layers.clear()
    try:
        yield fast
    finally:
        fast._on = saved_on
        fast._layers.clear()
        fast._layers.update(saved_layers)


@pytest.fixture
def kernels_raise(monkeypatch):
    """Every kernel entry point replaced by one that raises: a layer that still returns ran its definition."""
    def forbidden(where):
        def kernel(*args, **kwargs):
            raise AssertionError(f"{where} ran: the switch is off")
        return kernel

    for module, name in _kernel_entry_points():
        monkeypatch.setattr(module, name, forbidden(f"{module.__name__}.{name}"))


@pytest.fixture
def kernel_calls(monkeypatch):
    """Every kernel entry point wrapped to record its name when called: ``calls`` lists them in order."""
    calls = []

    def spy(name, kernel):
        def recorded(*args, **kwargs):
            calls.append(name)
            return kernel(*args, **kwargs)
        return recorded

    for module, name in _kernel_entry_points():
        monkeypatch.setattr(module, name, spy(name, getattr(module, name)))
    return calls


def _rng():
    return np.random.default_rng(0)


def _forward_backward(fn, *args, **kwargs):
    """``fn``'s forward and backward for a random dy; returns the forward output."""
    out, backward = fn(*args, **kwargs)
    y = out[0] if isinstance(out, tuple) else out
    backward(_rng().standard_normal(y.shape).astype(y.dtype))
    return out


# Each layer that has a fast path, with arguments that take it when the switch is on: (layer, call, kernels called).
def _conv2d_3x3():
    rng = _rng()
    return _forward_backward(F.conv2d, rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((4, 3, 3, 3)),
                             rng.standard_normal(4), padding=1)


def _conv2d_5x5_strided():
    rng = _rng()
    return _forward_backward(F.conv2d, rng.standard_normal((2, 3, 9, 9)), rng.standard_normal((4, 3, 5, 5)),
                             rng.standard_normal(4), stride=2)


def _conv_transpose2d():
    rng = _rng()
    return _forward_backward(F.conv_transpose2d, rng.standard_normal((2, 4, 5, 5)), rng.standard_normal((4, 3, 2, 2)),
                             rng.standard_normal(3), stride=2)


def _max_pool2d_2x2():
    return _forward_backward(F.max_pool2d, _rng().standard_normal((2, 3, 8, 8)), 2, return_indices=True)


def _max_pool2d_3x3():
    return _forward_backward(F.max_pool2d, _rng().standard_normal((2, 3, 8, 8)), 3, stride=1, padding=1)


def _batch_norm_training():
    rng = _rng()
    return _forward_backward(F.batch_norm, rng.standard_normal((4, 3, 5, 5)), np.zeros(3), np.ones(3),
                             rng.standard_normal(3), rng.standard_normal(3), True)


def _lstm():
    rng = _rng()
    T, N, I, H = 5, 3, 4, 6
    params = [rng.standard_normal(shape) * 0.3 for shape in [(4 * H, I), (4 * H, H), (4 * H,), (4 * H,)]]
    (out, (h_n, c_n)), backward = F.lstm(rng.standard_normal((T, N, I)), None, None, params)
    backward((rng.standard_normal(out.shape), (rng.standard_normal(h_n.shape), rng.standard_normal(c_n.shape))))
    return out


FAST_PATHS = {
    "conv2d 3x3": ("conv2d", _conv2d_3x3, {"conv2d_3x3", "num_threads", "input_tiles", "output_tiles",
                                             "grad_output_tiles", "grad_input_tiles"}),
    "conv2d 5x5 stride 2": ("conv2d", _conv2d_5x5_strided, {"col2im", "col2im_2d"}),
    "conv_transpose2d": ("conv_transpose2d", _conv_transpose2d, {"col2im", "col2im_2d"}),
    "max_pool2d 2x2": ("max_pool2d", _max_pool2d_2x2, {"max_pool_forward_2x2", "max_pool_backward_2x2"}),
    "max_pool2d 3x3": ("max_pool2d", _max_pool2d_3x3, {"max_pool_forward", "max_pool_backward"}),
    "batch_norm": ("batch_norm", _batch_norm_training, {"channel_stats", "affine_output", "grad_sums", "grad_input"}),
    "lstm": ("lstm", _lstm, {"lstm_step", "lstm_preactivations", "lstm_cell", "lstm_cell_back"}),
}


# With default settings, the definitions -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(FAST_PATHS))
def test_by_default_no_kernel_runs(switch, kernels_raise, case):
    layer, call, _ = FAST_PATHS[case]
    assert not switch.enabled(layer)
    call()  # a kernel would raise


def test_a_fresh_import_has_the_kernels_off():
    env = {k: v for k, v in os.environ.items() if k not in ("SCRATCH_FAST", "SCRATCH_NO_NUMBA")}
    code = ("from scratch import fast; "
            "print(*(fast.enabled(l) for l in ('conv2d', 'conv_transpose2d', 'max_pool2d', 'batch_norm', 'lstm')))")
    out = subprocess.run([sys.executable, "-c", code], env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ["False"] * 5


# The switch does what scratch/fast.py says ------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(FAST_PATHS))
def test_each_fast_path_is_reached_when_on(switch, kernel_calls, case):
    layer, call, expected = FAST_PATHS[case]
    with switch.kernels(True, layer):
        call()
    assert set(kernel_calls) == expected, f"{case}: kernels called {kernel_calls}"


@pytest.mark.parametrize("case", list(FAST_PATHS))
def test_the_fast_path_gives_the_definitions_values(switch, case):
    _, call, _ = FAST_PATHS[case]
    with switch.kernels(False):
        want = call()
    with switch.kernels(True):
        got = call()
    for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def test_enable_turns_every_layer_on_and_off(switch):
    switch.enable()
    assert all(switch.enabled(layer) for layer in ("conv2d", "max_pool2d", "batch_norm", "any_layer"))
    switch.enable(False)
    assert not any(switch.enabled(layer) for layer in ("conv2d", "max_pool2d", "batch_norm", "any_layer"))


def test_set_overrides_one_layer_whatever_the_global_setting(switch, kernel_calls):
    switch.enable()
    switch.set("max_pool2d", False)
    assert not switch.enabled("max_pool2d") and switch.enabled("conv2d")
    _max_pool2d_2x2()
    _conv2d_5x5_strided()
    assert set(kernel_calls) == {"col2im", "col2im_2d"}  # conv2d's kernels, none of max_pool2d's
    switch.enable(False)
    switch.enable(True)  # enable keeps per-layer settings
    assert not switch.enabled("max_pool2d")
    switch.enable(False)
    switch.set("batch_norm", True)
    assert switch.enabled("batch_norm") and not switch.enabled("conv2d")
    switch.set("batch_norm", None)  # back to the global setting
    assert not switch.enabled("batch_norm")


def test_kernels_restores_the_settings_after_the_block(switch):
    switch.set("conv2d", False)
    with switch.kernels():
        assert switch.enabled("batch_norm") and not switch.enabled("conv2d")  # per-layer settings still rule
    assert not switch.enabled("batch_norm") and not switch.enabled("conv2d")
    with switch.kernels(True, layer="conv2d"):
        assert switch.enabled("conv2d") and not switch.enabled("batch_norm")
    assert not switch.enabled("conv2d")
    with pytest.raises(RuntimeError), switch.kernels(True, layer="max_pool2d"):
        switch.set("batch_norm", True)
        raise RuntimeError("inside the block")
    assert not switch.enabled("max_pool2d") and not switch.enabled("batch_norm")  # restored after an error too


def test_scratch_no_numba_forbids_every_kernel(switch, kernels_raise, monkeypatch):
    monkeypatch.setenv("SCRATCH_NO_NUMBA", "1")
    assert switch.forbidden()
    switch.enable()
    switch.set("conv2d", True)
    with switch.kernels(True, layer="max_pool2d"):
        for case, (layer, call, _) in FAST_PATHS.items():
            assert not switch.enabled(layer), case
            call()  # a kernel would raise
    monkeypatch.setenv("SCRATCH_NO_NUMBA", "0")
    assert not switch.forbidden() and switch.enabled("conv2d")


@pytest.mark.parametrize("env, expected", [
    ({"SCRATCH_FAST": "1"}, "True"),
    ({"SCRATCH_FAST": "0"}, "False"),
    ({"SCRATCH_FAST": "1", "SCRATCH_NO_NUMBA": "1"}, "False"),
])
def test_the_environment_sets_the_switch_at_import(env, expected):
    base = {k: v for k, v in os.environ.items() if k not in ("SCRATCH_FAST", "SCRATCH_NO_NUMBA")}
    code = "from scratch import fast; print(fast.enabled('conv2d'))"
    out = subprocess.run([sys.executable, "-c", code], env={**base, **env, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == expected, f"{env}: enabled('conv2d') is {out.strip()}"
