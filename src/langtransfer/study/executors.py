"""Where a study stage runs: its own local process, or a submitit (Slurm) job; and its lock.

    langtransfer study run studies/miniworld-zh.yaml --out runs/zh                 # local
    langtransfer study run STUDY --out DIR --set runner.executor=submitit \\
        --set 'runner.submitit={partition: gpu, gpus_per_node: 1, timeout_min: 600}'

The runner (study.runner) writes one *job file* per stage attempt: the stage's resolved config
by value, its run directory, its lock and the lock's token. A job — `run_job(job_file)` in a
child process or inside a submitit job — checks that it still holds the lock, keeps the lock
fresh, and calls the stage's `run(cfg, out)`. The same function runs on a laptop and on a
cluster node; nothing else crosses the process boundary.

Locks (`<out>/.runner/locks/<kind>/<stage dir>.lock`, JSON) keep a stage directory to one
writer: a second runner on the same study, or a restart while an old job still runs, waits for
the holder instead of starting the stage twice. A lock is live while its holder process is
alive (same host: checked by pid and the process's start time, so a reused pid is no holder) or,
for a holder on another host, while it was touched in the last `STALE_S` seconds (the job and
the runner touch it every `HEARTBEAT_S`). Claims and releases happen under an flock of one
guard file, so two runners never both take a stale lock.

Local children die with the runner: each sets PR_SET_PDEATHSIG (Linux) and watches the runner's
pid from a thread (every system), so a SIGKILLed runner leaves no process writing into stage
directories. Children fork from a forkserver that imported torch and the stages once: a stage
process starts in milliseconds instead of ~4 s of imports (ENVIRONMENT.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import importlib
import json
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

from langtransfer.errors import UserError
from langtransfer.files import write_json

HOST = socket.gethostname()
HEARTBEAT_S = 10.0
"""A job and its runner touch the lock this often."""
STALE_S = 60.0
"""A lock held from another host and untouched this long is stale (6 missed heartbeats)."""
WATCHDOG_S = 0.5
"""How often a local child checks that its runner is alive (the PDEATHSIG fallback)."""
SUPERSEDED = 3
"""Exit code of a job whose lock was taken over (a newer attempt of the stage owns it)."""

# Modules the forkserver imports once, so that a stage process starts without paying for them.
PRELOAD = ["torch", "transformers", "transformers.models.llama.modeling_llama",
           "langtransfer.miniworld.generate", "langtransfer.miniworld.base",
           "langtransfer.vocab.stage", "langtransfer.train.cpt", "langtransfer.train.sft",
           "langtransfer.train.loop", "langtransfer.train.checkpoint", "langtransfer.eval.run"]


@dataclass
class Job:
    """One attempt at one stage, as written to its job file."""

    stage: str
    """Stage id (kind/dir name)."""
    run: str
    """The stage function, 'module:attr'; called as run(cfg, Path(path))."""
    config_class: str
    """The stage config class, 'module:Class'."""
    config: dict
    """The resolved stage config (by value)."""
    path: str
    """The stage's run directory."""
    lock: str
    token: str
    """This attempt's claim on the lock."""
    threads: int
    """torch threads (also OMP_NUM_THREADS / MKL_NUM_THREADS)."""
    log: str
    """Where a local child writes its stdout and stderr."""
    runner_pid: int | None = None
    """Local children die when this process does; None for cluster jobs."""

    def save(self, path: Path) -> Path:
        """Write the job file."""
        write_json(path, asdict(self))
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Job":
        """Read a job file."""
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


# ---- locks -------------------------------------------------------------------------------------

def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) of a Linux process; None where /proc is absent."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()  # the name (field 2) may hold spaces and ')'
    return fields[0], int(fields[19])  # fields 3 (state) and 22 (starttime)


