"""Config of the evaluation stage."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from langtransfer.config import BaseConfig

TASKS = ("knowledge", "ppl", "quality")


class EvalConfig(BaseConfig):
    """`langtransfer eval run`: knowledge MC, perplexity and response quality on a MiniWorld."""

    model: str = "runs/base"
    """Model directory (transformers format, tokenizer inside)."""
    world: str = "runs/world"
    """MiniWorld directory holding <lang>/knowledge.csv, heldout.txt, open_eval.jsonl."""
    langs: list[str] = ["en", "zh"]
    """Languages to evaluate."""
    tasks: list[Literal["knowledge", "ppl", "quality"]] = list(TASKS)
    """Which evaluations to run."""
    template: Literal["alpaca", "alpaca_short"] = "alpaca_short"
    """Prompt template for generation (must match the SFT template)."""
    mc_norm: Literal["none", "token", "char", "byte"] = "none"
    """Length normalisation of option log-likelihoods."""
    max_new_tokens: int = Field(64, gt=0)
    """Generation length cap for open questions."""
    quality_limit: int = Field(0, ge=0)
    """Open questions per language (0 = all)."""
    ppl_seq_len: int = Field(256, gt=0)
    """Window for perplexity (documents longer than this use a sliding window)."""
    batch_size: int = Field(32, gt=0)
    """Sequences per forward pass."""
    n_bootstrap: int = Field(1000, gt=0)
    """Bootstrap resamples for 95% confidence intervals."""
    seed: int = 0
    """Seed for bootstrap resampling."""
    threads: int = Field(2, gt=0)
    """torch intra-op threads."""
