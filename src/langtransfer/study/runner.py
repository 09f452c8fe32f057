"""Run a study: its stage DAG on parallel workers, resumable at any point, then the report.

    langtransfer study run studies/miniworld-zh.yaml --out runs/zh [--set runner.workers=2]
    langtransfer study status runs/zh [--json]

A stage starts when every stage it depends on is DONE; each runs in its own process (or cluster
job, study.executors) with its config passed by value. A finished stage (DONE holding its
config hash) is never recomputed, so a rerun — after a crash, Ctrl-C or SIGKILL — continues
where the study stopped: a stage that was cut off starts again (CPT and SFT from their last
checkpoint), and the report is rebuilt last from the run directories. `<out>/stages.jsonl`
records every attempt (stage, worker, seconds, tokens, timestamps); `study status` reads it,
the locks and the DONE markers. docs/study.md ("Running", "Resuming", "Clusters").

Modules: study.scheduler (the DAG loop), study.executors (processes, submitit jobs, locks),
study.layout (files under <out>), study.status (`study status`).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from langtransfer.errors import UserError
from langtransfer.files import write_text
from langtransfer.study.config import RunnerConfig, StudyConfig
from langtransfer.study.executors import make_executor
from langtransfer.study.grid import Stage, plan
from langtransfer.study.layout import (STAGES_LOG, STUDY_FILE, load_study_config,
                                       read_stage_log)
from langtransfer.study.scheduler import Scheduler
from langtransfer.study.status import print_status, study_status

_RUNS = {"world": "langtransfer.miniworld.generate:generate",
         "base": "langtransfer.miniworld.base:run", "vocab": "langtransfer.vocab.stage:run",
         "cpt": "langtransfer.train.cpt:run", "sft": "langtransfer.train.sft:run",
         "eval": "langtransfer.eval.run:run"}


def _stage_runner(kind: str) -> str:
    """The `run(cfg, out)` function of a stage kind, as 'module:attr' (imported by the job)."""
    if kind not in _RUNS:
        raise ValueError(f"unknown stage kind {kind!r}")
    return _RUNS[kind]


# ---- settings ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunnerSettings:
    """Resolved runner settings."""

    workers: int
    threads: int
    executor: str


def machine_cores() -> int:
    """Cores this process may use (affinity / cgroup aware where the OS tells)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def default_workers(cores: int) -> int:
    """Stages at once on a machine with `cores` cores and no runner.workers setting.

    One single-threaded stage per core: on the idle 2-core machine a stage runs 1.6-2x faster
    on 2 threads than on 1, while two 1-thread stages side by side do 2x the work, and the
    MiniWorld grids always have two stages ready after the base (docs/study.md, "Running",
    measured 2026-11-26). Capped at 8: each stage process holds ~0.5 GB.
    """
    return max(1, min(cores, 8))


def resolve_runner(rc: RunnerConfig, cores: int | None = None) -> RunnerSettings:
    """Workers and torch threads per stage from `runner` (None: fit the machine)."""
    cores = cores or machine_cores()
    if rc.executor == "submitit":
        # cluster jobs: every ready stage is submitted (the queue decides); threads are the
        # job's cpus_per_task, else the stage configs' default of 2
        workers = rc.workers or 1_000
        threads = rc.threads_per_worker or int(rc.submitit.get("cpus_per_task", 2))
        return RunnerSettings(workers, threads, rc.executor)
    workers = rc.workers or default_workers(cores)
    return RunnerSettings(workers, rc.threads_per_worker or max(1, cores // workers), rc.executor)


def with_threads(cfg: StudyConfig, threads: int) -> StudyConfig:
    """The study with every stage section that has a `threads` field set to `threads`, or to
    runner.threads_by_kind[kind] for the kinds it names.

    Threads are part of a stage's config (and hash): float reductions may split differently
    with another thread count. Pin runner.threads_per_worker to keep stage ids the same across
    machines and worker counts.
    """
    section_kind = {"world": "world", "base": "base", "vocab_extension": "vocab", "cpt": "cpt",
                    "sft": "sft", "eval": "eval"}
    updates = {f"{name}.threads": cfg.runner.threads_by_kind.get(kind, threads)
               for name, kind in section_kind.items()
               if "threads" in type(getattr(cfg, name)).model_fields}
    return cfg.with_updates(updates)


def _progress(console: Console, total: int) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, \
        TimeElapsedColumn

    return Progress(TextColumn("study"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("stages"), TimeElapsedColumn(), TextColumn("{task.fields[eta]}"),
                    console=console, disable=not console.is_terminal, transient=True)


class _Interrupted(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so running stages are stopped on the way out."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Interrupted()


def run_study(cfg: StudyConfig, out: str | Path, console: Console | None = None) -> list[Stage]:
    """Run every stage of `cfg` under `out` (skipping DONE ones), then write the report.

    Args:
        cfg: the study; `cfg.runner` says how (workers, threads, executor).
        out: the study output directory.
        console: where progress goes (default: stderr).

    Returns:
        The planned stages (with the runner's threads applied to their configs).

    Raises:
        UserError: a stage failed (after every stage that did not depend on it ran); rerunning
            the same command retries it.
    """
    from langtransfer.study.report import print_summary, write_report

    console = console or Console(stderr=True)
    out = Path(out)
    settings = resolve_runner(cfg.runner)
    cfg = with_threads(cfg, settings.threads)
    stages = plan(cfg, out)  # validates every stage config before anything runs
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / STUDY_FILE, cfg.to_yaml())
    runner = cfg.runner
    executor = make_executor(settings.executor, out, runner.submitit, runner.submitit_folder,
                             settings.threads)
    # _stage_runner is looked up here, not imported by the scheduler: tests replace it
    sched = Scheduler(stages, executor, settings.workers, settings.threads, out, console,
                      _stage_runner)
    t0 = time.time()
    console.print(f"{cfg.name}: {len(stages)} stages, {len(sched.done)} already done; "
                  f"{settings.workers} worker(s) × {settings.threads} thread(s), "
                  f"{settings.executor} executor", highlight=False, soft_wrap=True)
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if main else None
    try:
        with _progress(console, len(stages)) as progress:
            sched.progress, sched.task = progress, progress.add_task(
                "study", total=len(stages), completed=len(sched.done), eta="")
            sched.run()
    finally:
        executor.close()
        if main:
            signal.signal(signal.SIGTERM, previous)
    if sched.failed:
        first = next(iter(sched.failed.items()))
        raise UserError(f"{len(sched.failed)} stage(s) failed, first {first[0]}: {first[1]}; "
                        f"finished stages are kept: rerun the same command to retry")
    write_report(cfg, out)  # last: rebuilt from the run directories on every run
    console.print(f"study finished in {time.time() - t0:.1f} s; report: {out / 'report.md'}",
                  highlight=False, soft_wrap=True)
    print_summary(cfg, out, console)
    return stages


__all__ = ["RunnerSettings", "STAGES_LOG", "STUDY_FILE", "default_workers", "load_study_config",
           "machine_cores", "print_status", "read_stage_log", "resolve_runner", "run_study",
           "study_status", "with_threads"]
