"""The `openai` judge: an OpenAI-compatible chat endpoint grading answers on the rubric.

One judgement = the rubric's system + user messages -> a reply that must be one JSON object
with the five integer scores in 0-3 (eval.judge.parse_scores). An unparseable reply (not JSON,
a key missing, a score out of range) gets ONE repair turn: the reply and a follow-up asking for
valid JSON are appended and the endpoint asked again; a second failure makes the item a failed
item with the parse problem as its reason (never clamped, never guessed).

Transport: the client's own retries are off (max_retries=0) so the policy is explicit and
tested: a timeout, HTTP 429, HTTP 5xx or a refused connection is retried up to
`max_retries` times, waiting backoff_s * 2**attempt (capped at max_backoff_s), or the 429's
Retry-After when the server sends one. Other HTTP errors (401, 404, ...) and exhausted retries
stop the run with a one-line UserError; the verdicts already cached survive, so the restart
pays only for what is left.

The API key is read from the environment variable named by `api_key_env` and handed to the
client only; it is never stored on this object's public state, in the cache or the manifest.

Exercised by `langtransfer eval quality --judge openai` and
tests/unit/eval/test_eval_judge_openai.py (a scripted local chat-completions server).
"""

from __future__ import annotations

import os
import time
from typing import Any

from langtransfer.errors import UserError
from langtransfer.eval.judge import (JudgeConfig, Rubric, ScoreError, VerdictCache, Verdict,
                                     default_judge_cache_dir, parse_scores)

_RETRY_STATUS = 500  # HTTP status from which a reply counts as a server error worth retrying


class OpenAIJudge:
    """Grades answers through an OpenAI-compatible chat-completions endpoint."""

    name = "openai"

    def __init__(self, cfg: JudgeConfig, rubric: Rubric):
        """Check the key, build the client, open the verdict cache.

        Raises:
            UserError: the key's environment variable is unset or empty.
        """
        import openai

        key = os.environ.get(cfg.api_key_env, "")
        if not key:
            raise UserError(f"judge openai: environment variable {cfg.api_key_env} is not set "
                            "(the API key is read from the environment only; a local server "
                            "that needs none accepts any value, e.g. EMPTY)")
        self.cfg, self.rubric = cfg, rubric
        self._client = openai.OpenAI(api_key=key, base_url=cfg.base_url, timeout=cfg.timeout_s,
                                     max_retries=0)
        self.endpoint = str(self._client.base_url)
        self.cache = VerdictCache.open(cfg.cache_dir or default_judge_cache_dir())
        self.counts = {"requests": 0, "cache_hits": 0, "judged": 0, "repairs": 0, "failed": 0,
                       "prompt_tokens": 0, "completion_tokens": 0}
        self.retries: dict[str, int] = {}

    # ------------------------------------------------------------ Judge interface

    def judge(self, item: dict, response: str) -> Verdict:
        """Score one answer (from the cache when this exact judgement was made before)."""
        key = VerdictCache.key(self.cfg.model, self.rubric.version, item["question"],
                               item.get("reference") or "", response)
        hit = self.cache.get(key)
        if hit is not None:
            self.counts["cache_hits"] += 1
            return Verdict(hit["scores"], hit.get("reason", ""), hit.get("error"), cached=True)
        verdict, usage = self._grade(item, response)
        self.cache.put(key, {"model": self.cfg.model, "rubric": self.rubric.version,
                             "scores": verdict.scores, "reason": verdict.reason,
                             "error": verdict.error, "usage": usage})
        self.counts["judged"] += 1
        self.counts["failed"] += verdict.error is not None
        return verdict

    def stats(self) -> dict[str, Any]:
        """Requests, cache hits, repairs, failures, retries by cause, tokens and cost."""
        cost = (self.counts["prompt_tokens"] * self.cfg.price_prompt_per_1k
                + self.counts["completion_tokens"] * self.cfg.price_completion_per_1k) / 1000
        return {"judge": self.name, "model": self.cfg.model, "endpoint": self.endpoint,
                "rubric": self.rubric.version, **self.counts, "retries": dict(self.retries),
                "cost": round(cost, 6)}

    # ------------------------------------------------------------ one judgement

    def _grade(self, item: dict, response: str) -> tuple[Verdict, dict[str, int]]:
        messages = self.rubric.messages(item["question"], item.get("reference") or "", response)
        usage = {"prompt_tokens": 0, "completion_tokens": 0}
        reply = self._chat(messages, usage)
        try:
            scores, reason = parse_scores(reply)
            return Verdict(scores, reason), usage
        except ScoreError as first:
            problem = str(first)
        self.counts["repairs"] += 1
        messages += [{"role": "assistant", "content": reply}, self.rubric.repair_message(problem)]
        reply = self._chat(messages, usage)
        try:
            scores, reason = parse_scores(reply)
            return Verdict(scores, reason), usage
        except ScoreError as second:
            return Verdict(None, "", f"unparseable judge reply after one repair: {second} "
                                     f"(first reply: {problem})"), usage

    def _chat(self, messages: list[dict], usage: dict[str, int]) -> str:
        """One completion's text, with the retry policy of the module docstring."""
        import openai

        last = ""
        for attempt in range(self.cfg.max_retries + 1):
            wait = min(self.cfg.max_backoff_s, self.cfg.backoff_s * 2 ** attempt)
            try:
                self.counts["requests"] += 1
                resp = self._client.chat.completions.create(
                    model=self.cfg.model, messages=messages, temperature=0,
                    max_tokens=self.cfg.max_tokens)
            except openai.APITimeoutError:
                last = "timeout"
            except openai.APIConnectionError as exc:
                last = f"connection error ({exc.__cause__ or exc})"
            except openai.APIStatusError as exc:
                if exc.status_code != 429 and exc.status_code < _RETRY_STATUS:
                    raise UserError(f"judge endpoint {self.endpoint}: HTTP {exc.status_code} "
                                    f"({_short(exc.message)})") from None
                last = f"HTTP {exc.status_code}"
                wait = _retry_after(exc, wait, self.cfg.max_backoff_s)
            else:
                self._count_usage(resp, usage)
                return resp.choices[0].message.content or ""
            cause = last.split(" (")[0]
            self.retries[cause] = self.retries.get(cause, 0) + (attempt < self.cfg.max_retries)
            if attempt < self.cfg.max_retries:
                time.sleep(wait)
        raise UserError(f"judge endpoint {self.endpoint}: no answer after "
                        f"{self.cfg.max_retries + 1} attempts (last: {_short(last)}); verdicts "
                        "so far are cached, rerun to continue")

    def _count_usage(self, resp: Any, usage: dict[str, int]) -> None:
        got = getattr(resp, "usage", None)
        for name in ("prompt_tokens", "completion_tokens"):
            n = int(getattr(got, name, 0) or 0)
            usage[name] += n
            self.counts[name] += n


def _retry_after(exc: Any, default: float, cap: float) -> float:
    """A 429/503's Retry-After (seconds) when present and numeric, else `default`."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    try:
        return min(cap, max(0.0, float(headers.get("retry-after"))))
    except (TypeError, ValueError):
        return default


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "…"
