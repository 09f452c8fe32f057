"""Tiny corpora for the training tests (a module with a unique name: tests import it directly,
which `from conftest import ...` cannot do safely when several test folders have a conftest)."""

from __future__ import annotations

import random
from pathlib import Path

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
