"""The study scheduler with a fake executor: dependency order, worker limit, locks, failures."""

from __future__ import annotations

import io
import os
import threading
import time

import pytest
from rich.console import Console
from study_runner_fakes import FakeExecutor, mark_done, planned

from langtransfer.runs import is_done
from langtransfer.study.layout import lock_for, read_stage_log
from langtransfer.study import scheduler
from langtransfer.study.scheduler import Scheduler, critical_path, estimate_seconds


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setattr(scheduler, "POLL_S", 0.001)  # fake jobs have no process sentinel


def _schedule(tmp_path, executor_kw=None, workers=2, stages=None):
    if stages is None:
        _, stages = planned(tmp_path)
    executor = FakeExecutor(stages, **(executor_kw or {}))
    text = io.StringIO()
    sched = Scheduler(stages, executor, workers, 1, tmp_path, Console(file=text, width=200),
                      lambda kind: f"fake.{kind}:run")
    sched.run()
    return sched, executor, stages, text.getvalue()


def test_every_stage_runs_once_after_its_deps(tmp_path):
    sched, ex, stages, text = _schedule(tmp_path)
    assert sorted(ex.started) == sorted(st.id for st in stages)
    for st in stages:
        assert set(st.deps) <= ex.done_before_start[st.id], st.id
        assert is_done(st.path, st.cfg.config_hash())
    assert ex.max_live == 2 and not sched.failed
    assert f"[{len(stages)}/{len(stages)}] done" in text


def test_worker_limit_is_respected(tmp_path):
    _, ex, _, _ = _schedule(tmp_path, workers=1)
    assert ex.max_live == 1
    _, ex3, _, _ = _schedule(tmp_path / "b", workers=3)
    assert ex3.max_live == 3  # 4 SFT + 3 eval stages become ready together after the base


def test_done_stages_are_skipped(tmp_path):
    _, stages = planned(tmp_path)
    for st in stages[:3]:  # world, base, eval of the base
        mark_done(st)
    _, ex, _, _ = _schedule(tmp_path, stages=stages)
    assert not {st.id for st in stages[:3]} & set(ex.started)
    assert len(ex.started) == len(stages) - 3


def test_stage_log_records_start_and_done(tmp_path):
    _, _, stages, _ = _schedule(tmp_path)
    rows = read_stage_log(tmp_path)
    done = [r for r in rows if r["event"] == "done"]
    assert sorted(r["stage"] for r in done) == sorted(st.id for st in stages)
    base = next(r for r in done if r["stage"].startswith("base/"))
    assert base["tokens"] == stages[1].tokens > 0  # no manifest (fake run): the planned budget
    for r in done:
        assert r["finished"] >= r["started"] and r["seconds"] >= 0 and r["worker"] in (0, 1)
    starts = [r for r in rows if r["event"] == "start"]
    assert all(r["pid"] and r["executor"] == "local" for r in starts)


def test_failure_blocks_only_its_dependents(tmp_path):
    _, stages = planned(tmp_path)
    cpt = next(st for st in stages if st.kind == "cpt")
    below = {st.id for st in stages if cpt.id in st.deps}
    below |= {st.id for st in stages if set(st.deps) & below}
    sched, ex, _, text = _schedule(tmp_path, {"fail": (cpt.id,)}, stages=stages)
    assert set(sched.failed) == {cpt.id} and "FAILED" in text
    assert not below & set(ex.started)
    others = {st.id for st in stages} - below - {cpt.id}
    assert others <= set(ex.started)
    assert [r["event"] for r in read_stage_log(tmp_path) if r["stage"] == cpt.id] == \
        ["start", "failed"]


def test_superseded_attempt_is_retried(tmp_path):
    _, stages = planned(tmp_path)
    base = stages[1]
    _, ex, _, _ = _schedule(tmp_path, {"superseded_once": (base.id,)}, stages=stages)
    assert ex.started.count(base.id) == 2
    assert is_done(base.path, base.cfg.config_hash())


def test_stage_locked_by_another_live_process_is_not_started(tmp_path):
    _, stages = planned(tmp_path)
    world = stages[0]
    lock = lock_for(tmp_path, world)
    token = lock.claim(stage=world.id)  # held by this (live) process: "another runner"
    assert token is not None

    def other_runner_finishes():
        time.sleep(0.5)
        mark_done(world)
        lock.release(token)

    threading.Thread(target=other_runner_finishes).start()
    _, ex, _, text = _schedule(tmp_path, stages=stages)
    assert world.id not in ex.started
    assert "running in another process" in text and "finished by another process" in text
    assert f"pid {os.getpid()}" in text


def test_critical_path_starts_the_long_chain_first(tmp_path):
    _, stages = planned(tmp_path)
    cost = estimate_seconds(stages, {})
    length = critical_path(stages, cost)
    world, base = stages[0], stages[1]
    assert length[world.id] > length[base.id] > max(length[st.id] for st in stages[2:])
    # after the base: the CPT stage heads the longest remaining chain (CPT → SFT → eval)
    _, ex, _, _ = _schedule(tmp_path, workers=1, stages=stages)
    assert ex.started[2].startswith("cpt/")


def test_measured_seconds_replace_the_default_rate(tmp_path):
    _, stages = planned(tmp_path)
    sft = [st for st in stages if st.kind == "sft"]
    cost = estimate_seconds(stages, {sft[0].id: 100.0})
    # seconds per example measured on one SFT stage carry over to the others
    assert abs(cost[sft[1].id] - 100.0 * sft[1].tokens / sft[0].tokens) < 1e-6
