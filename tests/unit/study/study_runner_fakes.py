"""Test helpers for the study runner: a tiny planned study and an in-process fake executor.

The fake executor "runs" a stage by writing its DONE marker (no torch, milliseconds), so the
scheduler's ordering, worker limit, locking and failure handling are tested without training.
"""

from __future__ import annotations

from pathlib import Path

from langtransfer.runs import DONE
from langtransfer.study.config import StudyConfig
from langtransfer.study.executors import SUPERSEDED, Handle, Job, StageLock
from langtransfer.study.grid import Stage, plan

REPO = Path(__file__).resolve().parents[3]
TINY_GRID = ["axes.cpt_tokens=[0,3000]", "axes.sft_examples=[10,30]", "arms=[]",
             "runner.threads_per_worker=1"]


def tiny_cfg(*overrides: str) -> StudyConfig:
    """The shipped MiniWorld study shrunk to 13 stages (plan only: nothing here trains)."""
    return StudyConfig.load(REPO / "studies" / "miniworld-zh.yaml", [*TINY_GRID, *overrides])


def mark_done(stage: Stage) -> None:
    """Write a stage's DONE marker with its config hash (what a finished stage leaves)."""
    stage.path.mkdir(parents=True, exist_ok=True)
    (stage.path / DONE).write_text(stage.cfg.config_hash() + "\n")


class FakeHandle(Handle):
    """A job that finishes after `polls` polls with `code` (0 writes DONE first)."""

    def __init__(self, executor: "FakeExecutor", job: Job, stage: Stage, code: int, polls: int):
        self.executor, self.job, self.stage, self.code, self.polls = executor, job, stage, code, polls
        self.pid = 10_000 + len(executor.started)

    def poll(self) -> int | None:
        if self.polls > 0:
            self.polls -= 1
            return None
        if self in self.executor.live:
            self.executor.live.remove(self)
            if self.code == 0:
                assert StageLock(self.job.lock).read()["token"] == self.job.token
                mark_done(self.stage)
        return self.code

    def error(self) -> str:
        return f"fake failure of {self.stage.id}"

    def stop(self) -> None:
        self.executor.stopped.append(self.stage.id)


class FakeExecutor:
    """Records what started when; `fail` / `superseded_once` pick stages by id."""

    name = "local"

    def __init__(self, stages: list[Stage], polls: int = 2, fail: tuple[str, ...] = (),
                 superseded_once: tuple[str, ...] = ()):
        self.by_id = {st.id: st for st in stages}
        self.polls, self.fail, self.superseded = polls, set(fail), set(superseded_once)
        self.started: list[str] = []
        self.live: list[FakeHandle] = []
        self.max_live = 0
        self.stopped: list[str] = []
        self.done_before_start: dict[str, set[str]] = {}

    def start(self, job: Job, job_file: Path) -> FakeHandle:
        stage = self.by_id[job.stage]
        assert Job.load(job_file).config == stage.cfg.to_dict()  # the config goes by value
        self.done_before_start[stage.id] = {sid for sid, st in self.by_id.items()
                                            if (st.path / DONE).is_file()}
        self.started.append(stage.id)
        if stage.id in self.superseded:
            self.superseded.discard(stage.id)
            code = SUPERSEDED
        else:
            code = 1 if stage.id in self.fail else 0
        handle = FakeHandle(self, job, stage, code, self.polls)
        self.live.append(handle)
        self.max_live = max(self.max_live, len(self.live))
        return handle

    def close(self) -> None:
        pass


def planned(tmp_path: Path, *overrides: str) -> tuple[StudyConfig, list[Stage]]:
    """The tiny study's config and its stages under tmp_path."""
    cfg = tiny_cfg(*overrides)
    return cfg, plan(cfg, tmp_path)
