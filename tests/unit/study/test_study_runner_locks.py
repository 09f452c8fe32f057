"""Stage locks (one writer per stage directory, stale-lock detection) and runner settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from study_runner_fakes import tiny_cfg

from langtransfer.files import write_json
from langtransfer.study import executors
from langtransfer.study.config import RunnerConfig
from langtransfer.study.executors import StageLock, pid_alive
from langtransfer.study.layout import STAGES_LOG, read_stage_log
from langtransfer.study.runner import default_workers, resolve_runner, with_threads


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_claim_is_exclusive_while_the_holder_lives(tmp_path):
    lock = StageLock(tmp_path / "locks" / "cpt" / "a.lock")
    token = lock.claim(stage="cpt/a", worker=0)
    assert token and lock.claim(stage="cpt/a") is None
    assert lock.holder()["pid"] == os.getpid() and lock.holder()["worker"] == 0
    lock.release("not-the-token")  # a newer attempt's lock is left alone
    assert lock.holder() is not None
    lock.release(token)
    assert lock.holder() is None and lock.claim(stage="cpt/a") is not None


def test_lock_of_a_dead_process_is_stale(tmp_path):
    lock = StageLock(tmp_path / "locks" / "sft" / "b.lock")
    write_json(lock.path, {"host": executors.HOST, "pid": _dead_pid(), "token": "old"})
    assert lock.holder() is None
    assert lock.claim(stage="sft/b") is not None


def test_reused_pid_is_no_holder(tmp_path):
    lock = StageLock(tmp_path / "locks" / "sft" / "c.lock")
    me = executors.holder_info()
    write_json(lock.path, {**me, "proc_start": (me["proc_start"] or 0) + 1, "token": "x"})
    assert pid_alive(os.getpid()) and lock.holder() is None


def test_lock_from_another_host_goes_stale_by_age(tmp_path):
    lock = StageLock(tmp_path / "locks" / "eval" / "d.lock")
    write_json(lock.path, {"host": "node-17", "pid": 1, "token": "x"})
    assert lock.holder()["host"] == "node-17"  # fresh heartbeat: live
    old = time.time() - executors.STALE_S - 1
    os.utime(lock.path, (old, old))
    assert lock.holder() is None


def test_adopt_needs_the_current_token(tmp_path):
    lock = StageLock(tmp_path / "locks" / "cpt" / "e.lock")
    token = lock.claim(stage="cpt/e")
    assert not lock.adopt("stale-attempt") and lock.adopt(token)
    assert "started" in json.loads(lock.path.read_text())


def test_stage_log_skips_a_line_cut_by_a_crash(tmp_path):
    (tmp_path / STAGES_LOG).write_text('{"event": "start", "stage": "a"}\n{"event": "do')
    assert read_stage_log(tmp_path) == [{"event": "start", "stage": "a"}]
    assert read_stage_log(tmp_path / "nowhere") == []


def test_default_workers_fit_the_cores():
    assert [default_workers(n) for n in (1, 2, 4, 64)] == [1, 2, 4, 8]


def test_resolve_runner_threads():
    def pair(**kw):
        settings = resolve_runner(RunnerConfig(**kw), cores=2)
        return settings.workers, settings.threads

    assert pair() == (2, 1)
    assert pair(workers=1) == (1, 2)
    assert pair(workers=1, threads_per_worker=1) == (1, 1)
    assert pair(workers=3) == (3, 1)
    cluster = resolve_runner(RunnerConfig(executor="submitit", submitit={"cpus_per_task": 8}))
    assert cluster.threads == 8 and cluster.workers >= 100


def test_with_threads_sets_every_stage_and_the_hash():
    cfg = tiny_cfg().with_updates({"runner.threads_by_kind": {}})
    one, two = with_threads(cfg, 1), with_threads(cfg, 2)
    assert one.base.threads == one.cpt.threads == one.sft.threads == one.eval.threads == 1
    assert two.cpt.threads == 2 and one.cpt.config_hash() != two.cpt.config_hash()
    # a kind named in runner.threads_by_kind keeps its own count
    by_kind = with_threads(cfg.with_updates({"runner.threads_by_kind": {"base": 2}}), 1)
    assert by_kind.base.threads == 2 and by_kind.cpt.threads == by_kind.eval.threads == 1
