"""`accelerate launch` with 2 CPU processes (gloo): the same CPT command gives the per-step losses
and retention numbers of a single process on the same global batch, and only rank 0 writes.

ENVIRONMENT.md: `accelerate launch --cpu --num_processes 2` silently starts ONE process, so the
launch uses `--multi_gpu` (on a machine without CUDA the processes join a gloo group).
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from langtransfer.runs import is_done, read_metrics
from langtransfer.train.config import CPTConfig

REPO = Path(__file__).resolve().parents[2]
ZH = ["塔维·卢莫出生于纳鲁。他是一名教师，喜欢下棋。", "米拉生于1978年，以教书为业。",
      "卡索是在维斯卡出生的，从事医生工作。"]


def _english(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    names = ["Tavi", "Mira", "Kaso", "Luno", "Rika", "Somo"]
    return [f"{rng.choice(names)} was born in {rng.choice(names)}ville in "
            f"{rng.randint(1940, 2005)}." for _ in range(n)]


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict[str, Path]:
    """A 300-piece tokenizer and a 2-layer hidden-32 LLaMA, with Chinese and English text."""
    from langtransfer.modeling import save_model_and_tokenizer
    from langtransfer.train.config import ArchConfig
    from langtransfer.train.model import build_llama
    from langtransfer.vocab.train import copy_sp_model, hf_tokenizer_from_sp, train_sentencepiece

    root = tmp_path_factory.mktemp("ddp")
    en = root / "en.txt"
    en.write_text("\n".join(_english(300, 0)) + "\n", encoding="utf-8")
    zh = root / "zh.txt"
    zh.write_text("\n".join(ZH * 40) + "\n", encoding="utf-8")
    held = root / "en_held.txt"
    held.write_text("\n".join(_english(9, 1)) + "\n", encoding="utf-8")
    tok = hf_tokenizer_from_sp(train_sentencepiece([en], 300, root / "sp"), root / "tok")
    arch = ArchConfig(n_layers=2, hidden=32, heads=2, ffn=64, max_seq_len=128)
    model = build_llama(arch, len(tok), tok.bos_token_id, tok.eos_token_id, tok.pad_token_id, 0)
    save_model_and_tokenizer(model, tok, root / "model")
    copy_sp_model(root / "tok", root / "model")
    return {"root": root, "model": root / "model", "en": en, "zh": zh, "held": held}


def _cfg(setup, grad_accum: int) -> CPTConfig:
    return CPTConfig.from_dict({
        "model": str(setup["model"]), "seq_len": 32, "threads": 1, "log_every": 1,
        # 1564 tokens: 48 full blocks + a tail = 25 micro-batches of 2, so the last step has
        # one micro-batch for two processes (one runs a zero-weight batch)
        "tokens": 1564, "checkpoint_every": 2,
        "data": [{"path": str(setup["zh"]), "lang": "zh", "fraction": 0.7},
                 {"path": str(setup["en"]), "lang": "en", "fraction": 0.3}],
        "optim": {"lr": 1e-2, "batch_size": 2, "grad_accum": grad_accum},
        "eval_every": 3, "eval_docs": 9, "eval_texts": {"en": str(setup["held"])},
    })


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_match_one_on_the_same_global_batch(setup, tmp_path):
    from langtransfer.train.cpt import run

    single = run(_cfg(setup, grad_accum=4), tmp_path / "single")  # 1 process x 4 micro-batches
    config = tmp_path / "ddp.yaml"
    config.write_text(yaml.safe_dump(_cfg(setup, grad_accum=2).to_dict()))  # 2 x 2
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu",
               "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
               "--dynamo_backend", "no", "--main_process_port", str(_free_port()),
               "-m", "langtransfer", "train", "cpt", str(config), "--out", str(tmp_path / "ddp")]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
    res = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert is_done(tmp_path / "ddp")
    a, b = read_metrics(tmp_path / "single"), read_metrics(tmp_path / "ddp")
    assert [(r["phase"], r.get("step")) for r in a] == [(r["phase"], r.get("step")) for r in b]
    losses_a = [r["loss"] for r in a if r["phase"] == "cpt"]
    losses_b = [r["loss"] for r in b if r["phase"] == "cpt"]
    assert len(losses_a) == single.steps == 7
    assert losses_b == pytest.approx(losses_a, abs=1e-5)
    bpb_a = [r["bpb"] for r in a if r["phase"] == "retention"]
    bpb_b = [r["bpb"] for r in b if r["phase"] == "retention"]
    assert len(bpb_a) == 4 and bpb_b == pytest.approx(bpb_a, rel=1e-5)
    manifest = json.loads((tmp_path / "ddp" / "manifest.json").read_text())
    assert manifest["result"]["tokens"] == single.tokens == 1564
    assert not (tmp_path / "ddp" / "checkpoints").exists()  # written during the run, then removed
