"""The training loop shared by base pretraining, CPT and SFT: a plain loop on `accelerate`.

Exercised by `langtransfer miniworld base`, `langtransfer train cpt` and `langtransfer train sft`.

Why not HF `Trainer`: ENVIRONMENT.md measured ~60 ms/step of Trainer overhead at 0.4 M params,
more than half of a MiniWorld step. `Accelerator` keeps the loop plain on one CPU and gives the
same loop DDP/FSDP/DeepSpeed under `accelerate launch` (data sharding across processes is not
done here yet: every process would see every batch).

Loss: the token mean over all label positions of an optimizer step, across its accumulated
micro-batches (each micro-batch's summed loss is divided by the step's label count), so a
short final block or a padded SFT batch weighs exactly by its tokens.

Checkpoint/resume hook: everything a resume needs is the model, `optimizer`, `scheduler` and
`LoopState` (step, tokens, micro-batches consumed = the data position).
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from dataclasses import asdict, dataclass
from itertools import islice
from typing import Any, Iterable, Iterator

from langtransfer.train.config import OptimConfig

IGNORE_INDEX = -100  # label value excluded from the loss (PyTorch / transformers convention)
LAST_N = 10  # losses averaged for `mean_last10_loss`


@dataclass
class TrainStats:
    """What a training run did."""

    steps: int
    """Optimizer steps taken."""
    tokens: int
    """Input tokens fed to the model (padding excluded)."""
    final_loss: float
    """Loss of the last optimizer step (token mean, nats)."""
    mean_last10_loss: float
    """Mean loss of the last 10 optimizer steps (less noisy than the final one)."""
    seconds: float
    """Wall time of the loop."""
    tokens_per_s: float
    """tokens / seconds."""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for metrics and manifests)."""
        return asdict(self)


@dataclass
class LoopState:
    """Loop position: with model, optimizer and scheduler state, all a resume needs."""

    step: int = 0
    tokens: int = 0
    batches_done: int = 0


def make_accelerator(cpu: bool = False) -> Any:
    """An Accelerator: CPU in fp32 without CUDA (or when `cpu`); bf16 autocast on a GPU that
    supports it (ENVIRONMENT.md: on CPU, bf16 pays only above ~7 M parameters, so fp32 there)."""
    import torch
    from accelerate import Accelerator

    cuda = torch.cuda.is_available() and not cpu
    precision = "bf16" if cuda and torch.cuda.is_bf16_supported() else "no"
    return Accelerator(cpu=not cuda, mixed_precision=precision)


def make_optimizer(model: Any, optim: OptimConfig, embed_lr_mult: float = 1.0) -> Any:
    """AdamW with weight decay on matrices only (norm weights and biases are not decayed).

    Args:
        model: the model; parameters with requires_grad False are left out.
        optim: optimizer settings.
        embed_lr_mult: when not 1, the input embedding and LM head form a last param group
            with lr = optim.lr * embed_lr_mult (tied embeddings are one parameter, so one
            entry). The schedule scales every group's rate by the same factor. Group 0 is
            always the main matrices, whose rate the loop logs.
    """
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    embed_ids = {id(p) for p in embedding_parameters(model)} if embed_lr_mult != 1.0 else set()
    rest = [p for p in params if id(p) not in embed_ids]
    groups = [
        {"params": [p for p in rest if p.ndim >= 2], "weight_decay": optim.weight_decay},
        {"params": [p for p in rest if p.ndim < 2], "weight_decay": 0.0},
        {"params": [p for p in params if id(p) in embed_ids], "weight_decay": optim.weight_decay,
         "lr": optim.lr * embed_lr_mult},
    ]
    groups = [g for g in groups if g["params"]]  # e.g. only embeddings train in a warm-up
    return torch.optim.AdamW(groups, lr=optim.lr, betas=(optim.beta1, optim.beta2), eps=1e-8)


def embedding_parameters(model: Any) -> list[Any]:
    """The input embedding and LM-head weights, each once (a tied pair is one parameter)."""
    found: dict[int, Any] = {}
    for module in (model.get_input_embeddings(), model.get_output_embeddings()):
        if module is not None:
            found.setdefault(id(module.weight), module.weight)
    return list(found.values())


