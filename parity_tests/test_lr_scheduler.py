"""Learning-rate schedulers: the lr sequence equals torch's over many steps; state_dicts load on either side.

Both sides step a real optimizer (SGD over two parameter groups with different learning rates) and then their
scheduler, as a training loop does; after every step each group's lr, ``get_last_lr()`` and ``last_epoch`` are
compared. WarmupCosineLR's twin is torch's LambdaLR with the same closed-form factor.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import scratch.optim as optim
import torch_impl.optim as toptim
from parity_tests.harness import _note, assert_close, record
from scratch.nn import Parameter
from scratch.optim import lr_scheduler
from torch_impl.optim import lr_scheduler as tlr_scheduler

base_lrs = st.tuples(st.floats(1e-4, 1.0), st.floats(1e-4, 1.0))


@st.composite
def scheduler_case(draw, name):
    """(scheduler keyword arguments, the two groups' base lrs, steps): hyperparameters drawn, steps past the end."""
    if name == "StepLR":
        kwargs = dict(step_size=draw(st.integers(1, 8)), gamma=draw(st.sampled_from([0.1, 0.5]) | st.floats(0.05, 1.0)))
        steps = draw(st.integers(10, 40))
    elif name == "CosineAnnealingLR":
        kwargs = dict(T_max=draw(st.integers(1, 15)), eta_min=draw(st.sampled_from([0.0]) | st.floats(0.0, 1e-4)))
        steps = draw(st.integers(kwargs["T_max"], 3 * kwargs["T_max"] + 5))  # past the minimum and back up
    else:
        warmup = draw(st.integers(0, 8))
        kwargs = dict(warmup_epochs=warmup, total_epochs=draw(st.integers(warmup + 1, warmup + 20)),
                      start_factor=draw(st.sampled_from([0.0, 0.01]) | st.floats(0.0, 1.0)),
                      min_factor=draw(st.sampled_from([0.0]) | st.floats(0.0, 0.5)))
        steps = draw(st.integers(kwargs["total_epochs"], kwargs["total_epochs"] + 10))
    return kwargs, draw(base_lrs), steps


def make_pair(name, kwargs, lrs):
    groups = [{"params": [Parameter(np.zeros(2))], "lr": lrs[0]}, {"params": [Parameter(np.zeros(1))], "lr": lrs[1]}]
    tgroups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lrs[0]},
               {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lrs[1]}]
    opt, t_opt = optim.SGD(groups, lr=0.1), toptim.SGD(tgroups, lr=0.1)
    return (opt, getattr(lr_scheduler, name)(opt, **kwargs), t_opt, getattr(tlr_scheduler, name)(t_opt, **kwargs))


def compare(name, sched, t_sched, what):
    assert sched.last_epoch == t_sched.last_epoch, f"{name} {what}: last_epoch {sched.last_epoch}, torch " \
                                                   f"{t_sched.last_epoch}"
    lrs = np.array([g["lr"] for g in sched.optimizer.param_groups])
    t_lrs = np.array([g["lr"] for g in t_sched.optimizer.param_groups])
    assert np.array_equal(np.array(sched.get_last_lr()), lrs), f"{name}: get_last_lr() is not the groups' lr"
    return assert_close(lrs, t_lrs, f"{name} {what}: lr of each group", dtype=np.float64)


def run_both(name, opt, sched, t_opt, t_sched, steps, what=""):
    rec = record(name)
    err = compare(name, sched, t_sched, f"{what}at construction")
    for t in range(steps):
        opt.step()
        t_opt.step()
        sched.step()
        t_sched.step()
        err = max(err, compare(name, sched, t_sched, f"{what}after step {t + 1}"))
    _note(rec.forward_error, "float64", err)


def check_schedule(name, kwargs, lrs, steps):
    rec = record(name)
    rec.examples += 1
    try:
        run_both(name, *make_pair(name, kwargs, lrs), steps)
    except BaseException:
        rec.failures += 1
        raise


