"""Source-format adapters: official benchmark releases on disk (or the hub) -> `MCItem`s.

    langtransfer eval knowledge --benchmark mmlu --data ../shared/data/mmlu --split dev --dry-run

One adapter per layout, registered by name in `FORMATS` (a benchmark YAML names its format):
- ceval_csv      <root>/{dev,val,test}/<subject>_<split>.csv, header id,question,A,B,C,D,answer
                 [,explanation]; test has no answer column (items get answer None).
- mmlu_csv       <root>/{dev,val,test}/<subject>_<split>.csv, NO header: question,A,B,C,D,answer.
- cmmlu_csv      <root>/{dev,test}/<subject>.csv, header ",Question,A,B,C,D,Answer" (the first
                 column is an unnamed row index, used as the id).
- agieval_jsonl  <root>[/v1]/<task>.jsonl: passage, question, options ["(A)…", …] or null,
                 label a letter or a list (multi-answer); null options (gaokao-mathcloze,
                 math) are cloze questions, skipped and counted as "no_options".
- gaokao_json    <root>[/Data/Objective_Questions]/<years>_<Subject>.json: {keywords, example:
                 [{year, category, question, answer: [letters], analysis, index, score}]}; the
                 options are written inside `question` ("A．…  B．…"); a question with n answer
                 letters holds n sub-questions, each scored as its own item (id "<index>-<k>").
- belebele_jsonl <root>/<flores code>.jsonl: flores_passage, question, mc_answer1..4,
                 correct_answer_num ("1".."4").
- miniworld_csv  <world>/<lang>/{knowledge,knowledge_control}.csv (C-Eval layout) + the
                 knowledge_meta.jsonl labels; the subject is the fact's attribute.
A path may also be a single file of a release. Every malformed row is a one-line DataError
naming the file and the row. Nothing here imports torch.
"""

from __future__ import annotations

import csv
import json
import re
import string
from pathlib import Path
from typing import Any, Iterable

from langtransfer.errors import DataError, UserError
from langtransfer.files import read_jsonl_objects
from langtransfer.eval.mc import MCItem, attach_meta, load_mc_csv
from langtransfer.langs import LANGS

LETTERS = string.ascii_uppercase
Skipped = dict[str, int]


def _lang_of_flores(code: str) -> str:
    """ISO code of a FLORES-style code when langs.py knows it (else the code itself)."""
    return next((lang.code for lang in LANGS.values() if lang.flores == code), code)


def _need_dir(path: Path, what: str) -> None:
    if not path.exists():
        raise UserError(f"{path}: not found (expected {what})")


def release_root(path: Path, split: str) -> Path:
    """The release folder holding `<split>/`, from the folder itself, its split folder, or one
    file inside a split folder."""
    if path.is_file():
        return path.parent.parent
    return path.parent if path.name == split and not (path / split).is_dir() else path


class SplitDirCSV:
    """C-Eval / MMLU layout: <root>/<split>/<subject>_<split>.csv."""

    layout = "dev|val|test/<subject>_<split>.csv"
    pattern = re.compile(r"^(?P<subject>.+)_(?P<split>dev|val|test)\.csv$")

    def _root(self, path: Path, split: str) -> Path:
        return release_root(path, split)

    def locate(self, path: Path, split: str) -> tuple[str, dict[str, Path]]:
        """(split, subject -> file) of a release directory or of one file."""
        _need_dir(path, f"the layout {self.layout} or one such file")
        if path.is_file():
            match = self.pattern.match(path.name)
            if match:
                return match["split"], {match["subject"]: path}
            return split, {path.stem: path}
        folder = self._root(path, split) / split
        if not folder.is_dir():
            raise UserError(f"{folder}: not found (expected the layout {self.layout})")
        files = {m["subject"]: f for f in sorted(folder.glob(f"*_{split}.csv"))
                 if (m := self.pattern.match(f.name)) and m["split"] == split}
        if not files:
            raise UserError(f"{folder}: no *_{split}.csv files (expected {self.layout})")
        return split, files

    def expected(self, path: Path, split: str, subject: str) -> Path:
        """Where a subject's file of `split` lives in this release."""
        return self._root(path, split) / split / f"{subject}_{split}.csv"


