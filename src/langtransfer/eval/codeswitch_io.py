"""Inputs and reports of `langtransfer eval codeswitch`: the treebank check and response files.

    langtransfer eval codeswitch --conllu ../shared/data/ud/qtd_sagt-ud-test.conllu --json
    langtransfer eval codeswitch --responses ../shared/data/llmeval2/data --lang zh --by-model

Treebank: CoNLL-U with gold per-token language in MISC (`CSID=TR|DE|LANG3|MIXED|OTHER`,
`Lang=tr|de`, as in UD Turkish_German-SAGT). Every token is tagged; accuracy counts only tokens
whose CSID is a language of the tagger (TR or DE), not OTHER (punctuation), LANG3 (a third
language, e.g. English), MIXED (a Turkish suffix on a German stem) or multi-word-token lines.
Responses: JSONL rows with `response` (and `id`, optionally `model`/`llm_name`), or LLMEval-2's
JSON arrays (`llm_name`, a `dialog` whose `llm` turn is the answer); a folder reads every
*.json / *.jsonl in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from langtransfer.errors import DataError
from langtransfer.files import read_jsonl_objects
from langtransfer.eval.codeswitch import MAX_EVIDENCE, SWITCH_PENALTY, tag_words
from langtransfer.eval.scripts import tokenize

OTHER = "other"
"""Predicted label of tokens with no letters (punctuation, numbers)."""
TREEBANK_BIAS = {"tr": 0.0, "de": 0.0}
"""Per-word prior of the treebank tagger (nats); see benchmarks/codeswitch_sagt.py."""


@dataclass(frozen=True)
class GoldToken:
    sent_id: str
    index: str
    form: str
    gold: str
    """tr / de for language tokens; the CSID lower-cased otherwise (other, lang3, mixed)."""


def read_conllu(path: str | Path) -> list[list[GoldToken]]:
    """Sentences of gold-tagged tokens (multi-word-token ranges and empty nodes skipped)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such CoNLL-U file")
    sentences, current, sent_id = [], [], ""
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            if current:
                sentences.append(current)
            current = []
        elif line.startswith("# sent_id"):
            sent_id = line.split("=", 1)[1].strip()
        elif not line.startswith("#"):
            cols = line.split("\t")
            if len(cols) != 10:
                raise DataError(f"{path}:{lineno}: expected 10 tab-separated columns, got {len(cols)}")
            if "-" in cols[0] or "." in cols[0]:
                continue
            misc = dict(kv.split("=", 1) for kv in cols[9].split("|") if "=" in kv)
            csid = misc.get("CSID", "").lower() or misc.get("Lang", OTHER)
            current.append(GoldToken(sent_id, cols[0], cols[1], csid))
    if current:
        sentences.append(current)
    if not sentences:
        raise DataError(f"{path}: no sentences")
    return sentences


def _has_letters(form: str) -> bool:
    return any(t.kind == "word" for t in tokenize(form))


def tag_sentence(forms: Sequence[str], langs: Sequence[str], *,
                 switch_penalty: float = SWITCH_PENALTY, max_evidence: float = MAX_EVIDENCE,
                 bias: dict[str, float] | None = None) -> list[str]:
    """Tag a tokenised sentence: a language per word, OTHER for tokens without letters."""
    idx = [i for i, f in enumerate(forms) if _has_letters(f)]
    tags = tag_words([forms[i] for i in idx], list(langs), switch_penalty=switch_penalty,
                     max_evidence=max_evidence, bias=TREEBANK_BIAS if bias is None else bias)
    out = [OTHER] * len(forms)
    for i, tag in zip(idx, tags):
        out[i] = tag
    return out


def evaluate_treebank(sentences: list[list[GoldToken]], langs: Sequence[str] = ("tr", "de"),
                      **tagger) -> tuple[dict, list[dict]]:
    """Tag every token and score against gold.

    Args:
        sentences: from `read_conllu`.
        langs: the tagger's languages (accuracy is over tokens whose gold is one of them).
        **tagger: switch_penalty, max_evidence, bias (see `tag_sentence`).

    Returns:
        ({"tokens", "scored", "accuracy", "per_lang": {lang: {"n", "accuracy"}}, "excluded"},
         one row per token: sent_id, index, form, gold, pred).
    """
    rows, per = [], {lang: [0, 0] for lang in langs}
    for sent in sentences:
        preds = tag_sentence([t.form for t in sent], langs, **tagger)
        for tok, pred in zip(sent, preds):
            rows.append({"sent_id": tok.sent_id, "index": tok.index, "form": tok.form,
                         "gold": tok.gold, "pred": pred})
            if tok.gold in per:
                per[tok.gold][0] += 1
                per[tok.gold][1] += pred == tok.gold
    scored = sum(n for n, _ in per.values())
    excluded: dict[str, int] = {}
    for r in rows:
        if r["gold"] not in per:
            excluded[r["gold"]] = excluded.get(r["gold"], 0) + 1
    report = {"tokens": len(rows), "scored": scored,
              "accuracy": sum(c for _, c in per.values()) / scored if scored else None,
              "per_lang": {lang: {"n": n, "accuracy": c / n if n else None}
                           for lang, (n, c) in per.items()},
              "excluded": dict(sorted(excluded.items()))}
    return report, rows


def read_responses(path: str | Path) -> list[dict]:
    """Rows {"id", "response", "model"} from JSONL, LLMEval-2 JSON, or a folder of them."""
    path = Path(path)
    if path.is_dir():
        files = sorted([*path.glob("*.json"), *path.glob("*.jsonl")])
        if not files:
            raise DataError(f"{path}: no *.json or *.jsonl files")
        return [row for f in files for row in read_responses(f)]
    if not path.is_file():
        raise DataError(f"{path}: no such responses file")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json" or text.lstrip().startswith("["):
        return _llmeval_rows(path, text)
    return _jsonl_rows(path, text)


def _jsonl_rows(path: Path, text: str) -> list[dict]:
    rows = []
    for lineno, row in read_jsonl_objects(path, text):
        if not isinstance(row.get("response"), str):
            raise DataError(f"{path}:{lineno}: expected an object with a string 'response'")
        rows.append({"id": str(row.get("id", f"{path.stem}:{lineno}")), "response": row["response"],
                     "model": str(row.get("model", row.get("llm_name", "")))})
    return rows


def _llmeval_rows(path: Path, text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, list):
        raise DataError(f"{path}: expected a JSON array of LLMEval-2 records")
    rows = []
    for k, rec in enumerate(data):
        turns = ([t.get("content", "") for t in rec.get("dialog", []) if t.get("role") == "llm"]
                 if isinstance(rec, dict) else [])
        if not turns:
            raise DataError(f"{path}: record {k} has no dialog turn with role 'llm'")
        rows.append({"id": str(rec.get("dialog_uuid", f"{path.stem}:{k}")),
                     "response": "\n".join(turns), "model": str(rec.get("llm_name", ""))})
    return rows
