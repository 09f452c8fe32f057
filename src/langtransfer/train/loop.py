"""The training loop shared by base pretraining, CPT and SFT: a plain loop on `accelerate`.

Exercised by `langtransfer miniworld base`, `langtransfer train cpt` and `langtransfer train sft`
(also under `accelerate launch`, see docs/training.md).

Why not HF `Trainer`: ENVIRONMENT.md measured ~60 ms/step of Trainer overhead at 0.4 M params,
more than half of a MiniWorld step, and `benchmarks/train_throughput.py` measures this loop at
the bare PyTorch loop's speed. `Accelerator` keeps the loop plain on one CPU and gives the same
loop DDP, FSDP and DeepSpeed under `accelerate launch`.

Loss: the token mean over all label positions of an optimizer step, across its accumulated
micro-batches (each micro-batch's summed loss is divided by the step's label count), so a
short final block or a padded SFT batch weighs exactly by its tokens.

Several processes: a step takes the next `grad_accum * world_size` micro-batches of the one
global order and each process trains on every world_size-th of them (global batch =
batch_size x grad_accum x world_size sequences). Every process sees the whole step's label
count, so the gradient (after DDP's average) and the logged loss (summed over processes) equal
a single process's on the same micro-batches.

A `TrainSession` carries what the phases of one stage share: the Accelerator, checkpoints
(train.checkpoint: every N steps, exact resume), callbacks (train.callbacks: retention curves)
and TensorBoard.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Iterable

from langtransfer.errors import ConfigError
from langtransfer.train.config import OptimConfig
from langtransfer.train.progress import train_progress

IGNORE_INDEX = -100  # label value excluded from the loss (PyTorch / transformers convention)
LAST_N = 10  # losses averaged for `mean_last10_loss`


@dataclass
class TrainStats:
    """What a training run did."""

    steps: int
    """Optimizer steps taken."""
    tokens: int
    """Input tokens fed to the model (padding excluded; all processes together)."""
    final_loss: float
    """Loss of the last optimizer step (token mean, nats)."""
    mean_last10_loss: float
    """Mean loss of the last 10 optimizer steps (less noisy than the final one)."""
    seconds: float
    """Wall time of the loop (summed over the attempts of a resumed run)."""
    tokens_per_s: float
    """tokens / seconds."""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for metrics and manifests)."""
        return asdict(self)


@dataclass
class LoopState:
    """Loop position: with model, optimizer and scheduler state, all a resume needs."""

    step: int = 0
    """Optimizer steps done in this phase."""
    tokens: int = 0
    """Input tokens consumed in this phase (all processes)."""
    batches_done: int = 0
    """Micro-batches of the global order consumed (the data position)."""
    seconds: float = 0.0
    """Loop wall time of earlier attempts (a resumed run's throughput counts them)."""
    losses: list[float] = field(default_factory=list)
    """Losses of the last LAST_N steps (final and mean-of-last-10 loss survive a resume)."""


@dataclass
class TrainSession:
    """What the training phases of one stage share (see `start_session`)."""

    accelerator: Any
    """The Accelerator (device, mixed precision, processes)."""
    run: Any | None = None
    """The run handle (runs.Run, or checkpoint.WorkerRun on non-main processes)."""
    checkpointer: Any | None = None
    """train.checkpoint.Checkpointer, or None (no checkpoints)."""
    callbacks: list[Any] = field(default_factory=list)
    """train.callbacks objects called before the first and after every step."""
    tensorboard: Any | None = None
    """train.callbacks.TensorBoardLogger (main process) or None."""
    resume_from: Any | None = None
    """The latest complete checkpoint found at the start (train.checkpoint.Checkpoint)."""
    steps_before: int = 0
    """Optimizer steps of the phases already finished (the run's step = this + phase step)."""
    tokens_before: int = 0
    """Tokens of the phases already finished."""
    finished: list[dict[str, Any]] = field(default_factory=list)
    """TrainStats (+ "phase") of the finished phases, in order."""
    prepared: Any = None
    """The model as the Accelerator wrapped it in the last phase (for a sharded save)."""
    autocast_bf16: bool = False
    """Run forward passes under torch.autocast(bf16) (a CUDA device with bf16 support)."""

    @property
    def is_main(self) -> bool:
        """Whether this process writes files."""
        return self.accelerator.is_main_process

    @property
    def world_size(self) -> int:
        """Number of training processes."""
        return self.accelerator.num_processes

    def log(self, record: dict[str, Any], global_step: int) -> None:
        """Write a metrics record (and its TensorBoard scalars) from the main process."""
        if not self.is_main:
            return
        if self.run is not None:
            self.run.log(**record)
        if self.tensorboard is not None:
            self.tensorboard.write(record, global_step)

    def close(self, *, remove_checkpoints: bool = True) -> None:
        """End of the stage (after DONE): close TensorBoard and delete the checkpoints, whose
        content the saved model supersedes."""
        if self.tensorboard is not None:
            self.tensorboard.close()
        self.accelerator.wait_for_everyone()
        if remove_checkpoints and self.checkpointer is not None and self.is_main:
            self.checkpointer.remove_all()


