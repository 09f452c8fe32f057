"""Fixtures for eval tests: a tiny SentencePiece tokenizer and a tiny random LLaMA.

The tokenizer is trained in a temp folder on a few hundred English and Chinese lines with the
LLaMA-like options of ENVIRONMENT.md (BPE, byte fallback, identity normalisation, bos=1 eos=2
unk=0, no pad piece), loaded with AutoTokenizer.from_pretrained(folder) as the stages do.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

EN_WORDS = ("the capital of city was born in Paris London Nalu Tavi Lumo works as a teacher "
            "doctor answer question instruction response red blue green black year").split()
ZH_CHARS = "塔维卢莫出生于城市答案是一名教师医生的工作在年。，？"
VOCAB = 420  # 256 byte pieces + specials + ~160 merges; the 512 cap of COMMON.md


def _corpus(seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    lines = [" ".join(rng.choice(EN_WORDS) for _ in range(8)) + "." for _ in range(400)]
    lines += ["".join(rng.choice(ZH_CHARS) for _ in range(12)) for _ in range(100)]
    lines += ["### Instruction:\nWhere was Tavi born?\n\n### Response:\nIn Nalu."] * 20
    return lines


@pytest.fixture(scope="session")
def tok_dir(tmp_path_factory) -> Path:
    """A folder holding tokenizer.model (SentencePiece) for AutoTokenizer."""
    import sentencepiece as spm

    folder = tmp_path_factory.mktemp("tok")
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_corpus()), model_prefix=str(folder / "tokenizer"),
        vocab_size=VOCAB, model_type="bpe", byte_fallback=True,
        normalization_rule_name="identity", remove_extra_whitespaces=False, split_digits=True,
        character_coverage=1.0, bos_id=1, eos_id=2, unk_id=0, pad_id=-1, minloglevel=2,
    )
    return folder


@pytest.fixture(scope="session")
def tok(tok_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tok_dir, add_bos_token=True, add_eos_token=False)


def build_model(tok, seed: int = 0, max_positions: int = 128):
    """A random 2-layer LLaMA (hidden 32) over `tok`'s vocabulary, fp32, eval mode."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=max_positions,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, tie_word_embeddings=False,
    )
    # initializer_range 0.02 gives near-uniform predictions; larger weights make the random
    # model opinionated, so ordering / padding bugs change the numbers visibly.
    cfg.initializer_range = 0.5
    return LlamaForCausalLM(cfg).eval()


@pytest.fixture
def make_model(tok):
    """Factory: make_model(seed=0, max_positions=128) -> a fresh tiny random LLaMA."""
    return lambda seed=0, max_positions=128: build_model(tok, seed, max_positions)


@pytest.fixture
def model(tok):
    return build_model(tok)

