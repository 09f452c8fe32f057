"""Training extended models (issue 3, item 5): gradients reach the new rows, the embeddings-only
warm-up moves nothing else, embed_lr_mult is its own param group, and budget_tokenizer gives
an extended-vocabulary arm exactly the original arm's text."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from langtransfer.errors import ConfigError

SYLLABLES = ["ta", "vi", "lu", "mo", "na", "ke", "ri", "so"]
ZH_DOCS = ["塔维出生于中国。他是一名教师。", "中国人喜欢下棋。", "米拉生于1978年，以教书为业。"]
NEW_PIECES = ["中", "国", "中国", "人", "出", "生", "出生"]  # all reachable by BPE merges


def _english(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    name = lambda: "".join(rng.choice(SYLLABLES) for _ in range(2)).title()  # noqa: E731
    return [f"{name()} was born in {name()} in {rng.randint(1940, 2005)}." for _ in range(n)]


def _corpus() -> list[str]:
    lines = _english(200)
    for i in range(0, 200, 10):
        lines[i] = ZH_DOCS[i % 3]
    return lines


@pytest.fixture(scope="module")
def dirs(tmp_path_factory) -> dict[str, Path]:
    """base: 2-layer LLaMA + 320-piece English tokenizer (Chinese as bytes); ext: + NEW_PIECES;
    data: the corpus (one document per line) and an Alpaca file."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    from langtransfer.modeling import save_model_and_tokenizer
    from langtransfer.train.config import ArchConfig
    from langtransfer.train.model import build_llama
    from langtransfer.vocab.train import (copy_sp_model, hf_tokenizer_from_sp,
                                          train_sentencepiece)

    root = tmp_path_factory.mktemp("warmup")
    corpus = root / "corpus.txt"
    corpus.write_text("\n".join(_corpus()) + "\n", encoding="utf-8")
    english = root / "english.txt"  # the tokenizer never sees Chinese: bytes, as in LLaMA
    english.write_text("\n".join(_english(400, seed=9)) + "\n", encoding="utf-8")
    tok = hf_tokenizer_from_sp(train_sentencepiece([english], 320, root / "sp"), root / "tok")
    arch = ArchConfig(n_layers=2, hidden=32, heads=2, ffn=64, max_seq_len=128)
    model = build_llama(arch, len(tok), tok.bos_token_id, tok.eos_token_id, tok.pad_token_id, 0)
    save_model_and_tokenizer(model, tok, root / "base")
    copy_sp_model(root / "tok", root / "base")
    proto = pb.ModelProto()
    proto.ParseFromString((root / "tok" / "tokenizer.model").read_bytes())
    have = {p.piece for p in proto.pieces}
    for piece in NEW_PIECES:
        if piece not in have:
            proto.pieces.add(piece=piece, score=0.0)
    (root / "ext_sp").mkdir()
    (root / "ext_sp" / "ext.model").write_bytes(proto.SerializeToString())
    hf_tokenizer_from_sp(root / "ext_sp" / "ext.model", root / "ext")
    rows = [{"instruction": f"Where was {n.split()[0]} born?", "input": "", "output": doc}
            for n, doc in zip(_english(30, seed=3), ZH_DOCS * 10)]
    (root / "sft.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return {"base": root / "base", "ext": root / "ext", "corpus": corpus,
            "sft": root / "sft.json"}


def _toks(dirs):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(dirs["base"]), AutoTokenizer.from_pretrained(dirs["ext"])


def _batches(tok, n: int = 4, seq: int = 32) -> list[dict]:
    from langtransfer.train.packing import lm_batches, split_blocks, tokenize_lines

    docs = tokenize_lines(tok, _corpus()[:n * 8])
    return lm_batches(split_blocks(docs, seq), 4)


def test_extended_tokenizer_really_uses_the_new_pieces(dirs):
    base, ext = _toks(dirs)
    assert len(ext) == len(base) + len(NEW_PIECES)
    ids = ext(ZH_DOCS[1], add_special_tokens=False)["input_ids"]
    assert {ext.convert_tokens_to_ids(p) for p in ("中国", "人")} <= set(ids)
    # 中国 replaces 6 byte pieces, 人 3; the rest of the sentence stays bytes
    assert len(ids) == len(base(ZH_DOCS[1], add_special_tokens=False)["input_ids"]) - 5 - 2


