"""eval.lm: log-likelihoods equal hand-computed log-softmax sums; batching, truncation and
sliding windows follow lm-eval's conventions."""

from __future__ import annotations

import math

import pytest
import torch

from langtransfer.eval.lm import (
    encode, encode_pair, loglikelihood, rolling_loglikelihood, rolling_windows,
)

REQUESTS = [
    ("Tavi Lumo was born in ", "Paris."),
    ("Tavi Lumo was born in", " London."),
    ("The capital of", " Nalu is red"),
    ("", "the teacher"),
    ("Question: where was Lumo born?\nAnswer:", " Paris"),
    ("塔维·卢莫出生于", "城市。"),
    ("a", " b"),
    ("the doctor works as a teacher in the city of London and", " was born in the year"),
    ("red blue", " green black green"),
    ("答案：", "医生"),
    ("works", " as"),
    ("instruction response", " answer question"),
]


def _hand_loglik(model, tok, context: str, continuation: str) -> tuple[float, bool, int]:
    """Independent reference: one forward over BOS + tokens, sum the continuation's log p."""
    ctx = context.rstrip()
    cont = context[len(ctx):] + continuation
    bos = [tok.bos_token_id]
    ctx_ids = bos + (tok.encode(ctx, add_special_tokens=False) if ctx else [])
    whole = bos + tok.encode(ctx + cont, add_special_tokens=False) if ctx else (
        bos + tok.encode(cont, add_special_tokens=False))
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([whole])).logits[0].double(), dim=-1)
    positions = range(len(ctx_ids), len(whole))
    total = sum(float(logp[p - 1, whole[p]]) for p in positions)
    greedy = all(int(logp[p - 1].argmax()) == whole[p] for p in positions)
    return total, greedy, len(positions)


def test_encode_adds_bos_once(tok):
    ids = encode(tok, "Tavi Lumo")
    assert ids[0] == tok.bos_token_id and ids[1] != tok.bos_token_id
    plain = tok.encode("Tavi Lumo", add_special_tokens=False)
    assert encode(tok, "Tavi Lumo") == [tok.bos_token_id] + plain


def test_encode_pair_moves_trailing_space_to_continuation(tok):
    assert encode_pair(tok, "was born in ", "Paris") == encode_pair(tok, "was born in", " Paris")
    ctx, cont = encode_pair(tok, "was born in", " Paris")
    assert ctx == encode(tok, "was born in")
    assert ctx + cont == encode(tok, "was born in Paris")


def test_empty_context_is_the_bos_token(tok):
    ctx, cont = encode_pair(tok, "", "Paris")
    assert ctx == [tok.bos_token_id]
    assert cont == tok.encode("Paris", add_special_tokens=False)


def test_loglikelihood_equals_hand_computed_sum(model, tok):
    got = loglikelihood(model, tok, REQUESTS, batch_size=4)
    for (context, continuation), (ll, greedy, n) in zip(REQUESTS, got):
        ref_ll, ref_greedy, ref_n = _hand_loglik(model, tok, context, continuation)
        assert n == ref_n
        assert ll == pytest.approx(ref_ll, abs=1e-4)
        assert greedy == ref_greedy
        assert ll < 0


def test_greedy_flag_true_for_the_argmax_continuation(model, tok):
    context = "Tavi Lumo was born in"
    ids = encode(tok, context)
    with torch.no_grad():
        for _ in range(3):
            ids.append(int(model(torch.tensor([ids])).logits[0, -1].argmax()))
    continuation_ids = ids[len(encode(tok, context)):]
    # score the argmax tokens directly at the token level to avoid re-tokenisation effects
    from langtransfer.eval.lm import loglikelihood_tokens
    pairs = [(encode(tok, context), continuation_ids)]
    (_, greedy, n), = loglikelihood_tokens(model, pairs, batch_size=8, max_length=128)
    assert greedy and n == 3


def test_batching_and_order_do_not_change_results(model, tok):
    one = loglikelihood(model, tok, REQUESTS, batch_size=1)
    eight = loglikelihood(model, tok, REQUESTS, batch_size=8)
    reversed_ = loglikelihood(model, tok, REQUESTS[::-1], batch_size=8)[::-1]
    for a, b, c in zip(one, eight, reversed_):
        assert a[0] == pytest.approx(b[0], abs=1e-5) and a[0] == pytest.approx(c[0], abs=1e-5)
        assert a[1:] == b[1:] == c[1:]


def test_progress_callback_counts_every_request(model, tok):
    seen = []
    loglikelihood(model, tok, REQUESTS, batch_size=5, on_batch=seen.append, share_prefix=False)
    assert seen == [5, 5, 2]


