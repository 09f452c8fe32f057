"""Run a study: execute its stages in order, skipping those already DONE for their config.

    langtransfer study run studies/miniworld-zh.yaml --out runs/zh

A finished stage (DONE marker holding its config hash) is never recomputed, so rerunning on the
same --out finishes in seconds; a stage killed mid-way is started afresh on the next run.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from rich.console import Console

from langtransfer.files import write_text
from langtransfer.runs import is_done, read_manifest
from langtransfer.study.config import StudyConfig
from langtransfer.study.grid import Stage, plan

STUDY_FILE = "study.yaml"


def _stage_runner(kind: str) -> Callable:
    """The `run(cfg, out)` function of a stage kind (imported lazily: torch is slow to import)."""
    if kind == "world":
        from langtransfer.miniworld.generate import generate

        return generate
    if kind == "base":
        from langtransfer.miniworld.base import run

        return run
    if kind == "vocab":
        from langtransfer.vocab.stage import run

        return run
    if kind == "cpt":
        from langtransfer.train.cpt import run

        return run
    if kind == "sft":
        from langtransfer.train.sft import run

        return run
    if kind == "eval":
        from langtransfer.eval.run import run

        return run
    raise ValueError(f"unknown stage kind {kind!r}")


def load_study_config(out: str | Path) -> StudyConfig:
    """The resolved study config saved in a study output directory."""
    return StudyConfig.load(Path(out) / STUDY_FILE)


def run_study(cfg: StudyConfig, out: str | Path, console: Console | None = None) -> list[Stage]:
    """Run all stages of `cfg` under `out`, then write results.csv and report.md."""
    from langtransfer.study.report import print_summary, write_report

    console = console or Console(stderr=True)
    out = Path(out)
    stages = plan(cfg, out)  # validates every stage config before anything runs
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / STUDY_FILE, cfg.to_yaml())
    t0 = time.time()
    for i, stage in enumerate(stages, 1):
        head = f"[{i}/{len(stages)}] {stage.id}"
        if is_done(stage.path, stage.cfg.config_hash()):
            console.print(f"{head}: done (cached)")
            continue
        console.print(f"{head}: running")
        started = time.time()
        _stage_runner(stage.kind)(stage.cfg, stage.path)
        console.print(f"{head}: finished in {time.time() - started:.1f} s")
    write_report(cfg, out)
    console.print(f"study finished in {time.time() - t0:.1f} s; report: {out / 'report.md'}")
    print_summary(cfg, out, console)
    return stages


def stage_seconds(stage: Stage) -> float | None:
    """Wall time a finished stage recorded in its manifest."""
    try:
        return read_manifest(stage.path).get("wall_seconds")
    except FileNotFoundError:
        return None
