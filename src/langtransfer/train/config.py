"""Configs of the training stages (base pretraining, CPT, SFT).

Budgets are in tokens (CPT, base) and examples (SFT), never epochs: the paper's levers are data
scales (CPT 10K / 100K / 1M samples ≈ 5M / 50M / 0.5B tokens; SFT 1K / 5K / 950K examples).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from langtransfer.config import BaseConfig


def _known_init(name: str) -> str:
    """An init strategy name registered in langtransfer.vocab.init (a light import)."""
    from langtransfer.vocab.init import INIT_STRATEGIES

    if name not in INIT_STRATEGIES:
        raise ValueError(f"unknown init strategy '{name}' (choose from: "
                         f"{', '.join(sorted(INIT_STRATEGIES))})")
    return name


class OptimConfig(BaseConfig):
    """AdamW with linear warm-up and cosine decay."""

    lr: float = Field(1e-3, gt=0)
    """Peak learning rate."""
    min_lr_ratio: float = Field(0.1, ge=0, le=1)
    """Final learning rate as a fraction of the peak (cosine decays to lr * min_lr_ratio)."""
    warmup_ratio: float = Field(0.05, ge=0, lt=1)
    """Share of the optimizer steps spent in linear warm-up."""
    weight_decay: float = Field(0.1, ge=0)
    """AdamW weight decay (not applied to norms and biases)."""
    beta1: float = 0.9
    """AdamW beta1."""
    beta2: float = 0.95
    """AdamW beta2 (0.95 as in LLaMA pretraining)."""
    grad_clip: float = Field(1.0, ge=0)
    """Clip the global gradient norm to this value (0 disables)."""
    batch_size: int = Field(16, gt=0)
    """Sequences per optimizer step (per process, before accumulation)."""
    grad_accum: int = Field(1, gt=0)
    """Micro-batches accumulated per optimizer step."""


class ArchConfig(BaseConfig):
    """Shape of a freshly initialised LlamaForCausalLM (MiniWorld base model)."""

    n_layers: int = Field(3, gt=0)
    """Transformer blocks."""
    hidden: int = Field(96, gt=0)
    """Hidden size."""
    heads: int = Field(4, gt=0)
    """Attention heads (hidden must divide by it)."""
    ffn: int = Field(256, gt=0)
    """MLP intermediate size."""
    max_seq_len: int = Field(512, gt=0)
    """Longest sequence (RoPE positions)."""
    tie_embeddings: bool = False
    """Share input embedding and LM head (LLaMA does not)."""
    init_std: float = Field(0.02, gt=0)
    """Weight init standard deviation (initializer_range)."""

    @model_validator(mode="after")
    def _heads_divide(self) -> "ArchConfig":
        if self.hidden % self.heads:
            raise ValueError(f"hidden ({self.hidden}) must be divisible by heads ({self.heads})")
        return self


class BaseModelConfig(BaseConfig):
    """`langtransfer miniworld base`: an English-centric tokenizer + tiny LLaMA from scratch."""

    world: str = "runs/world"
    """MiniWorld directory (output of `miniworld generate`); its base corpus is the training text."""
    vocab_size: int = Field(2000, ge=300)
    """SentencePiece BPE pieces (byte fallback adds 256 byte pieces inside this count)."""
    tokenizer_sample_chars: int = Field(3_000_000, gt=0)
    """Characters of the base corpus used to train the tokenizer."""
    arch: ArchConfig = ArchConfig()
    """Model shape. Default ≈0.72 M parameters (3 layers, hidden 96): ENVIRONMENT.md measured
    ~23k tokens/s on 2 cores, and validation loss ~2.5 after ~4 minutes."""
    tokens: int = Field(3_000_000, gt=0)
    """Training budget in tokens (exact; the realised count goes to metrics)."""
    seq_len: int = Field(256, gt=0)
    """Packed block length."""
    optim: OptimConfig = OptimConfig(lr=2e-3)
    """Optimizer."""
    seed: int = 0
    """Seed for init, data order and tokenizer sampling."""
    threads: int = Field(2, gt=0)
    """torch intra-op threads (2 cores here)."""

    @model_validator(mode="after")
    def _seq_fits(self) -> "BaseModelConfig":
        if self.seq_len > self.arch.max_seq_len:
            raise ValueError(f"seq_len ({self.seq_len}) exceeds arch.max_seq_len "
                             f"({self.arch.max_seq_len})")
        return self


class DataSourceConfig(BaseConfig):
    """One text source of a CPT mixture."""

    path: str
    """A plain-text file (one document per line)."""
    lang: str = "zh"
    """ISO code of the text's language (for the manifest's per-language token counts)."""
    fraction: float = Field(1.0, gt=0, le=1)
    """Share of the token budget drawn from this source; fractions must sum to 1."""


class CPTConfig(BaseConfig):
    """`langtransfer train cpt`: continued pretraining with next-token loss on packed blocks."""

    model: str = "runs/base"
    """Model directory (transformers format, tokenizer inside)."""
    data: list[DataSourceConfig] = [DataSourceConfig(path="runs/world/zh/pretrain.txt")]
    """Text sources and their fractions of the budget."""
    tokens: int = Field(400_000, gt=0)
    """Token budget (exact: training stops at it; the realised count is recorded)."""
    repeat: bool = True
    """Allow cycling the data when the budget exceeds it (otherwise that is an error)."""
    seq_len: int = Field(256, gt=0)
    """Packed block length."""
    optim: OptimConfig = OptimConfig(lr=1e-3)
    """Optimizer."""
    seed: int = 0
    """Seed for data order."""
    threads: int = Field(2, gt=0)
    """torch intra-op threads."""
    tokenizer: str | None = None
    """A tokenizer folder to train with instead of the model's own (an extended tokenizer that
    keeps every original id). When it is longer than the model's embedding, the stage resizes
    and initialises the new rows with `init` first, saves this tokenizer with the model and
    records the init in the manifest (`vocab_init`)."""
    init: str = "mean"
    """Init strategy for new embedding rows (langtransfer.vocab.init: random, mean,
    subword_mean, subword_mean_norm). `mean` keeps the English greedy output unchanged."""
    embed_warmup_tokens: int = Field(0, ge=0)
    """Tokens of an embeddings-only warm-up, taken from the budget (`tokens`): only the input
    embedding and LM head train, everything else is frozen; then everything trains on the
    rest. Counted by the training tokenizer (also with budget_tokenizer). 0 disables."""
    embed_lr_mult: float = Field(1.0, gt=0)
    """Learning-rate multiplier for the input embedding and LM head (their own param group)."""
    budget_tokenizer: str | None = None
    """Count the budget with this tokenizer folder instead of the training one, so an
    extended-vocabulary arm trains on exactly the text an original-vocabulary arm with the same
    budget sees ("equal data", the paper's C1 comparison). Both counts go to the manifest."""

    _init_known = field_validator("init")(_known_init)

    @model_validator(mode="after")
    def _fractions_sum(self) -> "CPTConfig":
        total = sum(s.fraction for s in self.data)
        if not self.data:
            raise ValueError("at least one data source is required")
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"data fractions must sum to 1 (got {total:g})")
        return self

    @model_validator(mode="after")
    def _warmup_inside_budget(self) -> "CPTConfig":
        if self.embed_warmup_tokens >= self.tokens:
            raise ValueError(f"embed_warmup_tokens ({self.embed_warmup_tokens}) must be below "
                             f"the budget tokens ({self.tokens}): it is a part of it")
        return self


