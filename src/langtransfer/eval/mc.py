"""Multiple-choice knowledge evaluation: C-Eval-layout CSVs scored by option log-likelihood.

Items come from a CSV with header `id,question,A,B,C,D,answer` (C-Eval's layout; more or fewer
option letters and extra columns such as C-Eval dev's `explanation` are accepted). MiniWorld
adds `knowledge_meta.jsonl`, whose labels (group, attribute, name_form, person) let results be
split by subset.

Formulation ("option" protocol, cloze, as lm-eval's `cf`): each option is scored as text the
model would write, never as a letter.
- question with a blank `____`: context = text before the blank, continuation = option + text
  after the blank ("Tavi Lumo was born in " + "Nalu.");
- otherwise: context = question + "\\n" + answer cue of the item's language ("Answer:" /
  "答案："), continuation = " " + option (no space for CJK scripts).
Prediction = argmax of the (optionally length-normalised) log-likelihood; chance = 1/n_options.

Exercised by `langtransfer eval run` (eval.run) and tests/unit/eval/test_eval_mc.py.
"""

from __future__ import annotations

import csv
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from langtransfer.errors import DataError
from langtransfer.eval.lm import OnBatch
from langtransfer.files import read_jsonl_objects
from langtransfer.langs import LANGS, get_lang

BLANK = re.compile(r"_{4,}")
"""The cloze blank: C-Eval and MiniWorld write `____`; a longer run of underscores counts too."""
ANSWER_CUES = {"en": "Answer:", "zh": "答案："}
"""Answer cue per language; languages without an entry use the English cue."""
NORMS = ("none", "token", "char", "byte")
_HAN = re.compile(r"[\u3400-\u9fff]")


@dataclass
class MCItem:
    """One multiple-choice question (one scored unit: a GAOKAO sub-question is its own item)."""

    id: str
    question: str
    options: list[str]
    answer: int | None
    """Index of the correct option; None where the split has no answers (C-Eval test)."""
    lang: str
    meta: dict[str, Any] = field(default_factory=dict)
    """Subset labels from a meta file (MiniWorld: group, attribute, name_form, answer_form,
    person, file) or source fields a benchmark keeps (AGIEval source, Belebele link)."""
    subject: str = ""
    """The benchmark subject (C-Eval / MMLU / CMMLU subject, AGIEval task, GAOKAO file)."""
    passage: str = ""
    """Text shown before the question (AGIEval passage, Belebele FLORES passage)."""
    multi: tuple[int, ...] = ()
    """Every correct option when there are several (AGIEval multi-answer tasks); then
    `answer` is the first of them and an item is correct only on an exact set match."""

    @property
    def letters(self) -> list[str]:
        """Option letters, A first."""
        return list(string.ascii_uppercase[:len(self.options)])

    @property
    def golds(self) -> tuple[int, ...]:
        """Indices of the correct options (empty when the answer is unknown)."""
        if self.multi:
            return tuple(self.multi)
        return () if self.answer is None else (self.answer,)

    @property
    def gold(self) -> str:
        """The correct letter(s), e.g. "B" or "AC"; "" when unknown."""
        return "".join(self.letters[i] for i in self.golds)

    @property
    def chance(self) -> float:
        """Accuracy of a uniform random guess: 1 / n_options; for a multi-answer item, a
        uniformly drawn non-empty subset, 1 / (2^n - 1)."""
        n = len(self.options)
        return 1.0 / (2 ** n - 1) if len(self.multi) > 1 else 1.0 / n


def _option_columns(header: list[str]) -> list[str]:
    """A, B, C, ... in order, as long as consecutive letters are present."""
    cols = []
    for letter in string.ascii_uppercase:
        if letter not in header:
            break
        cols.append(letter)
    return cols


def _guess_lang(path: Path, rows: list[dict]) -> str:
    """The items' language: the folder name when it is a language code (MiniWorld's
    <world>/<lang>/knowledge.csv), else zh if the questions contain Han characters (C-Eval)."""
    if path.parent.name in LANGS:
        return path.parent.name
    return "zh" if any(_HAN.search(r.get("question") or "") for r in rows[:20]) else "en"


