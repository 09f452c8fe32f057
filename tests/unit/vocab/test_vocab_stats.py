"""Tokenizer statistics: fertility units, byte fallback, new-piece coverage, the verdict."""

from __future__ import annotations

import pytest

from langtransfer.errors import UserError
from langtransfer.vocab.byte_level import bytes_to_unicode
from langtransfer.vocab.extend import extend_tokenizer
from langtransfer.vocab.stats import (MARGINAL, WORTH_IT, compare_tokenizers,
                                      is_no_space_script, stats_table, tokenizer_stats, verdict)

EN = ["Tavi was born in 1978. She works as a baker.", "Mira likes chess and hiking."]
ZH = ["塔维出生于北京，是一名教师，喜欢下棋。", "米拉在上海工作，职业是医生。"]


def _sp(path):
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_file=str(path))


@pytest.fixture(scope="module")
def zh_extended(en_sp, zh_sp, tmp_path_factory):
    """English model + Chinese pieces (below-min: transformers ids equal SentencePiece's)."""
    return extend_tokenizer(en_sp, zh_sp, tmp_path_factory.mktemp("ext"), score="below-min")


def test_counts_match_sentencepiece(en_sp):
    sp = _sp(en_sp)
    ids = [sp.encode(t) for t in EN + ZH]
    n = sum(map(len, ids))
    stats = tokenizer_stats(en_sp, EN + ZH)
    assert stats["tokens"] == n and stats["kind"] == "sentencepiece"
    assert stats["tokens_per_char"] == n / sum(map(len, EN + ZH))
    assert stats["tokens_per_word"] == n / sum(len(t.split()) for t in EN + ZH)
    assert stats["tokens_per_kbyte"] == 1000 * n / sum(len(t.encode()) for t in EN + ZH)
    fallback = sum(sp.is_byte(i) for line in ids for i in line)
    assert fallback > 0 and stats["byte_fallback_rate"] == fallback / n
    assert stats["verdict"] is None and stats["new_piece_char_share"] is None


def test_model_file_and_its_folder_give_the_same_numbers(zh_extended):
    keys = ("tokens", "byte_fallback_rate", "new_piece_char_share", "vocab_size")
    folder, model = compare_tokenizers([zh_extended.out, zh_extended.out / "tokenizer.model"],
                                       ZH + EN, base=zh_extended.out / "tokenizer.model")
    assert [folder[k] for k in keys] == [model[k] for k in keys]


def test_new_piece_coverage_and_verdict_against_the_base(en_sp, zh_extended):
    rows = compare_tokenizers([en_sp, zh_extended.out], ZH, lang="zh", base=en_sp)
    base, ext = rows
    assert base["new_piece_char_share"] == 0.0 and base["verdict"] is None  # the base itself
    assert ext["extends_base"] and 0.5 < ext["new_piece_char_share"] <= 1.0
    assert ext["tokens"] < base["tokens"] / 2 and ext["unit"] == "tokens_per_kbyte"
    v = ext["verdict"]
    assert v["seq_len_reduction"] == 1 - ext["tokens"] / base["tokens"]
    assert v["label"] == "worth it" and "fewer tokens" in v["text"]
    # English text hardly uses the Chinese pieces: no gain, and the bigger head costs a little
    en = compare_tokenizers([zh_extended.out], EN, lang="en", base=en_sp)[0]
    assert en["unit"] == "tokens_per_word" and en["verdict"]["label"] == "not worth it"
    assert en["new_piece_char_share"] < 0.05


def test_unrelated_tokenizer_is_not_an_extension(en_sp, zh_sp):
    row = tokenizer_stats(zh_sp, ZH, base=en_sp)
    assert row["extends_base"] is False and row["new_piece_char_share"] is None
    assert row["verdict"]["label"] in ("worth it", "marginal", "not worth it")


