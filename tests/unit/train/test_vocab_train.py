"""SentencePiece training options and the SentencePiece -> transformers tokenizer hand-off."""

from __future__ import annotations

import pytest
from train_corpus import make_corpus, write_lines

from langtransfer.errors import DataError
from langtransfer.vocab.train import hf_tokenizer_from_sp, sample_lines, train_sentencepiece

PARITY_LINES = [
    *make_corpus(8, seed=3),
    "塔维·卢莫出生于纳鲁。他是一名教师，喜欢下棋。",
    "龘 is a rare character",  # not in the vocabulary: byte pieces
    "### Instruction:\nWhere was Tavi born?\n\n### Response:\n",
    " leading space",
    "  two leading spaces and trailing  ",
    "digits 1978 and 2005-11-26",
    "x\n\ny\ttab",
]


def _sp(model_file):
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_file=str(model_file))


def test_hf_ids_equal_sentencepiece_ids(sp_model, tok):
    sp = _sp(sp_model)
    for line in PARITY_LINES:
        assert tok(line, add_special_tokens=False)["input_ids"] == sp.encode(line), line


def test_hf_tokenizer_adds_bos_not_eos_and_pads_with_unk(tok):
    ids = tok("Tavi was born")["input_ids"]
    assert ids[0] == tok.bos_token_id == 1 and ids[-1] != tok.eos_token_id
    assert (tok.unk_token_id, tok.bos_token_id, tok.eos_token_id) == (0, 1, 2)
    assert tok.pad_token == "<unk>" and tok.pad_token_id == 0


def test_hf_folder_reloads_with_autotokenizer(sp_model, tmp_path):
    from transformers import AutoTokenizer

    hf_tokenizer_from_sp(sp_model, tmp_path)
    assert (tmp_path / "tokenizer.model").read_bytes() == sp_model.read_bytes()
    again = AutoTokenizer.from_pretrained(tmp_path)
    assert again("digits 1978")["input_ids"] == [1, *_sp(sp_model).encode("digits 1978")]


def test_llama_like_trainer_spec(sp_model):
    from sentencepiece import sentencepiece_model_pb2 as pb

    proto = pb.ModelProto()
    proto.ParseFromString(sp_model.read_bytes())
    spec = proto.trainer_spec
    assert spec.byte_fallback and spec.split_digits
    assert proto.normalizer_spec.name == "identity"
    assert not proto.normalizer_spec.remove_extra_whitespaces
    assert (spec.unk_id, spec.bos_id, spec.eos_id, spec.pad_id) == (0, 1, 2, -1)
    assert spec.model_type == pb.TrainerSpec.BPE and spec.vocab_size == 400


def test_rare_characters_fall_back_to_bytes_not_unk(sp_model):
    sp = _sp(sp_model)
    ids = sp.encode("龘")
    assert 0 not in ids
    assert [sp.id_to_piece(i) for i in ids if sp.is_byte(i)] == ["<0xE9>", "<0xBE>", "<0x98>"]


def test_split_digits_one_piece_per_digit(sp_model):
    sp = _sp(sp_model)
    pieces = [p for p in sp.encode("1978", out_type=str) if p != "▁"]
    assert [p.lstrip("▁") for p in pieces] == ["1", "9", "7", "8"]


def test_sampling_is_seeded_and_bounded(tmp_path):
    path = write_lines(tmp_path / "c.txt", make_corpus(200))
    a = sample_lines([path], 2000, seed=1)
    assert a == sample_lines([path], 2000, seed=1) != sample_lines([path], 2000, seed=2)
    assert 2000 <= sum(map(len, a)) < 2000 + max(map(len, a))
    m1 = train_sentencepiece([path], 400, tmp_path / "m1", sample_chars=5000, seed=1)
    m2 = train_sentencepiece([path], 400, tmp_path / "m2", sample_chars=5000, seed=1)
    assert m1.read_bytes() == m2.read_bytes()


def test_vocab_too_large_is_one_line_data_error(tmp_path):
    path = write_lines(tmp_path / "c.txt", ["tiny corpus"])
    with pytest.raises(DataError, match="c.txt: SentencePiece training failed") as exc:
        train_sentencepiece([path], 2000, tmp_path)
    assert "\n" not in str(exc.value)


def test_missing_corpus_is_data_error(tmp_path):
    with pytest.raises(DataError, match="nope.txt: tokenizer corpus file not found"):
        train_sentencepiece([tmp_path / "nope.txt"], 300, tmp_path)


def test_parity_check_rejects_a_tokenizer_with_other_ids(sp_model, tok):
    from langtransfer.errors import UserError
    from langtransfer.vocab.train import check_id_parity

    check_id_parity(sp_model, tok)  # the real pair passes

    class DropsDummyPrefix:  # what transformers 5.17 did: no leading "▁"
        def __call__(self, text, add_special_tokens=False):
            return {"input_ids": tok(text, add_special_tokens=False)["input_ids"][1:]}

    with pytest.raises(UserError, match="tokenizes 'digits 1978' differently"):
        check_id_parity(sp_model, DropsDummyPrefix())
