"""The Module base and Parameter: registration, traversal, state, modes, gradients."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import scratch.nn as nn
from scratch.nn.module import Module, Parameter, accumulate_grad


class Block(Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.scale = Parameter(np.ones(4, np.float32))
        self.register_buffer("steps", np.zeros((), np.int64))
        self.out = nn.Sequential(nn.ReLU(), nn.Linear(4, 2, bias=False))


def test_state_dict_order_is_torchs():
    # torch: each module's parameters, then its buffers, then its children depth first.
    assert list(Block().state_dict()) == ["scale", "steps", "fc.weight", "fc.bias", "out.1.weight"]


def test_parameters_modules_and_modes():
    b = Block()
    assert [n for n, _ in b.named_parameters()] == ["scale", "fc.weight", "fc.bias", "out.1.weight"]
    assert [n for n, _ in b.named_buffers()] == ["steps"]
    assert len(b.modules()) == 5 and b.training
    b.eval()
    assert not any(m.training for m in b.modules())
    b.train()
    assert all(m.training for m in b.modules())


def test_setting_a_parameter_to_none_removes_it():
    layer = nn.Linear(2, 2)
    layer.bias = None
    assert list(layer.state_dict()) == ["weight"]
    with pytest.raises(TypeError, match="is a parameter"):
        layer.weight = np.zeros((2, 2))


def test_load_state_dict_copies_in_place():
    b = Block()
    weight = b.fc.weight
    state = {k: np.full_like(v, 7) for k, v in b.state_dict().items()}
    b.load_state_dict(state)
    assert b.fc.weight is weight and np.all(weight == 7) and b.steps == 7


def test_parameter_is_an_array_with_a_grad():
    p = Parameter(np.arange(3.0))
    assert p.grad is None and type(p * 2) is np.ndarray and type(p.sum()) is np.float64
    accumulate_grad(p, np.ones(3))
    accumulate_grad(p, np.ones(3))
    np.testing.assert_array_equal(p.grad, [2, 2, 2])
    for clone in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert isinstance(clone, Parameter) and np.array_equal(clone.grad, p.grad) and clone.grad is not p.grad


def test_zero_grad_sets_none():
    layer = nn.Linear(2, 3)
    _, backward = layer(np.ones((1, 2), np.float32))
    backward(np.ones((1, 3), np.float32))
    assert layer.weight.grad is not None
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None


def test_forgetting_super_init_is_a_clear_error():
    class Broken(Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="must call super"):
        Broken()


def test_hooks_need_a_callable_and_a_forward_returning_output_and_backward():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="a hook must be callable, got int"):
        layer.register_forward_hook(3)

    class NoPair(Module):
        def forward(self, x):
            return x

    m = NoPair()
    assert m(np.ones(2)) is not None  # without hooks, __call__ is forward itself
    m.register_forward_hook(lambda *a: None)
    with pytest.raises(TypeError, match=r"NoPair\.forward must return \(output, backward\) for its hooks to run, "
                                        r"got ndarray"):
        m(np.ones(2))


def test_a_forward_hook_with_kwargs_gets_the_calls_keywords():
    model = nn.Sequential(nn.Linear(2, 2))
    seen = []
    model[0].register_forward_hook(lambda m, args, kwargs, out: seen.append((len(args), kwargs)), with_kwargs=True)
    model[0](np.ones((1, 2), np.float32))
    assert seen == [(1, {})]
    mha = nn.MultiheadAttention(4, 2)
    mha.register_forward_hook(lambda m, args, kwargs, out: seen.append((len(args), kwargs)), with_kwargs=True)
    x = np.ones((3, 1, 4), np.float32)
    mha(x, x, value=x, need_weights=False)
    assert seen[-1] == (2, {"value": x, "need_weights": False})


def test_modules_with_hooks_copy_and_pickle_as_before():
    layer = nn.Linear(2, 3)
    clone = pickle.loads(pickle.dumps(layer))  # no hooks: as before, and the clone takes hooks of its own
    calls = []
    clone.register_forward_hook(lambda m, a, o: calls.append(m))
    clone(np.ones((1, 2), np.float32))
    layer(np.ones((1, 2), np.float32))
    assert calls == [clone]
    twin = copy.deepcopy(clone)  # hooks are copied with the module, as torch's deepcopy copies its hook dicts
    twin(np.ones((1, 2), np.float32))
    assert calls == [clone, twin]
