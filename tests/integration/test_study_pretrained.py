"""Real-scale studies: the paper YAMLs plan as the paper's grid (dry run), and a study that starts
from a pretrained model and real data files runs end to end (the imported stories260K as the
"pretrained" model, CMMLU / MMLU dev as benchmarks, Alpaca-zh as SFT data)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from langtransfer.errors import ConfigError
from langtransfer.langs import PAPER_13
from langtransfer.study import runner
from langtransfer.study.config import StudyConfig
from langtransfer.study.grid import plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "eval"))
from judge_server import ScriptedServer  # noqa: E402  (a test helper, not a test module)


def dry_run_json(study: str, tmp_path: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "langtransfer", "study", "run", study,
                           "--out", str(tmp_path / "out"), "--dry-run", "--json"],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def test_paper_zh_plans_the_papers_grid(tmp_path):
    plan_ = dry_run_json("studies/paper-zh.yaml", tmp_path)
    arms = {a["id"]: a for a in plan_["arms"]}
    sft_arms = [a for a in arms.values() if a["sft_examples"]]
    assert len(sft_arms) == 18  # 4 budgets x 3 SFT sizes + 2 extra arms x 3
    assert {a["cpt_tokens"] for a in sft_arms} == {0, 5_000_000, 50_000_000, 500_000_000}
    assert {a["sft_examples"] for a in sft_arms} == {1000, 5000, 950_000}
    ext = arms["ext-mean-cpt500M-sft1k"]
    assert ext["vocab"] == "extended" and any(s.startswith("vocab/") for s in ext["stages"])
    assert arms["cpt500M-en20"]["replay"] == 0.2
    # no MiniWorld stages: arms start from the pretrained model
    assert not any(s.startswith(("world/", "base/")) for a in arms.values() for s in a["stages"])


def test_paper_zh_stage_configs_carry_the_real_data(tmp_path):
    cfg = StudyConfig.load(Path("studies/paper-zh.yaml"))
    stages = {f"{st.kind}/{st.slug}": st for st in plan(cfg, tmp_path)}
    mixed = stages["cpt/cpt500M-en20"].cfg
    assert mixed.model == "meta-llama/Llama-2-7b-hf"
    assert [(d.lang, round(d.fraction, 3)) for d in mixed.data] == [("zh", 0.8), ("en", 0.2)]
    assert stages["vocab/vocab"].cfg.target == "data/chinese_sp.model"
    ext = stages["cpt/ext-mean-cpt500M"].cfg
    assert ext.tokenizer == str(stages["vocab/vocab"].path) and ext.budget_tokenizer == mixed.model
    sft = stages["sft/cpt5M-sft950k"].cfg
    assert sft.examples == 950_000 and sft.data[0].instruction_format == "belle"
    ev = stages["eval/cpt50M-sft5k"].cfg
    assert ev.world is None and [b.benchmark for b in ev.benchmarks] == [
        "mmlu", "ceval", "agieval", "gaokao"]
    assert ev.heldout == {"en": "data/heldout/en.txt", "zh": "data/heldout/zh.txt"}
    assert ev.tasks == ["knowledge", "ppl", "quality"] and ev.judge.name == "openai"
    assert ev.questions["zh"].format == "belle" and "en" not in ev.questions
    assert stages["eval/cpt50M"].cfg.tasks == ["knowledge", "ppl"]  # before SFT: no answers


def test_paper_13lang_plans_two_sft_sizes_per_language(tmp_path):
    plan_ = dry_run_json("studies/paper-13lang.yaml", tmp_path)
    sft_arms = [a for a in plan_["arms"] if a["sft_examples"]]
    assert sorted({a["lang"] for a in sft_arms}) == sorted(PAPER_13)
    assert len(sft_arms) == 26 and {a["sft_examples"] for a in sft_arms} == {1000, 65000}
    cfg = StudyConfig.load(Path("studies/paper-13lang.yaml"))
    for st in plan(cfg, tmp_path):
        if st.kind == "sft":
            source = st.cfg.data[0]
            assert source.hf.subset == source.lang == st.meta.get("lang", source.lang)
        if st.kind == "eval" and st.meta["sft_examples"]:
            lang = st.meta["lang"]
            assert st.cfg.questions[lang].path == f"data/llm-eval/{lang}.jsonl"


def test_pretrained_study_needs_data_for_each_language():
    with pytest.raises(ConfigError, match="'sw' has no entry under data"):
        StudyConfig.load(Path("studies/paper-zh.yaml"), ["axes.lang=[zh,sw]"])


def test_data_without_pretrained_is_an_error():
    with pytest.raises(ConfigError, match="needs `pretrained`"):
        StudyConfig.load(Path("studies/miniworld-zh.yaml"), ["data.zh.heldout=x.txt"])


@pytest.fixture(scope="module")
def judge_server():
    with ScriptedServer() as srv, pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")  # inherited by stage processes
        yield srv


@pytest.fixture(scope="module")
def small_real_study(shared_data, tmp_path_factory, judge_server):
    """A study shaped like paper-zh.yaml on local files, small enough for a CPU test; response
    quality judged by a local chat-completions server (tests/unit/eval/judge_server.py)."""
    from langtransfer.convert.llama2c import import_llama2c

    tmp = tmp_path_factory.mktemp("real")
    tiny = shared_data / "tinyllamas"
    import_llama2c(tiny / "stories260K.bin", tiny / "tok512.model", tmp / "stories260K")
    alpaca = json.loads((shared_data / "instructions/alpaca_zh_demo.json").read_text())
    zh = [row["output"].replace("\n", " ") for row in alpaca if row["output"].strip()]
    (tmp / "zh.txt").write_text("\n".join(zh[:300]) + "\n", encoding="utf-8")
    (tmp / "zh_heldout.txt").write_text("\n".join(zh[300:310]) + "\n", encoding="utf-8")
    wiki = (shared_data / "pretrain_text/wiki_demo.txt").read_text()[:6000]
    docs = [wiki[i:i + 600].replace("\n", " ") for i in range(0, 6000, 600)]  # lines run to 40 KB
    (tmp / "en_heldout.txt").write_text("\n".join(docs) + "\n", encoding="utf-8")
    cfg = StudyConfig.from_dict({
        "name": "real-tiny", "pretrained": str(tmp / "stories260K"),
        "data": {
            "zh": {"cpt": [{"path": str(tmp / "zh.txt")}],
                   "sft": [{"path": str(shared_data / "instructions/alpaca_zh_demo.json"),
                            "instruction_format": "alpaca"}],
                   "heldout": str(tmp / "zh_heldout.txt"),
                   "questions": {"path": str(shared_data / "belle/eval_set.json"),
                                 "format": "belle", "limit": 3},
                   "benchmarks": [{"benchmark": "cmmlu", "data": str(shared_data / "cmmlu"),
                                   "split": "dev", "k": 0, "limit": 3,
                                   "subjects": ["agronomy", "anatomy"]}]},
            "en": {"heldout": str(tmp / "en_heldout.txt"),
                   "benchmarks": [{"benchmark": "mmlu", "data": str(shared_data / "mmlu"),
                                   "split": "dev", "k": 0, "limit": 3,
                                   "subjects": ["anatomy"]}]}},
        "cpt": {"seq_len": 64, "threads": 1, "optim": {"batch_size": 4}},
        "sft": {"epochs": 1, "max_len": 96, "threads": 1, "optim": {"batch_size": 4}},
        "eval": {"threads": 1, "n_bootstrap": 50, "ppl_seq_len": 64, "batch_size": 8,
                 "max_new_tokens": 12, "tasks": ["knowledge", "ppl", "quality"]},
        "judge": {"name": "openai", "base_url": judge_server.url, "model": "judge-test",
                  "backoff_s": 0},
        "axes": {"lang": ["zh"], "cpt_tokens": [0, 2000], "sft_examples": [8]},
        "runner": {"workers": 1, "threads_per_worker": 1},
    }, "test")
    out = tmp / "study"
    runner.run_study(cfg, out)
    return cfg, out


@pytest.mark.slow
def test_pretrained_study_runs_on_real_files(small_real_study):
    cfg, out = small_real_study
    evals = [st for st in plan(cfg, out) if st.kind == "eval"]
    assert len(evals) == 4  # base, cpt2k, and one SFT arm after each
    rows = (out / "results.csv").read_text().splitlines()
    tasks = {row.split(",")[2] for row in rows[1:]}
    assert {"cmmlu", "mmlu", "ppl", "quality", "codeswitch"} <= tasks
    for st in evals:
        preds = (st.path / "predictions" / "cmmlu-dev.jsonl").read_text().splitlines()
        assert len(preds) == 6  # 3 items x 2 subjects
        manifest = json.loads((st.path / "manifest.json").read_text())
        assert manifest["benchmark_mmlu-dev"]["protocol"] in ("letter", "option")


@pytest.mark.slow
def test_pretrained_study_judges_sft_arms_once_each(small_real_study, judge_server):
    cfg, out = small_real_study
    sft_evals = [st for st in plan(cfg, out) if st.kind == "eval" and st.meta["sft_examples"]]
    assert all(st.cfg.tasks == ["knowledge", "ppl", "quality"] for st in sft_evals)
    answers = set()
    for st in sft_evals:
        rows = [json.loads(line) for line in
                (st.path / "generations" / "quality-zh.jsonl").read_text().splitlines()]
        assert len(rows) == 3 and all(r["scores"]["fluency"] == 3 for r in rows)
        answers |= {(r["id"], r["response"]) for r in rows}
    # the verdict cache (<out>/cache/judge) is shared: each distinct answer is judged once
    assert judge_server.hits == len(answers)
    assert "sk-test" not in "".join(p.read_text(errors="ignore") for p in out.rglob("*")
                                    if p.is_file() and p.suffix in (".json", ".yaml", ".jsonl"))
    runner.run_study(cfg, out)  # everything DONE: nothing is generated or judged again
    assert judge_server.hits == len(answers)
