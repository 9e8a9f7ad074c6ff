"""Optimizers and clip_grad_norm_: parameter trajectories equal torch.optim's, state_dicts interchangeable, bad input.

Each trajectory test runs a NumPy optimizer and its torch twin side by side for 20-40 steps on the same starting
parameters, in two parameter groups (the second overriding some hyperparameters, as "no decay on norms and biases"
does), with gradients drawn fresh each step from a seeded generator (the same on both sides) and some parameters'
gradients None at some steps (skipped, and their state not advanced). After every step each parameter is compared
with torch's, and at the end the whole state_dict: the same indices, buffer names and values.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import scratch.optim as optim
import torch_impl.optim as toptim
from parity_tests.harness import _note, assert_close, record, torch_dtype
from scratch.nn import Parameter
from scratch.nn.utils import clip_grad_norm_
from torch_impl.nn.utils import clip_grad_norm_ as torch_clip_grad_norm_
from torch_impl.optim import optimizer_state_to_numpy, optimizer_state_to_torch

DTYPES = [np.float64, np.float32]
NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Lion"]
NONE_GRAD_PROBABILITY = 0.15  # per parameter and step: a parameter unused in that step's forward pass

lrs = st.floats(1e-4, 0.3)
weight_decays = st.sampled_from([0.0, 1e-2, 0.1]) | st.floats(0.0, 0.5)
epsilons = st.sampled_from([1e-8, 1e-6, 1e-3])


@st.composite
def sgd_hyperparameters(draw):
    momentum = draw(st.sampled_from([0.0, 0.9]) | st.floats(0.0, 0.99))
    nesterov = momentum > 0 and draw(st.booleans())
    dampening = 0.0 if nesterov else draw(st.sampled_from([0.0, 0.5]) | st.floats(0.0, 1.0))
    return dict(lr=draw(lrs), momentum=momentum, dampening=dampening, weight_decay=draw(weight_decays),
                nesterov=nesterov, maximize=draw(st.booleans()))


@st.composite
def adam_hyperparameters(draw):
    betas = (draw(st.sampled_from([0.0, 0.9]) | st.floats(0.0, 0.99)),
             draw(st.sampled_from([0.999]) | st.floats(0.5, 0.9999)))
    return dict(lr=draw(lrs), betas=betas, eps=draw(epsilons), weight_decay=draw(weight_decays),
                amsgrad=draw(st.booleans()), maximize=draw(st.booleans()))


@st.composite
def rmsprop_hyperparameters(draw):
    # alpha >= 0.5: for alpha near 0 the centred variance s - a^2 is the difference of two nearly equal numbers
    # (exactly 0 at alpha = 0), and its rounding can make it negative: NaN in torch, an error here.
    return dict(lr=draw(st.floats(1e-4, 0.1)), alpha=draw(st.sampled_from([0.99]) | st.floats(0.5, 0.999)),
                eps=draw(epsilons), weight_decay=draw(weight_decays),
                momentum=draw(st.sampled_from([0.0, 0.9]) | st.floats(0.0, 0.95)), centered=draw(st.booleans()),
                maximize=draw(st.booleans()))


@st.composite
def lion_hyperparameters(draw):
    betas = (draw(st.sampled_from([0.9]) | st.floats(0.0, 0.99)), draw(st.sampled_from([0.99]) | st.floats(0.0, 0.999)))
    return dict(lr=draw(lrs), betas=betas, weight_decay=draw(weight_decays), maximize=draw(st.booleans()))


HYPERPARAMETERS = {"SGD": sgd_hyperparameters(), "Adam": adam_hyperparameters(), "AdamW": adam_hyperparameters(),
                   "RMSprop": rmsprop_hyperparameters(), "Lion": lion_hyperparameters()}
# Hyperparameters a group may override only together (a group with nesterov needs its own momentum and dampening).
TIED = {"momentum": ("momentum", "dampening", "nesterov"), "dampening": ("momentum", "dampening", "nesterov"),
        "nesterov": ("momentum", "dampening", "nesterov")}


@st.composite
def optimizer_case(draw, name):
    """(defaults, overrides of group 1, parameter shapes of groups 0 and 1, steps)."""
    defaults = draw(HYPERPARAMETERS[name])
    other = draw(HYPERPARAMETERS[name])
    chosen = draw(st.sets(st.sampled_from(sorted(other)), max_size=3))
    overrides = {k: other[k] for key in chosen for k in TIED.get(key, (key,)) if k in other}
    shape = st.lists(st.integers(1, 6), min_size=1, max_size=2).map(tuple)
    shapes = (draw(st.lists(shape, min_size=1, max_size=3)), draw(st.lists(shape, min_size=1, max_size=2)))
    return defaults, overrides, shapes, draw(st.integers(20, 40))


def make_pair(name, defaults, overrides, shapes, dtype, seed):
    """The same parameters on both sides (NumPy Parameters, torch leaf tensors) and both optimizers over them."""
    rng = np.random.default_rng(seed)
    values = [[rng.standard_normal(s).astype(dtype) for s in group] for group in shapes]
    params = [[Parameter(v) for v in group] for group in values]
    tparams = [[torch.nn.Parameter(torch.from_numpy(v.copy())) for v in group] for group in values]
    np_opt = getattr(optim, name)([{"params": params[0]}, {"params": params[1], **overrides}], **defaults)
    t_opt = getattr(toptim, name)([{"params": tparams[0]}, {"params": tparams[1], **overrides}], **defaults)
    return np_opt, sum(params, []), t_opt, sum(tparams, [])


def step_both(np_opt, params, t_opt, tparams, rng, dtype, none_probability=NONE_GRAD_PROBABILITY):
    """Draw each parameter's gradient (or None), the same on both sides, and step both optimizers."""
    for p, tp in zip(params, tparams):
        if rng.random() < none_probability:
            p.grad, tp.grad = None, None
        else:
            g = rng.standard_normal(p.shape).astype(dtype)
            p.grad, tp.grad = g, torch.from_numpy(g.copy())
    saved = [None if p.grad is None else p.grad.copy() for p in params]
    np_opt.step()
    t_opt.step()
    for k, (p, g0) in enumerate(zip(params, saved)):
        assert g0 is None or np.array_equal(p.grad, g0), f"step modified parameter {k}'s .grad"


