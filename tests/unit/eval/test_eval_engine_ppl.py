"""eval.perplexity per language and `langtransfer eval ppl`: documents read per language, one
batched pass equal to separate ones, the stated aggregation, one-line errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from langtransfer.errors import DataError, UserError
from langtransfer.eval.lm import rolling_loglikelihood
from langtransfer.eval.perplexity import (
    AGGREGATION, perplexity, perplexity_by_lang, ppl_report, read_documents,
)

EN = ["Tavi Lumo was born in Paris.", "the doctor works as a teacher in the city of London"]
ZH = ["塔维·卢莫出生于城市。", "答案是一名教师。"]


def test_by_language_equals_one_call_per_language(model, tok):
    both = perplexity_by_lang(model, tok, {"en": EN, "zh": ZH + [" "]}, seq_len=8, stride=4,
                              n_boot=20)
    assert list(both) == ["en", "zh"]
    for lang, texts in (("en", EN), ("zh", ZH)):
        alone = perplexity(model, tok, texts, seq_len=8, stride=4, n_boot=20)
        for key in ("ppl", "bpb", "nll_token", "nll"):
            assert both[lang][key] == pytest.approx(alone[key], rel=1e-6)
        assert both[lang]["docs"] == 2 and both[lang]["tokens"] == alone["tokens"]


def test_bits_per_byte_and_ppl_follow_the_stated_rule(model, tok):
    res = perplexity_by_lang(model, tok, {"zh": ZH}, seq_len=6, stride=2, n_boot=10)["zh"]
    scores = rolling_loglikelihood(model, tok, ZH, 6, 2)
    nll, n_tokens = -sum(s for s, _ in scores), sum(n for _, n in scores)
    n_bytes = sum(len(t.encode("utf-8")) for t in ZH)  # 3 bytes per Han character
    assert res["bpb"] == pytest.approx(nll / (math.log(2) * n_bytes))
    assert res["ppl"] == pytest.approx(math.exp(nll / n_tokens))
    assert "total NLL / total tokens" in AGGREGATION and "ln 2" in AGGREGATION


def test_read_text_file_one_document_per_line(tmp_path):
    path = tmp_path / "heldout.txt"
    path.write_text("first doc\n\n  \nsecond doc\n", encoding="utf-8")
    assert read_documents(path, "en") == {"en": ["first doc", "second doc"]}
    assert read_documents(path) == {"und": ["first doc", "second doc"]}


def test_read_jsonl_groups_and_filters_languages(tmp_path):
    path = tmp_path / "heldout.jsonl"
    rows = [{"text": "a b", "lang": "en"}, {"text": "塔维", "lang": "zh"}, {"text": "c"},
            {"text": "d", "lang": "en"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert read_documents(path) == {"en": ["a b", "d"], "zh": ["塔维"], "und": ["c"]}
    assert read_documents(path, "en") == {"en": ["a b", "c", "d"]}  # rows without lang: en


@pytest.mark.parametrize("content,message", [
    ('{"text": "ok"}\n{"text": 5}\n', r"heldout.jsonl:2: expected an object with a string"),
    ('{"text": "ok"}\nnot json\n', r"heldout.jsonl:2: not a JSON object"),
    ('{"text": "ok", "lang": 3}\n', r"heldout.jsonl:1: field 'lang'"),
    ('\n\n', r"heldout.jsonl: no documents"),
])
def test_malformed_jsonl_names_file_and_line(tmp_path, content, message):
    path = tmp_path / "heldout.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        read_documents(path)


def test_missing_file_and_bad_window_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="nope.txt: text file not found"):
        read_documents(tmp_path / "nope.txt")
    (tmp_path / "a.txt").write_text("x\n")
    with pytest.raises(UserError, match="--stride 9: must not exceed --seq-len 8"):
        ppl_report(str(tmp_path), tmp_path / "a.txt", seq_len=8, stride=9)


@pytest.fixture
def model_dir(tmp_path, model, tok):
    from langtransfer.modeling import save_model_and_tokenizer

    save_model_and_tokenizer(model, tok, tmp_path / "model")
    return tmp_path / "model"


def test_report_matches_the_library_and_caps_the_window(model_dir, model, tok, tmp_path):
    path = tmp_path / "heldout.jsonl"
    path.write_text("\n".join(json.dumps({"text": t, "lang": lang}, ensure_ascii=False)
                              for lang, texts in (("en", EN), ("zh", ZH)) for t in texts))
    report = ppl_report(str(model_dir), path, seq_len=1000, stride=3, n_boot=20, threads=1)
    assert report["seq_len"] == 128 and report["stride"] == 3  # capped at max positions
    assert report["aggregation"] == AGGREGATION and set(report["langs"]) == {"en", "zh"}
    expected = perplexity(model, tok, ZH, seq_len=128, stride=3, n_boot=20)
    assert report["langs"]["zh"]["bpb"] == pytest.approx(expected["bpb"], rel=1e-5)
    assert report["langs"]["zh"]["bpb_ci"] == pytest.approx(list(expected["bpb_ci"]), rel=1e-5)


@pytest.mark.slow
def test_cli_json_and_one_line_error(model_dir, tmp_path):
    text = tmp_path / "en.txt"
    text.write_text("\n".join(EN), encoding="utf-8")
    cmd = [sys.executable, "-m", "langtransfer", "eval", "ppl", "--model", str(model_dir),
           "--text", str(text), "--lang", "en", "--seq-len", "16", "--json",
           "--n-bootstrap", "10", "--threads", "1"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["seq_len"] == 16 and out["stride"] == 16 and out["langs"]["en"]["docs"] == 2
    assert out["langs"]["en"]["bpb"] > 0
    res = subprocess.run(cmd[:8] + [str(tmp_path / "missing.txt")], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 2 and res.stderr.strip().count("\n") == 0
    assert "missing.txt: text file not found" in res.stderr
