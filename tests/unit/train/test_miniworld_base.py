"""`langtransfer miniworld base`: tokenizer + tiny LLaMA from a world's base corpus."""

from __future__ import annotations

import math
import time

import pytest
from train_corpus import make_corpus, write_lines

from langtransfer.errors import UserError
from langtransfer.miniworld.base import run
from langtransfer.runs import is_done, read_manifest, read_metrics
from langtransfer.train.config import BaseModelConfig


def _cfg(world, **kw):
    return BaseModelConfig.from_dict({
        "world": str(world), "vocab_size": 400, "tokenizer_sample_chars": 20_000,
        "arch": {"n_layers": 2, "hidden": 32, "heads": 2, "ffn": 64, "max_seq_len": 64},
        "tokens": 3000, "seq_len": 64, "optim": {"batch_size": 8}, "threads": 1, **kw})


def test_base_run_trains_saves_loadable_model_and_skips(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    world = tmp_path / "world"
    write_lines(world / "base_pretrain.txt", make_corpus(300))
    cfg, out = _cfg(world), tmp_path / "base"
    res = run(cfg, out)
    assert res.tokens == 3000 and res.steps == math.ceil(3000 // 64 / 8) + 1
    assert math.isfinite(res.val_loss) and res.vocab_size == 400 and res.params > 0
    assert 0 < res.byte_token_share < 0.5  # Chinese docs are partly bytes; English is not
    assert is_done(out, cfg.config_hash())
    manifest = read_manifest(out)
    assert manifest["documents"] == {"train": 297, "val": 3}
    assert manifest["inputs"]["corpus"]["path"].endswith("base_pretrain.txt")
    assert any("val_loss" in r for r in read_metrics(out))
    tok = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out)
    assert model.config.vocab_size == len(tok) == 400 and tok.pad_token == "<unk>"
    assert (out / "tokenizer.model").is_file()

    start = time.perf_counter()
    again = run(cfg, out)
    assert again.skipped and again.val_loss == res.val_loss
    assert time.perf_counter() - start < 1.0


def test_missing_corpus_is_user_error_naming_path(tmp_path):
    with pytest.raises(UserError, match="world/base_pretrain.txt: base corpus not found"):
        run(_cfg(tmp_path / "world"), tmp_path / "base")
    assert not (tmp_path / "base").exists()
