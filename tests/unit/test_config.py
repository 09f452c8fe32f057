"""BaseConfig: YAML mirror, unknown keys, overrides, one-line errors, stable hash."""

from __future__ import annotations

import pytest

from langtransfer.errors import ConfigError
from langtransfer.train.config import CPTConfig, OptimConfig, SFTConfig


def test_yaml_roundtrip_and_hash_stable(tmp_path):
    cfg = CPTConfig(tokens=1234)
    path = tmp_path / "c.yaml"
    path.write_text(cfg.to_yaml())
    again = CPTConfig.load(path)
    assert again == cfg
    assert again.config_hash() == cfg.config_hash()
    assert CPTConfig(tokens=1235).config_hash() != cfg.config_hash()


def test_unknown_key_names_field_and_known_keys(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("tokens: 10\noptim:\n  lrr: 0.1\n")
    with pytest.raises(ConfigError) as exc:
        CPTConfig.load(path)
    msg = str(exc.value)
    assert "unknown key 'optim.lrr'" in msg and str(path) in msg and "lr" in msg
    assert "\n" not in msg


def test_zero_budget_rejected_with_field_name():
    with pytest.raises(ConfigError, match=r"field 'tokens'.*greater than 0"):
        CPTConfig.load(None, ["tokens=0"])


def test_overrides_parse_yaml_values():
    cfg = SFTConfig.load(None, ["examples=42", "optim.lr=0.01", "template=alpaca"])
    assert cfg.examples == 42 and cfg.optim.lr == 0.01 and cfg.template == "alpaca"


def test_bad_override_syntax():
    with pytest.raises(ConfigError, match="expected key=value"):
        SFTConfig.load(None, ["examples"])


def test_fractions_must_sum_to_one():
    with pytest.raises(ConfigError, match="sum to 1"):
        CPTConfig.from_dict({"data": [{"path": "a", "fraction": 0.5}, {"path": "b", "fraction": 0.3}]})


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        CPTConfig.load(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("tokens: [1,\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:\d+: invalid YAML"):
        CPTConfig.load(bad)


def test_field_docstrings_are_descriptions():
    assert "Peak learning rate" in OptimConfig.model_fields["lr"].description


def test_override_list_index_reaches_defaults():
    cfg = CPTConfig.load(None, ["data.0.path=some/file.txt"])
    assert cfg.data[0].path == "some/file.txt"
    with pytest.raises(ConfigError, match="not an index"):
        CPTConfig.load(None, ["data.3.path=x"])
