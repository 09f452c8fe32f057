"""WorldConfig: the knobs of a MiniWorld (sizes, groups, name rendering, corpus mix, item counts).

`WorldConfig.load("world.yaml", overrides=["n_people=300"])` validates a YAML file; every error is a
one-line ConfigError naming the field. Exercised by
`langtransfer miniworld generate --out runs/world --set n_people=300`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from langtransfer.config import BaseConfig
from langtransfer.langs import LANGS

TARGET = "target"
"""In a group's `langs`: every language of the world except English (the target languages)."""

NameForm = Literal["latin", "native", "mixed"]
NAME_RENDERING = {"en": "latin", "zh": "mixed", **{c: "mixed" for c in (
    "ar", "bn", "gu", "hi", "ml", "mr", "ne", "ta", "te", "ur")}}
"""Default name forms: languages written in Latin letters (en, id, sw, vi) keep Latin names."""


class GroupConfig(BaseConfig):
    """One partition of the people: its share and the languages whose text describes it."""

    share: float = Field(ge=0, le=1)
    """Fraction of `n_people` in this group (all groups' shares sum to 1)."""
    langs: list[str] = []
    """Languages whose pretraining text states this group's facts: ISO codes or `target`
    (= every non-English language of the world). Empty = never described (chance control)."""


def _default_groups() -> dict[str, GroupConfig]:
    return {
        "shared": GroupConfig(share=0.3, langs=["en", TARGET]),
        "en_only": GroupConfig(share=0.4, langs=["en"]),
        "target_only": GroupConfig(share=0.15, langs=[TARGET]),
        "unseen": GroupConfig(share=0.15, langs=[]),
    }