def pid_alive(pid: int, started: int | None = None) -> bool:
    """Whether process `pid` runs (not a zombie) and, if `started` is given, is the same
    process that had that start time (pids are reused)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    stat = _proc_stat(pid)
    if stat is None:
        return True
    state, start = stat
    return state not in "ZX" and (started is None or start == started)


def holder_info() -> dict:
    """This process as a lock holder."""
    stat = _proc_stat(os.getpid())
    return {"host": HOST, "pid": os.getpid(), "proc_start": stat[1] if stat else None}


class StageLock:
    """The lock file of one stage directory (see the module docstring)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        guard = self.path.parents[1] / ".guard"  # one guard for all locks of a study
        guard.parent.mkdir(parents=True, exist_ok=True)
        with open(guard, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def read(self) -> dict | None:
        """The lock's content, or None when there is no lock."""
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}  # unreadable: judged by its age alone

    def holder(self) -> dict | None:
        """The live holder's record (with `age_s`), or None when free or stale."""
        info = self.read()
        if info is None:
            return None
        try:
            age = time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return None
        if info.get("host") == HOST and info.get("pid"):
            live = pid_alive(info["pid"], info.get("proc_start"))
        else:
            live = age < STALE_S
        return {**info, "age_s": round(age, 1)} if live else None

    def claim(self, **record: Any) -> str | None:
        """Take the lock for a new attempt; its token, or None while a live holder has it."""
        with self._guard():
            if self.holder() is not None:
                return None
            token = uuid.uuid4().hex
            write_json(self.path, {**record, **holder_info(), "token": token,
                                   "claimed": time.time()})
            return token

    def adopt(self, token: str) -> bool:
        """Called by the job: become the holder if `token` still owns the lock."""
        with self._guard():
            info = self.read()
            if not info or info.get("token") != token:
                return False
            write_json(self.path, {**info, **holder_info(), "started": time.time()})
            return True

    def update(self, token: str, **fields: Any) -> None:
        """Add fields (e.g. a cluster job id) to a lock this token owns."""
        with self._guard():
            info = self.read()
            if info and info.get("token") == token:
                write_json(self.path, {**info, **fields})

    def release(self, token: str) -> None:
        """Remove the lock if `token` owns it (a newer attempt's lock is left alone)."""
        with self._guard():
            info = self.read()
            if info is not None and info.get("token") == token:
                self.path.unlink(missing_ok=True)

    def touch(self) -> None:
        """Heartbeat: the holder is still at work."""
        with contextlib.suppress(FileNotFoundError):
            os.utime(self.path)


# ---- the job (runs in the child process or the cluster job) -----------------------------------

def _import(ref: str) -> Any:
    module, attr = ref.split(":")
    return getattr(importlib.import_module(module), attr)


def _die_with(runner_pid: int) -> None:
    """Die when the runner does: PDEATHSIG where Linux has it, and a watchdog thread."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: fires when our parent dies

    def watch() -> None:
        while pid_alive(runner_pid):
            time.sleep(WATCHDOG_S)
        os.kill(os.getpid(), signal.SIGKILL)

    # the check after prctl closes the race of a runner that died before it
    if not pid_alive(runner_pid):
        os.kill(os.getpid(), signal.SIGKILL)
    threading.Thread(target=watch, name="runner-watchdog", daemon=True).start()


def _heartbeat(lock: StageLock, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_S):
        lock.touch()


def thread_env(threads: int) -> dict[str, str]:
    """Environment that pins the math libraries to `threads` threads."""
    return {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}


def run_job(job_file: str | Path) -> str:
    """Run one stage attempt described by a job file (in a child process or a cluster job).

    Returns:
        'done', or 'superseded' when another attempt owns the stage's lock (nothing was run).

    Raises:
        Whatever the stage raises (UserError for bad input).
    """
    job = Job.load(job_file)
    os.environ.update(thread_env(job.threads))
    lock = StageLock(job.lock)
    if not lock.adopt(job.token):
        return "superseded"
    stop = threading.Event()
    threading.Thread(target=_heartbeat, args=(lock, stop), name="lock-heartbeat",
                     daemon=True).start()
    try:
        import torch

        torch.set_num_threads(job.threads)  # stages without a `threads` field
        cfg = _import(job.config_class).from_dict(job.config, str(job_file))
        _import(job.run)(cfg, Path(job.path))
    finally:
        stop.set()
        lock.release(job.token)
    return "done"


def _child_main(job_file: str, environ: dict[str, str] | None = None) -> None:
    """Entry of a local child: own session, log file as stdout/stderr, die with the runner.

    `environ` is the runner's environment at submission: a forkserver child inherits the
    server's environment from when it started, so variables set later (OPENAI_API_KEY for a
    judge) are passed in memory — never through the job file, which is on disk."""
    if environ is not None:
        os.environ.clear()
        os.environ.update(environ)
    job = Job.load(job_file)
    os.setsid()  # own process group: the runner stops the stage and anything it started
    if job.runner_pid:
        _die_with(job.runner_pid)
    fd = os.open(job.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush(), sys.stderr.flush()
    os.dup2(fd, 1), os.dup2(fd, 2)
    os.close(fd)
    print(f"---- {job.stage}: attempt {job.token[:8]}, pid {os.getpid()}, "
          f"{time.strftime('%Y-%m-%d %H:%M:%S')}", flush=True)
    try:
        status = run_job(job_file)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        os._exit(2)
    except BaseException:
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    sys.stdout.flush(), sys.stderr.flush()
    os._exit(SUPERSEDED if status == "superseded" else 0)  # skip atexit hooks of the forkserver


# ---- executors ---------------------------------------------------------------------------------

class Handle:
    """A started job: poll it, read why it failed, stop it."""

    pid: int | None = None
    job_id: str | None = None

    def poll(self) -> int | None:
        """None while running, else the exit code (0 done, SUPERSEDED, other = failed)."""
        raise NotImplementedError

    def error(self) -> str:
        """One line on why the job failed."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the job (and whatever it started)."""
        raise NotImplementedError