def test_gradients_reach_the_new_rows(dirs):
    import torch

    from langtransfer.train.loop import causal_lm_loss_sum
    from langtransfer.train.model import load_for_training

    model, ext, record = load_for_training(dirs["base"], dirs["ext"], "subword_mean")
    assert record["n_new"] == len(NEW_PIECES) and record["strategy"] == "subword_mean"
    model.train()
    ids = torch.tensor([ext(ZH_DOCS[1])["input_ids"]])
    causal_lm_loss_sum(model(input_ids=ids).logits, ids).backward()
    grad_in = model.get_input_embeddings().weight.grad
    grad_out = model.get_output_embeddings().weight.grad
    used = sorted({i for i in ids[0].tolist() if i >= record["old_rows"]})
    unused = sorted(set(range(record["old_rows"], record["new_rows"])) - set(used))
    assert used and unused
    assert (grad_in[used].abs().sum(1) > 0).all()  # rows of new tokens in the input
    assert (grad_in[unused].abs().sum(1) == 0).all()  # new rows not in the input: none
    assert (grad_out[record["old_rows"]:].abs().sum(1) > 0).all()  # every head row (softmax)


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
def test_warmup_changes_only_the_embeddings_and_head(dirs, tied):
    import torch

    from langtransfer.train.config import OptimConfig
    from langtransfer.train.loop import train
    from langtransfer.train.model import embeddings_only, load_for_training

    model, ext, _ = load_for_training(dirs["base"], dirs["ext"], "mean")
    if tied:
        model.lm_head.weight = model.model.embed_tokens.weight
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with embeddings_only(model) as trainable:
        assert len(trainable) == (1 if tied else 2)
        stats = train(model, _batches(ext), 3, OptimConfig(lr=1e-2, batch_size=4), None, cpu=True)
    assert stats.steps == 3
    after = model.state_dict()
    embed_keys = {"model.embed_tokens.weight", "lm_head.weight"}
    for key, value in before.items():
        changed = not torch.equal(value, after[key])
        assert changed == (key in embed_keys), key
    assert all(p.requires_grad for p in model.parameters())  # flags restored on exit


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
def test_embed_lr_mult_is_a_separate_group(dirs, tied):
    from langtransfer.train.config import OptimConfig
    from langtransfer.train.loop import embedding_parameters, make_optimizer, make_scheduler
    from langtransfer.train.model import load_for_training

    model, _, _ = load_for_training(dirs["base"])
    if tied:
        model.lm_head.weight = model.model.embed_tokens.weight
    optim = OptimConfig(lr=1e-3, warmup_ratio=0.2)
    assert len(make_optimizer(model, optim).param_groups) == 2  # mult 1: no extra group
    optimizer = make_optimizer(model, optim, embed_lr_mult=3.0)
    groups = optimizer.param_groups
    embed = groups[-1]["params"]
    assert [id(p) for p in embed] == [id(p) for p in embedding_parameters(model)]
    assert len(embed) == (1 if tied else 2)
    assert groups[-1]["lr"] == pytest.approx(3e-3) and groups[0]["lr"] == pytest.approx(1e-3)
    in_groups = [id(p) for g in groups for p in g["params"]]
    assert len(in_groups) == len(set(in_groups)) == len(list(model.parameters()))
    scheduler = make_scheduler(optimizer, optim, 10)
    for _ in range(4):
        optimizer.step()
        scheduler.step()
        lrs = scheduler.get_last_lr()
        assert lrs[-1] == pytest.approx(3 * lrs[0])


def _cpt_cfg(dirs, **kw):
    from langtransfer.train.config import CPTConfig

    base = {"model": str(dirs["base"]), "data": [{"path": str(dirs["corpus"]), "lang": "en"}],
            "seq_len": 64, "threads": 1, "optim": {"lr": 1e-3, "batch_size": 4}}
    return CPTConfig.from_dict({**base, **kw})


def test_cpt_resizes_warms_up_and_saves_the_extended_model(dirs, tmp_path):
    import torch

    from langtransfer.modeling import load_model_and_tokenizer
    from langtransfer.runs import read_manifest, read_metrics
    from langtransfer.train.cpt import run
    from langtransfer.vocab.check import check_vocab

    cfg = _cpt_cfg(dirs, tokens=700, tokenizer=str(dirs["ext"]), init="subword_mean",
                   embed_warmup_tokens=300, embed_lr_mult=2.0)
    res = run(cfg, tmp_path / "cpt")
    assert res.tokens == 700 and res.embed_warmup_tokens == 300
    manifest = read_manifest(tmp_path / "cpt")
    assert manifest["vocab_init"]["strategy"] == "subword_mean"
    assert manifest["vocab_init"]["n_new"] == len(NEW_PIECES)
    assert manifest["embed_warmup"]["tokens"] == 300 and manifest["train"]["tokens"] == 400
    assert res.steps == manifest["embed_warmup"]["steps"] + manifest["train"]["steps"]
    phases = {r.get("phase") for r in read_metrics(tmp_path / "cpt")}
    assert {"cpt_embed_warmup", "cpt", "cpt_final"} <= phases
    model, tok = load_model_and_tokenizer(tmp_path / "cpt")
    assert len(tok) == model.get_input_embeddings().weight.shape[0] == len(_toks(dirs)[1])
    check_vocab(model, tok, "saved")
    assert ((tmp_path / "cpt" / "tokenizer.model").read_bytes()
            == (dirs["ext"] / "tokenizer.model").read_bytes())
    base_model, _ = load_model_and_tokenizer(dirs["base"])
    assert not torch.equal(model.model.layers[0].mlp.up_proj.weight,
                           base_model.model.layers[0].mlp.up_proj.weight)  # full phase ran


