"""Checkpoints and exact resume: a crashed CPT run rerun with the same command finishes with the
same final loss and bit-identical weights as an uninterrupted run; partial checkpoints are never
used; checkpoints are kept to the last K and removed once the run is DONE."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from train_corpus import ZH_DOCS, make_corpus, write_lines
from safetensors.torch import load_file

import langtransfer.train.loop as loop
from langtransfer.errors import UserError
from langtransfer.runs import is_done, read_metrics
from langtransfer.train.checkpoint import STATE_FILE, Checkpointer
from langtransfer.train.config import CPTConfig
from langtransfer.train.cpt import run

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def sources(tmp_path):
    zh = write_lines(tmp_path / "zh.txt", ZH_DOCS * 30)
    en = write_lines(tmp_path / "en.txt", make_corpus(60, seed=5))
    return zh, en


def _cfg(model_dir, sources, **kw) -> CPTConfig:
    zh, en = sources
    base = {"model": str(model_dir), "seq_len": 32, "threads": 1, "tokens": 3000,
            "checkpoint_every": 3, "keep_checkpoints": 2, "log_every": 1,
            "data": [{"path": str(zh), "lang": "zh", "fraction": 0.6},
                     {"path": str(en), "lang": "en", "fraction": 0.4}],
            "optim": {"lr": 1e-3, "batch_size": 4}}
    return CPTConfig.from_dict({**base, **kw})


def _crash_at(monkeypatch, step: int) -> None:
    """Make the `step`-th optimizer step of this process raise (a crash mid-run)."""
    real = loop._optimizer_step
    calls = {"n": 0}

    def crashing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == step:
            raise RuntimeError("simulated crash")
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "_optimizer_step", crashing)


def _assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = load_file(a / "model.safetensors"), load_file(b / "model.safetensors")
    assert wa.keys() == wb.keys()
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def _train_steps(path: Path) -> list[tuple]:
    return [(r["phase"], r["step"], r.get("loss"), r.get("bpb")) for r in read_metrics(path)
            if r["phase"] in ("cpt", "cpt_embed_warmup", "retention")]


@pytest.mark.parametrize("crash_step, extra", [
    (11, {}),                                 # mid-run, after checkpoints at steps 3, 6, 9
    (2, {}),                                  # before the first checkpoint: starts afresh
    (12, {"embed_warmup_tokens": 1000}),      # in the main phase, after the warm-up's end
    (5, {"embed_warmup_tokens": 1000}),       # inside the embeddings-only warm-up
    (8, {"eval_every": 3}),                   # retention evaluated at the checkpoint's step 6
    (11, {"lora": {"r": 4, "dropout": 0.1}}), # adapters with dropout: the RNG is restored too
])
def test_crashed_run_resumes_to_identical_result(model_dir, sources, tmp_path, monkeypatch,
                                                 crash_step, extra):
    if extra.get("eval_every"):
        extra = {**extra, "eval_texts": {"zh": str(sources[0])}, "eval_docs": 5}
    cfg = _cfg(model_dir, sources, **extra)
    reference = run(cfg, tmp_path / "ref")
    with monkeypatch.context() as patch:
        _crash_at(patch, crash_step)
        with pytest.raises(RuntimeError, match="simulated crash"):
            run(cfg, tmp_path / "crashed")
    assert not is_done(tmp_path / "crashed")
    resumed = run(cfg, tmp_path / "crashed")
    assert not resumed.skipped
    assert resumed.final_loss == reference.final_loss
    assert resumed.train_loss == reference.train_loss
    assert (resumed.tokens, resumed.steps) == (reference.tokens, reference.steps)
    _assert_same_weights(tmp_path / "ref", tmp_path / "crashed")
    # every step (and retention point) logged exactly once, with the same values
    assert _train_steps(tmp_path / "crashed") == _train_steps(tmp_path / "ref")
    assert not (tmp_path / "crashed" / "checkpoints").exists()  # removed after DONE


def test_keeps_last_k_complete_checkpoints(model_dir, sources, tmp_path, monkeypatch):
    cfg = _cfg(model_dir, sources)
    _crash_at(monkeypatch, 14)
    with pytest.raises(RuntimeError):
        run(cfg, tmp_path / "r")
    ckpts = tmp_path / "r" / "checkpoints"
    assert sorted(p.name for p in ckpts.iterdir()) == ["step-12", "step-9"]
    latest = Checkpointer(ckpts, 3).latest()
    assert latest.step == 12 and latest.meta["phase"] == "cpt"
    state = latest.meta["state"]
    assert state["step"] == state["batches_done"] == 12 and state["tokens"] == 12 * 4 * 32
    files = {p.name for p in latest.path.iterdir()}
    assert {STATE_FILE, "model.safetensors", "optimizer.bin", "random_states_0.pkl"} <= files


def test_partial_checkpoints_are_ignored_and_deleted(model_dir, sources, tmp_path, monkeypatch):
    cfg = _cfg(model_dir, sources)
    reference = run(cfg, tmp_path / "ref")
    with monkeypatch.context() as patch:
        _crash_at(patch, 8)
        with pytest.raises(RuntimeError):
            run(cfg, tmp_path / "r")
    ckpts = tmp_path / "r" / "checkpoints"
    # what a crash mid-save leaves: a temp folder, and a step folder without its state file
    (ckpts / ".tmp-step-9").mkdir()
    (ckpts / ".tmp-step-9" / "model.safetensors").write_bytes(b"half")
    (ckpts / "step-99").mkdir()
    assert Checkpointer(ckpts, 3).latest().step == 6
    assert not is_done(tmp_path / "r")  # checkpoints alone never make a run finished
    resumed = run(cfg, tmp_path / "r")
    assert resumed.final_loss == reference.final_loss
    _assert_same_weights(tmp_path / "ref", tmp_path / "r")


def test_resume_with_another_process_count_is_refused(model_dir, sources, tmp_path, monkeypatch):
    cfg = _cfg(model_dir, sources)
    with monkeypatch.context() as patch:
        _crash_at(patch, 5)
        with pytest.raises(RuntimeError):
            run(cfg, tmp_path / "r")
    state = tmp_path / "r" / "checkpoints" / "step-3" / STATE_FILE
    meta = json.loads(state.read_text())
    state.write_text(json.dumps({**meta, "world_size": 2}))
    with pytest.raises(UserError, match="written by 2 processes, resumed with 1"):
        run(cfg, tmp_path / "r")


@pytest.mark.slow
def test_sigkill_then_same_command_matches_uninterrupted(model_dir, sources, tmp_path):
    """The issue's check: SIGKILL a CPT process after its first checkpoint, rerun it."""
    cfg = _cfg(model_dir, sources, tokens=40_000, checkpoint_every=10, log_every=10)
    config = tmp_path / "cpt.yaml"
    config.write_text(yaml.safe_dump(cfg.to_dict()))
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "langtransfer", "train", "cpt", str(config), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list((out / "checkpoints").glob("step-*")):
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not is_done(out)
    reference = run(cfg, tmp_path / "ref")  # meanwhile: the uninterrupted run, in-process
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    final = json.loads((out / "manifest.json").read_text())["result"]
    assert final["final_loss"] == reference.final_loss and final["steps"] == reference.steps
    _assert_same_weights(tmp_path / "ref", out)
    steps = [r["step"] for r in read_metrics(out) if r["phase"] == "cpt"]
    assert steps == sorted(set(steps)) and steps[-1] == reference.steps