class CevalCSV(SplitDirCSV):
    """C-Eval: header id,question,A,B,C,D,answer[,explanation]; test without answers."""

    def read(self, path: Path, subject: str, lang: str, split: str) -> tuple[list[MCItem], Skipped]:
        """Items of one file (eval.mc.load_mc_csv, which checks every row)."""
        return load_mc_csv(path, lang, answers=split != "test", subject=subject), {}

    def from_hub(self, rows: Iterable[dict], subject: str, lang: str, split: str) -> list[MCItem]:
        """Items from the hub's ceval/ceval-exam rows (same columns as the CSV)."""
        return [_item(f"hub:{subject}", n, str(r["id"]), r["question"], [r[c] for c in "ABCD"],
                      r.get("answer") or None, lang, subject) for n, r in enumerate(rows, 1)]


class MmluCSV(SplitDirCSV):
    """MMLU: headerless rows question,A,B,C,D,answer; the id is the row number from 0."""

    def read(self, path: Path, subject: str, lang: str, split: str) -> tuple[list[MCItem], Skipped]:
        """Items of one headerless file; a row of the wrong width names file and row."""
        items = []
        for n, line, row in _csv_rows(path):
            if len(row) != 6:
                raise DataError(f"{path}: row {n} (line {line}): expected 6 fields "
                                f"(question,A,B,C,D,answer), got {len(row)}")
            items.append(_item(path, n, str(n - 1), row[0], row[1:5], row[5], lang, subject,
                               where=f"row {n} (line {line})"))
        return items, {}

    def from_hub(self, rows: Iterable[dict], subject: str, lang: str, split: str) -> list[MCItem]:
        """Items from cais/mmlu rows (choices list, answer an index)."""
        return [_item(f"hub:{subject}", n, str(n - 1), r["question"], list(r["choices"]),
                      LETTERS[int(r["answer"])], lang, subject) for n, r in enumerate(rows, 1)]


class CmmluCSV:
    """CMMLU: <root>/<split>/<subject>.csv with header ",Question,A,B,C,D,Answer"."""

    layout = "dev|test/<subject>.csv"
    header = ["", "Question", "A", "B", "C", "D", "Answer"]

    def _root(self, path: Path, split: str) -> Path:
        return release_root(path, split)

    def locate(self, path: Path, split: str) -> tuple[str, dict[str, Path]]:
        """(split, subject -> file); a single file's split is its folder's name."""
        _need_dir(path, f"the layout {self.layout} or one such file")
        if path.is_file():
            return path.parent.name, {path.stem: path}
        folder = self._root(path, split) / split
        files = {f.stem: f for f in sorted(folder.glob("*.csv"))} if folder.is_dir() else {}
        if not files:
            raise UserError(f"{folder}: no <subject>.csv files (expected {self.layout})")
        return split, files

    def expected(self, path: Path, split: str, subject: str) -> Path:
        """Where a subject's file of `split` lives in this release."""
        return self._root(path, split) / split / f"{subject}.csv"

    def read(self, path: Path, subject: str, lang: str, split: str) -> tuple[list[MCItem], Skipped]:
        """Items of one file; the header and every row's width are checked."""
        rows = _csv_rows(path)
        if not rows or rows[0][2] != self.header:
            got = ",".join(rows[0][2]) if rows else "nothing"
            raise DataError(f"{path}: header must be {','.join(self.header)} (got {got})")
        items = []
        for n, line, row in rows[1:]:
            n -= 1  # data rows count from 1 below the header
            if len(row) != 7:
                raise DataError(f"{path}: row {n} (line {line}): expected 7 fields "
                                f"({','.join(self.header)}), got {len(row)}")
            items.append(_item(path, n, row[0], row[1], row[2:6], row[6], lang, subject,
                               where=f"row {n} (line {line})"))
        return items, {}

    def from_hub(self, rows: Iterable[dict], subject: str, lang: str, split: str) -> list[MCItem]:
        """Items from haonan-li/cmmlu rows (Question, A..D, Answer)."""
        return [_item(f"hub:{subject}", n, str(n - 1), r["Question"], [r[c] for c in "ABCD"],
                      r["Answer"], lang, subject) for n, r in enumerate(rows, 1)]