def load_mc_csv(path: str | Path, lang: str | None = None, *, answers: bool = True,
                subject: str = "") -> list[MCItem]:
    """Read a C-Eval-layout CSV.

    Args:
        path: the CSV (UTF-8, header required: id, question, A, B, ..., answer).
        lang: the items' language code; None infers it (see `_guess_lang`).
        answers: False accepts a file without the answer column (C-Eval's test split); its
            items get answer None.
        subject: the subject stored on every item.

    Returns:
        The items in file order.

    Raises:
        DataError: missing file or header column, a malformed row, an empty question or
            option, a duplicate id, or an answer letter not among the options; the one-line
            message names the file and the row.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: multiple-choice file not found")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        letters = _option_columns(header)
        needed = ("id", "question", "answer") if answers or "answer" in header else ("id", "question")
        missing = [c for c in needed if c not in header]
        if missing or len(letters) < 2:
            need = ", ".join(missing) if missing else "option columns A, B"
            raise DataError(f"{path}: header must be id,question,A,B,...,answer "
                            f"(missing {need}; got {','.join(header) or 'nothing'})")
        rows = [(i, reader.line_num, row) for i, row in enumerate(reader, 1)]
    if not rows:
        raise DataError(f"{path}: no questions below the header")
    lang = lang or _guess_lang(path, [r for _, _, r in rows])
    get_lang(lang)
    items, seen = [], set()
    for i, line, row in rows:
        item = _parse_row(path, i, line, row, len(header), letters, lang)
        item.subject = subject
        if item.id in seen:
            raise DataError(f"{path}: row {i} (line {line}): duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    return items


def _parse_row(path: Path, i: int, line: int, row: dict, n_fields: int, letters: list[str],
               lang: str) -> MCItem:
    where = f"{path}: row {i} (line {line})"
    if None in row or any(value is None for value in row.values()):
        got = n_fields + len(row.get(None) or []) - sum(v is None for v in row.values())
        raise DataError(f"{where}: expected {n_fields} fields as in the header, got {got}")
    options = [row[c].strip() for c in letters]
    empty = [c for c, opt in zip(letters, options) if not opt]
    if not row["question"].strip() or empty:
        what = f"option {empty[0]}" if empty else "question"
        raise DataError(f"{where}: empty {what}")
    if "answer" not in row:  # a file without answers (answers=False)
        return MCItem(id=row["id"].strip(), question=row["question"], options=options,
                      answer=None, lang=lang)
    answer = row["answer"].strip()
    if answer not in letters:
        raise DataError(f"{where}: answer {answer!r} is not one of the options "
                        f"{', '.join(letters)}")
    return MCItem(id=row["id"].strip(), question=row["question"], options=options,
                  answer=letters.index(answer), lang=lang)


def attach_meta(items: Sequence[MCItem], meta_path: str | Path,
                file_name: str | None = None) -> None:
    """Copy subset labels from a MiniWorld `knowledge_meta.jsonl` onto items (in place).

    Every field of an item's line except "id" is copied (MiniWorld writes file, group,
    attribute, name_form, answer_form, person).

    Args:
        items: items of one CSV.
        meta_path: JSONL with {"id","file","group","attribute","name_form","person"} per item.
        file_name: the CSV's file name; lines whose "file" names another file ("knowledge" and
            "knowledge.csv" both name knowledge.csv) are skipped.

    Raises:
        DataError: a line without "id", a duplicate id, or an item with no meta line.
    """
    meta_path = Path(meta_path)
    by_id: dict[str, dict] = {}
    for n, row in read_jsonl_objects(meta_path):
        if "id" not in row:
            raise DataError(f"{meta_path}:{n}: expected an object with an 'id'")
        if file_name is not None and not _same_file(row.get("file"), file_name):
            continue
        key = str(row["id"])
        if key in by_id:
            raise DataError(f"{meta_path}:{n}: duplicate id {key!r}")
        by_id[key] = row
    for item in items:
        if item.id not in by_id:
            raise DataError(f"{meta_path}: no line for item {item.id!r}"
                            + (f" of {file_name}" if file_name else ""))
        item.meta = {k: v for k, v in by_id[item.id].items() if k != "id"}


def _same_file(named: Any, file_name: str) -> bool:
    """True when a meta line's "file" (absent, a name, or a name without extension) is file_name."""
    return named is None or str(named) in (file_name, Path(file_name).stem)


def option_requests(item: MCItem) -> list[tuple[str, str]]:
    """(context, continuation) per option under the cloze formulation (module docstring)."""
    match = BLANK.search(item.question)
    if match:
        before, after = item.question[:match.start()], item.question[match.end():]
        return [(before, option + after) for option in item.options]
    cue = ANSWER_CUES.get(item.lang, ANSWER_CUES["en"])
    space = "" if get_lang(item.lang).is_cjk else " "
    return [(item.question + "\n" + cue, space + option) for option in item.options]


def _norm_length(item: MCItem, continuation: str, norm: str, n_tokens: int) -> float:
    """Denominator of the normalised score. char/byte count the continuation without its
    leading target delimiter, as lm-eval's acc_norm / acc_bytes count the choice text."""
    if norm == "token":
        return float(n_tokens)
    text = continuation[1:] if continuation.startswith(" ") else continuation
    size = len(text) if norm == "char" else len(text.encode("utf-8"))
    return float(max(size, 1))


def score_mc(model: Any, tok: Any, items: Sequence[MCItem], norm: str = "none",
             batch_size: int = 32, on_batch: OnBatch = None) -> list[dict]:
    """Score every option of every item and predict the argmax (the `option` protocol with this
    module's cloze formulation, zero-shot; see eval.protocols).

    Args:
        model, tok: the LM and its tokenizer.
        items: the questions.
        norm: none (sum log p) | token (per token) | char (per character) | byte (per UTF-8 byte).
        batch_size: sequences per forward pass.
        on_batch: progress callback (options scored per batch).

    Returns:
        Per item: {"id","lang","gold","pred","correct","chance","logliks","scores",
        "n_tokens"} plus its meta labels (which never replace those keys). logliks are raw
        sums; scores are what the argmax ran on.
    """
    from langtransfer.eval.protocols import score_cloze_items

    rows = score_cloze_items(model, tok, items, norm, batch_size, on_batch)
    keep = ("id", "lang", "gold", "pred", "correct", "chance", "logliks", "scores", "n_tokens")
    return [{**{k: row[k] for k in keep},
             **{k: v for k, v in item.meta.items() if k not in keep}}
            for item, row in zip(items, rows)]
