"""Instruction formats by name (alpaca, belle, bactrian_x, sharegpt, messages) on real files and
tiny fixtures; one-line errors naming file and line; prompt templates (alpaca, chat); the loss
mask of multi-turn conversations."""

from __future__ import annotations

import json

import pytest

from langtransfer.data.config import InstructionSourceConfig
from langtransfer.data.formats import FORMATS, RowError, to_messages
from langtransfer.data.sources import load_instruction_rows
from langtransfer.data.templates import conversation_segments, render_prompt
from langtransfer.data.transforms import sft_v1
from langtransfer.errors import ConfigError, DataError

SHAREGPT = {"conversations": [
    {"from": "system", "value": "Answer briefly."},
    {"from": "human", "value": "Where was Tavi born?"}, {"from": "gpt", "value": "In Nalu."},
    {"from": "human", "value": "And Mira?"}, {"from": "gpt", "value": "In Vesk."}]}
MESSAGES = {"messages": [
    {"role": "user", "content": "塔维出生在哪里？"}, {"role": "assistant", "content": "纳鲁。"},
    {"role": "user", "content": "米拉呢？"}, {"role": "assistant", "content": "维斯卡。"},
    {"role": "user", "content": "trailing question without an answer"}]}
BACTRIAN = {"instruction": "Taja mji mkuu wa Kenya.", "input": "", "id": "sw-1",
            "output": "Nairobi."}


def _source(path, fmt, **kw):
    return InstructionSourceConfig(path=str(path), instruction_format=fmt, **kw)


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_registry_has_the_five_formats():
    assert sorted(FORMATS) == ["alpaca", "bactrian_x", "belle", "messages", "sharegpt"]


def test_alpaca_demo_files_json_lists(shared_data):
    for name in ("alpaca_en_demo.json", "alpaca_zh_demo.json"):
        path = shared_data / "instructions" / name
        rows = load_instruction_rows(_source(path, "alpaca"))
        raw = json.loads(path.read_text("utf-8"))
        assert len(rows) == len(raw) >= 999
        first = rows[0]["messages"]
        assert first[0]["content"] == raw[0]["instruction"]
        assert first[-1] == {"role": "assistant", "content": raw[0]["output"]}
        with_input = next(i for i, r in enumerate(raw) if r["input"])
        assert rows[with_input]["messages"][0]["input"] == raw[with_input]["input"]


def test_belle_dev_file_is_json_lines_despite_its_suffix(shared_data):
    rows = load_instruction_rows(_source(shared_data / "belle" / "dev1K.json", "belle"))
    assert len(rows) == 1000 and rows[0]["lang"] == "zh"
    assert rows[0]["messages"][0]["content"].startswith("题目：小明每天早上")


def test_belle_eval_set_is_not_instruction_data(shared_data):
    """BELLE's eval set has {question, std_answer, class}: a one-line error at line 1."""
    path = shared_data / "belle" / "eval_set.json"
    with pytest.raises(DataError, match=r"eval_set.json:1: missing 'instruction' \(a string "
                                        r"is required\)$"):
        load_instruction_rows(_source(path, "belle"))


def test_row_missing_its_output_names_file_and_line(tmp_path):
    path = _jsonl(tmp_path / "bx.jsonl", [BACTRIAN, {"instruction": "Swali", "input": ""}])
    with pytest.raises(DataError, match=r"bx.jsonl:2: missing 'output' \(a string is "
                                        r"required\)$"):
        load_instruction_rows(_source(path, "bactrian_x", lang="sw"))
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([BACTRIAN, {"instruction": "x", "input": ""}]), "utf-8")
    with pytest.raises(DataError, match=r"list.json: row 1: missing 'output'"):
        load_instruction_rows(_source(listed, "alpaca"))


def test_sharegpt_and_messages_become_role_content_turns(tmp_path):
    rows = load_instruction_rows(_source(_jsonl(tmp_path / "sg.jsonl", [SHAREGPT]), "sharegpt"))
    assert [m["role"] for m in rows[0]["messages"]] == ["system", "user", "assistant", "user",
                                                        "assistant"]
    chat = to_messages("messages", MESSAGES)
    assert [m["role"] for m in chat] == ["user", "assistant", "user", "assistant"]  # tail dropped


