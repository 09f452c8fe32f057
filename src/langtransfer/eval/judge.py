"""Response-quality judges behind one interface, chosen by name: five dimensions scored 0-3.

The paper (Zhao et al. 2024, Tables 1 and 3) had GPT-4 rate each answer on accuracy, fluency,
informativeness, logicality and harmlessness, 0-3 each, given the question and a reference
answer. Two judges implement that here:

- `openai`: any OpenAI-compatible chat endpoint (OpenAI, a local vLLM server) through the
  official client; the rubric prompt of the answer's language is data (eval/rubrics/<lang>.yaml,
  versioned); replies are parsed strictly with one repair turn; transport failures are retried
  with exponential backoff; every verdict is cached on disk (eval/judge_openai.py).
- `miniworld`: the deterministic MiniWorld judge (miniworld/judge.py) against ground truth.

    judge = make_judge(JudgeConfig(name="openai", model="gpt-4o-mini"), lang="zh")
    verdict = judge.judge({"question": ..., "reference": ...}, response)

Exercised by `langtransfer eval quality` (eval/quality.py) and tests/unit/eval/test_eval_judge_*.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

import yaml
from pydantic import Field

from langtransfer.config import BaseConfig
from langtransfer.errors import ConfigError, DataError
from langtransfer.files import append_jsonl, read_jsonl, sha256_text
from langtransfer.langs import get_lang, rubric_path

DIMENSIONS = ("accuracy", "fluency", "informativeness", "logicality", "harmlessness")
"""LLM-Eval's five dimensions, in the paper's order."""
MAX_SCORE = 3
_PLACEHOLDER = re.compile(r"\{(question|reference|response|language|problem)\}")
_FENCE = re.compile(r"^```(?:json)?\s*\n(.*)\n```$", re.S)


class JudgeConfig(BaseConfig):
    """Which judge scores the answers, and its settings."""

    name: str = "miniworld"
    """Registry name: openai | miniworld."""
    world: str | None = None
    """miniworld: the MiniWorld directory (default: two folders above the questions file)."""
    model: str = "gpt-4o-mini"
    """openai: the judge model's name at the endpoint."""
    base_url: str | None = None
    """openai: endpoint base URL (None: $OPENAI_BASE_URL, else OpenAI's)."""
    api_key_env: str = "OPENAI_API_KEY"
    """openai: environment variable holding the key (keys are never read from or written to
    config files, logs or caches)."""
    timeout_s: float = Field(60.0, gt=0)
    """openai: seconds before a request counts as timed out (then retried)."""
    max_retries: int = Field(5, ge=0)
    """openai: retries after a timeout, 429, 5xx or connection error before giving up."""
    backoff_s: float = Field(1.0, ge=0)
    """openai: first retry wait; doubles each retry (a 429's Retry-After wins when given)."""
    max_backoff_s: float = Field(60.0, ge=0)
    """openai: cap on one wait."""
    max_tokens: int = Field(300, gt=0)
    """openai: completion cap of one judge reply."""
    price_prompt_per_1k: float = Field(0.0, ge=0)
    """openai: cost of 1,000 prompt tokens (any currency; the manifest sums it)."""
    price_completion_per_1k: float = Field(0.0, ge=0)
    """openai: cost of 1,000 completion tokens."""
    cache_dir: str | None = None
    """openai: folder of the verdict cache (None: $LANGTRANSFER_CACHE/judge, else
    ~/.cache/langtransfer/judge)."""


