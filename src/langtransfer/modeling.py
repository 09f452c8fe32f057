"""Load and save causal LMs with their tokenizers (transformers format).

Every stage reads a model directory written by `save_pretrained` (weights + config + tokenizer),
so a MiniWorld model and a hub LLaMA go through the same code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langtransfer.errors import UserError


def set_threads(n: int) -> None:
    """Pin torch's intra-op threads (2 cores here: more threads only add contention)."""
    import torch

    torch.set_num_threads(n)


def quiet_transformers() -> None:
    """Silence transformers' per-load progress bars ("Loading weights", "Writing model shards"):
    our stages show their own progress, and a study loads dozens of models."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def load_model_and_tokenizer(path: str | Path, *, dtype: str = "float32") -> tuple[Any, Any]:
    """Load `AutoModelForCausalLM` + `AutoTokenizer` from a local directory.

    A missing directory or one without a config is a one-line UserError naming the path.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_transformers()

    path = Path(path)
    if not (path / "config.json").is_file():
        raise UserError(f"{path}: not a model directory (no config.json)")
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype))
    model.eval()
    return model, tok


def save_model_and_tokenizer(model: Any, tok: Any, path: str | Path) -> None:
    """Save weights (safetensors), config and tokenizer into `path`."""
    quiet_transformers()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path, safe_serialization=True)
    tok.save_pretrained(path)
