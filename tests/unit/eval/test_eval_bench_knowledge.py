"""eval.knowledge: the dry run (no torch), a run directory end to end on a tiny model, the
results (micro / macro / categories / chance / centred / CI), C-Eval's submission JSON, diffing
two runs, every shipped benchmark YAML, and MiniWorld's knowledge column on the engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from langtransfer.eval.benchmarks import benchmark_names, load_benchmark
from langtransfer.eval.formats import FORMATS
from langtransfer.eval.knowledge import (KnowledgeConfig, aggregate, diff_predictions, inspect,
                                         macro_accuracy, mcnemar_p, run, submission)
from langtransfer.eval.mc import MCItem
from langtransfer.eval.protocols import letter_prompt, option_requests_for
from langtransfer.runs import is_done, read_manifest, read_metrics

REPO = Path(__file__).resolve().parents[3]
HEADER = "id,question,A,B,C,D,answer\n"
RELEASE = {  # a small C-Eval release: two subjects (Humanities, STEM), answers in dev and val
    "dev/law_dev.csv": HEADER + "0,甲是____。,一,二,三,四,B\n1,乙是____。,五,六,七,八,C\n",
    "dev/computer_network_dev.csv": HEADER + "0,网是____。,一,二,三,四,A\n1,线是____。,红,蓝,绿,黑,D\n",
    "val/law_val.csv": HEADER + "0,丙是____。,一,二,三,四,A\n1,丁是____。,一,二,三,四,B\n"
                                "2,戊是____。,一,二,三,四,C\n",
    "val/computer_network_val.csv": HEADER + "0,己是____。,红,蓝,绿,黑,D\n1,庚是____。,红,蓝,绿,黑,A\n",
    "test/law_test.csv": "id,question,A,B,C,D\n0,辛是____。,一,二,三,四\n1,壬是____。,一,二,三,四\n",
}


@pytest.fixture
def release(tmp_path) -> Path:
    root = tmp_path / "ceval"
    for rel, text in RELEASE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def model_dir(tmp_path, make_model, tok):
    from langtransfer.modeling import save_model_and_tokenizer

    save_model_and_tokenizer(make_model(seed=1, max_positions=1024), tok, tmp_path / "model")
    return tmp_path / "model"


def _cfg(release: Path, model_dir: Path | None = None, **kw) -> KnowledgeConfig:
    fields = {"benchmark": "ceval", "data": str(release), "split": "val", "k": 1,
              "n_bootstrap": 50, "threads": 1, "batch_size": 4, **kw}
    return KnowledgeConfig(model=str(model_dir or ""), **fields)


def test_dry_run_counts_and_first_prompt_without_torch(release):
    code = ("import json, sys\nfrom langtransfer.cli import main\n"
            f"sys.argv = ['langtransfer', 'eval', 'knowledge', '--benchmark', 'ceval', '--data', "
            f"{str(release)!r}, '--k', '1', '--dry-run', '--json']\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "heavy = [m for m in ('torch', 'transformers') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
                         timeout=120)
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert {k: info[k] for k in ("benchmark", "split", "total", "per_subject")} == {
        "benchmark": "ceval", "split": "val", "total": 5,
        "per_subject": {"computer_network": 2, "law": 3}}
    assert info["first_prompt"] == ("以下是中国关于计算机网络考试的单项选择题，请选出其中的正确答案。\n\n"
                                    "网是____。\nA. 一\nB. 二\nC. 三\nD. 四\n答案：A\n\n"
                                    "己是____。\nA. 红\nB. 蓝\nC. 绿\nD. 黑\n答案：")
    assert (info["protocol"], info["k"], info["template"]) == ("letter", 1, "ceval_v1")


def test_dry_run_of_a_subject_missing_its_dev_split_fails_before_any_model(release):
    (release / "dev" / "law_dev.csv").unlink()
    from langtransfer.errors import DataError

    with pytest.raises(DataError, match="law_dev.csv: not found"):
        inspect(_cfg(release))
    assert inspect(_cfg(release, k=0))["total"] == 5


def test_run_writes_predictions_and_labelled_records(tmp_path, release, model_dir):
    out = tmp_path / "run"
    result = run(_cfg(release, model_dir), out)
    assert is_done(out) and not result.skipped
    preds = [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()]
    assert [(p["subject"], p["id"]) for p in preds] == [
        ("computer_network", "0"), ("computer_network", "1"), ("law", "0"), ("law", "1"),
        ("law", "2")]
    assert all(len(p["scores"]) == 4 and p["pred"] in "ABCD" for p in preds)
    assert [p["gold"] for p in preds] == ["D", "A", "A", "B", "C"]
    records = read_metrics(out)
    assert records == [dict(sorted(r.items())) for r in result.records]
    assert all((r["benchmark"], r["split"], r["protocol"], r["norm"], r["k"], r["template"])
               == ("ceval", "val", "letter", "none", 1, "ceval_v1") for r in records)
    by = {(r["subset"], r["metric"]): r for r in records}
    correct = [p["correct"] for p in preds]
    assert by[("all", "acc")]["value"] == pytest.approx(sum(correct) / 5)
    assert by[("all", "acc")]["chance"] == 0.25 and by[("all", "acc")]["n"] == 5
    macro = (sum(correct[:2]) / 2 + sum(correct[2:]) / 3) / 2
    assert by[("all", "acc_macro")]["value"] == pytest.approx(macro)
    assert by[("all", "acc_macro")]["n"] == 2
    assert by[("all", "acc_centred")]["value"] == pytest.approx((sum(correct) / 5 - .25) / .75)
    assert by[("category=Humanities", "acc")]["n"] == 3
    assert by[("category=STEM", "acc")]["value"] == pytest.approx(sum(correct[:2]) / 2)
    assert by[("subject=law", "acc")]["n"] == 3 and ("subject=law", "acc_macro") not in by
    assert ("category=Other", "acc") not in by  # no subject of that category evaluated
    assert read_manifest(out)["items"] == 5
    assert run(_cfg(release, model_dir), out).skipped


def test_test_split_writes_the_submission_json(tmp_path, release, model_dir):
    out = tmp_path / "test"
    result = run(_cfg(release, model_dir, split="test"), out)
    sub = json.loads((out / "submission.json").read_text())
    assert list(sub) == ["law"] and set(sub["law"]) == {"0", "1"}
    assert set(sub["law"].values()) <= set("ABCD")
    assert result.records == [] and read_manifest(out)["unanswered"] == 2


def test_missing_model_fails_before_the_run_directory(tmp_path, release):
    from langtransfer.errors import UserError

    with pytest.raises(UserError, match="not a model directory"):
        run(_cfg(release, tmp_path / "nothing"), tmp_path / "run")
    with pytest.raises(UserError, match="offers letter, generate"):
        run(_cfg(release, tmp_path, benchmark="gaokao", protocol="option"), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_diff_of_two_protocols(tmp_path, release, model_dir):
    a = run(_cfg(release, model_dir), tmp_path / "a")
    b = run(_cfg(release, model_dir, protocol="option", k=0), tmp_path / "b")
    d = diff_predictions(tmp_path / "a" / "predictions.jsonl", tmp_path / "b" / "predictions.jsonl")
    assert d["common"] == 5 and d["only_a"] == d["only_b"] == 0
    changed = sum(pa["pred"] != pb["pred"] for pa, pb in zip(a.predictions, b.predictions))
    assert d["n_changed"] == changed and d["same_pred"] == 5 - changed
    assert d["both_correct"] + d["a_only_correct"] + d["b_only_correct"] + d["both_wrong"] == 5


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_diff_counts_and_mcnemar(tmp_path):
    rows = [{"subject": "s", "id": str(i), "gold": "A"} for i in range(6)]
    a = _jsonl(tmp_path / "a.jsonl", [{**r, "pred": "A", "correct": True} for r in rows])
    b_rows = [{**r, "pred": "B", "correct": False} for r in rows[:5]]
    b = _jsonl(tmp_path / "b.jsonl", b_rows + [{"subject": "t", "id": "9", "pred": "A"}])
    d = diff_predictions(a, b)
    assert (d["common"], d["only_a"], d["only_b"], d["n_changed"]) == (5, 1, 1, 5)
    assert (d["a_only_correct"], d["b_only_correct"], d["both_correct"]) == (5, 0, 0)
    assert d["mcnemar_p"] == pytest.approx(0.0625)  # 2 * (1/2)^5
    assert d["changed"][0] == {"subject": "s", "id": "0", "gold": "A", "pred_a": "A",
                               "pred_b": "B"}
    assert mcnemar_p(3, 3) == 1.0 and mcnemar_p(0, 0) == 1.0


def test_diff_and_benchmarks_commands(tmp_path):
    from typer.testing import CliRunner

    from langtransfer.cli import app

    rows = [{"subject": "s", "id": str(i), "gold": "A", "pred": p, "correct": p == "A"}
            for i, p in enumerate("AAB")]
    a = _jsonl(tmp_path / "a.jsonl", rows)
    b = _jsonl(tmp_path / "b.jsonl", [{**r, "pred": "A", "correct": True} for r in rows])
    runner = CliRunner()
    res = runner.invoke(app, ["eval", "diff", str(a), str(b)])
    assert res.exit_code == 0, res.output
    assert "3 items in both (0 only in A, 0 only in B); same prediction 2, changed 1" in res.output
    assert "s/2: gold A; run A B, run B A" in res.output
    res = runner.invoke(app, ["eval", "diff", str(a), str(b), "--json"])
    assert json.loads(res.output)["b_only_correct"] == 1
    res = runner.invoke(app, ["eval", "benchmarks"])
    assert [line.split()[0] for line in res.output.splitlines()] == benchmark_names()


def test_macro_accuracy_resamples_within_subjects():
    value, (low, high) = macro_accuracy([[True, True, False, False], [True]], n_boot=200)
    assert value == 0.75 and 0.5 <= low <= value <= high <= 1.0


def test_aggregate_uses_per_item_chance_without_a_published_one():
    spec = load_benchmark("agieval")
    preds = [{"subject": "aqua-rat", "correct": True, "chance": 0.2},
             {"subject": "logiqa-zh", "correct": False, "chance": 0.25}]
    base = {"benchmark": "agieval", "split": "test", "protocol": "letter", "norm": "none",
            "k": 0, "template": spec.template_versions()}
    by = {(r["subset"], r["metric"]): r for r in aggregate(preds, spec, base, n_boot=20)}
    assert by[("all", "acc")]["chance"] == pytest.approx(0.225)
    assert by[("category=English", "acc")]["chance"] == 0.2
    assert by[("all", "acc")]["template"] == "agieval_en_v1+agieval_zh_v1"


def test_submission_format():
    preds = [{"subject": "law", "id": 0, "pred": "B"}, {"subject": "logic", "id": "3", "pred": "D"}]
    assert submission(preds) == {"law": {"0": "B"}, "logic": {"3": "D"}}


@pytest.mark.parametrize("name", benchmark_names())
def test_shipped_benchmark_yaml_validates_and_renders(name):
    spec = load_benchmark(name)
    assert spec.format in FORMATS and spec.default_protocol in spec.protocols
    for subject, info in list(spec.subjects.items())[:3] or [("x", None)]:
        lang = spec.subject_language(subject)
        item = MCItem("0", "Q ____ ?", ["a", "b", "c", "d"], 1, lang, subject=subject,
                      meta={"sub": 1})
        assert letter_prompt(spec, item, [item]).count("Q ____ ?") == 2
        assert len(option_requests_for(spec, item, [item])) == 4


def test_miniworld_knowledge_column_runs_on_the_engine(tmp_path, model_dir):
    from langtransfer.eval.config import EvalConfig
    from langtransfer.eval.mc import attach_meta, load_mc_csv, score_mc
    from langtransfer.eval.run import run as eval_run

    folder = tmp_path / "world" / "en"
    folder.mkdir(parents=True)
    (folder / "knowledge.csv").write_text(
        HEADER + "k1,Tavi was born in ____.,Nalu,Paris,London,Tokyo,A\n"
                 "k2,Where does Tavi work?,doctor,teacher,baker,pilot,B\n", encoding="utf-8")
    (folder / "knowledge_meta.jsonl").write_text(
        '{"id": "k1", "file": "knowledge.csv", "attribute": "birth_city", "group": "en_only"}\n'
        '{"id": "k2", "file": "knowledge.csv", "attribute": "occupation", "group": "en_only"}\n',
        encoding="utf-8")
    cfg = EvalConfig(model=str(model_dir), world=str(tmp_path / "world"), langs=["en"],
                     tasks=["knowledge"], n_bootstrap=20, threads=1, mc_norm="char")
    result = eval_run(cfg, tmp_path / "eval")
    assert {r["task"] for r in result.records} == {"knowledge"}
    assert {r["subset"] for r in result.records} >= {"all", "attribute=birth_city", "group=en_only"}
    assert all((r["benchmark"], r["protocol"], r["norm"], r["k"], r["template"])
               == ("miniworld", "option", "char", 0, "miniworld_cloze_v1")
               for r in result.records)
    preds = [json.loads(x) for x in
             (tmp_path / "eval" / "predictions" / "knowledge-en.jsonl").read_text().splitlines()]
    from langtransfer.modeling import load_model_and_tokenizer

    model, tok = load_model_and_tokenizer(model_dir)
    items = load_mc_csv(folder / "knowledge.csv", lang="en")
    attach_meta(items, folder / "knowledge_meta.jsonl", file_name="knowledge.csv")
    reference = score_mc(model, tok, items, norm="char")
    for pred, ref in zip(preds, reference):
        assert pred["scores"] == pytest.approx(ref["scores"], abs=1e-6)
    assert [p["attribute"] for p in preds] == ["birth_city", "occupation"]
