"""eval.attention: block attention computes the masked attention exactly, skips only what no
query may see (and, in the last layer, what nobody reads), and the packed scoring path that
uses it agrees with the masked path and with the plain path."""

from __future__ import annotations

import random

import pytest
import torch
import torch.nn.functional as F

from langtransfer.eval import attention, packing
from langtransfer.eval.attention import Block, Spans, block_attention, blocked, plan_blocks
from langtransfer.eval.lm import loglikelihood_tokens

from eval_token_pairs import random_token_pairs


def _random_segments(seed: int, batch: int = 3, width: int = 11) -> torch.Tensor:
    """Segment ids with left padding and packed segments, as eval.packing builds them."""
    rng = random.Random(seed)
    segments = torch.full((batch, width), -1, dtype=torch.long)
    for row in range(batch):
        start = rng.randrange(0, width - 2)
        segs = [0] * rng.randint(1, width - start)
        segs += [rng.randint(1, 3) for _ in range(width - start - len(segs))]
        segments[row, start:] = torch.tensor(sorted(segs))
    return segments


def _random_pattern(seed: int, batch: int = 3, width: int = 11) -> Spans:
    return packing._segment_spans(_random_segments(seed, batch, width))


@pytest.mark.parametrize("seed", range(6))
def test_segment_spans_describe_the_packed_pattern(seed):
    """Causal, no padding keys, a continuation sees the context and itself, a padding query
    sees itself: checked cell by cell against that definition."""
    segments = _random_segments(seed, batch=4, width=13)
    width = segments.shape[1]
    query, key = segments[:, :, None], segments[:, None, :]
    causal = torch.ones(width, width, dtype=torch.bool).tril()
    expected = causal & (key >= 0) & ((key == 0) | (key == query))
    expected |= torch.eye(width, dtype=torch.bool)
    assert torch.equal(packing._segment_spans(segments).allowed(), expected)
    assert torch.equal(packing._segment_spans(segments).allowed(2, 9, 1, 7),
                       expected[:, 2:9, 1:7])


def test_plan_blocks_refuses_a_query_that_sees_no_key():
    empty = torch.zeros((1, 3), dtype=torch.long)
    spans = Spans(prefix_start=empty, prefix_end=empty, local_start=torch.full((1, 3), 5))
    with pytest.raises(ValueError, match="at least one key"):
        plan_blocks(spans, torch.float32)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("block_size", [1, 2, 4, 32])
def test_blocks_cover_every_allowed_cell_and_mask_the_rest(seed, block_size):
    spans = _random_pattern(seed)
    allowed = spans.allowed()
    blocks = plan_blocks(spans, torch.float32, block_size)
    assert [b.q_start for b in blocks] == list(range(0, allowed.shape[1], block_size))
    seen = torch.zeros_like(allowed)
    for b in blocks:
        inside = torch.ones_like(allowed[:, b.q_start:b.q_end, b.k_start:b.k_end])
        if b.mask is not None:
            inside = b.mask[:, 0] == 0
        seen[:, b.q_start:b.q_end, b.k_start:b.k_end] = inside
    assert torch.equal(seen, allowed)
    for b in blocks:  # each key range is the tightest: its first and last key are seen
        inside = allowed[:, b.q_start:b.q_end, b.k_start:b.k_end]
        assert inside[..., 0].any() and inside[..., -1].any()


class _Layer(torch.nn.Module):
    def __init__(self, layer_idx: int, groups: int = 1):
        super().__init__()
        self.layer_idx, self.num_key_value_groups = layer_idx, groups


def _reference(query, key, value, allowed):
    mask = torch.zeros(allowed.shape).masked_fill_(~allowed, torch.finfo(torch.float32).min)
    return F.scaled_dot_product_attention(query, key, value, attn_mask=mask[:, None])


