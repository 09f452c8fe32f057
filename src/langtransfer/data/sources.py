"""Read data sources — text, JSON, JSON Lines, Parquet files, folders of them, Hugging Face
datasets — into one row schema.

Exercised by `langtransfer train cpt|sft` and tests/unit/data/test_data_sources.py.

CPT rows are `{"text", "lang", "source"}`; SFT rows are `{"messages", "lang", "source"}` (plus
`id` when the raw row has one). Readers stream (a line or a Parquet batch at a time), and every
bad row is a one-line DataError naming where it is: `FILE:LINE` for text and JSON Lines,
`FILE: row N` (0-based) for JSON lists, Parquet and hf datasets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from langtransfer.data.config import InstructionSourceConfig, TextSourceConfig, _SourceConfig
from langtransfer.data.formats import RowError, to_messages
from langtransfer.errors import DataError
from langtransfer.files import sha256_file

SUFFIX_FORMATS = {".txt": "text", ".text": "text", ".jsonl": "jsonl", ".json": "json",
                  ".parquet": "parquet"}
READER_VERSION = "v1"  # part of the cache key: bump it if a reader's output ever changes


def source_files(src: _SourceConfig) -> list[Path]:
    """The files of a path source: the file itself, or the folder's matching files, sorted.

    A folder is searched recursively; hidden files and folders are skipped. With format auto
    every file with a known suffix matches, otherwise the suffixes of that format
    (text: .txt/.text, json and jsonl: .json/.jsonl, parquet: .parquet).

    Raises:
        DataError: the path does not exist, or the folder holds no matching file.
    """
    path = Path(str(src.path))
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError(f"{path}: data file or folder not found")
    files = sorted(p for p in path.rglob("*") if p.is_file() and _matches(p, path, src.format))
    if not files:
        kinds = "data" if src.format == "auto" else src.format
        raise DataError(f"{path}: no {kinds} files in this folder (suffixes: "
                        f"{', '.join(SUFFIX_FORMATS)})")
    return files


def _matches(file: Path, root: Path, declared: str) -> bool:
    if any(part.startswith(".") for part in file.relative_to(root).parts):
        return False
    kind = SUFFIX_FORMATS.get(file.suffix.lower())
    if declared == "auto" or kind is None:
        return kind is not None
    return kind == declared or {kind, declared} == {"json", "jsonl"}


def file_format(path: Path, declared: str) -> str:
    """The format a file is read with: the declared one, or from its suffix (auto); a .json
    file whose first non-blank character is not "[" is JSON Lines (BELLE's files are)."""
    if declared != "auto":
        return declared
    kind = SUFFIX_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DataError(f"{path}: cannot tell the format from the suffix (set format: text, "
                        "json, jsonl or parquet)")
    if kind == "json":
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096).lstrip()
        return "json" if head.startswith("[") or not head else "jsonl"
    return kind


def iter_records(src: _SourceConfig) -> Iterator[tuple[str, Any]]:
    """(where, raw record) for every row of a source: a line string for text files, an object
    for the other formats."""
    if src.hf is not None:
        yield from _iter_hf(src)
        return
    readers = {"text": _iter_text, "json": _iter_json, "jsonl": _iter_jsonl,
               "parquet": _iter_parquet}
    for path in source_files(src):
        yield from readers[file_format(path, src.format)](path)


def _iter_text(path: Path) -> Iterator[tuple[str, str]]:
    """Non-blank lines. Lines split as str.splitlines does (also at \\u2028, \\x1c, ...), read a
    line at a time: the documents of train.packing.read_documents."""
    try:
        with open(path, encoding="utf-8") as fh:
            for i, raw in enumerate(fh, 1):
                for line in raw.splitlines():
                    if line.strip():
                        yield f"{path}:{i}", line
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _iter_jsonl(path: Path) -> Iterator[tuple[str, Any]]:
    try:
        with open(path, encoding="utf-8") as fh:
            for i, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{path}:{i}: not valid JSON ({exc.msg})") from None
                yield f"{path}:{i}", record
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _iter_json(path: Path) -> Iterator[tuple[str, Any]]:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not isinstance(rows, list):
        raise DataError(f"{path}: expected a JSON list of rows (JSON Lines: set format: jsonl)")
    for i, row in enumerate(rows):
        yield f"{path}: row {i}", row


def _iter_parquet(path: Path) -> Iterator[tuple[str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    n = 0
    for batch in parquet.iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            yield f"{path}: row {n}", row
            n += 1


def _iter_hf(src: _SourceConfig) -> Iterator[tuple[str, Any]]:
    import datasets

    hf = src.hf
    assert hf is not None
    try:
        ds = datasets.load_dataset(hf.name, hf.subset, split=hf.split, streaming=hf.streaming,
                                   revision=hf.revision, data_files=hf.data_files)
    except Exception as exc:  # not found, offline, bad files: all one user-facing line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise DataError(f"{src.describe()}: could not load ({type(exc).__name__}: "
                        f"{first})") from None
    for i, row in enumerate(ds):
        yield f"{src.describe()}: row {i}", row


def iter_texts(src: TextSourceConfig) -> Iterator[str]:
    """The documents of a text source, in order (blank documents skipped).

    Raises:
        DataError: a row is not an object or lacks a string `text_field`.
    """
    for where, record in iter_records(src):
        if isinstance(record, str):
            yield record
            continue
        if not isinstance(record, dict):
            raise DataError(f"{where}: expected an object, got {type(record).__name__}")
        text = record.get(src.text_field)
        if not isinstance(text, str):
            raise DataError(f"{where}: missing text field '{src.text_field}' (a string is "
                            "required; set text_field)")
        if text.strip():
            yield text


def load_text_rows(src: TextSourceConfig) -> list[dict]:
    """CPT rows `{"text", "lang", "source"}` of a source."""
    name = src.describe()
    return [{"text": text, "lang": src.lang, "source": name} for text in iter_texts(src)]


def iter_instruction_rows(src: InstructionSourceConfig) -> Iterator[dict]:
    """SFT rows `{"messages", "lang", "source", "id"?}` of a source, in order.

    Raises:
        DataError: a row does not fit `src.instruction_format` (names file and line or row).
    """
    name = src.describe()
    for where, record in iter_records(src):
        try:
            messages = to_messages(src.instruction_format, record)
        except RowError as exc:
            raise DataError(f"{where}: {exc}") from None
        row = {"messages": messages, "lang": src.lang, "source": name}
        if isinstance(record.get("id"), (str, int)):
            row["id"] = record["id"]
        yield row


def load_instruction_rows(src: InstructionSourceConfig) -> list[dict]:
    """All SFT rows of a source (see iter_instruction_rows)."""
    rows = list(iter_instruction_rows(src))
    if not rows:
        raise DataError(f"{src.describe()}: no instruction rows")
    return rows


def source_fingerprint(src: _SourceConfig) -> dict[str, Any]:
    """What identifies a source's content for the cache key: the format and sha256 of each
    file in order (names and locations do not matter), or the hf name, subset, split,
    revision and the hashes of local data_files. Fields that shape rows (text_field,
    instruction_format) are included."""
    shape = {k: v for k, v in src.to_dict().items() if k in ("text_field", "instruction_format")}
    if src.hf is None:
        files = [[file_format(f, src.format), sha256_file(f)] for f in source_files(src)]
        return {"reader": READER_VERSION, "files": files, **shape}
    hf = src.hf
    data_files = [sha256_file(f) if Path(f).is_file() else f for f in hf.data_files or []]
    return {"reader": READER_VERSION, "hf": [hf.name, hf.subset, hf.split, hf.revision],
            "data_files": data_files, **shape}