def start_session(run: Any | None, cfg: Any = None, tok: Any = None, *,
                  eval_seq_len: int = 512, cpu: bool = False) -> TrainSession:
    """The session of a CPT/SFT stage, built from its config's trainer fields.

    On a resumed run directory this finds the latest complete checkpoint, deletes partial
    ones, and cuts metrics.jsonl back to the records that checkpoint had seen (none when there
    is no checkpoint). Call it right after opening the run and before logging anything.

    Args:
        run: the run handle (None: no files at all).
        cfg: a CPTConfig / SFTConfig (checkpoint_every, keep_checkpoints, tensorboard,
            eval_every, eval_texts, eval_docs); None: a plain session (no checkpoints,
            callbacks or TensorBoard).
        tok: the training tokenizer (for retention evaluation).
        eval_seq_len: retention scoring window in tokens.
        cpu: train on the CPU even when a GPU is present.

    Raises:
        DataError: an eval_texts file is missing or empty.
    """
    from langtransfer.train.callbacks import RetentionCallback, open_tensorboard, read_eval_texts
    from langtransfer.train.checkpoint import (CHECKPOINTS, Checkpointer, rewind_metrics,
                                               shards_parameters)

    accelerator = make_accelerator(cpu)
    session = TrainSession(accelerator=accelerator, run=run,
                           autocast_bf16=accelerator.device.type == "cuda"
                           and accelerator.mixed_precision == "bf16")
    if cfg is None or run is None:
        return session
    if cfg.lora is not None and shards_parameters(session.accelerator):
        raise ConfigError("lora: not supported under FSDP / DeepSpeed ZeRO-3 (merging the "
                          "adapters at save needs the full weights); use DDP or ZeRO-2")
    if cfg.eval_every:
        texts = read_eval_texts(cfg.eval_texts, cfg.eval_docs)
        session.callbacks.append(RetentionCallback(texts, tok, eval_seq_len, cfg.eval_every))
    session.checkpointer = Checkpointer(Path(run.path) / CHECKPOINTS, cfg.checkpoint_every,
                                        cfg.keep_checkpoints)
    if session.is_main:
        session.checkpointer.remove_partial()
    session.accelerator.wait_for_everyone()
    latest = session.checkpointer.latest()
    session.resume_from = latest
    if session.is_main:
        rewind_metrics(run, latest.meta["metrics_records"] if latest else 0)
        if cfg.tensorboard:
            session.tensorboard = open_tensorboard(run.path, latest.step + 1 if latest else 0)
    return session


def make_accelerator(cpu: bool = False) -> Any:
    """An Accelerator: CPU in fp32 without CUDA (or when `cpu`); bf16 autocast on a GPU that
    supports it (ENVIRONMENT.md: on CPU, bf16 pays only above ~7 M parameters, so fp32 there).

    Under `accelerate launch` the launcher's settings (DDP / FSDP / DeepSpeed) apply. DDP
    does not search for unused parameters (every parameter that trains gets a gradient;
    ENVIRONMENT.md: set find_unused_parameters=False).
    """
    import torch
    from accelerate import Accelerator
    from accelerate.utils import DistributedDataParallelKwargs

    cuda = torch.cuda.is_available() and not cpu
    precision = "bf16" if cuda and torch.cuda.is_bf16_supported() else "no"
    ddp = DistributedDataParallelKwargs(find_unused_parameters=False)
    return Accelerator(cpu=not cuda, mixed_precision=precision, kwargs_handlers=[ddp])


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


