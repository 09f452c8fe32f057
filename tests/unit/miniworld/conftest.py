"""Shared fixtures: a small generated world (60 people, generated once per session) and a
hand-made three-person world with a judge per language (for hand-written answers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from langtransfer.files import write_json
from langtransfer.miniworld.config import WorldConfig
from langtransfer.miniworld.generate import generate, world_record
from langtransfer.miniworld.judge import MiniWorldJudge
from langtransfer.miniworld.world import City, Company, Country, Person, World

SMALL = {
    "n_people": 60, "n_heldout_people": 10, "n_countries": 3, "n_cities": 10,
    "n_companies": 10, "n_instructions": 200, "n_open_eval": 20, "n_knowledge": 40,
    "n_heldout": 20, "parallel_share": 0.1, "target_share_in_base": 0.05,
}
"""A world small enough to generate in well under a second."""


@pytest.fixture(scope="session")
def small_cfg() -> WorldConfig:
    """The small test world's config (vary it with `small_cfg.with_updates({...})`)."""
    return WorldConfig.from_dict(SMALL)


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory, small_cfg) -> Path:
    """A generated small world (shared by the tests that only read it)."""
    out = tmp_path_factory.mktemp("miniworld") / "world"
    generate(small_cfg, out)
    return out


def _forms(zh: str) -> dict[str, str]:
    return {"en": "latin", "zh": zh}


def _hand_world() -> World:
    """Tavi Lumo (塔维·卢莫) 1978 Nalu (纳卢) teacher Kemo Industries (克莫工业) chess;
    Kami Soto (latin in zh) 1990 Pebo doctor Dafu Bank hiking; Bene Zuka (贝涅·祖卡)."""
    countries = [Country("country-000", [["vo", "li"]], _forms("native")),
                 Country("country-001", [["be", "ma"]], _forms("latin"))]
    cities = [City("city-000", [["na", "lu"]], _forms("native"), country="country-000"),
              City("city-001", [["pe", "bo"]], _forms("latin"), country="country-000"),
              City("city-002", [["si", "ka"]], _forms("native"), country="country-001")]
    companies = [
        Company("company-000", [["ke", "mo"]], _forms("native"), kind="industries", city="city-000"),
        Company("company-001", [["da", "fu"]], _forms("latin"), kind="bank", city="city-001"),
    ]
    people = [
        Person("person-0000", [["ta", "vi"], ["lu", "mo"]], _forms("native"), group="en_only",
               birth_year=1978, birth_city="city-000", occupation="teacher",
               employer="company-000", hobby="chess"),
        Person("person-0001", [["ka", "mi"], ["so", "to"]], _forms("latin"), group="en_only",
               birth_year=1990, birth_city="city-001", occupation="doctor",
               employer="company-001", hobby="hiking"),
        Person("person-0002", [["be", "ne"], ["zu", "ka"]], _forms("native"), group="shared",
               birth_year=1965, birth_city="city-002", occupation="engineer",
               employer="company-000", hobby="fishing"),
    ]
    return World(0, ["en", "zh"], countries, cities, companies, people)


@pytest.fixture(scope="session")
def judges(tmp_path_factory) -> dict[str, MiniWorldJudge]:
    """A judge per language over the hand-made world."""
    folder = tmp_path_factory.mktemp("hand_world")
    write_json(folder / "world.json", world_record(_hand_world()))
    return {lang: MiniWorldJudge(folder, lang) for lang in ("en", "zh")}