def compare_params(name, params, tparams, what):
    err = 0.0
    for k, (p, tp) in enumerate(zip(params, tparams)):
        assert isinstance(p, Parameter), f"{name}: parameter {k} is no longer a Parameter"
        assert p.dtype == tp.detach().numpy().dtype, f"{name}: parameter {k} became {p.dtype}"
        err = max(err, assert_close(p, tp.detach().numpy(), f"{name} {what}, parameter {k}"))
    return err


def compare_state(name, sd, sd_t):
    """Our state_dict in torch's layout: the same indices, buffer names, values; group hyperparameters equal."""
    assert sorted(sd["state"]) == sorted(sd_t["state"]), (
        f"{name}: state for parameters {sorted(sd['state'])}, torch has {sorted(sd_t['state'])}")
    for i, bufs in sd_t["state"].items():
        assert sorted(sd["state"][i]) == sorted(bufs), f"{name}: parameter {i} buffers {sorted(sd['state'][i])}, " \
                                                       f"torch has {sorted(bufs)}"
        for key, t in bufs.items():
            ours = sd["state"][i][key]
            assert isinstance(ours, np.ndarray) and ours.dtype == t.numpy().dtype, (
                f"{name}: state[{i}][{key!r}] is {type(ours).__name__} {getattr(ours, 'dtype', '')}, torch "
                f"{t.dtype}")
            assert_close(ours, t.numpy(), f"{name} state[{i}][{key!r}]")
    assert len(sd["param_groups"]) == len(sd_t["param_groups"])
    for g, g_t in zip(sd["param_groups"], sd_t["param_groups"]):
        assert g["params"] == g_t["params"], f"{name}: group params {g['params']}, torch has {g_t['params']}"
        for key in g:
            assert key in g_t and g[key] == g_t[key], f"{name}: group {key}={g[key]!r}, torch has {g_t.get(key)!r}"


