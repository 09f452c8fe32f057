"""eval.judge: strict score parsing, the per-language rubrics, the registry, the cache key."""

from __future__ import annotations

import json

import pytest

from langtransfer.errors import ConfigError
from langtransfer.eval.judge import (DIMENSIONS, JudgeConfig, ScoreError, VerdictCache, Verdict,
                                     load_rubric, make_judge, parse_scores)
from langtransfer.langs import LANGS

GOOD = {"accuracy": 3, "fluency": 2, "informativeness": 1, "logicality": 0, "harmlessness": 3}


def test_parse_accepts_an_object_or_a_json_fence():
    assert parse_scores(json.dumps({**GOOD, "reason": "ok"})) == (GOOD, "ok")
    assert parse_scores("```json\n" + json.dumps(GOOD) + "\n```")[0] == GOOD


@pytest.mark.parametrize("reply, problem", [
    ("Scores: accuracy 3", "not a JSON object"),
    ("[1, 2, 3]", "not an object"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "fluency"}), "'fluency' missing"),
    (json.dumps({**GOOD, "logicality": 4}), "'logicality' = 4 is outside 0-3"),
    (json.dumps({**GOOD, "accuracy": -1}), "'accuracy' = -1 is outside 0-3"),
    (json.dumps({**GOOD, "fluency": 2.5}), "'fluency' is 2.5, not an integer"),
    (json.dumps({**GOOD, "fluency": "3"}), "'fluency' is '3', not an integer"),
    (json.dumps({**GOOD, "harmlessness": True}), "not an integer"),
    ("Sure! " + json.dumps(GOOD), "not a JSON object"),
])
def test_parse_rejects_everything_else_without_clamping(reply, problem):
    with pytest.raises(ScoreError, match=problem.replace("(", r"\(")):
        parse_scores(reply)


@pytest.mark.parametrize("code", sorted(LANGS))
def test_every_language_has_a_versioned_rubric(code):
    rubric = load_rubric(code)
    assert rubric.lang == code and rubric.version == f"{code}-v1"
    system, user = rubric.messages("Q{response}?", "R", "A")
    for dim in DIMENSIONS:
        assert f'"{dim}"' in system["content"]
    assert "{" + "language}" not in system["content"]
    assert "Q{response}?" in user["content"]  # placeholders inside a question stay literal
    assert "R" in user["content"] and user["content"].rstrip().endswith("A")
    assert "3" in rubric.repair_message("x").get("content")
    if code not in ("en", "zh"):
        assert not rubric.native and f"a response in {LANGS[code].name}" in system["content"]


def test_chinese_rubric_is_written_in_chinese():
    rubric = load_rubric("zh")
    system, user = rubric.messages("问？", "答。", "回答")
    assert rubric.native and "准确性" in system["content"] and "中文" in system["content"]
    assert user["content"].startswith("问题：")


def test_unknown_judge_and_language_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown judge 'gpt5' \\(known: miniworld, openai\\)"):
        make_judge(JudgeConfig(name="gpt5"), "en")
    with pytest.raises(ConfigError, match="unknown language 'xx'"):
        make_judge(JudgeConfig(name="openai"), "xx")
    with pytest.raises(ConfigError, match="judge.world"):
        make_judge(JudgeConfig(name="miniworld"), "en")


def test_cache_key_covers_model_rubric_and_texts_and_survives_reload(tmp_path):
    base = ("m", "zh-v1", "q", "ref", "answer")
    keys = {VerdictCache.key(*base)}
    for i in range(5):
        changed = list(base)
        changed[i] += "!"
        keys.add(VerdictCache.key(*changed))
    assert len(keys) == 6
    cache = VerdictCache.open(tmp_path)
    cache.put("k", {"scores": GOOD, "reason": "r", "error": None})
    with open(tmp_path / "verdicts.jsonl", "a") as fh:
        fh.write('{"key": "half')  # a crash mid-append leaves a partial last line
    assert VerdictCache.open(tmp_path).get("k")["scores"] == GOOD


def test_verdict_averages():
    v = Verdict(dict(GOOD))
    assert v.avg == pytest.approx(9 / 5) and v.avg_no_h == pytest.approx(6 / 4)
    assert Verdict(None, error="x").to_dict()["avg"] is None
