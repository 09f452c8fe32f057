"""Code-switching detector: scripts, tokens, Viterbi smoothing, the documented rules, CLI, readers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from langtransfer.cli import app
from langtransfer.errors import ConfigError, DataError
from langtransfer.eval.codeswitch import NAME, analyse_response, codeswitch_rate, tag_words, viterbi
from langtransfer.eval.codeswitch_io import evaluate_treebank, read_conllu, read_responses
from langtransfer.eval.scripts import char_script, lang_script, mask_non_prose, tokenize
from langtransfer.langs import LANGS

SAMPLES = {"ar": "مرحبا بالعالم", "bn": "আমার সোনার বাংলা", "gu": "ગુજરાતી ભાષા", "hi": "हिन्दी भाषा",
           "ml": "മലയാളം ഭാഷ", "ta": "தமிழ் மொழி", "te": "తెలుగు భాష", "vi": "Tiếng Việt",
           "zh": "中文句子", "ur": "اردو زبان"}


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_every_registry_script_is_recognised(lang):
    words = [t for t in tokenize(SAMPLES[lang]) if t.kind == "word"]
    assert words and {w.script for w in words} == {lang_script(lang)}


def test_every_language_has_a_script_mapping():
    for code in LANGS:
        assert lang_script(code) in {"Latn", "Hani", "Arab", "Beng", "Gujr", "Deva", "Mlym",
                                     "Taml", "Telu"}


def test_tokens_split_scripts_and_keep_marks_and_joiners():
    tokens = [t for t in tokenize("用iPhone拍照 क्‍ष 2024年") if t.kind == "word"]
    assert [(t.text, t.script) for t in tokens] == [
        ("用", "Hani"), ("iPhone", "Latn"), ("拍照", "Hani"), ("क्\u200dष", "Deva"), ("年", "Hani")]
    assert char_script("\u0640") == "Arab"  # tatweel stays inside an Arabic word


def test_code_urls_and_emails_are_masked_at_the_same_offsets():
    text = "看 https://example.com/path 和 `some inline code` 以及 a@b.org\n```\nprint('hello world')\n```"
    masked = mask_non_prose(text)
    assert len(masked) == len(text)
    assert "example" not in masked and "inline" not in masked and "hello" not in masked
    assert "a@b" not in masked and masked.startswith("看")


def test_viterbi_smooths_single_noisy_words_and_allows_real_switches():
    ev = np.array([[0, -3], [0, -3], [-1, 0], [0, -3], [-3, 0], [-3, 0], [-3, 0]], dtype=float)
    assert viterbi(ev, 2.0) == [0, 0, 0, 0, 1, 1, 1]
    assert viterbi(ev, 0.0) == [0, 0, 1, 0, 1, 1, 1]


def test_tag_words_turkish_german():
    words = "ich habe heute keine Zeit ama yarın gelirim".split()
    assert tag_words(words, ["tr", "de"]) == ["de"] * 5 + ["tr"] * 3


def test_names_acronyms_and_short_runs_are_not_switches():
    for text in ["Tavi Lumo在Gudezi Steel工作，使用GPT和CPU。", "他买了3 kg苹果。",
                 "Ferdinand de Saussure是语言学家。"]:
        assert not analyse_response(text, "zh").is_switched, text
    spans = analyse_response("Gudezi Steel聘用了古胡。", "zh").spans
    assert spans[0].lang == NAME


def test_english_sentence_in_chinese_and_vietnamese_is_a_switch():
    zh = analyse_response("我们今天讨论这个问题。This is a really important question for us. 谢谢。", "zh")
    assert zh.is_switched and zh.switched[0].lang == "en"
    vi = analyse_response("Chúng tôi rất vui được gặp bạn hôm nay. The weather is really nice "
                          "today. Cảm ơn bạn nhiều.", "vi")
    assert [s.lang for s in vi.switched] == ["en"]
    assert not analyse_response("Chúng tôi rất vui được gặp bạn hôm nay.", "vi").is_switched


def test_min_letters_is_configurable():
    text = "这是 machine learning 的方法。"
    assert analyse_response(text, "zh").is_switched
    assert not analyse_response(text, "zh", min_letters=20).is_switched


def test_rate_counts_ci_and_examples():
    responses = ["这是中文回答。", "This answer is entirely in the English language.", "另一个中文回答。"]
    r = codeswitch_rate(responses, "zh", ids=["a", "b", "c"], n_boot=200)
    assert (r["n"], r["n_switched"], r["switched_to"]) == (3, 1, {"en": 1})
    assert r["rate"] == pytest.approx(1 / 3) and r["ci_low"] <= r["rate"] <= r["ci_high"]
    assert r["examples"][0]["id"] == "b"


def test_unknown_language_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown language 'xx'"):
        analyse_response("text", "xx")
    with pytest.raises(ConfigError, match="unknown to langid"):
        tag_words(["a"], ["en", "zz"])


def test_treebank_reader_and_accuracy_on_a_sample(shared_data):
    sents = read_conllu(shared_data / "ud" / "qtd_sagt-ud-test.conllu")
    assert len(sents) == 805
    report, rows = evaluate_treebank(sents[:80])
    assert report["tokens"] == len(rows) == sum(len(s) for s in sents[:80])
    assert set(report["excluded"]) <= {"other", "lang3", "mixed"}
    assert report["accuracy"] >= 0.88  # whole treebank: 0.946 (docs/evaluation.md)
    assert {r["pred"] for r in rows} <= {"tr", "de", "other"}


def test_llmeval2_and_jsonl_readers(shared_data, tmp_path):
    rows = read_responses(shared_data / "llmeval2" / "data" / "Law_data.json")
    assert len(rows) == 800 and len({r["model"] for r in rows}) == 20 and rows[0]["response"]
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text('{"id": "x", "response": "中文"}\n{"id": "y"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"a.jsonl:2: expected an object with a string 'response'"):
        read_responses(jsonl)


def test_cli_responses_and_errors(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps({"id": str(i), "response": t}, ensure_ascii=False)
                              for i, t in enumerate(["中文回答。", "Completely English answer here."])),
                    encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(app, ["eval", "codeswitch", "--responses", str(path), "--lang", "zh",
                              "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["n_switched"] == 1
    bad = runner.invoke(app, ["eval", "codeswitch", "--responses", str(path)])
    assert bad.exit_code != 0 and "--lang" in str(bad.exception)
