"""eval.generate: stop strings, EOS, length cap, left padding == batch 1, order restored."""

from __future__ import annotations

import pytest
import torch

from langtransfer.eval.generate import DEFAULT_STOP, _cut_at_stop, generate
from langtransfer.eval.lm import encode

PROMPTS = ["Where was Tavi born?", "### Instruction:\nWhere was Lumo born?\n\n### Response:\n",
           "red", "the doctor works as a teacher in the city of London and", "塔维出生于", "a b"]


def scripted(model, chain: list[int]):
    """Make `model` emit chain[i + 1] after chain[i], whatever came before.

    Zeroed attention and MLP outputs leave only the current token's embedding in the residual
    stream; each chain token gets its own basis vector, and the LM head maps it to the next.
    """
    sources = chain[:-1]
    assert len(set(sources)) == len(sources) <= model.config.hidden_size
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        model.model.embed_tokens.weight.zero_()
        model.lm_head.weight.zero_()
        for k, (a, b) in enumerate(zip(chain, chain[1:])):
            model.model.embed_tokens.weight[a, k] = 1.0
            model.lm_head.weight[b, k] = 100.0
    return model


def _chain(tok, prompt: str, words: list[str]) -> list[int]:
    pieces = [tok.convert_tokens_to_ids("\u2581" + w) for w in words]  # SentencePiece "▁word"
    assert tok.unk_token_id not in pieces  # each word is one piece of the tiny vocabulary
    return [encode(tok, prompt)[-1]] + pieces


def test_generation_stops_at_a_stop_string_and_cuts_it(model, tok):
    prompt = "Where was Tavi born?"
    model = scripted(model, _chain(tok, prompt, ["Paris", "London", "teacher", "doctor"]))
    (out,) = generate(model, tok, [prompt], max_new_tokens=10, stop=["London"])
    assert out.text.strip() == "Paris" and out.finish == "stop" and out.n_tokens == 2
    (out,) = generate(model, tok, [prompt], max_new_tokens=10, stop=["doctor", "teacher"])
    assert out.text.strip() == "Paris London" and out.n_tokens == 3


def test_generation_stops_at_eos(model, tok):
    prompt = "Where was Tavi born?"
    chain = _chain(tok, prompt, ["Paris", "London"]) + [tok.eos_token_id]
    (out,) = generate(scripted(model, chain), tok, [prompt], max_new_tokens=10)
    assert out.text.strip() == "Paris London" and out.finish == "eos" and out.n_tokens == 3


def test_generation_respects_max_new_tokens(model, tok):
    prompt = "Where was Tavi born?"
    model = scripted(model, _chain(tok, prompt, ["Paris", "London", "teacher"]))
    (out,) = generate(model, tok, [prompt], max_new_tokens=2)
    assert out.text.strip() == "Paris London" and out.finish == "length" and out.n_tokens == 2
    assert out.seconds > 0


def test_left_padding_gives_the_same_output_as_batch_one(model, tok):
    one = generate(model, tok, PROMPTS, max_new_tokens=12, batch_size=1, stop=[])
    batched = generate(model, tok, PROMPTS, max_new_tokens=12, batch_size=4, stop=[])
    assert [o.text for o in one] == [o.text for o in batched]
    assert [o.n_tokens for o in one] == [o.n_tokens for o in batched]
    assert len({o.text for o in one}) > 1  # outputs differ per prompt: the order was restored


def test_batch_output_matches_an_unpadded_greedy_loop(model, tok):
    outs = generate(model, tok, PROMPTS[:3], max_new_tokens=6, batch_size=3, stop=[])
    for prompt, out in zip(PROMPTS[:3], outs):
        ids = encode(tok, prompt)
        with torch.no_grad():
            for _ in range(6):
                nxt = int(model(torch.tensor([ids])).logits[0, -1].argmax())
                ids.append(nxt)
                if nxt == tok.eos_token_id:
                    break
        new = ids[len(encode(tok, prompt)):]
        assert out.n_tokens == len(new)
        assert out.text == tok.decode(new, skip_special_tokens=True)


@pytest.mark.parametrize("text,expect", [
    ("Paris.\n\n### Instruction:\nmore", ("Paris.\n\n", True)),
    ("Paris.### Response: x", ("Paris.", True)),
    ("Paris.\n\n\n\nmore", ("Paris.", True)),
    ("Paris.", ("Paris.", False)),
])
def test_default_stop_strings_cut_template_markers(text, expect):
    assert _cut_at_stop(text, DEFAULT_STOP) == expect