def check_trajectory(name, np_opt, params, t_opt, tparams, steps, seed, dtype):
    """Step both sides ``steps`` times, comparing every parameter after every step, then the state_dicts."""
    rec = record(name)
    rec.examples += 1
    try:
        rng = np.random.default_rng(seed)
        for t in range(steps):
            step_both(np_opt, params, t_opt, tparams, rng, dtype)
            _note(rec.forward_error, np.dtype(dtype).name, compare_params(name, params, tparams, f"step {t + 1}"))
        compare_state(name, np_opt.state_dict(), t_opt.state_dict())
    except BaseException:
        rec.failures += 1
        raise


# Trajectories ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@given(case=optimizer_case("SGD"), seed=st.integers(0, 2**32 - 1))
@example(case=(dict(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=True, maximize=False), {},
               ([(3,)], [(2,)]), 20), seed=0)  # Nesterov, pinned
def test_sgd_matches_torch(dtype, case, seed):
    defaults, overrides, shapes, steps = case
    check_trajectory("SGD", *make_pair("SGD", defaults, overrides, shapes, dtype, seed), steps, seed + 1, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=optimizer_case("Adam"), seed=st.integers(0, 2**32 - 1))
def test_adam_matches_torch(dtype, case, seed):
    defaults, overrides, shapes, steps = case
    check_trajectory("Adam", *make_pair("Adam", defaults, overrides, shapes, dtype, seed), steps, seed + 1, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=optimizer_case("AdamW"), seed=st.integers(0, 2**32 - 1))
@example(case=(dict(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1, amsgrad=False, maximize=False),
               {"weight_decay": 0.0}, ([(4, 3)], [(3,)]), 20), seed=0)  # no decay on the "bias" group
def test_adamw_matches_torch(dtype, case, seed):
    defaults, overrides, shapes, steps = case
    check_trajectory("AdamW", *make_pair("AdamW", defaults, overrides, shapes, dtype, seed), steps, seed + 1, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=optimizer_case("RMSprop"), seed=st.integers(0, 2**32 - 1))
@example(case=(dict(lr=0.01, alpha=0.9, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=True, maximize=False),
               {}, ([(5,)], [(2,)]), 20), seed=0)  # centred, pinned
def test_rmsprop_matches_torch(dtype, case, seed):
    defaults, overrides, shapes, steps = case
    check_trajectory("RMSprop", *make_pair("RMSprop", defaults, overrides, shapes, dtype, seed), steps, seed + 1,
                     dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=optimizer_case("Lion"), seed=st.integers(0, 2**32 - 1))
def test_lion_matches_torch_twin(dtype, case, seed):
    defaults, overrides, shapes, steps = case
    check_trajectory("Lion", *make_pair("Lion", defaults, overrides, shapes, dtype, seed), steps, seed + 1, dtype)


def test_adam_first_step_is_lr_in_size():
    # Independent of torch: with bias correction, step 1 moves each coordinate by lr * g / (|g| + eps') = ~lr.
    w = Parameter(np.zeros(3))
    opt = optim.Adam([w], lr=0.1, betas=(0.9, 0.999), eps=1e-12)
    w.grad = np.array([100.0, -0.01, 3.0])
    opt.step()
    np.testing.assert_allclose(w, [-0.1, 0.1, -0.1], rtol=1e-9)


