"""CLI: one-line errors with exit code 2, --dry-run prints the resolved config."""

from __future__ import annotations

import subprocess
import sys

import yaml


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "langtransfer", *args],
                          capture_output=True, text=True, timeout=120)


def test_dry_run_prints_resolved_config(tmp_path):
    res = _cli("train", "sft", "--out", str(tmp_path / "x"), "--set", "examples=7", "--dry-run")
    assert res.returncode == 0, res.stderr
    cfg = yaml.safe_load(res.stdout)
    assert cfg["examples"] == 7 and cfg["optim"]["lr"] == 5e-4
    assert not (tmp_path / "x").exists()


def test_unknown_key_exit_2_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("tokens: 5\nbogus: 1\n")
    res = _cli("train", "cpt", str(bad), "--out", str(tmp_path / "x"))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown key 'bogus'" in lines[0] and str(bad) in lines[0]
    assert not (tmp_path / "x").exists()


def test_zero_budget_exit_2(tmp_path):
    res = _cli("train", "cpt", "--out", str(tmp_path / "x"), "--set", "tokens=0")
    assert res.returncode == 2 and "field 'tokens'" in res.stderr


def test_missing_config_file_exit_2(tmp_path):
    res = _cli("train", "cpt", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "x"))
    assert res.returncode == 2 and "nope.yaml: config file not found" in res.stderr


def test_unknown_option_is_a_usage_error_not_a_traceback(tmp_path):
    res = _cli("train", "cpt", "--out", str(tmp_path / "x"), "--bogus")
    assert res.returncode == 2 and "No such option: --bogus" in res.stderr
    assert "Traceback" not in res.stderr
