"""vocab.check: tokenizer / embedding / LM head / config agree, before every stage (issue 3,
item 6); the stages stop on a mismatched model folder with one line."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from langtransfer.errors import UserError

SYLLABLES = ["ta", "vi", "lu", "mo", "na", "ke", "ri", "so"]


def _english(n: int = 300, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    name = lambda: "".join(rng.choice(SYLLABLES) for _ in range(2)).title()  # noqa: E731
    return [f"{name()} was born in {name()} in {rng.randint(1940, 2005)}." for _ in range(n)]


@pytest.fixture(scope="module")
def toks(tmp_path_factory) -> tuple:
    """(a 300-piece English SentencePiece tokenizer, the same + 7 Chinese pieces)."""
    from sentencepiece import sentencepiece_model_pb2 as pb
    from transformers import AutoTokenizer

    from langtransfer.vocab.train import hf_tokenizer_from_sp, train_sentencepiece

    root = tmp_path_factory.mktemp("toks")
    (root / "en.txt").write_text("\n".join(_english()) + "\n")
    base = hf_tokenizer_from_sp(train_sentencepiece([root / "en.txt"], 300, root), root / "base")
    proto = pb.ModelProto()
    proto.ParseFromString((root / "base" / "tokenizer.model").read_bytes())
    for piece in ["中国", "中", "国", "人", "▁中国", "国家", "出生"]:
        proto.pieces.add(piece=piece, score=0.0)
    (root / "ext").mkdir()
    (root / "ext" / "tokenizer.model").write_bytes(proto.SerializeToString())
    ext = AutoTokenizer.from_pretrained(root / "ext", add_bos_token=True, add_eos_token=False)
    ext.pad_token = ext.unk_token
    ext.save_pretrained(root / "ext")
    return base, ext


def _model(vocab: int, tied: bool = False):
    from langtransfer.train.config import ArchConfig
    from langtransfer.train.model import build_llama

    arch = ArchConfig(n_layers=2, hidden=32, heads=2, ffn=64, max_seq_len=64, tie_embeddings=tied)
    return build_llama(arch, vocab, 1, 2, 0, seed=0).eval()


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
def test_matching_and_padded_vocabularies_pass(toks, tied):
    from langtransfer.vocab.check import check_vocab, vocab_sizes

    base, _ = toks
    check_vocab(_model(len(base), tied), base, "exact")
    padded = _model(320, tied)  # rows rounded up past the tokenizer: allowed
    check_vocab(padded, base, "padded")
    assert vocab_sizes(padded, base) == {"tokenizer": 300, "input_rows": 320, "head_rows": 320,
                                         "config": 320}


def test_tokenizer_longer_than_embedding_says_how_many_rows_are_missing(toks):
    from langtransfer.vocab.check import check_vocab

    _, ext = toks
    with pytest.raises(UserError) as err:
        check_vocab(_model(300), ext, "runs/sft")
    assert str(err.value) == (
        "runs/sft: tokenizer has 307 tokens but the input embedding has 300 rows (7 missing): "
        "resize the model (train cpt --set tokenizer=...) or use its own tokenizer")


def test_head_resized_alone_is_named(toks):
    import torch

    from langtransfer.vocab.check import check_vocab

    base, _ = toks
    model = _model(len(base))
    model.lm_head = torch.nn.Linear(32, 310, bias=False)
    with pytest.raises(UserError, match=r"^m: the input embedding has 300 rows but the LM head "
                                        r"has 310 \(10 more\)"):
        check_vocab(model, base, "m")


def test_config_vocab_size_disagreeing_is_named(toks):
    from langtransfer.vocab.check import check_vocab

    base, _ = toks
    model = _model(len(base))
    model.config.vocab_size = 256
    with pytest.raises(UserError, match=r"^m: config.vocab_size is 256 but the embeddings have "
                                        r"300 rows \(44 more\)"):
        check_vocab(model, base, "m")


def test_special_ids_must_index_a_row(toks):
    from langtransfer.vocab.check import check_vocab

    base, _ = toks
    model = _model(len(base))
    model.config.eos_token_id = [2, 300]
    with pytest.raises(UserError, match=r"^m: the config's eos_token_id 300 is outside the "
                                        r"embedding's 300 rows \(valid ids: 0..299\)"):
        check_vocab(model, base, "m")


def test_an_extension_must_keep_every_original_id(toks, tmp_path):
    from langtransfer.vocab.check import check_extends
    from langtransfer.vocab.train import hf_tokenizer_from_sp, train_sentencepiece

    base, ext = toks
    check_extends(base, ext, "ext")
    with pytest.raises(UserError, match="fewer than the model's own 307: not an extension"):
        check_extends(ext, base, "base")
    (tmp_path / "other.txt").write_text("\n".join(_english(seed=7)[::-1]) + "\n")
    other = hf_tokenizer_from_sp(train_sentencepiece([tmp_path / "other.txt"], 310, tmp_path),
                                 tmp_path / "other")
    with pytest.raises(UserError, match=r"^other: id \d+ is '.*' here but '.*' in the model's "
                                        r"own tokenizer: not an extension"):
        check_extends(base, other, "other")


@pytest.fixture(scope="module")
def mismatched_dir(toks, tmp_path_factory) -> Path:
    """A model folder whose tokenizer (307) outgrew its embedding (300): the classic bug."""
    from langtransfer.modeling import save_model_and_tokenizer

    path = tmp_path_factory.mktemp("mismatched")
    save_model_and_tokenizer(_model(300), toks[1], path)
    return path


def test_cpt_and_sft_stop_on_a_mismatched_model(mismatched_dir, tmp_path):
    from langtransfer.train.config import CPTConfig, SFTConfig
    from langtransfer.train.cpt import run as cpt
    from langtransfer.train.sft import run as sft

    (tmp_path / "zh.txt").write_text("中国人出生。\n" * 50, encoding="utf-8")
    rows = [{"instruction": "中国?", "input": "", "output": "中国人。"}] * 4
    (tmp_path / "sft.json").write_text(json.dumps(rows), encoding="utf-8")
    message = (f"{mismatched_dir}: tokenizer has 307 tokens but the input embedding has 300 "
               "rows (7 missing)")
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cpt(CPTConfig.from_dict({"model": str(mismatched_dir), "threads": 1, "seq_len": 32,
                                 "tokens": 200, "data": [{"path": str(tmp_path / "zh.txt")}]}),
            tmp_path / "cpt")
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        sft(SFTConfig.from_dict({"model": str(mismatched_dir), "threads": 1, "examples": 4,
                                 "max_len": 32, "data": str(tmp_path / "sft.json")}),
            tmp_path / "sft")


def test_eval_stops_on_a_mismatched_model(mismatched_dir, tmp_path):
    from langtransfer.eval.config import EvalConfig
    from langtransfer.eval.run import run

    (tmp_path / "world" / "en").mkdir(parents=True)
    (tmp_path / "world" / "en" / "heldout.txt").write_text("Tavi was born in Nalu.\n")
    cfg = EvalConfig.from_dict({"model": str(mismatched_dir), "world": str(tmp_path / "world"),
                                "langs": ["en"], "tasks": ["ppl"], "threads": 1})
    with pytest.raises(UserError, match=r"tokenizer has 307 tokens but the input embedding "
                                        r"has 300 rows \(7 missing\)"):
        run(cfg, tmp_path / "eval")
