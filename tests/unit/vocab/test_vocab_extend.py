"""Vocabulary extension: the Chinese-LLaMA merge (49,953), score modes, byte-level BPE, errors."""

from __future__ import annotations

import json

import pytest

from langtransfer.errors import UserError
from langtransfer.vocab.extend import extend_tokenizer, load_sp_proto


def _proto(path):
    return load_sp_proto(path)


def _sp(path):
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_file=str(path))


def _auto(path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def _one_line_error(excinfo, *needles):
    message = str(excinfo.value)
    assert "\n" not in message
    for needle in needles:
        assert str(needle) in message, message


# ---------------------------------------------------------------- LLaMA + Chinese (real data)

def test_llama_chinese_merge_has_49953_pieces_and_keeps_every_id(llama_zh_zero, llama_model):
    res = llama_zh_zero
    assert (res.base_size, res.added, res.new_size) == (32000, 17953, 49953)
    assert res.skipped_existing == 19997 - 17953  # normal pieces of chinese_sp already in LLaMA
    base, merged = _proto(llama_model), _proto(res.out / "tokenizer.model")
    assert len(merged.pieces) == 49953
    for old, new in zip(base.pieces, merged.pieces):
        assert (old.piece, old.score, old.type) == (new.piece, new.score, new.type)
    assert {p.score for p in merged.pieces[32000:]} == {0.0}
    assert len(_auto(res.out)) == 49953


def _reference_merge(llama_model, chinese_sp_model) -> bytes:
    """Chinese-LLaMA-Alpaca's merge_tokenizers.py logic, written independently of extend.py."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    llama, chinese = pb.ModelProto(), pb.ModelProto()
    llama.ParseFromString(llama_model.read_bytes())
    chinese.ParseFromString(chinese_sp_model.read_bytes())
    existing = set(p.piece for p in llama.pieces)
    for p in chinese.pieces:
        if p.piece not in existing:
            new_p = pb.ModelProto().SentencePiece()
            new_p.piece = p.piece
            new_p.score = 0
            llama.pieces.append(new_p)
    return llama.SerializeToString()


def test_merge_tokenizes_chinese_like_chinese_llama_alpaca(
        llama_zh_zero, llama_model, chinese_sp_model, zh_eval_lines, tmp_path):
    import sentencepiece as spm

    reference = _reference_merge(llama_model, chinese_sp_model)
    assert len(_proto(llama_zh_zero.out / "tokenizer.model").pieces) == 49953
    theirs = spm.SentencePieceProcessor(model_proto=reference)
    ours = _sp(llama_zh_zero.out / "tokenizer.model")
    assert len(zh_eval_lines) > 2000  # 1,000 BELLE + ~930 C-Eval val + 500 UD sentences
    assert ours.encode(zh_eval_lines) == theirs.encode(zh_eval_lines)
    assert (llama_zh_zero.out / "tokenizer.model").read_bytes() == reference


def test_below_min_keeps_base_priority_and_transformers_matches_exactly(
        llama_zh_below, llama_zh_zero, llama_model, zh_eval_lines, wiki_lines):
    merged = _proto(llama_zh_below.out / "tokenizer.model")
    scores = [p.score for p in merged.pieces[32000:]]
    base_floor = min(p.score for p in _proto(llama_model).pieces[:32000]
                     if p.type == 1 and p.score > -1e8)
    assert scores[0] == base_floor - 1 and all(a - b == 1 for a, b in zip(scores, scores[1:]))
    zero_pieces = [p.piece for p in _proto(llama_zh_zero.out / "tokenizer.model").pieces]
    assert [p.piece for p in merged.pieces] == zero_pieces  # same ids, only scores differ
    sp, tok = _sp(llama_zh_below.out / "tokenizer.model"), _auto(llama_zh_below.out)
    lines = zh_eval_lines[:1500] + wiki_lines
    assert tok(lines, add_special_tokens=False)["input_ids"] == sp.encode(lines)
    assert llama_zh_below.hf_matches_sp


def test_zero_mode_transformers_tokenizer_is_close_to_sentencepiece(llama_zh_zero, zh_eval_lines):
    """Tied scores: transformers' BPE cannot break ties leftmost-first as SentencePiece does,
    so ids differ on some lines, but the token counts stay within 1%."""
    from langtransfer.vocab.train import PARITY_PROBES

    sp, tok = _sp(llama_zh_zero.out / "tokenizer.model"), _auto(llama_zh_zero.out)
    hf_ids = tok(zh_eval_lines, add_special_tokens=False)["input_ids"]
    sp_ids = sp.encode(zh_eval_lines)
    hf_n, sp_n = sum(map(len, hf_ids)), sum(map(len, sp_ids))
    assert abs(hf_n - sp_n) / sp_n < 0.01
    probes_equal = all(tok(p, add_special_tokens=False)["input_ids"] == sp.encode(p)
                       for p in PARITY_PROBES)
    assert llama_zh_zero.hf_matches_sp == probes_equal
    assert llama_zh_zero.unreachable == 338  # pieces with no split into two producible ones


def test_merged_tokenizer_keeps_llama_special_tokens(llama_zh_zero):
    tok = _auto(llama_zh_zero.out)
    assert (tok.unk_token_id, tok.bos_token_id, tok.eos_token_id) == (0, 1, 2)
    ids = tok("中国")["input_ids"]
    assert ids[0] == 1 and ids[-1] != 2 and tok.pad_token_id == 0
    record = json.loads((llama_zh_zero.out / "vocab_extend.json").read_text())
    assert record["new_size"] == 49953 and len(record["base"]["sha256"]) == 64


# ---------------------------------------------------------------- tiny SentencePiece models

def test_tiny_merge_appends_new_pieces_in_order(en_sp, zh_sp, tmp_path):
    res = extend_tokenizer(en_sp, zh_sp, tmp_path / "out", score="below-min")
    base, add = _proto(en_sp), _proto(zh_sp)
    have = {p.piece for p in base.pieces}
    expected = [p.piece for p in add.pieces if p.type == 1 and p.piece not in have]
    merged = _proto(tmp_path / "out" / "tokenizer.model")
    assert [p.piece for p in merged.pieces[len(base.pieces):]] == expected
    assert res.added == len(expected) > 50 and res.new_size == len(merged.pieces)
    sp, tok = _sp(tmp_path / "out" / "tokenizer.model"), _auto(tmp_path / "out")
    text = "塔维出生于北京，是一名教师，喜欢下棋。Tavi was born in 1978."
    assert tok(text, add_special_tokens=False)["input_ids"] == sp.encode(text)
    assert max(sp.encode(text)) >= len(base.pieces)  # the new pieces are used


def test_base_folder_special_token_settings_are_kept(en_sp, tmp_path, lines_writer):
    from transformers import AutoTokenizer

    base = tmp_path / "base"
    base.mkdir()
    (base / "tokenizer.model").write_bytes(en_sp.read_bytes())
    tok = AutoTokenizer.from_pretrained(base, add_bos_token=False, add_eos_token=True)
    tok.pad_token = tok.eos_token
    tok.save_pretrained(base)
    tokens = lines_writer(tmp_path / "t.txt", ["中国", "▁北京"])
    extend_tokenizer(base, tokens, tmp_path / "out")
    out = _auto(tmp_path / "out")
    ids = out("中国")["input_ids"]
    assert ids[0] != out.bos_token_id and ids[-1] == out.eos_token_id
    assert out.pad_token == "</s>" and len(out) == len(tok) + 2


def test_token_list_spaces_are_sentencepiece_whitespace(en_sp, tmp_path, lines_writer):
    tokens = lines_writer(tmp_path / "t.txt", [" 北京", "上海", "", "中国"])
    res = extend_tokenizer(en_sp, tokens, tmp_path / "out", score="below-min")
    pieces = [p.piece for p in _proto(tmp_path / "out" / "tokenizer.model").pieces]
    assert pieces[-3:] == ["▁北京", "上海", "中国"] and res.added == 3


def test_token_list_duplicate_is_an_error_naming_the_line(en_sp, tmp_path, lines_writer):
    tokens = lines_writer(tmp_path / "t.txt", ["北京", "上海", "北京"])
    with pytest.raises(UserError) as exc:
        extend_tokenizer(en_sp, tokens, tmp_path / "out")
    _one_line_error(exc, f"{tokens}:3", "duplicate token", "line 1")
    assert not (tmp_path / "out").exists()


def test_token_list_existing_piece_errors_unless_skipped(en_sp, tmp_path, lines_writer):
    word = next(p.piece for p in _proto(en_sp).pieces
                if p.piece.startswith("▁") and len(p.piece) > 3)
    tokens = lines_writer(tmp_path / "t.txt", ["北京", word.replace("▁", " ")])
    with pytest.raises(UserError) as exc:
        extend_tokenizer(en_sp, tokens, tmp_path / "out")
    _one_line_error(exc, f"{tokens}:2", "already in the base", "--skip-existing")
    res = extend_tokenizer(en_sp, tokens, tmp_path / "out", skip_existing=True)
    assert (res.added, res.skipped_existing) == (1, 1)


def test_sentencepiece_add_skips_existing_silently(en_sp, tmp_path):
    res = extend_tokenizer(en_sp, en_sp, tmp_path / "out")
    assert res.added == 0 and res.skipped_existing == len(_proto(en_sp).pieces) - 259


def test_unreachable_pieces_are_counted(en_sp, tmp_path, lines_writer):
    # BPE starts from characters, so "北京" is one merge away even though the English base
    # has neither character; "中国人" needs "中国" or "国人", which no one adds.
    tokens = lines_writer(tmp_path / "t.txt", ["北京", "中国人"])
    res = extend_tokenizer(en_sp, tokens, tmp_path / "out", score="below-min")
    assert res.unreachable == 1
    sp = _sp(tmp_path / "out" / "tokenizer.model")
    assert "北京" in sp.encode("北京", out_type=str)
    assert "中国人" not in sp.encode("中国人", out_type=str)


# ---------------------------------------------------------------- byte-level BPE

ZH_WORDS = ["中国", "人民", "北京", "大学", "中国人", "我们", "的"]
ZH_TEXT = ["我们在北京大学学习。", "中国人民很友好，我们的朋友来自中国。", "北京是中国的首都"]


@pytest.fixture(scope="module")
def byte_level_extended(byte_level_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("bl_add")
    tokens = path / "words.txt"
    tokens.write_text("\n".join(ZH_WORDS) + "\n", encoding="utf-8")
    return extend_tokenizer(byte_level_dir, tokens, path / "out")


def test_byte_level_new_tokens_are_produced_by_encode(byte_level_extended, byte_level_dir):
    from tokenizers import Tokenizer

    res = byte_level_extended
    tok = Tokenizer.from_file(str(res.out / "tokenizer.json"))
    vocab = tok.get_vocab()
    assert res.kind == "byte-level" and res.base_size == 500
    assert res.new_size == tok.get_vocab_size() == 500 + res.added
    assert res.added == len(ZH_WORDS) + res.intermediates and res.intermediates > 0
    assert all(len(tok.encode(w).ids) == 1 for w in ZH_WORDS)  # each word on its own
    new_ids = {tok.encode(w).ids[0] for w in ZH_WORDS}
    assert min(new_ids) >= 500 and new_ids <= set(vocab.values())
    used = {i for line in ZH_TEXT for i in tok.encode(line).ids}
    assert len(used & new_ids) >= 4  # the words are used inside running text
    for line in ZH_TEXT:
        assert tok.decode(tok.encode(line).ids) == line
    assert "北京" in [tok.decode([i]) for i in tok.encode(ZH_TEXT[0]).ids]


def test_byte_level_english_encoding_is_unchanged(byte_level_extended, byte_level_dir,
                                                  wiki_lines):
    from tokenizers import Tokenizer

    old = Tokenizer.from_file(str(byte_level_dir / "tokenizer.json"))
    new = Tokenizer.from_file(str(byte_level_extended.out / "tokenizer.json"))
    old_ids = [e.ids for e in old.encode_batch(wiki_lines)]
    assert [e.ids for e in new.encode_batch(wiki_lines)] == old_ids
    assert all(new.decode(ids) == line for ids, line in zip(old_ids, wiki_lines))


def test_bytes_to_unicode_is_the_byte_level_alphabet():
    from tokenizers import pre_tokenizers

    from langtransfer.vocab.byte_level import bytes_to_unicode

    mapping = bytes_to_unicode()
    assert sorted(mapping.values()) == sorted(pre_tokenizers.ByteLevel.alphabet())
    assert (mapping[ord(" ")], mapping[ord("A")], mapping[0xE4]) == ("Ġ", "A", "ä")


def test_byte_level_token_split_by_the_pre_tokenizer_is_unreachable(byte_level_dir, tmp_path,
                                                                    lines_writer):
    from tokenizers import Tokenizer

    tokens = lines_writer(tmp_path / "t.txt", ["\ufeff北京", "中国。"])  # BOM: not part of 北京
    res = extend_tokenizer(byte_level_dir, tokens, tmp_path / "out")
    assert res.unreachable == 1  # "中国" and "。" are separate pre-tokenized words
    tok = Tokenizer.from_file(str(tmp_path / "out" / "tokenizer.json"))
    assert tok.token_to_id("åĮĹäº¬") is not None  # 北京 in the byte-level alphabet
    assert len(tok.encode("中国。").ids) > 1


def test_byte_level_output_loads_with_autotokenizer(byte_level_extended):
    from tokenizers import Tokenizer

    raw = Tokenizer.from_file(str(byte_level_extended.out / "tokenizer.json"))
    tok = _auto(byte_level_extended.out)
    assert len(tok) == byte_level_extended.new_size
    for line in ZH_TEXT:
        assert tok(line, add_special_tokens=False)["input_ids"] == raw.encode(line).ids


def test_byte_level_new_ids_go_after_added_special_tokens(byte_level_dir, tmp_path,
                                                          lines_writer):
    from tokenizers import Tokenizer

    base = Tokenizer.from_file(str(byte_level_dir / "tokenizer.json"))
    base.add_special_tokens(["<|pad|>", "<|im_end|>"])  # ids 500, 501: outside the BPE vocab
    (tmp_path / "base").mkdir()
    base.save(str(tmp_path / "base" / "tokenizer.json"))
    tokens = lines_writer(tmp_path / "t.txt", ["北京"])
    res = extend_tokenizer(tmp_path / "base", tokens, tmp_path / "out")
    tok = Tokenizer.from_file(str(tmp_path / "out" / "tokenizer.json"))
    assert res.base_size == 502 and res.new_size == 502 + res.added
    assert (tok.token_to_id("<|pad|>"), tok.token_to_id("<|im_end|>")) == (500, 501)
    assert tok.encode("北京").ids == [res.new_size - 1]
    assert tok.encode("北京<|im_end|>").ids == [res.new_size - 1, 501]
    assert len(set(tok.get_vocab(with_added_tokens=True).values())) == res.new_size


def test_sentencepiece_model_into_byte_level_base(byte_level_dir, zh_sp, tmp_path):
    from tokenizers import Tokenizer

    res = extend_tokenizer(byte_level_dir, zh_sp, tmp_path / "out")
    tok = Tokenizer.from_file(str(tmp_path / "out" / "tokenizer.json"))
    word = next(p.piece for p in _proto(zh_sp).pieces
                if p.piece.startswith("▁") and len(p.piece) > 2)
    ids = tok.encode(word.replace("▁", " ")).ids  # "▁" is whitespace: " 塔维"
    assert res.added > 100 and len(ids) == 1 and ids[0] >= 500


# ---------------------------------------------------------------- errors

def test_random_bytes_model_is_one_line_error(tmp_path, zh_sp):
    bad = tmp_path / "bad.model"
    bad.write_bytes(bytes(range(256)) * 7)
    with pytest.raises(UserError) as exc:
        extend_tokenizer(bad, zh_sp, tmp_path / "out")
    _one_line_error(exc, bad, "not a valid SentencePiece model")


def test_truncated_model_is_one_line_error(en_sp, zh_sp, tmp_path):
    data = en_sp.read_bytes()
    for cut in (len(data) // 2, len(data) - 40):
        bad = tmp_path / f"cut{cut}.model"
        bad.write_bytes(data[:cut])
        with pytest.raises(UserError) as exc:
            extend_tokenizer(bad, zh_sp, tmp_path / "out")
        _one_line_error(exc, bad, "not a valid SentencePiece model")
        with pytest.raises(UserError) as exc:  # as --add too
            extend_tokenizer(en_sp, bad, tmp_path / "out")
        _one_line_error(exc, bad, "--add model")


def test_wordpiece_and_unigram_tokenizer_json_are_rejected(tmp_path, zh_sp):
    from tokenizers import Tokenizer, models, pre_tokenizers

    wordpiece = Tokenizer(models.WordPiece({"[UNK]": 0, "a": 1}, unk_token="[UNK]"))
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    unigram = Tokenizer(models.Unigram([("<unk>", 0.0), ("a", -1.0)], 0))
    unigram.pre_tokenizer = pre_tokenizers.Metaspace()
    for name, tok, kind in [("wp", wordpiece, "WordPiece"), ("uni", unigram, "Unigram")]:
        (tmp_path / name).mkdir()
        tok.save(str(tmp_path / name / "tokenizer.json"))
        with pytest.raises(UserError) as exc:
            extend_tokenizer(tmp_path / name, zh_sp, tmp_path / "out")
        _one_line_error(exc, tmp_path / name / "tokenizer.json", kind, "supported:")


def test_other_bases_are_rejected(tmp_path, zh_sp, en_dir):
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    with pytest.raises(UserError) as exc:
        extend_tokenizer(text, zh_sp, tmp_path / "out")
    _one_line_error(exc, text, "supported:")
    with pytest.raises(UserError) as exc:
        extend_tokenizer(tmp_path, zh_sp, tmp_path / "out")
    _one_line_error(exc, tmp_path, "neither tokenizer.model nor tokenizer.json")
    with pytest.raises(UserError) as exc:
        extend_tokenizer(tmp_path / "nope", zh_sp, tmp_path / "out")
    _one_line_error(exc, "nope: base tokenizer not found")
    with pytest.raises(UserError) as exc:
        extend_tokenizer(en_dir, zh_sp, en_dir)
    _one_line_error(exc, "--out must differ")
    with pytest.raises(UserError) as exc:
        extend_tokenizer(en_dir, zh_sp, tmp_path / "out", score="high")
    _one_line_error(exc, "zero, below-min")


def test_binary_token_list_is_one_line_error(en_sp, tmp_path):
    bad = tmp_path / "tokens.bin"
    bad.write_bytes(b"\xff\xfe\x00abc")
    with pytest.raises(UserError) as exc:
        extend_tokenizer(en_sp, bad, tmp_path / "out")
    _one_line_error(exc, bad, "not UTF-8")
