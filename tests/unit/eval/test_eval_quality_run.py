"""`eval quality` end to end with the miniworld judge: given answers, generated answers, and the
one-line errors of the command line; sampling in eval.generate."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from langtransfer.eval.generate import Sampling, generate
from langtransfer.eval.quality import QualityConfig, run
from langtransfer.files import read_jsonl, write_jsonl
from langtransfer.runs import read_manifest, read_metrics

SMALL = {"n_people": 60, "n_heldout_people": 10, "n_countries": 3, "n_cities": 10,
         "n_companies": 10, "n_instructions": 200, "n_open_eval": 20, "n_knowledge": 40,
         "n_heldout": 20, "parallel_share": 0.1, "target_share_in_base": 0.05}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from langtransfer.miniworld.config import WorldConfig
    from langtransfer.miniworld.generate import generate as generate_world

    out = tmp_path_factory.mktemp("qworld") / "world"
    generate_world(WorldConfig.from_dict(SMALL), out)
    return out


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "langtransfer", "eval", "quality", *args],
                          capture_output=True, text=True)


def test_reference_answers_score_high_and_empty_ones_low(world, tmp_path):
    questions = world / "zh" / "open_eval.jsonl"
    items = read_jsonl(questions)
    write_jsonl(tmp_path / "ref.jsonl", [{"id": r["id"], "response": r["reference"]} for r in items])
    res = _cli("--questions", str(questions), "--format", "miniworld", "--answers",
               str(tmp_path / "ref.jsonl"), "--judge", "miniworld", "--out", str(tmp_path / "r"),
               "--json")
    assert res.returncode == 0, res.stderr
    overall = {r["metric"]: r for r in json.loads(res.stdout)["records"]}
    assert overall["accuracy"]["value"] == 3 and overall["accuracy"]["n"] == len(items)
    assert overall["avg_no_h"]["value"] > 2.5 and overall["failed_items"]["value"] == 0
    cats = {r["subset"] for r in read_metrics(tmp_path / "r")}
    assert {f"category={c}" for c in {i["category"] for i in items}} <= cats
    write_jsonl(tmp_path / "empty.jsonl", [{"id": r["id"], "response": ""} for r in items])
    cfg = QualityConfig.from_dict({"questions": str(questions), "format": "miniworld",
                                   "answers": str(tmp_path / "empty.jsonl"), "n_bootstrap": 50})
    result = run(cfg, tmp_path / "e")
    acc = next(r for r in result.records if r["metric"] == "accuracy" and r["subset"] == "all")
    assert acc["value"] == 0
    row = read_jsonl(tmp_path / "e" / "judgments.jsonl")[0]
    assert row["scores"]["accuracy"] == 0 and "empty response" in row["reason"]


@pytest.mark.slow
def test_generated_answers_are_saved_and_judged(world, tmp_path, tok, make_model):
    model_dir = tmp_path / "model"
    make_model(seed=3).save_pretrained(model_dir)
    tok.save_pretrained(model_dir)
    cfg = QualityConfig.from_dict({
        "questions": str(world / "en" / "open_eval.jsonl"), "format": "miniworld", "limit": 5,
        "model": str(model_dir), "max_new_tokens": 6, "n_bootstrap": 50, "threads": 1})
    run(cfg, tmp_path / "g")
    rows = read_jsonl(tmp_path / "g" / "responses.jsonl")
    assert len(rows) == 5 and set(rows[0]) == {"id", "prompt", "response", "tokens", "seconds",
                                                "finish"}
    assert rows[0]["prompt"].startswith("### Instruction:\n") and rows[0]["tokens"] <= 6
    judged = read_jsonl(tmp_path / "g" / "judgments.jsonl")
    assert [r["response"] for r in judged] == [r["response"] for r in rows]
    manifest = read_manifest(tmp_path / "g")
    assert manifest["generation"]["items"] == 5 and manifest["judge"]["items"] == 5


def test_sampling_is_seeded_and_differs_from_greedy(model, tok):
    prompts = ["Where was Tavi born?", "red blue"]
    greedy = [o.text for o in generate(model, tok, prompts, max_new_tokens=8)]
    assert [o.text for o in generate(model, tok, prompts, 8, sampling=Sampling(0.0))] == greedy
    a = [o.text for o in generate(model, tok, prompts, 8, sampling=Sampling(1.5, 1.0, seed=1))]
    b = [o.text for o in generate(model, tok, prompts, 8, sampling=Sampling(1.5, 1.0, seed=1))]
    c = [o.text for o in generate(model, tok, prompts, 8, sampling=Sampling(1.5, 1.0, seed=2))]
    assert a == b and a != greedy and a != c


@pytest.mark.parametrize("extra, message", [
    (["--judge", "gpt9"], "error: judge.name: unknown judge 'gpt9'"),
    (["--lang", "xx"], "error: unknown language 'xx'"),
    (["--model", "m"], "give exactly one of model"),
])
def test_command_line_errors_are_one_line(world, tmp_path, extra, message):
    write_jsonl(tmp_path / "a.jsonl", [{"id": "nope", "response": "x"}])
    base = ["--questions", str(world / "en" / "open_eval.jsonl"), "--format", "miniworld",
            "--answers", str(tmp_path / "a.jsonl"), "--judge", "miniworld", "--out",
            str(tmp_path / "o")]
    res = _cli(*base, *extra)
    assert res.returncode == 2 and message in res.stderr and res.stderr.count("\n") == 1


def test_mismatched_answer_ids_name_the_first_one(world, tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"id": "en-open-000000", "response": "x"},
                                       {"id": "nope", "response": "x"}])
    res = _cli("--questions", str(world / "en" / "open_eval.jsonl"), "--format", "miniworld",
               "--answers", str(tmp_path / "a.jsonl"), "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and res.stderr.count("\n") == 1
    assert "a.jsonl:2: answer id 'nope' is not in the question set" in res.stderr