def test_long_context_is_truncated_from_the_left(tok, make_model):
    model = make_model(max_positions=16)
    context = " ".join(["the teacher was born in London"] * 6)
    ctx, cont = encode_pair(tok, context, " Paris")
    (ll, _, n), = loglikelihood(model, tok, [(context, " Paris")])
    inputs = (ctx + cont)[-17:]  # the last max_length + 1 tokens; the final one is only a target
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([inputs[:-1]])).logits[0], dim=-1)
    ref = sum(float(logp[p - 1, inputs[p]]) for p in range(len(inputs) - len(cont), len(inputs)))
    assert n == len(cont) and ll == pytest.approx(ref, abs=1e-5)


def test_empty_continuation_is_rejected(model, tok):
    with pytest.raises(ValueError, match="no tokens"):
        loglikelihood(model, tok, [("Tavi", "")])


@pytest.mark.parametrize("n_tokens,max_len,stride", [(1, 8, 8), (8, 8, 8), (30, 8, 8),
                                                     (30, 8, 3), (30, 8, 1), (5, 8, 2)])
def test_rolling_windows_predict_each_token_once(n_tokens, max_len, stride):
    tokens = list(range(10, 10 + n_tokens))
    windows = rolling_windows(tokens, 1, max_len, stride)
    predicted = [t for _, cont in windows for t in cont]
    assert predicted == tokens
    for ctx, cont in windows:
        assert len(ctx + cont) - 1 <= max_len  # the input fed to the model fits the window
    assert windows[0][0] == [1]


def _per_token_reference(model, tok, text: str, max_len: int, stride: int) -> float:
    """Each token scored in its own forward pass over exactly the context its window gives it."""
    tokens = tok.encode(text, add_special_tokens=False)
    first = min(max_len, len(tokens))
    contexts = [[tok.bos_token_id] + tokens[:j] for j in range(first)]
    done = first
    while done < len(tokens):
        end = min(done + stride, len(tokens))
        contexts += [tokens[end - max_len - 1:j] for j in range(done, end)]
        done = end
    total = 0.0
    with torch.no_grad():
        for j, ctx in enumerate(contexts):
            assert len(ctx) <= max_len
            logits = model(torch.tensor([ctx])).logits[0, -1]
            total += float(torch.log_softmax(logits, dim=-1)[tokens[j]])
    return total


def test_rolling_equals_full_pass_when_the_text_fits(model, tok):
    text = "Tavi Lumo was born in Paris and works as a teacher."
    (ll, n), = rolling_loglikelihood(model, tok, [text], max_len=64)
    ids = encode(tok, text)
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([ids])).logits[0], dim=-1)
    assert n == len(ids) - 1
    ref = sum(float(logp[p - 1, ids[p]]) for p in range(1, len(ids)))
    assert ll == pytest.approx(ref, abs=1e-4)


@pytest.mark.parametrize("stride", [1, 3, 8])
def test_sliding_window_gives_each_token_its_window_of_context(model, tok, stride):
    text = "the doctor was born in London and works as a teacher in the city of Paris."
    (ll, n), = rolling_loglikelihood(model, tok, [text], max_len=8, stride=stride, batch_size=3)
    assert n == len(tok.encode(text, add_special_tokens=False)) > 8
    assert ll == pytest.approx(_per_token_reference(model, tok, text, 8, stride), abs=1e-4)


def test_smaller_stride_changes_long_text_scores_only(model, tok):
    short, long_ = "red blue", "the doctor was born in London and works as a teacher in Paris."
    disjoint = rolling_loglikelihood(model, tok, [short, long_, ""], max_len=8)
    sliding = rolling_loglikelihood(model, tok, [short, long_, ""], max_len=8, stride=2)
    assert disjoint[0][0] == pytest.approx(sliding[0][0], abs=1e-5)
    assert disjoint[1][1] == sliding[1][1] and not math.isclose(disjoint[1][0], sliding[1][0])
    assert disjoint[2] == sliding[2] == (0.0, 0)


class _MergingTokenizer:
    """Encodes character by character, except that "ab" is one token: a merge that can cross
    a context/continuation boundary."""

    bos_token_id = None
    eos_token_id = 0

    def encode(self, text, add_special_tokens=False):
        ids, i = [], 0
        while i < len(text):
            if text[i:i + 2] == "ab":
                ids.append(1000)
                i += 2
            else:
                ids.append(ord(text[i]))
                i += 1
        return ids


def test_encode_pair_boundary_merge_keeps_continuation_nonempty():
    from langtransfer.eval.lm import encode_pair

    tok = _MergingTokenizer()
    ctx, cont = encode_pair(tok, "xa", "b")  # whole = [x, ab]; context = [x, a]
    assert ctx == [ord("x")] and cont == [1000]
    ctx, cont = encode_pair(tok, "xy", "ab")  # no boundary merge: lm-eval's slice
    assert ctx == [ord("x"), ord("y")] and cont == [1000]
