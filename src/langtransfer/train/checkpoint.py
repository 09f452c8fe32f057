"""Checkpoints every N steps and exact resume; a run directory that is safe with several processes.

Exercised by `langtransfer train cpt CONFIG --out RUN` run twice after a crash (the second run
resumes) and by tests/unit/train/test_train_resume.py (a CPT run killed with SIGKILL and rerun
finishes with bit-identical weights).

Layout: `<run>/checkpoints/step-N/` (N = optimizer steps of the run, over all its phases) holds
what `accelerate.Accelerator.save_state` writes — model weights, optimizer, the registered
learning-rate scheduler, every process's RNG states (and, under FSDP / DeepSpeed, their sharded
files) — plus `loop_state.json`: the phase, the loop position (`LoopState`: steps, tokens,
micro-batches consumed), the last losses, the phases already finished and how many
metrics.jsonl records existed at that moment.

Atomicity: a checkpoint is written into `.tmp-step-N/`, and renamed to `step-N/` only after
every process has written its part and `loop_state.json` is in place; a directory named
`step-N` is therefore always complete, and partial ones (`.tmp-*`) are deleted at the next
start. DONE (runs.py) is written only after the final model is saved, so neither a partial
checkpoint nor a checkpoint-only directory can pass for a finished run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from langtransfer.errors import UserError
from langtransfer.files import read_jsonl, write_json, write_text
from langtransfer.runs import Run, is_done, open_run

CHECKPOINTS = "checkpoints"
STATE_FILE = "loop_state.json"
_COMPLETE = re.compile(r"^step-(\d+)$")
_PARTIAL_PREFIX = ".tmp-"


@dataclass
class Checkpoint:
    """A complete checkpoint on disk."""

    path: Path
    """The step-N directory."""
    step: int
    """Optimizer steps of the run when it was written (all phases)."""
    meta: dict[str, Any]
    """The contents of loop_state.json."""


class Checkpointer:
    """Writes `step-N` checkpoints atomically, keeps the last K and finds the latest one."""

    def __init__(self, root: str | Path, every: int, keep: int = 2):
        """Set up the folder's handling (nothing is written yet).

        Args:
            root: the checkpoints folder (`<run>/checkpoints`).
            every: save every this many optimizer steps (0: only when asked explicitly).
            keep: complete checkpoints kept; older ones are deleted after a new one lands.
        """
        self.root = Path(root)
        self.every = every
        self.keep = keep

    def due(self, global_step: int) -> bool:
        """Whether the step just finished should be checkpointed."""
        return self.every > 0 and global_step > 0 and global_step % self.every == 0

    def latest(self) -> Checkpoint | None:
        """The complete checkpoint with the most steps, or None."""
        found = self._complete()
        if not found:
            return None
        step, path = found[-1]
        meta = json.loads((path / STATE_FILE).read_text(encoding="utf-8"))
        return Checkpoint(path=path, step=step, meta=meta)

    def remove_partial(self) -> None:
        """Delete `.tmp-*` leftovers of a crash mid-save (main process only)."""
        if self.root.is_dir():
            for path in self.root.iterdir():
                if path.name.startswith(_PARTIAL_PREFIX):
                    shutil.rmtree(path, ignore_errors=True)

    def save(self, accelerator: Any, global_step: int, meta: dict[str, Any]) -> Path:
        """Write a checkpoint of everything `accelerator` tracks, then rename it into place.

        Every process must call this (each writes its RNG state, and its shards under FSDP /
        DeepSpeed); the main process writes `meta` as loop_state.json, renames and prunes.

        Returns:
            The step-N directory.
        """
        final = self.root / f"step-{global_step}"
        tmp = self.root / f"{_PARTIAL_PREFIX}step-{global_step}"
        if accelerator.is_main_process:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
        accelerator.wait_for_everyone()
        accelerator.save_state(str(tmp), safe_serialization=True)
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            write_json(tmp / STATE_FILE, meta)
            _fsync_dir(tmp)
            if final.exists():  # a step re-reached after a resume: the new one replaces it
                shutil.rmtree(final)
            os.replace(tmp, final)
            _fsync_dir(self.root)
            self._prune()
        accelerator.wait_for_everyone()
        return final

    def load(self, accelerator: Any, checkpoint: Checkpoint) -> None:
        """Restore model, optimizer, scheduler and RNG states (every process calls this)."""
        accelerator.load_state(str(checkpoint.path))

    def remove_all(self) -> None:
        """Delete the checkpoints folder (after the run is DONE: the saved model is the result)."""
        shutil.rmtree(self.root, ignore_errors=True)

    def _complete(self) -> list[tuple[int, Path]]:
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.iterdir():
            match = _COMPLETE.match(path.name)
            if match and (path / STATE_FILE).is_file():
                found.append((int(match.group(1)), path))
        return sorted(found)

    def _prune(self) -> None:
        for _, path in self._complete()[:-self.keep]:
            shutil.rmtree(path, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    """Flush a directory entry (the rename) to disk where the OS allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class WorkerRun(Run):
    """The run handle of a non-main process: the same fields, every write is skipped."""

    def log(self, **record: Any) -> None:
        """Only the main process writes metrics."""

    def update_manifest(self, **fields: Any) -> None:
        """Only the main process writes the manifest."""
        self.manifest.update(fields)

    def finish(self, **fields: Any) -> None:
        """Only the main process writes DONE."""


