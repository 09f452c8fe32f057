"""Every shipped training config validates: CPT/SFT YAMLs through the CLI's --dry-run (no
download), accelerate configs through accelerate's own loader and launcher options (no
DeepSpeed install needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from langtransfer.cli import app
from langtransfer.modeling import is_hub_name
from langtransfer.train.config import CPTConfig, SFTConfig

CONFIGS = Path(__file__).resolve().parents[3] / "configs"
STAGES = {"cpt": CPTConfig, "sft": SFTConfig}
STAGE_FILES = sorted(p for stage in STAGES for p in (CONFIGS / stage).glob("*.yaml"))
ACCELERATE_FILES = sorted((CONFIGS / "accelerate").glob("*.yaml"))


def test_the_paper_arms_are_shipped():
    names = {p.stem for p in STAGE_FILES}
    assert {"llama2-7b-zh-5M", "llama2-7b-zh-50M", "llama2-7b-zh-500M",
            "llama2-7b-zh-en-500M"} <= names
    assert {f"llama2-7b-belle-{n}" for n in ("1k", "5k", "full")} <= names
    langs = "ar bn gu hi id ml mr ne sw ta te ur vi".split()
    assert {f"bactrian-x-{lang}-{n}" for lang in langs for n in ("1k", "full")} <= names
    assert {p.stem for p in ACCELERATE_FILES} == {"ddp", "fsdp", "deepspeed_zero2",
                                                   "deepspeed_zero3"}


@pytest.mark.parametrize("path", STAGE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_stage_config_dry_runs(path, tmp_path):
    stage = path.parent.name
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["train", stage, str(path), "--out", str(out), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert not out.exists()  # nothing written, nothing downloaded
    resolved = yaml.safe_load(res.output)
    cfg = STAGES[stage].from_dict(resolved)
    assert cfg == STAGES[stage].load(path)  # the printed config is the file's, resolved
    assert is_hub_name(cfg.model) and cfg.gradient_checkpointing
    assert all(src.hf is not None for src in cfg.data)  # hub datasets, read with `datasets`
    raw = yaml.safe_load(path.read_text())
    header = path.read_text().splitlines()[0]
    assert header.startswith("# ") and "model" in raw  # a header comment says what it is


def test_cpt_budgets_are_the_papers():
    tokens = {p.stem: CPTConfig.load(p).tokens for p in STAGE_FILES if p.parent.name == "cpt"}
    assert tokens["llama2-7b-zh-5M"] == 5_000_000 and tokens["llama2-7b-zh-50M"] == 50_000_000
    assert tokens["llama2-7b-zh-500M"] == tokens["llama2-7b-zh-en-500M"] == 500_000_000
    mix = CPTConfig.load(CONFIGS / "cpt" / "llama2-7b-zh-en-500M.yaml").data
    assert sorted((s.lang, s.fraction) for s in mix) == [("en", 0.2), ("zh", 0.8)]


@pytest.mark.parametrize("path", ACCELERATE_FILES, ids=lambda p: p.name)
def test_accelerate_config_is_valid(path):
    from accelerate.commands.config.config_args import load_config_from_file
    from accelerate.commands.launch import launch_command_parser

    cfg = load_config_from_file(str(path))  # unknown top-level keys or enum values raise
    assert cfg.mixed_precision == "bf16" and cfg.num_machines == 1
    # nested keys become `accelerate launch` options of the same name
    options = {action.dest for action in launch_command_parser()._actions}
    raw = yaml.safe_load(path.read_text())
    nested = {**raw.get("fsdp_config", {}), **raw.get("deepspeed_config", {})}
    assert set(nested) <= options, sorted(set(nested) - options)
    kind = {"ddp": "MULTI_GPU", "fsdp": "FSDP", "deepspeed_zero2": "DEEPSPEED",
            "deepspeed_zero3": "DEEPSPEED"}[path.stem]
    assert cfg.distributed_type.value == kind
    if kind == "DEEPSPEED":
        # the loop accumulates itself; ZeRO-3 must gather weights for the final save
        assert nested["gradient_accumulation_steps"] == 1
        assert nested["zero_stage"] == int(path.stem[-1])
        assert path.stem.endswith("2") or nested["zero3_save_16bit_model"] is True
