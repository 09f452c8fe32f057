"""Where a study keeps its runner files: saved config, stage log, locks, logs, stage manifests.

    langtransfer study status runs/zh            # reads these files

Layout of a study output directory `<out>` (besides the stage run directories of study.grid):

    study.yaml                       the resolved study (runner threads applied); `study status`
                                     and `study report` plan from it
    stages.jsonl                     one JSON line per runner event: start / done / failed /
                                     interrupted, with stage id, worker, seconds, tokens, times
    logs/<kind>/<stage dir>.log      stdout + stderr of a stage's local process
    .runner/locks/<kind>/<dir>.lock  the live holder of a stage directory (study.executors)
    .runner/jobs/<kind>/<dir>.json   the latest attempt's job file (the stage config by value)

Only the runner writes them (appends are atomic per line: langtransfer.files.append_jsonl).
"""

from __future__ import annotations

import json
from pathlib import Path

from langtransfer.errors import UserError
from langtransfer.runs import read_manifest
from langtransfer.study.config import StudyConfig
from langtransfer.study.executors import StageLock
from langtransfer.study.grid import Stage

STUDY_FILE = "study.yaml"
STAGES_LOG = "stages.jsonl"
RUNNER_DIR = ".runner"


def load_study_config(out: str | Path) -> StudyConfig:
    """The resolved study config saved in a study output directory."""
    path = Path(out) / STUDY_FILE
    if not path.is_file():
        raise UserError(f"{path}: not found (is {out} a study output directory? "
                        "`langtransfer study run STUDY --out DIR` writes it)")
    return StudyConfig.load(path)


def lock_for(out: Path, stage: Stage) -> StageLock:
    """The lock of a stage's directory."""
    return StageLock(out / RUNNER_DIR / "locks" / stage.kind / f"{stage.path.name}.lock")


def log_for(out: Path, stage: Stage) -> Path:
    """The stdout/stderr log of a stage's local process."""
    return out / "logs" / stage.kind / f"{stage.path.name}.log"


def jobs_dir(out: Path) -> Path:
    """Where the runner writes job files."""
    return out / RUNNER_DIR / "jobs"


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


__all__ = ["RUNNER_DIR", "STAGES_LOG", "STUDY_FILE", "jobs_dir", "load_study_config", "lock_for",
           "log_for", "read_stage_log", "stage_seconds", "stage_tokens"]
