"""Forward and full backward hooks (issue 21): what the hooks see, and when, against torch's hooks on the twin.

torch's semantics, read in ``torch.nn.Module._call_impl`` and ``torch.utils.hooks.BackwardHook`` (torch 2.13) and
checked here against torch itself:

- ``hook(module, args, output)`` runs after ``forward``; ``args`` holds the positional arguments only; a returned
  value replaces the output (for later hooks and for the caller).
- ``hook(module, grad_input, grad_output)`` runs when the gradient of the module's inputs is known. ``grad_input``
  has one entry per positional argument, None for non-tensors (LSTM's ``hx`` tuple) and for inputs without a
  gradient; the parameters' gradients are not in it (Linear: ``(dx,)``). ``grad_output`` has one entry per top-level
  output element, None for a non-tensor (LSTM's ``(h_n, c_n)``) or an output given no gradient. A returned tuple of
  the same length replaces ``grad_input``.
- Across a model, forward hooks fire children first (a parent's forward ends last); backward hooks fire from the
  last child to the first, then the parent; of two branches (a residual block), the one made last in forward goes
  first. When no input of a module gets a gradient (token ids, data), its hook fires when the output's gradient is
  known, before its children's, with ``grad_input`` all None. ``handle.remove()`` unregisters.

Every comparison draws a random upstream gradient (never all ones) and holds the NumPy side's hook arguments to
torch's at the float64 tolerance.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import scratch.models as models
import scratch.nn as nn
import torch_impl.models as tmodels
from parity_tests.harness import assert_close, check_module
from scratch.gradcheck import _flatten, random_like_output
from torch_impl.state import copy_weights


# Recording ------------------------------------------------------------------------------------------------------------
def _np_entries(values):
    """A hook argument as a list: arrays copied, anything else (None, a nested tuple) as None."""
    return [np.array(v, copy=True) if isinstance(v, np.ndarray) else None for v in values]


def _torch_entries(values):
    return [v.detach().clone().numpy() if isinstance(v, torch.Tensor) else None for v in values]


def _outputs(y):
    return y if isinstance(y, tuple) else (y,)


def record_hooks(named_modules, log, entries):
    """Register a forward and a full backward hook on every ``(name, module)``; each appends
    ``(name, kind, [entries...])`` to ``log``. Returns the handles."""
    handles = []
    for name, module in named_modules:
        def forward_hook(m, args, output, name=name):
            log.append((name, "forward", entries(args) + entries(_outputs(output))))

        def backward_hook(m, grad_input, grad_output, name=name):
            assert isinstance(grad_input, tuple) and isinstance(grad_output, tuple)
            for g in grad_input + grad_output:  # a gradient or None, never a nested structure (as in torch)
                assert g is None or isinstance(g, (np.ndarray, torch.Tensor)), f"{name}: {type(g).__name__} entry"
            log.append((name, "backward", (entries(grad_input), entries(grad_output))))

        handles.append(module.register_forward_hook(forward_hook))
        handles.append(module.register_full_backward_hook(backward_hook))
    return handles


def run_both(np_module, torch_module, inputs, grad_inputs=(0,), seed=0):
    """Forward and backward on both sides (same weights, same random upstream gradient); returns (y, dx) of each."""
    tensors = [torch.from_numpy(a.copy()).requires_grad_(i in grad_inputs) if isinstance(a, np.ndarray) else a
               for i, a in enumerate(inputs)]
    tensors = [tuple(torch.from_numpy(h.copy()).requires_grad_(True) for h in a) if isinstance(a, tuple) else a
               for a in tensors]
    y, backward = np_module(*inputs)
    y_t = torch_module(*tensors)
    dy = random_like_output(y, np.random.default_rng(seed))
    dx = backward(dy)
    outs = [(t, torch.from_numpy(d)) for t, d in zip(_flatten_torch(y_t), _flatten(dy))]
    torch.autograd.backward([t for t, _ in outs], [d for _, d in outs])
    return y, y_t, dx, tensors


def _flatten_torch(y):
    if isinstance(y, (tuple, list)):
        return [t for item in y for t in _flatten_torch(item)]
    return [] if y is None else [y]


def assert_same_events(layer, log, log_t, zeros_for_none=False):
    """Same hooks in the same order, and in each the same None pattern and values as torch's.

    ``zeros_for_none``: a NumPy entry of zeros may stand where torch has None (a model whose backward hands a child
    an explicit zero gradient for an output nothing reads, where torch's autograd hands nothing).
    """
    assert [e[:2] for e in log] == [e[:2] for e in log_t], f"{layer}: hooks fired in another order than torch's"
    for (name, kind, payload), (_, _, payload_t) in zip(log, log_t):
        groups = payload if kind == "backward" else (payload,)
        groups_t = payload_t if kind == "backward" else (payload_t,)
        for which, got, expected in zip(("grad_input", "grad_output") if kind == "backward" else ("args+output",),
                                        groups, groups_t):
            what = f"{layer}: {name or 'top'} {kind} hook {which}"
            assert len(got) == len(expected), f"{what}: {len(got)} entries, torch {len(expected)}"
            if zeros_for_none:
                for g, e in zip(got, expected):
                    assert e is not None or g is None or not g.any(), f"{what}: nonzero where torch has None"
                got = [None if e is None else g for g, e in zip(got, expected)]
            assert [g is None for g in got] == [e is None for e in expected], (
                f"{what}: None at {[g is None for g in got]}, torch {[e is None for e in expected]}")
            for k, (g, e) in enumerate(zip(got, expected)):
                if g is not None:
                    assert g.dtype == e.dtype, f"{what}[{k}]: dtype {g.dtype}, torch {e.dtype}"
                    assert_close(g, e, f"{what}[{k}]")


# The layer families -----------------------------------------------------------------------------------------------
def _case(name):
    """``(numpy module, torch module, inputs, grad_inputs, submodule names to hook)`` in float64, same weights."""
    rng = np.random.default_rng(11)
    f64 = np.float64
    if name == "Linear":
        return nn.Linear(4, 3, dtype=f64, rng=rng), torch.nn.Linear(4, 3), [rng.standard_normal((5, 4))], (0,)
    if name == "Conv2d":
        return (nn.Conv2d(2, 3, 3, stride=2, padding=1, dtype=f64, rng=rng), torch.nn.Conv2d(2, 3, 3, 2, 1),
                [rng.standard_normal((2, 2, 5, 5))], (0,))
    if name == "BatchNorm2d":
        bn = nn.BatchNorm2d(3, dtype=f64)
        bn.weight[...] = rng.uniform(0.5, 1.5, 3)
        bn.bias[...] = rng.standard_normal(3)
        return bn, torch.nn.BatchNorm2d(3), [rng.standard_normal((4, 3, 3, 3))], (0,)
    if name == "ReLU":
        return nn.ReLU(), torch.nn.ReLU(), [rng.standard_normal((3, 5))], (0,)
    if name == "LSTM":
        return (nn.LSTM(3, 4, num_layers=2, dtype=f64, rng=rng), torch.nn.LSTM(3, 4, num_layers=2),
                [rng.standard_normal((5, 2, 3))], (0,))
    if name == "LSTM-hx":  # hx is a tuple, not a tensor: torch's grad_input is (dx, None)
        h0, c0 = rng.standard_normal((1, 2, 4)), rng.standard_normal((1, 2, 4))
        return nn.LSTM(3, 4, dtype=f64, rng=rng), torch.nn.LSTM(3, 4), [rng.standard_normal((5, 2, 3)), (h0, c0)], (0,)
    if name == "MultiheadAttention":  # three inputs: grad_input is (dquery, dkey, dvalue)
        q, k, v = (rng.standard_normal(s) for s in ((3, 2, 4), (5, 2, 4), (5, 2, 4)))
        return nn.MultiheadAttention(4, 2, dtype=f64, rng=rng), torch.nn.MultiheadAttention(4, 2), [q, k, v], (0, 1, 2)
    if name == "MultiheadAttention-self":  # one array fed three times: three entries all the same
        x = rng.standard_normal((3, 2, 4))
        return nn.MultiheadAttention(4, 2, dtype=f64, rng=rng), torch.nn.MultiheadAttention(4, 2), [x, x, x], (0, 1, 2)
    if name == "Sequential":
        np_model = nn.Sequential(nn.Linear(4, 6, dtype=f64, rng=rng), nn.Tanh(), nn.Linear(6, 3, dtype=f64, rng=rng))
        torch_model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))
        return np_model, torch_model, [rng.standard_normal((5, 4))], (0,)
    if name == "LeNet5":
        return models.LeNet5(dtype=f64, rng=rng), tmodels.LeNet5(), [rng.standard_normal((2, 1, 28, 28))], (0,)
    if name == "SmallResNet":  # a residual block: torch runs the shortcut's backward before the main path's
        return (models.SmallResNet(5, in_channels=2, widths=(4, 8), dtype=f64, rng=rng),
                tmodels.SmallResNet(5, in_channels=2, widths=(4, 8)), [rng.standard_normal((2, 2, 6, 6))], (0,))
    if name == "CharRNN":  # token ids: no input gets a gradient, so the model's own hook fires first, as in torch
        return (models.CharRNN(11, 6, 8, cell="lstm", dtype=f64, rng=rng), tmodels.CharRNN(11, 6, 8, cell="lstm"),
                [rng.integers(0, 11, (3, 7))], ())
    raise KeyError(name)


FAMILIES = ["Linear", "Conv2d", "BatchNorm2d", "ReLU", "LSTM", "LSTM-hx", "MultiheadAttention",
            "MultiheadAttention-self", "Sequential", "LeNet5", "SmallResNet", "CharRNN"]


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")  # torch's, for CharRNN's token ids
@pytest.mark.parametrize("name", FAMILIES)
def test_hooks_see_what_torchs_hooks_see(name):
    np_module, torch_module, inputs, grad_inputs = _case(name)
    torch_module.double()
    copy_weights(np_module, torch_module)
    log, log_t = [], []
    # every module of the model on both sides (LeNet5: conv1, act1, pool1, ..., fc3, then the model itself)
    named = list(np_module.named_modules())
    named_t = dict(torch_module.named_modules())
    assert [n for n, _ in named] == list(named_t), f"{name}: module names differ from the twin's"
    record_hooks(named, log, _np_entries)
    record_hooks(named_t.items(), log_t, _torch_entries)
    run_both(np_module, torch_module, inputs, grad_inputs, seed=12)
    assert len(log) >= 2 and len(log) % 2 == 0  # each module's forward and backward hook, once each, where torch's fire
    assert_same_events(name, log, log_t)


def test_what_the_hooks_see_in_the_simplest_case():
    """Linear: grad_input is (dx,) alone, not the parameters' gradients; grad_output is (dy,); both are what the
    backward closure received and returned."""
    layer = nn.Linear(3, 2, dtype=np.float64, rng=np.random.default_rng(0))
    seen = {}
    layer.register_forward_hook(lambda m, args, out: seen.update(module=m, args=args, out=out))
    layer.register_full_backward_hook(lambda m, gi, go: seen.update(gi=gi, go=go))
    x = np.random.default_rng(1).standard_normal((4, 3))
    y, backward = layer(x)
    assert seen["module"] is layer and seen["args"][0] is x and len(seen["args"]) == 1 and seen["out"] is y
    dy = np.random.default_rng(2).standard_normal((4, 2))
    dx = backward(dy)
    assert len(seen["gi"]) == 1 and seen["gi"][0] is dx and len(seen["go"]) == 1 and seen["go"][0] is dy
    np.testing.assert_allclose(dx, dy @ layer.weight)


def test_backward_hooks_fire_in_torchs_order_across_a_model():
    np_model, torch_model, inputs, _ = _case("Sequential")
    torch_model.double()
    copy_weights(np_model, torch_model)
    order, order_t = [], []
    for model, out in ((np_model, order), (torch_model, order_t)):
        for name, m in model.named_modules():
            m.register_forward_hook(lambda m, a, o, name=name, out=out: out.append(("forward", name or "top")))
            m.register_full_backward_hook(lambda m, gi, go, name=name, out=out: out.append(("backward", name or "top")))
    run_both(np_model, torch_model, inputs)
    assert order == order_t == [("forward", "0"), ("forward", "1"), ("forward", "2"), ("forward", "top"),
                                ("backward", "2"), ("backward", "1"), ("backward", "0"), ("backward", "top")]


def test_hooks_on_one_module_run_in_registration_order_and_prepend_puts_one_first():
    orders = []
    for layer in (nn.Linear(2, 2, dtype=np.float64), torch.nn.Linear(2, 2).double()):
        order = []
        for tag in ("a", "b"):
            layer.register_forward_hook(lambda m, i, o, tag=tag, order=order: order.append("f" + tag))
            layer.register_full_backward_hook(lambda m, gi, go, tag=tag, order=order: order.append("b" + tag))
        layer.register_forward_hook(lambda m, i, o, order=order: order.append("fc"), prepend=True)
        layer.register_full_backward_hook(lambda m, gi, go, order=order: order.append("bc"), prepend=True)
        x = np.ones((1, 2))
        if isinstance(layer, torch.nn.Module):
            layer(torch.from_numpy(x).requires_grad_()).backward(torch.ones(1, 2, dtype=torch.float64))
        else:
            layer(x)[1](np.ones((1, 2)))
        orders.append(order)
    assert orders[0] == orders[1] == ["fc", "fa", "fb", "bc", "ba", "bb"]


def test_remove_stops_the_hook_on_both_sides():
    np_model, torch_model, inputs, _ = _case("Sequential")
    torch_model.double()
    copy_weights(np_model, torch_model)
    log, log_t = [], []
    handles = record_hooks(np_model.named_modules(), log, _np_entries)
    handles_t = record_hooks(torch_model.named_modules(), log_t, _torch_entries)
    kept, kept_t = handles[2:4], handles_t[2:4]  # the first child's two hooks (named_modules: "", "0", "1", "2")
    for h in handles[:2] + handles[4:] + handles_t[:2] + handles_t[4:]:
        h.remove()
    run_both(np_model, torch_model, inputs)
    assert [e[:2] for e in log] == [e[:2] for e in log_t] == [("0", "forward"), ("0", "backward")]
    for h in kept + kept_t:
        h.remove()
        h.remove()  # removing twice is harmless, as in torch
    log.clear()
    log_t.clear()
    run_both(np_model, torch_model, inputs)
    assert log == [] and log_t == []


def test_a_handle_is_a_context_manager():
    layer, calls = nn.ReLU(), []
    with layer.register_forward_hook(lambda m, i, o: calls.append(1)):
        layer(np.ones(2))
    layer(np.ones(2))
    assert calls == [1]


def test_a_hook_removed_after_forward_still_fires_for_that_call_as_in_torch():
    # torch snapshots the backward hooks when the module is called
    for layer, x in ((nn.Linear(2, 2, dtype=np.float64), np.ones((1, 2))),
                     (torch.nn.Linear(2, 2).double(), torch.ones(1, 2, dtype=torch.float64, requires_grad=True))):
        calls = []
        handle = layer.register_full_backward_hook(lambda m, gi, go, calls=calls: calls.append(1))
        if isinstance(layer, torch.nn.Module):
            y = layer(x)
            handle.remove()
            y.backward(torch.ones_like(y))
        else:
            y, backward = layer(x)
            handle.remove()
            backward(np.ones_like(y))
        assert calls == [1], type(layer)


@pytest.mark.parametrize("name", ["Linear", "Conv2d", "LSTM", "MultiheadAttention", "LeNet5"])
def test_a_forward_hook_returning_a_value_replaces_the_output_on_both_sides(name):
    # output + c: the replacement's gradient passes to the module unchanged, on both sides (see register_forward_hook)
    np_module, torch_module, inputs, grad_inputs = _case(name)
    torch_module.double()

    def shift(output, ones):
        return tuple(shift(o, ones) for o in output) if isinstance(output, tuple) else (
            None if output is None else output + 0.5 * ones(output))

    np_module.register_forward_hook(lambda m, args, out: shift(out, np.ones_like))
    torch_module.register_forward_hook(lambda m, args, out: shift(out, torch.ones_like))
    y, _ = np_module(*inputs)
    y_plain, _ = np_module.forward(*inputs)
    assert not np.allclose(_flatten(y)[0], _flatten(y_plain)[0])  # the hook did replace it
    check_module(f"{name} with a replacing forward hook", np_module, torch_module, *inputs, seed=13,
                 input_grads=list(grad_inputs))


def test_a_replaced_output_passes_its_gradient_straight_through():
    """The documented difference from torch: NumPy arrays carry no record of how the hook computed its
    replacement, so ``2 * output`` does not double the gradient here (torch's autograd would)."""
    layer = nn.Linear(3, 2, dtype=np.float64, rng=np.random.default_rng(0))
    x, dy = np.random.default_rng(1).standard_normal((4, 3)), np.random.default_rng(2).standard_normal((4, 2))
    plain_y, plain_backward = layer(x)
    plain_dx = plain_backward(dy)
    layer.register_forward_hook(lambda m, args, out: 2 * out)
    y, backward = layer(x)
    np.testing.assert_array_equal(y, 2 * plain_y)
    np.testing.assert_array_equal(backward(dy), plain_dx)


def test_a_backward_hook_returning_grad_input_replaces_it_on_both_sides():
    np_module, torch_module, inputs, grad_inputs = _case("MultiheadAttention")
    torch_module.double()
    seen = {"np": [], "torch": []}
    for module, side in ((np_module, "np"), (torch_module, "torch")):
        # the first hook scales dquery and zeroes nothing else; the second must see the first one's result
        module.register_full_backward_hook(lambda m, gi, go: (3 * gi[0], gi[1], gi[2]))
        module.register_full_backward_hook(lambda m, gi, go, side=side: seen[side].append(
            [np.array(g) if isinstance(g, np.ndarray) else g.detach().numpy().copy() for g in gi]))
    check_module("MultiheadAttention with a replacing backward hook", np_module, torch_module, *inputs, seed=14,
                 input_grads=list(grad_inputs))  # dquery, dkey, dvalue: the replaced ones on both sides
    for got, expected in zip(seen["np"][0], seen["torch"][0]):
        assert_close(got, expected, "the second hook's grad_input")


def test_a_backward_hook_returning_the_wrong_number_of_gradients_is_an_error():
    layer = nn.Linear(2, 2, dtype=np.float64)
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    y, backward = layer(np.ones((1, 2)))
    with pytest.raises(RuntimeError, match=r"Linear: backward hook returned an invalid number of grad_input, got 2, "
                                           r"but expected 1"):
        backward(np.ones((1, 2)))


def test_no_input_gradient_gives_none_in_grad_input_as_in_torch():
    layer = nn.Linear(3, 2, dtype=np.float64, rng=np.random.default_rng(0))
    layer.input_grad = False  # a first layer reading data: torch's input does not require grad
    torch_layer = torch.nn.Linear(3, 2).double()
    copy_weights(layer, torch_layer)
    log, log_t = [], []
    record_hooks([("", layer)], log, _np_entries)
    record_hooks([("", torch_layer)], log_t, _torch_entries)
    with pytest.warns(UserWarning, match="no inputs require gradients"):  # torch's warning; the values agree
        run_both(layer, torch_layer, [np.random.default_rng(1).standard_normal((4, 3))], grad_inputs=())
    assert log[1][2][0] == [None]
    assert_same_events("Linear without dx", log, log_t)


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_without_input_gradients_the_parents_hook_fires_before_its_childrens_as_in_torch():
    np_model, torch_model, (x,), _ = _case("LeNet5")
    torch_model.double()
    copy_weights(np_model, torch_model)
    order, order_t = [], []
    for model, out in ((np_model, order), (torch_model, order_t)):
        for name, m in model.named_modules():
            m.register_full_backward_hook(lambda m, gi, go, name=name, out=out: out.append(name or "top"))
    y, backward = np_model(x, input_grad=False)  # x is data, as a trainer calls it; torch: x.requires_grad False
    y_t = torch_model(torch.from_numpy(x))
    dy = np.random.default_rng(15).standard_normal(y.shape)
    backward(dy)
    y_t.backward(torch.from_numpy(dy))
    assert order == order_t and order[0] == "top" and order[-1] == "conv1"


def test_a_backward_hook_may_not_return_gradients_when_no_input_gets_one():
    layer = nn.Embedding(5, 3, dtype=np.float64)
    layer.register_full_backward_hook(lambda m, gi, go: (np.ones(2),))
    y, backward = layer(np.array([1, 2]))
    with pytest.raises(RuntimeError, match="Embedding: backward hook .* should always return None"):
        backward(np.ones_like(y))


def test_a_loss_modules_default_upstream_gradient_is_what_grad_output_holds():
    rng = np.random.default_rng(3)
    logits, target = rng.standard_normal((4, 5)), rng.integers(0, 5, 4)
    loss, loss_t = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    log, log_t = [], []
    record_hooks([("", loss)], log, _np_entries)
    record_hooks([("", loss_t)], log_t, _torch_entries)
    _, backward = loss(logits, target)
    backward()  # dloss defaults to 1, as loss.backward() in torch
    x_t = torch.from_numpy(logits.copy()).requires_grad_()
    loss_t(x_t, torch.from_numpy(target)).backward()
    assert_same_events("CrossEntropyLoss", log, log_t)  # grad_input (dlogits, zeros like target), grad_output (1.0,)
    assert log[1][2][0][1].dtype == target.dtype and not log[1][2][0][1].any()


def test_out_proj_hooks_do_not_fire_inside_multihead_attention_as_in_torch():
    # torch's MultiheadAttention uses out_proj's weight in a functional call, never calling out_proj
    np_module, torch_module, inputs, grad_inputs = _case("MultiheadAttention")
    torch_module.double()
    calls = []
    for module in (np_module, torch_module):
        module.out_proj.register_forward_hook(lambda *a: calls.append("forward"))
        module.out_proj.register_full_backward_hook(lambda *a: calls.append("backward"))
    run_both(np_module, torch_module, inputs, grad_inputs)
    assert calls == []


def _zoo():
    from parity_tests.test_models import CASES, graph
    from parity_tests.test_models_transformer import CASES as TRANSFORMER_CASES

    cases = {}
    for name, (make, make_torch, batch, _) in {**CASES, **TRANSFORMER_CASES}.items():
        inputs = (lambda rng: list(graph(rng)[:2])) if batch is None else (lambda rng, batch=batch: [batch(rng)[0]])
        cases[name] = (make, make_torch, inputs)
    return cases


ZOO = _zoo()


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")  # token ids and graphs: no input gradient
@pytest.mark.parametrize("name", list(ZOO))
def test_every_zoo_model_fires_its_hooks_in_torchs_order_with_torchs_values(name):
    make, make_torch, make_inputs = ZOO[name]
    rng = np.random.default_rng(16)
    np_model, torch_model = make(rng), make_torch().double()
    copy_weights(np_model, torch_model)
    np_model.eval()  # no dropout: the two sides draw their own masks
    torch_model.eval()
    inputs = make_inputs(rng)
    log, log_t = [], []
    named = list(np_model.named_modules())
    assert [n for n, _ in named] == [n for n, _ in torch_model.named_modules()]
    record_hooks(named, log, _np_entries)
    record_hooks(torch_model.named_modules(), log_t, _torch_entries)
    float_inputs = tuple(i for i, a in enumerate(inputs) if a.dtype.kind == "f")
    run_both(np_model, torch_model, inputs, float_inputs, seed=17)
    assert len(log) >= 4
    # CharRNN's backward hands the RNN a zero gradient for h_n, which the loss never reads; torch's hands None
    assert_same_events(name, log, log_t, zeros_for_none=name.startswith("CharRNN"))