class LocalHandle(Handle):
    """A stage in a child process of this runner."""

    def __init__(self, proc: multiprocessing.process.BaseProcess, log: Path):
        self.proc, self.log, self.pid = proc, log, proc.pid

    def poll(self) -> int | None:
        return self.proc.exitcode

    @property
    def sentinel(self) -> int:
        return self.proc.sentinel

    def error(self) -> str:
        code = self.proc.exitcode
        why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit {code}"
        return f"{last_error_line(self.log) or why} (log: {self.log})"

    def stop(self, grace_s: float = 5.0) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, sig)  # the child's own group (it called setsid)
            self.proc.join(grace_s)
            if self.proc.exitcode is not None:
                return


def last_error_line(log: Path) -> str | None:
    """The last line of a log that says what went wrong (error: …, or an exception line)."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()[-200:]
    except OSError:
        return None
    for line in reversed(lines):
        text = line.strip()
        if text.startswith("error:") or (text and not line.startswith((" ", "\t"))
                                         and ("Error" in text or "Exception" in text)):
            return text[:300]
    return None


class LocalExecutor:
    """Stages as child processes of this runner (forked from a forkserver holding torch)."""

    name = "local"

    def __init__(self) -> None:
        methods = multiprocessing.get_all_start_methods()
        self.ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods
                                               else "spawn")
        if self.ctx.get_start_method() == "forkserver":
            self.ctx.set_forkserver_preload(PRELOAD)

    def start(self, job: Job, job_file: Path) -> LocalHandle:
        """Start the job in a child process."""
        proc = self.ctx.Process(target=_child_main, args=(str(job_file), dict(os.environ)),
                                name=f"stage:{job.stage}", daemon=False)
        proc.start()
        return LocalHandle(proc, Path(job.log))

    def close(self) -> None:
        """Nothing to release (the forkserver exits with this process)."""


class SubmititHandle(Handle):
    """A stage as a submitit job."""

    def __init__(self, job: Any):
        self.job, self.job_id = job, str(job.job_id)
        self._error: str | None = None

    def poll(self) -> int | None:
        if not self.job.done():
            return None
        exc = self.job.exception()
        if exc is None:
            return SUPERSEDED if self.job.result() == "superseded" else 0
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        self._error = next((ln for ln in reversed(lines) if "Error" in ln or "error:" in ln),
                           lines[-1] if lines else type(exc).__name__)
        return 1

    def error(self) -> str:
        return f"{self._error} (job {self.job_id}, logs: {self.job.paths.folder})"

    def stop(self) -> None:
        with contextlib.suppress(Exception):  # a job that already ended cannot be cancelled
            self.job.cancel(check=False)


class SubmititExecutor:
    """Stages as submitit jobs: Slurm on a cluster, or submitit's local executor (tests).

    `runner.submitit` holds submitit's own parameters (partition, gpus_per_node, timeout_min,
    mem_gb, slurm_*, ...) plus `cluster` (slurm | local | debug; default: Slurm when it is
    there, else local).
    """

    name = "submitit"

    def __init__(self, folder: Path, params: dict, threads: int):
        try:
            import submitit
        except ImportError:
            raise UserError("runner.executor: submitit is not installed "
                            "(pip install 'langtransfer[cluster]')") from None
        params = dict(params)
        cluster = params.pop("cluster", None)
        self.executor = submitit.AutoExecutor(folder=str(folder), cluster=cluster)
        defaults: dict[str, Any] = {"cpus_per_task": threads, "tasks_per_node": 1, "nodes": 1}
        if self.executor.cluster == "local":
            defaults["timeout_min"] = 24 * 60  # submitit's local default (5 min) ends real stages
        try:
            self.executor.update_parameters(**{**defaults, **params})
        except (TypeError, ValueError) as exc:
            raise UserError(f"runner.submitit: {exc}") from None

    def start(self, job: Job, job_file: Path) -> SubmititHandle:
        """Submit the job."""
        self.executor.update_parameters(name=job.stage.replace("/", "-"))
        return SubmititHandle(self.executor.submit(run_job, str(job_file)))

    def close(self) -> None:
        """Nothing to release: submitted jobs belong to the cluster."""


def make_executor(name: str, out: Path, params: dict, folder: str | None,
                  threads: int) -> LocalExecutor | SubmititExecutor:
    """The executor named by `runner.executor`."""
    if name == "submitit":
        return SubmititExecutor(Path(folder) if folder else out / "submitit", params, threads)
    return LocalExecutor()


def write_job(job: Job, jobs_dir: Path) -> Path:
    """Save a job file beside the others of the study (one per stage, the latest attempt)."""
    kind, name = job.stage.split("/", 1)
    return job.save(jobs_dir / kind / f"{name}.json")


__all__ = ["HEARTBEAT_S", "Handle", "Job", "LocalExecutor", "STALE_S", "SUPERSEDED", "StageLock",
           "SubmititExecutor", "last_error_line", "make_executor", "pid_alive", "run_job",
           "thread_env", "write_job"]