@given(case=scheduler_case("StepLR"))
def test_steplr_matches_torch(case):
    check_schedule("StepLR", *case)


@given(case=scheduler_case("CosineAnnealingLR"))
@example(case=(dict(T_max=1, eta_min=0.0), (0.1, 1.0), 8))  # T_max = 1: the minimum at every odd step
def test_cosine_annealing_lr_matches_torch(case):
    check_schedule("CosineAnnealingLR", *case)


@given(case=scheduler_case("WarmupCosineLR"))
@example(case=(dict(warmup_epochs=0, total_epochs=5, start_factor=0.01, min_factor=0.0), (0.1, 1.0), 8))  # no warmup
def test_warmup_cosine_lr_matches_torch_lambdalr(case):
    check_schedule("WarmupCosineLR", *case)


def test_warmup_cosine_formula():
    # Independent of torch: the documented values at the phase boundaries.
    opt = optim.SGD([Parameter(np.zeros(1))], lr=2.0)
    sched = lr_scheduler.WarmupCosineLR(opt, warmup_epochs=4, total_epochs=12, start_factor=0.25, min_factor=0.1)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(14):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    np.testing.assert_allclose(lrs[:5], [0.5, 0.875, 1.25, 1.625, 2.0], rtol=1e-15)  # linear from s*base to base
    np.testing.assert_allclose(lrs[8], 2.0 * (0.1 + 0.9 * 0.5), rtol=1e-15)  # half way down the cosine
    np.testing.assert_allclose(lrs[12:], [0.2, 0.2, 0.2], rtol=1e-15)  # held at m * base after total_epochs


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "WarmupCosineLR"])
@given(data=st.data())
def test_scheduler_state_dict_loads_on_either_side(name, data):
    """Run k steps on one side, load its state into a fresh scheduler on the other side, and continue both."""
    kwargs, lrs, steps = data.draw(scheduler_case(name))
    k = data.draw(st.integers(1, steps))
    opt, sched, t_opt, t_sched = make_pair(name, kwargs, lrs)
    for _ in range(k):
        opt.step()
        sched.step()
    sd = sched.state_dict()
    assert set(sd) - {"_get_lr_called_within_step"} <= set(t_sched.state_dict()), (
        f"{name}: state_dict keys {sorted(sd)} are not torch's {sorted(t_sched.state_dict())}")
    # torch's optimizer takes the NumPy optimizer's state (lr, initial_lr) first, then the scheduler's state.
    t_opt.load_state_dict(toptim.optimizer_state_to_torch(opt.state_dict()))
    t_sched.load_state_dict(dict(sd))
    run_both(name, opt, sched, t_opt, t_sched, steps - k + 3, what=f"after loading the NumPy state at step {k}, ")

    opt2, sched2, t_opt2, t_sched2 = make_pair(name, kwargs, lrs)
    for _ in range(k):
        t_opt2.step()
        t_sched2.step()
    opt2.load_state_dict(toptim.optimizer_state_to_numpy(t_opt2.state_dict()))
    sched2.load_state_dict(t_sched2.state_dict())
    run_both(name, opt2, sched2, t_opt2, t_sched2, steps - k + 3, what=f"after loading torch's state at step {k}, ")


def test_scheduler_bad_input():
    opt = optim.SGD([Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(TypeError, match="StepLR: SGD is not an Optimizer"):
        lr_scheduler.StepLR(toptim.SGD([torch.nn.Parameter(torch.zeros(1))]), step_size=2)
    with pytest.raises(ValueError, match="StepLR expected step_size to be a positive int, got 0"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="CosineAnnealingLR expected T_max > 0, got 0"):
        lr_scheduler.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="WarmupCosineLR expected 0 <= warmup_epochs < total_epochs, got "
                                         "warmup_epochs=5, total_epochs=5"):
        lr_scheduler.WarmupCosineLR(opt, warmup_epochs=5, total_epochs=5)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)