def test_verdict_rule_and_head_cost():
    v = verdict(tokens=50, base_tokens=100, size=50_000, base_size=32_000, head_share=0.02)
    assert v["seq_len_reduction"] == 0.5
    assert v["per_token_cost_increase"] == pytest.approx(0.02 * 18_000 / 32_000)
    assert v["throughput_gain"] == pytest.approx(2 / (1 + 0.01125) - 1)
    assert v["label"] == "worth it"
    # a head-dominated tiny model: half its compute in the head eats most of a 10% saving
    tiny = verdict(tokens=90, base_tokens=100, size=3_000, base_size=2_000, head_share=0.5)
    assert tiny["throughput_gain"] == pytest.approx(100 / (90 * 1.25) - 1)
    assert tiny["label"] == "not worth it"
    assert verdict(100, 100 * (1 + WORTH_IT) + 0.1, 32_000, 32_000)["label"] == "worth it"
    assert verdict(100, 100 * (1 + WORTH_IT) - 0.1, 32_000, 32_000)["label"] == "marginal"
    assert verdict(100, 100 * (1 + MARGINAL) + 0.1, 32_000, 32_000)["label"] == "marginal"
    assert verdict(100, 100 * (1 + MARGINAL) - 0.1, 32_000, 32_000)["label"] == "not worth it"


def test_unit_follows_lang_or_the_script():
    assert is_no_space_script(ZH, None) and not is_no_space_script(EN, None)
    assert is_no_space_script(EN, "zh") and not is_no_space_script(ZH, "en")
    with pytest.raises(UserError, match="unknown language 'xx'"):
        is_no_space_script(EN, "xx")


def test_byte_level_fallback_counts_lone_high_bytes(byte_level_dir):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(byte_level_dir / "tokenizer.json"))
    high = {bytes_to_unicode()[b] for b in range(0x80, 0x100)}
    ids = [i for line in ZH + EN for i in tok.encode(line).ids]
    lone = sum(tok.id_to_token(i) in high for i in ids)
    for path in (byte_level_dir, byte_level_dir / "tokenizer.json"):
        row = tokenizer_stats(path, ZH + EN)
        assert row["kind"] == "byte-level" and row["tokens"] == len(ids)
        assert row["byte_fallback_rate"] == lone / len(ids) > 0.3


def test_real_chinese_llama_merge_verdicts(llama_model, llama_zh_below, zh_eval_lines,
                                           wiki_lines):
    zh = compare_tokenizers([llama_zh_below.out], zh_eval_lines[:500], "zh", llama_model)[0]
    assert zh["verdict"]["seq_len_reduction"] > 0.4 and zh["verdict"]["label"] == "worth it"
    assert zh["new_piece_char_share"] > 0.5
    # English: only chinese_sp's multi-digit pieces ("19", "▁18", "1960") shorten it
    en = compare_tokenizers([llama_zh_below.out], wiki_lines, "en", llama_model)[0]
    assert 0 < en["verdict"]["seq_len_reduction"] < 0.1 and en["new_piece_char_share"] < 0.1


def test_table_renders_every_row(en_sp, zh_extended):
    from rich.console import Console

    rows = compare_tokenizers([en_sp, zh_extended.out], ZH, base=en_sp)
    console = Console(width=250, record=True)
    console.print(stats_table(rows))
    text = console.export_text()
    assert "worth it" in text and f"{rows[1]['vocab_size']:,}" in text


def test_bad_tokenizers_are_one_line_errors(tmp_path):
    bad = tmp_path / "bad.model"
    bad.write_bytes(b"\x00\x01garbage" * 10)
    for path, needle in [(tmp_path / "nope", "tokenizer not found"),
                         (bad, "not a valid SentencePiece model"),
                         (tmp_path, "cannot load")]:
        with pytest.raises(UserError) as exc:
            tokenizer_stats(path, EN)
        assert str(path) in str(exc.value) and needle in str(exc.value)
        assert "\n" not in str(exc.value)
    with pytest.raises(UserError, match="no text"):
        compare_tokenizers([bad], ["", ""])