@pytest.mark.parametrize("groups", [1, 2])
def test_block_attention_equals_masked_attention(groups):
    torch.manual_seed(0)
    spans = _random_pattern(1)
    allowed = spans.allowed()
    batch, width = allowed.shape[:2]
    query = torch.randn(batch, 4, width, 8)
    key, value = torch.randn(batch, 4 // groups, width, 8), torch.randn(batch, 4 // groups, width, 8)
    plan = attention._Plan(plan_blocks(spans, torch.float32, 3), last_layer=1, needed_from=0)
    token = attention._PLAN.set(plan)
    try:
        out, _ = block_attention(_Layer(0, groups), query, key, value, None)
    finally:
        attention._PLAN.reset(token)
    expected = _reference(query, key.repeat_interleave(groups, 1),
                          value.repeat_interleave(groups, 1), allowed)
    torch.testing.assert_close(out, expected.transpose(1, 2), rtol=1e-5, atol=1e-6)


def test_the_last_layer_skips_only_blocks_before_the_read_positions():
    torch.manual_seed(0)
    spans = _random_pattern(2, width=12)
    allowed = spans.allowed()
    query, key, value = (torch.randn(3, 2, 12, 4) for _ in range(3))
    plan = attention._Plan(plan_blocks(spans, torch.float32, 4), last_layer=1, needed_from=7)
    token = attention._PLAN.set(plan)
    try:
        last, _ = block_attention(_Layer(1), query, key, value, None)
        other, _ = block_attention(_Layer(0), query, key, value, None)
    finally:
        attention._PLAN.reset(token)
    expected = _reference(query, key, value, allowed).transpose(1, 2)
    torch.testing.assert_close(other, expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(last[:, 4:], expected[:, 4:], rtol=1e-5, atol=1e-6)  # block 4..8
    assert not last[:, :4].any()  # the block before position 7 was not computed


def test_block_attention_refuses_softcapping_and_use_outside_a_plan():
    query = torch.zeros(1, 1, 2, 2)
    with pytest.raises(RuntimeError, match="outside"):
        block_attention(_Layer(0), query, query, query, None)
    token = attention._PLAN.set(attention._Plan([Block(0, 2, 0, 2, None)], 0, 0))
    try:
        with pytest.raises(NotImplementedError, match="softcap"):
            block_attention(_Layer(0), query, query, query, None, softcap=30.0)
    finally:
        attention._PLAN.reset(token)


def test_blocked_restores_the_attention_implementation_after_an_error(make_model):
    model = make_model()
    with pytest.raises(ValueError):
        with blocked(model, Spans.causal(1, 3)):
            assert model.config._attn_implementation == attention.NAME
            raise ValueError("boom")
    assert model.config._attn_implementation == "sdpa"
    assert attention._PLAN.get() is None


def test_packing_mode_is_blocks_for_sdpa_on_cpu_and_mask_for_eager(make_model):
    assert packing._packing_mode(make_model()) == "blocks"
    eager = make_model()
    eager.config._attn_implementation = "eager"
    assert packing._packing_mode(eager) == "mask"


@pytest.mark.parametrize("block_size", [1, 3, 32])
@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-9), (torch.float32, 1e-4)])
def test_blocks_score_like_the_mask_and_the_plain_path(model, block_size, dtype, tol):
    """Exact in float64 (the same sums, other shapes); float32 rounding in float32 (this
    model's initialiser makes logits large, so differences reach ~3e-6 relative)."""
    model = model.to(dtype)
    pairs = random_token_pairs(model.config.vocab_size, seed=3, contexts=10, max_context=30,
                               max_options=4)
    contexts = [packing._fit_context(ctx, cont, 24) for ctx, cont in pairs]  # some truncated
    conts = [cont for _, cont in pairs]
    plain = loglikelihood_tokens(model, pairs, 8, 24, share_prefix=False)
    with torch.inference_mode():
        for rows in packing._packed_batches(contexts, conts, 7):
            ids = [i for _, row in rows for i in row]
            fast = packing._score_packed(model, rows, conts, True, block_size)
            masked = packing._score_packed(model, rows, conts, False)
            for i, got, ref in zip(ids, fast, masked):
                assert got[1:] == ref[1:] == plain[i][1:]
                assert got[0] == pytest.approx(ref[0], abs=tol)
                assert got[0] == pytest.approx(plain[i][0], abs=tol)


def test_the_last_feed_forward_runs_only_on_the_read_positions(model):
    """blocked(needed_from=k): the last layer's MLP sees positions k.. only; the outputs read
    there are the unblocked model's to float64 rounding."""
    model = model.double()
    mlp = attention._last_mlp(model)
    assert mlp is model.model.layers[-1].mlp
    ids = torch.randint(0, model.config.vocab_size, (2, 9))
    reference = model(input_ids=ids).logits
    seen = []
    hook = mlp.register_forward_hook(lambda m, args, out: seen.append(args[0].shape[1]))
    try:
        with torch.inference_mode(), blocked(model, Spans.causal(2, 9),
                                             needed_from=6, block_size=4):
            logits = model(input_ids=ids).logits
    finally:
        hook.remove()
    assert seen == [3]
    assert not mlp._forward_hooks and not mlp._forward_pre_hooks  # removed again
    torch.testing.assert_close(logits[:, 6:], reference[:, 6:], rtol=0, atol=1e-12)


def test_models_without_a_layer_list_keep_their_feed_forward():
    class NoLayers(torch.nn.Module):
        config = type("C", (), {"num_hidden_layers": 2})()

    assert attention._last_mlp(NoLayers()) is None