def steps_per_phase(n_batches: int, optim: OptimConfig, session: TrainSession | None = None) -> int:
    """Optimizer steps for `n_batches` micro-batches: each step takes grad_accum micro-batches
    per process (the last step may take fewer)."""
    world = session.world_size if session is not None else 1
    return -(-n_batches // (optim.grad_accum * world))


def train(model: Any, batches: Iterable[dict[str, Any]], total_steps: int, optim: OptimConfig,
          run: Any | None, *, desc: str = "train", log_every: int = 10,
          seed: int = 0, cpu: bool = False, embed_lr_mult: float = 1.0,
          session: TrainSession | None = None, checkpoint_at_end: bool = False) -> TrainStats:
    """Train `model` for `total_steps` optimizer steps of `optim.grad_accum` micro-batches
    per process.

    Args:
        model: a causal LM (returns `.logits`); trained in place.
        batches: micro-batches {"input_ids", "labels", optional "attention_mask"} (CPU
            tensors) in one global order, the same in every process; consumed in order,
            `grad_accum * world_size` per step; the loop stops early if they run out.
        total_steps: optimizer steps (sets the learning-rate schedule; `steps_per_phase`).
        optim: optimizer settings.
        run: a `langtransfer.runs.Run` for metrics records, or None.
        desc: progress-bar label, the `phase` field of the records and the phase name in
            checkpoints (unique within a stage).
        log_every: write a record every this many steps (and at the last one).
        seed: seeds torch (dropout etc.); the same seed and data give bit-identical weights
            (checked on CPU and on an H200 in bf16).
        cpu: train on the CPU in fp32 even when a GPU is present (without a session).
        embed_lr_mult: learning-rate multiplier of the input embedding and LM head
            (`make_optimizer`). Only parameters with requires_grad train: freeze the rest
            first for an embeddings-only phase (train.model.embeddings_only).
        session: the stage's TrainSession (checkpoints, resume, callbacks, several
            processes); None: a plain one for this call.
        checkpoint_at_end: also checkpoint after the last step (for a phase that another
            phase follows, so a resume can start the next phase from it).

    Returns:
        TrainStats of the run (of all attempts, when resumed).
    """
    import torch

    from langtransfer.train.checkpoint import (checkpoint_due, finished_earlier, resume_phase,
                                               save_phase_checkpoint)

    session = session if session is not None else start_session(run, cpu=cpu)
    earlier = finished_earlier(session, desc)
    if earlier is not None:
        return earlier
    accelerator = session.accelerator
    if session.prepared is not None:  # forget the previous phase's model and optimizer
        session.prepared = None
        accelerator.free_memory()
    torch.manual_seed(seed)
    model.train()
    optimizer = make_optimizer(model, optim, embed_lr_mult)
    scheduler = make_scheduler(optimizer, optim, total_steps)  # stepped by hand, not prepared:
    # accelerate's wrapped scheduler steps once per process, which would shorten the schedule.
    _configure_deepspeed(accelerator, optim)
    prepared, optimizer = accelerator.prepare(model, optimizer)
    session.prepared = prepared
    state = resume_phase(session, desc, scheduler)
    recent: deque[Any] = deque(state.losses, maxlen=LAST_N)
    per_step = optim.grad_accum * accelerator.num_processes
    micro = islice(iter(batches), state.batches_done, None)  # skip what a resume already did
    if state.step == 0:  # a resumed phase evaluated its checkpoint's step before saving it
        _call_back(session, prepared, state, desc, last=False)
    start = time.perf_counter() - state.seconds
    with train_progress(desc, total_steps, state.step, session.is_main) as progress:
        while state.step < total_steps:
            group = list(islice(micro, per_step))
            if not group:
                break
            lr = scheduler.get_last_lr()[0]  # the rate this step uses (logged below)
            loss = _optimizer_step(prepared, optimizer, group, accelerator, optim.grad_clip,
                                   session.autocast_bf16)
            scheduler.step()
            state.step += 1
            state.batches_done += len(group)
            state.tokens += sum(count_input_tokens(b) for b in group)
            recent.append(loss)
            seconds = time.perf_counter() - start
            last = state.step == total_steps
            _call_back(session, prepared, state, desc, last=last)
            if state.step % log_every == 0 or last:
                _log(session, desc, state, float(loss), lr, seconds)
                progress.show(loss=float(loss), tokens_per_s=state.tokens / max(seconds, 1e-9))
            progress.advance()
            if checkpoint_due(session, state, last, checkpoint_at_end):
                state.seconds, state.losses = seconds, [float(x) for x in recent]
                save_phase_checkpoint(session, desc, state, scheduler, total_steps)
    # Give the caller its model back without accelerate's mixed-precision forward patch (a
    # second phase or stage would otherwise nest another one); the wrapper stays in session.
    accelerator.unwrap_model(prepared, keep_fp32_wrapper=False)
    model.eval()
    stats = _stats(state, recent, time.perf_counter() - start)
    session.finished.append({"phase": desc, **stats.to_dict()})
    session.steps_before += stats.steps
    session.tokens_before += stats.tokens
    return stats


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
                    grad_clip: float, autocast_bf16: bool = False) -> Any:
    """Forward/backward over this process's share of a step's micro-batches, clip and step.

    Returns the step's token-mean loss over all processes as a detached 0-d tensor (no device
    sync here).
    """
    import torch

    world = accelerator.num_processes
    n_labels = max(sum(count_label_tokens(b) for b in group), 1)  # the whole step's labels
    mine = group[accelerator.process_index::world]
    # A process left without a micro-batch (a short last step) still runs one at weight 0:
    # every DDP process must join the gradient all-reduce.
    weights = [1.0] * len(mine) if mine else [0.0]
    mine = mine or group[:1]
    deepspeed = _is_deepspeed(accelerator)
    total = torch.zeros((), device=accelerator.device)
    for i, (batch, weight) in enumerate(zip(mine, weights)):
        last = i == len(mine) - 1
        # no_sync: under DDP, all-reduce gradients only once, after the last micro-batch.
        sync = contextlib.nullcontext() if last else accelerator.no_sync(model)
        if deepspeed:  # DeepSpeed steps inside backward at the boundary the loop marks
            accelerator.gradient_state._set_sync_gradients(last)
        # Explicit autocast as well as accelerate's forward patch: on an H200 (torch 2.11,
        # transformers 5.17, accelerate 1.15) the patched forward alone left the matrix products
        # in float32 (the 1.26 B benchmark model: 5.9k vs 40k tokens/s of a bare autocast loop;
        # HF Trainer with bf16=True did the same there; cause not established). Nested autocast
        # is a no-op where accelerate's patch works.
        amp = (torch.autocast("cuda", dtype=torch.bfloat16) if autocast_bf16
               else contextlib.nullcontext())
        with sync, amp:
            loss_sum = _forward_loss_sum(model, batch, accelerator.device)
            # x world: DDP averages the processes' gradients; this restores the global sum
            accelerator.backward(loss_sum * (weight * world) / n_labels)
        total = total + loss_sum.detach().float() * weight
    if grad_clip > 0:
        accelerator.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    if world > 1:
        total = accelerator.reduce(total, "sum")
    return total / n_labels


