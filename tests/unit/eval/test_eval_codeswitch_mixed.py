"""Code-switching rate on text mixed at known rates: MiniWorld (every renderer) and NusaX id + en.

Issue 8's done-when: on text deliberately mixed at known rates per language, the detector reports
the injected rate within +-1 percentage point. English sentences are injected into target-language
documents at a sentence boundary; the documents chosen are ones the detector finds unswitched
before injection, so the expected rate is exactly k / n.
"""

from __future__ import annotations

import csv
import random
import re

import pytest

from langtransfer.eval.codeswitch import analyse_response, codeswitch_rate
from langtransfer.miniworld.config import WorldConfig
from langtransfer.miniworld.generate import generate
from langtransfer.miniworld.render import RENDERERS, get_renderer

RATES = (0.0, 0.02, 0.05, 0.10, 0.30)
TOLERANCE = 0.01 + 1e-9  # issue 8: within +-1 percentage point (float slack)


def _sentences(doc: str, final_punct: str) -> list[str]:
    return [s for s in re.split(f"(?<=[{re.escape(final_punct)}])\\s*", doc) if s.strip()]


def _inject(docs: list[str], english: list[str], rate: float, sep: str, final_punct: str,
            seed: int) -> tuple[list[str], set[int]]:
    """Insert one English sentence into round(rate * n) documents, at a sentence boundary."""
    rng = random.Random(seed)
    chosen = set(rng.sample(range(len(docs)), round(rate * len(docs))))
    out = []
    for i, doc in enumerate(docs):
        if i in chosen:
            parts = _sentences(doc, final_punct)
            at = rng.randint(0, len(parts))
            parts.insert(at, rng.choice(english))
            doc = sep.join(parts)
        out.append(doc)
    return out, chosen


def _check_rates(docs: list[str], english: list[str], lang: str, sep: str, punct: str) -> None:
    for k, rate in enumerate(RATES):
        mixed, chosen = _inject(docs, english, rate, sep, punct, seed=k)
        result = codeswitch_rate(mixed, lang, n_boot=200)
        assert abs(result["rate"] - len(chosen) / len(docs)) <= TOLERANCE, (rate, result)
        assert abs(result["rate"] - rate) <= TOLERANCE + 0.5 / len(docs), (rate, result)
        if chosen:
            assert result["switched_to"] == {"en": result["n_switched"]}
            assert result["ci_low"] <= result["rate"] <= result["ci_high"]


def _world(lang: str, folder):
    """A small world in English + `lang` (~0.5 s to generate)."""
    cfg = WorldConfig.from_dict({"langs": ["en", lang], "n_people": 40, "n_heldout_people": 10,
                                 "n_cities": 8, "n_companies": 8, "n_countries": 2}, "test")
    return generate(cfg, folder).path


@pytest.mark.slow  # 1-4 s per language on a busy 2-core machine (langid's first load: ~3 s)
@pytest.mark.parametrize("lang", [code for code in RENDERERS if code != "en"])
def test_miniworld_injected_rate_within_one_point(tmp_path, lang):
    path = _world(lang, tmp_path / "world")
    docs = (path / lang / "heldout.txt").read_text(encoding="utf-8").splitlines()
    docs = [d for d in docs if d.strip()][:200]
    english = _sentences((path / "en" / "heldout.txt").read_text(encoding="utf-8"), ".!?")
    # Pure MiniWorld text (Latin-script names and company names included) is not switched.
    assert codeswitch_rate(docs, lang, n_boot=10)["rate"] <= 0.005
    r = get_renderer(lang)
    _check_rates(docs, english, lang, r.sentence_sep, r.final_punct)


@pytest.mark.shared_data
def test_nusax_indonesian_with_english_injected(shared_data):
    with open(shared_data / "nusax" / "mt" / "valid.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    indonesian = [r["indonesian"] for r in rows]
    english = [r["english"] for r in rows]
    base = [analyse_response(t, "id").is_switched for t in indonesian]
    # Real Indonesian reviews borrow English ("wedding anniversary", "to visit here"): a few
    # percent are switched before injection (3 of 100 measured); the rest is the test bed.
    assert sum(base) <= 8
    clean = [t for t, b in zip(indonesian, base) if not b]
    # The English sentence of a *different* row, so the injected text is not a translation.
    others = english[50:] + english[:50]
    _check_rates(clean, others, "id", " ", ".!?")


def test_english_responses_are_clean_in_english(shared_data):
    with open(shared_data / "nusax" / "mt" / "valid.csv", encoding="utf-8", newline="") as f:
        english = [r["english"] for r in csv.DictReader(f)]
    assert codeswitch_rate(english, "en", candidates=["id"], n_boot=10)["rate"] <= 0.03
