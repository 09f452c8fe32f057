"""The study scheduler: starts ready stages on free workers, reaps them, keeps the stage log.

    langtransfer study run studies/miniworld-zh.yaml --out runs/zh --set runner.workers=2

A stage is ready when every stage it depends on is DONE; among ready stages the one heading the
longest chain of remaining work (critical path, from a cost model refined by measured stage
times) starts first, so the single-chain bottleneck (world → base → CPT) never waits behind
short stages. A stage claims its directory's lock before it starts; one held by another live
process is waited for, never started twice. A failed stage blocks only the stages below it.
Used by study.runner.run_study; docs/study.md ("Running").
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from rich.console import Console

from langtransfer.files import append_jsonl
from langtransfer.runs import is_done
from langtransfer.study.executors import SUPERSEDED, Handle, Job, StageLock, write_job
from langtransfer.study.grid import Stage
from langtransfer.study.layout import (STAGES_LOG, jobs_dir, lock_for, log_for, stage_seconds,
                                       stage_tokens)

POLL_S = 0.2
"""Seconds between looks at running cluster jobs (a local child's exit wakes the runner at once)."""
HEARTBEAT_S = 5.0
"""The runner touches the locks of its running (e.g. queued cluster) jobs this often."""

# Fallback cost model for the ETA and the critical path until stages of a kind have finished
# (then their measured seconds per unit replace it). Units: training tokens (base, cpt),
# examples × epochs (sft), tasks (eval), one (world, vocab). Measured on 2 cores, 1 thread per
# stage, studies/miniworld-zh.yaml (docs/study.md, "Running").
DEFAULT_SECONDS_PER_UNIT = {"world": 5.0, "base": 1 / 12_000, "vocab": 3.0, "cpt": 1 / 15_000,
                            "sft": 1 / 60, "eval": 8.0}


# ---- cost model: ETA and critical path ---------------------------------------------------------

def _units(stage: Stage) -> float:
    if stage.kind in ("base", "cpt", "sft"):
        return float(stage.tokens or 1)
    if stage.kind == "eval":
        return float(len(getattr(stage.cfg, "tasks", []) or [1]))
    return 1.0


def estimate_seconds(stages: list[Stage], finished: dict[str, float]) -> dict[str, float]:
    """Expected seconds of each stage: seconds per unit measured on finished stages of its
    kind (`finished`: stage id -> seconds), else DEFAULT_SECONDS_PER_UNIT."""
    rate = dict(DEFAULT_SECONDS_PER_UNIT)
    for kind in rate:
        done = [st for st in stages if st.kind == kind and st.id in finished]
        if done:
            rate[kind] = sum(finished[st.id] for st in done) / sum(_units(st) for st in done)
    return {st.id: _units(st) * rate.get(st.kind, 5.0) for st in stages}


def critical_path(stages: list[Stage], cost: dict[str, float]) -> dict[str, float]:
    """Each stage's cost plus the longest chain of stages waiting on it (start those first)."""
    below: dict[str, list[str]] = {st.id: [] for st in stages}
    for st in stages:
        for dep in st.deps:
            below[dep].append(st.id)
    length: dict[str, float] = {}
    for st in reversed(stages):  # plan order is a topological order
        length[st.id] = cost[st.id] + max((length[c] for c in below[st.id]), default=0.0)
    return length


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else \
        f"{seconds // 60}m{seconds % 60:02d}s"


# ---- the scheduler -----------------------------------------------------------------------------

@dataclass
class _Running:
    stage: Stage
    handle: Handle
    lock: StageLock
    token: str
    worker: int
    started: float


class Scheduler:
    """Starts ready stages on free workers, reaps finished ones, until nothing is left.

    Args:
        stages: the plan (study.grid.plan), in dependency order.
        executor: where stages run (study.executors: `start(job, job_file) -> Handle`).
        workers: stages at once.
        threads: torch threads of each stage process.
        out: the study output directory.
        console: where the per-stage lines go.
        stage_runner: stage kind -> its `run(cfg, out)` as 'module:attr'.
    """

    def __init__(self, stages: list[Stage], executor: Any, workers: int, threads: int,
                 out: Path, console: Console, stage_runner: Callable[[str], str]):
        self.stages, self.executor, self.workers, self.threads = stages, executor, workers, threads
        self.out, self.console, self.stage_runner = out, console, stage_runner
        self.done = {st.id for st in stages if is_done(st.path, st.cfg.config_hash())}
        self.seconds = {st.id: s for st in stages if st.id in self.done
                        and (s := stage_seconds(st)) is not None}
        self.failed: dict[str, str] = {}
        self.running: dict[str, _Running] = {}
        self.busy: set[str] = set()  # stages held by another live process (noted once)
        self.free = list(range(workers))
        self.cost = estimate_seconds(stages, self.seconds)
        order = critical_path(stages, self.cost)
        self.todo = sorted((st for st in stages if st.id not in self.done),
                           key=lambda st: -order[st.id])
        self.progress: Any = None  # a rich Progress and its task id, set by the runner
        self.task: Any = None

    # -- bookkeeping

    def _log(self, event: str, stage: Stage, **fields: Any) -> None:
        append_jsonl(self.out / STAGES_LOG, {"event": event, "stage": stage.id, **fields})

    def _say(self, text: str) -> None:
        self.console.print(text, highlight=False, soft_wrap=True)

    def _count(self) -> str:
        return f"[{len(self.done)}/{len(self.stages)}]"

    def eta(self) -> float:
        """Seconds left: remaining estimated work spread over the workers."""
        now = time.time()
        left = sum(self.cost[st.id] for st in self.todo)
        left += sum(max(self.cost[r.stage.id] - (now - r.started), 0.0)
                    for r in self.running.values())
        return left / max(1, min(self.workers, len(self.todo) + len(self.running)))

    def _update_progress(self) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=len(self.done),
                                 eta=f"~{_clock(self.eta())} left" if self.todo or self.running
                                 else "")

    # -- launching

    def _ready(self) -> Iterator[Stage]:
        for st in list(self.todo):
            if not self.free:
                return
            if all(dep in self.done for dep in st.deps):
                yield st

    def _launch(self) -> None:
        for st in self._ready():
            if is_done(st.path, st.cfg.config_hash()):  # finished by another runner
                self._finish(st, None)
                continue
            lock = lock_for(self.out, st)
            token = lock.claim(stage=st.id, worker=self.free[0], executor=self.executor.name,
                               runner_pid=os.getpid())
            if token is None:
                if st.id not in self.busy:
                    self.busy.add(st.id)
                    holder = lock.holder() or {}
                    self._say(f"{self._count()} wait   {st.id}: running in another process "
                              f"(pid {holder.get('pid')} on {holder.get('host')})")
                continue
            if is_done(st.path, st.cfg.config_hash()):  # finished between the check and claim
                lock.release(token)
                self._finish(st, None)
                continue
            self._start(st, lock, token)

    def _start(self, st: Stage, lock: StageLock, token: str) -> None:
        worker = self.free.pop(0)
        cls = type(st.cfg)
        log = log_for(self.out, st)
        log.parent.mkdir(parents=True, exist_ok=True)
        job = Job(stage=st.id, run=self.stage_runner(st.kind),
                  config_class=f"{cls.__module__}:{cls.__qualname__}", config=st.cfg.to_dict(),
                  path=str(st.path), lock=str(lock.path), token=token,
                  threads=self.threads, log=str(log),
                  runner_pid=os.getpid() if self.executor.name == "local" else None)
        handle = self.executor.start(job, write_job(job, jobs_dir(self.out)))
        if handle.job_id:
            lock.update(token, job_id=handle.job_id)
        started = time.time()
        self.running[st.id] = _Running(st, handle, lock, token, worker, started)
        self.todo.remove(st)
        self.busy.discard(st.id)
        self._log("start", st, worker=worker, pid=handle.pid, job_id=handle.job_id,
                  executor=self.executor.name, started=round(started, 3))
        self._say(f"{self._count()} start  {st.id} (worker {worker})")

    # -- reaping

    def _finish(self, st: Stage, run: _Running | None) -> None:
        self.done.add(st.id)
        if st in self.todo:
            self.todo.remove(st)
        if run is None:
            self._say(f"{self._count()} done   {st.id} (finished by another process)")
            return
        now = time.time()
        secs = stage_seconds(st) or now - run.started
        self.seconds[st.id] = secs
        self.cost = estimate_seconds(self.stages, self.seconds)
        self._log("done", st, worker=run.worker, seconds=round(now - run.started, 3),
                  tokens=stage_tokens(st), started=round(run.started, 3),
                  finished=round(now, 3))
        self._say(f"{self._count()} done   {st.id} (worker {run.worker}, "
                  f"{now - run.started:.1f} s)")

    def _fail(self, run: _Running, why: str) -> None:
        st, now = run.stage, time.time()
        self.failed[st.id] = why
        self._log("failed", st, worker=run.worker, seconds=round(now - run.started, 3),
                  started=round(run.started, 3), finished=round(now, 3), error=why)
        self._say(f"{self._count()} [red]FAILED[/] {st.id} (worker {run.worker}, "
                  f"{now - run.started:.1f} s): {why}")
        blocked = {st.id}
        for other in list(self.todo):  # plan order: dependents come after their deps
            if any(dep in blocked for dep in other.deps):
                blocked.add(other.id)
                self.todo.remove(other)

    def _reap(self) -> None:
        for sid, run in list(self.running.items()):
            code = run.handle.poll()
            if code is None:
                continue
            del self.running[sid]
            self.free.append(run.worker)
            self.free.sort()
            run.lock.release(run.token)
            if code == SUPERSEDED:  # another attempt owns the stage: wait for it
                self.todo.insert(0, run.stage)
            elif code == 0 and is_done(run.stage.path, run.stage.cfg.config_hash()):
                self._finish(run.stage, run)
            else:
                why = run.handle.error() if code else "finished without its DONE marker"
                self._fail(run, why)

    def _wait(self) -> None:
        sentinels = [r.handle.sentinel for r in self.running.values()
                     if hasattr(r.handle, "sentinel")]
        if sentinels and len(sentinels) == len(self.running):
            from multiprocessing.connection import wait

            wait(sentinels, timeout=1.0 if self.busy or self.todo else None)
        else:
            time.sleep(POLL_S)

    # -- the loop

    def run(self) -> None:
        """Run until every stage is done, failed or blocked by a failure."""
        beat = time.time()
        try:
            while self.todo or self.running:
                self._reap()
                self._launch()
                self._update_progress()
                if time.time() - beat > HEARTBEAT_S:  # keep pending cluster jobs' locks fresh
                    beat = time.time()
                    for run in self.running.values():
                        run.lock.touch()
                if self.running or self.todo:
                    self._wait()
        finally:
            self.stop_all()

    def stop_all(self) -> None:
        """Stop running jobs (Ctrl-C, SIGTERM, a runner error) and free their locks."""
        for run in list(self.running.values()):
            run.handle.stop()
            run.lock.release(run.token)
            self._log("interrupted", run.stage, worker=run.worker,
                      seconds=round(time.time() - run.started, 3))
            self._say(f"{self._count()} stop   {run.stage.id} (worker {run.worker})")
        self.running.clear()



__all__ = ["DEFAULT_SECONDS_PER_UNIT", "Scheduler", "critical_path", "estimate_seconds"]
