"""Configs of the training stages (base pretraining, CPT, SFT).

Budgets are in tokens (CPT, base) and examples (SFT), never epochs: the paper's levers are data
scales (CPT 10K / 100K / 1M samples ≈ 5M / 50M / 0.5B tokens; SFT 1K / 5K / 950K examples).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from langtransfer.config import BaseConfig
from langtransfer.data.config import (InstructionSourceConfig, TextSourceConfig, check_cpt_budget,
                                      check_mixture, check_sft_examples, default_cpt_budget,
                                      default_sft_examples, instruction_sources_or_path)


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


class LoraConfig(BaseConfig):
    """LoRA adapters (peft) instead of full fine-tuning; merged into the weights at save."""

    r: int = Field(8, gt=0)
    """Adapter rank (Chinese-LLaMA-Alpaca trained r=8 for pretraining and SFT)."""
    alpha: float = Field(32.0, gt=0)
    """Scaling numerator: updates are scaled by alpha / r (Chinese-LLaMA-Alpaca: 32)."""
    dropout: float = Field(0.05, ge=0, lt=1)
    """Dropout on the adapter input (Chinese-LLaMA-Alpaca: 0.05)."""
    target_modules: list[str] = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                 "up_proj", "down_proj"]
    """Linear layers that get adapters (all attention and MLP projections of a LLaMA block)."""
    modules_to_save: list[str] | None = None
    """Modules trained in full next to the adapters. None: ["embed_tokens", "lm_head"] when
    the stage grew the vocabulary (new rows must learn), otherwise none."""

    @field_validator("target_modules")
    @classmethod
    def _some_targets(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one target module is required")
        return value


def _check_trainer_fields(cfg: "CPTConfig | SFTConfig") -> "CPTConfig | SFTConfig":
    """Retention evaluation needs held-out texts in known languages."""
    from langtransfer.langs import LANGS

    if cfg.eval_every and not cfg.eval_texts:
        raise ValueError("eval_every > 0 needs eval_texts ({lang: held-out text file})")
    unknown = sorted(set(cfg.eval_texts) - set(LANGS))
    if unknown:
        raise ValueError(f"eval_texts: unknown language '{unknown[0]}' "
                         f"(known: {', '.join(sorted(LANGS))})")
    return cfg


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


# One text source of a CPT mixture: {path | hf, format, text_field, lang, fraction | samples,
# repeat} (langtransfer.data.config; the old {path, lang, fraction} is a subset of it).
DataSourceConfig = TextSourceConfig


class CPTConfig(BaseConfig):
    """`langtransfer train cpt`: continued pretraining with next-token loss on packed blocks."""

    model: str = "runs/base"
    """Model directory (transformers format, tokenizer inside)."""
    data: list[DataSourceConfig] = [DataSourceConfig(path="runs/world/zh/pretrain.txt")]
    """Text sources and their fractions (or samples) of the budget (docs/data.md)."""
    tokens: int | None = Field(400_000, gt=0)
    """Token budget (exact: training stops at it; the realised count is recorded). Null when
    the budget is `samples`."""
    samples: int | None = Field(None, gt=0)
    """Instead of tokens: a budget of whole documents (exact; the realised tokens are
    recorded). Exactly one of tokens and samples; neither when every source gives samples."""
    cache_dir: str | None = None
    """Tokenised-data cache (data.cache); None: $LANGTRANSFER_CACHE or ~/.cache/langtransfer.
    Arms with the same data and tokenizer tokenise once."""
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

    lora: LoraConfig | None = None
    """LoRA adapters instead of full fine-tuning (None: every weight trains). Merged into the
    weights at save, so later stages load a plain model."""
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass: less memory (a 7B model at seq 2048 needs
    it on 80 GB cards), ~30% more compute."""
    checkpoint_every: int = Field(200, ge=0)
    """Save a checkpoint (model, optimizer, scheduler, loop position, RNG) every this many
    optimizer steps into <run>/checkpoints/step-N/; rerunning the same command after a crash
    resumes from the last one with the same result (0 disables). 200 steps of the default
    MiniWorld CPT (16 x 256 tokens at ~23k tokens/s, ENVIRONMENT.md) take ~35 s; a checkpoint
    of its 0.7 M-parameter model takes milliseconds."""
    keep_checkpoints: int = Field(2, gt=0)
    """Complete checkpoints kept (older ones are deleted once a newer one is in place)."""
    log_every: int = Field(10, gt=0)
    """Write a training record (loss, lr, tokens/s) every this many optimizer steps."""
    tensorboard: bool = False
    """Also write the training records to <run>/tb/ (needs the `tensorboard` package: the
    `tb` extra; without it a one-line warning and no TensorBoard files)."""
    eval_every: int = Field(0, ge=0)
    """Retention curves: every this many optimizer steps (and before the first and after the
    last) record perplexity and bits per byte of each eval_texts file (0 disables)."""
    eval_texts: dict[str, str] = {}
    """Held-out text per language: {ISO code: text file, one document per line}."""
    eval_docs: int = Field(100, gt=0)
    """Documents scored per language at each retention evaluation (the first N lines)."""

    _init_known = field_validator("init")(_known_init)
    _trainer_fields = model_validator(mode="after")(_check_trainer_fields)

    @model_validator(mode="after")
    def _fractions_sum(self) -> "CPTConfig":
        check_mixture(self.data)
        check_cpt_budget(self.tokens, self.samples, self.data, self.budget_tokenizer)
        return self

    _budget_default = model_validator(mode="before")(default_cpt_budget)

    @model_validator(mode="after")
    def _warmup_inside_budget(self) -> "CPTConfig":
        if self.tokens is not None and self.embed_warmup_tokens >= self.tokens:
            raise ValueError(f"embed_warmup_tokens ({self.embed_warmup_tokens}) must be below "
                             f"the budget tokens ({self.tokens}): it is a part of it")
        return self


