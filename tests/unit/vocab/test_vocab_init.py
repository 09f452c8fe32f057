"""vocab.init: resize + initialise new rows (issue 3, item 4) on a 2-layer hidden-32 LLaMA."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from langtransfer.errors import ConfigError

STRATEGIES = ("random", "mean", "subword_mean", "subword_mean_norm")
NEW_PIECES = ["中国", "中", "国", "人", "▁中国", "国家", "出生"]  # appended after the base pieces
SYLLABLES = ["ta", "vi", "lu", "mo", "na", "ke", "ri", "so"]


def _english(n: int = 300, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    name = lambda: "".join(rng.choice(SYLLABLES) for _ in range(2)).title()  # noqa: E731
    return [f"{name()} was born in {name()} in {rng.randint(1940, 2005)}." for _ in range(n)]


def _sp_folder(folder: Path, lines: list[str], vocab: int, **options) -> Path:
    """A LLaMA-like SentencePiece BPE (vocab.train options) as a transformers folder."""
    import sentencepiece as spm

    from langtransfer.vocab.train import LLAMA_LIKE_OPTIONS

    folder.mkdir(parents=True, exist_ok=True)
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines),
                                   model_prefix=str(folder / "tokenizer"), vocab_size=vocab,
                                   model_type="bpe", num_threads=1,
                                   **{**LLAMA_LIKE_OPTIONS, **options})
    return folder / "tokenizer.model"


def _with_pieces(base_model: Path, pieces: list[str], folder: Path):
    """Base + pieces appended at proto level with score 0 (Chinese-LLaMA-Alpaca), loaded."""
    from sentencepiece import sentencepiece_model_pb2 as pb
    from transformers import AutoTokenizer

    proto = pb.ModelProto()
    proto.ParseFromString(base_model.read_bytes())
    have = {p.piece for p in proto.pieces}
    for piece in pieces:
        if piece not in have:
            proto.pieces.add(piece=piece, score=0.0)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokenizer.model").write_bytes(proto.SerializeToString())
    return AutoTokenizer.from_pretrained(folder, add_bos_token=True, add_eos_token=False)


@pytest.fixture(scope="module")
def toks(tmp_path_factory) -> tuple:
    """(base tokenizer: English, byte fallback; the same + NEW_PIECES)."""
    from transformers import AutoTokenizer

    root = tmp_path_factory.mktemp("toks")
    model = _sp_folder(root / "base", _english(), 320)
    base = AutoTokenizer.from_pretrained(root / "base", add_bos_token=True, add_eos_token=False)
    return base, _with_pieces(model, NEW_PIECES, root / "ext")


def _model(vocab: int, tied: bool, seed: int = 0):
    from langtransfer.train.config import ArchConfig
    from langtransfer.train.model import build_llama

    arch = ArchConfig(n_layers=2, hidden=32, heads=2, ffn=64, max_seq_len=64, tie_embeddings=tied)
    return build_llama(arch, vocab, 1, 2, 0, seed=seed)


def _rows(model):
    return (model.get_input_embeddings().weight.detach().clone(),
            model.get_output_embeddings().weight.detach().clone())


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_old_rows_stay_bit_exact_and_sizes_agree(toks, strategy, tied):
    import torch

    from langtransfer.vocab.check import check_vocab

    base, ext = toks
    model = _model(len(base), tied)
    old_in, old_out = _rows(model)
    record = resize_and_init_(model, ext, base, strategy)
    new_in, new_out = _rows(model)
    assert torch.equal(new_in[:len(base)], old_in) and torch.equal(new_out[:len(base)], old_out)
    assert (model.get_output_embeddings().weight is model.get_input_embeddings().weight) == tied
    assert record["tied"] == tied and record["n_new"] == len(ext) - len(base) == len(NEW_PIECES)
    assert model.config.vocab_size == record["new_rows"] == len(ext)
    assert not torch.equal(new_in[len(base):], torch.zeros_like(new_in[len(base):]))
    check_vocab(model, ext, "resized")


def resize_and_init_(model, ext, base, strategy, **kw):
    from langtransfer.vocab.init import resize_and_init

    return resize_and_init(model, len(ext), strategy, old_tokenizer=base, new_tokenizer=ext, **kw)


def test_random_rows_use_the_init_std_and_the_seed():
    from langtransfer.vocab.init import resize_and_init

    rows = []
    for seed in (0, 0, 1):
        model = _model(300, tied=False)
        resize_and_init(model, 2300, "random", seed=seed)
        rows.append(_rows(model))
    new_in, new_out = rows[0][0][300:], rows[0][1][300:]
    assert abs(float(new_in.std()) - 0.02) < 0.001 and abs(float(new_in.mean())) < 0.001
    assert abs(float(new_out.std()) - 0.02) < 0.001
    assert not (new_in == new_out).all()  # input and head drawn independently
    assert (rows[0][0] == rows[1][0]).all() and not (rows[0][0] == rows[2][0]).all()


def test_mean_rows_are_the_old_means_of_each_matrix():
    import torch

    from langtransfer.vocab.init import resize_and_init

    model = _model(300, tied=False)
    old_in, old_out = _rows(model)
    record = resize_and_init(model, 310, "mean")
    new_in, new_out = _rows(model)
    assert torch.allclose(new_in[300:], old_in.mean(0).expand(10, -1))
    assert torch.allclose(new_out[300:], old_out.mean(0).expand(10, -1))
    assert record["head_rows_convex"] and record["no_decomposition"] == 0


def test_subword_ids_spell_pieces_like_the_old_tokenizer(toks):
    from langtransfer.vocab.init import subword_ids

    base, _ = toks
    def utf8(text: str) -> list[int]:
        return [base.convert_tokens_to_ids(f"<0x{b:02X}>") for b in text.encode()]

    space = base.convert_tokens_to_ids("▁")
    # word-initial: the old tokenizer's own encoding of the word ("▁" + byte pieces) ...
    assert subword_ids("▁中国", base) == base("中国", add_special_tokens=False)["input_ids"]
    assert subword_ids("▁中国", base) == [space, *utf8("中国")]
    # ... word-internal: no dummy "▁" (encoding "国家" with the tokenizer would add one)
    assert subword_ids("国家", base) == utf8("国家")
    assert base("国家", add_special_tokens=False)["input_ids"][0] == space
    # a byte piece or any piece the base has maps to itself; control tokens have no spelling
    assert subword_ids("<0xE4>", base) == [base.convert_tokens_to_ids("<0xE4>")]
    assert subword_ids("▁was", base) == [base.convert_tokens_to_ids("▁was")]
    assert subword_ids("</s>", base) == [2]


def test_subword_mean_averages_the_spelling_rows_of_each_matrix(toks):
    import torch

    from langtransfer.vocab.init import subword_ids

    base, ext = toks
    model = _model(len(base), tied=False)
    old_in, old_out = _rows(model)
    record = resize_and_init_(model, ext, base, "subword_mean")
    new_in, new_out = _rows(model)
    for piece in NEW_PIECES:
        i, parts = ext.convert_tokens_to_ids(piece), subword_ids(piece, base)
        assert len(parts) >= 3  # bytes of at least one character
        assert torch.allclose(new_in[i], old_in[parts].mean(0))
        assert torch.allclose(new_out[i], old_out[parts].mean(0))
    assert record["no_decomposition"] == 0 and record["head_rows_convex"]


def test_unspellable_tokens_fall_back_to_mean_and_are_counted(tmp_path):
    """Without byte fallback the base cannot spell Chinese; a control token has no spelling."""
    import torch
    from transformers import AutoTokenizer

    model_file = _sp_folder(tmp_path / "base", _english(), 120, byte_fallback=False)
    base = AutoTokenizer.from_pretrained(tmp_path / "base")
    ext = _with_pieces(model_file, ["中国", "▁vilu"], tmp_path / "ext")
    ext.add_special_tokens({"additional_special_tokens": ["<|im_start|>"]})
    model = _model(len(base), tied=True)
    old_in, _ = _rows(model)
    record = resize_and_init_(model, ext, base, "subword_mean")
    new_in, _ = _rows(model)
    assert record["no_decomposition"] == 2
    assert record["no_decomposition_tokens"] == ["中国", "<|im_start|>"]
    for piece in ("中国", "<|im_start|>"):
        assert torch.allclose(new_in[ext.convert_tokens_to_ids(piece)], old_in.mean(0))
    vilu = ext.convert_tokens_to_ids("▁vilu")
    assert not torch.allclose(new_in[vilu], old_in.mean(0))


def test_subword_ids_on_a_byte_level_bpe():
    """Byte-level BPE (GPT-2 / Llama-3 style): "Ġ" marks the word start, as "▁" does."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from langtransfer.vocab.init import subword_ids

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    raw.train_from_iterator(_english(), trainers.BpeTrainer(
        vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok = PreTrainedTokenizerFast(tokenizer_object=raw)
    assert subword_ids("Ġvilumo", tok) == tok(" vilumo")["input_ids"]
    # an extended byte-level tokenizer spells " 中国" in its byte alphabet: "Ġä¸ŃåĽ½"
    ids = tok(" 中国")["input_ids"]
    assert subword_ids("".join(tok.convert_ids_to_tokens(ids)), tok) == ids and len(ids) >= 3
    assert subword_ids("Ġ中国", tok) == []  # not in the alphabet: unspellable, not "Ġ" alone


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
def test_subword_mean_norm_rescales_input_rows_only(toks, tied):
    import torch

    base, ext = toks
    plain, scaled = _model(len(base), tied), _model(len(base), tied)
    old_norm = float(plain.get_input_embeddings().weight.detach().norm(dim=1).mean())
    resize_and_init_(plain, ext, base, "subword_mean")
    record = resize_and_init_(scaled, ext, base, "subword_mean_norm")
    norms = scaled.get_input_embeddings().weight.detach()[len(base):].norm(dim=1)
    assert torch.allclose(norms, torch.full_like(norms, old_norm), rtol=1e-5)
    assert record["new_input_norm_mean"] == pytest.approx(old_norm, rel=1e-5)
    assert record["new_input_norm_std"] < 1e-4
    if not tied:  # the head keeps the plain subword mean: convex, cannot outscore old rows
        assert torch.equal(_rows(scaled)[1], _rows(plain)[1])
    assert record["head_rows_convex"] == (not tied)


@pytest.mark.parametrize("strategy", ["mean", "subword_mean"])
def test_convex_head_rows_never_outscore_the_best_old_row(toks, strategy):
    """h · (Σ w_i e_i) <= max_i h · e_i for any hidden state h."""
    import torch

    base, ext = toks
    model = _model(len(base), tied=False)
    resize_and_init_(model, ext, base, strategy)
    hidden = torch.randn(5000, 32, generator=torch.Generator().manual_seed(0)) * 10
    logits = hidden @ model.get_output_embeddings().weight.detach().T
    assert (logits[:, len(base):].max(1).values <= logits[:, :len(base)].max(1).values).all()


def test_padding_to_a_multiple_keeps_the_vocabulary_consistent(toks):
    from langtransfer.vocab.check import check_vocab

    base, ext = toks
    model = _model(len(base), tied=False)
    record = resize_and_init_(model, ext, base, "subword_mean", pad_to_multiple_of=64)
    assert record["new_rows"] % 64 == 0 and record["new_rows"] >= len(ext)
    assert record["padding_rows"] == record["new_rows"] - len(ext)
    assert record["no_decomposition"] == 0  # padding rows are not tokens
    assert model.config.vocab_size == record["new_rows"]
    check_vocab(model, ext, "padded")


def test_bad_requests_are_one_line_config_errors(toks):
    from langtransfer.train.config import CPTConfig
    from langtransfer.vocab.init import resize_and_init

    base, ext = toks
    model = _model(len(base), tied=False)
    names = "mean, random, subword_mean, subword_mean_norm"
    with pytest.raises(ConfigError, match=f"unknown strategy 'fvt' \\(choose from: {names}\\)"):
        resize_and_init(model, len(ext), "fvt")
    with pytest.raises(ConfigError, match="'subword_mean' needs the old and the new tokenizer"):
        resize_and_init(model, len(ext), "subword_mean")
    with pytest.raises(ConfigError, match="cannot resize to 100 rows: the model already has"):
        resize_and_init(model, 100, "mean")
    assert model.get_input_embeddings().weight.shape[0] == len(base)  # nothing was changed
    with pytest.raises(ConfigError, match="field 'init': unknown init strategy 'fvt'"):
        CPTConfig.from_dict({"init": "fvt"})
