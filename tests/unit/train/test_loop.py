"""The training loop: learns, is deterministic, weighs tokens exactly, follows the schedule."""

from __future__ import annotations

import math

import pytest
import torch

from langtransfer.train.config import OptimConfig
from langtransfer.train.loop import causal_lm_loss_sum, evaluate_loss, train
from langtransfer.train.model import build_llama

VOCAB = 64


def _model(tiny_arch, seed=0):
    return build_llama(tiny_arch, VOCAB, 1, 2, 0, seed=seed)


def _batches(n, batch=4, seq=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        ids = torch.randint(3, VOCAB, (batch, seq), generator=g)
        out.append({"input_ids": ids, "labels": ids})
    return out


def test_loss_goes_down_on_repeated_data(tiny_arch, recorder):
    model = _model(tiny_arch)
    data = _batches(2)
    before = evaluate_loss(model, data)
    stats = train(model, data * 20, 40, OptimConfig(lr=1e-2, warmup_ratio=0.1), recorder)
    after = evaluate_loss(model, data)
    assert before > math.log(VOCAB) - 0.3  # random init: about uniform over the vocabulary
    assert after < before - 1.0 and stats.mean_last10_loss < before - 1.0
    assert stats.steps == 40 and stats.tokens == 40 * 4 * 16 and stats.tokens_per_s > 0


def test_same_seed_gives_bit_identical_weights(tiny_arch):
    runs = []
    for _ in range(2):
        model = _model(tiny_arch, seed=3)
        train(model, _batches(6), 6, OptimConfig(lr=5e-3), None, seed=7)
        runs.append(model.state_dict())
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])
    other = _model(tiny_arch, seed=3)
    train(other, _batches(6, seed=1), 6, OptimConfig(lr=5e-3), None, seed=7)
    assert not torch.equal(other.state_dict()["lm_head.weight"], runs[0]["lm_head.weight"])


def _capture_grads(model):
    """Record each parameter's accumulated gradient (before clipping and the step)."""
    grads = {}
    for name, p in model.named_parameters():
        p.register_post_accumulate_grad_hook(
            lambda param, name=name: grads.__setitem__(name, param.grad.clone()))
    return grads


def test_accumulated_microbatches_weigh_tokens_like_one_padded_batch(tiny_arch):
    """A [2,16] block batch + a [1,8] tail accumulated == one right-padded [3,16] batch."""
    full = torch.randint(3, VOCAB, (2, 16), generator=torch.Generator().manual_seed(0))
    tail = torch.randint(3, VOCAB, (1, 8), generator=torch.Generator().manual_seed(1))
    padded = torch.cat([full, torch.cat([tail, torch.zeros(1, 8, dtype=torch.long)], 1)])
    mask = (torch.arange(16) < torch.tensor([[16], [16], [8]])).long()
    labels = padded.masked_fill(mask == 0, -100)
    a, b = _model(tiny_arch), _model(tiny_arch)
    grads_a, grads_b = _capture_grads(a), _capture_grads(b)
    # cpu=True: fp32 everywhere (bf16 autocast on a GPU would blur the comparison)
    sa = train(a, [{"input_ids": full, "labels": full}, {"input_ids": tail, "labels": tail}], 1,
               OptimConfig(grad_accum=2), None, cpu=True)
    sb = train(b, [{"input_ids": padded, "attention_mask": mask, "labels": labels}], 1,
               OptimConfig(grad_accum=1), None, cpu=True)
    assert sa.tokens == sb.tokens == 40
    assert sa.final_loss == pytest.approx(sb.final_loss, rel=1e-5)
    assert set(grads_a) == set(grads_b) and len(grads_a) > 0
    for name, g in grads_a.items():
        assert torch.allclose(g, grads_b[name], rtol=1e-4, atol=1e-7), name


def test_warmup_then_cosine_to_min_lr_and_log_cadence(tiny_arch, recorder):
    optim = OptimConfig(lr=1e-2, min_lr_ratio=0.1, warmup_ratio=0.2)
    train(_model(tiny_arch), _batches(10), 10, optim, recorder, desc="cpt", log_every=1)
    lrs = [r["lr"] for r in recorder.records]  # the rate each step used
    assert lrs[:3] == pytest.approx([0.0, 0.5e-2, 1e-2])  # 2 warm-up steps, then the peak
    assert all(x > y for x, y in zip(lrs[2:], lrs[3:]))  # cosine only decreases
    # step 10 is at progress 7/8 of the cosine from 1e-2 down to lr * min_lr_ratio = 1e-3
    assert lrs[-1] == pytest.approx(1e-3 + 9e-3 * 0.5 * (1 + math.cos(math.pi * 7 / 8)))
    rec = recorder.records[-1]
    assert rec["phase"] == "cpt" and rec["step"] == 10 and rec["tokens"] == 10 * 64
    assert set(rec) >= {"loss", "lr", "tokens", "tokens_per_s"}


def test_logs_every_n_steps_and_the_last(tiny_arch, recorder):
    train(_model(tiny_arch), _batches(7), 7, OptimConfig(), recorder, log_every=3)
    assert [r["step"] for r in recorder.records] == [3, 6, 7]


def test_stops_when_batches_run_out(tiny_arch):
    stats = train(_model(tiny_arch), _batches(3), 5, OptimConfig(grad_accum=2), None)
    assert stats.steps == 2 and stats.tokens == 3 * 64


def test_no_decay_on_norms(tiny_arch):
    from langtransfer.train.loop import make_optimizer

    groups = make_optimizer(_model(tiny_arch), OptimConfig(weight_decay=0.1)).param_groups
    assert groups[0]["weight_decay"] == 0.1 and all(p.ndim == 2 for p in groups[0]["params"])
    assert groups[1]["weight_decay"] == 0.0 and all(p.ndim == 1 for p in groups[1]["params"])
    assert len(groups[1]["params"]) == 2 * 2 + 1  # two norms per layer + the final norm


def test_loss_sum_ignores_minus_100_and_shifts():
    logits = torch.randn(1, 4, 10)
    labels = torch.tensor([[-100, 3, -100, 5]])
    expected = -(logits[0, 0].log_softmax(-1)[3] + logits[0, 2].log_softmax(-1)[5])
    assert causal_lm_loss_sum(logits, labels) == pytest.approx(float(expected), rel=1e-6)
