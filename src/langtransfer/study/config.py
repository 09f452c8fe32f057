"""Study config: one config per stage, the axes of the grid, and explicit extra arms.

A study YAML mirrors `StudyConfig`. An *arm* is one path through the stages: (target language,
vocabulary, CPT budget, English replay share) → CPT model → one SFT size → evaluation. The axes
give a full product; `arms` adds single arms (the paper's extended-vocabulary and mixed-language
arms exist only at the largest budget). The planner (study.grid) fills the fields that link
stages (model paths, data files, budgets); everything else comes from the stage sections here.

    langtransfer study run studies/miniworld-zh.yaml --out runs/zh --dry-run
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from langtransfer.config import BaseConfig
from langtransfer.data.config import InstructionSourceConfig
from langtransfer.eval.config import BenchmarkRef, EvalConfig, QuestionSetRef
from langtransfer.eval.judge import JudgeConfig
from langtransfer.langs import LANGS
from langtransfer.miniworld.config import WorldConfig
from langtransfer.train.config import BaseModelConfig, CPTConfig, DataSourceConfig, SFTConfig
from langtransfer.vocab.config import VocabExtendConfig

ORIGINAL = "original"


def check_vocab_choice(value: str) -> str:
    """'original' or 'extended:<init strategy>' (init names from langtransfer.vocab.init)."""
    if value == ORIGINAL:
        return value
    kind, _, init = value.partition(":")
    from langtransfer.vocab.init import INIT_STRATEGIES

    if kind != "extended" or init not in INIT_STRATEGIES:
        raise ValueError(f"'{value}': expected 'original' or 'extended:<init>' with init one of "
                         f"{', '.join(sorted(INIT_STRATEGIES))}")
    return value


def _unique(values: list) -> list:
    if not values:
        raise ValueError("must list at least one value")
    if len(set(values)) != len(values):
        raise ValueError("values must be unique")
    return values


class AxesConfig(BaseConfig):
    """The grid: every combination is one CPT arm, followed by every SFT size.

    `replay` and `vocab` cross only with budgets > 0 (no CPT means the base model as it is).
    Unknown axes are errors.
    """

    lang: list[str] = ["zh"]
    """Target languages (ISO codes; each must be in world.langs, English excluded)."""
    cpt_tokens: list[int] = [0, 20_000, 200_000, 2_000_000]
    """Continued-pretraining budgets in tokens (counted with the original tokenizer); 0 = no CPT.
    The paper's steps are 10K / 100K / 1M samples: ratios 1 : 10 : 100."""
    sft_examples: list[int] = [100, 500, 2000]
    """Instruction-tuning sizes (nested subsets of one seeded shuffle); paper: 1K / 5K / 950K."""
    replay: list[float] = [0.0]
    """English share of the CPT budget (0 = target-only; 0.2 = 20% English replay)."""
    vocab: list[str] = [ORIGINAL]
    """'original' or 'extended:<init>' (target pieces merged into the base tokenizer; new rows
    initialised by <init>: random, mean, subword_mean, subword_mean_norm)."""

    @field_validator("lang", "cpt_tokens", "sft_examples", "replay", "vocab")
    @classmethod
    def _non_empty_unique(cls, values: list) -> list:
        return _unique(values)

    @field_validator("cpt_tokens", "sft_examples")
    @classmethod
    def _non_negative(cls, values: list[int]) -> list[int]:
        if any(v < 0 for v in values):
            raise ValueError("values must be >= 0")
        return values

    @field_validator("replay")
    @classmethod
    def _share(cls, values: list[float]) -> list[float]:
        if any(not 0 <= v < 1 for v in values):
            raise ValueError("replay shares must be in [0, 1)")
        return values

    @field_validator("vocab")
    @classmethod
    def _vocab(cls, values: list[str]) -> list[str]:
        return [check_vocab_choice(v) for v in values]


class ArmConfig(BaseConfig):
    """One explicit arm added to the grid (e.g. an extended-vocabulary arm at the top budget)."""

    name: str | None = None
    """Name of the arm's CPT model (default: derived, e.g. ext-mean-cpt2M, cpt2M-en20)."""
    lang: str | None = None
    """Target language (default: the first of axes.lang)."""
    cpt_tokens: int | None = Field(None, ge=0)
    """CPT budget in original-tokenizer tokens (default: the largest of axes.cpt_tokens)."""
    replay: float = Field(0.0, ge=0, lt=1)
    """English share of the CPT budget."""
    vocab: str = ORIGINAL
    """'original' or 'extended:<init>'."""
    sft_examples: list[int] | None = None
    """SFT sizes after this arm's CPT (default: axes.sft_examples; [] = none)."""
    start: str | None = None
    """Start SFT from the CPT model of another arm (its name) instead of training one."""

    @field_validator("vocab")
    @classmethod
    def _vocab(cls, value: str) -> str:
        return check_vocab_choice(value)