def test_lion_twin_matches_the_paper_by_hand():
    # Independent of both implementations' shared reading: one step of Lion written out for numbers.
    w, tw = Parameter(np.array([1.0, 1.0])), torch.nn.Parameter(torch.tensor([1.0, 1.0], dtype=torch.float64))
    opts = [optim.Lion([w], lr=0.1, betas=(0.5, 0.9), weight_decay=0.5),
            toptim.Lion([tw], lr=0.1, betas=(0.5, 0.9), weight_decay=0.5)]
    for g in ([1.0, -1.0], [-3.0, 0.5]):
        w.grad, tw.grad = np.array(g), torch.tensor(g, dtype=torch.float64)
        for o in opts:
            o.step()
    # step 1: m=0, c=0.5 g -> sign (1,-1); p = 0.95 - 0.1*(1,-1) = (0.85, 1.05); m = 0.1 g = (0.1, -0.1)
    # step 2: c = 0.5 m + 0.5 g = (-1.45, 0.2) -> (-1, 1); p = 0.95 p - 0.1*(-1, 1) = (0.9075, 0.8975)
    np.testing.assert_allclose(w, [0.9075, 0.8975], rtol=1e-12)
    np.testing.assert_allclose(tw.detach().numpy(), [0.9075, 0.8975], rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_training_loop_updates_module_parameters_in_place(dtype):
    # A real loop: Linear + MSELoss, backward, SGD with momentum; the module's own arrays move, and match torch.
    import scratch.nn as nn
    import torch_impl.nn as tnn
    from torch_impl.state import copy_weights

    rng = np.random.default_rng(0)
    model, twin = nn.Linear(4, 3, dtype=dtype, rng=rng), tnn.Linear(4, 3).to(torch_dtype(dtype))
    copy_weights(model, twin)
    weight = model.weight
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    t_opt = toptim.SGD(twin.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    x, target = rng.standard_normal((8, 4)).astype(dtype), rng.standard_normal((8, 3)).astype(dtype)
    for _ in range(10):
        opt.zero_grad()
        y, backward = model(x)
        _, loss_backward = nn.MSELoss()(y, target)
        backward(loss_backward(np.ones((), dtype=dtype)))
        opt.step()
        t_opt.zero_grad()
        torch.nn.functional.mse_loss(twin(torch.from_numpy(x)), torch.from_numpy(target)).backward()
        t_opt.step()
    assert model.weight is weight and isinstance(model.weight, Parameter)
    assert_close(model.weight, twin.weight.detach().numpy(), "SGD training loop weight")
    assert_close(model.bias, twin.bias.detach().numpy(), "SGD training loop bias")


# state_dict -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_state_dict_converts_to_torch_and_continues(name, data, seed):
    """NumPy runs k steps; torch loads the converted state (and parameters) and both continue identically.

    Then the reverse: torch's state, converted to arrays, loaded into a fresh NumPy optimizer.
    """
    defaults, overrides, shapes, _ = data.draw(optimizer_case(name))
    rng = np.random.default_rng(seed)
    np_opt, params, t_opt, tparams = make_pair(name, defaults, overrides, shapes, np.float64, seed)
    for _ in range(5):
        step_both(np_opt, params, t_opt, tparams, rng, np.float64)
    # A fresh torch optimizer with different defaults: everything it needs must come from the loaded state.
    fresh_t = [[torch.nn.Parameter(torch.from_numpy(np.array(p, copy=True))) for p in group]
               for group in (params[:len(shapes[0])], params[len(shapes[0]):])]
    t_loaded = getattr(toptim, name)([{"params": fresh_t[0]}, {"params": fresh_t[1]}])
    t_loaded.load_state_dict(optimizer_state_to_torch(np_opt.state_dict()))
    compare_state(name, np_opt.state_dict(), t_loaded.state_dict())
    fresh_t = sum(fresh_t, [])
    for t in range(5):
        draw_rng = np.random.default_rng(seed + t)
        step_both(np_opt, params, t_loaded, fresh_t, draw_rng, np.float64)
        compare_params(name, params, fresh_t, f"step {t + 1} after loading the NumPy state into torch")

    fresh = [Parameter(tp.detach().numpy()) for tp in tparams]
    n0 = len(shapes[0])
    np_loaded = getattr(optim, name)([{"params": fresh[:n0]}, {"params": fresh[n0:]}])
    np_loaded.load_state_dict(optimizer_state_to_numpy(t_opt.state_dict()))
    for t in range(5):
        step_both(np_loaded, fresh, t_opt, tparams, np.random.default_rng(seed + t), np.float64)
        compare_params(name, fresh, tparams, f"step {t + 1} after loading torch's state into NumPy")


def test_state_dict_layout_is_torchs():
    w, b = Parameter(np.ones((2, 3))), Parameter(np.zeros(2))
    opt = optim.Adam([{"params": [w]}, {"params": [b], "weight_decay": 0.0}], lr=0.1, weight_decay=0.5, amsgrad=True)
    w.grad = np.ones((2, 3))
    opt.step()
    sd = opt.state_dict()
    assert list(sd) == ["state", "param_groups"]
    assert list(sd["state"]) == [0]  # b had no gradient yet: no state, as in torch
    assert sorted(sd["state"][0]) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    step = sd["state"][0]["step"]
    assert step.dtype == np.float32 and step.shape == () and step == 1
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert [g["weight_decay"] for g in sd["param_groups"]] == [0.5, 0.0]
    assert sd["param_groups"][1]["lr"] == 0.1  # filled in from the defaults
    sd["state"][0]["exp_avg"][...] = 7  # a copy: the optimizer's own buffers are untouched
    assert not np.any(opt.state_dict()["state"][0]["exp_avg"] == 7)


def test_zero_grad():
    w = Parameter(np.ones(3))
    opt = optim.SGD([w], lr=0.1)
    w.grad = np.ones(3)
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and not np.any(w.grad)
    opt.zero_grad()
    assert w.grad is None
    opt.step()  # no gradient: nothing moves
    assert np.array_equal(w, np.ones(3))


# clip_grad_norm_ ------------------------------------------------------------------------------------------------
@st.composite
def clip_case(draw, dtype):
    """(gradients (some None), max_norm, norm_type): up to 4 parameters, norms around max_norm either side."""
    shapes = draw(st.lists(st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple), min_size=1, max_size=4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([1e-3, 1.0, 10.0]))
    grads = [None if draw(st.booleans()) and i > 0 else (scale * rng.standard_normal(s)).astype(dtype)
             for i, s in enumerate(shapes)]
    return shapes, grads, draw(st.floats(0.1, 10.0)), draw(st.sampled_from([2.0, 1.0, math.inf, 3.0, 0.5, "inf"]))


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=clip_case(np.float64))
@example(case=([(3,)], [np.array([3.0, 4.0, 0.0])], 1.0, 2.0))
def test_clip_grad_norm_matches_torch(dtype, case):
    shapes, grads, max_norm, norm_type = case
    grads = [None if g is None else g.astype(dtype) for g in grads]
    params, tparams = [], []
    for s, g in zip(shapes, grads):
        p, tp = Parameter(np.zeros(s, dtype=dtype)), torch.nn.Parameter(torch.zeros(s, dtype=torch_dtype(dtype)))
        p.grad, tp.grad = (None, None) if g is None else (g.copy(), torch.from_numpy(g.copy()))
        params.append(p)
        tparams.append(tp)
    rec = record("clip_grad_norm_")
    rec.examples += 1
    try:
        total = clip_grad_norm_(params, max_norm, norm_type)
        total_t = torch_clip_grad_norm_(tparams, max_norm, norm_type).numpy()
        assert isinstance(total, np.ndarray) and total.shape == () and total.dtype == total_t.dtype
        _note(rec.forward_error, np.dtype(dtype).name, assert_close(total, total_t, "clip_grad_norm_ total norm"))
        for k, (p, tp) in enumerate(zip(params, tparams)):
            if tp.grad is None:
                assert p.grad is None
                continue
            _note(rec.gradient_error, np.dtype(dtype).name,
                  assert_close(p.grad, tp.grad.numpy(), f"clip_grad_norm_ clipped grad {k}"))
    except BaseException:
        rec.failures += 1
        raise


def test_clip_grad_norm_nonfinite():
    for bad in (np.inf, np.nan):
        p, tp = Parameter(np.zeros(2)), torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
        p.grad, tp.grad = np.array([1.0, bad]), torch.tensor([1.0, bad], dtype=torch.float64)
        for fn, param in ((clip_grad_norm_, p), (torch_clip_grad_norm_, tp)):
            with pytest.raises(RuntimeError,
                               match="total norm of order 2.0 for gradients from `parameters` is non-finite"):
                fn([param], 1.0, error_if_nonfinite=True)
        # Without the error both scale by a non-finite factor and return the same norm.
        total, total_t = clip_grad_norm_([p], 1.0), torch_clip_grad_norm_([tp], 1.0)
        assert_close(total, total_t.numpy(), "clip_grad_norm_ non-finite total")
        assert_close(p.grad, tp.grad.numpy(), "clip_grad_norm_ non-finite grads")


def test_clip_grad_norm_edges():
    w = Parameter(np.ones(2))  # no gradient at all: torch returns tensor(0.)
    assert clip_grad_norm_([w], 1.0) == 0 and torch_clip_grad_norm_([torch.nn.Parameter(torch.ones(2))], 1.0) == 0
    w.grad = np.array([0.3, 0.4])
    assert_close(clip_grad_norm_(w, 1.0), np.array(0.5), "clip_grad_norm_ single parameter")  # one array, no list
    np.testing.assert_array_equal(w.grad, [0.3, 0.4])  # below max_norm: scaled by exactly 1
    with pytest.raises(ValueError, match="clip_grad_norm_ supports norm_type > 0 or inf, got -1.0"):
        clip_grad_norm_([w], 1.0, norm_type=-1)


# Bad input: the same message on both sides -----------------------------------------------------------------------
def both(name, params_np, params_t, **kwargs):
    return (lambda: getattr(optim, name)(params_np, **kwargs)), (lambda: getattr(toptim, name)(params_t, **kwargs))


@pytest.mark.parametrize("name, kwargs, message", [
    ("SGD", dict(lr=-0.1), r"Invalid learning rate: -0.1"),
    ("SGD", dict(lr=0.1, momentum=-0.5), r"Invalid momentum value: -0.5"),
    ("SGD", dict(lr=0.1, weight_decay=-1.0), r"Invalid weight_decay value: -1.0"),
    ("SGD", dict(lr=0.1, nesterov=True), r"Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", dict(lr=0.1, nesterov=True, momentum=0.9, dampening=0.1),
     r"Nesterov momentum requires a momentum and zero dampening"),
    ("Adam", dict(lr=-1.0), r"Invalid learning rate: -1.0"),
    ("Adam", dict(betas=(1.0, 0.999)), r"Invalid beta parameter at index 0: 1.0"),
    ("AdamW", dict(betas=(0.9, -0.1)), r"Invalid beta parameter at index 1: -0.1"),
    ("AdamW", dict(eps=-1e-8), r"Invalid epsilon value: -1e-08"),
    ("RMSprop", dict(alpha=-0.5), r"Invalid alpha value: -0.5"),
    ("RMSprop", dict(momentum=-0.5), r"Invalid momentum value: -0.5"),
    ("Lion", dict(betas=(0.9, 1.5)), r"Invalid beta parameter at index 1: 1.5"),
    ("Lion", dict(lr=-1e-4), r"Invalid learning rate: -0.0001"),
])
def test_bad_hyperparameters(name, kwargs, message):
    np_fn, t_fn = both(name, [Parameter(np.zeros(2))], [torch.nn.Parameter(torch.zeros(2))], **kwargs)
    with pytest.raises(ValueError, match=message):
        t_fn()  # torch says the same
    with pytest.raises(ValueError, match=f"{name}: {message}"):
        np_fn()


def test_bad_parameter_lists():
    w, tw = Parameter(np.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        torch.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="SGD got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Adam got an empty parameter list"):
        optim.Adam(iter([]))
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        torch.optim.SGD([{"params": [tw]}, {"params": [tw]}], lr=0.1)
    with pytest.raises(ValueError, match="SGD: some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w], "lr": 1.0}], lr=0.1)
    with pytest.raises(ValueError, match="SGD: a parameter group lists the same parameter twice"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Parameters or dicts, but got Parameter"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="SGD can only optimize scratch.nn.Parameter arrays .* one of the params is "
                                        "ndarray"):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match=r"SGD: Invalid learning rate: -1 "):  # checked per group too
        optim.SGD([{"params": [w], "lr": -1}], lr=0.1)
    opt = optim.SGD([w], lr=0.1)
    w.grad = np.zeros(3)
    with pytest.raises(ValueError, match=r"SGD: a parameter of shape \(2,\) has a grad of shape \(3,\)"):
        opt.step()
    with pytest.raises(ValueError, match="SGD: loaded state dict has 2 parameter groups, the optimizer has 1"):
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0]}, {"params": [1]}]})
