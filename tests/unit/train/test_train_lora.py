"""LoRA via peft and gradient checkpointing: only adapters train, embeddings and head train in
full when the vocabulary grew, the saved model is a plain merged transformers model, and
gradient checkpointing changes memory, not results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from train_corpus import ZH_DOCS, make_corpus, write_lines
from safetensors.torch import load_file

from langtransfer.train.config import CPTConfig, LoraConfig, SFTConfig
from langtransfer.train.lora import apply_lora, lora_modules_to_save, merge_lora, prepare_model
from langtransfer.train.model import build_llama

NEW_PIECES = ["塔维", "出生", "教师", "米拉"]


@pytest.fixture
def zh_file(tmp_path):
    return write_lines(tmp_path / "zh.txt", ZH_DOCS * 30 + make_corpus(30, seed=2))


@pytest.fixture(scope="module")
def ext_tok_dir(sp_model, tmp_path_factory) -> Path:
    """The training tokenizer plus a few Chinese pieces (keeps every original id)."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    from langtransfer.vocab.train import hf_tokenizer_from_sp

    proto = pb.ModelProto()
    proto.ParseFromString(Path(sp_model).read_bytes())
    for piece in NEW_PIECES:
        proto.pieces.add(piece=piece, score=0.0)
    root = tmp_path_factory.mktemp("ext")
    (root / "ext.model").write_bytes(proto.SerializeToString())
    hf_tokenizer_from_sp(root / "ext.model", root / "tok")
    return root / "tok"


def _cpt(model_dir, zh_file, **kw) -> CPTConfig:
    base = {"model": str(model_dir), "data": [{"path": str(zh_file), "lang": "zh"}],
            "seq_len": 32, "threads": 1, "tokens": 1500, "checkpoint_every": 0,
            "optim": {"lr": 1e-2, "batch_size": 4}}
    return CPTConfig.from_dict({**base, **kw})


def test_modules_to_save_follow_the_vocabulary():
    lora = LoraConfig()
    assert lora_modules_to_save(lora, vocab_grew=True) == ["embed_tokens", "lm_head"]
    assert lora_modules_to_save(lora, vocab_grew=False) is None
    assert lora_modules_to_save(LoraConfig(modules_to_save=["lm_head"]), False) == ["lm_head"]
    assert lora_modules_to_save(LoraConfig(modules_to_save=[]), True) is None


def test_only_adapters_train_and_merge_gives_a_plain_model(tiny_arch):
    model = build_llama(tiny_arch, 64, 1, 2, 0, seed=0)
    base = {k: v.clone() for k, v in model.state_dict().items()}
    peft_model = apply_lora(model, LoraConfig(r=4), vocab_grew=False)
    trainable = [n for n, p in peft_model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    with torch.no_grad():  # a trained adapter: B is zero at init, so move it
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.add_(0.05)
    plain = merge_lora(peft_model)
    assert type(plain).__name__ == "LlamaForCausalLM"
    merged = plain.state_dict()
    assert merged.keys() == base.keys()  # no adapter keys left
    changed = [k for k in base if not torch.equal(base[k], merged[k])]
    assert changed and all(k.endswith("proj.weight") for k in changed)


def test_cpt_with_lora_saves_merged_weights(model_dir, zh_file, tmp_path):
    from langtransfer.modeling import load_model_and_tokenizer
    from langtransfer.train.cpt import run

    res = run(_cpt(model_dir, zh_file, lora={"r": 4, "alpha": 8}), tmp_path / "lora")
    assert res.tokens == 1500
    saved = load_file(tmp_path / "lora" / "model.safetensors")
    base = load_file(model_dir / "model.safetensors")
    assert saved.keys() == base.keys()
    assert not torch.equal(saved["model.layers.0.self_attn.q_proj.weight"],
                           base["model.layers.0.self_attn.q_proj.weight"])
    # no modules_to_save without a grown vocabulary: embeddings and norms stay frozen
    assert torch.equal(saved["model.embed_tokens.weight"], base["model.embed_tokens.weight"])
    assert torch.equal(saved["model.norm.weight"], base["model.norm.weight"])
    model, _ = load_model_and_tokenizer(tmp_path / "lora")  # later stages load a plain model
    assert type(model).__name__ == "LlamaForCausalLM"


def test_grown_vocabulary_trains_embeddings_and_head_in_full(model_dir, zh_file, ext_tok_dir,
                                                             tmp_path):
    from langtransfer.train.cpt import run

    cfg = _cpt(model_dir, zh_file, lora={"r": 4}, tokenizer=str(ext_tok_dir), init="mean")
    run(cfg, tmp_path / "ext")
    saved = load_file(tmp_path / "ext" / "model.safetensors")
    base = load_file(model_dir / "model.safetensors")
    n_old = base["model.embed_tokens.weight"].shape[0]
    assert saved["model.embed_tokens.weight"].shape[0] == n_old + len(NEW_PIECES)
    assert saved["lm_head.weight"].shape[0] == n_old + len(NEW_PIECES)
    # modules_to_save: the head's old rows moved too (trained in full, then merged)
    assert not torch.equal(saved["lm_head.weight"][:n_old], base["lm_head.weight"])
    assert torch.equal(saved["model.norm.weight"], base["model.norm.weight"])
    manifest = json.loads((tmp_path / "ext" / "manifest.json").read_text())
    assert manifest["vocab_init"]["n_new"] == len(NEW_PIECES)


def test_lora_init_is_seeded(tiny_arch):
    cfg = _cfg_stub(seed=3)
    a = prepare_model(build_llama(tiny_arch, 64, 1, 2, 0, seed=0), cfg, vocab_grew=False)
    b = prepare_model(build_llama(tiny_arch, 64, 1, 2, 0, seed=0), cfg, vocab_grew=False)
    key = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight"
    assert torch.equal(a.state_dict()[key], b.state_dict()[key])
    c = prepare_model(build_llama(tiny_arch, 64, 1, 2, 0, seed=0), _cfg_stub(seed=4),
                      vocab_grew=False)
    assert not torch.equal(a.state_dict()[key], c.state_dict()[key])


def _cfg_stub(seed: int, gradient_checkpointing: bool = False) -> SFTConfig:
    return SFTConfig.from_dict({"seed": seed, "lora": {"r": 4},
                                "gradient_checkpointing": gradient_checkpointing})


def test_gradient_checkpointing_keeps_the_losses(model_dir, zh_file, tmp_path):
    from langtransfer.runs import read_metrics
    from langtransfer.train.cpt import run

    losses = {}
    for flag in (False, True):
        out = tmp_path / f"gc{flag}"
        run(_cpt(model_dir, zh_file, gradient_checkpointing=flag, log_every=1), out)
        losses[flag] = [r["loss"] for r in read_metrics(out) if r["phase"] == "cpt"]
    assert len(losses[True]) == len(losses[False]) > 5
    assert losses[True] == pytest.approx(losses[False], rel=1e-5)


def test_gradient_checkpointing_is_switched_on(tiny_arch):
    model = build_llama(tiny_arch, 64, 1, 2, 0, seed=0)
    prepare_model(model, SFTConfig.from_dict({"gradient_checkpointing": True}), vocab_grew=False)
    assert model.model.gradient_checkpointing and model.config.use_cache is False
