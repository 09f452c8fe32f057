"""Run-directory contract: files, DONE last, skip on same hash, restart on change."""

from __future__ import annotations

import json

from langtransfer.files import atomic_open, read_jsonl
from langtransfer.runs import is_done, open_run, read_metrics
from langtransfer.train.config import CPTConfig


def test_run_directory_contract(tmp_path):
    cfg = CPTConfig(tokens=10)
    (tmp_path / "input.txt").write_text("hello\n")
    run = open_run(tmp_path / "r", cfg, "cpt", seed=3, inputs={"data": tmp_path / "input.txt"})
    assert run is not None
    run.log(metric="loss", value=1.5)
    assert not is_done(run.path)
    run.finish(extra=1)
    files = {p.name for p in run.path.iterdir()}
    assert {"config.yaml", "manifest.json", "metrics.jsonl", "DONE"} <= files
    manifest = json.loads((run.path / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["config_hash"] == cfg.config_hash()
    assert manifest["inputs"]["data"]["sha256"]
    assert "torch" in manifest["versions"] and manifest["wall_seconds"] >= 0
    assert read_metrics(run.path) == [{"metric": "loss", "value": 1.5}]
    assert is_done(run.path, cfg.config_hash())
    assert open_run(tmp_path / "r", cfg, "cpt") is None  # skip: same config, DONE


def test_changed_config_restarts_clean(tmp_path):
    run = open_run(tmp_path / "r", CPTConfig(tokens=10), "cpt")
    run.log(x=1)
    run.finish()
    run2 = open_run(tmp_path / "r", CPTConfig(tokens=11), "cpt")
    assert run2 is not None and not is_done(run2.path)
    assert read_metrics(run2.path) == []


def test_unfinished_run_restarts_unless_resume(tmp_path):
    cfg = CPTConfig(tokens=10)
    run = open_run(tmp_path / "r", cfg, "cpt")
    (run.path / "checkpoint").write_text("state")
    kept = open_run(tmp_path / "r", cfg, "cpt", resume=True)
    assert (kept.path / "checkpoint").exists()
    fresh = open_run(tmp_path / "r", cfg, "cpt")
    assert not (fresh.path / "checkpoint").exists()


def test_atomic_open_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "f.txt"
    try:
        with atomic_open(target) as fh:
            fh.write("partial")
            raise RuntimeError("crash")
    except RuntimeError:
        pass
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_truncated_last_metrics_line_is_dropped(tmp_path):
    f = tmp_path / "metrics.jsonl"
    f.write_text('{"a": 1}\n{"a": 2')
    assert read_jsonl(f, strict=False) == [{"a": 1}]