def make_scheduler(optimizer: Any, optim: OptimConfig, total_steps: int) -> Any:
    """Linear warm-up over warmup_ratio of the steps, then cosine down to lr * min_lr_ratio."""
    from transformers import get_cosine_with_min_lr_schedule_with_warmup

    warmup = round(optim.warmup_ratio * total_steps)
    return get_cosine_with_min_lr_schedule_with_warmup(
        optimizer, num_warmup_steps=warmup, num_training_steps=max(total_steps, 1),
        min_lr_rate=optim.min_lr_ratio,
    )


def causal_lm_loss_sum(logits: Any, labels: Any) -> Any:
    """Summed next-token cross-entropy: position t predicts labels[t + 1]; -100 is ignored.

    The labels are shifted (padded with -100) rather than the logits sliced, which would copy
    the largest tensor of a tiny model (transformers' ForCausalLMLoss does the same).
    """
    import torch.nn.functional as F

    shifted = F.pad(labels, (0, 1), value=IGNORE_INDEX)[:, 1:]
    return F.cross_entropy(logits.float().flatten(0, 1), shifted.flatten(),
                           ignore_index=IGNORE_INDEX, reduction="sum")


def count_label_tokens(batch: dict[str, Any]) -> int:
    """Positions that carry a loss: labels[:, 1:] that are not -100."""
    return int((batch["labels"][:, 1:] != IGNORE_INDEX).sum())


def count_input_tokens(batch: dict[str, Any]) -> int:
    """Real (non-padding) input tokens of a batch."""
    mask = batch.get("attention_mask")
    return int(mask.sum()) if mask is not None else batch["input_ids"].numel()


def train(model: Any, batches: Iterable[dict[str, Any]], total_steps: int, optim: OptimConfig,
          run: Any | None, *, desc: str = "train", log_every: int = 10,
          seed: int = 0, cpu: bool = False, embed_lr_mult: float = 1.0) -> TrainStats:
    """Train `model` for `total_steps` optimizer steps of `optim.grad_accum` micro-batches.

    Args:
        model: a causal LM (returns `.logits`); trained in place.
        batches: micro-batches {"input_ids", "labels", optional "attention_mask"} (CPU
            tensors); consumed in order, `grad_accum` per step; the loop stops early if they
            run out.
        total_steps: optimizer steps (sets the learning-rate schedule).
        optim: optimizer settings.
        run: a `langtransfer.runs.Run` for metrics records, or None.
        desc: progress-bar label and the `phase` field of the records.
        log_every: write a record every this many steps (and at the last one).
        seed: seeds torch (dropout etc.); the same seed and data give bit-identical weights
            (checked on CPU and on an H200 in bf16).
        cpu: train on the CPU in fp32 even when a GPU is present.
        embed_lr_mult: learning-rate multiplier of the input embedding and LM head
            (`make_optimizer`). Only parameters with requires_grad train: freeze the rest
            first for an embeddings-only phase (train.model.embeddings_only).

    Returns:
        TrainStats of the run.
    """
    import torch

    torch.manual_seed(seed)
    accelerator = make_accelerator(cpu)
    model.train()
    optimizer = make_optimizer(model, optim, embed_lr_mult)
    scheduler = make_scheduler(optimizer, optim, total_steps)  # stepped by hand, not prepared:
    # accelerate's wrapped scheduler steps once per process, which would shorten the schedule.
    model, optimizer = accelerator.prepare(model, optimizer)
    state = LoopState()
    recent: deque[Any] = deque(maxlen=LAST_N)
    micro = iter(batches)
    start = time.perf_counter()
    with _progress(desc, total_steps) as progress:
        while state.step < total_steps:
            group = list(islice(micro, optim.grad_accum))
            if not group:
                break
            lr = scheduler.get_last_lr()[0]  # the rate this step uses (logged below)
            loss = _optimizer_step(model, optimizer, group, accelerator, optim.grad_clip)
            scheduler.step()
            state.step += 1
            state.batches_done += len(group)
            state.tokens += sum(count_input_tokens(b) for b in group)
            recent.append(loss)
            seconds = time.perf_counter() - start
            if state.step % log_every == 0 or state.step == total_steps:
                _log(run, desc, state, float(loss), lr, seconds)
                progress.show(loss=float(loss), tokens_per_s=state.tokens / max(seconds, 1e-9))
            progress.advance()
    model.eval()
    return _stats(state, recent, time.perf_counter() - start)


