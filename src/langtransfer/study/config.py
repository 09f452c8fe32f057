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
from langtransfer.vocab.config import VocabExtendConfig


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


class ExtensionConfig(BaseConfig):
    """Extended-vocabulary arms: the paper's C1 comparison (original vs extended at equal data)."""

    enabled: bool = False
    """Add the extended-vocabulary arms."""
    vocab: VocabExtendConfig = VocabExtendConfig()
    """How the target pieces are trained and merged (`base` and `corpus` are filled by the
    runner: the base model's tokenizer, the target-language CPT text)."""
    inits: list[str] = ["mean", "subword_mean"]
    """Initialisation strategies of the new embedding rows: one extended arm each (the init axis)."""
    cpt_tokens: int | None = Field(None, gt=0)
    """CPT budget of the extended arms, counted with the ORIGINAL tokenizer so they see the same
    text as the original-vocabulary arm (None: the largest of axes.cpt_tokens)."""
    embed_warmup_tokens: int = Field(0, ge=0)
    """Embeddings-only warm-up tokens at the start of the extended arms' CPT (part of the budget)."""
    embed_lr_mult: float = Field(1.0, gt=0)
    """Learning-rate multiplier of embedding and LM-head rows in the extended arms."""

    @field_validator("inits")
    @classmethod
    def _inits_unique(cls, values: list[str]) -> list[str]:
        if not values or len(set(values)) != len(values):
            raise ValueError("list at least one init strategy, each once")
        from langtransfer.vocab.init import INIT_STRATEGIES

        unknown = [v for v in values if v not in INIT_STRATEGIES]
        if unknown:
            raise ValueError(f"unknown init strategy {unknown} (choose from: "
                             f"{', '.join(sorted(INIT_STRATEGIES))})")
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
    extension: ExtensionConfig = ExtensionConfig()
    """Extended-vocabulary arms (C1) at one CPT budget, one per init strategy."""
    retention_every: int = Field(0, ge=0)
    """Every this many CPT steps, record held-out perplexity / bits per byte of every world
    language (retention curves: target gain against English forgetting); 0 disables."""
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