class LangDataConfig(BaseConfig):
    """One language's real data (studies that start from a `pretrained` model)."""

    cpt: list[DataSourceConfig] = []
    """Continued-pretraining text (files or hub datasets); English's is the replay text."""
    sft: list[InstructionSourceConfig] = []
    """Instruction data (BELLE, Bactrian-X, Alpaca, ...); SFT sizes are nested subsets."""
    heldout: str | None = None
    """Held-out text for perplexity / bits per byte (one document per line, or JSONL `text`)."""
    benchmarks: list[BenchmarkRef] = []
    """Knowledge benchmarks in (or about) this language: C-Eval, MMLU, AGIEval, GAOKAO, ..."""
    questions: QuestionSetRef | None = None
    """Open questions in this language for response quality and code-switching (BELLE eval,
    a translated LLM-Eval JSONL), judged by the study's `judge`."""
    vocab_corpus: list[str] = []
    """Text files to train the target SentencePiece model on (extended-vocabulary arms)."""
    target_tokenizer: str | None = None
    """An already trained target SentencePiece model to merge instead of training one
    (Chinese-LLaMA's chinese_sp.model: 20,000 pieces)."""


class RunnerConfig(BaseConfig):
    """How stages are executed."""

    workers: int | None = Field(None, ge=1)
    """Stages run at once (None: fit the machine — see docs/study.md)."""
    executor: Literal["local", "submitit"] = "local"
    """local = processes on this machine; submitit = Slurm jobs (or submitit's local executor)."""
    threads_per_worker: int | None = Field(None, ge=1)
    """torch threads of each stage (None: cores / workers)."""
    threads_by_kind: dict[Literal["world", "base", "vocab", "cpt", "sft", "eval"], int] = {}
    """Threads for one stage kind, overriding threads_per_worker (e.g. {base: 2}: the base
    model trains alone, before any other stage can start, so it may use every core)."""
    submitit: dict = {}
    """Extra submitit parameters (partition, gpus_per_node, timeout_min, ...; executor: submitit)."""
    submitit_folder: str | None = None
    """Folder for submitit logs (default: <out>/submitit)."""


class StudyConfig(BaseConfig):
    """A MiniWorld transfer study: world → base → CPT arms → SFT arms → evaluation → report."""

    name: str = "miniworld-zh"
    """Study name (report title)."""
    world: WorldConfig = WorldConfig()
    """MiniWorld generator settings (unused when `pretrained` is set)."""
    pretrained: str | None = None
    """Start from this pretrained model (hub name or directory, e.g. meta-llama/Llama-2-7b-hf)
    instead of a MiniWorld base; then `data` names each language's text and evaluation sets."""
    data: dict[str, LangDataConfig] = {}
    """Real data per language (ISO code; "en" holds the replay text and English evaluation);
    used only with `pretrained`."""
    base: BaseModelConfig = BaseModelConfig()
    """Base model settings (`world` is filled by the planner)."""
    vocab_extension: VocabExtendConfig = VocabExtendConfig()
    """How an extended tokenizer is built for a target language (`base` and `corpus` are
    filled by the planner: the base tokenizer and that language's pretraining text)."""
    cpt: CPTConfig = CPTConfig()
    """Continued-pretraining settings (`model`, `data`, `tokens`, vocabulary fields per arm)."""
    sft: SFTConfig = SFTConfig()
    """Instruction-tuning settings (`model`, `data`, `examples` are filled per arm)."""
    eval: EvalConfig = EvalConfig()
    """Evaluation settings (`model`, `world`, `langs`, `tasks` are filled per arm)."""
    judge: JudgeConfig = JudgeConfig(name="openai")
    """Judge of response quality in real-scale studies (MiniWorld studies use the MiniWorld
    judge); its verdict cache defaults to <out>/cache/judge, shared by every arm."""
    axes: AxesConfig = AxesConfig()
    """The grid of arms."""
    arms: list[ArmConfig] = []
    """Extra arms beyond the grid."""
    retention_every: int = Field(0, ge=0)
    """Every this many CPT steps, record held-out perplexity / bits per byte of English and the
    arm's language (retention curves: target gain against English forgetting); 0 disables."""
    eval_english: bool = True
    """Evaluate every arm in English as well as in its target language (retention); false
    evaluates the target language only (13-language studies without CPT save half the time)."""
    sft_zero_cpt_only: bool = True
    """Also evaluate each CPT model before SFT (knowledge and perplexity, as the paper's Table 2)."""
    claims: list[str] | None = None
    """Ids of the paper's claims to check (study/claims.yaml); None: all. A study without
    CPT arms (miniworld-13lang.yaml) names the claims its design can test."""
    runner: RunnerConfig = RunnerConfig()
    """Execution settings."""

    @property
    def target(self) -> str:
        """The first target language (single-language reports)."""
        return self.axes.lang[0]

    @field_validator("claims")
    @classmethod
    def _known_claims(cls, ids: list[str] | None) -> list[str] | None:
        if ids is not None:
            from langtransfer.study.claims import load_claims

            known = [spec["id"] for spec in load_claims()]
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise ValueError(f"unknown claim id(s) {unknown} (known: {', '.join(known)})")
        return ids

    @property
    def langs(self) -> list[str]:
        """Languages the study's data must cover: English and every target."""
        return ["en", *self.axes.lang, *(a.lang for a in self.arms if a.lang)]

    @model_validator(mode="after")
    def _langs_have_data(self) -> "StudyConfig":
        for lang in self.langs[1:]:
            if lang not in LANGS or lang == "en":
                raise ValueError(f"target language '{lang}' must be a non-English code from "
                                 f"{sorted(LANGS)}")
            if self.pretrained is None and lang not in self.world.langs:
                raise ValueError(f"target language '{lang}' is not in world.langs {self.world.langs}")
            if self.pretrained is not None and lang not in self.data:
                raise ValueError(f"target language '{lang}' has no entry under data")
        if self.data and self.pretrained is None:
            raise ValueError("data: real data needs `pretrained` (the model to start from)")
        return self