class SFTConfig(BaseConfig):
    """`langtransfer train sft`: instruction tuning on Alpaca-format data, loss on responses."""

    model: str = "runs/base"
    """Model directory (transformers format, tokenizer inside)."""
    data: str = "runs/world/zh/instructions.json"
    """Alpaca JSON file: a list of {instruction, input, output}."""
    examples: int = Field(500, gt=0)
    """Examples used: the first N of a seeded shuffle, so smaller sets nest inside larger ones."""
    epochs: float = Field(3.0, gt=0)
    """Passes over the selected examples."""
    template: Literal["alpaca", "alpaca_short"] = "alpaca_short"
    """Prompt template (the same one is used at evaluation)."""
    max_len: int = Field(256, gt=0)
    """Longest prompt + response in tokens (longer examples are truncated)."""
    optim: OptimConfig = OptimConfig(lr=5e-4, batch_size=16)
    """Optimizer. ENVIRONMENT.md: lr 1e-3 for 19 epochs overfit; 5e-4 for ~15 s was usable."""
    seed: int = 0
    """Seed for example selection and order."""
    threads: int = Field(2, gt=0)
    """torch intra-op threads."""
    tokenizer: str | None = None
    """A tokenizer folder to train with instead of the model's own (an extended tokenizer that
    keeps every original id). When it is longer than the model's embedding, the stage resizes
    and initialises the new rows with `init` first, saves this tokenizer with the model and
    records the init in the manifest (`vocab_init`)."""
    init: str = "mean"
    """Init strategy for new embedding rows (langtransfer.vocab.init: random, mean,
    subword_mean, subword_mean_norm). `mean` keeps the English greedy output unchanged."""
    embed_lr_mult: float = Field(1.0, gt=0)
    """Learning-rate multiplier for the input embedding and LM head (their own param group)."""

    _init_known = field_validator("init")(_known_init)