class SFTConfig(BaseConfig):
    """`langtransfer train sft`: instruction tuning on Alpaca-format data, loss on responses."""

    model: str = "runs/base"
    """Model directory (transformers format, tokenizer inside)."""
    data: str | list[InstructionSourceConfig] = "runs/world/zh/instructions.json"
    """An Alpaca JSON file (a list of {instruction, input, output}), or a list of instruction
    sources: {path | hf, instruction_format (alpaca, belle, bactrian_x, sharegpt, messages),
    lang, fraction | samples, repeat} (docs/data.md)."""
    examples: int = Field(500, gt=0)
    """Examples used: the first N of a seeded shuffle, so smaller sets nest inside larger ones
    (split over the sources by their fractions; the sum of their samples when every source
    gives samples)."""
    epochs: float = Field(3.0, gt=0)
    """Passes over the selected examples."""
    template: Literal["alpaca", "alpaca_short", "chat"] = "alpaca_short"
    """Prompt template (the same one is used at evaluation); chat: the tokenizer's own chat
    template (an error when it has none)."""
    max_len: int = Field(256, gt=0)
    """Longest prompt + response in tokens (longer examples are truncated)."""
    pack: bool = False
    """Pack several examples into each sequence of up to max_len tokens (fewer, fuller
    batches; the loss stays on responses). Positions restart per example and, given those
    position_ids and no attention mask (train.loop passes them), transformers confines
    attention to each example (docs/data.md, "SFT packing")."""
    cache_dir: str | None = None
    """Tokenised-data cache (data.cache); None: $LANGTRANSFER_CACHE or ~/.cache/langtransfer."""
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

    lora: LoraConfig | None = None
    """LoRA adapters instead of full fine-tuning (None: every weight trains). Merged into the
    weights at save, so later stages load a plain model."""
    gradient_checkpointing: bool = False
    """Recompute activations in the backward pass: less memory (a 7B model at seq 2048 needs
    it on 80 GB cards), ~30% more compute."""
    checkpoint_every: int = Field(0, ge=0)
    """Save a checkpoint every this many optimizer steps (as in CPT; 0 disables: MiniWorld
    SFT runs take seconds)."""
    keep_checkpoints: int = Field(2, gt=0)
    """Complete checkpoints kept (older ones are deleted once a newer one is in place)."""
    log_every: int = Field(10, gt=0)
    """Write a training record (loss, lr, tokens/s) every this many optimizer steps."""
    tensorboard: bool = False
    """Also write the training records to <run>/tb/ (needs the `tensorboard` package: the
    `tb` extra; without it a one-line warning and no TensorBoard files)."""
    eval_every: int = Field(0, ge=0)
    """Retention curves: every this many optimizer steps (and before the first and after the
    last) record perplexity and bits per byte of each eval_texts file (0 disables)."""
    eval_texts: dict[str, str] = {}
    """Held-out text per language: {ISO code: text file, one document per line}."""
    eval_docs: int = Field(100, gt=0)
    """Documents scored per language at each retention evaluation (the first N lines)."""

    _examples_default = model_validator(mode="before")(default_sft_examples)
    _sources = field_validator("data", mode="before")(instruction_sources_or_path)

    @model_validator(mode="after")
    def _mixture(self) -> "SFTConfig":
        if isinstance(self.data, list):
            check_sft_examples(self.examples, self.data)
        return self

    _init_known = field_validator("init")(_known_init)
    _trainer_fields = model_validator(mode="after")(_check_trainer_fields)
