"""LoRA (via peft) and gradient checkpointing: how a loaded model is made ready to train and
turned back into a plain model at save.

Exercised by `langtransfer train cpt|sft CONFIG --set lora.r=8` and
tests/unit/train/test_train_lora.py.

When the stage grew the vocabulary (an extended `tokenizer`), the new embedding rows start from
an init strategy and must learn, which low-rank adapters on the projections cannot do: the
input embedding and LM head are then trained in full (`modules_to_save`), as Chinese-LLaMA did.
At save, `merge_and_unload()` folds the adapters (and the trained copies) into the weights, so
the next stage loads an ordinary transformers model.
"""

from __future__ import annotations

import warnings
from typing import Any

from langtransfer.train.config import LoraConfig

GROWN_VOCAB_MODULES = ["embed_tokens", "lm_head"]  # LLaMA's input embedding and LM head names


def enable_gradient_checkpointing(model: Any) -> None:
    """Recompute each block's activations in the backward pass (non-reentrant: works with
    frozen inputs, LoRA and DDP without `enable_input_require_grads`)."""
    kwargs = {"use_reentrant": False}
    if hasattr(model, "activation_checkpointing_enable"):  # the transformers >= 5.24 name
        model.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
    model.config.use_cache = False  # a KV cache is useless while training and clashes with it


def lora_modules_to_save(lora: LoraConfig, vocab_grew: bool) -> list[str] | None:
    """The modules trained in full: the configured list, else embeddings + head when the
    vocabulary grew, else none."""
    if lora.modules_to_save is not None:
        return list(lora.modules_to_save) or None
    return list(GROWN_VOCAB_MODULES) if vocab_grew else None


def apply_lora(model: Any, lora: LoraConfig, *, vocab_grew: bool) -> Any:
    """Wrap `model` with LoRA adapters; only adapters (and modules_to_save) stay trainable.

    Args:
        model: a transformers causal LM.
        lora: adapter settings.
        vocab_grew: the stage resized the embeddings for an extended tokenizer.

    Returns:
        The peft model (train it like the original; save with `merge_lora`).
    """
    from peft import LoraConfig as PeftLoraConfig
    from peft import get_peft_model

    config = PeftLoraConfig(
        r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
        target_modules=list(lora.target_modules),
        modules_to_save=lora_modules_to_save(lora, vocab_grew),
        bias="none", task_type="CAUSAL_LM",
    )
    with warnings.catch_warnings():  # peft asks a transformers 5 property it deprecated
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
        return get_peft_model(model, config)


def is_peft(model: Any) -> bool:
    """Whether `model` is a peft wrapper."""
    try:
        from peft import PeftModel
    except ImportError:  # peft is a core dependency; this only guards odd installs
        return False
    return isinstance(model, PeftModel)


def merge_lora(model: Any) -> Any:
    """The plain transformers model: adapters merged into the weights (a no-op without LoRA)."""
    return model.merge_and_unload() if is_peft(model) else model


def prepare_model(model: Any, cfg: Any, *, vocab_grew: bool) -> Any:
    """Apply a CPT/SFT config's `gradient_checkpointing` and `lora` to a loaded model.

    Args:
        model: the model from train.model.load_for_training.
        cfg: a CPTConfig / SFTConfig (its seed seeds the adapters' init).
        vocab_grew: the stage resized the embeddings (then LoRA trains them in full).

    Returns:
        The model to train (a peft model with LoRA).
    """
    if cfg.gradient_checkpointing:
        enable_gradient_checkpointing(model)
    if cfg.lora is not None:
        import torch

        # Adapter A matrices start random: seed them from the config (the same run gives the
        # same adapters) without moving the caller's random stream.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            model = apply_lora(model, cfg.lora, vocab_grew=vocab_grew)
    return model
