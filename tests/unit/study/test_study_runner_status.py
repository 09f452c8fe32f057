"""`study status`: done / running / pending / failed per stage and per arm, from the files."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console
from study_runner_fakes import mark_done, planned
from typer.testing import CliRunner

from langtransfer.cli import app
from langtransfer.errors import UserError
from langtransfer.files import append_jsonl, write_text
from langtransfer.study.layout import STAGES_LOG, STUDY_FILE, lock_for
from langtransfer.study.status import print_status, study_status


@pytest.fixture
def partial(tmp_path):
    """world, base, cpt0-sft10 and its eval done; the CPT running; cpt0-sft30 failed;
    the base's eval cut off; the rest never started."""
    cfg, stages = planned(tmp_path)
    write_text(tmp_path / STUDY_FILE, cfg.to_yaml())
    by_slug = {st.id.split("/")[0] + ":" + st.slug: st for st in stages}
    for key in ("world:world", "base:base", "sft:cpt0-sft10", "eval:cpt0-sft10"):
        mark_done(by_slug[key])
    cpt = by_slug["cpt:cpt3k"]
    token = lock_for(tmp_path, cpt).claim(stage=cpt.id, worker=1)
    failed = by_slug["sft:cpt0-sft30"]
    append_jsonl(tmp_path / STAGES_LOG, {"event": "start", "stage": failed.id, "worker": 0})
    append_jsonl(tmp_path / STAGES_LOG, {"event": "failed", "stage": failed.id, "seconds": 1.5,
                                         "error": "ValueError: boom"})
    (by_slug["eval:base"].path / "partial.json").parent.mkdir(parents=True)
    (by_slug["eval:base"].path / "partial.json").write_text("{}")
    yield tmp_path, by_slug
    lock_for(tmp_path, cpt).release(token)


def test_stage_states(partial):
    out, by = partial
    status = study_status(out)
    state = {row["id"]: row for row in status["stages"]}
    assert state[by["base:base"].id]["state"] == "done"
    running = state[by["cpt:cpt3k"].id]
    assert running["state"] == "running" and running["worker"] == 1
    failed = state[by["sft:cpt0-sft30"].id]
    assert failed["state"] == "failed" and failed["error"] == "ValueError: boom"
    cut = state[by["eval:base"].id]
    assert cut["state"] == "pending" and "resumes" in cut["note"]
    assert status["counts"] == {"done": 4, "running": 1, "pending": 7, "failed": 1}
    assert status["report"] is False


def test_arm_states(partial):
    out, _ = partial
    arms = {row["arm"]: row for row in study_status(out)["arms"]}
    assert arms["cpt0-sft10"]["state"] == "done"
    assert arms["cpt0-sft10"]["stages_done"] == arms["cpt0-sft10"]["stages"] == 4
    assert arms["cpt0-sft30"]["state"] == "failed"
    assert arms["cpt3k-sft10"]["state"] == "running"  # its CPT runs
    assert arms["base"]["state"] == "pending"
    assert arms["cpt3k"]["stages_done"] == 2  # world and base of world → base → cpt → eval


def test_a_retried_stage_is_no_longer_failed(partial):
    out, by = partial
    append_jsonl(out / STAGES_LOG, {"event": "start", "stage": by["sft:cpt0-sft30"].id})
    state = {row["id"]: row["state"] for row in study_status(out)["stages"]}
    assert state[by["sft:cpt0-sft30"].id] == "pending"


def test_status_tables_and_cli(partial):
    out, by = partial
    text = io.StringIO()
    print_status(study_status(out), Console(file=text, width=250))
    printed = text.getvalue()
    assert "cpt0-sft10" in printed and "ValueError: boom" in printed
    assert "4 done, 1 running, 7 pending, 1 failed; report not written" in printed
    res = CliRunner().invoke(app, ["study", "status", str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["counts"]["failed"] == 1


def test_status_of_a_folder_without_a_study(tmp_path):
    with pytest.raises(UserError, match="study.yaml: not found"):
        study_status(tmp_path)
