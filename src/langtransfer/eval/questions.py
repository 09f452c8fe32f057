"""Open-question sets as data: one loader per source layout, chosen by format name.

Every loader returns rows `{id, category, question, reference, lang}` (plus `source`, the
original row, where a judge needs more — the MiniWorld facts). Formats:

| name | file | id | category | reference | lang |
|---|---|---|---|---|---|
| miniworld | `<world>/<lang>/open_eval.jsonl` | id | category | reference | lang |
| belle | BELLE `eval_set.json` (JSON lines: question, std_answer, class) | belle-<line> | class | std_answer (may be empty) | zh |
| llmeval2 | LLMEval-2 `data/<Subject>_data.json` (a JSON array of dialogs) or its folder | question_uuid | subject | hint | zh |
| jsonl | users' own sets, one JSON object a line (layout below) | id | category | reference | lang |

The `jsonl` layout (e.g. LLM-Eval translated into the paper's 13 languages, one file per
language or one file with a `lang` column): `{"id": str, "question": str, "category": str
(optional, default "all"), "reference": str (optional), "lang": ISO code (optional: --lang)}`.

    rows = load_questions("../shared/data/belle/eval_set.json", "belle", limit=10)

Exercised by `langtransfer eval quality` and tests/unit/eval/test_eval_quality_questions.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from langtransfer.errors import ConfigError, DataError
from langtransfer.files import read_jsonl
from langtransfer.langs import get_lang

Loader = Callable[[Path], list[dict]]
QUESTION_FORMATS: dict[str, Loader] = {}


def register_format(name: str) -> Callable[[Loader], Loader]:
    """Decorator: add a question-set loader `path -> rows` under `name`."""
    def add(loader: Loader) -> Loader:
        QUESTION_FORMATS[name] = loader
        return loader
    return add


def load_questions(path: str | Path, fmt: str, lang: str | None = None,
                   limit: int = 0) -> list[dict]:
    """Read an open-question set.

    Args:
        path: the file (llmeval2: a file or its data folder).
        fmt: a QUESTION_FORMATS name.
        lang: keep only rows of this language (required when the file mixes languages).
        limit: first N rows after the language filter (0 = all).

    Raises:
        ConfigError: unknown format or language.
        DataError: missing file, a row without a required field, duplicate ids, no rows.
    """
    path = Path(path)
    rows = read_question_file(path, fmt)
    if lang is not None:
        get_lang(lang)
        rows = [{**row, "lang": row["lang"] or lang} for row in rows]  # jsonl rows may omit it
        rows = [row for row in rows if row["lang"] == lang]
    unset = next((row["id"] for row in rows if not row["lang"]), None)
    if unset is not None:
        raise DataError(f"{path}: question '{unset}' has no 'lang'; pass --lang")
    langs = sorted({row["lang"] for row in rows})
    if len(langs) > 1:
        raise DataError(f"{path}: questions in several languages ({', '.join(langs)}); "
                        "pick one with --lang")
    if not rows:
        raise DataError(f"{path}: no questions{f' in language {lang}' if lang else ''}")
    return rows[:limit] if limit else rows


def read_question_file(path: str | Path, fmt: str) -> list[dict]:
    """Every row of a question file, all languages, no limit (ids checked unique).

    Raises:
        ConfigError: unknown format.
        DataError: missing file, bad rows, duplicate ids.
    """
    if fmt not in QUESTION_FORMATS:
        raise ConfigError(f"--format: unknown question format '{fmt}' (known: "
                          f"{', '.join(sorted(QUESTION_FORMATS))})")
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: question file not found")
    rows = QUESTION_FORMATS[fmt](path)
    _check_unique(rows, path)
    return rows


def _check_unique(rows: list[dict], path: Path) -> None:
    seen: set[str] = set()
    for row in rows:
        if row["id"] in seen:
            raise DataError(f"{path}: duplicate question id '{row['id']}'")
        seen.add(row["id"])


def _row(id_: str, question: str, category: str, reference: str, lang: str, **extra) -> dict:
    return {"id": str(id_), "category": category, "question": question,
            "reference": reference, "lang": lang, **extra}


def _require(row: object, keys: tuple[str, ...], where: str) -> dict:
    if not isinstance(row, dict):
        raise DataError(f"{where}: expected a JSON object")
    for key in keys:
        if not isinstance(row.get(key), str) or not row[key].strip():
            raise DataError(f"{where}: missing or empty field '{key}'")
    return row


@register_format("miniworld")
def _miniworld(path: Path) -> list[dict]:
    rows = []
    for n, raw in enumerate(read_jsonl(path), 1):
        raw = _require(raw, ("id", "question", "lang"), f"{path}:{n}")
        if not isinstance(raw.get("facts"), list):
            raise DataError(f"{path}:{n}: missing field 'facts' (not a MiniWorld open_eval.jsonl?)")
        rows.append(_row(raw["id"], raw["question"], raw.get("category", "all"),
                         raw.get("reference", ""), raw["lang"], source=raw))
    return rows


@register_format("belle")
def _belle(path: Path) -> list[dict]:
    # BELLE's eval_set.json is JSON lines despite its name (1000 lines); its class 'closed qa'
    # is written with a NO-BREAK SPACE (U+00A0), normalised here so categories group as one.
    rows = []
    for n, raw in enumerate(read_jsonl(path), 1):
        raw = _require(raw, ("question",), f"{path}:{n}")
        category = " ".join(str(raw.get("class", "all")).replace("\u00a0", " ").split())
        rows.append(_row(f"belle-{n:04d}", raw["question"], category,
                         str(raw.get("std_answer") or ""), "zh"))
    return rows


@register_format("llmeval2")
def _llmeval2(path: Path) -> list[dict]:
    # Each file holds 40 questions x 20 models; a question is its first dialog turn, once.
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise DataError(f"{path}: no *.json files")
    rows, seen = [], set()
    for file in files:
        for n, raw in enumerate(_json_array(file), 1):
            raw = _require(raw, ("question_uuid",), f"{file}: element {n}")
            if raw["question_uuid"] in seen:
                continue
            seen.add(raw["question_uuid"])
            dialog = raw.get("dialog") or []
            if not dialog or not isinstance(dialog[0], dict) or "content" not in dialog[0]:
                raise DataError(f"{file}: element {n}: 'dialog' has no first turn")
            subject = raw["question_uuid"].rsplit("_", 1)[0]
            rows.append(_row(raw["question_uuid"], dialog[0]["content"], subject,
                             str(raw.get("hint") or ""), "zh", type=raw.get("type")))
    return rows


def _json_array(file: Path) -> list:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{file}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, list):
        raise DataError(f"{file}: expected a JSON array of dialogs")
    return data


@register_format("jsonl")
def _user_jsonl(path: Path) -> list[dict]:
    rows = []
    for n, raw in enumerate(read_jsonl(path), 1):
        raw = _require(raw, ("id", "question"), f"{path}:{n}")
        lang = raw.get("lang")
        if lang is not None:
            try:
                get_lang(str(lang))
            except ConfigError as exc:
                raise DataError(f"{path}:{n}: field 'lang': {exc}") from None
        rows.append(_row(raw["id"], raw["question"], str(raw.get("category") or "all"),
                         str(raw.get("reference") or ""), str(lang or "")))
    return rows


def read_answers(path: str | Path, questions: list[dict],
                 all_ids: set[str] | None = None) -> dict[str, str]:
    """Existing answers (JSONL `{id, response}`) matched to the question set.

    Args:
        path: the answers file.
        questions: the questions to be judged (each needs an answer).
        all_ids: every id of the question set before --limit (answers may cover those).

    Raises:
        DataError: a bad line, or ids that do not match: names the first unmatched id.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: answers file not found")
    known = all_ids or {q["id"] for q in questions}
    answers: dict[str, str] = {}
    for n, row in enumerate(read_jsonl(path), 1):
        if not isinstance(row, dict) or "id" not in row or not isinstance(row.get("response"), str):
            raise DataError(f"{path}:{n}: expected {{\"id\", \"response\": str}}")
        if str(row["id"]) not in known:
            raise DataError(f"{path}:{n}: answer id '{row['id']}' is not in the question set")
        answers[str(row["id"])] = row["response"]
    for q in questions:
        if q["id"] not in answers:
            raise DataError(f"{path}: no answer for question id '{q['id']}'")
    return answers
