"""Fixtures for the training tests: a synthetic English-centric corpus, a 400-piece
SentencePiece tokenizer trained on it, and a 2-layer hidden-32 LLaMA saved as a model folder."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from train_corpus import ZH_DOCS, make_corpus, write_lines  # noqa: E402,F401


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory) -> Path:
    return write_lines(tmp_path_factory.mktemp("corpus") / "base_pretrain.txt", make_corpus())


@pytest.fixture(scope="session")
def sp_model(corpus_file, tmp_path_factory) -> Path:
    from langtransfer.vocab.train import train_sentencepiece

    return train_sentencepiece([corpus_file], 400, tmp_path_factory.mktemp("sp"))


@pytest.fixture(scope="session")
def tok(sp_model, tmp_path_factory):
    from langtransfer.vocab.train import hf_tokenizer_from_sp

    return hf_tokenizer_from_sp(sp_model, tmp_path_factory.mktemp("hf_tok"))


@pytest.fixture(scope="session")
def tiny_arch():
    from langtransfer.train.config import ArchConfig

    return ArchConfig(n_layers=2, hidden=32, heads=2, ffn=64, max_seq_len=128)


@pytest.fixture(scope="session")
def model_dir(tok, tiny_arch, tmp_path_factory) -> Path:
    """A saved random-init tiny LLaMA with its tokenizer (input of CPT and SFT)."""
    from langtransfer.modeling import save_model_and_tokenizer
    from langtransfer.train.model import build_llama
    from langtransfer.vocab.train import copy_sp_model

    path = tmp_path_factory.mktemp("tiny_model")
    model = build_llama(tiny_arch, len(tok), tok.bos_token_id, tok.eos_token_id,
                        tok.pad_token_id, seed=0)
    save_model_and_tokenizer(model, tok, path)
    copy_sp_model(Path(tok.name_or_path), path)  # as a base run leaves it
    return path


class Recorder:
    """Stands in for a runs.Run: collects metrics records."""

    def __init__(self):
        self.records: list[dict] = []

    def log(self, **record):
        self.records.append(record)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
