"""Config of the vocabulary-extension stage (`vocab.stage.run`, used by studies)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from langtransfer.config import BaseConfig


class VocabExtendConfig(BaseConfig):
    """Train a target-language SentencePiece model on a corpus and merge it into a base tokenizer."""

    base: str = "runs/base"
    """Base tokenizer: a model/tokenizer directory holding tokenizer.model (or tokenizer.json)."""
    corpus: list[str] = ["runs/world/zh/pretrain.txt"]
    """Target-language text files (one document per line) to train the new pieces on."""
    target: str | None = None
    """An already trained target SentencePiece model to merge (e.g. Chinese-LLaMA's
    chinese_sp.model); when set, nothing is trained and `corpus` may be empty."""
    pieces: int = Field(1000, ge=300)
    """Vocabulary size of the target SentencePiece model (pieces already in the base are
    skipped, so fewer are added). Chinese-LLaMA: 20,000 trained, 17,953 added to LLaMA's 32,000."""
    model_type: Literal["bpe", "unigram"] = "bpe"
    """SentencePiece algorithm of the target model."""
    score: Literal["zero", "below-min"] = "zero"
    """Score of appended pieces: zero = top merge priority (Chinese-LLaMA-Alpaca's choice);
    below-min = the base's merges keep priority (docs/vocab.md)."""
    sample_chars: int | None = Field(None, gt=0)
    """Train on a seeded sample of about this many characters (None: the whole corpus)."""
    seed: int = 0
    """Seed of the sample."""