class JsonlPerSubject:
    """<root>/<subject>.jsonl (AGIEval also under <root>/v1/); one split, "test"."""

    layout = "<subject>.jsonl"

    def _folder(self, path: Path) -> Path:
        if path.is_file():
            return path.parent
        return path / "v1" if (path / "v1").is_dir() and not any(path.glob("*.jsonl")) else path

    def locate(self, path: Path, split: str) -> tuple[str, dict[str, Path]]:
        """(split, subject -> file) of a folder of JSONL files or of one file."""
        _need_dir(path, f"a folder of {self.layout} files or one such file")
        if path.is_file():
            return split, {path.stem: path}
        files = {f.stem: f for f in sorted(self._folder(path).glob("*.jsonl"))}
        if not files:
            raise UserError(f"{path}: no *.jsonl files (expected {self.layout})")
        return split, files

    def expected(self, path: Path, split: str, subject: str) -> Path:
        """Where a subject's file lives."""
        return self._folder(path) / f"{subject}.jsonl"


class AgievalJsonl(JsonlPerSubject):
    """AGIEval v1 task files."""

    option_marker = re.compile(r"^\s*\(([A-Z])\)\s?")

    def read(self, path: Path, subject: str, lang: str, split: str) -> tuple[list[MCItem], Skipped]:
        """Items of one task; cloze questions (options null) are skipped and counted."""
        items, skipped = [], {}
        for line, row in _jsonl_rows(path):
            if not row.get("options"):
                skipped["no_options"] = skipped.get("no_options", 0) + 1
                continue
            items.append(self.row_item(path, line, row, subject, lang))
        return items, skipped

    def row_item(self, path: Path, line: int, row: dict, subject: str, lang: str) -> MCItem:
        """One question: "(A)" markers stripped from the options; a list label = multi-answer."""
        where = f"{path}:{line}"
        options = [self.option_marker.sub("", str(o), count=1).strip() for o in row["options"]]
        label = row.get("label")
        # A multi-answer label is a list of letters or one string of them: gaokao-mathqa has
        # "AD", "ACD" and "A B D" (7 of its 351 questions).
        letters = "".join(label) if isinstance(label, list) and all(
            isinstance(x, str) for x in label) else label
        letters = re.sub(r"[\s,，、]", "", letters) if isinstance(letters, str) else ""
        if not letters or any(c not in LETTERS[:len(options)] for c in letters):
            raise DataError(f"{where}: label {label!r} is not one of the options "
                            f"{', '.join(LETTERS[:len(options)])}")
        golds = sorted({LETTERS.index(c) for c in letters})
        meta = {"source": (row.get("other") or {}).get("source")} if row.get("other") else {}
        return MCItem(id=str(line - 1), question=str(row.get("question") or ""), options=options,
                      answer=golds[0], lang=lang, meta=meta, subject=subject,
                      passage=str(row.get("passage") or ""),
                      multi=tuple(sorted(golds)) if len(golds) > 1 else ())


class BelebeleJsonl(JsonlPerSubject):
    """Belebele <flores code>.jsonl; the subject is the FLORES code."""

    fields = ("flores_passage", "question", "mc_answer1", "mc_answer2", "mc_answer3",
              "mc_answer4", "correct_answer_num")

    def read(self, path: Path, subject: str, lang: str, split: str) -> tuple[list[MCItem], Skipped]:
        """Items of one language file (ids are line numbers from 0)."""
        return [self.row_item(f"{path}:{line}", str(line - 1), row, subject)
                for line, row in _jsonl_rows(path)], {}

    def row_item(self, where: str, item_id: str, row: dict, subject: str) -> MCItem:
        """One Belebele question."""
        missing = [f for f in self.fields if f not in row]
        if missing:
            raise DataError(f"{where}: missing field '{missing[0]}'")
        gold = str(row["correct_answer_num"]).strip()
        if gold not in ("1", "2", "3", "4"):
            raise DataError(f"{where}: correct_answer_num {gold!r} is not one of 1, 2, 3, 4")
        meta = {k: row[k] for k in ("link", "question_number") if k in row}
        return MCItem(id=item_id, question=str(row["question"]),
                      options=[str(row[f"mc_answer{i}"]) for i in range(1, 5)],
                      answer=int(gold) - 1, lang=_lang_of_flores(subject), meta=meta,
                      subject=subject, passage=str(row["flores_passage"]))

    def from_hub(self, rows: Iterable[dict], subject: str, lang: str, split: str) -> list[MCItem]:
        """Items from facebook/belebele rows (the same fields)."""
        return [self.row_item(f"hub:{subject}:{n}", str(n - 1), r, subject)
                for n, r in enumerate(rows, 1)]


