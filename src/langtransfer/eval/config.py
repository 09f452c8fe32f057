"""Config of the evaluation stage."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from langtransfer.config import BaseConfig
from langtransfer.eval.judge import JudgeConfig

TASKS = ("knowledge", "ppl", "quality")


class BenchmarkRef(BaseConfig):
    """One knowledge benchmark split to evaluate (real-scale studies; eval/tasks/<name>.yaml)."""

    benchmark: str
    """Benchmark name: ceval, cmmlu, mmlu, agieval, gaokao, belebele, miniworld."""
    data: str
    """Release directory laid out as the official one, a single file of it, or "hub"."""
    split: str | None = None
    """Split (None: the benchmark's default, e.g. C-Eval val)."""
    k: int | None = Field(None, ge=0)
    """Shots (None: the benchmark's default: 5 for C-Eval / MMLU, 0 for AGIEval / GAOKAO)."""
    protocol: Literal["letter", "option", "generate"] | None = None
    """Scoring protocol (None: the benchmark's default)."""
    limit: int = Field(0, ge=0)
    """Items per subject (0 = all)."""
    subjects: list[str] = []
    """Subjects to evaluate ([] = all found; Belebele: the FLORES code of one language)."""


class QuestionSetRef(BaseConfig):
    """An open-question set for task "quality" with real data (eval/questions.py)."""

    path: str
    """Question file (or LLMEval-2 data folder)."""
    format: str = "jsonl"
    """miniworld | belle | llmeval2 | jsonl (id, category, question, reference, lang)."""
    limit: int = Field(0, ge=0)
    """First N questions (0 = all)."""


class EvalConfig(BaseConfig):
    """`langtransfer eval run`: knowledge MC, perplexity and response quality, on a MiniWorld
    directory or (world: null) on real benchmarks and held-out text files."""

    model: str = "runs/base"
    """Model directory (transformers format, tokenizer inside)."""
    world: str | None = "runs/world"
    """MiniWorld directory holding <lang>/knowledge.csv, heldout.txt, open_eval.jsonl; null for
    real data (then `benchmarks` and `heldout` say what to evaluate)."""
    benchmarks: list[BenchmarkRef] = []
    """Knowledge benchmarks for task "knowledge" when world is null (C-Eval, MMLU, ...)."""
    questions: dict[str, QuestionSetRef] = {}
    """Language -> open questions for task "quality" when world is null (BELLE eval,
    LLMEval-2, a translated LLM-Eval JSONL), judged by `judge`."""
    judge: JudgeConfig = JudgeConfig(name="openai")
    """The judge of task "quality" when world is null (openai: any OpenAI-compatible endpoint;
    the MiniWorld world uses its own deterministic judge)."""
    heldout: dict[str, str] = {}
    """Language -> held-out text file (one document per line, or JSONL with `text`) for task
    "ppl" when world is null."""
    langs: list[str] = ["en", "zh"]
    """Languages to evaluate."""
    tasks: list[Literal["knowledge", "ppl", "quality"]] = list(TASKS)
    """Which evaluations to run."""
    template: Literal["alpaca", "alpaca_short", "chat"] = "alpaca_short"
    """Prompt template for generation (must match the SFT template; chat = the tokenizer's own
    chat template)."""
    mc_norm: Literal["none", "token", "char", "byte"] = "none"
    """Length normalisation of option log-likelihoods."""
    max_new_tokens: int = Field(64, gt=0)
    """Generation length cap for open questions."""
    quality_limit: int = Field(0, ge=0)
    """Open questions per language (0 = all)."""
    ppl_seq_len: int = Field(256, gt=0)
    """Window for perplexity (documents longer than this use a sliding window)."""
    ppl_stride: int | None = Field(None, gt=0)
    """New tokens scored per perplexity window after the first (None = ppl_seq_len: disjoint
    windows, lm-eval's rolling log-likelihood; smaller gives each token more left context at
    more forward passes)."""
    batch_size: int = Field(32, gt=0)
    """Sequences per forward pass."""
    n_bootstrap: int = Field(1000, gt=0)
    """Bootstrap resamples for 95% confidence intervals."""
    seed: int = 0
    """Seed for bootstrap resampling."""
    threads: int = Field(2, gt=0)
    """torch intra-op threads."""

    @field_validator("ppl_stride")
    @classmethod
    def _stride_within_window(cls, value: int | None, info: ValidationInfo) -> int | None:
        seq_len = info.data.get("ppl_seq_len")
        if value is not None and seq_len is not None and value > seq_len:
            raise ValueError(f"must be at most ppl_seq_len ({seq_len})")
        return value
