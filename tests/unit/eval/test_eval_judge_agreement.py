"""eval.agreement: Spearman / Kendall tau-b / exact agreement, score-file readers, LLMEval-2
GPT-4 vs human agreement and LLMEval-1's published per-model averages."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from langtransfer.errors import DataError
from langtransfer.eval.agreement import (agreement, kendall_tau_b, llmeval1_model_means,
                                         rankdata, read_scores, spearman)
from langtransfer.files import write_jsonl


def test_statistics_on_hand_computed_cases():
    x = np.array([1, 2, 3, 4, 5.0])
    assert spearman(x, x) == pytest.approx(1) and kendall_tau_b(x, -x) == pytest.approx(-1)
    # x = 1 2 2 3, y = 1 3 2 2: pairs (1,2) C, (1,3) C, (1,4) C, (2,3) tie-x, (2,4) D,
    # (3,4) tie-y ... P=3, Q=1, n0=6, n1=1, n2=1 -> tau_b = 2 / 5
    assert kendall_tau_b(np.array([1, 2, 2, 3.0]), np.array([1, 3, 2, 2.0])) == pytest.approx(0.4)
    assert list(rankdata(np.array([3, 1, 3, 2.0]))) == [3.5, 1, 3.5, 2]
    assert np.isnan(spearman(np.ones(4), x[:4])) and np.isnan(kendall_tau_b(np.ones(4), x[:4]))


def test_statistics_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    for _ in range(5):
        x = rng.integers(0, 4, 300).astype(float)
        y = np.clip(x + rng.integers(-2, 3, 300), 0, 3)
        assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
        assert kendall_tau_b(x, y) == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)
    x = rng.normal(size=200)
    y = x + rng.normal(size=200)
    assert kendall_tau_b(x, y) == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)


def test_jsonl_sets_align_by_id_and_skip_failed_items(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [
        {"id": "1", "scores": {"accuracy": 3, "fluency": 3}}, {"id": "2", "scores": None},
        {"id": "3", "scores": {"accuracy": 1, "fluency": 2}}, {"id": "4", "scores": {"accuracy": 2, "fluency": 3}}])
    write_jsonl(tmp_path / "b.jsonl", [
        {"id": "1", "accuracy": 3, "fluency": 2}, {"id": "3", "accuracy": 2, "fluency": 2},
        {"id": "4", "accuracy": 2, "fluency": 3}, {"id": "5", "accuracy": 0, "fluency": 0}])
    res = agreement(read_scores(tmp_path / "a.jsonl"), read_scores(tmp_path / "b.jsonl"))
    assert (res["common"], res["only_a"], res["only_b"]) == (3, 0, 1)
    acc = res["dims"]["accuracy"]
    assert acc["n"] == 3 and acc["exact"] == pytest.approx(2 / 3) and acc["within_one"] == 1
    assert acc["mean_a"] == pytest.approx(2) and acc["mean_b"] == pytest.approx(7 / 3)
    write_jsonl(tmp_path / "bad.jsonl", [{"id": "1", "scores": {"accuracy": "high"}}])
    with pytest.raises(DataError, match="bad.jsonl:1: score 'accuracy' is 'high'"):
        read_scores(tmp_path / "bad.jsonl")


@pytest.mark.shared_data
def test_llmeval2_gpt4_vs_human(shared_data):
    gpt = read_scores(shared_data / "llmeval2" / "gpt-score")
    human = read_scores(shared_data / "llmeval2" / "human-score")
    res = agreement(gpt, human)
    assert res["common"] == 2400 and res["only_a"] == res["only_b"] == 0
    d = res["dims"]
    # docs/evaluation.md records these (3 subjects x 40 questions x 20 models).
    assert d["correctness"]["n"] == 1200 and d["fluency"]["n"] == 1200
    assert d["correctness"]["spearman"] == pytest.approx(0.715, abs=5e-4)
    assert d["accuracy"]["kendall_tau_b"] == pytest.approx(0.444, abs=5e-4)
    assert d["fluency"]["exact"] == pytest.approx(0.725, abs=5e-4)
    assert d["informativeness"]["spearman"] == pytest.approx(0.354, abs=5e-4)
    assert d["logicality"]["spearman"] == pytest.approx(0.185, abs=5e-4)


@pytest.mark.shared_data
def test_llmeval1_itemized_scores_reproduce_published_averages(shared_data):
    ours = llmeval1_model_means(shared_data / "llmeval1" / "itemized_gpt4_scores.csv")
    with open(shared_data / "llmeval1" / "results_itemized_gpt4.csv", encoding="utf-8") as fh:
        published = {row["llm_name"]: row for row in csv.DictReader(fh)}
    # The results file calls Baichuan-7B-Align "Chat-Baichuan-7B" (same numbers, 3rd place).
    ours["Chat-Baichuan-7B"] = ours.pop("Baichuan-7B-Align")
    assert set(ours) == set(published)
    metrics = ("accuracy", "informativeness", "fluency", "logicality", "harmlessness")
    diffs = [abs(round(ours[m][k], 3) - float(published[m][k])) for m in ours for k in metrics]
    assert max(diffs) <= 0.0010001 and sum(d < 1e-9 for d in diffs) == 58
    overall = [abs(round(ours[m]["overall"], 3) - float(published[m]["overall"])) for m in ours]
    assert max(overall) < 1e-9
    ranked = sorted(ours, key=lambda m: -ours[m]["overall"])
    assert ranked[:3] == ["GPT4.0", "GPT3.5", "Chat-Baichuan-7B"]


def test_cli_agreement_json(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"id": str(i), "accuracy": i % 4} for i in range(8)])
    write_jsonl(tmp_path / "b.jsonl", [{"id": str(i), "accuracy": (i + 1) % 4} for i in range(8)])
    res = subprocess.run([sys.executable, "-m", "langtransfer", "eval", "agreement",
                          str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"), "--json"],
                         capture_output=True, text=True, check=True)
    out = json.loads(res.stdout)
    assert out["common"] == 8 and out["dims"]["accuracy"]["exact"] == 0