@pytest.mark.parametrize("fmt,row,message", [
    ("sharegpt", {"conversations": [{"from": "human", "value": "hi"}]},
     "no assistant turn"),
    ("sharegpt", {"conversations": [{"from": "bard", "value": "hi"}]}, "unknown speaker 'bard'"),
    ("messages", {"messages": [{"role": "assistant", "content": "hi"}]},
     "turn 0: expected a user turn, got assistant"),
    ("messages", {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]},
     "turn 1: expected a assistant turn, got user"),
    ("messages", {"turns": []}, "missing 'messages'"),
    ("alpaca", ["not", "an", "object"], "expected an object, got list"),
])
def test_malformed_conversations(fmt, row, message):
    with pytest.raises(RowError, match=message):
        to_messages(fmt, row)


def test_alpaca_templates_render_multi_turn_segments_golden():
    messages = to_messages("sharegpt", SHAREGPT)
    assert conversation_segments(messages, "alpaca_short") == [
        ("Answer briefly.\n\n", False),
        ("### Instruction:\nWhere was Tavi born?\n\n### Response:\n", False), ("In Nalu.", True),
        ("### Instruction:\nAnd Mira?\n\n### Response:\n", False), ("In Vesk.", True)]
    single = to_messages("alpaca", {"instruction": "Rewrite.", "input": "Mira is a pilot.",
                                    "output": "Mira flies."})
    assert conversation_segments(single, "alpaca")[0][0] == render_prompt(
        "Rewrite.", "Mira is a pilot.", "alpaca")


def test_multi_turn_loss_is_on_every_answer_and_its_eos_only(tok):
    messages = to_messages("sharegpt", SHAREGPT)
    ids, mask = sft_v1(tok, [{"messages": messages}], "alpaca_short")[0]
    enc = [tok(t, add_special_tokens=False)["input_ids"]
           for t, _ in conversation_segments(messages, "alpaca_short")]
    eos, bos = tok.eos_token_id, tok.bos_token_id
    assert ids == [bos, *enc[0], *enc[1], *enc[2], eos, *enc[3], *enc[4], eos]
    trained = [t for t, m in zip(ids, mask) if m]
    assert trained == [*enc[2], eos, *enc[4], eos]
    assert len(ids) == len(mask) and mask[0] == 0


def test_chat_template_segments_and_prompt_match(chat_tok):
    messages = to_messages("messages", MESSAGES)
    segments = conversation_segments(messages, "chat", chat_tok)
    assert segments == [
        ("<|im_start|>user\n塔维出生在哪里？<|im_end|>\n<|im_start|>assistant\n", False),
        ("纳鲁。<|im_end|>\n", True),
        ("<|im_start|>user\n米拉呢？<|im_end|>\n<|im_start|>assistant\n", False),
        ("维斯卡。<|im_end|>\n", True)]
    assert render_prompt("塔维出生在哪里？", template="chat", tokenizer=chat_tok) == segments[0][0]
    assert "".join(t for t, _ in segments) == chat_tok.apply_chat_template(
        messages, tokenize=False)
    ids, mask = sft_v1(chat_tok, [{"messages": messages}], "chat")[0]
    assert ids[0] == chat_tok.bos_token_id and sum(mask) > 0
    answer = chat_tok("纳鲁。<|im_end|>\n", add_special_tokens=False)["input_ids"]
    first = mask.index(1)
    assert ids[first:first + len(answer)] == answer


def test_chat_template_absent_or_not_incremental_is_one_line(tok, chat_tok):
    with pytest.raises(ConfigError, match="has no chat template .use template alpaca"):
        render_prompt("hi", template="chat", tokenizer=tok)
    with pytest.raises(ConfigError, match="needs the tokenizer"):
        render_prompt("hi", template="chat")
    chat_tok.chat_template = ("{% for m in messages|reverse %}{{ m['content'] }}|{% endfor %}")
    with pytest.raises(DataError, match=r"does not render conversations turn by turn \(turn 1\)"):
        conversation_segments(to_messages("messages", MESSAGES), "chat", chat_tok)


def test_sources_path_encodes_alpaca_files_exactly_as_before(tok, shared_data):
    """The stage's path (sources -> messages -> sft_v1) gives encode_examples' ids/labels."""
    from langtransfer.train.sft import encode_conversations, encode_examples, load_alpaca

    path = shared_data / "instructions" / "alpaca_zh_demo.json"
    rows = load_instruction_rows(_source(path, "alpaca"))[:40]
    assert encode_conversations(tok, rows, "alpaca", 128)[0] == encode_examples(
        tok, load_alpaca(path)[:40], "alpaca", 128)
