"""build_llama: shape from ArchConfig, seeded init, parameter counts."""

from __future__ import annotations

import torch

from langtransfer.train.config import ArchConfig
from langtransfer.train.model import build_llama, count_parameters


def _weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_config_follows_arch_and_ids(tiny_arch):
    model = build_llama(tiny_arch, 300, 1, 2, 0, seed=0)
    cfg = model.config
    assert (cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads,
            cfg.intermediate_size, cfg.vocab_size) == (2, 32, 2, 64, 300)
    assert (cfg.bos_token_id, cfg.eos_token_id, cfg.pad_token_id) == (1, 2, 0)
    assert cfg.max_position_embeddings == 128 and not cfg.tie_word_embeddings
    assert next(model.parameters()).dtype == torch.float32 and model.training


def test_same_seed_same_weights_other_seed_differs(tiny_arch):
    a = _weights(build_llama(tiny_arch, 300, 1, 2, 0, seed=5))
    b = _weights(build_llama(tiny_arch, 300, 1, 2, 0, seed=5))
    c = _weights(build_llama(tiny_arch, 300, 1, 2, 0, seed=6))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["model.embed_tokens.weight"], c["model.embed_tokens.weight"])


def test_build_does_not_move_the_global_rng(tiny_arch):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    build_llama(tiny_arch, 300, 1, 2, 0, seed=9)
    assert torch.equal(torch.rand(3), expected)


def test_parameter_counts(tiny_arch):
    model = build_llama(tiny_arch, 300, 1, 2, 0, seed=0)
    # per layer: q,k,v,o 4*32*32 + mlp 3*32*64 + 2 norms*32; plus final norm; embed + head
    per_layer = 4 * 32 * 32 + 3 * 32 * 64 + 2 * 32
    assert count_parameters(model, exclude_embeddings=True) == 2 * per_layer + 32
    assert count_parameters(model) == 2 * per_layer + 32 + 2 * 300 * 32
    tied = build_llama(tiny_arch.model_copy(update={"tie_embeddings": True}), 300, 1, 2, 0, 0)
    assert count_parameters(tied) == 2 * per_layer + 32 + 300 * 32
    model.lm_head.weight.requires_grad_(False)
    assert count_parameters(model, trainable_only=True) == 2 * per_layer + 32 + 300 * 32


def test_default_arch_size():
    # BaseModelConfig's default: ENVIRONMENT.md's prototype had ~0.72 M parameters
    model = build_llama(ArchConfig(), 2000, 1, 2, 0, seed=0)
    assert count_parameters(model) == 716_448
