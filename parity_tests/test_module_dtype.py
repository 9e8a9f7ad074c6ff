"""Module.double(), .float() and .to(dtype) (issue 19): against torch's, and what happens to Parameters and optimizers.

torch's ``Module._apply`` casts floating parameters (keeping each Parameter, ``param.data = ...``), their ``.grad``,
and floating buffers, recursing into children; integer buffers stay as they are. A NumPy array cannot change dtype in
place, so here a parameter whose dtype changes is a new Parameter (see ``Module.to``): these tests pin down which
objects are kept, which are replaced, and that an optimizer built before the cast follows the replacements.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import scratch.models as models
import scratch.nn as nn
import scratch.optim as optim
import torch_impl.models as tmodels
from parity_tests.harness import check_module, check_state_dict_layout
from torch_impl.state import copy_weights


def lenet_pair(seed=0):
    """A float32 LeNet-5 on both sides holding the same weights."""
    np_model = models.LeNet5(rng=np.random.default_rng(seed))
    torch_model = tmodels.LeNet5()
    copy_weights(np_model, torch_model)
    return np_model, torch_model


def conv_bn_pair(seed=0):
    np_model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, rng=np.random.default_rng(seed)), nn.BatchNorm2d(3),
                             nn.ReLU())
    torch_model = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.BatchNorm2d(3), torch.nn.ReLU())
    copy_weights(np_model, torch_model)
    return np_model, torch_model


def test_float64_input_to_a_float32_model_is_an_error_until_double():
    np_model, _ = lenet_pair()
    x = np.random.default_rng(1).standard_normal((2, 1, 28, 28))
    with pytest.raises(TypeError, match="float64"):
        np_model(x)
    assert np_model.double() is np_model  # returns self, as torch
    y, _ = np_model(x)
    assert y.dtype == np.float64


def test_lenet_after_double_matches_torch_after_double_in_float64():
    np_model, torch_model = lenet_pair()
    np_model.double()
    torch_model.double()
    x = np.random.default_rng(2).standard_normal((3, 1, 28, 28))
    # float64 outputs and gradients to the float64 tolerance (1e-10): a model left in float32 anywhere fails here
    check_module("LeNet5.double()", np_model, torch_model, x, seed=3)
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in np_model.parameters())


def test_conv_bn_after_double_matches_torch_and_keeps_the_int_buffer():
    np_model, torch_model = conv_bn_pair()
    count = np_model[1].num_batches_tracked
    np_model.double()
    torch_model.double()
    assert np_model[1].num_batches_tracked is count and count.dtype == np.int64  # torch keeps it too
    x = np.random.default_rng(4).standard_normal((4, 2, 5, 5))
    check_module("Conv2d-BatchNorm2d.double()", np_model, torch_model, x, seed=5)  # running stats compared there
    assert np_model[1].running_mean.dtype == np.float64 and np_model[1].running_var.dtype == np.float64
    assert int(np_model[1].num_batches_tracked) == 1


@pytest.mark.parametrize("cast", ["double", "to-float64", "to-np", "to-torch-dtype", "to-keyword"])
def test_state_dict_dtypes_follow_torchs(cast):
    np_model, torch_model = conv_bn_pair()
    {"double": lambda m: m.double(), "to-float64": lambda m: m.to("float64"), "to-np": lambda m: m.to(np.float64),
     "to-torch-dtype": lambda m: m.to(torch.float64),
     "to-keyword": lambda m: m.to(device="cpu", dtype="double")}[cast](np_model)
    torch_model.double()
    check_state_dict_layout("Conv2d-BatchNorm2d.double()", np_model, torch_model)  # keys, shapes and dtypes
    # and back: .float() gives torch's float32 state dict again
    np_model.float()
    torch_model.float()
    check_state_dict_layout("Conv2d-BatchNorm2d.float()", np_model, torch_model)
    assert {v.dtype for v in np_model.state_dict().values()} == {np.dtype(np.float32), np.dtype(np.int64)}


def test_recurrent_and_attention_after_double_match_torch():
    rng = np.random.default_rng(6)
    lstm, tlstm = nn.LSTM(3, 4, num_layers=2, rng=rng), torch.nn.LSTM(3, 4, num_layers=2)
    lstm.double()
    tlstm.double()
    check_module("LSTM.double()", lstm, tlstm, rng.standard_normal((5, 2, 3)), seed=7)
    mha, tmha = nn.MultiheadAttention(4, 2, rng=rng), torch.nn.MultiheadAttention(4, 2)
    mha.double()
    tmha.double()
    q, k = rng.standard_normal((3, 2, 4)), rng.standard_normal((5, 2, 4))
    check_module("MultiheadAttention.double()", mha, tmha, q, k, k.copy(), seed=8, input_grads=[0, 1, 2])


def test_parameters_kept_when_the_dtype_is_already_right_replaced_otherwise():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    before = model.parameters()
    model.float()  # already float32: nothing to do, every Parameter is the same object (torch: same)
    assert all(a is b for a, b in zip(before, model.parameters()))
    values = [np.array(p, copy=True) for p in before]
    model.double()
    after = model.parameters()
    assert all(a is not b for a, b in zip(before, after))  # NumPy arrays cannot change dtype in place
    for old, new, v in zip(before, after, values):
        assert isinstance(new, nn.Parameter) and new.dtype == np.float64 and old.dtype == np.float32
        np.testing.assert_array_equal(new, v.astype(np.float64))
        assert old._cast_into is new  # what an optimizer built before the cast follows
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_a_shared_parameter_stays_shared():
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight  # tied weights
    model = nn.Sequential(a, b)
    model.double()
    assert a.weight is b.weight and a.weight.dtype == np.float64
    assert len(model.parameters()) == 3  # still listed once


def test_grad_is_cast_with_its_parameter():
    layer = nn.Linear(3, 2)
    _, backward = layer(np.ones((4, 3), np.float32))
    backward(np.arange(8, dtype=np.float32).reshape(4, 2))
    grad = layer.weight.grad.copy()
    layer.double()
    assert layer.weight.grad.dtype == np.float64 and layer.bias.grad.dtype == np.float64  # torch casts .grad too
    np.testing.assert_array_equal(layer.weight.grad, grad)
    _, backward = layer(np.ones((4, 3)))
    backward(np.ones((4, 2)))  # accumulates into the cast grad
    np.testing.assert_array_equal(layer.weight.grad, grad + 4)


@pytest.mark.parametrize("make_opt", [
    pytest.param(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), id="SGD-momentum"),
    pytest.param(lambda ps: optim.Adam(ps, lr=0.01), id="Adam"),
])
def test_an_optimizer_built_before_the_cast_steps_the_cast_parameters(make_opt):
    rng = np.random.default_rng(9)
    model = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.Tanh(), nn.Linear(4, 2, rng=rng))
    opt = make_opt(model.parameters())

    def train_step(m, o, x, dy):
        o.zero_grad()
        _, backward = m(x)
        backward(dy)
        o.step()

    x, dy = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    train_step(model, opt, x.astype(np.float32), dy.astype(np.float32))  # state (momentum, moments) in float32
    model.double()
    # The reference: the same model and state, with an optimizer built after the cast and loaded with the state
    # (load_state_dict casts floating state to the parameters' dtype, as torch's does).
    reference = copy.deepcopy(model)
    ref_opt = make_opt(reference.parameters())
    ref_opt.load_state_dict(opt.state_dict())
    before = [np.array(p, copy=True) for p in model.parameters()]
    train_step(model, opt, x, dy)
    train_step(reference, ref_opt, x, dy)
    assert all(p is q for p, q in zip(opt.param_groups[0]["params"], model.parameters()))
    for p, q, p0 in zip(model.parameters(), reference.parameters(), before):
        assert not np.array_equal(p, p0), "the optimizer did not update the module's (cast) parameter"
        np.testing.assert_array_equal(p, q)
        assert p.dtype == np.float64
    for state in opt.state.values():
        assert all(v.dtype == np.float64 for k, v in state.items() if k != "step")


def test_to_rejects_devices_and_non_float_dtypes_with_clear_errors():
    model = nn.Sequential(nn.Linear(2, 2))
    for device in ("cuda", "cuda:0", torch.device("cuda"), "mps"):
        with pytest.raises(ValueError, match=r"Sequential\.to .*only device is 'cpu', got .*(cuda|mps)"):
            model.to(device)
    with pytest.raises(TypeError, match=r"Sequential\.to only accepts float32 or float64.*int64"):
        model.to(np.int64)
    with pytest.raises(TypeError, match=r"float32 or float64.*float16"):
        model.to(torch.half)
    assert model[0].weight.dtype == np.float32  # nothing was cast by the refused calls
    assert model.to("cpu") is model and model[0].weight.dtype == np.float32
    assert model.to("cpu", "float64") is model and model[0].weight.dtype == np.float64
    assert model.to("float") is model and model[0].weight.dtype == np.float32  # torch's "float" is float32


def test_adding_a_cast_parameter_to_an_optimizer_built_before_the_cast_is_refused_as_a_duplicate():
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    opt = optim.SGD(a.parameters(), lr=0.1)
    a.double()
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a.weight]})  # already there, as its old self: torch refuses it too
    opt.add_param_group({"params": b.parameters()})
    held = [p for g in opt.param_groups for p in g["params"]]
    assert len(held) == 4 and all(x is y for x, y in zip(held, [a.weight, a.bias, b.weight, b.bias]))