def test_sft_resizes_for_the_extended_tokenizer(dirs, tmp_path):
    from transformers import AutoTokenizer

    from langtransfer.runs import read_manifest
    from langtransfer.train.config import SFTConfig
    from langtransfer.train.sft import run

    cfg = SFTConfig.from_dict({"model": str(dirs["base"]), "data": str(dirs["sft"]),
                               "examples": 12, "epochs": 1, "max_len": 64, "threads": 1,
                               "tokenizer": str(dirs["ext"]), "init": "random",
                               "embed_lr_mult": 5.0, "optim": {"batch_size": 4}})
    res = run(cfg, tmp_path / "sft")
    assert res.steps == 3
    assert read_manifest(tmp_path / "sft")["vocab_init"]["strategy"] == "random"
    assert len(AutoTokenizer.from_pretrained(tmp_path / "sft")) == len(_toks(dirs)[1])


def test_warmup_must_leave_part_of_the_budget(dirs):
    from langtransfer.train.cpt import split_documents

    with pytest.raises(ConfigError, match=r"embed_warmup_tokens \(700\) must be below the "
                                          r"budget tokens \(700\)"):
        _cpt_cfg(dirs, tokens=700, embed_warmup_tokens=700)
    first, rest = split_documents([[1, 2, 3], [4, 5], [6, 7, 8]], 4)
    assert first == [[1, 2, 3], [4]] and rest == [[5], [6, 7, 8]]
    assert split_documents([[1, 2]], 0) == ([], [[1, 2]])


@pytest.mark.parametrize("budget", [50, 333, 4001, 12_000])  # 12k: cycles the 200 documents
def test_budget_text_path_reproduces_the_plain_path(dirs, budget):
    """Counting with the training tokenizer itself, the text path selects the very ids of the
    plain path (same order, same cycling, same cut) on English text."""
    from langtransfer.train.cpt import encode_selected, select_text
    from langtransfer.train.packing import take_tokens, tokenize_lines

    base, _ = _toks(dirs)
    lines = _english(200, seed=1)
    plain = take_tokens(tokenize_lines(base, lines), budget, repeat=True, seed=7)
    text = encode_selected(base, select_text(base, lines, budget, repeat=True, seed=7))
    assert text == plain and sum(map(len, text)) == budget


@pytest.mark.parametrize("budget", [333, 2500])
def test_budget_tokenizer_gives_both_vocabularies_the_same_text(dirs, budget):
    from langtransfer.train.cpt import encode_selected, select_text
    from langtransfer.train.packing import take_tokens, tokenize_lines

    base, ext = _toks(dirs)
    lines = _corpus()
    original = take_tokens(tokenize_lines(base, lines), budget, repeat=True, seed=3)
    selected = select_text(base, lines, budget, repeat=True, seed=3)
    extended = encode_selected(ext, selected)
    assert len(original) == len(extended)
    texts_a = [base.decode(d, skip_special_tokens=True) for d in original]
    texts_b = [ext.decode(d, skip_special_tokens=True) for d in extended]
    assert texts_a[:-1] == texts_b[:-1] == [t for t, _ in selected[:-1]]
    # the cut document: the same text, up to a character whose bytes the cut split
    assert texts_a[-1].rstrip("\ufffd") == texts_b[-1]
    assert sum(map(len, extended)) < budget  # the new pieces compress the Chinese documents


def test_a_cut_inside_a_character_moves_to_its_start(dirs):
    from langtransfer.train.cpt import _text_prefix

    base, _ = _toks(dirs)
    pieces = base.convert_ids_to_tokens(base("维", add_special_tokens=False)["input_ids"])
    assert pieces[0] == "▁" and all(p.startswith("<0x") for p in pieces[1:])  # bytes
    assert _text_prefix(base, "A维", 2) == "A"  # "▁A" + one byte of 维: 维 is left out
    assert _text_prefix(base, "A维", 99) == "A维"


def test_cpt_with_budget_tokenizer_records_both_counts(dirs, tmp_path):
    from langtransfer.runs import read_manifest
    from langtransfer.train.cpt import run

    cfg = _cpt_cfg(dirs, tokens=2500, tokenizer=str(dirs["ext"]),
                   budget_tokenizer=str(dirs["base"]))
    res = run(cfg, tmp_path / "cpt")
    budget = read_manifest(tmp_path / "cpt")["budget"]
    assert budget["budget_tokens"] == 2500 and 2497 <= budget["reference_tokens"] <= 2500
    assert budget["training_tokens"] == res.tokens < budget["reference_tokens"]
    assert res.reference_tokens == budget["reference_tokens"]
    assert res.tokens_by_source[0]["reference_tokens"] == budget["reference_tokens"]
