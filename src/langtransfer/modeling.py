"""Load and save causal LMs with their tokenizers (transformers format).

Every stage reads a model directory written by `save_pretrained` (weights + config + tokenizer),
so a MiniWorld model and a hub LLaMA go through the same code. A model reference that is not a
local folder but looks like a hub name (`org/name`, e.g. `meta-llama/Llama-2-7b-hf`) is loaded
with `from_pretrained(name)` — the network (or the local hub cache) for users, never in tests.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from langtransfer.errors import UserError

# A hub repository id: "org/name" (letters, digits, '-', '_', '.'), as huggingface_hub accepts.
_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")


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
    """Load `AutoModelForCausalLM` + `AutoTokenizer` from a local directory or a hub name.

    A missing directory or one without a config is a one-line UserError naming the path; a
    hub name (`is_hub_name`) goes to `from_pretrained(name)` (network or the hub cache).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_transformers()

    if is_hub_name(path):
        return _load_from_hub(str(path), getattr(torch, dtype))
    path = Path(path)
    if not (path / "config.json").is_file():
        raise UserError(f"{path}: not a model directory (no config.json)")
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype))
    model.eval()
    return model, tok


def is_hub_name(ref: str | Path) -> bool:
    """Whether `ref` names a hub model: `org/name` that is not a local path.

    A reference whose first part exists locally (`runs/base` while `runs/` exists) is a local
    path that is missing, not a hub name.
    """
    text = str(ref)
    if not _HUB_NAME.match(text) or Path(text).exists():
        return False
    return not Path(text.split("/")[0]).exists()


def check_model_ref(ref: str, field: str = "model") -> None:
    """A one-line UserError unless `ref` is a local model folder or a hub name."""
    if (Path(ref) / "config.json").is_file() or is_hub_name(ref):
        return
    raise UserError(f"{ref}: model folder not found (no config.json) and not a hub name "
                    f"'org/name' ({field})")


def _load_from_hub(name: str, dtype: Any) -> tuple[Any, Any]:
    """`from_pretrained(name)` for model and tokenizer; a failure is a one-line UserError."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(name)
        model = AutoModelForCausalLM.from_pretrained(name, dtype=dtype)
    except OSError as exc:  # not found, offline, gated without a token
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{name}: could not load it from the Hugging Face hub ({first})") from None
    model.eval()
    return model, tok


def save_model_and_tokenizer(model: Any, tok: Any, path: str | Path) -> None:
    """Save weights (safetensors), config and tokenizer into `path`."""
    quiet_transformers()
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path, safe_serialization=True)
    tok.save_pretrained(path)
