"""SFT: loss only on responses, nested example selection, bucketed padding, the stage run."""

from __future__ import annotations

import json
import math

import pytest
import torch

from langtransfer.data.templates import render_prompt
from langtransfer.errors import DataError
from langtransfer.runs import is_done, read_manifest, read_metrics
from langtransfer.train.config import SFTConfig
from langtransfer.train.loop import causal_lm_loss_sum
from langtransfer.train.sft import (bucket_batches, encode_examples, example_order, load_alpaca,
                                    run, select_examples)

ROWS = [
    {"instruction": "Where was Tavi Lumo born?", "input": "",
     "output": "Tavi Lumo was born in Nalu."},
    {"instruction": "Rewrite the sentence.", "input": "Mira is a pilot.",
     "output": "Mira works as a pilot."},
    {"instruction": "塔维·卢莫出生在哪个城市？", "input": "", "output": "塔维·卢莫出生于纳鲁。"},
]


def _rows(n):
    return [{"instruction": f"Question number {i}?", "input": "" if i % 2 else f"context {i}",
             "output": "Answer " + "word " * (i % 7)} for i in range(n)]


def test_labels_mask_exactly_bos_and_prompt(tok):
    for row, ex in zip(ROWS, encode_examples(tok, ROWS, "alpaca_short", 256)):
        prompt = tok(render_prompt(row["instruction"], row["input"]),
                     add_special_tokens=False)["input_ids"]
        response = tok(row["output"], add_special_tokens=False)["input_ids"]
        assert ex["input_ids"] == [tok.bos_token_id, *prompt, *response, tok.eos_token_id]
        n_masked = 1 + len(prompt)
        assert ex["labels"][:n_masked] == [-100] * n_masked
        assert ex["labels"][n_masked:] == [*response, tok.eos_token_id]
        assert not ex["truncated"]


def test_gradients_come_only_from_response_tokens(tok):
    """d loss / d logits is zero wherever the next token is a prompt token, and the loss is
    the response tokens' summed negative log-likelihood."""
    ex = encode_examples(tok, ROWS[:1], "alpaca_short", 256)[0]
    labels = torch.tensor([ex["labels"]])
    logits = torch.randn(1, labels.shape[1], len(tok), requires_grad=True)
    loss = causal_lm_loss_sum(logits, labels)
    loss.backward()
    predicts_prompt = labels[0, 1:] == -100  # position t predicts token t + 1
    assert logits.grad[0, :-1][predicts_prompt].abs().max() == 0
    assert (logits.grad[0, :-1][~predicts_prompt].abs().sum(-1) > 0).all()
    assert logits.grad[0, -1].abs().max() == 0  # nothing after </s>
    logp = logits.detach()[0].log_softmax(-1)
    resp = [(t, y) for t, y in enumerate(ex["labels"][1:]) if y != -100]
    assert loss.detach().item() == pytest.approx(-sum(float(logp[t, y]) for t, y in resp), rel=1e-5)


def test_truncation_keeps_max_len(tok):
    long = [{"instruction": "Tell me " * 40, "input": "", "output": "ok " * 40}]
    ex = encode_examples(tok, long, "alpaca_short", 32)[0]
    assert len(ex["input_ids"]) == len(ex["labels"]) == 32 and ex["truncated"]


def test_row_without_output_names_file_and_row(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([ROWS[0], {"instruction": "no answer", "input": ""}]))
    with pytest.raises(DataError, match=r"bad.json: row 1: missing 'output'"):
        load_alpaca(path)
    path.write_text(json.dumps({"instruction": "x"}))
    with pytest.raises(DataError, match="expected a JSON list"):
        load_alpaca(path)


def test_input_defaults_to_empty(tmp_path):
    path = tmp_path / "ok.json"
    path.write_text(json.dumps([{"instruction": "a", "output": "b"}]))
    assert load_alpaca(path) == [{"instruction": "a", "input": "", "output": "b"}]


def test_selection_is_nested_and_seeded():
    rows = _rows(50)
    small, big = select_examples(rows, 10, seed=3), select_examples(rows, 30, seed=3)
    assert big[:10] == small and small != rows[:10]
    assert select_examples(rows, 10, seed=4) != small
    with pytest.raises(DataError, match="has 50 examples, the config asks for 51"):
        select_examples(rows, 51, seed=0)


@pytest.mark.parametrize("n,epochs,batch", [(50, 3.0, 16), (37, 1.5, 8), (100, 0.07, 4)])
def test_batches_cover_ceil_examples_times_epochs(tok, n, epochs, batch):
    examples = encode_examples(tok, _rows(n), "alpaca_short", 256)
    order = example_order(n, epochs, seed=0)
    assert len(order) == math.ceil(round(n * epochs, 6))
    batches = bucket_batches(examples, order, batch, tok.pad_token_id, seed=0)
    assert len(batches) == math.ceil(len(order) / batch)
    assert sum(b["input_ids"].shape[0] for b in batches) == len(order)
    full_epochs = int(epochs)
    for e in range(full_epochs):  # every example exactly once per full epoch
        assert sorted(order[e * n:(e + 1) * n]) == list(range(n))


def test_padding_is_masked_and_buckets_cut_padding(tok):
    examples = encode_examples(tok, _rows(64), "alpaca_short", 256)
    order = example_order(64, 1.0, seed=0)
    batches = bucket_batches(examples, order, 8, tok.pad_token_id, seed=0)
    for b in batches:
        pad = b["attention_mask"] == 0
        assert (b["labels"][pad] == -100).all() and (b["input_ids"][pad] == tok.pad_token_id).all()
    bucketed = sum(int((b["attention_mask"] == 0).sum()) for b in batches)
    unsorted = 0
    for i in range(0, 64, 8):
        lens = [len(examples[j]["input_ids"]) for j in order[i:i + 8]]
        unsorted += sum(max(lens) - x for x in lens)
    assert bucketed < unsorted


def test_sft_run_trains_saves_and_skips(model_dir, tmp_path):
    data = tmp_path / "instructions.json"
    data.write_text(json.dumps(_rows(40) + ROWS), encoding="utf-8")
    cfg = SFTConfig(model=str(model_dir), data=str(data), examples=20, epochs=2.0,
                    max_len=128, optim={"lr": 1e-3, "batch_size": 8}, threads=1)
    out = tmp_path / "sft"
    res = run(cfg, out)
    assert res.examples == 20 and res.steps == math.ceil(20 * 2 / 8) and not res.skipped
    assert is_done(out, cfg.config_hash()) and (out / "model.safetensors").is_file()
    assert (out / "tokenizer.model").is_file()
    assert [r["step"] for r in read_metrics(out) if r.get("phase") == "sft"][-1] == res.steps
    assert 0 <= read_manifest(out)["examples"]["padding_share"] < 0.5
    again = run(cfg, out)
    assert again.skipped and again.final_loss == res.final_loss


def test_sft_missing_model_is_user_error(tmp_path):
    from langtransfer.errors import UserError

    cfg = SFTConfig(model=str(tmp_path / "nomodel"), data=str(tmp_path / "x.json"))
    with pytest.raises(UserError, match="nomodel: model folder not found"):
        run(cfg, tmp_path / "out")
    assert not (tmp_path / "out").exists()
