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
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from rich.console import Console

from langtransfer.errors import UserError
from langtransfer.files import append_jsonl, write_text
from langtransfer.runs import is_done, read_manifest
from langtransfer.study.config import RunnerConfig, StudyConfig
from langtransfer.study.grid import Stage, plan
from langtransfer.study.executors import (SUPERSEDED, Handle, Job, StageLock, make_executor,
                                          write_job)

STUDY_FILE = "study.yaml"
STAGES_LOG = "stages.jsonl"
RUNNER_DIR = ".runner"
POLL_S = 0.2
"""Seconds between looks at running jobs (a local child's exit wakes the runner at once)."""

_RUNS = {"world": "langtransfer.miniworld.generate:generate",
         "base": "langtransfer.miniworld.base:run", "vocab": "langtransfer.vocab.stage:run",
         "cpt": "langtransfer.train.cpt:run", "sft": "langtransfer.train.sft:run",
         "eval": "langtransfer.eval.run:run"}

# Fallback cost model for the ETA and the critical path until stages of a kind have finished
# (then their measured seconds per unit replace it). Units: training tokens (base, cpt),
# examples × epochs (sft), tasks (eval), one (world, vocab). Measured on 2 cores, 1 thread per
# stage, studies/miniworld-zh.yaml (docs/study.md, "Running").
DEFAULT_SECONDS_PER_UNIT = {"world": 5.0, "base": 1 / 12_000, "vocab": 3.0, "cpt": 1 / 15_000,
                            "sft": 1 / 60, "eval": 8.0}


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

    One single-threaded stage per core: on 2 cores two one-thread stages at once finished the
    reduced MiniWorld study faster than one two-thread stage at a time (docs/study.md,
    "Running"; tiny models gain little from a second thread). Capped at 8: each stage process
    holds ~0.5 GB.
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
    """The study with every stage section that has a `threads` field set to `threads`.

    Threads are part of a stage's config (and hash): float reductions may split differently
    with another thread count. Pin runner.threads_per_worker to keep stage ids the same across
    machines and worker counts.
    """
    updates = {f"{name}.threads": threads
               for name in ("world", "base", "vocab_extension", "cpt", "sft", "eval")
               if "threads" in type(getattr(cfg, name)).model_fields}
    return cfg.with_updates(updates)


def load_study_config(out: str | Path) -> StudyConfig:
    """The resolved study config saved in a study output directory."""
    path = Path(out) / STUDY_FILE
    if not path.is_file():
        raise UserError(f"{path}: not found (is {out} a study output directory? "
                        "`langtransfer study run STUDY --out DIR` writes it)")
    return StudyConfig.load(path)


# ---- paths and the stage log -------------------------------------------------------------------

def lock_for(out: Path, stage: Stage) -> StageLock:
    """The lock of a stage's directory."""
    return StageLock(out / RUNNER_DIR / "locks" / stage.kind / f"{stage.path.name}.lock")


def log_for(out: Path, stage: Stage) -> Path:
    """The stdout/stderr log of a stage's local process."""
    return out / "logs" / stage.kind / f"{stage.path.name}.log"


def read_stage_log(out: str | Path) -> list[dict]:
    """The records of stages.jsonl (a line cut by a crash is skipped)."""
    path = Path(out) / STAGES_LOG
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue
    return rows


def stage_seconds(stage: Stage) -> float | None:
    """Wall time a finished stage recorded in its manifest."""
    try:
        return read_manifest(stage.path).get("wall_seconds")
    except (FileNotFoundError, ValueError):
        return None


def stage_tokens(stage: Stage) -> int:
    """Tokens (sft: examples × epochs) a finished stage trained on, else its planned budget."""
    try:
        manifest = read_manifest(stage.path)
    except (FileNotFoundError, ValueError):
        return stage.tokens
    for section in ("result", "train"):
        value = (manifest.get(section) or {}).get("tokens")
        if isinstance(value, int):
            return value
    return stage.tokens


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


class _Scheduler:
    """Starts ready stages on free workers, reaps finished ones, until nothing is left."""

    def __init__(self, stages: list[Stage], executor: Any, settings: RunnerSettings, out: Path,
                 console: Console):
        self.stages, self.executor, self.settings = stages, executor, settings
        self.out, self.console = out, console
        self.done = {st.id for st in stages if is_done(st.path, st.cfg.config_hash())}
        self.seconds = {st.id: s for st in stages if st.id in self.done
                        and (s := stage_seconds(st)) is not None}
        self.failed: dict[str, str] = {}
        self.running: dict[str, _Running] = {}
        self.busy: set[str] = set()  # stages held by another live process (noted once)
        self.free = list(range(settings.workers))
        self.cost = estimate_seconds(stages, self.seconds)
        order = critical_path(stages, self.cost)
        self.todo = sorted((st for st in stages if st.id not in self.done),
                           key=lambda st: -order[st.id])
        self.progress: Any = None

    # -- bookkeeping

    def _log(self, event: str, stage: Stage, **fields: Any) -> None:
        append_jsonl(self.out / STAGES_LOG, {"event": event, "stage": stage.id, **fields})

    def _say(self, text: str) -> None:
        self.console.print(text, highlight=False)

    def _count(self) -> str:
        return f"[{len(self.done)}/{len(self.stages)}]"

    def eta(self) -> float:
        """Seconds left: remaining estimated work spread over the workers."""
        now = time.time()
        left = sum(self.cost[st.id] for st in self.todo)
        left += sum(max(self.cost[r.stage.id] - (now - r.started), 0.0)
                    for r in self.running.values())
        return left / max(1, min(self.settings.workers, len(self.todo) + len(self.running)))

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
        job = Job(stage=st.id, run=_stage_runner(st.kind),
                  config_class=f"{cls.__module__}:{cls.__qualname__}", config=st.cfg.to_dict(),
                  path=str(st.path), lock=str(lock.path), token=token,
                  threads=self.settings.threads, log=str(log),
                  runner_pid=os.getpid() if self.executor.name == "local" else None)
        handle = self.executor.start(job, write_job(job, self.out / RUNNER_DIR / "jobs"))
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
                if time.time() - beat > 5.0:  # keep pending cluster jobs' locks fresh
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
    sched = _Scheduler(stages, executor, settings, out, console)
    t0 = time.time()
    console.print(f"{cfg.name}: {len(stages)} stages, {len(sched.done)} already done; "
                  f"{settings.workers} worker(s) × {settings.threads} thread(s), "
                  f"{settings.executor} executor", highlight=False)
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
                  highlight=False)
    print_summary(cfg, out, console)
    return stages


