"""WorldConfig: defaults validate; every mistake is a one-line ConfigError naming the field."""

from __future__ import annotations

import pytest

from langtransfer.errors import ConfigError
from langtransfer.miniworld.config import WorldConfig


def _error(data: dict) -> str:
    with pytest.raises(ConfigError) as info:
        WorldConfig.from_dict(data, "world.yaml")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("world.yaml: ")
    return message


def test_defaults_validate_and_round_trip():
    cfg = WorldConfig()
    assert cfg.langs == ["en", "zh"] and cfg.targets == ["zh"]
    assert abs(sum(g.share for g in cfg.groups.values()) - 1) < 1e-9
    assert WorldConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.visible_langs("shared") == ["en", "zh"]
    assert cfg.visible_langs("target_only") == ["zh"]
    assert cfg.visible_langs("unseen") == []


def test_unknown_key_names_the_key_and_lists_known_ones():
    message = _error({"n_peple": 5})
    assert "unknown key 'n_peple'" in message and "n_people" in message


def test_unknown_key_inside_a_group():
    message = _error({"groups": {"a": {"share": 1.0, "langz": ["en"]}}, "knowledge_group": "a",
                      "instruction_groups": [], "open_eval_groups": []})
    assert "unknown key 'groups.a.langz'" in message


def test_shares_must_sum_to_one():
    groups = {"shared": {"share": 0.5, "langs": ["en", "target"]},
              "en_only": {"share": 0.4, "langs": ["en"]}}
    message = _error({"groups": groups})
    assert "field 'groups'" in message and "sum to 1 (got 0.9)" in message


@pytest.mark.parametrize("data, field, words", [
    ({"langs": ["zh", "en"]}, "langs", "English"),
    ({"langs": ["en", "xx"]}, "langs", "unknown language 'xx'"),
    # every language in langs.py has a renderer now (issue 8): a Latin-only one cannot be native
    ({"langs": ["en", "sw"], "name_rendering": {"sw": "native"}}, "name_rendering",
     "Latin letters only"),
    ({"knowledge_group": "nobody"}, "knowledge_group", "unknown group"),
    ({"instruction_groups": ["en_only"]}, "instruction_groups", "not described in every"),
    ({"open_eval_groups": ["shared"]}, "open_eval_groups", "instruction_groups"),
    ({"name_rendering": {"en": "native"}}, "name_rendering", "latin"),
    ({"name_rendering": {"xx": "latin"}}, "name_rendering", "unknown language 'xx'"),
    ({"birth_year_min": 1990, "birth_year_max": 1991}, "birth_year_max", ">= birth_year_min"),
    ({"n_people": 3}, "n_people", "greater than or equal to 8"),
    ({"groups": {"g": {"share": 1.0, "langs": ["fr"]}}}, "groups", "not in langs"),
])
def test_bad_values_name_the_field(data, field, words):
    message = _error(data)
    assert f"field '{field}'" in message and words in message


def test_name_rendering_form_is_checked():
    assert "field 'name_rendering.zh'" in _error({"name_rendering": {"zh": "hanzi"}})


def test_english_only_world_via_override():
    cfg = WorldConfig.load(None, overrides=["langs=[en]"])
    assert cfg.targets == [] and cfg.visible_langs("target_only") == []


def test_load_applies_overrides(tmp_path):
    path = tmp_path / "world.yaml"
    path.write_text("n_people: 100\nseed: 3\n")
    cfg = WorldConfig.load(path, overrides=["n_people=120", "name_rendering.zh=native"])
    assert (cfg.n_people, cfg.seed, cfg.name_rendering["zh"]) == (120, 3, "native")
