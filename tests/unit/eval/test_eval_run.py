"""eval.run: the stage end to end on a tiny model and a hand-written two-language world,
with a stand-in judge (the MiniWorld judge is a separate component)."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from langtransfer.errors import DataError, UserError
from langtransfer.eval.config import EvalConfig
from langtransfer.eval.run import run
from langtransfer.runs import is_done, read_metrics

HEADER = "id,question,A,B,C,D,answer\n"
WORLD = {
    "en": {
        "know": [("en-know-1", "Tavi Lumo was born in ____.", "Nalu,Paris,London,Tokyo", "A",
                  "birth_city", "latin"),
                 ("en-know-2", "Tavi Lumo works as a ____.", "doctor,teacher,baker,pilot", "B",
                  "occupation", "latin"),
                 ("en-know-3", "Nalu Vemo was born in ____.", "Paris,Nalu,Tokyo,London", "D",
                  "birth_city", "latin")],
        "ctrl": [("en-ctrl-1", "Kira Sol was born in ____.", "Paris,London,Nalu,Tokyo", "C",
                  "birth_city", "latin")],
        "heldout": ["Kira Sol was born in Tokyo.", "Kira Sol works as a pilot in London."],
        "question": "Where was Tavi Lumo born?",
    },
    "zh": {
        "know": [("zh-know-1", "塔维·卢莫出生于____。", "纳卢,巴黎,伦敦,东京", "A", "birth_city",
                  "native"),
                 ("zh-know-2", "Tavi Lumo出生于____。", "纳卢,巴黎,伦敦,东京", "A", "birth_city",
                  "latin")],
        "ctrl": [],
        "heldout": ["基拉出生于东京。"],
        "question": "塔维·卢莫出生在哪个城市？",
    },
}


def _write_world(root: Path) -> Path:
    for lang, spec in WORLD.items():
        folder = root / lang
        folder.mkdir(parents=True)
        meta = []
        for name, rows, group in (("knowledge.csv", spec["know"], "en_only"),
                                  ("knowledge_control.csv", spec["ctrl"], "unseen")):
            if not rows:
                continue
            (folder / name).write_text(HEADER + "".join(
                f"{i},{q},{opts},{a}\n" for i, q, opts, a, _, _ in rows), encoding="utf-8")
            meta += [{"id": i, "file": name, "group": group, "attribute": attr, "name_form": form,
                      "person": "p" + i[-1]} for i, _, _, _, attr, form in rows]
        (folder / "knowledge_meta.jsonl").write_text(
            "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in meta), encoding="utf-8")
        (folder / "heldout.txt").write_text("\n".join(spec["heldout"]) + "\n", encoding="utf-8")
        questions = [{"id": f"{lang}-open-{k}", "lang": lang, "category": cat, "group": "en_only",
                      "question": spec["question"], "reference": "ref", "facts": []}
                     for k, cat in enumerate(["fact", "profile", "fact"])]
        (folder / "open_eval.jsonl").write_text(
            "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    return root


class StandInJudge:
    """Scores by response length so the records carry real, varying numbers."""

    calls: list[tuple[str, str]] = []

    def __init__(self, world_dir: Path, lang: str):
        assert (Path(world_dir) / lang / "open_eval.jsonl").is_file()
        self.lang = lang

    def score(self, item: dict, response: str) -> dict:
        StandInJudge.calls.append((item["id"], response))
        dims = {"accuracy": len(response) % 4, "fluency": 3, "informativeness": 1,
                "logicality": 2, "harmlessness": 3}
        avg_no_h = sum(list(dims.values())[:4]) / 4
        return {**dims, "avg": sum(dims.values()) / 5, "avg_no_h": avg_no_h, "reasons": {}}


@pytest.fixture
def stand_in_judge(monkeypatch):
    module = types.ModuleType("langtransfer.miniworld.judge")
    module.MiniWorldJudge = StandInJudge
    monkeypatch.setitem(sys.modules, "langtransfer.miniworld.judge", module)
    StandInJudge.calls = []
    return StandInJudge


@pytest.fixture
def model_dir(tmp_path, model, tok):
    from langtransfer.modeling import save_model_and_tokenizer

    save_model_and_tokenizer(model, tok, tmp_path / "model")
    return tmp_path / "model"


def _cfg(model_dir: Path, world: Path, **kw) -> EvalConfig:
    return EvalConfig(model=str(model_dir), world=str(world), max_new_tokens=8, quality_limit=2,
                      ppl_seq_len=16, batch_size=4, n_bootstrap=50, threads=1, **kw)


def test_stage_writes_records_predictions_and_generations(tmp_path, model_dir, stand_in_judge):
    world = _write_world(tmp_path / "world")
    result = run(_cfg(model_dir, world), tmp_path / "eval")
    out = tmp_path / "eval"
    assert not result.skipped and is_done(out)
    assert read_metrics(out) == [dict(sorted(r.items())) for r in result.records]
    by_key = {(r["task"], r["lang"], r["subset"], r["metric"]): r for r in result.records}

    know = by_key[("knowledge", "en", "all", "acc")]
    assert know["n"] == 3 and know["chance"] == 0.25 and 0 <= know["value"] <= 1
    assert by_key[("knowledge", "en", "attribute=birth_city", "acc")]["n"] == 2
    assert by_key[("knowledge", "en", "attribute=occupation", "acc_centred")]["n"] == 1
    assert by_key[("knowledge_control", "en", "group=unseen", "acc")]["n"] == 1
    assert by_key[("knowledge", "zh", "name_form=native", "acc")]["n"] == 1
    assert ("knowledge_control", "zh", "all", "acc") not in by_key  # no control file for zh

    preds = [json.loads(line) for line in
             (out / "predictions" / "knowledge-en.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p["id"] for p in preds] == ["en-know-1", "en-know-2", "en-know-3", "en-ctrl-1"]
    assert preds[0]["task"] == "knowledge" and preds[3]["task"] == "knowledge_control"
    assert preds[0]["attribute"] == "birth_city" and len(preds[0]["logliks"]) == 4
    acc = sum(p["correct"] for p in preds[:3]) / 3
    assert know["value"] == pytest.approx(acc)

    for lang in ("en", "zh"):
        bpb = by_key[("ppl", lang, "all", "bpb")]
        assert bpb["value"] > 0 and bpb["ci_low"] <= bpb["value"] <= bpb["ci_high"]
        assert by_key[("ppl", lang, "all", "ppl")]["value"] > 1

    gens = [json.loads(line) for line in
            (out / "generations" / "quality-zh.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(gens) == 2 and gens[0]["scores"]["fluency"] == 3  # quality_limit=2
    assert {g["response"] for g in gens} <= {resp for _, resp in stand_in_judge.calls}
    fluency = by_key[("quality", "zh", "all", "fluency")]
    assert fluency["value"] == 3 and fluency["n"] == 2
    assert by_key[("quality", "en", "category=fact", "avg")]["n"] == 1
    assert ("quality", "en", "all", "avg_no_h") in by_key
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["generation_en"]["items"] == 2 and manifest["ppl_zh"]["docs"] == 1
    # the same responses' code-switching rate, recomputed from the saved generations
    from langtransfer.eval.codeswitch import codeswitch_rate

    switch = by_key[("codeswitch", "zh", "all", "rate")]
    expect = codeswitch_rate([g["response"] for g in gens], "zh", n_boot=10)
    assert switch["n"] == 2 and switch["value"] == pytest.approx(expect["rate"])
    assert "codeswitch_zh" in manifest


def test_finished_run_is_skipped(tmp_path, model_dir, stand_in_judge):
    world = _write_world(tmp_path / "world")
    cfg = _cfg(model_dir, world, tasks=["knowledge"], langs=["en"])
    first = run(cfg, tmp_path / "eval")
    second = run(cfg, tmp_path / "eval")
    assert second.skipped and len(second.records) == len(first.records) > 0


def test_missing_world_file_fails_before_any_work(tmp_path, model_dir, stand_in_judge):
    world = _write_world(tmp_path / "world")
    (world / "zh" / "heldout.txt").unlink()
    with pytest.raises(DataError, match=r"zh/heldout.txt: not found \(needed by eval task 'ppl'"):
        run(_cfg(model_dir, world), tmp_path / "eval")
    assert not (tmp_path / "eval").exists()


def test_missing_model_fails_before_any_work(tmp_path, stand_in_judge):
    world = _write_world(tmp_path / "world")
    with pytest.raises(UserError, match="not a model directory"):
        run(_cfg(tmp_path / "nothing", world), tmp_path / "eval")
    assert not (tmp_path / "eval").exists()


def test_open_eval_row_without_question_is_a_data_error(tmp_path, model_dir, stand_in_judge):
    world = _write_world(tmp_path / "world")
    (world / "en" / "open_eval.jsonl").write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(DataError, match="item 1: missing field 'question'"):
        run(_cfg(model_dir, world, tasks=["quality"], langs=["en"]), tmp_path / "eval")
