"""The errors a user meets with benchmark data: each is ONE line naming the file and the row
(a malformed CSV row, an answer letter outside the options, a subject missing its dev split for
k-shot, a benchmark name that does not exist), through the library and through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from langtransfer.errors import DataError, UserError
from langtransfer.eval.benchmarks import BenchmarkSpec, load_benchmark, load_items, load_shots

REPO = Path(__file__).resolve().parents[3]
CEVAL_HEADER = "id,question,A,B,C,D,answer\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("name, rel, body, expect", [
    ("ceval", "val/law_val.csv", CEVAL_HEADER + "0,问？,甲,乙,丙,丁,A\n1,问？,甲,乙,丙,A\n",
     r"law_val.csv: row 2 \(line 3\): expected 7 fields as in the header, got 6"),
    ("mmlu", "test/anatomy_test.csv", "Q1?,a,b,c,d,A\nQ2?,a,b,c,d,e,B\n",
     r"anatomy_test.csv: row 2 \(line 2\): expected 6 fields \(question,A,B,C,D,answer\), got 7"),
    ("cmmlu", "test/agronomy.csv", ",Question,A,B,C,D,Answer\n0,问？,甲,乙,丙,丁,A\n1,问？,甲,乙\n",
     r"agronomy.csv: row 2 \(line 3\): expected 7 fields"),
])
def test_malformed_row_names_file_and_row(tmp_path, name, rel, body, expect):
    path = _write(tmp_path / rel, body)
    with pytest.raises(DataError) as exc:
        load_items(load_benchmark(name), tmp_path, rel.split("/")[0])
    assert str(path) in _one_line(exc)
    assert exc.match(expect)


@pytest.mark.parametrize("name, rel, body, expect", [
    ("ceval", "val/law_val.csv", CEVAL_HEADER + "0,问？,甲,乙,丙,丁,E\n",
     r"law_val.csv: row 1 \(line 2\): answer 'E' is not one of the options A, B, C, D"),
    ("mmlu", "dev/anatomy_dev.csv", "Q1?,a,b,c,d,F\n",
     r"anatomy_dev.csv: row 1 \(line 1\): answer 'F' is not one of the options A, B, C, D"),
    ("cmmlu", "dev/agronomy.csv", ",Question,A,B,C,D,Answer\n0,问？,甲,乙,丙,丁,X\n",
     r"agronomy.csv: row 1 \(line 2\): answer 'X' is not one of the options"),
    ("agieval", "lsat-ar.jsonl",
     json.dumps({"passage": None, "question": "Q", "options": ["(A)a", "(B)b"], "label": "C"}) + "\n",
     r"lsat-ar.jsonl:1: label 'C' is not one of the options A, B"),
    ("belebele", "eng_Latn.jsonl",
     json.dumps({"flores_passage": "p", "question": "q", "mc_answer1": "a", "mc_answer2": "b",
                 "mc_answer3": "c", "mc_answer4": "d", "correct_answer_num": "5"}) + "\n",
     r"eng_Latn.jsonl:1: correct_answer_num '5' is not one of 1, 2, 3, 4"),
])
def test_answer_outside_the_options_names_file_and_row(tmp_path, name, rel, body, expect):
    _write(tmp_path / rel, body)
    split = rel.split("/")[0] if "/" in rel else None
    with pytest.raises(DataError) as exc:
        load_items(load_benchmark(name), tmp_path, split)
    _one_line(exc)
    assert exc.match(expect)


def test_gaokao_answer_outside_the_options_names_file_and_example(tmp_path):
    data = {"keywords": "2010-2022_Biology_MCQs", "example": [
        {"index": 4, "question": "题？\nA．甲  B．乙  C．丙  D．丁\n", "answer": ["E"]}]}
    path = _write(tmp_path / "2010-2022_Biology_MCQs.json", json.dumps(data, ensure_ascii=False))
    with pytest.raises(DataError) as exc:
        load_items(load_benchmark("gaokao"), tmp_path)
    assert _one_line(exc).startswith(f"{path}: example 0 (index 4): answer 'E' of sub-question 1")


def test_subject_missing_its_dev_split_names_the_file(tmp_path):
    _write(tmp_path / "val" / "law_val.csv", CEVAL_HEADER + "0,问？,甲,乙,丙,丁,A\n")
    _write(tmp_path / "dev" / "logic_dev.csv", CEVAL_HEADER + "0,问？,甲,乙,丙,丁,A\n")
    spec = load_benchmark("ceval")
    subjects = list(load_items(spec, tmp_path, "val").per_subject)
    with pytest.raises(DataError) as exc:
        load_shots(spec, tmp_path, subjects, 5)
    assert _one_line(exc) == (f"{tmp_path / 'dev' / 'law_dev.csv'}: not found (subject 'law' "
                              "needs its dev split for 5-shot prompts; use --k 0)")
    assert load_shots(spec, tmp_path, subjects, 0) == {"law": []}


def test_dev_split_shorter_than_k(tmp_path):
    _write(tmp_path / "dev" / "law_dev.csv", CEVAL_HEADER + "0,问？,甲,乙,丙,丁,A\n")
    with pytest.raises(DataError, match=r"law_dev.csv: 1 rows, fewer than k=2 shots"):
        load_shots(load_benchmark("ceval"), tmp_path, ["law"], 2)


def test_k_shot_on_a_benchmark_without_a_dev_split():
    with pytest.raises(UserError, match=r"--k 3: agieval has no split to draw shots from"):
        load_shots(load_benchmark("agieval"), "x", ["lsat-ar"], 3)


def test_unknown_benchmark_split_and_subject(tmp_path):
    with pytest.raises(UserError) as exc:
        load_benchmark("ceval2")
    assert "ceval2.yaml not found" in _one_line(exc) and "known: agieval, belebele, ceval" in exc.value.args[0]
    with pytest.raises(UserError, match=r"--split 'train': ceval has splits dev, val, test"):
        load_items(load_benchmark("ceval"), tmp_path, "train")
    _write(tmp_path / "val" / "law_val.csv", CEVAL_HEADER + "0,问？,甲,乙,丙,丁,A\n")
    with pytest.raises(UserError, match=r"subject 'logic' not found in split 'val' \(found: law\)"):
        load_items(load_benchmark("ceval"), tmp_path, "val", ["logic"])
    with pytest.raises(UserError, match=r"test: not found \(expected the layout"):
        load_items(load_benchmark("ceval"), tmp_path, "test")


def test_template_with_an_unknown_placeholder_is_a_config_error():
    spec = load_benchmark("mmlu").to_dict()
    spec["template"]["question"] = "{question}\n{choices}\nAnswer:"
    from langtransfer.errors import ConfigError

    with pytest.raises(ConfigError, match=r"unknown placeholder \{choices\}"):
        BenchmarkSpec.from_dict(spec, "mmlu.yaml")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "langtransfer", *args], capture_output=True,
                          text=True, cwd=REPO, env={"PYTHONPATH": str(REPO / "src"),
                                                    "PATH": "/usr/bin:/bin"}, timeout=120)


def test_cli_errors_are_one_line_with_exit_code_2(tmp_path):
    res = _cli("eval", "knowledge", "--benchmark", "nope", "--data", str(tmp_path), "--dry-run")
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("error: --benchmark 'nope'")
    bad = _write(tmp_path / "dev" / "anatomy_dev.csv", "Q1?,a,b,c,d,A\nQ2?,a,b,c\n")
    res = _cli("eval", "knowledge", "--benchmark", "mmlu", "--data", str(tmp_path), "--split",
               "dev", "--dry-run", "--json")
    assert res.returncode == 2 and res.stderr == (
        f"error: {bad}: row 2 (line 2): expected 6 fields (question,A,B,C,D,answer), got 4\n")
