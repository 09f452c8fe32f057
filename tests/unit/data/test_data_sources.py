"""Data sources: text / folder / JSON / JSONL / Parquet / hf datasets into one row schema,
one-line errors that name file and line, and the content fingerprint the cache keys on."""

from __future__ import annotations

import json

import pytest

from langtransfer.data.config import InstructionSourceConfig, TextSourceConfig
from langtransfer.data.sources import (file_format, iter_texts, load_instruction_rows,
                                       load_text_rows, source_files, source_fingerprint)
from langtransfer.data.packing import read_documents
from langtransfer.errors import ConfigError, DataError
from langtransfer.train.config import CPTConfig, SFTConfig

DOCS = ["Tavi was born in 1950.", "米拉生于1978年。", "Kaso likes chess."]


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def _parquet(path, rows):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_text_file_is_one_document_per_non_blank_line(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Tavi was born in 1950.\n\n   \n米拉生于1978年。\r\nKaso likes chess.", "utf-8")
    src = TextSourceConfig(path=str(path), lang="en")
    assert list(iter_texts(src)) == DOCS == read_documents(path)  # the packing reader's docs
    assert load_text_rows(src)[1] == {"text": "米拉生于1978年。", "lang": "en", "source": str(path)}


def test_folder_reads_matching_files_sorted_and_skips_hidden(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("second\n", "utf-8")
    (tmp_path / "1.txt").write_text("first\n", "utf-8")
    (tmp_path / ".hidden.txt").write_text("hidden\n", "utf-8")
    (tmp_path / "notes.md").write_text("not data\n", "utf-8")
    _jsonl(tmp_path / "c.jsonl", [{"text": "third"}])
    assert list(iter_texts(TextSourceConfig(path=str(tmp_path)))) == ["first", "second", "third"]
    only_text = TextSourceConfig(path=str(tmp_path), format="text")
    assert [p.name for p in source_files(only_text)] == ["1.txt", "2.txt"]
    with pytest.raises(DataError, match="no parquet files in this folder"):
        source_files(TextSourceConfig(path=str(tmp_path), format="parquet"))


def test_jsonl_json_and_parquet_with_a_text_field(tmp_path):
    rows = [{"content": d, "n": i} for i, d in enumerate(DOCS)]
    files = [_jsonl(tmp_path / "a.jsonl", rows), tmp_path / "b.json",
             _parquet(tmp_path / "c.parquet", rows)]
    files[1].write_text(json.dumps(rows, ensure_ascii=False), "utf-8")
    for path in files:
        assert list(iter_texts(TextSourceConfig(path=str(path), text_field="content"))) == DOCS
    with pytest.raises(DataError, match=r"c.parquet: row 0: missing text field 'text'"):
        list(iter_texts(TextSourceConfig(path=str(files[2]))))


def test_json_suffix_holding_json_lines_is_read_as_jsonl(tmp_path):
    path = _jsonl(tmp_path / "belle_like.json", [{"text": d} for d in DOCS])
    assert file_format(path, "auto") == "jsonl"
    assert list(iter_texts(TextSourceConfig(path=str(path)))) == DOCS


def test_jsonl_line_that_is_not_json_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok"}\n\n{"text": "broken"\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.jsonl:3: not valid JSON \(Expecting ',' "
                                        r"delimiter\)$") as err:
        list(iter_texts(TextSourceConfig(path=str(path))))
    assert "\n" not in str(err.value)


def test_missing_path_and_unknown_suffix(tmp_path):
    with pytest.raises(DataError, match="absent.txt: data file or folder not found"):
        list(iter_texts(TextSourceConfig(path=str(tmp_path / "absent.txt"))))
    odd = tmp_path / "corpus.xyz"
    odd.write_text("x\n", "utf-8")
    with pytest.raises(DataError, match="cannot tell the format from the suffix"):
        list(iter_texts(TextSourceConfig(path=str(odd))))
    assert list(iter_texts(TextSourceConfig(path=str(odd), format="text"))) == ["x"]


@pytest.mark.parametrize("streaming", [False, True])
def test_hf_dataset_through_load_dataset_json(tmp_path, monkeypatch, streaming):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf_cache")
    data = _jsonl(tmp_path / "rows.jsonl", [{"text": d} for d in DOCS])
    src = TextSourceConfig.from_dict({"hf": {"name": "json", "data_files": [str(data)],
                                             "streaming": streaming}, "lang": "en"})
    assert list(iter_texts(src)) == DOCS
    assert src.describe() == "hf:json:train"
    missing = src.with_updates({"hf.data_files": [str(tmp_path / "none.jsonl")]})
    with pytest.raises(DataError, match=r"hf:json:train: could not load \("):
        list(iter_texts(missing))


def test_hf_subset_that_is_a_language_code_sets_lang():
    src = InstructionSourceConfig.from_dict({"hf": {"name": "MBZUAI/Bactrian-X", "subset": "sw"},
                                             "instruction_format": "bactrian_x"})
    assert src.lang == "sw" and src.describe() == "hf:MBZUAI/Bactrian-X/sw:train"
    explicit = InstructionSourceConfig.from_dict({"hf": {"name": "x", "subset": "sw"},
                                                  "lang": "en"})
    assert explicit.lang == "en"


def test_instruction_rows_keep_id_lang_and_source(tmp_path):
    path = _jsonl(tmp_path / "bx.jsonl", [{"instruction": "Taja mji.", "input": "", "id": "sw-7",
                                           "output": "Nairobi."}])
    src = InstructionSourceConfig(path=str(path), instruction_format="bactrian_x", lang="sw")
    assert load_instruction_rows(src) == [{
        "messages": [{"role": "user", "content": "Taja mji."},
                     {"role": "assistant", "content": "Nairobi."}],
        "lang": "sw", "source": str(path), "id": "sw-7"}]


def test_fingerprint_follows_content_not_location(tmp_path):
    a = (tmp_path / "a.txt")
    a.write_text("one\ntwo\n", "utf-8")
    b = tmp_path / "copy" / "b.txt"
    b.parent.mkdir()
    b.write_text("one\ntwo\n", "utf-8")
    fp = source_fingerprint(TextSourceConfig(path=str(a)))
    assert fp == source_fingerprint(TextSourceConfig(path=str(b), lang="en", fraction=0.5))
    assert fp != source_fingerprint(TextSourceConfig(path=str(a), text_field="body"))
    b.write_text("one\nthree\n", "utf-8")
    assert fp != source_fingerprint(TextSourceConfig(path=str(b)))


def test_old_source_yaml_still_loads_and_new_fields_validate():
    cfg = CPTConfig.from_dict({"data": [{"path": "zh.txt", "lang": "zh", "fraction": 0.8},
                                        {"path": "en.txt", "lang": "en", "fraction": 0.2}]})
    assert [s.fraction for s in cfg.data] == [0.8, 0.2] and cfg.data[0].format == "auto"
    with pytest.raises(ConfigError, match="give exactly one of path and hf"):
        CPTConfig.from_dict({"data": [{"lang": "zh"}]})
    with pytest.raises(ConfigError, match="give fraction or samples, not both"):
        CPTConfig.from_dict({"data": [{"path": "a", "fraction": 1.0, "samples": 3}]})
    with pytest.raises(ConfigError, match=r"data.0: field 'instruction_format': unknown "
                                          r"instruction format \(choose from: alpaca, "
                                          r"bactrian_x, belle, messages, sharegpt\)"):
        SFTConfig.from_dict({"data": [{"path": "a.json", "instruction_format": "dolly"}]})
    with pytest.raises(ConfigError, match=r"data.0: unknown key 'colum' \(known keys: path, hf"):
        SFTConfig.from_dict({"data": [{"path": "a.json", "colum": "x"}]})
