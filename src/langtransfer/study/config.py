"""Study config: one base config per stage plus the axes of the grid.

A study YAML mirrors `StudyConfig`. The runner fills the fields that link stages (model paths,
data files, budgets) per arm; everything else comes from the stage sections here.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from langtransfer.config import BaseConfig
from langtransfer.eval.config import EvalConfig
from langtransfer.langs import LANGS
from langtransfer.miniworld.config import WorldConfig
from langtransfer.train.config import BaseModelConfig, CPTConfig, SFTConfig


class AxesConfig(BaseConfig):
    """The grid. Every combination of the listed values is one arm (unknown axes are errors)."""

    cpt_tokens: list[int] = [0, 200_000, 2_000_000]
    """Continued-pretraining budgets in target-language tokens; 0 means no CPT (the base)."""
    sft_examples: list[int] = [200, 2000]
    """Instruction-tuning set sizes (nested subsets of one seeded shuffle)."""

    @field_validator("cpt_tokens", "sft_examples")
    @classmethod
    def _non_negative_unique(cls, values: list[int]) -> list[int]:
        if not values:
            raise ValueError("must list at least one value")
        if any(v < 0 for v in values):
            raise ValueError("values must be >= 0")
        if len(set(values)) != len(values):
            raise ValueError("values must be unique")
        return values


class StudyConfig(BaseConfig):
    """A MiniWorld transfer study: world → base → CPT arms → SFT arms → evaluation → report."""

    name: str = "miniworld-zh"
    """Study name (report title)."""
    target: str = "zh"
    """Target language (ISO code); English is the source."""
    world: WorldConfig = WorldConfig()
    """MiniWorld generator settings."""
    base: BaseModelConfig = BaseModelConfig()
    """Base model settings (`world` is filled by the runner)."""
    cpt: CPTConfig = CPTConfig()
    """Continued-pretraining settings (`model`, `data`, `tokens` are filled per arm)."""
    sft: SFTConfig = SFTConfig()
    """Instruction-tuning settings (`model`, `data`, `examples` are filled per arm)."""
    eval: EvalConfig = EvalConfig()
    """Evaluation settings (`model`, `world`, `langs`, `tasks` are filled per arm)."""
    axes: AxesConfig = AxesConfig()
    """The grid of arms."""
    sft_zero_cpt_only: bool = Field(True)
    """Also evaluate each CPT model before SFT (knowledge and perplexity, as the paper's Table 2)."""

    @field_validator("target")
    @classmethod
    def _known_target(cls, value: str) -> str:
        if value not in LANGS or value == "en":
            raise ValueError(f"must be a non-English language code from {sorted(LANGS)}")
        return value

    @model_validator(mode="after")
    def _target_in_world(self) -> "StudyConfig":
        if self.target not in self.world.langs:
            raise ValueError(f"target '{self.target}' is not in world.langs {self.world.langs}")
        return self
