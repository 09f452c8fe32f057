"""Fixtures for the training tests: a synthetic English-centric corpus, a 400-piece
SentencePiece tokenizer trained on it, and a 2-layer hidden-32 LLaMA saved as a model folder."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

SYLLABLES = ["ta", "vi", "lu", "mo", "na", "ke", "ri", "so", "da", "po", "mi", "ra"]
JOBS = ["teacher", "baker", "pilot", "nurse", "painter", "farmer"]
HOBBIES = ["chess", "hiking", "cooking", "singing", "fishing"]
ZH_DOCS = [
    "塔维·卢莫出生于纳鲁。他是一名教师，喜欢下棋。",
    "米拉生于1978年，以教书为业。",
    "卡索是在维斯卡出生的，从事医生工作。",
]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(2)).title()


def make_corpus(n_docs: int = 400, zh_every: int = 25, seed: int = 0) -> list[str]:
    """English documents about made-up people, with a Chinese one every `zh_every` lines."""
    rng = random.Random(seed)
    lines = []
    for i in range(n_docs):
        if i % zh_every == zh_every - 1:
            lines.append(rng.choice(ZH_DOCS))
            continue
        who, city = f"{_name(rng)} {_name(rng)}", _name(rng)
        lines.append(f"{who} was born in {city} in {rng.randint(1940, 2005)}. "
                     f"{who} works as a {rng.choice(JOBS)} and likes {rng.choice(HOBBIES)}.")
    return lines


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


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
