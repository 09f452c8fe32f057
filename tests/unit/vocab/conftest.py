"""Fixtures for the vocabulary tests: tiny English and Chinese SentencePiece models trained in
the test session, a tiny byte-level BPE, and the real tokenizers and Chinese text in
../shared/data (skipped with a reason where that folder is absent)."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

EN_NAMES = ["Tavi", "Mira", "Kaso", "Lumo", "Rena", "Dapo", "Sori", "Nake"]
EN_JOBS = ["teacher", "baker", "pilot", "nurse", "painter", "farmer"]
EN_HOBBIES = ["chess", "hiking", "cooking", "singing", "fishing"]
ZH_NAMES = ["塔维", "米拉", "卡索", "卢莫", "蕾娜", "达波", "索里", "纳克"]
ZH_CITIES = ["北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "西安"]
ZH_JOBS = ["教师", "医生", "厨师", "画家", "农民", "护士", "飞行员", "工程师"]
ZH_HOBBIES = ["下棋", "唱歌", "钓鱼", "读书", "跑步", "画画", "游泳", "旅行"]
ZH_TEMPLATES = [
    "{name}出生于{city}，是一名{job}，喜欢{hobby}。",
    "{name}在{city}工作，职业是{job}。{name}的爱好是{hobby}。",
    "我们认识{name}，{name}是{city}人，平时喜欢{hobby}。",
]


def en_corpus(n: int = 300, seed: int = 0) -> list[str]:
    """English documents about made-up people (digits included: years)."""
    rng = random.Random(seed)
    return [f"{rng.choice(EN_NAMES)} was born in {rng.randint(1940, 2005)}. She works as a "
            f"{rng.choice(EN_JOBS)} and likes {rng.choice(EN_HOBBIES)}." for _ in range(n)]


def zh_corpus(n: int = 300, seed: int = 0) -> list[str]:
    """Chinese documents from a few templates (about 90 distinct characters)."""
    rng = random.Random(seed)
    return [rng.choice(ZH_TEMPLATES).format(name=rng.choice(ZH_NAMES), city=rng.choice(ZH_CITIES),
                                            job=rng.choice(ZH_JOBS), hobby=rng.choice(ZH_HOBBIES))
            for _ in range(n)]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def lines_writer():
    """write_lines as a fixture (conftest modules are not importable by name here)."""
    return write_lines


@pytest.fixture(scope="session")
def en_lines() -> list[str]:
    return en_corpus()


@pytest.fixture(scope="session")
def zh_lines() -> list[str]:
    return zh_corpus(seed=1)


@pytest.fixture(scope="session")
def en_sp(tmp_path_factory) -> Path:
    """A 400-piece English BPE SentencePiece model (Chinese falls back to bytes)."""
    from langtransfer.vocab.train import train_sentencepiece

    corpus = write_lines(tmp_path_factory.mktemp("en") / "en.txt", en_corpus())
    return train_sentencepiece([corpus], 400, corpus.parent)


@pytest.fixture(scope="session")
def en_dir(en_sp, tmp_path_factory) -> Path:
    """The English model as a transformers tokenizer folder (tokenizer.model + json)."""
    from langtransfer.vocab.train import hf_tokenizer_from_sp

    path = tmp_path_factory.mktemp("en_hf")
    hf_tokenizer_from_sp(en_sp, path)
    return path


@pytest.fixture(scope="session")
def zh_sp(tmp_path_factory) -> Path:
    """A 400-piece Chinese BPE SentencePiece model (the pieces to add)."""
    from langtransfer.vocab.train import train_sentencepiece

    corpus = write_lines(tmp_path_factory.mktemp("zh") / "zh.txt", zh_corpus())
    return train_sentencepiece([corpus], 400, corpus.parent)


@pytest.fixture(scope="session")
def byte_level_dir(shared_data, tmp_path_factory) -> Path:
    """A 500-token byte-level BPE (GPT-2 style) trained on English Wikipedia text."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    text = (shared_data / "pretrain_text" / "wiki_demo.txt").read_text(encoding="utf-8")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=500, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(text.splitlines()[:3], trainer)
    path = tmp_path_factory.mktemp("byte_level")
    tok.save(str(path / "tokenizer.json"))
    return path


@pytest.fixture(scope="session")
def wiki_lines(shared_data) -> list[str]:
    """English Wikipedia paragraphs cut into sentences-ish chunks of <= 400 characters."""
    text = (shared_data / "pretrain_text" / "wiki_demo.txt").read_text(encoding="utf-8")
    paragraphs = text.splitlines()[3:8]  # not the lines the byte-level BPE was trained on
    return [p[i:i + 400] for p in paragraphs for i in range(0, len(p), 400)][:200]


@pytest.fixture(scope="session")
def llama_model(shared_data) -> Path:
    return shared_data / "tokenizers" / "llama" / "tokenizer.model"


@pytest.fixture(scope="session")
def chinese_sp_model(shared_data) -> Path:
    return shared_data / "tokenizers" / "chinese_sp" / "chinese_sp.model"


@pytest.fixture(scope="session")
def zh_eval_lines(shared_data) -> list[str]:
    """Real Chinese text: BELLE eval questions, C-Eval val questions, UD zh_gsdsimp sentences."""
    belle = shared_data / "belle" / "eval_set.json"
    lines = [json.loads(row)["question"] for row in belle.read_text(encoding="utf-8").splitlines()]
    for path in sorted((shared_data / "ceval" / "val").glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            lines.extend(row["question"] for row in csv.DictReader(fh))
    conllu = shared_data / "ud" / "zh_gsdsimp-ud-test.conllu"
    lines.extend(line[len("# text = "):] for line in conllu.read_text(encoding="utf-8").splitlines()
                 if line.startswith("# text = "))
    return [line for line in lines if line.strip()]


@pytest.fixture(scope="session")
def llama_zh_zero(llama_model, chinese_sp_model, tmp_path_factory):
    """LLaMA + chinese_sp merged with score zero (the Chinese-LLaMA tokenizer)."""
    from langtransfer.vocab.extend import extend_tokenizer

    return extend_tokenizer(llama_model, chinese_sp_model, tmp_path_factory.mktemp("zero"))


@pytest.fixture(scope="session")
def llama_zh_below(llama_model, chinese_sp_model, tmp_path_factory):
    """LLaMA + chinese_sp merged with scores below LLaMA's minimum."""
    from langtransfer.vocab.extend import extend_tokenizer

    return extend_tokenizer(llama_model, chinese_sp_model, tmp_path_factory.mktemp("below"),
                            score="below-min")
