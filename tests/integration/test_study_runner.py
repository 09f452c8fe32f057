"""The study runner on a real tiny study: parallel = serial, SIGKILL-safe resume, submitit.

Every test compares results.csv bytes with one uninterrupted single-worker run. Threads are
pinned (runner.threads_per_worker=1) so that stage configs — and so stage ids — are the same
whatever the worker count.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from test_study import TINY

from langtransfer.runs import is_done
from langtransfer.study import runner
from langtransfer.study.config import StudyConfig
from langtransfer.study.executors import pid_alive
from langtransfer.study.grid import plan
from langtransfer.study.layout import read_stage_log
from langtransfer.study.status import study_status

REPO = Path(__file__).resolve().parents[2]
# 13 stages: world, base, CPT 3k, SFT {10, 30} from CPT {0, 3k}, 6 evals
GRID = [*TINY, "arms=[]", "runner.threads_per_worker=1"]


def study(*overrides: str) -> StudyConfig:
    return StudyConfig.load(REPO / "studies" / "miniworld-zh.yaml", [*GRID, *overrides])


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> bytes:
    """results.csv of an uninterrupted run with one worker."""
    out = tmp_path_factory.mktemp("serial")
    runner.run_study(study("runner.workers=1"), out)
    return (out / "results.csv").read_bytes()


def _intervals_overlap(rows: list[dict]) -> bool:
    done = sorted((r["started"], r["finished"]) for r in rows if r["event"] == "done")
    return any(b[0] < a[1] for a, b in zip(done, done[1:]))


@pytest.mark.slow
def test_two_workers_give_the_serial_results(reference, tmp_path):
    runner.run_study(study("runner.workers=2"), tmp_path)
    assert (tmp_path / "results.csv").read_bytes() == reference
    rows = read_stage_log(tmp_path)
    assert {r["worker"] for r in rows if r["event"] == "done"} == {0, 1}
    assert _intervals_overlap(rows)  # two stages really ran at once


def _start_cli(out: Path) -> subprocess.Popen:
    sets = [arg for item in GRID for arg in ("--set", item)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"),
                                                        os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "langtransfer", "study", "run",
                             "studies/miniworld-zh.yaml", "--out", str(out), *sets,
                             "--set", "runner.workers=2"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _starts(out: Path) -> list[dict]:
    return [r for r in read_stage_log(out) if r["event"] == "start"]


def _kill_after_progress(proc: subprocess.Popen, out: Path, new_starts: int, delay: float) -> list:
    """SIGKILL the runner `delay` s after `new_starts` more stages started; their pids."""
    before = len(_starts(out))
    deadline = time.time() + 120
    while len(_starts(out)) < before + new_starts and proc.poll() is None:
        assert time.time() < deadline, "the runner made no progress in 120 s"
        time.sleep(0.05)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return [r["pid"] for r in _starts(out)[before:]]


def _wait_dead(pids: list[int], seconds: float = 10.0) -> list[int]:
    deadline = time.time() + seconds
    while time.time() < deadline and any(pid_alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if pid_alive(p)]


@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing(reference, tmp_path):
    seed = int(os.environ.get("LANGTRANSFER_KILL_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    why = f"(kill seed {seed}: rerun with LANGTRANSFER_KILL_SEED={seed})"
    out = tmp_path / "study"
    kills = 0
    # the first kill may land before any stage (imports, forkserver start); the rest after
    # 1-3 more stages started, up to 1.5 s into them (mid-training, mid-checkpoint, mid-eval)
    for n_starts in (0, *(rng.randint(1, 3) for _ in range(4))):
        proc = _start_cli(out)
        if n_starts == 0:
            time.sleep(rng.uniform(0.5, 5.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            orphans = _wait_dead([r["pid"] for r in _starts(out)])
        else:
            orphans = _wait_dead(_kill_after_progress(proc, out, n_starts, rng.uniform(0, 1.5)))
        if proc.returncode == 0:  # finished before the kill
            break
        kills += 1
        assert not orphans, f"stage processes {orphans} outlived the killed runner {why}"
        if (out / "study.yaml").is_file():
            assert study_status(out)["counts"]["running"] == 0, why  # dead holders: no locks
    proc = _start_cli(out)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-2000:]
    assert kills >= 3, why
    assert (out / "results.csv").read_bytes() == reference, why
    done = Counter(r["stage"] for r in read_stage_log(out) if r["event"] == "done")
    assert max(done.values()) == 1, f"a finished stage ran again {why}"
    cfg = runner.load_study_config(out)
    assert all(is_done(st.path, st.cfg.config_hash()) for st in plan(cfg, out))
    assert "Claims" in err or "C1" in err  # the claim table ends the run


@pytest.mark.slow
def test_submitit_local_executor_runs_stages_to_done(reference, tmp_path, monkeypatch):
    pytest.importorskip("submitit")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO / "src"),
                                                      os.environ.get("PYTHONPATH", "")]))
    cfg = study("axes.cpt_tokens=[0]", "axes.sft_examples=[10]", "runner.executor=submitit",
                "runner.submitit={cluster: local, timeout_min: 10}")
    runner.run_study(cfg, tmp_path)
    stages = plan(runner.load_study_config(tmp_path), tmp_path)
    assert [st.kind for st in stages] == ["world", "base", "eval", "sft", "eval"]
    assert all(is_done(st.path, st.cfg.config_hash()) for st in stages)
    assert list((tmp_path / "submitit").glob("*_log.out"))  # submitit's own job logs
    # the same stage configs give the same numbers as the local executor's run
    ours = (tmp_path / "results.csv").read_text().splitlines()
    theirs = set(reference.decode().splitlines())
    arms = {line.split(",")[0] for line in ours[1:]}
    assert arms == {"base", "cpt0-sft10"} and set(ours) <= theirs
