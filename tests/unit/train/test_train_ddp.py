"""Several processes, in one process: each rank's share of a step's micro-batches, with DDP's
gradient average, gives a single process's gradient and loss (the real 2-process run with
`accelerate launch` is tests/integration/test_train_ddp_launch.py)."""

from __future__ import annotations

import contextlib
import copy

import pytest
import torch

from langtransfer.train.config import OptimConfig
from langtransfer.train.loop import TrainSession, _optimizer_step, steps_per_phase
from langtransfer.train.model import build_llama

VOCAB = 64


class _Rank:
    """The parts of an Accelerator `_optimizer_step` uses, for rank `index` of `world`."""

    def __init__(self, index: int, world: int):
        self.process_index, self.num_processes = index, world
        self.device = torch.device("cpu")
        self.state = type("State", (), {"deepspeed_plugin": None})()
        self.is_main_process = index == 0

    def no_sync(self, model):
        return contextlib.nullcontext()

    def backward(self, loss):
        loss.backward()

    def clip_grad_norm_(self, params, max_norm):
        raise AssertionError("clipping is off in these tests")

    def reduce(self, tensor, reduction):
        return tensor  # the test adds the ranks' losses itself


class _Capture:
    """An optimizer that records the gradients it would apply."""

    def __init__(self, model):
        self.model, self.grads = model, {}

    def step(self):
        self.grads = {n: p.grad.clone() for n, p in self.model.named_parameters()}

    def zero_grad(self, set_to_none=True):
        self.model.zero_grad(set_to_none=set_to_none)


def _group(n: int, seed: int = 0) -> list[dict]:
    """Micro-batches of different lengths and padding, so token weighting matters."""
    g = torch.Generator().manual_seed(seed)
    group = []
    for i in range(n):
        width = 8 + 4 * i
        ids = torch.randint(3, VOCAB, (2, width), generator=g)
        mask = torch.ones_like(ids)
        mask[1, width // 2:] = 0  # the second row is half padding
        group.append({"input_ids": ids, "attention_mask": mask,
                      "labels": ids.masked_fill(mask == 0, -100)})
    return group


@pytest.mark.parametrize("n_micro", [4, 3, 1])  # even, uneven, a rank left without a batch
def test_ranks_shares_average_to_the_single_process_step(tiny_arch, n_micro):
    base = build_llama(tiny_arch, VOCAB, 1, 2, 0, seed=0)
    group = _group(n_micro)
    single = copy.deepcopy(base)
    opt = _Capture(single)
    loss = _optimizer_step(single, opt, group, _Rank(0, 1), grad_clip=0)
    grads, losses = [], []
    for rank in range(2):
        replica = copy.deepcopy(base)
        cap = _Capture(replica)
        losses.append(_optimizer_step(replica, cap, group, _Rank(rank, 2), grad_clip=0))
        grads.append(cap.grads)
    assert float(sum(losses)) == pytest.approx(float(loss), rel=1e-6)  # reduce(sum) of ranks
    for name, g in opt.grads.items():
        ddp_average = (grads[0][name] + grads[1][name]) / 2
        assert torch.allclose(ddp_average, g, rtol=1e-4, atol=1e-7), name


def test_a_step_takes_grad_accum_times_world_micro_batches():
    two = TrainSession(accelerator=_Rank(0, 2))
    assert steps_per_phase(10, OptimConfig(grad_accum=2)) == 5
    assert steps_per_phase(10, OptimConfig(grad_accum=2), two) == 3  # 4 + 4 + 2
    assert steps_per_phase(8, OptimConfig(grad_accum=1), two) == 4
