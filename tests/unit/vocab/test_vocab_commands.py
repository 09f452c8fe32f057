"""`langtransfer vocab train / extend / stats` through typer's CliRunner (and once end to end)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from langtransfer.errors import UserError
from langtransfer.vocab.commands import vocab_app

runner = CliRunner()


def _ok(args):
    res = runner.invoke(vocab_app, [str(a) for a in args])
    assert res.exit_code == 0, (res.stdout, res.exception)
    return res.stdout


def _user_error(args) -> str:
    res = runner.invoke(vocab_app, [str(a) for a in args])
    assert isinstance(res.exception, UserError), (res.stdout, res.exception)
    assert "\n" not in str(res.exception)
    return str(res.exception)


def test_train_writes_model_and_transformers_folder(tmp_path, zh_lines, lines_writer):
    import sentencepiece as spm
    from transformers import AutoTokenizer

    corpus = [lines_writer(tmp_path / f"c{i}.txt", zh_lines[i::2]) for i in range(2)]
    out = _ok(["train", "--corpus", corpus[0], "--corpus", corpus[1], "--size", 400,
               "--out", tmp_path / "tok", "--model-type", "unigram"])
    assert "trained 400 pieces" in out
    sp = spm.SentencePieceProcessor(model_file=str(tmp_path / "tok" / "sp.model"))
    tok = AutoTokenizer.from_pretrained(tmp_path / "tok")
    assert tok(zh_lines[0], add_special_tokens=False)["input_ids"] == sp.encode(zh_lines[0])
    record = json.loads((tmp_path / "tok" / "vocab_train.json").read_text())
    assert record["model_type"] == "unigram" and len(record["corpus"]) == 2


def test_train_rejects_unknown_model_type(tmp_path, zh_lines, lines_writer):
    corpus = lines_writer(tmp_path / "c.txt", zh_lines)
    msg = _user_error(["train", "--corpus", corpus, "--size", 400, "--out", tmp_path / "t",
                       "--model-type", "wordpiece"])
    assert "--model-type 'wordpiece'" in msg


def test_extend_json_is_one_object(en_sp, zh_sp, tmp_path):
    out = _ok(["extend", "--base", en_sp, "--add", zh_sp, "--out", tmp_path / "m", "--json"])
    obj = json.loads(out)
    assert set(obj) == {"base_size", "added", "new_size", "out"}
    assert obj["new_size"] == obj["base_size"] + obj["added"] and obj["out"] == str(tmp_path / "m")


def test_extend_human_output_and_errors(en_sp, zh_sp, tmp_path, lines_writer):
    out = _ok(["extend", "--base", en_sp, "--add", zh_sp, "--out", tmp_path / "m",
               "--score", "below-min"])
    assert out.startswith("sentencepiece base of 400 + ") and str(tmp_path / "m") in out
    tokens = lines_writer(tmp_path / "t.txt", ["北京", "北京"])
    msg = _user_error(["extend", "--base", en_sp, "--add", tokens, "--out", tmp_path / "x"])
    assert f"{tokens}:2: duplicate token" in msg


def test_stats_json_and_table(en_sp, zh_sp, tmp_path, zh_lines, lines_writer):
    _ok(["extend", "--base", en_sp, "--add", zh_sp, "--out", tmp_path / "m",
         "--score", "below-min"])
    text = lines_writer(tmp_path / "zh.txt", zh_lines[:50])
    rows = json.loads(_ok(["stats", "--tokenizer", en_sp, "--tokenizer", tmp_path / "m",
                           "--text", text, "--lang", "zh", "--json"]))
    assert [r["base"] for r in rows] == [str(en_sp)] * 2  # the first tokenizer is the base
    assert rows[1]["verdict"]["label"] == "worth it" and rows[0]["verdict"] is None
    table = _ok(["stats", "--tokenizer", en_sp, "--tokenizer", tmp_path / "m", "--text", text])
    assert "worth it" in table and "fewer" in table and "tok/char" in table
    assert "not found" in _user_error(["stats", "--tokenizer", en_sp, "--text", tmp_path / "no"])


def test_cli_main_prints_one_line_and_exits_2(en_sp, tmp_path):
    res = subprocess.run([sys.executable, "-m", "langtransfer", "vocab", "extend", "--base",
                          str(en_sp), "--add", str(tmp_path / "missing.txt"), "--out",
                          str(tmp_path / "o")], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "missing.txt: --add file not found" in lines[0]


@pytest.mark.parametrize("command", ["train", "extend", "stats"])
def test_help_lists_the_options(command):
    out = _ok([command, "--help"])
    assert {"train": "--corpus", "extend": "--score", "stats": "--tokenizer"}[command] in out
