"""The study end to end on a tiny world: runs, skips on rerun, is deterministic, fails cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from langtransfer.errors import ConfigError
from langtransfer.runs import is_done
from langtransfer.study import runner
from langtransfer.study.config import StudyConfig
from langtransfer.study.grid import plan

TINY = [
    "world.n_people=40", "world.n_cities=8", "world.n_companies=8", "world.n_countries=3",
    "world.n_instructions=60", "world.n_open_eval=8", "world.n_knowledge=40", "world.n_heldout=20",
    "base.vocab_size=600", "base.tokens=30000", "base.seq_len=64", "base.threads=1",
    "base.arch.n_layers=2", "base.arch.hidden=32", "base.arch.heads=2", "base.arch.ffn=64",
    "base.arch.max_seq_len=128", "base.tokenizer_sample_chars=200000",
    "cpt.seq_len=64", "cpt.threads=1", "sft.max_len=96", "sft.threads=1", "sft.epochs=1",
    "eval.threads=1", "eval.n_bootstrap=50", "eval.max_new_tokens=16", "eval.ppl_seq_len=64",
    "axes.cpt_tokens=[0,3000]", "axes.sft_examples=[10,30]", "vocab_extension.pieces=700",
    "retention_every=2", "cpt.eval_docs=5", "runner.threads_by_kind={}",
]


def tiny_study() -> StudyConfig:
    return StudyConfig.load(Path("studies/miniworld-zh.yaml"), TINY)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    cfg = tiny_study()
    runner.run_study(cfg, out)
    return cfg, out


@pytest.mark.slow
def test_study_writes_every_stage_and_report(finished):
    cfg, out = finished
    stages = plan(cfg, out)
    assert all(is_done(st.path, st.cfg.config_hash()) for st in stages)
    kinds = [st.kind for st in stages]
    # CPT {0, 3k} × SFT {10, 30}, plus 3 explicit arms at 3k (2 extended inits, 1 replay mix)
    assert kinds.count("vocab") == 1
    assert kinds.count("cpt") == 4 and kinds.count("sft") == 10 and kinds.count("eval") == 15
    header = (out / "results.csv").read_text().splitlines()[0]
    assert header == "arm,lang,task,metric,value,ci_low,ci_high,n"
    report = (out / "report.md").read_text()
    for arm in ("base", "cpt0-sft10", "cpt3k-sft30", "ext-mean-cpt3k-sft30",
                "ext-subword_mean-cpt3k", "cpt3k-en20-sft10"):
        assert f"| {arm} |" in report
    for section in ("Knowledge", "Perplexity", "Response quality in zh", "the paper's C1 and C9"):
        assert section in report


@pytest.mark.slow
def test_rerun_recomputes_nothing(finished, monkeypatch):
    cfg, out = finished
    before = (out / "results.csv").read_bytes()

    def boom(kind):
        raise AssertionError(f"stage {kind} was recomputed")

    monkeypatch.setattr(runner, "_stage_runner", boom)
    runner.run_study(cfg, out)
    assert (out / "results.csv").read_bytes() == before


@pytest.mark.slow
def test_same_seed_same_results(finished, tmp_path):
    cfg, out = finished
    runner.run_study(cfg, tmp_path / "again")
    assert (tmp_path / "again" / "results.csv").read_bytes() == (out / "results.csv").read_bytes()


def test_unknown_axis_is_one_line_error():
    with pytest.raises(ConfigError, match=r"unknown key 'axes.vocab_size'"):
        StudyConfig.load(Path("studies/miniworld-zh.yaml"), ["axes.vocab_size=[1]"])


def test_duplicate_arm_and_missing_start_are_one_line_errors(tmp_path):
    dup = StudyConfig.load(Path("studies/miniworld-zh.yaml"), ["arms=[{replay: 0.2}, {replay: 0.2}]"])
    with pytest.raises(ConfigError, match="two arms with the same id 'cpt2M-en20'"):
        plan(dup, tmp_path)
    missing = StudyConfig.load(Path("studies/miniworld-zh.yaml"),
                               ["arms=[{name: again, start: nowhere}]"])
    with pytest.raises(ConfigError, match="starts from 'nowhere', which is not an earlier arm"):
        plan(missing, tmp_path)
    with pytest.raises(ConfigError, match="extended:<init>"):
        StudyConfig.load(Path("studies/miniworld-zh.yaml"), ["axes.vocab=[extended:bogus]"])


def test_study_cli_errors_exit_2_and_leave_nothing_done(tmp_path):
    bad = tmp_path / "study.yaml"
    bad.write_text(Path("studies/miniworld-zh.yaml").read_text() + "\nbogus: 1\n")
    res = subprocess.run([sys.executable, "-m", "langtransfer", "study", "run", str(bad),
                          "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert res.returncode == 2 and "unknown key 'bogus'" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
    res = subprocess.run([sys.executable, "-m", "langtransfer", "study", "run",
                          "studies/miniworld-zh.yaml", "--out", str(tmp_path / "o"),
                          "--set", "cpt.tokens=0"], capture_output=True, text=True)
    assert res.returncode == 2 and "field 'cpt.tokens'" in res.stderr
    assert not (tmp_path / "o").exists()


def test_missing_base_corpus_fails_before_done(tmp_path):
    res = subprocess.run([sys.executable, "-m", "langtransfer", "miniworld", "base",
                          "--world", str(tmp_path / "nowhere"), "--out", str(tmp_path / "b")],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "nowhere/base_pretrain.txt" in res.stderr
    assert not is_done(tmp_path / "b")
