"""Tokenise once: cache hits and misses, key sensitivity (data, tokenizer, template), atomic
entries, and the stage-level check that a second arm does not tokenise again."""

from __future__ import annotations

import random

import numpy as np

from langtransfer.data.cache import (TokenCache, cached_conversations, cached_documents,
                                     tokenizer_fingerprint, wait_for_writes)
from langtransfer.data.config import TextSourceConfig
from langtransfer.data.formats import to_messages
from langtransfer.data.packing import read_documents, tokenize_lines
from langtransfer.data.transforms import encode_plain
from langtransfer.runs import read_manifest

LINES = ["Tavi was born in 1950 and works as a pilot.", "米拉生于1978年，以教书为业。",
         "Kaso <s> likes chess.</s>", "  leading spaces and\ttabs ", "卡索喜欢下棋和钓鱼。"]


def _corpus(path, n=60, seed=0):
    rng = random.Random(seed)
    path.write_text("\n".join(rng.choice(LINES) + f" {i}" for i in range(n)) + "\n", "utf-8")
    return path


def _lookup(src, tok, root):
    docs, entry = cached_documents(src, tok, TokenCache(root))
    wait_for_writes()
    return docs, entry


def test_direct_backend_ids_equal_the_tokenizer_call(tok, shared_data):
    from transformers import AutoTokenizer

    assert encode_plain(tok, LINES) == tok(LINES, add_special_tokens=False)["input_ids"]
    llama = AutoTokenizer.from_pretrained(shared_data / "tokenizers" / "chinese_llama2")
    assert encode_plain(llama, LINES) == llama(LINES, add_special_tokens=False)["input_ids"]


def test_miss_then_hit_gives_the_documents_tokenize_lines_gives(tok, tmp_path):
    src = TextSourceConfig(path=str(_corpus(tmp_path / "zh.txt")))
    first, miss = _lookup(src, tok, tmp_path / "cache")
    again, hit = _lookup(src, tok, tmp_path / "cache")
    assert (miss.status, hit.status) == ("miss", "hit") and miss.key == hit.key
    expected = tokenize_lines(tok, read_documents(src.path))
    assert [d.tolist() for d in again.docs()] == [d.tolist() for d in first.docs()] == expected
    assert again.ids.dtype == np.int32 and isinstance(again.ids, np.memmap)
    entry = hit.path
    assert sorted(p.name for p in entry.iterdir()) == ["ids.npy", "meta.json", "offsets.npy"]
    assert not [p for p in entry.parent.iterdir() if p.name.startswith(".")]  # no temp left


def test_key_follows_content_tokenizer_and_transform(tok, chat_tok, tmp_path, tok_dir):
    from transformers import AutoTokenizer

    from langtransfer.vocab.train import hf_tokenizer_from_sp, train_sentencepiece

    path = _corpus(tmp_path / "a.txt")
    src = TextSourceConfig(path=str(path))
    _, first = _lookup(src, tok, tmp_path / "c")
    moved = tmp_path / "elsewhere" / "b.txt"
    moved.parent.mkdir()
    moved.write_bytes(path.read_bytes())
    assert _lookup(TextSourceConfig(path=str(moved), lang="en"), tok, tmp_path / "c")[1].status \
        == "hit"  # same content elsewhere, other language label: the same tokens
    reloaded = AutoTokenizer.from_pretrained(tok_dir)
    assert _lookup(src, reloaded, tmp_path / "c")[1].status == "hit"
    _corpus(path, seed=1)  # the file changes
    assert _lookup(src, tok, tmp_path / "c")[1].status == "miss"
    sp = train_sentencepiece([moved], 350, tmp_path / "sp")
    other = hf_tokenizer_from_sp(sp, tmp_path / "other_tok")
    assert _lookup(TextSourceConfig(path=str(moved)), other, tmp_path / "c")[1].status == "miss"
    assert tokenizer_fingerprint(chat_tok) != tokenizer_fingerprint(tok)  # chat template


def test_fingerprint_ignores_truncation_state_and_restores_it(tok_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tok_dir)
    before = tokenizer_fingerprint(tok)
    tok(["a b c d e f"], truncation=True, max_length=3, padding="max_length")
    state = tok.backend_tokenizer.truncation
    assert state is not None and tokenizer_fingerprint(tok) == before
    assert tok.backend_tokenizer.truncation == state


def test_a_broken_entry_is_rebuilt(tok, tmp_path):
    src = TextSourceConfig(path=str(_corpus(tmp_path / "a.txt")))
    docs, entry = _lookup(src, tok, tmp_path / "c")
    ids = entry.path / "ids.npy"
    np.save(ids, np.zeros(3, np.int32))  # truncated by hand: offsets no longer match
    rebuilt, again = _lookup(src, tok, tmp_path / "c")
    assert again.status == "miss" and rebuilt.n_tokens == docs.n_tokens
    assert _lookup(src, tok, tmp_path / "c")[1].status == "hit"


def test_sft_entries_follow_rows_and_template(tok, tmp_path):
    rows = [{"messages": to_messages("alpaca", {"instruction": f"Q{i}?", "output": f"A{i}."})}
            for i in range(5)]
    cache = TokenCache(tmp_path / "c")
    first, miss = cached_conversations(rows, tok, "alpaca_short", cache)
    wait_for_writes()
    again, hit = cached_conversations(rows, tok, "alpaca_short", cache)
    assert (miss.status, hit.status) == ("miss", "hit")
    assert np.array_equal(first.mask, again.mask) and np.array_equal(first.ids, again.ids)
    assert cached_conversations(rows, tok, "alpaca", cache)[1].status == "miss"
    assert cached_conversations(rows[:4], tok, "alpaca_short", cache)[1].status == "miss"


def _cpt_cfg(model_dir, data, **kw):
    from langtransfer.train.config import CPTConfig

    base = {"model": str(model_dir), "data": data, "seq_len": 32, "threads": 1, "tokens": 600,
            "checkpoint_every": 0, "optim": {"lr": 1e-3, "batch_size": 4}}
    return CPTConfig.from_dict({**base, **kw})


def test_second_cpt_arm_with_same_data_and_tokenizer_does_not_tokenise(model_dir, tmp_path,
                                                                       tokenizer_calls):
    from langtransfer.train.cpt import run

    zh = _corpus(tmp_path / "zh.txt", 80)
    en = _corpus(tmp_path / "en.txt", 40, seed=3)
    data = [{"path": str(zh), "lang": "zh", "fraction": 0.7},
            {"path": str(en), "lang": "en", "fraction": 0.3}]
    cache = str(tmp_path / "cache")
    first = run(_cpt_cfg(model_dir, data, cache_dir=cache), tmp_path / "arm_a")
    wait_for_writes()
    assert tokenizer_calls["n"] > 0
    assert read_manifest(tmp_path / "arm_a")["cache"]["status"] == "miss"
    tokenizer_calls["n"] = 0
    second = run(_cpt_cfg(model_dir, data, cache_dir=cache, optim={"lr": 5e-4, "batch_size": 4}),
                 tmp_path / "arm_b")
    assert tokenizer_calls["n"] == 0  # no text was tokenised for the second arm
    record = read_manifest(tmp_path / "arm_b")["cache"]
    assert record["status"] == "hit" and [e["status"] for e in record["entries"]] == ["hit"] * 2
    assert second.tokens_by_source == first.tokens_by_source and second.tokens == 600
