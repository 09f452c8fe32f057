"""The openai judge against a scripted local chat-completions server: timeouts, 429, non-JSON
replies, out-of-range scores, the verdict cache across restarts, the key never written, the
rubric of the answer's language, and one-line errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from judge_server import VALID, ScriptedServer

from langtransfer.errors import UserError
from langtransfer.eval.quality import QualityConfig, run
from langtransfer.files import read_jsonl, write_jsonl
from langtransfer.runs import read_manifest

KEY = "sk-test-secret-4242"
OUT_OF_RANGE = json.dumps({**VALID, "accuracy": 5})


@pytest.fixture
def api_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def _belle_answers(shared_data: Path, tmp_path: Path, n: int = 10) -> Path:
    lines = (shared_data / "belle" / "eval_set.json").read_text(encoding="utf-8").splitlines()
    rows = [{"id": f"belle-{i:04d}", "response": json.loads(lines[i - 1])["std_answer"] or "好的。"}
            for i in range(1, n + 1)]
    write_jsonl(tmp_path / "answers.jsonl", rows)
    return tmp_path / "answers.jsonl"


def _cfg(questions, answers, url, cache, fmt="belle", **judge) -> QualityConfig:
    settings = {"name": "openai", "model": "judge-x", "base_url": url, "timeout_s": 0.5,
                "max_retries": 3, "backoff_s": 0.01, "cache_dir": str(cache),
                "price_prompt_per_1k": 0.01, "price_completion_per_1k": 0.03, **judge}
    return QualityConfig.from_dict({"questions": str(questions), "format": fmt, "limit": 10,
                                    "answers": str(answers), "judge": settings,
                                    "n_bootstrap": 50})


@pytest.mark.shared_data
def test_belle_with_scripted_failures_then_nothing_judged_twice(shared_data, tmp_path, api_key):
    questions = shared_data / "belle" / "eval_set.json"
    answers = _belle_answers(shared_data, tmp_path)
    valid = ("text", json.dumps(VALID))
    script = [("sleep", 1.2), valid,                            # item 1: timeout, retry
              ("status", 429, {"Retry-After": "0"}), valid,     # item 2: rate limited, retry
              ("text", "The answer is good, 3/3."), valid,      # item 3: not JSON, repair
              ("text", OUT_OF_RANGE), ("text", OUT_OF_RANGE)]   # item 4: bad twice -> failed
    with ScriptedServer(script) as srv:
        started = time.perf_counter()
        result = run(_cfg(questions, answers, srv.url, tmp_path / "cache"), tmp_path / "run1")
        elapsed = time.perf_counter() - started
        assert srv.hits == 14  # items 1-4 twice each, items 5-10 once
        rows = read_jsonl(tmp_path / "run1" / "judgments.jsonl")
        assert [r["id"] for r in rows] == [f"belle-{i:04d}" for i in range(1, 11)]
        assert rows[0]["scores"] == {k: v for k, v in VALID.items() if k != "reason"}
        assert rows[2]["scores"] is not None and rows[2]["error"] is None
        assert rows[3]["scores"] is None and "'accuracy' = 5 is outside 0-3" in rows[3]["error"]
        repair = srv.requests[5]["body"]["messages"]
        assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
        assert "not a JSON object" in repair[-1]["content"]
        assert srv.requests[0]["auth"] == f"Bearer {KEY}"
        stats = read_manifest(tmp_path / "run1")["judge"]
        assert stats["requests"] == 14 and stats["repairs"] == 2 and stats["failed"] == 1
        assert stats["retries"] == {"timeout": 1, "HTTP 429": 1}
        assert stats["prompt_tokens"] == 1200 and stats["completion_tokens"] == 240
        assert stats["cost"] == pytest.approx((1200 * 0.01 + 240 * 0.03) / 1000)
        overall = {r["metric"]: r for r in result.records if r["subset"] == "all"}
        assert overall["failed_items"]["value"] == 1 and overall["accuracy"]["n"] == 9
        assert overall["avg"]["value"] == pytest.approx(13 / 5)
        assert overall["avg_no_h"]["value"] == pytest.approx(10 / 4)
        assert elapsed < 8

        again = run(_cfg(questions, answers, srv.url, tmp_path / "cache"), tmp_path / "run2")
        assert srv.hits == 14  # a fresh run directory, same cache: nothing asked again
        assert all(r["cached"] for r in read_jsonl(tmp_path / "run2" / "judgments.jsonl"))
        assert [r["value"] for r in again.records] == [r["value"] for r in result.records]
    for path in [*tmp_path.rglob("*")]:
        if path.is_file():
            assert KEY not in path.read_text(encoding="utf-8", errors="replace"), path


@pytest.mark.shared_data
def test_restart_after_an_outage_judges_only_what_is_left(shared_data, tmp_path, api_key):
    questions = shared_data / "belle" / "eval_set.json"
    answers = _belle_answers(shared_data, tmp_path)
    outage = [("text", json.dumps(VALID))] * 4 + [("status", 503)] * 3
    with ScriptedServer(outage) as srv:
        cfg = _cfg(questions, answers, srv.url, tmp_path / "cache", max_retries=2)
        with pytest.raises(UserError, match=r"no answer after 3 attempts \(last: HTTP 503\)"):
            run(cfg, tmp_path / "run")
        assert srv.hits == 7
        run(cfg, tmp_path / "run")  # the server is back: 6 items left
        assert srv.hits == 13
    assert len(read_jsonl(tmp_path / "run" / "judgments.jsonl")) == 10


def test_rubric_follows_the_answer_language(tmp_path, api_key):
    rows = [{"id": "q1", "question": "天空是什么颜色？", "reference": "蓝色。", "lang": "zh"},
            {"id": "q1-sw", "question": "Anga lina rangi gani?", "reference": "Bluu.",
             "lang": "sw"}]
    write_jsonl(tmp_path / "q.jsonl", rows)
    write_jsonl(tmp_path / "a.jsonl", [{"id": "q1", "response": "蓝色。"},
                                       {"id": "q1-sw", "response": "Bluu."}])
    with ScriptedServer() as srv:
        for lang in ("zh", "sw"):
            cfg = _cfg(tmp_path / "q.jsonl", tmp_path / "a.jsonl", srv.url, tmp_path / "c",
                       fmt="jsonl").with_updates({"lang": lang})
            run(cfg, tmp_path / f"run-{lang}")
        zh, sw = (r["body"]["messages"] for r in srv.requests)
    assert "你是一名严格而公正的评审" in zh[0]["content"] and "通顺、自然的中文" in zh[0]["content"]
    assert "问题：\n天空是什么颜色？" in zh[1]["content"]
    assert "must be a response in Swahili" in sw[0]["content"]
    assert "Anga lina rangi gani?" in sw[1]["content"]
    assert read_manifest(tmp_path / "run-sw")["judge"]["rubric"] == "sw-v1"


def _one_question(tmp_path: Path) -> tuple[Path, Path]:
    write_jsonl(tmp_path / "q.jsonl", [{"id": "a", "question": "2+2?", "lang": "en"}])
    write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "response": "4"}])
    return tmp_path / "q.jsonl", tmp_path / "a.jsonl"


def test_missing_api_key_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    q, a = _one_question(tmp_path)
    with pytest.raises(UserError, match="environment variable OPENAI_API_KEY is not set") as exc:
        run(_cfg(q, a, "http://127.0.0.1:9/v1", tmp_path / "c", fmt="jsonl"), tmp_path / "run")
    assert "\n" not in str(exc.value)
    assert not (tmp_path / "run").exists()  # fails before the run directory is made


def test_unreachable_endpoint_is_one_line(tmp_path, api_key):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    q, a = _one_question(tmp_path)
    cfg = _cfg(q, a, f"http://127.0.0.1:{port}/v1", tmp_path / "c", fmt="jsonl", max_retries=1)
    with pytest.raises(UserError, match=r"no answer after 2 attempts \(last: connection error") as exc:
        run(cfg, tmp_path / "run")
    assert "\n" not in str(exc.value)


def test_client_errors_are_not_retried(tmp_path, api_key):
    q, a = _one_question(tmp_path)
    with ScriptedServer([("status", 401)]) as srv:
        with pytest.raises(UserError, match="HTTP 401"):
            run(_cfg(q, a, srv.url, tmp_path / "c", fmt="jsonl"), tmp_path / "run")
        assert srv.hits == 1