@pytest.mark.parametrize("pack", [False, True])
def test_sft_resumes_too(model_dir, tmp_path, monkeypatch, pack):
    from langtransfer.train.config import SFTConfig
    from langtransfer.train.sft import run as run_sft

    rows = [{"instruction": f"Question {i}?", "input": "" if i % 2 else f"context {i}",
             "output": "Answer " + "word " * (i % 7)} for i in range(40)]
    data = tmp_path / "instructions.json"
    data.write_text(json.dumps(rows), encoding="utf-8")
    cfg = SFTConfig.from_dict({"model": str(model_dir), "data": str(data), "examples": 40,
                               "epochs": 2, "max_len": 64, "pack": pack, "threads": 1,
                               "checkpoint_every": 2, "log_every": 1,
                               "optim": {"lr": 1e-3, "batch_size": 4}})
    reference = run_sft(cfg, tmp_path / "ref")
    with monkeypatch.context() as patch:
        _crash_at(patch, reference.steps - 1)
        with pytest.raises(RuntimeError):
            run_sft(cfg, tmp_path / "r")
    resumed = run_sft(cfg, tmp_path / "r")
    assert resumed.final_loss == reference.final_loss and resumed.steps == reference.steps
    _assert_same_weights(tmp_path / "ref", tmp_path / "r")
    steps = [r["step"] for r in read_metrics(tmp_path / "r") if r["phase"] == "sft"]
    assert steps == list(range(1, reference.steps + 1))
