"""CPT stage: exact budget over a mixture, per-source/language accounting, errors, skip."""

from __future__ import annotations

import pytest
from train_corpus import ZH_DOCS, make_corpus, write_lines

from langtransfer.errors import ConfigError, DataError, UserError
from langtransfer.runs import read_manifest, read_metrics
from langtransfer.train.config import CPTConfig
from langtransfer.train.cpt import run
from langtransfer.train.packing import allocate_budget


@pytest.fixture
def sources(tmp_path):
    zh = write_lines(tmp_path / "zh.txt", ZH_DOCS * 30)
    en = write_lines(tmp_path / "en.txt", make_corpus(60, seed=5))
    return zh, en


def _cfg(model_dir, data, **kw):
    base = {"model": str(model_dir), "data": data, "seq_len": 64, "threads": 1,
            "optim": {"lr": 1e-3, "batch_size": 4}}
    return CPTConfig.from_dict({**base, **kw})


def test_mixture_budget_is_exact_per_source_and_language(model_dir, sources, tmp_path):
    zh, en = sources
    cfg = _cfg(model_dir, [{"path": str(zh), "lang": "zh", "fraction": 0.7},
                           {"path": str(en), "lang": "en", "fraction": 0.3}], tokens=1001)
    res = run(cfg, tmp_path / "cpt")
    expected = allocate_budget([0.7, 0.3], 1001)
    assert res.tokens == 1001 and res.steps == -(-(1001 // 64) // 4) + 1  # + the short tail
    assert [r["tokens"] for r in res.tokens_by_source] == expected == [701, 300]
    assert res.tokens_by_lang == {"zh": 701, "en": 300}
    manifest = read_manifest(tmp_path / "cpt")
    assert manifest["tokens_by_lang"] == {"zh": 701, "en": 300}
    assert read_metrics(tmp_path / "cpt")[-1]["tokens"] == 1001
    assert (tmp_path / "cpt" / "tokenizer.model").is_file()


def test_second_call_is_skipped(model_dir, sources, tmp_path):
    cfg = _cfg(model_dir, [{"path": str(sources[0]), "lang": "zh", "fraction": 1.0}], tokens=256)
    first = run(cfg, tmp_path / "cpt")
    again = run(cfg, tmp_path / "cpt")
    assert again.skipped and not first.skipped
    assert again.tokens == first.tokens == 256 and again.final_loss == first.final_loss


def test_budget_over_data_without_repeat_is_error(model_dir, sources, tmp_path):
    cfg = _cfg(model_dir, [{"path": str(sources[0]), "lang": "zh", "fraction": 1.0}],
               tokens=10_000_000, repeat=False)
    with pytest.raises(DataError, match="zh.txt: budget of 10000000 tokens exceeds"):
        run(cfg, tmp_path / "cpt")


def test_missing_data_file_names_path_and_writes_nothing(model_dir, tmp_path):
    cfg = _cfg(model_dir, [{"path": str(tmp_path / "absent.txt"), "fraction": 1.0}])
    with pytest.raises(UserError, match=r"absent.txt: CPT data file not found \(data\[0\].path\)"):
        run(cfg, tmp_path / "cpt")
    assert not (tmp_path / "cpt").exists()


def test_unknown_language_and_long_blocks_rejected(model_dir, sources, tmp_path):
    bad_lang = _cfg(model_dir, [{"path": str(sources[0]), "lang": "xx", "fraction": 1.0}])
    with pytest.raises(ConfigError, match=r"data\[0\].lang: unknown language 'xx'"):
        run(bad_lang, tmp_path / "a")
    too_long = _cfg(model_dir, [{"path": str(sources[0]), "fraction": 1.0}], seq_len=4096)
    with pytest.raises(ConfigError, match=r"seq_len \(4096\) exceeds .* \(128\)"):
        run(too_long, tmp_path / "b")


def test_fractions_must_sum_to_one():
    with pytest.raises(ConfigError, match="fractions must sum to 1"):
        CPTConfig.from_dict({"data": [{"path": "a", "fraction": 0.5}]})