# ---- status ------------------------------------------------------------------------------------

def _stage_state(out: Path, st: Stage, last: dict | None) -> dict:
    row: dict[str, Any] = {"id": st.id, "kind": st.kind, "arm": st.arm}
    holder = lock_for(out, st).holder()
    if is_done(st.path, st.cfg.config_hash()):
        row.update(state="done", seconds=stage_seconds(st), tokens=stage_tokens(st))
    elif holder is not None:
        since = holder.get("started") or holder.get("claimed") or time.time()
        row.update(state="running", seconds=round(time.time() - since, 1),
                   worker=holder.get("worker"), pid=holder.get("pid"), host=holder.get("host"),
                   job_id=holder.get("job_id"))
    elif last is not None and last.get("event") == "failed":
        row.update(state="failed", seconds=last.get("seconds"), error=last.get("error"))
    else:
        row.update(state="pending", seconds=None)
        if st.path.exists():
            row["note"] = "interrupted: resumes on the next run"
    return row


def _chain(st: Stage, by_id: dict[str, Stage]) -> list[str]:
    """An eval stage and every stage it depends on."""
    seen, todo = [], [st.id]
    while todo:
        sid = todo.pop()
        if sid not in seen:
            seen.append(sid)
            todo += by_id[sid].deps
    return seen


def study_status(out: str | Path) -> dict:
    """Where a study stands: per stage and per arm, done / running / pending / failed.

    Returns:
        {"study", "out", "counts": {state: n}, "stages": [{id, kind, state, seconds, ...}],
         "arms": [{arm, state, stages_done, stages, seconds}], "report": bool}; a stage runs
        while a live process holds its lock, failed is its last attempt's outcome.
    """
    out = Path(out)
    cfg = load_study_config(out)
    stages = plan(cfg, out)
    last = {row["stage"]: row for row in read_stage_log(out)
            if row.get("event") in ("start", "done", "failed", "interrupted")}
    rows = [_stage_state(out, st, last.get(st.id)) for st in stages]
    state = {row["id"]: row for row in rows}
    by_id = {st.id: st for st in stages}
    arms = []
    for st in stages:
        if st.kind != "eval":
            continue
        chain = [state[sid] for sid in _chain(st, by_id)]
        kinds = {row["state"] for row in chain}
        arm_state = ("done" if state[st.id]["state"] == "done" else "failed" if "failed" in kinds
                     else "running" if "running" in kinds else "pending")
        arms.append({"arm": st.arm, "state": arm_state,
                     "stages_done": sum(row["state"] == "done" for row in chain),
                     "stages": len(chain),
                     "seconds": round(sum(row["seconds"] or 0 for row in chain), 1)})
    counts = {s: sum(row["state"] == s for row in rows)
              for s in ("done", "running", "pending", "failed")}
    return {"study": cfg.name, "out": str(out), "counts": counts, "stages": rows, "arms": arms,
            "report": (out / "report.md").is_file()}


_STYLE = {"done": "green", "running": "cyan", "pending": "dim", "failed": "red"}


def print_status(status: dict, console: Console) -> None:
    """Rich tables of `study_status`: arms, then stages."""
    from rich.table import Table

    def secs(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}"

    arms = Table(title=f"{status['study']}: arms ({status['out']})")
    for col in ("arm", "state", "stages done", "seconds"):
        arms.add_column(col, justify="right" if col != "arm" else "left")
    for row in status["arms"]:
        arms.add_row(row["arm"], f"[{_STYLE[row['state']]}]{row['state']}[/]",
                     f"{row['stages_done']}/{row['stages']}", secs(row["seconds"]))
    stages = Table(title="stages")
    for col in ("stage", "state", "seconds", "detail"):
        stages.add_column(col)
    for row in status["stages"]:
        detail = row.get("error") or row.get("note") or ""
        if row["state"] == "running":
            detail = f"worker {row.get('worker')}, pid {row.get('pid')} on {row.get('host')}"
        stages.add_row(row["id"], f"[{_STYLE[row['state']]}]{row['state']}[/]",
                       secs(row["seconds"]), detail)
    console.print(arms)
    console.print(stages)
    counts = ", ".join(f"{n} {s}" for s, n in status["counts"].items())
    console.print(f"{counts}; report {'written' if status['report'] else 'not written'}",
                  highlight=False)


__all__ = ["RunnerSettings", "STAGES_LOG", "STUDY_FILE", "critical_path", "default_workers",
           "estimate_seconds", "load_study_config", "lock_for", "log_for", "print_status",
           "read_stage_log",
           "resolve_runner", "run_study", "stage_seconds", "stage_tokens", "study_status",
           "with_threads"]
