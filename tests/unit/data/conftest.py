"""Fixtures for the data-layer tests: a 400-piece SentencePiece tokenizer trained on a small
English + Chinese corpus, the same tokenizer with a chat template, a 2-layer hidden-32 LLaMA
model folder, and a tokenizer-call counter."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

NAMES = ["Tavi", "Mira", "Kaso", "Lumo", "Rena", "Dapo"]
JOBS = ["teacher", "baker", "pilot", "nurse", "painter"]
ZH = ["塔维出生于纳鲁，是一名教师。", "米拉生于1978年，以教书为业。", "卡索喜欢下棋和钓鱼。",
      "卢莫在北京工作，职业是医生。"]
# A ChatML-style template (Qwen's layout): every turn is wrapped, so the text a shorter
# conversation renders is a prefix of the longer one's.
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def english(n: int, seed: int = 0) -> list[str]:
    """English documents about made-up people."""
    rng = random.Random(seed)
    return [f"{rng.choice(NAMES)} was born in {rng.randint(1940, 2005)} and works as a "
            f"{rng.choice(JOBS)}." for _ in range(n)]


def chinese(n: int, seed: int = 0) -> list[str]:
    """Chinese documents (a few sentences recombined)."""
    rng = random.Random(seed)
    return ["".join(rng.sample(ZH, 2)) for _ in range(n)]


def write_lines(path: Path, lines: list[str]) -> Path:
    """One document per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tok_dir(tmp_path_factory) -> Path:
    from langtransfer.vocab.train import hf_tokenizer_from_sp, train_sentencepiece

    root = tmp_path_factory.mktemp("data_tok")
    corpus = write_lines(root / "corpus.txt", english(300) + chinese(100))
    sp = train_sentencepiece([corpus], 400, root / "sp")
    hf_tokenizer_from_sp(sp, root / "hf")
    return root / "hf"


@pytest.fixture(scope="session")
def tok(tok_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tok_dir)


@pytest.fixture
def chat_tok(tok_dir):
    """The test tokenizer with a ChatML template (a fresh object: the template is per test)."""
    from transformers import AutoTokenizer

    chat = AutoTokenizer.from_pretrained(tok_dir)
    chat.chat_template = CHATML
    return chat


@pytest.fixture(scope="session")
def model_dir(tok, tmp_path_factory) -> Path:
    """A saved random-init tiny LLaMA with the test tokenizer."""
    from langtransfer.modeling import save_model_and_tokenizer
    from langtransfer.train.config import ArchConfig
    from langtransfer.train.model import build_llama

    arch = ArchConfig(n_layers=2, hidden=32, heads=2, ffn=64, max_seq_len=128)
    path = tmp_path_factory.mktemp("data_model")
    model = build_llama(arch, len(tok), tok.bos_token_id, tok.eos_token_id, tok.pad_token_id,
                        seed=0)
    save_model_and_tokenizer(model, tok, path)
    return path


@pytest.fixture
def tokenizer_calls(monkeypatch):
    """Counts calls that tokenise text: transformers' __call__ / encode, and the transforms'
    direct backend path (data.transforms.encode_plain)."""
    from transformers.tokenization_utils_base import PreTrainedTokenizerBase

    from langtransfer.data import transforms

    calls = {"n": 0}

    def counting(cls, name):
        original = getattr(cls, name)

        def wrapper(*args, **kwargs):
            calls["n"] += 1
            return original(*args, **kwargs)
        monkeypatch.setattr(cls, name, wrapper)

    counting(PreTrainedTokenizerBase, "__call__")
    counting(PreTrainedTokenizerBase, "encode")
    counting(transforms, "encode_plain")
    return calls