class MiniWorldCSV:
    """MiniWorld <world>/<lang>/<split>.csv with knowledge_meta.jsonl beside it."""

    layout = "<world>/<lang>/knowledge.csv (+ knowledge_control.csv, knowledge_meta.jsonl)"

    def locate(self, path: Path, split: str) -> tuple[str, dict[str, Path]]:
        """(split, {split: file}): one file holds every attribute (the subjects)."""
        _need_dir(path, self.layout)
        if path.is_file():
            return path.stem, {path.stem: path}
        file = path / f"{split}.csv"
        if not file.is_file():
            raise UserError(f"{file}: not found (expected {self.layout})")
        return split, {split: file}

    def expected(self, path: Path, split: str, subject: str) -> Path:
        """MiniWorld has no k-shot split; the file of `split`."""
        return (path.parent if path.is_file() else path) / f"{split}.csv"

    def read(self, path: Path, subject: str, lang: str, split: str) -> tuple[list[MCItem], Skipped]:
        """Items labelled from knowledge_meta.jsonl; subject = attribute (else the split)."""
        items = load_mc_csv(path, lang=None)  # the language is the folder's name
        meta = path.parent / "knowledge_meta.jsonl"
        if meta.is_file():
            attach_meta(items, meta, file_name=path.name)
        for item in items:
            item.subject = str(item.meta.get("attribute") or path.stem)
        return items, {}


