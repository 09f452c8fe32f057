"""eval.questions: the four open-question layouts and answer matching."""

from __future__ import annotations

import pytest

from langtransfer.errors import ConfigError, DataError
from langtransfer.eval.questions import load_questions, read_answers
from langtransfer.files import write_jsonl


@pytest.mark.shared_data
def test_belle_eval_set(shared_data):
    rows = load_questions(shared_data / "belle" / "eval_set.json", "belle")
    assert len(rows) == 1000 and rows[0]["id"] == "belle-0001" and rows[0]["lang"] == "zh"
    cats = {r["category"] for r in rows}
    assert "closed qa" in cats and len(cats) == 10  # the U+00A0 variant folded into one
    assert sum(r["category"] == "math" for r in rows) == 75
    assert rows[0]["reference"].startswith("要生成五个不同的随机数")
    assert len(load_questions(shared_data / "belle" / "eval_set.json", "belle", limit=10)) == 10


@pytest.mark.shared_data
def test_llmeval2_unique_questions_with_hints(shared_data):
    rows = load_questions(shared_data / "llmeval2" / "data", "llmeval2")
    assert len(rows) == 120  # 3 subjects x 40 questions (each answered by 20 models)
    law = [r for r in rows if r["category"] == "Law"]
    assert len(law) == 40 and law[0]["id"] == "Law_1" and law[0]["reference"].startswith("三年")
    assert {r["type"] for r in rows} == {"A", "B"}


def test_miniworld_open_eval(tmp_path):
    row = {"id": "zh-open-1", "lang": "zh", "category": "fact", "question": "谁？",
           "reference": "塔维。", "facts": []}
    write_jsonl(tmp_path / "open_eval.jsonl", [row])
    (q,) = load_questions(tmp_path / "open_eval.jsonl", "miniworld")
    assert q["source"] == row and q["category"] == "fact"
    write_jsonl(tmp_path / "plain.jsonl", [{k: v for k, v in row.items() if k != "facts"}])
    with pytest.raises(DataError, match="plain.jsonl:1: missing field 'facts'"):
        load_questions(tmp_path / "plain.jsonl", "miniworld")


def test_user_jsonl_languages(tmp_path):
    rows = [{"id": "1", "question": "Habari?", "lang": "sw", "category": "chat"},
            {"id": "2", "question": "你好？", "lang": "zh", "reference": "你好。"},
            {"id": "3", "question": "Hello?"}]
    write_jsonl(tmp_path / "q.jsonl", rows)
    with pytest.raises(DataError, match="question '3' has no 'lang'; pass --lang"):
        load_questions(tmp_path / "q.jsonl", "jsonl")
    write_jsonl(tmp_path / "two.jsonl", rows[:2])
    with pytest.raises(DataError, match=r"several languages \(sw, zh\); pick one with --lang"):
        load_questions(tmp_path / "two.jsonl", "jsonl")
    # rows without a lang take --lang's
    assert [r["id"] for r in load_questions(tmp_path / "q.jsonl", "jsonl", "sw")] == ["1", "3"]
    assert [r["id"] for r in load_questions(tmp_path / "q.jsonl", "jsonl", "en")] == ["3"]
    zh, _ = load_questions(tmp_path / "q.jsonl", "jsonl", "zh")
    assert zh == {"id": "2", "category": "all", "question": "你好？", "reference": "你好。",
                  "lang": "zh"}
    write_jsonl(tmp_path / "bad.jsonl", [{"id": "1", "question": "?", "lang": "klingon"}])
    with pytest.raises(DataError, match="bad.jsonl:1: field 'lang': unknown language 'klingon'"):
        load_questions(tmp_path / "bad.jsonl", "jsonl")


def test_format_and_row_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown question format 'csv'"):
        load_questions(tmp_path / "x", "csv")
    with pytest.raises(DataError, match="question file not found"):
        load_questions(tmp_path / "x.jsonl", "jsonl")
    write_jsonl(tmp_path / "dup.jsonl", [{"id": "a", "question": "?"}] * 2)
    with pytest.raises(DataError, match="duplicate question id 'a'"):
        load_questions(tmp_path / "dup.jsonl", "jsonl", "en")
    write_jsonl(tmp_path / "noq.jsonl", [{"id": "a", "question": " "}])
    with pytest.raises(DataError, match="noq.jsonl:1: missing or empty field 'question'"):
        load_questions(tmp_path / "noq.jsonl", "jsonl", "en")


def test_answers_must_match_the_question_ids(tmp_path):
    questions = [{"id": "a"}, {"id": "b"}]
    write_jsonl(tmp_path / "ok.jsonl", [{"id": "b", "response": "B"}, {"id": "a", "response": "A"}])
    assert read_answers(tmp_path / "ok.jsonl", questions) == {"a": "A", "b": "B"}
    write_jsonl(tmp_path / "extra.jsonl", [{"id": "a", "response": ""}, {"id": "z", "response": ""}])
    with pytest.raises(DataError, match="extra.jsonl:2: answer id 'z' is not in the question set"):
        read_answers(tmp_path / "extra.jsonl", questions)
    write_jsonl(tmp_path / "short.jsonl", [{"id": "a", "response": "A"}])
    with pytest.raises(DataError, match="no answer for question id 'b'"):
        read_answers(tmp_path / "short.jsonl", questions)
    write_jsonl(tmp_path / "shape.jsonl", [{"id": "a", "text": "A"}])
    with pytest.raises(DataError, match="shape.jsonl:1: expected"):
        read_answers(tmp_path / "shape.jsonl", questions)