def _forward_loss_sum(model: Any, batch: dict[str, Any], device: Any) -> Any:
    """Summed loss of one micro-batch on `device`.

    Optional keys go to the model as given: `attention_mask` (padding) and `position_ids`
    (packed SFT sequences restart positions per example; with no mask, transformers then keeps
    attention inside each example).
    """
    extra = {k: batch[k].to(device) for k in ("attention_mask", "position_ids")
             if batch.get(k) is not None}
    out = model(input_ids=batch["input_ids"].to(device), use_cache=False,  # no KV cache
                **extra)
    return causal_lm_loss_sum(out.logits, batch["labels"].to(device))


def _is_deepspeed(accelerator: Any) -> bool:
    return accelerator.state.deepspeed_plugin is not None


def _configure_deepspeed(accelerator: Any, optim: OptimConfig) -> None:
    """DeepSpeed needs its batch settings before `prepare` (there is no DataLoader to infer
    them from). Accumulation is the loop's (it marks each step's last micro-batch), so
    DeepSpeed's own count is 1 and it does not rescale the loss; clipping follows the config."""
    if not _is_deepspeed(accelerator):
        return
    ds = accelerator.state.deepspeed_plugin.deepspeed_config
    ds["train_micro_batch_size_per_gpu"] = optim.batch_size
    ds["gradient_accumulation_steps"] = 1
    ds["train_batch_size"] = optim.batch_size * accelerator.num_processes
    ds["gradient_clipping"] = optim.grad_clip


def _call_back(session: TrainSession, model: Any, state: LoopState, desc: str,
               last: bool) -> None:
    """Run the callbacks (every process) and log what they return (main process)."""
    if not session.callbacks or (state.step == 0 and session.steps_before > 0):
        return  # a later phase's step 0 is the previous phase's last step: already evaluated
    step, tokens = session.steps_before + state.step, session.tokens_before + state.tokens
    for callback in session.callbacks:
        for record in callback.on_step(model, session.accelerator, step=step, tokens=tokens,
                                       phase=desc, last=last):
            session.log(record, step)


def _log(session: TrainSession, desc: str, state: LoopState, loss: float, lr: float,
         seconds: float) -> None:
    record = {"phase": desc, "step": state.step, "loss": round(loss, 6), "lr": lr,
              "tokens": state.tokens, "tokens_per_s": round(state.tokens / max(seconds, 1e-9), 1)}
    session.log(record, session.steps_before + state.step)


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
