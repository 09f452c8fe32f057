"""Where a study stands: per arm and per stage, done / running / pending / failed.

    langtransfer study status runs/zh [--json]

Read from the files alone (no runner needs to be alive): a stage is done when its DONE marker
holds its config hash; running while a live process holds its lock (study.executors.StageLock:
pid + start time on this host, heartbeat age on another); failed when its last attempt in
stages.jsonl failed; otherwise pending (with a note when a cut-off attempt left files: the
next run resumes it). An arm is its eval stage and every stage that eval depends on.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.console import Console

from langtransfer.runs import is_done
from langtransfer.study.grid import Stage, plan
from langtransfer.study.layout import (load_study_config, lock_for, read_stage_log,
                                       stage_seconds, stage_tokens)


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


__all__ = ["print_status", "study_status"]