def open_resumable_run(path: str | Path, cfg: Any, stage: str, *, seed: int | None = None,
                       inputs: dict[str, str | Path] | None = None) -> Run | None:
    """`runs.open_run(..., resume=True)` that also works under `accelerate launch`.

    The main process opens the directory (keeping an unfinished one with the same config hash,
    so its checkpoints survive); the others wait for it and get a `WorkerRun` that writes
    nothing. All processes return None when the run is already DONE.

    Args:
        path: the run directory.
        cfg: the stage config (its hash decides skip / resume / fresh start).
        stage: stage name for the manifest.
        seed: seed recorded in the manifest.
        inputs: name -> file/folder hashed into the manifest (hub names are recorded as
            `hub_inputs` instead).
    """
    from accelerate import PartialState

    from langtransfer.modeling import is_hub_name

    import torch

    # The first PartialState fixes the process group for the whole process: without CUDA it
    # must be the CPU one (gloo), as make_accelerator will ask, or every process runs alone.
    state = PartialState(cpu=not torch.cuda.is_available())
    run = None
    local = {k: v for k, v in (inputs or {}).items() if not is_hub_name(v)}
    hub = {k: str(v) for k, v in (inputs or {}).items() if is_hub_name(v)}
    if state.is_main_process:
        run = open_run(path, cfg, stage, seed=seed, inputs=local, resume=True)
        if run is not None and hub:  # a hub model has no local files to hash: record its name
            run.update_manifest(hub_inputs=hub)
    state.wait_for_everyone()
    if state.is_main_process:
        return run
    if is_done(path, cfg.config_hash()):
        return None
    return WorkerRun(path=Path(path), config_hash=cfg.config_hash(), stage=stage)


def rewind_metrics(run: Run, n_records: int) -> None:
    """Keep only the first `n_records` records of metrics.jsonl (what a checkpoint saw).

    Records written after the checkpoint belong to steps that the resumed run repeats; dropping
    them keeps every step in metrics.jsonl exactly once.
    """
    path = run.metrics_path
    if not path.is_file():
        return
    rows = read_jsonl(path, strict=False)
    if len(rows) == n_records:
        return
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n"
                   for r in rows[:n_records])
    write_text(path, text)


def count_metrics(run: Run) -> int:
    """Records in metrics.jsonl (a truncated last line is not counted)."""
    path = run.metrics_path
    return len(read_jsonl(path, strict=False)) if path.is_file() else 0