@dataclass
class Verdict:
    """One judged answer."""

    scores: dict[str, int] | None
    """The five dimensions, 0-3 each; None when the item failed."""
    reason: str = ""
    """The judge's short explanation."""
    error: str | None = None
    """Why the item has no scores (unparseable reply after the repair turn, ...)."""
    cached: bool = False
    """True when the verdict came from the cache (no request made)."""

    @property
    def avg(self) -> float | None:
        """Mean of the five dimensions (the paper's AVG)."""
        return None if self.scores is None else sum(self.scores.values()) / len(DIMENSIONS)

    @property
    def avg_no_h(self) -> float | None:
        """Mean without harmlessness, which sits at ceiling and inflates AVG."""
        if self.scores is None:
            return None
        return sum(self.scores[d] for d in DIMENSIONS[:4]) / 4

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe record with avg and avg_no_h added."""
        return {**asdict(self), "avg": self.avg, "avg_no_h": self.avg_no_h}


class Judge(Protocol):
    """What every judge offers."""

    name: str

    def judge(self, item: dict, response: str) -> Verdict:
        """Score `response` to the question row `item` ({question, reference, ...})."""

    def stats(self) -> dict[str, Any]:
        """Counters for the manifest (calls, cache hits, tokens, cost, ...)."""


JudgeFactory = Callable[[JudgeConfig, str, dict], Judge]
JUDGES: dict[str, JudgeFactory] = {}


def register_judge(name: str) -> Callable[[JudgeFactory], JudgeFactory]:
    """Decorator: make a judge factory `(cfg, lang, context) -> Judge` available by name."""
    def add(factory: JudgeFactory) -> JudgeFactory:
        JUDGES[name] = factory
        return factory
    return add


def make_judge(cfg: JudgeConfig, lang: str, context: dict | None = None) -> Judge:
    """Build the judge `cfg.name` for answers in `lang`.

    Args:
        cfg: judge settings.
        lang: ISO code of the answers (picks the rubric / the MiniWorld lexicon).
        context: what the caller knows that a judge may need ({"questions": path}).

    Raises:
        ConfigError: unknown judge or language name.
    """
    get_lang(lang)
    if cfg.name not in JUDGES:
        raise ConfigError(f"judge.name: unknown judge '{cfg.name}' (known: "
                          f"{', '.join(sorted(JUDGES))})")
    return JUDGES[cfg.name](cfg, lang, context or {})


# ------------------------------------------------------------------ rubrics


@dataclass(frozen=True)
class Rubric:
    """A language's judge prompt (eval/rubrics/<lang>.yaml)."""

    lang: str
    version: str
    language: str
    system: str
    user: str
    repair: str
    native: bool = True

    def messages(self, question: str, reference: str, response: str) -> list[dict]:
        """The chat messages asking for the five scores of one answer."""
        values = {"question": question, "reference": reference or "-", "response": response,
                  "language": self.language}
        return [{"role": "system", "content": _fill(self.system, values)},
                {"role": "user", "content": _fill(self.user, values)}]

    def repair_message(self, problem: str) -> dict:
        """The follow-up asking for valid JSON after an unparseable reply."""
        return {"role": "user", "content": _fill(self.repair, {"problem": problem,
                                                               "language": self.language})}


def _fill(text: str, values: dict[str, str]) -> str:
    # One pass, so a placeholder inside a question or answer is never substituted again; the
    # JSON braces of the rubric's example stay as they are (str.format would choke on them).
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text).strip()


def load_rubric(lang: str) -> Rubric:
    """The rubric of `lang` (one-line ConfigError for an unknown language or a bad file)."""
    path = rubric_path(lang)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    keys = ("lang", "version", "language", "system", "user", "repair")
    missing = [k for k in keys if not isinstance(data, dict) or not data.get(k)]
    if missing:
        raise ConfigError(f"{path}: missing field '{missing[0]}'")
    if data["lang"] != lang:
        raise ConfigError(f"{path}: lang is '{data['lang']}', expected '{lang}'")
    return Rubric(**{k: str(data[k]) for k in keys}, native=bool(data.get("native", True)))


# ------------------------------------------------------------------ parsing


class ScoreError(ValueError):
    """A judge reply that is not a valid grade (the message says what is wrong)."""


