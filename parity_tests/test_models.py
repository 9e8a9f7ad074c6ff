"""Twin training: each zoo model, from the same initial weights, on the same batches, in float64, with the same
dropout masks, follows the same loss curve on both sides for 20 SGD steps (losses equal to 1e-8), and ends with the
same weights and running statistics."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import scratch.functional as F
import scratch.models as models
import scratch.nn as nn
import torch_impl.models as tmodels
from parity_tests.harness import assert_close, record
from torch_impl.state import copy_weights

STEPS = 20
LR = 0.05


def classification_batch(rng, shape, classes):
    return rng.standard_normal(shape), rng.integers(0, classes, size=shape[0])


def graph(rng, n=12):
    src, dst = rng.integers(0, n, 30), rng.integers(0, n, 30)
    edge_index = np.concatenate([np.stack([src, dst]), np.stack([dst, src])], axis=1)
    target = np.where(rng.random(n) < 0.5, rng.integers(0, 3, n), -100)  # unlabelled nodes are ignored
    target[0] = 1  # at least one labelled node
    return rng.standard_normal((n, 5)), edge_index, target


# name -> (numpy model, torch model, batch(rng) -> (inputs, target), loss(numpy functional module, logits, target))
CASES = {
    "MLP": (lambda rng: models.MLP(20, (16, 8), 4, dropout=0.3, dtype=np.float64, rng=rng),
            lambda: tmodels.MLP(20, (16, 8), 4, dropout=0.3),
            lambda rng: classification_batch(rng, (6, 4, 5), 4), "ce"),
    "LeNet5": (lambda rng: models.LeNet5(dtype=np.float64, rng=rng), lambda: tmodels.LeNet5(),
               lambda rng: classification_batch(rng, (4, 1, 28, 28), 10), "ce"),
    "LeNet5-classic": (lambda rng: models.LeNet5(classic=True, dtype=np.float64, rng=rng),
                       lambda: tmodels.LeNet5(classic=True),
                       lambda rng: classification_batch(rng, (4, 1, 28, 28), 10), "ce"),
    "SmallResNet": (lambda rng: models.SmallResNet(5, in_channels=2, widths=(4, 8), dtype=np.float64, rng=rng),
                    lambda: tmodels.SmallResNet(5, in_channels=2, widths=(4, 8)),
                    lambda rng: classification_batch(rng, (4, 2, 10, 10), 5), "ce"),
    "CharRNN-lstm": (lambda rng: models.CharRNN(11, 6, 8, num_layers=2, cell="lstm", dtype=np.float64, rng=rng),
                     lambda: tmodels.CharRNN(11, 6, 8, num_layers=2, cell="lstm"),
                     lambda rng: (rng.integers(0, 11, (3, 7)), rng.integers(0, 11, (3, 7))), "ce-seq"),
    "CharRNN-gru": (lambda rng: models.CharRNN(11, 6, 8, cell="gru", dtype=np.float64, rng=rng),
                    lambda: tmodels.CharRNN(11, 6, 8, cell="gru"),
                    lambda rng: (rng.integers(0, 11, (3, 7)), rng.integers(0, 11, (3, 7))), "ce-seq"),
    "CharRNN-rnn": (lambda rng: models.CharRNN(11, 6, 8, cell="rnn", dtype=np.float64, rng=rng),
                    lambda: tmodels.CharRNN(11, 6, 8, cell="rnn"),
                    lambda rng: (rng.integers(0, 11, (3, 7)), rng.integers(0, 11, (3, 7))), "ce-seq"),
    "GCN": (lambda rng: models.GCN(5, 8, 3, dropout=0.5, dtype=np.float64, rng=rng),
            lambda: tmodels.GCN(5, 8, 3, dropout=0.5), None, "ce-graph"),
    "Autoencoder": (lambda rng: models.Autoencoder(16, 8, 3, dtype=np.float64, rng=rng),
                    lambda: tmodels.Autoencoder(16, 8, 3),
                    lambda rng: (rng.random((5, 1, 4, 4)), None), "bce"),
}


def numpy_loss(kind, logits, target, x):
    if kind == "ce":
        return F.cross_entropy(logits, target)
    if kind == "ce-seq":
        loss, back = F.cross_entropy(logits.transpose(0, 2, 1), target)
        return loss, lambda d: (back(d)[0].transpose(0, 2, 1),)
    if kind == "ce-graph":
        return F.cross_entropy(logits, target)
    return F.binary_cross_entropy_with_logits(logits, x)


def torch_loss(kind, logits, target, x):
    tf = torch.nn.functional
    if kind in ("ce", "ce-graph"):
        return tf.cross_entropy(logits, target)
    if kind == "ce-seq":
        return tf.cross_entropy(logits.transpose(1, 2), target)
    return tf.binary_cross_entropy_with_logits(logits, x)


def share_dropout_masks(np_model, torch_model):
    torch_modules = dict(torch_model.named_modules())
    for name, m in np_model.named_modules():
        if isinstance(m, nn.Dropout) and m.last_mask is not None:
            torch_modules[name].mask = torch.from_numpy(m.last_mask)


@pytest.mark.parametrize("name", list(CASES))
def test_twins_follow_the_same_loss_curve(name):
    make_np, make_torch, make_batch, kind = CASES[name]
    rng = np.random.default_rng(0)
    np_model = make_np(rng)
    torch_model = make_torch().double()
    copy_weights(np_model, torch_model)
    data_rng = np.random.default_rng(1)
    fixed_graph = graph(data_rng) if kind == "ce-graph" else None
    rec = record(f"train:{name}")
    losses = []
    for step in range(STEPS):
        if kind == "ce-graph":
            x, edge_index, target = fixed_graph
            inputs, t_inputs = (x, edge_index), (torch.from_numpy(x), torch.from_numpy(edge_index))
        else:
            x, target = make_batch(data_rng)
            inputs, t_inputs = (x,), (torch.from_numpy(x),)

        np_model.zero_grad()
        logits, backward = np_model(*inputs)
        loss, loss_back = numpy_loss(kind, logits, target, x)
        backward(loss_back(1.0)[0])
        for p in np_model.parameters():
            p -= LR * p.grad

        share_dropout_masks(np_model, torch_model)
        torch_model.zero_grad()
        t_target = None if target is None else torch.from_numpy(target)
        t_loss = torch_loss(kind, torch_model(*t_inputs), t_target, torch.from_numpy(x))
        t_loss.backward()
        with torch.no_grad():
            for p in torch_model.parameters():
                p -= LR * p.grad

        rec.examples += 1
        err = abs(float(loss) - t_loss.item())
        rec.forward_error["float64"] = max(rec.forward_error.get("float64", 0.0), err)
        assert err <= 1e-8 * max(1.0, abs(t_loss.item())), \
            f"{name} step {step}: loss {float(loss)!r} vs torch {t_loss.item()!r}"
        losses.append(float(loss))

    torch_state = torch_model.state_dict()
    for key, value in np_model.state_dict().items():
        err = assert_close(value, torch_state[key].numpy(), f"{name} {key} after training")
        rec.gradient_error["float64"] = max(rec.gradient_error.get("float64", 0.0), err)
    assert len(set(np.round(losses, 6))) > 1, "the loss never moved: the test would pass a model that does not train"


@pytest.mark.parametrize("name", list(CASES))
def test_zoo_state_dicts_match_torch(name):
    make_np, make_torch, _, _ = CASES[name]
    np_model, torch_model = make_np(np.random.default_rng(0)), make_torch().double()
    sd, sd_t = np_model.state_dict(), torch_model.state_dict()
    assert list(sd) == list(sd_t)
    assert all(tuple(sd[k].shape) == tuple(sd_t[k].shape) for k in sd)