class WorldConfig(BaseConfig):
    """`miniworld generate`: a deterministic synthetic world rendered in English + targets."""

    seed: int = 0
    """Seed of every random draw (same seed -> byte-identical files)."""
    langs: list[str] = ["en", "zh"]
    """Languages to render; English first (the source language), then the target languages."""
    n_people: int = Field(600, ge=8)
    """People in the groups. Under a fixed base-model token budget this is the difficulty dial:
    each person adds ~40 tokens per document, so 3 M tokens show each fact ~70 000 / n_people
    times. Measured (docs/miniworld.md, "Calibration"): English MC on en_only facts 0.82-0.91
    at 600 people, 0.66 at 1000, 0.30 (near chance) at 2000."""
    n_heldout_people: int = Field(100, ge=1)
    """Extra people described only in heldout_unseen.txt (perplexity on text about people nobody
    has seen: pure language modelling, names unpredictable)."""
    n_countries: int = Field(8, ge=2)
    """Fictional countries."""
    n_cities: int = Field(40, ge=4)
    """Cities (spread round-robin over the countries); birth places are drawn from them."""
    n_companies: int = Field(40, ge=4)
    """Companies (each headquartered in a city); employers are drawn from them."""
    birth_year_min: int = Field(1940, ge=1900, le=2099)
    """Earliest birth year."""
    birth_year_max: int = Field(2005, ge=1900, le=2099)
    """Latest birth year."""
    groups: dict[str, GroupConfig] = Field(default_factory=_default_groups)
    """Partition of the people: name -> {share, langs}. Defaults: shared (en + target),
    en_only (English text only: the transfer test), target_only (target text only) and unseen
    (never described: the empirical chance control)."""
    knowledge_group: str = "en_only"
    """Group asked about in knowledge.csv (the other groups go to knowledge_control.csv)."""
    instruction_groups: list[str] = ["shared"]
    """Groups the instructions talk about; must be described in every language and disjoint
    from the evaluated groups, so evaluation people stay unseen in SFT."""
    open_eval_groups: list[str] = ["en_only", "target_only"]
    """Groups asked about in open_eval.jsonl."""
    mentions_per_fact: int = Field(3, ge=1)
    """Documents per person per language; each states every fact of the person once, so each
    fact appears this many times (as different paraphrases) in a language's pretraining text.
    Under a fixed token budget it trades paraphrase variety for epochs (2 / 3 / 5 measured
    alike); it sets the size of the target-language CPT text."""
    place_mentions: int = Field(3, ge=1)
    """Documents per city and per company (city -> country, company -> city) per language."""
    target_share_in_base: float = Field(0.03, ge=0, lt=1)
    """Share (by characters) of each target language's text in base_pretrain.txt (LLaMA saw a
    little Chinese); sampled from that language's pretrain.txt."""
    parallel_share: float = Field(0.02, ge=0, le=1)
    """Share of target-language documents written as `target ||| English` translation pairs
    (drawn only from documents about entities described in English too)."""
    name_rendering: dict[str, NameForm] = Field(default_factory=lambda: dict(NAME_RENDERING))
    """Per language: latin (keep "Tavi Lumo"), native (transliterate: 塔维·卢莫, टावी लूमो)
    or mixed (each entity gets one form, by seed). Languages not listed use latin; entries for
    languages outside `langs` are ignored (so `--set langs=[en]` works with the default).
    Default: mixed for every language with its own script, latin otherwise."""
    native_name_share: float = Field(0.5, ge=0, le=1)
    """Under `mixed`: share of entities (per kind, and per group for people) written natively."""
    n_instructions: int = Field(2000, ge=0)
    """Instructions per language (the study takes the first N: 100 / 500 / 2000)."""
    n_open_eval: int = Field(90, ge=0)
    """Open questions per language (split evenly over `open_eval_groups`)."""
    n_knowledge: int = Field(300, ge=0)
    """Cap on items per knowledge file (balanced over attributes, and over groups in the
    control file)."""
    n_heldout: int = Field(200, ge=0)
    """Documents per language in heldout.txt (fresh in-distribution documents, never a training
    document) and in heldout_unseen.txt (about the held-out people)."""

    @field_validator("langs")
    @classmethod
    def _langs_known(cls, langs: list[str]) -> list[str]:
        from langtransfer.miniworld.render import RENDERERS

        if not langs or langs[0] != "en":
            raise ValueError("English ('en') must come first")
        if len(set(langs)) != len(langs):
            raise ValueError("languages must not repeat")
        for code in langs:
            if code not in LANGS:
                raise ValueError(f"unknown language '{code}' (known: {', '.join(sorted(LANGS))})")
            if code not in RENDERERS:
                raise ValueError(f"no MiniWorld renderer for '{code}' (have: {', '.join(RENDERERS)})")
        return langs

    @field_validator("birth_year_max")
    @classmethod
    def _years_ordered(cls, high: int, info: ValidationInfo) -> int:
        low = info.data.get("birth_year_min")
        if low is not None and high < low + 3:  # four distinct years per question
            raise ValueError(f"must be >= birth_year_min + 3 ({low + 3})")
        return high

    @field_validator("groups")
    @classmethod
    def _groups_valid(cls, groups: dict[str, GroupConfig], info: ValidationInfo) -> dict:
        langs = info.data.get("langs", [])
        if not groups:
            raise ValueError("at least one group is required")
        total = sum(g.share for g in groups.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"shares must sum to 1 (got {total:g})")
        for name, g in groups.items():
            bad = [c for c in g.langs if c != TARGET and c not in langs]
            if bad:
                raise ValueError(f"group '{name}' names languages not in langs: {bad}")
        return groups

    @field_validator("knowledge_group")
    @classmethod
    def _knowledge_group_exists(cls, name: str, info: ValidationInfo) -> str:
        _check_groups([name], info)
        return name

    @field_validator("instruction_groups")
    @classmethod
    def _instruction_groups_valid(cls, names: list[str], info: ValidationInfo) -> list[str]:
        groups = _check_groups(names, info)
        langs = info.data.get("langs", [])
        for name in names if groups else []:
            seen = expand_langs(groups[name].langs, langs)
            if set(seen) != set(langs):
                raise ValueError(f"group '{name}' is not described in every language {langs}")
        if info.data.get("knowledge_group") in names:
            raise ValueError("must not include knowledge_group (evaluated people stay out of SFT)")
        return names

    @field_validator("open_eval_groups")
    @classmethod
    def _open_eval_groups_valid(cls, names: list[str], info: ValidationInfo) -> list[str]:
        _check_groups(names, info)
        overlap = sorted(set(names) & set(info.data.get("instruction_groups", [])))
        if overlap:
            raise ValueError(f"{overlap} also in instruction_groups (evaluated people leak into SFT)")
        return names

    @field_validator("name_rendering")
    @classmethod
    def _rendering_langs(cls, forms: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        for code, form in forms.items():
            if code not in LANGS:
                raise ValueError(f"unknown language '{code}' (known: {', '.join(sorted(LANGS))})")
            if code == "en" and form != "latin":
                raise ValueError("English names are always latin")
        for code in info.data.get("langs", []):
            if forms.get(code, "latin") != "latin" and not _transliterates(code):
                raise ValueError(f"'{code}' writes names in Latin letters only (its renderer "
                                 "has no transliteration table): use latin")
        return forms

    @property
    def targets(self) -> list[str]:
        """The target languages (every language but English)."""
        return [c for c in self.langs if c != "en"]

    def visible_langs(self, group: str) -> list[str]:
        """Languages whose pretraining text describes `group` (`target` expanded)."""
        return expand_langs(self.groups[group].langs, self.langs)


def _transliterates(code: str) -> bool:
    from langtransfer.miniworld.render import get_renderer

    return get_renderer(code).transliteration is not None


def expand_langs(codes: list[str], langs: list[str]) -> list[str]:
    """Replace `target` by the non-English languages; keep world order, no repeats."""
    wanted = {c for c in codes if c != TARGET}
    if TARGET in codes:
        wanted.update(c for c in langs if c != "en")
    return [c for c in langs if c in wanted]


def _check_groups(names: list[str], info: ValidationInfo) -> dict[str, GroupConfig]:
    groups = info.data.get("groups")
    if groups is None:  # groups failed its own validation; that error is reported instead
        return {}
    missing = [n for n in names if n not in groups]
    if missing:
        raise ValueError(f"unknown group {missing} (groups: {', '.join(groups)})")
    return groups