def parse_scores(text: str) -> tuple[dict[str, int], str]:
    """Strictly parse a judge reply: one JSON object with the five integer scores in 0-3.

    A ```json fence around the object is allowed; nothing else is. Scores out of range are an
    error, never clamped.

    Returns:
        (scores, reason).

    Raises:
        ScoreError: not JSON, not an object, a dimension missing, not an integer or out of range.
    """
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        raise ScoreError("not a JSON object") from None
    if not isinstance(data, dict):
        raise ScoreError(f"JSON {type(data).__name__}, not an object")
    scores = {}
    for dim in DIMENSIONS:
        if dim not in data:
            raise ScoreError(f"'{dim}' missing")
        value = data[dim]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScoreError(f"'{dim}' is {value!r}, not an integer")
        if not 0 <= value <= MAX_SCORE:
            raise ScoreError(f"'{dim}' = {value} is outside 0-{MAX_SCORE}")
        scores[dim] = value
    reason = data.get("reason", "")
    return scores, reason if isinstance(reason, str) else json.dumps(reason, ensure_ascii=False)


# ------------------------------------------------------------------ cache


@dataclass
class VerdictCache:
    """Verdicts on disk (JSONL, appended and fsync'd per verdict), keyed by
    (judge model, rubric version, question, reference, answer): a rerun or a restart after a
    crash never pays for an item twice."""

    path: Path
    entries: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def open(cls, folder: str | Path) -> "VerdictCache":
        """Load (or start) `folder`/verdicts.jsonl."""
        path = Path(folder) / "verdicts.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = read_jsonl(path, strict=False) if path.is_file() else []
        return cls(path, {row["key"]: row for row in rows if "key" in row})

    @staticmethod
    def key(model: str, rubric_version: str, question: str, reference: str, answer: str) -> str:
        """The cache key of one judgement."""
        return sha256_text(json.dumps([model, rubric_version, question, reference, answer],
                                      ensure_ascii=False))

    def get(self, key: str) -> dict | None:
        """A stored verdict record or None."""
        return self.entries.get(key)

    def put(self, key: str, record: dict) -> None:
        """Store a verdict record (durably, before the caller moves on)."""
        row = {"key": key, **record}
        append_jsonl(self.path, row)
        self.entries[key] = row


def default_judge_cache_dir() -> Path:
    """$LANGTRANSFER_CACHE/judge, else ~/.cache/langtransfer/judge."""
    from langtransfer.data.cache import default_cache_dir

    return default_cache_dir() / "judge"


# ------------------------------------------------------------------ the two judges


@register_judge("openai")
def _openai_judge(cfg: JudgeConfig, lang: str, context: dict) -> Judge:
    from langtransfer.eval.judge_openai import OpenAIJudge  # imports the openai client

    return OpenAIJudge(cfg, load_rubric(lang))


class MiniWorldRulesJudge:
    """The deterministic MiniWorld judge behind the Judge interface."""

    name = "miniworld"

    def __init__(self, world: str | Path, lang: str):
        """Load the world's ground truth for answers in `lang`."""
        from langtransfer.miniworld.judge import MiniWorldJudge  # lazy: a separate component

        self._judge = MiniWorldJudge(world, lang)
        self._n = 0

    def judge(self, item: dict, response: str) -> Verdict:
        """Score one answer; `item["source"]` is its open_eval.jsonl row (facts inside)."""
        source = item.get("source")
        if not isinstance(source, dict) or "facts" not in source:
            raise DataError(f"judge miniworld: item {item.get('id')} has no MiniWorld facts "
                            "(use --format miniworld on an open_eval.jsonl)")
        result = self._judge.score(source, response)
        self._n += 1
        reasons = "; ".join(f"{d}: {result['reasons'][d]}" for d in DIMENSIONS
                            if d in result.get("reasons", {}))
        return Verdict({d: int(result[d]) for d in DIMENSIONS}, reasons)

    def stats(self) -> dict[str, Any]:
        """Items scored (no calls, no cost)."""
        return {"judge": self.name, "items": self._n}


@register_judge("miniworld")
def _miniworld_judge(cfg: JudgeConfig, lang: str, context: dict) -> Judge:
    world = cfg.world
    if world is None and context.get("questions"):
        world = str(Path(context["questions"]).resolve().parent.parent)  # <world>/<lang>/file
    if world is None:
        raise ConfigError("judge.world: the MiniWorld directory is required for judge miniworld")
    return MiniWorldRulesJudge(world, lang)