def finished_earlier(session: Any, desc: str) -> Any:
    """The TrainStats of phase `desc` when a previous attempt finished it and a later phase
    owns the latest checkpoint (which restores the model); None otherwise. Counts the phase
    into the session's totals."""
    from langtransfer.train.loop import TrainStats

    ckpt = session.resume_from
    if ckpt is None or ckpt.meta["phase"] == desc:
        return None
    for row in ckpt.meta["finished"]:
        if row["phase"] == desc:
            stats = TrainStats(**{k: v for k, v in row.items() if k != "phase"})
            session.finished.append(row)
            session.steps_before += stats.steps
            session.tokens_before += stats.tokens
            return stats
    return None


def resume_phase(session: Any, desc: str, scheduler: Any) -> Any:
    """Restore phase `desc` from the latest checkpoint when it belongs to it (model, optimizer,
    RNG, schedule); returns its LoopState, or a fresh one.

    Raises:
        UserError: the checkpoint was written by another number of processes.
    """
    from langtransfer.train.loop import LoopState

    ckpt = session.resume_from
    if ckpt is None or ckpt.meta["phase"] != desc:
        return LoopState()
    if ckpt.meta["world_size"] != session.world_size:
        raise UserError(f"{ckpt.path}: written by {ckpt.meta['world_size']} processes, resumed "
                        f"with {session.world_size}; relaunch with the same number")
    session.checkpointer.load(session.accelerator, ckpt)
    scheduler.load_state_dict(ckpt.meta["scheduler"])
    return LoopState(**ckpt.meta["state"])


def checkpoint_due(session: Any, state: Any, last: bool, at_end: bool) -> bool:
    """Whether to checkpoint after this step: every `checkpoint_every` run steps (not at a
    phase's last step, which the final save covers) or at the end when `at_end`."""
    ckpt = session.checkpointer
    if ckpt is None or ckpt.every == 0:
        return False
    return (at_end and last) or (not last and ckpt.due(session.steps_before + state.step))


def save_phase_checkpoint(session: Any, desc: str, state: Any, scheduler: Any,
                          total_steps: int) -> None:
    """Checkpoint the phase's position (every process calls this)."""
    meta = {
        "phase": desc, "state": asdict(state), "scheduler": scheduler.state_dict(),
        "total_steps": total_steps, "world_size": session.world_size,
        "finished": list(session.finished),
        "metrics_records": count_metrics(session.run) if session.is_main else None,
    }
    session.checkpointer.save(session.accelerator, session.steps_before + state.step, meta)


def shards_parameters(accelerator: Any) -> bool:
    """Whether no single process holds the full weights (FSDP or DeepSpeed ZeRO-3)."""
    from accelerate.utils import DistributedType

    if accelerator.distributed_type == DistributedType.FSDP:
        return True
    plugin = accelerator.state.deepspeed_plugin
    return plugin is not None and plugin.zero_stage == 3


def save_trained(session: Any, model: Any, tok: Any, out: str | Path) -> Any:
    """Save the trained model as a plain transformers folder (main process writes).

    LoRA adapters are merged first (`merge_and_unload`), so the next stage loads an ordinary
    model. Under FSDP / ZeRO-3 the full weights are gathered from the processes first
    (every process must call this).

    Args:
        session: the stage's loop.TrainSession.
        model: the trained model (the object the stage passed to `train`).
        tok: its tokenizer, saved beside it.
        out: the run directory.

    Returns:
        The plain (merged) model.
    """
    from langtransfer.modeling import quiet_transformers, save_model_and_tokenizer
    from langtransfer.train.lora import merge_lora

    acc = session.accelerator
    if shards_parameters(acc):  # start_session rejects LoRA here: merging needs full weights
        state_dict = acc.get_state_dict(session.prepared)  # collective: all processes
        plain = acc.unwrap_model(session.prepared)
        if acc.is_main_process:
            quiet_transformers()
            plain.save_pretrained(out, state_dict=state_dict, safe_serialization=True)
            tok.save_pretrained(out)
    else:
        plain = merge_lora(model)
        if acc.is_main_process:
            save_model_and_tokenizer(plain, tok, out)
    acc.wait_for_everyone()
    return plain
