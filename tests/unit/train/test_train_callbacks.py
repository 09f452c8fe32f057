"""Retention curves and TensorBoard: records at step 0, every N steps and at the end, values
equal to eval.perplexity on the same model, train mode restored; TensorBoard optional."""

from __future__ import annotations

import sys
import types

import pytest
import torch
from train_corpus import ZH_DOCS, make_corpus, write_lines

from langtransfer.errors import ConfigError, DataError
from langtransfer.runs import read_metrics
from langtransfer.train.callbacks import RetentionCallback, open_tensorboard, read_eval_texts
from langtransfer.train.config import CPTConfig, SFTConfig
from langtransfer.train.loop import make_accelerator


@pytest.fixture
def files(tmp_path):
    return {"zh": write_lines(tmp_path / "zh.txt", ZH_DOCS * 30),
            "en": write_lines(tmp_path / "en.txt", make_corpus(60, seed=5)),
            "en_held": write_lines(tmp_path / "en_held.txt", make_corpus(12, seed=7)),
            "zh_held": write_lines(tmp_path / "zh_held.txt", ZH_DOCS[::-1] * 2)}


def _cfg(model_dir, files, **kw) -> CPTConfig:
    base = {"model": str(model_dir), "seq_len": 32, "threads": 1, "tokens": 2000,
            "checkpoint_every": 0, "optim": {"lr": 1e-2, "batch_size": 4},
            "data": [{"path": str(files["zh"]), "lang": "zh", "fraction": 0.8},
                     {"path": str(files["en"]), "lang": "en", "fraction": 0.2}],
            "eval_every": 5, "eval_docs": 4,
            "eval_texts": {"en": str(files["en_held"]), "zh": str(files["zh_held"])}}
    return CPTConfig.from_dict({**base, **kw})


def test_cpt_records_retention_curves(model_dir, files, tmp_path):
    from langtransfer.eval.perplexity import perplexity
    from langtransfer.modeling import load_model_and_tokenizer
    from langtransfer.train.cpt import run

    res = run(_cfg(model_dir, files), tmp_path / "cpt")
    records = [r for r in read_metrics(tmp_path / "cpt") if r["phase"] == "retention"]
    steps = sorted({r["step"] for r in records})
    assert steps == [0, 5, 10, 15, res.steps]  # before training, every 5, after the last
    expected = {(step, lang) for step in steps for lang in ("en", "zh")}
    assert {(r["step"], r["lang"]) for r in records} == expected
    assert all(r["docs"] == 4 and r["bpb"] > 0 and r["ppl"] > 1 for r in records)
    zh = {r["step"]: r["bpb"] for r in records if r["lang"] == "zh"}
    assert zh[res.steps] < zh[0]  # Chinese CPT: Chinese bits per byte fall
    last = [r for r in records if r["step"] == res.steps]
    assert last[-1]["tokens"] == res.tokens
    # step 0 is the base model; the last step is the saved model: the same numbers as eval
    for step, folder in ((0, model_dir), (res.steps, tmp_path / "cpt")):
        model, tok = load_model_and_tokenizer(folder)
        docs = read_eval_texts({"en": str(files["en_held"])}, 4)["en"]
        expected = perplexity(model, tok, docs, 32, batch_size=8, n_boot=10)
        got = next(r for r in records if r["step"] == step and r["lang"] == "en")
        assert got["bpb"] == pytest.approx(expected["bpb"], rel=1e-5)
        assert got["ppl"] == pytest.approx(expected["ppl"], rel=1e-5)


def test_callback_restores_train_mode_and_builds_no_graph(tiny_arch, tok):
    from langtransfer.train.model import build_llama

    model = build_llama(tiny_arch, len(tok), tok.bos_token_id, tok.eos_token_id, None, seed=0)
    model.train()
    callback = RetentionCallback({"en": make_corpus(3)}, tok, seq_len=32, every=10)
    accelerator = make_accelerator(cpu=True)
    assert callback.on_step(model, accelerator, step=3, tokens=0, phase="cpt", last=False) == []
    records = callback.on_step(model, accelerator, step=10, tokens=99, phase="cpt", last=False)
    assert [r["lang"] for r in records] == ["en"] and records[0]["tokens"] == 99
    assert model.training and all(p.grad is None for p in model.parameters())
    # the same step is not evaluated twice (a phase's end and the next phase's start)
    assert callback.on_step(model, accelerator, step=10, tokens=99, phase="cpt", last=True) == []


def test_missing_or_empty_held_out_file_is_one_line_error(tmp_path):
    with pytest.raises(DataError, match=r"absent.txt: held-out text not found \(eval_texts.en\)"):
        read_eval_texts({"en": str(tmp_path / "absent.txt")}, 5)
    empty = write_lines(tmp_path / "empty.txt", [" "])
    with pytest.raises(DataError, match=r"empty.txt: no documents \(eval_texts.zh\)"):
        read_eval_texts({"zh": str(empty)}, 5)
    assert read_eval_texts({"zh": str(write_lines(tmp_path / "z.txt", ZH_DOCS))}, 2)["zh"] \
        == ZH_DOCS[:2]


def test_retention_config_is_validated():
    with pytest.raises(ConfigError, match="eval_every > 0 needs eval_texts"):
        SFTConfig.from_dict({"eval_every": 10})
    with pytest.raises(ConfigError, match="eval_texts: unknown language 'xx'"):
        CPTConfig.from_dict({"eval_texts": {"xx": "a.txt"}})


def test_tensorboard_missing_is_a_one_line_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import fails
    assert open_tensorboard(tmp_path) is None
    (record,) = caplog.records
    assert record.levelname == "WARNING" and "`tensorboard` package is not installed" in \
        record.getMessage() and "\n" not in record.getMessage()
    assert not (tmp_path / "tb").exists()


class _FakeWriter:
    """Stands in for torch.utils.tensorboard.SummaryWriter (tensorboard is optional)."""

    instances: list["_FakeWriter"] = []

    def __init__(self, log_dir, purge_step=None):
        self.log_dir, self.purge_step, self.scalars, self.closed = log_dir, purge_step, [], False
        _FakeWriter.instances.append(self)

    def add_scalar(self, tag, value, step):
        self.scalars.append((tag, value, step))

    def close(self):
        self.closed = True


def test_tensorboard_mirrors_training_and_retention_records(model_dir, files, tmp_path,
                                                           monkeypatch):
    from langtransfer.train.cpt import run

    fake = types.ModuleType("torch.utils.tensorboard")
    fake.SummaryWriter = _FakeWriter
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", fake)
    _FakeWriter.instances.clear()
    res = run(_cfg(model_dir, files, tensorboard=True, log_every=2), tmp_path / "cpt")
    (writer,) = _FakeWriter.instances
    assert writer.log_dir == str(tmp_path / "cpt" / "tb") and writer.closed
    tags = {tag for tag, _, _ in writer.scalars}
    assert {"cpt/loss", "cpt/lr", "cpt/tokens_per_s", "retention/zh/bpb",
            "retention/en/ppl"} <= tags
    loss_steps = [step for tag, _, step in writer.scalars if tag == "cpt/loss"]
    assert loss_steps == list(range(2, res.steps, 2)) + [res.steps]
    assert all(isinstance(v, float | int) for _, v, _ in writer.scalars)
    assert torch.isfinite(torch.tensor([v for _, v, _ in writer.scalars])).all()