def _csv_rows(path: Path) -> list[tuple[int, int, list[str]]]:
    """(row number from 1, line number, fields) of every non-empty CSV row."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        rows, n = [], 0
        for row in reader:
            if not row:
                continue
            n += 1
            rows.append((n, reader.line_num, row))
    if not rows:
        raise DataError(f"{path}: empty file")
    return rows


def _jsonl_rows(path: Path) -> list[tuple[int, dict]]:
    """(line number, object) of every non-empty line; bad JSON names file and line."""
    return read_jsonl_objects(path)


def _item(path: Any, n: int, item_id: str, question: str, options: list[str],
          answer: str | None, lang: str, subject: str, where: str | None = None) -> MCItem:
    """An MCItem from parsed fields; an answer letter outside the options names file and row."""
    letters = LETTERS[:len(options)]
    answer = None if answer is None else str(answer).strip()
    if answer is not None and answer not in letters:
        raise DataError(f"{path}: {where or f'row {n}'}: answer {answer!r} is not one of the "
                        f"options {', '.join(letters)}")
    return MCItem(id=item_id, question=question, options=[str(o).strip() for o in options],
                  answer=None if answer is None else letters.index(answer), lang=lang,
                  subject=subject)


class GaokaoJson:
    """GAOKAO-Bench objective questions: options inside the question text, sub-questions."""

    layout = "Data/Objective_Questions/<years>_<Subject>.json"
    # Official files are "2010-2022_Biology_MCQs.json"; other JSON there (model outputs such as
    # "gemini-pro_…") is not a question file.
    name = re.compile(r"^\d{4}-\d{4}_.+\.json$")
    # An option marker: a letter and a full-width or ASCII period (or 、) at a line start or
    # after white space ("A．病毒是…", "  B. ￡12.00 .").
    marker = re.compile(r"(?:^|(?<=\s))([A-G])\s?[．.、]", re.M)
    numbered_line = re.compile(r"\n\s*\d+\s*[．.]")

    def _folder(self, path: Path) -> Path:
        if path.is_file():
            return path.parent
        nested = path / "Data" / "Objective_Questions"
        return nested if nested.is_dir() else path

    def locate(self, path: Path, split: str) -> tuple[str, dict[str, Path]]:
        """(split, subject -> file); the subject is the file's stem ("keywords")."""
        _need_dir(path, f"{self.layout} or one such file")
        if path.is_file():
            return split, {path.stem: path}
        files = {f.stem: f for f in sorted(self._folder(path).glob("*.json"))
                 if self.name.match(f.name)}
        if not files:
            raise UserError(f"{path}: no <years>_<Subject>.json files (expected {self.layout})")
        return split, files

    def expected(self, path: Path, split: str, subject: str) -> Path:
        """Where a subject's file lives."""
        return self._folder(path) / f"{subject}.json"

    def read(self, path: Path, subject: str, lang: str, split: str) -> tuple[list[MCItem], Skipped]:
        """One item per sub-question (one answer letter each)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        if not isinstance(data, dict) or not isinstance(data.get("example"), list):
            raise DataError(f"{path}: expected an object with an 'example' list")
        items = []
        for j, example in enumerate(data["example"]):
            items += self.example_items(f"{path}: example {j}", example, subject, lang)
        return items, {}

    def example_items(self, where: str, ex: Any, subject: str, lang: str) -> list[MCItem]:
        """Items of one question: sub-question k gets the k-th option run (or the only one)."""
        if not isinstance(ex, dict) or not isinstance(ex.get("question"), str) \
                or not isinstance(ex.get("answer"), list) or not ex["answer"]:
            raise DataError(f"{where}: expected question (text) and answer (a list of letters)")
        answers, text = [str(a).strip() for a in ex["answer"]], ex["question"]
        runs = self.option_runs(text)
        n = len(answers)
        runs = runs[-n:] if len(runs) >= n else (runs if len(runs) == 1 else [])
        items = []
        for k, answer in enumerate(answers, 1):
            options = runs[k - 1 if len(runs) == n else 0] if runs else []
            if not options:  # options not found in the text: letters stand for them
                options = list(LETTERS[:max(4, max(LETTERS.find(a) + 1 for a in answer or "A"))])
            golds = [LETTERS.find(a) for a in answer]
            if not answer or any(g < 0 or g >= len(options) for g in golds):
                raise DataError(f"{where} (index {ex.get('index')}): answer {answer!r} of "
                                f"sub-question {k} is not one of the options "
                                f"{', '.join(LETTERS[:len(options)])}")
            meta = {"year": ex.get("year"), "category": ex.get("category"),
                    "score": ex.get("score"), "sub": k if n > 1 else None, "n_sub": n,
                    "options_parsed": bool(runs)}
            items.append(MCItem(id=str(ex.get("index", "")) + (f"-{k}" if n > 1 else ""),
                                question=text, options=options, answer=golds[0], lang=lang,
                                meta=meta, subject=subject,
                                multi=tuple(sorted(golds)) if len(golds) > 1 else ()))
        return items

    def option_runs(self, text: str) -> list[list[str]]:
        """Option texts of every run of markers A, B, C, ... in order (at least A and B);
        a marker that does not continue the run is part of the text."""
        runs, current = [], []
        for match in self.marker.finditer(text):
            letter = match.group(1)
            if letter == "A":
                runs.append(current)
                current = [match]
            elif current and letter == LETTERS[len(current)]:
                current.append(match)
        runs.append(current)
        runs = [r for r in runs if len(r) >= 2]
        out = []
        for i, run in enumerate(runs):
            # The last option ends at the next run, a numbered line ("57. Where …") or the end.
            stop = runs[i + 1][0].start() if i + 1 < len(runs) else len(text)
            numbered = self.numbered_line.search(text, run[-1].end(), stop)
            stop = numbered.start() if numbered else stop
            ends = [m.start() for m in run[1:]] + [stop]
            out.append([" ".join(text[m.end():end].split()) for m, end in zip(run, ends)])
        return out


FORMATS: dict[str, Any] = {
    "ceval_csv": CevalCSV(),
    "mmlu_csv": MmluCSV(),
    "cmmlu_csv": CmmluCSV(),
    "agieval_jsonl": AgievalJsonl(),
    "gaokao_json": GaokaoJson(),
    "belebele_jsonl": BelebeleJsonl(),
    "miniworld_csv": MiniWorldCSV(),
}
"""Adapters by the name a benchmark YAML gives in `format`."""


def load_hub(spec: Any, split: str, subjects: list[str] | None):
    """Items of `split` from the Hugging Face hub (spec.hub), one dataset config per subject.

    For users with network access or a filled hub cache; tests replace `datasets.load_dataset`.
    """
    from langtransfer.eval.benchmarks import Loaded

    adapter = FORMATS[spec.format]
    if spec.hub is None or not hasattr(adapter, "from_hub"):
        raise UserError(f"--data hub: {spec.name} has no hub source; pass the release folder")
    import datasets

    subjects = subjects or list(spec.subjects)
    hub_split = spec.hub.splits.get(split, split)
    loaded = Loaded([], split)
    for subject in subjects:
        name = spec.hub.name.format(subject=subject) or None
        rows = datasets.load_dataset(spec.hub.path, name, split=hub_split)
        loaded.items += adapter.from_hub(rows, subject, spec.subject_language(subject), split)
        loaded.files[subject] = f"hub:{spec.hub.path}/{name or ''}:{hub_split}"
    return loaded