def evaluate_loss(model: Any, batches: Iterable[dict[str, Any]]) -> float:
    """Token-mean next-token loss of `model` over batches (no gradients; model left in eval).

    Args:
        model: a causal LM.
        batches: batches as for `train`.

    Returns:
        Mean loss in nats per label token (nan when there are no label tokens).
    """
    import torch

    device = next(model.parameters()).device
    model.eval()
    total, n_labels = 0.0, 0
    with torch.no_grad():
        for batch in batches:
            total += float(_forward_loss_sum(model, batch, device))
            n_labels += count_label_tokens(batch)
    return total / n_labels if n_labels else float("nan")


def _optimizer_step(model: Any, optimizer: Any, group: list[dict[str, Any]], accelerator: Any,
                    grad_clip: float) -> Any:
    """Forward/backward over the micro-batches of one step, then clip and step.

    Returns the step's token-mean loss as a detached 0-d tensor (no device sync here).
    """
    n_labels = max(sum(count_label_tokens(b) for b in group), 1)
    total = None
    for i, batch in enumerate(group):
        last = i == len(group) - 1
        # no_sync: under DDP, all-reduce gradients only once, after the last micro-batch.
        sync = contextlib.nullcontext() if last else accelerator.no_sync(model)
        with sync:
            loss_sum = _forward_loss_sum(model, batch, accelerator.device)
            accelerator.backward(loss_sum / n_labels)
        total = loss_sum.detach() if total is None else total + loss_sum.detach()
    if grad_clip > 0:
        accelerator.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return total / n_labels


def _forward_loss_sum(model: Any, batch: dict[str, Any], device: Any) -> Any:
    """Summed loss of one micro-batch on `device`."""
    input_ids = batch["input_ids"].to(device)
    mask = batch.get("attention_mask")
    out = model(input_ids=input_ids, attention_mask=None if mask is None else mask.to(device),
                use_cache=False)  # no KV cache while training
    return causal_lm_loss_sum(out.logits, batch["labels"].to(device))


def _log(run: Any | None, desc: str, state: LoopState, loss: float, lr: float,
         seconds: float) -> None:
    if run is None:
        return
    run.log(phase=desc, step=state.step, loss=round(loss, 6), lr=lr, tokens=state.tokens,
            tokens_per_s=round(state.tokens / max(seconds, 1e-9), 1))


def _stats(state: LoopState, recent: deque, seconds: float) -> TrainStats:
    losses = [float(x) for x in recent]
    return TrainStats(
        steps=state.step,
        tokens=state.tokens,
        final_loss=losses[-1] if losses else float("nan"),
        mean_last10_loss=sum(losses) / len(losses) if losses else float("nan"),
        seconds=round(seconds, 3),
        tokens_per_s=round(state.tokens / max(seconds, 1e-9), 1),
    )


class _Progress:
    """A rich progress bar (loss, tokens/s, ETA) that stays silent when stdout is not a TTY."""

    def __init__(self, desc: str, total: int):
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeRemainingColumn)

        console = Console()
        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.3f}"),
            TextColumn("{task.fields[tokens_per_s]:,.0f} tok/s"), TimeRemainingColumn(),
            console=console, disable=not console.is_terminal, transient=False,
        )
        self._task = self._bar.add_task(desc, total=total, loss=float("nan"), tokens_per_s=0.0)

    def show(self, **fields: float) -> None:
        """Update the displayed loss / tokens per second."""
        self._bar.update(self._task, **fields)

    def advance(self) -> None:
        """One step done."""
        self._bar.advance(self._task)


@contextlib.contextmanager
def _progress(desc: str, total: int) -> Iterator[_Progress]:
    progress = _Progress(desc, total)
    with progress._bar:
        yield progress
