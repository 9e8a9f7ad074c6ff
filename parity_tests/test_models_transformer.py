"""The zoo's Transformers against their torch twins: twin training (same initial weights, same batches, float64,
20 SGD steps, losses equal to 1e-8, same final weights), state_dict layout, and the language model's causality."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import scratch.functional as F
import scratch.models as models
import scratch.nn as nn
import torch_impl.models as tmodels
from parity_tests.harness import assert_close, record
from parity_tests.test_models import share_dropout_masks
from torch_impl.nn.dropout import SharedMaskDropout
from torch_impl.state import copy_weights

STEPS = 20
LR = 0.05
VOCAB = 11


def image_batch(rng, shape=(4, 2, 5, 3), classes=5):
    return rng.standard_normal(shape), rng.integers(0, classes, size=shape[0])


def token_batch(rng, shape=(4, 6, 7), classes=5):
    return rng.standard_normal(shape), rng.integers(0, classes, size=shape[0])


def text_batch(rng, N=3, T=7):
    """Next-token targets with a padded tail (-100) of random length per row, as ``torch_impl.tasks`` makes them."""
    tokens = rng.integers(0, VOCAB, (N, T))
    target = rng.integers(0, VOCAB, (N, T))
    target[np.arange(T) >= rng.integers(2, T + 1, size=(N, 1))] = -100
    return tokens, target


# name -> (numpy model, torch model, batch(rng) -> (inputs, target), loss kind)
# Two channels, so reading an image row by row differs from a plain reshape; dropout cases share masks (below).
CASES = {
    "TransformerClassifier-images": (
        lambda rng: models.TransformerClassifier(6, 5, d_model=8, nhead=2, num_layers=2, dim_feedforward=12,
                                                 dtype=np.float64, rng=rng),
        lambda: tmodels.TransformerClassifier(6, 5, d_model=8, nhead=2, num_layers=2, dim_feedforward=12),
        image_batch, "ce"),
    "TransformerClassifier-tokens-dropout": (
        lambda rng: models.TransformerClassifier(7, 5, d_model=8, nhead=4, num_layers=1, dim_feedforward=12,
                                                 dropout=0.2, max_len=6, dtype=np.float64, rng=rng),
        lambda: tmodels.TransformerClassifier(7, 5, d_model=8, nhead=4, num_layers=1, dim_feedforward=12,
                                              dropout=0.2, max_len=6),
        token_batch, "ce"),
    "CausalTransformerLM": (
        lambda rng: models.CausalTransformerLM(VOCAB, d_model=8, nhead=2, num_layers=2, dim_feedforward=12,
                                               max_len=10, dtype=np.float64, rng=rng),
        lambda: tmodels.CausalTransformerLM(VOCAB, d_model=8, nhead=2, num_layers=2, dim_feedforward=12, max_len=10),
        text_batch, "ce-seq"),
    "CausalTransformerLM-dropout": (
        lambda rng: models.CausalTransformerLM(VOCAB, d_model=8, nhead=2, num_layers=2, dim_feedforward=12,
                                               dropout=0.25, max_len=10, dtype=np.float64, rng=rng),
        lambda: tmodels.CausalTransformerLM(VOCAB, d_model=8, nhead=2, num_layers=2, dim_feedforward=12,
                                            dropout=0.25, max_len=10),
        text_batch, "ce-seq"),
}


def replayable_dropout(np_model, torch_model):
    """Let the twins draw identical dropout: torch's encoder layers get mask-replaying Dropouts, and attention-weight
    dropout is switched off on both sides (torch draws those masks inside its attention kernel, out of reach)."""
    for _, m in list(torch_model.named_modules()):
        for child_name, child in list(m.named_children()):
            if type(child) is torch.nn.Dropout:
                setattr(m, child_name, SharedMaskDropout(child.p))
        if isinstance(m, torch.nn.MultiheadAttention):
            m.dropout = 0.0
    for _, m in np_model.named_modules():
        if isinstance(m, nn.MultiheadAttention):
            m.dropout = 0.0


def numpy_loss(kind, logits, target):
    if kind == "ce":
        return F.cross_entropy(logits, target)
    loss, back = F.cross_entropy(logits.transpose(0, 2, 1), target)  # ce-seq: classes on axis 1
    return loss, lambda d: (back(d)[0].transpose(0, 2, 1),)


def torch_loss(kind, logits, target):
    if kind == "ce":
        return torch.nn.functional.cross_entropy(logits, target)
    return torch.nn.functional.cross_entropy(logits.transpose(1, 2), target)


@pytest.mark.parametrize("name", list(CASES))
def test_twins_follow_the_same_loss_curve(name):
    make_np, make_torch, make_batch, kind = CASES[name]
    np_model = make_np(np.random.default_rng(0))
    torch_model = make_torch().double()
    copy_weights(np_model, torch_model)
    replayable_dropout(np_model, torch_model)
    data_rng = np.random.default_rng(1)
    rec = record(f"train:{name}")
    losses = []
    for step in range(STEPS):
        x, target = make_batch(data_rng)

        np_model.zero_grad()
        logits, backward = np_model(x)
        loss, loss_back = numpy_loss(kind, logits, target)
        backward(loss_back(1.0)[0])
        for p in np_model.parameters():
            p -= LR * p.grad

        share_dropout_masks(np_model, torch_model)
        torch_model.zero_grad()
        t_loss = torch_loss(kind, torch_model(torch.from_numpy(x)), torch.from_numpy(target))
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
def test_state_dicts_match_torch(name):
    make_np, make_torch, _, _ = CASES[name]
    np_model, torch_model = make_np(np.random.default_rng(0)), make_torch().double()
    sd, sd_t = np_model.state_dict(), torch_model.state_dict()
    assert list(sd) == list(sd_t)
    assert all(tuple(sd[k].shape) == tuple(sd_t[k].shape) for k in sd)


@pytest.fixture(scope="module")
def lm_pair():
    np_model = models.CausalTransformerLM(VOCAB, d_model=8, nhead=2, num_layers=2, dim_feedforward=12, max_len=10,
                                         dtype=np.float64, rng=np.random.default_rng(0))
    torch_model = tmodels.CausalTransformerLM(VOCAB, d_model=8, nhead=2, num_layers=2, dim_feedforward=12,
                                              max_len=10).double()
    copy_weights(np_model, torch_model)
    return np_model, torch_model


@st.composite
def lm_edit_case(draw):
    """Token rows ``(N, T)``, a position ``t`` and a different token to put there in every row."""
    N, T = draw(st.integers(1, 3)), draw(st.integers(1, 10))
    tokens = np.array(draw(st.lists(st.lists(st.integers(0, VOCAB - 1), min_size=T, max_size=T),
                                    min_size=N, max_size=N)))
    t = draw(st.integers(0, T - 1))
    shift = draw(st.integers(1, VOCAB - 1))
    return tokens, t, shift


@given(case=lm_edit_case())
def test_lm_is_causal(lm_pair, case):
    """Changing token t leaves every output before t unchanged, and changes the output at t."""
    tokens, t, shift = case
    edited = tokens.copy()
    edited[:, t] = (edited[:, t] + shift) % VOCAB
    np_model, torch_model = lm_pair
    before, _ = np_model(tokens)
    after, _ = np_model(edited)
    np.testing.assert_array_equal(after[:, :t], before[:, :t])
    assert np.all(np.abs(after[:, t] - before[:, t]).max(axis=-1) > 1e-6), "token t must reach its own output"
    with torch.no_grad():  # the twin obeys the same rule
        t_before, t_after = (torch_model(torch.from_numpy(a)).numpy() for a in (tokens, edited))
    np.testing.assert_allclose(t_after[:, :t], t_before[:, :t], rtol=0, atol=1e-12)


def test_lm_padding_does_not_change_earlier_outputs():
    """A word in a padded batch gets the same outputs as on its own: why the LM needs no padding mask."""
    model = models.CausalTransformerLM(VOCAB, d_model=8, nhead=2, num_layers=1, dim_feedforward=12, max_len=10,
                                      dtype=np.float64, rng=np.random.default_rng(0))
    word = np.array([[1, 4, 2, 7]])
    alone, _ = model(word)
    padded, _ = model(np.concatenate([word, np.zeros((1, 5), np.int64)], axis=1))
    np.testing.assert_array_equal(padded[:, :4], alone)


def test_lm_sample_stops_and_crops_context():
    model = models.CausalTransformerLM(VOCAB, d_model=8, nhead=2, num_layers=1, dim_feedforward=12, max_len=4,
                                      dtype=np.float64, rng=np.random.default_rng(0))
    seq = model.sample(np.zeros((5, 1), np.int64), steps=12, rng=np.random.default_rng(1), stop=3)
    assert seq.shape[0] == 5 and 2 <= seq.shape[1] <= 13  # longer than max_len: the context was cropped
    assert seq.min() >= 0 and seq.max() < VOCAB
    for row in seq[:, 1:]:  # after a row's first stop token, only stop tokens
        hits = np.flatnonzero(row == 3)
        if hits.size:
            assert np.all(row[hits[0]:] == 3)
    assert model.training, "sample must restore training mode"


def test_classifier_reads_images_row_by_row():
    """Token h of an image is row h of channel 0, then row h of channel 1, ..."""
    model = models.TransformerClassifier(6, 3, d_model=8, dtype=np.float64, rng=np.random.default_rng(0))
    x = np.arange(2 * 2 * 4 * 3, dtype=np.float64).reshape(2, 2, 4, 3)  # (N, C, H, W)
    tokens, back = model._tokens(x)
    assert tokens.shape == (2, 4, 6)
    np.testing.assert_array_equal(tokens[1, 2], np.concatenate([x[1, 0, 2], x[1, 1, 2]]))
    np.testing.assert_array_equal(back(tokens), x)


@pytest.mark.parametrize("shape", [(2, 1, 8, 7), (2, 8, 7), (2, 6)])
def test_classifier_rejects_inputs_of_the_wrong_width(shape):
    model = models.TransformerClassifier(8, 3, d_model=8, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"TransformerClassifier expected tokens \(N, T, 8\) or images"):
        model(np.zeros(shape, np.float32))


def test_lm_rejects_sequences_longer_than_max_len():
    model = models.CausalTransformerLM(VOCAB, d_model=8, nhead=2, num_layers=1, max_len=4,
                                      rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="longer than max_len=4"):
        model(np.zeros((1, 5), np.int64))
    with pytest.raises(ValueError, match=r"CausalTransformerLM expected tokens \(N, T\)"):
        model(np.zeros(5, np.int64))
